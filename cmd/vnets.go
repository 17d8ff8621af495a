package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/peering"
)

func newVNetsCommand(g *Globals) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "vnets",
		Short: "List the Azure VNets you could peer, with address spaces and peerings",
		Example: `  azpeer vnets --sandbox
  azpeer vnets --subscription 3c5d7e9f-1a2b-4c3d-8e4f-5a6b7c8d9e0f --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := withTimeout(cmd.Context(), 2*time.Minute)
			defer cancel()
			b, err := g.connect(ctx, connectOptions{needAzure: true, deviceCode: deviceCodePrinter(cmd.ErrOrStderr()), notices: cmd.ErrOrStderr()})
			if err != nil {
				return err
			}
			defer b.Close()
			// The subscription chosen (flag, environment, configuration,
			// the Azure CLI's default), else every one visible.
			chosen, ok, err := b.knownSubscription(g.Subscription)
			if err != nil {
				return err
			}
			subs := []string{chosen}
			if !ok {
				all, err := b.Network.Subscriptions(ctx)
				if err != nil {
					return err
				}
				subs = subs[:0]
				for _, s := range all {
					subs = append(subs, s.ID)
				}
			}
			var vnets []peering.VNet
			for _, s := range subs {
				vs, err := b.Network.VNets(ctx, s)
				if err != nil {
					return err
				}
				vnets = append(vnets, vs...)
			}
			slices.SortFunc(vnets, func(a, b peering.VNet) int { return strings.Compare(strings.ToLower(a.ID), strings.ToLower(b.ID)) })
			if asJSON {
				return writeVNetsJSON(cmd.OutOrStdout(), vnets)
			}
			user, err := b.Aiven.Me(ctx)
			if err != nil {
				user = peering.AivenUser{Email: "(unknown: " + err.Error() + ")"}
			}
			writeHeader(ctx, cmd.OutOrStdout(), b, user, chosen)
			writeVNetsTable(cmd.OutOrStdout(), vnets)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return c
}

// writeVNetsJSON writes the VNets as peering.VNet marshals them (as
// status --json does), with empty lists as [] rather than null.
func writeVNetsJSON(w io.Writer, vnets []peering.VNet) error {
	out := make([]peering.VNet, 0, len(vnets))
	for _, v := range vnets {
		if v.AddressPrefixes == nil {
			v.AddressPrefixes = []string{}
		}
		if v.Peerings == nil {
			v.Peerings = []peering.VNetPeering{}
		}
		out = append(out, v)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeVNetsTable(w io.Writer, vnets []peering.VNet) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	if len(vnets) == 0 {
		fmt.Fprintln(tw, "No VNets are visible.")
		return
	}
	fmt.Fprintln(tw, "RESOURCE GROUP/NAME\tLOCATION\tADDRESS SPACE\tPEERINGS")
	for _, v := range vnets {
		var ps []string
		for _, p := range v.Peerings {
			ps = append(ps, fmt.Sprintf("%s→%s (%s)", p.Name, lastPart(p.RemoteVNetID), p.PeeringState))
		}
		peerings := "-"
		if len(ps) > 0 {
			peerings = strings.Join(ps, ", ")
		}
		fmt.Fprintf(tw, "%s/%s\t%s\t%s\t%s\n", v.ResourceGroup, v.Name, v.Location, strings.Join(v.AddressPrefixes, ","), peerings)
	}
}

func lastPart(id string) string { return id[strings.LastIndex(id, "/")+1:] }
