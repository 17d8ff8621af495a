package sandbox_test

// Resource Manager networking through the real armnetwork/v7 and
// armsubscriptions clients: subscriptions, tenants, virtual networks and
// their paging, peerings and their asynchronous operations, the linked
// (cross-tenant) access check, and role propagation.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"
	"github.com/aiven/go-client-codegen/handler/vpc"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/sandbox"
)

var (
	netProdVNet   = sandbox.VNetID(sandbox.UserSubscriptionID, "rg-prod", "prod-vnet")
	netAppVNet    = sandbox.VNetID(sandbox.UserSubscriptionID, "rg-app", "app-vnet")
	netLegacyVNet = sandbox.VNetID(sandbox.UserSubscriptionID, "Rg-Legacy", "Legacy-VNet")
	// Aiven's networks behind the default scenario's tsdb-prod and
	// analytics (azure-eastus) project VPCs, in Aiven's tenant.
	netAivenProd      = sandbox.VNetID(sandbox.AivenSubscriptionID, "aiven-vpc-westeurope", "aiven-vnet-1f0e2d3c")
	netAivenAnalytics = sandbox.VNetID(sandbox.AivenSubscriptionID, "aiven-vpc-eastus", "aiven-vnet-4c5d6e7f")
	// netNetworkContributor is the built-in role as the user's subscription names it.
	netNetworkContributor = "/subscriptions/" + sandbox.UserSubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + sandbox.NetworkContributorRoleGUID
)

// netPeeringBody is a peering towards remote with virtual network access.
func netPeeringBody(remote string) armnetwork.VirtualNetworkPeering {
	return armnetwork.VirtualNetworkPeering{Properties: &armnetwork.VirtualNetworkPeeringPropertiesFormat{
		RemoteVirtualNetwork:      &armnetwork.SubResource{ID: to.Ptr(remote)},
		AllowVirtualNetworkAccess: to.Ptr(true),
	}}
}

// netPeer creates or updates a peering and waits for its operation.
func netPeer(ctx context.Context, c netClients, rg, vnet, name string, body armnetwork.VirtualNetworkPeering) (armnetwork.VirtualNetworkPeering, error) {
	p, err := c.peerings.BeginCreateOrUpdate(ctx, rg, vnet, name, body, nil)
	if err != nil {
		return armnetwork.VirtualNetworkPeering{}, err
	}
	resp, err := p.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond})
	return resp.VirtualNetworkPeering, err
}

// netUnpeer deletes a peering and waits for its operation.
func netUnpeer(ctx context.Context, c netClients, rg, vnet, name string) error {
	p, err := c.peerings.BeginDelete(ctx, rg, vnet, name, nil)
	if err != nil {
		return err
	}
	_, err = p.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond})
	return err
}

