package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/peering"
)

func newSyncCommand(g *Globals) *cobra.Command {
	var tf targetFlags
	var asJSON bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "sync",
		Short: "Bring a peering back in sync after a VNet's address space changed",
		Long: `After an address space changes, each side of an Azure peering routes only
the other's ranges as it last synced them (peeringSyncLevel LocalNotInSync
or RemoteNotInSync): traffic to the new ranges does not flow. sync syncs
your side of the peering (as az network vnet peering sync does: the
peering's settings do not change), asks Aiven to refresh its side (only
Aiven can sync it), and waits until your side says FullyInSync, saying on
stderr where it stands. With --json, each step and each change of the
sync level is one JSON line on stdout.

To sync your side azpeer signs in as the peering app of its run record in
both tenants, with a secret it adds for that and removes at once; for a
peering azpeer has no record of, it tries as you and, refused, prints the
command to run as an identity that may.

Exit status: 0 in sync, 1 the peering cannot be synced (no connection, not
Connected), 2 timed out (Aiven has not followed yet), 3 could not check.`,
		Example: `  azpeer sync --project tsdb-staging --vpc 2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b --vnet rg-app/app-vnet
  azpeer sync … --timeout 1h --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.onTarget(cmd, &tf, targetRun{Timeout: timeout, Mutates: "sync"}, func(ctx context.Context, b *backend, t peering.Target, rb *peering.Runbook) error {
				errOut, enc := cmd.ErrOrStderr(), json.NewEncoder(cmd.OutOrStdout())
				res := rb.Sync(ctx, t, func(ev peering.SyncEvent) {
					if asJSON && (ev.Action != "wait" || ev.Changed) {
						_ = enc.Encode(ev)
					}
					if ev.Action == "wait" && !ev.Changed {
						return // the level as before: nothing new to say
					}
					line := fmt.Sprintf("[%7s] sync %s, Azure %s, Aiven %s", ev.Elapsed.Round(time.Second), orDash(ev.Level), orDash(ev.Azure), orDash(string(ev.Aiven)))
					if ev.Changed {
						line += fmt.Sprintf("  (%s → %s)", orDash(ev.From), orDash(ev.To))
					}
					if ev.Message != "" {
						line += " — " + ev.Message
					}
					fmt.Fprintln(errOut, line)
				})
				if errors.Is(res.Err, peering.ErrReadOnly) {
					return g.refuseReadOnly("sync")
				}
				switch res.Outcome {
				case peering.WaitReached:
					fmt.Fprintf(errOut, "in sync (%s) after %s\n", peering.SyncFully, res.Last.Elapsed.Round(time.Second))
					if res.Manual != "" {
						fmt.Fprintf(errOut, "note: azpeer could not sync your side itself; if it goes out of sync again, run:\n  %s\n", res.Manual)
					}
					return nil
				case peering.WaitTimedOut:
					msg := fmt.Sprintf("timed out after %s: the peering is still %s — %s", timeout, orDash(res.Last.Level), peering.SyncMeaning(res.Last.Level))
					if res.Last.Level == peering.SyncRemoteNotInSync || res.Last.Level == peering.SyncNeitherInSync {
						msg += "\nAiven syncs its side when it re-checks the connection; run azpeer sync again later (it asks again), or ask Aiven's support"
					}
					if res.Manual != "" {
						msg += "\nazpeer could not sync your side; run:\n  " + res.Manual
					}
					return &ExitError{Code: 2, Msg: msg}
				case peering.WaitUnknown:
					return &ExitError{Code: 3, Msg: "could not check the peering: " + res.Err.Error()}
				}
				msg := "the peering cannot be synced"
				if res.Err != nil {
					msg += ": " + res.Err.Error()
				}
				return &ExitError{Code: 1, Msg: msg}
			})
		},
	}
	tf.register(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print each step and each sync level change as a JSON line on stdout")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up waiting for Aiven's side after this long (exit status 2)")
	return c
}
