package peering

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// WaitGoal is what a wait waits for.
type WaitGoal string

// The goals of `azpeer wait`.
const (
	WaitActive      WaitGoal = "active"
	WaitPendingPeer WaitGoal = "pending-peer"
	WaitDeleted     WaitGoal = "deleted"
)

// WaitGoals lists them.
var WaitGoals = []WaitGoal{WaitActive, WaitPendingPeer, WaitDeleted}

// WaitOutcome is how a wait ended.
type WaitOutcome string

const (
	WaitReached WaitOutcome = "reached"
	// WaitFailed: the peering went into a state it cannot leave on its own.
	WaitFailed WaitOutcome = "failed"
	// WaitTimedOut: the context ended first.
	WaitTimedOut WaitOutcome = "timeout"
	// WaitUnknown: the clouds could not be read.
	WaitUnknown WaitOutcome = "unknown"
)

// ExitCode is the outcome as a process exit status: 0 reached, 1 failed,
// 2 timed out, 3 could not check.
func (o WaitOutcome) ExitCode() int {
	switch o {
	case WaitReached:
		return 0
	case WaitFailed:
		return 1
	case WaitTimedOut:
		return 2
	}
	return 3
}

// WaitEvent is one look at the peering during a wait.
type WaitEvent struct {
	Time    time.Time     `json:"time"`
	Elapsed time.Duration `json:"elapsed"`
	// Aiven is the connection's state ("" when there is none).
	Aiven State `json:"aiven"`
	// Azure is the Azure peering's peeringState ("" when there is none).
	Azure string `json:"azure"`
	// Changed is set when this look saw a transition, From → To on Side.
	Changed bool   `json:"changed"`
	Side    string `json:"side,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	// Hint is what usually happens next, in words.
	Hint string `json:"hint,omitempty"`
}

// WaitResult is how a wait ended.
type WaitResult struct {
	Outcome WaitOutcome
	Last    WaitEvent
	// Err is why it could not check (WaitUnknown) or timed out.
	Err error
}

// Wait polls a peering until it reaches goal, fails, the context ends, or
// the clouds cannot be read; sink sees every look (Changed ones are the
// transitions). Reads retry under the usual policy; one that still fails
// ends the wait as unknown, never as reached.
func (rb *Runbook) Wait(ctx context.Context, t Target, goal WaitGoal, sink func(WaitEvent)) WaitResult {
	start := rb.now()
	var last WaitEvent
	first := true
	b := rb.pollBackoff()
	var wait time.Duration
	for {
		ev, err := rb.look(ctx, t)
		if err != nil {
			if ctx.Err() != nil {
				return WaitResult{Outcome: WaitTimedOut, Last: last, Err: ctx.Err()}
			}
			return WaitResult{Outcome: WaitUnknown, Last: last, Err: err}
		}
		ev.Time = rb.now()
		ev.Elapsed = ev.Time.Sub(start)
		ev.Hint = waitHint(goal, ev)
		if !first && (ev.Aiven != last.Aiven || ev.Azure != last.Azure) {
			ev.Changed = true
			if ev.Aiven != last.Aiven {
				ev.Side, ev.From, ev.To = "aiven", string(last.Aiven), string(ev.Aiven)
			} else {
				ev.Side, ev.From, ev.To = "azure", last.Azure, ev.Azure
			}
			wait = 0
		}
		first = false
		last = ev
		if sink != nil {
			sink(ev)
		}
		if o, done := waitDone(goal, ev); done {
			return WaitResult{Outcome: o, Last: ev}
		}
		wait = b.next(wait)
		if err := sleep(ctx, wait); err != nil {
			return WaitResult{Outcome: WaitTimedOut, Last: last, Err: err}
		}
	}
}

// look reads both sides once.
func (rb *Runbook) look(ctx context.Context, t Target) (WaitEvent, error) {
	var ev WaitEvent
	vpc, err := read(ctx, rb, func(ctx context.Context) (VPC, error) { return rb.Aiven.VPC(ctx, t.Parent(), t.VPCID) })
	if err != nil {
		return ev, fmt.Errorf("read the Aiven connection: %w", err)
	}
	c, ok := vpc.Find(aivenKey(t))
	if ok {
		ev.Aiven = c.State
	}
	vnet, err := read(ctx, rb, func(ctx context.Context) (VNet, error) { return rb.Network.VNet(ctx, t.VNetID()) })
	switch {
	case err != nil && (StatusCode(err) == 404 || errors.Is(err, ErrNotFound)):
	case err != nil:
		return ev, fmt.Errorf("read the VNet: %w", err)
	default:
		remote := ""
		if ok {
			remote = c.ToNetworkID()
		}
		var name string
		if rb.Store != nil {
			if rec, err := rb.Store.Load(t); err == nil && rec != nil {
				if remote == "" {
					remote = rec.Outputs[OutAivenVNetID]
				}
				name = rec.Outputs[OutAzurePeeringName]
			}
		}
		for _, p := range vnet.Peerings {
			if (remote != "" && strings.EqualFold(p.RemoteVNetID, remote)) || (name != "" && strings.EqualFold(p.Name, name)) {
				ev.Azure = p.PeeringState
				break
			}
		}
		if ev.Azure == "" && remote == "" && name == "" {
			if p := aivenSide(vnet, "", t, vpc.CIDR); p != nil && ok {
				ev.Azure = p.PeeringState
			}
		}
	}
	return ev, nil
}

// waitDone says whether a look ends the wait, and how.
func waitDone(goal WaitGoal, ev WaitEvent) (WaitOutcome, bool) {
	switch goal {
	case WaitDeleted:
		if ev.Aiven == "" || ev.Aiven == StateDeleted {
			return WaitReached, true
		}
		return "", false
	case WaitPendingPeer:
		if ev.Aiven == StatePendingPeer || ev.Aiven == StateActive {
			return WaitReached, true
		}
	case WaitActive:
		if ev.Aiven == StateActive && (ev.Azure == AzureConnected) {
			return WaitReached, true
		}
		if ev.Azure == AzureDisconnected {
			return WaitFailed, true
		}
	}
	if ev.Aiven.Failed() || ev.Aiven == StateDeleting || ev.Aiven == StateDeleted {
		return WaitFailed, true
	}
	if ev.Aiven == "" {
		// Nothing to wait on: no connection will appear by itself.
		return WaitFailed, true
	}
	return "", false
}

// waitHint says what usually comes next, with the times Aiven's docs and
// users report.
func waitHint(goal WaitGoal, ev WaitEvent) string {
	switch {
	case ev.Aiven == StateApproved || ev.Aiven == StateApprovedPeerRequested:
		return "Aiven acts on an APPROVED connection within minutes (it checks them periodically)"
	case ev.Aiven == StatePendingPeer && ev.Azure == "":
		return "Aiven waits for the Azure peering from your VNet to its VNet (azpeer create makes it)"
	case ev.Aiven == StatePendingPeer:
		return "Aiven turns ACTIVE within about 15 minutes of the Azure peering (Aiven's docs)"
	case ev.Aiven == StateActive && ev.Azure != AzureConnected && goal == WaitActive:
		return "Aiven is ACTIVE; the Azure side connects when both peerings exist"
	case ev.Aiven == StateDeleting:
		return "Aiven removes a deleted connection within minutes"
	}
	return ""
}
