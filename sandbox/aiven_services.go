package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Aiven services and their connection information, as go-client-codegen
// v0.238.0's ServiceList and ServiceGet read them (GET
// /v1/project/{project}/service → {"services": [...]}, GET
// /v1/project/{project}/service/{service_name} → {"service": {...}}): the
// fields of its ServiceOut that say how to reach a service — components
// (component, host, port, route, usage, ssl), project_vpc_id and
// user_config's ip_filter and public_access.
//
// A service in a project VPC has one "dynamic" route, reachable only from
// inside the VPC and the networks peered with it, and with public_access
// enabled a "public" one too; "IP Allow-List applies to all connection
// types" (aiven-docs docs/platform/howto/public-access-in-vpc.md). Host
// names are <SERVICE>-<PROJECT>.<…>.aivencloud.com (aiven-docs
// docs/platform/reference/service-ip-address.md); the "public-" prefix of
// the public route's name and the port are the sandbox's own choices. The
// addresses behind the names are the DNS server's (netsim.go).

// AivenService is a service of a project.
type AivenService struct {
	Name  string `json:"service_name"`
	Type  string `json:"service_type"`
	Plan  string `json:"plan"`
	Cloud string `json:"cloud_name"`
	State string `json:"state"`
	// VPCID is the project VPC the service runs in ("" for none).
	VPCID string `json:"project_vpc_id,omitempty"`
	Port  int    `json:"port"`
	// PublicAccess is user_config.public_access.<type>.
	PublicAccess bool `json:"public_access,omitempty"`
	// IPFilter is user_config.ip_filter.
	IPFilter []string `json:"ip_filter"`
	// PrivateIP is the address in the VPC behind the dynamic route,
	// PublicIP the one behind the public route (or the dynamic route of
	// a service outside any VPC).
	PrivateIP string `json:"private_ip,omitempty"`
	PublicIP  string `json:"public_ip,omitempty"`
	// Closed: nothing listens on the port (a service powered off,
	// rebuilding, or a wrong port in a client's configuration).
	Closed bool `json:"closed,omitempty"`
	// Presents is what answers TLS at the service's addresses (netsim.go):
	// "" is the service itself, with a certificate of its project's CA;
	// the others are emulated situations (PresentsSelfSigned, ...).
	Presents   string    `json:"presents,omitempty"`
	CreateTime time.Time `json:"create_time"`
}

// What answers TLS at a service's address, when it is not the service
// with its own certificate. A real service's certificate is always of
// its project's CA and names it; these are what a client sees when
// something else takes the connection.
const (
	// PresentsSelfSigned: a certificate no CA signed, for the service's
	// name, as a TLS-intercepting middlebox or another server presents.
	PresentsSelfSigned = "self-signed"
	// PresentsOtherName: a certificate of the project's CA for another
	// host name (the address leads to another of the project's services,
	// as after a stale DNS answer or hosts-file entry).
	PresentsOtherName = "other-name"
	// PresentsExpired: the service's own certificate, expired.
	PresentsExpired = "expired"
)

// Route names of a component (codegen's RouteType).
const (
	routeDynamic = "dynamic"
	routePublic  = "public"
)

// hostOf is the service's host name on a route.
func (sv *AivenService) hostOf(project, route string) string {
	h := sv.Name + "-" + project + ".a.aivencloud.com"
	if route == routePublic {
		h = "public-" + h
	}
	return strings.ToLower(h)
}

// routes are the service's routes.
func (sv *AivenService) routes() []string {
	if sv.VPCID != "" && sv.PublicAccess {
		return []string{routeDynamic, routePublic}
	}
	return []string{routeDynamic}
}

