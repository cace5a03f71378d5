package cdr

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestParseAccountType(t *testing.T) {
	tests := []struct {
		in      string
		want    AccountType
		wantErr bool
	}{
		{"user", AccountUser, false},
		{"USER", AccountUser, false},
		{" Agent ", AccountUser, false},
		{"Benutzer", AccountUser, false},
		{"group", AccountGroup, false},
		{"Gruppe", AccountGroup, false},
		{"IQUEUE", AccountIQueue, false},
		{"queue", AccountIQueue, false},
		{"unknown", AccountUnknown, false},
		{"", AccountUnknown, false},
		{"module", AccountUnknown, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAccountType(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestAccountTypeText(t *testing.T) {
	for _, typ := range []AccountType{AccountUnknown, AccountUser, AccountGroup, AccountIQueue} {
		t.Run(typ.String(), func(t *testing.T) {
			b, err := typ.MarshalText()
			require.NoError(t, err)
			var back AccountType
			require.NoError(t, back.UnmarshalText(b))
			require.Equal(t, typ, back)
		})
	}
	require.Equal(t, "AccountType(7)", AccountType(7).String())
	_, err := AccountType(7).MarshalText()
	require.Error(t, err)
	var typ AccountType
	require.Error(t, typ.UnmarshalText([]byte("robot")))
	require.True(t, AccountGroup.IsGroup())
	require.True(t, AccountIQueue.IsGroup())
	require.False(t, AccountUser.IsGroup())
}

func TestNewDirectoryErrors(t *testing.T) {
	tests := []struct {
		name     string
		accounts []Account
		wantMsg  string
	}{
		{"id 0", []Account{{ID: 0, Name: "x"}}, `cdr: account 0 ("x"): id must be positive, got 0`},
		{"negative id", []Account{{ID: 1}, {ID: -5}}, `cdr: account 1 (""): id must be positive, got -5`},
		{"duplicate", []Account{{ID: 7, Name: "a"}, {ID: 7, Name: "b"}}, `cdr: account 1 ("b"): duplicate id 7`},
		{"invalid type", []Account{{ID: 7, Name: "a", Type: 9}}, `cdr: account 0 ("a"): invalid type 9`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDirectory(tt.accounts...)
			require.Nil(t, d)
			require.EqualError(t, err, tt.wantMsg)
		})
	}
}

func TestDirectory(t *testing.T) {
	anna := Account{ID: 1001, Type: AccountUser, Name: "Anna"}
	support := Account{ID: 2001, Type: AccountIQueue, Name: "Support", IQueueSize: 10}
	d, err := NewDirectory(support, anna)
	require.NoError(t, err)

	tests := []struct {
		name  string
		dir   *Directory
		id    AccountID
		want  Account
		known bool
	}{
		{"known user", d, 1001, anna, true},
		{"known iqueue", d, 2001, support, true},
		{"deleted account gets a placeholder", d, 1234, Account{ID: 1234, Type: AccountUnknown, Name: "Deleted account 1234", Placeholder: true}, false},
		{"external party", d, 0, Account{}, false},
		{"nil directory", nil, 5, Account{ID: 5, Name: "Deleted account 5", Placeholder: true}, false},
		{"zero directory", &Directory{}, 5, Account{ID: 5, Name: "Deleted account 5", Placeholder: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.dir.Lookup(tt.id)); diff != "" {
				t.Errorf("Lookup(%d) mismatch (-want +got):\n%s", tt.id, diff)
			}
			require.Equal(t, tt.known, tt.dir.Known(tt.id))
		})
	}
	if diff := cmp.Diff([]Account{anna, support}, d.Accounts()); diff != "" {
		t.Errorf("Accounts mismatch (-want +got):\n%s", diff)
	}
	require.Equal(t, 2, d.Len())
	var nilDir *Directory
	require.Equal(t, 0, nilDir.Len())
	require.Nil(t, nilDir.Accounts())
	require.True(t, AccountID(0).External())
	require.False(t, AccountID(1).External())
	require.Equal(t, "1001", AccountID(1001).String())
}

func TestAccountJSON(t *testing.T) {
	a := Account{ID: 2001, Type: AccountIQueue, Name: "Support", IQueueSize: 10, MaxWait: 120e9}
	b, err := json.Marshal(a)
	require.NoError(t, err)
	require.JSONEq(t, `{"id":2001,"type":"iqueue","name":"Support","iqueueSize":10,"maxWait":120000000000}`, string(b))
	var back Account
	require.NoError(t, json.Unmarshal(b, &back))
	if diff := cmp.Diff(a, back); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestEntryCausedByAccount(t *testing.T) {
	tests := []struct {
		in   string
		want AccountID
		ok   bool
	}{
		{"1001", 1001, true},
		{"0", 0, true},
		{"", 0, false},
		{"ivr-1", 0, false},
		{"-5", 0, false},
		{"999999999999999999", 999999999999999999, true},
		{"9999999999999999999", 0, false}, // would overflow
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e := Entry{CallResultCausedBy: tt.in}
			got, ok := e.CausedByAccount()
			require.Equal(t, []any{tt.want, tt.ok}, []any{got, ok})
		})
	}
}
