package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// Messages carrying results of IO. Each names the request it answers
// (a generation or sequence number), so a reply that a newer request has
// overtaken is dropped instead of overwriting fresher data.

// inventoryMsg answers a poll: all projects, or those in scope.
type inventoryMsg struct {
	gen   int
	scope []string
	inv   peering.Inventory
	err   error
	at    time.Time
}

// azureMsg answers a read of the user's VNet (the Azure side of a peering).
type azureMsg struct {
	seq    int
	vnetID string
	vnet   peering.VNet
	err    error
	at     time.Time
}

// recordMsg answers a run-record lookup for the detail screen.
type recordMsg struct {
	seq int
	key string
	rec *peering.Record
	err error
}

// subscriptionsMsg and vnetsMsg feed the wizard.
type subscriptionsMsg struct {
	seq  int
	subs []peering.Subscription
	err  error
}

type vnetsMsg struct {
	seq   int
	sub   string
	vnets []peering.VNet
	err   error
}

// loginMsg answers the Aiven token prompt.
type loginMsg struct {
	api peering.Aiven
	err error
}

// whoamiMsg says who is signed in to Azure.
type whoamiMsg struct {
	who peering.Principal
	err error
}

func fetchWhoAmI(ctx context.Context, w peering.WhoAmI) tea.Cmd {
	return func() tea.Msg {
		who, err := w.SignedIn(ctx)
		return whoamiMsg{who: who, err: err}
	}
}

// deviceCodeMsg shows Azure's device-code prompt.
type deviceCodeMsg DeviceCodeMessage

// fetchInventory reads Aiven's side: everything, or one project.
func fetchInventory(ctx context.Context, api peering.AivenReader, clock func() time.Time, gen int, scope []string) tea.Cmd {
	return func() tea.Msg {
		inv, err := peering.FetchInventory(ctx, api, peering.InventoryOptions{Projects: scope})
		return inventoryMsg{gen: gen, scope: scope, inv: inv, err: err, at: clock()}
	}
}

func fetchAzure(ctx context.Context, net peering.Network, clock func() time.Time, seq int, vnetID string) tea.Cmd {
	return func() tea.Msg {
		v, err := net.VNet(ctx, vnetID)
		return azureMsg{seq: seq, vnetID: vnetID, vnet: v, err: err, at: clock()}
	}
}

func fetchRecord(store peering.RecordStore, seq int, key string, t peering.Target) tea.Cmd {
	return func() tea.Msg {
		rec, err := store.Load(t)
		return recordMsg{seq: seq, key: key, rec: rec, err: err}
	}
}

func fetchSubscriptions(ctx context.Context, net peering.Network, seq int) tea.Cmd {
	return func() tea.Msg {
		subs, err := net.Subscriptions(ctx)
		return subscriptionsMsg{seq: seq, subs: subs, err: err}
	}
}

func fetchVNets(ctx context.Context, net peering.Network, seq int, sub string) tea.Cmd {
	return func() tea.Msg {
		vnets, err := net.VNets(ctx, sub)
		return vnetsMsg{seq: seq, sub: sub, vnets: vnets, err: err}
	}
}

func login(ctx context.Context, fn func(context.Context, string) (peering.Aiven, error), token string) tea.Cmd {
	return func() tea.Msg {
		api, err := fn(ctx, token)
		return loginMsg{api: api, err: err}
	}
}

func waitDeviceCode(ctx context.Context, ch <-chan DeviceCodeMessage) tea.Cmd {
	return waitEvent(ctx, ch, func(dc DeviceCodeMessage) tea.Msg { return deviceCodeMsg(dc) })
}
