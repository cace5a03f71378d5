package sqlsink_test

import (
	"context"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/sqlsink"
)

// TestLatestLoginStates: the latest entry of every user and member, from
// a history written over several batches, in every database.
func TestLatestLoginStates(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	batches := [][]live.UserLoginState{
		{{At: at(0), Site: "HQ", AccountID: 11}, {At: at(0), Site: "HQ", AccountID: 12}, {At: at(0), Site: "B", AccountID: 11, DND: true}},
		{{At: at(5), Site: "HQ", AccountID: 11, DND: true}},
		{{At: at(9), Site: "HQ", AccountID: 11, AlwaysForward: true}, {At: at(7), Site: "B", AccountID: 11}},
	}
	members := [][]live.MemberLoginState{
		{{At: at(0), Site: "HQ", GroupID: 200, UserID: 11, LoggedIn: true}, {At: at(0), Site: "HQ", GroupID: 201, UserID: 11}},
		{{At: at(3), Site: "HQ", GroupID: 200, UserID: 11}},
	}
	wantUsers := []live.UserLoginState{
		{At: at(7), Site: "B", AccountID: 11},
		{At: at(9), Site: "HQ", AccountID: 11, AlwaysForward: true},
		{At: at(0), Site: "HQ", AccountID: 12},
	}
	wantMembers := []live.MemberLoginState{
		{At: at(3), Site: "HQ", GroupID: 200, UserID: 11},
		{At: at(0), Site: "HQ", GroupID: 201, UserID: 11},
	}
	for _, dbase := range databases {
		t.Run(dbase.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := newSink(t, dbase)
			_, err := s.Migrate(ctx)
			require.NoError(t, err)
			u, m, err := s.LatestLoginStates(ctx)
			require.NoError(t, err)
			require.Empty(t, u)
			require.Empty(t, m)
			for i, b := range batches {
				var mb []live.MemberLoginState
				if i < len(members) {
					mb = members[i]
				}
				_, err := s.Write(ctx, sqlsink.Batch{UserLoginStates: b, MemberLoginStates: mb})
				require.NoError(t, err)
			}
			u, m, err = s.LatestLoginStates(ctx)
			require.NoError(t, err)
			if diff := gocmp.Diff(wantUsers, u); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
			if diff := gocmp.Diff(wantMembers, m); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
		})
	}
}
