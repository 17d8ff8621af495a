package sandbox

import (
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
	s := startServer(t, Options{Speed: 1, Timing: &timing})
	appID, legacyID := VNetID(UserSubscriptionID, "rg-app", "app-vnet"), VNetID(UserSubscriptionID, "Rg-Legacy", "Legacy-VNet")
	s.with(func(world *World, now time.Time) { world.putPeering(now, world.vnet(appID), "outside", legacyID, true) })
	tok := adminTokenFor(t, s, AudienceARM, time.Hour)
	put := func() (int, string) {
		body := `{"properties":{"remoteVirtualNetwork":{"id":"` + appID + `"},"allowVirtualNetworkAccess":true}}`
		resp, e := callAzure(t, s, http.MethodPut, legacyID+"/virtualNetworkPeerings/back?api-version=2025-01-01", tok, body)
		return resp.StatusCode, e.Code + ": " + e.Message
	}
	if code, msg := put(); code != http.StatusBadRequest || !strings.HasPrefix(msg, "ReferencedResourceNotProvisioned: Cannot proceed with operation because resource "+appID+" used by resource "+legacyID+"/virtualNetworkPeerings/back") {
		t.Fatalf("while the outside write provisions: %d %s", code, msg)
	}
	s.clock.SetSpeed(1e7)
	time.Sleep(2 * time.Millisecond)
	if code, msg := put(); code != http.StatusCreated {
		t.Fatalf("after it: %d %s", code, msg)
	}
	world, unlock := s.lock()
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
