package peering_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// events collects a run's events safely.
type events struct {
	mu  sync.Mutex
	all []peering.Event
}

func (e *events) sink(ev peering.Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
}

func (e *events) states(side string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.all {
		if ev.Kind == peering.EventState && ev.Side == side && (len(out) == 0 || out[len(out)-1] != ev.To) {
			out = append(out, ev.To)
		}
	}
	return out
}

func (e *events) text() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, ev := range e.all {
		fmt.Fprintf(&b, "%s %s %s %v\n", ev.Step, ev.Kind, ev.String(), ev.Outputs)
	}
	return b.String()
}

// fingerprint is the world as a sorted list of facts that must not be
// duplicated: one line per app, SP, role, assignment, peering.
func fingerprint(w worldState) []string {
	var out []string
	for _, a := range w.Applications {
		out = append(out, "app "+a.TenantID+" "+a.DisplayName)
		for _, pc := range a.PasswordCredentials {
			out = append(out, "secret "+a.DisplayName+" "+pc.KeyID)
		}
	}
	for _, sp := range w.ServicePrincipals {
		out = append(out, "sp "+sp.TenantID+" "+sp.AppID)
	}
	for _, rd := range w.RoleDefinitions {
		if rd.RoleType == "CustomRole" {
			out = append(out, "role "+rd.TenantID+" "+rd.RoleName)
		}
	}
	for _, ra := range w.RoleAssignments {
		rid := ra.RoleDefinitionID[strings.LastIndex(ra.RoleDefinitionID, "/")+1:]
		out = append(out, strings.ToLower("assignment "+ra.Scope+" "+rid+" "+ra.PrincipalID))
	}
	for _, v := range w.VNets {
		for _, p := range v.Peerings {
			out = append(out, strings.ToLower("vnet-peering "+v.ID+" -> "+p.RemoteVNetID))
		}
	}
	for name, p := range w.Aiven.Projects {
		for _, v := range p.VPCs {
			for _, c := range v.Peerings {
				out = append(out, "aiven-peering "+name+" "+v.ID+" "+c.PeerCloudAccount+"/"+c.PeerResourceGroup+"/"+c.PeerVPC)
			}
		}
	}
	slices.Sort(out)
	return out
}

func duplicates(fp []string) []string {
	var d []string
	for i := 1; i < len(fp); i++ {
		if fp[i] == fp[i-1] {
			d = append(d, fp[i])
		}
	}
	return d
}

func TestRunbookFullFlowToActive(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	before := e.state()
	rb := e.runbook()
	run := openRun(t, rb, stagingTarget(), peering.Options{Role: peering.RoleLeastPrivilege})
	ev := runAll(t, run, "RunAll")
	if err := run.Close(); err != nil {
		t.Fatal(err)
	}
	rec := run.Record()
	if got := rec.Outputs[peering.OutAivenState]; got != "ACTIVE" {
		t.Errorf("aiven state %q, want ACTIVE", got)
	}
	if got := rec.Outputs[peering.OutAzurePeeringState]; got != "Connected" {
		t.Errorf("azure peering state %q, want Connected", got)
	}
	for _, k := range []string{peering.OutUserAppID, peering.OutUserSPID, peering.OutAivenSPID, peering.OutAivenRoleID,
		peering.OutAivenTenantID, peering.OutAivenVNetID, peering.OutUserAppAssignment, peering.OutAivenAssignment} {
		if rec.Outputs[k] == "" {
			t.Errorf("output %s missing", k)
		}
	}
	if got := ev.states("aiven"); !slices.Contains(got, "APPROVED") || !slices.Contains(got, "PENDING_PEER") || got[len(got)-1] != "ACTIVE" {
		t.Errorf("aiven transitions %v, want APPROVED … PENDING_PEER … ACTIVE", got)
	}

	after := e.state()
	fp := fingerprint(after)
	if d := duplicates(fp); len(d) > 0 {
		t.Errorf("duplicates after create: %v", d)
	}
	countNew := func(prefix string) int {
		n := 0
		old := fingerprint(before)
		for _, f := range fp {
			if strings.HasPrefix(f, prefix) && !slices.Contains(old, f) {
				n++
			}
		}
		return n
	}
	// One app; its SP in the user's tenant and (made by Aiven) in Aiven's;
	// the peer-only role and the least-privilege role; assignments: the
	// app's, Aiven's, and Aiven's grant to the app on its VNet.
	checks := map[string]int{"app ": 1, "sp ": 2, "role ": 2, "assignment ": 3, "vnet-peering ": 2, "aiven-peering ": 1}
	for prefix, want := range checks {
		if got := countNew(prefix); got != want {
			t.Errorf("new %q facts: %d, want %d", prefix, got, want)
		}
	}

	// Rerunning a finished run detects everything and changes nothing.
	run2 := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
	runAll(t, run2, "rerun")
	run2.Close()
	if got := fingerprint(e.state()); !slices.Equal(got, fp) {
		t.Errorf("rerun changed the world:\nbefore %v\nafter  %v", fp, got)
	}
}

