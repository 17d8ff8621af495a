package peering

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// Role definitions and assignments are named by the client (a GUID), so
// the run chooses the name, records it, and only then creates: after any
// crash the recorded name says exactly which object is the run's.

// 7. The app's role on the VNet.
func appRoleName(r *Run) string {
	if r.options().Role == RoleLeastPrivilege {
		return "azpeer peering writer " + shortID(r.target().SubscriptionID)
	}
	return NetworkContributorRoleName
}

func aivenRoleName(t Target) string { return "azpeer Aiven VNet peer " + shortID(t.SubscriptionID) }

func subscriptionScope(t Target) string { return "/subscriptions/" + t.SubscriptionID }

// appRoleID finds (or, for least-privilege, creates) the app's role.
func appRoleID(ctx context.Context, r *Run) (string, error) {
	if r.options().Role != RoleLeastPrivilege {
		rd, err := r.rb.Access.FindRoleDefinition(ctx, subscriptionScope(r.target()), NetworkContributorRoleName)
		if err != nil {
			return "", err
		}
		if rd == nil {
			return "", fmt.Errorf("role %q was not found at %s", NetworkContributorRoleName, subscriptionScope(r.target()))
		}
		r.setOut(OutUserAppRoleID, rd.ID)
		return rd.ID, nil
	}
	return r.ensureRole(ctx, StepGrantApp, OutUserAppRoleID, RoleDefinition{
		RoleName:    appRoleName(r),
		Description: "Lets azpeer's app create and remove VNet peerings, and nothing else (created by azpeer)",
		Custom:      true,
		Actions: []string{
			"Microsoft.Network/virtualNetworks/read",
			"Microsoft.Network/virtualNetworks/virtualNetworkPeerings/read",
			"Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write",
			"Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete",
		},
	})
}

// byLedger reads the object of slot that the ledger names, by its id:
// found, an intent is settled and the output set; gone, it is forgotten
// (unless only intended: its create may not have landed). lookUp says
// whether to look for an equal object by other means: not when one was
// found, nor while an intent is pending. idName gives an object's id and
// name.
func byLedger[T any](ctx context.Context, r *Run, slot string, kind ObjectKind, read func(context.Context, string) (*T, error),
	idName func(*T) (id, name string)) (found *T, lookUp bool, err error) {
	if o, ok := r.object(slot); ok && o.ID != "" && o.State != Removed {
		v, err := read(ctx, o.ID)
		if err != nil {
			return nil, false, err
		}
		if v != nil {
			id, name := idName(v)
			if o.State == Intended {
				r.settle(slot, kind, id, name, Created)
			}
			r.setOut(slot, id)
			return v, false, nil
		}
		if o.State != Intended {
			r.forget(slot)
		}
	}
	_, pending := r.intended(slot)
	return nil, !pending, nil
}

// findRole returns the role of slot when it exists: the one the ledger
// names (settling an intent), else one with the role's name (found).
func (r *Run) findRole(ctx context.Context, slot, roleName string) (*RoleDefinition, error) {
	rd, lookUp, err := byLedger(ctx, r, slot, KindRoleDefinition, r.rb.Access.RoleDefinitionByID,
		func(rd *RoleDefinition) (string, string) { return rd.ID, rd.RoleName })
	if err != nil || !lookUp {
		return rd, err
	}
	rd, err = r.rb.Access.FindRoleDefinition(ctx, subscriptionScope(r.target()), roleName)
	if err != nil || rd == nil {
		return nil, err
	}
	r.settleFound(slot, KindRoleDefinition, rd.ID, rd.RoleName, false)
	r.setOut(slot, rd.ID)
	return rd, nil
}

