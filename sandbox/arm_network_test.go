package sandbox_test

// Resource Manager through the real armsubscriptions and armnetwork/v7
// clients: subscriptions and tenants, virtual networks with their listing
// and paging, read errors, lists filtered by role, and the raw protocol.
// Peerings are tested in arm_peerings_test.go and arm_linked_access_test.go.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

func TestARMNetVirtualNetworks(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{ARMPageSize: 2})
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
	if err != nil || len(page.Value) != 1 || *page.Value[0].ID != sandboxtest.ProdVNetID || page.NextLink != nil {
		t.Fatalf("List rg-prod = %+v, %v", page.Value, err)
	}
	prod := page.Value[0]
	if got := prod.Properties.AddressSpace.AddressPrefixes; len(got) != 1 || *got[0] != "10.1.0.0/16" {
		t.Errorf("prod-vnet address space = %v", to.SliceOfPtrs(got))
	}
	// prod-vnet is peered with tsdb-prod's VPC and with the organization VPC.
	if ps := prod.Properties.VirtualNetworkPeerings; len(ps) != 2 || *ps[1].Name != "to-aiven-tsdb-prod" ||
		*ps[1].Properties.PeeringState != armnetwork.VirtualNetworkPeeringStateConnected ||
		*ps[1].Properties.RemoteVirtualNetwork.ID != sandboxtest.AivenProdVNetID ||
		*ps[1].Properties.RemoteAddressSpace.AddressPrefixes[0] != "10.10.0.0/24" {
		t.Errorf("prod-vnet peerings = %+v", ps)
	}

	// Names are found in any case; answers keep the canonical case.
	got, err := n.vnets.Get(c, "rg-legacy", "legacy-vnet", nil)
	if err != nil || *got.ID != sandboxtest.LegacyVNetID || *got.Name != "Legacy-VNet" {
		t.Errorf("Get legacy-vnet = %+v, %v", got.VirtualNetwork, err)
	}
	ps, err := n.peerings.Get(c, "RG-prod", "PROD-vnet", "TO-AIVEN-TSDB-PROD", nil)
	if err != nil || *ps.Name != "to-aiven-tsdb-prod" || *ps.Type != "Microsoft.Network/virtualNetworks/virtualNetworkPeerings" ||
		*ps.Properties.PeeringSyncLevel != armnetwork.VirtualNetworkPeeringLevelFullyInSync || !*ps.Properties.AllowVirtualNetworkAccess {
		t.Errorf("Get peering = %+v, %v", ps.VirtualNetworkPeering, err)
	}
}

func TestARMNetReadErrors(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
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
			404, "NotFound", "Resource " + sandboxtest.ProdVNetID + "/virtualNetworkPeerings/nope not found."},
		{"peerings of a missing network", func(c context.Context) error {
			_, err := n.peerings.NewListPager("rg-prod", "nope", nil).NextPage(c)
			return err
		}, 404, "ResourceNotFound", "'Microsoft.Network/virtualNetworks/nope'"},
		{"no role", func(c context.Context) error { _, err := nobody.vnets.Get(c, "rg-prod", "prod-vnet", nil); return err },
			403, "AuthorizationFailed", "The client '" + p.ObjectID + "' with object id '" + p.ObjectID + "' does not have authorization to perform action 'Microsoft.Network/virtualNetworks/read' over scope '" + sandboxtest.ProdVNetID + "' or the scope is invalid. If access was recently granted, please refresh your credentials."},
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
	s := sandboxtest.Start(t, sandbox.Options{})
	c := ctx(t)
	p, err := s.AddPrincipal(sandbox.PrincipalSpec{DisplayName: "prod-reader"})
	if err != nil {
		t.Fatal(err)
	}
	_, assigns := rbacClients(t, s, adminCredential(t, s))
	rbacGrant(t, assigns, sandboxtest.ProdVNetID, rbacRoleID(rbacReaderGUID), p.ObjectID)
	n := newNetClients(t, sandbox.UserSubscriptionID, secretCredential(t, s, p.TenantID, p.AppID, p.Secret), armOptions(s))
	page, err := n.vnets.NewListAllPager(nil).NextPage(c)
	if err != nil || len(page.Value) != 1 || *page.Value[0].ID != sandboxtest.ProdVNetID {
		t.Fatalf("ListAll as a reader of prod-vnet = %+v, %v", page.Value, err)
	}
	_, err = n.vnets.Get(c, "rg-app", "app-vnet", nil)
	wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")
	_, err = n.vnets.NewListPager("rg-app", nil).NextPage(c)
	wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")
}

