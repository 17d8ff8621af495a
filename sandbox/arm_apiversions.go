package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// The api-versions Resource Manager accepts, one list per resource type,
// in one place; the rows of armRoutes (arm_routes.go) name theirs.
//
// Each list's specs are exactly the api-versions the published
// azure-rest-api-specs define the type in (the folders named beside each
// list, stable and, where the type has them, preview). That is the
// default, variant azure-api-versions=specs.
//
// The live service registers more: its own NoRegisteredProviderFound and
// InvalidResourceType texts list versions that no spec folder has
// (2014-12-01-preview, 2016-07-01, 2018-03-01 ... for Microsoft.Network;
// 2014-04-01-preview ... 2022-01-01-preview for role assignments). Those
// are each list's registered extras, accepted under
// azure-api-versions=registered, with the issue that quotes them.

// apiVersionList is the accepted api-versions of one resource type.
type apiVersionList struct {
	// namespace is the resource provider ("Microsoft.Network").
	namespace string
	// typ is the type as Resource Manager names it in errors, without the
	// namespace: "virtualNetworks/virtualNetworkPeerings".
	typ string
	// specs are the versions the published specs define the type in, in
	// ascending order.
	specs []string
	// registered are the further versions the live service's own error
	// texts list for the type.
	registered []string
	// tenantLevel: Resource Manager serves the type itself (Microsoft.Resources)
	// and refuses an unknown version with InvalidApiVersionParameter.
	tenantLevel bool
	// global: the provider's locations are '' (Microsoft.Authorization's
	// types are global, as the texts quoted below show).
	global bool
}

// accepted is the list the world's variant accepts, ascending.
func (l *apiVersionList) accepted(world *World) []string {
	if world.variant(VariantAzureAPIVersions) != "registered" || len(l.registered) == 0 {
		return l.specs
	}
	out := slices.Concat(l.specs, l.registered)
	sort.Strings(out)
	return slices.Compact(out)
}

// networkStable are the Microsoft.Network api-versions whose spec
// (specification/network/resource-manager/Microsoft.Network/stable/<v>/
// virtualNetwork.json, or network.json before 2016-09-01, and since the
// 2025 reorganisation .../Microsoft.Network/Network/stable/<v>/) defines
// virtual network peerings, from 2016-06-01 (the first with peerings, as
// the template reference for virtualNetworks/virtualNetworkPeerings lists
// them) to 2026-03-01, the newest stable folder. 2025-07-01, 2025-09-01,
// 2026-01-01 and 2026-03-01 came after armnetwork/v7's 2025-01-01; the
// Az.Network module's generator input already names 2026-01-01 files.
var networkStable = []string{
	"2016-06-01", "2016-09-01", "2016-12-01", "2017-03-01", "2017-06-01", "2017-08-01", "2017-09-01",
	"2017-10-01", "2017-11-01", "2018-01-01", "2018-02-01", "2018-04-01", "2018-06-01", "2018-07-01",
	"2018-08-01", "2018-10-01", "2018-11-01", "2018-12-01", "2019-02-01", "2019-04-01", "2019-06-01",
	"2019-07-01", "2019-08-01", "2019-09-01", "2019-11-01", "2019-12-01", "2020-03-01", "2020-04-01",
	"2020-05-01", "2020-06-01", "2020-07-01", "2020-08-01", "2020-11-01", "2021-02-01", "2021-03-01",
	"2021-05-01", "2021-08-01", "2022-01-01", "2022-05-01", "2022-07-01", "2022-09-01", "2022-11-01",
	"2023-02-01", "2023-04-01", "2023-05-01", "2023-06-01", "2023-09-01", "2023-11-01", "2024-01-01",
	"2024-03-01", "2024-05-01", "2024-07-01", "2024-10-01", "2025-01-01", "2025-03-01", "2025-05-01",
	"2025-07-01", "2025-09-01", "2026-01-01", "2026-03-01",
}

// networkRegistered are the versions Microsoft.Network registers beyond
// its specs, as its NoRegisteredProviderFound texts list them for
// virtualNetworks (Azure/azure-cli#17545) and networkInterfaces
// (Azure/azure-cli#28496, azure-sdk-for-js#9297).
var networkRegistered = []string{
	"2014-12-01-preview", "2015-05-01-preview", "2016-07-01", "2016-08-01", "2016-10-01", "2016-11-01",
	"2017-04-01", "2018-03-01", "2018-05-01", "2020-01-01", "2021-01-01", "2021-04-01", "2021-06-01",
	"2021-12-01",
}

