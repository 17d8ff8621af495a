package peering

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Preflight checks a target before anything is created: the VPC exists, is
// on Azure and ACTIVE; the VNet exists; their address ranges do not
// overlap; the subscription is visible; and, where the cloud can tell, the
// signed-in principal may create role assignments on the VNet. A failure
// names the field (or the missing right) and the fix.
func (rb *Runbook) Preflight(ctx context.Context, t Target, o Options) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	var vpc VPC
	err := readInto(ctx, rb, &vpc, func(ctx context.Context) (VPC, error) { return rb.Aiven.VPC(ctx, t.Parent(), t.VPCID) })
	if err != nil {
		if StatusCode(err) == 404 || errors.Is(err, ErrNotFound) {
			return &ValidationError{Field: "vpc", Problem: fmt.Sprintf("%s was not found in %s", t.VPCID, t.Parent()),
				Fix: "pick a VPC id from azpeer list (organization VPCs are listed with their organization; pass --organization for those)"}
		}
		return fmt.Errorf("check the %s: %w", t.Parent().VPCNoun(), err)
	}
	if !vpc.IsAzure() {
		return &ValidationError{Field: "vpc", Problem: fmt.Sprintf("%s is in %s, not an Azure region", t.VPCID, vpc.Cloud),
			Fix: "VNet peering needs a project VPC in an azure-* cloud"}
	}
	if vpc.State != "ACTIVE" {
		return &ValidationError{Field: "vpc", Problem: fmt.Sprintf("%s is %s, not ACTIVE", t.VPCID, vpc.State),
			Fix: "wait until the project VPC is ACTIVE (azpeer list shows it)"}
	}
	var subs []Subscription
	if err := readInto(ctx, rb, &subs, func(ctx context.Context) ([]Subscription, error) { return rb.Network.Subscriptions(ctx) }); err != nil {
		return fmt.Errorf("list subscriptions: %w", err)
	}
	visible := false
	for _, s := range subs {
		visible = visible || strings.EqualFold(s.ID, t.SubscriptionID)
	}
	if !visible {
		fix := "sign in to the tenant that owns it (az login --tenant TENANT), or pick a VNet from azpeer vnets"
		// Resource Manager names any subscription's tenant to anyone.
		if tid := rb.subscriptionTenant(ctx, "/subscriptions/"+t.SubscriptionID); tid != "" {
			fix = "it belongs to tenant " + tid + ": sign in there (az login --tenant " + tid + ", or AZURE_TENANT_ID for an app), or pick a VNet from azpeer vnets"
			if who, err := rb.signedIn(ctx); err == nil && !strings.EqualFold(who.TenantID, tid) {
				fix = "it belongs to tenant " + tid + ", and you are signed in to " + who.TenantID + ": sign in there (az login --tenant " + tid + ", or AZURE_TENANT_ID for an app), or pick a VNet from azpeer vnets"
			}
		}
		return &ValidationError{Field: t.subscriptionField(), Problem: fmt.Sprintf("names subscription %s, which the signed-in principal cannot see", t.SubscriptionID),
			Fix: fix}
	}
	var vnet VNet
	if err := readInto(ctx, rb, &vnet, func(ctx context.Context) (VNet, error) { return rb.Network.VNet(ctx, t.VNetID()) }); err != nil {
		if StatusCode(err) == 404 || errors.Is(err, ErrNotFound) {
			return &ValidationError{Field: "vnet", Problem: fmt.Sprintf("%s/%s was not found in subscription %s", t.ResourceGroup, t.VNetName, t.SubscriptionID),
				Fix: "check the resource group and name (azpeer vnets lists them)"}
		}
		return fmt.Errorf("check the VNet: %w", err)
	}
	if a, b, ok := Overlap([]string{vpc.CIDR}, vnet.AddressPrefixes); ok {
		return &ValidationError{Field: "vnet", Problem: fmt.Sprintf("%s/%s (%s) overlaps the project VPC's %s", vnet.ResourceGroup, vnet.Name, b, a),
			Fix: "peer a VNet whose address space does not overlap " + vpc.CIDR + " (Azure refuses overlapping peerings)"}
	}
	if err := peeredOverlap(vpc, vnet, t); err != nil {
		return err
	}
	if err := rb.checkOwnPermissions(ctx, vnet.ID); err != nil {
		return err
	}
	if err := rb.checkCanCreateAivenSP(ctx, o.withDefaults(t).AivenAppID); err != nil {
		return err
	}
	return rb.checkNotThere(ctx, t, o)
}

// ExistingPeeringError says the peering (or part of it) already exists and
// azpeer has no record of creating it: create does not build a second set
// of identities next to it, and changes nothing without consent.
type ExistingPeeringError struct {
	Existing Existing
}

