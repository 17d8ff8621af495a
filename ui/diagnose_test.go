package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

const analyticsAzureVPC = "4c5d6e7f-8091-4a23-b4c5-d6e7f8091a2b"

// analyticsRef is the default scenario's REJECTED_BY_PEER connection:
// Aiven's service principal holds no peer/action on rg-app/app-vnet.
func analyticsRef() connRef {
	return connRef{Project: "analytics", VPCID: analyticsAzureVPC,
		Key: peering.Key{PeerCloudAccount: sandbox.UserSubscriptionID, PeerResourceGroup: "rg-app", PeerVPC: "app-vnet"}}
}

// diagnoseFromProject selects ref's row on the project screen, presses d
// and waits for the diagnosis.
func diagnoseFromProject(t *testing.T, d *driver, ref connRef) (*diagnoseScreen, *diagState) {
	t.Helper()
	pressOnRow(t, d, ref, "d")
	s := onTop[*diagnoseScreen](t, d, "d")
	ds := s.state(&d.m.data)
	if ds == nil || !ds.busy {
		t.Fatal("d did not start a diagnosis")
	}
	d.until("the diagnosis", func() bool { return !ds.busy && ds.diag != nil })
	return s, ds
}

// findingIDs are the ids of the findings that say something is wrong
// (notes about a healthy peering left out).
func findingIDs(ds *diagState) []string {
	var ids []string
	for _, f := range ds.diag.Findings {
		if f.Severity != peering.SeverityInfo {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

// Read-only diagnoses of the default scenario, on one sandbox.
func TestDiagnoseScreen(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	tests := []struct {
		name    string
		ref     connRef
		first   string // the first finding's id ("" = healthy)
		want    []string
		wantNot []string
	}{
		{name: "vnet missing", ref: prodRef("prod-vnet-old"), first: peering.RuleVNetMissing,
			want: []string{"projects › tsdb-prod › diagnose prod-vnet-old", "✗ INVALID_SPECIFICATION", "Azure VNet not found",
				"✗ ERROR  vnet-missing", "does not exist", "evidence", "no VNet rg-prod/prod-vnet-old", "rg-prod/prod-vnet",
				"fix", "cannot do this itself"}},
		{name: "healthy", ref: prodRef("prod-vnet"),
			want:    []string{"● ACTIVE", "Azure ● Connected", "● healthy", "no problem found"},
			wantNot: []string{"ERROR", "WARNING", "not checked"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 100, 40)
			_, ds := diagnoseFromProject(t, d, tt.ref)
			ids := findingIDs(ds)
			switch {
			case tt.first == "" && (len(ids) != 0 || !ds.diag.Healthy()):
				t.Errorf("findings %v, want none", ids)
			case tt.first != "" && (len(ids) == 0 || ids[0] != tt.first):
				t.Errorf("findings %v, want %s first", ids, tt.first)
			}
			scr := d.screen()
			wantShown(t, "diagnosis", scr, tt.want...)
			wantHidden(t, "diagnosis", scr, tt.wantNot...)
			d.press("esc")
			onTop[*projectScreen](t, d, "esc")
		})
	}
}

// enter on a finding azpeer cannot fix changes nothing and says so; on a
// fixable one it asks first, and n changes nothing either.
func TestDiagnoseNoActionAndCancel(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 100, 40)
	openDetail(t, d, "prod-vnet-old")
	d.press("d")
	s := onTop[*diagnoseScreen](t, d, "d on the detail")
	ds := s.state(&d.m.data)
	d.until("the diagnosis", func() bool { return !ds.busy && ds.diag != nil })
	if !strings.Contains(d.screen(), "tsdb-prod › peering prod-vnet-old › diagnose") {
		t.Errorf("breadcrumb:\n%s", d.screen())
	}
	if f, _ := s.selected(&d.m.data); f.ID != peering.RuleVNetMissing || f.Action != "" {
		t.Fatalf("selected %s (action %q), want %s without an action", f.ID, f.Action, peering.RuleVNetMissing)
	}
	d.press("enter")
	if d.m.overlay != nil || ds.fixing {
		t.Fatal("enter on a finding without an action asked or started a fix")
	}
	if !strings.Contains(d.m.status, "azpeer cannot fix vnet-missing itself") {
		t.Errorf("status = %q, want it to say azpeer cannot fix it", d.m.status)
	}
	d.press("c")
	if !strings.Contains(d.m.status, "no command") {
		t.Errorf("c on a finding without a command: status %q", d.m.status)
	}

	// j selects the next finding: the failed state, which azpeer can retry.
	d.press("j")
	f, _ := s.selected(&d.m.data)
	if f.ID != peering.RuleAivenFailedUnexplained || f.Action == "" {
		t.Fatalf("j selected %s (action %q), want %s with an action; findings %v", f.ID, f.Action, peering.RuleAivenFailedUnexplained, findingIDs(ds))
	}
	if l := lineWith(d.screen(), "▸"); !strings.Contains(l, "WARNING") || !strings.Contains(l, f.ID) {
		t.Errorf("selected line = %q, want the warning %s", l, f.ID)
	}
	d.press("enter")
	if d.confirming() != "apply fix?" {
		t.Fatalf("enter on a fixable finding did not ask first:\n%s", d.screen())
	}
	if scr := d.screen(); !strings.Contains(scr, "Apply the fix for aiven-failed?") || !strings.Contains(scr, "y apply") {
		t.Errorf("confirmation:\n%s", scr)
	}
	checkLayout(t, d)
	d.press("n")
	if d.m.overlay != nil || ds.fixing || ds.finding.ID != "" {
		t.Fatal("n did not cancel the fix")
	}
	checkLayout(t, d)
	d.press("k")
	if f, _ := s.selected(&d.m.data); f.ID != peering.RuleVNetMissing {
		t.Errorf("k selected %s", f.ID)
	}
	d.press("esc")
	onTop[*detailScreen](t, d, "esc")
}

// The REJECTED_BY_PEER connection: the cause is named, the fix applied
// after a confirmation streams its events, the live re-check sees Aiven's
// state move while the fix waits on Aiven, and the re-diagnosis at the
// end finds it healthy and ACTIVE.
func TestDiagnoseFixToActive(t *testing.T) {
	// Aiven sits on the re-requested connection until the test lets the
	// clock run, so the fix is still running when the state moves.
	timing := sandbox.Timing{AivenApproval: sandbox.Duration(time.Hour)}
	e := newTestEnv(t, envOptions{sandbox: sandbox.Options{Speed: 1, Timing: &timing}})
	opts := Options{Project: "analytics", NoAutoRefresh: true, FastPoll: 20 * time.Millisecond, SlowPoll: time.Hour}
	d := newDriver(t, e.deps, opts, 100, 40)
	s, ds := diagnoseFromProject(t, d, analyticsRef())
	if ids := findingIDs(ds); len(ids) == 0 || ids[0] != peering.RuleAivenPermissionMissing {
		t.Fatalf("findings %v, want %s first", ids, peering.RuleAivenPermissionMissing)
	}
	scr := d.screen()
	wantShown(t, "diagnosis", scr, "analytics › VPC 4c5d6e7f… › rg-app/app-vnet", "✗ REJECTED_BY_PEER",
		"▸ ✗ ERROR  aiven-permission-missing", "may not peer with your VNet", "virtualNetworks/peer/action",
		"$ az role assignment create", "can do it (enter)", "runs the runbook again")
	d.press("c")
	d.until("the clipboard", func() bool { return d.copied != "" })
	if !strings.HasPrefix(d.copied, "az role assignment create") || !strings.Contains(d.copied, "/virtualNetworks/app-vnet") {
		t.Errorf("copied %q, want the role assignment command", d.copied)
	}

	d.press("enter")
	if d.confirming() != "apply fix?" {
		t.Fatalf("enter did not ask first:\n%s", d.screen())
	}
	d.press("y")
	if !ds.fixing || ds.finding.ID != peering.RuleAivenPermissionMissing {
		t.Fatal("y did not start the fix")
	}
	d.until("the live re-check to see Aiven's state move", func() bool { return ds.moved })
	if ds.movedTo == peering.StateRejectedByPeer || !ds.fixing {
		t.Fatalf("moved to %s (fixing %v)", ds.movedTo, ds.fixing)
	}
	d.untilScreen("▶ fixing aiven-permission-missing", "Aiven REJECTED_BY_PEER → ")
	if len(ds.events) == 0 {
		t.Error("no fix events reached the screen")
	}
	checkLayout(t, d) // with the progress area
	if !d.m.anyRunning() || d.m.interval() != opts.FastPoll {
		t.Error("a running fix should count as running and poll fast")
	}

	e.s.Clock().SetSpeed(0) // every simulated delay is now over
	d.until("the fix to end and the re-diagnosis", func() bool { return !ds.fixing && !ds.busy })
	if ds.fixErr != nil {
		t.Fatalf("fix failed: %v\n%s", ds.fixErr, d.screen())
	}
	if !ds.diag.Healthy() || len(ds.diag.Findings) != 0 {
		t.Errorf("after the fix: findings %v", findingIDs(ds))
	}
	d.untilScreen("● healthy", "● ACTIVE", "Azure ● Connected", "✓ fix for aiven-permission-missing applied")
	if _, ok := s.selected(&d.m.data); ok {
		t.Error("a healthy diagnosis has a selected finding")
	}
	// Back on the project the connection is ACTIVE too.
	d.press("esc")
	d.until("the project to show it ACTIVE", func() bool {
		return strings.Contains(lineWith(d.screen(), "app-vnet"), "● ACTIVE")
	})
}

// A fix that runs the runbook takes the target's run lock: an idle
// checklist run of the same peering is closed first, and the checklist
// reopens from the record the fix left.
func TestDiagnoseFixTakesOverIdleChecklist(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{Project: "analytics", NoAutoRefresh: true}, 100, 40)
	d.loaded()
	ps := d.m.top().(*projectScreen)
	ref := analyticsRef()
	if !ps.t.selectID(ref.id()) {
		t.Fatalf("no row for app-vnet:\n%s", d.screen())
	}
	d.press("enter", "o")
	d.until("the checklist", func() bool { _, ok := d.m.top().(*checklistScreen); return ok })
	d.press("esc", "d")
	s := onTop[*diagnoseScreen](t, d, "d")
	ds := s.state(&d.m.data)
	d.until("the diagnosis", func() bool { return !ds.busy && ds.diag != nil })
	d.press("enter", "y")
	if !ds.fixing {
		t.Fatalf("the fix did not start: %s", d.m.status)
	}
	if d.m.runs[ref.target().Key()] != nil {
		t.Error("the checklist's run is still open while the fix runs")
	}
	d.until("the fix to end and the re-diagnosis", func() bool { return !ds.fixing && !ds.busy })
	if ds.fixErr != nil {
		t.Fatalf("fix failed: %v", ds.fixErr)
	}
	d.untilScreen("● ACTIVE", "no problem found")
	d.press("esc", "o")
	d.until("the checklist", func() bool { _, ok := d.m.top().(*checklistScreen); return ok })
	all := len(peering.StepIDs())
	d.untilScreen("✓ complete", fmt.Sprintf("%d/%d done", all, all))
}

