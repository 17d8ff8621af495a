package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Admin endpoints, for tests and demos. Every one of them needs the
// Authorization header of an Aiven user with Admin set (the scenario's user
// is one): `Authorization: aivenv1 <AIVEN_TOKEN>`. Without a valid token
// they answer 401, for a user who is not an admin 403.
//
//	GET  /_sandbox/state
//	     The whole world as JSON (the --state-dir format). Secrets appear
//	     only as SHA-256 hashes.
//	GET  /_sandbox/faults
//	PUT  /_sandbox/faults
//	     Fault injection per API ("entra", "graph", "arm", "aiven"):
//	     {"arm": {"latency": "200ms", "rate_429": 0.1, "rate_5xx": 0.05, "retry_after": "1s"}}.
//	     ARM also takes "rate_busy" and "rate_referenced_not_provisioned":
//	     fractions of peering writes that find another operation running
//	     (AnotherOperationInProgress, as variant azure-busy says) or the
//	     remote network Updating (ReferencedResourceNotProvisioned).
//	     "response_delay": "2s" handles each mutation (any method but GET
//	     and HEAD; reads too with "response_delay_reads": true) in full and
//	     then holds its whole answer back that long, so a client with a
//	     shorter deadline never learns that the cloud acted.
//	     PUT replaces the configuration of the APIs it names and leaves the
//	     others; it answers with the configuration of every API.
//	GET  /_sandbox/clock
//	PUT  /_sandbox/clock
//	     {"speed": 20, "now": "<simulated time>"}; PUT {"speed": F} changes
//	     how fast simulated time runs (0 = every delay instant) without a
//	     jump in simulated time. "now" is read-only.
//	GET  /_sandbox/variants
//	PUT  /_sandbox/variants
//	     Where no public source settles a behaviour, the plausible answers
//	     (with their evidence) and the current one: GET lists them; PUT
//	     {"aiven-duplicate-create": "existing"} changes the ones it names.
//	POST /_sandbox/projects/{project}/fault
//	     {"status": 503} makes every VPC call of an Aiven project fail with
//	     that status; {"status": 0} clears it. For partial-failure tests.
//	GET    /_sandbox/requests
//	DELETE /_sandbox/requests
//	     How many requests each emulated API answered since the start (or
//	     the last DELETE, which resets the counts), by method, route
//	     template and status: {"since": "<time>", "total": 12, "requests":
//	     [{"api": "aiven", "method": "GET", "route":
//	     "/v1/project/{project}/vpcs/{project_vpc_id}", "status": 200,
//	     "count": 3}, ...]}, sorted by api, route, method, status. Aiven
//	     routes are those of Aiven's API reference; other APIs' are the path
//	     with names and ids as placeholders (see requests.go). The admin
//	     endpoints themselves are not counted.
//	POST /_sandbox/devicecode/approve
//	     {"user_code": "ABCD12345", "user": "admin@contoso.onmicrosoft.com"}
//	     answers a device-code sign-in as that user (UPN or object id),
//	     as the person would on the verification_uri page (/devicelogin).
//	POST /_sandbox/devicecode/deny
//	     {"user_code": "ABCD12345"} refuses it. 404 for a code that is
//	     unknown, expired or answered, or a user who may not answer it.
//	POST /_sandbox/aiven/revoke-token
//	     {"token": "<Aiven API token>"} revokes that token (any user's, the
//	     admin's own included), as its user would in Aiven's console: from
//	     then on it answers like an unknown token. 404 when no valid token
//	     matches.
//	POST /_sandbox/vnets/address-space
//	     {"vnet_id": "/subscriptions/.../virtualNetworks/NAME",
//	     "address_prefixes": ["10.2.0.0/16", "10.3.0.0/16"]} changes a
//	     network's address space as its owner would in the portal (a PUT
//	     of the network through the API does the same): its peerings and
//	     their remote sides go LocalNotInSync / RemoteNotInSync until
//	     synced (arm_address_space.go). 400 for an unknown network, an
//	     invalid range or one overlapping a peered network.

// adminFault is FaultConfig on the wire, with durations as "1.5s".
type adminFault struct {
	Latency    Duration `json:"latency"`
	Rate429    float64  `json:"rate_429"`
	Rate5xx    float64  `json:"rate_5xx"`
	RetryAfter Duration `json:"retry_after"`
	// RateOperationFailure: fraction of ARM async peering operations that fail.
	RateOperationFailure float64 `json:"rate_operation_failure,omitempty"`
	// ResponseDelay and ResponseDelayReads: see FaultConfig.
	ResponseDelay      Duration `json:"response_delay"`
	ResponseDelayReads bool     `json:"response_delay_reads,omitempty"`
	// RateBusy and RateReferencedNotProvisioned (ARM): see FaultConfig.
	RateBusy                     float64 `json:"rate_busy,omitempty"`
	RateReferencedNotProvisioned float64 `json:"rate_referenced_not_provisioned,omitempty"`
}

