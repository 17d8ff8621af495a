package azure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azpeer/azpeer/peering"
)

// The environment variables of azidentity's EnvironmentCredential, which
// azpeer reads the same way (client secret only).
const (
	EnvTenantID     = "AZURE_TENANT_ID"
	EnvClientID     = "AZURE_CLIENT_ID"
	EnvClientSecret = "AZURE_CLIENT_SECRET"
)

// SourceKind names how azpeer signed in.
type SourceKind string

const (
	SourceEnvironment SourceKind = "environment"
	SourceAzureCLI    SourceKind = "azure-cli"
	SourceDeviceCode  SourceKind = "device-code"
)

// Source says which credential Credential chose, for the user to see.
type Source struct {
	Kind SourceKind
	// TenantID and ClientID are known for the environment credential (and
	// the tenant when one was asked for).
	TenantID string
	ClientID string
	// CLIError says why the Azure CLI, though installed, was not used
	// (its answer to the token request), for a device-code sign-in: the
	// person expected their `az login` to be used and deserves the reason.
	CLIError string
}

func (s Source) String() string {
	switch s.Kind {
	case SourceEnvironment:
		return fmt.Sprintf("environment (client secret for app %s in tenant %s)", s.ClientID, s.TenantID)
	case SourceAzureCLI:
		return "Azure CLI"
	case SourceDeviceCode:
		if s.CLIError != "" {
			return "device code; the Azure CLI gave no token: " + s.CLIError
		}
		return "device code"
	}
	return string(s.Kind)
}

// CredentialOptions tune Credential.
type CredentialOptions struct {
	// TenantID is the tenant to sign in to with the Azure CLI or a device
	// code; empty means the CLI's current tenant, or "organizations".
	TenantID string
	// UserPrompt shows the device code sign-in message to the user. Without
	// it there is no device-code fallback.
	UserPrompt func(context.Context, azidentity.DeviceCodeMessage) error
	// NoCLI skips the Azure CLI even when it is signed in.
	NoCLI bool
	// Prefetch are scopes the caller will need besides Resource Manager's
	// (Microsoft Graph's, say): with the Azure CLI, their tokens are fetched
	// alongside the first Resource Manager token rather than one after the
	// other when first used.
	Prefetch []string
	// Getenv and LookPath default to os.Getenv and exec.LookPath.
	Getenv   func(string) string
	LookPath func(string) (string, error)
}

// Credential picks how azpeer signs in to Azure, in this order:
//   - AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, when all are
//     set (a partial set is an error naming what is missing);
//   - the Azure CLI, when `az` is on PATH and signed in (probed with the
//     first Resource Manager token, which is kept and used) and the
//     authority is Microsoft's own (the CLI signs in to its own cloud,
//     never to an overridden authority);
//   - a device code, shown through opts.UserPrompt.
func Credential(ctx context.Context, ep Endpoints, opts CredentialOptions) (azcore.TokenCredential, Source, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	lookPath := opts.LookPath
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	co, err := ep.ClientOptions()
	if err != nil {
		return nil, Source{}, err
	}

	env := map[string]string{}
	var missing []string
	for _, k := range []string{EnvTenantID, EnvClientID, EnvClientSecret} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			env[k] = v
		} else {
			missing = append(missing, k)
		}
	}
	switch {
	case len(missing) == 0:
		tenant, client := env[EnvTenantID], env[EnvClientID]
		cred, err := azidentity.NewClientSecretCredential(tenant, client, env[EnvClientSecret], &azidentity.ClientSecretCredentialOptions{
			ClientOptions:            co,
			DisableInstanceDiscovery: !ep.MicrosoftAuthority(),
		})
		if err != nil {
			return nil, Source{}, fmt.Errorf("azure: %s/%s: %s", EnvTenantID, EnvClientID, redact(err.Error(), env[EnvClientSecret]))
		}
		return &envCredential{cred: cred, tenant: tenant, client: client}, Source{Kind: SourceEnvironment, TenantID: tenant, ClientID: client}, nil
	case len(missing) < 3:
		return nil, Source{}, fmt.Errorf("azure: %s set but %s missing: set all three of %s, %s and %s to sign in as an app, or none",
			strings.Join(sortedKeys(env), " and "), strings.Join(missing, " and "), EnvTenantID, EnvClientID, EnvClientSecret)
	}

	var cliErr error
	if !opts.NoCLI && ep.MicrosoftAuthority() {
		if _, err := lookPath("az"); err == nil {
			cred, src, err := cliSignIn(ctx, ep, opts)
			if err == nil {
				return cred, src, nil
			}
			cliErr = err
		}
	}
	if ctx.Err() != nil {
		return nil, Source{}, ctx.Err()
	}

	if opts.UserPrompt == nil {
		if cliErr != nil {
			return nil, Source{}, fmt.Errorf("azure: no credential: %s are not set and the Azure CLI is not usable (run `az login`): %w",
				strings.Join([]string{EnvTenantID, EnvClientID, EnvClientSecret}, ", "), cliErr)
		}
		return nil, Source{}, fmt.Errorf("azure: no credential: set %s, %s and %s, or sign in with `az login`",
			EnvTenantID, EnvClientID, EnvClientSecret)
	}
	cred, err := newDeviceCodeSignIn(co, ep, opts)
	if err != nil {
		return nil, Source{}, fmt.Errorf("azure: device code sign-in: %w", err)
	}
	src := Source{Kind: SourceDeviceCode, TenantID: opts.TenantID}
	if cliErr != nil {
		src.CLIError = firstLine(cliErr.Error())
	}
	return cred, src, nil
}

