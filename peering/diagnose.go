package peering

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Facts are everything a diagnosis looks at, gathered once. Fields that
// could not be read are nil/empty and named in Unchecked.
type Facts struct {
	Target     Target
	Now        time.Time
	VPC        *VPC
	Connection *Connection
	// Subscriptions visible to the admin; SubscriptionTenant is the
	// tenant of the target's subscription ("" when not visible).
	Subscriptions      []Subscription
	SubscriptionTenant string
	// VNet is the VNet named by the connection (or target), found
	// case-insensitively; VNetsInGroup are the names in its subscription,
	// for spelling hints.
	VNet      *VNet
	VNetNames []string
	AivenSP   *ServicePrincipal
	App       *Application
	AppSP     *ServicePrincipal
	// Assignments apply at the VNet (at, above or below); Roles are their
	// definitions by lower-case id.
	Assignments []RoleAssignment
	Roles       map[string]RoleDefinition
	Record      *Record
	AivenAppID  string
	// AivenVNetGuess is Aiven's side found from the Azure side, when Aiven
	// did not say it (state_info can be null: go-client-codegen's openapi
	// patch; Terraform provider issue 304) and no record knows it.
	AivenVNetGuess string
	// Unchecked says what could not be read, and why ("<fact>: <error>").
	Unchecked []string
	// unread are the facts that could not be read.
	unread map[Fact]bool
}

// Fact names one thing a diagnosis reads; rules ask whether it was read
// by these names, never by text.
type Fact string

// MarkUnread records that a fact could not be read, and why.
func (f *Facts) MarkUnread(what Fact, err error) {
	f.Unchecked = append(f.Unchecked, string(what)+": "+err.Error())
	if f.unread == nil {
		f.unread = map[Fact]bool{}
	}
	f.unread[what] = true
}

// The facts a diagnosis reads.
const (
	FactRecord       Fact = "run record"
	FactAivenVPC     Fact = "Aiven VPC"
	FactSubs         Fact = "Azure subscriptions"
	FactVNets        Fact = "Azure VNets"
	FactAivenSP      Fact = "Aiven's service principal"
	FactApp          Fact = "the peering app"
	FactAppSP        Fact = "the peering app's service principal"
	FactAssignments  Fact = "role assignments on the VNet"
	FactAivenNetwork Fact = "Aiven's network"
)

// Severity orders findings.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// FixKind is what azpeer can do about a finding.
type FixKind string

const (
	// FixResume runs the runbook again: it detects what exists and creates
	// what is missing (service principals, roles, assignments), re-requests a
	// failed Aiven connection and recreates a broken Azure peering.
	FixResume FixKind = "resume-runbook"
	// FixRecreateAiven deletes the Aiven connection, then runs the runbook
	// (which creates it again with correct, lower-case names).
	FixRecreateAiven FixKind = "recreate-aiven-peering"
	// FixRefresh asks Aiven to re-check the connection now.
	FixRefresh FixKind = "refresh"
	// FixSync syncs the user's side of the peering, asks Aiven to refresh
	// its side, and waits until both are in sync (Runbook.Sync).
	FixSync FixKind = "sync"
)

// Finding is one diagnosed problem.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Cause    string   `json:"cause"`
	Evidence []string `json:"evidence"`
	Fix      string   `json:"fix"`
	Command  string   `json:"command,omitempty"`
	Action   FixKind  `json:"action,omitempty"`
	// Resource is the resource the fix removes first (a stray or failed
	// Azure peering), when there is one.
	Resource string `json:"resource,omitempty"`
	// demoted: here the finding is a consequence, not the likeliest cause
	// (it ranks after every other rule's findings).
	demoted bool
}

// Diagnosis is the facts and what they mean.
type Diagnosis struct {
	Facts *Facts `json:"-"`
	// Verdict sums it up: healthy only when everything was checked and
	// nothing is wrong.
	Verdict  Verdict   `json:"verdict"`
	Findings []Finding `json:"findings"`
	// Unchecked lists what could not be checked (partial access, a cloud
	// down, a revoked token).
	Unchecked []string `json:"unchecked,omitempty"`
}

// Verdict is a diagnosis in one word.
type Verdict string

const (
	// VerdictHealthy: everything was read and nothing is wrong.
	VerdictHealthy Verdict = "healthy"
	// VerdictUnhealthy: at least one error or warning.
	VerdictUnhealthy Verdict = "unhealthy"
	// VerdictUnknown: nothing wrong was seen, but something could not be
	// read — which is never reported as healthy.
	VerdictUnknown Verdict = "unknown"
)