var (
	// vnetAPIVersions: virtual networks are in the specs from
	// preview/2015-05-01-preview/network.json and stable/2015-06-15 and
	// 2016-03-30 (network.json) on, as the template reference for
	// Microsoft.Network/virtualNetworks lists them.
	vnetAPIVersions = &apiVersionList{namespace: providerNetwork, typ: "virtualNetworks",
		specs:      slices.Concat([]string{"2015-05-01-preview", "2015-06-15", "2016-03-30"}, networkStable),
		registered: networkRegistered}
	// peeringAPIVersions: peerings from 2016-06-01 on (networkStable).
	peeringAPIVersions = &apiVersionList{namespace: providerNetwork, typ: "virtualNetworks/virtualNetworkPeerings",
		specs: networkStable, registered: networkRegistered}
	// networkOperationAPIVersions: no spec defines the paths of
	// .../locations/{location}/operations/{id} and operationResults; the
	// sandbox takes any version Microsoft.Network publishes, since the
	// provider itself hands the URL out (test_network_vnet_peering_sync.yaml
	// shows one at 2024-03-01 for a PUT at 2024-05-01).
	networkOperationAPIVersions = &apiVersionList{namespace: providerNetwork, typ: "locations/operations",
		specs: vnetAPIVersions.specs, registered: networkRegistered}

	// subscriptionAPIVersions: /subscriptions, /subscriptions/{id} and
	// /tenants are in specification/resources/resource-manager/
	// Microsoft.Resources/subscriptions/stable/<v>/subscriptions.json for
	// these versions; the TypeSpec's Versions enum ends at 2022-12-01.
	// Resource Manager serves them itself; its registered list is the one
	// its InvalidApiVersionParameter texts give (pulumi/pulumi-azure-native#3637,
	// Azure/azure-cli#10641 for the tail).
	subscriptionAPIVersions = &apiVersionList{namespace: providerResources, typ: "subscriptions", tenantLevel: true,
		specs: []string{"2015-11-01", "2016-06-01", "2018-06-01", "2019-06-01", "2019-11-01", "2020-01-01", "2021-01-01", "2022-12-01"},
		registered: []string{
			"2013-03-01", "2014-01-01", "2014-02-26", "2014-04", "2014-04-01", "2014-04-01-preview", "2015-01-01",
			"2016-02-01", "2016-07-01", "2016-09-01", "2017-03-01", "2017-05-01", "2017-05-10", "2017-06-01",
			"2017-08-01", "2017-12-01", "2018-01-01", "2018-02-01", "2018-05-01", "2018-07-01", "2018-08-01",
			"2018-09-01", "2018-11-01", "2019-03-01", "2019-05-01", "2019-05-10", "2019-07-01", "2019-08-01",
			"2019-09-01", "2019-10-01", "2020-05-01", "2020-06-01", "2020-07-01", "2020-08-01", "2020-09-01",
			"2020-10-01", "2021-04-01", "2022-01-01", "2022-03-01-preview", "2022-05-01", "2022-06-01",
			"2022-09-01", "2022-11-01-preview", "2023-03-01-preview", "2023-07-01", "2023-07-01-preview",
			"2024-03-01", "2024-06-01-preview", "2024-08-01",
		}}
	tenantAPIVersions = &apiVersionList{namespace: providerResources, typ: "tenants", tenantLevel: true,
		specs: subscriptionAPIVersions.specs, registered: subscriptionAPIVersions.registered}

	// rbacDefinitionAPIVersions: role definitions are in
	// specification/authorization/resource-manager/Microsoft.Authorization/
	// Authorization/{stable/2015-07-01, preview/2018-01-01-preview,
	// stable/2022-04-01, preview/2022-05-01-preview}/
	// authorization-RoleDefinitionsCalls.json (the readme's tags). The
	// registered extras are those a NoRegisteredProviderFound for type
	// 'roleDefinitions' lists (Azure/azure-sdk-for-java#28334).
	rbacDefinitionAPIVersions = &apiVersionList{namespace: providerAuthorization, typ: "roleDefinitions", global: true,
		specs: []string{"2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview"},
		registered: []string{"2014-04-01-preview", "2014-07-01-preview", "2014-10-01-preview", "2015-05-01-preview",
			"2015-06-01", "2016-07-01", "2017-05-01", "2017-09-01", "2018-07-01"}}
	// rbacAssignmentAPIVersions: role assignments are in
	// authorization-RoleAssignmentsCalls.json of stable/2015-07-01,
	// preview/2017-10-01-preview, 2018-01-01-preview, 2018-09-01-preview,
	// 2020-03-01-preview, 2020-04-01-preview, 2020-08-01-preview,
	// 2020-10-01-preview and stable/2022-04-01. The registered extras are
	// those the InvalidResourceType for type 'roleAssignments' lists
	// (Azure/azure-sdk-for-java#28334, Azure/azure-resource-manager-schemas#1886).
	rbacAssignmentAPIVersions = &apiVersionList{namespace: providerAuthorization, typ: "roleAssignments", global: true,
		specs: []string{"2015-07-01", "2017-10-01-preview", "2018-01-01-preview", "2018-09-01-preview", "2020-03-01-preview",
			"2020-04-01-preview", "2020-08-01-preview", "2020-10-01-preview", "2022-04-01"},
		registered: []string{"2014-04-01-preview", "2014-07-01-preview", "2014-10-01-preview", "2015-05-01-preview",
			"2015-06-01", "2016-07-01", "2017-05-01", "2017-09-01", "2018-07-01", "2018-12-01-preview",
			"2019-04-01-preview", "2021-04-01-preview", "2022-01-01-preview"}}
	// rbacPermissionAPIVersions: permissions are in the same
	// authorization-RoleDefinitionsCalls.json files as role definitions.
	rbacPermissionAPIVersions = &apiVersionList{namespace: providerAuthorization, typ: "permissions", global: true,
		specs: rbacDefinitionAPIVersions.specs, registered: rbacDefinitionAPIVersions.registered}

	// metadataAPIVersions: /metadata/endpoints is no resource type and in
	// no spec; 2015-01-01 answers the single-cloud document the Azure CLI's
	// "az cloud register" reads, the later ones a list of clouds. The
	// sandbox's own list.
	metadataAPIVersions = &apiVersionList{typ: "metadata/endpoints", tenantLevel: true,
		specs: []string{"2015-01-01", "2018-01-01", "2019-05-01", "2020-06-01", "2022-09-01"}}
)