func (f adminFault) config() FaultConfig {
	return FaultConfig{Latency: f.Latency.D(), Rate429: f.Rate429, Rate5xx: f.Rate5xx, RetryAfter: f.RetryAfter.D(),
		RateOperationFailure: f.RateOperationFailure, ResponseDelay: f.ResponseDelay.D(), ResponseDelayReads: f.ResponseDelayReads,
		RateBusy: f.RateBusy, RateReferencedNotProvisioned: f.RateReferencedNotProvisioned}
}

func toAdminFault(c FaultConfig) adminFault {
	return adminFault{Latency: Duration(c.Latency), Rate429: c.Rate429, Rate5xx: c.Rate5xx, RetryAfter: Duration(c.RetryAfter),
		RateOperationFailure: c.RateOperationFailure, ResponseDelay: Duration(c.ResponseDelay), ResponseDelayReads: c.ResponseDelayReads,
		RateBusy: c.RateBusy, RateReferencedNotProvisioned: c.RateReferencedNotProvisioned}
}

// validate explains what is wrong with a fault configuration, or returns "".
func (f adminFault) validate(api API) string {
	switch {
	case f.Latency < 0 || f.RetryAfter < 0 || f.ResponseDelay < 0:
		return fmt.Sprintf("%s: latency, retry_after and response_delay must not be negative", api)
	case !isRate(f.Rate429) || !isRate(f.Rate5xx) || !isRate(f.RateOperationFailure) || !isRate(f.RateBusy) || !isRate(f.RateReferencedNotProvisioned):
		return fmt.Sprintf("%s: rate_429, rate_5xx, rate_operation_failure, rate_busy and rate_referenced_not_provisioned are fractions between 0 and 1", api)
	case f.Rate429+f.Rate5xx > 1:
		return fmt.Sprintf("%s: rate_429 + rate_5xx must not exceed 1", api)
	}
	return ""
}

func isRate(f float64) bool { return !math.IsNaN(f) && f >= 0 && f <= 1 }

type adminClock struct {
	Speed float64    `json:"speed"`
	Now   *time.Time `json:"now,omitempty"`
}

// adminRoute is one admin endpoint: its path under /_sandbox/, the methods
// it takes, and its handler.
type adminRoute struct {
	path    string
	methods []string
	serve   func(s *Server, w http.ResponseWriter, r *http.Request)
}

// adminRoutes are the admin endpoints (see the list above), one row each.
var adminRoutes = []adminRoute{
	{"state", []string{http.MethodGet}, func(s *Server, w http.ResponseWriter, _ *http.Request) { s.adminState(w) }},
	{"faults", []string{http.MethodGet, http.MethodPut}, (*Server).adminFaults},
	{"clock", []string{http.MethodGet, http.MethodPut}, (*Server).adminClock},
	{"variants", []string{http.MethodGet, http.MethodPut}, (*Server).adminVariants},
	{"requests", []string{http.MethodGet, http.MethodDelete}, (*Server).adminRequests},
	{"vnets/address-space", []string{http.MethodPost}, (*Server).adminAddressSpace},
	{"devicecode/approve", []string{http.MethodPost}, func(s *Server, w http.ResponseWriter, r *http.Request) { s.adminDeviceCode(w, r, true) }},
	{"devicecode/deny", []string{http.MethodPost}, func(s *Server, w http.ResponseWriter, r *http.Request) { s.adminDeviceCode(w, r, false) }},
	{"aiven/revoke-token", []string{http.MethodPost}, (*Server).adminRevokeToken},
}

// handleAdmin serves /_sandbox/...: a row of adminRoutes, or a project's
// fault (projects/{name}/fault).
func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) {
	if !s.adminAuthorized(w, r) {
		return
	}
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_sandbox/"), "/")
	for _, rt := range adminRoutes {
		if rt.path == path {
			if allowAdmin(w, r, rt.methods...) {
				rt.serve(s, w, r)
			}
			return
		}
	}
	if strings.HasPrefix(path, "projects/") && strings.HasSuffix(path, "/fault") {
		project := strings.TrimSuffix(strings.TrimPrefix(path, "projects/"), "/fault")
		if project != "" && !strings.Contains(project, "/") {
			if allowAdmin(w, r, http.MethodPost) {
				s.adminProjectFault(w, r, project)
			}
			return
		}
	}
	adminError(w, http.StatusNotFound, "no such sandbox endpoint: "+r.URL.Path+" (try /_sandbox/state, /_sandbox/faults, /_sandbox/clock)")
}

