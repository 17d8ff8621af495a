package peering_test

// Chaos: azpeer killed (as kill -9 would) at every point where a cloud has
// acted and azpeer has not yet recorded it, once and twice per run, then
// resumed and deleted; the world must end exactly as it began.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
	"github.com/azpeer/azpeer/state"
)

var errKilled = errors.New("killed")

// cutter is the network of one azpeer process. It counts the mutations
// (writes to a cloud) the process sends and, at the at-th, lets the cloud
// act and then kills the process before the answer is read.
type cutter struct {
	base http.RoundTripper
	at   int
	// holdBack, when set, makes the cloud hold back its answer to the
	// at-th mutation (the sandbox's response-delay fault), and the process
	// dies while it waits for it.
	holdBack func(on bool)
	kill     func()

	mu   sync.Mutex
	n    int
	dead bool
	// what is the request the process died on.
	what string
}

// mutation: a request that changes a cloud (token requests do not).
func mutation(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	return !strings.Contains(r.URL.Path, "/oauth2/") && !strings.HasPrefix(r.URL.Path, "/_sandbox/")
}

func (c *cutter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return nil, errKilled
	}
	hit := false
	if mutation(r) {
		c.n++
		hit = c.n == c.at
	}
	c.mu.Unlock()
	if !hit {
		return c.base.RoundTrip(r)
	}
	what := r.Method + " " + r.URL.Path
	if c.holdBack != nil {
		// The cloud gets the request, acts, and holds its answer back; the
		// process dies while it waits (well before the answer would come).
		c.holdBack(true)
		defer c.holdBack(false)
		go func() {
			time.Sleep(150 * time.Millisecond)
			c.die(what)
		}()
		if resp, err := c.base.RoundTrip(r); err == nil {
			resp.Body.Close()
		}
		c.die(what)
		return nil, errKilled
	}
	resp, err := c.base.RoundTrip(r)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	c.die(what)
	return nil, errKilled
}

func (c *cutter) die(what string) {
	c.mu.Lock()
	first := !c.dead
	if first {
		c.dead, c.what = true, what
	}
	c.mu.Unlock()
	if first {
		c.kill()
	}
}

func (c *cutter) killed() (bool, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dead, c.what
}

func (c *cutter) mutations() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// mortalStore is the process's record store: from its death on it writes
// nothing (its locks are released, as the kernel does for a dead process).
type mortalStore struct {
	state.Dir
	dead *atomic.Bool
}

func (m mortalStore) Save(r *peering.Record) error {
	if m.dead.Load() {
		return errKilled
	}
	return m.Dir.Save(r)
}

func (m mortalStore) Remove(t peering.Target) error {
	if m.dead.Load() {
		return errKilled
	}
	return m.Dir.Remove(t)
}

// process is one azpeer process: adapters over a cutter, a runbook over a
// mortal store in the shared state directory, and a context its death ends.
type process struct {
	rb     *peering.Runbook
	cut    *cutter
	ctx    context.Context
	cancel context.CancelFunc
}

func startProcess(t *testing.T, sb *sandbox.Server, stateDir string, killAt int, holdBack bool) *process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	dead := &atomic.Bool{}
	p := &process{ctx: ctx, cancel: cancel}
	p.cut = &cutter{at: killAt, kill: func() { dead.Store(true); cancel() }}
	if holdBack {
		p.cut.holdBack = func(on bool) {
			var f sandbox.FaultConfig
			if on {
				f.ResponseDelay = time.Second
			}
			for _, api := range []sandbox.API{sandbox.APIGraph, sandbox.APIARM, sandbox.APIAiven} {
				sb.SetFaults(api, f)
			}
		}
	}
	e := sandboxtest.Connect(t, sb, sandboxtest.Options{Wrap: func(base http.RoundTripper) http.RoundTripper {
		p.cut.base = base
		return p.cut
	}})
	p.rb = e.Runbook(stateDir)
	p.rb.Store = mortalStore{Dir: state.Dir{Path: stateDir}, dead: dead}
	return p
}

