package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

func orgRef(vnet, rg string) connRef {
	return connRef{Org: sandbox.AivenOrganizationID, VPCID: sandbox.OrgVPCID,
		Key: peering.Key{PeerCloudAccount: sandbox.UserSubscriptionID, PeerResourceGroup: rg, PeerVPC: vnet}}
}

// The projects screen lists the organization beside the projects, and a
// project whose services use its VPC says so; its project screen shows the
// organization VPC, marked, with the projects using it.
func TestOrganizationVPCShown(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{NoAutoRefresh: true}, 160, 40)
	d.loaded()
	scr := d.screen()
	if l := lineWith(scr, "ORG "+sandbox.AivenOrganizationID); !strings.Contains(l, "azure-westeurope") || !strings.Contains(l, "organization VPCs") {
		t.Errorf("organization row = %q\n%s", l, scr)
	}
	if l := lineWith(scr, "orders-staging"); !strings.Contains(l, "uses ORG VPC "+sandbox.OrgVPCName) {
		t.Errorf("orders-staging row = %q, want it to name the organization VPC it uses", l)
	}
	if l := lineWith(scr, "tsdb-staging"); strings.Contains(l, "ORG VPC") {
		t.Errorf("tsdb-staging row = %q: its services use no organization VPC", l)
	}
	// enter on the organization opens its VPCs.
	ps := onTop[*projectsScreen](t, d, "load")
	if !ps.t.selectID(orgPrefix + sandbox.AivenOrganizationID) {
		t.Fatal("no organization row")
	}
	d.press("enter")
	os := onTop[*projectScreen](t, d, "enter on the organization")
	if !os.org {
		t.Fatal("enter opened a project screen, not the organization's")
	}
	d.untilScreen("org "+sandbox.AivenOrganizationID, "ORG VPC "+sandbox.OrgVPCID[:8], "used by orders, orders-staging", "prod-vnet", "app-vnet-old")
}

// From the dashboard: a project using the organization VPC peers it with
// a VNet through the wizard to ACTIVE, and the failed organization
// peering is diagnosed.
func TestOrganizationVPCFromDashboard(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{Project: sandbox.OrgVPCProject, FastPoll: 20 * time.Millisecond, SlowPoll: 200 * time.Millisecond}, 140, 40)
	w := wizardTo(t, d, "app-vnet")
	if tg := w.target(); tg.Organization != sandbox.AivenOrganizationID || tg.Project != "" || tg.VPCID != sandbox.OrgVPCID {
		t.Fatalf("wizard target = %+v, want the organization VPC", tg)
	}
	wantShown(t, "review", d.screen(), "organization "+sandbox.AivenOrganizationID+" / organization VPC "+sandbox.OrgVPCID,
		"azpeer-"+sandbox.AivenOrganizationID+"-app-vnet")
	createAndRunAll(t, d)
	if l := lineWith(d.screen(), "Aiven  "); !strings.Contains(l, "ACTIVE") {
		t.Errorf("Aiven state line = %q, want ACTIVE", l)
	}
	d.press("esc")
	d.untilScreen("projects › "+sandbox.OrgVPCProject, "ORG VPC", "● ACTIVE", "app-vnet")

	_, ds := diagnoseFromProject(t, d, orgRef("app-vnet-old", "rg-app"))
	if ids := findingIDs(ds); len(ids) == 0 || ids[0] != peering.RuleVNetMissing {
		t.Errorf("findings %v, want %s first", ids, peering.RuleVNetMissing)
	}
	wantShown(t, "diagnosis", d.screen(), "org:"+sandbox.AivenOrganizationID, "✗ INVALID_SPECIFICATION", "vnet-missing")
}
