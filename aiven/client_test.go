package aiven_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	codegen "github.com/aiven/go-client-codegen"

	"github.com/azpeer/azpeer/aiven"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// start starts a sandbox and the Aiven adapter over it, as the command
// layer builds it.
func start(t *testing.T, opts sandbox.Options) (*sandbox.Server, *aiven.Client) {
	t.Helper()
	e := sandboxtest.New(t, opts)
	return e.Sandbox, e.Aiven
}

// ctx is a context that ends with the test.
var ctx = sandboxtest.Context

func TestClientReadsEveryField(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	me, err := c.Me(ctx(t))
	if err != nil || me.Email != sandbox.AivenUserEmail {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	projects, err := c.Projects(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range projects {
		names = append(names, p.Name)
		if p.OrganizationID != sandbox.AivenOrganizationID {
			t.Errorf("project %+v: organization missing", p)
		}
	}
	slices.Sort(names)
	if want := []string{"analytics", "orders", "orders-staging", "tsdb-prod", "tsdb-staging"}; !slices.Equal(names, want) {
		t.Fatalf("projects %v, want %v", names, want)
	}
	vpcs, err := c.VPCs(ctx(t), "tsdb-prod")
	if err != nil || len(vpcs) != 1 {
		t.Fatalf("VPCs = %+v, %v", vpcs, err)
	}
	v := vpcs[0]
	if v.ID != "1f0e2d3c-4b5a-4697-8877-665544332211" || v.Cloud != "azure-westeurope" || v.CIDR != "10.10.0.0/24" || v.State != "ACTIVE" || v.CreateTime.IsZero() || v.UpdateTime.IsZero() {
		t.Errorf("VPC fields: %+v", v)
	}
	full, err := c.VPC(ctx(t), peering.ProjectParent("tsdb-prod"), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Peerings) != 2 {
		t.Fatalf("tsdb-prod peerings: %d, want 2", len(full.Peerings))
	}
	active, ok := full.Find(peering.Key{PeerCloudAccount: sandbox.UserSubscriptionID, PeerResourceGroup: "rg-prod", PeerVPC: "prod-vnet"})
	if !ok {
		t.Fatal("ACTIVE peering to rg-prod/prod-vnet not found")
	}
	if active.State != peering.StateActive || active.Type != peering.TypeAzure || active.PeerAzureAppID != sandbox.ProdPeeringAppID ||
		active.PeerAzureTenantID != sandbox.UserTenantID || active.Message() == "" || active.CreateTime.IsZero() || active.UpdateTime.IsZero() {
		t.Errorf("active peering fields: %+v", active)
	}
	bad, ok := full.Find(peering.Key{PeerCloudAccount: sandbox.UserSubscriptionID, PeerResourceGroup: "rg-prod", PeerVPC: "prod-vnet-old"})
	if !ok || bad.State != peering.StateInvalidSpecification {
		t.Errorf("INVALID_SPECIFICATION peering: %+v (found %v)", bad, ok)
	}

	an, err := c.VPCs(ctx(t), "analytics")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range an {
		full, err := c.VPC(ctx(t), peering.ProjectParent("analytics"), v.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, pc := range full.Peerings {
			if pc.Type == peering.TypeAWS && (pc.PeerRegion == "" || pc.State != peering.StateActive || pc.PeerResourceGroup != "") {
				t.Errorf("AWS peering fields: %+v", pc)
			}
			if pc.Type == peering.TypeAzure && pc.State != peering.StateRejectedByPeer {
				t.Errorf("analytics Azure peering state %s, want REJECTED_BY_PEER", pc.State)
			}
		}
	}
}

func TestClientErrors(t *testing.T) {
	s, c := start(t, sandbox.Options{})
	_, err := c.VPCs(ctx(t), "no-such-project")
	if !aiven.IsNotFound(err) {
		t.Errorf("unknown project: IsNotFound false for %v", err)
	}
	var ce *peering.CloudError
	if !errors.As(err, &ce) || ce.StatusCode != 404 || ce.Service != "aiven" {
		t.Errorf("unknown project: CloudError %+v", ce)
	}
	var ae codegen.Error
	if !errors.As(err, &ae) {
		t.Error("codegen.Error is not in the chain")
	}
	if _, err := c.VPC(ctx(t), peering.ProjectParent("tsdb-prod"), "00000000-0000-4000-8000-000000000000"); !aiven.IsNotFound(err) {
		t.Errorf("unknown VPC: %v", err)
	}
	bad, err := aiven.New(aiven.Config{URL: s.URL(), Token: "not-a-token", HTTPClient: s.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Me(ctx(t))
	if code := peering.StatusCode(err); code != 401 && code != 403 {
		t.Errorf("bad token: status %d (%v)", code, err)
	}
	if _, err := aiven.New(aiven.Config{URL: "api.aiven.io", Token: "x"}); err == nil {
		t.Error("a URL without scheme was accepted")
	}
	if _, err := aiven.New(aiven.Config{URL: s.URL()}); err == nil {
		t.Error("an empty token was accepted")
	}
}

func TestClientCreateRefreshDelete(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	const staging = "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b"
	key := peering.Key{PeerCloudAccount: sandbox.UserSubscriptionID, PeerResourceGroup: "rg-app", PeerVPC: "app-vnet"}
	created, err := c.CreateAzurePeering(ctx(t), peering.ProjectParent("tsdb-staging"), staging, peering.AzurePeeringRequest{
		SubscriptionID: key.PeerCloudAccount, ResourceGroup: key.PeerResourceGroup, VNetName: key.PeerVPC,
		AppID: sandbox.ProdPeeringAppID, TenantID: sandbox.UserTenantID,
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.State != peering.StateApproved || created.Key() != key || created.PeerAzureAppID != sandbox.ProdPeeringAppID {
		t.Errorf("create answered %+v, want APPROVED for %v", created, key)
	}
	if err := c.Refresh(ctx(t), peering.ProjectParent("tsdb-staging"), staging); err != nil {
		t.Fatal(err)
	}
	v, err := c.VPC(ctx(t), peering.ProjectParent("tsdb-staging"), staging)
	if err != nil {
		t.Fatal(err)
	}
	pc, ok := v.Find(key)
	if !ok {
		t.Fatal("created peering not found")
	}
	// Aiven's service principal has no grant on app-vnet in the default
	// scenario, so the refresh evaluates it to REJECTED_BY_PEER.
	if pc.State != peering.StateRejectedByPeer {
		t.Errorf("state %s, want REJECTED_BY_PEER", pc.State)
	}
	if err := c.DeletePeering(ctx(t), peering.ProjectParent("tsdb-staging"), staging, key.Connection()); err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(ctx(t), peering.ProjectParent("no-such-project"), staging); !aiven.IsNotFound(err) {
		t.Errorf("refresh of unknown project: %v", err)
	}
}

// A throttled call that runs out of retries says how long the server
// asked to wait, so callers (the dashboard's polling) can honour it.
func TestClientThrottledCarriesRetryAfter(t *testing.T) {
	s, _ := start(t, sandbox.Options{})
	s.SetFaults(sandbox.APIAiven, sandbox.FaultConfig{Rate429: 1, RetryAfter: 3 * time.Second})
	c, err := aiven.New(aiven.Config{URL: s.URL(), Token: s.Credentials().AivenToken, HTTPClient: s.HTTPClient(),
		RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Projects(ctx(t))
	var ce *peering.CloudError
	if !errors.As(err, &ce) || ce.StatusCode != 429 || ce.RetryAfter != 3*time.Second {
		t.Fatalf("want a 429 CloudError with RetryAfter 3s, got %+v (%v)", ce, err)
	}
}
