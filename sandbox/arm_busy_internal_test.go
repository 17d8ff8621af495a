package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A peering written from outside the emulated API (as Aiven's backend
// writes its side) keeps its networks busy for PeeringProvisioning: a PUT
// referencing one of them meanwhile is ReferencedResourceNotProvisioned;
// afterwards it goes through, and nothing of the write is left in
// Operations.
func TestOutsideWriteKeepsNetworksBusy(t *testing.T) {
	timing := DefaultTiming()
	timing.PeeringProvisioning = Duration(time.Hour)
	s, err := New(Options{Speed: 1, Timing: &timing})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	appID, legacyID := VNetID(UserSubscriptionID, "rg-app", "app-vnet"), VNetID(UserSubscriptionID, "Rg-Legacy", "Legacy-VNet")
	world, unlock := s.lock()
	world.putPeering(s.clock.Now(), world.vnet(appID), "outside", legacyID, true)
	sp := world.ServicePrincipals[AdminSPObjectID]
	unlock()
	tok, err := s.issueToken(UserTenantID, sp, AudienceARM, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	put := func() (int, string) {
		body := `{"properties":{"remoteVirtualNetwork":{"id":"` + appID + `"},"allowVirtualNetworkAccess":true}}`
		req, _ := http.NewRequest(http.MethodPut, s.URL()+legacyID+"/virtualNetworkPeerings/back?api-version=2025-01-01", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Error struct{ Code, Message string }
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.Error.Code + ": " + out.Error.Message
	}
	if code, msg := put(); code != http.StatusBadRequest || !strings.HasPrefix(msg, "ReferencedResourceNotProvisioned: Cannot proceed with operation because resource "+appID+" used by resource "+legacyID+"/virtualNetworkPeerings/back") {
		t.Fatalf("while the outside write provisions: %d %s", code, msg)
	}
	s.clock.SetSpeed(1e7)
	time.Sleep(2 * time.Millisecond)
	if code, msg := put(); code != http.StatusCreated {
		t.Fatalf("after it: %d %s", code, msg)
	}
	world, unlock = s.lock()
	defer unlock()
	for _, op := range world.Operations {
		if op.Kind == opBackground {
			t.Errorf("the outside write's operation is still kept: %+v", op)
		}
	}
	if p := world.vnet(appID).Peerings["outside"]; p == nil || p.ProvisioningState != "Succeeded" || p.PeeringState != "Connected" {
		t.Errorf("the outside peering: %+v", p)
	}
}