// ExitCode is the verdict as a process exit status, the same for every
// command that reports one: 0 healthy, 1 problems found, 3 could not check.
func (v Verdict) ExitCode() int {
	switch v {
	case VerdictHealthy:
		return 0
	case VerdictUnhealthy:
		return 1
	}
	return 3
}

// Healthy reports whether everything was checked and nothing is wrong.
func (d Diagnosis) Healthy() bool { return d.Verdict == VerdictHealthy }

func verdictOf(findings []Finding, unchecked []string) Verdict {
	for _, f := range findings {
		if f.Severity != SeverityInfo {
			return VerdictUnhealthy
		}
	}
	if len(unchecked) > 0 {
		return VerdictUnknown
	}
	return VerdictHealthy
}

// Gather reads the facts of a target. It tolerates partial access: what
// cannot be read is listed in Unchecked and the rules that need it stay
// silent.
func (rb *Runbook) Gather(ctx context.Context, t Target, aivenAppID string) *Facts {
	if aivenAppID == "" {
		aivenAppID = DefaultAivenAppID
	}
	f := &Facts{Target: t, Now: rb.now(), AivenAppID: aivenAppID, Roles: map[string]RoleDefinition{}, unread: map[Fact]bool{}}
	skip := f.MarkUnread

	if rb.Store != nil {
		if rec, err := rb.Store.Load(t); err != nil {
			skip(FactRecord, err)
		} else {
			f.Record = rec
			if rec != nil && rec.Options.AivenAppID != "" {
				f.AivenAppID = rec.Options.AivenAppID
			}
		}
	}
	if v, err := read(ctx, rb, func(ctx context.Context) (VPC, error) { return rb.Aiven.VPC(ctx, t.Parent(), t.VPCID) }); err != nil {
		skip(FactAivenVPC, err)
	} else {
		f.VPC = &v
		// The connection as Aiven stores it: by exact key first, then by
		// the same names in any case (a connection created with mixed case).
		if c, ok := v.Find(aivenKey(t)); ok {
			f.Connection = &c
		} else {
			for _, c := range v.Peerings {
				if strings.EqualFold(c.PeerCloudAccount, t.SubscriptionID) && strings.EqualFold(c.PeerResourceGroup, t.ResourceGroup) && strings.EqualFold(c.PeerVPC, t.VNetName) {
					c := c
					f.Connection = &c
					break
				}
			}
		}
	}
	if subs, err := read(ctx, rb, rb.Network.Subscriptions); err != nil {
		skip(FactSubs, err)
	} else {
		f.Subscriptions = subs
		for _, s := range subs {
			if strings.EqualFold(s.ID, t.SubscriptionID) {
				f.SubscriptionTenant = s.TenantID
			}
		}
	}
	if vnets, err := read(ctx, rb, func(ctx context.Context) ([]VNet, error) { return rb.Network.VNets(ctx, t.SubscriptionID) }); err != nil {
		skip(FactVNets, err)
	} else {
		for _, v := range vnets {
			f.VNetNames = append(f.VNetNames, v.ResourceGroup+"/"+v.Name)
			if strings.EqualFold(v.ResourceGroup, t.ResourceGroup) && strings.EqualFold(v.Name, t.VNetName) {
				v := v
				f.VNet = &v
			}
		}
	}
	if sp, err := read(ctx, rb, func(ctx context.Context) (*ServicePrincipal, error) {
		return rb.Directory.ServicePrincipalByAppID(ctx, f.AivenAppID)
	}); err != nil {
		skip(FactAivenSP, err)
	} else {
		f.AivenSP = sp
	}
	appID := ""
	if f.Connection != nil {
		appID = f.Connection.PeerAzureAppID
	} else if f.Record != nil {
		appID = f.Record.Outputs[OutUserAppID]
	}
	if appID != "" {
		if app, err := read(ctx, rb, func(ctx context.Context) (*Application, error) { return rb.Directory.ApplicationByAppID(ctx, appID) }); err != nil {
			skip(FactApp, err)
		} else {
			f.App = app
		}
		if sp, err := read(ctx, rb, func(ctx context.Context) (*ServicePrincipal, error) {
			return rb.Directory.ServicePrincipalByAppID(ctx, appID)
		}); err != nil {
			skip(FactAppSP, err)
		} else {
			f.AppSP = sp
		}
	}
	if f.VNet != nil && f.aivenVNetID() == "" && f.Connection != nil {
		cidr := ""
		if f.VPC != nil {
			cidr = f.VPC.CIDR
		}
		if p := aivenSide(*f.VNet, "", t, cidr); p != nil {
			f.AivenVNetGuess = p.RemoteVNetID
		} else if f.state() == StateActive || f.state() == StatePendingPeer {
			f.MarkUnread(FactAivenNetwork, errors.New("the state_info of Aiven's connection names no network, and no peering of the VNet points outside your subscriptions"))
		}
	}
	if f.VNet != nil {
		if as, err := read(ctx, rb, func(ctx context.Context) ([]RoleAssignment, error) {
			return rb.Access.RoleAssignments(ctx, f.VNet.ID, "")
		}); err != nil {
			skip(FactAssignments, err)
		} else {
			f.Assignments = as
			for _, a := range as {
				k := strings.ToLower(a.RoleDefinitionID)
				if _, done := f.Roles[k]; done {
					continue
				}
				if rd, err := read(ctx, rb, func(ctx context.Context) (*RoleDefinition, error) {
					return rb.Access.RoleDefinitionByID(ctx, a.RoleDefinitionID)
				}); err == nil && rd != nil {
					f.Roles[k] = *rd
				}
			}
		}
	}
	return f
}