// ensureRole finds the custom role of slot or creates it under a recorded name.
func (r *Run) ensureRole(ctx context.Context, step StepID, slot string, def RoleDefinition) (string, error) {
	existing, err := r.findRole(ctx, slot, def.RoleName)
	if err != nil || existing != nil {
		if existing != nil {
			return existing.ID, nil
		}
		return "", err
	}
	scope := subscriptionScope(r.target())
	guid := uuid.NewString()
	if o, ok := r.intended(slot); ok {
		guid = lastSegment(o.ID)
	}
	id := scope + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
	if err := r.intend(step, slot, KindRoleDefinition, id, def.RoleName); err != nil {
		return "", err
	}
	def.Name, def.AssignableScopes = guid, []string{scope}
	rd, created, err := createOrFind(r, slot,
		func() (RoleDefinition, error) { return r.rb.Access.CreateRoleDefinition(ctx, scope, def) },
		func() error {
			found, err := r.rb.Access.FindRoleDefinition(ctx, scope, def.RoleName)
			if err == nil && found == nil {
				err = fmt.Errorf("a role named %q exists, but cannot be read at %s", def.RoleName, scope)
			}
			if err == nil {
				r.settle(slot, KindRoleDefinition, found.ID, found.RoleName, Found)
				r.setOut(slot, found.ID)
			}
			return err
		})
	if err != nil || !created {
		return r.out(slot), err
	}
	r.settle(slot, KindRoleDefinition, rd.ID, rd.RoleName, Created)
	r.setOut(slot, rd.ID)
	return rd.ID, nil
}

// findAssignment returns the id of an assignment of role to principal at
// exactly scope, or "".
func findAssignment(ctx context.Context, a Access, scope, roleID, principal string) (string, error) {
	list, err := a.RoleAssignments(ctx, scope, principal)
	if err != nil {
		return "", err
	}
	for _, ra := range list {
		if strings.EqualFold(ra.PrincipalID, principal) && sameRole(ra.RoleDefinitionID, roleID) && strings.EqualFold(strings.TrimRight(ra.Scope, "/"), strings.TrimRight(scope, "/")) {
			return ra.ID, nil
		}
	}
	return "", nil
}

// sameRole compares role definition ids by their trailing guid: Azure
// writes built-in roles with or without a subscription prefix.
func sameRole(a, b string) bool {
	return strings.EqualFold(lastSegment(a), lastSegment(b))
}

func lastSegment(id string) string { return id[strings.LastIndex(id, "/")+1:] }

// detectAssignment finds the assignment of slot: the one the ledger names
// (settling an intent), else an equal one someone made (found).
func (r *Run) detectAssignment(ctx context.Context, slot, roleID, principal string) (bool, error) {
	ra, lookUp, err := byLedger(ctx, r, slot, KindRoleAssignment, r.rb.Access.RoleAssignmentByID,
		func(ra *RoleAssignment) (string, string) { return ra.ID, "" })
	if err != nil || !lookUp {
		return ra != nil, err
	}
	id, err := findAssignment(ctx, r.rb.Access, r.out(OutUserVNetID), roleID, principal)
	if err != nil || id == "" {
		return false, err
	}
	r.settleFound(slot, KindRoleAssignment, id, "", false)
	r.setOut(slot, id)
	return true, nil
}

// assign creates the assignment of slot at the VNet under a recorded name.
func (r *Run) assign(ctx context.Context, step StepID, slot, roleID, principal string) error {
	scope := r.out(OutUserVNetID)
	guid := uuid.NewString()
	if o, ok := r.intended(slot); ok {
		guid = lastSegment(o.ID)
	}
	id := scope + "/providers/Microsoft.Authorization/roleAssignments/" + guid
	if err := r.intend(step, slot, KindRoleAssignment, id, ""); err != nil {
		return err
	}
	var exists error
	ra, created, err := createOrFind(r, slot,
		func() (RoleAssignment, error) {
			ra, err := r.rb.Access.CreateRoleAssignment(ctx, scope, guid, roleID, principal)
			exists = err
			return ra, err
		},
		func() error {
			// Someone else's equal assignment: use it, and keep it on delete.
			// Azure names it in its answer; a list finds it otherwise.
			existing := existingAssignmentID(scope, exists)
			var err error
			if existing == "" {
				existing, err = findAssignment(ctx, r.rb.Access, scope, roleID, principal)
			}
			if err == nil {
				r.settle(slot, KindRoleAssignment, existing, "", Found)
				r.setOut(slot, existing)
			}
			return err
		})
	if err != nil || !created {
		return err
	}
	r.settle(slot, KindRoleAssignment, ra.ID, "", Created)
	r.setOut(slot, ra.ID)
	return nil
}

