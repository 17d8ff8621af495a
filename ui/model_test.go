package ui

import (
	"context"
	"errors"
	"image/color"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/azpeer/azpeer/aiven"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// Every frame has exactly the terminal's height and no line wider than
// it, whatever the size and screen.
func TestResizeKeepsLayout(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 120, 40)
	d.loaded()
	sizes := []struct{ w, h int }{{80, 24}, {200, 60}, {40, 12}, {81, 25}, {120, 40}}
	screens := []func(){
		func() {},                   // project
		func() { d.press("enter") }, // VPC row: a hint, no move
		func() { d.press("j", "enter") },
		func() { d.press("y") },
		func() { d.press("esc", "d") },
		func() { d.press("esc", "?") },
	}
	for i, open := range screens {
		open()
		for _, sz := range sizes {
			d.send(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
			lines := strings.Split(d.m.View().Content, "\n")
			if len(lines) != sz.h {
				t.Errorf("screen %d at %dx%d: %d lines, want %d", i, sz.w, sz.h, len(lines), sz.h)
			}
			for n, l := range lines {
				if w := ansi.StringWidth(l); w > sz.w {
					t.Errorf("screen %d at %dx%d: line %d is %d wide: %q", i, sz.w, sz.h, n, w, ansi.Strip(l))
				}
			}
		}
	}
}

func TestPauseAndResume(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	d := newDriver(t, e.deps, fastOptions(), 100, 30)
	d.loaded()
	d.until("the refresh to settle", func() bool { return !d.m.fetching })
	d.press("p")
	if !d.m.paused || !strings.Contains(d.screen(), "⏸ paused") {
		t.Fatalf("p did not pause:\n%s", d.screen())
	}
	// A tick of the old chain must not poll while paused.
	d.send(pollTickMsg{tick: d.m.tick - 1})
	d.send(pollTickMsg{tick: d.m.tick})
	if d.m.fetching {
		t.Fatal("a tick polled while paused")
	}
	d.press("p")
	if d.m.paused || !d.m.fetching {
		t.Fatal("p did not resume with a refresh")
	}
	d.until("the refresh", func() bool { return !d.m.fetching })
}

func TestBackgroundAdapts(t *testing.T) {
	m := New(Deps{}, Options{})
	m.Update(tea.BackgroundColorMsg{Color: color.White})
	if m.isDark {
		t.Fatal("a white background was taken as dark")
	}
	light := m.styles.paint[toneOK][0]
	m.Update(tea.BackgroundColorMsg{Color: color.Black})
	if !m.isDark {
		t.Fatal("a black background was taken as light")
	}
	if dark := m.styles.paint[toneOK][0]; dark == "" || dark == light {
		t.Errorf("ACTIVE's colour did not change with the background (%q, %q)", light, dark)
	}
}

// The device-code prompt appears as a panel with the code and URL.
func TestDeviceCodePanel(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	ch := make(chan DeviceCodeMessage, 1)
	e.deps.DeviceCode = ch
	d := newDriver(t, e.deps, Options{NoAutoRefresh: true}, 100, 30)
	ch <- DeviceCodeMessage{UserCode: "ABCD-1234", VerificationURL: "https://microsoft.com/devicelogin",
		Message: "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-1234 to authenticate."}
	d.untilScreen("Azure sign-in", "ABCD-1234", "https://microsoft.com/devicelogin", "the code expires in 15m0s", "c copy the code")
	d.press("c")
	d.until("the clipboard", func() bool { return d.copied != "" })
	if d.copied != "ABCD-1234" {
		t.Errorf("c copied %q, want the code", d.copied)
	}
	// A refused code says why and offers a new one.
	d.send(whoamiMsg{err: errors.New("AADSTS70016: the user declined")})
	d.untilScreen("sign-in failed: AADSTS70016", "enter new code")
	d.press("esc")
	if strings.Contains(d.screen(), "Azure sign-in") {
		t.Error("esc did not hide the panel")
	}
}

// Without a token the dashboard asks for one, masked, and signs in with it.
func TestAivenTokenPrompt(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	token := e.s.Credentials().AivenToken
	deps := e.deps
	deps.Aiven = nil
	deps.AivenLogin = func(ctx context.Context, tok string) (peering.Aiven, error) {
		return aiven.New(aiven.Config{URL: e.s.URL(), Token: tok, HTTPClient: e.s.HTTPClient()})
	}
	d := newDriver(t, deps, Options{NoAutoRefresh: true}, 100, 30)
	if !strings.Contains(d.screen(), "Sign in to Aiven") {
		t.Fatalf("no token prompt:\n%s", d.screen())
	}
	d.send(tea.PasteMsg{Content: token})
	if strings.Contains(d.screen(), token) || strings.Contains(d.screen(), token[:6]) {
		t.Fatal("the token prompt shows the token")
	}
	d.press("enter")
	d.untilScreen("tsdb-staging", "refreshed")
}

// The time on screen is the injected clock's, read at each clock tick.
func TestInjectedClock(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	m := New(Deps{}, Options{NoAutoRefresh: true, Clock: func() time.Time { return now }})
	if !m.now.Equal(now) {
		t.Fatalf("the model starts at %s, want the clock's %s", m.now, now)
	}
	m.refreshedAt = now
	now = now.Add(90 * time.Second)
	m.Update(clockMsg{})
	if got := ago(m.now, m.refreshedAt); got != "1m ago" {
		t.Errorf("after a tick 90s on: %q, want 1m ago", got)
	}
}

func TestQuitWithoutRunningStep(t *testing.T) {
	m := New(Deps{}, Options{})
	_, cmd := m.Update(keyMsg("q"))
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q without a running step did not quit at once")
	}
}

