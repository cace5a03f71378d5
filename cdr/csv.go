package cdr

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	// The default location must load on hosts without a zoneinfo database
	// (scratch containers, Windows without Go installed).
	_ "time/tzdata"
)

// CSVOption configures ReadCSV and NewCSVWriter.
type CSVOption func(*csvConfig)

type csvConfig struct {
	loc  *time.Location
	site string
}

// WithLocation sets the time zone the export's local times are in: the
// PBX's zone. The default is Europe/Berlin; nil also means the default.
func WithLocation(loc *time.Location) CSVOption {
	return func(c *csvConfig) { c.loc = loc }
}

// WithSite sets Entry.Site on every row ReadCSV returns, so that exports
// of several PBXs can be told apart in one pipeline. CSVWriter ignores it:
// the site is not a STARFACE column.
func WithSite(site string) CSVOption {
	return func(c *csvConfig) { c.site = site }
}

// defaultLocation loads Europe/Berlin once: LoadLocation parses the zone
// data on every call.
var defaultLocation = sync.OnceValues(func() (*time.Location, error) {
	return time.LoadLocation("Europe/Berlin")
})

func newCSVConfig(opts []CSVOption) (csvConfig, error) {
	var c csvConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.loc == nil {
		loc, err := defaultLocation()
		if err != nil {
			return c, fmt.Errorf("cdr: loading the default location: %w", err)
		}
		c.loc = loc
	}
	return c, nil
}

// exportColumns is the writer's header; ExportColumns is a copy so that a
// caller changing it cannot break the writer.
var exportColumns = [...]string{
	"id", "callid", "callstepid", "callleguuid", "cdraccountid", "calleraccountid", "calledaccountid",
	"callercallerid", "calledcallerid", "serviceid", "starttime", "ringingtime", "linktime", "callresulttime",
	"callresult", "callresultcausedby", "lineid", "linename", "callbacknumber", "callbacknumberextern",
	"answeredelswhere", "incoming", "answered", "hasvoicemail", "hasmonitor", "hasfax", "deleted",
	"privatecall", "summarystep", "duration", "login",
}

// ExportColumns are the columns CSVWriter writes, in order: the column set
// of a current STARFACE export. channelname and starttimeformatted are read
// but not written; Entry.Site is not a column. Changing the slice has no
// effect on the writer.
var ExportColumns = append([]string(nil), exportColumns[:]...)

// ReadCSV reads a STARFACE call-list export ("Verbindungsdaten
// exportieren"): ';'-separated, values optionally quoted, header first. It
// streams: memory stays bounded by the longest record, whatever the size
// of the file (a record over 1 MiB, usually an unclosed quote, is reported
// and skipped). The returned sequence can be ranged over once.
//
// Columns are found by header name, case-insensitively; unknown columns are
// ignored, and every column but id, callid, cdraccountid, calleraccountid,
// calledaccountid and starttime may be absent (the columns ReadDB requires;
// without callresulttime every end is the zero time, which callflow
// repairs, rule X1). Missing required columns end the sequence with one
// *MissingColumnError (a malformed header with one *ParseError). A UTF-8
// BOM, CRLF or LF line ends and blank lines are accepted.
//
// Values: booleans true/false (also 1/0, t/f, any case; empty is false),
// integers (empty is 0), times dd.MM.yyyy HH:mm:ss in the location (empty
// is the zero time), caller ids through ParseCallerID; text is kept as
// written.
//
// A row with bad values yields an error that reports every bad column of
// the row: one *ParseError naming the line, column and value, or, when
// several columns are bad, their *ParseErrors joined with errors.Join
// (errors.As finds the first, in column order). The Entry that comes with
// a value error holds the fields that parsed, the bad ones left zero, so a
// caller may still use it (callflow.Calls does, when it has an id and a
// callid). A malformed record (wrong number of fields, broken quoting, a
// record over 1 MiB) yields a zero Entry and one *ParseError naming the
// line. Either way reading goes on with the next record; the caller may
// stop. A read error ends the sequence.
//
// Local times (docs/interpretation.md, rule X5): when the clocks go back,
// a wall time such as 02:30 happens twice. starttime takes the first
// (summer-time) reading, and ringingtime, linktime and callresulttime take
// the reading that is at or after starttime and closest to it, so that a
// row does not start before its starttime and durations across the change
// are right. (Each time is placed relative to starttime alone, so a row
// lasting over an hour across the change can still get, say, an end before
// its link time; callflow's repairs X2-X4 flag that.) When the clocks go
// forward, a wall time such as 02:30 does not exist; it is read as
// time.Date normalises it (02:30 CET = 03:30 CEST).
func ReadCSV(r io.Reader, opts ...CSVOption) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		cfg, err := newCSVConfig(opts)
		if err != nil {
			yield(Entry{}, err)
			return
		}
		sp := newSplitter(r)
		rec, fields, _, err := sp.next()
		if err == io.EOF {
			return // an empty file has no rows
		}
		if err != nil {
			yield(Entry{}, err) // without a header no row can be read
			return
		}
		d, err := newRowDecoder(rec, fields, cfg)
		if err != nil {
			yield(Entry{}, err)
			return
		}
		for {
			rec, fields, line, err := sp.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if _, ok := err.(*ParseError); ok { // a broken record: the next one may be fine
					if !yield(Entry{}, err) {
						return
					}
					continue
				}
				yield(Entry{}, err)
				return
			}
			if !yield(d.decode(rec, fields, line)) {
				return
			}
		}
	}
}

