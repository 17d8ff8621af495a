package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// The Aiven API's user, projects and organizations (see aiven.go). The
// fields are those of codegen's UserInfoOut, ProjectOut,
// UserOrganizationsList and OrganizationProjectsList answers; /v1/me's are
// also those of the sample answer in MST's docs (timescale/docs
// mst/restapi.md: auth, create_time, features, invitations,
// project_membership, project_memberships, projects, real_name, state,
// user, user_id). "Organization does not exist" and "Not an organization
// member" are the sandbox's own texts, in the style of "Project does not
// exist" and "Not a project member".

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

func (world *World) projectJSON(p *Project) map[string]any {
	org, account := world.orgOf(p), ""
	if org != "" {
		account = accountID(org)
	}
	return map[string]any{
		"account_id":         account,
		"billing_address":    "",
		"billing_emails":     []any{},
		"billing_group_id":   "",
		"billing_group_name": "",
		"country":            "",
		"country_code":       "",
		"default_cloud":      p.DefaultCloud,
		"estimated_balance":  "0.00",
		"features":           map[string]any{},
		"organization_id":    org,
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
		projects = append(projects, q.world.projectJSON(p))
		membership[p.Name] = "admin"
		memberships[p.Name] = []string{"admin"}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{
		"project_membership": membership, "project_memberships": memberships, "projects": projects,
	})
}

// orgOf is the organization of a project as the API shows it: none for a
// Managed Service for TimescaleDB project under variant mst-organizations'
// "none".
func (world *World) orgOf(p *Project) string {
	if p.Platform == MSTPlatform && world.variant(VariantMSTOrganizations) == "none" {
		return ""
	}
	return p.OrganizationID
}

// userOrgs are the organizations of the user's projects, sorted by id.
func (world *World) userOrgs(u *AivenUser) []*AivenOrg {
	var out []*AivenOrg
	for _, p := range world.userProjects(u) {
		if o := world.Aiven.Organizations[world.orgOf(p)]; o != nil && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	// A member with permissions in an organization belongs to it even
	// without a project there.
	for id := range u.OrgPermissions {
		if o := world.Aiven.Organizations[id]; o != nil && !slices.Contains(out, o) {
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
		if q.world.orgOf(p) != orgID {
			continue
		}
		projects = append(projects, map[string]any{
			"account_id": accountID(orgID), "billing_group_id": "", "end_of_life_extension": map[string]any{},
			"parent_id": orgID, "project_id": p.Name, "tags": map[string]string{}, "tech_emails": []any{},
		})
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"projects": projects, "total_project_count": len(projects)})
}

// permProjectsWrite is what Aiven's spec requires to read a project's CA.
const permProjectsWrite = "organization:projects:write"

// aivenProjectCA is GET /v1/project/{project}/kms/ca → {"certificate":
// PEM}, the project's CA that signs its services' certificates
// (go-client-codegen v0.238.0 handler/project ProjectKmsGetCA, "retrieve
// project CA certificate", which returns the certificate field; avn
// project ca-get writes it to a file). The spec's "Required roles or
// permissions: organization:projects:write" (same method's comment) is
// enforced for projects of an organization: a user holding only
// narrower organization permissions gets 403, in the shape and words of
// org()'s refusals (the text is the sandbox's own). In the emulated
// network, the project's services present leaves of this CA (netsim.go).
func (s *Server) aivenProjectCA(q *aivenRequest) {
	p := q.project()
	if p == nil {
		return
	}
	if p.OrganizationID != "" && !q.world.orgAllows(q.user, p.OrganizationID, permProjectsWrite) {
		aivenError(q.w, http.StatusForbidden,
			fmt.Sprintf("Permission denied: %s is required on organization %s", permProjectsWrite, p.OrganizationID), "")
		return
	}
	pca, err := s.ca.projectCA(p.Name)
	if err != nil {
		aivenFault(q.w, http.StatusInternalServerError)
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"certificate": string(pca.CertPEM())})
}
