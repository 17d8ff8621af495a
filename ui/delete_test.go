package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// sidesLeft says which sides of the peering of VPC vpcID with the VNet
// rg/vnet (its Azure side named azureName) still exist, read through the
// adapters.
func sidesLeft(t *testing.T, e *testEnv, p peering.Parent, vpcID, rg, vnet, azureName string) (aiven, azure bool) {
	t.Helper()
	ctx := context.Background()
	v, err := e.deps.Aiven.VPC(ctx, p, vpcID)
	if err != nil {
		t.Fatalf("read the VPC: %v", err)
	}
	for _, c := range v.Peerings {
		if strings.EqualFold(c.PeerResourceGroup, rg) && strings.EqualFold(c.PeerVPC, vnet) && c.State != peering.StateDeleted {
			aiven = true
		}
	}
	n, err := e.deps.Network.VNet(ctx, "/subscriptions/"+sandbox.UserSubscriptionID+"/resourceGroups/"+rg+"/providers/Microsoft.Network/virtualNetworks/"+vnet)
	if err != nil {
		t.Fatalf("read the VNet: %v", err)
	}
	for _, pr := range n.Peerings {
		azure = azure || strings.EqualFold(pr.Name, azureName)
	}
	return aiven, azure
}

// deleted waits for key's running delete to end, and fails the test when
// it failed.
func deleted(t *testing.T, d *driver, key string) *deleteState {
	t.Helper()
	ds := d.m.deletes[key]
	d.until("the delete to finish", func() bool { return !ds.running && (ds.done || ds.err != nil) })
	if ds.err != nil {
		t.Fatalf("delete: %v\n%s", ds.err, d.screen())
	}
	return ds
}

// A peering azpeer created is deleted from its checklist after a yes: the
// question lists what goes, n keeps everything (and lets the run go), and
// y removes both sides and the record while the screen shows the progress.
func TestDeleteWhatAzpeerCreated(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{Project: "tsdb-staging", FastPoll: 20 * time.Millisecond, SlowPoll: 200 * time.Millisecond}, 140, 50)
	w := wizardTo(t, d, "app-vnet")
	tg := w.target()
	_, rs := createAndRunAll(t, d)
	azureName := rs.rec.Outputs[peering.OutAzurePeeringName]

	d.press("X")
	untilOnTop[*deleteScreen](d, "X on the checklist")
	d.until("the question", func() bool { return d.confirming() == "delete peering?" })
	wantShown(t, "question", d.screen(), "- Azure peering "+azureName+", created by azpeer", "- Aiven peering connection, created by azpeer", "- app azpeer-tsdb-staging-app-vnet")
	d.press("n")
	d.until("the run to be let go", func() bool { ds := d.m.deletes[tg.Key()]; return ds.run == nil && !ds.releasing })
	if a, z := sidesLeft(t, e, tg.Parent(), tg.VPCID, "rg-app", "app-vnet", azureName); !a || !z {
		t.Fatalf("after n: Aiven side %v, Azure side %v; want both kept", a, z)
	}
	// The lock is free again: another process could open the run.
	if r, err := e.deps.Runbook.Open(tg, peering.Options{}); err != nil {
		t.Fatalf("after n the run is still locked: %v", err)
	} else if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	d.press("X")
	d.until("the question again", func() bool { return d.confirming() == "delete peering?" })
	d.press("y")
	deleted(t, d, tg.Key())
	d.untilScreen("deleted in", "Progress", "deleted the Azure peering", "deleted the app azpeer-tsdb-staging-app-vnet")
	if a, z := sidesLeft(t, e, tg.Parent(), tg.VPCID, "rg-app", "app-vnet", azureName); a || z {
		t.Errorf("after the delete: Aiven side %v, Azure side %v; want neither", a, z)
	}
	if rec, err := e.deps.Runbook.Store.Load(tg); err != nil || rec != nil {
		t.Errorf("record after the delete: %v, %v; want none", rec, err)
	}
}