// netPeeringNames lists a network's peerings page by page, as the SDK's
// pager follows nextLink, and returns their names and the number of pages.
func netPeeringNames(t testing.TB, c context.Context, n netClients, rg, vnet string) (names []string, pages int) {
	t.Helper()
	for pager := n.peerings.NewListPager(rg, vnet, nil); pager.More(); pages++ {
		page, err := pager.NextPage(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Value {
			names = append(names, *v.Name)
		}
	}
	return names, pages
}

// netBeginAppToLegacy starts peering app-vnet with Legacy-VNet and returns
// the SDK's poller and the PUT's own answer.
func netBeginAppToLegacy(t testing.TB, c context.Context, n netClients) (*runtime.Poller[armnetwork.VirtualNetworkPeeringsClientCreateOrUpdateResponse], *http.Response) {
	t.Helper()
	var first *http.Response
	poller, err := n.peerings.BeginCreateOrUpdate(policy.WithCaptureResponse(c, &first), "rg-app", "app-vnet", "app-to-legacy", netPeeringBody(netLegacyVNet), nil)
	if err != nil {
		t.Fatal(err)
	}
	return poller, first
}

// netState is a peering's (provisioningState, peeringState).
func netState(p armnetwork.VirtualNetworkPeering) (string, string) {
	var prov, state string
	if p.Properties != nil && p.Properties.ProvisioningState != nil {
		prov = string(*p.Properties.ProvisioningState)
	}
	if p.Properties != nil && p.Properties.PeeringState != nil {
		state = string(*p.Properties.PeeringState)
	}
	return prov, state
}

// netGetPeering reads a peering and returns its states.
func netGetPeering(t testing.TB, c netClients, rg, vnet, name string) (string, string) {
	t.Helper()
	resp, err := c.peerings.Get(ctx(t), rg, vnet, name, nil)
	if err != nil {
		t.Fatalf("Get peering %s/%s/%s: %v", rg, vnet, name, err)
	}
	return netState(resp.VirtualNetworkPeering)
}

// netScenario starts a sandbox on the default scenario plus extra virtual
// networks (in the user's subscription), through a scenario file as a
// user would write one.
func netScenario(t testing.TB, opts sandbox.Options, extra ...sandbox.VNet) *sandbox.Server {
	t.Helper()
	base, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := base.Snapshot()
	creds := base.Credentials()
	_ = base.Close()
	if err != nil {
		t.Fatal(err)
	}
	var world sandbox.World
	if err := json.Unmarshal(data, &world); err != nil {
		t.Fatal(err)
	}
	for _, v := range extra {
		v.SubscriptionID = sandbox.UserSubscriptionID
		v.ID = sandbox.VNetID(v.SubscriptionID, v.ResourceGroup, v.Name)
		v.ETag = `W/"` + uuid.NewString() + `"`
		v.Peerings = map[string]*sandbox.VNetPeering{}
		world.VNets[strings.ToLower(v.ID)] = &v
	}
	file, err := json.Marshal(map[string]any{"world": &world, "admin_secret": creds.ClientSecret, "aiven_token": creds.AivenToken,
		"admin_app_id": creds.ClientID, "tenant_id": creds.TenantID})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	opts.Scenario = path
	return startSandbox(t, opts)
}

// prodAppSecret adds a secret to the scenario's tsdb-prod peering app
// (whose first secret is not known; the admin is Application Administrator).
func prodAppSecret(t testing.TB, s *sandbox.Server) string {
	t.Helper()
	_, secret, err := graphClient(t, s, adminCredential(t, s)).AddPassword(ctx(t), sandbox.ProdPeeringAppObject, "arm network test", time.Time{})
	if err != nil {
		t.Fatalf("AddPassword: %v", err)
	}
	return secret.Reveal()
}

func TestARMNetSubscriptionsAndTenants(t *testing.T) {
	s := startSandbox(t, sandbox.Options{})
	c := ctx(t)
	admin := adminCredential(t, s)
	subs, err := armsubscriptions.NewClient(admin, armOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	var got []*armsubscriptions.Subscription
	for pager := subs.NewListPager(nil); pager.More(); {
		page, err := pager.NextPage(c)
		if err != nil {
			t.Fatalf("list subscriptions: %v", err)
		}
		got = append(got, page.Value...)
	}
	if len(got) != 1 || *got[0].SubscriptionID != sandbox.UserSubscriptionID || *got[0].TenantID != sandbox.UserTenantID ||
		*got[0].DisplayName != "Contoso Production" || *got[0].State != armsubscriptions.SubscriptionStateEnabled ||
		*got[0].ID != "/subscriptions/"+sandbox.UserSubscriptionID || got[0].SubscriptionPolicies == nil {
		t.Fatalf("admin's subscriptions = %+v", got)
	}
	one, err := subs.Get(c, sandbox.UserSubscriptionID, nil)
	if err != nil || *one.SubscriptionID != sandbox.UserSubscriptionID {
		t.Errorf("Get = %+v, %v", one, err)
	}
	_, err = subs.Get(c, sandbox.AivenSubscriptionID, nil)
	re := wantResponseError(t, err, http.StatusUnauthorized, "InvalidAuthenticationTokenTenant")
	if msg := errorMessage(t, re); !strings.Contains(msg, "It must match the tenant 'https://sts.windows.net/"+sandbox.AivenTenantID+"/'") {
		t.Errorf("message = %q", msg)
	}
	_, err = subs.Get(c, uuid.NewString(), nil)
	wantResponseError(t, err, http.StatusNotFound, "SubscriptionNotFound")

	// A principal without any role sees no subscription; a role on one
	// network (below the subscription) is enough to see it.
	p, err := s.AddPrincipal(sandbox.PrincipalSpec{DisplayName: "no-roles"})
	if err != nil {
		t.Fatal(err)
	}
	cred := secretCredential(t, s, p.TenantID, p.AppID, p.Secret)
	theirs, err := armsubscriptions.NewClient(cred, armOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	page, err := theirs.NewListPager(nil).NextPage(c)
	if err != nil || len(page.Value) != 0 {
		t.Errorf("subscriptions without roles = %+v, %v", page.Value, err)
	}
	_, err = theirs.Get(c, sandbox.UserSubscriptionID, nil)
	wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")
	_, assigns := rbacClients(t, s, admin)
	if _, err := rbacAssign(c, assigns, netProdVNet, rbacRoleID(rbacReaderGUID), p.ObjectID, to.Ptr(armauthorization.PrincipalTypeServicePrincipal)); err != nil {
		t.Fatal(err)
	}
	page, err = theirs.NewListPager(nil).NextPage(c)
	if err != nil || len(page.Value) != 1 || *page.Value[0].SubscriptionID != sandbox.UserSubscriptionID {
		t.Errorf("subscriptions with a role on one network = %+v, %v", page.Value, err)
	}

	// Tenants: where the caller's app has a service principal.
	tenantsOf := func(cred azcore.TokenCredential) []*armsubscriptions.TenantIDDescription {
		t.Helper()
		tc, err := armsubscriptions.NewTenantsClient(cred, armOptions(s))
		if err != nil {
			t.Fatal(err)
		}
		page, err := tc.NewListPager(nil).NextPage(c)
		if err != nil {
			t.Fatalf("list tenants: %v", err)
		}
		return page.Value
	}
	ts := tenantsOf(admin)
	if len(ts) != 1 || *ts[0].TenantID != sandbox.UserTenantID || *ts[0].ID != "/tenants/"+sandbox.UserTenantID ||
		*ts[0].TenantCategory != armsubscriptions.TenantCategoryHome || *ts[0].DisplayName != "Contoso" ||
		*ts[0].DefaultDomain != "contoso.onmicrosoft.com" || len(ts[0].Domains) != 1 {
		t.Errorf("admin's tenants = %+v", ts)
	}
	var ids []string
	for _, tt := range tenantsOf(secretCredential(t, s, sandbox.UserTenantID, sandbox.ProdPeeringAppID, prodAppSecret(t, s))) {
		ids = append(ids, *tt.TenantID)
	}
	slices.Sort(ids)
	want := []string{sandbox.UserTenantID, sandbox.AivenTenantID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("peering app's tenants = %v, want %v", ids, want)
	}
}

func TestARMNetVirtualNetworks(t *testing.T) {
	s := startSandbox(t, sandbox.Options{ARMPageSize: 2})
	c := ctx(t)
	n := adminNet(t, s)

	var names []string
	pages := 0
	for pager := n.vnets.NewListAllPager(nil); pager.More(); {
		page, err := pager.NextPage(c)
		if err != nil {
			t.Fatalf("ListAll: %v", err)
		}
		pages++
		if page.NextLink != nil && !strings.HasPrefix(*page.NextLink, s.URL()+"/subscriptions/") || page.NextLink != nil && !strings.Contains(*page.NextLink, "$skiptoken=") {
			t.Errorf("nextLink = %q, want an absolute link with a $skiptoken", *page.NextLink)
		}
		for _, v := range page.Value {
			names = append(names, *v.Name)
			if *v.Type != "Microsoft.Network/virtualNetworks" || *v.Location != "westeurope" || v.Etag == nil ||
				*v.Properties.ProvisioningState != armnetwork.ProvisioningStateSucceeded || v.Properties.ResourceGUID == nil ||
				v.Properties.Subnets == nil || *v.Properties.EnableDdosProtection {
				t.Errorf("network %s = %+v", *v.Name, v.Properties)
			}
		}
	}
	slices.Sort(names)
	if want := []string{"Legacy-VNet", "app-vnet", "prod-vnet"}; pages != 2 || !slices.Equal(names, want) {
		t.Errorf("ListAll: %d pages of %v, want 2 pages of %v", pages, names, want)
	}

	// A smaller page, changed at run time: three pages.
	s.SetARMPageSize(1)
	pages = 0
	for pager := n.vnets.NewListAllPager(nil); pager.More(); pages++ {
		if _, err := pager.NextPage(c); err != nil {
			t.Fatal(err)
		}
	}
	if pages != 3 {
		t.Errorf("ListAll with one network a page: %d pages, want 3", pages)
	}
	s.SetARMPageSize(0)

	page, err := n.vnets.NewListPager("RG-PROD", nil).NextPage(c)
	if err != nil || len(page.Value) != 1 || *page.Value[0].ID != netProdVNet || page.NextLink != nil {
		t.Fatalf("List rg-prod = %+v, %v", page.Value, err)
	}
	prod := page.Value[0]
	if got := prod.Properties.AddressSpace.AddressPrefixes; len(got) != 1 || *got[0] != "10.1.0.0/16" {
		t.Errorf("prod-vnet address space = %v", to.SliceOfPtrs(got))
	}
	if ps := prod.Properties.VirtualNetworkPeerings; len(ps) != 1 || *ps[0].Name != "to-aiven-tsdb-prod" ||
		*ps[0].Properties.PeeringState != armnetwork.VirtualNetworkPeeringStateConnected ||
		*ps[0].Properties.RemoteVirtualNetwork.ID != netAivenProd ||
		*ps[0].Properties.RemoteAddressSpace.AddressPrefixes[0] != "10.10.0.0/24" {
		t.Errorf("prod-vnet peerings = %+v", ps)
	}

	// Names are found in any case; answers keep the canonical case.
	got, err := n.vnets.Get(c, "rg-legacy", "legacy-vnet", nil)
	if err != nil || *got.ID != netLegacyVNet || *got.Name != "Legacy-VNet" {
		t.Errorf("Get legacy-vnet = %+v, %v", got.VirtualNetwork, err)
	}
	ps, err := n.peerings.Get(c, "RG-prod", "PROD-vnet", "TO-AIVEN-TSDB-PROD", nil)
	if err != nil || *ps.Name != "to-aiven-tsdb-prod" || *ps.Type != "Microsoft.Network/virtualNetworks/virtualNetworkPeerings" ||
		*ps.Properties.PeeringSyncLevel != armnetwork.VirtualNetworkPeeringLevelFullyInSync || !*ps.Properties.AllowVirtualNetworkAccess {
		t.Errorf("Get peering = %+v, %v", ps.VirtualNetworkPeering, err)
	}
}

func TestARMNetReadErrors(t *testing.T) {
	s := startSandbox(t, sandbox.Options{})
	n := adminNet(t, s)
	other := newNetClients(t, sandbox.AivenSubscriptionID, adminCredential(t, s), armOptions(s))
	unknown := newNetClients(t, "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", adminCredential(t, s), armOptions(s))
	p, err := s.AddPrincipal(sandbox.PrincipalSpec{DisplayName: "reader-less"})
	if err != nil {
		t.Fatal(err)
	}
	nobody := newNetClients(t, sandbox.UserSubscriptionID, secretCredential(t, s, p.TenantID, p.AppID, p.Secret), armOptions(s))

	tests := []struct {
		name    string
		call    func(context.Context) error
		status  int
		code    string
		message string
	}{
		{"missing network", func(c context.Context) error { _, err := n.vnets.Get(c, "rg-prod", "nope", nil); return err },
			404, "ResourceNotFound", "The Resource 'Microsoft.Network/virtualNetworks/nope' under resource group 'rg-prod' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"},
		{"missing resource group", func(c context.Context) error { _, err := n.vnets.Get(c, "rg-nope", "prod-vnet", nil); return err },
			404, "ResourceGroupNotFound", "Resource group 'rg-nope' could not be found."},
		{"list of a missing resource group", func(c context.Context) error {
			_, err := n.vnets.NewListPager("rg-nope", nil).NextPage(c)
			return err
		}, 404, "ResourceGroupNotFound", "Resource group 'rg-nope' could not be found."},
		{"missing subscription", func(c context.Context) error { _, err := unknown.vnets.NewListAllPager(nil).NextPage(c); return err },
			404, "SubscriptionNotFound", "The subscription '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9' could not be found."},
		{"another tenant's subscription", func(c context.Context) error {
			_, err := other.vnets.Get(c, "aiven-vpc-westeurope", "aiven-vnet-1f0e2d3c", nil)
			return err
		}, 401, "InvalidAuthenticationTokenTenant", "The access token is from the wrong issuer 'https://sts.windows.net/" + sandbox.UserTenantID + "/'"},
		{"missing peering", func(c context.Context) error {
			_, err := n.peerings.Get(c, "rg-prod", "prod-vnet", "nope", nil)
			return err
		},
			404, "NotFound", "Resource " + netProdVNet + "/virtualNetworkPeerings/nope not found."},
		{"peerings of a missing network", func(c context.Context) error {
			_, err := n.peerings.NewListPager("rg-prod", "nope", nil).NextPage(c)
			return err
		}, 404, "ResourceNotFound", "'Microsoft.Network/virtualNetworks/nope'"},
		{"no role", func(c context.Context) error { _, err := nobody.vnets.Get(c, "rg-prod", "prod-vnet", nil); return err },
			403, "AuthorizationFailed", "The client '" + p.ObjectID + "' with object id '" + p.ObjectID + "' does not have authorization to perform action 'Microsoft.Network/virtualNetworks/read' over scope '" + netProdVNet + "' or the scope is invalid. If access was recently granted, please refresh your credentials."},
		{"no role, list", func(c context.Context) error { _, err := nobody.vnets.NewListAllPager(nil).NextPage(c); return err },
			403, "AuthorizationFailed", "'Microsoft.Network/virtualNetworks/read' over scope '/subscriptions/" + sandbox.UserSubscriptionID + "/providers/Microsoft.Network/virtualNetworks'"},
		{"no role, peering", func(c context.Context) error {
			_, err := nobody.peerings.Get(c, "rg-prod", "prod-vnet", "to-aiven-tsdb-prod", nil)
			return err
		}, 403, "AuthorizationFailed", "'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/read'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re := wantResponseError(t, tt.call(ctx(t)), tt.status, tt.code)
			if msg := errorMessage(t, re); !strings.Contains(msg, tt.message) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.message)
			}
		})
	}
}

