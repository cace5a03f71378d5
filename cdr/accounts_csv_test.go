package cdr

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestReadAccountsCSV(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []Account
	}{
		{
			name: "full header, quoted, CRLF",
			data: "\"id\";\"type\";\"name\";\"login\";\"samaccountname\";\"site\";\"iqueuesize\";\"maxwait\"\r\n" +
				"\"1001\";\"user\";\"Anna Agent\";\"anna\";\"a.agent\";\"stuttgart\";\"\";\"\"\r\n" +
				"\"2001\";\"IQUEUE\";\"Support; 1st \"\"level\"\"\";\"\";\"\";\"stuttgart\";\"10\";\"2m0s\"\r\n",
			want: []Account{
				{ID: 1001, Type: AccountUser, Name: "Anna Agent", Login: "anna", SAMAccountName: "a.agent", Site: "stuttgart"},
				{ID: 2001, Type: AccountIQueue, Name: `Support; 1st "level"`, Site: "stuttgart", IQueueSize: 10, MaxWait: 2 * time.Minute},
			},
		},
		{
			name: "required columns only, reordered, extra column, BOM",
			data: "\ufeffType;comment;ID\ngroup;x;2002\nagent;;1002\n",
			want: []Account{{ID: 2002, Type: AccountGroup}, {ID: 1002, Type: AccountUser}},
		},
		{
			name: "maxwait in seconds",
			data: "id;type;maxwait\n2001;iqueue;90\n2002;iqueue; 1h30m \n",
			want: []Account{{ID: 2001, Type: AccountIQueue, MaxWait: 90 * time.Second}, {ID: 2002, Type: AccountIQueue, MaxWait: 90 * time.Minute}},
		},
		{
			name: "empty type is unknown",
			data: "id;type\n5;\n",
			want: []Account{{ID: 5}},
		},
		{
			name: "header only",
			data: "id;type\n",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadAccountsCSV(strings.NewReader(tt.data))
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadAccountsCSVErrors(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		wantLine   int
		wantColumn string
		wantMsg    string
	}{
		{"bad type", "id;type\n1;user\n2;robot\n", 3, "type", `cdr: line 3, column "type": invalid account type "robot": want user, group or iqueue`},
		{"bad id", "id;type\nx;user\n", 2, "id", `cdr: line 2, column "id": invalid integer "x": invalid syntax`},
		{"empty id", "id;type\n;user\n", 2, "id", `cdr: line 2, column "id": missing account id`},
		{"bad iqueuesize", "id;type;IQueueSize\n1;iqueue;ten\n", 2, "IQueueSize", `cdr: line 2, column "IQueueSize": invalid integer "ten": invalid syntax`},
		{"bad maxwait", "id;type;maxwait\n1;iqueue;soon\n", 2, "maxwait", `cdr: line 2, column "maxwait": invalid duration "soon": want e.g. 2m0s or seconds`},
		{"maxwait overflow", "id;type;maxwait\n1;iqueue;99999999999999\n", 2, "maxwait", `cdr: line 2, column "maxwait": invalid duration "99999999999999": value out of range`},
		{"wrong field count", "id;type\n1;user;x\n", 2, "", `cdr: line 2: wrong number of fields: got 3, want 2`},
		{"broken quote", "id;type\n\n\"1;user\n", 3, "", `cdr: line 3: missing closing " in quoted value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadAccountsCSV(strings.NewReader(tt.data))
			require.Error(t, err)
			require.Nil(t, got)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			if diff := cmp.Diff([]any{tt.wantLine, tt.wantColumn, tt.wantMsg}, []any{pe.Line, pe.Column, err.Error()}); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadAccountsCSVMissingColumns(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"empty file", "", []string{"id", "type"}},
		{"no type", "id;name\n1;x\n", []string{"type"}},
		{"neither", "name\nx\n", []string{"id", "type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadAccountsCSV(strings.NewReader(tt.data))
			var mc *MissingColumnError
			require.ErrorAs(t, err, &mc)
			if diff := cmp.Diff(tt.want, mc.Columns); diff != "" {
				t.Errorf("Columns mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAccountsCSVRoundTrip(t *testing.T) {
	accounts := []Account{
		{ID: 1001, Type: AccountUser, Name: "Anna \"Annie\" Agent", Login: "anna", SAMAccountName: "CORP\\anna", Site: "Köln"},
		{ID: 2001, Type: AccountGroup, Name: "Sales;DE"},
		{ID: 3001, Type: AccountIQueue, Name: "Support", IQueueSize: 12, MaxWait: 150 * time.Second},
		{ID: 4001, Type: AccountUnknown, Name: "line\r\nbreak", MaxWait: -time.Second},
	}
	var buf bytes.Buffer
	require.NoError(t, WriteAccountsCSV(&buf, accounts))
	require.True(t, strings.HasPrefix(buf.String(), `"id";"type";"name";"login";"samaccountname";"site";"iqueuesize";"maxwait"`+"\r\n"))
	require.Contains(t, buf.String(), `"3001";"iqueue";"Support";"";"";"";"12";"2m30s"`+"\r\n")
	got, err := ReadAccountsCSV(&buf)
	require.NoError(t, err)
	if diff := cmp.Diff(accounts, got); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	// The result feeds a directory directly.
	d, err := NewDirectory(got...)
	require.NoError(t, err)
	require.Equal(t, 4, d.Len())
}

func TestWriteAccountsCSVErrors(t *testing.T) {
	t.Run("no accounts writes the header", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, WriteAccountsCSV(&buf, nil))
		got, err := ReadAccountsCSV(&buf)
		require.NoError(t, err)
		require.Empty(t, got)
	})
	t.Run("invalid type", func(t *testing.T) {
		var buf bytes.Buffer
		err := WriteAccountsCSV(&buf, []Account{{ID: 1, Type: 9}})
		require.ErrorContains(t, err, "account 1")
	})
	t.Run("write error", func(t *testing.T) {
		boom := errors.New("pipe closed")
		require.ErrorIs(t, WriteAccountsCSV(errWriter{boom}, []Account{{ID: 1}}), boom)
	})
}
