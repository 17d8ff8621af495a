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

// The steps of the procedure (their order is the table's, in steps.go).
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
	// OutReplacedKeyID is read only from version-1 records.
	OutReplacedKeyID     = "replaced_key_id"
	OutUserAppRoleID     = "user_app_role_id"
	OutUserAppAssignment = "user_app_assignment_id"
	OutAivenSPID         = "aiven_sp_id"
	OutAivenRoleID       = "aiven_role_id"
	OutAivenAssignment   = "aiven_assignment_id"
	OutAivenTenantID     = "aiven_tenant_id"
	OutAivenVNetID       = "aiven_vnet_id"
	OutAzurePeeringID    = "azure_peering_id"
	OutAzurePeeringName  = "azure_peering_name"
	OutAivenState        = "aiven_state"
	OutAzurePeeringState = "azure_peering_state"
	// OutAivenConnection is the ledger slot of the Aiven connection.
	OutAivenConnection = "aiven_connection"
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
	AppName string `json:"app_name"`
	// AppID names an existing app to use instead of creating one; azpeer
	// adds a short-lived secret and role assignments to it and keeps it.
	AppID       string `json:"app_id,omitempty"`
	Role        string `json:"role"`
	AivenAppID  string `json:"aiven_app_id"`
	PeeringName string `json:"peering_name"`

	// Consents, given for one invocation and never saved.

	// Adopt lets the run take over objects another azpeer run made for
	// this peering (its app) and an existing peering azpeer did not make
	// (the Aiven connection, the Azure peering): they are recorded as
	// adopted, and delete removes them after a typed confirmation.
	Adopt bool `json:"-"`
	// ReplaceConnection lets the run delete an Aiven connection it did not
	// create (one requested for another app, or a failed one) and create
	// its own.
	ReplaceConnection bool `json:"-"`
}

// Name limits, from Microsoft's naming rules for Azure resources
// (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules):
// virtualNetworkPeerings 1–80, alphanumerics, underscores, periods and
// hyphens, starting with an alphanumeric and ending with an alphanumeric
// or underscore; Entra application display names up to 120 characters
// (the limit az ad app create and the portal enforce).
const (
	maxAppName     = 120
	maxPeeringName = 80
)

// withDefaults fills what the user left empty. Derived names are made
// valid and short enough here, so an error can only be about a value the
// user gave.
func (o Options) withDefaults(t Target) Options {
	if o.AppName == "" {
		o.AppName = truncate("azpeer-"+t.Owner()+"-"+strings.ToLower(t.VNetName), maxAppName)
	}
	if o.Role == "" {
		o.Role = RoleNetworkContributor
	}
	if o.AivenAppID == "" {
		o.AivenAppID = DefaultAivenAppID
	}
	if o.PeeringName == "" {
		o.PeeringName = defaultPeeringName(t)
	}
	return o
}

// WithDefaults is the options as a run would use them for the target.
func (o Options) WithDefaults(t Target) Options { return o.withDefaults(t) }

// defaultPeeringName is aiven-PROJECT-VPCID8, reduced to what Azure accepts.
func defaultPeeringName(t Target) string {
	proj := invalidPeeringChars.ReplaceAllString(t.Owner(), "-")
	suffix := "-" + shortID(t.VPCID)
	name := "aiven-" + truncate(proj, maxPeeringName-len("aiven-")-len(suffix)) + suffix
	return strings.Trim(name, "-.")
}

var invalidPeeringChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
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
	// Identity tells who is signed in (a user or an app); the preflight
	// reads that principal's directory roles. nil skips those checks.
	Identity WhoAmI
	// Store keeps run records; nil keeps them in memory only.
	Store RecordStore
	// ReadOnly refuses everything that would change a cloud: a step's
	// action, a teardown, a fix, an adoption (ErrReadOnly).
	ReadOnly bool
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

// call runs one cloud call outside a step under the same retry policy as
// the steps' (throttling, server errors, timeouts).
func (rb *Runbook) call(ctx context.Context, op func(ctx context.Context) error) error {
	return retry(ctx, rb.stepDeadline(), rb.retryBackoff(), nil, nil, op)
}

// readDeadline bounds the retries of a read outside a step (a diagnosis,
// a status): a person waits for it, and an answer of "could not check"
// soon beats a right one in a quarter of an hour.
const readDeadline = 45 * time.Second

// readInto is read, storing the value in dst.
func readInto[T any](ctx context.Context, rb *Runbook, dst *T, op func(ctx context.Context) (T, error)) error {
	v, err := read(ctx, rb, op)
	if err == nil {
		*dst = v
	}
	return err
}

