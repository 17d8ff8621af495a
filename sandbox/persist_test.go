package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFile0600 checks the atomic write: the file holds the new bytes
// with mode 0600 whether or not it existed, and no temporary file is left
// beside it.
func TestWriteFile0600(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing []byte // nil: no file before
		data     []byte
	}{
		{"new file", nil, []byte(`{"version":1}`)},
		{"replaces a file", []byte("old contents, longer than the new"), []byte("new")},
		{"empty data", []byte("old"), []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, stateFile)
			if tc.existing != nil {
				if err := os.WriteFile(path, tc.existing, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := writeFile0600(path, tc.data); err != nil {
				t.Fatalf("writeFile0600: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != string(tc.data) {
				t.Fatalf("file holds %q (%v), want %q", got, err, tc.data)
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
			}
			entries, err := os.ReadDir(dir)
			if err != nil || len(entries) != 1 {
				t.Fatalf("directory holds %v (%v), want only %s", entries, err, stateFile)
			}
		})
	}
}

// TestWriteFile0600MissingDir checks that a write into a directory that
// does not exist fails rather than writing elsewhere.
func TestWriteFile0600MissingDir(t *testing.T) {
	if err := writeFile0600(filepath.Join(t.TempDir(), "missing", stateFile), []byte("x")); err == nil {
		t.Fatal("writeFile0600 into a missing directory succeeded")
	}
}