// rowDecoder turns records into entries by the header's column layout.
type rowDecoder struct {
	kinds []colKind // per field of a record
	names []string  // header names as written, for errors
	site  string
	zone  zoneCache
}

func newRowDecoder(header string, fields []field, cfg csvConfig) (*rowDecoder, error) {
	d := &rowDecoder{
		kinds: make([]colKind, len(fields)),
		names: make([]string, len(fields)),
		site:  cfg.site,
		zone:  newZoneCache(cfg.loc),
	}
	var seen [numColKinds]bool
	for i, f := range fields {
		name := strings.TrimSpace(f.value(header))
		d.names[i] = name
		k := columnsByName[strings.ToLower(name)]
		if k != colIgnore && !seen[k] { // the first of duplicate columns wins
			d.kinds[i] = k
			seen[k] = true
		}
	}
	var missing []string
	for _, name := range requiredColumns {
		if !seen[columnsByName[name]] {
			missing = append(missing, name)
		}
	}
	if missing != nil {
		return nil, &MissingColumnError{Columns: missing}
	}
	return d, nil
}

// decode converts one record. Every bad value is reported, in column
// order, and left zero in the Entry, which keeps the values that parsed.
func (d *rowDecoder) decode(rec string, fields []field, line int) (Entry, error) {
	if len(fields) != len(d.kinds) {
		return Entry{}, &ParseError{Line: line, Err: fmt.Errorf("wrong number of fields: got %d, want %d", len(fields), len(d.kinds))}
	}
	e := Entry{Site: d.site}
	// Times are resolved after the loop: the other times depend on starttime.
	var walls [4]wallClock
	var errs []error // nil unless a value is bad: the common row allocates nothing
	for i, f := range fields {
		k := d.kinds[i]
		if k == colIgnore {
			continue
		}
		v := f.value(rec)
		var err error
		switch k {
		case colID:
			e.ID, err = parseCSVInt(v)
		case colCallID:
			e.CallID = v
		case colCallStepID:
			e.CallStepID = v
		case colCallLegUUID:
			e.CallLegUUID = v
		case colChannelName:
			e.ChannelName = v
		case colCDRAccountID:
			e.CDRAccountID, err = parseAccountID(v)
		case colCallerAccountID:
			e.CallerAccountID, err = parseAccountID(v)
		case colCalledAccountID:
			e.CalledAccountID, err = parseAccountID(v)
		case colCallerCallerID:
			e.CallerCallerID = ParseCallerID(v)
		case colCalledCallerID:
			e.CalledCallerID = ParseCallerID(v)
		case colServiceID:
			e.ServiceID, err = parseCSVInt(v)
		case colStartTime, colRingingTime, colLinkTime, colCallResultTime:
			walls[k-colStartTime], err = parseWallClock(v)
		case colCallResult:
			e.CallResult = CallResult(v)
		case colCallResultCausedBy:
			e.CallResultCausedBy = v
		case colLineID:
			e.LineID = v
		case colLineName:
			e.LineName = v
		case colCallbackNumber:
			e.CallbackNumber = v
		case colCallbackNumberExtern:
			e.CallbackNumberExtern, err = parseCSVBool(v)
		case colAnsweredElsewhere:
			e.AnsweredElsewhere, err = parseAccountID(v)
		case colIncoming:
			e.Incoming, err = parseCSVBool(v)
		case colAnswered:
			e.Answered, err = parseCSVBool(v)
		case colHasVoicemail:
			e.HasVoicemail, err = parseCSVBool(v)
		case colHasMonitor:
			e.HasMonitor, err = parseCSVBool(v)
		case colHasFax:
			e.HasFax, err = parseCSVBool(v)
		case colDeleted:
			e.Deleted, err = parseCSVBool(v)
		case colPrivateCall:
			e.PrivateCall, err = parseCSVBool(v)
		case colSummaryStep:
			e.SummaryStep, err = parseCSVBool(v)
		case colDuration:
			e.Duration, err = parseCSVInt(v)
		case colLogin:
			e.Login = v
		case colStartTimeFormatted:
			e.StartTimeFormatted = v
		}
		if err != nil { // the field stays zero: every parser returns zero with its error
			errs = append(errs, &ParseError{Line: line, Column: d.names[i], Value: v, Err: err})
		}
	}
	if walls[0].set {
		first, _ := d.zone.resolve(walls[0])
		e.StartTime = d.zone.time(first)
	}
	start := e.StartTime
	for i, t := range [...]*time.Time{&e.RingingTime, &e.LinkTime, &e.CallResultTime} {
		w := walls[i+1]
		if !w.set {
			continue
		}
		first, second := d.zone.resolve(w)
		if first != second && !start.IsZero() && first < start.Unix() {
			first = second // X5: the reading at or after starttime, closest to it
		}
		*t = d.zone.time(first)
	}
	switch len(errs) {
	case 0:
		return e, nil
	case 1:
		return e, errs[0]
	}
	return e, errors.Join(errs...)
}

