package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"

	"github.com/azpeer/azpeer/peering"
)

// NetworkOptions tune a Network.
type NetworkOptions struct {
	// AuxiliaryTenants are tenants whose tokens (from the same credential)
	// accompany every request as x-ms-authorization-auxiliary, as a
	// cross-tenant peering PUT needs. At most three.
	AuxiliaryTenants []string
	// PollFrequency is the wait between polls of a peering's async
	// operation when the server sends no Retry-After (it usually does, and
	// that is honoured). Default 1s, azcore's minimum outside tests.
	PollFrequency time.Duration
}

// Network is peering.Network over armnetwork and armsubscriptions.
type Network struct {
	cred azcore.TokenCredential
	opts arm.ClientOptions
	poll time.Duration

	subs    *armsubscriptions.Client
	tenants *armsubscriptions.TenantsClient

	mu       sync.Mutex
	vnets    map[string]*armnetwork.VirtualNetworksClient        // by lower-case subscription id
	peerings map[string]*armnetwork.VirtualNetworkPeeringsClient // by lower-case subscription id
}

var _ peering.Network = (*Network)(nil)

const defaultPollFrequency = time.Second

// NewNetwork returns Resource Manager networking as the credential's
// principal. clientOpts usually come from Endpoints.ClientOptions.
func NewNetwork(cred azcore.TokenCredential, clientOpts azcore.ClientOptions, opts *NetworkOptions) (*Network, error) {
	var o NetworkOptions
	if opts != nil {
		o = *opts
	}
	return newNetwork(cred, arm.ClientOptions{ClientOptions: clientOpts, AuxiliaryTenants: o.AuxiliaryTenants}, &o)
}

func newNetwork(cred azcore.TokenCredential, ao arm.ClientOptions, opts *NetworkOptions) (*Network, error) {
	poll := defaultPollFrequency
	if opts != nil && opts.PollFrequency > 0 {
		poll = opts.PollFrequency
	}
	subs, err := armsubscriptions.NewClient(cred, &ao)
	if err != nil {
		return nil, fmt.Errorf("azure: subscriptions client: %w", err)
	}
	tenants, err := armsubscriptions.NewTenantsClient(cred, &ao)
	if err != nil {
		return nil, fmt.Errorf("azure: tenants client: %w", err)
	}
	return &Network{
		cred: cred, opts: ao, poll: poll, subs: subs, tenants: tenants,
		vnets:    map[string]*armnetwork.VirtualNetworksClient{},
		peerings: map[string]*armnetwork.VirtualNetworkPeeringsClient{},
	}, nil
}

// vnetClient and peeringClient return the subscription's clients; armnetwork
// binds a client to one subscription, and each client holds a pipeline
// (and token cache) worth keeping.
func (n *Network) vnetClient(sub string) (*armnetwork.VirtualNetworksClient, error) {
	return subscriptionClient(n, n.vnets, sub, armnetwork.NewVirtualNetworksClient, "virtual networks")
}

// peeringsOf is the peerings client for the VNet with resource id vnetID,
// and the id taken apart.
func (n *Network) peeringsOf(vnetID string) (*armnetwork.VirtualNetworkPeeringsClient, vnetRef, error) {
	ref, err := parseVNetID(vnetID)
	if err != nil {
		return nil, vnetRef{}, err
	}
	c, err := subscriptionClient(n, n.peerings, ref.sub, armnetwork.NewVirtualNetworkPeeringsClient, "virtual network peerings")
	return c, ref, err
}

// subscriptionClient is the subscription's client in cache, made by
// newClient the first time.
func subscriptionClient[C any](n *Network, cache map[string]*C, sub string,
	newClient func(string, azcore.TokenCredential, *arm.ClientOptions) (*C, error), what string) (*C, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	key := strings.ToLower(sub)
	if c, ok := cache[key]; ok {
		return c, nil
	}
	c, err := newClient(sub, n.cred, &n.opts)
	if err != nil {
		return nil, fmt.Errorf("azure: %s client: %w", what, err)
	}
	cache[key] = c
	return c, nil
}

// TenantName is the display name of the tenant id among the tenants the
// principal can see (GET /tenants), or "" when it is not listed.
func (n *Network) TenantName(ctx context.Context, tenantID string) (string, error) {
	var name string
	err := everyItem(ctx, n.tenants.NewListPager(nil),
		func(p armsubscriptions.TenantsClientListResponse) []*armsubscriptions.TenantIDDescription {
			return p.Value
		},
		func(t *armsubscriptions.TenantIDDescription) bool {
			if strings.EqualFold(deref(t.TenantID), tenantID) {
				name = deref(t.DisplayName)
				return false
			}
			return true
		})
	if err != nil {
		return "", fmt.Errorf("list tenants: %w", cloudError(ServiceARM, err))
	}
	return name, nil
}

