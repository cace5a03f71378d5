package pseudotest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/internal/sim"
	"github.com/starinsight/starinsight/pseudo"
	"github.com/starinsight/starinsight/pseudo/pseudotest"
)

// plan is a PBX in Stuttgart: numbers of area 711 have a local form.
var plan = cdr.GermanPlan("711")

const (
	uuid   = "0b6d2a7c-11f3-4e5a-9c01-e4b7a2d5f3a1"
	callID = uuid + ";+497111234567;Jürgen Müller"
)

// plantCorpus holds one value of every kind, with the traps of each: an
// umlaut, a company with a legal form and '&', a number read with spaces,
// a call id that embeds the others.
func plantCorpus() *pseudotest.Corpus {
	c := pseudotest.NewCorpus()
	c.AddName("Jürgen Müller")
	c.AddName("Berger GmbH & Co. KG")
	c.AddName("anonymous") // a withheld caller's caller id: no one's name
	c.AddNumber("+49 711 1234567", plan)
	c.AddNumber("12", plan)          // an extension: too short to look for
	c.AddNumber("withheld", plan)    // no one's number
	c.AddNumber("+4971112xxx", plan) // masked already
	c.AddCallID(callID)
	c.AddCallID("3") // a call step: too short
	c.AddLogin("juergen.mueller")
	return c
}

// found is what a test compares of a leak.
type found struct {
	Kind     pseudotest.Kind
	Original string
	Form     string
	Offset   int
}

func foundOf(leaks []pseudotest.Leak) []found {
	var out []found
	for _, l := range leaks {
		out = append(out, found{l.Kind, l.Original, l.Form, l.Offset})
	}
	return out
}

func TestCorpusCounts(t *testing.T) {
	c := plantCorpus()
	got := map[pseudotest.Kind]int{}
	for _, k := range pseudotest.Kinds() {
		got[k] = c.Count(k)
	}
	want := map[pseudotest.Kind]int{pseudotest.KindName: 2, pseudotest.KindNumber: 1, pseudotest.KindCallID: 1, pseudotest.KindLogin: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("originals per kind (-want +got):\n%s", diff)
	}
}

