package ui

// Test environment: an in-process sandbox and azpeer's real adapters
// (aiven over go-client-codegen, azure over the Azure SDK) pointed at it
// over HTTPS, the way --sandbox wires them (package sandboxtest); and a driver that runs the
// model's commands the way a Bubble Tea program does, feeding their
// messages back into Update on the test goroutine.

import (
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// testEnv is a sandbox with the dashboard's dependencies wired to it.
type testEnv struct {
	s    *sandbox.Server
	deps Deps
}

type envOptions struct {
	sandbox sandbox.Options
	// noAzure leaves Network and Runbook nil (browsing only).
	noAzure bool
	// principal, when set, signs in to Azure as a new principal with these
	// rights instead of the scenario's admin.
	principal *sandbox.PrincipalSpec
}

// newTestEnv starts a sandbox (instant speed unless set) and builds Deps
// with the real adapters over HTTPS.
func newTestEnv(t testing.TB, o envOptions) *testEnv {
	t.Helper()
	s := sandboxtest.Start(t, o.sandbox)
	// Aiven fails fast: a test that injects faults must see them fail.
	e := sandboxtest.Connect(t, s, sandboxtest.Options{Principal: o.principal, FailFast: true})
	c := s.Credentials()
	deps := Deps{
		Aiven:               e.Aiven,
		DefaultSubscription: c.SubscriptionID,
		Identity: Identity{AivenUser: c.AivenUser, AivenSource: "sandbox", AzureTenantID: c.TenantID,
			AzureSubscriptionID: c.SubscriptionID, AzureSource: "sandbox admin", Sandbox: true},
	}
	if o.noAzure {
		return &testEnv{s: s, deps: deps}
	}
	deps.Network = e.Network
	deps.WhoAmI = e.Identity
	deps.Runbook = e.Runbook(t.TempDir())
	// The dashboard's tests see each step fail on its own; the preflight
	// that reads the signed-in app's directory roles is peering's to test.
	deps.Runbook.Identity = nil
	return &testEnv{s: s, deps: deps}
}

// driver runs a Model like a Bubble Tea program without a terminal:
// commands run on goroutines, their messages come back over a channel,
// and Update runs only on the test goroutine, so assertions never race
// with the model.
type driver struct {
	t    testing.TB
	m    *Model
	msgs chan tea.Msg
	done chan struct{}
	quit bool
	// copied is the last text sent to the clipboard (OSC 52).
	copied string
}

// fastOptions poll often so tests never wait on the slow interval.
func fastOptions() Options {
	return Options{FastPoll: 20 * time.Millisecond, SlowPoll: 200 * time.Millisecond}
}

func newDriver(t testing.TB, deps Deps, opts Options, w, h int) *driver {
	t.Helper()
	d := &driver{t: t, m: New(deps, opts), msgs: make(chan tea.Msg, 1024), done: make(chan struct{})}
	t.Cleanup(func() {
		close(d.done)
		if err := d.m.CloseRuns(); err != nil {
			t.Errorf("CloseRuns: %v", err)
		}
		d.m.cancel()
	})
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	d.exec(d.m.Init())
	return d
}

// exec runs a command in the background, like the program does.
func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if msg == nil {
			return
		}
		select {
		case d.msgs <- msg:
		case <-d.done:
		}
	}()
}

// send delivers a message to Update and runs the command it returns.
func (d *driver) send(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			d.exec(c)
		}
		return
	case tea.QuitMsg:
		d.quit = true
		return
	}
	if s, ok := clipboardText(msg); ok {
		d.copied = s
		return
	}
	_, cmd := d.m.Update(msg)
	d.exec(cmd)
}

// clipboardText recognises tea.SetClipboard's (unexported) message.
func clipboardText(msg tea.Msg) (string, bool) {
	cmd := tea.SetClipboard("")
	probe := cmd()
	if msg == nil || probe == nil {
		return "", false
	}
	if reflect.TypeOf(msg) != reflect.TypeOf(probe) {
		return "", false
	}
	return reflect.ValueOf(msg).String(), true
}

// press sends key presses: "j", "enter", "esc", "ctrl+c", ...
func (d *driver) press(keys ...string) {
	for _, k := range keys {
		d.send(keyMsg(k))
	}
}

// typeText types text into whatever has the keyboard.
func (d *driver) typeText(s string) {
	for _, r := range s {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// namedKeys are the keys press knows by name.
var namedKeys = map[string]tea.KeyPressMsg{
	"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "tab": {Code: tea.KeyTab},
	"up": {Code: tea.KeyUp}, "down": {Code: tea.KeyDown}, "backspace": {Code: tea.KeyBackspace},
	"ctrl+c": {Code: 'c', Mod: tea.ModCtrl}, "ctrl+u": {Code: 'u', Mod: tea.ModCtrl},
}

func keyMsg(k string) tea.KeyPressMsg {
	if msg, ok := namedKeys[k]; ok {
		return msg
	}
	r := []rune(k)
	if len(r) != 1 {
		panic("keyMsg: unknown key " + k)
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// until processes messages until cond holds; it fails the test with the
// screen when it does not within the deadline (a deadline for a hung
// test, not a timing assertion).
func (d *driver) until(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-deadline.C:
			d.t.Fatalf("timed out waiting for %s; screen:\n%s", what, d.screen())
		}
	}
}

// untilScreen waits until the screen shows all of texts.
func (d *driver) untilScreen(texts ...string) {
	d.t.Helper()
	d.until("screen to show "+strings.Join(texts, ", "), func() bool {
		scr := d.screen()
		for _, s := range texts {
			if !strings.Contains(scr, s) {
				return false
			}
		}
		return true
	})
}

// wantShown fails the test for each of texts that scr, the text of what,
// lacks.
func wantShown(t testing.TB, what, scr string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(scr, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, scr)
		}
	}
}

// wantHidden fails the test for each of texts that scr, the text of what,
// shows.
func wantHidden(t testing.TB, what, scr string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(scr, s) {
			t.Errorf("%s shows %q:\n%s", what, s, scr)
		}
	}
}

// screen is what the terminal would show, without styles.
func (d *driver) screen() string { return ansi.Strip(d.m.View().Content) }

// onTop is the screen on top, which must be an S; after says what led
// there.
func onTop[S screen](t testing.TB, d *driver, after string) S {
	t.Helper()
	s, ok := d.m.top().(S)
	if !ok {
		var want S
		t.Fatalf("after %s the screen on top is %T, want %T; status: %s", after, d.m.top(), want, d.m.status)
	}
	return s
}

// untilOnTop waits until the screen on top is an S, and returns it.
func untilOnTop[S screen](d *driver, what string) S {
	d.t.Helper()
	d.until(what, func() bool { _, ok := d.m.top().(S); return ok })
	return d.m.top().(S)
}

// confirming is the title of the confirmation on screen ("" for none).
func (d *driver) confirming() string {
	if o, ok := d.m.overlay.(*confirmOverlay); ok {
		return o.title
	}
	return ""
}

// loaded waits for the first successful refresh.
func (d *driver) loaded() {
	d.t.Helper()
	d.until("the first refresh", func() bool { return d.m.loaded })
}

// refreshed presses r and waits for that refresh's reply.
func (d *driver) refreshed() {
	d.t.Helper()
	d.press("r")
	d.until("the refresh", func() bool { return !d.m.fetching })
}
