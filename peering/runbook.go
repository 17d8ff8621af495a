package peering

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// StepID names a runbook step; the ids are stable (they are in run records).
type StepID string

// The fifteen steps of the procedure, in order.
const (
	StepSignIn          StepID = "sign-in"
	StepCreateApp       StepID = "create-app"
	StepAppSP           StepID = "app-service-principal"
	StepAppSecret       StepID = "app-secret"
	StepPickVNet        StepID = "pick-vnet"
	StepGrantApp        StepID = "grant-app"
	StepAivenSP         StepID = "aiven-service-principal"
	StepPeerRole        StepID = "peer-role"
	StepGrantAiven      StepID = "grant-aiven"
	StepTenantID        StepID = "tenant-id"
	StepAivenPeering    StepID = "aiven-peering"
	StepWaitPendingPeer StepID = "wait-pending-peer"
	StepAppSignIn       StepID = "app-sign-in"
	StepAzurePeering    StepID = "azure-peering"
	StepWaitActive      StepID = "wait-active"
)

// Output keys: the values steps produce and later steps use.
const (
	OutUserTenantID       = "user_tenant_id"
	OutUserSubscriptionID = "user_subscription_id"
	OutUserResourceGroup  = "user_resource_group"
	OutUserVNetName       = "user_vnet_name"
	OutUserVNetID         = "user_vnet_id"
	OutUserAppID          = "user_app_id"
	OutUserAppObjectID    = "user_app_object_id"
	OutUserSPID           = "user_sp_id"
	OutUserAppKeyID       = "user_app_key_id"
	OutReplacedKeyID      = "replaced_key_id"
	OutUserAppRoleID      = "user_app_role_id"
	OutUserAppAssignment  = "user_app_assignment_id"
	OutAivenSPID          = "aiven_sp_id"
	OutAivenRoleID        = "aiven_role_id"
	OutAivenAssignment    = "aiven_assignment_id"
	OutAivenTenantID      = "aiven_tenant_id"
	OutAivenVNetID        = "aiven_vnet_id"
	OutAzurePeeringID     = "azure_peering_id"
	OutAzurePeeringName   = "azure_peering_name"
	OutAivenState         = "aiven_state"
	OutAzurePeeringState  = "azure_peering_state"
)

// Role options for the user's app on its VNet.
const (
	RoleNetworkContributor = "network-contributor"
	RoleLeastPrivilege     = "least-privilege"
)

// DefaultAivenAppID is Aiven's multi-tenant Entra app for Azure peering.
const DefaultAivenAppID = "55f300d4-fc50-4c5e-9222-e90a6e2187fb"

// NetworkContributorRoleName is the built-in role the docs assign.
const NetworkContributorRoleName = "Network Contributor"

// Options are the user's choices for a run.
type Options struct {
	AppName     string `json:"app_name"`
	Role        string `json:"role"`
	AivenAppID  string `json:"aiven_app_id"`
	PeeringName string `json:"peering_name"`
}

// withDefaults fills what the user left empty.
func (o Options) withDefaults(t Target) Options {
	if o.AppName == "" {
		o.AppName = "azpeer-" + t.Project + "-" + strings.ToLower(t.VNetName)
	}
	if o.Role == "" {
		o.Role = RoleNetworkContributor
	}
	if o.AivenAppID == "" {
		o.AivenAppID = DefaultAivenAppID
	}
	if o.PeeringName == "" {
		o.PeeringName = "aiven-" + t.Project + "-" + shortID(t.VPCID)
	}
	return o
}

// Runbook drives the procedure against the clouds through the domain
// interfaces. One Runbook can open many runs.
type Runbook struct {
	Aiven     Aiven
	Directory Directory
	Access    Access
	// Network is Resource Manager as the signed-in admin.
	Network Network
	// SignInAsApp signs in as the user's app in two tenants (step 13).
	SignInAsApp AppSignIn
	// SignedInAppID is the admin's own app id when it signs in as an app
	// (not a user); the preflight uses it to read its directory roles.
	SignedInAppID string
	// Store keeps run records; nil keeps them in memory only.
	Store *Store
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// StepDeadline bounds the retries of one step (default 15 minutes):
	// role propagation can take minutes, but not forever.
	StepDeadline time.Duration
	// WaitDeadline bounds the live waits of steps 12 and 15 (default 30
	// minutes; Aiven documents up to 15 for ACTIVE).
	WaitDeadline time.Duration
	// Poll is the backoff between live-state polls.
	Poll Backoff
	// Retry is the backoff between retries of transient errors.
	Retry Backoff
}

func (rb *Runbook) now() time.Time {
	if rb.Now != nil {
		return rb.Now()
	}
	return time.Now()
}

func (rb *Runbook) stepDeadline() time.Duration {
	if rb.StepDeadline > 0 {
		return rb.StepDeadline
	}
	return 15 * time.Minute
}

