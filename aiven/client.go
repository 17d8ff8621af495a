// Package aiven adapts Aiven's official Go client (go-client-codegen) to the
// interfaces of package peering.
package aiven

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	codegen "github.com/aiven/go-client-codegen"
	"github.com/aiven/go-client-codegen/handler/vpc"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/azpeer/azpeer/peering"
)

// Config says where the Aiven API is and how to call it.
type Config struct {
	// URL is the API base, e.g. https://api.aiven.io.
	URL string
	// Token is the API token (sent as "aivenv1 <token>").
	Token string
	// HTTPClient carries TLS trust and timeouts; nil uses a default.
	HTTPClient *http.Client
	// RetryMax is how often 429/5xx are retried; codegen's default (6, with
	// waits up to 15 s) is too slow for an interactive tool, so the
	// default here is 3 with waits from 250 ms to 2 s; negative means none.
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the backoff between retries.
	RetryWaitMin, RetryWaitMax time.Duration
	// CallTimeout is the deadline of one API call when the caller's context
	// has none (default 30 s).
	CallTimeout time.Duration
	// UserAgent is appended to codegen's.
	UserAgent string
}

// Client implements peering's Aiven interfaces.
type Client struct {
	api     codegen.Client
	base    string
	token   string
	doer    *http.Client
	timeout time.Duration
}

// New builds a client. It makes no request.
func New(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, errors.New("aiven: no API token")
	}
	if cfg.URL == "" {
		cfg.URL = "https://api.aiven.io"
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("aiven: API URL %q is not an absolute URL (set AIVEN_WEB_URL like https://api.aiven.io)", cfg.URL)
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 3
	}
	if cfg.RetryWaitMin == 0 {
		cfg.RetryWaitMin = 250 * time.Millisecond
	}
	if cfg.RetryWaitMax == 0 {
		cfg.RetryWaitMax = 2 * time.Second
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	rc := retryablehttp.NewClient()
	// The transport notes a server's Retry-After for the call that asked,
	// since codegen's error carries no headers.
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hcCopy := *hc
	hcCopy.Transport = retryAfterRecorder{base}
	rc.HTTPClient = &hcCopy
	rc.Logger = nil
	rc.RetryMax = cfg.RetryMax
	rc.RetryWaitMin = cfg.RetryWaitMin
	rc.RetryWaitMax = cfg.RetryWaitMax
	// Like codegen's own client: hand back the error body instead of
	// "giving up after N attempts", so Aiven's message reaches the user.
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	doer := rc.StandardClient()

	ua := "azpeer"
	if cfg.UserAgent != "" {
		ua = cfg.UserAgent
	}
	api, err := codegen.NewClient(codegen.TokenOpt(cfg.Token), codegen.HostOpt(strings.TrimSuffix(cfg.URL, "/")),
		codegen.DoerOpt(doer), codegen.UserAgentOpt(ua))
	if err != nil {
		return nil, fmt.Errorf("aiven: %w", err)
	}
	return &Client{api: api, base: strings.TrimSuffix(cfg.URL, "/"), token: cfg.Token, doer: doer, timeout: cfg.CallTimeout}, nil
}

// call bounds one API call with the client's deadline unless ctx has one,
// and gives it a place for the server's Retry-After.
func (c *Client) call(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx = context.WithValue(ctx, retryAfterKey{}, new(retryAfter))
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.timeout)
}

type retryAfterKey struct{}

// retryAfter holds the last Retry-After a call's responses carried.
type retryAfter struct {
	mu sync.Mutex
	d  time.Duration
}

// retryAfterRecorder is a RoundTripper that records Retry-After (seconds)
// of 429 and 503 answers into the call's context.
type retryAfterRecorder struct{ next http.RoundTripper }

func (t retryAfterRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return resp, err
	}
	if h, ok := r.Context().Value(retryAfterKey{}).(*retryAfter); ok {
		if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs > 0 {
			h.mu.Lock()
			h.d = time.Duration(secs) * time.Second
			h.mu.Unlock()
		}
	}
	return resp, nil
}

// retryAfterOf returns the Retry-After recorded for a call.
func retryAfterOf(ctx context.Context) time.Duration {
	if h, ok := ctx.Value(retryAfterKey{}).(*retryAfter); ok {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.d
	}
	return 0
}

// Me returns the token's user.
func (c *Client) Me(ctx context.Context) (peering.AivenUser, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	out, err := c.api.UserInfo(ctx)
	if err != nil {
		return peering.AivenUser{}, wrap(ctx, "who am I (GET /v1/me)", err)
	}
	return peering.AivenUser{Email: out.User, RealName: out.RealName}, nil
}

