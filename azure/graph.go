package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azpeer/azpeer/peering"
)

// GraphClient is a small typed Microsoft Graph v1.0 client for the calls
// azpeer makes (organization, applications, service principals). It runs on
// azcore's pipeline, so it shares the credential, transport, retries and
// logging of the Resource Manager clients; msgraph-sdk-go would cost minutes
// of build time and tens of megabytes for these dozen calls.
//
// Errors from Graph are *azcore.ResponseError (use errors.As; ErrorCode is
// Graph's code, e.g. "Authorization_RequestDenied" or
// "Request_MultipleObjectsWithSameKeyValue").
type GraphClient struct {
	base string // e.g. https://graph.microsoft.com/v1.0
	pl   runtime.Pipeline
}

// Application is an Entra application registration as Graph returns it.
type Application struct {
	ID                  string               `json:"id"` // object id
	AppID               string               `json:"appId"`
	DisplayName         string               `json:"displayName"`
	SignInAudience      string               `json:"signInAudience"`
	PublisherDomain     string               `json:"publisherDomain"`
	CreatedDateTime     time.Time            `json:"createdDateTime"`
	PasswordCredentials []PasswordCredential `json:"passwordCredentials"`
	Tags                []string             `json:"tags"`
	Notes               *string              `json:"notes"`
}

// PasswordCredential is a client secret's metadata. The secret text is
// never part of it: AddPassword returns it separately, as a peering.Secret.
type PasswordCredential struct {
	KeyID         string    `json:"keyId"`
	DisplayName   string    `json:"displayName"`
	Hint          string    `json:"hint"`
	StartDateTime time.Time `json:"startDateTime"`
	EndDateTime   time.Time `json:"endDateTime"`
}

// ServicePrincipal is an application's identity in one tenant.
type ServicePrincipal struct {
	ID                     string   `json:"id"` // object id
	AppID                  string   `json:"appId"`
	DisplayName            string   `json:"displayName"`
	AppDisplayName         string   `json:"appDisplayName"`
	AppOwnerOrganizationID string   `json:"appOwnerOrganizationId"`
	ServicePrincipalType   string   `json:"servicePrincipalType"`
	ServicePrincipalNames  []string `json:"servicePrincipalNames"`
	AccountEnabled         bool     `json:"accountEnabled"`
	Tags                   []string `json:"tags"`
	Notes                  *string  `json:"notes"`
}

// Organization is the signed-in tenant.
type Organization struct {
	ID              string           `json:"id"` // tenant id
	DisplayName     string           `json:"displayName"`
	VerifiedDomains []VerifiedDomain `json:"verifiedDomains"`
}

// VerifiedDomain is one of a tenant's domains.
type VerifiedDomain struct {
	Name      string `json:"name"`
	IsDefault bool   `json:"isDefault"`
	IsInitial bool   `json:"isInitial"`
}

// graphHosts are Graph's own hosts in the public and sovereign clouds; a
// token for one of them is requested with that host as audience.
var graphHosts = map[string]bool{
	"graph.microsoft.com": true, "microsoftgraph.chinacloudapi.cn": true,
	"graph.microsoft.us": true, "dod-graph.microsoft.us": true,
}

// NewGraphClient returns a client for Graph at endpoint (e.g.
// "https://graph.microsoft.com"; the client adds /v1.0). Tokens are
// requested for the audience that opts.Cloud names for GraphService, else
// for endpoint's host when it is one of Graph's, else for the public
// cloud's Graph (an emulator or proxy answering for it).
func NewGraphClient(endpoint string, cred azcore.TokenCredential, opts *azcore.ClientOptions) (*GraphClient, error) {
	endpoint = strings.TrimRight(strings.TrimSpace(endpoint), "/")
	if err := checkHTTPS(endpoint); err != nil {
		return nil, fmt.Errorf("graph endpoint: %w", err)
	}
	if cred == nil {
		return nil, errors.New("graph: no credential")
	}
	u, _ := url.Parse(endpoint) // checked by checkHTTPS
	audience := "https://graph.microsoft.com"
	if graphHosts[strings.ToLower(u.Hostname())] {
		audience = "https://" + strings.ToLower(u.Host)
	}
	if opts != nil {
		if svc, ok := opts.Cloud.Services[GraphService]; ok && svc.Audience != "" {
			audience = svc.Audience
		}
	}
	scope := strings.TrimRight(audience, "/") + "/.default"
	pl := runtime.NewPipeline("azpeer-graph", "v1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(cred, []string{scope}, nil)},
	}, opts)
	return &GraphClient{base: endpoint + "/v1.0", pl: pl}, nil
}

// do sends a request and decodes a 2xx answer into out (when non-nil);
// any other status is returned as *azcore.ResponseError.
func (c *GraphClient) do(ctx context.Context, method, path string, query url.Values, body, out any, okStatus ...int) error {
	u := c.base + path
	if len(query) > 0 {
		// Graph reads '+' literally in OData literals; spaces go as %20.
		u += "?" + strings.ReplaceAll(query.Encode(), "+", "%20")
	}
	return c.doURL(ctx, method, u, body, out, okStatus...)
}

