// Package pseudotest finds personal data in the bytes a sink writes: a leak
// detector for tests, in the spirit of net/http/httptest.
//
// A [Corpus] holds the personal originals of a data set: the names, phone
// numbers, call ids and logins of the clear rows. [Corpus.Scan] looks for
// every one of them, in every form a sink could plausibly write, in any
// output (JSON, CSV, a database file, a log) and reports each hit as a
// [Leak]. [AssertNoLeaks] fails a test on the first leaks and shows them in
// context.
//
// # Testing your own sink
//
// Build the corpus from the clear data, send the data through your sink
// the way production does (pseudonymised), capture the bytes it would send
// and scan them. Then send the same data in clear and check that the scan
// finds it: a scan that cannot see your sink's bytes (compressed, encoded
// in a way the corpus does not know) would pass whatever the sink leaks.
//
//	func TestMySinkLeaksNothing(t *testing.T) {
//		entries, accounts := loadFixture(t) // clear rows, as read from the PBX
//		plan := cdr.GermanPlan("711")
//		corpus := pseudotest.CorpusFromEntries(entries, accounts, plan)
//
//		key, err := pseudo.GenerateKey("k1")
//		require.NoError(t, err)
//		p, err := pseudo.New(pseudo.WithKey(key), pseudo.WithNumberPlan(plan))
//		require.NoError(t, err)
//		concealed, err := pseudo.Apply(p, entries)
//		require.NoError(t, err)
//		pseudotest.AssertNoLeaks(t, "my sink", mySink.Encode(concealed), corpus)
//
//		clear, err := pseudo.Apply(pseudo.Clear(), entries)
//		require.NoError(t, err)
//		pseudotest.AssertFinds(t, "my sink in clear", mySink.Encode(clear), corpus, pseudotest.Kinds())
//	}
//
// Scan the bytes before compression or encryption: the corpus looks for
// text. Values a sink derives in a new form (a name reversed, a number
// split over two columns, a hash of a number) are not found.
//
// # What is looked for
//
// Every form is found without regard to case (ASCII letters and the
// Latin-1 letters of German and other Western names: "MÜLLER" is
// "müller"), and also as encoding/json writes it (HTML-escaped, "&" as
// \u0026) and as an ASCII-only JSON encoder writes it ("J\u00fcrgen").
//
// Names (KindName): the whole name, and each of its parts of at least
// [MinNameLen] bytes, as whole words: "Berger" is found in "Anna Berger",
// "anna.berger" and "AnnaBerger", not in "Bergerac". A part is not looked
// for alone when it is not personal: a legal form or business word ("GmbH",
// "Praxis", "Logistik"), a word of the SDK's own vocabulary that every sink
// writes (field and enum names like "call", "number", "answered", and the
// words of pseudonyms, "Person", "Group"), or a word given to
// [Corpus.Ignore]. German umlauts are also looked for transliterated
// ("Müller" as "Mueller"). Short words like "Koch", "Wolf" or "Lange" are
// ordinary German words; as whole words they do not occur in the SDK's
// outputs, so they are looked for: give Ignore the words of your own output
// that collide. Names shorter than MinNameLen ("Uwe", "Alt") are not
// looked for alone.
//
// Numbers (KindNumber), normalised with the number plan, in every form: the
// E.164 form with and without '+' ("+497111234567", "497111234567"), with
// the international prefix ("00497111234567"), for numbers of the plan's
// country the national form ("07111234567") and the national significant
// number alone ("7111234567"), for numbers of the plan's area the local
// number ("1234567"), and the raw text as read ("0711 / 123 45 67"). The
// national forms of other countries' numbers are not looked for (the plan
// knows one country's prefixes only). A number form is
// found as a whole digit run, not inside a longer one, so that durations,
// ids and timestamps do not match by chance. Forms of fewer than
// [MinNumberDigits] digits are not looked for: internal extensions ("12",
// "4711") would match every timestamp and id. Separators other than the
// raw text's ("+49 711 1234567" when the number was read as
// "+497111234567") are not found: add such forms with AddNumber.
//
// Call ids (KindCallID): the whole id, anywhere, and each token of at least
// [MinCallIDTokenLen] bytes it embeds (a uuid in "uuid;number;name"), since
// a sink that cuts an id apart leaks its parts. Ids shorter than
// [MinCallIDLen] bytes (call step numbers) are not looked for.
//
// Logins (KindLogin): logins and SAM account names of at least
// [MinLoginLen] bytes, as whole words.
//
// A name, number or login inside a longer token of hex digits (a hash, a
// uuid, the tag of a pseudonym, "#3F2A9B1C04D2") is not reported: such
// tokens are random and would hold a number's digits now and then.
//
// When forms overlap, Scan reports the longest: a leaked "Anna Berger" is
// one leak of the name, not three.
//
// # Binary outputs
//
// Names, logins and numbers are found as whole words and digit runs only,
// which needs separators between values. A database file or a binary
// encoding stores values next to each other ("Anna Bergeranna.berger",
// "+4971112345" followed by an account id "3001"), so scan such output
// with the [Binary] option: every form is then found anywhere, also inside
// a longer word or digit run, except a name inside a word known not to be
// personal (the SDK's vocabulary: "Vera" in "unrecoverable"; and the words
// given to Ignore). That can find more by chance (a short name part inside
// a word of your own output: declare such words with Ignore).
package pseudotest

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
)

