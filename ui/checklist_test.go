package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// wizardTo walks the wizard from a project screen to the review of a VNet.
func wizardTo(t *testing.T, d *driver, vnetName string) *wizardScreen {
	t.Helper()
	d.loaded()
	d.press("n")
	w := onTop[*wizardScreen](t, d, "n")
	d.press("enter") // the preselected Azure VPC
	d.until("subscriptions", func() bool { return !w.loading })
	d.press("enter") // the default subscription
	d.until("VNets", func() bool { return !w.loading })
	if w.stage != stageVNet {
		t.Fatalf("wizard at stage %d, want the VNet stage:\n%s", w.stage, d.screen())
	}
	for _, vn := range w.vnets {
		if vn.Name == vnetName {
			w.t.selectID(vn.ID)
		}
	}
	d.press("enter")
	if w.stage != stageOptions {
		t.Fatalf("choosing %s did not move on (status %q):\n%s", vnetName, d.m.status, d.screen())
	}
	d.press("enter")
	if w.stage != stageReview {
		t.Fatalf("options did not move on to the review (status %q)", d.m.status)
	}
	return w
}

func TestWizard(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	tests := []struct {
		name    string
		project string
		vnet    string
		want    []string
	}{
		{name: "already lower case", project: "tsdb-staging", vnet: "app-vnet",
			want: []string{"sent to Aiven", "rg-app/app-vnet  (already lower case)", "azpeer-tsdb-staging-app-vnet", "network-contributor"}},
		{name: "names lower-cased", project: "tsdb-prod", vnet: "Legacy-VNet",
			want: []string{"rg-legacy/legacy-vnet", "lower-cased from Rg-Legacy/Legacy-VNet", "azpeer-tsdb-prod-legacy-vnet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, e.deps, Options{Project: tt.project, NoAutoRefresh: true}, 120, 40)
			wizardTo(t, d, tt.vnet)
			scr := d.screen()
			wantShown(t, "review", scr, tt.want...)
			// esc walks back through every stage, then leaves.
			for range 4 {
				d.press("esc")
			}
			onTop[*wizardScreen](t, d, "four esc")
			d.press("esc")
			onTop[*projectScreen](t, d, "esc from the first stage")
		})
	}
}

// An overlapping VNet is marked and cannot be chosen; the reason is shown.
func TestWizardRefusesOverlap(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{Project: "tsdb-staging", NoAutoRefresh: true}, 140, 40)
	d.loaded()
	d.press("n")
	w := d.m.top().(*wizardScreen)
	d.press("enter")
	d.until("subscriptions", func() bool { return !w.loading })
	d.press("enter")
	d.until("VNets", func() bool { return !w.loading })
	scr := d.screen()
	if l := lineWith(scr, "Legacy-VNet"); !strings.Contains(l, "✗") || !strings.Contains(l, "overlaps the VPC's 10.30.0.0/24") {
		t.Errorf("Legacy-VNet row = %q, want it marked as overlapping", l)
	}
	for _, vn := range w.vnets {
		if vn.Name == "Legacy-VNet" {
			w.t.selectID(vn.ID)
		}
	}
	d.press("enter")
	if w.stage != stageVNet {
		t.Fatalf("an overlapping VNet was accepted")
	}
	if !strings.Contains(d.m.status, "overlaps") {
		t.Errorf("status = %q, want the reason", d.m.status)
	}
	// The role option toggles with tab on the options stage.
	for _, vn := range w.vnets {
		if vn.Name == "app-vnet" {
			w.t.selectID(vn.ID)
		}
	}
	d.press("enter", "tab")
	if w.role != peering.RoleLeastPrivilege {
		t.Errorf("tab left the role at %s", w.role)
	}
	d.press("ctrl+u")
	d.typeText("my-app")
	d.press("enter")
	if !strings.Contains(d.screen(), "my-app") {
		t.Errorf("review lacks the typed app name:\n%s", d.screen())
	}
}