func (c *GraphClient) doURL(ctx context.Context, method, u string, body, out any, okStatus ...int) error {
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return fmt.Errorf("graph: %s %s: %w", method, u, err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	if body != nil {
		if err := runtime.MarshalAsJSON(req, body); err != nil {
			return fmt.Errorf("graph: %s %s: %w", method, u, err)
		}
	}
	resp, err := c.pl.Do(req)
	if err != nil {
		return err
	}
	if !runtime.HasStatusCode(resp, okStatus...) {
		return runtime.NewResponseError(resp)
	}
	if out == nil {
		runtime.Drain(resp)
		return nil
	}
	if err := runtime.UnmarshalAsJSON(resp, out); err != nil {
		return fmt.Errorf("graph: %s %s: %w", method, u, err)
	}
	return nil
}

// list GETs a collection, following @odata.nextLink on the same host.
func list[T any](ctx context.Context, c *GraphClient, path string, query url.Values) ([]T, error) {
	var all []T
	var page struct {
		Value    []T    `json:"value"`
		NextLink string `json:"@odata.nextLink"`
	}
	if err := c.do(ctx, http.MethodGet, path, query, nil, &page, http.StatusOK); err != nil {
		return nil, err
	}
	for {
		all = append(all, page.Value...)
		if page.NextLink == "" {
			return all, nil
		}
		if !sameOrigin(page.NextLink, c.base) {
			// The bearer token must not travel to another host.
			return nil, fmt.Errorf("graph: GET %s: next page link %q is not on %s", path, page.NextLink, c.base)
		}
		next := page.NextLink
		page.Value, page.NextLink = nil, ""
		if err := c.doURL(ctx, http.MethodGet, next, nil, &page, http.StatusOK); err != nil {
			return nil, err
		}
	}
}

func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host)
}

func filterQuery(filter string) url.Values { return url.Values{"$filter": {filter}} }

// Organization returns the signed-in tenant (GET /organization).
func (c *GraphClient) Organization(ctx context.Context) (Organization, error) {
	orgs, err := list[Organization](ctx, c, "/organization", nil)
	if err != nil {
		return Organization{}, err
	}
	if len(orgs) == 0 {
		return Organization{}, errors.New("graph: GET /organization returned no organization")
	}
	return orgs[0], nil
}

// CreateOptions are optional properties of a new application or service
// principal: Graph's tags (a list of strings) and notes. nil means none.
type CreateOptions struct {
	Tags  []string
	Notes string
}

func (m *CreateOptions) apply(body map[string]any) {
	if m == nil {
		return
	}
	if len(m.Tags) > 0 {
		body["tags"] = m.Tags
	}
	if m.Notes != "" {
		body["notes"] = m.Notes
	}
}

// CreateApplication registers an application in the signed-in tenant;
// signInAudience is e.g. "AzureADMultipleOrgs" ("" means Graph's default,
// AzureADMyOrg).
func (c *GraphClient) CreateApplication(ctx context.Context, displayName, signInAudience string, opts *CreateOptions) (Application, error) {
	body := map[string]any{"displayName": displayName}
	if signInAudience != "" {
		body["signInAudience"] = signInAudience
	}
	opts.apply(body)
	var app Application
	err := c.do(ctx, http.MethodPost, "/applications", nil, body, &app, http.StatusCreated)
	return app, err
}

// GetApplication reads an application by object id.
func (c *GraphClient) GetApplication(ctx context.Context, objectID string) (Application, error) {
	var app Application
	err := c.do(ctx, http.MethodGet, "/applications/"+url.PathEscape(objectID), nil, nil, &app, http.StatusOK)
	return app, err
}

// FindApplicationsByDisplayName lists the applications with exactly that
// display name (Entra does not keep names unique).
func (c *GraphClient) FindApplicationsByDisplayName(ctx context.Context, displayName string) ([]Application, error) {
	return list[Application](ctx, c, "/applications", filterQuery("displayName eq "+odataString(displayName)))
}

// FindApplicationsByTag lists the applications carrying a tag
// (tags/any(t:t eq 'x'), as Graph documents for tags).
func (c *GraphClient) FindApplicationsByTag(ctx context.Context, tag string) ([]Application, error) {
	return list[Application](ctx, c, "/applications", filterQuery("tags/any(t:t eq "+odataString(tag)+")"))
}

// FindApplicationByAppID returns the application with that appId in the
// signed-in tenant, or nil, nil when there is none.
func (c *GraphClient) FindApplicationByAppID(ctx context.Context, appID string) (*Application, error) {
	apps, err := list[Application](ctx, c, "/applications", filterQuery("appId eq "+odataString(appID)))
	if err != nil || len(apps) == 0 {
		return nil, err
	}
	return &apps[0], nil
}

// DeleteApplication deletes an application (and, Entra does this, its
// service principal in the signed-in tenant).
func (c *GraphClient) DeleteApplication(ctx context.Context, objectID string) error {
	return c.do(ctx, http.MethodDelete, "/applications/"+url.PathEscape(objectID), nil, nil, nil, http.StatusNoContent, http.StatusOK)
}

