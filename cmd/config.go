package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/config"
	"github.com/azpeer/azpeer/ui"
)

// EnvReadOnly turns on read-only mode from the environment.
const EnvReadOnly = "AZPEER_READ_ONLY"

// loadConfig reads the configuration file and applies what flags and the
// environment did not set.
func (g *Globals) loadConfig(cmd *cobra.Command) error {
	path, err := config.Path(os.Getenv)
	if err != nil {
		return err
	}
	c, err := config.Load(path)
	if err != nil {
		return err
	}
	if c.Keys != nil {
		if _, err := ui.ParseKeys(c.Keys); err != nil {
			return fmt.Errorf("configuration %s: %w", path, err)
		}
	}
	g.Config, g.ConfigPath = c, path
	if !cmd.Flags().Changed("read-only") {
		if v := os.Getenv(EnvReadOnly); v != "" {
			on, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s=%q: use 1 or 0 (true or false)", EnvReadOnly, v)
			}
			g.ReadOnly = on
		} else {
			g.ReadOnly = c.ReadOnly
		}
	}
	return nil
}

// refuseReadOnly is the one sentence a mutating command says in read-only
// mode, before it connects anywhere.
func (g *Globals) refuseReadOnly(what string) error {
	if !g.ReadOnly {
		return nil
	}
	return fmt.Errorf("read-only mode: %s would change the clouds, so azpeer does not; run it without --read-only (and without %s or read_only in %s)",
		what, EnvReadOnly, g.ConfigPath)
}

func newConfigCommand(g *Globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Where azpeer's configuration file is, what it says, and its keys",
		Long: `azpeer reads defaults from a YAML file: $AZPEER_CONFIG, else azpeer/config.yaml
in the OS's configuration directory (~/.config on Linux, ~/Library/Application
Support on macOS, %AppData% on Windows). Flags beat the environment, which beats
the file. For example:

  subscription: 3c5d7e9f-1a2b-4c3d-8e4f-5a6b7c8d9e0f
  app_name: "peering-{project}-{vnet}"
  role: least-privilege
  poll: {fast: 2s, slow: 1m}
  bell: true
  read_only: false
  theme: auto
  keys: {new: [n, N], diagnose: [d]}`,
		Args: cobra.NoArgs,
	}
	c.AddCommand(&cobra.Command{
		Use: "path", Short: "Print the configuration file's path", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := os.Stat(g.ConfigPath)
			note := ""
			if errors.Is(err, os.ErrNotExist) {
				note = "  (does not exist: every key has its default)"
			}
			fmt.Fprintln(cmd.OutOrStdout(), g.ConfigPath+note)
			return nil
		}})
	c.AddCommand(&cobra.Command{
		Use: "show", Short: "Print the configuration as azpeer read it (JSON)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Path     string        `json:"path"`
				File     config.Config `json:"file"`
				ReadOnly bool          `json:"read_only_in_effect"`
			}{g.ConfigPath, g.Config, g.ReadOnly})
		}})
	c.AddCommand(&cobra.Command{
		Use: "keys", Short: "List every key of the file, and the dashboard's actions", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tTYPE\tMEANING")
			for _, k := range config.Keys() {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Key, k.Type, k.Meaning)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nactions under keys: %s\n", strings.Join(ui.KeyActions(), ", "))
			return nil
		}})
	return c
}
