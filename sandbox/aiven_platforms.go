package sandbox

// Operators of Aiven's platform. Managed Service for TimescaleDB is "operated
// by Aiven" and reached through the same API (timescale/docs mst/restapi.md:
// `curl -s -H "Authorization: aivenv1 $MST_API_TOKEN"
// https://api.aiven.io/v1/me`), but for Azure peering it is its own
// operator: "The Managed Service for TimescaleDB AD tenant contains an
// application object similar to the one you created and Timescale
// platform uses to create a peering from the Project VPC VNet in the
// Timescale subscription to the VNet in your Azure subscription", whose
// service principal the user creates with `az ad sp create --id
// <ID_OF_THE_TIMESCALE_APPLICATION_OBJECT>` and grants peer/action
// (timescale/docs mst/vpc-peering/vpc-peering-azure.md). So a project of
// that platform is peered by its app, from its tenant, with VNets in its
// subscription; Aiven's app and its grants count for nothing there.

// platformOf is the operator of a project: the one Project.Platform names,
// else Aiven (AivenWorld's own app, tenant and subscription).
func (world *World) platformOf(p *Project) AivenPlatform {
	if p != nil && p.Platform != "" {
		if pl := world.Aiven.Platforms[p.Platform]; pl != nil {
			return *pl
		}
	}
	return AivenPlatform{Name: "Aiven", AppID: world.Aiven.AppID, TenantID: world.Aiven.TenantID, SubscriptionID: world.Aiven.SubscriptionID}
}

// homeSP is the platform app's service principal in its own tenant (the
// creator of the role assignments it makes there), or "".
func (world *World) homeSP(pl AivenPlatform) string {
	if sp := world.spByAppID(pl.TenantID, pl.AppID); sp != nil {
		return sp.ID
	}
	return ""
}