// Projects lists the projects the token can see: those of every
// organization the user belongs to (GET /v1/organizations, then GET
// /v1/organization/{id}/projects, whose project_id is the project's name).
// GET /v1/project, which lists them in one call, is deprecated in Aiven's
// API spec (go-client-codegen marks ProjectList so).
func (c *Client) Projects(ctx context.Context) ([]peering.ProjectRef, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	orgs, err := c.api.UserOrganizationsList(ctx)
	if err != nil {
		return nil, wrap(ctx, "list organizations (GET /v1/organizations)", err)
	}
	if len(orgs) == 0 {
		// An account outside any organization (Managed Service for
		// TimescaleDB's docs speak only of projects and avn project list)
		// has its projects only under the older listing.
		return c.projectList(ctx)
	}
	var refs []peering.ProjectRef
	seen := map[string]bool{}
	for _, o := range orgs {
		out, err := c.api.OrganizationProjectsList(ctx, o.OrganizationId)
		if err != nil {
			return nil, wrap(ctx, fmt.Sprintf("list projects of organization %s", o.OrganizationId), err)
		}
		for _, p := range out.Projects {
			if !seen[p.ProjectId] {
				seen[p.ProjectId] = true
				refs = append(refs, peering.ProjectRef{Name: p.ProjectId, OrganizationID: o.OrganizationId})
			}
		}
	}
	slices.SortFunc(refs, func(a, b peering.ProjectRef) int { return strings.Compare(a.Name, b.Name) })
	return refs, nil
}

// projectList is GET /v1/project, deprecated in Aiven's spec but the only
// listing an account without organizations has.
func (c *Client) projectList(ctx context.Context) ([]peering.ProjectRef, error) {
	//lint:ignore SA1019 the organization listing is tried first; this is its fallback
	out, err := c.api.ProjectList(ctx)
	if err != nil {
		return nil, wrap(ctx, "list projects (GET /v1/project)", err)
	}
	refs := make([]peering.ProjectRef, 0, len(out.Projects))
	for _, p := range out.Projects {
		refs = append(refs, peering.ProjectRef{Name: p.ProjectName, DefaultCloud: p.DefaultCloud, OrganizationID: p.OrganizationId})
	}
	return refs, nil
}

// VPCs lists a project's VPCs (without their peerings).
func (c *Client) VPCs(ctx context.Context, project string) ([]peering.VPC, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	out, err := c.api.VpcList(ctx, project)
	if err != nil {
		return nil, wrap(ctx, fmt.Sprintf("list VPCs of project %s", project), err)
	}
	vpcs := make([]peering.VPC, 0, len(out))
	for _, v := range out {
		vpcs = append(vpcs, peering.VPC{ID: v.ProjectVpcId, Parent: peering.ProjectParent(project), Cloud: v.CloudName, CIDR: v.NetworkCidr,
			State: string(v.State), CreateTime: v.CreateTime, UpdateTime: v.UpdateTime})
	}
	return vpcs, nil
}

// VPC returns one VPC, a project's or an organization's, with its peering
// connections.
func (c *Client) VPC(ctx context.Context, p peering.Parent, id string) (peering.VPC, error) {
	if p.IsOrganization() {
		return c.orgVPC(ctx, p.ID, id)
	}
	project := p.ID
	ctx, cancel := c.call(ctx)
	defer cancel()
	out, err := c.api.VpcGet(ctx, project, id)
	if err != nil {
		return peering.VPC{}, wrap(ctx, fmt.Sprintf("get VPC %s of project %s", id, project), err)
	}
	v := peering.VPC{ID: out.ProjectVpcId, Parent: p, Cloud: out.CloudName, CIDR: out.NetworkCidr, State: string(out.State),
		CreateTime: out.CreateTime, UpdateTime: out.UpdateTime, Peerings: make([]peering.Connection, 0, len(out.PeeringConnections))}
	for _, pc := range out.PeeringConnections {
		v.Peerings = append(v.Peerings, connection(pc))
	}
	return v, nil
}

func connection(pc vpc.PeeringConnectionOut) peering.Connection {
	c := peering.Connection{
		Type:                 string(pc.VpcPeeringConnectionType),
		PeerCloudAccount:     pc.PeerCloudAccount,
		PeerResourceGroup:    pc.PeerResourceGroup,
		PeerVPC:              pc.PeerVpc,
		PeerAzureAppID:       pc.PeerAzureAppId,
		PeerAzureTenantID:    pc.PeerAzureTenantId,
		UserPeerNetworkCIDRs: pc.UserPeerNetworkCidrs,
		State:                peering.State(pc.State),
		StateInfo:            pc.StateInfo,
		CreateTime:           pc.CreateTime,
		PeeringConnectionID:  deref(pc.PeeringConnectionId),
		UpdateTime:           pc.UpdateTime,
	}
	if pc.PeerRegion != nil {
		c.PeerRegion = *pc.PeerRegion
	}
	return c
}