func parseAccountID(v string) (AccountID, error) {
	n, err := parseCSVInt(v)
	return AccountID(n), err
}

// trimASCIISpace trims blanks around numbers and times, which some tools
// add when they re-save an export.
func trimASCIISpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// parseCSVInt parses a decimal integer; empty is 0 because the export
// writes database NULLs as empty values.
func parseCSVInt(v string) (int64, error) {
	s := trimASCIISpace(v)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		cause := strconv.ErrSyntax
		if errors.Is(err, strconv.ErrRange) {
			cause = strconv.ErrRange
		}
		return 0, fmt.Errorf("invalid integer %s: %w", quoteValue(v), cause)
	}
	return n, nil
}

var errBool = errors.New("want true or false")

// parseCSVBool accepts the export's true/false and the forms other tools
// write when they re-save a file: 1/0, t/f, any case; empty is false.
func parseCSVBool(v string) (bool, error) {
	s := trimASCIISpace(v)
	switch len(s) {
	case 0:
		return false, nil
	case 1:
		switch s[0] {
		case '1', 't', 'T':
			return true, nil
		case '0', 'f', 'F':
			return false, nil
		}
	case 4:
		if strings.EqualFold(s, "true") {
			return true, nil
		}
	case 5:
		if strings.EqualFold(s, "false") {
			return false, nil
		}
	}
	return false, fmt.Errorf("invalid boolean %s: %w", quoteValue(v), errBool)
}

// wallClock is a local date and time as written in the export, before the
// time zone is applied.
type wallClock struct {
	set                                   bool
	year, month, day, hour, minute, secnd int
	// unix is the wall clock read as if it were UTC, in seconds since
	// 1970: the zone cache subtracts the offset from it.
	unix int64
}

var (
	errTimeLayout = errors.New("want dd.MM.yyyy HH:mm:ss")
	errTimeRange  = errors.New("field out of range")
)