// serviceJSON is a service as the API answers it.
func serviceJSON(project string, sv *AivenService) map[string]any {
	var comps []map[string]any
	for _, r := range sv.routes() {
		comps = append(comps, map[string]any{"component": sv.Type, "host": sv.hostOf(project, r), "port": sv.Port,
			"route": r, "usage": "primary", "ssl": true})
	}
	var vpc any
	if sv.VPCID != "" {
		vpc = sv.VPCID
	}
	filter := make([]map[string]any, 0, len(sv.IPFilter))
	for _, f := range sv.IPFilter {
		// ip_filter entries are objects with a network (and an optional
		// description) in current user_config schemas; codegen keeps
		// user_config as map[string]any, so clients read either form.
		filter = append(filter, map[string]any{"network": f})
	}
	uc := map[string]any{"ip_filter": filter}
	if sv.PublicAccess {
		uc["public_access"] = map[string]any{sv.Type: true}
	}
	return map[string]any{
		"service_name": sv.Name, "service_type": sv.Type, "plan": sv.Plan, "cloud_name": sv.Cloud, "state": sv.State,
		"project_vpc_id": vpc, "components": comps, "user_config": uc,
		"service_uri": fmt.Sprintf("postgres://avnadmin@%s:%d/defaultdb?sslmode=require", sv.hostOf(project, routeDynamic), sv.Port),
		"create_time": aivenTime(sv.CreateTime), "update_time": aivenTime(sv.CreateTime),
		"node_count":               1,
		"service_type_description": "PostgreSQL - Object-Relational Database Management System",
	}
}

func (s *Server) aivenServiceList(q *aivenRequest) {
	p := q.project()
	if p == nil {
		return
	}
	out := mapped(p.Services, func(sv *AivenService) map[string]any { return serviceJSON(p.Name, sv) })
	writeJSON(q.w, http.StatusOK, map[string]any{"services": out})
}

func (s *Server) aivenServiceGet(q *aivenRequest) {
	p := q.project()
	if p == nil {
		return
	}
	sv := find(slices.Values(p.Services), func(sv *AivenService) bool { return sv.Name == q.params[1] })
	// No public source: the sandbox's own, in the style of "Project does
	// not exist" (aiven.go), without error_code.
	if sv = orNotFound(q, sv, "Service does not exist", ""); sv != nil {
		writeJSON(q.w, http.StatusOK, map[string]any{"service": serviceJSON(p.Name, sv)})
	}
}

// addService adds a PostgreSQL service to a project; a VPC service gets
// the address index of the VPC's CIDR (10.30.0.0/24 → 10.30.0.<index>).
func (world *World) addService(now time.Time, p *Project, name, vpcID string, index int, port int) *AivenService {
	sv := &AivenService{Name: name, Type: "pg", Plan: "startup-4", Cloud: p.DefaultCloud, State: "RUNNING", VPCID: vpcID,
		Port: port, IPFilter: []string{"0.0.0.0/0"}, CreateTime: now,
		// Documentation addresses (RFC 5737) stand for the public ones.
		PublicIP: fmt.Sprintf("203.0.113.%d", index)}
	if v := world.serviceVPC(p, vpcID); v != nil {
		base := strings.SplitN(v.NetworkCIDR, "/", 2)[0]
		octets := strings.Split(base, ".")
		if len(octets) == 4 {
			sv.PrivateIP = fmt.Sprintf("%s.%s.%s.%d", octets[0], octets[1], octets[2], index)
		}
	}
	p.Services = append(p.Services, sv)
	return sv
}

// defaultServices gives the default scenario's tsdb-staging project a few
// services in its VPC: one any peered network reaches, one whose
// allow-list lacks the networks azpeer peers, one with public access too,
// one whose port is closed, one whose address answers with a certificate
// no CA signed and one with another service's certificate; and tsdb-prod
// one in its VPC (peered with rg-prod/prod-vnet) and one outside it.
func (world *World) defaultServices(now time.Time) {
	staging := world.project("tsdb-staging")
	if staging != nil && len(staging.VPCs) > 0 {
		vpc := staging.VPCs[0].ID
		world.addService(now, staging, "pg-orders", vpc, 10, 13041)
		locked := world.addService(now, staging, "pg-billing", vpc, 11, 13042)
		locked.IPFilter = []string{"10.30.0.0/24", "192.168.50.0/24"}
		pub := world.addService(now, staging, "pg-reports", vpc, 12, 13043)
		pub.PublicAccess = true
		closed := world.addService(now, staging, "pg-archive", vpc, 13, 13044)
		closed.State, closed.Closed = "POWEROFF", true
		world.addService(now, staging, "pg-intercepted", vpc, 14, 13047).Presents = PresentsSelfSigned
		world.addService(now, staging, "pg-misrouted", vpc, 15, 13048).Presents = PresentsOtherName
	}
	if prod := world.project("tsdb-prod"); prod != nil && len(prod.VPCs) > 0 {
		world.addService(now, prod, "pg-prod", prod.VPCs[0].ID, 10, 13046)
		world.addService(now, prod, "pg-public", "", 20, 13045)
	}
}
