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
	"github.com/azpeer/azpeer/state"
)

// targetFlags are the flags that name one peering.
type targetFlags struct {
	project, vpc, vnet string
	// organization and org are the same flag, long and short, kept apart
	// so an error names the one the user typed.
	organization, org string
}

func (f *targetFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.project, "project", "", "Aiven project of a project VPC (this or --organization is required)")
	c.Flags().StringVar(&f.organization, "organization", "", "Aiven organization id of an organization VPC, e.g. org4f9a0b2c1d3 (instead of --project)")
	c.Flags().StringVar(&f.org, "org", "", "short for --organization")
	c.Flags().StringVar(&f.vpc, "vpc", "", "VPC id, a project's or an organization's (required; azpeer list shows it)")
	c.Flags().StringVar(&f.vnet, "vnet", "", "Azure VNet: a full resource id, or RESOURCE_GROUP/NAME in the subscription (required)")
	for _, n := range []string{"vpc", "vnet"} {
		_ = c.MarkFlagRequired(n)
	}
}

// parent resolves --project / --organization / --org to the VPC's parent,
// naming the flags the user gave when they conflict.
func (f *targetFlags) parent() (project, org string, err error) {
	orgFlag, org := "--organization", f.organization
	switch {
	case f.organization != "" && f.org != "":
		return "", "", fmt.Errorf("--org is short for --organization: give one of them, not both (--organization %s, --org %s)", f.organization, f.org)
	case f.org != "":
		orgFlag, org = "--org", f.org
	}
	switch {
	case f.project != "" && org != "":
		return "", "", fmt.Errorf("--project %s and %s %s both name the VPC's owner: a project VPC takes --project, an organization VPC %s (azpeer list shows which a VPC is)",
			f.project, orgFlag, org, orgFlag)
	case f.project == "" && org == "":
		return "", "", errors.New(`required flag "project" or "organization" not set: pass --project P for a project VPC or --organization ORG (--org) for an organization VPC (azpeer list shows both)`)
	case org != "" && !orgIDPrefix(org):
		return "", "", fmt.Errorf("%s %q is not an Aiven organization id: they look like org4f9a0b2c1d3 (azpeer list shows them beside their VPCs)", orgFlag, org)
	}
	return f.project, org, nil
}

// orgIDPrefix: Aiven organization ids start with "org" (org4f9a0b2c1d3).
func orgIDPrefix(s string) bool { return strings.HasPrefix(s, "org") && len(s) > 3 }

var vnetIDRE = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Network/virtualNetworks/([^/]+)/?$`)

// target resolves the flags to a peering.Target, picking the subscription
// when --vnet is RESOURCE_GROUP/NAME.
func (f *targetFlags) target(ctx context.Context, b *backend, subFlag string) (peering.Target, error) {
	project, org, err := f.parent()
	if err != nil {
		return peering.Target{}, err
	}
	t := peering.Target{Project: project, Organization: org, VPCID: f.vpc}
	if m := vnetIDRE.FindStringSubmatch(f.vnet); m != nil {
		t.SubscriptionID, t.ResourceGroup, t.VNetName = m[1], m[2], m[3]
		t.SubscriptionFrom = "vnet"
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
		t.SubscriptionFrom = "subscription"
	}
	return t, t.Validate()
}

// openTarget is what every per-peering command starts with: connect (Azure
// required), resolve the target from the flags, and build the runbook.
// The caller closes the backend.
func (g *Globals) openTarget(ctx context.Context, cmd *cobra.Command, tf *targetFlags) (*backend, peering.Target, *peering.Runbook, error) {
	b, err := g.connect(ctx, connectOptions{needAzure: true, graph: true, deviceCode: deviceCodePrinter(cmd.ErrOrStderr()), notices: cmd.ErrOrStderr()})
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
		d, err := state.DefaultDir(b.getenv)
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return &peering.Runbook{Aiven: b.Aiven, Directory: b.Directory, Access: b.Access, Network: b.Network,
		SignInAsApp: b.SignIn, Identity: b.whoAmI(), Store: state.Dir{Path: dir}, ReadOnly: g.ReadOnly}, nil
}

// configDefaults fills the options the user's flags left to the
// configuration file.
func (g *Globals) configDefaults(cmd *cobra.Command, o *peering.Options) {
	if !cmd.Flags().Changed("role") && g.Config.Role != "" {
		o.Role = g.Config.Role
	}
	if !cmd.Flags().Changed("aiven-app-id") && g.Config.AivenAppID != "" {
		o.AivenAppID = g.Config.AivenAppID
	}
}

// positive checks a --timeout-like flag.
func positive(flag string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("--%s %s: give a positive duration, such as 45m or 2h", flag, d)
	}
	return nil
}

func newCreateCommand(g *Globals) *cobra.Command {
	var tf targetFlags
	var o peering.Options
	var dryRun, asJSON, yes bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "create",
		Short: "Peer an Aiven project VPC with an Azure VNet: every step, resumable",
		Long: `Runs the Azure ↔ Aiven VNet peering procedure step by step, detecting work
