package peering

import (
	"fmt"
	"strings"
	"time"
)

// ObjectKind is the kind of a cloud object a run may create.
type ObjectKind string

const (
	KindApplication      ObjectKind = "application"
	KindServicePrincipal ObjectKind = "service-principal"
	KindSecret           ObjectKind = "client-secret"
	KindRoleDefinition   ObjectKind = "role-definition"
	KindRoleAssignment   ObjectKind = "role-assignment"
	KindAivenConnection  ObjectKind = "aiven-connection"
	KindAzurePeering     ObjectKind = "azure-peering"
)

// Ownership says how a run stands to an object.
type Ownership string

const (
	// Intended: recorded before the create call was sent. The call may or
	// may not have reached the cloud; the step that owns the slot finds out
	// (by the client-chosen id or the run's marker) before doing anything.
	Intended Ownership = "intended"
	// Created: this run made it; delete removes it.
	Created Ownership = "created"
	// Found: it existed before; the run uses it and delete leaves it.
	Found Ownership = "found"
	// Adopted: it existed before, and the user told azpeer to manage it as
	// its own (delete removes it, after a typed confirmation).
	Adopted Ownership = "adopted"
	// Inherited: another azpeer run made it for this same peering (its
	// tags say so) and left it; this run treats it as its own.
	Inherited Ownership = "inherited"
	// Removed: the run deleted it.
	Removed Ownership = "removed"
)

// Object is one entry of a run's ledger. An object is recorded (Intended)
// before it is created, so every object azpeer may have made is found again
// after any crash.
type Object struct {
	// Slot is the output the object fills (e.g. user_app_assignment_id);
	// secrets share one slot, every other slot holds one object.
	Slot  string     `json:"slot"`
	Kind  ObjectKind `json:"kind"`
	ID    string     `json:"id,omitempty"`
	Name  string     `json:"name,omitempty"`
	State Ownership  `json:"state"`
	Step  StepID     `json:"step,omitempty"`
	Time  time.Time  `json:"time"`
}

// Owned reports whether delete may remove the object.
func (o Object) Owned() bool {
	return o.State == Created || o.State == Adopted || o.State == Inherited || o.State == Intended
}

// slot names an output that holds an object, and the object's kind.
type slot struct {
	output string
	kind   ObjectKind
}

// slots lists every output that names an object, in creation order.
func slots() []slot {
	return []slot{
		{OutAivenSPID, KindServicePrincipal},
		{OutUserAppID, KindApplication},
		{OutUserSPID, KindServicePrincipal},
		{OutUserAppRoleID, KindRoleDefinition},
		{OutUserAppAssignment, KindRoleAssignment},
		{OutAivenRoleID, KindRoleDefinition},
		{OutAivenAssignment, KindRoleAssignment},
		{OutAivenConnection, KindAivenConnection},
		{OutAzurePeeringID, KindAzurePeering},
	}
}

// Object returns the ledger entry of a single-object slot.
func (r *Record) Object(slot string) (Object, bool) {
	for i := len(r.Objects) - 1; i >= 0; i-- {
		if r.Objects[i].Slot == slot {
			return r.Objects[i], true
		}
	}
	return Object{}, false
}

// Owns reports whether the run created (or adopted) the object in slot.
func (r *Record) Owns(slot string) bool {
	o, ok := r.Object(slot)
	return ok && (o.State == Created || o.State == Adopted || o.State == Inherited)
}

// Secrets lists the client secrets the run added (any state).
func (r Record) Secrets() []Object {
	var out []Object
	for _, o := range r.Objects {
		if o.Kind == KindSecret {
			out = append(out, o)
		}
	}
	return out
}

// setObject replaces the single object of o.Slot (or appends it).
func (r *Record) setObject(o Object) {
	for i := range r.Objects {
		if r.Objects[i].Slot == o.Slot && o.Kind != KindSecret {
			r.Objects[i] = o
			return
		}
	}
	r.Objects = append(r.Objects, o)
}

// Markers: how azpeer recognises its own objects in the clouds without a
// record. Applications and service principals carry tags; client secrets
// carry a display name.
const (
	// TagAzpeer is on everything azpeer creates.
	TagAzpeer = "azpeer"
	// tagRunPrefix + run id names the run that created the object.
	tagRunPrefix = "azpeer-run:"
	// tagPeeringPrefix + Target.Key() names the peering it was made for.
	tagPeeringPrefix = "azpeer-peering:"
	// secretNamePrefix + run id is the display name of a run's secrets.
	secretNamePrefix = "azpeer run "
)

// Mark is what azpeer writes on an object it creates, so it can tell its
// own objects from the user's later.
type Mark struct {
	Tags  []string
	Notes string
}

// mark is the marker of objects this run creates.
func (r *Run) mark(what string) Mark {
	t := r.target()
	return Mark{
		Tags: []string{TagAzpeer, tagRunPrefix + r.rec.RunID, peeringTag(t)},
		Notes: fmt.Sprintf("Created by azpeer for the peering %s (run %s): %s. `azpeer delete %s` removes it.",
			t, r.rec.RunID, what, t.Flags()),
	}
}

// peeringTag is a fixed-length tag naming the target (Graph limits tags to
// 256 characters; a key can be longer).
func peeringTag(t Target) string { return tagPeeringPrefix + hashKey(t.Key()) }

// MarkedBy tells, from an object's tags, which azpeer run made it and for
// which peering ("" when azpeer did not).
func MarkedBy(tags []string) (runID, peering string) {
	for _, tag := range tags {
		switch {
		case strings.HasPrefix(tag, tagRunPrefix):
			runID = strings.TrimPrefix(tag, tagRunPrefix)
		case strings.HasPrefix(tag, tagPeeringPrefix):
			peering = tag
		}
	}
	return runID, peering
}

// secretName is the display name of the secrets a run adds.
func secretName(runID string) string { return secretNamePrefix + runID }

// azpeerSecret reports whether a password credential's display name marks
// it as azpeer's, and whose run added it.
func azpeerSecret(displayName string) (runID string, ok bool) {
	if !strings.HasPrefix(displayName, secretNamePrefix) {
		return "", false
	}
	return strings.TrimPrefix(displayName, secretNamePrefix), true
}