// parseWallClock parses dd.MM.yyyy HH:mm:ss by hand: time.Parse costs
// more than the rest of a row together.
func parseWallClock(v string) (wallClock, error) {
	s := trimASCIISpace(v)
	if s == "" {
		return wallClock{}, nil
	}
	if len(s) != 19 || s[2] != '.' || s[5] != '.' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return wallClock{}, fmt.Errorf("invalid time %s: %w", quoteValue(v), errTimeLayout)
	}
	day, ok1 := digits2(s[0:2])
	month, ok2 := digits2(s[3:5])
	yHi, ok3 := digits2(s[6:8])
	yLo, ok4 := digits2(s[8:10])
	hour, ok5 := digits2(s[11:13])
	minute, ok6 := digits2(s[14:16])
	sec, ok7 := digits2(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return wallClock{}, fmt.Errorf("invalid time %s: %w", quoteValue(v), errTimeLayout)
	}
	year := yHi*100 + yLo
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return wallClock{}, fmt.Errorf("invalid time %s: %w", quoteValue(v), errTimeRange)
	}
	days := daysFromCivil(int64(year), int64(month), int64(day))
	return wallClock{
		set: true, year: year, month: month, day: day, hour: hour, minute: minute, secnd: sec,
		unix: days*86400 + int64(hour*3600+minute*60+sec),
	}, nil
}