// A principal whose only role sits on one network lists just that one.
func TestARMNetFilteredList(t *testing.T) {
	s := startSandbox(t, sandbox.Options{})
	c := ctx(t)
	p, err := s.AddPrincipal(sandbox.PrincipalSpec{DisplayName: "prod-reader"})
	if err != nil {
		t.Fatal(err)
	}
	_, assigns := rbacClients(t, s, adminCredential(t, s))
	if _, err := rbacAssign(c, assigns, netProdVNet, rbacRoleID(rbacReaderGUID), p.ObjectID, to.Ptr(armauthorization.PrincipalTypeServicePrincipal)); err != nil {
		t.Fatal(err)
	}
	n := newNetClients(t, sandbox.UserSubscriptionID, secretCredential(t, s, p.TenantID, p.AppID, p.Secret), armOptions(s))
	page, err := n.vnets.NewListAllPager(nil).NextPage(c)
	if err != nil || len(page.Value) != 1 || *page.Value[0].ID != netProdVNet {
		t.Fatalf("ListAll as a reader of prod-vnet = %+v, %v", page.Value, err)
	}
	_, err = n.vnets.Get(c, "rg-app", "app-vnet", nil)
	wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")
	_, err = n.vnets.NewListPager("rg-app", nil).NextPage(c)
	wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")
}