// Without Azure, d shows Aiven's own account and says what it could not check.
func TestDiagnoseWithoutAzure(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 120, 40)
	openDetail(t, d, "prod-vnet-old")
	if scr := d.screen(); !strings.Contains(scr, "not signed in to Azure") {
		t.Errorf("without Azure the detail should say so:\n%s", scr)
	}
	d.press("d")
	scr := d.screen()
	wantShown(t, "diagnosis", scr, "peering prod-vnet-old › diagnose", "INVALID_SPECIFICATION", "was not found",
		"type: invalid-specification", "what usually causes it", "not checked: Azure (not signed in)")
	d.press("esc")
	onTop[*detailScreen](t, d, "esc")
}

// The whole program on an 80×24 terminal, with and without colour.
func TestDiagnoseScreenTerminal(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	withAndWithoutColour(t, func(t *testing.T, env []string, coloured bool) {
		tm := startTerm(t, e.deps, Options{Project: "analytics", NoAutoRefresh: true}, 80, 24, env...)
		tm.waitFor("projects › analytics", "REJECTED")
		tm.typeKeys("G") // the last row: the Azure VPC's connection
		tm.typeKeys("d")
		tm.waitFor("aiven-permission-missing", "diagnosed")
		rows := tm.screen()
		if len(rows) != 24 {
			t.Fatalf("%d rows, want 24", len(rows))
		}
		if !strings.HasPrefix(rows[0], "azpeer  projects › analytics › diagnose app-vnet") {
			t.Errorf("header = %q", rows[0])
		}
		wantShown(t, "screen", tm.text(), "analytics › VPC 4c5d6e7f… › rg-app/app-vnet", "Aiven ✗ REJECTED_BY_PEER",
			"error(s)", "finding 1/", "▸ ✗ ERROR  aiven-permission-missing", "evidence", "command", "$ az role assignment",
			"can do it (enter)")
		if last := rows[23]; !strings.Contains(last, "j/k select") || !strings.Contains(last, "enter apply fix") ||
			!strings.Contains(last, "c copy command") || !strings.Contains(last, "esc back") || !strings.Contains(last, "? help") {
			t.Errorf("help row = %q", last)
		}
		for i, r := range rows {
			if w := len([]rune(r)); w > 80 {
				t.Errorf("row %d is %d wide", i, w)
			}
		}
		tm.wantColours(coloured)
		tm.typeKeys("?")
		tm.waitFor("next finding", "apply fix", "copy command", "re-check", "Keys of diagnose app-vnet")
		tm.typeKeys("x")
		tm.typeKeys("\x1b") // esc: back to the project
		tm.waitFor("ACCOUNT")
	})
}

