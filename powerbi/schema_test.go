package powerbi

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

type sample struct {
	Name    string     `powerbi:"Name"`
	Count   int64      `powerbi:"Count"`
	Small   uint16     `powerbi:"Small"`
	Ratio   float64    `powerbi:"Ratio"`
	OK      bool       `powerbi:"OK"`
	At      time.Time  `powerbi:"At"`
	Maybe   *int64     `powerbi:"Maybe"`
	Skipped string     `powerbi:"-"`
	Untaged string     //nolint:unused // not a column
	When    *time.Time `powerbi:"When"`
}

func TestNewSchemaColumns(t *testing.T) {
	s, err := NewSchema[sample]("Samples")
	require.NoError(t, err)
	want := Table{Name: "Samples", Columns: []Column{
		{"Name", String, ""}, {"Count", Int64, ""}, {"Small", Int64, ""}, {"Ratio", Double, ""},
		{"OK", Boolean, ""}, {"At", Datetime, ""}, {"Maybe", Int64, ""}, {"When", Datetime, ""},
	}}
	if diff := cmp.Diff(want, s.Table()); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	// Table returns a copy.
	s.Table().Columns[0].Name = "changed"
	require.Equal(t, "Name", s.Table().Columns[0].Name)
}

func TestNewSchemaRefuses(t *testing.T) {
	type dur struct {
		D time.Duration `powerbi:"D"`
	}
	type u64 struct {
		U uint64 `powerbi:"U"`
	}
	type twice struct {
		A string `powerbi:"col"`
		B string `powerbi:"COL"`
	}
	type ctrl struct {
		A string `powerbi:"a\x01b"`
	}
	type none struct{ A string }
	tests := []struct {
		name string
		try  func() error
		want string
	}{
		{"not a struct", func() error { _, err := NewSchema[int]("t"); return err }, "int is not a struct"},
		{"duration", func() error { _, err := NewSchema[dur]("t"); return err }, "field D (column D): type time.Duration has no Power BI column type"},
		{"uint64", func() error { _, err := NewSchema[u64]("t"); return err }, "field U (column U): type uint64"},
		{"same column twice", func() error { _, err := NewSchema[twice]("t"); return err }, `column "COL" twice`},
		{"control character", func() error { _, err := NewSchema[ctrl]("t"); return err }, "field A: column name"},
		{"no column", func() error { _, err := NewSchema[none]("t"); return err }, "has no field tagged"},
		{"table name", func() error { _, err := NewSchema[sample]("a.b"); return err }, `character '.' not allowed`},
		{"empty table name", func() error { _, err := NewSchema[sample](""); return err }, "1 to 100 characters"},
		{"long table name", func() error { _, err := NewSchema[sample](strings.Repeat("x", 101)); return err }, "1 to 100 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.try()
			require.ErrorIs(t, err, ErrSchema)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestSchemaColumnLimit(t *testing.T) {
	fields := func(n int) reflect.Type {
		var fs []reflect.StructField
		for i := range n {
			fs = append(fs, reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: reflect.TypeFor[int64](), Tag: reflect.StructTag(fmt.Sprintf(`powerbi:"c%d"`, i))})
		}
		return reflect.StructOf(fs)
	}
	_, _, err := schemaOf("t", fields(MaxColumns))
	require.NoError(t, err)
	_, _, err = schemaOf("t", fields(MaxColumns+1))
	require.ErrorIs(t, err, ErrSchema)
	require.ErrorContains(t, err, "76 columns")
}

func TestNewDatasetDefinition(t *testing.T) {
	tbl := func(name string, cols int) Table {
		t := Table{Name: name}
		for i := range cols {
			t.Columns = append(t.Columns, Column{Name: fmt.Sprint("c", i), DataType: String})
		}
		return t
	}
	var many []Table
	for i := range MaxTables + 1 {
		many = append(many, tbl(fmt.Sprint("t", i), 1))
	}
	_, err := NewDatasetDefinition("d", many[:MaxTables]...)
	require.NoError(t, err)
	tests := []struct {
		name   string
		dname  string
		tables []Table
		want   string
	}{
		{"76 tables", "d", many, "76 tables"},
		{"76 columns", "d", []Table{tbl("t", 76)}, "76 columns"},
		{"no table", "d", nil, "no table"},
		{"no name", " ", []Table{tbl("t", 1)}, "needs a name"},
		{"same table twice", "d", []Table{tbl("T", 1), tbl("t", 1)}, "table t twice"},
		{"bad table name", "d", []Table{tbl("a/b", 1)}, "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDatasetDefinition(tt.dname, tt.tables...)
			require.ErrorIs(t, err, ErrSchema)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestEncode(t *testing.T) {
	s, err := NewSchema[sample]("Samples")
	require.NoError(t, err)
	seven := int64(7)
	berlin := time.FixedZone("CEST", 2*3600)
	rows := []sample{
		{Name: "Ann \"A\" \\ O'Neil\n\x00 😀", Count: -3, Small: 65535, Ratio: 0.25, OK: true,
			At: time.Date(2026, 3, 2, 9, 30, 15, 123456789, berlin), Maybe: &seven, Skipped: "no"},
		{Name: "bad \xff utf8", Ratio: 1e300},
	}
	enc, rep, err := s.Encode(rows)
	require.NoError(t, err)
	require.Equal(t, 2, enc.Len())
	require.Zero(t, rep.Total())
	got, err := json.Marshal(enc)
	require.NoError(t, err)
	want := `[{"Name":"Ann \"A\" \\ O'Neil\n\u0000 😀","Count":-3,"Small":65535,"Ratio":0.25,"OK":true,"At":"2026-03-02T07:30:15.123Z","Maybe":7},` +
		`{"Name":"bad \ufffd utf8","Count":0,"Small":0,"Ratio":1e+300,"OK":false}]`
	require.Equal(t, want, string(got))
	var back []map[string]any
	require.NoError(t, json.Unmarshal(got, &back), "valid JSON")
	require.Equal(t, rows[0].Name, back[0]["Name"])
}

func TestEncodeRefuses(t *testing.T) {
	type ints struct {
		N int64   `powerbi:"N"`
		F float64 `powerbi:"F"`
	}
	s, err := NewSchema[ints]("t")
	require.NoError(t, err)
	tests := []struct {
		name string
		row  ints
		want string
	}{
		{"NaN", ints{F: math.NaN()}, "row 1, column F: NaN"},
		{"+Inf", ints{F: math.Inf(1)}, "row 1, column F: +Inf"},
		{"min int64", ints{N: math.MinInt64}, "row 1, column N: -9223372036854775808 is beyond"},
		{"max int64", ints{N: math.MaxInt64}, "row 1, column N: 9223372036854775807 is beyond"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.Encode([]ints{{}, tt.row})
			require.ErrorIs(t, err, ErrValue)
			require.ErrorContains(t, err, "table t, "+tt.want)
		})
	}
	_, _, err = s.Encode([]ints{{N: MinInt64Value, F: math.MaxFloat64}, {N: MaxInt64Value, F: -math.MaxFloat64}})
	require.NoError(t, err, "the ends of the range")
}

func TestEncodeTruncates(t *testing.T) {
	type text struct {
		A string `powerbi:"A"`
		B string `powerbi:"B"`
	}
	s, err := NewSchema[text]("t")
	require.NoError(t, err)
	exact := strings.Repeat("x", MaxStringLength)
	emoji := strings.Repeat("😀", MaxStringLength/2) // 4,000 UTF-16 units, 16,000 bytes
	rows := []text{
		{A: exact, B: emoji},
		{A: exact + "y", B: emoji + "z"},
		{A: strings.Repeat("ä", 5000), B: "short"},
	}
	enc, rep, err := s.Encode(rows)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"A": 2, "B": 1}, rep.Truncated)
	var back []text
	require.NoError(t, json.Unmarshal(enc.json, &back))
	require.Equal(t, exact, back[0].A, "4,000 characters are kept")
	require.Equal(t, emoji, back[0].B)
	for i, r := range back[1:] {
		for _, v := range []string{r.A, r.B} {
			if len(v) <= 5 {
				continue
			}
			n := len(utf16.Encode([]rune(v)))
			require.LessOrEqual(t, n, MaxStringLength, "row %d", i+1)
			require.True(t, strings.HasSuffix(v, TruncationMark), "row %d is marked", i+1)
			require.True(t, utf8.ValidString(v))
		}
	}
	require.Equal(t, MaxStringLength, len(utf16.Encode([]rune(back[1].A))), "cut to the limit exactly")
}

func TestEncodeNulls(t *testing.T) {
	s, err := NewSchema[sample]("t")
	require.NoError(t, err)
	enc, _, err := s.Encode([]sample{{}})
	require.NoError(t, err)
	require.Equal(t, `[{"Name":"","Count":0,"Small":0,"Ratio":0,"OK":false}]`, string(enc.json), "zero times and nil pointers are absent (null)")
	zero := time.Time{}
	enc, _, err = s.Encode([]sample{{When: &zero}})
	require.NoError(t, err)
	require.NotContains(t, string(enc.json), "When")
	empty, _, err := s.Encode(nil)
	require.NoError(t, err)
	require.Equal(t, "[]", string(empty.json))
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"b\\", "\x00\x1f\x7f", "\xff\xfe", "😀\u2028", "a\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q encodes to invalid JSON %s: %v", s, b, err)
		}
		ref, _ := json.Marshal(s)
		var want string
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q: decodes to %q, encoding/json's to %q", s, got, want)
		}
	})
}

func FuzzTruncate(f *testing.F) {
	f.Add("short", 1)
	f.Add("😀", 2001)
	f.Add("ab", 2000)
	f.Add("\xff", 4001)
	f.Fuzz(func(t *testing.T, unit string, times int) {
		if times < 0 || times > 5000 || len(unit) > 8 {
			return
		}
		s := strings.Repeat(unit, times)
		got, cut := truncate(s)
		units := len(utf16.Encode([]rune(got)))
		if !cut {
			if got != s {
				t.Fatalf("not cut but changed")
			}
			if len(utf16.Encode([]rune(s))) > MaxStringLength {
				t.Fatalf("%d units not cut", len(utf16.Encode([]rune(s))))
			}
			return
		}
		if units > MaxStringLength {
			t.Fatalf("cut to %d units", units)
		}
		if !strings.HasSuffix(got, TruncationMark) || !strings.HasPrefix(s, strings.TrimSuffix(got, TruncationMark)) {
			t.Fatalf("the cut is not a marked prefix")
		}
	})
}
