package sandbox

import "time"

// The "people" scenario: the default world, where the administrator
// (admin@contoso.onmicrosoft.com) sees three subscriptions across two
// tenants, one of them as a guest, and the VNet to peer is not in the
// default subscription — the case of a person whose `az account list`
// is long, for --subscription, AZURE_SUBSCRIPTION_ID and the Azure CLI's
// default (`az account set`).
const (
	// DevSubscriptionID is Contoso's second subscription, holding
	// rg-dev/dev-vnet (10.40.0.0/16); the administrator is its Owner.
	DevSubscriptionID = "6d7e8f90-a1b2-4c3d-9e4f-0a1b2c3d4e5f"
	// FabrikamSubscriptionID is Fabrikam's, where the administrator is a
	// guest with Reader.
	FabrikamSubscriptionID = "7e8f90a1-b2c3-4d4e-8f5a-1b2c3d4e5f60"
	// AdminGuestInFabrikamObjectID is the administrator's guest object in Fabrikam.
	AdminGuestInFabrikamObjectID = "a0a0a0a0-2222-4222-8222-000000000002"
)

func peopleScenario(now time.Time) (*World, Credentials) {
	world, creds := defaultScenario(now)
	past := now.Add(-30 * 24 * time.Hour)
	world.addSubscription(DevSubscriptionID, UserTenantID, "Contoso Development")
	world.createVNet(DevSubscriptionID, "rg-dev", "dev-vnet", "westeurope", "10.40.0.0/16")
	world.createRoleAssignment(past, UserTenantID, "/subscriptions/"+DevSubscriptionID, "", builtinRoleID(DevSubscriptionID, ownerRoleGUID), AdminUserObjectID, "User", AdminSPObjectID)

	world.addSubscription(FabrikamSubscriptionID, FabrikamTenantID, "Fabrikam Shared")
	guest := world.inviteGuest(past, world.Users[AdminUserObjectID], FabrikamTenantID, AdminGuestInFabrikamObjectID)
	world.createRoleAssignment(past, FabrikamTenantID, "/subscriptions/"+FabrikamSubscriptionID, "", builtinRoleID(FabrikamSubscriptionID, readerRoleGUID), guest.ID, "User", guest.ID)
	return world, creds
}
