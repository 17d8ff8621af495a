package sandbox

import (
	"time"
)

// The mst scenario: the user's tenant and VNets as in the default scenario,
// and an account of Managed Service for TimescaleDB (MST) instead of Aiven's.
// MST is an operator of Aiven's platform with its own Entra identity for
// Azure peering (aiven_platforms.go), so its projects are peered by MST's
// multi-tenant app, from MST's tenant, with VNets in MST's subscription:
// a service principal for Aiven's app (55f300d4-…, which exists in Entra
// as in every scenario) and its grants count for nothing there.
//
// The ids are the sandbox's own: MST's docs name the app only as
// <ID_OF_THE_TIMESCALE_APPLICATION_OBJECT> (timescale/docs
// mst/vpc-peering/vpc-peering-azure.md). What MST users see follows MST's
// docs: "When you sign up for Managed Service for TimescaleDB, an empty
// project is created for you automatically" (mst/about-mst.md); `avn
// project list` lists projects named like project-xxxx with default cloud
// timescale-aws-us-east-1 (mst/aiven-client.md); clouds and VPCs are named
// timescale-<provider>-<region>, e.g. timescale-azure-westeurope
// (mst/cloud-regions.md; a VPC is created "per project and per region",
// mst/vpc-peering/vpc-peering.md).
const (
	MSTTenantID       = "c7d8e9f0-1a2b-4c3d-9e8f-0a1b2c3d4e5f"
	MSTSubscriptionID = "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70"
	// MSTAppID is MST's multi-tenant app for Azure peering (pass it as
	// --aiven-app-id); MSTAppObjectID and MSTHomeSPObjectID are its object
	// and its service principal in MST's tenant.
	MSTAppID          = "f3a9c2d1-6b7e-4f80-9a1b-2c3d4e5f6a7b"
	MSTAppObjectID    = "f3a9c2d1-0000-4000-8000-000000000001"
	MSTHomeSPObjectID = "f3a9c2d1-0000-4000-8000-000000000002"
	MSTOrganizationID = "org5e1b7c9d2a4"
	// MSTProject has an ACTIVE Azure project VPC, MSTAzureVPCID
	// (timescale-azure-westeurope, 10.30.0.0/24 like tsdb-staging's: it
	// overlaps Rg-Legacy/Legacy-VNet), and no peerings.
	MSTProject    = "project-8d4f"
	MSTAzureVPCID = "5d6e7f80-91a2-4b3c-8d4e-5f60718293a4"
	// MSTSignupProject is the empty project made at sign-up.
	MSTSignupProject = "project-2b9a"
	// MSTPlatform is the name MST's projects give in Project.Platform.
	MSTPlatform = "mst"
)

// mstScenario builds the mst scenario.
func mstScenario(now time.Time) (*World, Credentials) {
	world, creds := baseWorld(now)
	past := now.Add(-90 * 24 * time.Hour)
	world.addTenant(MSTTenantID, "Timescale", "timescalemst.onmicrosoft.com")
	world.addSubscription(MSTSubscriptionID, MSTTenantID, "Managed Service for TimescaleDB project VPCs")
	world.addBuiltinRoles(MSTTenantID)
	app := world.createApplication(past, MSTTenantID, MSTAppObjectID, MSTAppID, "Managed Service for TimescaleDB VPC peering", "AzureADMultipleOrgs")
	world.createServicePrincipal(past, MSTTenantID, app, MSTHomeSPObjectID)
	world.Aiven.Platforms = map[string]*AivenPlatform{MSTPlatform: {
		Name: "Managed Service for TimescaleDB", AppID: MSTAppID, TenantID: MSTTenantID, SubscriptionID: MSTSubscriptionID}}
	world.aivenPeerRole(past, *world.Aiven.Platforms[MSTPlatform])

	sub := UserSubscriptionID
	world.createVNet(sub, "rg-prod", "prod-vnet", "westeurope", "10.1.0.0/16")
	world.createVNet(sub, "rg-app", "app-vnet", "westeurope", "10.2.0.0/16")
	world.createVNet(sub, "Rg-Legacy", "Legacy-VNet", "westeurope", "10.30.0.0/16")

	// The user's account is an MST one: its organization and projects only.
	delete(world.Aiven.Organizations, AivenOrganizationID)
	world.Aiven.Organizations[MSTOrganizationID] = &AivenOrg{ID: MSTOrganizationID, Name: "Contoso"}
	vpcAge := now.Add(-30 * 24 * time.Hour)
	signup := world.addMSTProject(MSTSignupProject, "timescale-aws-us-east-1")
	azure := world.addMSTProject(MSTProject, "timescale-azure-westeurope")
	world.addVPC(vpcAge, azure, "timescale-azure-westeurope", "10.30.0.0/24", MSTAzureVPCID)
	world.Aiven.Users[AivenUserEmail].Projects = []string{signup.Name, azure.Name}
	return world, creds
}

func (world *World) addMSTProject(name, cloud string) *Project {
	p := world.addProject(name, cloud)
	p.OrganizationID = MSTOrganizationID
	p.Platform = MSTPlatform
	return p
}
