package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/human"
	"github.com/azpeer/azpeer/peering"
)

func newListCommand(g *Globals) *cobra.Command {
	var asJSON bool
	var project, organization string
	var concurrency int
	c := &cobra.Command{
		Use:   "list",
		Short: "List Aiven projects, their VPCs and peering connections with live state",
		Example: `  azpeer list --sandbox
  azpeer list --project tsdb-prod --json
  azpeer list --org org4f9a0b2c1d3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			orgFlag := "--organization"
			if cmd.Flags().Changed("org") {
				orgFlag = "--org"
			}
			if project != "" && organization != "" {
				return fmt.Errorf("--project and %s: pick one (an organization's listing includes its projects)", orgFlag)
			}
			ctx, cancel := withTimeout(cmd.Context(), 2*time.Minute)
			defer cancel()
			b, err := g.connect(ctx, connectOptions{noAzure: asJSON, azureInBackground: true})
			if err != nil {
				return err
			}
			defer b.Close()
			opts := peering.InventoryOptions{Concurrency: concurrency}
			if project != "" {
				opts.Projects = []string{project}
			}
			opts.Organization = organization
			inv, err := peering.FetchInventory(ctx, b.Aiven, opts)
			if unknown := (*peering.UnknownOrganizationError)(nil); errors.As(err, &unknown) {
				return fmt.Errorf("%s %s: none of this Aiven token's projects belongs to that organization (azpeer list shows each project's organization)", orgFlag, unknown.ID)
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeListJSON(out, inv); err != nil {
					return err
				}
			} else {
				writeHeader(ctx, out, b, inv.User, g.Subscription)
				writeListTable(out, inv)
			}
			if n := inv.Failures(); n > 0 {
				return &partialError{n: n}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	c.Flags().StringVar(&project, "project", "", "only this project")
	c.Flags().StringVar(&organization, "organization", "", "only this organization: its projects and its organization VPCs")
	c.Flags().StringVar(&organization, "org", "", "short for --organization")
	c.Flags().IntVar(&concurrency, "concurrency", 16, "API calls in flight at most")
	return c
}

// partialError says some items could not be read; they are marked in the output.
type partialError struct{ n int }

func (e *partialError) Error() string {
	return fmt.Sprintf("%d item(s) could not be read; they are marked in the output", e.n)
}

// JSON shapes of `azpeer list --json`.
type listJSON struct {
	Projects []projectJSON `json:"projects"`
	// Organizations are the organizations with VPCs of their own.
	Organizations []organizationJSON `json:"organizations"`
}

type organizationJSON struct {
	ID    string    `json:"id"`
	VPCs  []vpcJSON `json:"vpcs"`
	Error string    `json:"error,omitempty"`
}

// parentJSON names a VPC's owner: {"kind": "project"|"organization", "id": …}.
type parentJSON = peering.Parent

type projectJSON struct {
	Name  string    `json:"name"`
	VPCs  []vpcJSON `json:"vpcs"`
	Error string    `json:"error,omitempty"`
}

type vpcJSON struct {
	ID string `json:"id"`
	// Parent is the VPC's owner; DisplayName and UsedBy (the projects whose
	// services run in it) are an organization VPC's.
	Parent      parentJSON    `json:"parent"`
	DisplayName string        `json:"display_name,omitempty"`
	UsedBy      []string      `json:"used_by,omitempty"`
	Cloud       string        `json:"cloud"`
	CIDR        string        `json:"cidr"`
	State       string        `json:"state"`
	Peerings    []peeringJSON `json:"peerings"`
	Error       string        `json:"error,omitempty"`
}

type peeringJSON struct {
	PeerCloudAccount  string `json:"peer_cloud_account"`
	PeerResourceGroup string `json:"peer_resource_group"`
	PeerVPC           string `json:"peer_vpc"`
	// PeeringConnectionID is Aiven's id of the connection, when it gave one.
	PeeringConnectionID string         `json:"peering_connection_id,omitempty"`
	State               string         `json:"state"`
	StateInfo           map[string]any `json:"state_info"`
	CreateTime          time.Time      `json:"create_time"`
	UpdateTime          time.Time      `json:"update_time"`
}

func writeListJSON(w io.Writer, inv peering.Inventory) error {
	out := listJSON{Projects: []projectJSON{}, Organizations: []organizationJSON{}}
	for _, p := range inv.Projects {
		pj := projectJSON{Name: p.Name, VPCs: vpcsJSON(p.VPCs)}
		if p.Err != nil {
			pj.Error = p.Err.Error()
		}
		out.Projects = append(out.Projects, pj)
	}
	for _, o := range inv.Organizations {
		oj := organizationJSON{ID: o.ID, VPCs: vpcsJSON(o.VPCs)}
		if o.Err != nil {
			oj.Error = o.Err.Error()
		}
		out.Organizations = append(out.Organizations, oj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func vpcsJSON(vpcs []peering.VPC) []vpcJSON {
	out := []vpcJSON{}
	for _, v := range vpcs {
		vj := vpcJSON{ID: v.ID, Parent: v.Parent, DisplayName: v.DisplayName, UsedBy: v.UsedBy,
			Cloud: v.Cloud, CIDR: v.CIDR, State: v.State, Peerings: []peeringJSON{}}
		if v.Err != nil {
			vj.Error = v.Err.Error()
		}
		for _, c := range v.Peerings {
			vj.Peerings = append(vj.Peerings, peeringJSON{
				PeerCloudAccount: c.PeerCloudAccount, PeerResourceGroup: c.PeerResourceGroup, PeerVPC: c.PeerVPC,
				PeeringConnectionID: c.PeeringConnectionID,
				State:               string(c.State), StateInfo: c.StateInfo, CreateTime: c.CreateTime, UpdateTime: c.UpdateTime,
			})
		}
		out = append(out, vj)
	}
	return out
}

// writeHeader says who azpeer is talking as, on each side.
func writeHeader(ctx context.Context, w io.Writer, b *backend, user peering.AivenUser, subFlag string) {
	where := ""
	if b.Sandbox != nil {
		where = " [sandbox " + b.Sandbox.URL() + "]"
	}
	fmt.Fprintf(w, "Aiven: %s (token from %s)%s\n", user.Email, b.AivenSource, where)
	b.waitAzure()
	if b.Network == nil {
		fmt.Fprintf(w, "Azure: not signed in (%v)\n\n", b.azureError())
		return
	}
	sub := subFlag
	if sub == "" {
		sub = b.getenv(envSubscription)
	}
	if sub == "" {
		sub = "(all visible)"
	}
	who := "signed in"
	tenant := b.AzureSource.TenantID
	if b.Identity != nil {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if p, err := b.Identity.SignedIn(ctx); err == nil {
			who, tenant = p.Name, p.TenantID
			if p.TenantName != "" {
				tenant = p.TenantName + " (" + p.TenantID + ")"
			}
		}
	}
	if tenant == "" {
		tenant = "unknown"
	}
	fmt.Fprintf(w, "Azure: %s, tenant %s, subscription %s, signed in with %s\n\n", who, tenant, sub, b.AzureSource.Kind)
}

func writeListTable(w io.Writer, inv peering.Inventory) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	if len(inv.Projects) == 0 {
		fmt.Fprintln(tw, "No projects are visible with this token.")
		return
	}
	usedBy := map[string][]string{} // project → organization VPCs its services use
	for _, o := range inv.Organizations {
		for _, v := range o.VPCs {
			for _, p := range v.UsedBy {
				usedBy[p] = append(usedBy[p], v.ID)
			}
		}
	}
	for i, p := range inv.Projects {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		if !writeParent(tw, p.Name, "VPC(s)", p.Err, p.VPCs) {
			continue
		}
		for _, id := range usedBy[p.Name] {
			fmt.Fprintf(tw, "  uses organization VPC %s\n", id)
		}
	}
	for _, o := range inv.Organizations {
		fmt.Fprintln(tw)
		writeParent(tw, "organization "+o.ID, "organization VPC(s)", o.Err, o.VPCs)
	}
}

// writeParent writes a project's or an organization's line and its VPCs,
// or why they could not be read (then it reports false).
func writeParent(tw io.Writer, name, noun string, err error, vpcs []peering.VPC) bool {
	if err != nil {
		fmt.Fprintf(tw, "%s\t(could not read its VPCs: %v)\n", name, err)
		return false
	}
	fmt.Fprintf(tw, "%s\t%d %s\n", name, len(vpcs), noun)
	writeVPCs(tw, vpcs)
	return true
}

// writeVPCs lists VPCs with their connections; an organization VPC says
// so, with its name and the projects using it.
func writeVPCs(tw io.Writer, vpcs []peering.VPC) {
	for _, v := range vpcs {
		if v.Parent.IsOrganization() {
			fmt.Fprintf(tw, "  ORG VPC %s\t%s\t%s\t%s\t%s; %s\n", v.ID, v.Cloud, v.CIDR, v.State, orDash(v.DisplayName), human.UsedBy(v.UsedBy))
		} else {
			fmt.Fprintf(tw, "  VPC %s\t%s\t%s\t%s\n", v.ID, v.Cloud, v.CIDR, v.State)
		}
		if v.Err != nil {
			fmt.Fprintf(tw, "    (could not read peerings: %v)\n", v.Err)
			continue
		}
		if len(v.Peerings) == 0 {
			fmt.Fprintln(tw, "    no peering connections")
		}
		for _, c := range v.Peerings {
			fmt.Fprintf(tw, "    %s %s\t%s\t%s\t%s\n", stateIcon(c.State), c.State, peerName(c), age(c.UpdateTime), oneLine(c.Message(), 70))
		}
	}
}

// peerName is the peer as a person reads it.
func peerName(c peering.Connection) string {
	switch {
	case c.PeerResourceGroup != "":
		return fmt.Sprintf("azure %s/%s (sub %s)", c.PeerResourceGroup, c.PeerVPC, shortGUID(c.PeerCloudAccount))
	case c.PeerRegion != "":
		return fmt.Sprintf("aws %s %s (%s)", c.PeerVPC, c.PeerRegion, c.PeerCloudAccount)
	}
	return fmt.Sprintf("%s (%s)", c.PeerVPC, c.PeerCloudAccount)
}

func stateIcon(s peering.State) string {
	switch {
	case s == peering.StateActive:
		return "●"
	case s.Failed():
		return "✗"
	case s.Transitional():
		return "◐"
	}
	return "○"
}

// age says how long ago t was; "" when it is unknown.
func age(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return human.Duration(time.Since(t)) + " ago"
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func shortGUID(s string) string {
	if len(s) > 8 {
		return s[:8] + "…"
	}
	return s
}

// ctxOr returns ctx, or Background when nil (cobra leaves it nil in tests
// that call Execute without a context).
func ctxOr(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}
