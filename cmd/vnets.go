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
			b, err := g.connect(ctx, connectOptions{needAzure: true, deviceCode: deviceCodePrinter(cmd.ErrOrStderr())})
			if err != nil {
				return err
			}
			defer b.Close()
			subs := []string{g.Subscription}
			if g.Subscription == "" {
				if env := b.getenv(envSubscription); env != "" {
					subs = []string{env}
				} else {
					all, err := b.Network.Subscriptions(ctx)
					if err != nil {
						return err
					}
					subs = subs[:0]
					for _, s := range all {
						subs = append(subs, s.ID)
					}
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
			writeHeader(cmd.OutOrStdout(), b, user, g.Subscription)
			writeVNetsTable(cmd.OutOrStdout(), vnets)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return c
}

type vnetJSON struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	ResourceGroup   string            `json:"resource_group"`
	Subscription    string            `json:"subscription"`
	Location        string            `json:"location"`
	AddressPrefixes []string          `json:"address_prefixes"`
	Peerings        []vnetPeeringJSON `json:"peerings"`
}

type vnetPeeringJSON struct {
	Name            string `json:"name"`
	RemoteVNetID    string `json:"remote_vnet_id"`
	PeeringState    string `json:"peering_state"`
	AllowVNetAccess bool   `json:"allow_vnet_access"`
}

func writeVNetsJSON(w io.Writer, vnets []peering.VNet) error {
	out := make([]vnetJSON, 0, len(vnets))
	for _, v := range vnets {
		vj := vnetJSON{ID: v.ID, Name: v.Name, ResourceGroup: v.ResourceGroup, Subscription: v.Subscription,
			Location: v.Location, AddressPrefixes: v.AddressPrefixes, Peerings: []vnetPeeringJSON{}}
		if vj.AddressPrefixes == nil {
			vj.AddressPrefixes = []string{}
		}
		for _, p := range v.Peerings {
			vj.Peerings = append(vj.Peerings, vnetPeeringJSON{Name: p.Name, RemoteVNetID: p.RemoteVNetID,
				PeeringState: p.PeeringState, AllowVNetAccess: p.AllowVirtualNetworkAccess})
		}
		out = append(out, vj)
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