// Services lists a project's services with how to reach them (GET
// /v1/project/{project}/service): components, project VPC and
// user_config's ip_filter, whose entries are networks or objects with a
// network, by the schema's age.
func (c *Client) Services(ctx context.Context, project string) ([]peering.Service, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	out, err := c.api.ServiceList(ctx, project)
	if err != nil {
		return nil, wrap(ctx, fmt.Sprintf("list services of project %s", project), err)
	}
	svcs := make([]peering.Service, 0, len(out))
	for _, s := range out {
		sv := peering.Service{Name: s.ServiceName, Type: s.ServiceType, State: string(s.State), VPCID: s.ProjectVpcId, IPFilter: []string{}}
		for _, comp := range s.Components {
			sv.Components = append(sv.Components, peering.Component{Component: comp.Component, Host: comp.Host, Port: comp.Port,
				Route: string(comp.Route), Usage: string(comp.Usage)})
		}
		if list, ok := s.UserConfig["ip_filter"].([]any); ok {
			for _, e := range list {
				switch v := e.(type) {
				case string:
					sv.IPFilter = append(sv.IPFilter, v)
				case map[string]any:
					if n, ok := v["network"].(string); ok {
						sv.IPFilter = append(sv.IPFilter, n)
					}
				}
			}
		}
		svcs = append(svcs, sv)
	}
	return svcs, nil
}

var _ peering.ProjectCAReader = (*Client)(nil)

// ProjectCA is the project's CA certificate (PEM), which signs its
// services' certificates (GET /v1/project/{project}/kms/ca, codegen's
// ProjectKmsGetCA; avn project ca-get). Aiven's spec lists
// organization:projects:write as the permission it needs.
func (c *Client) ProjectCA(ctx context.Context, project string) (string, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	pem, err := c.api.ProjectKmsGetCA(ctx, project)
	if err != nil {
		return "", wrap(ctx, fmt.Sprintf("read the CA of project %s (GET /v1/project/%s/kms/ca)", project, project), err)
	}
	return pem, nil
}

// ProjectPermissions lists the token's memberships and permissions on a
// project, as /v1/me reports them (project_membership and
// project_memberships); the runbook checks them before deleting both
// sides of a peering.
func (c *Client) ProjectPermissions(ctx context.Context, project string) ([]string, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	me, err := c.api.UserInfo(ctx)
	if err != nil {
		return nil, wrap(ctx, "read the token's project memberships", err)
	}
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if m, ok := me.ProjectMembership[project]; ok {
		add(string(m))
	}
	for _, m := range me.ProjectMemberships[project] {
		add(string(m))
	}
	return out, nil
}

// CreateAzurePeering asks Aiven to peer a VPC with an Azure VNet and
// returns the connection as Aiven answered (APPROVED, normally; the answer
// is known to be incomplete, so callers read the VPC back for details).
// Names are sent exactly as given: lower-casing is the runbook's decision,
// made visibly, not the adapter's.
func (c *Client) CreateAzurePeering(ctx context.Context, p peering.Parent, vpcID string, req peering.AzurePeeringRequest) (peering.Connection, error) {
	if p.IsOrganization() {
		return c.orgCreateAzurePeering(ctx, p.ID, vpcID, req)
	}
	project := p.ID
	ctx, cancel := c.call(ctx)
	defer cancel()
	out, err := c.api.VpcPeeringConnectionCreate(ctx, project, vpcID, azureCreateIn(req))
	if err != nil {
		return peering.Connection{}, wrap(ctx, fmt.Sprintf("create peering connection on VPC %s of project %s", vpcID, project), err)
	}
	return connection(vpc.PeeringConnectionOut(*out)), nil
}

// azureCreateIn is the create body of an Azure connection, the same for
// either parent (codegen's OrganizationVpcPeeringConnectionCreateIn has the
// project call's fields and JSON names).
func azureCreateIn(req peering.AzurePeeringRequest) *vpc.VpcPeeringConnectionCreateIn {
	in := &vpc.VpcPeeringConnectionCreateIn{
		PeerCloudAccount:  req.SubscriptionID,
		PeerVpc:           req.VNetName,
		PeerResourceGroup: &req.ResourceGroup,
		PeerAzureAppId:    &req.AppID,
		PeerAzureTenantId: &req.TenantID,
	}
	if len(req.UserPeerNetworkCIDRs) > 0 {
		in.UserPeerNetworkCidrs = &req.UserPeerNetworkCIDRs
	}
	return in
}