func digits2(s string) (int, bool) {
	a, b := s[0]-'0', s[1]-'0'
	return int(a)*10 + int(b), a <= 9 && b <= 9
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// zoneCache converts wall clocks to instants. Almost every time of an
// export lies in a zone period far from a DST change, where a wall clock
// maps to exactly one instant by one fixed offset; that case costs a
// subtraction instead of time.Date's zone lookups.
type zoneCache struct {
	loc    *time.Location
	off    int64 // offset of the cached period, seconds east of UTC
	lo, hi int64 // wall clocks (as UTC seconds) with lo <= w < hi map by off alone
}

func newZoneCache(loc *time.Location) zoneCache {
	return zoneCache{loc: loc, lo: 1, hi: 0} // empty: the first call fills it
}

// time returns the instant u in the cache's location.
func (z *zoneCache) time(u int64) time.Time { return time.Unix(u, 0).In(z.loc) }

// resolve returns the instants (Unix seconds) a wall clock denotes: first
// == second for an ordinary time, first < second for a time that happens
// twice when the clocks go back. A time skipped when the clocks go forward
// gets time.Date's normalisation.
func (z *zoneCache) resolve(w wallClock) (first, second int64) {
	if z.lo <= w.unix && w.unix < z.hi {
		u := w.unix - z.off
		return u, u
	}
	t := time.Date(w.year, time.Month(w.month), w.day, w.hour, w.minute, w.secnd, 0, z.loc)
	u := t.Unix()
	_, off := t.Zone()
	// Cache the period, two days away from its ends so that no wall clock
	// inside can also belong to a neighbouring period (offsets differ by
	// hours, not days).
	const margin = 2 * 86400
	start, end := t.ZoneBounds()
	z.off = int64(off)
	z.lo, z.hi = math.MinInt64, math.MaxInt64
	if !start.IsZero() {
		z.lo = start.Unix() + z.off + margin
	}
	if !end.IsZero() {
		z.hi = end.Unix() + z.off - margin
	}
	// The offsets a day either side bracket any change near w (offsets are
	// within ±1 day). If both readings are consistent, w is ambiguous.
	offA, offB := z.offsetAt(w.unix-86400), z.offsetAt(w.unix+86400)
	if offA != offB {
		a, b := w.unix-offA, w.unix-offB
		if z.offsetAt(a) == offA && z.offsetAt(b) == offB {
			return min(a, b), max(a, b)
		}
	}
	return u, u
}

func (z *zoneCache) offsetAt(u int64) int64 {
	_, off := time.Unix(u, 0).In(z.loc).Zone()
	return int64(off)
}

// maxRecordBytes bounds a record, so that a quote that is never closed
// cannot pull the rest of a large file into memory.
const maxRecordBytes = 1 << 20

// field is a value's position in a record's text.
type field struct {
	start, end int
	escaped    bool // the value holds doubled quotes
}

// value returns the field's text with doubled quotes undone. It shares
// the record's memory unless there were quotes to undo.
func (f field) value(rec string) string {
	v := rec[f.start:f.end]
	if f.escaped {
		v = strings.ReplaceAll(v, `""`, `"`)
	}
	return v
}

// splitter splits ';'-separated records with RFC 4180 quoting. It is
// written by hand rather than with encoding/csv for speed, and so that a
// quoted value keeps its line ends exactly (csv turns \r\n into \n), which
// makes write-then-read exact.
type splitter struct {
	br      *bufio.Reader
	started bool
	eof     bool
	tooLong bool
	lines   int    // complete physical lines consumed
	buf     []byte // the current record, line ends included
	fields  []field
}

func newSplitter(r io.Reader) *splitter {
	return &splitter{br: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next non-blank record as text, its fields (valid until
// the next call) and the line it starts on. err is a *ParseError for a
// malformed record, after which next can be called again; io.EOF at the
// end; or a read error.
func (s *splitter) next() (string, []field, int, error) {
	if !s.started {
		s.started = true
		if b, _ := s.br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
			_, _ = s.br.Discard(3)
		}
	}
	for {
		if s.eof {
			return "", nil, 0, io.EOF
		}
		s.buf, s.fields = s.buf[:0], s.fields[:0]
		line := s.lines + 1
		if err := s.readLine(); err != nil {
			return "", nil, line, err
		}
		if s.tooLong {
			s.tooLong = false
			return "", nil, line, &ParseError{Line: line, Err: errRecordTooLong}
		}
		end := lineEnd(s.buf, 0)
		if end == 0 {
			continue // blank line
		}
		end, err := s.split(end, line)
		if err != nil {
			return "", nil, line, err
		}
		return string(s.buf[:end]), s.fields, line, nil
	}
}

// readLine appends one physical line to buf, line end included.
func (s *splitter) readLine() error {
	for {
		b, err := s.br.ReadSlice('\n')
		if s.tooLong || len(s.buf)+len(b) > maxRecordBytes {
			s.tooLong = true // keep reading to the line end, to go on after it
		} else {
			s.buf = append(s.buf, b...)
		}
		switch err {
		case nil:
			s.lines++
			return nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			s.eof = true
			return nil
		}
		return fmt.Errorf("cdr: reading CSV: %w", err)
	}
}

// lineEnd returns where the content of the last line in buf, which starts
// at from, ends: before its \n or \r\n.
func lineEnd(buf []byte, from int) int {
	n := len(buf)
	if n > from && buf[n-1] == '\n' {
		n--
	}
	if n > from && buf[n-1] == '\r' {
		n--
	}
	return n
}

// split finds the fields of the record in buf whose first line ends at
// end, reading more lines while a quoted value spans them. It returns the
// end of the record's content.
func (s *splitter) split(end, line int) (int, error) {
	buf := s.buf
	pos := 0
	for {
		if pos < end && buf[pos] == '"' {
			start, escaped := pos+1, false
			pos++
			for {
				i := indexQuote(buf[pos:])
				if i < 0 {
					if s.eof {
						return 0, &ParseError{Line: line, Err: errors.New(`missing closing " in quoted value`)}
					}
					from := len(buf)
					if err := s.readLine(); err != nil {
						return 0, err
					}
					if s.tooLong {
						s.tooLong = false
						return 0, &ParseError{Line: line, Err: errRecordTooLong}
					}
					buf = s.buf
					pos, end = from, lineEnd(buf, from)
					continue
				}
				q := pos + i
				if q+1 < len(buf) && buf[q+1] == '"' {
					escaped = true
					pos = q + 2
					continue
				}
				s.fields = append(s.fields, field{start, q, escaped})
				pos = q + 1
				break
			}
			if pos == end {
				return end, nil
			}
			if pos < end && buf[pos] == ';' {
				pos++
				continue
			}
			return 0, &ParseError{Line: line, Err: fmt.Errorf(`unexpected text after closing " of field %d`, len(s.fields))}
		}
		stop := pos
		for stop < end && buf[stop] != ';' {
			if buf[stop] == '"' {
				return 0, &ParseError{Line: line, Err: fmt.Errorf(`bare " in unquoted field %d`, len(s.fields)+1)}
			}
			stop++
		}
		s.fields = append(s.fields, field{pos, stop, false})
		if stop == end {
			return end, nil
		}
		pos = stop + 1
	}
}

// indexQuote is bytes.IndexByte(b, '"') for the short values of an
// export, where a plain loop beats the call into the vectorised search.
func indexQuote(b []byte) int {
	for i, c := range b {
		if c == '"' {
			return i
		}
	}
	return -1
}

// CSVWriter writes entries in the STARFACE export form that ReadCSV reads:
// a header of ExportColumns, every value in double quotes (inner quotes
// doubled), ';' between values, CRLF line ends, booleans true/false, times
// dd.MM.yyyy HH:mm:ss in the location and empty for the zero time, caller
// ids in CallerID.String's form.
//
// The form cannot hold sub-second times: Write truncates times to whole
// seconds. ReadCSV(written entry) equals the entry when its times are
// whole seconds in years 0 to 9999, its caller ids are as ParseCallerID
// returns them, and its ChannelName, StartTimeFormatted and Site are empty
// (they are not written).
//
// A CSVWriter buffers; call Flush at the end. It is not safe for
// concurrent use.
type CSVWriter struct {
	w      *bufio.Writer
	loc    *time.Location
	err    error // sticky: a failed write leaves a broken row behind
	header bool
	buf    []byte
}

// NewCSVWriter returns a writer to w. WithLocation sets the zone the times
// are written in (default Europe/Berlin); WithSite has no effect.
func NewCSVWriter(w io.Writer, opts ...CSVOption) *CSVWriter {
	cfg, err := newCSVConfig(opts)
	return &CSVWriter{w: bufio.NewWriterSize(w, 64<<10), loc: cfg.loc, err: err}
}

// Write writes e as one row, after the header if it is the first.
func (cw *CSVWriter) Write(e Entry) error {
	if cw.err != nil {
		return cw.err
	}
	if err := cw.writeHeader(); err != nil {
		return err
	}
	buf := cw.buf[:0]
	for i, k := range exportKinds {
		if i > 0 {
			buf = append(buf, ';')
		}
		var err error
		if buf, err = cw.appendValue(buf, k, &e); err != nil {
			return fmt.Errorf("cdr: writing entry %d, column %q: %w", e.ID, exportColumns[i], err)
		}
	}
	buf = append(buf, '\r', '\n')
	cw.buf = buf
	if _, err := cw.w.Write(buf); err != nil {
		cw.err = err
		return err
	}
	return nil
}

// Flush writes buffered data to the underlying writer. A writer that got
// no entries writes the header alone, so that an empty export is still a
// file ReadCSV accepts.
func (cw *CSVWriter) Flush() error {
	if cw.err != nil {
		return cw.err
	}
	if err := cw.writeHeader(); err != nil {
		return err
	}
	if err := cw.w.Flush(); err != nil {
		cw.err = err
		return err
	}
	return nil
}

func (cw *CSVWriter) writeHeader() error {
	if cw.header {
		return nil
	}
	cw.header = true
	buf := cw.buf[:0]
	for i, c := range exportColumns {
		if i > 0 {
			buf = append(buf, ';')
		}
		buf = appendQuoted(buf, c)
	}
	buf = append(buf, '\r', '\n')
	cw.buf = buf
	if _, err := cw.w.Write(buf); err != nil {
		cw.err = err
		return err
	}
	return nil
}

// exportKinds are the columns of exportColumns, so that the header and
// the values are driven by the same list.
var exportKinds = func() []colKind {
	ks := make([]colKind, len(exportColumns))
	for i, c := range exportColumns {
		ks[i] = columnsByName[c]
	}
	return ks
}()

func (cw *CSVWriter) appendValue(buf []byte, k colKind, e *Entry) ([]byte, error) {
	switch k {
	case colID:
		return appendQuotedInt(buf, e.ID), nil
	case colCallID:
		return appendQuoted(buf, e.CallID), nil
	case colCallStepID:
		return appendQuoted(buf, e.CallStepID), nil
	case colCallLegUUID:
		return appendQuoted(buf, e.CallLegUUID), nil
	case colCDRAccountID:
		return appendQuotedInt(buf, int64(e.CDRAccountID)), nil
	case colCallerAccountID:
		return appendQuotedInt(buf, int64(e.CallerAccountID)), nil
	case colCalledAccountID:
		return appendQuotedInt(buf, int64(e.CalledAccountID)), nil
	case colCallerCallerID:
		return appendQuoted(buf, e.CallerCallerID.String()), nil
	case colCalledCallerID:
		return appendQuoted(buf, e.CalledCallerID.String()), nil
	case colServiceID:
		return appendQuotedInt(buf, e.ServiceID), nil
	case colStartTime:
		return cw.appendTime(buf, e.StartTime)
	case colRingingTime:
		return cw.appendTime(buf, e.RingingTime)
	case colLinkTime:
		return cw.appendTime(buf, e.LinkTime)
	case colCallResultTime:
		return cw.appendTime(buf, e.CallResultTime)
	case colCallResult:
		return appendQuoted(buf, string(e.CallResult)), nil
	case colCallResultCausedBy:
		return appendQuoted(buf, e.CallResultCausedBy), nil
	case colLineID:
		return appendQuoted(buf, e.LineID), nil
	case colLineName:
		return appendQuoted(buf, e.LineName), nil
	case colCallbackNumber:
		return appendQuoted(buf, e.CallbackNumber), nil
	case colCallbackNumberExtern:
		return appendQuotedBool(buf, e.CallbackNumberExtern), nil
	case colAnsweredElsewhere:
		return appendQuotedInt(buf, int64(e.AnsweredElsewhere)), nil
	case colIncoming:
		return appendQuotedBool(buf, e.Incoming), nil
	case colAnswered:
		return appendQuotedBool(buf, e.Answered), nil
	case colHasVoicemail:
		return appendQuotedBool(buf, e.HasVoicemail), nil
	case colHasMonitor:
		return appendQuotedBool(buf, e.HasMonitor), nil
	case colHasFax:
		return appendQuotedBool(buf, e.HasFax), nil
	case colDeleted:
		return appendQuotedBool(buf, e.Deleted), nil
	case colPrivateCall:
		return appendQuotedBool(buf, e.PrivateCall), nil
	case colSummaryStep:
		return appendQuotedBool(buf, e.SummaryStep), nil
	case colDuration:
		return appendQuotedInt(buf, e.Duration), nil
	case colLogin:
		return appendQuoted(buf, e.Login), nil
	}
	return buf, fmt.Errorf("column kind %d is not written", k) // exportColumns and this switch disagree

}

// appendTime writes t as dd.MM.yyyy HH:mm:ss in the writer's location,
// truncated to the second; the zero time is empty.
func (cw *CSVWriter) appendTime(buf []byte, t time.Time) ([]byte, error) {
	if t.IsZero() {
		return append(buf, '"', '"'), nil
	}
	t = t.In(cw.loc)
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return buf, fmt.Errorf("time %s: year outside 0000-9999", t.Format(time.RFC3339))
	}
	hour, minute, sec := t.Clock()
	buf = append(buf, '"')
	buf = append2(buf, day)
	buf = append(buf, '.')
	buf = append2(buf, int(month))
	buf = append(buf, '.')
	buf = append2(buf, year/100)
	buf = append2(buf, year%100)
	buf = append(buf, ' ')
	buf = append2(buf, hour)
	buf = append(buf, ':')
	buf = append2(buf, minute)
	buf = append(buf, ':')
	buf = append2(buf, sec)
	return append(buf, '"'), nil
}

func append2(buf []byte, n int) []byte {
	return append(buf, byte('0'+n/10), byte('0'+n%10))
}

func appendQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		buf = append(buf, s[:i+1]...)
		buf = append(buf, '"')
		s = s[i+1:]
	}
	buf = append(buf, s...)
	return append(buf, '"')
}

func appendQuotedInt(buf []byte, n int64) []byte {
	buf = append(buf, '"')
	buf = strconv.AppendInt(buf, n, 10)
	return append(buf, '"')
}

func appendQuotedBool(buf []byte, b bool) []byte {
	if b {
		return append(buf, `"true"`...)
	}
	return append(buf, `"false"`...)
}
