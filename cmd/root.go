// Package cmd is azpeer's command line.
package cmd

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/sandbox"
)

// NewRootCommand builds the azpeer command tree. Errors are returned, not
// printed: main prints each one once and exits with status 1.
func NewRootCommand() *cobra.Command {
	g := &Globals{}
	var project string
	root := &cobra.Command{
		Use:   "azpeer",
		Short: "Peer Azure virtual networks with Aiven project VPCs",
		Long: "azpeer peers an Azure virtual network with an Aiven (or Managed Service for TimescaleDB) project VPC:\n" +
			"it runs the whole procedure on both clouds, waits out their delays, and explains what went wrong.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		Example: `  azpeer --sandbox                 # the dashboard, on a local emulator of both clouds
  azpeer                           # the dashboard, on your Aiven account and Azure tenant
  azpeer list --sandbox            # projects, VPCs and peerings as a table`,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDashboard(cmd, g, project) },
	}
	f := root.PersistentFlags()
	f.BoolVar(&g.Sandbox, "sandbox", false, "run against an in-process sandbox of both clouds instead of the real ones")
	f.Float64Var(&g.SandboxSpeed, "sandbox-speed", defaultSandboxSpeed, "how much faster than real time the --sandbox clouds run (0: every simulated wait is instant)")
	f.StringVar(&g.SandboxScenario, "sandbox-scenario", "default", "the --sandbox world: "+strings.Join(sandbox.ScenarioNames, ", ")+", or a scenario JSON file")
	f.StringArrayVar(&g.SandboxVariants, "sandbox-variant", nil, "NAME=VALUE: a --sandbox behaviour no public source settles (azpeer sandbox serve --help lists them)")
	f.StringVar(&g.AzureCloud, "azure-cloud", "public", "Azure cloud: "+strings.Join(azure.CloudNames, ", "))
	f.StringVar(&g.StateDir, "state-dir", "", "directory for run records (default $XDG_STATE_HOME/azpeer)")
	f.StringVar(&g.Subscription, "subscription", "", "Azure subscription id (default AZURE_SUBSCRIPTION_ID, then the configuration's, then the Azure CLI's default, or the only one visible)")
	f.StringVar(&g.Tenant, "tenant", "", "Entra tenant id to sign in to with the Azure CLI or a device code (default: the CLI's current tenant, or any tenant of the account)")
	f.BoolVar(&g.ReadOnly, "read-only", false, "change nothing in either cloud: browse, diagnose and wait only (also AZPEER_READ_ONLY=1, or read_only in the configuration)")
	root.Flags().StringVar(&project, "project", "", "open the dashboard on this project")
	// The configuration file is read once, before any command runs; flags
	// beat the environment, which beats the file.
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return g.loadConfig(cmd) }

	root.AddCommand(
		newListCommand(g),
		newVNetsCommand(g),
		newCreateCommand(g),
		newStatusCommand(g),
		newDeleteCommand(g),
		newDoctorCommand(g),
		newWaitCommand(g),
		newLoginCommand(g),
		newSyncCommand(g),
		newConfigCommand(g),
		newSandboxCommand(),
	)
	return root
}
