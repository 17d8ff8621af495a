package peering_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/state"
)

// pairwise returns a small set of variant combinations in which every
// pair of values of any two variants occurs at least once: a greedy
// covering array built a row at a time, each variant's value chosen to
// cover the most pairs not yet covered with the values already in the row
// (ties to the first value, so the set is deterministic). Searching the
// whole product of combinations for each row instead cost 11 s under
// -race, twice per run, for no fewer rows.
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
	// gain is how many uncovered pairs value v of variant i would cover:
	// with the values chosen so far, and, for the variants still to choose,
	// counted as possible (so the row's first values aim at the pairs most
	// left to cover).
	gain := func(row variantSet, i int, v string) int {
		n := 0
		for j, y := range vs {
			if j == i {
				continue
			}
			a, b := vs[i].Name, y.Name
			for _, yv := range y.Values {
				if chosen, ok := row[b]; ok && chosen != yv.Name {
					continue
				}
				p := pair{a, v, b, yv.Name}
				if j < i {
					p = pair{b, yv.Name, a, v}
				}
				if uncovered[p] {
					n++
				}
			}
		}
		return n
	}
	// The variants with the most values first: their pairs are the most,
	// and choosing them early keeps the array small.
	order := make([]int, len(vs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(vs[b].Values) - len(vs[a].Values) })
	var out []variantSet
	for len(uncovered) > 0 {
		row := variantSet{}
		for _, i := range order {
			x := vs[i]
			best, bestN := x.Values[0].Name, -1
			for _, xv := range x.Values {
				if n := gain(row, i, xv.Name); n > bestN {
					best, bestN = xv.Name, n
				}
			}
			row[x.Name] = best
		}
		covered := 0
		for p := range uncovered {
			if row[p.a] == p.av && row[p.b] == p.bv {
				delete(uncovered, p)
				covered++
			}
		}
		if covered == 0 {
			panic("pairwise: a row covered no new pair") // cannot happen: the first uncovered pair's values win their gains
		}
		out = append(out, row)
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
