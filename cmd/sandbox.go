package cmd

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/state"
)

// envFileName is the env file's name in the state (or temporary) directory
// when --env-file is not given.
const envFileName = "sandbox.env"

func newSandboxCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "sandbox",
		Short: "A local emulator of Entra ID, Microsoft Graph, Resource Manager and the Aiven API",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newSandboxServeCommand())
	return c
}

// serveFlags are the flags of `azpeer sandbox serve`.
type serveFlags struct {
	listen   string
	envFile  string
	speed    float64
	scenario string
	stateDir string
	seed     uint64
	latency  time.Duration
	rate429  float64
	rate5xx  float64
	variants []string
}

func newSandboxServeCommand() *cobra.Command {
	var f serveFlags
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the sandbox clouds over HTTPS on a loopback port until interrupted",
		Long: `Serve Entra ID, Microsoft Graph, Azure Resource Manager and the Aiven API, emulated, on one
loopback port over HTTPS, with a private certificate authority. The same port is an HTTPS proxy
(CONNECT) that answers as login.microsoftonline.com, graph.microsoft.com, management.azure.com
and api.aiven.io, for tools that only talk to the real host names (az, avn).

The endpoints, the credentials of the scenario's administrator and the CA file are written to an
env file (mode 0600) to source in a shell; secrets are never printed.`,
		Example: `  azpeer sandbox serve --env-file sandbox.env
  . ./sandbox.env && azpeer list
  azpeer sandbox serve --speed 20 --state-dir ~/.cache/azpeer-sandbox --rate-429 0.05`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSandboxServe(cmd, f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8443", "loopback address to serve on (port 0 picks a free one)")
	fl.StringVar(&f.envFile, "env-file", "", "write the environment for clients here (default "+envFileName+" in the state directory)")
	fl.Float64Var(&f.speed, "speed", 1, "how much faster than real time the clouds' delays pass (0 = instant)")
	fl.StringVar(&f.scenario, "scenario", "default", "world to start with: "+strings.Join(sandbox.ScenarioNames, ", ")+", or a scenario JSON file")
	fl.StringVar(&f.stateDir, "state-dir", "", "keep the world and the CA here across restarts (default: a temporary directory removed on exit)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed for the injected faults, to replay a run")
	fl.DurationVar(&f.latency, "latency", 0, "extra latency on every request, e.g. 200ms")
	fl.Float64Var(&f.rate429, "rate-429", 0, "fraction of requests answered 429 Too Many Requests (0 to 1)")
	fl.Float64Var(&f.rate5xx, "rate-5xx", 0, "fraction of requests answered 503 Service Unavailable (0 to 1)")
	fl.StringArrayVar(&f.variants, "variant", nil, "NAME=VALUE: where no public source settles a behaviour, emulate this answer (repeatable; listed below)")
	c.Long += "\n\n" + variantsHelp()
	return c
}

// variantsHelp lists every variant with its values and their evidence.
func variantsHelp() string {
	var b strings.Builder
	b.WriteString("Variants (--variant NAME=VALUE; the first value is the default):")
	for _, v := range sandbox.AllVariants() {
		fmt.Fprintf(&b, "\n  %s: %s", v.Name, v.About)
		for _, x := range v.Values {
			fmt.Fprintf(&b, "\n    %-28s %s", x.Name, x.Evidence)
		}
	}
	return b.String()
}

// variantSet reads the --variant flags.
func (f serveFlags) variantSet() (map[string]string, error) {
	set := map[string]string{}
	for _, s := range f.variants {
		name, value, err := sandbox.ParseVariant(s)
		if err != nil {
			return nil, fmt.Errorf("--variant %w", err)
		}
		set[name] = value
	}
	return set, nil
}

// validate checks the flags the sandbox itself does not.
func (f serveFlags) validate() error {
	switch {
	case math.IsNaN(f.speed) || math.IsInf(f.speed, 0) || f.speed < 0:
		return fmt.Errorf("--speed %v: want a number >= 0 (0 makes every delay instant)", f.speed)
	case f.latency < 0:
		return fmt.Errorf("--latency %v: must not be negative", f.latency)
	case math.IsNaN(f.rate429) || f.rate429 < 0 || f.rate429 > 1:
		return fmt.Errorf("--rate-429 %v: want a fraction between 0 and 1", f.rate429)
	case math.IsNaN(f.rate5xx) || f.rate5xx < 0 || f.rate5xx > 1:
		return fmt.Errorf("--rate-5xx %v: want a fraction between 0 and 1", f.rate5xx)
	case f.rate429+f.rate5xx > 1:
		return fmt.Errorf("--rate-429 %v and --rate-5xx %v add up to more than 1", f.rate429, f.rate5xx)
	}
	return nil
}

// faults is the fault configuration the flags ask for, on every API.
func (f serveFlags) faults() map[sandbox.API]sandbox.FaultConfig {
	fc := sandbox.FaultConfig{Latency: f.latency, Rate429: f.rate429, Rate5xx: f.rate5xx}
	if fc == (sandbox.FaultConfig{}) {
		return nil
	}
	m := make(map[sandbox.API]sandbox.FaultConfig, len(sandbox.APIs))
	for _, api := range sandbox.APIs {
		m[api] = fc
	}
	return m
}

func runSandboxServe(cmd *cobra.Command, f serveFlags) (err error) {
	if err := f.validate(); err != nil {
		return err
	}
	variants, err := f.variantSet()
	if err != nil {
		return err
	}
	// The CA file (and, by default, the env file) needs a directory: the
	// state dir, or a private temporary one that goes away with the
	// sandbox, since its world does too.
	dir := f.stateDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "azpeer-sandbox-")
		if err != nil {
			return fmt.Errorf("temporary directory for the sandbox CA: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	s, err := sandbox.New(sandbox.Options{
		Listen:   f.listen,
		Speed:    f.speed,
		Scenario: f.scenario,
		StateDir: f.stateDir,
		Seed:     f.seed,
		Faults:   f.faults(),
		Variants: variants,
	})
	if err != nil {
		return err
	}
	// With a state dir the sandbox keeps ca.pem there itself; without, it
	// goes to the temporary directory.
	caFile := filepath.Join(dir, "ca.pem")
	if f.stateDir == "" {
		if err := state.WriteFileAtomic(caFile, s.CA().CertPEM()); err != nil {
			return fmt.Errorf("write the sandbox CA: %w", err)
		}
	}
	if err := s.Start(); err != nil {
		return err
	}
	defer func() {
		if cerr := s.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("stop the sandbox: %w", cerr))
		}
	}()

	envFile := f.envFile
	if envFile == "" {
		envFile = filepath.Join(dir, envFileName)
	}
	if abs, err := filepath.Abs(envFile); err == nil {
		envFile = abs
	}
	if abs, err := filepath.Abs(caFile); err == nil {
		caFile = abs
	}
	if err := state.WriteFileAtomic(envFile, envFileContent(s, f.scenario, caFile, envFile)); err != nil {
		return fmt.Errorf("--env-file %s: %w", envFile, err)
	}

	ctx, stop := signal.NotifyContext(ctxOr(cmd.Context()), os.Interrupt, syscall.SIGTERM)
	defer stop()
	printEndpoints(cmd.OutOrStdout(), s, f, caFile, envFile)
	<-ctx.Done()
	stop()
	if f.stateDir != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "Stopping; the world is saved in %s.\n", f.stateDir)
	} else {
		fmt.Fprintln(cmd.OutOrStdout(), "Stopping; the world is discarded (use --state-dir to keep it).")
	}
	return nil
}