// AddPassword adds a client secret to an application. The secret text is
// returned only here, wrapped so that it cannot be printed by accident;
// end zero means Graph's default lifetime (two years).
func (c *GraphClient) AddPassword(ctx context.Context, objectID, displayName string, end time.Time) (PasswordCredential, peering.Secret, error) {
	pc := map[string]any{"displayName": displayName}
	if !end.IsZero() {
		pc["endDateTime"] = end.UTC().Format(time.RFC3339)
	}
	var raw json.RawMessage
	path := "/applications/" + url.PathEscape(objectID) + "/addPassword"
	if err := c.do(ctx, http.MethodPost, path, nil, map[string]any{"passwordCredential": pc}, &raw, http.StatusOK); err != nil {
		return PasswordCredential{}, peering.Secret{}, err
	}
	var out struct {
		PasswordCredential
		SecretText string `json:"secretText"`
	}
	// The decoder's message could quote the answer, which holds the
	// secret; report only that decoding failed.
	if json.Unmarshal(raw, &out) != nil || out.SecretText == "" || out.KeyID == "" {
		return PasswordCredential{}, peering.Secret{}, fmt.Errorf("graph: POST %s: the answer holds no usable password credential", path)
	}
	return out.PasswordCredential, peering.NewSecret(out.SecretText), nil
}

// RemovePassword removes a client secret by its keyId.
func (c *GraphClient) RemovePassword(ctx context.Context, objectID, keyID string) error {
	path := "/applications/" + url.PathEscape(objectID) + "/removePassword"
	return c.do(ctx, http.MethodPost, path, nil, map[string]any{"keyId": keyID}, nil, http.StatusNoContent, http.StatusOK)
}

// CreateServicePrincipal creates the service principal of an application
// (this tenant's, or another tenant's multi-tenant app) in the signed-in
// tenant. An existing one answers 409 Request_MultipleObjectsWithSameKeyValue.
func (c *GraphClient) CreateServicePrincipal(ctx context.Context, appID string, opts *CreateOptions) (ServicePrincipal, error) {
	var sp ServicePrincipal
	body := map[string]any{"appId": appID}
	opts.apply(body)
	err := c.do(ctx, http.MethodPost, "/servicePrincipals", nil, body, &sp, http.StatusCreated)
	return sp, err
}

// FindServicePrincipalByAppID returns the signed-in tenant's service
// principal of an application, or nil, nil when there is none.
func (c *GraphClient) FindServicePrincipalByAppID(ctx context.Context, appID string) (*ServicePrincipal, error) {
	sps, err := list[ServicePrincipal](ctx, c, "/servicePrincipals", filterQuery("appId eq "+odataString(appID)))
	if err != nil || len(sps) == 0 {
		return nil, err
	}
	return &sps[0], nil
}

// GetServicePrincipal reads a service principal by object id.
func (c *GraphClient) GetServicePrincipal(ctx context.Context, objectID string) (ServicePrincipal, error) {
	var sp ServicePrincipal
	err := c.do(ctx, http.MethodGet, "/servicePrincipals/"+url.PathEscape(objectID), nil, nil, &sp, http.StatusOK)
	return sp, err
}

// DeleteServicePrincipal deletes a service principal by object id.
func (c *GraphClient) DeleteServicePrincipal(ctx context.Context, objectID string) error {
	return c.do(ctx, http.MethodDelete, "/servicePrincipals/"+url.PathEscape(objectID), nil, nil, nil, http.StatusNoContent, http.StatusOK)
}

// DirectoryRole is a directory role a principal holds.
type DirectoryRole struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	RoleTemplateID string `json:"roleTemplateId"`
}

// ServicePrincipalDirectoryRoles lists the directory roles a service
// principal is a member of (GET /servicePrincipals/{id}/memberOf, keeping
// only directoryRole objects).
func (c *GraphClient) ServicePrincipalDirectoryRoles(ctx context.Context, objectID string) ([]DirectoryRole, error) {
	return c.directoryRoles(ctx, "/servicePrincipals/"+url.PathEscape(objectID)+"/memberOf")
}

// MyDirectoryRoles lists the directory roles the signed-in user holds,
// directly or through groups (GET /me/transitiveMemberOf, keeping only
// directoryRole objects; Graph's "List a user's memberships (direct and
// transitive)").
func (c *GraphClient) MyDirectoryRoles(ctx context.Context) ([]DirectoryRole, error) {
	return c.directoryRoles(ctx, "/me/transitiveMemberOf")
}

func (c *GraphClient) directoryRoles(ctx context.Context, path string) ([]DirectoryRole, error) {
	type member struct {
		Type string `json:"@odata.type"`
		DirectoryRole
	}
	all, err := list[member](ctx, c, path, nil)
	if err != nil {
		return nil, err
	}
	var roles []DirectoryRole
	for _, m := range all {
		if m.Type == "#microsoft.graph.directoryRole" {
			roles = append(roles, m.DirectoryRole)
		}
	}
	return roles, nil
}
