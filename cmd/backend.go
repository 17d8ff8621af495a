package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azpeer/azpeer/aiven"
	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/config"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/state"
)

// Environment variables for the Aiven side, in the order they are tried.
var aivenTokenVars = []string{"AIVEN_TOKEN", "MST_API_TOKEN", "AIVEN_AUTH_TOKEN"}

const (
	envAivenURL          = "AIVEN_WEB_URL"
	envSubscription      = "AZURE_SUBSCRIPTION_ID"
	defaultSandboxSpeed  = 20
	avnCredentialsRelDir = ".config/aiven/aiven-credentials.json"
)

// Globals are the flags every command shares.
type Globals struct {
	Sandbox      bool
	SandboxSpeed float64
	// SandboxScenario and SandboxVariants shape the --sandbox world.
	SandboxScenario string
	SandboxVariants []string
	// ReadOnly: change nothing in either cloud.
	ReadOnly bool
	// Config is the configuration file (ConfigPath) as read.
	Config       config.Config
	ConfigPath   string
	AzureCloud   string
	StateDir     string
	Subscription string
	// Tenant is the Entra tenant to sign in to with the Azure CLI or a
	// device code.
	Tenant string
}

// backend is everything a command talks to, wired from flags and the
// environment: the adapters behind peering's interfaces, and who we are.
type backend struct {
	getenv func(string) string

	Aiven       *aiven.Client
	AivenSource string

	Endpoints   azure.Endpoints
	azureOpts   azcore.ClientOptions
	azureCred   azcore.TokenCredential
	AzureSource azure.Source
	azureErr    error
	// azureDone is closed when a background sign-in ended (nil: none);
	// stopAzure cancels it.
	azureDone <-chan struct{}
	stopAzure context.CancelFunc

	Network   peering.Network
	Directory peering.Directory
	Access    peering.Access
	SignIn    peering.AppSignIn
	// Identity tells who is signed in (read from the first token).
	Identity *azure.Identity

	Sandbox *sandbox.Server
	closers []func()
	// configSubscription is the configuration's default subscription.
	configSubscription string
}