func TestScanFindsPlantedLeaks(t *testing.T) {
	const (
		name, company, number = pseudotest.KindName, pseudotest.KindName, pseudotest.KindNumber
		id, login             = pseudotest.KindCallID, pseudotest.KindLogin
		jm, bg, num           = "Jürgen Müller", "Berger GmbH & Co. KG", "+497111234567"
	)
	tests := []struct {
		name   string
		output string
		want   []found
	}{
		{"full name in JSON", `{"name":"Jürgen Müller"}`, []found{{name, jm, jm, 9}}},
		{"full name upper case", `JÜRGEN MÜLLER`, []found{{name, jm, jm, 0}}},
		{"extra spaces", `Jürgen  Müller`, []found{{name, jm, "Jürgen", 0}, {name, jm, "Müller", 9}}},
		{"last name alone", `caller: Müller,`, []found{{name, jm, "Müller", 8}}},
		{"transliterated", `MUELLER`, []found{{name, jm, "Mueller", 0}}},
		{"ASCII-only JSON", `{"n":"J\u00fcrgen"}`, []found{{name, jm, `J\u00fcrgen`, 6}}},
		{"ASCII-only JSON upper hex", `"M\u00FCller"`, []found{{name, jm, `M\u00fcller`, 1}}},
		{"camel case", `JuergenMueller`, []found{{name, jm, "Juergen", 0}, {name, jm, "Mueller", 7}}},
		{"after a JSON escape", `"Urlaub\nJürgen"`, []found{{name, jm, "Jürgen", 9}}},
		{"company", `Berger GmbH & Co. KG`, []found{{company, bg, bg, 0}}},
		{"company HTML-escaped", `"Berger GmbH \u0026 Co. KG"`, []found{{company, bg, `Berger GmbH \u0026 Co. KG`, 1}}},
		{"company name part", `"Berger"`, []found{{company, bg, "Berger", 1}}},
		{"E.164", `"number":"+497111234567"`, []found{{number, num, num, 10}}},
		{"E.164 without plus", `;497111234567;`, []found{{number, num, "497111234567", 1}}},
		{"international prefix", `00497111234567`, []found{{number, num, "00497111234567", 0}}},
		{"national", `tel 07111234567.`, []found{{number, num, "07111234567", 4}}},
		{"national significant number", `7111234567`, []found{{number, num, "7111234567", 0}}},
		{"local", `(1234567)`, []found{{number, num, "1234567", 1}}},
		{"raw as read", `+49 711 1234567`, []found{{number, num, "+49 711 1234567", 0}}},
		{"number before letters", `+497111234567abc`, []found{{number, num, num, 0}}},
		{"call id", callID, []found{{id, callID, callID, 0}}},
		{"call id HTML-escaped", `"` + uuid + `;+497111234567;J\u00fcrgen M\u00fcller"`, []found{{id, callID, uuid + `;+497111234567;J\u00fcrgen M\u00fcller`, 1}}},
		{"uuid alone upper case", strings.ToUpper(uuid), []found{{id, callID, uuid, 0}}},
		{"login", `user=juergen.mueller;`, []found{{login, "juergen.mueller", "juergen.mueller", 5}}},
		{"login upper case", `JUERGEN.MUELLER`, []found{{login, "juergen.mueller", "juergen.mueller", 0}}},
		{"several", "Müller +497111234567", []found{{name, jm, "Müller", 0}, {number, num, num, 8}}},

		{"inside a longer word", `Müllerstraße Bergerac`, nil},
		{"inside a longer digit run", `17111234567 071112345678 4971112345670`, nil},
		{"duration in nanoseconds", `"talk":7111234567000`, nil},
		{"masked", `+4971112345xxx`, nil},
		{"pseudonym", `"+49 7… #3F2A9B1C04D2-k1" "Person 7F3A91C2D04E-k1"`, nil},
		{"inside hex tokens", `#A1234567F 7111234567fa "e7111234567" BC1234567-k1`, nil},
		{"legal form alone", `GmbH & Co. KG`, nil},
		{"extension", `"12" 12`, nil},
		{"withheld", `anonymous`, nil},
		{"empty", ``, nil},
	}
	c := plantCorpus()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := foundOf(c.Scan([]byte(tt.output)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Scan(%q) (-want +got):\n%s", tt.output, diff)
			}
		})
	}
}