// Run all steps from the wizard and watch the state line reach ACTIVE.
func TestChecklistRunAll(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{Project: "tsdb-staging", FastPoll: 20 * time.Millisecond, SlowPoll: 200 * time.Millisecond}, 120, 40)
	wizardTo(t, d, "app-vnet")
	cl, rs := createAndRunAll(t, d)
	scr := d.screen()
	aivenLine, azureLine := lineWith(scr, "Aiven  "), lineWith(scr, "Azure  ")
	last := -1
	for _, st := range []string{"APPROVED", "PENDING_PEER", "ACTIVE"} {
		i := strings.Index(aivenLine, st)
		if i <= last {
			t.Fatalf("Aiven state line %q lacks %s after the previous state", aivenLine, st)
		}
		last = i
	}
	if !strings.Contains(azureLine, "Connected") {
		t.Errorf("Azure state line = %q, want Connected", azureLine)
	}
	all := len(peering.StepIDs())
	if !strings.Contains(scr, "✓ complete") || !strings.Contains(scr, fmt.Sprintf("%d/%d done", all, all)) {
		t.Errorf("checklist does not say it is complete:\n%s", scr)
	}
	for _, info := range peering.Steps() {
		if l := lineWith(scr, info.Title); !strings.Contains(l, "✓") {
			t.Errorf("step %d row = %q, want ✓", info.Number, l)
		}
	}
	if strings.Contains(scr, e.s.Credentials().ClientSecret) {
		t.Error("the screen shows the admin secret")
	}

	// c copies the step's command (OSC 52).
	cl.t.selectID(string(peering.StepAivenPeering))
	d.press("c")
	d.until("the clipboard", func() bool { return d.copied != "" })
	for _, want := range []string{"avn vpc peering-connection create", "--project tsdb-staging", "--peer-resource-group rg-app", "--peer-vpc app-vnet"} {
		if !strings.Contains(d.copied, want) {
			t.Errorf("copied %q, want it to contain %q", d.copied, want)
		}
	}
	// e shows the step's event log.
	d.press("e")
	if scr := d.screen(); !strings.Contains(scr, "events of step aiven-peering") || !strings.Contains(scr, "started") {
		t.Errorf("event log:\n%s", scr)
	}
	d.press("esc", "esc")
	// Back on the project, the new connection shows up ACTIVE.
	d.untilScreen("projects › tsdb-staging", "● ACTIVE", "app-vnet")

	rec, err := e.deps.Runbook.Store.Load(rs.target)
	if err != nil || rec == nil || !rec.Done() {
		t.Fatalf("run record = %v, %v; want a saved, complete record", rec, err)
	}
}

// Quitting while a step runs asks first, then cancels the step cleanly;
// the record keeps what was done, and the checklist resumes from it.
func TestQuitWhileRunningResumes(t *testing.T) {
	// Aiven never acts on the request within the test: the wait for
	// PENDING_PEER waits.
	timing := sandbox.Timing{AivenApproval: sandbox.Duration(time.Hour)}
	e := newTestEnv(t, envOptions{sandbox: sandbox.Options{Speed: 1, Timing: &timing}})
	d := newDriver(t, e.deps, Options{Project: "tsdb-staging", FastPoll: 20 * time.Millisecond, SlowPoll: 200 * time.Millisecond}, 120, 40)
	wizardTo(t, d, "app-vnet")
	d.press("enter")
	rs := untilOnTop[*checklistScreen](d, "the checklist").run(&d.m.data)
	d.until("the wait for PENDING_PEER", func() bool {
		return rs.rec.Step(peering.StepWaitPendingPeer).Status == peering.StatusRunning
	})

	d.press("q")
	if _, ok := d.m.overlay.(*confirmQuit); !ok {
		t.Fatalf("q while a step runs did not ask first:\n%s", d.screen())
	}
	d.press("n")
	if d.quit || !rs.running {
		t.Fatal("n did not keep the program running")
	}
	d.press("q", "y")
	d.until("the step to stop and the program to quit", func() bool { return !rs.running && d.quit })
	if !errors.Is(rs.lastErr, context.Canceled) {
		t.Errorf("the run ended with %v, want it cancelled", rs.lastErr)
	}
	target := rs.target
	if err := d.m.CloseRuns(); err != nil {
		t.Fatal(err)
	}
	rec, err := e.deps.Runbook.Store.Load(target)
	if err != nil || rec == nil {
		t.Fatalf("no run record after quitting: %v", err)
	}
	if st := rec.Step(peering.StepAivenPeering).Status; st != peering.StatusDone {
		t.Errorf("%s is %s in the record, want done", peering.StepRef(peering.StepAivenPeering), st)
	}
	if st := rec.Step(peering.StepWaitPendingPeer).Status; st != peering.StatusPending {
		t.Errorf("%s is %s in the record, want pending (interrupted)", peering.StepRef(peering.StepWaitPendingPeer), st)
	}

	// A new session finds the connection, and its checklist resumes.
	d2 := newDriver(t, e.deps, Options{Project: "tsdb-staging", NoAutoRefresh: true}, 120, 40)
	d2.loaded()
	ps := d2.m.top().(*projectScreen)
	ref := connRef{Project: "tsdb-staging", VPCID: stagingVPC, Key: peering.Key{PeerCloudAccount: sandbox.UserSubscriptionID, PeerResourceGroup: "rg-app", PeerVPC: "app-vnet"}}
	if !ps.t.selectID(ref.id()) {
		t.Fatalf("no row for the new connection:\n%s", d2.screen())
	}
	d2.press("enter")
	doneBefore, all := peering.StepNumber(peering.StepWaitPendingPeer)-1, len(peering.StepIDs())
	d2.untilScreen("run record", fmt.Sprintf("%d/%d steps done", doneBefore, all))
	d2.press("o")
	d2.until("the checklist", func() bool { _, ok := d2.m.top().(*checklistScreen); return ok })
	if scr := d2.screen(); !strings.Contains(scr, fmt.Sprintf("%d/%d done", doneBefore, all)) {
		t.Errorf("resumed checklist:\n%s", scr)
	}
}