func (e *ExistingPeeringError) Error() string {
	return "this peering already exists, and this state directory has no record of azpeer creating it:\n  - " +
		strings.Join(e.Existing.Lines(), "\n  - ") +
		"\nNothing was created. azpeer status and azpeer doctor show it as it is; to let azpeer manage it, run the same command with --adopt " +
		"(it records what exists as azpeer's and changes nothing that works)"
}

// checkNotThere stops a new run for a peering that exists already (made by
// hand, or by azpeer with a state directory since lost), unless the user
// chose to adopt it or replace its connection.
func (rb *Runbook) checkNotThere(ctx context.Context, t Target, o Options) error {
	if o.Adopt {
		return nil
	}
	e := rb.Discover(ctx, t)
	if len(e.Unchecked) > 0 {
		// Not knowing is no reason to stop here: the steps check again.
		return nil
	}
	if (e.Connection != nil && !o.ReplaceConnection) || len(e.Apps) > 0 {
		return &ExistingPeeringError{Existing: e}
	}
	return nil
}

// peeredOverlap refuses a VNet already peered with a network whose
// address space overlaps the project VPC's: Azure answers the peering to
// Aiven with VnetAddressSpaceOverlapsWithAlreadyPeeredVnet (seen in
// microsoft/AzureTRE issues 1927, 3255 and 4641), after every other step.
// A peering to the project VPC's own network (Aiven's VNet for this VPC:
// the connection's to-network-id, or a network whose address space is
// exactly the VPC's) is this peering itself, not another network.
func peeredOverlap(vpc VPC, vnet VNet, t Target) error {
	own := ""
	if c, ok := vpc.Find(aivenKey(t)); ok {
		own = c.ToNetworkID()
	}
	for _, p := range vnet.Peerings {
		if (own != "" && strings.EqualFold(p.RemoteVNetID, own)) || slices.Equal(p.RemoteAddressPrefixes, []string{vpc.CIDR}) {
			continue
		}
		if a, b, ok := Overlap([]string{vpc.CIDR}, p.RemoteAddressPrefixes); ok {
			return &ValidationError{Field: "vnet", Problem: fmt.Sprintf("%s/%s is already peered (peering %s) with %s, whose address space %s overlaps the project VPC's %s",
				vnet.ResourceGroup, vnet.Name, p.Name, p.RemoteVNetID, b, a),
				Fix: "Azure refuses a peering that overlaps a network already peered (VnetAddressSpaceOverlapsWithAlreadyPeeredVnet): peer a VNet without that peering, or move one of the ranges"}
		}
	}
	return nil
}

// NetworkWarnings says what the VNet's existing peerings mean for a
// peering with Aiven, without refusing it: networks behind a hub do not
// reach Aiven through it. Azure's VNet FAQ: peering is not transitive ("If
// I peer VNetA to VNetB and I peer VNetB to VNetC, … VNetA and VNetC are
// not peered"); gateway transit works only when the other side asks for it
// (useRemoteGateways), and Aiven's side is Aiven's to configure — Aiven's
// Azure peering docs describe only the direct peering (no public source
// says Aiven's side uses a remote gateway).
func NetworkWarnings(vnet VNet) []string {
	var out []string
	for _, p := range vnet.Peerings {
		switch {
		case p.AllowGatewayTransit:
			out = append(out, fmt.Sprintf("%s/%s lets peered networks use its gateway (peering %s, allowGatewayTransit): on-premises networks behind that gateway will not reach Aiven through this peering, since Aiven's side does not use your gateway", vnet.ResourceGroup, vnet.Name, p.Name))
		case p.UseRemoteGateways:
			out = append(out, fmt.Sprintf("%s/%s uses a peered network's gateway (peering %s, useRemoteGateways): networks behind that gateway will not reach Aiven through this VNet; VNet peering is not transitive", vnet.ResourceGroup, vnet.Name, p.Name))
		case p.AllowForwardedTraffic:
			out = append(out, fmt.Sprintf("%s/%s accepts forwarded traffic (peering %s, allowForwardedTraffic): traffic forwarded from other networks through this VNet will not reach Aiven; VNet peering is not transitive", vnet.ResourceGroup, vnet.Name, p.Name))
		}
	}
	return out
}

// Overlap returns the first pair of overlapping CIDRs of a and b.
func Overlap(a, b []string) (string, string, bool) {
	for _, x := range a {
		px, err := netip.ParsePrefix(x)
		if err != nil {
			continue
		}
		for _, y := range b {
			py, err := netip.ParsePrefix(y)
			if err != nil {
				continue
			}
			if px.Overlaps(py) {
				return x, y, true
			}
		}
	}
	return "", "", false
}

// PermissionSet is one role's worth of actions a principal holds at a scope.
type PermissionSet struct {
	Actions, NotActions []string
}

