package peering_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// TestRunbookRemakesAPairThatLostASide deletes the run's Azure peering
// behind its back once it exists, as a colleague cleaning up would: Aiven's
// side turns Disconnected (Resource Manager then refuses a new peering with
// RemotePeeringIsDisconnected) and, later, Aiven gives the connection up as
// DELETED_BY_PEER, which it never revives. The run owns both, so it makes
// them again without being asked, however far Aiven got.
func TestRunbookRemakesAPairThatLostASide(t *testing.T) {
	for _, tc := range []struct {
		name string
		// aivenGaveUp waits for DELETED_BY_PEER before the run goes on.
		aivenGaveUp bool
		opts        sandbox.Options
		said        string
	}{
		// Aiven notices an hour later: the new peering is refused.
		{"before Aiven notices", false, sandbox.Options{Speed: 1, Timing: &sandbox.Timing{AivenPeerLoss: sandbox.Duration(time.Hour)}},
			"Aiven's side of the peering is Disconnected"},
		{"after DELETED_BY_PEER", true, sandbox.Options{}, "Aiven cannot revive a failed connection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts)
			before := fingerprint(e.state())
			tg := stagingTarget()
			run := openRun(t, e.runbook(), tg, peering.Options{})
			defer run.Close()
			var ev events
			for _, s := range peering.Steps() {
				if err := run.RunStep(ctxFor(t), s.ID, ev.sink); err != nil {
					t.Fatalf("%s: %v\n%s", s.ID, err, ev.text())
				}
				if s.ID == peering.StepAzurePeering {
					break
				}
			}
			rec := run.Record()
			if err := e.Network.DeletePeering(ctxFor(t), tg.VNetID(), rec.Outputs[peering.OutAzurePeeringName]); err != nil {
				t.Fatal(err)
			}
			if tc.aivenGaveUp {
				waitForAiven(t, e, tg, peering.StateDeletedByPeer)
			}
			if err := run.RunAll(ctxFor(t), ev.sink); err != nil {
				t.Fatalf("RunAll after the peering was deleted: %v\n%s", err, ev.text())
			}
			rec = run.Record()
			if rec.Outputs[peering.OutAivenState] != "ACTIVE" || rec.Outputs[peering.OutAzurePeeringState] != "Connected" {
				t.Errorf("ended %s / %s, want ACTIVE / Connected", rec.Outputs[peering.OutAivenState], rec.Outputs[peering.OutAzurePeeringState])
			}
			fp := fingerprint(e.state())
			if d := duplicates(fp); len(d) > 0 {
				t.Errorf("duplicates: %v", d)
			}
			if !strings.Contains(ev.text(), tc.said) {
				t.Errorf("the run did not say it remade the pair:\n%s", ev.text())
			}
			if err := run.Teardown(ctxFor(t), peering.TeardownOptions{}, nil); err != nil {
				t.Fatal(err)
			}
			if got := fingerprint(e.state()); !slices.Equal(got, before) {
				t.Errorf("after delete:\nbefore %v\nafter  %v", before, got)
			}
		})
	}
}

// waitForAiven polls the target's connection until it is in state want.
func waitForAiven(t *testing.T, e *env, tg peering.Target, want peering.State) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := e.Aiven.VPC(ctxFor(t), tg.Parent(), tg.VPCID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range v.Peerings {
			if strings.EqualFold(c.PeerVPC, tg.VNetName) && c.State == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the connection never became %s: %+v", want, v.Peerings)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
