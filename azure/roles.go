package azure

import (
	"context"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"

	"github.com/azpeer/azpeer/peering"
)

// RoleDefinitionByID reads a role definition by its full id (built-in roles
// come as /subscriptions/{sub}/providers/... or /providers/...); nil, nil
// when it does not exist. The diagnosis uses it to know what an assignment
// grants.
func (a *Access) RoleDefinitionByID(ctx context.Context, id string) (*peering.RoleDefinition, error) {
	scope, guid, err := splitAuthzID(id, roleDefinitionsSegment)
	if err != nil {
		return nil, err
	}
	if scope == "" {
		scope = "/"
	}
	resp, err := a.defs.Get(ctx, strings.TrimPrefix(scope, "/"), guid, nil)
	if err != nil {
		return nil, absentOK(err, "read role "+id)
	}
	rd := roleDefinitionFromSDK(&resp.RoleDefinition)
	return &rd, nil
}

// Permissions returns the signed-in principal's own effective permissions
// at a resource (Microsoft.Authorization/permissions): one set per role
// assignment that applies. The preflight uses it to say, before anything
// is created, that the principal cannot assign roles.
func (a *Access) Permissions(ctx context.Context, resourceID string) ([]peering.PermissionSet, error) {
	id, err := arm.ParseResourceID(resourceID)
	if err != nil {
		return nil, fmt.Errorf("azure: %q is not a resource id: %w", resourceID, err)
	}
	client, err := armauthorization.NewPermissionsClient(id.SubscriptionID, a.cred, a.opts)
	if err != nil {
		return nil, fmt.Errorf("azure: permissions client: %w", err)
	}
	var out []peering.PermissionSet
	err = everyItem(ctx, client.NewListForResourcePager(id.ResourceGroupName, id.ResourceType.Namespace, "", lastType(id.ResourceType.Type), id.Name, nil),
		func(p armauthorization.PermissionsClientListForResourceResponse) []*armauthorization.Permission {
			return p.Value
		},
		func(p *armauthorization.Permission) bool {
			out = append(out, peering.PermissionSet{Actions: derefAll(p.Actions), NotActions: derefAll(p.NotActions)})
			return true
		})
	if err != nil {
		return nil, fmt.Errorf("read own permissions at %s: %w", resourceID, cloudError(ServiceARM, err))
	}
	return out, nil
}

// lastType is the last segment of a resource type ("virtualNetworks").
func lastType(t string) string { return t[strings.LastIndex(t, "/")+1:] }