// The secret must reach no file under the state dir and no event.
func TestRunbookSecretNeverPersisted(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	// Capture every secret the directory hands out by wrapping it.
	spy := &secretSpy{Directory: e.Directory}
	rb := e.runbook()
	rb.Directory = spy
	run := openRun(t, rb, stagingTarget(), peering.Options{})
	ev := runAll(t, run, "RunAll")
	run.Close()
	if len(spy.secrets) == 0 {
		t.Fatal("no secret was created")
	}
	var files []string
	_ = filepath.Walk(e.stateDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files = append(files, p)
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
			}
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no run record written")
	}
	for _, s := range spy.secrets {
		for _, f := range files {
			data, _ := os.ReadFile(f)
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("secret found in %s", f)
			}
		}
		if strings.Contains(ev.text(), s) {
			t.Error("secret found in the event stream")
		}
		for _, step := range peering.StepIDs() {
			if strings.Contains(run.Command(step), s) {
				t.Errorf("secret found in the command of step %s", step)
			}
		}
	}
}

type secretSpy struct {
	peering.Directory
	secrets []string
}

func (s *secretSpy) AddPassword(ctx context.Context, id, name string, end time.Time) (peering.PasswordCredential, peering.Secret, error) {
	pc, sec, err := s.Directory.AddPassword(ctx, id, name, end)
	if err == nil {
		s.secrets = append(s.secrets, sec.Reveal())
	}
	return pc, sec, err
}

// Interrupting after any step and resuming in a new process reaches ACTIVE
// with no duplicate anywhere.
func TestRunbookResumeAtEveryStep(t *testing.T) {
	t.Parallel()
	ids := peering.StepIDs()
	for i := 1; i < len(ids); i++ {
		t.Run(fmt.Sprintf("after-%02d-%s", i, ids[i-1]), func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			run := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
			if err := e.runbook().Preflight(ctxFor(t), stagingTarget(), peering.Options{}); err != nil {
				t.Fatal(err)
			}
			for _, id := range ids[:i] {
				if err := run.RunStep(ctxFor(t), id, nil); err != nil {
					t.Fatalf("step %s: %v", id, err)
				}
			}
			// The process dies: the secret is gone with it.
			run.Close()
			run2 := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
			defer run2.Close()
			runAll(t, run2, "resume")
			if got := run2.Record().Outputs[peering.OutAivenState]; got != "ACTIVE" {
				t.Errorf("state %q after resume", got)
			}
			w := e.state()
			if d := duplicates(fingerprint(w)); len(d) > 0 {
				t.Errorf("duplicates: %v", d)
			}
			// No live secret is left: once the Azure peering exists, every
			// secret azpeer added (this session's and the lost ones of
			// earlier sessions) is removed.
			for _, a := range w.Applications {
				if strings.HasPrefix(a.DisplayName, "azpeer-tsdb-staging") && len(a.PasswordCredentials) != 0 {
					t.Errorf("app has %d password credentials, want none", len(a.PasswordCredentials))
				}
			}
		})
	}
}