func TestFormat(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct{ got, want string }{
		{stateLabel(peering.StateActive, true), "● ACTIVE"},
		{stateLabel(peering.StateInvalidSpecification, true), "✗ INVALID_SPEC"},
		{stateLabel(peering.StateInvalidSpecification, false), "✗ INVALID_SPECIFICATION"},
		{stateLabel(peering.StatePendingPeer, true), "◐ PENDING_PEER"},
		{stateLabel(peering.StateApproved, true), "◌ APPROVED"},
		{azureLabel(peering.AzureConnected), "● Connected"},
		{azureLabel(""), "○ (none)"},
		{short("3c5d7e9f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"), "3c5d7e9f…"},
		{short("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/app-vnet"), "app-vnet"},
		{short("/subscriptions/x/providers/Microsoft.Authorization/roleAssignments/5cfbc42b-40d2-4a6b-8c7d-9e0f1a2b3c4d"), "5cfbc42b…"},
		{age(now, now.Add(-90*time.Second)), "1m"},
		{age(now, now.Add(-72*time.Hour)), "3d"},
		{elapsed(1500 * time.Millisecond), "1.5s"},
		{elapsed(125 * time.Second), "2m05s"},
		{fit("abcdef", 4), "abc…"},
		{fit("ab", 4), "ab  "},
		{fit("✓ é", 4), "✓ é "},
		{fitRight("7", 3), "  7"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// A change of state after the first look is counted (it rings the bell
// when Options.Bell); the first sight of a connection is not a change.
func TestMergeCountsStateChanges(t *testing.T) {
	d := newData()
	conn := func(s peering.State) []peering.Project {
		return []peering.Project{{ProjectRef: peering.ProjectRef{Name: "p"}, VPCs: []peering.VPC{{ID: "v",
			Peerings: []peering.Connection{{PeerCloudAccount: "s", PeerResourceGroup: "rg", PeerVPC: "vn", State: s}}}}}}
	}
	now := time.Now()
	if n := d.merge(nil, peering.Inventory{Projects: conn(peering.StateApproved)}, now); n != 0 {
		t.Errorf("first sight: %d changes", n)
	}
	if n := d.merge(nil, peering.Inventory{Projects: conn(peering.StateApproved)}, now); n != 0 {
		t.Errorf("no change: %d changes", n)
	}
	if n := d.merge(nil, peering.Inventory{Projects: conn(peering.StatePendingPeer)}, now); n != 1 {
		t.Errorf("APPROVED → PENDING_PEER: %d changes, want 1", n)
	}
}

// TestTimedPollReadsOnlyMovingProjects checks that, on the projects
// screen, a timed poll between two full refreshes reads only the projects
// whose connections move, and that the slow interval still reads them all.
func TestTimedPollReadsOnlyMovingProjects(t *testing.T) {
	env := newTestEnv(t, envOptions{sandbox: sandbox.Options{Speed: 1,
		Timing: &sandbox.Timing{AivenApproval: sandbox.Duration(time.Hour)}}, noAzure: true})
	api := env.deps.Aiven
	if _, err := api.CreateAzurePeering(t.Context(), peering.ProjectParent("tsdb-staging"), stagingVPC, peering.AzurePeeringRequest{
		SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-app", VNetName: "moving",
		AppID: sandbox.ProdPeeringAppID, TenantID: sandbox.UserTenantID}); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, env.deps, Options{FastPoll: time.Hour, SlowPoll: 2 * time.Hour}, 120, 40)
	d.loaded()
	vpcLists := func() int {
		return env.s.Requests().Count(sandbox.APIAiven, "GET", "/v1/project/{project}/vpcs")
	}
	timedPoll := func() int {
		env.s.ResetRequests()
		d.send(pollTickMsg{tick: d.m.tick})
		d.until("the timed poll", func() bool { return !d.m.fetching })
		return vpcLists()
	}
	if n := timedPoll(); n != 1 {
		t.Errorf("a timed poll while tsdb-staging moves listed the VPCs of %d projects, want 1", n)
	}
	d.m.fullAt = d.m.fullAt.Add(-3 * time.Hour) // the slow interval has passed
	if n := timedPoll(); n != 5 {
		t.Errorf("a timed poll after the slow interval listed the VPCs of %d projects, want all 5", n)
	}
	if !strings.Contains(d.screen(), "◐ 1") {
		t.Errorf("the moving connection is not counted as pending:\n%s", d.screen())
	}
}