func (rb *Runbook) waitDeadline() time.Duration {
	if rb.WaitDeadline > 0 {
		return rb.WaitDeadline
	}
	return 30 * time.Minute
}

func (rb *Runbook) pollBackoff() Backoff {
	if rb.Poll.Initial > 0 {
		return rb.Poll
	}
	return Backoff{Initial: 250 * time.Millisecond, Max: 5 * time.Second, Factor: 1.5}
}

func (rb *Runbook) retryBackoff() Backoff {
	if rb.Retry.Initial > 0 {
		return rb.Retry
	}
	return defaultBackoff()
}

// Run is one peering's run: its record, the secret (in memory only), and
// the app's signed-in network client once step 13 has run.
type Run struct {
	rb   *Runbook
	lock *Lock

	mu     sync.Mutex
	rec    *Record
	secret Secret
	appNet Network
	sink   EventSink
}

// Open loads (or starts) the run for a target and takes its lock, so no
// other azpeer process can drive it at the same time.
func (rb *Runbook) Open(t Target, o Options) (*Run, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults(t)
	r := &Run{rb: rb}
	if rb.Store != nil {
		l, err := rb.Store.Lock(t)
		if err != nil {
			return nil, err
		}
		r.lock = l
		rec, err := rb.Store.Load(t)
		if err != nil {
			l.Release()
			return nil, err
		}
		if rec != nil {
			r.rec = rec
			// Options of a started run stay as they were: changing the app
			// name half-way would orphan what was created.
			return r, nil
		}
	}
	r.rec = NewRecord(t, o, rb.now())
	return r, nil
}

// Close saves the record and releases the lock.
func (r *Run) Close() error {
	err := r.save()
	return errors.Join(err, r.lock.Release())
}

// Record returns a copy of the run record, safe to read while the run goes on.
func (r *Run) Record() Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := *r.rec
	c.Steps = make(map[StepID]*StepRecord, len(r.rec.Steps))
	for k, v := range r.rec.Steps {
		sv := *v
		c.Steps[k] = &sv
	}
	c.Outputs = make(map[string]string, len(r.rec.Outputs))
	for k, v := range r.rec.Outputs {
		c.Outputs[k] = v
	}
	c.Events = append([]Event(nil), r.rec.Events...)
	return c
}

func (r *Run) target() Target   { return r.rec.Target }
func (r *Run) options() Options { return r.rec.Options }

func (r *Run) out(k string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rec.Outputs[k]
}

func (r *Run) setOut(kv ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(r.rec.Outputs, kv[i])
			continue
		}
		r.rec.Outputs[kv[i]] = kv[i+1]
	}
}

// markCreated notes that this run created the resource behind an output,
// so teardown removes only what azpeer made.
func (r *Run) markCreated(k string) { r.setOut("created:"+k, "true") }

func (r *Run) created(k string) bool { return r.out("created:"+k) == "true" }

func (r *Run) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = r.rb.now()
	}
	r.mu.Lock()
	r.rec.addEvent(e)
	r.rec.Updated = e.Time
	sink := r.sink
	r.mu.Unlock()
	if sink != nil {
		sink(e)
	}
}

func (r *Run) save() error {
	if r.rb.Store == nil {
		return nil
	}
	r.mu.Lock()
	data := *r.rec
	r.mu.Unlock()
	return r.rb.Store.Save(&data)
}

// HasSecret reports whether the app's secret is in memory (never its value).
func (r *Run) HasSecret() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.secret.Empty()
}

// StepError is a failed step with what to do about it.
type StepError struct {
	Step StepID
	Err  error
	// Hint is what the user can do.
	Hint string
}

func (e *StepError) Error() string {
	s := fmt.Sprintf("step %d (%s) failed: %v", stepNumber(e.Step), stepTitle(e.Step), e.Err)
	if e.Hint != "" {
		s += "\n  what to do: " + e.Hint
	}
	return s
}

func (e *StepError) Unwrap() error { return e.Err }

// RunAll runs every step not done yet, in order (rerunning a finished run
// re-detects everything and changes nothing). It stops at the first
// failure. Events go to sink.
func (r *Run) RunAll(ctx context.Context, sink EventSink) error {
	if err := r.validateOnce(ctx, sink); err != nil {
		return err
	}
	for _, s := range steps() {
		if err := r.RunStep(ctx, s.ID, sink); err != nil {
			return err
		}
	}
	return nil
}

// validateOnce checks the inputs before anything is created.
func (r *Run) validateOnce(ctx context.Context, sink EventSink) error {
	if r.rec.Step(StepCreateApp).Status == StatusDone {
		return nil
	}
	return r.rb.Preflight(ctx, r.target(), r.options())
}

