// Package state keeps azpeer's run records on disk: one JSON file per
// peering in a directory of the user's (by default the OS's state
// directory), written atomically with mode 0600, and a lock file per
// peering so one process at a time drives a run. It implements
// peering.RecordStore.
package state

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/azpeer/azpeer/peering"
)

// Dir is a directory of run records.
type Dir struct {
	Path string
}

var _ peering.RecordStore = Dir{}

// DefaultDir is where records live unless --state-dir says otherwise:
// $XDG_STATE_HOME/azpeer (else ~/.local/state/azpeer) on Linux and other
// Unix systems, ~/Library/Application Support/azpeer/state on macOS, and
// %LocalAppData%\azpeer\state on Windows.
func DefaultDir(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	switch runtime.GOOS {
	case "windows", "darwin", "ios":
		// UserConfigDir is ~/Library/Application Support on macOS;
		// UserCacheDir is %LocalAppData% on Windows (not roamed, as local
		// state should be).
		base, err := os.UserCacheDir()
		if runtime.GOOS != "windows" {
			base, err = os.UserConfigDir()
		}
		if err != nil {
			return "", fmt.Errorf("no state directory (%v): pass --state-dir", err)
		}
		return filepath.Join(base, "azpeer", "state"), nil
	}
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "azpeer"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no state directory: set XDG_STATE_HOME or pass --state-dir: %w", err)
	}
	return filepath.Join(home, ".local", "state", "azpeer"), nil
}

// Location is the directory.
func (d Dir) Location() string { return d.Path }

var unsafeChars = regexp.MustCompile(`[^a-z0-9-]+`)

// fileBase names a target's files: readable, and unique by a hash of its key.
func fileBase(t peering.Target) string {
	h := sha256.Sum256([]byte(t.Key()))
	name := unsafeChars.ReplaceAllString(strings.ToLower(t.Owner()+"-"+t.VNetName), "-")
	if len(name) > 60 {
		name = name[:60]
	}
	return name + "-" + hex.EncodeToString(h[:6])
}

func (d Dir) path(t peering.Target) string { return filepath.Join(d.Path, fileBase(t)+".json") }

// Load reads a target's record; nil, nil when there is none.
func (d Dir) Load(t peering.Target) (*peering.Record, error) {
	p := d.path(t)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read run record: %w", err)
	}
	var r peering.Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("run record %s is damaged (%v); move it away to start over", p, err)
	}
	if err := r.Migrate(); err != nil {
		return nil, fmt.Errorf("run record %s: %w", p, err)
	}
	return &r, nil
}

// List returns every readable record in the directory.
func (d Dir) List() ([]*peering.Record, error) {
	entries, err := os.ReadDir(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*peering.Record
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(d.Path, e.Name()))
		if err != nil {
			continue
		}
		var r peering.Record
		if json.Unmarshal(data, &r) == nil && r.Migrate() == nil {
			out = append(out, &r)
		}
	}
	return out, nil
}

// Save writes the record atomically (temp file, fsync, rename, directory
// fsync), mode 0600.
func (d Dir) Save(r *peering.Record) error {
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(d.path(r.Target), data); err != nil {
		return fmt.Errorf("save run record in %s: %w", d.Path, err)
	}
	return nil
}

// Remove deletes a target's record; an absent one is fine.
func (d Dir) Remove(t peering.Target) error {
	err := os.Remove(d.path(t))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove run record: %w", err)
	}
	return syncDir(d.Path)
}

// Lock takes the target's lock without waiting. The lock file holds the
// holder's pid so the loser can say who holds it. Holding the lock, it
// also sweeps away temporary files an interrupted save of this target
// left behind: no one else can be writing them.
func (d Dir) Lock(t peering.Target) (peering.Unlocker, error) {
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	base := fileBase(t)
	f, err := os.OpenFile(filepath.Join(d.Path, base+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the run: %w", err)
	}
	if err := lockFile(f); err != nil {
		buf := make([]byte, 32)
		n, _ := f.ReadAt(buf, 0)
		f.Close()
		pid, _ := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
		if errors.Is(err, errLocked) {
			return nil, &peering.LockedError{Target: t, PID: pid}
		}
		return nil, fmt.Errorf("lock the run: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	d.sweepTemp(base)
	return &lock{f: f}, nil
}

// sweepTemp removes temporary files of a target's record.
func (d Dir) sweepTemp(base string) {
	matches, _ := filepath.Glob(filepath.Join(d.Path, "."+base+".json.*.tmp"))
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

// lock is a held lock file.
type lock struct{ f *os.File }

func (l *lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := unlockFile(l.f)
	l.f.Close()
	l.f = nil
	return err
}

// errLocked is what lockFile returns when another process holds the lock.
var errLocked = errors.New("locked")

// WriteFileAtomic writes data to path via a temp file in the same
// directory, fsyncs it, renames it into place with mode 0600, and fsyncs
// the directory so the rename survives a crash.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return syncDir(dir)
}

// syncDir makes a directory's entries durable. Windows cannot open a
// directory for syncing; NTFS journals renames itself.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	defer d.Close()
	// Some file systems cannot sync a directory and say EINVAL; the rename
	// itself is done, so that is no reason to fail the save.
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
