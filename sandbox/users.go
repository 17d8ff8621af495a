package sandbox

import (
	"maps"
	"strings"
	"time"
)

// Users of the Entra tenants: people who sign in with a device code (or,
// through the Azure CLI, `az login --use-device-code`) and act through the
// public client they signed in with. A user is an object of one tenant; a
// guest is a second object, in the tenant that invited them, pointing back
// at their home object (Entra's B2B: the guest has its own object id in
// the resource tenant and signs in with their home credentials, "Properties
// of a Microsoft Entra B2B collaboration user" on learn.microsoft.com).

// User is an Entra user object.
type User struct {
	ID                string `json:"id"` // object id in TenantID
	TenantID          string `json:"tenant_id"`
	UserPrincipalName string `json:"user_principal_name"`
	DisplayName       string `json:"display_name"`
	GivenName         string `json:"given_name,omitempty"`
	Surname           string `json:"surname,omitempty"`
	Mail              string `json:"mail,omitempty"`
	// UserType is Member or Guest, as Graph's userType.
	UserType string `json:"user_type"`
	// HomeUserID is, for a guest, the object id of the user in their home
	// tenant (whose credentials they sign in with); "" for members.
	HomeUserID string `json:"home_user_id,omitempty"`
	// DirectoryRoles are Entra roles such as "Application Administrator".
	DirectoryRoles []string  `json:"directory_roles,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// home is the object id of the person behind u: their home object.
func (u *User) home() string {
	if u.HomeUserID != "" {
		return u.HomeUserID
	}
	return u.ID
}

// addUser creates a member user of a tenant. Expects world.mu held.
func (world *World) addUser(now time.Time, tenantID, objectID, upn, displayName string, roles ...string) *User {
	if objectID == "" {
		objectID = newGUID()
	}
	given, sur, _ := strings.Cut(displayName, " ")
	u := &User{ID: objectID, TenantID: tenantID, UserPrincipalName: upn, DisplayName: displayName, GivenName: given, Surname: sur,
		Mail: upn, UserType: "Member", DirectoryRoles: roles, CreatedAt: now}
	world.Users[objectID] = u
	return u
}

// inviteGuest creates a guest object for home in tenantID, with the UPN
// Entra gives B2B guests: the home UPN with @ as _, then #EXT#@ and the
// inviting tenant's domain. Expects world.mu held.
func (world *World) inviteGuest(now time.Time, home *User, tenantID, objectID string) *User {
	if objectID == "" {
		objectID = newGUID()
	}
	domain := tenantID
	if t := world.Tenants[tenantID]; t != nil {
		domain = t.DefaultDomain
	}
	g := &User{ID: objectID, TenantID: tenantID, UserPrincipalName: strings.ReplaceAll(home.UserPrincipalName, "@", "_") + "#EXT#@" + domain,
		DisplayName: home.DisplayName, GivenName: home.GivenName, Surname: home.Surname, Mail: home.UserPrincipalName,
		UserType: "Guest", HomeUserID: home.ID, CreatedAt: now}
	world.Users[objectID] = g
	return g
}

// userByID finds a user object by object id, in any case. Expects world.mu held.
func (world *World) userByID(id string) *User {
	return byIDFold(world.Users, id, func(u *User) string { return u.ID })
}

// userByName finds a user object by object id or user principal name (a
// member's own UPN, or a guest's #EXT# one), in any case. Expects world.mu held.
func (world *World) userByName(idOrUPN string) *User {
	if u := world.userByID(idOrUPN); u != nil {
		return u
	}
	return find(maps.Values(world.Users), func(u *User) bool { return strings.EqualFold(u.UserPrincipalName, idOrUPN) })
}

// accountIn is the object through which the person whose home object is
// homeID acts in tenantID: their own object at home, their guest object
// elsewhere; nil where they have none. Expects world.mu held.
func (world *World) accountIn(homeID, tenantID string) *User {
	return find(maps.Values(world.Users), func(u *User) bool {
		return strings.EqualFold(u.home(), homeID) && strings.EqualFold(u.TenantID, tenantID)
	})
}

// tenantsOf lists the tenants the person whose home object is homeID has
// an account in. Expects world.mu held.
func (world *World) tenantsOf(homeID string) []string {
	var out []string
	for _, u := range world.Users {
		if strings.EqualFold(u.home(), homeID) && world.Tenants[u.TenantID] != nil {
			out = append(out, u.TenantID)
		}
	}
	return out
}

// asCaller is the user as the Graph pipeline's caller: a principal of its
// tenant with its directory roles, checked as an app's are. A member may
// also register applications and manage those they own, which the
// pipeline checks as Application.ReadWrite.OwnedBy: Entra's default
// "Users can register applications: Yes", the registering user becoming
// the app's owner ("Restrict who can create applications",
// learn.microsoft.com). Guests may not ("Guest users cannot register
// applications", the default guest permissions).
func (u *User) asCaller() *ServicePrincipal {
	sp := &ServicePrincipal{ID: u.ID, TenantID: u.TenantID, DisplayName: u.DisplayName, DirectoryRoles: u.DirectoryRoles, CreatedAt: u.CreatedAt}
	if u.UserType != "Guest" {
		sp.GraphPermissions = []string{PermissionOwnedBy}
	}
	return sp
}