// Diagnose gathers the facts and evaluates every rule.
func (rb *Runbook) Diagnose(ctx context.Context, t Target, aivenAppID string) Diagnosis {
	f := rb.Gather(ctx, t, aivenAppID)
	return Evaluate(f)
}

// Evaluate runs the rules over facts; it is pure.
func Evaluate(f *Facts) Diagnosis {
	out := []Finding{}
	for _, c := range checks() {
		out = append(out, c.eval(f)...)
	}
	rank := ruleRanks()
	// A missing peer permission makes Aiven say REJECTED_BY_PEER or (in
	// the variant the Terraform docs describe) INVALID_SPECIFICATION; under
	// INVALID_SPECIFICATION any other error (a missing VNet, a wrong app,
	// overlapping ranges) is the likelier cause, and then the permission
	// is only the next failure.
	specCauses := false
	for _, x := range out {
		specCauses = specCauses || (x.Severity == SeverityError && x.ID != RuleAivenPermissionMissing)
	}
	for i := range out {
		if out[i].ID == RuleAivenPermissionMissing && f.state() == StateInvalidSpecification && specCauses {
			out[i].demoted = true
		}
	}
	key := func(x Finding) int {
		if x.demoted {
			// After every other cause, before the catch-all.
			return rank[RuleAivenFailedUnexplained]*2 - 1
		}
		return rank[x.ID] * 2
	}
	sevOrder := map[Severity]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(sevOrder[a.Severity], sevOrder[b.Severity]), cmp.Compare(key(a), key(b)))
	})
	return Diagnosis{Facts: f, Verdict: verdictOf(out, f.Unchecked), Findings: out, Unchecked: f.Unchecked}
}

// grantsAction reports whether any assignment of principal at the VNet's
// scope (or above) grants action, and whether the newest is younger than
// propagation.
func (f *Facts) grantsAction(principal, action string) (granted bool, newest time.Time, unknownRoles bool) {
	for _, a := range f.Assignments {
		if !strings.EqualFold(a.PrincipalID, principal) || !scopeCovers(a.Scope, f.VNet.ID) {
			continue
		}
		rd, ok := f.Roles[strings.ToLower(a.RoleDefinitionID)]
		if !ok {
			unknownRoles = true
			continue
		}
		if roleAllows(rd, action) {
			granted = true
			if a.CreatedOn.After(newest) {
				newest = a.CreatedOn
			}
		}
	}
	return granted, newest, unknownRoles
}

func scopeCovers(scope, resource string) bool {
	s, r := strings.ToLower(strings.TrimRight(scope, "/")), strings.ToLower(strings.TrimRight(resource, "/"))
	return s == r || strings.HasPrefix(r, s+"/")
}

// roleAllows matches RBAC actions with wildcards, case-insensitively.
func roleAllows(rd RoleDefinition, action string) bool {
	match := func(pattern string) bool {
		p, a := strings.ToLower(pattern), strings.ToLower(action)
		if !strings.Contains(p, "*") {
			return p == a
		}
		parts := strings.Split(p, "*")
		if !strings.HasPrefix(a, parts[0]) {
			return false
		}
		rest := a[len(parts[0]):]
		for _, part := range parts[1 : len(parts)-1] {
			i := strings.Index(rest, part)
			if i < 0 {
				return false
			}
			rest = rest[i+len(part):]
		}
		return strings.HasSuffix(rest, parts[len(parts)-1])
	}
	ok := slices.ContainsFunc(rd.Actions, match)
	return ok && !slices.ContainsFunc(rd.NotActions, match)
}
