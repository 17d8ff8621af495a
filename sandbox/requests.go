package sandbox

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Request counts: how many requests each emulated API answered, by method,
// route template and status, since the server started or the counts were
// last reset. Tests use them to see what a client really sent (how many
// polls, which retries, whether it ever called an endpoint), which no
// answer body tells.
//
// Every request to an emulated API is counted exactly once, by ServeHTTP
// when its answer has been written (injected faults and held answers
// included, with the status the client got); admin endpoints
// (/_sandbox/...) are not counted. The route is a template, never the
// path itself, so counts do not grow with ids:
//
//   - a handler that knows which route it matched names it with
//     setRouteTemplate(r, "/v1/project/{project}/vpcs/{project_vpc_id}");
//     the Aiven API does so from its route table (aivenRoutes), so even a
//     fault injected before the handler runs counts under the route;
//   - otherwise the path is turned into a template by genericTemplate:
//     GUIDs, subscription / resource-group / resource names of ARM paths,
//     the tenant of Entra paths and Graph's key segments become
//     placeholders.
//
// recordRequest is the one counter; only ServeHTTP calls it (a handler
// that called it too would count its request twice).

// RequestCount is how many answers one API gave to one method on one route
// with one status.
type RequestCount struct {
	API    API    `json:"api"`
	Method string `json:"method"`
	Route  string `json:"route"`
	Status int    `json:"status"`
	Count  int    `json:"count"`
}

// RequestCounts are the counts since Since (the server's start or the last
// reset), sorted by API, route, method and status.
type RequestCounts struct {
	Since    time.Time      `json:"since"`
	Total    int            `json:"total"`
	Requests []RequestCount `json:"requests"`
}

// Count sums the counts of an API's method on a route over every status;
// an empty method or route matches any.
func (c RequestCounts) Count(api API, method, route string) int {
	n := 0
	for _, r := range c.Requests {
		if r.API == api && (method == "" || r.Method == method) && (route == "" || r.Route == route) {
			n += r.Count
		}
	}
	return n
}

type requestKey struct {
	api    API
	method string
	route  string
	status int
}

// requestCounter holds the counts; it has its own lock, never the world's.
type requestCounter struct {
	mu     sync.Mutex
	since  time.Time
	counts map[requestKey]int
}

// recordRequest counts one answer of api to method on the route template.
func (s *Server) recordRequest(api API, method, template string, status int) {
	c := &s.requests
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[requestKey]int{}
	}
	c.counts[requestKey{api, method, template, status}]++
}

// Requests returns the request counts since the start or the last
// ResetRequests.
func (s *Server) Requests() RequestCounts {
	c := &s.requests
	c.mu.Lock()
	defer c.mu.Unlock()
	out := RequestCounts{Since: c.since, Requests: make([]RequestCount, 0, len(c.counts))}
	for k, n := range c.counts {
		out.Requests = append(out.Requests, RequestCount{API: k.api, Method: k.method, Route: k.route, Status: k.status, Count: n})
		out.Total += n
	}
	slices.SortFunc(out.Requests, func(a, b RequestCount) int {
		switch {
		case a.API != b.API:
			return strings.Compare(string(a.API), string(b.API))
		case a.Route != b.Route:
			return strings.Compare(a.Route, b.Route)
		case a.Method != b.Method:
			return strings.Compare(a.Method, b.Method)
		}
		return a.Status - b.Status
	})
	return out
}

// ResetRequests sets every count back to zero.
func (s *Server) ResetRequests() {
	c := &s.requests
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = map[requestKey]int{}
	c.since = time.Now()
}

// adminRequests serves GET and DELETE /_sandbox/requests.
func (s *Server) adminRequests(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		s.ResetRequests()
	}
	writeJSON(w, http.StatusOK, s.Requests())
}

// requestTemplate is the route a request counts under: the one its handler
// named, else the Aiven route table's, else genericTemplate's.
func requestTemplate(api API, r *http.Request) string {
	if api == APIAiven {
		if segs, ok := aivenSegments(r); ok {
			if rt, _ := matchAivenRoute(segs); rt != nil {
				return rt.template()
			}
		}
		return "(no such route)"
	}
	return genericTemplate(api, r.URL.Path)
}

// graphKey is a Graph key segment, e.g. servicePrincipals(appId='...').
var graphKey = regexp.MustCompile(`\((\w+)=('[^']*'|[^)]*)\)`)

// genericTemplate turns a path into a route template by replacing what
// names an object with a placeholder:
//
//	ARM    /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{name}/virtualNetworkPeerings/{name}
//	Entra  /{tenant}/oauth2/v2.0/token
//	Graph  /v1.0/servicePrincipals(appId='{appId}'), /v1.0/applications/{id}
//
// Other segments that are GUIDs become {id}.
func genericTemplate(api API, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	afterProviders := -1 // index of the namespace after "providers"
	for i, seg := range segs {
		low := strings.ToLower(seg)
		switch {
		case api == APIEntra && i == 0:
			segs[i] = "{tenant}"
		case api == APIARM && i > 0 && strings.EqualFold(segs[i-1], "subscriptions"):
			segs[i] = "{subscriptionId}"
		case api == APIARM && i > 0 && strings.EqualFold(segs[i-1], "resourceGroups"):
			segs[i] = "{resourceGroupName}"
		case api == APIARM && low == "providers":
			afterProviders = i + 1
		case api == APIARM && afterProviders >= 0 && i > afterProviders && (i-afterProviders)%2 == 0:
			// providers/{namespace}/{type}/{name}/{type}/{name}...
			segs[i] = "{name}"
		case api == APIGraph && graphKey.MatchString(seg):
			segs[i] = graphKey.ReplaceAllString(seg, "($1='{$1}')")
		case isGUIDLike(seg):
			segs[i] = "{id}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

func isGUIDLike(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