// PermissionReader tells the signed-in principal's own permissions at a
// resource. Access adapters implement it where the cloud can tell.
type PermissionReader interface {
	Permissions(ctx context.Context, resourceID string) ([]PermissionSet, error)
}

// PermissionError says the signed-in principal lacks a right the run
// needs; nothing was created.
type PermissionError struct {
	// Who cannot (the user's or app's name; "" for the signed-in
	// principal), what they cannot do, and what it needs.
	Who, What, Need string
}

func (e *PermissionError) Error() string {
	who := e.Who
	if who == "" {
		who = "the signed-in principal"
	}
	return fmt.Sprintf("%s cannot %s; %s (nothing was created)", who, e.What, e.Need)
}

// checkOwnPermissions verifies, where the cloud can tell, that the
// signed-in principal can create the role assignments of steps 6 and 9.
func (rb *Runbook) checkOwnPermissions(ctx context.Context, vnetID string) error {
	pr, ok := rb.Access.(PermissionReader)
	if !ok {
		return nil
	}
	var sets []PermissionSet
	if err := readInto(ctx, rb, &sets, func(ctx context.Context) ([]PermissionSet, error) { return pr.Permissions(ctx, vnetID) }); err != nil {
		// Not knowing is no reason to stop: the steps will say what fails.
		return nil
	}
	const action = "Microsoft.Authorization/roleAssignments/write"
	for _, s := range sets {
		if roleAllows(RoleDefinition{Actions: s.Actions, NotActions: s.NotActions}, action) {
			return nil
		}
	}
	e := &PermissionError{What: "perform " + action + " on " + vnetID,
		Need: "creating role assignments needs Owner or User Access Administrator on the VNet (or above): sign in as such a principal, or ask one to grant it"}
	if who, err := rb.signedIn(ctx); err == nil {
		e.Who = who.Name
	}
	return e
}

// DirectoryRoleReader tells a principal's directory roles (as role
// template ids) in the signed-in tenant: an app's, or the signed-in
// user's own. Directory adapters implement it where they can.
type DirectoryRoleReader interface {
	DirectoryRolesOfApp(ctx context.Context, appID string) ([]string, error)
	DirectoryRolesOfSignedInUser(ctx context.Context) ([]string, error)
}

// AppAdminRole names the directory role (by template id, from Microsoft
// Entra's built-in roles) that may create a service principal for another
// tenant's application, or "".
func AppAdminRole(templateID string) string {
	switch strings.ToLower(templateID) {
	case "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3":
		return "Application Administrator"
	case "158c047a-c907-4556-b7ef-446551a6b5f7":
		return "Cloud Application Administrator"
	case "62e90394-69f5-4237-9190-012177145e10":
		return "Global Administrator"
	}
	return ""
}

// signedIn is who is signed in, when Identity can tell.
func (rb *Runbook) signedIn(ctx context.Context) (Principal, error) {
	if rb.Identity == nil {
		return Principal{}, errors.New("who is signed in is not known")
	}
	return read(ctx, rb, rb.Identity.SignedIn)
}

// checkCanCreateAivenSP stops a run that would fail at the step creating
// Aiven's service principal: when Aiven's app has no service principal in
// the tenant yet, the signed-in user or app must hold a role that may
// create one. It checks only what it can read: what it cannot is left to
// that step, which says what failed.
func (rb *Runbook) checkCanCreateAivenSP(ctx context.Context, aivenAppID string) error {
	rr, ok := rb.Directory.(DirectoryRoleReader)
	if !ok {
		return nil
	}
	who, err := rb.signedIn(ctx)
	if err != nil {
		return nil
	}
	if sp, err := read(ctx, rb, func(ctx context.Context) (*ServicePrincipal, error) {
		return rb.Directory.ServicePrincipalByAppID(ctx, aivenAppID)
	}); err != nil || sp != nil {
		return nil
	}
	roles, err := read(ctx, rb, func(ctx context.Context) ([]string, error) {
		if who.Kind == PrincipalUser {
			return rr.DirectoryRolesOfSignedInUser(ctx)
		}
		return rr.DirectoryRolesOfApp(ctx, who.AppID)
	})
	if err != nil {
		return nil
	}
	for _, r := range roles {
		if AppAdminRole(r) != "" {
			return nil
		}
	}
	return &PermissionError{Who: who.Name, What: "create a service principal for Aiven's app " + aivenAppID + " (" + StepRef(StepAivenSP) + ")",
		Need: "that needs the Application Administrator, Cloud Application Administrator or Global Administrator role in tenant " + who.TenantID +
			": sign in with an account that has one, or ask a Privileged Role Administrator to assign one, or ask an administrator to run: az ad sp create --id " + aivenAppID}
}