// apiVersionOK checks the api-version parameter against the row's list.
// Resource Manager answers:
//   - none at all: 400 MissingApiVersionParameter (cloudquery/cloudquery#6626,
//     and for https://management.azure.com/ itself MicrosoftDocs/feedback#2279);
//   - an unknown one for a type it serves itself (Microsoft.Resources):
//     400 InvalidApiVersionParameter, newest first, joined by ","
//     (pulumi/pulumi-azure-native#3637, Azure/azure-cli#10641);
//   - an unknown one for a provider's type when the request names a
//     resource group (whose location it knows): 400 NoRegisteredProviderFound
//     with that location, the versions joined by ", " and the provider's
//     locations (” for a global provider such as Microsoft.Authorization)
//     (azure-sdk-for-js#9297 and Azure/azure-cli#28496 for networkInterfaces in
//     a resource group, MicrosoftDocs/azure-docs#82469 for roleAssignments);
//   - otherwise (a subscription or tenant level request): 404
//     InvalidResourceType, the versions joined by "," (Azure/azure-powershell#12061
//     for Get-AzVirtualNetwork's subscription list, #10299 for networkInterfaces,
//     #6628 for roleAssignments).
func (q *armRequest) apiVersionOK() bool {
	v := q.r.URL.Query().Get("api-version")
	list := q.route.versions
	accepted := list.accepted(q.world)
	switch {
	case v == "":
		armError(q.w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return false
	case slices.Contains(accepted, v):
		return true
	case list.tenantLevel:
		newestFirst := slices.Clone(accepted)
		slices.Reverse(newestFirst)
		armError(q.w, http.StatusBadRequest, "InvalidApiVersionParameter", fmt.Sprintf(
			"The api-version '%s' is invalid. The supported versions are '%s'.", v, strings.Join(newestFirst, ",")))
		return false
	}
	if loc, ok := q.requestLocation(); ok {
		locations := ""
		if !list.global {
			locations = strings.Join(q.world.locations(), ", ")
		}
		armError(q.w, http.StatusBadRequest, "NoRegisteredProviderFound", fmt.Sprintf(
			"No registered resource provider found for location '%s' and API version '%s' for type '%s'. The supported api-versions are '%s'. The supported locations are '%s'.",
			loc, v, list.typ, strings.Join(accepted, ", "), locations))
		return false
	}
	armError(q.w, http.StatusNotFound, "InvalidResourceType", fmt.Sprintf(
		"The resource type '%s' could not be found in the namespace '%s' for api version '%s'. The supported api-versions are '%s'.",
		list.typ, list.namespace, v, strings.Join(accepted, ",")))
	return false
}

// requestLocation is the location Resource Manager resolves a request to:
// that of the resource group its path (or scope) names, which the sandbox
// knows only through the group's networks. Expects the world lock.
func (q *armRequest) requestLocation() (string, bool) {
	segs := strings.Split(strings.Trim(q.r.URL.Path, "/"), "/")
	for i := 0; i+3 < len(segs); i++ {
		if strings.EqualFold(segs[i], "subscriptions") && strings.EqualFold(segs[i+2], "resourceGroups") {
			sub, rg := segs[i+1], segs[i+3]
			if v := q.world.vnetByNames(sub, rg, q.params["virtualNetworkName"]); v != nil {
				return v.Location, true
			}
			var found []string
			for _, v := range q.world.VNets {
				if strings.EqualFold(v.SubscriptionID, sub) && strings.EqualFold(v.ResourceGroup, rg) {
					found = append(found, v.Location)
				}
			}
			if len(found) == 0 {
				return "", false
			}
			sort.Strings(found)
			return found[0], true
		}
	}
	return "", false
}
