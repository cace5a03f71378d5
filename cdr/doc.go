// Package cdr models STARFACE accounts and raw call-list entries and reads
// them from the PBX's call list.
//
// An [Entry] is one raw row: one account's view of one step of one
// physical call. A call has several rows, and all of them share its
// CallID; package callflow turns them into legs and journeys. An
// [Account] is a user (agent), a group or an iQueue. A [Directory] looks
// accounts up; an id it does not know yields a placeholder account, so no
// row is ever dropped.
//
// Caller-id strings ("Anna Agent (12)") are split into name and number
// ([ParseCallerID]); a [NumberPlan] normalises numbers to E.164 and
// recognises internal extensions.
//
// # Reading
//
// Each reader returns an iter.Seq2[Entry, error] to range over once:
//
//   - [ReadCSV] reads STARFACE's CSV export ("Verbindungsdaten
//     exportieren"): ';'-separated, columns found by header name, unknown
//     ones ignored. [WithSite] names the PBX the rows come from.
//   - [ReadDB] reads the PBX database table cdrdata ([WithTable]) through
//     any database/sql driver, in id order and in batches. It only reads;
//     [WithAfterID] continues after the last id read.
//   - [ReadJSON] reads newline-delimited JSON as [WriteJSON] writes it.
//
// [NewCSVWriter] writes the export form back. [ReadAccountsCSV] and
// [WriteAccountsCSV] read and write an accounts file.
//
//	for e, err := range cdr.ReadCSV(f, cdr.WithSite("stuttgart")) {
//		// use e and err as under Errors
//	}
//
// # Errors
//
// A bad value does not stop a reader. It yields the error with an Entry
// that holds every field that did parse, and goes on with the next row.
// The error is a [*ParseError] for a file (line, column, value) or a
// [*DBError] for the table (row id, column, value); several bad columns of
// one row are joined with errors.Join, and errors.As finds the first. A
// malformed record yields a zero Entry and a *ParseError naming the line
// (a malformed CSV header ends reading).
//
// A missing required column (id, callid, cdraccountid, calleraccountid,
// calledaccountid, starttime) ends reading with one error that matches
// [ErrMissingColumn]: a [*MissingColumnError] from ReadCSV, *DBErrors
// from ReadDB. A read error, a failing query, a cancelled context or a
// row id ReadDB cannot read ends reading with a plain wrapped error. So
// one check order fits every reader:
//
//	var pe *cdr.ParseError
//	var de *cdr.DBError
//	switch {
//	case errors.Is(err, cdr.ErrMissingColumn):
//		return fmt.Errorf("not a STARFACE call list: %w", err)
//	case errors.As(err, &pe):
//		log.Printf("line %d, column %s: %v", pe.Line, pe.Column, pe.Err)
//	case errors.As(err, &de):
//		log.Printf("row id %d, column %s: %v", de.ID, de.Column, de.Err)
//	case err != nil:
//		return err
//	}
//
// # Time zones
//
// STARFACE writes local wall times. ReadCSV reads them in [WithLocation],
// ReadDB reads zoneless timestamps and text in [WithDBLocation]; both
// default to Europe/Berlin, whose zone data is compiled in (time/tzdata).
// Epoch milliseconds (the cdrdata form) and zoned values keep their
// instant and are only shown in that zone. JSON times carry their offset.
//
// At the autumn change a wall time such as 02:30 happens twice. ReadCSV
// applies rule X5 (docs/interpretation.md): starttime takes the first
// (summer-time) reading, and the row's other times the reading at or after
// starttime closest to it. ReadDB does not: it reads a zoneless time in
// that hour as time.Date does, which does not promise either reading. A
// wall time in the hour skipped in spring is normalised as time.Date does
// (02:30 CET is 03:30 CEST).
//
// # Ids and reading again
//
// The readers keep no state and make up no ids: the same input yields the
// same entries. Entry.ID is the PBX's running entry id, ReadDB's cursor:
// record the ID of the last entry yielded, also one that came with an
// error, and pass it to [WithAfterID]. Deleted rows (Entry.Deleted) are
// yielded too. Package sqlsink keys a leg on site, call id and leg
// number, so a call read and written twice is stored there once.
//
// # Privacy
//
// Entries and accounts hold personal data (DOMAIN.md §4): both caller ids
// (names and numbers), the callback number, the login, the call id, leg
// uuid and channel name (they may embed a name or number), a
// callresultcausedby that is not an account id, and an account's name,
// login and SAM account name. This package conceals nothing; package
// [github.com/starinsight/starinsight/pseudo] does, before data leaves the
// company. Concealed numbers read back as such ([PhoneNumber.Concealed]),
// so pseudonymised rows interpret like clear ones and pseudonyms still
// match.
//
// # Speed and memory
//
// The readers stream. ReadCSV and ReadJSON hold one record at a time
// (ReadCSV refuses one over 1 MiB, usually an unclosed quote); ReadDB holds
// one batch of [WithBatchSize] rows ([DefaultDBBatchSize] by default) and
// ends the batch's read-only transaction before yielding its rows, so the
// loop body may use the same *sql.DB. ReadCSV reads about 1.2 million rows
// (440 MiB) a second, with one allocation per row, on the 2-core machine
// of BENCHMARKS.md; scripts/benchmarks regenerates the figures.
package cdr