// Subscriptions lists the subscriptions the principal can see.
func (n *Network) Subscriptions(ctx context.Context) ([]peering.Subscription, error) {
	var out []peering.Subscription
	err := everyItem(ctx, n.subs.NewListPager(nil),
		func(p armsubscriptions.ClientListResponse) []*armsubscriptions.Subscription { return p.Value },
		func(s *armsubscriptions.Subscription) bool {
			ps := peering.Subscription{
				ID:          deref(s.SubscriptionID),
				TenantID:    deref(s.TenantID),
				DisplayName: deref(s.DisplayName),
			}
			if s.State != nil {
				ps.State = string(*s.State)
			}
			out = append(out, ps)
			return true
		})
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", cloudError(ServiceARM, err))
	}
	return out, nil
}

// VNets lists every virtual network of a subscription, following nextLink.
func (n *Network) VNets(ctx context.Context, subscriptionID string) ([]peering.VNet, error) {
	c, err := n.vnetClient(subscriptionID)
	if err != nil {
		return nil, err
	}
	var out []peering.VNet
	err = everyItem(ctx, c.NewListAllPager(nil),
		func(p armnetwork.VirtualNetworksClientListAllResponse) []*armnetwork.VirtualNetwork { return p.Value },
		func(v *armnetwork.VirtualNetwork) bool { out = append(out, vnetFromSDK(v)); return true })
	if err != nil {
		return nil, fmt.Errorf("list virtual networks of subscription %s: %w", subscriptionID, cloudError(ServiceARM, err))
	}
	return out, nil
}

// vnetRef is a virtual network resource id, taken apart.
type vnetRef struct{ sub, rg, name string }

func parseVNetID(id string) (vnetRef, error) {
	r, err := arm.ParseResourceID(id)
	if err != nil {
		return vnetRef{}, fmt.Errorf("azure: %q is not a virtual network resource id: %w", id, err)
	}
	if !strings.EqualFold(r.ResourceType.String(), "Microsoft.Network/virtualNetworks") {
		return vnetRef{}, fmt.Errorf("azure: %q is a %s, not a virtual network (Microsoft.Network/virtualNetworks)", id, r.ResourceType)
	}
	return vnetRef{sub: r.SubscriptionID, rg: r.ResourceGroupName, name: r.Name}, nil
}

// VNet reads one virtual network by resource id. A missing one is a
// *peering.CloudError that also matches peering.ErrNotFound.
func (n *Network) VNet(ctx context.Context, id string) (peering.VNet, error) {
	ref, err := parseVNetID(id)
	if err != nil {
		return peering.VNet{}, err
	}
	c, err := n.vnetClient(ref.sub)
	if err != nil {
		return peering.VNet{}, err
	}
	resp, err := c.Get(ctx, ref.rg, ref.name, nil)
	if err != nil {
		return peering.VNet{}, fmt.Errorf("read virtual network %s: %w", id, cloudError(ServiceARM, err))
	}
	return vnetFromSDK(&resp.VirtualNetwork), nil
}

// Peering reads one peering of a VNet; nil, nil when the VNet has none of
// that name. A missing VNet (or resource group, or subscription) is an
// error, not an absent peering.
func (n *Network) Peering(ctx context.Context, vnetID, name string) (*peering.VNetPeering, error) {
	c, ref, err := n.peeringsOf(vnetID)
	if err != nil {
		return nil, err
	}
	resp, err := c.Get(ctx, ref.rg, ref.name, name, nil)
	if err != nil {
		if peeringAbsent(err, ref) {
			return nil, nil
		}
		return nil, fmt.Errorf("read peering %s of %s: %w", name, vnetID, cloudError(ServiceARM, err))
	}
	p := peeringFromSDK(&resp.VirtualNetworkPeering)
	return &p, nil
}

// peeringAbsent tells a 404 about the peering itself from a 404 about its
// parents: Resource Manager answers ResourceGroupNotFound or
// SubscriptionNotFound for those, and ResourceNotFound naming
// "Microsoft.Network/virtualNetworks/<vnet>" for a missing VNet, while
// the network provider answers NotFound for a missing child peering.
func peeringAbsent(err error, ref vnetRef) bool {
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		return false
	}
	code := re.ErrorCode
	var msg string
	if re.RawResponse != nil {
		c, m := serviceErrorBody(re.RawResponse)
		if code == "" {
			code = c
		}
		msg = m
	}
	switch code {
	case "ResourceGroupNotFound", "SubscriptionNotFound", "InvalidSubscriptionId":
		return false
	case "ResourceNotFound":
		vnet := strings.ToLower("Microsoft.Network/virtualNetworks/" + ref.name + "'")
		return !strings.Contains(strings.ToLower(msg), vnet)
	}
	return true
}