// envCredential is the admin's app credential from the environment. Its
// sign-in failures name the variable that is wrong: Entra's own text
// ("Invalid client secret provided") does not say where the secret came
// from.
type envCredential struct {
	cred           azcore.TokenCredential
	tenant, client string
}

func (c *envCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	t, err := c.cred.GetToken(ctx, opts)
	if err == nil {
		return t, nil
	}
	ce, ok := cloudError(ServiceEntra, err).(*peering.CloudError)
	if !ok {
		return t, err
	}
	var hint string
	switch ce.Code {
	case "AADSTS7000215", "AADSTS7000222":
		hint = fmt.Sprintf("%s is not a valid (or is an expired) client secret of the app %s=%s", EnvClientSecret, EnvClientID, c.client)
	case "AADSTS700016":
		hint = fmt.Sprintf("%s=%s names no application in the tenant %s=%s", EnvClientID, c.client, EnvTenantID, c.tenant)
	case "AADSTS90002", "AADSTS900023":
		hint = fmt.Sprintf("%s=%s names no tenant Entra knows", EnvTenantID, c.tenant)
	default:
		return t, ce
	}
	out := *ce
	out.Message = hint + " (" + ce.Message + ")"
	return t, &out
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for _, k := range []string{EnvTenantID, EnvClientID, EnvClientSecret} {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// NewAppSignIn returns the peering.AppSignIn that signs in as an app with
// its client secret in its home tenant and, for cross-tenant peering, in an
// auxiliary tenant too (AdditionallyAllowedTenants), and returns networking
// whose requests carry the auxiliary tenant's token
// (x-ms-authorization-auxiliary). It gets both tokens before returning, so
// a refused secret (AADSTS7000215) or an app without a service principal in
// a tenant (AADSTS700016) shows up here as a *peering.CloudError from
// "entra", for the runbook to retry.
func NewAppSignIn(ep Endpoints) peering.AppSignIn {
	return func(ctx context.Context, homeTenantID, appID string, secret peering.Secret, auxTenantID string) (peering.Network, error) {
		switch {
		case homeTenantID == "":
			return nil, errors.New("azure: app sign-in: no home tenant id")
		case appID == "":
			return nil, errors.New("azure: app sign-in: no app id")
		case secret.Empty():
			return nil, fmt.Errorf("azure: app sign-in as %s: no client secret", appID)
		}
		co, err := ep.ClientOptions()
		if err != nil {
			return nil, err
		}
		var aux []string
		if auxTenantID != "" && !strings.EqualFold(auxTenantID, homeTenantID) {
			aux = []string{auxTenantID}
		}
		cred, err := azidentity.NewClientSecretCredential(homeTenantID, appID, secret.Reveal(), &azidentity.ClientSecretCredentialOptions{
			ClientOptions:              co,
			AdditionallyAllowedTenants: aux,
			DisableInstanceDiscovery:   !ep.MicrosoftAuthority(),
		})
		if err != nil {
			return nil, fmt.Errorf("azure: app sign-in as %s: %s", appID, redact(err.Error(), secret.Reveal()))
		}
		// Both tenants' tokens at once (each is a round trip to Entra); the
		// home tenant's error is reported first.
		tenants := append([]string{homeTenantID}, aux...)
		errs := make([]error, len(tenants))
		var wg sync.WaitGroup
		for i, tenant := range tenants {
			wg.Go(func() {
				_, errs[i] = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ep.ARMScope()}, TenantID: tenant})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("sign in as app %s in tenant %s: %w", appID, tenants[i], cloudError(ServiceEntra, err))
			}
		}
		return newNetwork(cred, arm.ClientOptions{ClientOptions: co, AuxiliaryTenants: aux}, nil)
	}
}

// cliRetryWait is the pause before the CLI probe's second try.
const cliRetryWait = 500 * time.Millisecond

// cliSignedOut reports whether the Azure CLI's answer says nobody is
// signed in ("Please run 'az login' to setup account."), which no retry
// mends.
func cliSignedOut(err error) bool {
	return strings.Contains(err.Error(), "az login")
}

// cliSignIn probes the Azure CLI with the first Resource Manager token
// (the very scope Resource Manager clients ask for, so the probe's token
// is the one they use), fetching the tokens of opts.Prefetch alongside.
// The token's claims name the tenant when opts.TenantID did not.
func cliSignIn(ctx context.Context, ep Endpoints, opts CredentialOptions) (azcore.TokenCredential, Source, error) {
	cached := newCachingCredential(cliCredential{tenantID: opts.TenantID}, tokenFetchTimeout)
	for _, s := range opts.Prefetch {
		cached.prefetch(ctx, policy.TokenRequestOptions{Scopes: []string{s}})
	}
	armToken := policy.TokenRequestOptions{Scopes: []string{ep.ARMScope()}}
	tok, err := cached.GetToken(ctx, armToken)
	if err != nil && !cliSignedOut(err) && ctx.Err() == nil {
		// Once more: a signed-in CLI may fail a request now and then (its
		// token cache is a file that concurrent az processes take turns
		// at), and falling back to a device code is a surprise to a
		// person who ran az login.
		select {
		case <-ctx.Done():
		case <-time.After(cliRetryWait):
			tok, err = cached.GetToken(ctx, armToken)
		}
	}
	if err != nil {
		cached.abandon()
		return nil, Source{}, err
	}
	src := Source{Kind: SourceAzureCLI, TenantID: opts.TenantID}
	if p, err := principalFromToken(tok.Token); err == nil {
		// The token's tenant is the id, where --tenant may have been a
		// domain name, or absent (the CLI's current tenant).
		src.TenantID = p.TenantID
		if p.Kind == peering.PrincipalApp {
			src.ClientID = p.AppID
		}
	}
	return cached, src, nil
}
