package callflow

import "strings"

// LateRowsSuffix ends the call id under which [KeepLateRowsApart] stores a
// call with FlagLateRows.
const LateRowsSuffix = "#late"

// KeepLateRowsApart returns c unchanged unless it has FlagLateRows; then it
// returns a copy whose call id, in the journey and every leg, ends in
// LateRowsSuffix.
//
// Rows that come after the Assembler forgot their call (its retention,
// 4 hours by default) become a call of their own under the same call id,
// holding only those rows. A consumer that upserts by site and call id
// would replace the complete call it stored earlier with them, and lose
// its legs. Under the suffixed id they are stored beside it, counted apart
// as [Today] counts them; a re-emission of them replaces them as usual.
//
// Apply it only when the stored call under that id has no FlagLateRows: a
// whole call read late (an old export dropped in later) keeps its id, and
// so does its re-emission. Package sqlsink and powerbi's outbox do so.
// Call it after pseudonymising: the suffix then follows the pseudonym, and
// the two stored calls still share their prefix.
func KeepLateRowsApart(c Call) Call {
	if c.Journey.Flags&FlagLateRows == 0 || strings.HasSuffix(c.Journey.CallID, LateRowsSuffix) {
		return c
	}
	c.Journey.CallID += LateRowsSuffix
	legs := make([]Leg, len(c.Legs))
	copy(legs, c.Legs)
	for i := range legs {
		legs[i].CallID += LateRowsSuffix
	}
	c.Legs = legs
	return c
}