// The shortest values the corpus looks for; see the package documentation.
const (
	MinNameLen        = 4 // bytes of a name or name part
	MinNumberDigits   = 6 // digits of a number form
	MinCallIDLen      = 8 // bytes of a call id
	MinCallIDTokenLen = 16
	MinLoginLen       = 4
)

// Kind is the kind of personal value a leak is.
type Kind uint8

// The kinds.
const (
	KindName Kind = iota + 1
	KindNumber
	KindCallID
	KindLogin
)

var kindNames = [...]string{"", "name", "number", "call id", "login"}

// Kinds returns every kind, in order.
func Kinds() []Kind { return []Kind{KindName, KindNumber, KindCallID, KindLogin} }

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Leak is one personal value found in an output.
type Leak struct {
	Kind Kind
	// Original is the personal value: the name, login or call id as added,
	// or the number in its normalised form ("+4971112345").
	Original string
	// Form is the form found, as the corpus spells it ("071112345",
	// "Berger", "J\u00fcrgen"); the output may differ in case.
	Form string
	// Offset is the byte offset of the leak in the output.
	Offset int
	// Context is the output around the leak, up to 32 bytes either side.
	Context string
}

// String describes the leak on one line, the context quoted.
func (l Leak) String() string {
	form := ""
	if l.Form != l.Original {
		form = fmt.Sprintf(" as %q", l.Form)
	}
	return fmt.Sprintf("%v %q%s at byte %d: %q", l.Kind, l.Original, form, l.Offset, l.Context)
}

// CountByKind counts leaks per kind.
func CountByKind(leaks []Leak) map[Kind]int {
	m := make(map[Kind]int)
	for _, l := range leaks {
		m[l.Kind]++
	}
	return m
}

// boundary is what may stand next to a match.
type boundary uint8

const (
	boundNone  boundary = iota // anywhere (call ids)
	boundDigit                 // not inside a longer digit run (numbers)
	boundWord                  // not inside a longer word (names, logins)
)

// pattern is one form of one original.
type pattern struct {
	text   []byte // folded
	form   string // as spelled
	orig   int32  // index into Corpus.originals
	kind   Kind
	bound  boundary
	ignore string // folded name part that Ignore can switch off; "" for whole values
}

type original struct {
	kind Kind
	text string
}

// Corpus is the set of personal values to look for. Build it with
// NewCorpus and the Add methods, or with CorpusFromEntries. Scan and
// AssertNoLeaks may run concurrently; adding while scanning is safe too,
// and later scans see the additions.
type Corpus struct {
	mu        sync.Mutex
	originals []original
	origIndex map[original]int32
	pats      []pattern
	byText    map[string]int // folded form → index in pats
	ignored   map[string]bool
	m         *matcher // built by Scan; nil when stale
}

