package peering

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Consent is what a user must give before a delete.
type Consent string

const (
	// ConsentNone: there is nothing to delete.
	ConsentNone Consent = "none"
	// ConsentYes: everything that goes is azpeer's own; a yes will do.
	ConsentYes Consent = "yes"
	// ConsentName: what goes includes what azpeer did not create (adopted
	// before, or to adopt now), so the user types the peering's name.
	ConsentName Consent = "name"
)

// DeletePlan is what deleting a peering does, read before the user is
// asked: the command line and the dashboard ask the same question and
// delete the same way.
type DeletePlan struct {
	Target Target
	// Existing is set when azpeer has no record of the peering: what
	// exists of it, which deleting adopts first (both sides, never one).
	Existing *Existing
	// Remove lists, a line each, what the delete removes; Keep what it
	// leaves because it existed before azpeer.
	Remove, Keep []string
	Consent      Consent
}

// Name is what the user types to consent by name: RESOURCE_GROUP/VNET.
func (p DeletePlan) Name() string { return p.Target.ResourceGroup + "/" + p.Target.VNetName }

// Adopts reports whether the delete must adopt what exists first.
func (p DeletePlan) Adopts() bool { return p.Existing != nil }

// ErrNameMismatch is a typed name that is not the peering's.
var ErrNameMismatch = errors.New("the name typed does not name this peering")

// Blocked says why the delete cannot go on: without a record, something
// of the peering could not be read, and a delete removes both sides or
// neither, so it does not go on half-seen.
func (p DeletePlan) Blocked() error {
	if p.Existing == nil || len(p.Existing.Unchecked) == 0 {
		return nil
	}
	return fmt.Errorf("cannot delete both sides safely: %s; nothing was deleted", strings.Join(p.Existing.Unchecked, "; "))
}

// PlanDelete reads what deleting the run's peering would remove and keep,
// and which consent it needs; without a record, what exists of it.
func (r *Run) PlanDelete(ctx context.Context) DeletePlan {
	t := r.target()
	plan := DeletePlan{Target: t, Consent: ConsentYes}
	if r.New() {
		e := r.rb.Discover(ctx, t)
		if e.Empty() {
			plan.Consent = ConsentNone
			return plan
		}
		plan.Existing, plan.Remove, plan.Consent = &e, e.Lines(), ConsentName
		return plan
	}
	rec := r.Record()
	// In the order the delete goes: the reverse of the steps.
	for i := len(rec.Objects) - 1; i >= 0; i-- {
		o := rec.Objects[i]
		switch {
		case o.State == Removed:
		case o.Owned():
			plan.Remove = append(plan.Remove, objectLine(o))
			if o.State == Adopted {
				plan.Consent = ConsentName
			}
		default:
			plan.Keep = append(plan.Keep, objectLine(o))
		}
	}
	return plan
}

// objectLabel names a kind of ledger object for people.
func objectLabel(k ObjectKind) string {
	switch k {
	case KindApplication:
		return "app"
	case KindServicePrincipal:
		return "service principal"
	case KindSecret:
		return "client secret"
	case KindRoleDefinition:
		return "custom role"
	case KindRoleAssignment:
		return "role assignment"
	case KindAivenConnection:
		return "Aiven peering connection"
	case KindAzurePeering:
		return "Azure peering"
	}
	return string(k)
}

// objectLine names a ledger object and how the run stands to it.
func objectLine(o Object) string {
	what := objectLabel(o.Kind)
	if o.Name != "" {
		what += " " + o.Name
	}
	if id := lastSegment(o.ID); id != "" && id != o.Name && o.Kind != KindAivenConnection {
		what += " (" + shortID(id) + ")"
	}
	switch o.State {
	case Created:
		return what + ", created by azpeer"
	case Adopted:
		return what + ", adopted: azpeer did not create it"
	case Inherited:
		return what + ", made by an earlier azpeer run for this peering"
	case Intended:
		return what + ", may have been created by azpeer (the run stopped before it knew)"
	case Found:
		return what + ", existed before azpeer"
	}
	return what
}

// Delete carries out a plan once the user consented: name is what they
// typed, checked against plan.Name() when the plan needs it. Where what
// goes includes what azpeer did not create, it first checks that both
// sides can be deleted (so a delete removes both or neither) and adopts
// what exists; then it tears down (Teardown), its progress on sink.
func (r *Run) Delete(ctx context.Context, plan DeletePlan, name string, o TeardownOptions, sink EventSink) error {
	if plan.Consent == ConsentNone {
		return nil
	}
	if err := plan.Blocked(); err != nil {
		return err
	}
	if plan.Consent == ConsentName {
		if !strings.EqualFold(strings.TrimSpace(name), plan.Name()) {
			return fmt.Errorf("%w (%s); nothing was deleted", ErrNameMismatch, plan.Name())
		}
		if err := r.rb.CheckDeletable(ctx, plan.Target); err != nil {
			return err
		}
	}
	if plan.Existing != nil {
		r.mu.Lock()
		r.sink = sink // Adopt says what it adopted
		r.mu.Unlock()
		if err := r.Adopt(*plan.Existing); err != nil {
			return err
		}
	}
	return r.Teardown(ctx, o, sink)
}
