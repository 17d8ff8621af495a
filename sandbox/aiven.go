package sandbox

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The Aiven API, as github.com/aiven/go-client-codegen v0.238.0 calls it:
// the user and the revocation of its token, the projects and organizations
// the user belongs to, project VPCs and their peering connections. Paths, bodies and the response keys the
// client unwraps ("user", "vpcs", "organizations") follow codegen's handler
// code; codegen appends ?limit=999 to every request, which is accepted and
// ignored (nothing here pages).
//
// Error texts that are known from the real API (through Terraform provider
// issues) are used verbatim: "Project does not exist" (404), "Not a project
// member" (403). The others are written in the same style; their error_code
// values are the sandbox's own, as codegen does not read them.

// aivenError codes used here.
const (
	aivenCodeAuth          = "authentication_failed"
	aivenCodeProject       = "project_not_found"
	aivenCodeNotMember     = "project_membership_required"
	aivenCodeVPC           = "project_vpc_not_found"
	aivenCodePeering       = "peering_connection_not_found"
	aivenCodeExists        = "peering_connection_already_exists"
	aivenCodeInvalid       = "invalid_input"
	aivenCodeVPCNotActive  = "project_vpc_not_active"
	aivenCodeOrganization  = "organization_not_found"
	aivenCodeNotOrgMember  = "organization_membership_required"
	aivenCodeNotAllowed    = "method_not_allowed"
	aivenCodeTokenNotFound = "access_token_not_found"
	aivenPeeringTypeAzure  = "azure-vnet-peering"
	aivenPeeringTypeAWS    = "aws-vpc-peering-connection"
	aivenPeeringTypeGoogle = "google-vpc-peering"
)

// aivenOrgCreated is when every sandbox organization was created: the world
// does not record it and clients only display it.
var aivenOrgCreated = time.Date(2023, 3, 14, 9, 26, 53, 0, time.UTC)

// handleAiven serves /v1/... for a token-authenticated Aiven user.
func (s *Server) handleAiven(w http.ResponseWriter, r *http.Request) {
	segs, ok := aivenSegments(r)
	if !ok {
		notFound(w, APIAiven, r)
		return
	}
	route, params := matchAivenRoute(segs)
	if route == nil {
		notFound(w, APIAiven, r)
		return
	}
	h, ok := route.methods[r.Method]
	if !ok {
		w.Header().Set("Allow", strings.Join(route.allowed(), ", "))
		aivenError(w, http.StatusMethodNotAllowed, "Method Not Allowed", aivenCodeNotAllowed)
		return
	}
	world, unlock := s.lock()
	defer unlock()
	user := world.aivenUserByToken(r.Header.Get("Authorization"))
	if user == nil {
		aivenError(w, http.StatusForbidden, "Invalid token", aivenCodeAuth)
		return
	}
	h(s, &aivenRequest{w: w, r: r, world: world, user: user, params: params, now: s.clock.Now()})
}

// aivenRequest is one authenticated request with the world locked.
type aivenRequest struct {
	w      http.ResponseWriter
	r      *http.Request
	world  *World
	user   *AivenUser
	params []string
	now    time.Time
}

type aivenHandler func(s *Server, q *aivenRequest)

// aivenRoute is a path pattern ("*" matches one segment) and its handlers.
type aivenRoute struct {
	pattern []string
	methods map[string]aivenHandler
}

