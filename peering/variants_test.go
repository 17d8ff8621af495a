package peering_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/state"
)

// pairwise returns a small set of variant combinations in which every
// pair of values of any two variants occurs at least once (a greedy
// covering array over the whole product, deterministic).
func pairwise(vs []sandbox.Variant) []variantSet {
	type pair struct{ a, av, b, bv string }
	uncovered := map[pair]bool{}
	for i, x := range vs {
		for _, y := range vs[i+1:] {
			for _, xv := range x.Values {
				for _, yv := range y.Values {
					uncovered[pair{x.Name, xv.Name, y.Name, yv.Name}] = true
				}
			}
		}
	}
	var all []variantSet
	var build func(i int, cur variantSet)
	build = func(i int, cur variantSet) {
		if i == len(vs) {
			all = append(all, maps.Clone(cur))
			return
		}
		for _, val := range vs[i].Values {
			cur[vs[i].Name] = val.Name
			build(i+1, cur)
		}
	}
	build(0, variantSet{})
	covers := func(c variantSet) int {
		n := 0
		for p := range uncovered {
			if c[p.a] == p.av && c[p.b] == p.bv {
				n++
			}
		}
		return n
	}
	var out []variantSet
	for len(uncovered) > 0 {
		best, bestN := all[0], -1
		for _, c := range all {
			if n := covers(c); n > bestN {
				best, bestN = c, n
			}
		}
		out = append(out, best)
		for p := range uncovered {
			if best[p.a] == p.av && best[p.b] == p.bv {
				delete(uncovered, p)
			}
		}
	}
	return out
}

func TestPairwiseCoversEveryPair(t *testing.T) {
	vs := sandbox.AllVariants()
	combos := pairwise(vs)
	for i, x := range vs {
		for _, y := range vs[i+1:] {
			for _, xv := range x.Values {
				for _, yv := range y.Values {
					if !slices.ContainsFunc(combos, func(c variantSet) bool { return c[x.Name] == xv.Name && c[y.Name] == yv.Name }) {
						t.Errorf("no combination has %s=%s with %s=%s", x.Name, xv.Name, y.Name, yv.Name)
					}
				}
			}
		}
	}
	t.Logf("%d variants, %d pairwise combinations", len(vs), len(combos))
}

// The whole suite of situations under every pair of variant values: the
// full flow (create, ACTIVE, a rerun that changes nothing, a delete that
// restores the world) and every diagnosis rule with its fix.
func TestVariantMatrix(t *testing.T) {
	combos := pairwise(sandbox.AllVariants())
	for i, v := range combos {
		t.Run(fmt.Sprintf("combo-%02d", i+1), func(t *testing.T) {
			t.Parallel()
			t.Logf("variants: %s", v)
			t.Run("full-flow", func(t *testing.T) { fullFlow(t, v, stagingTarget()) })
			// The same flow on the organization VPC: one step table, other calls.
			t.Run("organization-vpc", func(t *testing.T) { fullFlow(t, v, orgTarget()) })
			t.Run("resume-after-failure", func(t *testing.T) { resumeAfterFailures(t, v) })
			t.Run("diagnosis", func(t *testing.T) { runDiagnoseRules(t, v) })
		})
	}
	t.Logf("%d pairwise combinations of %d variants", len(combos), len(sandbox.AllVariants()))
}

