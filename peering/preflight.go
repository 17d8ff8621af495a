package peering

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
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
	vpc, err := rb.Aiven.VPC(ctx, t.Project, t.VPCID)
	if err != nil {
		if StatusCode(err) == 404 || errors.Is(err, ErrNotFound) {
			return &ValidationError{Field: "vpc", Problem: fmt.Sprintf("%s was not found in project %s", t.VPCID, t.Project),
				Fix: "pick a VPC id from azpeer list --project " + t.Project}
		}
		return fmt.Errorf("check the project VPC: %w", err)
	}
	if !vpc.IsAzure() {
		return &ValidationError{Field: "vpc", Problem: fmt.Sprintf("%s is in %s, not an Azure region", t.VPCID, vpc.Cloud),
			Fix: "VNet peering needs a project VPC in an azure-* cloud"}
	}
	if vpc.State != "ACTIVE" {
		return &ValidationError{Field: "vpc", Problem: fmt.Sprintf("%s is %s, not ACTIVE", t.VPCID, vpc.State),
			Fix: "wait until the project VPC is ACTIVE (azpeer list shows it)"}
	}
	subs, err := rb.Network.Subscriptions(ctx)
	if err != nil {
		return fmt.Errorf("list subscriptions: %w", err)
	}
	visible := false
	for _, s := range subs {
		visible = visible || strings.EqualFold(s.ID, t.SubscriptionID)
	}
	if !visible {
		return &ValidationError{Field: "subscription", Problem: fmt.Sprintf("%s is not visible to the signed-in principal", t.SubscriptionID),
			Fix: "sign in to the tenant that owns it, or pick one from azpeer vnets"}
	}
	vnet, err := rb.Network.VNet(ctx, t.VNetID())
	if err != nil {
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
	return rb.checkOwnPermissions(ctx, vnet.ID)
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
	Action, Scope, Need string
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("the signed-in principal may not perform %s on %s; %s (nothing was created)", e.Action, e.Scope, e.Need)
}

// checkOwnPermissions verifies, where the cloud can tell, that the
// signed-in principal can create the role assignments of steps 6 and 9.
func (rb *Runbook) checkOwnPermissions(ctx context.Context, vnetID string) error {
	pr, ok := rb.Access.(PermissionReader)
	if !ok {
		return nil
	}
	sets, err := pr.Permissions(ctx, vnetID)
	if err != nil {
		// Not knowing is no reason to stop: the steps will say what fails.
		return nil
	}
	const action = "Microsoft.Authorization/roleAssignments/write"
	for _, s := range sets {
		if roleAllows(RoleDefinition{Actions: s.Actions, NotActions: s.NotActions}, action) {
			return nil
		}
	}
	return &PermissionError{Action: action, Scope: vnetID,
		Need: "creating role assignments needs Owner or User Access Administrator on the VNet (or above): sign in as such a principal, or ask one to grant it"}
}
