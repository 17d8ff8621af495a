package ui

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// term runs the whole program (ui.Run) on a virtual terminal.
type term struct {
	t    testing.TB
	emu  *vt.SafeEmulator
	in   *io.PipeWriter
	done chan error
	w, h int
}

func startTerm(t testing.TB, deps Deps, opts Options, w, h int, env ...string) *term {
	t.Helper()
	emu := vt.NewSafeEmulator(w, h)
	// Line feed as CR+LF, the way a real terminal's tty does.
	_, _ = emu.Write([]byte("\x1b[20h"))
	inR, inW := io.Pipe()
	// The emulator answers the program's queries (background colour,
	// cursor position) on its own output: feed that back as input.
	go func() { _, _ = io.Copy(inW, emu) }()
	opts.Input, opts.Output = inR, emu
	opts.Width, opts.Height = w, h
	// TTY_FORCE: the emulator is a terminal, though not a tty.
	opts.Environ = append([]string{"TERM=xterm-256color", "COLORTERM=truecolor", "TTY_FORCE=1"}, env...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	tm := &term{t: t, emu: emu, in: inW, done: make(chan error, 1), w: w, h: h}
	go func() { tm.done <- Run(ctx, deps, opts) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-tm.done:
		case <-time.After(10 * time.Second):
			t.Error("the program did not stop")
		}
		close(tm.done)
		// Not emu.Close: vt v0.1.0 reads its closed flag unsynchronised in
		// Read, which the race detector reports; the copying goroutine
		// stays parked on the emulator's pipe until the test binary exits.
		_ = inW.Close()
	})
	return tm
}

// screen is the visible text, one string per row.
func (tm *term) screen() []string {
	return strings.Split(ansi.Strip(tm.emu.Render()), "\n")
}

func (tm *term) text() string { return strings.Join(tm.screen(), "\n") }

// waitFor polls the screen until it shows every text (the deadline only
// catches a hung program).
func (tm *term) waitFor(texts ...string) {
	tm.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		scr := tm.text()
		ok := true
		for _, s := range texts {
			ok = ok && strings.Contains(scr, s)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("screen never showed %q:\n%s", texts, scr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (tm *term) typeKeys(s string) {
	if _, err := tm.in.Write([]byte(s)); err != nil {
		tm.t.Fatal(err)
	}
}

func TestScreens(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		t.Run(sizeName(size.w, size.h), func(t *testing.T) {
			tm := startTerm(t, e.deps, Options{NoAutoRefresh: true}, size.w, size.h)
			tm.waitFor("tsdb-staging", "refreshed")
			rows := tm.screen()
			if len(rows) != size.h {
				t.Fatalf("screen has %d rows, want %d", len(rows), size.h)
			}
			if !strings.HasPrefix(rows[0], "azpeer  projects") {
				t.Errorf("first row = %q, want the header with the breadcrumb", rows[0])
			}
			if !strings.Contains(rows[1], "SANDBOX") || !strings.Contains(rows[1], "admin@example.com") {
				t.Errorf("second row = %q, want who we are", rows[1])
			}
			if !strings.Contains(rows[size.h-1], "enter open") {
				t.Errorf("last row = %q, want the key help", rows[size.h-1])
			}
			if l := lineWith(tm.text(), "analytics"); !strings.Contains(l, "✗ 1") {
				t.Errorf("analytics row = %q, want its failed count", l)
			}

			tm.typeKeys("jjjj\r") // tsdb-staging (after analytics, orders, orders-staging, tsdb-prod)
			tm.waitFor("projects › tsdb-staging", "VPC 2a3b4c5d", "no peering connections")
			tm.typeKeys("\x1b") // esc
			tm.waitFor("PROJECT")
			tm.typeKeys("k\r") // tsdb-prod
			tm.waitFor("projects › tsdb-prod", "INVALID_SPEC", "prod-vnet-old")
			tm.typeKeys("?")
			tm.waitFor("help", "raw JSON", "diagnose")
			tm.typeKeys("x") // any key closes help
			tm.waitFor("prod-vnet-old")
			tm.typeKeys("q")
			select {
			case err := <-tm.done:
				if err != nil {
					t.Fatalf("Run returned %v", err)
				}
				tm.done <- nil // for the cleanup
			case <-time.After(10 * time.Second):
				t.Fatal("q did not quit")
			}
		})
	}
}

// With NO_COLOR the screen has no colour at all, and states still read
// as icons and labels.
func TestNoColor(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	withAndWithoutColour(t, func(t *testing.T, env []string, coloured bool) {
		tm := startTerm(t, e.deps, Options{NoAutoRefresh: true}, 100, 30, env...)
		tm.waitFor("tsdb-staging", "refreshed")
		tm.typeKeys("j\r")
		tm.waitFor("INVALID_SPEC", "● ACTIVE", "✗ INVALID_SPEC")
		tm.wantColours(coloured)
	})
}

// withAndWithoutColour runs f as a subtest on a colour terminal and on one
// with NO_COLOR set: env is the terminal's environment, coloured whether
// its screen must show colours.
func withAndWithoutColour(t *testing.T, f func(t *testing.T, env []string, coloured bool)) {
	for _, mode := range []struct {
		name     string
		env      []string
		coloured bool
	}{
		{"colour", nil, true},
		{"NO_COLOR", []string{"NO_COLOR=1"}, false},
	} {
		t.Run(mode.name, func(t *testing.T) { f(t, mode.env, mode.coloured) })
	}
}

// wantColours fails the test unless the screen shows foreground colours
// exactly when want.
func (tm *term) wantColours(want bool) {
	tm.t.Helper()
	if got := strings.Contains(tm.emu.Render(), "\x1b[38"); got != want {
		tm.t.Errorf("foreground colours on screen = %v, want %v", got, want)
	}
}

func sizeName(w, h int) string { return fmt.Sprintf("%dx%d", w, h) }
