package peering

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Existing is what exists of a peering that azpeer has no record of: the
// Aiven connection, the Azure peering to Aiven's VNet, and apps that
// another azpeer run (whose record is lost) made for it.
type Existing struct {
	Target     Target
	Connection *Connection
	Azure      *VNetPeering
	// AivenVNetID is Aiven's side, from state_info or found from the Azure side.
	AivenVNetID string
	// AzureGuess says how the Azure peering was found when Aiven named no
	// network ("" when it did): the VNet's only peering into another
	// subscription, or the one of several whose remote address space is
	// the VPC's.
	AzureGuess string
	// Apps are azpeer-made apps for this peering (tagged), oldest first.
	Apps []Application
	// Unchecked says what could not be read.
	Unchecked []string
}

// Empty reports whether nothing of the peering exists (and all was read).
func (e Existing) Empty() bool {
	return e.Connection == nil && e.Azure == nil && len(e.Apps) == 0 && len(e.Unchecked) == 0
}

// Lines describe what exists, one thing a line, saying who made it.
func (e Existing) Lines() []string {
	var out []string
	if c := e.Connection; c != nil {
		out = append(out, fmt.Sprintf("Aiven connection %s, requested for app %s in tenant %s, created %s",
			c.State, orNone(c.PeerAzureAppID), orNone(c.PeerAzureTenantID), c.CreateTime.UTC().Format(time.RFC3339)))
	}
	if p := e.Azure; p != nil {
		line := fmt.Sprintf("Azure peering %s on %s/%s to %s: %s (provisioning %s)", p.Name, e.Target.ResourceGroup, e.Target.VNetName, p.RemoteVNetID, p.PeeringState, p.ProvisioningState)
		if e.AzureGuess != "" {
			line += " — Aiven did not say which network is its side; " + e.AzureGuess
		}
		out = append(out, line)
	}
	for _, a := range e.Apps {
		run, _ := MarkedBy(a.Tags)
		out = append(out, fmt.Sprintf("app %q (%s), made by azpeer run %s at %s for this peering", a.DisplayName, a.AppID, shortID(run), a.CreatedAt.UTC().Format(time.RFC3339)))
	}
	for _, u := range e.Unchecked {
		out = append(out, "could not check "+u)
	}
	return out
}

// AppTagFinder finds apps by tag; the Graph adapter implements it.
type AppTagFinder interface {
	FindApplicationsByTag(ctx context.Context, tag string) ([]Application, error)
}

// Discover reads what exists of a target without a record.
func (rb *Runbook) Discover(ctx context.Context, t Target) Existing {
	e := Existing{Target: t}
	var vpc VPC
	if err := readInto(ctx, rb, &vpc, func(ctx context.Context) (VPC, error) { return rb.Aiven.VPC(ctx, t.Parent(), t.VPCID) }); err != nil {
		e.Unchecked = append(e.Unchecked, "the Aiven connection: "+err.Error())
	} else if c, ok := vpc.Find(aivenKey(t)); ok {
		e.Connection = &c
		e.AivenVNetID = c.ToNetworkID()
	}
	var vnet VNet
	if err := readInto(ctx, rb, &vnet, func(ctx context.Context) (VNet, error) { return rb.Network.VNet(ctx, t.VNetID()) }); err != nil {
		if StatusCode(err) != 404 {
			e.Unchecked = append(e.Unchecked, "the Azure side: "+err.Error())
		}
	} else if p := aivenSide(vnet, e.AivenVNetID, t, vpc.CIDR); p != nil {
		e.Azure = p
		if e.AivenVNetID == "" {
			e.AzureGuess = guessReason(vnet, t, vpc.CIDR)
		}
		e.AivenVNetID = p.RemoteVNetID
	}
	if f, ok := rb.Directory.(AppTagFinder); ok {
		if apps, err := read(ctx, rb, func(ctx context.Context) ([]Application, error) { return f.FindApplicationsByTag(ctx, peeringTag(t)) }); err != nil {
			e.Unchecked = append(e.Unchecked, "apps azpeer made: "+err.Error())
		} else {
			slices.SortFunc(apps, olderApp)
			e.Apps = apps
		}
	}
	return e
}

// aivenSide is the VNet's peering to Aiven: the one to to-network-id when
// Aiven said it, else — state_info can be null (go-client-codegen's
// openapi patch; Terraform provider issue 304) — the only peering to a
// network in another subscription (Aiven's VNets live in Aiven's). The
// listing shows which one, so the user confirms it by name.
// AivenSideOf is aivenSide for the dashboard, which knows a connection's
// VNet, the VPC's CIDR and, sometimes, Aiven's VNet.
func AivenSideOf(v VNet, aivenVNetID string, t Target, vpcCIDR string) *VNetPeering {
	return aivenSide(v, aivenVNetID, t, vpcCIDR)
}

// guessReason says why aivenSide took the peering it found without
// Aiven's VNet id, for the person who confirms it by name.
func guessReason(v VNet, t Target, vpcCIDR string) string {
	if n := len(outsidePeerings(v, t)); n > 1 {
		return fmt.Sprintf("of the VNet's %d peerings into other subscriptions, this is the one whose remote address space is the VPC's %s", n, vpcCIDR)
	}
	return "this is the VNet's only peering into another subscription"
}

// outsidePeerings are the VNet's peerings to networks in other
// subscriptions (Aiven's VNets live in Aiven's).
func outsidePeerings(v VNet, t Target) []*VNetPeering {
	var out []*VNetPeering
	for i, p := range v.Peerings {
		if !strings.HasPrefix(strings.ToLower(p.RemoteVNetID), "/subscriptions/"+strings.ToLower(t.SubscriptionID)+"/") {
			out = append(out, &v.Peerings[i])
		}
	}
	return out
}

