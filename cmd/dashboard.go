package cmd

import (
	"context"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/spf13/cobra"

	"github.com/azpeer/azpeer/aiven"
	"github.com/azpeer/azpeer/netcheck"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/ui"
)

// runDashboard opens the terminal dashboard: `azpeer` on the real clouds,
// `azpeer --sandbox` on an in-process sandbox.
func runDashboard(cmd *cobra.Command, g *Globals, project string) error {
	ctx := cmd.Context()
	// Azure's device-code prompt reaches the dashboard's panel through a
	// channel, so no SDK type crosses into the UI.
	codes := make(chan ui.DeviceCodeMessage, 1)
	prompt := func(_ context.Context, m azidentity.DeviceCodeMessage) error {
		select {
		case codes <- ui.DeviceCodeMessage{UserCode: m.UserCode, VerificationURL: m.VerificationURL, Message: m.Message}:
		default:
		}
		return nil
	}
	b, err := g.connect(ctx, connectOptions{deviceCode: prompt, allowNoAiven: true, graph: true})
	if err != nil {
		return err
	}
	defer b.Close()

	deps := ui.Deps{
		Network:    b.Network,
		WhoAmI:     b.whoAmI(),
		AzureErr:   b.azureErr,
		DeviceCode: codes,
		Identity: ui.Identity{
			AivenSource:   b.AivenSource,
			AzureSource:   b.AzureSource.String(),
			AzureTenantID: b.AzureSource.TenantID,
			Sandbox:       b.Sandbox != nil,
		},
	}
	if b.Aiven != nil {
		deps.Aiven = b.Aiven
	}
	httpClient := b.httpClient()
	aivenURL := b.getenv(envAivenURL)
	deps.AivenLogin = func(_ context.Context, token string) (peering.Aiven, error) {
		return aiven.New(aiven.Config{URL: aivenURL, Token: token, HTTPClient: httpClient, UserAgent: "azpeer"})
	}
	if b.Network != nil {
		if sub, err := b.subscription(ctx, g.Subscription); err == nil {
			deps.DefaultSubscription = sub
			deps.Identity.AzureSubscriptionID = sub
		}
		rb, err := g.runbook(b)
		if err != nil {
			return err
		}
		deps.Runbook = rb
		// The connectivity check runs on this machine; in the sandbox on
		// a laptop of its network (the Internet), as a real one would.
		deps.Probe = func(peering.Target) (peering.ConnectivityProbe, error) {
			if b.Sandbox != nil {
				h, err := b.Sandbox.Host(sandbox.HostSpec{})
				return netcheck.Probe{Host: h}, err
			}
			return netcheck.Probe{Host: netcheck.System{}}, nil
		}
	}
	keys, err := ui.ParseKeys(g.Config.Keys)
	if err != nil {
		return fmt.Errorf("configuration %s: %w", g.ConfigPath, err)
	}
	return ui.Run(ctx, deps, ui.Options{Project: project, Input: os.Stdin, Output: os.Stdout,
		ReadOnly: g.ReadOnly, Bell: g.Config.BellOn(), Theme: g.Config.Theme, Keys: keys,
		FastPoll: g.Config.Poll.Fast.D(), SlowPoll: g.Config.Poll.Slow.D()})
}
