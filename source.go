package starinsight

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/starinsight/starinsight/cdr"
)

// Source is one PBX's call list, read after a cursor: the id of the last
// entry a pipeline stored. STARFACE numbers entries in the order it writes
// them, so the id is the natural cursor of both its database table and its
// CSV exports.
type Source interface {
	// Site names the PBX; every entry a Source yields carries it.
	Site() string
	// Entries yields the entries with an id above after, in ascending id
	// order, at most limit of them (limit ≤ 0: all there are now). A row
	// that cannot be read comes with an error naming it; an entry that
	// comes with an error but has an id moves the cursor past it, so one
	// bad row never stalls a pipeline.
	Entries(ctx context.Context, after int64, limit int) iter.Seq2[cdr.Entry, error]
}

// Counter is a Source that can say how many entries lie after a cursor,
// for progress reports with a total and an ETA.
type Counter interface {
	Count(ctx context.Context, after int64) (int64, error)
}

// DBSource reads the PBX's cdrdata table (cdr.ReadDB) by id.
type DBSource struct {
	db   *sql.DB
	site string
	opts []cdr.DBOption
}

// NewDBSource returns a source on db for site; opts are cdr.ReadDB's
// (table name, placeholders, time zone). The cursor and the site options
// are the pipeline's.
func NewDBSource(db *sql.DB, site string, opts ...cdr.DBOption) (*DBSource, error) {
	if db == nil {
		return nil, errors.New("starinsight: NewDBSource: nil *sql.DB")
	}
	return &DBSource{db: db, site: site, opts: opts}, nil
}

// Site returns the site.
func (s *DBSource) Site() string { return s.site }

// Entries reads entries after the cursor.
func (s *DBSource) Entries(ctx context.Context, after int64, limit int) iter.Seq2[cdr.Entry, error] {
	opts := append(slices.Clone(s.opts), cdr.WithAfterID(after), cdr.WithDBSite(s.site))
	if limit > 0 {
		opts = append(opts, cdr.WithBatchSize(limit))
	}
	return limited(cdr.ReadDB(ctx, s.db, opts...), limit)
}

// limited stops seq after limit entries (limit ≤ 0: never).
func limited(seq iter.Seq2[cdr.Entry, error], limit int) iter.Seq2[cdr.Entry, error] {
	return func(yield func(cdr.Entry, error) bool) {
		n := 0
		for e, err := range seq {
			if !yield(e, err) {
				return
			}
			if e.ID != 0 {
				n++
			}
			if limit > 0 && n >= limit {
				return
			}
		}
	}
}

// FolderSource reads the CSV exports dropped into a folder: every *.csv
// file, in name order, entries of all files merged by id. An entry in two
// files (overlapping exports) is read once. A record without a readable
// id (a malformed line) is reported once per process.
type FolderSource struct {
	dir  string
	site string
	opts []cdr.CSVOption

	mu       sync.Mutex
	reported map[string]bool // file:line of malformed records reported
}

// NewFolderSource returns a source on the CSV files in dir for site; opts
// are cdr.ReadCSV's (time zone).
func NewFolderSource(dir, site string, opts ...cdr.CSVOption) (*FolderSource, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("starinsight: NewFolderSource: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("starinsight: NewFolderSource: %s is not a folder", dir)
	}
	return &FolderSource{dir: dir, site: site, opts: opts, reported: map[string]bool{}}, nil
}

// Site returns the site.
func (s *FolderSource) Site() string { return s.site }

// FileError is a row of a CSV export that could not be read, with its
// file.
type FileError struct {
	File string
	Err  error // a *cdr.ParseError naming the line and column
}

func (e *FileError) Error() string { return fmt.Sprintf("starinsight: %s: %v", e.File, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

type folderEntry struct {
	e   cdr.Entry
	err error
}

// Entries reads the folder's files and yields the entries after the
// cursor, in id order.
func (s *FolderSource) Entries(ctx context.Context, after int64, limit int) iter.Seq2[cdr.Entry, error] {
	return func(yield func(cdr.Entry, error) bool) {
		entries, malformed, err := s.read(ctx, after, true)
		if err != nil {
			yield(cdr.Entry{}, err)
			return
		}
		for _, err := range malformed {
			if !yield(cdr.Entry{}, err) {
				return
			}
		}
		for i, fe := range entries {
			if limit > 0 && i >= limit {
				return
			}
			if !yield(fe.e, fe.err) {
				return
			}
		}
	}
}

// read reads the entries after the cursor, and the errors of records
// without an id not reported yet (marked reported when report is set).
func (s *FolderSource) read(ctx context.Context, after int64, report bool) ([]folderEntry, []error, error) {
	names, err := filepath.Glob(filepath.Join(s.dir, "*.csv"))
	if err != nil {
		return nil, nil, fmt.Errorf("starinsight: reading %s: %w", s.dir, err)
	}
	slices.Sort(names)
	seen := map[int64]bool{}
	var entries []folderEntry
	var malformed []error
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, fmt.Errorf("starinsight: %w", err)
		}
		base := filepath.Base(name)
		for e, err := range cdr.ReadCSV(f, append(slices.Clone(s.opts), cdr.WithSite(s.site))...) {
			if err != nil {
				err = &FileError{File: base, Err: err}
			}
			if e.ID == 0 {
				if err != nil && report && s.firstReport(base, err) {
					malformed = append(malformed, err)
				}
				continue
			}
			if e.ID <= after || seen[e.ID] {
				continue
			}
			seen[e.ID] = true
			e.Site = s.site
			entries = append(entries, folderEntry{e, err})
		}
		f.Close()
	}
	slices.SortStableFunc(entries, func(a, b folderEntry) int { return cmp.Compare(a.e.ID, b.e.ID) })
	return entries, malformed, nil
}

// firstReport reports whether err (of a record without an id) is new to
// this process.
func (s *FolderSource) firstReport(file string, err error) bool {
	key := file + ":" + err.Error()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reported[key] {
		return false
	}
	s.reported[key] = true
	return true
}

// Count returns how many entries lie after the cursor.
func (s *FolderSource) Count(ctx context.Context, after int64) (int64, error) {
	entries, _, err := s.read(ctx, after, false)
	return int64(len(entries)), err
}