// RunStep runs one step: detect, then act when needed, with the step's
// retry policy; the record is saved after every state change.
func (r *Run) RunStep(ctx context.Context, id StepID, sink EventSink) error {
	s, ok := stepByID(id)
	if !ok {
		return fmt.Errorf("no step %q", id)
	}
	r.mu.Lock()
	r.sink = sink
	for _, need := range s.Needs {
		if r.rec.Outputs[need] == "" && !s.optional(need) {
			r.mu.Unlock()
			return &StepError{Step: id, Err: fmt.Errorf("it needs %s, which an earlier step produces", need),
				Hint: "run the earlier steps first (azpeer create runs them all)"}
		}
	}
	sr := r.rec.Step(id)
	sr.Status = StatusRunning
	sr.Started = r.rb.now()
	sr.Error = ""
	sr.Attempts++
	r.mu.Unlock()
	r.emit(Event{Step: id, Kind: EventStarted, Message: s.Title})
	_ = r.save()

	detected, err := s.detect(ctx, r)
	if err == nil && !detected {
		err = s.act(ctx, r)
	}

	r.mu.Lock()
	sr.Finished = r.rb.now()
	if err != nil {
		sr.Status = StatusFailed
		sr.Error = err.Error()
	} else {
		sr.Status = StatusDone
		sr.Detected = detected
	}
	r.mu.Unlock()

	if err != nil {
		if ctx.Err() != nil {
			// Interrupted: the step is simply not done; resuming re-detects.
			r.mu.Lock()
			sr.Status = StatusPending
			sr.Error = ""
			r.mu.Unlock()
			_ = r.save()
			return fmt.Errorf("step %d (%s) interrupted: %w", s.Number, s.Title, ctx.Err())
		}
		r.emit(Event{Step: id, Kind: EventFailed, Error: err.Error()})
		_ = r.save()
		var se *StepError
		if errors.As(err, &se) {
			return se
		}
		return &StepError{Step: id, Err: err, Hint: hintFor(id, err)}
	}
	outs := r.outputsOf(s)
	kind, msg := EventDone, s.Title
	if detected {
		kind, msg = EventDetected, s.Title+": already done"
	}
	r.emit(Event{Step: id, Kind: kind, Message: msg, Outputs: outs})
	return r.save()
}

// outputsOf returns the step's outputs known now (nil when none).
func (r *Run) outputsOf(s Step) map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var m map[string]string
	for _, k := range s.Produces {
		if v := r.rec.Outputs[k]; v != "" {
			if m == nil {
				m = map[string]string{}
			}
			m[k] = v
		}
	}
	return m
}

// Validate checks the target's fields before any call is made.
func (t Target) Validate() error {
	switch {
	case t.Project == "":
		return &ValidationError{Field: "project", Problem: "is empty", Fix: "pass --project with an Aiven project name (azpeer list shows them)"}
	case !isGUID(t.VPCID):
		return &ValidationError{Field: "vpc", Problem: fmt.Sprintf("%q is not a project VPC id (a UUID)", t.VPCID), Fix: "pass --vpc with an id from azpeer list --project " + t.Project}
	case !isGUID(t.SubscriptionID):
		return &ValidationError{Field: "subscription", Problem: fmt.Sprintf("%q is not a subscription id (a GUID)", t.SubscriptionID), Fix: "pass --vnet as a full resource id, or --subscription with a GUID from azpeer vnets"}
	case t.ResourceGroup == "" || t.VNetName == "":
		return &ValidationError{Field: "vnet", Problem: "resource group or VNet name is empty", Fix: "pass --vnet RESOURCE_GROUP/NAME or a full resource id"}
	}
	return nil
}

// Validate checks the options.
func (o Options) Validate() error {
	if o.Role != "" && o.Role != RoleNetworkContributor && o.Role != RoleLeastPrivilege {
		return &ValidationError{Field: "role", Problem: fmt.Sprintf("%q is not a role option", o.Role), Fix: "use network-contributor or least-privilege"}
	}
	if o.AivenAppID != "" && !isGUID(o.AivenAppID) {
		return &ValidationError{Field: "aiven-app-id", Problem: fmt.Sprintf("%q is not an application id (a GUID)", o.AivenAppID), Fix: "omit it for Aiven's app " + DefaultAivenAppID + ", or pass the id your provider documents"}
	}
	if o.PeeringName != "" && !validAzureName.MatchString(o.PeeringName) {
		return &ValidationError{Field: "peering-name", Problem: fmt.Sprintf("%q is not a valid Azure peering name", o.PeeringName), Fix: "use 1–80 letters, digits, '.', '_' or '-', starting with a letter or digit"}
	}
	if len(o.AppName) > 120 {
		return &ValidationError{Field: "app-name", Problem: "is longer than 120 characters", Fix: "pick a shorter display name"}
	}
	return nil
}

// ValidationError names the bad field and the fix.
type ValidationError struct {
	Field, Problem, Fix string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("--%s %s; %s (nothing was created)", e.Field, e.Problem, e.Fix)
}

var (
	guidRE         = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	validAzureName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$`)
)

func isGUID(s string) bool { return guidRE.MatchString(s) }