already done, retrying while the clouds catch up, and ending when Aiven says
ACTIVE and Azure says Connected. Interrupt it at any time and run the same
command again to resume. The app's secret is never written anywhere; it
lives a day at most and is removed once the Azure peering exists.

Every object azpeer creates is recorded (in --state-dir) before it is
created and tagged as azpeer's, so azpeer delete can remove exactly that.
A peering that already exists and that azpeer did not create is left alone
unless you pass --adopt; an Aiven connection requested for another app is
replaced only with --replace-connection.`,
		Example: `  azpeer create --sandbox --project tsdb-staging --vpc 2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b --vnet rg-app/app-vnet
  azpeer create --project P --vpc VPC_ID --vnet /subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/NAME --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			run := targetRun{Timeout: timeout, Mutates: "create"}
			if dryRun {
				run.Mutates = ""
			}
			g.configDefaults(cmd, &o)
			if err := o.Validate(); err != nil {
				return err
			}
			return g.onTarget(cmd, &tf, run, func(ctx context.Context, b *backend, t peering.Target, rb *peering.Runbook) error {
				if o.AppName == "" {
					o.AppName = g.Config.AppNameFor(t.Owner(), t.VNetName)
				}
				out := cmd.OutOrStdout()
				if dryRun {
					if err := rb.Preflight(ctx, t, o); err != nil {
						return err
					}
					return writePlan(out, rb, t, o, asJSON)
				}
				if o.ReplaceConnection && !yes {
					if err := confirm(cmd.InOrStdin(), cmd.ErrOrStderr(), fmt.Sprintf("--replace-connection deletes the existing Aiven connection of %s if it is not this run's, and requests a new one. Go on? [y/N] ", t), "nothing was changed"); err != nil {
						return err
					}
				}
				run, err := rb.Open(t, o)
				if err != nil {
					return err
				}
				defer run.Close()
				start := time.Now()
				sink := eventPrinter(out, start, asJSON)
				if !asJSON {
					fmt.Fprintf(out, "Peering %s (run record in %s)\n", t, rb.Store.Location())
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
			})
		},
	}
	tf.register(c)
	c.Flags().StringVar(&o.AppName, "app-name", "", "display name of the Entra app azpeer creates (default azpeer-PROJECT-VNET)")
	c.Flags().StringVar(&o.AppID, "app-id", "", "use this existing app (its appId) instead of creating one; azpeer adds a short-lived secret and role assignments to it and keeps it on delete")
	c.Flags().StringVar(&o.Role, "role", peering.RoleNetworkContributor, "the app's role on the VNet: network-contributor (as Aiven's docs) or least-privilege (a custom role with only the peering actions)")
	c.Flags().StringVar(&o.AivenAppID, "aiven-app-id", peering.DefaultAivenAppID, "Aiven's (or MST's) multi-tenant Entra app id")
	c.Flags().StringVar(&o.PeeringName, "peering-name", "", "name of the Azure peering (default aiven-PROJECT-VPCID8)")
	c.Flags().BoolVar(&o.Adopt, "adopt", false, "take over what exists of this peering and azpeer did not create (an Aiven connection, an Azure peering, an app another azpeer run made): record it as azpeer's and finish the peering")
	c.Flags().BoolVar(&o.ReplaceConnection, "replace-connection", false, "delete an Aiven connection azpeer did not create (one requested for another app, or a failed one) and request a new one (asks first)")
	c.Flags().BoolVar(&yes, "yes", false, "with --replace-connection: do not ask")
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
		num := "     "
		if n := peering.StepNumber(e.Step); n > 0 {
			num = fmt.Sprintf("%2d/%d", n, len(peering.StepIDs()))
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
	var aivenAppID string
	c := &cobra.Command{
		Use:   "status",
		Short: "Show a peering's run record and live state on both sides",
		Long: `Shows the run record and the live state of both sides, and the
diagnosis in one line per finding. Exit status: 0 healthy, 1 problems
found, 3 something could not be checked (a cloud down, a revoked token):
"could not check" is never reported as healthy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.onTarget(cmd, &tf, targetRun{Timeout: 2 * time.Minute}, func(ctx context.Context, b *backend, t peering.Target, rb *peering.Runbook) error {
				st, err := rb.Status(ctx, t)
				if err != nil {
					return err
				}
				d := rb.Diagnose(ctx, t, aivenAppID)
				out := cmd.OutOrStdout()
				if asJSON {
					enc := json.NewEncoder(out)
					enc.SetIndent("", "  ")
					if err := enc.Encode(struct {
						peering.Status
						Verdict   peering.Verdict   `json:"verdict"`
						Facts     *peering.Facts    `json:"facts"`
						Findings  []peering.Finding `json:"findings"`
						Unchecked []string          `json:"unchecked,omitempty"`
					}{st, d.Verdict, d.Facts, d.Findings, d.Unchecked}); err != nil {
						return err
					}
					return verdictExit(d.Verdict, "")
				}
				writeStatus(out, st)
				if len(d.Findings) > 0 {
					fmt.Fprintf(out, "\n%d finding(s); azpeer doctor explains them:\n", len(d.Findings))
					for _, f := range d.Findings {
						fmt.Fprintf(out, "  [%s] %s (%s)\n", f.Severity, f.Cause, f.ID)
					}
				}
				writeVerdict(out, d)
				return verdictExit(d.Verdict, "")
			})
		},
	}
	tf.register(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&aivenAppID, "aiven-app-id", "", "Aiven's (or MST's) Entra app id (default: the run record's, or Aiven's)")
	return c
}

// verdictExit turns a verdict into the command's exit status.
func verdictExit(v peering.Verdict, msg string) error {
	if code := v.ExitCode(); code != 0 {
		return &ExitError{Code: code, Msg: msg}
	}
	return nil
}

// writeVerdict prints the verdict line.
func writeVerdict(w io.Writer, d peering.Diagnosis) {
	switch d.Verdict {
	case peering.VerdictHealthy:
		fmt.Fprintln(w, "\n✓ healthy: everything was checked and no problem found")
	case peering.VerdictUnknown:
		fmt.Fprintf(w, "\n? could not check everything (%d part(s) unread): no problem seen, but this is not a clean bill of health\n", len(d.Unchecked))
		for _, u := range d.Unchecked {
			fmt.Fprintf(w, "  not checked: %s\n", oneLine(u, 160))
		}
	default:
		fmt.Fprintln(w, "\n✗ not healthy")
	}
}

func writeStatus(w io.Writer, st peering.Status) {
	fmt.Fprintf(w, "Peering %s\n", st.Target)
	if t := st.Target; t.Organization != "" {
		// The Terraform provider's aiven_azure_org_vpc_peering_connection
		// names it ORG/VPC/SUB/VNET/RG, for terraform import.
		fmt.Fprintf(w, "Parent: organization %s (an organization VPC; Terraform id %s/%s/%s/%s/%s)\n", t.Organization,
			t.Organization, t.VPCID, t.SubscriptionID, strings.ToLower(t.VNetName), strings.ToLower(t.ResourceGroup))
	}
	switch {
	case !st.AivenRead:
		fmt.Fprintf(w, "Aiven:  ? could not read the %s (see below)\n", st.Target.Parent().VPCNoun())
	case st.Aiven != nil:
		fmt.Fprintf(w, "Aiven:  %s %s  %s\n", stateIcon(st.Aiven.State), st.Aiven.State, st.Aiven.Message())
		for _, k := range st.Aiven.StateInfoKeys() {
			if k != "message" {
				fmt.Fprintf(w, "        %s: %v\n", k, st.Aiven.StateInfo[k])
			}
		}
	default:
		fmt.Fprintln(w, "Aiven:  no peering connection")
	}
	switch {
	case !st.AzureRead:
		fmt.Fprintln(w, "Azure:  ? could not read the VNet (see below)")
	case st.VNetMissing:
		fmt.Fprintln(w, "Azure:  the VNet does not exist")
	case st.Azure != nil:
		fmt.Fprintf(w, "Azure:  %s %s (sync %s, provisioning %s, allowVirtualNetworkAccess %t)\n", st.Azure.Name, st.Azure.PeeringState,
			st.Azure.SyncLevel, st.Azure.ProvisioningState, st.Azure.AllowVirtualNetworkAccess)
	default:
		fmt.Fprintln(w, "Azure:  no peering from the VNet to Aiven's VNet")
	}
	for _, e := range st.Errors {
		fmt.Fprintf(w, "        could not read %s\n", oneLine(e, 200))
	}
	if st.Record == nil {
		fmt.Fprintln(w, "Run:    azpeer has no record of creating this peering")
		return
	}
	fmt.Fprintf(w, "Run:    %d/%d steps done, updated %s\n", st.Record.StepsDone(), len(peering.StepIDs()), st.Record.Updated.Format(time.RFC3339))
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
	var keepShared, yes, adopt, dryRun bool
	var confirmName string
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "delete",
		Short: "Remove a peering and what azpeer created for it, in reverse order",
		Long: `Removes, in reverse order, exactly what azpeer's run record says azpeer
created for the peering: the Azure peering, the Aiven peering connection
(waiting until Aiven no longer lists it), the role assignments, the custom
roles unless other assignments still use them, the app with its service
principal, and Aiven's service principal unless other assignments use it.
What existed before azpeer (an app you named with --app-id, a role
assignment someone made, a shared role) is kept and named as kept; the
secrets azpeer added to an app it keeps are removed.

Without a run record azpeer refuses, and says what exists and who made it.
To delete a peering azpeer did not create, pass --adopt: azpeer shows both
sides, asks you to type the peering's name (RESOURCE_GROUP/VNET; or pass
--confirm with it), checks it may delete both sides, then removes both —
never only one.

--dry-run prints what would go and what would stay, and the consent it
would ask for, and changes nothing (read-only mode allows it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			run := targetRun{Timeout: timeout, Mutates: "delete"}
			if dryRun {
				run.Mutates = ""
			}
			return g.onTarget(cmd, &tf, run, func(ctx context.Context, b *backend, t peering.Target, rb *peering.Runbook) error {
				run, err := rb.Open(t, peering.Options{})
				if err != nil {
					return err
				}
				defer run.Close()
				out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
				plan, typed := run.PlanDelete(ctx), confirmName
				if dryRun {
					return writeDeletePlan(out, plan)
				}
				switch {
				case plan.Consent == peering.ConsentNone:
					fmt.Fprintf(out, "Nothing to delete: azpeer has no record of %s in %s, and neither side of it exists.\n", t, rb.Store.Location())
					return nil
				case plan.Adopts():
					if !adopt {
						return &ExitError{Code: 1, Msg: fmt.Sprintf("azpeer has no record of creating %s (state directory %s), so it deletes nothing. What exists:\n  - %s\n"+
							"To delete the peering anyway — both sides, never one — run the same command with --adopt.",
							t, rb.Store.Location(), strings.Join(plan.Remove, "\n  - "))}
					}
					if err := plan.Blocked(); err != nil {
						return err
					}
					fmt.Fprintf(errOut, "azpeer did not create this peering. With --adopt it deletes both sides of it:\n  - %s\n", strings.Join(plan.Remove, "\n  - "))
					if typed, err = typedConfirm(cmd.InOrStdin(), errOut, plan.Name(), confirmName); err != nil {
						return err
					}
				case plan.Consent == peering.ConsentName:
					fmt.Fprintln(errOut, "This run adopted parts of the peering that azpeer did not create; deleting removes them too.")
					if typed, err = typedConfirm(cmd.InOrStdin(), errOut, plan.Name(), confirmName); err != nil {
						return err
					}
				case !yes && confirmName == "":
					if err := confirm(cmd.InOrStdin(), errOut, fmt.Sprintf("Delete the peering %s and what azpeer created for it? [y/N] ", t), "nothing was deleted"); err != nil {
						return err
					}
				}
				start := time.Now()
				if err := run.Delete(ctx, plan, typed, peering.TeardownOptions{KeepShared: keepShared}, eventPrinter(out, start, false)); err != nil {
					return err
				}
				fmt.Fprintf(out, "Deleted in %s.\n", time.Since(start).Round(time.Millisecond))
				return nil
			})
		},
	}
	tf.register(c)
	c.Flags().BoolVar(&keepShared, "keep-shared", false, "keep the custom roles and Aiven's service principal (other peerings may use them)")
	c.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation (of what azpeer created; deleting what it did not create always needs the typed name or --confirm)")
	c.Flags().BoolVar(&adopt, "adopt", false, "delete a peering azpeer has no record of: both sides, after you type its name")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print what would go and what would stay; change nothing")
	c.Flags().StringVar(&confirmName, "confirm", "", "the peering's RESOURCE_GROUP/VNET, typed in advance (for scripts deleting with --adopt)")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long")
	return c
}