// NewCorpus returns an empty corpus.
func NewCorpus() *Corpus {
	return &Corpus{origIndex: map[original]int32{}, byText: map[string]int{}, ignored: map[string]bool{}}
}

// Count returns how many distinct originals of kind k the corpus holds.
func (c *Corpus) Count(k Kind) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, o := range c.originals {
		if o.kind == k {
			n++
		}
	}
	return n
}

// Ignore declares words of your own output's vocabulary that are not
// personal: they are not looked for as name parts (a table named "Klein",
// a column "lange"), and a Binary scan does not report a name inside them
// (an enum value "unrecoverable" holds "Vera"). Whole names are still
// looked for.
func (c *Corpus) Ignore(words ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range words {
		c.ignored[string(fold(nil, []byte(strings.TrimSpace(w))))] = true
	}
	c.m = nil
}

// AddName adds a person's, company's or group's name: the whole name and
// its parts (see the package documentation).
func (c *Corpus) AddName(s string) {
	s = strings.TrimSpace(s)
	if len(s) < MinNameLen || cdr.IsWithheldWord(s) { // "anonymous" is nobody's name
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.original(KindName, s)
	parts := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(parts) == 1 && parts[0] == s {
		// A one-word name is its only part: a stop word ("Service") is
		// no one's name, and Ignore can switch it off.
		c.addName(o, s, string(fold(nil, []byte(s))))
		return
	}
	c.addName(o, s, "")
	if collapsed := strings.Join(strings.Fields(s), " "); collapsed != s {
		c.addName(o, collapsed, "")
	}
	for _, p := range parts {
		if len(p) >= MinNameLen {
			c.addName(o, p, string(fold(nil, []byte(p))))
		}
	}
}

func (c *Corpus) addName(o int32, s, ignore string) {
	c.add(o, KindName, s, boundWord, ignore)
	if t := transliterate(s); t != s {
		c.add(o, KindName, t, boundWord, ignore)
	}
}

// AddNumber adds a phone number, raw as read from a row: it is normalised
// with plan and looked for in every form (see the package documentation).
// Numbers that are no one's (none, withheld) or already concealed
// (pseudonymous, masked) are not added.
func (c *Corpus) AddNumber(raw string, plan cdr.NumberPlan) {
	raw = strings.TrimSpace(raw)
	n := plan.Normalize(raw)
	if !n.Matchable() || n.Concealed() {
		return
	}
	text := n.String()
	var forms []string
	switch n.Kind() {
	case cdr.NumberE164:
		d := text[1:]
		forms = append(forms, text, d, plan.InternationalPrefix+d)
		if nsn, ok := strings.CutPrefix(d, plan.CountryCode); ok {
			forms = append(forms, plan.NationalPrefix+nsn, nsn)
			if local, ok := strings.CutPrefix(nsn, plan.AreaCode); ok && plan.AreaCode != "" {
				forms = append(forms, local)
			}
		}
	case cdr.NumberInternal:
		forms = append(forms, text)
	case cdr.NumberOther:
		forms = append(forms, text[1:], digitsOf(text))
	}
	forms = append(forms, raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	var o int32 = -1
	for _, f := range forms {
		if len(digitsOf(f)) < MinNumberDigits {
			continue
		}
		if o < 0 {
			o = c.original(KindNumber, text)
		}
		c.add(o, KindNumber, f, boundDigit, "")
	}
}

// AddCallID adds a call id (or another id that may embed personal data:
// a call leg uuid, a channel name).
func (c *Corpus) AddCallID(id string) {
	id = strings.TrimSpace(id)
	if len(id) < MinCallIDLen {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.original(KindCallID, id)
	c.add(o, KindCallID, id, boundNone, "")
	tokens := strings.FieldsFunc(id, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' || r == '@')
	})
	if len(tokens) < 2 {
		return
	}
	for _, tok := range tokens {
		if len(tok) >= MinCallIDTokenLen {
			c.add(o, KindCallID, tok, boundNone, "")
		}
	}
}

// AddLogin adds a login or SAM account name.
func (c *Corpus) AddLogin(s string) {
	s = strings.TrimSpace(s)
	if len(s) < MinLoginLen {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.add(c.original(KindLogin, s), KindLogin, s, boundWord, "")
}

// CorpusFromEntries collects every personal value of raw rows and their
// accounts: caller-id names and numbers, callback numbers, logins (and a
// callresultcausedby that is not an account id), call ids, call leg ids
// and channel names, and the names, logins and SAM account names of the
// accounts (placeholders for unknown ids name nobody and are left out).
// Normalise numbers with the plan the pipeline uses.
func CorpusFromEntries(entries []cdr.Entry, accounts []cdr.Account, plan cdr.NumberPlan) *Corpus {
	c := NewCorpus()
	for _, a := range accounts {
		if a.Placeholder {
			continue
		}
		c.AddName(a.Name)
		c.AddLogin(a.Login)
		c.AddLogin(a.SAMAccountName)
	}
	seenNames := map[string]bool{}
	seenNumbers := map[string]bool{}
	for i := range entries {
		e := &entries[i]
		for _, id := range [...]cdr.CallerID{e.CallerCallerID, e.CalledCallerID} {
			if !seenNames[id.Name] {
				seenNames[id.Name] = true
				c.AddName(id.Name)
			}
			if !seenNumbers[id.Number] {
				seenNumbers[id.Number] = true
				c.AddNumber(id.Number, plan)
			}
		}
		if !seenNumbers[e.CallbackNumber] {
			seenNumbers[e.CallbackNumber] = true
			c.AddNumber(e.CallbackNumber, plan)
		}
		c.AddLogin(e.Login)
		if _, ok := e.CausedByAccount(); !ok {
			c.AddLogin(e.CallResultCausedBy)
		}
	}
	// Ids last: a name or number an id embeds is then reported as the
	// name or number it is.
	for i := range entries {
		e := &entries[i]
		c.AddCallID(e.CallID)
		c.AddCallID(e.CallStepID)
		c.AddCallID(e.CallLegUUID)
		c.AddCallID(e.ChannelName)
	}
	return c
}

// original returns the index of an original, adding it. c.mu is held.
func (c *Corpus) original(k Kind, s string) int32 {
	key := original{k, s}
	if i, ok := c.origIndex[key]; ok {
		return i
	}
	i := int32(len(c.originals))
	c.originals = append(c.originals, key)
	c.origIndex[key] = i
	return i
}

// add adds a form and the forms JSON encoders write of it. A form already
// known keeps its first original. c.mu is held.
func (c *Corpus) add(o int32, k Kind, form string, b boundary, ignore string) {
	for _, f := range [...]string{form, jsonHTML(form), jsonASCII(form)} {
		key := string(fold(nil, []byte(f)))
		if _, dup := c.byText[key]; dup {
			continue
		}
		c.byText[key] = len(c.pats)
		c.pats = append(c.pats, pattern{text: []byte(key), form: f, orig: o, kind: k, bound: b, ignore: ignore})
		c.m = nil
	}
}

// ScanOption changes how Scan looks.
type ScanOption func(*scanConfig)

type scanConfig struct {
	binary bool
}

// Binary finds every form anywhere in the output, also inside a longer
// word or digit run: for database files and binary encodings, which store
// values without separators (see the package documentation).
func Binary() ScanOption { return func(c *scanConfig) { c.binary = true } }

// Scan returns every leak of the corpus's values in output, by offset.
// It reads output once, whatever the size of the corpus: about 200 MB/s
// for output without leaks.
func (c *Corpus) Scan(output []byte, opts ...ScanOption) []Leak {
	var cfg scanConfig
	for _, o := range opts {
		o(&cfg)
	}
	m, origs := c.matcher()
	return m.scan(output, origs, cfg.binary)
}

func (c *Corpus) matcher() (*matcher, []original) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = newMatcher(c.pats, c.ignored)
	}
	return c.m, c.originals[:len(c.originals):len(c.originals)]
}

// maxShown is how many leaks AssertNoLeaks shows.
const maxShown = 10

// AssertNoLeaks fails t when output holds a value of the corpus, showing
// the first leaks in context. what names the output in the message. An
// empty corpus fails too: it would pass any output.
func AssertNoLeaks(t testing.TB, what string, output []byte, c *Corpus, opts ...ScanOption) {
	t.Helper()
	if c.empty() {
		t.Errorf("pseudotest: %s: the corpus is empty: nothing to look for, so the check would pass any output", what)
		return
	}
	leaks := c.Scan(output, opts...)
	if len(leaks) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d leaks of personal data in %d bytes (%s); the first:", what, len(leaks), len(output), summary(leaks))
	for _, l := range leaks[:min(len(leaks), maxShown)] {
		b.WriteString("\n\t")
		b.WriteString(l.String())
	}
	t.Error(b.String())
}

// AssertFinds fails t unless output holds at least one value of each of
// the given kinds: run it on the clear output of a sink to prove that the
// scan sees what the sink writes, so that AssertNoLeaks on the concealed
// output can fail. It returns the leaks found.
func AssertFinds(t testing.TB, what string, output []byte, c *Corpus, kinds []Kind, opts ...ScanOption) []Leak {
	t.Helper()
	leaks := c.Scan(output, opts...)
	counts := CountByKind(leaks)
	var missing []string
	for _, k := range kinds {
		if counts[k] == 0 {
			missing = append(missing, k.String())
		}
	}
	if len(missing) > 0 {
		t.Errorf("pseudotest: %s: no %s found in %d bytes (found: %s): the scan cannot see these values in this output, so it cannot prove they do not leak",
			what, strings.Join(missing, ", "), len(output), summary(leaks))
	}
	return leaks
}

func (c *Corpus) empty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pats) == 0
}

