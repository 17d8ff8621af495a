package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/peering"
)

// targetFlags are the flags that name one peering.
type targetFlags struct {
	project, vpc, vnet string
}

func (f *targetFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.project, "project", "", "Aiven project (required)")
	c.Flags().StringVar(&f.vpc, "vpc", "", "project VPC id (required; azpeer list shows it)")
	c.Flags().StringVar(&f.vnet, "vnet", "", "Azure VNet: a full resource id, or RESOURCE_GROUP/NAME in the subscription (required)")
	for _, n := range []string{"project", "vpc", "vnet"} {
		_ = c.MarkFlagRequired(n)
	}
}

var vnetIDRE = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Network/virtualNetworks/([^/]+)/?$`)

// target resolves the flags to a peering.Target, picking the subscription
// when --vnet is RESOURCE_GROUP/NAME.
func (f *targetFlags) target(ctx context.Context, b *backend, subFlag string) (peering.Target, error) {
	t := peering.Target{Project: f.project, VPCID: f.vpc}
	if m := vnetIDRE.FindStringSubmatch(f.vnet); m != nil {
		t.SubscriptionID, t.ResourceGroup, t.VNetName = m[1], m[2], m[3]
		if subFlag != "" && !strings.EqualFold(subFlag, t.SubscriptionID) {
			return t, fmt.Errorf("--vnet is in subscription %s but --subscription says %s; drop one", t.SubscriptionID, subFlag)
		}
	} else {
		rg, name, ok := strings.Cut(f.vnet, "/")
		if !ok || rg == "" || name == "" || strings.Contains(name, "/") {
			return t, fmt.Errorf("--vnet %q is neither a VNet resource id nor RESOURCE_GROUP/NAME (e.g. rg-app/app-vnet)", f.vnet)
		}
		sub, err := b.subscription(ctx, subFlag)
		if err != nil {
			return t, err
		}
		t.SubscriptionID, t.ResourceGroup, t.VNetName = sub, rg, name
	}
	return t, t.Validate()
}

// openTarget is what every per-peering command starts with: connect (Azure
// required), resolve the target from the flags, and build the runbook.
// The caller closes the backend.
func (g *Globals) openTarget(ctx context.Context, cmd *cobra.Command, tf *targetFlags) (*backend, peering.Target, *peering.Runbook, error) {
	b, err := g.connect(ctx, connectOptions{needAzure: true, deviceCode: deviceCodePrinter(cmd.ErrOrStderr())})
	if err != nil {
		return nil, peering.Target{}, nil, err
	}
	t, err := tf.target(ctx, b, g.Subscription)
	if err == nil {
		var rb *peering.Runbook
		if rb, err = g.runbook(b); err == nil {
			return b, t, rb, nil
		}
	}
	b.Close()
	return nil, peering.Target{}, nil, err
}

// runbook builds the runbook over the backend, with the run records in
// --state-dir (a private temporary one for --sandbox, whose world goes
// away with the process).
func (g *Globals) runbook(b *backend) (*peering.Runbook, error) {
	dir := g.StateDir
	if dir == "" && b.Sandbox != nil {
		d, err := os.MkdirTemp("", "azpeer-sandbox-runs-")
		if err != nil {
			return nil, err
		}
		b.closers = append(b.closers, func() { _ = os.RemoveAll(d) })
		dir = d
	}
	if dir == "" {
		d, err := peering.DefaultStateDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return &peering.Runbook{Aiven: b.Aiven, Directory: b.Directory, Access: b.Access, Network: b.Network,
		SignInAsApp: b.SignIn, SignedInAppID: b.AzureSource.ClientID, Store: &peering.Store{Dir: dir}}, nil
}

func newCreateCommand(g *Globals) *cobra.Command {
	var tf targetFlags
	var o peering.Options
	var dryRun, asJSON bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "create",
		Short: "Peer an Aiven project VPC with an Azure VNet: all 15 steps, resumable",
		Long: `Runs the Azure ↔ Aiven VNet peering procedure step by step, detecting work