func aivenSide(v VNet, aivenVNetID string, t Target, vpcCIDR string) *VNetPeering {
	for i, p := range v.Peerings {
		if aivenVNetID != "" && strings.EqualFold(p.RemoteVNetID, aivenVNetID) {
			return &v.Peerings[i]
		}
	}
	if aivenVNetID != "" {
		return nil
	}
	// Several peerings leave the subscription when the VNet is peered
	// with more than one Aiven VPC (a project's and an organization's,
	// say): the one whose remote address space is the VPC's is its.
	outside := outsidePeerings(v, t)
	var matching []*VNetPeering
	for _, p := range outside {
		if vpcCIDR != "" && slices.Contains(p.RemoteAddressPrefixes, vpcCIDR) {
			matching = append(matching, p)
		}
	}
	switch {
	case len(outside) == 1:
		return outside[0]
	case len(matching) == 1:
		return matching[0]
	}
	return nil
}

// Adopt records what exists of a peering as the run's, with the user's
// consent, so that it can be deleted (both sides) or managed: the Aiven
// connection, the Azure peering, and apps other azpeer runs made for it
// (with their service principals).
func (r *Run) Adopt(e Existing) error {
	if r.rb.ReadOnly {
		return ErrReadOnly
	}
	if len(e.Unchecked) > 0 {
		return fmt.Errorf("cannot adopt the peering: %s", strings.Join(e.Unchecked, "; "))
	}
	t := r.target()
	if c := e.Connection; c != nil {
		r.settle(OutAivenConnection, KindAivenConnection, c.Key().String(), "", Adopted)
		r.setOut(OutAivenState, string(c.State), OutUserTenantID, c.PeerAzureTenantID)
		if tid := c.ToTenantID(); tid != "" {
			r.setOut(OutAivenTenantID, tid)
		}
	}
	if e.AivenVNetID != "" {
		r.setOut(OutAivenVNetID, e.AivenVNetID)
	}
	if p := e.Azure; p != nil {
		r.settle(OutAzurePeeringID, KindAzurePeering, p.ID, p.Name, Adopted)
		r.setOut(OutAzurePeeringID, p.ID, OutAzurePeeringName, p.Name, OutAzurePeeringState, p.PeeringState, OutUserVNetID, t.VNetID())
	}
	for _, a := range e.Apps {
		if e.Connection != nil && !strings.EqualFold(a.AppID, e.Connection.PeerAzureAppID) && len(e.Apps) > 1 {
			continue
		}
		r.settle(OutUserAppID, KindApplication, a.AppID, a.DisplayName, Inherited)
		r.setOut(OutUserAppID, a.AppID, OutUserAppObjectID, a.ObjectID)
		break
	}
	r.emit(Event{Step: "adopt", Kind: EventNotice, Message: "adopted what exists of the peering: " + strings.Join(e.Lines(), "; ")})
	return r.save()
}

// AivenPermissionReader tells the Aiven token's permissions on a project;
// the Aiven adapter implements it.
type AivenPermissionReader interface {
	ProjectPermissions(ctx context.Context, project string) ([]string, error)
}

// CheckDeletable verifies, where the clouds can tell, that both sides of
// the peering can be deleted, so that a delete removes both or neither.
func (rb *Runbook) CheckDeletable(ctx context.Context, t Target) error {
	if pr, ok := rb.Access.(PermissionReader); ok {
		var sets []PermissionSet
		if err := readInto(ctx, rb, &sets, func(ctx context.Context) ([]PermissionSet, error) { return pr.Permissions(ctx, t.VNetID()) }); err == nil {
			const action = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete"
			allowed := false
			for _, s := range sets {
				allowed = allowed || roleAllows(RoleDefinition{Actions: s.Actions, NotActions: s.NotActions}, action)
			}
			if !allowed {
				return &PermissionError{What: "perform " + action + " on " + t.VNetID(),
					Need: "deleting the Azure side needs Network Contributor (or Owner) on the VNet; nothing was deleted"}
			}
		}
	}
	// An organization VPC's permissions are the organization's, which
	// /v1/me does not list: Aiven's refusal says what is missing.
	if ar, ok := rb.Aiven.(AivenPermissionReader); ok && t.Organization == "" {
		var perms []string
		if err := readInto(ctx, rb, &perms, func(ctx context.Context) ([]string, error) { return ar.ProjectPermissions(ctx, t.Project) }); err == nil && len(perms) > 0 && !aivenCanWriteNetworking(perms) {
			return &PermissionError{What: "delete peering connections in the Aiven project " + t.Project + " (your membership: " + strings.Join(perms, ", ") + ")",
				Need: "that needs the project's admin or operator role, or project:networking:write; a project admin can grant it; nothing was deleted"}
		}
	}
	return nil
}

// aivenCanWriteNetworking: which project memberships may change VPC
// peerings. Aiven's roles (go-client-codegen handler/user
// ProjectMembershipType): admin and operator manage the project's
// networking; role:project:admin and the fine-grained
// project:networking:write permission too. Other roles (developer,
// read_only, role:project:read, …) are read-only for VPCs.
func aivenCanWriteNetworking(perms []string) bool {
	for _, p := range perms {
		switch p {
		case "admin", "operator", "role:project:admin", "project:networking:write", "role:organization:admin":
			return true
		}
	}
	return false
}