// adminAuthorized checks for an Aiven admin's token and answers 401 or 403
// when it is missing or not an admin's.
func (s *Server) adminAuthorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	world, unlock := s.lock()
	u := world.aivenUserByToken(h)
	admin := u != nil && u.Admin
	unlock()
	switch {
	case u == nil:
		w.Header().Set("WWW-Authenticate", `aivenv1 realm="azpeer sandbox"`)
		adminError(w, http.StatusUnauthorized, "the sandbox admin endpoints need 'Authorization: aivenv1 <token>' of an Aiven admin user (AIVEN_TOKEN in the env file)")
		return false
	case !admin:
		adminError(w, http.StatusForbidden, "Aiven user "+u.Email+" is not a sandbox admin")
		return false
	}
	return true
}

func allowAdmin(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	adminError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
	return false
}

func adminError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"message": message, "status": status})
}

func (s *Server) adminState(w http.ResponseWriter) {
	data, err := s.Snapshot()
	if err != nil {
		adminError(w, http.StatusInternalServerError, "snapshot: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

func (s *Server) allFaults() map[API]adminFault {
	out := make(map[API]adminFault, len(APIs))
	for _, api := range APIs {
		out[api] = toAdminFault(s.Faults(api))
	}
	return out
}

func (s *Server) adminFaults(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		var in map[API]adminFault
		if err := decodeJSON(r, &in); err != nil {
			adminError(w, http.StatusBadRequest, "want {\"<api>\": {\"latency\": \"200ms\", \"rate_429\": 0.1, \"rate_5xx\": 0.05, \"retry_after\": \"1s\"}}: "+err.Error())
			return
		}
		for api, f := range in {
			if !slices.Contains(APIs, api) {
				adminError(w, http.StatusBadRequest, fmt.Sprintf("unknown API %q; the sandbox emulates %v", api, APIs))
				return
			}
			if msg := f.validate(api); msg != "" {
				adminError(w, http.StatusBadRequest, msg)
				return
			}
		}
		for api, f := range in {
			s.SetFaults(api, f.config())
		}
	}
	writeJSON(w, http.StatusOK, s.allFaults())
}

func (s *Server) adminClock(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		var in adminClock
		if err := decodeJSON(r, &in); err != nil {
			adminError(w, http.StatusBadRequest, "want {\"speed\": 20}: "+err.Error())
			return
		}
		if math.IsNaN(in.Speed) || math.IsInf(in.Speed, 0) || in.Speed < 0 {
			adminError(w, http.StatusBadRequest, "speed must be a number >= 0 (0 makes every simulated delay instant)")
			return
		}
		s.clock.SetSpeed(in.Speed)
	}
	now := s.clock.Now()
	writeJSON(w, http.StatusOK, adminClock{Speed: s.clock.Speed(), Now: &now})
}

func (s *Server) adminProjectFault(w http.ResponseWriter, r *http.Request, project string) {
	var in struct {
		Status *int `json:"status"`
	}
	if err := decodeJSON(r, &in); err != nil || in.Status == nil {
		adminError(w, http.StatusBadRequest, "want {\"status\": 503} (or 0 to clear)")
		return
	}
	if st := *in.Status; st != 0 && (st < 400 || st > 599) {
		adminError(w, http.StatusBadRequest, "status must be an HTTP error status (400-599), or 0 to clear")
		return
	}
	if !s.SetProjectFault(project, *in.Status) {
		adminError(w, http.StatusNotFound, "no Aiven project "+project)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"project": project, "status": *in.Status})
}

func (s *Server) adminRevokeToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(r, &in); err != nil || in.Token == "" {
		adminError(w, http.StatusBadRequest, "want {\"token\": \"<Aiven API token>\"}")
		return
	}
	if !s.RevokeAivenToken(in.Token) {
		adminError(w, http.StatusNotFound, "no valid Aiven token matches (unknown, or revoked already)")
		return
	}
	// The answer names the token only by its prefix, as Aiven's token list does.
	writeJSON(w, http.StatusOK, map[string]any{"revoked": true, "token_prefix": aivenTokenPrefix(in.Token)})
}