// TestCorpusFromEntries: every personal column of a row and of the
// accounts is collected; placeholders and account ids are not.
func TestCorpusFromEntries(t *testing.T) {
	e := cdr.Entry{
		ID: 1, CallID: callID, CallStepID: "2", CallLegUUID: "5e0f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
		ChannelName:        "SIP/anna.agent-0000002a",
		CallerCallerID:     cdr.CallerID{Name: "Clara Caller", Number: "0711 2345678"},
		CalledCallerID:     cdr.CallerID{Name: "Support Hotline", Number: "700"},
		CallbackNumber:     "0049 30 1234567",
		CallResultCausedBy: "ivr.module.night",
		Login:              "support.login",
		CDRAccountID:       1001, CalledAccountID: 3001,
	}
	accounts := []cdr.Account{
		{ID: 1001, Type: cdr.AccountUser, Name: "Anna Agent", Login: "anna.agent", SAMAccountName: "AAGENT01"},
		{ID: 17, Type: cdr.AccountUnknown, Name: cdr.PlaceholderName(17), Placeholder: true},
	}
	c := pseudotest.CorpusFromEntries([]cdr.Entry{e}, accounts, plan)
	for _, tt := range []struct {
		value string
		kind  pseudotest.Kind // 0: not personal, must not be found
	}{
		{callID, pseudotest.KindCallID},
		{e.CallLegUUID, pseudotest.KindCallID},
		{e.ChannelName, pseudotest.KindCallID},
		{"Clara Caller", pseudotest.KindName},
		{"+497112345678", pseudotest.KindNumber},
		{"Support Hotline", pseudotest.KindName},
		{"+49301234567", pseudotest.KindNumber},
		{"ivr.module.night", pseudotest.KindLogin},
		{"support.login", pseudotest.KindLogin},
		{"Anna Agent", pseudotest.KindName},
		{"anna.agent", pseudotest.KindLogin},
		{"aagent01", pseudotest.KindLogin},
		{"Deleted account 17", 0},
		{"700", 0},
		{"1001", 0},
	} {
		t.Run(tt.value, func(t *testing.T) {
			var kinds []pseudotest.Kind
			for _, l := range c.Scan([]byte(" " + tt.value + " ")) {
				kinds = append(kinds, l.Kind)
			}
			var want []pseudotest.Kind
			if tt.kind != 0 {
				want = []pseudotest.Kind{tt.kind}
			}
			if diff := cmp.Diff(want, kinds); diff != "" {
				t.Errorf("kinds found (-want +got):\n%s", diff)
			}
		})
	}
}

// TestForeignNumber: a number of another country has no national forms
// of the plan's country, but its international forms are found.
func TestForeignNumber(t *testing.T) {
	c := pseudotest.NewCorpus()
	c.AddNumber("0043 1 2345678", plan)
	for _, out := range []string{"+4312345678", "4312345678", "004312345678", "0043 1 2345678"} {
		require.Len(t, c.Scan([]byte(out)), 1, out)
	}
	require.Empty(t, c.Scan([]byte("012345678")), "national form of Austria under a German plan")
}

func TestLeakContext(t *testing.T) {
	c := plantCorpus()
	// The excerpt is cut at rune boundaries: 32 bytes before the name are
	// a space and 15½ ü.
	out := strings.Repeat("ü", 60) + " Jürgen Müller " + strings.Repeat("x", 40)
	leaks := c.Scan([]byte(out))
	require.Len(t, leaks, 1)
	want := strings.Repeat("ü", 15) + " Jürgen Müller " + strings.Repeat("x", 31)
	if diff := cmp.Diff(want, leaks[0].Context); diff != "" {
		t.Errorf("context (-want +got):\n%s", diff)
	}
	if s := leaks[0].String(); !strings.Contains(s, `name "Jürgen Müller" at byte 121`) {
		t.Errorf("String() = %s", s)
	}
}

// TestVocabulary: a name part that is a word every sink writes (a field
// or enum name) is not looked for alone; other parts are, and Ignore
// switches off the words of an integrator's own output.
func TestVocabulary(t *testing.T) {
	c := pseudotest.NewCorpus()
	c.AddName("Outbound Team Lange")
	c.AddName("Service") // a group named like a column
	out := []byte(`{"direction":"outbound","team":1,"serviceid":2,"service":3,"lange":4}`)
	if diff := cmp.Diff([]found{{pseudotest.KindName, "Outbound Team Lange", "Lange", 60}}, foundOf(c.Scan(out))); diff != "" {
		t.Errorf("Scan (-want +got):\n%s", diff)
	}
	c.Ignore("LANGE")
	require.Empty(t, c.Scan(out), "after Ignore")
	require.Len(t, c.Scan([]byte("Outbound Team Lange")), 1, "a whole name is looked for whatever its parts")
}