// read runs one cloud read outside a step under the retry policy, with
// the shorter deadline of reads.
func read[T any](ctx context.Context, rb *Runbook, op func(ctx context.Context) (T, error)) (T, error) {
	var v T
	err := retry(ctx, min(readDeadline, rb.stepDeadline()), rb.retryBackoff(), nil, nil, func(ctx context.Context) (err error) {
		v, err = op(ctx)
		return err
	})
	return v, err
}

// Run is one peering's run: its record, the secret (in memory only), and
// the app's signed-in network client once step 13 has run.
type Run struct {
	rb   *Runbook
	lock Unlocker

	mu          sync.Mutex
	rec         *Record
	secret      Secret
	secretKeyID string
	secretEnd   time.Time
	appNet      Network
	app         *Application
	sink        EventSink
	// fresh: the record is new and not saved yet; discard keeps it so.
	fresh bool
	// gone: teardown removed the record, which must not come back.
	gone bool
}

// Open loads (or starts) the run for a target and takes its lock, so no
// other azpeer process can drive it at the same time. A new record is not
// written until the run does something.
func (rb *Runbook) Open(t Target, o Options) (*Run, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	r := &Run{rb: rb}
	if rb.Store != nil {
		l, err := rb.Store.Lock(t)
		if err != nil {
			return nil, err
		}
		r.lock = l
		rec, err := rb.Store.Load(t)
		if err != nil {
			_ = l.Unlock()
			return nil, err
		}
		if rec != nil {
			r.rec = rec
			// Options of a started run stay as they were: changing the app
			// name half-way would orphan what was created. Consents are
			// this invocation's.
			r.rec.Options.Adopt, r.rec.Options.ReplaceConnection = o.Adopt, o.ReplaceConnection
			r.rec.Target.SubscriptionFrom = t.SubscriptionFrom
			return r, nil
		}
	}
	r.rec = NewRecord(t, o.withDefaults(t), rb.now())
	r.fresh = true
	return r, nil
}

// Consent gives the run, for its next invocations, the user's consent to
// adopt what exists of the peering and to replace a connection azpeer did
// not create (see Options.Adopt and Options.ReplaceConnection).
func (r *Run) Consent(adopt, replaceConnection bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Options.Adopt = r.rec.Options.Adopt || adopt
	r.rec.Options.ReplaceConnection = r.rec.Options.ReplaceConnection || replaceConnection
}

// New reports whether the run has no record yet (nothing was done).
func (r *Run) New() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fresh
}

// Close saves the record (unless the run did nothing, or its teardown
// removed the record) and releases the lock.
func (r *Run) Close() error {
	r.mu.Lock()
	skip := r.fresh || r.gone
	r.mu.Unlock()
	var err error
	if !skip {
		err = r.save()
	}
	if r.lock != nil {
		err = errors.Join(err, r.lock.Unlock())
		r.lock = nil
	}
	return err
}

// Record returns a copy of the run record, safe to read while the run goes on.
func (r *Run) Record() Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return *r.rec.Clone()
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

// save writes the record; after a teardown removed it, nothing.
func (r *Run) save() error {
	if r.rb.Store == nil {
		return nil
	}
	r.mu.Lock()
	if r.gone {
		r.mu.Unlock()
		return nil
	}
	data := r.rec.Clone()
	r.fresh = false
	r.mu.Unlock()
	return r.rb.Store.Save(data)
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
	s := fmt.Sprintf("%s failed: %v", StepRef(e.Step), e.Err)
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
	r.mu.Lock()
	r.sink = sink
	r.mu.Unlock()
	if err := r.validateOnce(ctx); err != nil {
		return err
	}
	if err := r.adoptExisting(ctx); err != nil {
		return err
	}
	// A pair of the run's own that lost a side is made again: every step
	// detects what still stands, so only what went is redone. Twice at
	// most: a deleted Azure peering costs one round to notice that Aiven's
	// side is Disconnected, and one to replace the connection.
	for rounds := 0; ; rounds++ {
		err := r.runSteps(ctx, sink)
		var lost *PeerLostError
		if err == nil || rounds == 2 || !errors.As(err, &lost) {
			return err
		}
		msg := "Aiven gave up on the connection and never revives one; both it and the Azure peering are this run's, so azpeer makes them again"
		if lost.AzureGone {
			msg = "the Azure peering this run made was deleted; azpeer makes it again"
		}
		r.emit(Event{Step: StepWaitActive, Kind: EventNotice, Message: msg})
	}
}

// runSteps runs every step in order.
func (r *Run) runSteps(ctx context.Context, sink EventSink) error {
	for _, s := range steps() {
		if err := r.RunStep(ctx, s.ID, sink); err != nil {
			return err
		}
	}
	return nil
}

