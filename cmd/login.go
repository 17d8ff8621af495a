package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/peering"
)

// loginReport is what azpeer login says, also as JSON.
type loginReport struct {
	Principal     peering.Principal      `json:"principal"`
	Source        string                 `json:"source"`
	Subscriptions []peering.Subscription `json:"subscriptions"`
	// AppAdminRole is the role that lets the principal create Aiven's
	// service principal, or "" (RolesUnknown: could not be read).
	AppAdminRole string `json:"app_admin_role"`
	RolesUnknown bool   `json:"roles_unknown,omitempty"`
}

func newLoginCommand(g *Globals) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "login",
		Short: "Sign in to Azure and say who you are and what you can see",
		Long: `Signs in to Azure the way every azpeer command does — the app in AZURE_TENANT_ID,
AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, else the Azure CLI's login, else a device code
(printed on stderr: open the URL, enter the code) — and says who signed in, in which
tenant, the subscriptions visible, and whether you hold a directory role that creating
Aiven's service principal needs.

azpeer never writes a token to disk, so a device-code sign-in lasts for one command: in
scripts, sign in with the Azure CLI (az login --use-device-code) or as an app, or let the
command that needs Azure ask for its own code.`,
		Example: `  azpeer login
  azpeer login --tenant 7f3e2a10-5c1b-4d8e-9a6f-2b4c8d1e0f31 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A device code waits for a person: up to Entra's 15 minutes.
			ctx, cancel := withTimeout(cmd.Context(), 16*time.Minute)
			defer cancel()
			b, err := g.connect(ctx, connectOptions{needAzure: true, allowNoAiven: true, graph: true, deviceCode: deviceCodePrinter(cmd.ErrOrStderr()), notices: cmd.ErrOrStderr()})
			if err != nil {
				return err
			}
			defer b.Close()
			rep, err := login(ctx, b)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			writeLogin(out, rep)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return c
}

func login(ctx context.Context, b *backend) (loginReport, error) {
	who, err := b.Identity.SignedIn(ctx)
	if err != nil {
		return loginReport{}, err
	}
	rep := loginReport{Principal: who, Source: string(b.AzureSource.Kind)}
	if rep.Subscriptions, err = b.Network.Subscriptions(ctx); err != nil {
		return loginReport{}, fmt.Errorf("list the subscriptions you can see: %w", err)
	}
	var roles []string
	dir, _ := b.Directory.(*azure.Directory)
	switch {
	case dir == nil:
		rep.RolesUnknown = true
	case who.Kind == peering.PrincipalUser:
		roles, err = dir.DirectoryRolesOfSignedInUser(ctx)
	default:
		roles, err = dir.DirectoryRolesOfApp(ctx, who.AppID)
	}
	if err != nil {
		rep.RolesUnknown = true
	}
	for _, r := range roles {
		if name := peering.AppAdminRole(r); name != "" {
			rep.AppAdminRole = name
		}
	}
	return rep, nil
}

func writeLogin(w interface{ Write([]byte) (int, error) }, r loginReport) {
	p := r.Principal
	tenant := p.TenantID
	if p.TenantName != "" {
		tenant = p.TenantName + " (" + p.TenantID + ")"
	}
	who := p.Name
	if p.Kind == peering.PrincipalUser {
		who = "user " + p.Name
	}
	fmt.Fprintf(w, "Signed in to Azure as %s, in tenant %s, with %s.\n", who, tenant, r.Source)
	switch {
	case r.AppAdminRole != "":
		fmt.Fprintf(w, "Directory role: %s, so azpeer can create Aiven's service principal.\n", r.AppAdminRole)
	case r.RolesUnknown:
		fmt.Fprintln(w, "Directory roles: could not be read; creating Aiven's service principal may need Application Administrator.")
	default:
		fmt.Fprintln(w, "Directory role: none that may create Aiven's service principal (Application Administrator,\n"+
			"Cloud Application Administrator or Global Administrator): unless it exists in the tenant already, ask\n"+
			"a Privileged Role Administrator for one, or an administrator to run: az ad sp create --id <Aiven's app id>.")
	}
	subs := slices.Clone(r.Subscriptions)
	slices.SortFunc(subs, func(a, b peering.Subscription) int { return strings.Compare(a.DisplayName, b.DisplayName) })
	if len(subs) == 0 {
		fmt.Fprintln(w, "Subscriptions: none visible.")
		return
	}
	fmt.Fprintln(w, "Subscriptions:")
	for _, s := range subs {
		fmt.Fprintf(w, "  %s  %s  (tenant %s)\n", s.ID, s.DisplayName, s.TenantID)
	}
}