// summary is "12 names, 3 numbers" or "none".
func summary(leaks []Leak) string {
	counts := CountByKind(leaks)
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		p := fmt.Sprintf("%d %v", counts[k], k)
		if counts[k] != 1 {
			p += "s"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// matcher finds many patterns in one pass: every pattern is indexed by its
// first 4 bytes (patterns shorter than 8) or 8 bytes (the rest), and a bit
// set over a hash of those keys rules out almost every position with two
// memory reads. Only positions whose key is a pattern's are verified.
type matcher struct {
	pats         []pattern
	bits4, bits8 []uint64
	idx4         map[uint32][]int32
	idx8         map[uint64][]int32
	// known are the words that are no one's name (stop words and ignored
	// words), folded: a Binary scan does not report a name inside them.
	known [][]byte
}

const hashBits = 20 // 1M bits per set: 128 KiB, sparse for 10^5 patterns

func hashKey(x uint64) uint64 { return (x * 0x9E3779B97F4A7C15) >> (64 - hashBits) }

func newMatcher(pats []pattern, ignored map[string]bool) *matcher {
	m := &matcher{
		bits4: make([]uint64, 1<<hashBits/64), bits8: make([]uint64, 1<<hashBits/64),
		idx4: map[uint32][]int32{}, idx8: map[uint64][]int32{},
	}
	for _, set := range []map[string]bool{stopWords, ignored} {
		for _, w := range slices.Sorted(maps.Keys(set)) {
			m.known = append(m.known, []byte(w))
		}
	}
	for _, p := range pats {
		if p.ignore != "" && (stopWords[p.ignore] || ignored[p.ignore]) || len(p.text) < 4 {
			continue // every minimum length is at least 4
		}
		i := int32(len(m.pats))
		m.pats = append(m.pats, p)
		if len(p.text) < 8 {
			k := binary.LittleEndian.Uint32(p.text)
			h := hashKey(uint64(k))
			m.bits4[h>>6] |= 1 << (h & 63)
			m.idx4[k] = append(m.idx4[k], i)
		} else {
			k := binary.LittleEndian.Uint64(p.text)
			h := hashKey(k)
			m.bits8[h>>6] |= 1 << (h & 63)
			m.idx8[k] = append(m.idx8[k], i)
		}
	}
	return m
}

type hit struct {
	start, end int
	pat        int32
}

func (m *matcher) scan(out []byte, origs []original, anywhere bool) []Leak {
	n := len(out)
	if n < 4 || len(m.pats) == 0 {
		return nil
	}
	buf := make([]byte, n+8) // every position can read 8 bytes
	foldInto(buf, out)
	var hits []hit
	m.candidates(buf, n, func(i int, cands []int32) {
		for _, pi := range cands {
			p := &m.pats[pi]
			end := i + len(p.text)
			if end <= n && bytes.Equal(buf[i:end], p.text) && (bounded(out, i, end, p) || anywhere && !m.inKnownWord(buf[:n], i, end, p)) &&
				(p.kind == KindCallID || !inHexToken(out, i, end)) {
				hits = append(hits, hit{i, end, pi})
			}
		}
	})
	// The longest of overlapping forms: "Anna Berger", not also "Berger".
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end)) })
	var leaks []Leak
	reach := 0
	for _, h := range hits {
		if h.end <= reach {
			continue
		}
		reach = h.end
		p := &m.pats[h.pat]
		leaks = append(leaks, Leak{Kind: p.kind, Original: origs[p.orig].text, Form: p.form, Offset: h.start, Context: excerpt(out, h.start, h.end)})
	}
	return leaks
}

