package sandbox

import (
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// Built-in Azure roles the sandbox knows, with their real ids and actions.
var builtinRoles = []RoleDefinition{
	{Name: ownerRoleGUID, RoleName: "Owner",
		Description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
		Actions:     []string{"*"}},
	{Name: "b24988ac-6180-42a0-ab88-20f7382dd24c", RoleName: "Contributor",
		Description: "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
		Actions:     []string{"*"},
		NotActions: []string{"Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
			"Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
			"Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action"}},
	{Name: readerRoleGUID, RoleName: "Reader",
		Description: "View all resources, but does not allow you to make any changes.",
		Actions:     []string{"*/read"}},
	{Name: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", RoleName: "User Access Administrator",
		Description: "Lets you manage user access to Azure resources.",
		Actions:     []string{"*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"}},
	{Name: NetworkContributorRoleGUID, RoleName: "Network Contributor",
		Description: "Lets you manage networks, but not access to them.",
		Actions: []string{"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
			"Microsoft.Network/*", "Microsoft.ResourceHealth/availabilityStatuses/read",
			"Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
			"Microsoft.Support/*"}},
}

// NetworkContributorRoleGUID is the built-in Network Contributor role's id.
const NetworkContributorRoleGUID = "4d97b98b-1d4f-4787-a291-c67834d212e7"

// The built-in Owner and Reader roles' ids, which the scenarios assign.
const (
	ownerRoleGUID  = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	readerRoleGUID = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
)

// Actions azpeer's flow depends on.
const (
	ActionPeeringWrite  = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write"
	ActionPeeringDelete = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete"
	ActionPeeringRead   = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/read"
	ActionPeer          = "Microsoft.Network/virtualNetworks/peer/action"
	ActionVNetRead      = "Microsoft.Network/virtualNetworks/read"
	ActionRoleDefWrite  = "Microsoft.Authorization/roleDefinitions/write"
	ActionRoleDefDelete = "Microsoft.Authorization/roleDefinitions/delete"
	ActionRoleDefRead   = "Microsoft.Authorization/roleDefinitions/read"
	ActionAssignWrite   = "Microsoft.Authorization/roleAssignments/write"
	ActionAssignDelete  = "Microsoft.Authorization/roleAssignments/delete"
	ActionAssignRead    = "Microsoft.Authorization/roleAssignments/read"
)

// builtinRoleID returns the subscription-scoped id of a built-in role.
func builtinRoleID(sub, guid string) string {
	return "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
}

// roleGUIDOf returns the trailing guid of a role definition id.
func roleGUIDOf(id string) string { return path.Base(strings.TrimRight(id, "/")) }

// roleByGUID finds a role definition by its guid (built-in roles are
// registered once per subscription but share the guid). Expects world.mu held.
func (world *World) roleByGUID(guid string) *RoleDefinition {
	return find(maps.Values(world.RoleDefinitions), func(rd *RoleDefinition) bool { return strings.EqualFold(rd.Name, guid) })
}

// actionMatches reports whether an RBAC action pattern (with '*' wildcards,
// case-insensitive, as Azure evaluates them) matches an action.
func actionMatches(pattern, action string) bool {
	p, a := strings.ToLower(pattern), strings.ToLower(action)
	ok, err := path.Match(strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(a, "/", "\x00"))
	return err == nil && ok
}

// roleGrants reports whether a role definition permits an action.
func roleGrants(rd *RoleDefinition, action string) bool {
	matches := func(pattern string) bool { return actionMatches(pattern, action) }
	return slices.ContainsFunc(rd.Actions, matches) && !slices.ContainsFunc(rd.NotActions, matches)
}

// scopeCovers reports whether an assignment at scope applies to resource.
func scopeCovers(scope, resource string) bool {
	s := strings.TrimRight(strings.ToLower(scope), "/")
	r := strings.TrimRight(strings.ToLower(resource), "/")
	return s == "" || s == "/" || r == s || strings.HasPrefix(r, s+"/")
}

// Grant explains which assignment grants an action, for the authorization
// check and the diagnosis of slow propagation.
type Grant struct {
	Assignment *RoleAssignment
	Role       *RoleDefinition
	// Effective is false while the assignment is still propagating.
	Effective bool
}

// grants lists the assignments that give principal the action on resource;
// a nil clock ignores propagation delay.
// Expects world.mu held.
func (world *World) grants(clock *Clock, principalID, action, resource string) []Grant {
	var out []Grant
	for _, ra := range world.RoleAssignments {
		if !strings.EqualFold(ra.PrincipalID, principalID) || !scopeCovers(ra.Scope, resource) {
			continue
		}
		rd := world.roleByGUID(roleGUIDOf(ra.RoleDefinitionID))
		if rd == nil || !roleGrants(rd, action) {
			continue
		}
		out = append(out, Grant{Assignment: ra, Role: rd, Effective: clock == nil || clock.Due(ra.CreatedAt, world.Timing.RolePropagation.D())})
	}
	return out
}

// can reports whether principal may perform action on resource now.
func (world *World) can(clock *Clock, principalID, action, resource string) bool {
	return slices.ContainsFunc(world.grants(clock, principalID, action, resource), func(g Grant) bool { return g.Effective })
}

// principalReplicated reports whether a service principal is visible to
// Resource Manager and to token endpoints yet.
func (world *World) principalReplicated(clock *Clock, sp *ServicePrincipal) bool {
	return clock.Due(sp.CreatedAt, world.Timing.PrincipalReplication.D())
}

// secretValid reports whether secret matches one of the app's password
// credentials that is in its validity window and replicated.
func (world *World) secretValid(clock *Clock, app *Application, secret string, now time.Time) (ok bool, reason string) {
	h := sha256Hex(secret)
	for _, pc := range app.PasswordCredentials {
		if pc.SecretSHA256 != h {
			continue
		}
		switch {
		case now.Before(pc.StartDateTime) || !clock.Due(pc.CreatedAt, world.Timing.SecretReplication.D()):
			return false, "not-yet-valid"
		case !pc.EndDateTime.IsZero() && now.After(pc.EndDateTime):
			return false, "expired"
		default:
			return true, ""
		}
	}
	return false, "invalid"
}
