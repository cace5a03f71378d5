package cdr

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func readAllJSON(t testing.TB, data string) ([]Entry, []error) {
	t.Helper()
	var entries []Entry
	var errs []error
	for e, err := range ReadJSON(strings.NewReader(data)) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		entries = append(entries, e)
	}
	return entries, errs
}

func encodeJSON(t testing.TB, entries []Entry) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, slices.Values(entries)))
	return buf.String()
}

func TestJSONRoundTrip(t *testing.T) {
	loc := berlin(t)
	tricky := Entry{
		ID: -1, CallID: "a;b\"c\"\r\nd\n<&>", CallStepID: " ", CallLegUUID: "\u2028x", ChannelName: "SIP/x",
		CDRAccountID: 1 << 40, CallerAccountID: -3,
		CallerCallerID: CallerID{Name: "Name", Number: "0711 123"}, CalledCallerID: CallerID{Name: "Support"},
		ServiceID:   -9,
		StartTime:   time.Date(2026, 10, 25, 2, 30, 0, 123456789, loc),
		RingingTime: time.Date(2026, 10, 25, 2, 30, 0, 1, time.FixedZone("", -90*60)),
		LinkTime:    time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		CallResult:  "WEIRD", CallResultCausedBy: "module", LineName: "Ä Ö Ü ß €",
		CallbackNumber: "+49 (711) 12", CallbackNumberExtern: true, AnsweredElsewhere: 99,
		Incoming: true, Answered: true, HasVoicemail: true, HasMonitor: true, HasFax: true,
		Deleted: true, PrivateCall: true, SummaryStep: true, Duration: 1 << 50, Login: "x\x00y",
		StartTimeFormatted: "25.10.2026 02:30", Site: "hq",
	}
	tests := []struct {
		name    string
		entries []Entry
	}{
		{"realistic rows", realisticEntries(t, 200)},
		{"every field and awkward text", []Entry{tricky}},
		{"zero entry", []Entry{{}}},
		{"none", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := encodeJSON(t, tt.entries)
			require.Equal(t, len(tt.entries), strings.Count(data, "\n"), "one line per entry")
			got, errs := readAllJSON(t, data)
			require.Empty(t, errs)
			if diff := cmp.Diff(tt.entries, got); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteJSONForm(t *testing.T) {
	e := Entry{
		ID: 1, CallID: "c", CDRAccountID: 10, CallerCallerID: CallerID{Name: "Anna", Number: "12"},
		StartTime: time.Date(2026, 3, 2, 8, 0, 0, 5, time.FixedZone("CET", 3600)), Answered: true,
	}
	got := encodeJSON(t, []Entry{e})
	want := `{"id":1,"callid":"c","cdraccountid":10,"calleraccountid":0,"calledaccountid":0,"callercallerid":"Anna (12)","starttime":"2026-03-02T08:00:00.000000005+01:00","answered":true}` + "\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON form mismatch (-want +got):\n%s", diff)
	}
}

func TestReadJSONErrors(t *testing.T) {
	data := "\ufeff{\"id\":1}\n" + // 1
		"\n" + // 2 blank
		"{\"id\":2,\"bogus\":true}\n" + // 3 unknown field
		"{\"id\":\"three\"}\n" + // 4 wrong type
		"{\"id\":4,\n" + // 5 broken
		"[1]\n" + // 6 not an object
		"null\n" + // 7 not an object
		"{\"id\":5} {\"id\":6}\n" + // 8 two objects
		"{\"id\":7,\"starttime\":\"yesterday\"}\n" + // 9 bad time
		"  {\"id\":8}  \r\n" + // 10 ok, blanks and CRLF
		"{\"id\":9}" // 11 ok, no final newline
	type result struct {
		ID     int64
		Line   int
		Column string
	}
	var got []result
	var msgs []string
	for e, err := range ReadJSON(strings.NewReader(data)) {
		if err != nil {
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			got = append(got, result{Line: pe.Line, Column: pe.Column})
			msgs = append(msgs, err.Error())
			continue
		}
		got = append(got, result{ID: e.ID})
	}
	want := []result{
		{ID: 1}, {Line: 3}, {Line: 4, Column: "id"}, {Line: 5}, {Line: 6}, {Line: 7}, {Line: 8}, {Line: 9}, {ID: 8}, {ID: 9},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	require.Len(t, msgs, 7)
	require.Equal(t, `cdr: line 3: json: unknown field "bogus"`, msgs[0], "the unknown field is named")
	require.Contains(t, msgs[1], `cdr: line 4, column "id": `)
}

func TestReadJSONLongLine(t *testing.T) {
	long := Entry{ID: 1, LineName: strings.Repeat("ä", 300_000)} // 600 kB, beyond bufio's buffer
	data := encodeJSON(t, []Entry{long, {ID: 2}})
	got, errs := readAllJSON(t, data)
	require.Empty(t, errs)
	if diff := cmp.Diff([]Entry{long, {ID: 2}}, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestReadJSONStops(t *testing.T) {
	t.Run("early break", func(t *testing.T) {
		data := encodeJSON(t, realisticEntries(t, 5000))
		cr := &countingReader{r: strings.NewReader(data)}
		for range ReadJSON(cr) {
			break
		}
		if cr.n > 128<<10 {
			t.Errorf("read %d of %d bytes for one entry", cr.n, len(data))
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("disk on fire")
		r := io.MultiReader(strings.NewReader("{\"id\":1}\n"), iotest.ErrReader(boom))
		var ids []int64
		var errs []error
		for e, err := range ReadJSON(r) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ids = append(ids, e.ID)
		}
		require.Len(t, errs, 1)
		require.ErrorIs(t, errs[0], boom)
		require.Equal(t, []int64{1}, ids)
	})
	t.Run("write error", func(t *testing.T) {
		boom := errors.New("pipe closed")
		err := WriteJSON(errWriter{boom}, slices.Values(realisticEntries(t, 10)))
		require.ErrorIs(t, err, boom)
	})
	t.Run("unencodable time", func(t *testing.T) {
		err := WriteJSON(io.Discard, slices.Values([]Entry{{ID: 7, StartTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}))
		require.ErrorContains(t, err, "id 7")
	})
}
