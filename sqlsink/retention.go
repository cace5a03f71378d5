package sqlsink

import (
	"context"
	"fmt"
	"time"
)

// PruneLoginStates deletes the login-state history older than before: the
// rows of user_login_states and member_login_states whose at is earlier
// than before (a row at before stays). Both tables are pruned in one
// transaction, so a failure deletes nothing. It returns the number of rows
// deleted. A zero before deletes nothing.
//
// The sink never deletes anything by itself (DOMAIN.md §6): the history
// grows fast, and how long to keep it is the customer's decision, so
// pruning happens only when the caller calls this. No other table is
// touched.
func (s *Sink) PruneLoginStates(ctx context.Context, before time.Time) (int64, error) {
	if before.IsZero() {
		return 0, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlsink: prune login states: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	var n int64
	for _, name := range []string{TableUserLoginStates, TableMemberLoginStates} {
		table := s.prefix + name
		q := "DELETE FROM " + s.d.Quote(table) + " WHERE " + s.d.Quote("at") + " < " + s.d.Placeholder(1)
		res, err := tx.ExecContext(ctx, q, s.d.BindTime(before))
		if err != nil {
			return 0, fmt.Errorf("sqlsink: prune table %s before %s: %w", table, before.UTC().Format(time.RFC3339Nano), err)
		}
		m, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("sqlsink: prune table %s: rows deleted: %w", table, err)
		}
		n += m
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlsink: prune login states: commit: %w", err)
	}
	return n, nil
}