// A cancelled context mid-run leaves a resumable record.
func TestRunbookCancelThenResume(t *testing.T) {
	t.Parallel()
	timing := sandbox.DefaultTiming()
	e := newEnv(t, sandbox.Options{Speed: 50, Timing: &timing})
	run := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
	ctx, cancel := context.WithCancel(ctxFor(t))
	var ev events
	done := make(chan error, 1)
	go func() { done <- run.RunAll(ctx, ev.sink) }()
	// Cancel once the run waits on Aiven.
	var runErr error
wait:
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case runErr = <-done:
			t.Fatalf("RunAll ended before the wait step: %v\n%s", runErr, ev.text())
		case <-time.After(5 * time.Millisecond):
			if strings.Contains(ev.text(), string(peering.StepWaitPendingPeer)+" started") {
				break wait
			}
		}
	}
	cancel()
	if runErr = <-done; !errors.Is(runErr, context.Canceled) {
		t.Fatalf("RunAll after cancel: %v", runErr)
	}
	run.Close()
	run2 := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
	defer run2.Close()
	if err := run2.RunAll(ctxFor(t), nil); err != nil {
		t.Fatalf("resume: %v", err)
	}
}

// Throttling and server errors are retried by the SDKs and the runbook;
// replication and propagation windows are retried, not failed.
func TestRunbookTransientFaults(t *testing.T) {
	t.Parallel()
	timing := sandbox.Timing{
		SecretReplication:    sandbox.Duration(5 * time.Second),
		PrincipalReplication: sandbox.Duration(10 * time.Second),
		RolePropagation:      sandbox.Duration(20 * time.Second),
		PeeringProvisioning:  sandbox.Duration(2 * time.Second),
		AivenApproval:        sandbox.Duration(5 * time.Second),
		AivenActivation:      sandbox.Duration(5 * time.Second),
		AivenDeletion:        sandbox.Duration(5 * time.Second),
		AivenPeerLoss:        sandbox.Duration(5 * time.Second),
	}
	faults := map[sandbox.API]sandbox.FaultConfig{
		sandbox.APIARM:   {Rate429: 0.1, Rate5xx: 0.05, RetryAfter: 20 * time.Millisecond},
		sandbox.APIGraph: {Rate5xx: 0.1},
		sandbox.APIAiven: {Rate5xx: 0.1, Rate429: 0.05, RetryAfter: 20 * time.Millisecond},
	}
	e := newEnv(t, sandbox.Options{Speed: 40, Timing: &timing, Seed: 7, Faults: faults})
	run := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
	defer run.Close()
	ev := runAll(t, run, "RunAll")
	if got := run.Record().Outputs[peering.OutAivenState]; got != "ACTIVE" {
		t.Errorf("state %q", got)
	}
	if d := duplicates(fingerprint(e.state())); len(d) > 0 {
		t.Errorf("duplicates: %v", d)
	}
	retried := ev.text()
	if !strings.Contains(retried, "retrying") {
		t.Logf("events:\n%s", retried)
		t.Error("expected the propagation windows to cause retries")
	}
}

func TestRunbookOverlapRefusedBeforeCreating(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	before := fingerprint(e.state())
	tgt := peering.Target{Project: "tsdb-staging", VPCID: stagingVPC, SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "Rg-Legacy", VNetName: "Legacy-VNet"}
	run := openRun(t, e.runbook(), tgt, peering.Options{})
	defer run.Close()
	err := run.RunAll(ctxFor(t), nil)
	var ve *peering.ValidationError
	if !errors.As(err, &ve) || ve.Field != "vnet" || !strings.Contains(err.Error(), "overlaps") {
		t.Fatalf("want an overlap validation error on --vnet, got %v", err)
	}
	if got := fingerprint(e.state()); !slices.Equal(got, before) {
		t.Errorf("something was created:\n%v\n%v", before, got)
	}
}

func TestRunbookLowercasesNamesForAiven(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	tgt := peering.Target{Project: "tsdb-prod", VPCID: prodVPC, SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "Rg-Legacy", VNetName: "Legacy-VNet"}
	run := openRun(t, e.runbook(), tgt, peering.Options{})
	defer run.Close()
	ev := runAll(t, run, "RunAll")
	if !strings.Contains(ev.text(), "rg-legacy/legacy-vnet") {
		t.Error("no notice about lower-casing")
	}
	found := false
	for _, f := range fingerprint(e.state()) {
		found = found || strings.HasSuffix(f, "/rg-legacy/legacy-vnet")
		if strings.HasPrefix(f, "aiven-peering") && strings.Contains(f, "Legacy") {
			t.Errorf("mixed case sent to Aiven: %s", f)
		}
	}
	if !found {
		t.Error("no lower-case Aiven peering")
	}
}

