package cdr

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzReadAccountsCSV: no input may panic ReadAccountsCSV, and the
// accounts of every file it accepts must survive WriteAccountsCSV and
// ReadAccountsCSV unchanged.
func FuzzReadAccountsCSV(f *testing.F) {
	for _, s := range []string{
		// A realistic file: the full header as WriteAccountsCSV writes it.
		"\"id\";\"type\";\"name\";\"login\";\"samaccountname\";\"site\";\"iqueuesize\";\"maxwait\"\r\n" +
			"\"11\";\"user\";\"Anna Agent\";\"anna\";\"a.agent\";\"stuttgart\";\"0\";\"0s\"\r\n" +
			"\"12\";\"user\";\"Ben Berger\";\"ben\";\"b.berger\";\"berlin\";\"0\";\"0s\"\r\n" +
			"\"200\";\"group\";\"Support\";\"\";\"\";\"stuttgart\";\"0\";\"0s\"\r\n" +
			"\"300\";\"iqueue\";\"Hotline\";\"\";\"\";\"stuttgart\";\"10\";\"2m0s\"\r\n",
		// The scenario kit's form: unquoted, LF, only some columns.
		"id;type;name;login\n11;user;Anna Agent;anna\n200;group;Support;\n300;iqueue;Hotline;\n",
		// BOM, reordered and upper-case header, unknown column, STARFACE names.
		"\ufeffType;comment;ID;MaxWait\nGROUP;x;2002;90\nagent;;1002; 1h30m \nBenutzer;;1003;\n",
		// Quotes: doubled quotes, ';' and a line break inside a value.
		"id;type;name\n\"1\";\"IQUEUE\";\"Support; 1st \"\"level\"\"\"\n2;user;\"two\r\nlines\"\n3;queue;\"\"\n",
		// Empty input, header only, blank lines.
		"",
		"id;type\n",
		"\n\nid;type\n\n5;\n\n",
		"\ufeff",
		// Missing columns.
		"name;login\nAnna;anna\n",
		"id\n1\n",
		"type;name\nuser;Anna\n",
		// Bad values and field counts.
		"id;type\n1;user;extra\n",
		"id;type\n;user\n",
		"id;type;iqueuesize;maxwait\n1;iqueue;-3;-5\n2;iqueue;9223372036854775807;9223372036\n",
		"id;type;maxwait\n1;iqueue;1.5h\n2;user;x\n",
		"id;type;id;type\n1;user;2;group\n",
		"id;type\n\"1\"x;user\n",
		"id;type\n\"1;user\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		accounts, err := ReadAccountsCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteAccountsCSV(&buf, accounts); err != nil {
			t.Fatalf("WriteAccountsCSV(%+v): %v", accounts, err)
		}
		again, err := ReadAccountsCSV(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("reading written accounts: %v\n%q", err, buf.String())
		}
		if diff := cmp.Diff(accounts, again); diff != "" {
			t.Fatalf("write-read mismatch (-want +got):\n%s\nwritten:\n%q", diff, buf.String())
		}
	})
}
