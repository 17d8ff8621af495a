package azure_test

import (
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// networkContributor is the built-in role's id as the user's subscription names it.
var networkContributor = "/subscriptions/" + sandbox.UserSubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + sandbox.NetworkContributorRoleGUID

// prodAppSecret adds a secret to the scenario's tsdb-prod peering app
// (whose earlier secret is not known) and returns it with the app's
// service principal in the user's tenant.
func prodAppSecret(t *testing.T, d *azure.Directory) (peering.Secret, string) {
	t.Helper()
	c := ctx(t)
	_, secret, err := d.AddPassword(c, sandbox.ProdPeeringAppObject, "azpeer test", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := d.ServicePrincipalByAppID(c, sandbox.ProdPeeringAppID)
	if err != nil || sp == nil {
		t.Fatalf("ServicePrincipalByAppID(tsdb-prod-peering) = %+v, %v", sp, err)
	}
	return secret, sp.ObjectID
}

// The app's cross-tenant peering PUT succeeds only with its role on the
// user's VNet, its grant on Aiven's VNet, and a token from Aiven's tenant.
func TestAppSignInCrossTenantPeering(t *testing.T) {
	e := admin(t)
	d, a, signIn := e.Directory, e.Access, e.SignIn
	c := ctx(t)
	secret, spID := prodAppSecret(t, d)

	net, err := signIn(c, sandbox.UserTenantID, sandbox.ProdPeeringAppID, secret, sandbox.AivenTenantID)
	if err != nil {
		t.Fatal(err)
	}
	// No role on app-vnet yet.
	_, err = net.CreatePeering(c, sandboxtest.AppVNetID, "app-to-aiven", sandboxtest.AivenProdVNetID)
	ce := checkCloudError(t, err, "arm", 403, "AuthorizationFailed")
	if !strings.Contains(ce.Message, "virtualNetworkPeerings/write") {
		t.Errorf("AuthorizationFailed message %q does not name the action", ce.Message)
	}

	if _, err := a.CreateRoleAssignment(c, sandboxtest.AppVNetID, "", networkContributor, spID); err != nil {
		t.Fatal(err)
	}
	p, err := net.CreatePeering(c, sandboxtest.AppVNetID, "app-to-aiven", sandboxtest.AivenProdVNetID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "app-to-aiven" || !strings.EqualFold(p.RemoteVNetID, sandboxtest.AivenProdVNetID) || p.ProvisioningState != "Succeeded" ||
		!p.AllowVirtualNetworkAccess || p.PeeringState != peering.AzureInitiated {
		t.Errorf("cross-tenant peering = %+v", p)
	}
	// The admin sees it too.
	if got, err := e.Network.Peering(c, sandboxtest.AppVNetID, "app-to-aiven"); err != nil || got == nil {
		t.Errorf("admin's view of the new peering = %+v, %v", got, err)
	}

	// Aiven granted the app nothing on analytics' VNet.
	_, err = net.CreatePeering(c, sandboxtest.AppVNetID, "app-to-analytics", sandboxtest.AivenAnalyticsVNetID)
	checkCloudError(t, err, "arm", 403, "LinkedAuthorizationFailed")

	// Without Aiven's tenant's token, Aiven's VNet cannot be linked.
	homeOnly, err := signIn(c, sandbox.UserTenantID, sandbox.ProdPeeringAppID, secret, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = homeOnly.CreatePeering(c, sandboxtest.AppVNetID, "app-to-aiven-2", sandboxtest.AivenProdVNetID)
	checkCloudError(t, err, "arm", 403, "LinkedAuthorizationFailed")

	if err := net.DeletePeering(c, sandboxtest.AppVNetID, "app-to-aiven"); err != nil {
		t.Fatal(err)
	}
}

// A new app has no service principal in Aiven's tenant: signing in there
// fails with AADSTS700016; in its home tenant alone it works. Without a
// directory role it cannot create apps.
func TestAppSignInNoServicePrincipalInAivenTenant(t *testing.T) {
	e := admin(t)
	d := e.Directory
	c := ctx(t)

	app, err := d.CreateApplication(c, "azpeer-new-app", peering.Mark{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateServicePrincipal(c, app.AppID, peering.Mark{}); err != nil {
		t.Fatal(err)
	}
	_, secret, err := d.AddPassword(c, app.ObjectID, "azpeer", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	signIn := e.SignIn
	_, err = signIn(c, sandbox.UserTenantID, app.AppID, secret, sandbox.AivenTenantID)
	checkCloudError(t, err, "entra", 400, "AADSTS700016")
	checkNoSecret(t, err, secret.Reveal())
	if _, err := signIn(c, sandbox.UserTenantID, app.AppID, secret, ""); err != nil {
		t.Errorf("home-tenant sign-in: %v", err)
	}

	// The same app through the environment, on Graph: no directory role.
	appDir := sandboxtest.Connect(t, e.Sandbox, sandboxtest.Options{ClientID: app.AppID, Secret: secret.Reveal()}).Directory
	_, err = appDir.CreateApplication(c, "not allowed", peering.Mark{})
	checkCloudError(t, err, "graph", 403, "Authorization_RequestDenied")
}

func TestAppSignInWrongSecret(t *testing.T) {
	const wrong = "Xq7~wrong.secret-0123456789abcdefghijklmn"
	_, err := admin(t).SignIn(ctx(t), sandbox.UserTenantID, sandbox.ProdPeeringAppID, peering.NewSecret(wrong), sandbox.AivenTenantID)
	ce := checkCloudError(t, err, "entra", 401, "AADSTS7000215")
	checkNoSecret(t, err, wrong)
	if ce.Message != "Invalid client secret provided." {
		t.Errorf("message = %q", ce.Message)
	}
}

// A secret younger than Entra's replication is refused with AADSTS7000215,
// which the runbook retries.
func TestAppSignInFreshSecret(t *testing.T) {
	e := sandboxtest.New(t, sandbox.Options{Speed: 1, Timing: &sandbox.Timing{SecretReplication: sandbox.Duration(time.Hour)}})
	d := e.Directory
	secret, _ := prodAppSecret(t, d)
	_, err := e.SignIn(ctx(t), sandbox.UserTenantID, sandbox.ProdPeeringAppID, secret, sandbox.AivenTenantID)
	checkCloudError(t, err, "entra", 401, "AADSTS7000215")
	if peering.ErrorCode(err) != "AADSTS7000215" {
		t.Errorf("ErrorCode = %q", peering.ErrorCode(err))
	}
}

func TestAppSignInArguments(t *testing.T) {
	signIn := azure.NewAppSignIn(azure.Endpoints{AuthorityHost: "https://login.microsoftonline.com/", ARM: "https://management.azure.com", Graph: "https://graph.microsoft.com"})
	for _, tt := range []struct{ tenant, app, secret string }{
		{"", sandbox.ProdPeeringAppID, "s"}, {sandbox.UserTenantID, "", "s"}, {sandbox.UserTenantID, sandbox.ProdPeeringAppID, ""},
	} {
		if _, err := signIn(ctx(t), tt.tenant, tt.app, peering.NewSecret(tt.secret), ""); err == nil {
			t.Errorf("signIn(%q, %q, secret %q) succeeded", tt.tenant, tt.app, tt.secret)
		}
	}
}