// validateOnce checks the inputs before anything is created: a run that
// already created (or recorded) something has passed it.
func (r *Run) validateOnce(ctx context.Context) error {
	r.mu.Lock()
	started := len(r.rec.Objects) > 0 || r.rec.Step(StepAivenSP).Status == StatusDone
	r.mu.Unlock()
	if started {
		return nil
	}
	if err := r.rb.Preflight(ctx, r.target(), r.options()); err != nil {
		return err
	}
	if v, err := read(ctx, r.rb, func(ctx context.Context) (VNet, error) { return r.rb.Network.VNet(ctx, r.target().VNetID()) }); err == nil {
		for _, w := range NetworkWarnings(v) {
			r.emit(Event{Step: StepSignIn, Kind: EventNotice, Message: "warning: " + w})
		}
	}
	return nil
}

// adoptExisting, for a new run with --adopt, records what exists of the
// peering as adopted, and works with the app its connection names.
func (r *Run) adoptExisting(ctx context.Context) error {
	r.mu.Lock()
	fresh := len(r.rec.Objects) == 0
	r.mu.Unlock()
	if !fresh || !r.options().Adopt {
		return nil
	}
	e := r.rb.Discover(ctx, r.target())
	if e.Connection == nil && e.Azure == nil && len(e.Apps) == 0 {
		return nil
	}
	if err := r.Adopt(e); err != nil {
		return err
	}
	if c := e.Connection; c != nil && r.out(OutUserAppID) == "" && c.PeerAzureAppID != "" {
		r.mu.Lock()
		r.rec.Options.AppID = c.PeerAzureAppID
		r.mu.Unlock()
	}
	return nil
}

// RunStep runs one step: detect, then act when needed, then the step's
// finish, all under the step's retry policy (a retry detects again first,
// so a create whose answer was lost is found, not repeated); the record is
// saved after every state change.
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

	var detected bool
	err := r.withRetry(ctx, id, s.transient, func(ctx context.Context) error {
		d, err := s.detect(ctx, r)
		if err != nil {
			return err
		}
		if detected = d; !d && r.rb.ReadOnly {
			return ErrReadOnly
		}
		if !d {
			if err := s.act(ctx, r); err != nil {
				return err
			}
		}
		if s.finish != nil {
			return s.finish(ctx, r)
		}
		return nil
	})

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
			return fmt.Errorf("%s interrupted: %w", StepRef(id), ctx.Err())
		}
		r.emit(Event{Step: id, Kind: EventFailed, Error: err.Error(), Code: ErrorCode(err)})
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

// withRetry runs op under the step's retry policy, reporting retries.
func (r *Run) withRetry(ctx context.Context, id StepID, t transient, op func(ctx context.Context) error) error {
	return retry(ctx, r.rb.stepDeadline(), r.rb.retryBackoff(), t,
		func(attempt int, wait time.Duration, err error) {
			r.emit(Event{Step: id, Kind: EventRetrying, Attempt: attempt, Wait: wait, Error: err.Error(), Code: ErrorCode(err)})
		}, op)
}

// outputsOf returns the step's outputs known now (nil when none).
func (r *Run) outputsOf(s Step) map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var m map[string]string
	for _, o := range s.Produces {
		if v := r.rec.Outputs[o.Key]; v != "" {
			if m == nil {
				m = map[string]string{}
			}
			m[o.Key] = v
		}
	}
	return m
}

// Naming rules the target must follow, from Microsoft's "Naming rules and
// restrictions for Azure resources" (resource groups: 1–90 of letters,
// digits, underscores, parentheses, hyphens and periods, not ending in a
// period; virtual networks: 2–64 of alphanumerics, underscores, periods
// and hyphens, starting alphanumeric, ending alphanumeric or underscore)
// and Aiven's project names (the console and API accept 1–63 of letters,
// digits, '-' and '_').
var (
	projectNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,63}$`)
	rgNameRE      = regexp.MustCompile(`^[-\p{L}\p{N}_.()]{1,90}$`)
	vnetNameRE    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?$`)
)

