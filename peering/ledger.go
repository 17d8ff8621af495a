package peering

import (
	"errors"
	"fmt"
	"strings"
)

// The ledger: every object a run may create is recorded before the call
// that creates it is sent, and settled (created, found, adopted) once the
// step knows. A crash between the two leaves an Intended entry that the
// step resolves on resume, by the client-chosen id or the run's marker.

// object returns the ledger entry of a single-object slot.
func (r *Run) object(slot string) (Object, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rec.Object(slot)
}

// owns reports whether the run created or adopted the object in slot.
func (r *Run) owns(slot string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rec.Owns(slot)
}

// intended returns the id recorded for a create that may not have
// happened, or "" when slot holds no such intent.
func (r *Run) intended(slot string) (Object, bool) {
	o, ok := r.object(slot)
	if !ok || o.State != Intended {
		return Object{}, false
	}
	return o, true
}

// SaveError says the run record could not be written before an object was
// created, so the object was not created: nothing goes unrecorded.
type SaveError struct {
	What     string
	Location string
	Err      error
}

func (e *SaveError) Error() string {
	return fmt.Sprintf("could not save the run record in %s before creating %s: %v; nothing was created at this step (make the state directory writable, or pass --state-dir, and run again)",
		e.Location, e.What, e.Err)
}

func (e *SaveError) Unwrap() error { return e.Err }

// intend records that the run is about to create an object and saves the
// record; when the save fails, the create must not happen.
func (r *Run) intend(step StepID, slot string, kind ObjectKind, id, name string) error {
	r.mu.Lock()
	o := Object{Slot: slot, Kind: kind, ID: id, Name: name, State: Intended, Step: step, Time: r.rb.now()}
	if kind == KindSecret {
		r.rec.Objects = append(r.rec.Objects, o)
	} else {
		r.rec.setObject(o)
	}
	r.mu.Unlock()
	if err := r.save(); err != nil {
		what := string(kind)
		if name != "" {
			what += " " + name
		}
		return &SaveError{What: what, Location: r.storeLocation(), Err: err}
	}
	return nil
}

// settle records what a step found or made in slot.
func (r *Run) settle(slot string, kind ObjectKind, id, name string, state Ownership) {
	r.mu.Lock()
	defer r.mu.Unlock()
	prev, _ := r.rec.Object(slot)
	step := prev.Step
	if name == "" {
		name = prev.Name
	}
	r.rec.setObject(Object{Slot: slot, Kind: kind, ID: id, Name: name, State: state, Step: step, Time: r.rb.now()})
}

// settleFound records an object detection found: the run's own when the
// ledger already says so (or intended exactly this id), else one that
// existed before — or, with --adopt, one the user handed over.
func (r *Run) settleFound(slot string, kind ObjectKind, id, name string, adoptable bool) Ownership {
	o, ok := r.object(slot)
	state := Found
	switch {
	case ok && (o.State == Created || o.State == Adopted || o.State == Inherited) && strings.EqualFold(o.ID, id):
		state = o.State
	case ok && o.State == Intended && o.ID != "" && strings.EqualFold(o.ID, id):
		// The create reached the cloud before the run could record it.
		state = Created
	case adoptable && r.options().Adopt:
		state = Adopted
	}
	r.settle(slot, kind, id, name, state)
	return state
}

// createOrFind creates an object under the intent recorded in slot. When
// the cloud answers that it exists already (someone made it meanwhile),
// the intent is dropped and find settles the existing object, which is
// then not the run's; created says which happened.
func createOrFind[T any](r *Run, slot string, create func() (T, error), find func() error) (obj T, created bool, err error) {
	obj, err = create()
	if errors.Is(err, ErrAlreadyExists) {
		r.forget(slot)
		return obj, false, find()
	}
	return obj, err == nil, err
}

// forget marks the object in slot as gone.
func (r *Run) forget(slot string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, ok := r.rec.Object(slot); ok {
		o.State, o.Time = Removed, r.rb.now()
		r.rec.setObject(o)
	}
}

func (r *Run) storeLocation() string {
	if r.rb.Store == nil {
		return "memory"
	}
	return r.rb.Store.Location()
}