// fullFlow: create to ACTIVE, rerun (no change), delete (world restored).
func fullFlow(t *testing.T, v variantSet, target peering.Target) {
	// Busy networks now and then, answered the variant's way: peering
	// operations take a moment (100 ms), and some writes meet another one.
	busy := sandbox.FaultConfig{RateBusy: 0.15, RateReferencedNotProvisioned: 0.15}
	timing := sandbox.Timing{PeeringProvisioning: sandbox.Duration(5 * time.Second)}
	w := newChaosWorld(t, v.apply(sandbox.Options{Seed: 42, Speed: 50, Timing: &timing,
		Faults: map[sandbox.API]sandbox.FaultConfig{sandbox.APIARM: busy}}))
	if err := startProcess(t, w.sb, w.stateDir, 0, false).create(target); err != nil {
		t.Fatalf("create: %v", err)
	}
	w.checkActive(t, "create under "+v.String())
	waitConnection(t, w.e, target, peering.StateActive)
	busyAnswers := 0
	for _, r := range w.sb.Requests().Requests {
		if r.API == sandbox.APIARM && (r.Status == 409 || r.Status == 400) {
			busyAnswers += r.Count
		}
	}
	t.Logf("Resource Manager answered busy (409/400) %d time(s); azpeer retried through them", busyAnswers)
	fp := fingerprint(w.e.state())
	if err := startProcess(t, w.sb, w.stateDir, 0, false).create(target); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if got := fingerprint(w.e.state()); !slices.Equal(got, fp) {
		t.Errorf("the rerun changed the world:\n%v\n%v", fp, got)
	}
	if err := startProcess(t, w.sb, w.stateDir, 0, false).remove(target); err != nil {
		t.Fatalf("delete: %v", err)
	}
	waitConnection(t, w.e, target, "")
	if l := w.leftovers(t); len(l) > 0 {
		t.Errorf("after delete:\n  %s", strings.Join(l, "\n  "))
	}
}

// orgTarget is the default scenario's organization VPC with app-vnet.
func orgTarget() peering.Target {
	return peering.Target{Organization: sandbox.AivenOrganizationID, VPCID: sandbox.OrgVPCID, SubscriptionID: sandbox.UserSubscriptionID,
		ResourceGroup: "rg-app", VNetName: "app-vnet"}
}

// resumeAfterFailures drives the peering into the failed states Aiven has
// no way back from, and resumes: the runbook recreates the connection
// (never re-posts it) each time, to ACTIVE, and the delete restores the
// world.
func resumeAfterFailures(t *testing.T, v variantSet) {
	w := newChaosWorld(t, v.apply(sandbox.Options{}))
	target := stagingTarget()
	p := startProcess(t, w.sb, w.stateDir, 0, false)
	run, err := p.rb.Open(target, peering.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Aiven's grant goes away before Aiven acts: its permission check fails.
	for _, id := range peering.StepIDs() {
		if err := run.RunStep(p.ctx, id, nil); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if id == peering.StepGrantAiven {
			if err := w.e.Access.DeleteRoleAssignment(ctxFor(t), run.Record().Outputs[peering.OutAivenAssignment]); err != nil {
				t.Fatal(err)
			}
		}
		if id == peering.StepAivenPeering {
			break
		}
	}
	err = run.RunStep(p.ctx, peering.StepWaitPendingPeer, nil)
	run.Close()
	if err == nil || !strings.Contains(err.Error(), string(v.permissionFailure())) {
		t.Fatalf("without Aiven's grant: %v, want %s", err, v.permissionFailure())
	}
	// Resume: the grant is made again, the failed connection recreated.
	if err := startProcess(t, w.sb, w.stateDir, 0, false).create(target); err != nil {
		t.Fatalf("resume after %s: %v", v.permissionFailure(), err)
	}
	w.checkActive(t, "after "+string(v.permissionFailure()))
	// The user's side is deleted by hand: Aiven gives up (DELETED_BY_PEER).
	rec, err := state.Dir{Path: w.stateDir}.Load(target)
	if err != nil || rec == nil {
		t.Fatalf("record: %v", err)
	}
	if err := w.e.Network.DeletePeering(ctxFor(t), target.VNetID(), rec.Outputs[peering.OutAzurePeeringName]); err != nil {
		t.Fatal(err)
	}
	waitConnection(t, w.e, target, peering.StateDeletedByPeer)
	if err := startProcess(t, w.sb, w.stateDir, 0, false).create(target); err != nil {
		t.Fatalf("resume after DELETED_BY_PEER: %v", err)
	}
	w.checkActive(t, "after DELETED_BY_PEER")
	if err := startProcess(t, w.sb, w.stateDir, 0, false).remove(target); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if l := w.leftovers(t); len(l) > 0 {
		t.Errorf("after delete:\n  %s", strings.Join(l, "\n  "))
	}
}
