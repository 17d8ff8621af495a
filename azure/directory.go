package azure

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/azpeer/azpeer/peering"
)

// Directory is peering.Directory over the Graph client, as the signed-in
// principal (the admin) in its own tenant.
type Directory struct {
	g *GraphClient
}

var _ peering.Directory = (*Directory)(nil)

// MultiTenantAudience is the signInAudience of the apps azpeer creates:
// Aiven's tenant must be able to hold a service principal of the app.
const MultiTenantAudience = "AzureADMultipleOrgs"

// NewDirectory returns Microsoft Graph as the credential's principal.
// Graph's endpoint and token audience come from clientOpts.Cloud (set by
// Endpoints.ClientOptions under GraphService).
func NewDirectory(cred azcore.TokenCredential, clientOpts azcore.ClientOptions) (*Directory, error) {
	svc, ok := clientOpts.Cloud.Services[GraphService]
	if !ok || svc.Endpoint == "" {
		return nil, errors.New("azure: the client options name no Microsoft Graph endpoint (use Endpoints.ClientOptions)")
	}
	g, err := NewGraphClient(svc.Endpoint, cred, &clientOpts)
	if err != nil {
		return nil, fmt.Errorf("azure: %w", err)
	}
	return &Directory{g: g}, nil
}

// TenantID is the signed-in tenant's id.
func (d *Directory) TenantID(ctx context.Context) (string, error) {
	org, err := d.g.Organization(ctx)
	if err != nil {
		return "", graphError(err, "read the signed-in tenant")
	}
	return org.ID, nil
}

// FindApplicationsByName lists the apps with exactly that display name.
func (d *Directory) FindApplicationsByName(ctx context.Context, displayName string) ([]peering.Application, error) {
	apps, err := d.g.FindApplicationsByDisplayName(ctx, displayName)
	return made(apps, err, applicationsFromGraph, fmt.Sprintf("find apps named %q", displayName))
}

// FindApplicationsByTag lists the apps carrying a tag (azpeer's marks).
func (d *Directory) FindApplicationsByTag(ctx context.Context, tag string) ([]peering.Application, error) {
	apps, err := d.g.FindApplicationsByTag(ctx, tag)
	return made(apps, err, applicationsFromGraph, fmt.Sprintf("find apps tagged %q", tag))
}

// ApplicationByAppID returns the tenant's app with that appId, or nil, nil.
func (d *Directory) ApplicationByAppID(ctx context.Context, appID string) (*peering.Application, error) {
	a, err := d.g.FindApplicationByAppID(ctx, appID)
	return found(a, err, applicationFromGraph, "find app "+appID)
}

// CreateApplication registers a multi-tenant app carrying azpeer's mark.
func (d *Directory) CreateApplication(ctx context.Context, displayName string, m peering.Mark) (peering.Application, error) {
	a, err := d.g.CreateApplication(ctx, displayName, MultiTenantAudience, &CreateOptions{Tags: m.Tags, Notes: m.Notes})
	return made(a, err, applicationFromGraph, fmt.Sprintf("create app %q", displayName))
}

// DeleteApplication deletes an app by object id (404 when it is gone).
func (d *Directory) DeleteApplication(ctx context.Context, objectID string) error {
	return graphError(d.g.DeleteApplication(ctx, objectID), "delete app "+objectID)
}

// AddPassword adds a client secret to an app; the text comes back only as
// a peering.Secret.
func (d *Directory) AddPassword(ctx context.Context, appObjectID, displayName string, end time.Time) (peering.PasswordCredential, peering.Secret, error) {
	pc, secret, err := d.g.AddPassword(ctx, appObjectID, displayName, end)
	if err != nil {
		return peering.PasswordCredential{}, peering.Secret{}, fmt.Errorf("add a secret to app %s: %w", appObjectID, cloudError(ServiceGraph, err))
	}
	return passwordFromGraph(pc), secret, nil
}

// RemovePassword removes a client secret by key id.
func (d *Directory) RemovePassword(ctx context.Context, appObjectID, keyID string) error {
	return graphError(d.g.RemovePassword(ctx, appObjectID, keyID), fmt.Sprintf("remove secret %s of app %s", keyID, appObjectID))
}