// A step that fails shows ✗, its error and what to do; r runs it again.
func TestChecklistFailedStepRetry(t *testing.T) {
	// A CI identity that may create its own apps and, as Owner, assign
	// roles, but holds no Application Administrator role: it cannot create
	// a service principal for Aiven's app, which this tenant lacks.
	e := newTestEnv(t, envOptions{principal: &sandbox.PrincipalSpec{DisplayName: "ci",
		GraphPermissions: []string{sandbox.PermissionOwnedBy}, SubscriptionRole: "Owner"}})
	if !e.s.RemoveServicePrincipal(sandbox.UserTenantID, peering.DefaultAivenAppID) {
		t.Fatal("the default scenario has no service principal for Aiven's app")
	}
	d := newDriver(t, e.deps, Options{Project: "tsdb-staging", NoAutoRefresh: true}, 120, 40)
	wizardTo(t, d, "app-vnet")
	d.press("enter")
	cl := untilOnTop[*checklistScreen](d, "the checklist")
	rs := cl.run(&d.m.data)
	d.until("the run to stop", func() bool { return !rs.running && rs.lastErr != nil })
	step := fmt.Sprintf("step %d", peering.StepNumber(peering.StepAivenSP))
	if st := rs.rec.Step(peering.StepAivenSP).Status; st != peering.StatusFailed {
		t.Fatalf("%s is %s, want failed; run ended with %v\n%s", step, st, rs.lastErr, d.screen())
	}
	scr := d.screen()
	if l := lineWith(scr, "service principal for Aiven"); !strings.Contains(l, "✗") || !strings.Contains(l, "Authorization_RequestDenied") {
		t.Errorf("%s row = %q, want ✗ and the error", step, l)
	}
	if !strings.Contains(lineWith(scr, step), "failed") {
		t.Errorf("the status line does not say %s failed:\n%s", step, scr)
	}
	if l := lineWith(scr, "Sign in (admin)"); !strings.Contains(l, "✓") {
		t.Errorf("sign-in row = %q, want ✓", l)
	}
	if l := lineWith(scr, "Create the peering app"); strings.Contains(l, "✓") {
		t.Errorf("the app was created although the step before it failed: %q", l)
	}

	d.press("r") // selects the failed step and runs it again
	if got := cl.t.selectedID(); got != string(peering.StepAivenSP) {
		t.Errorf("r selected %q, want the failed step", got)
	}
	d.until("the retry to end", func() bool { return !rs.running })
	if n := rs.rec.Step(peering.StepAivenSP).Attempts; n != 2 {
		t.Errorf("%s ran %d times, want 2", step, n)
	}
	scr = d.screen()
	wantShown(t, "the failed step's details", scr, "what to do", "Application Administrator", "$ az ad sp create --id "+peering.DefaultAivenAppID)
}