// printEndpoints tells the user where everything is. Secrets stay in the
// env file.
func printEndpoints(w io.Writer, s *sandbox.Server, f serveFlags, caFile, envFile string) {
	u := s.URL()
	fmt.Fprintf(w, "azpeer sandbox on %s (scenario %s, speed %g)\n", s.Addr(), f.scenario, f.speed)
	rows := [][2]string{
		{"Entra ID", u + "/  (authority host; tenant " + s.Credentials().TenantID + ")"},
		{"Microsoft Graph", u + "/v1.0"},
		{"Resource Manager", u},
		{"Aiven API", u + "/v1"},
		{"HTTPS proxy", "http://" + s.Addr() + "  (CONNECT to login.microsoftonline.com, graph.microsoft.com, management.azure.com, api.aiven.io)"},
		{"DNS (UDP)", s.DNSAddr(false) + "  (the services' host names, as public DNS answers them; " + s.DNSAddr(true) + " drops private answers, as a resolver with DNS rebinding protection does)"},
		{"CA certificate", caFile},
		{"Environment", envFile + "  (endpoints, client secret and Aiven token; mode 0600)"},
	}
	if f.stateDir != "" {
		rows = append(rows, [2]string{"State", f.stateDir})
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-17s %s\n", r[0], r[1])
	}
	fmt.Fprintf(w, "\nLoad it in a shell:  . %s\nThen, e.g.:          azpeer list\n", shellQuote(envFile))
	fmt.Fprintf(w, "For az and avn through the proxy, see the comments in the env file.\nStop with Ctrl-C.\n")
}

