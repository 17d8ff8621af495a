package azure

import (
	"context"
	"fmt"
	"net/http"
	"strings"

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
		if isStatus(err, http.StatusNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("read role %s: %w", id, cloudError(ServiceARM, err))
	}
	rd := roleDefinitionFromSDK(&resp.RoleDefinition)
	return &rd, nil
}
