// Package cdr models STARFACE accounts and raw call-list entries and reads
// them from STARFACE's CSV export ("Verbindungsdaten exportieren"), from the
// PBX database table cdrdata, and from a JSON form.
//
// Readers stream (iter.Seq2[Entry, error]) with memory bounded by one row or
// one batch, never by the file. A bad value yields a *ParseError (files:
// line and column) or a *DBError (the cdrdata table: row id and column), and
// reading goes on with the next row. A missing required column stops
// reading with one error that matches errors.Is(err, ErrMissingColumn).
//
// Caller-id strings ("Anna Agent (12)") are split into name and number
// ([CallerID]); numbers are normalised to E.164 with a [NumberPlan], internal
// extensions recognised as such. A [Directory] looks accounts up; an id it
// does not know yields a placeholder account, so no row is ever dropped.
package cdr