// CreatePeering creates or updates a peering with allowVirtualNetworkAccess
// and waits for its provisioning (the async operation) to finish.
func (n *Network) CreatePeering(ctx context.Context, vnetID, name, remoteVNetID string) (peering.VNetPeering, error) {
	c, ref, err := n.peeringsOf(vnetID)
	if err != nil {
		return peering.VNetPeering{}, err
	}
	if _, err := parseVNetID(remoteVNetID); err != nil {
		return peering.VNetPeering{}, fmt.Errorf("remote network: %w", err)
	}
	params := armnetwork.VirtualNetworkPeering{
		Properties: &armnetwork.VirtualNetworkPeeringPropertiesFormat{
			AllowVirtualNetworkAccess: to.Ptr(true),
			RemoteVirtualNetwork:      &armnetwork.SubResource{ID: to.Ptr(remoteVNetID)},
		},
	}
	p, err := n.putPeering(ctx, c, ref, name, params, nil)
	if err != nil {
		return peering.VNetPeering{}, fmt.Errorf("create peering %s on %s: %w", name, vnetID, err)
	}
	return p, nil
}

// putPeering puts a peering and waits for its async operation to finish;
// the error is the cloud's, for the caller to say what it was doing.
func (n *Network) putPeering(ctx context.Context, c *armnetwork.VirtualNetworkPeeringsClient, ref vnetRef, name string, params armnetwork.VirtualNetworkPeering, opts *armnetwork.VirtualNetworkPeeringsClientBeginCreateOrUpdateOptions) (peering.VNetPeering, error) {
	poller, err := c.BeginCreateOrUpdate(ctx, ref.rg, ref.name, name, params, opts)
	if err != nil {
		return peering.VNetPeering{}, cloudError(ServiceARM, err)
	}
	resp, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: n.poll})
	if err != nil {
		return peering.VNetPeering{}, cloudError(ServiceARM, err)
	}
	return peeringFromSDK(&resp.VirtualNetworkPeering), nil
}

// SyncPeering syncs a peering with its remote network's current address
// space, as `az network vnet peering sync` does: it reads the peering and
// puts it back unchanged with ?syncRemoteAddressSpace=true (azure-cli's
// test_network_vnet_peering_sync.yaml), then waits for the operation. It
// changes no setting of the peering. Like any peering PUT it passes
// Resource Manager's linked access check on the remote network, so across
// tenants the caller needs peer/action there and an auxiliary token.
func (n *Network) SyncPeering(ctx context.Context, vnetID, name string) (peering.VNetPeering, error) {
	c, ref, err := n.peeringsOf(vnetID)
	if err != nil {
		return peering.VNetPeering{}, err
	}
	cur, err := c.Get(ctx, ref.rg, ref.name, name, nil)
	if err != nil {
		return peering.VNetPeering{}, fmt.Errorf("read peering %s of %s to sync it: %w", name, vnetID, cloudError(ServiceARM, err))
	}
	opts := &armnetwork.VirtualNetworkPeeringsClientBeginCreateOrUpdateOptions{SyncRemoteAddressSpace: to.Ptr(armnetwork.SyncRemoteAddressSpaceTrue)}
	p, err := n.putPeering(ctx, c, ref, name, cur.VirtualNetworkPeering, opts)
	if err != nil {
		return peering.VNetPeering{}, fmt.Errorf("sync peering %s of %s: %w", name, vnetID, err)
	}
	return p, nil
}

// DeletePeering deletes a peering and waits; one already gone is fine.
func (n *Network) DeletePeering(ctx context.Context, vnetID, name string) error {
	c, ref, err := n.peeringsOf(vnetID)
	if err != nil {
		return err
	}
	what := "delete peering " + name + " of " + vnetID
	poller, err := c.BeginDelete(ctx, ref.rg, ref.name, name, nil)
	if err != nil {
		return absentOK(err, what)
	}
	_, err = poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: n.poll})
	return absentOK(err, what)
}

func isStatus(err error, status int) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == status
}

// absentOK is err as Resource Manager's error, naming what was done; nil
// when there is none, or when it is a 404: what was to be read or deleted
// is not there.
func absentOK(err error, what string) error {
	if err == nil || isStatus(err, http.StatusNotFound) {
		return nil
	}
	return fmt.Errorf("%s: %w", what, cloudError(ServiceARM, err))
}

