package sqlsink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
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

// PipelineState is what a pipeline needs to resume exactly where it
// stopped: its cursor in the source and the state of its call assembler
// (the rows of calls still open), opaque to the sink. Write stores it in
// the batch's transaction, with the calls it covers.
type PipelineState struct {
	Name      string
	Site      string
	Cursor    int64
	State     string
	UpdatedAt time.Time
}

// PipelineState returns the state of the named pipeline and site, and
// false when none was written yet.
func (s *Sink) PipelineState(ctx context.Context, name, site string) (PipelineState, bool, error) {
	d := s.d
	q := "SELECT " + d.Quote("cursor") + ", " + d.Quote("state") + ", " + d.Quote("updated_at") + " FROM " + d.Quote(s.prefix+TablePipelineStates) +
		" WHERE " + d.Quote("name") + " = " + d.Placeholder(1) + " AND " + d.Quote("site") + " = " + d.Placeholder(2)
	fail := func(err error) (PipelineState, bool, error) {
		return PipelineState{}, false, fmt.Errorf("sqlsink: pipeline state %q (site %q): %w", name, site, err)
	}
	bname, err := d.BindText(name, true)
	if err != nil {
		return fail(err)
	}
	bsite, err := d.BindText(site, true)
	if err != nil {
		return fail(err)
	}
	ps := PipelineState{Name: name, Site: site}
	var at any
	var state string
	err = s.db.QueryRowContext(ctx, q, bname, bsite).Scan(&ps.Cursor, &state, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return PipelineState{}, false, nil
	}
	if err != nil {
		return fail(err)
	}
	ps.State = DecodeText(state)
	if ps.UpdatedAt, err = scanTime(at); err != nil {
		return fail(fmt.Errorf("updated_at: %w", err))
	}
	return ps, true, nil
}
