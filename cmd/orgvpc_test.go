package cmd

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/azpeer/azpeer/sandbox"
)

// An organization VPC, headless: listed with its parent and the projects
// using it, peered to ACTIVE, its INVALID_SPECIFICATION peering diagnosed,
// and the new peering deleted, all on one served sandbox.
func TestOrganizationVPCHeadless(t *testing.T) {
	sv := served(t)
	out, _, err := run(t, "list", "--json")
	if err != nil {
		t.Fatalf("list --json: %v", err)
	}
	var l struct {
		Projects []struct {
			Name string `json:"name"`
			VPCs []struct {
				Parent struct{ Kind, ID string } `json:"parent"`
			} `json:"vpcs"`
		} `json:"projects"`
		Organizations []struct {
			ID   string `json:"id"`
			VPCs []struct {
				ID       string                    `json:"id"`
				Parent   struct{ Kind, ID string } `json:"parent"`
				UsedBy   []string                  `json:"used_by"`
				Peerings []struct {
					PeerVPC string `json:"peer_vpc"`
					State   string `json:"state"`
					ID      string `json:"peering_connection_id"`
				} `json:"peerings"`
			} `json:"vpcs"`
		} `json:"organizations"`
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Organizations) != 1 || len(l.Organizations[0].VPCs) != 1 {
		t.Fatalf("organizations = %+v", l.Organizations)
	}
	ov := l.Organizations[0].VPCs[0]
	if ov.ID != sandbox.OrgVPCID || ov.Parent.Kind != "organization" || ov.Parent.ID != sandbox.AivenOrganizationID ||
		!slices.Equal(ov.UsedBy, []string{"orders", "orders-staging"}) || len(ov.Peerings) != 2 || ov.Peerings[0].ID == "" {
		t.Errorf("organization VPC = %+v", ov)
	}
	for _, p := range l.Projects {
		for _, v := range p.VPCs {
			if v.Parent.Kind != "project" || v.Parent.ID != p.Name {
				t.Errorf("project %s: VPC parent %+v", p.Name, v.Parent)
			}
		}
	}

	target := []string{"--organization", sandbox.AivenOrganizationID, "--vpc", sandbox.OrgVPCID, "--vnet", "rg-app/app-vnet"}
	out, errOut, err := run(t, append([]string{"create"}, target...)...)
	if err != nil {
		t.Fatalf("create on the organization VPC: %v\n%s%s", err, out, errOut)
	}
	out, _, err = run(t, append([]string{"status", "--json"}, target...)...)
	var st struct {
		Aiven struct {
			State string `json:"state"`
		} `json:"aiven"`
	}
	if err != nil || json.Unmarshal([]byte(out), &st) != nil || st.Aiven.State != "ACTIVE" {
		t.Fatalf("status after create: %v, %+v\n%s", err, st, out)
	}

	// Day two: app-vnet grows; the organization peering is synced as a
	// project VPC's is (Aiven's refresh by the organization's path).
	sv.admin(t, http.MethodPost, "/_sandbox/vnets/address-space",
		`{"vnet_id": "`+sandbox.VNetID(sandbox.UserSubscriptionID, "rg-app", "app-vnet")+`", "address_prefixes": ["10.2.0.0/16", "10.4.0.0/16"]}`)
	out, _, err = run(t, append([]string{"doctor"}, target...)...)
	if exitCode(err) != 1 || !strings.Contains(out, "(peering-not-in-sync)") || !strings.Contains(out, "azpeer sync --organization "+sandbox.AivenOrganizationID) {
		t.Fatalf("doctor after the change: %v\n%s", err, out)
	}
	if out, errOut, err := run(t, append([]string{"sync"}, target...)...); err != nil || !strings.Contains(errOut, "in sync (FullyInSync)") {
		t.Fatalf("sync: %v\n%s%s", err, out, errOut)
	}

	// The scenario's failed organization peering, by the short flag.
	out, _, err = run(t, "doctor", "--org", sandbox.AivenOrganizationID, "--vpc", sandbox.OrgVPCID, "--vnet", "rg-app/app-vnet-old")
	if exitCode(err) != 1 || !strings.Contains(out, "INVALID_SPECIFICATION") || !strings.Contains(out, "(vnet-missing)") {
		t.Errorf("doctor on the INVALID_SPECIFICATION organization peering: %v\n%s", err, out)
	}

	// --dry-run says what goes, what stays and the consent, even in
	// read-only mode, and changes nothing.
	out, _, err = run(t, append([]string{"delete", "--dry-run", "--read-only"}, target...)...)
	for _, want := range []string{"would remove", "- Azure peering ", ", created by azpeer", "- Aiven peering connection", "and keep, since it existed before azpeer", "delete asks for a yes"} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("delete --dry-run: %v; lacks %q:\n%s", err, want, out)
		}
	}
	out, _, err = run(t, append([]string{"delete", "--yes"}, target...)...)
	if err != nil || !strings.Contains(out, "deleted the Aiven peering connection") {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	out, _, _ = run(t, "list", "--json")
	l.Organizations = nil
	if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Organizations) != 1 {
		t.Fatalf("list after delete: %v\n%s", err, out)
	}
	for _, pc := range l.Organizations[0].VPCs[0].Peerings {
		if pc.PeerVPC == "app-vnet" {
			t.Errorf("the deleted connection is still listed: %+v", pc)
		}
	}
}