already done, retrying while the clouds catch up, and ending when Aiven says
ACTIVE and Azure says Connected. Interrupt it at any time and run the same
command again to resume. The app's secret is never written anywhere.`,
		Example: `  azpeer create --sandbox --project tsdb-staging --vpc 2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b --vnet rg-app/app-vnet
  azpeer create --project P --vpc VPC_ID --vnet /subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/NAME --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			b, t, rb, err := g.openTarget(ctx, cmd, &tf)
			if err != nil {
				return err
			}
			defer b.Close()
			out := cmd.OutOrStdout()
			if dryRun {
				if err := rb.Preflight(ctx, t, o); err != nil {
					return err
				}
				return writePlan(out, rb, t, o, asJSON)
			}
			run, err := rb.Open(t, o)
			if err != nil {
				return err
			}
			defer run.Close()
			start := time.Now()
			sink := eventPrinter(out, start, asJSON)
			if !asJSON {
				fmt.Fprintf(out, "Peering %s (run record in %s)\n", t, rb.Store.Dir)
			}
			err = run.RunAll(ctx, sink)
			if err != nil {
				if ctx.Err() != nil && errors.Is(err, context.Canceled) {
					return fmt.Errorf("interrupted after %s; run the same command again to resume", time.Since(start).Round(time.Millisecond))
				}
				return err
			}
			if !asJSON {
				rec := run.Record()
				fmt.Fprintf(out, "Done in %s: Aiven %s, Azure peering %s %s.\n", time.Since(start).Round(time.Millisecond),
					rec.Outputs[peering.OutAivenState], rec.Outputs[peering.OutAzurePeeringName], rec.Outputs[peering.OutAzurePeeringState])
			}
			return nil
		},
	}
	tf.register(c)
	c.Flags().StringVar(&o.AppName, "app-name", "", "display name of the Entra app azpeer creates (default azpeer-PROJECT-VNET)")
	c.Flags().StringVar(&o.Role, "role", peering.RoleNetworkContributor, "the app's role on the VNet: network-contributor (as Aiven's docs) or least-privilege (a custom role with only the peering actions)")
	c.Flags().StringVar(&o.AivenAppID, "aiven-app-id", peering.DefaultAivenAppID, "Aiven's (or MST's) multi-tenant Entra app id")
	c.Flags().StringVar(&o.PeeringName, "peering-name", "", "name of the Azure peering (default aiven-PROJECT-VPCID8)")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and the equivalent commands; change nothing")
	c.Flags().BoolVar(&asJSON, "json", false, "print events as JSON lines")
	c.Flags().DurationVar(&timeout, "timeout", 45*time.Minute, "give up after this long (the run can be resumed)")
	return c
}

// eventPrinter prints one line per runbook event, with elapsed time.
func eventPrinter(w io.Writer, start time.Time, asJSON bool) peering.EventSink {
	enc := json.NewEncoder(w)
	return func(e peering.Event) {
		if asJSON {
			_ = enc.Encode(e)
			return
		}
		num := ""
		for _, s := range peering.Steps() {
			if s.ID == e.Step {
				num = fmt.Sprintf("%2d/15", s.Number)
			}
		}
		if num == "" {
			num = "     "
		}
		text := e.String()
		if e.Kind == peering.EventRetrying {
			// The full error is in the run record; one line is enough here.
			text = oneLine(text, 160)
		}
		line := fmt.Sprintf("[%7.1fs] %s %-9s %s", e.Time.Sub(start).Seconds(), num, e.Kind, text)
		if len(e.Outputs) > 0 {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(e.Outputs)) {
				kv = append(kv, k+"="+e.Outputs[k])
			}
			line += "  " + strings.Join(kv, " ")
		}
		fmt.Fprintln(w, line)
	}
}

// writePlan prints the dry-run plan: the steps, what each creates, and the
// equivalent commands.
func writePlan(w io.Writer, rb *peering.Runbook, t peering.Target, o peering.Options, asJSON bool) error {
	plan := rb.Plan(t, o)
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(plan)
	}
	fmt.Fprintf(w, "Plan for %s (nothing is changed by --dry-run):\n", t)
	for _, p := range plan.Steps {
		fmt.Fprintf(w, "%2d. %s\n    creates: %s\n    $ %s\n", p.Number, p.Title, p.Creates, p.Command)
	}
	for _, n := range plan.Notices {
		fmt.Fprintln(w, "note: "+n)
	}
	return nil
}

// deviceCodePrinter shows Azure's device-code sign-in on stderr.
func deviceCodePrinter(w io.Writer) func(context.Context, azidentity.DeviceCodeMessage) error {
	return func(_ context.Context, m azidentity.DeviceCodeMessage) error {
		fmt.Fprintf(w, "To sign in to Azure, open %s and enter the code %s\n", m.VerificationURL, m.UserCode)
		return nil
	}
}

func newStatusCommand(g *Globals) *cobra.Command {
	var tf targetFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "status",
		Short: "Show a peering's run record and live state on both sides",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := withTimeout(cmd.Context(), 2*time.Minute)
			defer cancel()
			b, t, rb, err := g.openTarget(ctx, cmd, &tf)
			if err != nil {
				return err
			}
			defer b.Close()
			st, err := rb.Status(ctx, t)
			if err != nil {
				return err
			}
			d := rb.Diagnose(ctx, t, "")
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					peering.Status
					Facts     *peering.Facts    `json:"facts"`
					Findings  []peering.Finding `json:"findings"`
					Unchecked []string          `json:"unchecked,omitempty"`
				}{st, d.Facts, d.Findings, d.Unchecked})
			}
			writeStatus(cmd.OutOrStdout(), st)
			if len(d.Findings) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "\n%d finding(s); azpeer doctor explains them:\n", len(d.Findings))
				for _, f := range d.Findings {
					fmt.Fprintf(cmd.OutOrStdout(), "  [%s] %s (%s)\n", f.Severity, f.Cause, f.ID)
				}
			}
			return nil
		},
	}
	tf.register(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func writeStatus(w io.Writer, st peering.Status) {
	fmt.Fprintf(w, "Peering %s\n", st.Target)
	if st.Aiven != nil {
		fmt.Fprintf(w, "Aiven:  %s %s  %s\n", stateIcon(st.Aiven.State), st.Aiven.State, st.Aiven.Message())
		for _, k := range st.Aiven.StateInfoKeys() {
			if k != "message" {
				fmt.Fprintf(w, "        %s: %v\n", k, st.Aiven.StateInfo[k])
			}
		}
	} else {
		fmt.Fprintln(w, "Aiven:  no peering connection")
	}
	if st.Azure != nil {
		fmt.Fprintf(w, "Azure:  %s %s (sync %s, provisioning %s, allowVirtualNetworkAccess %t)\n", st.Azure.Name, st.Azure.PeeringState,
			st.Azure.SyncLevel, st.Azure.ProvisioningState, st.Azure.AllowVirtualNetworkAccess)
	} else {
		fmt.Fprintln(w, "Azure:  no peering from the VNet to Aiven's VNet")
	}
	if st.Record == nil {
		fmt.Fprintln(w, "Run:    azpeer has no record of creating this peering")
		return
	}
	done := 0
	for _, s := range st.Record.Steps {
		if s.Status == peering.StatusDone {
			done++
		}
	}
	fmt.Fprintf(w, "Run:    %d/15 steps done, updated %s\n", done, st.Record.Updated.Format(time.RFC3339))
	for _, s := range peering.Steps() {
		sr := st.Record.Steps[s.ID]
		if sr == nil {
			continue
		}
		line := fmt.Sprintf("  %2d. %-8s %s", s.Number, sr.Status, s.Title)
		if sr.Error != "" {
			line += " — " + oneLine(sr.Error, 80)
		}
		fmt.Fprintln(w, line)
	}
}

func newDeleteCommand(g *Globals) *cobra.Command {
	var tf targetFlags
	var keepShared, yes bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "delete",
		Short: "Remove a peering and what azpeer created for it, in reverse order",
		Long: `Deletes the Azure peering, the Aiven peering connection (waiting for
DELETED), the role assignments, the custom roles unless still assigned
elsewhere, Aiven's service principal unless other assignments use it, and
the app with its service principal. Only what azpeer created is removed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			b, t, rb, err := g.openTarget(ctx, cmd, &tf)
			if err != nil {
				return err
			}
			defer b.Close()
			if !yes {
				ok, err := confirm(cmd.InOrStdin(), cmd.ErrOrStderr(), fmt.Sprintf("Delete the peering %s and what azpeer created for it? [y/N] ", t))
				if err != nil {
					return err
				}
				if !ok {
					return errors.New("not confirmed; nothing was deleted")
				}
			}
			run, err := rb.Open(t, peering.Options{})
			if err != nil {
				return err
			}
			defer run.Close()
			start := time.Now()
			if err := run.Teardown(ctx, peering.TeardownOptions{KeepShared: keepShared}, eventPrinter(cmd.OutOrStdout(), start, false)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted in %s.\n", time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	tf.register(c)
	c.Flags().BoolVar(&keepShared, "keep-shared", false, "keep the custom roles and Aiven's service principal (other peerings may use them)")
	c.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long")
	return c
}

// confirm asks a yes/no question on a terminal.
func confirm(in io.Reader, out io.Writer, q string) (bool, error) {
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice == 0 {
			return false, errors.New("standard input is not a terminal: pass --yes to delete without asking")
		}
	}
	fmt.Fprint(out, q)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}
