package sandbox_test

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// GET /v1/project/{project}/kms/ca through codegen's ProjectKmsGetCA: each
// project has its own CA, the same after a restart with --state-dir; a
// user without organization:projects:write, or outside the project, is
// refused; an unknown project is not found.
func TestAivenProjectCA(t *testing.T) {
	dir := t.TempDir()
	first := sandboxtest.Start(t, sandbox.Options{StateDir: dir})
	before, err := aivenClient(t, first, first.Credentials().AivenToken).ProjectKmsGetCA(ctx(t), "tsdb-prod")
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	s := sandboxtest.Start(t, sandbox.Options{StateDir: dir})
	c := aivenClient(t, s, s.Credentials().AivenToken)
	if after, err := c.ProjectKmsGetCA(ctx(t), "tsdb-prod"); err != nil || after != before {
		t.Errorf("tsdb-prod's CA after a restart: %v; the same: %t", err, after == before)
	}
	if b, _ := pem.Decode([]byte(before)); b == nil {
		t.Errorf("not PEM: %q", before)
	} else if cert, err := x509.ParseCertificate(b.Bytes); err != nil || !cert.IsCA || !strings.Contains(cert.Subject.CommonName, "tsdb-prod") {
		t.Errorf("tsdb-prod's CA: %v, %+v", err, cert)
	}
	tests := []struct {
		name, project string
		orgPerms      []string
		want          string // "" for a CA other than tsdb-prod's
	}{
		{"another project", "tsdb-staging", []string{"admin"}, ""},
		{"without organization:projects:write", "tsdb-prod", []string{"organization:networking:read"}, "organization:projects:write"},
		{"with organization:projects:write", "tsdb-prod", []string{"organization:projects:write"}, "same"},
		{"an unknown project", "nope", []string{"admin"}, "Project does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !s.SetOrgPermissions(sandbox.AivenOrganizationID, tt.orgPerms) {
				t.Fatal("SetOrgPermissions")
			}
			got, err := c.ProjectKmsGetCA(ctx(t), tt.project)
			switch tt.want {
			case "":
				if err != nil || got == before || !strings.Contains(got, "BEGIN CERTIFICATE") {
					t.Errorf("%v; the same as tsdb-prod's: %t", err, got == before)
				}
			case "same":
				if err != nil || got != before {
					t.Errorf("%v; the same as before: %t", err, got == before)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%v, want an error naming %q", err, tt.want)
				}
			}
		})
	}
}
