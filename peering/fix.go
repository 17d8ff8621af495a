package peering

import (
	"context"
	"fmt"
	"strings"
)

// Fix applies a finding's action and returns when it is done (the runbook
// resumes to ACTIVE for FixResume). It needs the facts the finding came
// from. Applying a fix is the user's consent to what the finding's Fix
// says, on the objects the finding names — and nothing more: objects the
// fix does not name are still only used, never changed.
func (rb *Runbook) Fix(ctx context.Context, f *Facts, finding Finding, sink EventSink) error {
	if rb.ReadOnly {
		return ErrReadOnly
	}
	t := f.Target
	switch finding.Action {
	case FixRefresh:
		return rb.call(ctx, func(ctx context.Context) error { return rb.Aiven.Refresh(ctx, t.Parent(), t.VPCID) })
	case FixSync:
		res := rb.Sync(ctx, t, func(e SyncEvent) { sink.emit(syncAsEvent(e)) })
		if res.Outcome != WaitReached {
			if res.Err != nil {
				return fmt.Errorf("sync: %s: %w", res.Outcome, res.Err)
			}
			return fmt.Errorf("sync: %s (sync level %s)", res.Outcome, res.Last.Level)
		}
		return nil
	case FixRecreateAiven:
		// The runbook deletes the connection (the user agreed), waits until
		// Aiven no longer lists it, and creates it anew.
		return rb.resume(ctx, f, sink, func(o *Options) { o.ReplaceConnection = true })
	case FixResume:
		// A stray or failed Azure peering goes first: Azure does not let a
		// peering change its remote, and a failed one must be recreated.
		if finding.Resource != "" && f.VNet != nil {
			name := finding.Resource[strings.LastIndex(finding.Resource, "/")+1:]
			if err := rb.call(ctx, func(ctx context.Context) error { return rb.Network.DeletePeering(ctx, f.VNet.ID, name) }); err != nil {
				return fmt.Errorf("delete Azure peering %s: %w", name, err)
			}
		}
		return rb.resume(ctx, f, sink, func(o *Options) {
			// The finding is about this peering's own broken parts: the
			// user agreed to have them repaired.
			o.Adopt = true
			if f.Connection != nil && f.Connection.State.Failed() {
				o.ReplaceConnection = true
			}
		})
	case "":
		return fmt.Errorf("azpeer cannot fix %s by itself: %s", finding.ID, finding.Fix)
	}
	return fmt.Errorf("unknown fix %q", finding.Action)
}

// resume runs the runbook for the target, using the app the connection
// names when azpeer has no record of the peering.
func (rb *Runbook) resume(ctx context.Context, f *Facts, sink EventSink, consent func(*Options)) error {
	o := Options{AivenAppID: f.AivenAppID}
	if f.Record != nil {
		o = f.Record.Options
	} else if f.App != nil {
		o.AppID = f.App.AppID
	}
	consent(&o)
	run, err := rb.Open(f.Target, o)
	if err != nil {
		return err
	}
	defer run.Close()
	// A fix reruns the steps that depend on the world: mark them not done so
	// they re-detect (nothing is duplicated: every step detects first).
	run.mu.Lock()
	for _, id := range StepIDs() {
		run.rec.Step(id).Status = StatusPending
	}
	run.mu.Unlock()
	return run.RunAll(ctx, sink)
}

// emit calls the sink when there is one.
func (s EventSink) emit(e Event) {
	if s != nil {
		s(e)
	}
}

// syncAsEvent is a sync's event as a runbook event, for the progress
// streams that show fixes.
func syncAsEvent(e SyncEvent) Event {
	ev := Event{Time: e.Time, Kind: EventNotice, Message: e.Message}
	if e.Changed {
		ev = Event{Time: e.Time, Kind: EventState, Side: "azure sync", From: e.From, To: e.To}
	}
	return ev
}
