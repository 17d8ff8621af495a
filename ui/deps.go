// Package ui is azpeer's terminal dashboard: a Bubble Tea program to browse
// Aiven projects, VPCs and peering connections live, create a peering with
// a wizard and watch its checklist of the runbook's steps run to ACTIVE.
//
// The UI reaches the clouds only through package peering's interfaces, so
// the same code runs against the real clouds and the sandbox. All IO runs in
// tea.Cmds; Update only applies their results.
package ui

import (
	"context"
	"io"
	"time"

	"github.com/azpeer/azpeer/peering"
)

// Deps is everything the dashboard talks to. The command layer builds it
// from flags and the environment.
type Deps struct {
	// Aiven is the Aiven API. When nil, AivenLogin is offered through a
	// masked token prompt.
	Aiven peering.Aiven
	// AivenLogin builds the Aiven API from a token the user types; it is
	// called in a command, never in Update. Nil disables the prompt.
	AivenLogin func(ctx context.Context, token string) (peering.Aiven, error)

	// Network is Resource Manager networking as the signed-in admin; nil
	// when Azure is not signed in (AzureErr says why). Browsing works
	// without it; the Azure side of a peering and the wizard do not.
	Network peering.Network
	// AzureErr explains a missing Network, for the status bar.
	AzureErr error

	// Runbook opens and drives runs (the checklist). Nil disables creating
	// peerings; browsing still works.
	Runbook *peering.Runbook

	// Identity is shown in the status bar.
	Identity Identity
	// DefaultSubscription is preselected in the wizard.
	DefaultSubscription string

	// Probe is where the connectivity check (C) runs for a target: this
	// machine, or a host of the sandbox's network. Nil disables the check.
	Probe func(t peering.Target) (peering.ConnectivityProbe, error)

	// DeviceCode delivers Azure's device-code sign-in prompts; the
	// dashboard shows the code and URL in a panel. Nil when not used.
	DeviceCode <-chan DeviceCodeMessage
	// WhoAmI tells who is signed in to Azure, for the header; asking it
	// is what signs in (a device code is asked for then). Nil: the header
	// says what Identity knows.
	WhoAmI peering.WhoAmI
}

// Identity says who azpeer acts as.
type Identity struct {
	// AivenUser is the Aiven account's email (refined by GET /v1/me).
	AivenUser string
	// AivenSource says where the token came from (e.g. "AIVEN_TOKEN").
	AivenSource string
	// AzureTenantID and AzureSubscriptionID are the admin's tenant and
	// default subscription, when known.
	AzureTenantID       string
	AzureSubscriptionID string
	// AzureSource says how azpeer signed in to Azure (e.g. "Azure CLI").
	AzureSource string
	// Sandbox is true when both clouds are the embedded sandbox.
	Sandbox bool
}

// DeviceCodeMessage is Azure's device-code prompt (what azidentity's
// DeviceCodeCredential hands its UserPrompt).
type DeviceCodeMessage struct {
	UserCode        string
	VerificationURL string
	Message         string
	ExpiresOn       time.Time
}

// Options tune the dashboard.
type Options struct {
	// Project opens this project directly (the projects screen stays
	// underneath, reachable with esc).
	Project string
	// FastPoll is the refresh interval while something visible is in a
	// transitional state (default 2 s); SlowPoll otherwise (default 30 s).
	FastPoll, SlowPoll time.Duration
	// NoAutoRefresh starts with auto-refresh paused (p resumes it).
	NoAutoRefresh bool

	// Input, Output and Environ replace the terminal and os.Environ (tests,
	// embedding). Width and Height set the initial size when Output is not
	// a terminal.
	Input         io.Reader
	Output        io.Writer
	Environ       []string
	Width, Height int
	// NoAltScreen draws in the normal screen (for terminals or recorders
	// without an alternate screen).
	NoAltScreen bool

	// ReadOnly refuses every action that would change a cloud (a new
	// peering, running a step, a fix), saying so where it was asked for;
	// the status bar says READ-ONLY.
	ReadOnly bool
	// Bell rings the terminal bell when a peering shown changes state.
	Bell bool
	// Theme is "dark", "light", "none" (no colour) or "" / "auto" (the
	// terminal's background decides).
	Theme string
	// Keys are the key bindings (nil: DefaultKeys; see ParseKeys).
	Keys *Keys

	// Clock is the dashboard's time (default time.Now): relative times
	// ("refreshed 3s ago", elapsed) are measured with it and replies are
	// stamped with it. Commands call it too, so it must be safe for
	// concurrent use.
	Clock func() time.Time
}

func (o Options) keys() Keys {
	if o.Keys != nil {
		return *o.Keys
	}
	return DefaultKeys()
}

// readOnlyRefusal is the one sentence the dashboard says where an action
// would have changed a cloud in read-only mode.
func readOnlyRefusal(action string) string {
	return "read-only mode: " + action + " would change the clouds; start azpeer without --read-only (or AZPEER_READ_ONLY, or read_only in the configuration) to do it"
}

func (o Options) clock() func() time.Time {
	if o.Clock != nil {
		return o.Clock
	}
	return time.Now
}

func (o Options) fastPoll() time.Duration {
	if o.FastPoll > 0 {
		return o.FastPoll
	}
	return 2 * time.Second
}

func (o Options) slowPoll() time.Duration {
	if o.SlowPoll > 0 {
		return o.SlowPoll
	}
	return 30 * time.Second
}