func TestARMNetRawProtocol(t *testing.T) {
	s := startSandbox(t, sandbox.Options{})
	token := adminToken(t, s, "https://management.core.windows.net//.default")
	vnetPath := "/subscriptions/" + sandbox.UserSubscriptionID + "/resourceGroups/rg-prod/providers/Microsoft.Network/virtualNetworks/prod-vnet"
	tests := []struct {
		name, token, path string
		status            int
		code              string
	}{
		{"no api-version", token, vnetPath, 400, "MissingApiVersionParameter"},
		{"unknown api-version", token, vnetPath + "?api-version=2099-01-01", 400, "NoRegisteredProviderFound"},
		{"CLI api-version", token, vnetPath + "?api-version=2022-01-01", 200, ""},
		{"subscriptions without api-version", token, "/subscriptions", 400, "MissingApiVersionParameter"},
		{"subscriptions, CLI api-version", token, "/subscriptions?api-version=2019-11-01", 200, ""},
		{"subscriptions, unknown api-version", token, "/subscriptions?api-version=2099-01-01", 400, "InvalidApiVersionParameter"},
		{"tenants, CLI api-version", token, "/tenants?api-version=2020-01-01", 200, ""},
		{"malformed subscription", token, "/subscriptions/not-a-guid/providers/Microsoft.Network/virtualNetworks?api-version=2025-01-01", 400, "InvalidSubscriptionId"},
		{"no token", "", vnetPath + "?api-version=2025-01-01", 401, "AuthenticationFailed"},
		{"metadata without api-version", "", "/metadata/endpoints", 400, "MissingApiVersionParameter"},
		{"unknown operation", token, "/subscriptions/" + sandbox.UserSubscriptionID + "/providers/Microsoft.Network/locations/westeurope/operations/" + uuid.NewString() + "?api-version=2025-01-01", 404, "NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, _ := netRaw(t, s, tt.token, http.MethodGet, tt.path, "")
			if resp.StatusCode != tt.status || errorCode(body) != tt.code {
				t.Errorf("%d %s, want %d %s: %v", resp.StatusCode, errorCode(body), tt.status, tt.code, body)
			}
			if tt.code != "" && resp.Header.Get("x-ms-error-code") != tt.code {
				t.Errorf("x-ms-error-code = %q", resp.Header.Get("x-ms-error-code"))
			}
		})
	}

	// Cloud metadata, as "az cloud register" reads it: the sandbox's own
	// endpoints on the loopback address, the public cloud's by real name.
	_, doc, _ := netRaw(t, s, "", http.MethodGet, "/metadata/endpoints?api-version=2015-01-01", "")
	auth, _ := doc["authentication"].(map[string]any)
	if doc["graphEndpoint"] != s.URL()+"/" || doc["galleryEndpoint"] == nil || doc["portalEndpoint"] == nil ||
		auth["loginEndpoint"] != s.URL()+"/" || !slices.Contains(auth["audiences"].([]any), any("https://management.core.windows.net/")) {
		t.Errorf("metadata on loopback = %v", doc)
	}
	_, doc, _ = netRaw(t, s, "", http.MethodGet, "/metadata/endpoints?api-version=2015-01-01", "management.azure.com")
	auth, _ = doc["authentication"].(map[string]any)
	if doc["graphEndpoint"] != "https://graph.windows.net/" || doc["portalEndpoint"] != "https://portal.azure.com/" ||
		auth["loginEndpoint"] != "https://login.microsoftonline.com/" ||
		!slices.Equal(auth["audiences"].([]any), []any{"https://management.core.windows.net/", "https://management.azure.com/"}) {
		t.Errorf("metadata as management.azure.com = %v", doc)
	}
	_, _, clouds := netRaw(t, s, "", http.MethodGet, "/metadata/endpoints?api-version=2022-09-01", "management.azure.com")
	if len(clouds) != 1 || clouds[0].(map[string]any)["name"] != "AzureCloud" || clouds[0].(map[string]any)["resourceManager"] != "https://management.azure.com/" {
		t.Errorf("metadata list = %v", clouds)
	}
}