// create runs the whole runbook in the process, as azpeer create does.
func (p *process) create(t peering.Target) error {
	run, err := p.rb.Open(t, peering.Options{})
	if err != nil {
		return err
	}
	defer run.Close()
	return run.RunAll(p.ctx, nil)
}

// remove deletes the peering in the process, as azpeer delete does.
func (p *process) remove(t peering.Target) error {
	run, err := p.rb.Open(t, peering.Options{})
	if err != nil {
		return err
	}
	defer run.Close()
	if run.New() {
		return errors.New("no run record to delete from")
	}
	return run.Teardown(p.ctx, peering.TeardownOptions{}, nil)
}

// chaosWorld is a fresh instant sandbox with the world as it began.
type chaosWorld struct {
	sb       *sandbox.Server
	e        *env
	stateDir string
	before   []string
}

func newChaosWorld(t *testing.T, opts sandbox.Options) *chaosWorld {
	e := newEnv(t, opts)
	return &chaosWorld{sb: e.Sandbox, e: e, stateDir: t.TempDir(), before: fingerprint(e.state())}
}

// leftovers compares the world and the state directory with how they began.
func (w *chaosWorld) leftovers(t *testing.T) []string {
	t.Helper()
	var out []string
	after := fingerprint(w.e.state())
	for _, f := range after {
		if !slices.Contains(w.before, f) {
			out = append(out, "left: "+f)
		}
	}
	for _, f := range w.before {
		if !slices.Contains(after, f) {
			out = append(out, "lost: "+f)
		}
	}
	files, _ := filepath.Glob(filepath.Join(w.stateDir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(w.stateDir, ".*"))
	for _, f := range append(files, hidden...) {
		if !strings.HasSuffix(f, ".lock") {
			out = append(out, "file: "+filepath.Base(f))
		}
	}
	return out
}

// checkActive: one set of objects, ACTIVE and Connected, no live secret.
func (w *chaosWorld) checkActive(t *testing.T, label string) {
	t.Helper()
	st := w.e.state()
	if d := duplicates(fingerprint(st)); len(d) > 0 {
		t.Errorf("%s: duplicates %v", label, d)
	}
	for _, a := range st.Applications {
		if strings.HasPrefix(a.DisplayName, "azpeer-tsdb-staging") && len(a.PasswordCredentials) > 0 {
			t.Errorf("%s: app %s has %d live secret(s)", label, a.DisplayName, len(a.PasswordCredentials))
		}
	}
	for name, p := range st.Aiven.Projects {
		for _, v := range p.VPCs {
			for _, c := range v.Peerings {
				if name == "tsdb-staging" && c.State != "ACTIVE" {
					t.Errorf("%s: the connection is %s", label, c.State)
				}
			}
		}
	}
}

// chaos runs create killed at the kill points (0: not killed), a final
// create to ACTIVE, and a delete; it returns the kill points that were
// reached, and what was left behind.
func (w *chaosWorld) chaos(t *testing.T, holdBack bool, kills ...int) (reached []string) {
	t.Helper()
	target := stagingTarget()
	for _, at := range kills {
		p := startProcess(t, w.sb, w.stateDir, at, holdBack)
		err := p.create(target)
		dead, what := p.cut.killed()
		if !dead {
			if err != nil {
				t.Fatalf("create (no kill at %d): %v", at, err)
			}
			break
		}
		reached = append(reached, fmt.Sprintf("%d:%s", at, what))
	}
	p := startProcess(t, w.sb, w.stateDir, 0, false)
	if err := p.create(target); err != nil {
		t.Fatalf("resume after kills %v: %v", reached, err)
	}
	w.checkActive(t, fmt.Sprintf("after kills %v", reached))
	if err := startProcess(t, w.sb, w.stateDir, 0, false).remove(target); err != nil {
		t.Fatalf("delete after kills %v: %v", reached, err)
	}
	if l := w.leftovers(t); len(l) > 0 {
		t.Errorf("after kills %v and delete, the world is not as it began:\n  %s", reached, strings.Join(l, "\n  "))
	}
	return reached
}

// flowMutations counts the writes an uninterrupted create makes.
func flowMutations(t *testing.T) int {
	w := newChaosWorld(t, sandbox.Options{})
	p := startProcess(t, w.sb, w.stateDir, 0, false)
	if err := p.create(stagingTarget()); err != nil {
		t.Fatal(err)
	}
	return p.cut.mutations()
}

// Killed once at every write of the flow, resumed, deleted: no leftovers.
func TestChaosKillOnceAtEveryWrite(t *testing.T) {
	n := flowMutations(t)
	var points atomic.Int64
	for at := 1; at <= n; at++ {
		t.Run(fmt.Sprint("kill-", at), func(t *testing.T) {
			t.Parallel()
			w := newChaosWorld(t, sandbox.Options{})
			points.Add(int64(len(w.chaos(t, false, at))))
		})
	}
	t.Cleanup(func() {
		t.Logf("%d writes in a create; %d single kills, 0 leftovers unless reported above", n, points.Load())
	})
}

// Killed twice (a seeded sample of pairs of writes), resumed, deleted.
func TestChaosKillTwice(t *testing.T) {
	n := flowMutations(t)
	rng := rand.New(rand.NewPCG(20261201, 9))
	type pair struct{ a, b int }
	var pairs []pair
	for a := 1; a <= n; a++ {
		// The second kill counts the resumed process's own writes, which
		// are fewer: sample among the first few, and always the first.
		seen := map[int]bool{1: true}
		pairs = append(pairs, pair{a, 1})
		span := n - a + 2
		for len(seen) < min(3, span) {
			b := 1 + rng.IntN(span)
			if !seen[b] {
				seen[b] = true
				pairs = append(pairs, pair{a, b})
			}
		}
	}
	var reachedPairs atomic.Int64
	for _, p := range pairs {
		t.Run(fmt.Sprintf("kill-%d-then-%d", p.a, p.b), func(t *testing.T) {
			t.Parallel()
			w := newChaosWorld(t, sandbox.Options{})
			if len(w.chaos(t, false, p.a, p.b)) == 2 {
				reachedPairs.Add(1)
			}
		})
	}
	t.Cleanup(func() {
		t.Logf("%d kill pairs sampled (seed 20261201), %d reached both kills, 0 leftovers unless reported above", len(pairs), reachedPairs.Load())
	})
}

// The cloud acts and holds its answer back (the sandbox's response-delay
// fault); azpeer dies waiting. Every create is found again on resume.
func TestChaosDiesWaitingForAnAnswer(t *testing.T) {
	n := flowMutations(t)
	for at := 1; at <= n; at++ {
		t.Run(fmt.Sprint("die-waiting-", at), func(t *testing.T) {
			t.Parallel()
			w := newChaosWorld(t, sandbox.Options{})
			target := stagingTarget()
			p := startProcess(t, w.sb, w.stateDir, at, true)
			_ = p.create(target)
			dead, what := p.cut.killed()
			if !dead {
				t.Skipf("the flow made fewer than %d writes", at)
			}
			if err := startProcess(t, w.sb, w.stateDir, 0, false).create(target); err != nil {
				t.Fatalf("resume after dying at %s: %v", what, err)
			}
			w.checkActive(t, "after dying at "+what)
			if err := startProcess(t, w.sb, w.stateDir, 0, false).remove(target); err != nil {
				t.Fatalf("delete after dying at %s: %v", what, err)
			}
			if l := w.leftovers(t); len(l) > 0 {
				t.Errorf("died at %s; after resume and delete the world is not as it began:\n  %s", what, strings.Join(l, "\n  "))
			}
		})
	}
}

// Killed at every write of a delete, then deleted again: nothing is left,
// and the record does not come back.
func TestChaosKillDuringDelete(t *testing.T) {
	for at := 1; at <= 12; at++ {
		t.Run(fmt.Sprint("kill-delete-", at), func(t *testing.T) {
			t.Parallel()
			w := newChaosWorld(t, sandbox.Options{})
			target := stagingTarget()
			if err := startProcess(t, w.sb, w.stateDir, 0, false).create(target); err != nil {
				t.Fatal(err)
			}
			p := startProcess(t, w.sb, w.stateDir, at, false)
			_ = p.remove(target)
			if dead, _ := p.cut.killed(); !dead {
				t.Skipf("the delete made fewer than %d writes", at)
			}
			if err := startProcess(t, w.sb, w.stateDir, 0, false).remove(target); err != nil {
				t.Fatalf("delete again: %v", err)
			}
			if l := w.leftovers(t); len(l) > 0 {
				t.Errorf("killed at delete write %d; the world is not as it began:\n  %s", at, strings.Join(l, "\n  "))
			}
		})
	}
}

// The sandbox restarts (from its state directory) in the middle of a run:
// the run's secret is gone with the process, the resume cleans up.
func TestChaosSandboxRestartMidRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stateDir := t.TempDir()
	sb, err := sandbox.New(sandbox.Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(connectEnv(t, sb, sandboxtest.Options{}).state())
	target := stagingTarget()
	p := startProcess(t, sb, stateDir, 0, false)
	run, err := p.rb.Open(target, peering.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range peering.StepIDs() {
		if err := run.RunStep(p.ctx, id, nil); err != nil {
			t.Fatal(err)
		}
		if id == peering.StepAivenPeering {
			break
		}
	}
	run.Close()
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	sb2 := sandboxtest.Start(t, sandbox.Options{StateDir: dir})
	if err := startProcess(t, sb2, stateDir, 0, false).create(target); err != nil {
		t.Fatalf("resume after the restart: %v", err)
	}
	e2 := connectEnv(t, sb2, sandboxtest.Options{})
	// A restart rotates the scenario admin's own secret (the sandbox keeps
	// only hashes): that one is the sandbox's, not azpeer's.
	before = slices.DeleteFunc(before, func(f string) bool { return strings.HasPrefix(f, "secret azpeer-sandbox-admin ") })
	for _, f := range fingerprint(e2.state()) {
		if strings.HasPrefix(f, "secret azpeer-sandbox-admin ") {
			before = append(before, f)
		}
	}
	w := &chaosWorld{sb: sb2, e: e2, stateDir: stateDir, before: before}
	w.checkActive(t, "after the restart")
	if err := startProcess(t, sb2, stateDir, 0, false).remove(target); err != nil {
		t.Fatal(err)
	}
	if l := w.leftovers(t); len(l) > 0 {
		t.Errorf("after a sandbox restart, resume and delete:\n  %s", strings.Join(l, "\n  "))
	}
}

// Two creates of the same peering from two state directories at once (20
// ms of latency on every call): exactly one wins, the other stops having
// removed its own objects, and one set of objects exists; deleting the
// loser's run removes nothing of the winner's.
func TestConcurrentCreatesConverge(t *testing.T) {
	for trial := range 6 {
		// Odd trials: a tenant that never peered with Aiven, so both runs
		// race to create Aiven's service principal too.
		fresh := trial%2 == 1
		t.Run(fmt.Sprintf("trial-%d-fresh-tenant-%t", trial, fresh), func(t *testing.T) {
			t.Parallel()
			lat := sandbox.FaultConfig{Latency: 20 * time.Millisecond}
			sb, err := sandbox.New(sandbox.Options{Seed: uint64(trial), Faults: map[sandbox.API]sandbox.FaultConfig{
				sandbox.APIGraph: lat, sandbox.APIARM: lat, sandbox.APIAiven: lat, sandbox.APIEntra: lat}})
			if err != nil {
				t.Fatal(err)
			}
			if fresh && !sb.RemoveServicePrincipal(sandbox.UserTenantID, peering.DefaultAivenAppID) {
				t.Fatal("no service principal for Aiven's app to remove")
			}
			if err := sb.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sb.Close() })
			e := connectEnv(t, sb, sandboxtest.Options{})
			w := &chaosWorld{sb: sb, e: e, stateDir: t.TempDir(), before: fingerprint(e.state())}
			target := stagingTarget()
			dirs := []string{t.TempDir(), t.TempDir()}
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = startProcess(t, w.sb, dirs[i], 0, false).create(target)
				}()
			}
			wg.Wait()
			won := -1
			for i, err := range errs {
				if err == nil {
					if won >= 0 {
						t.Fatal("both runs finished: two sets of objects")
					}
					won = i
					continue
				}
				var twin *peering.TwinError
				var existing *peering.ExistingPeeringError
				if !errors.As(err, &twin) && !errors.As(err, &existing) {
					t.Errorf("run %d failed with %v; want it stopped as the second run of the same peering", i, err)
				}
			}
			if won < 0 {
				t.Fatalf("no run won: %v", errs)
			}
			t.Logf("run %d won; the other stopped with: %v", won, firstLine(errs[1-won]))
			w.checkActive(t, "after two concurrent creates")
			st := w.e.state()
			apps := 0
			for _, a := range st.Applications {
				if strings.HasPrefix(a.DisplayName, "azpeer-tsdb-staging") {
					apps++
				}
			}
			if apps != 1 {
				t.Errorf("%d apps for the peering, want 1", apps)
			}
			lost := 1 - won
			if rec, _ := (state.Dir{Path: dirs[lost]}).Load(target); rec != nil {
				if err := startProcess(t, w.sb, dirs[lost], 0, false).remove(target); err != nil {
					t.Fatalf("delete the losing run: %v", err)
				}
				w.checkActive(t, "after deleting the losing run")
			}
			if err := startProcess(t, w.sb, dirs[won], 0, false).remove(target); err != nil {
				t.Fatalf("delete the winning run: %v", err)
			}
			w.stateDir = dirs[won]
			if l := w.leftovers(t); len(l) > 0 {
				t.Errorf("after both deletes:\n  %s", strings.Join(l, "\n  "))
			}
		})
	}
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Create and delete under 10% server errors and 10% throttling on every
// API: every call of every step, reads included, is retried, and each
// cycle ends with the world as it began.
func TestChaosCreateDeleteUnderFaults(t *testing.T) {
	for seed := range 8 {
		t.Run(fmt.Sprint("seed-", seed), func(t *testing.T) {
			t.Parallel()
			f := sandbox.FaultConfig{Rate5xx: 0.1, Rate429: 0.1, RetryAfter: 10 * time.Millisecond}
			w := newChaosWorld(t, sandbox.Options{Seed: uint64(seed) + 100, Faults: map[sandbox.API]sandbox.FaultConfig{
				sandbox.APIGraph: f, sandbox.APIARM: f, sandbox.APIAiven: f, sandbox.APIEntra: f}})
			target := stagingTarget()
			if err := startProcess(t, w.sb, w.stateDir, 0, false).create(target); err != nil {
				t.Fatalf("create under faults: %v", err)
			}
			w.checkActive(t, "under faults")
			if err := startProcess(t, w.sb, w.stateDir, 0, false).remove(target); err != nil {
				t.Fatalf("delete under faults: %v", err)
			}
			for _, api := range []sandbox.API{sandbox.APIGraph, sandbox.APIARM, sandbox.APIAiven, sandbox.APIEntra} {
				w.sb.SetFaults(api, sandbox.FaultConfig{})
			}
			if l := w.leftovers(t); len(l) > 0 {
				t.Errorf("after a create and a delete under faults:\n  %s", strings.Join(l, "\n  "))
			}
		})
	}
}