// The parent flags: an error names the flag the user typed.
func TestOrganizationFlags(t *testing.T) {
	cleanEnv(t)
	rest := []string{"--vpc", sandbox.OrgVPCID, "--vnet", "rg-app/app-vnet"}
	for _, tc := range []struct {
		name  string
		args  []string
		wants []string
		not   string
	}{
		{"neither", nil, []string{"--project", "--organization"}, ""},
		{"both project and organization", []string{"--project", "tsdb-staging", "--organization", sandbox.AivenOrganizationID}, []string{"--project tsdb-staging", "--organization " + sandbox.AivenOrganizationID}, "--org "},
		{"both project and org", []string{"--project", "tsdb-staging", "--org", sandbox.AivenOrganizationID}, []string{"--project tsdb-staging", "--org " + sandbox.AivenOrganizationID}, "--organization "},
		{"org and organization", []string{"--org", sandbox.AivenOrganizationID, "--organization", sandbox.AivenOrganizationID}, []string{"--org", "--organization"}, ""},
		{"not an organization id", []string{"--org", "contoso"}, []string{`--org "contoso"`}, "--organization "},
		{"organization id malformed", []string{"--organization", "org!!"}, []string{"--organization"}, ""},
		{"unknown organization VPC", []string{"--organization", sandbox.AivenOrganizationID, "--vpc", "00000000-0000-4000-8000-000000000000"}, []string{"--vpc", "organization " + sandbox.AivenOrganizationID}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"create", "--sandbox", "--sandbox-speed", "0"}, rest...)
			args = append(args, tc.args...)
			_, _, err := run(t, args...)
			if err == nil {
				t.Fatalf("%v: no error", tc.args)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v: %v, want it to name %q", tc.args, err, w)
				}
			}
			if tc.not != "" && strings.Contains(err.Error(), tc.not) {
				t.Errorf("%v: %v names %q, which was not given", tc.args, err, tc.not)
			}
		})
	}
}

// The services of an organization VPC come from its projects; from a VM in
// the VNet peered with it they are reachable.
func TestOrganizationVPCConnectivity(t *testing.T) {
	cleanEnv(t)
	out, _, err := run(t, "doctor", "--connectivity", "--sandbox", "--org", sandbox.AivenOrganizationID, "--vpc", sandbox.OrgVPCID,
		"--vnet", "rg-prod/prod-vnet", "--sandbox-host", "rg-prod/prod-vnet")
	if err != nil {
		t.Fatalf("connectivity: %v\n%s", err, out)
	}
	for _, want := range []string{"services in organization VPC " + sandbox.OrgVPCID, "pg-orders (pg, RUNNING, in the peered VPC, project orders)",
		"pg-orders-staging (pg, RUNNING, in the peered VPC, project orders-staging)", "every service is reachable from here"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