func TestRunbookDeleteRestoresTheWorld(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	before := fingerprint(e.state())
	run := openRun(t, e.runbook(), stagingTarget(), peering.Options{Role: peering.RoleLeastPrivilege})
	if err := run.RunAll(ctxFor(t), nil); err != nil {
		t.Fatal(err)
	}
	run.Close()
	run2 := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
	var ev events
	if err := run2.Teardown(ctxFor(t), peering.TeardownOptions{}, ev.sink); err != nil {
		t.Fatalf("teardown: %v\n%s", err, ev.text())
	}
	run2.Close()
	if got := fingerprint(e.state()); !slices.Equal(got, before) {
		t.Errorf("world differs after delete:\nbefore %v\nafter  %v\nevents:\n%s", before, got, ev.text())
	}
}

func TestRunbookLockHeldByAnotherRun(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	run := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
	defer run.Close()
	_, err := e.runbook().Open(stagingTarget(), peering.Options{})
	var le *peering.LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("want a LockedError naming pid %d, got %v", os.Getpid(), err)
	}
}

// A principal without Application Administrator is told which role it
// needs: by the preflight when it can read the principal's roles, else at
// the step that creates Aiven's service principal — the first step that
// creates anything, so nothing else is left behind.
func TestRunbookNeedsApplicationAdministratorAtStep7(t *testing.T) {
	// Aiven's service principal exists in the default scenario (for the
	// ACTIVE tsdb-prod peering); remove it as the admin first, as in a
	// tenant that never peered with Aiven.
	admin := newEnv(t, sandbox.Options{})
	sp, err := admin.Directory.ServicePrincipalByAppID(ctxFor(t), peering.DefaultAivenAppID)
	if err != nil || sp == nil {
		t.Fatalf("Aiven's service principal: %v, %v", sp, err)
	}
	if err := admin.Directory.DeleteServicePrincipal(ctxFor(t), sp.ObjectID); err != nil {
		t.Fatal(err)
	}
	e := admin.as(t, sandbox.PrincipalSpec{DisplayName: "ci-automation",
		GraphPermissions: []string{sandbox.PermissionOwnedBy}, SubscriptionRole: "Owner"})

	// Signed in as an app, the preflight reads its directory roles and
	// stops before anything is created.
	before := fingerprint(admin.state())
	err = e.runbook().Preflight(ctxFor(t), stagingTarget(), peering.Options{})
	var pe *peering.PermissionError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "Application Administrator") || !strings.Contains(err.Error(), peering.StepRef(peering.StepAivenSP)) {
		t.Fatalf("preflight: want a PermissionError naming Application Administrator, got %v", err)
	}
	if got := fingerprint(admin.state()); !slices.Equal(got, before) {
		t.Error("the preflight created something")
	}

	// The scenario's admin holds Application Administrator: it passes.
	if err := admin.runbook().Preflight(ctxFor(t), stagingTarget(), peering.Options{}); err != nil {
		t.Errorf("preflight as an Application Administrator: %v", err)
	}

	// When the preflight cannot tell (a user sign-in), the step says it,
	// and nothing else was created.
	rb := e.runbook()
	rb.Identity = nil
	run := openRun(t, rb, stagingTarget(), peering.Options{})
	defer run.Close()
	err = run.RunAll(ctxFor(t), nil)
	var se *peering.StepError
	if !errors.As(err, &se) || se.Step != peering.StepAivenSP {
		t.Fatalf("want a failure at %s, got %v", peering.StepRef(peering.StepAivenSP), err)
	}
	if !strings.Contains(err.Error(), "Application Administrator") || peering.ErrorCode(err) != "Authorization_RequestDenied" {
		t.Errorf("error does not name the role or the code: %v", err)
	}
	if got := fingerprint(admin.state()); !slices.Equal(got, before) {
		t.Errorf("something was created before the refusal:\n%v\n%v", before, got)
	}
}