// Close stops the embedded sandbox and removes its temporary files.
func (b *backend) Close() {
	if b.stopAzure != nil {
		// A command that ends (say, Aiven failed) before it needed Azure
		// does not wait for the sign-in: cancelled, the az process ends.
		b.stopAzure()
	}
	b.waitAzure()
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

// connectOptions say what a command needs.
type connectOptions struct {
	// needAzure makes a missing Azure credential an error (else it is
	// reported in the header and Azure columns stay empty).
	needAzure bool
	// deviceCode shows Azure's device-code prompt; nil disables that fallback.
	deviceCode func(context.Context, azidentity.DeviceCodeMessage) error
	// notices, when set, hears why the Azure CLI was passed over for a
	// device code.
	notices io.Writer
	// allowNoAiven leaves Aiven nil when no token is found (the dashboard
	// then asks for one) instead of failing.
	allowNoAiven bool
	// graph: the command will call Microsoft Graph (the directory, the
	// header's tenant name). With the Azure CLI, Graph's token is then
	// fetched alongside the first Resource Manager token.
	graph bool
	// noAzure: the command does not talk to Azure at all (list --json), so
	// it does not sign in (with the Azure CLI, that is a process saved).
	noAzure bool
	// azureInBackground signs in to Azure while the command goes on (without
	// needAzure only): list reads Aiven meanwhile, so a sign-in through the
	// Azure CLI (a process, half a second) overlaps the Aiven calls. The
	// command calls waitAzure before it reads any Azure field.
	azureInBackground bool
}

// connect builds the backend. With --sandbox it first starts an in-process
// sandbox and points the ordinary configuration at it, so the sandbox runs
// the very code path the real clouds do.
func (g *Globals) connect(ctx context.Context, o connectOptions) (*backend, error) {
	b := &backend{getenv: os.Getenv, configSubscription: g.Config.Subscription}
	if g.Sandbox {
		if err := b.startSandbox(g); err != nil {
			return nil, err
		}
	}
	ok := false
	defer func() {
		if !ok {
			b.Close()
		}
	}()

	ep, err := azure.EndpointsFromEnv(g.AzureCloud, b.getenv)
	if err != nil {
		return nil, err
	}
	b.Endpoints = ep
	if b.azureOpts, err = ep.ClientOptions(); err != nil {
		return nil, err
	}
	httpClient := b.httpClient()

	token, source, err := aivenToken(b.getenv)
	switch {
	case err != nil && !o.allowNoAiven:
		return nil, err
	case err == nil:
		if b.Aiven, err = aiven.New(aiven.Config{URL: b.getenv(envAivenURL), Token: token, HTTPClient: httpClient, UserAgent: "azpeer"}); err != nil {
			return nil, err
		}
		b.AivenSource = source
	}

	if o.noAzure {
		ok = true
		return b, nil
	}
	co := azure.CredentialOptions{Getenv: b.getenv, UserPrompt: o.deviceCode, TenantID: g.Tenant}
	if o.graph {
		co.Prefetch = []string{ep.GraphScope()}
	}
	signIn := func(ctx context.Context) (wired bool, err error) {
		cred, src, err := azure.Credential(ctx, ep, co)
		if err != nil {
			return false, err
		}
		b.azureCred, b.AzureSource = cred, src
		if src.CLIError != "" && o.notices != nil {
			fmt.Fprintf(o.notices, "The Azure CLI is installed but gave no token (%s); signing in with a device code instead.\n", src.CLIError)
		}
		return true, b.wireAzure()
	}
	if o.azureInBackground && !o.needAzure {
		done := make(chan struct{})
		bctx, cancel := context.WithCancel(ctx)
		b.azureDone, b.stopAzure = done, cancel
		go func() {
			defer close(done)
			defer cancel()
			if _, err := signIn(bctx); err != nil {
				b.azureErr = err
				b.Network, b.Identity = nil, nil
				return
			}
			// Who signed in, for the header, while the command goes on
			// (Identity keeps the answer; a failure is asked again there).
			_, _ = b.Identity.SignedIn(bctx)
		}()
		ok = true
		return b, nil
	}
	if wired, err := signIn(ctx); err != nil {
		if o.needAzure || wired {
			return nil, err
		}
		b.azureErr = err
	}
	ok = true
	return b, nil
}

// waitAzure waits for a sign-in started in the background
// (azureInBackground); the Azure fields are set once it returns.
func (b *backend) waitAzure() {
	if b.azureDone != nil {
		<-b.azureDone
	}
}

// httpClient is the one HTTP client of every call: system roots plus
// AZPEER_CA_FILE, proxies from the environment, timeouts.
func (b *backend) httpClient() *http.Client {
	hc, _ := b.azureOpts.Transport.(*http.Client)
	return hc
}

func (b *backend) wireAzure() error {
	network, err := azure.NewNetwork(b.azureCred, b.azureOpts, nil)
	if err != nil {
		return err
	}
	b.Network = network
	if b.Access, err = azure.NewAccess(b.azureCred, b.azureOpts); err != nil {
		return err
	}
	dir, err := azure.NewDirectory(b.azureCred, b.azureOpts)
	if err != nil {
		return err
	}
	b.Directory = dir
	// The header names the tenant from Resource Manager's tenant list: no
	// Graph token needed for that.
	b.Identity = azure.NewIdentity(b.azureCred, b.Endpoints, dir, network)
	b.SignIn = azure.NewAppSignIn(b.Endpoints)
	return nil
}

// startSandbox runs an in-process sandbox with the default scenario and
// overlays its endpoints and credentials on the environment.
func (b *backend) startSandbox(g *Globals) error {
	if g.SandboxSpeed < 0 {
		return fmt.Errorf("--sandbox-speed %v: use 0 (every simulated wait is instant) or a positive factor", g.SandboxSpeed)
	}
	variants := map[string]string{}
	for _, v := range g.SandboxVariants {
		name, value, err := sandbox.ParseVariant(v)
		if err != nil {
			return fmt.Errorf("--sandbox-variant %w", err)
		}
		variants[name] = value
	}
	s, err := sandbox.New(sandbox.Options{Speed: g.SandboxSpeed, Scenario: g.SandboxScenario, Variants: variants})
	if err != nil {
		return err
	}
	if err := s.Start(); err != nil {
		return err
	}
	b.Sandbox = s
	b.closers = append(b.closers, func() { _ = s.Close() })
	dir, err := os.MkdirTemp("", "azpeer-sandbox-")
	if err != nil {
		return err
	}
	b.closers = append(b.closers, func() { _ = os.RemoveAll(dir) })
	caFile := filepath.Join(dir, "ca.pem")
	if err := state.WriteFileAtomic(caFile, s.CA().CertPEM()); err != nil {
		return err
	}
	c := s.Credentials()
	env := map[string]string{
		envAivenURL:            s.URL(),
		"AIVEN_TOKEN":          c.AivenToken,
		azure.EnvTenantID:      c.TenantID,
		azure.EnvClientID:      c.ClientID,
		azure.EnvClientSecret:  c.ClientSecret,
		envSubscription:        c.SubscriptionID,
		azure.EnvAuthorityHost: s.URL() + "/",
		azure.EnvARMEndpoint:   s.URL(),
		azure.EnvGraphEndpoint: s.URL(),
		azure.EnvCAFile:        caFile,
		"MST_API_TOKEN":        "",
		"AIVEN_AUTH_TOKEN":     "",
	}
	b.getenv = func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	return nil
}

// aivenToken finds the Aiven token: AIVEN_TOKEN, MST_API_TOKEN,
// AIVEN_AUTH_TOKEN, then avn's saved login.
func aivenToken(getenv func(string) string) (token, source string, err error) {
	for _, k := range aivenTokenVars {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v, k, nil
		}
	}
	home, herr := os.UserHomeDir()
	if herr == nil {
		path := filepath.Join(home, avnCredentialsRelDir)
		data, err := os.ReadFile(path)
		if err == nil {
			var c struct {
				AuthToken string `json:"auth_token"`
			}
			if json.Unmarshal(data, &c) == nil && c.AuthToken != "" {
				return c.AuthToken, "avn login (" + path + ")", nil
			}
			return "", "", fmt.Errorf("%s has no auth_token: sign in again with avn user login, or set AIVEN_TOKEN", path)
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", "", fmt.Errorf("read %s: %w", path, err)
		}
	}
	return "", "", errors.New("no Aiven token: set AIVEN_TOKEN (or MST_API_TOKEN, or AIVEN_AUTH_TOKEN) to an API token, " +
		"or sign in with avn user login; to try azpeer without an account, add --sandbox")
}