func TestARMNetPeeringLifecycle(t *testing.T) {
	s := startSandbox(t, sandbox.Options{ARMPageSize: 2})
	c := ctx(t)
	n := adminNet(t, s)

	// One side: Initiated.
	p, err := netPeer(c, n, "rg-app", "app-vnet", "app-to-legacy", netPeeringBody(netLegacyVNet))
	if err != nil {
		t.Fatalf("create app-to-legacy: %v", err)
	}
	if prov, state := netState(p); prov != "Succeeded" || state != "Initiated" || *p.ID != netAppVNet+"/virtualNetworkPeerings/app-to-legacy" ||
		*p.Properties.RemoteVirtualNetwork.ID != netLegacyVNet || *p.Properties.RemoteAddressSpace.AddressPrefixes[0] != "10.30.0.0/16" ||
		*p.Properties.PeerCompleteVnets != true || *p.Properties.AllowForwardedTraffic {
		t.Fatalf("app-to-legacy = %s %s %+v", prov, state, p.Properties)
	}
	// Both sides: Connected, on both.
	p, err = netPeer(c, n, "Rg-Legacy", "Legacy-VNet", "legacy-to-app", netPeeringBody(netAppVNet))
	if err != nil {
		t.Fatalf("create legacy-to-app: %v", err)
	}
	if _, state := netState(p); state != "Connected" {
		t.Errorf("legacy-to-app peeringState = %s, want Connected", state)
	}
	if _, state := netGetPeering(t, n, "rg-app", "app-vnet", "app-to-legacy"); state != "Connected" {
		t.Errorf("app-to-legacy peeringState = %s, want Connected", state)
	}
	// An update answers 200 and keeps the peering Connected.
	body := netPeeringBody(netLegacyVNet)
	body.Properties.AllowForwardedTraffic = to.Ptr(true)
	p, err = netPeer(c, n, "rg-app", "app-vnet", "app-to-legacy", body)
	if prov, state := netState(p); err != nil || prov != "Succeeded" || state != "Connected" || !*p.Properties.AllowForwardedTraffic {
		t.Errorf("update = %s %s %v", prov, state, err)
	}
	// A third peering makes two pages of app-vnet's peerings.
	if _, err := netPeer(c, n, "rg-app", "app-vnet", "app-to-prod", netPeeringBody(netProdVNet)); err != nil {
		t.Fatal(err)
	}
	names, pages := netPeeringNames(t, c, n, "rg-app", "app-vnet")
	if want := []string{"app-to-legacy", "app-to-prod"}; pages != 1 || !slices.Equal(names, want) {
		t.Errorf("peerings of app-vnet: %d pages of %v, want 1 of %v", pages, names, want)
	}
	if _, err := netPeer(c, n, "rg-prod", "prod-vnet", "prod-to-legacy", netPeeringBody(netLegacyVNet)); err != nil {
		t.Fatal(err)
	}
	names, pages = netPeeringNames(t, c, n, "rg-prod", "prod-vnet")
	if want := []string{"prod-to-legacy", "to-aiven-tsdb-prod"}; pages != 1 || !slices.Equal(names, want) {
		t.Errorf("peerings of prod-vnet: %d pages of %v, want 1 of %v", pages, names, want)
	}
	if _, err := netPeer(c, n, "Rg-Legacy", "Legacy-VNet", "legacy-to-prod", netPeeringBody(netProdVNet)); err != nil {
		t.Fatal(err)
	}
	s.SetARMPageSize(1)
	names, pages = netPeeringNames(t, c, n, "Rg-Legacy", "Legacy-VNet")
	if want := []string{"legacy-to-app", "legacy-to-prod"}; pages != 2 || !slices.Equal(names, want) {
		t.Errorf("peerings of Legacy-VNet: %d pages of %v, want 2 of %v", pages, names, want)
	}

	// Deleting one side leaves the other Disconnected.
	if err := netUnpeer(c, n, "Rg-Legacy", "Legacy-VNet", "legacy-to-app"); err != nil {
		t.Fatalf("delete legacy-to-app: %v", err)
	}
	if _, err := n.peerings.Get(c, "Rg-Legacy", "Legacy-VNet", "legacy-to-app", nil); err == nil {
		t.Error("legacy-to-app still there after its delete")
	} else {
		wantResponseError(t, err, http.StatusNotFound, "NotFound")
	}
	if _, state := netGetPeering(t, n, "rg-app", "app-vnet", "app-to-legacy"); state != "Disconnected" {
		t.Errorf("app-to-legacy peeringState = %s, want Disconnected", state)
	}
	// Deleting what is not there is fine (204, no operation).
	var raw *http.Response
	poller, err := n.peerings.BeginDelete(policy.WithCaptureResponse(c, &raw), "Rg-Legacy", "Legacy-VNet", "legacy-to-app", nil)
	if err != nil || raw.StatusCode != http.StatusNoContent || !poller.Done() {
		t.Errorf("delete of a missing peering: %v, %v", raw.Status, err)
	}
}

// Resource Manager's and the network provider's refusals of a peering PUT.
func TestARMNetPeeringValidation(t *testing.T) {
	s := netScenario(t, sandbox.Options{},
		sandbox.VNet{ResourceGroup: "rg-net", Name: "net-a", Location: "westeurope", AddressPrefixes: []string{"10.50.0.0/16"}},
		sandbox.VNet{ResourceGroup: "rg-net", Name: "net-b", Location: "westeurope", AddressPrefixes: []string{"10.50.128.0/17", "10.51.0.0/16"}},
		sandbox.VNet{ResourceGroup: "rg-net", Name: "net-c", Location: "westeurope", AddressPrefixes: []string{"10.70.0.0/16"}},
	)
	c := ctx(t)
	n := adminNet(t, s)
	id := func(name string) string { return sandbox.VNetID(sandbox.UserSubscriptionID, "rg-net", name) }
	if _, err := netPeer(c, n, "rg-net", "net-c", "c-to-a", netPeeringBody(id("net-a"))); err != nil {
		t.Fatalf("c-to-a: %v", err)
	}
	gateways := netPeeringBody(id("net-c"))
	gateways.Properties.UseRemoteGateways = to.Ptr(true)
	tests := []struct {
		name, vnet, peering string
		body                armnetwork.VirtualNetworkPeering
		status              int
		code, message       string
	}{
		{"overlap", "net-a", "a-to-b", netPeeringBody(id("net-b")), 400, "VnetAddressSpacesOverlap",
			"Virtual networks " + id("net-a") + " and " + id("net-b") + " cannot be peered because their address spaces overlap. Overlapping address prefixes: 10.50.0.0/16"},
		{"overlap with a network already peered", "net-b", "b-to-c", netPeeringBody(id("net-c")), 400, "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet",
			"address space of the first virtual network overlaps with address space of virtual network " + id("net-a") + " already peered with the second virtual network. Overlapping address prefixes: 10.50.128.0/17."},
		{"itself", "net-a", "a-to-a", netPeeringBody(id("net-a")), 400, "InvalidRequestFormat", "cannot be peered with itself"},
		{"second peering to the same network", "net-c", "c-to-a-again", netPeeringBody(id("net-a")), 400, "PeeringAlreadyExists", id("net-c") + "/virtualNetworkPeerings/c-to-a"},
		{"remote gateways", "net-a", "a-to-c", gateways, 400, "RemoteVnetHasNoGateways", "does not have any gateways"},
		{"malformed remote id", "net-a", "a-to-x", netPeeringBody("net-c"), 400, "LinkedInvalidPropertyId",
			"Property id 'net-c' at path 'properties.remoteVirtualNetwork.id' is invalid."},
		{"missing remote network", "net-a", "a-to-x", netPeeringBody(id("nope")), 400, "InvalidResourceReference",
			"Resource " + id("nope") + " referenced by resource " + id("net-a") + "/virtualNetworkPeerings/a-to-x was not found."},
		{"unknown linked subscription", "net-a", "a-to-x", netPeeringBody(sandbox.VNetID("0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "rg", "v")), 403, "LinkedAuthorizationFailed",
			"however the linked subscription '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9' was not found."},
		{"linked subscription of another tenant", "net-a", "a-to-x", netPeeringBody(netAivenAnalytics), 403, "LinkedAuthorizationFailed",
			"however the current tenant '" + sandbox.UserTenantID + "' is not authorized to access linked subscription '" + sandbox.AivenSubscriptionID + "'."},
		{"no remote", "net-a", "a-to-x", armnetwork.VirtualNetworkPeering{Properties: &armnetwork.VirtualNetworkPeeringPropertiesFormat{}}, 400, "InvalidRequestFormat", "remoteVirtualNetwork"},
		{"bad name", "net-a", "-bad-", netPeeringBody(id("net-c")), 400, "InvalidResourceName", "Resource name -bad- is invalid."},
		{"missing local network", "nope", "x", netPeeringBody(id("net-c")), 404, "ResourceNotFound", "'Microsoft.Network/virtualNetworks/nope'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := n.peerings.BeginCreateOrUpdate(ctx(t), "rg-net", tt.vnet, tt.peering, tt.body, nil)
			re := wantResponseError(t, err, tt.status, tt.code)
			if msg := errorMessage(t, re); !strings.Contains(msg, tt.message) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.message)
			}
		})
	}
	// None of them left a peering behind.
	page, err := n.peerings.NewListPager("rg-net", "net-a", nil).NextPage(c)
	if err != nil || len(page.Value) != 0 {
		t.Errorf("net-a's peerings = %+v, %v", page.Value, err)
	}
}