// A peering azpeer has no record of is deleted only after its name is
// typed: a wrong name deletes nothing and says so, esc deletes nothing,
// the right name removes both sides. Read-only mode refuses at once.
func TestDeleteWhatAzpeerDidNotCreate(t *testing.T) {
	t.Run("read-only", func(t *testing.T) {
		e := newTestEnv(t, envOptions{})
		d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true, ReadOnly: true}, 140, 50)
		openDetail(t, d, "prod-vnet")
		d.press("X")
		onTop[*detailScreen](t, d, "X in read-only mode")
		if !strings.Contains(d.m.status, "read-only") {
			t.Errorf("status %q, want the read-only refusal", d.m.status)
		}
	})
	t.Run("Azure unreadable", func(t *testing.T) {
		// What exists cannot be read whole: nothing is asked, nothing goes.
		e := newTestEnv(t, envOptions{})
		e.deps.Runbook.StepDeadline = time.Second // reads give up within it, not after 45 s
		d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 140, 50)
		openDetail(t, d, "prod-vnet")
		e.s.SetFaults(sandbox.APIARM, sandbox.FaultConfig{Rate5xx: 1})
		d.press("X")
		ds := untilOnTop[*deleteScreen](d, "X")
		d.until("the plan", func() bool { return !d.m.deletes[ds.tkey].planning })
		e.s.SetFaults(sandbox.APIARM, sandbox.FaultConfig{})
		if d.m.overlay != nil {
			t.Errorf("a half-read peering was offered for deletion (%T)", d.m.overlay)
		}
		wantShown(t, "delete screen", d.screen(), "cannot delete both sides safely", "could not check")
		if a, z := sidesLeft(t, e, prodRef("prod-vnet").target().Parent(), prodVPC, "rg-prod", "prod-vnet", "to-aiven-tsdb-prod"); !a || !z {
			t.Errorf("Aiven side %v, Azure side %v; want both kept", a, z)
		}
	})
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 140, 50)
	openDetail(t, d, "prod-vnet")
	ref := prodRef("prod-vnet")
	key := ref.target().Key()
	ask := func() *deleteNameOverlay {
		t.Helper()
		d.press("X")
		d.until("the typed-name question", func() bool { _, ok := d.m.overlay.(*deleteNameOverlay); return ok })
		return d.m.overlay.(*deleteNameOverlay)
	}
	o := ask()
	// prod-vnet is peered with the project's VPC and the organization's:
	// the question says which Azure peering it takes for Aiven's, and why.
	wantShown(t, "question", d.screen(), "azpeer did not create this peering", "Aiven connection ACTIVE", "Azure peering to-aiven-tsdb-prod",
		"of the VNet's 2 peerings into other", "Type rg-prod/prod-vnet")
	d.typeText("rg-prod/other-vnet")
	d.press("enter")
	if d.m.overlay != o || !strings.Contains(d.screen(), "that is not rg-prod/prod-vnet") {
		t.Fatalf("a wrong name: overlay %T, screen:\n%s", d.m.overlay, d.screen())
	}
	d.press("esc")
	if d.m.deletes[key].running {
		t.Fatal("esc started the delete")
	}
	if a, z := sidesLeft(t, e, ref.target().Parent(), prodVPC, "rg-prod", "prod-vnet", "to-aiven-tsdb-prod"); !a || !z {
		t.Fatalf("after esc: Aiven side %v, Azure side %v; want both kept", a, z)
	}

	untilOnTop[*deleteScreen](d, "the delete screen")
	d.until("the run to be let go", func() bool { ds := d.m.deletes[key]; return ds.run == nil && !ds.releasing })
	ask()
	d.typeText("RG-PROD/prod-vnet") // names are matched as Azure does, ignoring case
	d.press("enter")
	deleted(t, d, key)
	if a, z := sidesLeft(t, e, ref.target().Parent(), prodVPC, "rg-prod", "prod-vnet", "to-aiven-tsdb-prod"); a || z {
		t.Errorf("after the delete: Aiven side %v, Azure side %v; want neither", a, z)
	}
	wantShown(t, "delete screen", d.screen(), "deleted in", "adopted what exists")
}

// An organization VPC's peering made from the dashboard is deleted the
// same way, by its connection id on Aiven's side.
func TestDeleteOrganizationPeering(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{Project: sandbox.OrgVPCProject, FastPoll: 20 * time.Millisecond, SlowPoll: 200 * time.Millisecond}, 140, 50)
	tg := wizardTo(t, d, "app-vnet").target()
	_, rs := createAndRunAll(t, d)
	azureName := rs.rec.Outputs[peering.OutAzurePeeringName]
	d.press("X")
	d.until("the question", func() bool { return d.confirming() == "delete peering?" })
	d.press("y")
	deleted(t, d, tg.Key())
	if a, z := sidesLeft(t, e, tg.Parent(), tg.VPCID, "rg-app", "app-vnet", azureName); a || z {
		t.Errorf("after the delete: Aiven side %v, Azure side %v; want neither", a, z)
	}
}

// Quitting while a delete reads its plan (or before its command ran)
// leaves the peering's run closed: another azpeer can open it at once.
func TestQuitWhileADeletePlans(t *testing.T) {
	for _, tc := range []struct {
		name string
		// planStarts processes messages until the plan's command runs.
		planStarts bool
	}{{"before the plan's command ran", false}, {"while the plan is read", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, envOptions{})
			d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 140, 50)
			openDetail(t, d, "prod-vnet")
			// Aiven answers slowly, so the plan is still being read.
			e.s.SetFaults(sandbox.APIAiven, sandbox.FaultConfig{Latency: 300 * time.Millisecond})
			d.press("X")
			ds := d.m.deletes[prodRef("prod-vnet").target().Key()]
			if tc.planStarts {
				d.until("the plan's command to start", func() bool { return ds.job.started() })
			}
			if err := d.m.CloseRuns(); err != nil {
				t.Fatal(err)
			}
			r, err := e.deps.Runbook.Open(prodRef("prod-vnet").target(), peering.Options{})
			if err != nil {
				t.Fatalf("after quitting, the run is still held: %v", err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
