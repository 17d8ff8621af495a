package sandbox

import (
	"fmt"
	"time"
)

// SetProjectFault makes every VPC call of an Aiven project fail with an
// HTTP status (0 clears it), for partial-failure tests and demos.
func (s *Server) SetProjectFault(project string, status int) bool {
	world, unlock := s.lock()
	defer unlock()
	p := world.Aiven.Projects[project]
	if p == nil {
		return false
	}
	p.FaultStatus = status
	return true
}

// SetServicePresents sets what answers TLS at a service's address (""
// for the service itself, or PresentsSelfSigned, PresentsOtherName,
// PresentsExpired); it reports whether the service exists.
func (s *Server) SetServicePresents(project, service, presents string) bool {
	world, unlock := s.lock()
	defer unlock()
	p := world.project(project)
	if p == nil {
		return false
	}
	for _, sv := range p.Services {
		if sv.Name == service {
			sv.Presents = presents
			s.markDirty()
			return true
		}
	}
	return false
}

// SetOrgPermissions sets the scenario's Aiven user's permissions in an
// organization (e.g. none, or only "organization:networking:read"), for
// tests of the refusals; it reports whether the organization exists.
func (s *Server) SetOrgPermissions(orgID string, perms []string) bool {
	world, unlock := s.lock()
	defer unlock()
	u := world.Aiven.Users[s.creds.AivenUser]
	if world.Aiven.Organizations[orgID] == nil || u == nil {
		return false
	}
	if u.OrgPermissions == nil {
		u.OrgPermissions = map[string][]string{}
	}
	u.OrgPermissions[orgID] = append([]string{}, perms...)
	s.markDirty()
	return true
}

// Principal is an identity made with AddPrincipal, with its one secret.
type Principal struct {
	TenantID, AppID, ObjectID, Secret string
}

// PrincipalSpec describes an automation identity in the user's tenant.
type PrincipalSpec struct {
	DisplayName string
	// DirectoryRoles such as RoleApplicationAdministrator.
	DirectoryRoles []string
	// GraphPermissions such as PermissionOwnedBy.
	GraphPermissions []string
	// SubscriptionRole is a built-in role name ("Owner", "Contributor",
	// "Reader", ...) assigned at the user's subscription; "" for none.
	SubscriptionRole string
}

// AddPrincipal creates an app, its service principal (already replicated)
// and a secret in the user's tenant, the way an administrator would set up
// a CI identity, so tests can act as principals with fewer rights than the
// scenario's admin.
func (s *Server) AddPrincipal(spec PrincipalSpec) (Principal, error) {
	world, unlock := s.lock()
	defer unlock()
	past := s.clock.Now().Add(-24 * time.Hour)
	app := world.createApplication(past, UserTenantID, "", "", spec.DisplayName, "AzureADMyOrg")
	_, secret := world.addPassword(past, app, "sandbox", time.Time{})
	sp := world.createServicePrincipal(past, UserTenantID, app, "")
	sp.DirectoryRoles = spec.DirectoryRoles
	sp.GraphPermissions = spec.GraphPermissions
	if spec.SubscriptionRole != "" {
		var guid string
		for _, b := range builtinRoles {
			if b.RoleName == spec.SubscriptionRole {
				guid = b.Name
			}
		}
		if guid == "" {
			return Principal{}, fmt.Errorf("sandbox: no built-in role %q", spec.SubscriptionRole)
		}
		world.createRoleAssignment(past, UserTenantID, "/subscriptions/"+UserSubscriptionID, "", builtinRoleID(UserSubscriptionID, guid), sp.ID, "ServicePrincipal", AdminSPObjectID)
	}
	s.markDirty()
	return Principal{TenantID: UserTenantID, AppID: app.AppID, ObjectID: sp.ID, Secret: secret}, nil
}

// RemoveServicePrincipal deletes an app's service principal in a tenant,
// as an administrator would in the portal, for tests that need a tenant
// where, say, Aiven's app was never consented. It reports whether one existed.
func (s *Server) RemoveServicePrincipal(tenantID, appID string) bool {
	world, unlock := s.lock()
	defer unlock()
	sp := world.spByAppID(tenantID, appID)
	if sp == nil {
		return false
	}
	delete(world.ServicePrincipals, sp.ID)
	s.markDirty()
	return true
}