// A principal that can read but not assign roles is stopped before
// anything is created, with the right it lacks named.
func TestRunbookPreflightNeedsRoleAssignmentRights(t *testing.T) {
	admin := newEnv(t, sandbox.Options{})
	e := admin.as(t, sandbox.PrincipalSpec{DisplayName: "network-only", DirectoryRoles: []string{sandbox.RoleApplicationAdministrator},
		SubscriptionRole: "Contributor"})
	before := fingerprint(admin.state())
	run := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
	defer run.Close()
	err := run.RunAll(ctxFor(t), nil)
	var pe *peering.PermissionError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "roleAssignments/write") || !strings.Contains(err.Error(), "Owner") {
		t.Fatalf("want a PermissionError naming roleAssignments/write, got %v", err)
	}
	if got := fingerprint(admin.state()); !slices.Equal(got, before) {
		t.Errorf("something was created:\n%v\n%v", before, got)
	}
}

// An --aiven-app-id no tenant has is found at the first step that creates
// anything, and the error names the flag; nothing else is created.
func TestRunbookUnknownAivenAppIDCreatesNothing(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	before := fingerprint(e.state())
	run := openRun(t, e.runbook(), stagingTarget(), peering.Options{AivenAppID: "0badc0de-aaaa-4bbb-8ccc-dddddddddddd"})
	defer run.Close()
	err := run.RunAll(ctxFor(t), nil)
	var se *peering.StepError
	if !errors.As(err, &se) || se.Step != peering.StepAivenSP || !strings.Contains(err.Error(), "--aiven-app-id") {
		t.Fatalf("want a failure at %s naming --aiven-app-id, got %v", peering.StepRef(peering.StepAivenSP), err)
	}
	if got := fingerprint(e.state()); !slices.Equal(got, before) {
		t.Errorf("something was created:\n%v\n%v", before, got)
	}
}

// failingStore stops saving after a number of saves, as a state directory
// turned read-only would.
type failingStore struct {
	peering.RecordStore
	left int
}

func (f *failingStore) Save(r *peering.Record) error {
	if f.left <= 0 {
		return fmt.Errorf("open %s: read-only file system", f.Location())
	}
	f.left--
	return f.RecordStore.Save(r)
}

// When the record cannot be saved, the create it would have recorded is
// not made: every object in the cloud is in the record.
func TestRunbookUnsavableRecordStopsBeforeCreating(t *testing.T) {
	t.Parallel()
	for _, saves := range []int{1, 4, 8, 12, 20, 30} {
		t.Run(fmt.Sprint("saves-", saves), func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			before := fingerprint(e.state())
			rb := e.runbook()
			fs := &failingStore{RecordStore: rb.Store, left: saves}
			rb.Store = fs
			run := openRun(t, rb, stagingTarget(), peering.Options{})
			err := run.RunAll(ctxFor(t), nil)
			run.Close()
			var sv *peering.SaveError
			if err != nil && !errors.As(err, &sv) && !strings.Contains(err.Error(), "read-only") {
				t.Fatalf("run with an unsavable record: %v", err)
			}
			if errors.As(err, &sv) && !strings.Contains(err.Error(), "nothing was created at this step") {
				t.Errorf("the error does not say nothing was created: %v", err)
			}
			// Everything the cloud holds is known to the last saved record:
			// a fresh process deletes it all.
			run2 := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
			if !run2.New() {
				if err := run2.Teardown(ctxFor(t), peering.TeardownOptions{}, nil); err != nil {
					t.Fatal(err)
				}
			}
			run2.Close()
			if got := fingerprint(e.state()); !slices.Equal(got, before) {
				t.Errorf("after %d saves and a delete, the world differs:\nbefore %v\nafter  %v", saves, before, got)
			}
		})
	}
}