// ServicePrincipalByAppID returns the tenant's service principal of an
// app, or nil, nil.
func (d *Directory) ServicePrincipalByAppID(ctx context.Context, appID string) (*peering.ServicePrincipal, error) {
	sp, err := d.g.FindServicePrincipalByAppID(ctx, appID)
	return found(sp, err, servicePrincipalFromGraph, "find the service principal of app "+appID)
}

// found is what a Graph lookup found, converted by conv: nil, nil when it
// found nothing, and an error that names what was looked up when it failed.
func found[G, P any](g *G, err error, conv func(G) P, what string) (*P, error) {
	if err != nil {
		return nil, graphError(err, what)
	}
	if g == nil {
		return nil, nil
	}
	out := conv(*g)
	return &out, nil
}

// made is what a Graph call made, converted by conv, or an error that
// names what was being made.
func made[G, P any](g G, err error, conv func(G) P, what string) (P, error) {
	if err != nil {
		var zero P
		return zero, graphError(err, what)
	}
	return conv(g), nil
}

// graphError is nil, or Graph's err as a cloud error prefixed with what
// was being done.
func graphError(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, cloudError(ServiceGraph, err))
}

// CreateServicePrincipal creates an app's service principal in the tenant;
// an existing one is a 409 Request_MultipleObjectsWithSameKeyValue.
func (d *Directory) CreateServicePrincipal(ctx context.Context, appID string, m peering.Mark) (peering.ServicePrincipal, error) {
	sp, err := d.g.CreateServicePrincipal(ctx, appID, &CreateOptions{Tags: m.Tags, Notes: m.Notes})
	return made(sp, err, servicePrincipalFromGraph, "create the service principal of app "+appID)
}

// DeleteServicePrincipal deletes a service principal by object id.
func (d *Directory) DeleteServicePrincipal(ctx context.Context, objectID string) error {
	return graphError(d.g.DeleteServicePrincipal(ctx, objectID), "delete service principal "+objectID)
}

func applicationFromGraph(a Application) peering.Application {
	out := peering.Application{ObjectID: a.ID, AppID: a.AppID, DisplayName: a.DisplayName, SignInAudience: a.SignInAudience,
		Tags: a.Tags, CreatedAt: a.CreatedDateTime}
	if a.Notes != nil {
		out.Notes = *a.Notes
	}
	for _, pc := range a.PasswordCredentials {
		out.Passwords = append(out.Passwords, passwordFromGraph(pc))
	}
	return out
}

func applicationsFromGraph(apps []Application) []peering.Application {
	out := make([]peering.Application, 0, len(apps))
	for _, a := range apps {
		out = append(out, applicationFromGraph(a))
	}
	return out
}

func passwordFromGraph(pc PasswordCredential) peering.PasswordCredential {
	return peering.PasswordCredential{KeyID: pc.KeyID, DisplayName: pc.DisplayName, Hint: pc.Hint, Start: pc.StartDateTime, End: pc.EndDateTime}
}

func servicePrincipalFromGraph(sp ServicePrincipal) peering.ServicePrincipal {
	return peering.ServicePrincipal{ObjectID: sp.ID, AppID: sp.AppID, DisplayName: sp.DisplayName, AppOwnerTenantID: sp.AppOwnerOrganizationID, Tags: sp.Tags}
}

// DirectoryRolesOfApp lists the directory role template ids held by an
// app's service principal in this tenant (the signed-in app, for the
// preflight); none when it has no service principal here.
func (d *Directory) DirectoryRolesOfApp(ctx context.Context, appID string) ([]string, error) {
	sp, err := d.ServicePrincipalByAppID(ctx, appID)
	if err != nil || sp == nil {
		return nil, err
	}
	roles, err := d.g.ServicePrincipalDirectoryRoles(ctx, sp.ObjectID)
	if err != nil {
		return nil, fmt.Errorf("read the directory roles of app %s: %w", appID, cloudError(ServiceGraph, err))
	}
	return roleTemplates(roles), nil
}

// DirectoryRolesOfSignedInUser lists the directory role template ids the
// signed-in user holds, directly or through groups.
func (d *Directory) DirectoryRolesOfSignedInUser(ctx context.Context) ([]string, error) {
	roles, err := d.g.MyDirectoryRoles(ctx)
	if err != nil {
		return nil, fmt.Errorf("read your directory roles: %w", cloudError(ServiceGraph, err))
	}
	return roleTemplates(roles), nil
}

func roleTemplates(roles []DirectoryRole) []string {
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		out = append(out, r.RoleTemplateID)
	}
	return out
}