// With a clock that runs, a peering is Updating and its operation
// InProgress until the provisioning time has passed.
func TestARMNetPeeringAsync(t *testing.T) {
	s := timedSandbox(t, 1, func(tm *sandbox.Timing) { tm.PeeringProvisioning = sandbox.Duration(time.Hour) })
	c := ctx(t)
	n := adminNet(t, s)
	poller, first := netBeginAppToLegacy(t, c, n)
	async := first.Header.Get("Azure-AsyncOperation")
	if first.StatusCode != http.StatusCreated || poller.Done() ||
		!strings.HasPrefix(async, s.URL()+"/subscriptions/"+sandbox.UserSubscriptionID+"/providers/Microsoft.Network/locations/westeurope/operations/") ||
		!strings.Contains(async, "api-version=2025-01-01") {
		t.Fatalf("PUT: %d, Azure-AsyncOperation %q, done %v", first.StatusCode, async, poller.Done())
	}
	// An hour of simulated time is an hour of real time at speed 1.
	if ra, err := strconv.Atoi(first.Header.Get("Retry-After")); err != nil || ra < 3000 || ra > 3600 {
		t.Errorf("Retry-After = %q", first.Header.Get("Retry-After"))
	}
	if ms, err := strconv.Atoi(first.Header.Get("Retry-After-Ms")); err != nil || ms < 3_000_000 || ms > 3_600_000 {
		t.Errorf("Retry-After-Ms = %q", first.Header.Get("Retry-After-Ms"))
	}
	resp, err := poller.Poll(c)
	if err != nil || poller.Done() {
		t.Fatalf("first poll: done %v, %v", poller.Done(), err)
	}
	var status struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&status); err != nil || status.Status != "InProgress" {
		t.Errorf("operation status = %+v, %v", status, err)
	}
	if prov, _ := netGetPeering(t, n, "rg-app", "app-vnet", "app-to-legacy"); prov != "Updating" {
		t.Errorf("provisioningState while in progress = %s, want Updating", prov)
	}
	// A second write meanwhile is refused (without retries: the client
	// would wait the hour Retry-After asks for).
	noRetry := armOptions(s)
	noRetry.Retry = policy.RetryOptions{MaxRetries: -1}
	impatient := newNetClients(t, sandbox.UserSubscriptionID, adminCredential(t, s), noRetry)
	_, err = impatient.peerings.BeginDelete(c, "rg-app", "app-vnet", "app-to-legacy", nil)
	re := wantResponseError(t, err, http.StatusTooManyRequests, "AnotherOperationInProgress")
	if msg := errorMessage(t, re); !strings.Contains(msg, async) {
		t.Errorf("message %q does not name the running operation %s", msg, async)
	}

	// Speed the clock up: the hour passes in a few milliseconds.
	s.Clock().SetSpeed(1e6)
	for !poller.Done() {
		if _, err := poller.Poll(c); err != nil {
			t.Fatal(err)
		}
	}
	res, err := poller.Result(c)
	if prov, state := netState(res.VirtualNetworkPeering); err != nil || prov != "Succeeded" || state != "Initiated" {
		t.Errorf("result = %s %s, %v", prov, state, err)
	}
}

