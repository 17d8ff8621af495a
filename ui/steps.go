package ui

import "github.com/azpeer/azpeer/peering"

// What the dashboard says about the runbook's steps comes from
// peering.Steps(): their number, their count and their order are the
// runbook's, never written down here.

// stepNumber is a step's number in the runbook (0 for an unknown id).
func stepNumber(id peering.StepID) int {
	for _, s := range peering.Steps() {
		if s.ID == id {
			return s.Number
		}
	}
	return 0
}

// stepsDone counts a record's finished steps, out of all.
func stepsDone(rec *peering.Record) (done, all int) {
	ids := peering.StepIDs()
	for _, id := range ids {
		if rec.Step(id).Status == peering.StatusDone {
			done++
		}
	}
	return done, len(ids)
}
