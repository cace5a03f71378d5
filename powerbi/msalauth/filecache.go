package msalauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// fileCache persists MSAL's token cache in one file. MSAL calls Replace
// before it reads its cache and Export after it changed it, with the whole
// cache each time; the partition hints are ignored since one file holds
// one application's cache.
//
// Writes go to a temporary file in the same directory, are synced, then
// renamed over the file: readers (this process or another) see the old
// cache or the new one, never a mix, and a crash leaves no half-written
// file. Two processes writing at once both succeed and the last rename
// wins; no lock is taken. Nothing here waits on the network, so the
// default timeout ExportReplace asks for is not needed: a done ctx is
// honoured before any work.
type fileCache struct {
	path   string
	log    *slog.Logger
	warned atomic.Bool // the file's mode was reported

	// heal sets a corrupt file aside (logged) and starts an empty cache
	// instead of failing: for service principals, which sign in again
	// by themselves.
	heal bool

	// beforeRename, when set (tests), runs after the data is written to
	// the temporary file and before it is synced and renamed; an error
	// from it fails the write.
	beforeRename func(tmp *os.File) error
}

var _ cache.ExportReplace = (*fileCache)(nil)

func newFileCache(path string, log *slog.Logger) (*fileCache, error) {
	if path == "" {
		return nil, configError("The token cache file path is empty.", errors.New("msalauth: WithCacheFile: empty path"))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, configError("The token cache file path is not valid.", fmt.Errorf("msalauth: WithCacheFile %q: %w", path, err))
	}
	return &fileCache{path: abs, log: log}, nil
}

// Replace loads the file into MSAL's cache. A missing or empty file is an
// empty cache, so a sign-out by another process (or a deleted file) also
// empties this one. A file that does not decode is reported with
// ErrCacheCorrupt and left where it is.
func (c *fileCache) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := c.read()
	if err != nil {
		return err
	}
	if err := u.Unmarshal(data); err != nil {
		// The decoder's message may quote the file, which holds tokens:
		// it is not passed on.
		if !c.heal {
			return c.corrupt()
		}
		aside, err := c.setAside()
		if err != nil {
			return err
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "msalauth: the token cache file was damaged; it was set aside and a new one is started",
			slog.String("path", c.path), slog.String("set_aside_as", aside))
		return u.Unmarshal([]byte("{}"))
	}
	return nil
}

// Export writes MSAL's cache to the file, atomically.
func (c *fileCache) Export(ctx context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("msalauth: encoding the token cache: %w", err)
	}
	return c.write(data)
}

func (c *fileCache) corrupt() error {
	return fmt.Errorf("%w: %s does not hold an MSAL token cache", ErrCacheCorrupt, c.path)
}

// read returns the file's content, "{}" (an empty cache) when there is
// none, and warns about a file others can read.
func (c *fileCache) read() ([]byte, error) {
	f, err := os.Open(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return []byte("{}"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("msalauth: reading the token cache: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 && !c.warned.Swap(true) {
		c.log.Warn("msalauth: the token cache file can be read by other users; it will be rewritten with mode 0600 at the next change",
			slog.String("path", c.path), slog.String("mode", fi.Mode().Perm().String()))
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("msalauth: reading the token cache: %w", err)
	}
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return []byte("{}"), nil
	}
	return buf.Bytes(), nil
}

// setAside renames a corrupt file to path + ".corrupt" (replacing an older
// one), keeping it for inspection, so that a new cache can start.
func (c *fileCache) setAside() (string, error) {
	aside := c.path + ".corrupt"
	if err := os.Rename(c.path, aside); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("msalauth: setting the damaged token cache aside: %w", err)
	}
	return aside, nil
}

// write replaces the file with data: temporary file (mode 0600) in the
// same directory, fsync, rename, then a best-effort fsync of the directory
// so the rename itself survives a crash.
func (c *fileCache) write(data []byte) (err error) {
	dir := filepath.Dir(c.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("msalauth: creating the token cache directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(c.path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("msalauth: writing the token cache: %w", err)
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = tmp.Close()
			}
			_ = os.Remove(tmp.Name())
		}
	}()
	// CreateTemp already uses 0600; say so explicitly, the file holds
	// refresh tokens.
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("msalauth: writing the token cache: %w", err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("msalauth: writing the token cache: %w", err)
	}
	if c.beforeRename != nil {
		if err = c.beforeRename(tmp); err != nil {
			return fmt.Errorf("msalauth: writing the token cache: %w", err)
		}
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("msalauth: writing the token cache: %w", err)
	}
	closed = true
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("msalauth: writing the token cache: %w", err)
	}
	if err = os.Rename(tmp.Name(), c.path); err != nil {
		return fmt.Errorf("msalauth: writing the token cache: %w", err)
	}
	syncDir(dir)
	return nil
}

// syncDir flushes a directory entry; not every system allows it (Windows
// does not), hence best effort.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
