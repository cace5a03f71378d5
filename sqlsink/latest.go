package sqlsink

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
)

// LatestLoginStates returns the latest entry of every user in
// user_login_states (by site and account id) and of every group member in
// member_login_states (by site, group and user), in that order: what a
// live.LoginHistory is seeded with when a process starts, so that states
// unchanged across a restart are not recorded again.
func (s *Sink) LatestLoginStates(ctx context.Context) ([]live.UserLoginState, []live.MemberLoginState, error) {
	users, err := latest(ctx, s, TableUserLoginStates, userLoginDecoders, []string{"site", "account_id"},
		func(u *live.UserLoginState) []any { return []any{u.Site, u.AccountID, u.At} },
		func(a, b *live.UserLoginState) int {
			return cmp.Or(strings.Compare(a.Site, b.Site), cmp.Compare(a.AccountID, b.AccountID))
		})
	if err != nil {
		return nil, nil, err
	}
	members, err := latest(ctx, s, TableMemberLoginStates, memberLoginDecoders, []string{"site", "group_id", "user_id"},
		func(m *live.MemberLoginState) []any { return []any{m.Site, m.GroupID, m.UserID, m.At} },
		func(a, b *live.MemberLoginState) int {
			return cmp.Or(strings.Compare(a.Site, b.Site), cmp.Compare(a.GroupID, b.GroupID), cmp.Compare(a.UserID, b.UserID))
		})
	if err != nil {
		return nil, nil, err
	}
	return users, members, nil
}

var userLoginDecoders = []decoder[live.UserLoginState]{
	decText("site", func(u *live.UserLoginState, s string) { u.Site = s }),
	decAccount("account_id", func(u *live.UserLoginState, a cdr.AccountID) { u.AccountID = a }),
	decTime("at", func(u *live.UserLoginState, t time.Time) { u.At = t }),
	decBool("dnd", func(u *live.UserLoginState, b bool) { u.DND = b }),
	decBool("always_forward", func(u *live.UserLoginState, b bool) { u.AlwaysForward = b }),
}

var memberLoginDecoders = []decoder[live.MemberLoginState]{
	decText("site", func(m *live.MemberLoginState, s string) { m.Site = s }),
	decAccount("group_id", func(m *live.MemberLoginState, a cdr.AccountID) { m.GroupID = a }),
	decAccount("user_id", func(m *live.MemberLoginState, a cdr.AccountID) { m.UserID = a }),
	decTime("at", func(m *live.MemberLoginState, t time.Time) { m.At = t }),
	decBool("logged_in", func(m *live.MemberLoginState, b bool) { m.LoggedIn = b }),
}

// latest reads the rows of a history table whose at is the latest of
// their key (keyCols), with a correlated subquery every dialect runs, and
// sorts them by less.
func latest[T any](ctx context.Context, s *Sink, name string, ds []decoder[T], keyCols []string, key func(*T) []any, less func(a, b *T) int) ([]T, error) {
	d := s.d
	table := s.prefix + name
	cols := decoderColumns(ds)
	var q strings.Builder
	q.WriteString("SELECT ")
	selectList(d, &q, "x.", cols)
	q.WriteString(" FROM " + d.Quote(table) + " x WHERE x." + d.Quote("at") + " = (SELECT MAX(y." + d.Quote("at") + ") FROM " + d.Quote(table) + " y WHERE ")
	for i, c := range keyCols {
		if i > 0 {
			q.WriteString(" AND ")
		}
		q.WriteString("y." + d.Quote(c) + " = x." + d.Quote(c))
	}
	q.WriteString(")")
	rows, err := s.db.QueryContext(ctx, q.String())
	if err != nil {
		return nil, fmt.Errorf("sqlsink: read %s: %w", table, err)
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []T
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("sqlsink: read %s: %w", table, err)
		}
		var r T
		if err := decode(table, ds, vals, &r, func() string { return rawKey(key(&r)...) }); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlsink: read %s: %w", table, err)
	}
	slices.SortFunc(out, func(a, b T) int { return less(&a, &b) })
	return out, nil
}
