package peering_test

// Sync after an address space changed, through the real adapters against
// the sandbox: azpeer syncs the user's side (as the run's app, or as the
// signed-in admin), asks Aiven to refresh its side, and waits until both
// sides say FullyInSync.

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// syncLevels are the sync levels of every peering, by network id and
// peering name, as /_sandbox/state shows them.
func (e *env) syncLevels(t testing.TB) map[string]string {
	t.Helper()
	var w struct {
		VNets map[string]struct {
			ID       string `json:"id"`
			Peerings map[string]struct {
				Name  string `json:"name"`
				Level string `json:"peering_sync_level"`
			} `json:"peerings"`
		} `json:"vnets"`
	}
	if err := json.Unmarshal(e.State(t), &w); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, v := range w.VNets {
		for _, p := range v.Peerings {
			out[strings.ToLower(v.ID)+"/"+p.Name] = p.Level
		}
	}
	return out
}

// azpeerSecrets counts the secrets azpeer added to an app that are still there.
func azpeerSecrets(t testing.TB, e *env, appID string) int {
	t.Helper()
	app, err := e.Directory.ApplicationByAppID(ctxFor(t), appID)
	if err != nil || app == nil {
		t.Fatalf("app %s: %v", appID, err)
	}
	n := 0
	for _, pc := range app.Passwords {
		if strings.HasPrefix(pc.DisplayName, "azpeer run ") {
			n++
		}
	}
	return n
}

func TestSyncAfterAddressSpaceChange(t *testing.T) {
	t.Parallel()
	stagingAivenVNet := sandbox.VNetID(sandbox.AivenSubscriptionID, "aiven-vpc-westeurope", "aiven-vnet-2a3b4c5d")
	tests := []struct {
		name     string
		variants map[string]string
		// made: azpeer created the staging peering (else: tsdb-prod's, made by hand).
		made bool
		// change is the network whose address space changes, and its new space.
		change   string
		prefixes []string
		// wantAs is who syncs the user's side ("" when azpeer cannot).
		wantAs string
	}{
		{"the user's VNet grew; azpeer's peering: synced as the app, Aiven refreshed", nil, true,
			sandboxtest.AppVNetID, []string{"10.2.0.0/16", "10.4.0.0/16"}, "peering app"},
		{"the user's VNet grew; Aiven follows by itself", map[string]string{sandbox.VariantAivenAddressSpaceSync: "periodic"}, true,
			sandboxtest.AppVNetID, []string{"10.2.0.0/16", "10.4.0.0/16"}, "peering app"},
		{"the user's VNet grew; a sync of the changed side syncs both", map[string]string{sandbox.VariantAzureSyncChangedSide: "syncs-both"}, true,
			sandboxtest.AppVNetID, []string{"10.2.0.0/16", "10.4.0.0/16"}, "peering app"},
		{"Aiven's network grew: only the user's side can sync", nil, true,
			stagingAivenVNet, []string{"10.30.0.0/24", "10.31.0.0/24"}, "peering app"},
		{"a peering made by hand: the admin may not sync it, Aiven's refresh does", nil, false,
			sandboxtest.ProdVNetID, []string{"10.1.0.0/16", "10.3.0.0/16"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Options{Speed: 100, Timing: addressSyncTiming(2 * time.Minute), Variants: tt.variants})
			tg, aivenVNet, name := prodTarget(), sandboxtest.AivenProdVNetID, "to-aiven-tsdb-prod"
			if tt.made {
				run := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
				runAll(t, run, "create")
				rec := run.Record()
				run.Close()
				tg, aivenVNet, name = stagingTarget(), rec.Outputs[peering.OutAivenVNetID], rec.Outputs[peering.OutAzurePeeringName]
			}
			if err := e.Sandbox.SetVNetAddressSpace(tt.change, tt.prefixes); err != nil {
				t.Fatal(err)
			}
			rb := e.runbook()
			d := rb.Diagnose(ctxFor(t), tg, "")
			requireFinding(t, d, peering.RuleNotInSync, true)

			var evs []peering.SyncEvent
			res := rb.Sync(ctxFor(t), tg, func(ev peering.SyncEvent) { evs = append(evs, ev) })
			if res.Outcome != peering.WaitReached {
				t.Fatalf("sync: %s (%v), events %+v", res.Outcome, res.Err, evs)
			}
			if !strings.Contains(res.SyncedAs, tt.wantAs) || (tt.wantAs == "") != (res.Manual != "") {
				t.Errorf("synced as %q, manual %q", res.SyncedAs, res.Manual)
			}
			if evs[0].Action != "read" || evs[0].Level == peering.SyncFully || evs[len(evs)-1].Level != peering.SyncFully {
				t.Errorf("events from %+v to %+v", evs[0], evs[len(evs)-1])
			}
			levels := e.syncLevels(t)
			for k, lvl := range levels {
				// The pair synced: the user's peering of this target (prod-vnet is
				// also peered with the organization VPC, whose pair is another's
				// to sync) and every side of Aiven's network.
				if (k == strings.ToLower(tg.VNetID())+"/"+strings.ToLower(name) || strings.HasPrefix(k, strings.ToLower(aivenVNet)+"/")) && lvl != peering.SyncFully {
					t.Errorf("%s is %s after the sync", k, lvl)
				}
			}
			if _, ok := levels[strings.ToLower(tg.VNetID())+"/"+name]; !ok {
				t.Errorf("no peering %s in %v", name, levels)
			}
			if tt.made {
				if n := azpeerSecrets(t, e, run0AppID(t, e, tg)); n != 0 {
					t.Errorf("%d secret(s) azpeer added are left on the app", n)
				}
			}
			if d := rb.Diagnose(ctxFor(t), tg, ""); !d.Healthy() {
				t.Errorf("after the sync:\n%s", dump(d))
			}
			// Once in sync, a sync has nothing to do.
			if again := rb.Sync(ctxFor(t), tg, nil); again.Outcome != peering.WaitReached || again.SyncedAs != "" {
				t.Errorf("a second sync: %s, synced as %q", again.Outcome, again.SyncedAs)
			}
		})
	}
}

