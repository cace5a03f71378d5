package cdr

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AccountID is a STARFACE account id. Zero means "no account": an external
// party in calleraccountid / calledaccountid.
type AccountID int64

// External reports whether id denotes an external party (no account).
func (id AccountID) External() bool { return id == 0 }

// String returns the decimal id.
func (id AccountID) String() string { return strconv.FormatInt(int64(id), 10) }

// AccountType is the kind of a STARFACE account.
type AccountType uint8

// The account types. A group rings its members; an iQueue is a group with a
// waiting queue, announcements and a maximum wait.
const (
	AccountUnknown AccountType = iota // a placeholder for an id missing from the directory
	AccountUser
	AccountGroup
	AccountIQueue
)

var accountTypeNames = [...]string{"unknown", "user", "group", "iqueue"}

// String returns "user", "group", "iqueue" or "unknown".
func (t AccountType) String() string {
	if int(t) < len(accountTypeNames) {
		return accountTypeNames[t]
	}
	return "AccountType(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (t AccountType) MarshalText() ([]byte, error) {
	if int(t) >= len(accountTypeNames) {
		return nil, fmt.Errorf("cdr: invalid account type %d", t)
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts the names
// String returns, case-insensitively, and STARFACE's USER / GROUP / IQUEUE.
func (t *AccountType) UnmarshalText(b []byte) error {
	v, err := ParseAccountType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// ParseAccountType parses an account type name.
func ParseAccountType(s string) (AccountType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "user", "agent", "benutzer":
		return AccountUser, nil
	case "group", "gruppe":
		return AccountGroup, nil
	case "iqueue", "queue":
		return AccountIQueue, nil
	case "unknown", "":
		return AccountUnknown, nil
	}
	return AccountUnknown, fmt.Errorf("cdr: unknown account type %q (want user, group or iqueue)", s)
}

// IsGroup reports whether calls to an account of this type ring members
// (groups and iQueues).
func (t AccountType) IsGroup() bool { return t == AccountGroup || t == AccountIQueue }

// Account is a STARFACE account: a user (agent), a group or an iQueue.
// The zero value is an unknown account with id 0.
type Account struct {
	ID             AccountID     `json:"id"`
	Type           AccountType   `json:"type"`
	Name           string        `json:"name,omitempty"`
	Login          string        `json:"login,omitempty"`
	SAMAccountName string        `json:"samAccountName,omitempty"`
	Site           string        `json:"site,omitempty"`
	IQueueSize     int           `json:"iqueueSize,omitempty"` // maximum callers waiting; iQueues only
	MaxWait        time.Duration `json:"maxWait,omitempty"`    // maximum wait before the queue gives up; iQueues only
	// Placeholder is true for an account the directory did not know: a
	// deleted or never-exported account. Rows that name it are kept.
	Placeholder bool `json:"placeholder,omitempty"`
}

// PlaceholderName is the name given to accounts missing from a directory.
func PlaceholderName(id AccountID) string { return "Deleted account " + id.String() }

// Directory looks accounts up by id. It is immutable once built and safe for
// concurrent use. The zero value is an empty directory.
type Directory struct {
	byID map[AccountID]Account
}

// NewDirectory builds a directory. It refuses id 0, negative ids and
// duplicate ids, naming the offending account.
func NewDirectory(accounts ...Account) (*Directory, error) {
	d := &Directory{byID: make(map[AccountID]Account, len(accounts))}
	for i, a := range accounts {
		if a.ID <= 0 {
			return nil, fmt.Errorf("cdr: account %d (%q): id must be positive, got %d", i, a.Name, a.ID)
		}
		if _, dup := d.byID[a.ID]; dup {
			return nil, fmt.Errorf("cdr: account %d (%q): duplicate id %d", i, a.Name, a.ID)
		}
		if a.Type > AccountIQueue {
			return nil, fmt.Errorf("cdr: account %d (%q): invalid type %d", i, a.Name, a.Type)
		}
		d.byID[a.ID] = a
	}
	return d, nil
}

// Lookup returns the account with the given id. An unknown id yields a
// placeholder account (Placeholder true, type unknown, a "Deleted account"
// name) so that rows naming it are never dropped. Lookup(0) returns the zero
// Account: the external party.
func (d *Directory) Lookup(id AccountID) Account {
	if id == 0 {
		return Account{}
	}
	if d != nil {
		if a, ok := d.byID[id]; ok {
			return a
		}
	}
	return Account{ID: id, Type: AccountUnknown, Name: PlaceholderName(id), Placeholder: true}
}

// Known reports whether the directory holds id.
func (d *Directory) Known(id AccountID) bool {
	if d == nil {
		return false
	}
	_, ok := d.byID[id]
	return ok
}

// Len returns the number of accounts.
func (d *Directory) Len() int {
	if d == nil {
		return 0
	}
	return len(d.byID)
}

// Accounts returns the accounts ordered by id.
func (d *Directory) Accounts() []Account {
	if d == nil {
		return nil
	}
	out := make([]Account, 0, len(d.byID))
	for _, a := range d.byID {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Account) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
