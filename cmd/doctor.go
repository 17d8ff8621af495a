package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/peering"
)

func newDoctorCommand(g *Globals) *cobra.Command {
	var tf targetFlags
	var cf connectivityFlags
	var asJSON, fix, yes bool
	var aivenAppID string
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "doctor",
		Short: "Explain why a peering is stuck or failed, with evidence and a fix",
		Long: `Gathers the facts of one peering once — the Aiven connection and VPC, the
VNet and its peerings, role assignments, the service principals of your app
and of Aiven's, the run record — and checks every known cause of
INVALID_SPECIFICATION, REJECTED_BY_PEER, AuthorizationFailed and
Disconnected. With --fix it applies the most likely fix it can, after
asking. Exit status: 0 healthy (everything checked, nothing wrong), 1
problems found, 3 something could not be checked — "could not check" is
never reported as healthy.

With --connectivity it checks instead whether the project's services can
be reached from this machine: each service's host names through the
system resolver (and --dns-server), whether the answers lie in the VPC,
whether the service's IP allow-list includes the VNet's ranges, and a
TCP connect and (PostgreSQL) TLS handshake with short deadlines. It says
what it sees in plain words — reachable, not running inside the peered
VNet (the usual case on a laptop: it prints the commands to run from a VM
there), public access only, allow-list missing the VNet, a resolver that
drops private answers, port closed — and changes nothing.`,
		Example: `  azpeer doctor --sandbox --project tsdb-prod --vpc 1f0e2d3c-4b5a-4697-8877-665544332211 --vnet rg-prod/prod-vnet-old
  azpeer doctor --connectivity --project tsdb-staging --vpc 2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b --vnet rg-app/app-vnet --dns-server 1.1.1.1:53`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if fix && cf.on {
				return fmt.Errorf("--fix and --connectivity: pick one (the connectivity check changes nothing)")
			}
			run := targetRun{Timeout: timeout}
			if fix {
				run.Mutates = "doctor --fix"
			}
			return g.onTarget(cmd, &tf, run, func(ctx context.Context, b *backend, t peering.Target, rb *peering.Runbook) error {
				if cf.on {
					return cf.run(ctx, cmd, b, t, rb, asJSON)
				}
				out := cmd.OutOrStdout()
				d := rb.Diagnose(ctx, t, aivenAppID)
				if asJSON {
					enc := json.NewEncoder(out)
					enc.SetIndent("", "  ")
					if err := enc.Encode(d); err != nil {
						return err
					}
				} else {
					writeDiagnosis(out, t, d)
				}
				if !fix || d.Verdict != peering.VerdictUnhealthy {
					return verdictExit(d.Verdict, "")
				}
				f := firstFixable(d)
				if f == nil {
					return &ExitError{Code: 1, Msg: "the peering is not healthy, and azpeer cannot fix it by itself: see the fixes above"}
				}
				if !yes {
					q := fmt.Sprintf("Apply the fix for %s (%s)? ", f.ID, f.Action)
					if c := d.Facts.Connection; f.Action == peering.FixRecreateAiven || (f.Action == peering.FixResume && c != nil && c.State.Failed()) {
						q += "It deletes the Aiven connection first (Aiven cannot revive a failed one) and requests it anew. "
					}
					if err := confirm(cmd.InOrStdin(), cmd.ErrOrStderr(), q+"[y/N] ", "nothing was changed"); err != nil {
						return err
					}
				}
				start := time.Now()
				if err := rb.Fix(ctx, d.Facts, *f, eventPrinter(out, start, asJSON)); err != nil {
					return fmt.Errorf("fix %s: %w", f.ID, err)
				}
				after := rb.Diagnose(ctx, t, aivenAppID)
				if !asJSON {
					fmt.Fprintln(out, "\nAfter the fix:")
					writeDiagnosis(out, t, after)
				}
				return verdictExit(after.Verdict, "")
			})
		},
	}
	tf.register(c)
	cf.register(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&fix, "fix", false, "apply the most likely finding's fix (asks first)")
	c.Flags().BoolVar(&yes, "yes", false, "with --fix: do not ask")
	c.Flags().StringVar(&aivenAppID, "aiven-app-id", "", "Aiven's (or MST's) Entra app id (default: the run record's, or Aiven's)")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long")
	return c
}

// firstFixable is the most likely finding azpeer can act on.
func firstFixable(d peering.Diagnosis) *peering.Finding {
	for i, f := range d.Findings {
		if f.Action != "" && f.Severity != peering.SeverityInfo {
			return &d.Findings[i]
		}
	}
	for i, f := range d.Findings {
		if f.Action != "" {
			return &d.Findings[i]
		}
	}
	return nil
}

func writeDiagnosis(w io.Writer, t peering.Target, d peering.Diagnosis) {
	if f := d.Facts; f != nil && f.Connection != nil {
		fmt.Fprintf(w, "Peering %s: Aiven %s %s\n", t, f.Connection.State, oneLine(f.Connection.Message(), 80))
	} else {
		fmt.Fprintf(w, "Peering %s\n", t)
	}
	for i, f := range d.Findings {
		fmt.Fprintf(w, "\n%d. [%s] %s  (%s)\n", i+1, strings.ToUpper(string(f.Severity)), f.Cause, f.ID)
		for _, e := range f.Evidence {
			fmt.Fprintf(w, "   evidence: %s\n", e)
		}
		fmt.Fprintf(w, "   fix: %s\n", f.Fix)
		if f.Command != "" {
			fmt.Fprintf(w, "   $ %s\n", f.Command)
		}
		if f.Action != "" {
			fmt.Fprintf(w, "   azpeer can do this: azpeer doctor --fix (%s)\n", f.Action)
		}
	}
	writeVerdict(w, d)
}
