package peering

import (
	"fmt"
	"regexp"
)

// ParentKind says what owns an Aiven VPC.
type ParentKind string

// A VPC belongs to a project or, shared by its projects, to an
// organization (Aiven's organization VPCs: go-client-codegen's
// organizationvpc handler, avn's `organization vpc` commands).
const (
	ParentProject      ParentKind = "project"
	ParentOrganization ParentKind = "organization"
)

// Parent is a VPC's owner: a project by name or an organization by id.
// Everything the runbook asks Aiven about a VPC names its parent, so one
// step table serves both kinds.
type Parent struct {
	Kind ParentKind `json:"kind"`
	ID   string     `json:"id"`
}

// ProjectParent is a project VPC's parent.
func ProjectParent(name string) Parent { return Parent{Kind: ParentProject, ID: name} }

// OrganizationParent is an organization VPC's parent.
func OrganizationParent(id string) Parent { return Parent{Kind: ParentOrganization, ID: id} }

// IsOrganization reports whether the parent is an organization.
func (p Parent) IsOrganization() bool { return p.Kind == ParentOrganization }

// String is "project NAME" or "organization ID".
func (p Parent) String() string {
	if p.IsOrganization() {
		return "organization " + p.ID
	}
	return "project " + p.ID
}

// Flag is the command-line flag naming the parent, with its value.
func (p Parent) Flag() string {
	if p.IsOrganization() {
		return "--organization " + p.ID
	}
	return "--project " + p.ID
}

// VPCNoun is how messages name the parent's VPCs.
func (p Parent) VPCNoun() string {
	if p.IsOrganization() {
		return "organization VPC"
	}
	return "project VPC"
}

// orgIDRE is an Aiven organization id: "org" and lower-case hex or
// alphanumerics (e.g. org4f9a0b2c1d3; the console and codegen's examples).
var orgIDRE = regexp.MustCompile(`^org[0-9a-z]{4,60}$`)

// validateOrganization checks an organization id the user gave.
func validateOrganization(id string) error {
	if !orgIDRE.MatchString(id) {
		return &ValidationError{Field: "organization", Problem: fmt.Sprintf("%s is not an Aiven organization id", quoteShort(id)),
			Fix: "organization ids look like org4f9a0b2c1d3 (azpeer list shows them beside their VPCs)"}
	}
	return nil
}