// envFileContent is a shell script of exports for azpeer, the Azure SDKs
// and Python tools, with proxy mode explained in comments.
func envFileContent(s *sandbox.Server, scenario, caFile, envFile string) []byte {
	c := s.Credentials()
	u := s.URL()
	vars := [][2]string{
		{envAivenURL, u},
		{"AIVEN_TOKEN", c.AivenToken},
		{azure.EnvTenantID, c.TenantID},
		{azure.EnvClientID, c.ClientID},
		{azure.EnvClientSecret, c.ClientSecret},
		{envSubscription, c.SubscriptionID},
		{azure.EnvAuthorityHost, u + "/"},
		{azure.EnvARMEndpoint, u},
		{azure.EnvGraphEndpoint, u},
		{azure.EnvCAFile, caFile},
		// Python's requests (az, avn) trusts only this bundle when set.
		{"REQUESTS_CA_BUNDLE", caFile},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# azpeer sandbox at %s (scenario %s), written %s.\n", u, scenario, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "# Load with:  . %s\n", shellQuote(envFile))
	b.WriteString("# The secret and token below are the sandbox's own and work nowhere else.\n")
	for _, v := range vars {
		fmt.Fprintf(&b, "export %s=%s\n", v[0], shellQuote(v[1]))
	}
	fmt.Fprintf(&b, `
# Proxy mode, for tools that only talk to the real host names (the Azure CLI
# checks login.microsoftonline.com whatever cloud it is given): the sandbox
# answers as login.microsoftonline.com, graph.microsoft.com,
# management.azure.com and api.aiven.io through HTTPS_PROXY, and
# REQUESTS_CA_BUNDLE (set above) makes them trust its CA. It refuses every
# other host and never connects out, so use a separate shell for it.
# export HTTPS_PROXY=%[1]s
# export NO_PROXY=127.0.0.1,localhost
#   az login --service-principal -u "$AZURE_CLIENT_ID" --password="$AZURE_CLIENT_SECRET" --tenant "$AZURE_TENANT_ID"
#   az network vnet list --subscription "$AZURE_SUBSCRIPTION_ID" -o table
# Or sign in as a person (admin@contoso.onmicrosoft.com and others, see
# README): az login --use-device-code, then open %[3]s/devicelogin,
# enter the code and pick the user (no password).
# avn works with or without the proxy (AIVEN_WEB_URL above points it at the
# sandbox; unset it to go through the proxy as api.aiven.io):
#   avn --auth-token "$AIVEN_TOKEN" project list
#   avn --auth-token "$AIVEN_TOKEN" vpc list --project tsdb-prod
#
# The services' host names resolve through the sandbox's DNS server at
# %[2]s (UDP); a private answer points inside the peered VNet, so from
# this machine the check says what a laptop outside the VNet would hear:
#   azpeer doctor --connectivity --project tsdb-staging --vpc 2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b --vnet rg-app/app-vnet --dns-server %[2]s
`, shellQuote("http://"+s.Addr()), s.DNSAddr(false), s.URL())
	return []byte(b.String())
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