func vnetFromSDK(v *armnetwork.VirtualNetwork) peering.VNet {
	out := peering.VNet{
		ID:       deref(v.ID),
		Name:     deref(v.Name),
		Location: deref(v.Location),
		// Never nil, so JSON shows [] rather than null.
		AddressPrefixes: []string{},
		Peerings:        []peering.VNetPeering{},
	}
	if r, err := arm.ParseResourceID(out.ID); err == nil {
		out.ResourceGroup = r.ResourceGroupName
		out.Subscription = r.SubscriptionID
	}
	if p := v.Properties; p != nil {
		if p.AddressSpace != nil {
			for _, s := range p.AddressSpace.AddressPrefixes {
				if s != nil {
					out.AddressPrefixes = append(out.AddressPrefixes, *s)
				}
			}
		}
		for _, vp := range p.VirtualNetworkPeerings {
			if vp != nil {
				out.Peerings = append(out.Peerings, peeringFromSDK(vp))
			}
		}
	}
	return out
}

func peeringFromSDK(p *armnetwork.VirtualNetworkPeering) peering.VNetPeering {
	out := peering.VNetPeering{ID: deref(p.ID), Name: deref(p.Name)}
	if pp := p.Properties; pp != nil {
		if pp.RemoteVirtualNetwork != nil {
			out.RemoteVNetID = deref(pp.RemoteVirtualNetwork.ID)
		}
		if pp.PeeringState != nil {
			out.PeeringState = string(*pp.PeeringState)
		}
		if pp.PeeringSyncLevel != nil {
			out.SyncLevel = string(*pp.PeeringSyncLevel)
		}
		if pp.ProvisioningState != nil {
			out.ProvisioningState = string(*pp.ProvisioningState)
		}
		out.AllowVirtualNetworkAccess = pp.AllowVirtualNetworkAccess != nil && *pp.AllowVirtualNetworkAccess
		out.AllowForwardedTraffic = pp.AllowForwardedTraffic != nil && *pp.AllowForwardedTraffic
		out.AllowGatewayTransit = pp.AllowGatewayTransit != nil && *pp.AllowGatewayTransit
		out.UseRemoteGateways = pp.UseRemoteGateways != nil && *pp.UseRemoteGateways
		// remoteVirtualNetworkAddressSpace is the remote's current space;
		// remoteAddressSpace is what this side last synced (they differ
		// until a sync, azure-cli's test_network_vnet_peering_sync.yaml).
		for _, sp := range []*armnetwork.AddressSpace{pp.RemoteVirtualNetworkAddressSpace, pp.RemoteAddressSpace} {
			if sp != nil && len(sp.AddressPrefixes) > 0 {
				out.RemoteAddressPrefixes = derefAll(sp.AddressPrefixes)
				break
			}
		}
		if sp := pp.RemoteAddressSpace; sp != nil {
			out.SyncedRemotePrefixes = derefAll(sp.AddressPrefixes)
		}
	}
	return out
}

// authorizationURIRE reads the tenant from Resource Manager's challenge:
// Bearer authorization_uri="https://login.windows.net/{tenant}", …
var authorizationURIRE = regexp.MustCompile(`authorization_uri="https://[^/"]+/([0-9a-fA-F-]{36})"`)

// SubscriptionTenant finds the tenant of any subscription, even one the
// signed-in principal cannot read: Resource Manager answers an
// unauthenticated request under a subscription with a challenge that
// names the subscription's tenant (Shawn Tabrizi, "Secret APIs in Azure
// Active Directory and Azure Resource Manager"). azpeer uses it for
// Aiven's tenant when Aiven does not say it (state_info can be null).
func (n *Network) SubscriptionTenant(ctx context.Context, subscriptionID string) (string, error) {
	endpoint := n.opts.Cloud.Services[cloud.ResourceManager].Endpoint
	u := strings.TrimRight(endpoint, "/") + "/subscriptions/" + url.PathEscape(subscriptionID) + "?api-version=2022-12-01"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	hc, ok := n.opts.Transport.(interface {
		Do(*http.Request) (*http.Response, error)
	})
	if !ok {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("find the tenant of subscription %s: %w", subscriptionID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if m := authorizationURIRE.FindStringSubmatch(resp.Header.Get("WWW-Authenticate")); m != nil {
		return strings.ToLower(m[1]), nil
	}
	return "", fmt.Errorf("find the tenant of subscription %s: Resource Manager's answer (HTTP %d) names no tenant", subscriptionID, resp.StatusCode)
}