// writeDeletePlan prints what a delete would remove and keep, and the
// consent it would need; a plan that cannot go on is its error.
func writeDeletePlan(w io.Writer, p peering.DeletePlan) error {
	if p.Consent == peering.ConsentNone {
		fmt.Fprintf(w, "Nothing to delete: azpeer has no record of %s, and neither side of it exists.\n", p.Target)
		return nil
	}
	if err := p.Blocked(); err != nil {
		return err
	}
	fmt.Fprintf(w, "Deleting %s would remove (nothing is changed by --dry-run):\n", p.Target)
	for _, l := range p.Remove {
		fmt.Fprintf(w, "  - %s\n", l)
	}
	if len(p.Keep) > 0 {
		fmt.Fprintln(w, "and keep, since it existed before azpeer:")
		for _, l := range p.Keep {
			fmt.Fprintf(w, "  - %s\n", l)
		}
	}
	switch {
	case p.Adopts():
		fmt.Fprintf(w, "azpeer did not create this peering: delete it with --adopt, typing %s when asked (or --confirm %s); both sides go, never one.\n", p.Name(), p.Name())
	case p.Consent == peering.ConsentName:
		fmt.Fprintf(w, "This run adopted parts azpeer did not create: delete asks you to type %s (or take --confirm %s).\n", p.Name(), p.Name())
	default:
		fmt.Fprintln(w, "delete asks for a yes (or takes --yes).")
	}
	return nil
}

