package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/peering"
)

func newWaitCommand(g *Globals) *cobra.Command {
	var tf targetFlags
	var goal string
	var asJSON bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "wait",
		Short: "Wait until a peering is ACTIVE, PENDING_PEER or deleted: for scripts and CI",
		Long: `Polls both sides of a peering until it reaches the state asked for, and says
on stderr where it stands (state, time waited, what usually comes next).
With --json, each state change is one JSON line on stdout.

Exit status: 0 reached, 1 the peering failed (a state it does not leave on
its own; the diagnosis follows), 2 timed out, 3 could not check (a cloud
down, a revoked token).`,
		Example: `  azpeer wait --project tsdb-staging --vpc 2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b --vnet rg-app/app-vnet --for active
  azpeer create … && azpeer wait … --for active --timeout 20m --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(peering.WaitGoals, peering.WaitGoal(goal)) {
				var gs []string
				for _, x := range peering.WaitGoals {
					gs = append(gs, string(x))
				}
				return fmt.Errorf("--for %q: wait for one of %s", goal, strings.Join(gs, ", "))
			}
			return g.onTarget(cmd, &tf, targetRun{Timeout: timeout}, func(ctx context.Context, b *backend, t peering.Target, rb *peering.Runbook) error {
				errOut, enc := cmd.ErrOrStderr(), json.NewEncoder(cmd.OutOrStdout())
				res := rb.Wait(ctx, t, peering.WaitGoal(goal), func(ev peering.WaitEvent) {
					if asJSON && ev.Changed {
						_ = enc.Encode(ev)
					}
					line := fmt.Sprintf("[%7s] Aiven %s, Azure %s", ev.Elapsed.Round(time.Second), orDash(string(ev.Aiven)), orDash(ev.Azure))
					if ev.Changed {
						line += fmt.Sprintf("  (%s: %s → %s)", ev.Side, orDash(ev.From), orDash(ev.To))
					}
					if ev.Hint != "" {
						line += " — " + ev.Hint
					}
					fmt.Fprintln(errOut, line)
				})
				switch res.Outcome {
				case peering.WaitReached:
					fmt.Fprintf(errOut, "reached %s after %s\n", goal, res.Last.Elapsed.Round(time.Second))
					return nil
				case peering.WaitTimedOut:
					return &ExitError{Code: 2, Msg: fmt.Sprintf("timed out after %s waiting for %s (Aiven %s, Azure %s)", timeout, goal, orDash(string(res.Last.Aiven)), orDash(res.Last.Azure))}
				case peering.WaitUnknown:
					return &ExitError{Code: 3, Msg: "could not check the peering: " + res.Err.Error()}
				}
				d := rb.Diagnose(ctx, t, "")
				msg := fmt.Sprintf("the peering will not become %s by itself: Aiven %s, Azure %s", goal, orDash(string(res.Last.Aiven)), orDash(res.Last.Azure))
				for _, f := range d.Findings {
					if f.Severity != peering.SeverityInfo {
						msg += fmt.Sprintf("\n  [%s] %s (%s)", f.Severity, f.Cause, f.ID)
					}
				}
				return &ExitError{Code: 1, Msg: msg + "\nazpeer doctor explains it and can fix what it can"}
			})
		},
	}
	tf.register(c)
	c.Flags().StringVar(&goal, "for", string(peering.WaitActive), "what to wait for: active, pending-peer or deleted")
	c.Flags().BoolVar(&asJSON, "json", false, "print each state change as a JSON line on stdout")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long (exit status 2)")
	return c
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
