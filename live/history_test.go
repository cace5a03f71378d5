package live_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
)

var histT0 = time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)

func histAt(poll int) time.Time { return histT0.Add(time.Duration(poll) * 15 * time.Second) }

func histUser(poll int, site string, id cdr.AccountID, dnd, fwd bool) live.UserLoginState {
	return live.UserLoginState{At: histAt(poll), Site: site, AccountID: id, DND: dnd, AlwaysForward: fwd}
}

func histMember(poll int, group, user cdr.AccountID, in bool) live.MemberLoginState {
	return live.MemberLoginState{At: histAt(poll), GroupID: group, UserID: user, LoggedIn: in}
}

type histPoll struct {
	users   []live.UserLoginState
	members []live.MemberLoginState
}

func TestLoginHistoryChanges(t *testing.T) {
	tests := []struct {
		name  string
		seed  histPoll
		polls []histPoll
		want  []histPoll // the changes of each poll
	}{
		{
			name: "first observation, then only changes",
			polls: []histPoll{
				{[]live.UserLoginState{histUser(0, "", 1, false, false), histUser(0, "", 2, true, false)}, []live.MemberLoginState{histMember(0, 100, 1, true)}},
				{[]live.UserLoginState{histUser(1, "", 1, false, false), histUser(1, "", 2, true, false)}, []live.MemberLoginState{histMember(1, 100, 1, true)}},
				{[]live.UserLoginState{histUser(2, "", 1, true, false), histUser(2, "", 2, true, false)}, []live.MemberLoginState{histMember(2, 100, 1, false)}},
				{[]live.UserLoginState{histUser(3, "", 1, true, true), histUser(3, "", 2, true, false)}, []live.MemberLoginState{histMember(3, 100, 1, false)}},
			},
			want: []histPoll{
				{[]live.UserLoginState{histUser(0, "", 1, false, false), histUser(0, "", 2, true, false)}, []live.MemberLoginState{histMember(0, 100, 1, true)}},
				{},
				{[]live.UserLoginState{histUser(2, "", 1, true, false)}, []live.MemberLoginState{histMember(2, 100, 1, false)}},
				{[]live.UserLoginState{histUser(3, "", 1, true, true)}, nil},
			},
		},
		{
			name: "missing from a poll is not a change",
			polls: []histPoll{
				{[]live.UserLoginState{histUser(0, "", 1, true, false)}, []live.MemberLoginState{histMember(0, 100, 1, true)}},
				{nil, nil},
				{[]live.UserLoginState{histUser(2, "", 1, true, false)}, []live.MemberLoginState{histMember(2, 100, 1, true)}},
			},
			want: []histPoll{
				{[]live.UserLoginState{histUser(0, "", 1, true, false)}, []live.MemberLoginState{histMember(0, 100, 1, true)}},
				{}, {},
			},
		},
		{
			name: "sites and groups are told apart",
			polls: []histPoll{
				{[]live.UserLoginState{histUser(0, "a", 1, false, false), histUser(0, "b", 1, false, false)}, []live.MemberLoginState{histMember(0, 100, 1, true), histMember(0, 200, 1, true)}},
				{[]live.UserLoginState{histUser(1, "a", 1, false, false), histUser(1, "b", 1, true, false)}, []live.MemberLoginState{histMember(1, 100, 1, true), histMember(1, 200, 1, false)}},
			},
			want: []histPoll{
				{[]live.UserLoginState{histUser(0, "a", 1, false, false), histUser(0, "b", 1, false, false)}, []live.MemberLoginState{histMember(0, 100, 1, true), histMember(0, 200, 1, true)}},
				{[]live.UserLoginState{histUser(1, "b", 1, true, false)}, []live.MemberLoginState{histMember(1, 200, 1, false)}},
			},
		},
		{
			name: "seeded states are not recorded again",
			seed: histPoll{[]live.UserLoginState{histUser(-100, "", 1, true, false)}, []live.MemberLoginState{histMember(-100, 100, 1, false)}},
			polls: []histPoll{
				{[]live.UserLoginState{histUser(0, "", 1, true, false), histUser(0, "", 2, false, false)}, []live.MemberLoginState{histMember(0, 100, 1, true)}},
			},
			want: []histPoll{
				{[]live.UserLoginState{histUser(0, "", 2, false, false)}, []live.MemberLoginState{histMember(0, 100, 1, true)}},
			},
		},
		{
			name: "listed twice in one poll: compared in order",
			polls: []histPoll{
				{[]live.UserLoginState{histUser(0, "", 1, false, false), histUser(0, "", 1, false, false), histUser(0, "", 1, true, false)}, nil},
				{[]live.UserLoginState{histUser(1, "", 1, true, false)}, nil},
			},
			want: []histPoll{
				{[]live.UserLoginState{histUser(0, "", 1, false, false), histUser(0, "", 1, true, false)}, nil},
				{},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Len(t, tt.want, len(tt.polls))
			var h live.LoginHistory // the zero value is ready
			h.Seed(tt.seed.users, tt.seed.members)
			for i, p := range tt.polls {
				u, m := h.Changes(p.users, p.members)
				if diff := cmp.Diff(tt.want[i].users, u); diff != "" {
					t.Errorf("poll %d users (-want +got):\n%s", i, diff)
				}
				if diff := cmp.Diff(tt.want[i].members, m); diff != "" {
					t.Errorf("poll %d members (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestLoginHistoryRecordKeepsChangesUntilStored(t *testing.T) {
	var h live.LoginHistory
	var stored []live.UserLoginState
	calls := 0
	failNext := true
	store := func(_ context.Context, u []live.UserLoginState, _ []live.MemberLoginState) error {
		calls++
		if failNext {
			failNext = false
			return errors.New("database down")
		}
		stored = append(stored, u...)
		return nil
	}
	ctx := t.Context()
	polls := [][]live.UserLoginState{
		{histUser(0, "", 1, true, false)},  // store fails
		{histUser(1, "", 1, true, false)},  // the same change again, stored
		{histUser(2, "", 1, true, false)},  // unchanged: store not called
		{histUser(3, "", 1, false, false)}, // a change, stored
	}
	wantErr := []bool{true, false, false, false}
	for i, p := range polls {
		err := h.Record(ctx, p, nil, store)
		require.Equal(t, wantErr[i], err != nil, "poll %d: err = %v", i, err)
	}
	want := []live.UserLoginState{histUser(1, "", 1, true, false), histUser(3, "", 1, false, false)}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("stored history (-want +got):\n%s", diff)
	}
	require.Equal(t, 3, calls, "store calls")
}

func TestLoginHistoryConcurrent(t *testing.T) {
	var h live.LoginHistory
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				u, _ := h.Changes([]live.UserLoginState{histUser(i, "", cdr.AccountID(g), i%2 == 0, false)}, nil)
				mu.Lock()
				total += len(u)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// Each user alternates, so every poll of it is a change.
	require.Equal(t, 8*50, total)
}

func ExampleLoginHistory() {
	var h live.LoginHistory
	at := time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)
	polls := [][]live.UserLoginState{
		{{At: at, AccountID: 7}},
		{{At: at.Add(15 * time.Second), AccountID: 7}},
		{{At: at.Add(30 * time.Second), AccountID: 7, DND: true}},
		{{At: at.Add(45 * time.Second), AccountID: 7, DND: true}},
	}
	for _, p := range polls {
		changes, _ := h.Changes(p, nil)
		for _, c := range changes {
			fmt.Printf("%s user %d dnd=%t forward=%t\n", c.At.Format("15:04:05"), c.AccountID, c.DND, c.AlwaysForward)
		}
	}
	// Output:
	// 08:00:00 user 7 dnd=false forward=false
	// 08:00:30 user 7 dnd=true forward=false
}