// DeletePeering deletes a connection: on a project VPC by its peer (the
// Azure form when it has a resource group), on an organization VPC by its
// peering_connection_id.
func (c *Client) DeletePeering(ctx context.Context, p peering.Parent, vpcID string, pc peering.Connection) error {
	if p.IsOrganization() {
		return c.orgDeletePeering(ctx, p.ID, vpcID, pc)
	}
	project, k := p.ID, pc.Key()
	ctx, cancel := c.call(ctx)
	defer cancel()
	var err error
	switch {
	case k.PeerResourceGroup != "":
		_, err = c.api.VpcPeeringConnectionWithResourceGroupDelete(ctx, project, vpcID, k.PeerCloudAccount, k.PeerResourceGroup, k.PeerVPC)
	case k.PeerRegion != "":
		_, err = c.api.VpcPeeringConnectionWithRegionDelete(ctx, project, vpcID, k.PeerCloudAccount, k.PeerVPC, k.PeerRegion)
	default:
		_, err = c.api.VpcPeeringConnectionDelete(ctx, project, vpcID, k.PeerCloudAccount, k.PeerVPC)
	}
	if err != nil {
		return wrap(ctx, fmt.Sprintf("delete peering connection to %s on VPC %s", k.PeerVPC, vpcID), err)
	}
	return nil
}

// Refresh asks Aiven to re-check the VPC's peering connections now. The
// codegen client has no method for it, so this is a plain request with the
// same transport, retries and token.
func (c *Client) Refresh(ctx context.Context, p peering.Parent, vpcID string) error {
	if p.IsOrganization() {
		return c.orgRefresh(ctx, p.ID, vpcID)
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	path := fmt.Sprintf("/v1/project/%s/vpcs/%s/peering-connections/refresh", url.PathEscape(p.ID), url.PathEscape(vpcID))
	if err := c.raw(ctx, "VpcPeeringConnectionsRefresh", http.MethodPost, path, struct{}{}, nil); err != nil {
		return wrap(ctx, fmt.Sprintf("refresh peerings of VPC %s", vpcID), err)
	}
	return nil
}

// raw sends a request codegen has no method for (or whose answer codegen
// would decode lossily) with the same transport, retries and token, and
// decodes the answer into out (nil: discard it). An error answer is a
// codegen.Error, as codegen's own calls return.
func (c *Client) raw(ctx context.Context, operationID, method, path string, in, out any) error {
	var body io.Reader = http.NoBody
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "aivenv1 "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.doer.Do(req)
	if err != nil {
		return scrub(err, c.token)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		ae := codegen.Error{Status: resp.StatusCode, OperationID: operationID}
		if json.Unmarshal(data, &ae) != nil {
			ae.Message = http.StatusText(resp.StatusCode)
		}
		return ae
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode the answer to %s: %w", operationID, err)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// wrap adds what azpeer was doing to an Aiven error and reduces API errors
// to peering.CloudError (status, Aiven's error_code, message); errors.As
// still finds codegen.Error underneath, so aiven.IsNotFound works too.
func wrap(ctx context.Context, what string, err error) error {
	var ae codegen.Error
	if errors.As(err, &ae) {
		ce := &peering.CloudError{Service: "aiven", StatusCode: ae.Status, Message: ae.Message, RetryAfter: retryAfterOf(ctx), Err: err}
		if list, ok := ae.Errors.([]any); ok && len(list) > 0 {
			if m, ok := list[0].(map[string]any); ok {
				ce.Code, _ = m["error_code"].(string)
			}
		}
		if ae.Status == http.StatusConflict {
			return fmt.Errorf("aiven: %s: %w", what, alreadyExists{ce})
		}
		return fmt.Errorf("aiven: %s: %w", what, ce)
	}
	return fmt.Errorf("aiven: %s: %w", what, err)
}

// alreadyExists is Aiven's 409: the object to create exists already.
type alreadyExists struct{ *peering.CloudError }

func (e alreadyExists) Unwrap() error      { return e.CloudError }
func (alreadyExists) Is(target error) bool { return target == peering.ErrAlreadyExists }

// scrub removes the token from transport errors, which can quote requests.
func scrub(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "[redacted]"))
}

// IsNotFound reports whether err is Aiven's 404.
func IsNotFound(err error) bool { return codegen.IsNotFound(err) }
