package sqlsink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Checkpoint returns the checkpoint of the named export and site, and
// false when none was written yet.
func (s *Sink) Checkpoint(ctx context.Context, name, site string) (Checkpoint, bool, error) {
	d := s.d
	q := "SELECT " + d.Quote("cursor") + ", " + d.Quote("updated_at") + " FROM " + d.Quote(s.prefix+TableCheckpoints) +
		" WHERE " + d.Quote("name") + " = " + d.Placeholder(1) + " AND " + d.Quote("site") + " = " + d.Placeholder(2)
	cp := Checkpoint{Name: name, Site: site}
	// The key as Write bound it (see EncodedPrefix).
	bname, err := d.BindText(name, true)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("sqlsink: checkpoint %q (site %q): %w", name, site, err)
	}
	bsite, err := d.BindText(site, true)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("sqlsink: checkpoint %q (site %q): %w", name, site, err)
	}
	var at any
	err = s.db.QueryRowContext(ctx, q, bname, bsite).Scan(&cp.Cursor, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("sqlsink: checkpoint %q (site %q): %w", name, site, err)
	}
	if cp.UpdatedAt, err = scanTime(at); err != nil {
		return Checkpoint{}, false, fmt.Errorf("sqlsink: checkpoint %q (site %q): updated_at: %w", name, site, err)
	}
	return cp, true, nil
}
