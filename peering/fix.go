package peering

import (
	"context"
	"fmt"
	"strings"
)

// Fix applies a finding's action and returns when it is done (the runbook
// resumes to ACTIVE for FixResume). It needs the facts the finding came from.
func (rb *Runbook) Fix(ctx context.Context, f *Facts, finding Finding, sink EventSink) error {
	t := f.Target
	switch finding.Action {
	case FixRefresh:
		return rb.Aiven.Refresh(ctx, t.Project, t.VPCID)
	case FixRecreateAiven:
		if f.Connection != nil {
			if err := rb.Aiven.DeletePeering(ctx, t.Project, t.VPCID, f.Connection.Key()); err != nil && StatusCode(err) != 404 {
				return fmt.Errorf("delete the Aiven connection: %w", err)
			}
			if err := rb.waitGone(ctx, t, f.Connection.Key()); err != nil {
				return err
			}
		}
		return rb.resume(ctx, f, sink)
	case FixResume:
		// A stray or failed Azure peering goes first: Azure does not let a
		// peering change its remote, and a failed one must be recreated.
		if finding.Resource != "" && f.VNet != nil {
			name := finding.Resource[strings.LastIndex(finding.Resource, "/")+1:]
			if err := rb.Network.DeletePeering(ctx, f.VNet.ID, name); err != nil {
				return fmt.Errorf("delete Azure peering %s: %w", name, err)
			}
		}
		return rb.resume(ctx, f, sink)
	case "":
		return fmt.Errorf("azpeer cannot fix %s by itself: %s", finding.ID, finding.Fix)
	}
	return fmt.Errorf("unknown fix %q", finding.Action)
}

// resume runs the runbook for the target, reusing the app the connection
// names when azpeer did not create it.
func (rb *Runbook) resume(ctx context.Context, f *Facts, sink EventSink) error {
	o := Options{AivenAppID: f.AivenAppID}
	if f.Record != nil {
		o = f.Record.Options
	} else if f.App != nil {
		o.AppName = f.App.DisplayName
	}
	run, err := rb.Open(f.Target, o)
	if err != nil {
		return err
	}
	defer run.Close()
	// A fix reruns the steps that depend on the world: mark them not done so
	// they re-detect (nothing is duplicated: every step detects first).
	for _, id := range StepIDs() {
		run.rec.Step(id).Status = StatusPending
	}
	return run.RunAll(ctx, sink)
}

// waitGone waits until a connection is DELETED or absent.
func (rb *Runbook) waitGone(ctx context.Context, t Target, k Key) error {
	r := &Run{rb: rb, rec: NewRecord(t, Options{}, rb.now())}
	return r.poll(ctx, func(ctx context.Context) (bool, bool, error) {
		v, err := rb.Aiven.VPC(ctx, t.Project, t.VPCID)
		if err != nil {
			return false, false, err
		}
		c, ok := v.Find(k)
		return !ok || c.State == StateDeleted, false, nil
	})
}
