package sandbox

import (
	"time"
)

// The default scenario's organization VPC (README): Contoso's
// shared-westeurope, used by the services of two projects (orders and
// orders-staging), with an ACTIVE Azure peering to rg-prod/prod-vnet and an
// INVALID_SPECIFICATION one to a VNet that does not exist.
const (
	OrgVPCID      = "6d7e8f90-a1b2-4c3d-9e4f-5a6b7c8d9e0f"
	OrgVPCName    = "shared-westeurope"
	OrgVPCProject = "orders"
)

// defaultOrgVPC adds the organization VPC to a default world. It uses only
// the Azure side that defaultScenario made (prod-vnet, the peering app and
// Aiven's service principal with its peer role on prod-vnet).
func (world *World) defaultOrgVPC(past time.Time) {
	sub := UserSubscriptionID
	o := world.Aiven.Organizations[AivenOrganizationID]
	v := world.addOrgVPC(past, o, "azure-westeurope", "10.70.0.0/24", OrgVPCID, OrgVPCName)

	world.activePeering(past, world.platformOf(nil), v, world.vnetByNames(sub, "rg-prod", "prod-vnet"), "to-aiven-shared-westeurope")
	world.peeringOfMissingVNet(past, v, "rg-app", "app-vnet-old")

	// Two projects whose services run in it: that is how a project uses an
	// organization VPC (a service's project_vpc_id names it).
	user := world.Aiven.Users[AivenUserEmail]
	for i, name := range []string{OrgVPCProject, OrgVPCProject + "-staging"} {
		p := world.addProject(name, "azure-westeurope")
		world.addService(past, p, "pg-"+name, v.ID, 10+i, 13050+i)
		user.Projects = append(user.Projects, name)
	}
}
