package sandbox

// State-machine tests that reach into the world for the Azure side (role
// assignments, the user's peering) so they do not depend on the ARM
// handlers; the Aiven side is driven through the official client.
// aiven_test.go repeats the full path with the Azure SDKs only.

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	aiven "github.com/aiven/go-client-codegen"
	"github.com/aiven/go-client-codegen/handler/vpc"
)

const (
	stateTestStagingVPC = "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b"
	stateTestProdVPC    = "1f0e2d3c-4b5a-4697-8877-665544332211"
)

func stateTestServer(t *testing.T, speed float64, timing Timing) (*Server, aiven.Client) {
	t.Helper()
	s := startServer(t, Options{Speed: speed, Timing: &timing})
	c, err := aiven.NewClient(aiven.TokenOpt(s.Credentials().AivenToken), aiven.HostOpt(s.URL()), aiven.DoerOpt(s.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// dropOrgConnections deletes every organization VPC connection at once, as
// the state machine would after a DELETE.
func dropOrgConnections(world *World, now time.Time) {
	for _, o := range world.Aiven.Organizations {
		for _, v := range o.VPCs {
			for _, pc := range v.Peerings {
				world.removeAivenPeering(world.vnet(v.AzureVNetID), pc)
				world.setPeeringState(now, pc, StateDeleted, nil)
				world.releaseAivenGrants(world.platformOf(nil), v, pc)
			}
			v.Peerings = nil
		}
	}
}

// with runs f on the world, locked and advanced, like a request would.
func (s *Server) with(f func(world *World, now time.Time)) {
	world, unlock := s.lock()
	defer unlock()
	f(world, s.clock.Now())
}

// pollState polls a connection until its state is one of until; it returns
// the distinct states seen, starting with from, and the last connection
// (nil once it is gone).
func pollState(t *testing.T, c aiven.Client, project, vpcID, rg, vnet, from string, until ...string) ([]string, *vpc.PeeringConnectionOut) {
	t.Helper()
	seen := []string{from}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := c.VpcGet(context.Background(), project, vpcID)
		if err != nil {
			t.Fatalf("VpcGet: %v", err)
		}
		state, pc := "(gone)", (*vpc.PeeringConnectionOut)(nil)
		for i := range out.PeeringConnections {
			if p := &out.PeeringConnections[i]; p.PeerResourceGroup == rg && p.PeerVpc == vnet {
				state, pc = string(p.State), p
			}
		}
		if seen[len(seen)-1] != state {
			seen = append(seen, state)
		}
		if slices.Contains(until, state) {
			return seen, pc
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/%s: states %v, never reached %v", rg, vnet, seen, until)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func wantStates(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
}

// The tests follow tsdb-staging's connection to the user's rg-app/app-vnet,
// made with the user's tsdb-prod peering app.

// grantStagingToApp gives Aiven's principal in the user's tenant the role
// (by id) on app-vnet, from at on, and returns app-vnet and tsdb-staging's
// network in Aiven's tenant.
func grantStagingToApp(world *World, at time.Time, roleID string) (appVNet, aivenVNet *VNet) {
	appVNet = world.vnetByNames(UserSubscriptionID, "rg-app", "app-vnet")
	aivenVNet = world.vnet(world.project("tsdb-staging").vpc(stateTestStagingVPC).AzureVNetID)
	sp := world.spByAppID(UserTenantID, AivenDefaultAppID)
	world.createRoleAssignment(at, UserTenantID, appVNet.ID, "", roleID, sp.ID, "ServicePrincipal", AdminSPObjectID)
	return appVNet, aivenVNet
}

// createStagingToApp asks Aiven for the connection.
func createStagingToApp(t *testing.T, c aiven.Client) *vpc.VpcPeeringConnectionCreateOut {
	t.Helper()
	in := &vpc.VpcPeeringConnectionCreateIn{PeerCloudAccount: UserSubscriptionID, PeerVpc: "app-vnet",
		PeerResourceGroup: ptrTo("rg-app"), PeerAzureAppId: ptrTo(ProdPeeringAppID), PeerAzureTenantId: ptrTo(UserTenantID)}
	out, err := c.VpcPeeringConnectionCreate(context.Background(), "tsdb-staging", stateTestStagingVPC, in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pollStagingToApp is pollState for the connection.
func pollStagingToApp(t *testing.T, c aiven.Client, from string, until ...string) ([]string, *vpc.PeeringConnectionOut) {
	t.Helper()
	return pollState(t, c, "tsdb-staging", stateTestStagingVPC, "rg-app", "app-vnet", from, until...)
}

// TestAivenStateMachineAzure walks tsdb-staging ↔ rg-app/app-vnet through
// every Azure path: a propagating grant, the Aiven side, a user side without
// network access, activation, loss of the user's side, and then the deletion
// of both connections of the app with the clean-up of what Aiven made.
func TestAivenStateMachineAzure(t *testing.T) {
	// Only role propagation takes time; the test makes it pass by speeding
	// the clock up, never by waiting for it.
	s, c := stateTestServer(t, 1, Timing{RolePropagation: Duration(time.Hour)})
	ctx := context.Background()
	var appVNet, stagingAivenVNet, prodAivenVNet *VNet
	s.with(func(world *World, now time.Time) {
		// The test follows the grants of the app's project connections
		// alone: the organization VPC's, made with the same app, go first.
		dropOrgConnections(world, now)
		appVNet, stagingAivenVNet = grantStagingToApp(world, now, world.roleByName(UserTenantID, "aiven-vnet-peer").ID)
		prodAivenVNet = world.vnet(world.project("tsdb-prod").vpc(stateTestProdVPC).AzureVNetID)
	})
	out := createStagingToApp(t, c)

	// The grant exists but is not effective yet: Aiven keeps trying.
	for range 3 {
		if _, err := c.VpcGet(ctx, "tsdb-staging", stateTestStagingVPC); err != nil {
			t.Fatal(err)
		}
	}
	var state string
	s.with(func(world *World, now time.Time) {
		v := world.project("tsdb-staging").vpc(stateTestStagingVPC)
		s.refreshVPC(world, now, world.project("tsdb-staging"), v) // even a forced check must wait for propagation
		state = v.Peerings[0].State
	})
	if state != StateApproved {
		t.Fatalf("with the grant propagating: %s, want APPROVED", state)
	}
	s.clock.SetSpeed(1e6) // an hour of simulated time passes in milliseconds
	states, pc := pollStagingToApp(t, c, string(out.State), StatePendingPeer)
	wantStates(t, states, StateApproved, StatePendingPeer)
	if pc.StateInfo["to-tenant-id"] != AivenTenantID || pc.StateInfo["to-network-id"] != stagingAivenVNet.ID {
		t.Fatalf("PENDING_PEER state_info = %v", pc.StateInfo)
	}
	s.with(func(world *World, now time.Time) {
		side := stagingAivenVNet.peeringTo(appVNet.ID)
		if side == nil || side.PeeringState != "Initiated" {
			t.Fatalf("Aiven side = %+v, want Initiated", side)
		}
		sp := world.spByAppID(AivenTenantID, ProdPeeringAppID)
		if sp == nil || !world.can(nil, sp.ID, ActionPeer, stagingAivenVNet.ID) {
			t.Fatalf("the user's app cannot peer with Aiven's VNet: sp %+v", sp)
		}
		// The user peers back, but without network access.
		world.putPeering(now, appVNet, "to-aiven", stagingAivenVNet.ID, false)
	})
	for range 3 {
		if _, err := c.VpcGet(ctx, "tsdb-staging", stateTestStagingVPC); err != nil {
			t.Fatal(err)
		}
	}
	_, pc = pollStagingToApp(t, c, StatePendingPeer, StatePendingPeer)
	if msg, _ := pc.StateInfo["message"].(string); !strings.Contains(msg, "allowVirtualNetworkAccess") || pc.StateInfo["to-network-id"] == nil {
		t.Fatalf("PENDING_PEER without network access: state_info %v", pc.StateInfo)
	}
	s.with(func(world *World, now time.Time) {
		world.putPeering(now, appVNet, "to-aiven", stagingAivenVNet.ID, true)
	})
	states, _ = pollStagingToApp(t, c, StatePendingPeer, StateActive)
	wantStates(t, states, StatePendingPeer, StateActive)

	// The user deletes their side: Aiven notices and removes its peering,
	// but keeps what it gave the app until the connection is deleted.
	s.with(func(world *World, now time.Time) { world.deletePeering(appVNet, "to-aiven") })
	states, pc = pollStagingToApp(t, c, StateActive, StateDeletedByPeer)
	wantStates(t, states, StateActive, StateDeletedByPeer)
	if pc.StateInfo["type"] != "deleted-by-peer" {
		t.Errorf("DELETED_BY_PEER state_info = %v", pc.StateInfo)
	}
	appSPInAiven := func(world *World) *ServicePrincipal { return world.spByAppID(AivenTenantID, ProdPeeringAppID) }
	s.with(func(world *World, now time.Time) {
		if p := stagingAivenVNet.peeringTo(appVNet.ID); p != nil {
			t.Errorf("Aiven side still there after DELETED_BY_PEER: %+v", p)
		}
		if sp := appSPInAiven(world); sp == nil || !world.can(nil, sp.ID, ActionPeer, stagingAivenVNet.ID) {
			t.Errorf("the app lost its principal or grant in Aiven's tenant at DELETED_BY_PEER: %+v", sp)
		}
	})

	// Deleting tsdb-prod's ACTIVE connection removes Aiven's side (the user's
	// turns Disconnected) and the grant on tsdb-prod's network; the app's
	// principal stays for tsdb-staging's connection.
	del, err := c.VpcPeeringConnectionWithResourceGroupDelete(ctx, "tsdb-prod", stateTestProdVPC, UserSubscriptionID, "rg-prod", "prod-vnet")
	if err != nil {
		t.Fatal(err)
	}
	states, _ = pollState(t, c, "tsdb-prod", stateTestProdVPC, "rg-prod", "prod-vnet", string(del.State), "(gone)")
	wantStates(t, states, StateDeleting, StateDeleted, "(gone)")
	s.with(func(world *World, now time.Time) {
		prodVNet := world.vnetByNames(UserSubscriptionID, "rg-prod", "prod-vnet")
		if p := prodVNet.Peerings["to-aiven-tsdb-prod"]; p == nil || p.PeeringState != "Disconnected" {
			t.Errorf("user side after Aiven's delete = %+v, want Disconnected", p)
		}
		sp := appSPInAiven(world)
		if sp == nil || len(world.grants(nil, sp.ID, ActionPeer, prodAivenVNet.ID)) != 0 || !world.can(nil, sp.ID, ActionPeer, stagingAivenVNet.ID) {
			t.Errorf("want the app's principal kept with its grant on tsdb-staging's network only: %+v", sp)
		}
	})

	// Deleting the last connection of the app removes its principal and
	// every assignment Aiven made, but never Aiven's own principal.
	del, err = c.VpcPeeringConnectionWithResourceGroupDelete(ctx, "tsdb-staging", stateTestStagingVPC, UserSubscriptionID, "rg-app", "app-vnet")
	if err != nil {
		t.Fatal(err)
	}
	states, _ = pollStagingToApp(t, c, string(del.State), "(gone)")
	wantStates(t, states, StateDeleting, StateDeleted, "(gone)")
	s.with(func(world *World, now time.Time) {
		if sp := appSPInAiven(world); sp != nil {
			t.Errorf("the app's principal in Aiven's tenant is still there: %+v", sp)
		}
		for _, ra := range world.RoleAssignments {
			if ra.TenantID == AivenTenantID && ra.CreatedBy == AivenHomeSPObjectID {
				t.Errorf("assignment left behind in Aiven's tenant: %s", ra.ID)
			}
		}
		if world.ServicePrincipals[AivenHomeSPObjectID] == nil {
			t.Error("Aiven's own service principal was removed")
		}
	})
}

// TestAivenPendingPeerLoss: a user side that is made and deleted again
// before activation ends the connection as DELETED_BY_PEER too.
func TestAivenPendingPeerLoss(t *testing.T) {
	s, c := stateTestServer(t, 1, Timing{AivenActivation: Duration(24 * time.Hour)})
	var appVNet, aivenVNet *VNet
	s.with(func(world *World, now time.Time) {
		// The test follows the grants of the app's project connections
		// alone: the organization VPC's, made with the same app, go first.
		dropOrgConnections(world, now)
		appVNet, aivenVNet = grantStagingToApp(world, now.Add(-time.Hour), builtinRoleID(UserSubscriptionID, NetworkContributorRoleGUID))
	})
	out := createStagingToApp(t, c)
	states, _ := pollStagingToApp(t, c, string(out.State), StatePendingPeer)
	wantStates(t, states, StateApproved, StatePendingPeer)
	s.with(func(world *World, now time.Time) { world.putPeering(now, appVNet, "to-aiven", aivenVNet.ID, true) })
	// Connected, but activation takes a simulated day: still PENDING_PEER.
	pollStagingToApp(t, c, StatePendingPeer, StatePendingPeer)
	s.with(func(world *World, now time.Time) {
		if pc := world.project("tsdb-staging").vpc(stateTestStagingVPC).Peerings[0]; pc.ConnectedAt.IsZero() {
			t.Error("ConnectedAt not recorded once both sides were Connected")
		}
		world.deletePeering(appVNet, "to-aiven")
	})
	states, _ = pollStagingToApp(t, c, StatePendingPeer, StateDeletedByPeer)
	wantStates(t, states, StatePendingPeer, StateDeletedByPeer)
}

func ptrTo[T any](v T) *T { return &v }

// roleByName finds a custom role of a tenant by its name.
func (world *World) roleByName(tenantID, name string) *RoleDefinition {
	for _, rd := range world.RoleDefinitions {
		if rd.TenantID == tenantID && rd.RoleName == name {
			return rd
		}
	}
	return nil
}

// TestAivenStateInfoVariants: the state_info the API answers in each state,
// under each value of aiven-state-info (nil is JSON null). The world keeps
// the whole object; only the answers differ.
func TestAivenStateInfoVariants(t *testing.T) {
	type shown struct{ approved, pending, active, invalid, rejected, deletedByPeer, deleting bool }
	for variant, want := range map[string]shown{
		"kept":                      {true, true, true, true, true, true, true},
		"null-after-active":         {true, true, false, true, true, true, true},
		"null-outside-pending-peer": {false, true, false, true, true, false, false},
	} {
		t.Run(variant, func(t *testing.T) {
			s, c := stateTestServer(t, 0, DefaultTiming())
			if err := s.SetVariants(map[string]string{VariantAivenStateInfo: variant}); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			check := func(what string, info map[string]any, want bool) {
				t.Helper()
				if (info != nil) != want {
					t.Errorf("%s: state_info = %v, want it present: %v", what, info, want)
				}
				if want {
					if msg, _ := info["message"].(string); msg == "" {
						t.Errorf("%s: state_info %v has no message", what, info)
					}
				}
			}
			get := func(project, vpcID, rg, vnet string) *vpc.PeeringConnectionOut {
				t.Helper()
				out, err := c.VpcGet(ctx, project, vpcID)
				if err != nil {
					t.Fatal(err)
				}
				for i := range out.PeeringConnections {
					if p := &out.PeeringConnections[i]; p.PeerResourceGroup == rg && p.PeerVpc == vnet {
						return p
					}
				}
				t.Fatalf("%s/%s not in %s", rg, vnet, vpcID)
				return nil
			}
			check("INVALID_SPECIFICATION", get("tsdb-prod", stateTestProdVPC, "rg-prod", "prod-vnet-old").StateInfo, want.invalid)
			check("REJECTED_BY_PEER", get("analytics", "4c5d6e7f-8091-4a23-b4c5-d6e7f8091a2b", "rg-app", "app-vnet").StateInfo, want.rejected)

			var appVNet, aivenVNet *VNet
			s.with(func(world *World, now time.Time) {
				appVNet, aivenVNet = grantStagingToApp(world, now.Add(-time.Hour), world.roleByName(UserTenantID, "aiven-vnet-peer").ID)
			})
			out := createStagingToApp(t, c)
			check("the create answer (APPROVED)", out.StateInfo, want.approved)
			_, pc := pollStagingToApp(t, c, string(out.State), StatePendingPeer)
			check("PENDING_PEER", pc.StateInfo, want.pending)
			if pc.StateInfo["to-network-id"] != aivenVNet.ID {
				t.Errorf("PENDING_PEER state_info = %v, want to-network-id", pc.StateInfo)
			}
			s.with(func(world *World, now time.Time) { world.putPeering(now, appVNet, "to-aiven", aivenVNet.ID, true) })
			_, pc = pollStagingToApp(t, c, StatePendingPeer, StateActive)
			check("ACTIVE", pc.StateInfo, want.active)
			s.with(func(world *World, now time.Time) {
				world.deletePeering(appVNet, "to-aiven")
				if p := world.project("tsdb-staging").vpc(stateTestStagingVPC).Peerings[0]; p.StateInfo == nil {
					t.Error("the world lost the connection's state_info")
				}
			})
			_, pc = pollStagingToApp(t, c, StateActive, StateDeletedByPeer)
			check("DELETED_BY_PEER", pc.StateInfo, want.deletedByPeer)
			del, err := c.VpcPeeringConnectionWithResourceGroupDelete(ctx, "tsdb-staging", stateTestStagingVPC, UserSubscriptionID, "rg-app", "app-vnet")
			if err != nil {
				t.Fatal(err)
			}
			check("the delete answer (DELETING)", del.StateInfo, want.deleting)
		})
	}
}

// TestAivenNoVNetAccessVariant: a user side with allowVirtualNetworkAccess
// false keeps the connection PENDING_PEER (TestAivenStateMachineAzure), or
// lets it go ACTIVE, per aiven-no-vnet-access.
func TestAivenNoVNetAccessVariant(t *testing.T) {
	s, c := stateTestServer(t, 0, DefaultTiming())
	if err := s.SetVariants(map[string]string{VariantAivenNoVNetAccess: "active-without-traffic"}); err != nil {
		t.Fatal(err)
	}
	var appVNet, aivenVNet *VNet
	s.with(func(world *World, now time.Time) {
		// The test follows the grants of the app's project connections
		// alone: the organization VPC's, made with the same app, go first.
		dropOrgConnections(world, now)
		appVNet, aivenVNet = grantStagingToApp(world, now.Add(-time.Hour), world.roleByName(UserTenantID, "aiven-vnet-peer").ID)
	})
	out := createStagingToApp(t, c)
	pollStagingToApp(t, c, string(out.State), StatePendingPeer)
	s.with(func(world *World, now time.Time) { world.putPeering(now, appVNet, "to-aiven", aivenVNet.ID, false) })
	states, pc := pollStagingToApp(t, c, StatePendingPeer, StateActive)
	wantStates(t, states, StatePendingPeer, StateActive)
	if msg, _ := pc.StateInfo["message"].(string); strings.Contains(msg, "allowVirtualNetworkAccess") {
		t.Errorf("ACTIVE state_info = %v", pc.StateInfo)
	}
}

// TestAivenPermissionFailureNoPrincipal: without a service principal for
// Aiven's app in the user's tenant the connection fails with Entra's
// AADSTS700016, in the state aiven-permission-failure names.
func TestAivenPermissionFailureNoPrincipal(t *testing.T) {
	for variant, want := range map[string]string{"rejected-by-peer": StateRejectedByPeer, "invalid-specification": StateInvalidSpecification} {
		t.Run(variant, func(t *testing.T) {
			s, c := stateTestServer(t, 0, DefaultTiming())
			if err := s.SetVariants(map[string]string{VariantAivenPermission: variant}); err != nil {
				t.Fatal(err)
			}
			s.with(func(world *World, now time.Time) {
				delete(world.ServicePrincipals, world.spByAppID(UserTenantID, AivenDefaultAppID).ID)
			})
			out := createStagingToApp(t, c)
			states, pc := pollStagingToApp(t, c, string(out.State), want)
			wantStates(t, states, StateApproved, want)
			if msg, _ := pc.StateInfo["message"].(string); !strings.Contains(msg, "AADSTS700016: Application with identifier '"+AivenDefaultAppID+"' was not found in the directory '"+UserTenantID+"'") {
				t.Errorf("state_info = %v", pc.StateInfo)
			}
		})
	}
}