// inKnownWord reports whether the name or login match buf[i:end] is part
// of a known word there ("vera" in "unrecoverable"). buf is folded.
func (m *matcher) inKnownWord(buf []byte, i, end int, p *pattern) bool {
	if p.bound != boundWord {
		return false
	}
	for _, w := range m.known {
		if len(w) <= end-i {
			continue
		}
		for k, off := 0, 0; ; off++ {
			k = bytes.Index(w[off:], p.text)
			if k < 0 {
				break
			}
			off += k
			if s := i - off; s >= 0 && s+len(w) <= len(buf) && bytes.Equal(buf[s:s+len(w)], w) {
				return true
			}
		}
	}
	return false
}

// candidates calls try with the patterns whose key is at buf[i:], for
// every position i < n-3; buf holds 8 bytes more than n.
//
// It reads every byte of tens of MB, which the race detector slows about
// fortyfold, so it is not instrumented: it reads only buf, which this
// goroutine made, and the matcher, which nobody writes after newMatcher.
//
//go:norace
func (m *matcher) candidates(buf []byte, n int, try func(i int, cands []int32)) {
	bits4, bits8 := m.bits4, m.bits8
	for i := 0; i <= n-4; i++ {
		w := binary.LittleEndian.Uint64(buf[i : i+8])
		if h := hashKey(w & 0xFFFFFFFF); bits4[h>>6]&(1<<(h&63)) != 0 {
			try(i, m.idx4[uint32(w)])
		}
		if h := hashKey(w); bits8[h>>6]&(1<<(h&63)) != 0 && i+8 <= n {
			try(i, m.idx8[w])
		}
	}
}

