package cdr

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
)

// WriteJSON writes entries as newline-delimited JSON, one object per line,
// with Entry's json tags: times in RFC 3339 with nanoseconds and their
// offset, empty fields left out, caller ids as strings. ReadJSON reads it
// back to equal entries (times equal by time.Time.Equal). JSON cannot hold
// invalid UTF-8: such bytes in text fields become U+FFFD.
func WriteJSON(w io.Writer, entries iter.Seq[Entry]) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // keep "Name <0711 123>" readable; JSON does not need the escape
	n := 0
	for e := range entries {
		n++
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("cdr: writing JSON entry %d (id %d): %w", n, e.ID, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cdr: writing JSON: %w", err)
	}
	return nil
}

// ReadJSON reads newline-delimited JSON entries as WriteJSON writes them.
// It streams, line by line, whatever the length of a line. A line that is
// not an Entry object (bad JSON, a wrong type, an unknown field) yields a
// zero Entry and a *ParseError with the line number, and reading goes on;
// blank lines are skipped. A read error ends the sequence. The returned
// sequence can be ranged over once.
func ReadJSON(r io.Reader) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		br := bufio.NewReaderSize(r, 64<<10)
		var buf []byte
		for line := 1; ; line++ {
			buf = buf[:0]
			var err error
			for {
				var b []byte
				b, err = br.ReadSlice('\n')
				buf = append(buf, b...)
				if err != bufio.ErrBufferFull {
					break
				}
			}
			if err != nil && err != io.EOF {
				yield(Entry{}, fmt.Errorf("cdr: reading JSON: %w", err))
				return
			}
			text := buf
			if line == 1 {
				text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
			}
			text = bytes.TrimSpace(text)
			if len(text) > 0 {
				e, perr := decodeJSONEntry(text)
				if perr != nil {
					perr.Line = line
					if !yield(Entry{}, perr) {
						return
					}
				} else if !yield(e, nil) {
					return
				}
			}
			if err == io.EOF {
				return
			}
		}
	}
}

var errNotObject = errors.New("want a JSON object")

// decodeJSONEntry decodes one line strictly: one object, known fields only,
// nothing after it.
func decodeJSONEntry(text []byte) (Entry, *ParseError) {
	if text[0] != '{' {
		return Entry{}, &ParseError{Err: errNotObject}
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		pe := &ParseError{Err: err}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			pe.Column = te.Field
		}
		return Entry{}, pe
	}
	if _, err := dec.Token(); err != io.EOF {
		return Entry{}, &ParseError{Err: errors.New("unexpected data after the JSON object")}
	}
	return e, nil
}