// TestBinary: a database file stores values next to each other, so whole
// words and digit runs miss them; Binary finds them anywhere, except a
// name inside a word known not to be personal.
func TestBinary(t *testing.T) {
	c := plantCorpus()
	c.AddName("Vera Hartmann")
	packed := "\x05Jürgen Müllerjuergen.mueller+4971112345673001"
	at := func(s string) int { return strings.Index(packed, s) }
	tests := []struct {
		name            string
		output          string
		bounded, binary []found
	}{
		{"packed record", packed,
			[]found{{pseudotest.KindName, "Jürgen Müller", "Jürgen", 1}, {pseudotest.KindName, "Jürgen Müller", "Mueller", at("mueller")}},
			[]found{
				{pseudotest.KindName, "Jürgen Müller", "Jürgen Müller", 1},
				{pseudotest.KindLogin, "juergen.mueller", "juergen.mueller", at("juergen")},
				{pseudotest.KindNumber, "+497111234567", "+497111234567", at("+49")},
			}},
		{"SDK vocabulary", `withheldunrecoverable`, nil, nil},
		{"hex token", `3001ABC7111234567F`, nil, nil},
		{"other words", `Veranstaltung`, nil, []found{{pseudotest.KindName, "Vera Hartmann", "Vera", 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.bounded, foundOf(c.Scan([]byte(tt.output)))); diff != "" {
				t.Errorf("Scan (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.binary, foundOf(c.Scan([]byte(tt.output), pseudotest.Binary()))); diff != "" {
				t.Errorf("Scan Binary (-want +got):\n%s", diff)
			}
		})
	}
	c.Ignore("veranstaltung")
	require.Empty(t, c.Scan([]byte(`Veranstaltung`), pseudotest.Binary()), "after Ignore")
}

// TestEncodingJSONWritesUTF8 pins why the raw UTF-8 forms suffice for
// encoding/json (it does not write \u00fc), and that the HTML escapes it
// does write are found.
func TestEncodingJSONWritesUTF8(t *testing.T) {
	b, err := json.Marshal(map[string]string{"name": "Jürgen Müller", "company": "Berger GmbH & Co. KG"})
	require.NoError(t, err)
	require.True(t, bytes.Contains(b, []byte("Jürgen Müller")), "encoding/json escaped a name: %s", b)
	require.False(t, bytes.Contains(b, []byte(`\u00fc`)), "%s", b)
	got := pseudotest.CountByKind(plantCorpus().Scan(b))
	if diff := cmp.Diff(map[pseudotest.Kind]int{pseudotest.KindName: 2}, got); diff != "" {
		t.Errorf("leaks in %s (-want +got):\n%s", b, diff)
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Error(args ...any) {
	r.errors = append(r.errors, fmt.Sprint(args...))
}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestAssertNoLeaks(t *testing.T) {
	c := plantCorpus()
	tests := []struct {
		name   string
		corpus *pseudotest.Corpus
		output string
		want   []string // substrings of the one failure; nil: passes
	}{
		{"clean", c, `{"name":"Person 7F3A91C2D04E-k1"}`, nil},
		{"leaks", c, `{"name":"Jürgen Müller","number":"07111234567"}`,
			[]string{"sink: 2 leaks", "(1 name, 1 number)", `name "Jürgen Müller" at byte 9: "{\"name\":\"Jürgen Müller\",\"number`, `as "07111234567"`}},
		{"empty corpus", pseudotest.NewCorpus(), `anything`, []string{"corpus is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			pseudotest.AssertNoLeaks(r, "sink", []byte(tt.output), tt.corpus)
			if tt.want == nil {
				require.Empty(t, r.errors)
				return
			}
			require.Len(t, r.errors, 1)
			for _, w := range tt.want {
				require.Contains(t, r.errors[0], w)
			}
		})
	}
}

func TestAssertNoLeaksShowsTheFirstTen(t *testing.T) {
	r := &recorder{TB: t}
	pseudotest.AssertNoLeaks(r, "sink", bytes.Repeat([]byte("Müller "), 25), plantCorpus())
	require.Len(t, r.errors, 1)
	require.Contains(t, r.errors[0], "25 leaks")
	require.Equal(t, 10, strings.Count(r.errors[0], "\n\t"), r.errors[0])
}

func TestAssertFinds(t *testing.T) {
	c := plantCorpus()
	all := pseudotest.Kinds()
	r := &recorder{TB: t}
	leaks := pseudotest.AssertFinds(r, "clear", []byte(callID+" juergen.mueller 07111234567 Berger"), c, all)
	require.Empty(t, r.errors)
	require.Len(t, leaks, 4)

	r = &recorder{TB: t}
	pseudotest.AssertFinds(r, "clear", []byte("Müller"), c, all)
	require.Len(t, r.errors, 1)
	require.Contains(t, r.errors[0], "no number, call id, login found")
}

// TestConcurrent: scans may run while values are added (run with -race).
func TestConcurrent(t *testing.T) {
	c := plantCorpus()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				c.AddName(fmt.Sprintf("Agent%02d%02d Name", i, j))
				if got := c.Scan([]byte("Müller")); len(got) != 1 {
					t.Errorf("Scan found %d leaks, want 1", len(got))
				}
			}
		})
	}
	wg.Wait()
}