// inHexToken reports whether out[i:end] is part of a longer token of hex
// digits with both digits and letters: a pseudonym's tag, a hash, a uuid.
// Such tokens are random, and now and then hold a number's digits or a
// name like "Abed".
func inHexToken(out []byte, i, end int) bool {
	for _, c := range out[i:end] {
		if !isHex(c) {
			return false
		}
	}
	s, e := i, end
	for s > 0 && isHex(out[s-1]) {
		s--
	}
	for e < len(out) && isHex(out[e]) {
		e++
	}
	if s == i && e == end {
		return false
	}
	digit, letter := false, false
	for _, c := range out[s:e] {
		if isDigit(c) {
			digit = true
		} else {
			letter = true
		}
	}
	return digit && letter
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// bounded reports whether the match out[i:end] stands alone as its pattern
// requires.
func bounded(out []byte, i, end int, p *pattern) bool {
	switch p.bound {
	case boundDigit:
		if i > 0 && isDigit(out[i-1]) && p.text[0] != '+' {
			return false
		}
		return end == len(out) || !isDigit(out[end])
	case boundWord:
		return wordStart(out, i) && wordEnd(out, i, end)
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// wordStart reports whether a word starts at out[i]: after a non-letter,
// after a JSON escape ("\n", "\u0026"), or as the next part of a
// camel-case word ("AnnaBerger").
func wordStart(out []byte, i int) bool {
	if i == 0 {
		return true
	}
	prev, _ := utf8.DecodeLastRune(out[:i])
	if !isAlnum(prev) {
		return true
	}
	if i >= 2 && out[i-2] == '\\' || i >= 6 && out[i-6] == '\\' && out[i-5] == 'u' {
		return true
	}
	first, _ := utf8.DecodeRune(out[i:])
	return unicode.IsLower(prev) && unicode.IsUpper(first)
}

// wordEnd reports whether the word out[i:end] ends at end.
func wordEnd(out []byte, i, end int) bool {
	if end == len(out) {
		return true
	}
	next, _ := utf8.DecodeRune(out[end:])
	if !isAlnum(next) {
		return true
	}
	last, _ := utf8.DecodeLastRune(out[i:end])
	return unicode.IsLower(last) && unicode.IsUpper(next)
}

// excerpt returns out[start:end] with up to 32 bytes either side, cut at
// rune boundaries.
func excerpt(out []byte, start, end int) string {
	const around = 32
	a, b := max(start-around, 0), min(end+around, len(out))
	for a > 0 && a < start && !utf8.RuneStart(out[a]) {
		a++
	}
	for b < len(out) && b > end && !utf8.RuneStart(out[b]) {
		b--
	}
	return string(out[a:b])
}

// foldASCII maps ASCII upper case to lower case and every other byte to
// itself.
var foldASCII = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// fold appends src to dst lower-cased without changing its length: ASCII
// letters and the Latin-1 capitals À–Þ (U+00C0–U+00DE, "Ä", "Ö", "Ü",
// two bytes C3 80–9E, their small letters 0x20 higher), so that byte
// offsets in the folded text are offsets in the output.
func fold(dst, src []byte) []byte {
	start := len(dst)
	dst = append(dst, src...)
	foldInto(dst[start:], src)
	return dst
}

// foldInto writes src folded to d, which is at least as long. Like
// candidates, it touches every byte of the output and writes only memory
// its caller made, so the race detector is told to skip it (a caller that
// changes the output while it is scanned is not reported).
//
//go:norace
func foldInto(d, src []byte) {
	copy(d, src)
	for i := 0; i < len(src); i++ {
		c := d[i]
		if c == 0xC3 && i+1 < len(src) {
			if n := d[i+1]; n >= 0x80 && n <= 0x9E && n != 0x97 { // 0x97 is ×
				d[i+1] = n + 0x20
			}
			i++
			continue
		}
		d[i] = foldASCII[c]
	}
}

var umlauts = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue")

// transliterate writes German umlauts as ASCII, as systems that cannot
// store them do.
func transliterate(s string) string { return umlauts.Replace(s) }

// jsonHTML returns s as encoding/json writes it inside a string by default
// (HTML-escaped: "&" as \u0026).
func jsonHTML(s string) string {
	b, err := json.Marshal(s)
	if err != nil || len(b) < 2 {
		return s
	}
	return string(b[1 : len(b)-1])
}

// jsonASCII returns s as ASCII-only JSON encoders write it inside a
// string: every rune beyond ASCII as \uXXXX (surrogate pairs beyond the
// BMP).
func jsonASCII(s string) string {
	var b strings.Builder
	for _, r := range jsonHTML(s) {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// stopWords are name parts that are no one's name: legal forms, business
// words, and the SDK's own vocabulary, which every sink writes. Folded.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		// Legal forms and business words of company names.
		"gmbh", "mbh", "gbr", "ohg", "kgaa", "haftungsbeschränkt", "inc", "ltd", "llc", "corp", "sarl", "bv",
		"elektrotechnik", "logistik", "steuerberatung", "autohaus", "praxis", "kanzlei", "apotheke", "handel",
		"service", "services", "gruppe", "team", "abteilung", "firma", "holding", "international",
		// The words of pseudonyms and of placeholder accounts.
		"person", "group", "text", "login", "call", "deleted", "account",
	} {
		m[w] = true
	}
	for _, w := range vocabulary() {
		if len(w) >= MinNameLen {
			m[w] = true
		}
	}
	return m
}()

// vocabulary returns the words of the SDK's outputs: its records' field
// and JSON names, CSV column names and the text of its enums, split into
// words (camel case, '-', '_'), folded.
func vocabulary() []string {
	var words []string
	addWords := func(s string) {
		var cur []rune
		flush := func() {
			if len(cur) > 0 {
				words = append(words, strings.ToLower(string(cur)))
				cur = cur[:0]
			}
		}
		for i, r := range []rune(s) {
			switch {
			case !unicode.IsLetter(r):
				flush()
				continue
			case unicode.IsUpper(r) && i > 0 && len(cur) > 0 && unicode.IsLower(cur[len(cur)-1]):
				flush()
			}
			cur = append(cur, r)
		}
		flush()
		words = append(words, strings.ToLower(s))
	}
	var walk func(t reflect.Type, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, seen map[reflect.Type]bool) {
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for f := range t.Fields() {
			addWords(f.Name)
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
				addWords(tag)
			}
			walk(f.Type, seen)
		}
	}
	seen := map[reflect.Type]bool{reflect.TypeFor[time.Time](): true}
	for _, t := range []reflect.Type{
		reflect.TypeFor[cdr.Entry](), reflect.TypeFor[cdr.Account](),
		reflect.TypeFor[callflow.Call](), reflect.TypeFor[callflow.LostCall](), reflect.TypeFor[callflow.LostCaller](),
		reflect.TypeFor[callflow.PartyKPI](), reflect.TypeFor[callflow.BuddyReport](), reflect.TypeFor[callflow.RepeatReport](),
		reflect.TypeFor[callflow.AgentKPI](), reflect.TypeFor[callflow.GroupKPI](),
		reflect.TypeFor[live.UserState](), reflect.TypeFor[live.QueueState](),
		reflect.TypeFor[live.UserLoginState](), reflect.TypeFor[live.MemberLoginState](),
	} {
		walk(t, seen)
	}
	// Enum text: every value until the type's fallback "Type(n)" form.
	for i := range 64 {
		for _, s := range []fmt.Stringer{
			callflow.Outcome(i), callflow.EventKind(i), callflow.Disposition(i), callflow.LostCallerOutcome(i),
			callflow.Direction(i), callflow.Range(i), callflow.Result(i), cdr.AccountType(i), cdr.NumberKind(i),
			callflow.Flag(1 << (i % 16)),
		} {
			if t := s.String(); !strings.Contains(t, "(") {
				addWords(t)
			}
		}
	}
	for _, s := range []string{
		string(cdr.Connected), string(cdr.NotConnected), string(cdr.AnsweredElsewhere),
		string(live.TelephonyAvailable), string(live.TelephonyRinging), string(live.TelephonyActive), string(live.TelephonyQueuePause), string(live.TelephonyUnavailable),
		string(live.CallIncoming), string(live.CallRinging), string(live.CallConnected), string(live.CallParked), string(live.CallHangup),
		"withheld", "anonymous",
	} {
		addWords(s)
	}
	return words
}