// At a faster clock the SDK's poller waits as long as Retry-After-Ms says
// and finds the operation done.
func TestARMNetPeeringPollPacing(t *testing.T) {
	s := timedSandbox(t, 100, func(tm *sandbox.Timing) { tm.PeeringProvisioning = sandbox.Duration(5 * time.Second) })
	c := ctx(t)
	n := adminNet(t, s)
	poller, first := netBeginAppToLegacy(t, c, n)
	if first.Header.Get("Retry-After") != "1" || first.Header.Get("Retry-After-Ms") == "" {
		t.Errorf("Retry-After %q, Retry-After-Ms %q", first.Header.Get("Retry-After"), first.Header.Get("Retry-After-Ms"))
	}
	// No Frequency: without the sandbox's hints the poller would wait 30 s.
	res, err := poller.PollUntilDone(c, nil)
	if prov, _ := netState(res.VirtualNetworkPeering); err != nil || prov != "Succeeded" {
		t.Fatalf("PollUntilDone = %s, %v", prov, err)
	}
	var del *http.Response
	dp, err := n.peerings.BeginDelete(policy.WithCaptureResponse(c, &del), "rg-app", "app-vnet", "app-to-legacy", nil)
	if err != nil {
		t.Fatal(err)
	}
	if del.StatusCode != http.StatusAccepted || !strings.Contains(del.Header.Get("Location"), "/operationResults/") {
		t.Errorf("DELETE: %d, Location %q", del.StatusCode, del.Header.Get("Location"))
	}
	// The Location form answers 202 while the delete runs, 204 after.
	token := adminToken(t, s, "https://management.core.windows.net//.default")
	loc := strings.TrimPrefix(del.Header.Get("Location"), s.URL())
	if resp, _, _ := netRaw(t, s, token, http.MethodGet, loc, ""); resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNoContent {
		t.Errorf("operationResults: %d", resp.StatusCode)
	}
	if _, err := dp.PollUntilDone(c, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if resp, _, _ := netRaw(t, s, token, http.MethodGet, loc, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("operationResults after the delete: %d, want 204", resp.StatusCode)
	}
}

// The scenario's tsdb-prod peering app, signed in to both tenants: the
// linked access check on Aiven's networks in Aiven's tenant.
func TestARMNetCrossTenantLinkedAccess(t *testing.T) {
	s := startSandbox(t, sandbox.Options{})
	c := ctx(t)
	secret := prodAppSecret(t, s)
	cred := secretCredential(t, s, sandbox.UserTenantID, sandbox.ProdPeeringAppID, secret, sandbox.AivenTenantID)
	withAux := newNetClients(t, sandbox.UserSubscriptionID, cred, armOptions(s, sandbox.AivenTenantID))
	homeOnly := newNetClients(t, sandbox.UserSubscriptionID, cred, armOptions(s))

	// Without a token from Aiven's tenant, Aiven's subscription cannot be linked.
	_, err := homeOnly.peerings.BeginCreateOrUpdate(c, "rg-prod", "prod-vnet", "to-analytics", netPeeringBody(netAivenAnalytics), nil)
	re := wantResponseError(t, err, http.StatusForbidden, "LinkedAuthorizationFailed")
	if msg := errorMessage(t, re); msg != "The client has permission to perform action 'Microsoft.Network/virtualNetworks/peer/action' on scope '"+
		netProdVNet+"/virtualNetworkPeerings/to-analytics', however the current tenant '"+sandbox.UserTenantID+
		"' is not authorized to access linked subscription '"+sandbox.AivenSubscriptionID+"'." {
		t.Errorf("message = %q", msg)
	}
	// With it, the app's principal in Aiven's tenant needs peer/action on
	// the network; Aiven granted it only on tsdb-prod's.
	_, err = withAux.peerings.BeginCreateOrUpdate(c, "rg-prod", "prod-vnet", "to-analytics", netPeeringBody(netAivenAnalytics), nil)
	re = wantResponseError(t, err, http.StatusForbidden, "LinkedAuthorizationFailed")
	if msg := errorMessage(t, re); !strings.Contains(msg, "has permission to perform action 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write' on scope '"+netProdVNet+
		"/virtualNetworkPeerings/to-analytics'; however, it does not have permission to perform action(s) 'Microsoft.Network/virtualNetworks/peer/action' on the linked scope(s) '"+
		netAivenAnalytics+"' (respectively) or the linked scope(s) are invalid.") {
		t.Errorf("message = %q", msg)
	}
	// A remote network that is not there, in a subscription that is.
	_, err = withAux.peerings.BeginCreateOrUpdate(c, "rg-prod", "prod-vnet", "to-nowhere",
		netPeeringBody(sandbox.VNetID(sandbox.AivenSubscriptionID, "aiven-vpc-westeurope", "aiven-vnet-gone")), nil)
	wantResponseError(t, err, http.StatusForbidden, "LinkedAuthorizationFailed") // no grant there either
	// The app's role is on prod-vnet only.
	_, err = withAux.peerings.BeginCreateOrUpdate(c, "rg-app", "app-vnet", "app-to-aiven", netPeeringBody(netAivenProd), nil)
	re = wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")
	if msg := errorMessage(t, re); !strings.Contains(msg, "'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write' over scope '"+netAppVNet+"/virtualNetworkPeerings/app-to-aiven'") {
		t.Errorf("message = %q", msg)
	}
	// tsdb-prod's network is peered already, by another name.
	_, err = withAux.peerings.BeginCreateOrUpdate(c, "rg-prod", "prod-vnet", "to-aiven-again", netPeeringBody(netAivenProd), nil)
	wantResponseError(t, err, http.StatusBadRequest, "PeeringAlreadyExists")

	// Updating the existing peering passes every check and stays Connected
	// on both sides; the app reads Aiven's side as its principal there.
	body := netPeeringBody(netAivenProd)
	body.Properties.AllowForwardedTraffic = to.Ptr(true)
	p, err := netPeer(c, withAux, "rg-prod", "prod-vnet", "to-aiven-tsdb-prod", body)
	if prov, state := netState(p); err != nil || prov != "Succeeded" || state != "Connected" || !*p.Properties.AllowForwardedTraffic {
		t.Fatalf("update to-aiven-tsdb-prod = %s %s, %v", prov, state, err)
	}
	aivenCred := secretCredential(t, s, sandbox.AivenTenantID, sandbox.ProdPeeringAppID, secret)
	aiven := newNetClients(t, sandbox.AivenSubscriptionID, aivenCred, armOptions(s))
	v, err := aiven.vnets.Get(c, "aiven-vpc-westeurope", "aiven-vnet-1f0e2d3c", nil)
	if err != nil {
		t.Fatalf("Aiven's network as the app's principal there: %v", err)
	}
	if ps := v.Properties.VirtualNetworkPeerings; len(ps) != 1 || *ps[0].Properties.PeeringState != armnetwork.VirtualNetworkPeeringStateConnected ||
		!strings.EqualFold(*ps[0].Properties.RemoteVirtualNetwork.ID, netProdVNet) {
		t.Errorf("Aiven's side = %+v", ps)
	}
}

// netProdVPCID is the default scenario's tsdb-prod project VPC.
const netProdVPCID = "1f0e2d3c-4b5a-4697-8877-665544332211"

// netAivenState polls an Azure connection of a project VPC until its state
// is one of until, and returns it. The deadline only guards against a hang.
func netAivenState(t testing.TB, s *sandbox.Server, project, vpcID, vnet string, until ...vpc.VpcPeeringConnectionStateType) vpc.PeeringConnectionOut {
	t.Helper()
	ac := aivenClient(t, s, s.Credentials().AivenToken)
	deadline := time.Now().Add(30 * time.Second)
	var seen vpc.VpcPeeringConnectionStateType
	for {
		out, err := ac.VpcGet(ctx(t), project, vpcID)
		if err != nil {
			t.Fatalf("VpcGet: %v", err)
		}
		for _, pc := range out.PeeringConnections {
			if pc.PeerVpc == vnet {
				seen = pc.State
				if slices.Contains(until, pc.State) {
					return pc
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("connection to %s is %q, never reached %v", vnet, seen, until)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// The runbook with a new app: its role on the user's network propagates,
// Aiven builds its side and grants the app peer/action there, and the
// app's cross-tenant peering connects both sides.
func TestARMNetCrossTenantRunbook(t *testing.T) {
	timing := sandbox.Timing{RolePropagation: sandbox.Duration(10 * time.Minute), AivenPeerLoss: sandbox.Duration(time.Hour)}
	s := startSandbox(t, sandbox.Options{Speed: 1, Timing: &timing})
	c := ctx(t)
	admin := adminCredential(t, s)
	g := graphClient(t, s, admin)
	app, err := g.CreateApplication(c, "azpeer-runbook", "AzureADMultipleOrgs", nil)
	if err != nil {
		t.Fatal(err)
	}
	appSP, err := g.CreateServicePrincipal(c, app.AppID, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, pw, err := g.AddPassword(c, app.ID, "azpeer", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	secret := pw.Reveal()
	aivenSP, err := g.FindServicePrincipalByAppID(c, sandbox.AivenDefaultAppID)
	if err != nil || aivenSP == nil {
		t.Fatalf("Aiven's service principal: %+v, %v", aivenSP, err)
	}
	_, assigns := rbacClients(t, s, admin)
	for _, principal := range []string{appSP.ID, aivenSP.ID} {
		if _, err := rbacAssign(c, assigns, netAppVNet, netNetworkContributor, principal, to.Ptr(armauthorization.PrincipalTypeServicePrincipal)); err != nil {
			t.Fatal(err)
		}
	}
	ac := aivenClient(t, s, s.Credentials().AivenToken)
	rg, tenant := "rg-app", sandbox.UserTenantID
	if _, err := ac.VpcPeeringConnectionCreate(c, "tsdb-prod", netProdVPCID, &vpc.VpcPeeringConnectionCreateIn{
		PeerCloudAccount: sandbox.UserSubscriptionID, PeerVpc: "app-vnet", PeerResourceGroup: &rg,
		PeerAzureAppId: &app.AppID, PeerAzureTenantId: &tenant,
	}); err != nil {
		t.Fatalf("Aiven connection: %v", err)
	}

	// Both new assignments are still propagating: the app may not write
	// peerings yet, and Aiven waits too.
	homeOnly := newNetClients(t, sandbox.UserSubscriptionID, secretCredential(t, s, sandbox.UserTenantID, app.AppID, secret), armOptions(s))
	_, err = homeOnly.peerings.BeginCreateOrUpdate(c, "rg-app", "app-vnet", "to-aiven", netPeeringBody(netAivenProd), nil)
	re := wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")
	if msg := errorMessage(t, re); !strings.Contains(msg, "'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write' over scope '"+netAppVNet+"/virtualNetworkPeerings/to-aiven'") ||
		!strings.Contains(msg, "If access was recently granted, please refresh your credentials.") {
		t.Errorf("message = %q", msg)
	}
	if pc := netAivenState(t, s, "tsdb-prod", netProdVPCID, "app-vnet", vpc.VpcPeeringConnectionStateTypeApproved); pc.State != vpc.VpcPeeringConnectionStateTypeApproved {
		t.Fatalf("Aiven connection = %s", pc.State)
	}

	// Ten simulated minutes later (milliseconds at this speed) Aiven has
	// built its side and says where to peer.
	s.Clock().SetSpeed(60000)
	pc := netAivenState(t, s, "tsdb-prod", netProdVPCID, "app-vnet", vpc.VpcPeeringConnectionStateTypePendingPeer)
	if pc.StateInfo["to-tenant-id"] != sandbox.AivenTenantID || !strings.EqualFold(pc.StateInfo["to-network-id"].(string), netAivenProd) {
		t.Fatalf("PENDING_PEER state_info = %v", pc.StateInfo)
	}
	// Without Aiven's tenant's token the link is refused...
	_, err = homeOnly.peerings.BeginCreateOrUpdate(c, "rg-app", "app-vnet", "to-aiven", netPeeringBody(netAivenProd), nil)
	re = wantResponseError(t, err, http.StatusForbidden, "LinkedAuthorizationFailed")
	if msg := errorMessage(t, re); !strings.Contains(msg, "is not authorized to access linked subscription '"+sandbox.AivenSubscriptionID+"'") {
		t.Errorf("message = %q", msg)
	}
	// ...and with it the peering is made once Aiven's fresh grant on its
	// network has propagated too (the runbook retries, and so does this
	// test), and it is Connected at once: Aiven's side was there first.
	both := newNetClients(t, sandbox.UserSubscriptionID,
		secretCredential(t, s, sandbox.UserTenantID, app.AppID, secret, sandbox.AivenTenantID), armOptions(s, sandbox.AivenTenantID))
	var p armnetwork.VirtualNetworkPeering
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		p, err = netPeer(c, both, "rg-app", "app-vnet", "to-aiven", netPeeringBody(pc.StateInfo["to-network-id"].(string)))
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.ErrorCode != "LinkedAuthorizationFailed" || time.Now().After(deadline) {
			break
		}
		if msg := errorMessage(t, re); !strings.Contains(msg, "does not have permission to perform action(s) 'Microsoft.Network/virtualNetworks/peer/action'") {
			t.Fatalf("while Aiven's grant propagates: %q", msg)
		}
	}
	if prov, state := netState(p); err != nil || prov != "Succeeded" || state != "Connected" {
		t.Fatalf("cross-tenant peering = %s %s, %v", prov, state, err)
	}
	netAivenState(t, s, "tsdb-prod", netProdVPCID, "app-vnet", vpc.VpcPeeringConnectionStateTypeActive)
}