// Validate checks the target's fields before any call is made.
func (t Target) Validate() error {
	if t.Organization != "" {
		if t.Project != "" {
			return &ValidationError{Field: "organization", Problem: "was given with a project",
				Fix: "an organization VPC belongs to its organization: pass --organization or --project, not both"}
		}
		if err := validateOrganization(t.Organization); err != nil {
			return err
		}
	}
	switch {
	case t.Organization != "":
		// Checked above; the VPC and VNet checks follow.
	case t.Project == "":
		return &ValidationError{Field: "project", Problem: "is empty", Fix: "pass --project with an Aiven project name (azpeer list shows them)"}
	case !projectNameRE.MatchString(t.Project):
		return &ValidationError{Field: "project", Problem: fmt.Sprintf("%s is not an Aiven project name", quoteShort(t.Project)),
			Fix: "project names are 1–63 letters, digits, '-' or '_' (azpeer list shows yours)"}
	}
	switch {
	case !isGUID(t.VPCID):
		return &ValidationError{Field: "vpc", Problem: fmt.Sprintf("%s is not a VPC id (a UUID)", quoteShort(t.VPCID)), Fix: "pass --vpc with an id from azpeer list"}
	case !isGUID(t.SubscriptionID):
		return &ValidationError{Field: t.subscriptionField(), Problem: fmt.Sprintf("names %s, which is not a subscription id (a GUID)", quoteShort(t.SubscriptionID)),
			Fix: "pass --vnet as a full resource id, or --subscription with a GUID from azpeer vnets"}
	case t.ResourceGroup == "" || t.VNetName == "":
		return &ValidationError{Field: "vnet", Problem: "has an empty resource group or VNet name", Fix: "pass --vnet RESOURCE_GROUP/NAME or a full resource id"}
	case !rgNameRE.MatchString(t.ResourceGroup) || strings.HasSuffix(t.ResourceGroup, "."):
		return &ValidationError{Field: "vnet", Problem: fmt.Sprintf("names the resource group %s, which is not a valid resource group name", quoteShort(t.ResourceGroup)),
			Fix: "resource group names are 1–90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.' (azpeer vnets lists yours)"}
	case !vnetNameRE.MatchString(t.VNetName):
		return &ValidationError{Field: "vnet", Problem: fmt.Sprintf("names the VNet %s, which is not a valid virtual network name", quoteShort(t.VNetName)),
			Fix: "VNet names are 2–64 letters, digits, '_', '.' or '-' (azpeer vnets lists yours)"}
	}
	return nil
}

// quoteShort quotes a value for an error, shortened when it is very long.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 60 {
		return fmt.Sprintf("%q… (%d characters)", string(r[:40]), len(r))
	}
	return fmt.Sprintf("%q", s)
}

// Validate checks the options the user gave.
func (o Options) Validate() error {
	if o.Role != "" && o.Role != RoleNetworkContributor && o.Role != RoleLeastPrivilege {
		return &ValidationError{Field: "role", Problem: fmt.Sprintf("%s is not a role option", quoteShort(o.Role)), Fix: "use network-contributor or least-privilege"}
	}
	if o.AivenAppID != "" && !isGUID(o.AivenAppID) {
		return &ValidationError{Field: "aiven-app-id", Problem: fmt.Sprintf("%s is not an application id (a GUID)", quoteShort(o.AivenAppID)), Fix: "omit it for Aiven's app " + DefaultAivenAppID + ", or pass the id your provider documents"}
	}
	if o.AppID != "" && !isGUID(o.AppID) {
		return &ValidationError{Field: "app-id", Problem: fmt.Sprintf("%s is not an application (client) id (a GUID)", quoteShort(o.AppID)), Fix: "pass the appId of your app (az ad app list --display-name NAME --query [].appId)"}
	}
	if o.PeeringName != "" && (!validAzureName.MatchString(o.PeeringName) || strings.HasSuffix(o.PeeringName, ".") || strings.HasSuffix(o.PeeringName, "-")) {
		return &ValidationError{Field: "peering-name", Problem: fmt.Sprintf("%s is not a valid Azure peering name", quoteShort(o.PeeringName)), Fix: "use 1–80 letters, digits, '.', '_' or '-', starting with a letter or digit and ending with a letter, digit or '_'"}
	}
	if n := len([]rune(o.AppName)); n > maxAppName {
		return &ValidationError{Field: "app-name", Problem: fmt.Sprintf("is %d characters long, more than the %d Entra allows", n, maxAppName), Fix: "pick a shorter display name"}
	}
	if o.AppName != "" && strings.TrimSpace(o.AppName) == "" {
		return &ValidationError{Field: "app-name", Problem: "is blank", Fix: "pass a display name, or leave --app-name out for azpeer-PROJECT-VNET"}
	}
	return nil
}

// ErrReadOnly is the answer to anything that would change a cloud in
// read-only mode.
var ErrReadOnly = errors.New("azpeer is in read-only mode (--read-only, AZPEER_READ_ONLY or read_only in the configuration), so it changes nothing")

// ValidationError names the bad field (as the flag the user gave) and the fix.
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
