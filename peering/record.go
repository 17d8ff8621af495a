package peering

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
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RecordSchema is the version of the run record format.
const RecordSchema = 1

// maxEvents bounds the event log kept in a record.
const maxEvents = 1000

// Target identifies one peering: an Aiven project VPC and an Azure VNet.
// Names keep the case the user (and Azure) gave; what is sent to Aiven is
// lower-cased by the runbook.
type Target struct {
	Project        string `json:"project"`
	VPCID          string `json:"vpc_id"`
	SubscriptionID string `json:"subscription_id"`
	ResourceGroup  string `json:"resource_group"`
	VNetName       string `json:"vnet_name"`
}

// VNetID is the target VNet's resource id.
func (t Target) VNetID() string {
	return "/subscriptions/" + t.SubscriptionID + "/resourceGroups/" + t.ResourceGroup +
		"/providers/Microsoft.Network/virtualNetworks/" + t.VNetName
}

// String is a short human name: project/vpc ↔ rg/vnet.
func (t Target) String() string {
	return fmt.Sprintf("%s/%s ↔ %s/%s", t.Project, shortID(t.VPCID), t.ResourceGroup, t.VNetName)
}

// StepStatus is where a step stands in a run.
type StepStatus string

const (
	StatusPending StepStatus = "pending"
	StatusRunning StepStatus = "running"
	StatusDone    StepStatus = "done"
	StatusFailed  StepStatus = "failed"
)

// StepRecord is one step's state in a run.
type StepRecord struct {
	Status   StepStatus `json:"status"`
	Started  time.Time  `json:"started,omitzero"`
	Finished time.Time  `json:"finished,omitzero"`
	Attempts int        `json:"attempts,omitempty"`
	Error    string     `json:"error,omitempty"`
	// Detected is true when the step found its work already done.
	Detected bool `json:"detected,omitempty"`
}

// Record is the durable state of one peering run. It never holds the app's
// secret: only the password credential's key id.
type Record struct {
	Schema  int                    `json:"schema"`
	Target  Target                 `json:"target"`
	Options Options                `json:"options"`
	Created time.Time              `json:"created"`
	Updated time.Time              `json:"updated"`
	Steps   map[StepID]*StepRecord `json:"steps"`
	Outputs map[string]string      `json:"outputs"`
	Events  []Event                `json:"events"`
}

// NewRecord starts a record for a target.
func NewRecord(t Target, o Options, now time.Time) *Record {
	r := &Record{Schema: RecordSchema, Target: t, Options: o, Created: now, Updated: now,
		Steps: map[StepID]*StepRecord{}, Outputs: map[string]string{}}
	for _, s := range StepIDs() {
		r.Steps[s] = &StepRecord{Status: StatusPending}
	}
	return r
}

// Step returns the record of a step, creating it when missing.
func (r *Record) Step(id StepID) *StepRecord {
	if r.Steps == nil {
		r.Steps = map[StepID]*StepRecord{}
	}
	s := r.Steps[id]
	if s == nil {
		s = &StepRecord{Status: StatusPending}
		r.Steps[id] = s
	}
	return s
}

// Output returns a recorded value.
func (r *Record) Output(k string) string { return r.Outputs[k] }

func (r *Record) addEvent(e Event) {
	r.Events = append(r.Events, e)
	if len(r.Events) > maxEvents {
		r.Events = append(r.Events[:0:0], r.Events[len(r.Events)-maxEvents:]...)
	}
}

// Done reports whether every step is done.
func (r *Record) Done() bool {
	for _, id := range StepIDs() {
		if r.Step(id).Status != StatusDone {
			return false
		}
	}
	return true
}

// Store keeps run records as files in a directory (by default
// $XDG_STATE_HOME/azpeer). Files are JSON, mode 0600, written atomically.
type Store struct {
	Dir string
}

// DefaultStateDir is $XDG_STATE_HOME/azpeer, or ~/.local/state/azpeer.
func DefaultStateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "azpeer"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no state directory: set XDG_STATE_HOME or --state-dir: %w", err)
	}
	return filepath.Join(home, ".local", "state", "azpeer"), nil
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9-]+`)

// fileBase names a target's files: readable, and unique by a hash of the
// full (case-insensitive) key.
func fileBase(t Target) string {
	key := strings.ToLower(strings.Join([]string{t.Project, t.VPCID, t.SubscriptionID, t.ResourceGroup, t.VNetName}, "\x00"))
	h := sha256.Sum256([]byte(key))
	name := unsafeChars.ReplaceAllString(strings.ToLower(t.Project+"-"+t.VNetName), "-")
	if len(name) > 60 {
		name = name[:60]
	}
	return name + "-" + hex.EncodeToString(h[:6])
}

func (s Store) path(t Target) string { return filepath.Join(s.Dir, fileBase(t)+".json") }

// Load reads a target's record; it returns nil, nil when there is none.
func (s Store) Load(t Target) (*Record, error) {
	data, err := os.ReadFile(s.path(t))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read run record: %w", err)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("run record %s is damaged (%v); move it away to start over", s.path(t), err)
	}
	if r.Schema != RecordSchema {
		return nil, fmt.Errorf("run record %s has schema %d; this azpeer reads schema %d", s.path(t), r.Schema, RecordSchema)
	}
	if r.Outputs == nil {
		r.Outputs = map[string]string{}
	}
	return &r, nil
}

// List returns every record in the store.
func (s Store) List() ([]*Record, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.Dir, e.Name()))
		if err != nil {
			continue
		}
		var r Record
		if json.Unmarshal(data, &r) == nil && r.Schema == RecordSchema {
			out = append(out, &r)
		}
	}
	return out, nil
}

// Save writes the record atomically: temp file, fsync, rename, mode 0600.
func (s Store) Save(r *Record) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(s.path(r.Target), data)
}

// Remove deletes a target's record.
func (s Store) Remove(t Target) error {
	err := os.Remove(s.path(t))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Lock is an exclusive hold on a target's run.
type Lock struct{ f *os.File }

// LockedError says another process drives the run.
type LockedError struct {
	Target Target
	PID    int
}

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("the run for %s is in use by another azpeer (pid %d); wait for it to finish or stop it", e.Target, e.PID)
	}
	return fmt.Sprintf("the run for %s is in use by another azpeer; wait for it to finish or stop it", e.Target)
}

// Lock takes the target's lock without waiting. The lock file holds the
// holder's pid so the loser can say who holds it.
func (s Store) Lock(t Target) (*Lock, error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	p := filepath.Join(s.Dir, fileBase(t)+".lock")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock run: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		buf := make([]byte, 32)
		n, _ := f.ReadAt(buf, 0)
		f.Close()
		pid, _ := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
		return nil, &LockedError{Target: t, PID: pid}
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release lets go of the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
	return err
}

// WriteFileAtomic writes data to path via a temp file in the same
// directory, fsyncs it, and renames it into place, with mode 0600.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
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
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