// subscription picks the subscription: --subscription, AZURE_SUBSCRIPTION_ID,
// or the only one visible.
func (b *backend) subscription(ctx context.Context, flag string) (string, error) {
	if s, ok, err := b.knownSubscription(flag); err != nil || ok {
		return s, err
	}
	if b.Network == nil {
		return "", b.azureError()
	}
	subs, err := b.Network.Subscriptions(ctx)
	if err != nil {
		return "", err
	}
	switch len(subs) {
	case 0:
		return "", errors.New("no Azure subscription is visible to the signed-in principal")
	case 1:
		return subs[0].ID, nil
	}
	var ids []string
	for _, s := range subs {
		ids = append(ids, s.ID+" ("+s.DisplayName+")")
	}
	return "", fmt.Errorf("several subscriptions are visible; pick one with --subscription, AZURE_SUBSCRIPTION_ID or subscription in the configuration: %s", strings.Join(ids, ", "))
}

// knownSubscription is the subscription chosen without asking Azure:
// --subscription, AZURE_SUBSCRIPTION_ID, the configuration's, then, signed
// in with the Azure CLI, its default (az account set), as az itself would
// use.
func (b *backend) knownSubscription(flag string) (string, bool, error) {
	if flag != "" {
		return flag, true, nil
	}
	if v := b.getenv(envSubscription); v != "" {
		return v, true, nil
	}
	if b.configSubscription != "" {
		return b.configSubscription, true, nil
	}
	if b.AzureSource.Kind == azure.SourceAzureCLI {
		s, ok, err := azure.CLIDefaultSubscription(b.getenv)
		return s.ID, ok, err
	}
	return "", false, nil
}

func (b *backend) azureError() error {
	if b.azureErr != nil {
		return b.azureErr
	}
	return errors.New("not signed in to Azure")
}

// timeout bounds a whole command's network work.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = 2 * time.Minute
	}
	return context.WithTimeout(ctx, d)
}

// whoAmI is the Identity as the domain's interface, or nil without Azure.
func (b *backend) whoAmI() peering.WhoAmI {
	if b.Identity == nil {
		return nil
	}
	return b.Identity
}