// run0AppID is the app of the target's run record.
func run0AppID(t testing.TB, e *env, tg peering.Target) string {
	t.Helper()
	rec, err := e.runbook().Store.Load(tg)
	if err != nil || rec == nil {
		t.Fatalf("record: %v", err)
	}
	return rec.Outputs[peering.OutUserAppID]
}

func TestSyncRefusalsAndTimeout(t *testing.T) {
	t.Parallel()
	timing := addressSyncTiming(10000 * time.Hour)
	e := newEnv(t, sandbox.Options{Speed: 100, Timing: timing, Variants: map[string]string{sandbox.VariantAivenAddressSpaceSync: "periodic"}})
	// In sync: nothing to do.
	if res := e.runbook().Sync(ctxFor(t), prodTarget(), nil); res.Outcome != peering.WaitReached {
		t.Errorf("sync of a peering in sync: %s %v", res.Outcome, res.Err)
	}
	if err := e.Sandbox.SetVNetAddressSpace(sandboxtest.ProdVNetID, []string{"10.1.0.0/16", "10.3.0.0/16"}); err != nil {
		t.Fatal(err)
	}
	before := e.state()
	ro := e.runbook()
	ro.ReadOnly = true
	if res := ro.Sync(ctxFor(t), prodTarget(), nil); !errors.Is(res.Err, peering.ErrReadOnly) {
		t.Errorf("read-only sync: %s %v", res.Outcome, res.Err)
	}
	if after := e.state(); len(after.Applications) != len(before.Applications) {
		t.Error("a read-only sync changed the world")
	}
	// Aiven never follows here: the sync waits until its deadline.
	ctx, cancel := context.WithTimeout(ctxFor(t), 300*time.Millisecond)
	defer cancel()
	res := e.runbook().Sync(ctx, prodTarget(), nil)
	if res.Outcome != peering.WaitTimedOut || res.Last.Level != peering.SyncRemoteNotInSync {
		t.Errorf("sync Aiven never follows: %s, level %s (%v)", res.Outcome, res.Last.Level, res.Err)
	}
	// Nothing to sync: a failed connection, no Azure peering.
	failed := peering.Target{Project: "tsdb-prod", VPCID: prodVPC, SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-prod", VNetName: "prod-vnet-old"}
	if res := e.runbook().Sync(ctxFor(t), failed, nil); res.Outcome == peering.WaitReached || res.Err == nil {
		t.Errorf("sync of a failed peering: %s %v", res.Outcome, res.Err)
	}
}
