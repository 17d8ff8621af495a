package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The Aiven API, as github.com/aiven/go-client-codegen v0.238.0 calls it:
// the user and the revocation of its token, the projects and organizations
// the user belongs to, project VPCs and their peering connections. Paths, bodies and the response keys the
// client unwraps ("user", "vpcs", "organizations") follow codegen's handler
// code; codegen appends ?limit=999 to every request, which is accepted and
// ignored (nothing here pages).
//
// Error answers have the shape of Aiven's API reference ("Failed responses",
// https://api.aiven.io/doc/#section/Responses/Failed-responses) as
// codegen's Error decodes it: {"message": ..., "errors": [{"message": ...,
// "status": N, "error_code": ...}]}. Newer bodies carry error_code
// (codegen's error_test.go: "error_code": "account_not_found"), but every
// real body quoted in public issues for the answers emulated here has
// none, so those come without it, text and shape verbatim:
//
//   - 404 "Project does not exist": aiven/terraform-provider-aiven#477
//     (`{"errors":[{"message":"Project does not exist","status":404}],"message":"Project does not exist"}`)
//   - 403 "Not a project member": aiven/terraform-provider-aiven#561
//     (`{"errors":[{"message":"Not a project member","status":403}],"message":"Not a project member"}`)
//   - 400 "peer_resource_group must be a valid Azure Resource Group name for
//     cloud azure-westeurope. Got None instead" (a delete without the
//     resource group): aiven/terraform-provider-aiven#303
//   - 409 "Project already exists": aiven/terraform-provider-aiven#745, the
//     model of the peering connection's 409 (aivenPeeringCreate)
//   - 429 "The user has sent too many requests in a given amount of time:
//     Rate limit 120 exceeded - try again in 28s":
//     aiven/terraform-provider-aiven#575 (aivenThrottled)
//   - 5xx "An error occurred. Please try again later.":
//     aiven/terraform-provider-aiven#236, a 501 (aivenServerError)
//   - 401 "Missing (expired) db token": aiven/terraform-provider-aiven#647,
//     an expired token (variant aiven-invalid-token)
//
// The other texts are the sandbox's own, in the same style, and keep an
// error_code of the sandbox's own (codegen never reads it; azpeer's adapter
// only copies it into its error); each says so where it is written.

// aivenError codes used here: all the sandbox's own (no public source
// lists Aiven's error_code values for these answers).
const (
	aivenCodeAuth          = "authentication_failed"
	aivenCodeVPC           = "project_vpc_not_found"
	aivenCodePeering       = "peering_connection_not_found"
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
	setRouteTemplate(r, route.template())
	h, ok := route.methods[r.Method]
	if !ok {
		w.Header().Set("Allow", strings.Join(route.allowed(), ", "))
		// No public source: the sandbox's own text and code.
		aivenError(w, http.StatusMethodNotAllowed, "Method Not Allowed", aivenCodeNotAllowed)
		return
	}
	world, unlock := s.lock()
	defer unlock()
	user := world.aivenUserByToken(r.Header.Get("Authorization"))
	if user == nil {
		// Unknown and revoked tokens alike: the variant's answer.
		if world.variant(VariantAivenInvalidToken) == "expired-token-401" {
			// Verbatim, without error_code: aiven/terraform-provider-aiven#647.
			aivenError(w, http.StatusUnauthorized, "Missing (expired) db token", "")
		} else {
			// No public source: the sandbox's own text and code.
			aivenError(w, http.StatusForbidden, "Invalid token", aivenCodeAuth)
		}
		return
	}
	h(s, &aivenRequest{w: w, r: r, world: world, user: user, params: params, now: s.clock.Now(), orgScope: route.org})
}

// aivenRequest is one authenticated request with the world locked.
type aivenRequest struct {
	w      http.ResponseWriter
	r      *http.Request
	world  *World
	user   *AivenUser
	params []string
	now    time.Time
	// orgScope: params name an organization and its VPC, not a project's.
	orgScope bool
}

type aivenHandler func(s *Server, q *aivenRequest)

// decodeBody decodes the request's JSON body (up to 1 MiB) into v,
// answering 400 when it does not decode (the sandbox's own text). It
// reports whether the handler goes on.
func (q *aivenRequest) decodeBody(v any) bool {
	if err := json.NewDecoder(io.LimitReader(q.r.Body, 1<<20)).Decode(v); err != nil {
		aivenError(q.w, http.StatusBadRequest, "Invalid JSON in request body", aivenCodeInvalid)
		return false
	}
	return true
}

// answerChange ends a request that changed the world: it is to be saved,
// and the answer is body.
func (s *Server) answerChange(q *aivenRequest, body any) {
	s.markDirty()
	writeJSON(q.w, http.StatusOK, body)
}

