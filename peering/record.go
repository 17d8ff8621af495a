package peering

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// RecordSchema is the version of the run record format. Version 2 added
// the run id and the ledger of objects (version 1 kept "created:" flags
// among the outputs; Migrate reads it).
const RecordSchema = 2

// maxEvents bounds the event log kept in a record.
const maxEvents = 1000

// Target identifies one peering: an Aiven project VPC and an Azure VNet.
// Names keep the case the user (and Azure) gave; what is sent to Aiven is
// lower-cased by the runbook.
type Target struct {
	// Project names a project VPC's project; Organization, instead, an
	// organization VPC's organization (exactly one is set).
	Project        string `json:"project"`
	Organization   string `json:"organization,omitempty"`
	VPCID          string `json:"vpc_id"`
	SubscriptionID string `json:"subscription_id"`
	ResourceGroup  string `json:"resource_group"`
	VNetName       string `json:"vnet_name"`

	// SubscriptionFrom names the input that supplied SubscriptionID ("vnet"
	// when --vnet was a full resource id, "subscription" otherwise), so an
	// error about it names the flag the user actually gave.
	SubscriptionFrom string `json:"-"`
}

// VNetID is the target VNet's resource id.
func (t Target) VNetID() string {
	return "/subscriptions/" + t.SubscriptionID + "/resourceGroups/" + t.ResourceGroup +
		"/providers/Microsoft.Network/virtualNetworks/" + t.VNetName
}

// Key is the one identity of a target for records, the UI and the CLI:
// Azure names are case-insensitive and so is Aiven's lower-cased copy, so
// the key is lower case.
func (t Target) Key() string {
	owner := t.Project
	if t.Organization != "" {
		// Cannot collide with a project's name, which has no ':'.
		owner = "organization:" + t.Organization
	}
	return strings.ToLower(strings.Join([]string{owner, t.VPCID, t.SubscriptionID, t.ResourceGroup, t.VNetName}, "/"))
}

// Parent is the target VPC's parent.
func (t Target) Parent() Parent {
	if t.Organization != "" {
		return OrganizationParent(t.Organization)
	}
	return ProjectParent(t.Project)
}

// Owner is the parent's name or id, for derived names.
func (t Target) Owner() string { return t.Parent().ID }

// Flags are the command-line flags naming the target, as a command the
// user can run again.
func (t Target) Flags() string {
	return fmt.Sprintf("%s --vpc %s --vnet %s/%s", t.Parent().Flag(), t.VPCID, t.ResourceGroup, t.VNetName)
}

// String is a short human name: project/vpc ↔ rg/vnet (org:ID/vpc for an
// organization VPC).
func (t Target) String() string {
	owner := t.Project
	if t.Organization != "" {
		owner = "org:" + t.Organization
	}
	return fmt.Sprintf("%s/%s ↔ %s/%s", owner, shortID(t.VPCID), t.ResourceGroup, t.VNetName)
}

// subscriptionField is the input that named the subscription.
func (t Target) subscriptionField() string {
	if t.SubscriptionFrom != "" {
		return t.SubscriptionFrom
	}
	return "subscription"
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
// secret: only the password credentials' key ids.
type Record struct {
	Schema int `json:"schema"`
	// RunID marks what this run creates (a tag on apps and service
	// principals, the display name of secrets), so that what it made is
	// found again after any crash, even without this record.
	RunID   string                 `json:"run_id"`
	Target  Target                 `json:"target"`
	Options Options                `json:"options"`
	Created time.Time              `json:"created"`
	Updated time.Time              `json:"updated"`
	Steps   map[StepID]*StepRecord `json:"steps"`
	Outputs map[string]string      `json:"outputs"`
	// Objects is the ledger of everything the run created, intends to
	// create, found or adopted; see Object.
	Objects []Object `json:"objects"`
	Events  []Event  `json:"events"`
}

// NewRecord starts a record for a target with a new run id.
func NewRecord(t Target, o Options, now time.Time) *Record {
	r := &Record{Schema: RecordSchema, RunID: uuid.NewString(), Target: t, Options: o, Created: now, Updated: now,
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

// StepsDone counts the steps that are done.
func (r *Record) StepsDone() int {
	n := 0
	for _, id := range StepIDs() {
		if r.Step(id).Status == StatusDone {
			n++
		}
	}
	return n
}

// Clone is a deep copy, safe to read while the run goes on.
func (r *Record) Clone() *Record {
	c := *r
	c.Steps = make(map[StepID]*StepRecord, len(r.Steps))
	for k, v := range r.Steps {
		sv := *v
		c.Steps[k] = &sv
	}
	c.Outputs = make(map[string]string, len(r.Outputs))
	for k, v := range r.Outputs {
		c.Outputs[k] = v
	}
	c.Objects = append([]Object(nil), r.Objects...)
	c.Events = append([]Event(nil), r.Events...)
	return &c
}

// Migrate brings a record read from disk to the current schema. It returns
// an error for schemas it does not know (a newer azpeer wrote it).
func (r *Record) Migrate() error {
	switch r.Schema {
	case RecordSchema:
	case 1:
		r.migrateV1()
	default:
		return fmt.Errorf("it has schema %d; this azpeer reads schemas 1 to %d (a newer azpeer wrote it)", r.Schema, RecordSchema)
	}
	if r.Outputs == nil {
		r.Outputs = map[string]string{}
	}
	if r.Steps == nil {
		r.Steps = map[StepID]*StepRecord{}
	}
	return nil
}

// migrateV1 turns version 1's "created:<output>" flags into ledger entries.
// Version 1 had no run id, so objects it made carry no marker: the ledger
// is all that knows them.
func (r *Record) migrateV1() {
	if r.RunID == "" {
		r.RunID = uuid.NewString()
	}
	for _, s := range slots() {
		id := r.Outputs[s.output]
		if id == "" {
			continue
		}
		state := Found
		if r.Outputs["created:"+s.output] == "true" {
			state = Created
		}
		r.Objects = append(r.Objects, Object{Slot: s.output, Kind: s.kind, ID: id, State: state, Time: r.Updated})
	}
	for k := range r.Outputs {
		if strings.HasPrefix(k, "created:") {
			delete(r.Outputs, k)
		}
	}
	if k := r.Outputs[OutUserAppKeyID]; k != "" {
		r.Objects = append(r.Objects, Object{Slot: OutUserAppKeyID, Kind: KindSecret, ID: k, State: Created, Time: r.Updated})
	}
	if k := r.Outputs[OutReplacedKeyID]; k != "" {
		r.Objects = append(r.Objects, Object{Slot: OutUserAppKeyID, Kind: KindSecret, ID: k, State: Created, Time: r.Updated})
		delete(r.Outputs, OutReplacedKeyID)
	}
	r.Schema = RecordSchema
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
