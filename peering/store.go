package peering

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
)

// RecordStore keeps run records and the lock that lets one process at a
// time drive a run. Package state implements it in a directory; the
// runbook only needs this.
type RecordStore interface {
	// Load returns a target's record, or nil, nil when there is none.
	Load(t Target) (*Record, error)
	// Save writes a record durably (it survives a crash right after).
	Save(r *Record) error
	// Remove deletes a target's record; an absent one is fine.
	Remove(t Target) error
	// List returns every record.
	List() ([]*Record, error)
	// Lock takes the target's lock without waiting; a held lock is a
	// *LockedError.
	Lock(t Target) (Unlocker, error)
	// Location says where records are, for messages ("/home/x/.local/state/azpeer").
	Location() string
}

// Unlocker releases a lock.
type Unlocker interface{ Unlock() error }

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

// hashKey is a short stable hash of a key, for file names and tags.
func hashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:8])
}

// MemoryStore is a RecordStore in memory, for tests of pure domain logic
// and for runs that need no persistence. It stores copies.
type MemoryStore struct {
	mu      sync.Mutex
	records map[string][]byte
	locks   map[string]bool
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{records: map[string][]byte{}, locks: map[string]bool{}}
}

func (m *MemoryStore) Load(t Target) (*Record, error) {
	m.mu.Lock()
	data, ok := m.records[t.Key()]
	m.mu.Unlock()
	if !ok {
		return nil, nil
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	return &r, r.Migrate()
}

func (m *MemoryStore) Save(r *Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records[r.Target.Key()] = data
	return nil
}

func (m *MemoryStore) Remove(t Target) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.records, t.Key())
	return nil
}

func (m *MemoryStore) List() ([]*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Record
	for _, data := range m.records {
		var r Record
		if json.Unmarshal(data, &r) == nil && r.Migrate() == nil {
			out = append(out, &r)
		}
	}
	return out, nil
}

func (m *MemoryStore) Lock(t Target) (Unlocker, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locks[t.Key()] {
		return nil, &LockedError{Target: t}
	}
	m.locks[t.Key()] = true
	return memoryUnlock(func() {
		m.mu.Lock()
		delete(m.locks, t.Key())
		m.mu.Unlock()
	}), nil
}

func (m *MemoryStore) Location() string { return "memory" }

type memoryUnlock func()

func (u memoryUnlock) Unlock() error { u(); return nil }