// aivenRoute is a path template (after /v1/; "{name}" matches one
// segment) and its handlers. The templates are the paths of Aiven's API
// reference (https://api.aiven.io/doc/), whose parameter names
// go-client-codegen's handlers take in camel case (e.g.
// VpcPeeringConnectionWithResourceGroupDelete(ctx, project, projectVpcId,
// peerCloudAccount, peerResourceGroup, peerVpc)); the request counts
// (requests.go) use them as route names.
type aivenRoute struct {
	pattern []string
	methods map[string]aivenHandler
	// org: the route's VPC is an organization's (aiven_org_vpcs.go).
	org bool
}

func (rt *aivenRoute) allowed() []string {
	out := make([]string, 0, len(rt.methods))
	for m := range rt.methods {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// template is the route's full path template, e.g.
// /v1/project/{project}/vpcs/{project_vpc_id}.
func (rt *aivenRoute) template() string { return "/v1/" + strings.Join(rt.pattern, "/") }

func newAivenRoute(template string, methods map[string]aivenHandler) aivenRoute {
	return aivenRoute{pattern: strings.Split(template, "/"), methods: methods}
}

// A project VPC's path, and that of the connections to one peer account
// that its deletes name.
const (
	projectVPCPath   = "project/{project}/vpcs/{project_vpc_id}"
	projectPeersPath = projectVPCPath + "/peering-connections/peer-accounts/{peer_cloud_account}"
)

// aivenRoutes are the endpoints the sandbox emulates. Order matters only
// where a literal and a parameter could take the same segment
// (peering-connections/refresh before .../peer-accounts/...; they differ
// in length anyway).
var aivenRoutes = []aivenRoute{
	newAivenRoute("me", map[string]aivenHandler{http.MethodGet: (*Server).aivenMe}),
	newAivenRoute("access_token/{token_prefix}", map[string]aivenHandler{http.MethodDelete: (*Server).aivenAccessTokenRevoke}),
	newAivenRoute("project", map[string]aivenHandler{http.MethodGet: (*Server).aivenProjectList}),
	newAivenRoute("organizations", map[string]aivenHandler{http.MethodGet: (*Server).aivenOrganizations}),
	newAivenRoute(orgPath+"/projects", map[string]aivenHandler{http.MethodGet: (*Server).aivenOrganizationProjects}),
	newAivenRoute("project/{project}/kms/ca", map[string]aivenHandler{http.MethodGet: (*Server).aivenProjectCA}),
	newAivenRoute("project/{project}/service", map[string]aivenHandler{http.MethodGet: (*Server).aivenServiceList}),
	newAivenRoute("project/{project}/service/{service_name}", map[string]aivenHandler{http.MethodGet: (*Server).aivenServiceGet}),
	newAivenRoute("project/{project}/vpcs", map[string]aivenHandler{http.MethodGet: (*Server).aivenVPCList}),
	newAivenRoute(projectVPCPath, map[string]aivenHandler{http.MethodGet: (*Server).aivenVPCGet}),
	newAivenRoute(projectVPCPath+"/peering-connections", map[string]aivenHandler{http.MethodPost: (*Server).aivenPeeringCreate}),
	newAivenRoute(projectVPCPath+"/peering-connections/refresh", map[string]aivenHandler{http.MethodPost: (*Server).aivenPeeringRefresh}),
	newAivenRoute(projectPeersPath+"/peer-resource-groups/{peer_resource_group}/peer-vpcs/{peer_vpc}", map[string]aivenHandler{http.MethodDelete: (*Server).aivenPeeringDeleteRG}),
	newAivenRoute(projectPeersPath+"/peer-vpcs/{peer_vpc}", map[string]aivenHandler{http.MethodDelete: (*Server).aivenPeeringDelete}),
	newAivenRoute(projectPeersPath+"/peer-vpcs/{peer_vpc}/peer-regions/{peer_region}", map[string]aivenHandler{http.MethodDelete: (*Server).aivenPeeringDeleteRegion}),
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
	if rt, params := matchIn(aivenRoutes, segs); rt != nil {
		return rt, params
	}
	return matchIn(orgVPCRoutes, segs)
}

func matchIn(routes []aivenRoute, segs []string) (*aivenRoute, []string) {
	for i := range routes {
		rt := &routes[i]
		if len(rt.pattern) != len(segs) {
			continue
		}
		var params []string
		ok := true
		for j, p := range rt.pattern {
			switch {
			case strings.HasPrefix(p, "{"):
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

// aivenPeeringOut is a connection as the API answers it, with the
// state_info variant aiven-state-info shows (shownStateInfo).
func (world *World) aivenPeeringOut(pc *AivenPeering) aivenPeeringJSON {
	return peeringJSONWith(pc, world.variant(VariantAivenStateInfo))
}

func peeringJSONWith(pc *AivenPeering, stateInfoVariant string) aivenPeeringJSON {
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
		StateInfo:            shownStateInfo(pc, stateInfoVariant),
		UpdateTime:           aivenTime(pc.UpdateTime),
		UserPeerNetworkCIDRs: cidrs,
		Type:                 pc.Type,
	}
}

// shownStateInfo is the state_info Aiven answers for a connection. The
// world keeps the whole object in every state; when the API answers null is
// not settled (go-client-codegen's openapi_patch.yaml makes state_info
// "nullable: true" in every response that carries a connection), so
// variant aiven-state-info chooses:
//
//   - kept: the object in every state.
//   - null-after-active: null once ACTIVE, the object before:
//     aiven/terraform-provider-aiven#304, where GET /v1/project/P/vpcs/V
//     "returns \"state_info\": null" for a connection created earlier.
//   - null-outside-pending-peer: null except in PENDING_PEER and the
//     failures. Aiven's avn docs (aiven-docs docs/tools/cli/vpc.md) show
//     STATE_INFO null in the answer to create (APPROVED) and to delete
//     (DELETING); only PENDING_PEER is documented to carry what the user
//     needs (to-tenant-id, to-network-id). INVALID_SPECIFICATION,
//     REJECTED_BY_PEER and ERROR keep their object: the Terraform docs say
//     of INVALID_SPECIFICATION that "`state_info` field contains more
//     details about the particular issue" (templates/resources/
//     vpc_peering_connection.md.tmpl) and the provider reports both
//     failures with "more in the state info" / "state info:"
//     (vpc_peering_connection_state.go); ERROR has no public source and is
//     treated as the failure it is. DELETED_BY_PEER is null: the
//     provider's diagnostic for it names no state info, and nothing says
//     it has one.
func shownStateInfo(pc *AivenPeering, variant string) map[string]any {
	switch variant {
	case "null-after-active":
		if pc.State == StateActive {
			return nil
		}
	case "null-outside-pending-peer":
		switch pc.State {
		case StatePendingPeer, StateInvalidSpecification, StateRejectedByPeer, StateError:
		default:
			return nil
		}
	}
	return pc.StateInfo
}

func vpcJSON(v *VPC) aivenVPCJSON {
	return aivenVPCJSON{CloudName: v.CloudName, CreateTime: aivenTime(v.CreateTime), NetworkCIDR: v.NetworkCIDR,
		ProjectVPCID: v.ID, State: v.State, UpdateTime: aivenTime(v.UpdateTime)}
}

// aivenVPCOut is a VPC with its connections, in its parent's shape.
func (world *World) aivenVPCOut(v *VPC) any {
	if v.OrganizationID != "" {
		return world.orgVPCJSON(v, true)
	}
	return aivenVPCFullJSON{CloudName: v.CloudName, CreateTime: aivenTime(v.CreateTime), NetworkCIDR: v.NetworkCIDR,
		PeeringConnections: world.peeringsOut(v), ProjectVPCID: v.ID, State: v.State, UpdateTime: aivenTime(v.UpdateTime)}
}

// peeringsOut are a VPC's connections as the API answers them, with the
// state_info variant aiven-state-info shows.
func (world *World) peeringsOut(v *VPC) []aivenPeeringJSON {
	variant := world.variant(VariantAivenStateInfo)
	return mapped(v.Peerings, func(pc *AivenPeering) aivenPeeringJSON { return peeringJSONWith(pc, variant) })
}

// accountID is the account ("a…") behind an organization ("org…").
func accountID(orgID string) string { return "a" + strings.TrimPrefix(orgID, "org") }

// aivenThrottled is Aiven's 429, verbatim from
// aiven/terraform-provider-aiven#575 (`{"errors":[{"message":"The user has
// sent too many requests in a given amount of time: Rate limit 120 exceeded
// - try again in 28s","status":429}],"message":...}`, no error_code), with
// the wait of the answer's Retry-After header (1 s when it has none).
func aivenThrottled(w http.ResponseWriter) {
	wait := w.Header().Get("Retry-After")
	if wait == "" {
		wait = "1"
	}
	aivenError(w, http.StatusTooManyRequests,
		"The user has sent too many requests in a given amount of time: Rate limit 120 exceeded - try again in "+wait+"s", "")
}

// aivenServerError is Aiven's answer to a request it failed on, verbatim
// from aiven/terraform-provider-aiven#236 (a 501:
// `{"errors":[{"message":"An error occurred. Please try again later.","status":501}],"message":...}`,
// no error_code), the only 5xx body in public sources; the sandbox gives
// it with every 5xx status it injects.
func aivenServerError(w http.ResponseWriter, status int) {
	aivenError(w, status, "An error occurred. Please try again later.", "")
}