// A run for a peering azpeer did not create stops before creating
// anything and offers to adopt it; A and y adopt it, and the run ends
// without changing anything that works.
func TestChecklistOffersToAdoptAnExistingPeering(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 120, 40)
	d.loaded()
	target := peering.Target{Project: "tsdb-prod", VPCID: "1f0e2d3c-4b5a-4697-8877-665544332211",
		SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-prod", VNetName: "prod-vnet"}
	d.exec(d.m.openChecklist(target, peering.Options{}, true))
	cl := untilOnTop[*checklistScreen](d, "the checklist")
	rs := cl.run(&d.m.data)
	d.until("the run to stop", func() bool { return !rs.running && rs.lastErr != nil })
	var existing *peering.ExistingPeeringError
	if !errors.As(rs.lastErr, &existing) {
		t.Fatalf("the run stopped with %v, want the existing peering named", rs.lastErr)
	}
	if !strings.Contains(d.screen(), "A adopts it") {
		t.Errorf("the checklist does not offer to adopt:\n%s", d.screen())
	}
	if len(rs.rec.Objects) > 0 {
		t.Errorf("objects recorded before consent: %+v", rs.rec.Objects)
	}
	d.press("R") // not what this stop asks for
	if d.m.overlay != nil {
		t.Fatal("R opened a confirmation for a consent the run did not ask for")
	}
	d.press("A")
	if d.confirming() != "go on?" {
		t.Fatalf("A opened %T, want the confirmation", d.m.overlay)
	}
	d.press("y")
	d.until("the adopted run to end", func() bool { return !rs.running && (rs.lastErr != nil || rs.rec.Done()) })
	if rs.lastErr != nil {
		t.Fatalf("after adopting: %v\n%s", rs.lastErr, d.screen())
	}
	adopted := 0
	for _, o := range rs.rec.Objects {
		if o.State == peering.Adopted {
			adopted++
		}
		if o.State == peering.Created {
			t.Errorf("adopting a working peering created %s %s", o.Kind, o.ID)
		}
	}
	if adopted != 2 {
		t.Errorf("%d objects adopted, want the connection and the Azure peering: %+v", adopted, rs.rec.Objects)
	}
}

// Read-only mode: the status bar says so, and every action that would
// change a cloud is refused with one sentence where it was asked for.
func TestReadOnlyRefusesActions(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{Project: "analytics", NoAutoRefresh: true, ReadOnly: true}, 120, 40)
	d.loaded()
	if !strings.Contains(d.screen(), "READ-ONLY") {
		t.Errorf("the status bar does not say READ-ONLY:\n%s", d.screen())
	}
	d.press("n")
	if _, ok := d.m.top().(*wizardScreen); ok || !strings.Contains(d.m.status, "read-only mode: a new peering") {
		t.Errorf("n in read-only mode: %T, status %q", d.m.top(), d.m.status)
	}
	target := peering.Target{Project: "analytics", VPCID: "4c5d6e7f-8091-4a23-b4c5-d6e7f8091a2b",
		SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-app", VNetName: "app-vnet"}
	d.exec(d.m.openChecklist(target, peering.Options{}, true))
	d.until("the checklist", func() bool { _, ok := d.m.top().(*checklistScreen); return ok })
	rs := d.m.top().(*checklistScreen).run(&d.m.data)
	if rs.running || !strings.Contains(d.m.status, "read-only mode: running the checklist") {
		t.Errorf("the checklist ran in read-only mode (status %q)", d.m.status)
	}
	d.press("a")
	if rs.running {
		t.Error("a ran all steps in read-only mode")
	}
}

// createAndRunAll presses enter on the wizard's review (create and run
// all) and waits for the checklist's run to finish, failing on its error.
func createAndRunAll(t *testing.T, d *driver) (*checklistScreen, *runState) {
	t.Helper()
	d.press("enter")
	cl := untilOnTop[*checklistScreen](d, "the checklist")
	rs := cl.run(&d.m.data)
	d.until("the run to finish", func() bool { return !rs.running && rs.rec.Done() || rs.lastErr != nil })
	if rs.lastErr != nil {
		t.Fatalf("run failed: %v\n%s", rs.lastErr, d.screen())
	}
	return cl, rs
}