// typedConfirm asks the user to type the peering's name and returns it;
// given is what --confirm said (then no question is asked).
func typedConfirm(in io.Reader, out io.Writer, name, given string) (string, error) {
	if given != "" {
		if !strings.EqualFold(strings.TrimSpace(given), name) {
			return "", fmt.Errorf("--confirm %q does not name this peering (%s); nothing was deleted", given, name)
		}
		return given, nil
	}
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice == 0 {
			return "", fmt.Errorf("standard input is not a terminal: pass --confirm %s to delete without being asked", name)
		}
	}
	fmt.Fprintf(out, "Type %s to delete both sides: ", name)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if !strings.EqualFold(strings.TrimSpace(line), name) {
		return "", fmt.Errorf("the name did not match %s; nothing was deleted (type it exactly, or pass --confirm %s)", name, name)
	}
	return line, nil
}

// confirm asks a yes/no question on a terminal; anything but yes is an
// error: not confirmed, and declined says what did not happen.
func confirm(in io.Reader, out io.Writer, q, declined string) error {
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice == 0 {
			return errors.New("standard input is not a terminal: pass --yes to delete without asking")
		}
	}
	fmt.Fprint(out, q)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
		return errors.New("not confirmed; " + declined)
	}
	return nil
}

// targetRun says how a per-peering command runs.
type targetRun struct {
	// Timeout is the --timeout flag's value, which must be positive.
	Timeout time.Duration
	// Mutates names the command when this run changes the clouds, so that
	// read-only mode refuses it before anything is read.
	Mutates string
}

// onTarget runs fn on the command's peering: what every per-peering
// command starts with (check --timeout, refuse a change in read-only mode,
// connect, resolve the target, build the runbook) and ends with (close it
// all).
func (g *Globals) onTarget(cmd *cobra.Command, tf *targetFlags, run targetRun, fn func(ctx context.Context, b *backend, t peering.Target, rb *peering.Runbook) error) error {
	if err := positive("timeout", run.Timeout); err != nil {
		return err
	}
	if run.Mutates != "" {
		if err := g.refuseReadOnly(run.Mutates); err != nil {
			return err
		}
	}
	ctx, cancel := withTimeout(cmd.Context(), run.Timeout)
	defer cancel()
	b, t, rb, err := g.openTarget(ctx, cmd, tf)
	if err != nil {
		return err
	}
	defer b.Close()
	return fn(ctx, b, t, rb)
}
