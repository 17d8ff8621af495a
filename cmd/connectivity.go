package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/netcheck"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// connectivityFlags are doctor's --connectivity flags.
type connectivityFlags struct {
	on        bool
	dnsServer string
	// sandboxHost and sandboxRebinding place the check in the --sandbox
	// world: on the Internet, or on a VM in one of the user's VNets.
	sandboxHost      string
	sandboxRebinding bool
	timeout          time.Duration
}

func (f *connectivityFlags) register(c *cobra.Command) {
	c.Flags().BoolVar(&f.on, "connectivity", false, "check the project's services from this machine: DNS, allow-list, TCP, TLS and its certificate against the project CA (changes nothing)")
	c.Flags().StringVar(&f.dnsServer, "dns-server", "", "with --connectivity: also ask this DNS server (HOST:PORT, e.g. 1.1.1.1:53; with --sandbox, \"sandbox\" is the sandbox's)")
	c.Flags().StringVar(&f.sandboxHost, "sandbox-host", "internet", "with --connectivity --sandbox: where the check runs, \"internet\" (a laptop) or RESOURCE_GROUP/VNET (a VM in that VNet)")
	c.Flags().DurationVar(&f.timeout, "connect-timeout", 3*time.Second, "with --connectivity: the deadline of each lookup and connect")
	c.Flags().BoolVar(&f.sandboxRebinding, "sandbox-rebinding", false, "with --connectivity --sandbox: the host's resolver drops private answers (DNS rebinding protection)")
}

// probe is where the check runs: this machine, or with --sandbox a host
// of the sandbox's network.
func (f *connectivityFlags) probe(b *backend, t peering.Target) (peering.ConnectivityProbe, string, error) {
	if b.Sandbox == nil {
		return netcheck.Probe{Host: netcheck.System{}}, f.dnsServer, nil
	}
	spec := sandbox.HostSpec{RebindingProtection: f.sandboxRebinding}
	if f.sandboxHost != "internet" {
		rg, name, ok := strings.Cut(f.sandboxHost, "/")
		if !ok || rg == "" || name == "" {
			return nil, "", fmt.Errorf("--sandbox-host %q: give internet or RESOURCE_GROUP/VNET", f.sandboxHost)
		}
		spec.VNetID = sandbox.VNetID(t.SubscriptionID, rg, name)
	}
	h, err := b.Sandbox.Host(spec)
	if err != nil {
		return nil, "", fmt.Errorf("--sandbox-host %s: %w", f.sandboxHost, err)
	}
	dns := f.dnsServer
	if dns == "sandbox" {
		dns = b.Sandbox.DNSAddr(false)
	}
	return netcheck.Probe{Host: h}, dns, nil
}

// runConnectivity is doctor --connectivity.
func (f *connectivityFlags) run(ctx context.Context, cmd *cobra.Command, b *backend, t peering.Target, rb *peering.Runbook, asJSON bool) error {
	probe, dns, err := f.probe(b, t)
	if err != nil {
		return err
	}
	if f.timeout <= 0 {
		return fmt.Errorf("--connect-timeout %s: give a positive duration, such as 3s", f.timeout)
	}
	rep := rb.CheckConnectivity(ctx, t, probe, peering.ConnectivityOptions{DNSServer: dns, Timeout: f.timeout})
	out := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		writeConnectivity(out, rep)
	}
	return verdictExit(rep.Verdict, "")
}

func writeConnectivity(w io.Writer, rep peering.ConnectivityReport) {
	where := "outside the peered VNet"
	if rep.Inside {
		where = "inside the peered VNet"
	}
	whose := rep.Target.Parent().String() + "'s services"
	if rep.Target.Organization != "" {
		whose = "the services in organization VPC " + rep.Target.VPCID // of any of its projects
	}
	fmt.Fprintf(w, "Connectivity of %s, from this machine (%s: %s; VNet %s; VPC %s)\n",
		whose, strings.Join(rep.LocalAddrs, ", "), where, strings.Join(rep.VNetRanges, ", "), rep.VPCCIDR)
	if rep.DNSServer != "" {
		fmt.Fprintf(w, "Also asking DNS server %s.\n", rep.DNSServer)
	}
	icon := map[peering.Severity]string{peering.SeverityError: "✗", peering.SeverityWarning: "⚠", peering.SeverityInfo: "•"}
	for _, sc := range rep.Services {
		sv := sc.Service
		vpc := "not in a project VPC"
		if sv.VPCID == rep.Target.VPCID {
			vpc = "in the peered VPC"
		} else if sv.VPCID != "" {
			vpc = "in VPC " + sv.VPCID
		}
		if sv.Project != "" {
			vpc += ", project " + sv.Project
		}
		fmt.Fprintf(w, "\n%s (%s, %s, %s)\n", sv.Name, sv.Type, sv.State, vpc)
		for _, fd := range sc.Findings {
			mark := icon[fd.Severity]
			if fd.Kind == peering.ConnReachable || fd.Kind == peering.ConnPublicReach {
				mark = "✓"
			}
			fmt.Fprintf(w, "  %s %s  (%s)\n", mark, fd.Text, fd.Kind)
			if fd.Fix != "" {
				fmt.Fprintf(w, "    fix: %s\n", fd.Fix)
			}
		}
		if len(sc.Commands) > 0 && !rep.Inside {
			fmt.Fprintln(w, "  from a VM in the VNet:")
			for _, c := range sc.Commands {
				fmt.Fprintf(w, "    $ %s\n", c)
			}
		}
	}
	if len(rep.Services) == 0 {
		fmt.Fprintln(w, "\nThe project has no services.")
	}
	for _, u := range rep.Unchecked {
		fmt.Fprintf(w, "\n? not checked: %s\n", oneLine(u, 200))
	}
	switch rep.Verdict {
	case peering.VerdictHealthy:
		fmt.Fprintln(w, "\n✓ every service is reachable from here")
	case peering.VerdictUnknown:
		fmt.Fprintln(w, "\n? "+rep.UnknownWhy())
	default:
		fmt.Fprintln(w, "\n✗ problems found (above)")
	}
}