func (rt *aivenRoute) allowed() []string {
	out := make([]string, 0, len(rt.methods))
	for m := range rt.methods {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// aivenRoutes are the endpoints the sandbox emulates; patterns are the path
// after /v1/.
var aivenRoutes = []aivenRoute{
	{strings.Split("me", "/"), map[string]aivenHandler{http.MethodGet: (*Server).aivenMe}},
	{strings.Split("access_token/*", "/"), map[string]aivenHandler{http.MethodDelete: (*Server).aivenAccessTokenRevoke}},
	{strings.Split("project", "/"), map[string]aivenHandler{http.MethodGet: (*Server).aivenProjectList}},
	{strings.Split("organizations", "/"), map[string]aivenHandler{http.MethodGet: (*Server).aivenOrganizations}},
	{strings.Split("organization/*/projects", "/"), map[string]aivenHandler{http.MethodGet: (*Server).aivenOrganizationProjects}},
	{strings.Split("project/*/vpcs", "/"), map[string]aivenHandler{http.MethodGet: (*Server).aivenVPCList}},
	{strings.Split("project/*/vpcs/*", "/"), map[string]aivenHandler{http.MethodGet: (*Server).aivenVPCGet}},
	{strings.Split("project/*/vpcs/*/peering-connections", "/"), map[string]aivenHandler{http.MethodPost: (*Server).aivenPeeringCreate}},
	{strings.Split("project/*/vpcs/*/peering-connections/refresh", "/"), map[string]aivenHandler{http.MethodPost: (*Server).aivenPeeringRefresh}},
	{strings.Split("project/*/vpcs/*/peering-connections/peer-accounts/*/peer-resource-groups/*/peer-vpcs/*", "/"),
		map[string]aivenHandler{http.MethodDelete: (*Server).aivenPeeringDeleteRG}},
	{strings.Split("project/*/vpcs/*/peering-connections/peer-accounts/*/peer-vpcs/*", "/"),
		map[string]aivenHandler{http.MethodDelete: (*Server).aivenPeeringDelete}},
	{strings.Split("project/*/vpcs/*/peering-connections/peer-accounts/*/peer-vpcs/*/peer-regions/*", "/"),
		map[string]aivenHandler{http.MethodDelete: (*Server).aivenPeeringDeleteRegion}},
}

// aivenSegments splits the escaped path after /v1/ and unescapes each
// segment, so a name holding an escaped "/" stays one segment.
func aivenSegments(r *http.Request) ([]string, bool) {
	p, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v1/")
	if !ok {
		return nil, false
	}
	raw := strings.Split(strings.TrimSuffix(p, "/"), "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return nil, false
		}
		segs[i] = u
	}
	return segs, true
}

func matchAivenRoute(segs []string) (*aivenRoute, []string) {
	for i := range aivenRoutes {
		rt := &aivenRoutes[i]
		if len(rt.pattern) != len(segs) {
			continue
		}
		var params []string
		ok := true
		for j, p := range rt.pattern {
			switch {
			case p == "*":
				params = append(params, segs[j])
			case p != segs[j]:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok {
			return rt, params
		}
	}
	return nil, nil
}

// aivenUserByToken finds the user whose token hash matches the
// Authorization header ("aivenv1 <token>"; "Bearer" is accepted too, as the
// real API does). Expects world.mu held.
func (world *World) aivenUserByToken(header string) *AivenUser {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || (!strings.EqualFold(scheme, "aivenv1") && !strings.EqualFold(scheme, "Bearer")) {
		return nil
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return nil
	}
	h := []byte(sha256Hex(tok))
	for _, u := range world.Aiven.Users {
		// A revoked token is as unknown as a wrong one: Aiven answers both
		// the same way (handleAiven).
		if subtle.ConstantTimeCompare(h, []byte(u.TokenSHA256)) == 1 && !u.TokenRevoked {
			return u
		}
	}
	return nil
}

// userProjects returns the user's projects that exist, sorted by name.
func (world *World) userProjects(u *AivenUser) []*Project {
	out := make([]*Project, 0, len(u.Projects))
	for _, name := range u.Projects {
		if p := world.project(name); p != nil {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *Project) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// --- JSON shapes -----------------------------------------------------------

// aivenTime writes RFC 3339 with whole seconds, as the Aiven API does.
type aivenTime time.Time

func (t aivenTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(time.RFC3339) + `"`), nil
}

type aivenPeeringJSON struct {
	CreateTime           aivenTime      `json:"create_time"`
	PeerAzureAppID       *string        `json:"peer_azure_app_id"`
	PeerAzureTenantID    *string        `json:"peer_azure_tenant_id"`
	PeerCloudAccount     string         `json:"peer_cloud_account"`
	PeerRegion           *string        `json:"peer_region"`
	PeerResourceGroup    *string        `json:"peer_resource_group"`
	PeerVPC              string         `json:"peer_vpc"`
	PeeringConnectionID  *string        `json:"peering_connection_id"`
	State                string         `json:"state"`
	StateInfo            map[string]any `json:"state_info"`
	UpdateTime           aivenTime      `json:"update_time"`
	UserPeerNetworkCIDRs []string       `json:"user_peer_network_cidrs"`
	Type                 string         `json:"vpc_peering_connection_type"`
}

type aivenVPCJSON struct {
	CloudName    string    `json:"cloud_name"`
	CreateTime   aivenTime `json:"create_time"`
	NetworkCIDR  string    `json:"network_cidr"`
	ProjectVPCID string    `json:"project_vpc_id"`
	State        string    `json:"state"`
	UpdateTime   aivenTime `json:"update_time"`
}

type aivenVPCFullJSON struct {
	CloudName                          string             `json:"cloud_name"`
	CreateTime                         aivenTime          `json:"create_time"`
	NetworkCIDR                        string             `json:"network_cidr"`
	PeeringConnections                 []aivenPeeringJSON `json:"peering_connections"`
	PendingBuildOnlyPeeringConnections *string            `json:"pending_build_only_peering_connections"`
	ProjectVPCID                       string             `json:"project_vpc_id"`
	State                              string             `json:"state"`
	UpdateTime                         aivenTime          `json:"update_time"`
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func peeringJSON(pc *AivenPeering) aivenPeeringJSON {
	cidrs := pc.UserPeerNetworkCIDRs
	if cidrs == nil {
		cidrs = []string{}
	}
	return aivenPeeringJSON{
		CreateTime:           aivenTime(pc.CreateTime),
		PeerAzureAppID:       nullIfEmpty(pc.PeerAzureAppID),
		PeerAzureTenantID:    nullIfEmpty(pc.PeerAzureTenantID),
		PeerCloudAccount:     pc.PeerCloudAccount,
		PeerRegion:           nullIfEmpty(pc.PeerRegion),
		PeerResourceGroup:    nullIfEmpty(pc.PeerResourceGroup),
		PeerVPC:              pc.PeerVPC,
		PeeringConnectionID:  nullIfEmpty(pc.PeeringConnectionID),
		State:                pc.State,
		StateInfo:            pc.StateInfo,
		UpdateTime:           aivenTime(pc.UpdateTime),
		UserPeerNetworkCIDRs: cidrs,
		Type:                 pc.Type,
	}
}

func vpcJSON(v *VPC) aivenVPCJSON {
	return aivenVPCJSON{CloudName: v.CloudName, CreateTime: aivenTime(v.CreateTime), NetworkCIDR: v.NetworkCIDR,
		ProjectVPCID: v.ID, State: v.State, UpdateTime: aivenTime(v.UpdateTime)}
}

func vpcFullJSON(v *VPC) aivenVPCFullJSON {
	pcs := make([]aivenPeeringJSON, 0, len(v.Peerings))
	for _, pc := range v.Peerings {
		pcs = append(pcs, peeringJSON(pc))
	}
	return aivenVPCFullJSON{CloudName: v.CloudName, CreateTime: aivenTime(v.CreateTime), NetworkCIDR: v.NetworkCIDR,
		PeeringConnections: pcs, ProjectVPCID: v.ID, State: v.State, UpdateTime: aivenTime(v.UpdateTime)}
}

// accountID is the account ("a…") behind an organization ("org…").
func accountID(orgID string) string { return "a" + strings.TrimPrefix(orgID, "org") }

// --- user, projects, organizations ----------------------------------------

func (s *Server) aivenMe(q *aivenRequest) {
	u := q.user
	projects := make([]string, 0, len(u.Projects))
	membership := map[string]string{}
	memberships := map[string][]string{}
	for _, p := range q.world.userProjects(u) {
		projects = append(projects, p.Name)
		membership[p.Name] = "admin"
		memberships[p.Name] = []string{"admin"}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"user": map[string]any{
		"auth":                []string{"password"},
		"create_time":         aivenTime(aivenOrgCreated),
		"features":            map[string]any{},
		"invitations":         []any{},
		"project_membership":  membership,
		"project_memberships": memberships,
		"projects":            projects,
		"real_name":           u.RealName,
		"state":               "active",
		"tenant":              "aiven",
		"user":                u.Email,
		"user_id":             u.UserID,
	}})
}

func projectJSON(p *Project) map[string]any {
	return map[string]any{
		"account_id":         accountID(p.OrganizationID),
		"billing_address":    "",
		"billing_emails":     []any{},
		"billing_group_id":   "",
		"billing_group_name": "",
		"country":            "",
		"country_code":       "",
		"default_cloud":      p.DefaultCloud,
		"estimated_balance":  "0.00",
		"features":           map[string]any{},
		"organization_id":    p.OrganizationID,
		"payment_method":     "no_payment_expected",
		"project_name":       p.Name,
		"tags":               map[string]string{},
		"tech_emails":        []any{},
		"tenant_id":          p.TenantID,
		"vat_id":             "",
	}
}

func (s *Server) aivenProjectList(q *aivenRequest) {
	projects := []map[string]any{}
	membership := map[string]string{}
	memberships := map[string][]string{}
	for _, p := range q.world.userProjects(q.user) {
		projects = append(projects, projectJSON(p))
		membership[p.Name] = "admin"
		memberships[p.Name] = []string{"admin"}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{
		"project_membership": membership, "project_memberships": memberships, "projects": projects,
	})
}

// userOrgs are the organizations of the user's projects, sorted by id.
func (world *World) userOrgs(u *AivenUser) []*AivenOrg {
	var out []*AivenOrg
	for _, p := range world.userProjects(u) {
		if o := world.Aiven.Organizations[p.OrganizationID]; o != nil && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b *AivenOrg) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (s *Server) aivenOrganizations(q *aivenRequest) {
	orgs := []map[string]any{}
	for _, o := range q.world.userOrgs(q.user) {
		orgs = append(orgs, map[string]any{
			"account_id": accountID(o.ID), "create_time": aivenTime(aivenOrgCreated), "organization_id": o.ID,
			"organization_name": o.Name, "tier": "business", "update_time": aivenTime(aivenOrgCreated),
		})
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"organizations": orgs})
}

func (s *Server) aivenOrganizationProjects(q *aivenRequest) {
	orgID := q.params[0]
	o := q.world.Aiven.Organizations[orgID]
	if o == nil {
		aivenError(q.w, http.StatusNotFound, "Organization does not exist", aivenCodeOrganization)
		return
	}
	if !slices.Contains(q.world.userOrgs(q.user), o) {
		aivenError(q.w, http.StatusForbidden, "Not an organization member", aivenCodeNotOrgMember)
		return
	}
	projects := []map[string]any{}
	for _, p := range q.world.userProjects(q.user) {
		if p.OrganizationID != orgID {
			continue
		}
		projects = append(projects, map[string]any{
			"account_id": accountID(orgID), "billing_group_id": "", "end_of_life_extension": map[string]any{},
			"parent_id": orgID, "project_id": p.Name, "tags": map[string]string{}, "tech_emails": []any{},
		})
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"projects": projects, "total_project_count": len(projects)})
}

// --- VPCs ------------------------------------------------------------------

// project resolves the request's project for a VPC call: 404 when it does not
// exist, 403 when the user is not a member, and the project's injected fault
// status when it has one.
func (q *aivenRequest) project() *Project {
	name := q.params[0]
	p := q.world.project(name)
	if p == nil {
		aivenError(q.w, http.StatusNotFound, "Project does not exist", aivenCodeProject)
		return nil
	}
	if !slices.Contains(q.user.Projects, name) {
		aivenError(q.w, http.StatusForbidden, "Not a project member", aivenCodeNotMember)
		return nil
	}
	if p.FaultStatus != 0 {
		aivenFault(q.w, p.FaultStatus)
		return nil
	}
	return p
}

// aivenFault answers with an injected status in Aiven's error shape.
func aivenFault(w http.ResponseWriter, status int) {
	msg := http.StatusText(status)
	if msg == "" {
		msg = "Error " + strconv.Itoa(status)
	}
	code := strings.ReplaceAll(strings.ToLower(msg), " ", "_")
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	aivenError(w, status, msg, code)
}

// vpc resolves the request's project and VPC.
func (q *aivenRequest) vpc() (*Project, *VPC) {
	p := q.project()
	if p == nil {
		return nil, nil
	}
	v := p.vpc(q.params[1])
	if v == nil {
		aivenError(q.w, http.StatusNotFound, "Project VPC does not exist", aivenCodeVPC)
		return nil, nil
	}
	return p, v
}

func (s *Server) aivenVPCList(q *aivenRequest) {
	p := q.project()
	if p == nil {
		return
	}
	vpcs := make([]aivenVPCJSON, 0, len(p.VPCs))
	for _, v := range p.VPCs {
		vpcs = append(vpcs, vpcJSON(v))
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"vpcs": vpcs})
}

func (s *Server) aivenVPCGet(q *aivenRequest) {
	if _, v := q.vpc(); v != nil {
		writeJSON(q.w, http.StatusOK, vpcFullJSON(v))
	}
}

// aivenPeeringRefresh makes Aiven re-check the VPC's connections now: the
// APPROVED ones are evaluated without waiting for AivenApproval.
func (s *Server) aivenPeeringRefresh(q *aivenRequest) {
	_, v := q.vpc()
	if v == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(q.r.Body, 1<<20))
	if s.refreshVPC(q.world, q.now, v) {
		s.markDirty()
	}
	writeJSON(q.w, http.StatusOK, vpcFullJSON(v))
}

// --- peering connections ---------------------------------------------------

// peeringCreateBody is the create request; pointers tell absent from empty.
type peeringCreateBody struct {
	PeerCloudAccount     *string   `json:"peer_cloud_account"`
	PeerVPC              *string   `json:"peer_vpc"`
	PeerRegion           *string   `json:"peer_region"`
	PeerResourceGroup    *string   `json:"peer_resource_group"`
	PeerAzureAppID       *string   `json:"peer_azure_app_id"`
	PeerAzureTenantID    *string   `json:"peer_azure_tenant_id"`
	UserPeerNetworkCIDRs *[]string `json:"user_peer_network_cidrs"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// peeringTypeOf is the connection type a VPC in cloud makes.
func peeringTypeOf(cloud string) string {
	switch {
	case strings.HasPrefix(cloud, "azure-"):
		return aivenPeeringTypeAzure
	case strings.HasPrefix(cloud, "aws-"):
		return aivenPeeringTypeAWS
	case strings.HasPrefix(cloud, "google-"):
		return aivenPeeringTypeGoogle
	case strings.HasPrefix(cloud, "upcloud-"):
		return "upcloud-vpc-peering"
	case strings.HasPrefix(cloud, "do-"):
		return "do-vpc-peering"
	}
	return ""
}

// validate checks a create body against the VPC's cloud and returns the
// first problem as the API words it.
func (b *peeringCreateBody) validate(typ string) string {
	invalid := func(field, why string) string { return fmt.Sprintf("Invalid input for %s: %s", field, why) }
	if str(b.PeerCloudAccount) == "" {
		return invalid("peer_cloud_account", "field required")
	}
	if str(b.PeerVPC) == "" {
		return invalid("peer_vpc", "field required")
	}
	isUUID := func(s string) bool { _, err := uuid.Parse(s); return err == nil && len(s) == 36 }
	if typ == aivenPeeringTypeAzure {
		switch {
		case b.PeerRegion != nil:
			return invalid("peer_region", "must be omitted or null for Azure peering connections")
		case !isUUID(*b.PeerCloudAccount):
			return invalid("peer_cloud_account", fmt.Sprintf("%q is not an Azure subscription ID in UUID4 form", *b.PeerCloudAccount))
		case str(b.PeerResourceGroup) == "":
			return invalid("peer_resource_group", "field required for Azure peering connections")
		case str(b.PeerAzureAppID) == "":
			return invalid("peer_azure_app_id", "field required for Azure peering connections")
		case !isUUID(*b.PeerAzureAppID):
			return invalid("peer_azure_app_id", fmt.Sprintf("%q is not a UUID4", *b.PeerAzureAppID))
		case str(b.PeerAzureTenantID) == "":
			return invalid("peer_azure_tenant_id", "field required for Azure peering connections")
		case !isUUID(*b.PeerAzureTenantID):
			return invalid("peer_azure_tenant_id", fmt.Sprintf("%q is not a UUID4", *b.PeerAzureTenantID))
		}
	} else {
		for _, f := range []struct {
			name string
			v    *string
		}{{"peer_resource_group", b.PeerResourceGroup}, {"peer_azure_app_id", b.PeerAzureAppID}, {"peer_azure_tenant_id", b.PeerAzureTenantID}} {
			if f.v != nil {
				return invalid(f.name, "only allowed for Azure peering connections")
			}
		}
		if b.PeerRegion != nil && typ != aivenPeeringTypeAWS {
			return invalid("peer_region", "only allowed for AWS peering connections")
		}
	}
	if b.UserPeerNetworkCIDRs != nil {
		for _, c := range *b.UserPeerNetworkCIDRs {
			p, err := netip.ParsePrefix(c)
			switch {
			case err != nil || !p.Addr().Is4():
				return invalid("user_peer_network_cidrs", fmt.Sprintf("%q is not an IPv4 network range", c))
			case p.Masked() != p:
				return invalid("user_peer_network_cidrs", fmt.Sprintf("%q has host bits set", c))
			}
		}
	}
	return ""
}

// findPeering finds a connection by its exact, case-sensitive key, as avn
// matches them.
func (v *VPC) findPeering(account, vpc, resourceGroup, region string) *AivenPeering {
	for _, pc := range v.Peerings {
		if pc.PeerCloudAccount == account && pc.PeerVPC == vpc && pc.PeerResourceGroup == resourceGroup && pc.PeerRegion == region {
			return pc
		}
	}
	return nil
}

// retryable reports whether re-POSTing a connection in this state asks Aiven
// to try again (the failed and finished states) rather than conflict.
func retryable(state string) bool {
	switch state {
	case StateInvalidSpecification, StateRejectedByPeer, StateError, StateDeletedByPeer, StateDeleted:
		return true
	}
	return false
}

func (s *Server) aivenPeeringCreate(q *aivenRequest) {
	_, v := q.vpc()
	if v == nil {
		return
	}
	var b peeringCreateBody
	data, err := io.ReadAll(io.LimitReader(q.r.Body, 1<<20))
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(&b)
	}
	if err != nil {
		msg := "Invalid JSON in request body"
		if errors.Is(err, io.EOF) {
			msg = "Request body is required"
		} else if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			msg = "Invalid input: additional property " + f + " is not allowed"
		}
		aivenError(q.w, http.StatusBadRequest, msg, aivenCodeInvalid)
		return
	}
	typ := peeringTypeOf(v.CloudName)
	if msg := b.validate(typ); msg != "" {
		aivenError(q.w, http.StatusBadRequest, msg, aivenCodeInvalid)
		return
	}
	if v.State != "ACTIVE" {
		aivenError(q.w, http.StatusConflict, fmt.Sprintf("Project VPC %s is in state %s: peering connections can be created only when it is ACTIVE", v.ID, v.State), aivenCodeVPCNotActive)
		return
	}
	cidrs := []string{}
	if b.UserPeerNetworkCIDRs != nil {
		cidrs = append(cidrs, *b.UserPeerNetworkCIDRs...)
	}
	acct, vpcName, rg, region := *b.PeerCloudAccount, *b.PeerVPC, str(b.PeerResourceGroup), str(b.PeerRegion)
	pc := v.findPeering(acct, vpcName, rg, region)
	switch {
	case pc != nil && !retryable(pc.State):
		aivenError(q.w, http.StatusConflict, fmt.Sprintf("Peering connection already exists (state %s)", pc.State), aivenCodeExists)
		return
	case pc != nil:
		// Re-requesting a failed or finished connection starts it afresh
		// with the new details, as the Terraform provider relies on.
		pc.PeerAzureAppID, pc.PeerAzureTenantID = str(b.PeerAzureAppID), str(b.PeerAzureTenantID)
		pc.UserPeerNetworkCIDRs = cidrs
		pc.PeeringConnectionID = ""
		pc.ConnectedAt, pc.PeerLostAt = time.Time{}, time.Time{}
		q.world.setPeeringState(q.now, pc, StateApproved, approvedInfo())
	case typ == aivenPeeringTypeAzure:
		pc = q.world.addAzurePeering(q.now, v, acct, rg, vpcName, *b.PeerAzureAppID, *b.PeerAzureTenantID)
		pc.UserPeerNetworkCIDRs = cidrs
		pc.StateInfo = approvedInfo()
	default:
		pc = &AivenPeering{PeerCloudAccount: acct, PeerVPC: vpcName, PeerRegion: region, Type: typ,
			UserPeerNetworkCIDRs: cidrs, CreateTime: q.now}
		v.Peerings = append(v.Peerings, pc)
		q.world.setPeeringState(q.now, pc, StateApproved, approvedInfo())
	}
	v.UpdateTime = q.now
	writeJSON(q.w, http.StatusOK, peeringJSON(pc))
}

func (s *Server) aivenPeeringDeleteRG(q *aivenRequest) {
	s.aivenPeeringDeleteKey(q, q.params[2], q.params[4], q.params[3], "")
}

func (s *Server) aivenPeeringDelete(q *aivenRequest) {
	s.aivenPeeringDeleteKey(q, q.params[2], q.params[3], "", "")
}

func (s *Server) aivenPeeringDeleteRegion(q *aivenRequest) {
	s.aivenPeeringDeleteKey(q, q.params[2], q.params[3], "", q.params[4])
}

// aivenPeeringDeleteKey starts deleting a connection: DELETING now, the
// cloud resources go when the state machine reaches DELETED. Deleting one
// that is already going is a no-op that returns it.
func (s *Server) aivenPeeringDeleteKey(q *aivenRequest, account, vpcName, resourceGroup, region string) {
	_, v := q.vpc()
	if v == nil {
		return
	}
	pc := v.findPeering(account, vpcName, resourceGroup, region)
	if pc == nil {
		aivenError(q.w, http.StatusNotFound, "Peering connection does not exist", aivenCodePeering)
		return
	}
	if pc.State != StateDeleting && pc.State != StateDeleted {
		q.world.setPeeringState(q.now, pc, StateDeleting, map[string]any{
			"message": "Peering connection is being deleted", "type": "deleting"})
		v.UpdateTime = q.now
	}
	writeJSON(q.w, http.StatusOK, peeringJSON(pc))
}

func approvedInfo() map[string]any {
	return map[string]any{"message": "Peering connection approved, waiting for Aiven to create it", "type": "approved"}
}
