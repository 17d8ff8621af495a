package sandbox

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The directory's objects as Graph serves them: applications and service
// principals are found the same way (by object id or appId, only in the
// caller's tenant) and listed the same way (oldest first), and
// directoryObjects/getByIds and the tenant's organization read them.

// dirObject is an application or a service principal.
type dirObject interface {
	comparable
	objectID() string
	tenant() string
	created() time.Time
}

func (a *Application) objectID() string         { return a.ID }
func (a *Application) tenant() string           { return a.TenantID }
func (a *Application) created() time.Time       { return a.CreatedAt }
func (sp *ServicePrincipal) objectID() string   { return sp.ID }
func (sp *ServicePrincipal) tenant() string     { return sp.TenantID }
func (sp *ServicePrincipal) created() time.Time { return sp.CreatedAt }

// applicationByID finds an application by object id, in any case. Expects world.mu held.
func (world *World) applicationByID(id string) *Application {
	return byIDFold(world.Applications, id, (*Application).objectID)
}

// servicePrincipalByID finds a service principal by object id, in any case. Expects world.mu held.
func (world *World) servicePrincipalByID(id string) *ServicePrincipal {
	return byIDFold(world.ServicePrincipals, id, (*ServicePrincipal).objectID)
}

// tenantObjects lists the objects of the caller's tenant, oldest first.
func tenantObjects[T dirObject](g *graphCall, all map[string]T) []T {
	var out []T
	for _, o := range all {
		if strings.EqualFold(o.tenant(), g.tenant.ID) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(x, y T) int {
		if c := x.created().Compare(y.created()); c != 0 {
			return c
		}
		return strings.Compare(x.objectID(), y.objectID())
	})
	return out
}

// listObjects answers GET on a collection: the caller's tenant's objects,
// oldest first, that match $filter on the properties props gives, each
// rendered by render. A property props lacks is Graph's unsupported query
// on that resource.
func listObjects[T dirObject](g *graphCall, all map[string]T, collection, resource string, props func(T) map[string][]string, render func(T) map[string]any) {
	f, ok := g.filter()
	if !ok {
		return
	}
	var items []map[string]any
	for _, o := range tenantObjects(g, all) {
		if match, err := f.eval(props(o)); err != nil {
			g.unsupportedFilter(err, resource)
			return
		} else if match {
			items = append(items, render(o))
		}
	}
	g.writeList(collection, items)
}

// findObject looks an object of a collection up in the caller's tenant by
// the key of its path segment (object id or appId); it answers 400/404
// itself.
func findObject[T dirObject](g *graphCall, collection, keyProp, key string, byID, byAppID func(string) T) (T, bool) {
	var found, none T
	switch strings.ToLower(keyProp) {
	case "id":
		if _, err := uuid.Parse(key); err != nil {
			graphError(g.w, http.StatusBadRequest, "Request_BadRequest", "Invalid object identifier '"+key+"'.")
			return none, false
		}
		found = byID(key)
	case "appid":
		found = byAppID(key)
	default:
		g.badSegment(collection + "(" + keyProp + "='" + key + "')")
		return none, false
	}
	if found != none && strings.EqualFold(found.tenant(), g.tenant.ID) {
		return found, true
	}
	g.notFound(key)
	return none, false
}

// findApplication looks an application up in the caller's tenant by object
// id or appId; it answers 400/404 itself.
func (g *graphCall) findApplication(keyProp, key string) (*Application, bool) {
	return findObject(g, "applications", keyProp, key, g.world.applicationByID, g.world.appByAppID)
}

// findServicePrincipal looks a service principal up in the caller's tenant
// by object id or appId; it answers 400/404 itself.
func (g *graphCall) findServicePrincipal(keyProp, key string) (*ServicePrincipal, bool) {
	return findObject(g, "servicePrincipals", keyProp, key, g.world.servicePrincipalByID,
		func(appID string) *ServicePrincipal { return g.world.spByAppID(g.tenant.ID, appID) })
}

func (g *graphCall) organization() {
	t := g.tenant
	org := map[string]any{
		"id": t.ID, "deletedDateTime": nil, "businessPhones": []string{}, "city": nil, "country": nil,
		"countryLetterCode": nil, "createdDateTime": nil, "displayName": t.DisplayName, "tenantType": "AAD",
		"marketingNotificationEmails": []string{}, "technicalNotificationMails": []string{},
		"securityComplianceNotificationMails": []string{}, "securityComplianceNotificationPhones": []string{},
		"assignedPlans": []any{}, "provisionedPlans": []any{}, "privacyProfile": nil,
		"verifiedDomains": []map[string]any{{
			"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": true, "isInitial": true,
			"name": t.DefaultDomain, "type": "Managed",
		}},
	}
	g.writeList("organization", []map[string]any{org})
}

// getByIDs answers POST directoryObjects/getByIds, which the Azure CLI uses
// to learn a principal's type; unknown ids are left out, as in Graph.
func (g *graphCall) getByIDs() {
	var body struct {
		IDs   []string `json:"ids"`
		Types []string `json:"types"`
	}
	if err := decodeJSON(g.r, &body); err != nil {
		g.badJSON()
		return
	}
	if len(body.IDs) == 0 || len(body.IDs) > 1000 {
		invalidValue(g.w, "ids", "DirectoryObject")
		return
	}
	want := func(typ string) bool {
		if len(body.Types) == 0 {
			return true
		}
		return containsFold(body.Types, typ) || containsFold(body.Types, "microsoft.graph."+typ)
	}
	var items []map[string]any
	for _, id := range body.IDs {
		if sp := g.world.servicePrincipalByID(id); sp != nil && strings.EqualFold(sp.TenantID, g.tenant.ID) && want("servicePrincipal") {
			o := g.spJSON(sp)
			o["@odata.type"] = "#microsoft.graph.servicePrincipal"
			items = append(items, o)
			continue
		}
		if u := g.world.userByID(id); u != nil && strings.EqualFold(u.TenantID, g.tenant.ID) && want("user") {
			o := userJSON(u)
			o["@odata.type"] = "#microsoft.graph.user"
			items = append(items, o)
			continue
		}
		if a := g.world.applicationByID(id); a != nil && strings.EqualFold(a.TenantID, g.tenant.ID) && want("application") {
			o := g.appJSON(a)
			o["@odata.type"] = "#microsoft.graph.application"
			items = append(items, o)
		}
	}
	g.writeList("directoryObjects", items)
}
