package sandbox_test

// Aiven's error bodies: the answers public issues quote come verbatim and
// without error_code; the sandbox's own keep one. (403 "Not a project
// member" is checked in TestAivenScenarioFile, whose world has a project
// the user is not a member of.)

import (
	"encoding/json"
	"net/http"
	"testing"

	aiven "github.com/aiven/go-client-codegen"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// aivenBody is an Aiven error body with error_code told absent from empty.
type aivenBody struct {
	Message string           `json:"message"`
	Errors  []map[string]any `json:"errors"`
}

func decodeAivenBody(t *testing.T, body []byte) aivenBody {
	t.Helper()
	var b aivenBody
	if err := json.Unmarshal(body, &b); err != nil || len(b.Errors) != 1 {
		t.Fatalf("body %s is not Aiven's error shape: %v", body, err)
	}
	return b
}

// wantAivenBody checks status, message (top level and in errors[0], with
// its status) and whether errors[0] has an error_code.
func wantAivenBody(t *testing.T, status int, body []byte, wantStatus int, wantMsg string, withCode bool) {
	t.Helper()
	b := decodeAivenBody(t, body)
	e := b.Errors[0]
	_, hasCode := e["error_code"]
	if status != wantStatus || b.Message != wantMsg || e["message"] != wantMsg || e["status"] != float64(wantStatus) || hasCode != withCode {
		t.Fatalf("got %d %s; want %d %q with error_code %v", status, body, wantStatus, wantMsg, withCode)
	}
}

func TestAivenErrorBodies(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{Scenario: "default"})
	auth := "aivenv1 " + s.Credentials().AivenToken
	t.Run("404 Project does not exist (terraform-provider-aiven#477)", func(t *testing.T) {
		status, body := rawAiven(t, s, http.MethodGet, "/v1/project/no-such-project/vpcs", auth)
		wantAivenBody(t, status, body, 404, "Project does not exist", false)
	})
	t.Run("5xx An error occurred (terraform-provider-aiven#236)", func(t *testing.T) {
		if !s.SetProjectFault("tsdb-staging", http.StatusBadGateway) {
			t.Fatal("SetProjectFault")
		}
		defer s.SetProjectFault("tsdb-staging", 0)
		status, body := rawAiven(t, s, http.MethodGet, "/v1/project/tsdb-staging/vpcs", auth)
		wantAivenBody(t, status, body, 502, "An error occurred. Please try again later.", false)
	})
	t.Run("429 rate limit (terraform-provider-aiven#575)", func(t *testing.T) {
		s.SetFaults(sandbox.APIAiven, sandbox.FaultConfig{Rate429: 1, RetryAfter: 3e9})
		defer s.SetFaults(sandbox.APIAiven, sandbox.FaultConfig{})
		resp, body := send(t, s, rawRequest{method: http.MethodGet, path: "/v1/me", auth: auth})
		wantAivenBody(t, resp.StatusCode, body, 429,
			"The user has sent too many requests in a given amount of time: Rate limit 120 exceeded - try again in 3s", false)
		if resp.Header.Get("Retry-After") != "3" {
			t.Errorf("Retry-After = %q", resp.Header.Get("Retry-After"))
		}
	})
	t.Run("the sandbox's own texts keep an error_code", func(t *testing.T) {
		status, body := rawAiven(t, s, http.MethodGet, "/v1/project/tsdb-prod/vpcs/"+stagingVPCID, auth)
		wantAivenBody(t, status, body, 404, "Project VPC does not exist", true)
	})
}

// TestAivenInvalidTokenVariant: a wrong or revoked token is answered 403
// "Invalid token" (the sandbox's own), or as Aiven answers an expired one
// (terraform-provider-aiven#647).
func TestAivenInvalidTokenVariant(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	status, body := rawAiven(t, s, http.MethodGet, "/v1/me", "aivenv1 not-a-token")
	wantAivenBody(t, status, body, 403, "Invalid token", true)

	if err := s.SetVariants(map[string]string{sandbox.VariantAivenInvalidToken: "expired-token-401"}); err != nil {
		t.Fatal(err)
	}
	status, body = rawAiven(t, s, http.MethodGet, "/v1/me", "aivenv1 not-a-token")
	wantAivenBody(t, status, body, 401, "Missing (expired) db token", false)
	// A revoked token too, through codegen.
	token := s.Credentials().AivenToken
	c := aivenClient(t, s, token)
	if !s.RevokeAivenToken(token) {
		t.Fatal("RevokeAivenToken")
	}
	_, err := c.UserInfo(ctx(t))
	if e := aivenErr(t, err); e.Status != http.StatusUnauthorized || e.Message != "Missing (expired) db token" || aiven.IsNotFound(err) {
		t.Fatalf("revoked token: %v", err)
	}
}

// TestAivenDeleteAzureWithoutResourceGroup: deleting an Azure VPC's
// connection by the path without the resource group is refused 400 with
// the text of terraform-provider-aiven#303, the VPC's cloud in it, whether
// or not such a connection exists; the connection is left alone.
func TestAivenDeleteAzureWithoutResourceGroup(t *testing.T) {
	s, c := aivenAdmin(t)
	const want = "peer_resource_group must be a valid Azure Resource Group name for cloud azure-westeurope. Got None instead"
	for _, vnet := range []string{"prod-vnet", "no-such-vnet"} {
		_, err := c.VpcPeeringConnectionDelete(ctx(t), "tsdb-prod", prodVPCID, sandbox.UserSubscriptionID, vnet)
		if e := aivenErr(t, err); e.Status != http.StatusBadRequest || e.Message != want {
			t.Fatalf("delete %s without its resource group = %v, want 400 %q", vnet, err, want)
		}
	}
	_, err := c.VpcPeeringConnectionWithRegionDelete(ctx(t), "analytics", analyticsAzVPC, sandbox.UserSubscriptionID, "app-vnet", "eastus")
	if e := aivenErr(t, err); e.Status != http.StatusBadRequest ||
		e.Message != "peer_resource_group must be a valid Azure Resource Group name for cloud azure-eastus. Got None instead" {
		t.Fatalf("delete with a region on an Azure VPC = %v, want 400 naming azure-eastus", err)
	}
	status, body := rawAiven(t, s, http.MethodDelete,
		"/v1/project/tsdb-prod/vpcs/"+prodVPCID+"/peering-connections/peer-accounts/"+sandbox.UserSubscriptionID+"/peer-vpcs/prod-vnet",
		"aivenv1 "+s.Credentials().AivenToken)
	wantAivenBody(t, status, body, 400, want, false)
	if pc := getPeering(t, c, "tsdb-prod", prodVPCID, azureKey("rg-prod", "prod-vnet")); pc == nil || pc.State != "ACTIVE" {
		t.Fatalf("after the refused deletes: %+v, want the connection still ACTIVE", pc)
	}
	// Other clouds delete by that path (TestAivenAWSLifecycle).
}