// sample is two simulated days: the rows and the corpus of their personal
// values.
func sample(t testing.TB) ([]cdr.Entry, *pseudotest.Corpus) {
	cfg := sim.Config{Seed: 3, Days: 2, CallsPerDay: 200, Site: "Stuttgart"}
	var entries []cdr.Entry
	for e := range sim.Generate(cfg) {
		entries = append(entries, e)
	}
	require.NotEmpty(t, entries)
	return entries, pseudotest.CorpusFromEntries(entries, cfg.Accounts(), plan)
}

func encode(t testing.TB, entries []cdr.Entry) []byte {
	var b bytes.Buffer
	require.NoError(t, cdr.WriteJSON(&b, func(yield func(cdr.Entry) bool) {
		for _, e := range entries {
			if !yield(e) {
				return
			}
		}
	}))
	w := cdr.NewCSVWriter(&b)
	for _, e := range entries {
		require.NoError(t, w.Write(e))
	}
	require.NoError(t, w.Flush())
	return b.Bytes()
}

// TestSimulatedRows: the corpus of simulated rows finds every kind in the
// clear rows, and nothing in the same rows pseudonymised: neither the
// pseudonyms nor the SDK's field names, timestamps, ids and durations
// match by chance.
func TestSimulatedRows(t *testing.T) {
	entries, c := sample(t)
	for _, k := range pseudotest.Kinds() {
		require.Positive(t, c.Count(k), "corpus %v", k)
	}
	pseudotest.AssertFinds(t, "clear rows", encode(t, entries), c, pseudotest.Kinds())

	key, err := pseudo.GenerateKey("k1")
	require.NoError(t, err)
	p, err := pseudo.New(pseudo.WithKey(key), pseudo.WithNumberPlan(plan))
	require.NoError(t, err)
	concealed, err := pseudo.Apply(p, entries)
	require.NoError(t, err)
	pseudotest.AssertNoLeaks(t, "pseudonymised rows", encode(t, concealed), c)
}

func BenchmarkScan(b *testing.B) {
	entries, c := sample(b)
	key, err := pseudo.GenerateKey("k1")
	require.NoError(b, err)
	p, err := pseudo.New(pseudo.WithKey(key), pseudo.WithNumberPlan(plan))
	require.NoError(b, err)
	concealed, err := pseudo.Apply(p, entries)
	require.NoError(b, err)
	for _, bc := range []struct {
		name    string
		entries []cdr.Entry
	}{{"pseudonymised", concealed}, {"clear", entries}} {
		out := encode(b, bc.entries)
		b.Run(bc.name, func(b *testing.B) {
			c.Scan(out) // build the matcher outside the loop
			b.SetBytes(int64(len(out)))
			for b.Loop() {
				c.Scan(out)
			}
		})
	}
}