// A VNet already peered with a network that overlaps the project VPC is
// refused before anything is created, naming that peering (Azure would
// refuse the peering to Aiven at the end with
// VnetAddressSpaceOverlapsWithAlreadyPeeredVnet).
func TestPreflightRefusesOverlapWithAPeeredNetwork(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	app := "/subscriptions/" + sandbox.UserSubscriptionID + "/resourceGroups/rg-app/providers/Microsoft.Network/virtualNetworks/app-vnet"
	legacy := "/subscriptions/" + sandbox.UserSubscriptionID + "/resourceGroups/Rg-Legacy/providers/Microsoft.Network/virtualNetworks/Legacy-VNet"
	// A hub and spoke: app-vnet peers with Legacy-VNet (10.30.0.0/16),
	// which overlaps tsdb-staging's VPC (10.30.0.0/24).
	for _, p := range [][2]string{{app, legacy}, {legacy, app}} {
		if _, err := e.Network.CreatePeering(ctxFor(t), p[0], "hub", p[1]); err != nil {
			t.Fatal(err)
		}
	}
	before := fingerprint(e.state())
	run := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
	defer run.Close()
	err := run.RunAll(ctxFor(t), nil)
	var ve *peering.ValidationError
	if !errors.As(err, &ve) || ve.Field != "vnet" || !strings.Contains(err.Error(), "already peered (peering hub)") || !strings.Contains(err.Error(), "10.30.0.0/16") {
		t.Fatalf("want the overlap with the peered network refused, got %v", err)
	}
	if got := fingerprint(e.state()); !slices.Equal(got, before) {
		t.Errorf("something was created:\n%v\n%v", before, got)
	}
}

// Managed Service for TimescaleDB is its own Aiven, with its own Entra app:
// with --aiven-app-id naming it, the whole flow reaches ACTIVE on an MST
// project, granting MST's service principal (not Aiven's), and the delete
// restores the world.
func TestRunbookMSTWithItsOwnApp(t *testing.T) {
	e := newEnv(t, sandbox.Options{Scenario: "mst"})
	before := fingerprint(e.state())
	tg := peering.Target{Project: sandbox.MSTProject, VPCID: sandbox.MSTAzureVPCID, SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-app", VNetName: "app-vnet"}
	o := peering.Options{AivenAppID: sandbox.MSTAppID}
	run := openRun(t, e.runbook(), tg, o)
	runAll(t, run, "create on MST")
	rec := run.Record()
	run.Close()
	if rec.Outputs[peering.OutAivenState] != "ACTIVE" || rec.Outputs[peering.OutAivenTenantID] != sandbox.MSTTenantID {
		t.Errorf("MST run ended %s with Aiven tenant %s, want ACTIVE and MST's tenant", rec.Outputs[peering.OutAivenState], rec.Outputs[peering.OutAivenTenantID])
	}
	sp, err := e.Directory.ServicePrincipalByAppID(ctxFor(t), sandbox.MSTAppID)
	if err != nil || sp == nil || rec.Outputs[peering.OutAivenSPID] != sp.ObjectID {
		t.Errorf("the grant went to %s, want MST's service principal %v (%v)", rec.Outputs[peering.OutAivenSPID], sp, err)
	}
	// Diagnosis and delete honour the run's app id.
	if d := e.runbook().Diagnose(ctxFor(t), tg, ""); !d.Healthy() {
		t.Errorf("diagnosis of the MST peering:\n%s", dump(d))
	}
	run2 := openRun(t, e.runbook(), tg, peering.Options{})
	if err := run2.Teardown(ctxFor(t), peering.TeardownOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	run2.Close()
	if got := fingerprint(e.state()); !slices.Equal(got, before) {
		t.Errorf("after delete:\nbefore %v\nafter  %v", before, got)
	}
}

// TestPreflightNamesTheTenantOfAnUnseenSubscription asks for a VNet in a
// subscription of another tenant: the refusal says which tenant to sign
// in to, before anything is created.
func TestPreflightNamesTheTenantOfAnUnseenSubscription(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	tg := stagingTarget()
	tg.SubscriptionID = sandbox.AivenSubscriptionID
	err := e.runbook().Preflight(ctxFor(t), tg, peering.Options{})
	var ve *peering.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "belongs to tenant "+sandbox.AivenTenantID) ||
		!strings.Contains(err.Error(), "signed in to "+sandbox.UserTenantID) || !strings.Contains(err.Error(), "az login --tenant "+sandbox.AivenTenantID) {
		t.Fatalf("want the subscription's tenant named, got %v", err)
	}
}