// A diagnosis reply that a newer request overtook is dropped.
func TestDiagnoseDropsStaleReplies(t *testing.T) {
	m := New(Deps{}, Options{})
	ref := analyticsRef()
	ds := m.diagFor(ref)
	ds.gen, ds.busy = 2, true
	key := ref.target().Key()
	m.Update(diagnosisMsg{key: key, gen: 1, d: peering.Diagnosis{Findings: []peering.Finding{{ID: "old"}}}})
	if ds.diag != nil || !ds.busy {
		t.Fatal("a stale reply was applied")
	}
	m.Update(diagnosisMsg{key: key, gen: 2, d: peering.Diagnosis{}})
	if ds.diag == nil || ds.busy {
		t.Fatal("the current reply was dropped")
	}
	// Ticks and ends of another fix are dropped too.
	ds.fixGen, ds.fixing = 3, true
	m.Update(fixDoneMsg{fix: fixKey{target: key, gen: 2}})
	if !ds.fixing {
		t.Fatal("the end of an earlier fix ended the current one")
	}
	if _, cmd := m.Update(recheckMsg{fix: fixKey{target: key, gen: 2}}); cmd != nil || ds.busy {
		t.Fatal("a re-check tick of an earlier fix diagnosed")
	}
}

// checkLayout resizes through small and large terminals: every frame has
// the terminal's height and no line wider than it.
func checkLayout(t *testing.T, d *driver) {
	t.Helper()
	w0, h0 := d.m.width, d.m.height
	for _, sz := range []struct{ w, h int }{{80, 24}, {40, 12}, {200, 60}, {w0, h0}} {
		d.send(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
		lines := strings.Split(d.m.View().Content, "\n")
		if len(lines) != sz.h {
			t.Errorf("at %dx%d: %d lines", sz.w, sz.h, len(lines))
		}
		for n, l := range lines {
			if w := ansi.StringWidth(l); w > sz.w {
				t.Errorf("at %dx%d: line %d is %d wide: %q", sz.w, sz.h, n, w, ansi.Strip(l))
			}
		}
	}
}