// existingAssignmentRE reads the id Resource Manager puts in its
// RoleAssignmentExists answer: "The role assignment already exists. The
// ID of the existing role assignment is 0a1b2c3d4e5f60718293a4b5c6d7e8f9."
// (32 hex digits, no dashes; seen in azure-cli and Terraform issues).
var existingAssignmentRE = regexp.MustCompile(`existing role assignment is ([0-9a-fA-F]{32})`)

// existingAssignmentID is the full id of the assignment an "exists"
// answer names, or "".
func existingAssignmentID(scope string, err error) string {
	var ce *CloudError
	if !errors.As(err, &ce) {
		return ""
	}
	m := existingAssignmentRE.FindStringSubmatch(ce.Message)
	if m == nil {
		return ""
	}
	h := strings.ToLower(m[1])
	guid := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	return strings.TrimRight(scope, "/") + "/providers/Microsoft.Authorization/roleAssignments/" + guid
}

func detectGrantApp(ctx context.Context, r *Run) (bool, error) {
	if o, ok := r.object(OutUserAppAssignment); !ok || o.State == Removed {
		// The app's grant serves only to create the Azure peering: when a
		// working one exists, it is not needed.
		if done, err := r.azureSideDone(ctx); err != nil || done {
			return done, err
		}
	}
	roleID, err := appRoleID(ctx, r)
	if err != nil {
		return false, err
	}
	return r.detectAssignment(ctx, OutUserAppAssignment, roleID, r.out(OutUserSPID))
}

func actGrantApp(ctx context.Context, r *Run) error {
	return r.assign(ctx, StepGrantApp, OutUserAppAssignment, r.out(OutUserAppRoleID), r.out(OutUserSPID))
}

// 8. The peer-only custom role, shared by every peering of the subscription.
func aivenRoleDefinition(t Target) RoleDefinition {
	return RoleDefinition{
		RoleName:    aivenRoleName(t),
		Description: "Allows creating a peering to vnets in scope (but not from) (created by azpeer)",
		Custom:      true,
		Actions:     []string{"Microsoft.Network/virtualNetworks/peer/action"},
	}
}

func detectPeerRole(ctx context.Context, r *Run) (bool, error) {
	rd, err := r.findRole(ctx, OutAivenRoleID, aivenRoleName(r.target()))
	if err != nil || rd != nil {
		return rd != nil, err
	}
	return r.aivenSideDone(ctx)
}

func actPeerRole(ctx context.Context, r *Run) error {
	_, err := r.ensureRole(ctx, StepPeerRole, OutAivenRoleID, aivenRoleDefinition(r.target()))
	return err
}

// 9. Aiven's grant on the VNet.
func detectGrantAiven(ctx context.Context, r *Run) (bool, error) {
	if r.out(OutAivenRoleID) != "" {
		if found, err := r.detectAssignment(ctx, OutAivenAssignment, r.out(OutAivenRoleID), r.out(OutAivenSPID)); err != nil || found {
			return found, err
		}
	}
	return r.aivenSideDone(ctx)
}

func actGrantAiven(ctx context.Context, r *Run) error {
	if r.out(OutAivenRoleID) == "" {
		return &StepError{Step: StepGrantAiven, Err: errors.New("the peer-only role is not known"), Hint: "run " + StepRef(StepPeerRole) + " first"}
	}
	return r.assign(ctx, StepGrantAiven, OutAivenAssignment, r.out(OutAivenRoleID), r.out(OutAivenSPID))
}

// aivenSideDone reports, live, whether Aiven has already made its side of
// the peering (PENDING_PEER or ACTIVE): then the grant Aiven needed for it
// has done its work, and is not needed any more.
func (r *Run) aivenSideDone(ctx context.Context) (bool, error) {
	c, ok, err := r.connection(ctx)
	if err != nil || !ok {
		return false, err
	}
	return c.State == StatePendingPeer || c.State == StateActive, nil
}