func TestARMNetRawProtocol(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := adminToken(t, s, "https://management.core.windows.net//.default")
	vnetPath := "/subscriptions/" + sandbox.UserSubscriptionID + "/resourceGroups/rg-prod/providers/Microsoft.Network/virtualNetworks/prod-vnet"
	tests := []struct {
		name, token, path string
		status            int
		code              string
	}{
		{"no api-version", token, vnetPath, 400, "MissingApiVersionParameter"},
		{"unknown api-version", token, vnetPath + "?api-version=2099-01-01", 400, "NoRegisteredProviderFound"},
		{"registered, not in the specs", token, vnetPath + "?api-version=2016-07-01", 400, "NoRegisteredProviderFound"},
		{"unknown api-version of a subscription list", token, "/subscriptions/" + sandbox.UserSubscriptionID + "/providers/Microsoft.Network/virtualNetworks?api-version=2099-01-01", 404, "InvalidResourceType"},
		{"CLI api-version", token, vnetPath + "?api-version=2022-01-01", 200, ""},
		{"the newest stable api-version", token, vnetPath + "?api-version=2026-03-01", 200, ""},
		{"the first, a preview", token, vnetPath + "?api-version=2015-05-01-preview", 200, ""},
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

func TestARMNetSubscriptionsAndTenants(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
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
	rbacGrant(t, assigns, sandboxtest.ProdVNetID, rbacRoleID(rbacReaderGUID), p.ObjectID)
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

// Resource Manager's texts for an api-version a type does not have, by
// where the request points: a resource group's location, none, or one of
// the types Resource Manager serves itself.
func TestARMNetAPIVersionTexts(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := adminToken(t, s, armScope)
	sub := "/subscriptions/" + sandbox.UserSubscriptionID
	for _, tc := range []struct {
		variant, path string
		status        int
		code, prefix  string
	}{
		{"", sub + "/resourceGroups/rg-prod/providers/Microsoft.Network/virtualNetworks/prod-vnet/virtualNetworkPeerings?api-version=2015-06-15", 400, "NoRegisteredProviderFound",
			"No registered resource provider found for location 'westeurope' and API version '2015-06-15' for type 'virtualNetworks/virtualNetworkPeerings'. The supported api-versions are '2016-06-01, 2016-09-01, "},
		{"", sub + "/providers/Microsoft.Network/virtualNetworks?api-version=2016-07-01", 404, "InvalidResourceType",
			"The resource type 'virtualNetworks' could not be found in the namespace 'Microsoft.Network' for api version '2016-07-01'. The supported api-versions are '2015-05-01-preview,2015-06-15,2016-03-30,2016-06-01,"},
		{"", "/subscriptions?api-version=2014-04-01", 400, "InvalidApiVersionParameter",
			"The api-version '2014-04-01' is invalid. The supported versions are '2022-12-01,2021-01-01,2020-01-01,2019-11-01,2019-06-01,2018-06-01,2016-06-01,2015-11-01'."},
		{"registered", "/subscriptions?api-version=2014-04-01", 200, "", ""},
		{"registered", sub + "/providers/Microsoft.Network/virtualNetworks?api-version=2016-07-01", 200, "", ""},
	} {
		t.Run(tc.variant+" "+tc.path, func(t *testing.T) {
			if err := s.SetVariants(map[string]string{sandbox.VariantAzureAPIVersions: cmp.Or(tc.variant, "specs")}); err != nil {
				t.Fatal(err)
			}
			resp, body, _ := netRaw(t, s, token, http.MethodGet, tc.path, "")
			e, _ := body["error"].(map[string]any)
			msg, _ := e["message"].(string)
			if resp.StatusCode != tc.status || errorCode(body) != tc.code || !strings.HasPrefix(msg, tc.prefix) {
				t.Errorf("%d %s %q, want %d %s %q...", resp.StatusCode, errorCode(body), msg, tc.status, tc.code, tc.prefix)
			}
		})
	}
}

// Every path Resource Manager's host has no route for is answered in its
// JSON error shape, and leading slashes count as one.
func TestARMNetUnknownPaths(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := adminToken(t, s, armScope)
	sub := "/subscriptions/" + sandbox.UserSubscriptionID
	for _, tc := range []struct {
		variant, token, path, host string
		status                     int
		code, message              string
	}{
		{"", token, "//" + strings.TrimPrefix(sub, "/") + "/resourceGroups/rg-prod/providers/Microsoft.Network/virtualNetworks/prod-vnet?api-version=2025-01-01", "", 200, "", ""},
		{"", token, "//" + strings.TrimPrefix(sub, "/") + "/resourceGroups/rg-prod/providers/Microsoft.Network/virtualNetworks/prod-vnet?api-version=2025-01-01", "management.azure.com", 200, "", ""},
		{"", token, sub + "/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01", "", 404, "InvalidResourceNamespace",
			"The resource namespace 'Microsoft.Compute' is invalid."},
		{"", token, sub + "/resourceGroups/rg-prod/providers/microsoft.network/virtualNetworks/prod-vnet/subnets?api-version=2025-01-01", "", 404, "InvalidResourceType",
			"The resource type 'virtualNetworks/subnets' could not be found in the namespace 'Microsoft.Network' for api version '2025-01-01'."},
		{"", "", "/foo", "management.azure.com", 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."},
		{"", "", "/foo?api-version=2025-01-01", "management.azure.com", 401, "AuthenticationFailed", ""},
		{"", token, "/foo?api-version=2025-01-01", "management.azure.com", 404, "InvalidResourceType",
			"The resource type could not be found in the namespace '' for api version '2025-01-01'."},
		{"", token, sub + "/resourceGroups/rg-prod?api-version=2021-04-01", "", 404, "InvalidResourceType", ""},
		{"no-http-resource", token, "/foo?api-version=2025-01-01", "management.azure.com", 404, "",
			"No HTTP resource was found that matches the request URI 'https://management.azure.com/foo?api-version=2025-01-01'."},
	} {
		t.Run(tc.variant+" "+tc.host+tc.path, func(t *testing.T) {
			if err := s.SetVariants(map[string]string{sandbox.VariantAzureUnknownPath: cmp.Or(tc.variant, "invalid-resource-type")}); err != nil {
				t.Fatal(err)
			}
			resp, body, _ := netRaw(t, s, tc.token, http.MethodGet, tc.path, tc.host)
			e, _ := body["error"].(map[string]any)
			msg, _ := e["message"].(string)
			if m, ok := body["Message"].(string); ok {
				msg = m
			}
			if resp.StatusCode != tc.status || errorCode(body) != tc.code || (tc.message != "" && msg != tc.message) {
				t.Errorf("%d %s %q, want %d %s %q", resp.StatusCode, errorCode(body), msg, tc.status, tc.code, tc.message)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer the server's logger may write from its
// goroutines while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The request log names the route template an ARM request matched (the
// hook a request counter can use), "" for a path no route has.
func TestARMNetRouteTemplateLogged(t *testing.T) {
	var logs lockedBuffer
	s := sandboxtest.Start(t, sandbox.Options{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	token := adminToken(t, s, armScope)
	netRaw(t, s, token, http.MethodGet, "/subscriptions/"+sandbox.UserSubscriptionID+"/resourceGroups/rg-prod/providers/Microsoft.Network/virtualNetworks/prod-vnet?api-version=2025-01-01", "")
	netRaw(t, s, token, http.MethodGet, "/subscriptions/"+sandbox.UserSubscriptionID+"/providers/Microsoft.Compute/virtualMachines?api-version=2025-01-01", "")
	var routes []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct {
			API, Path, Route string
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.API == "arm" {
			routes = append(routes, rec.Route)
		}
	}
	want := []string{"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}", ""}
	if !slices.Equal(routes, want) {
		t.Errorf("logged routes %q, want %q", routes, want)
	}
}
