package sandbox

import (
	"fmt"
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

	prodVNet := world.vnetByNames(sub, "rg-prod", "prod-vnet")
	active := world.addAzurePeering(past, v, sub, "rg-prod", "prod-vnet", ProdPeeringAppID, UserTenantID)
	world.provisionAivenSide(past, world.platformOf(nil), v, active)
	world.putPeering(past, prodVNet, "to-aiven-shared-westeurope", v.AzureVNetID, true)
	world.setPeeringState(past, active, StateActive, map[string]any{"message": "Peering connection active", "type": "active"})
	active.ConnectedAt = past

	// As in defaultScenario, the state machine's own text (aiven_state.go).
	bad := world.addAzurePeering(past, v, sub, "rg-app", "app-vnet-old", ProdPeeringAppID, UserTenantID)
	world.setPeeringState(past, bad, StateInvalidSpecification, map[string]any{
		"message": fmt.Sprintf("Virtual network %q in resource group %q of subscription %s was not found", "app-vnet-old", "rg-app", sub),
		"type":    "invalid-specification"})

	// Two projects whose services run in it: that is how a project uses an
	// organization VPC (a service's project_vpc_id names it).
	user := world.Aiven.Users[AivenUserEmail]
	for i, name := range []string{OrgVPCProject, OrgVPCProject + "-staging"} {
		p := world.addProject(name, "azure-westeurope")
		world.addService(past, p, "pg-"+name, v.ID, 10+i, 13050+i)
		user.Projects = append(user.Projects, name)
	}
}
