package sandbox

import (
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Resource Manager's subscriptions, tenants and cloud metadata, as
// armsubscriptions (api-version 2022-12-01) and the Azure CLI call them.

// subscriptionVisible reports whether the caller has any effective role
// assignment at, above or below the subscription: Resource Manager lists a
// subscription to anyone who may touch something in it. Expects world.mu held.
func (q *armRequest) subscriptionVisible(sub *Subscription) bool {
	if !strings.EqualFold(sub.TenantID, q.c.TenantID) {
		return false
	}
	for _, ra := range q.world.RoleAssignments {
		if !strings.EqualFold(ra.PrincipalID, q.c.ObjectID) || !strings.EqualFold(ra.TenantID, sub.TenantID) {
			continue
		}
		scope := strings.Trim(ra.Scope, "/")
		if scope != "" && !strings.EqualFold(subscriptionOf(ra.Scope), sub.ID) {
			continue
		}
		if q.s.clock.Due(ra.CreatedAt, q.world.Timing.RolePropagation.D()) {
			return true
		}
	}
	return false
}

// subscriptionJSON renders a subscription as armsubscriptions reads it.
func subscriptionJSON(s *Subscription) map[string]any {
	state := s.State
	if state == "" {
		state = "Enabled"
	}
	return map[string]any{
		"id": "/subscriptions/" + s.ID, "authorizationSource": "RoleBased", "managedByTenants": []any{},
		"subscriptionId": s.ID, "tenantId": s.TenantID, "displayName": s.DisplayName, "state": state,
		"subscriptionPolicies": map[string]any{
			"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off",
		},
	}
}

func (q *armRequest) listSubscriptions() {
	var subs []*Subscription
	for _, s := range q.world.Subscriptions {
		if q.subscriptionVisible(s) {
			subs = append(subs, s)
		}
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].ID < subs[j].ID })
	items := mapped(subs, subscriptionJSON)
	writeJSON(q.w, http.StatusOK, map[string]any{"value": items, "count": map[string]any{"type": "Total", "value": len(items)}})
}

// getSubscription answers one subscription (the pipeline found it and
// checked its tenant) to a caller who may see it.
func (q *armRequest) getSubscription() {
	sub := q.sub
	if !q.subscriptionVisible(sub) {
		authorizationFailed(q.w, q.c, "Microsoft.Resources/subscriptions/read", "/subscriptions/"+sub.ID)
		return
	}
	writeJSON(q.w, http.StatusOK, subscriptionJSON(sub))
}

// listTenants lists the tenants where the caller's application has a
// service principal: the directories its credential can sign in to; for
// a person, the tenants they have an account in (home and guest), which
// is how `az login` finds every tenant to list subscriptions in.
func (q *armRequest) listTenants() {
	var ids []string
	if q.c.IsUser() {
		if u := q.world.userByID(q.c.ObjectID); u != nil {
			for _, id := range q.world.tenantsOf(u.home()) {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	for _, sp := range q.world.ServicePrincipals {
		if !q.c.IsUser() && strings.EqualFold(sp.AppID, q.c.AppID) && q.world.Tenants[sp.TenantID] != nil && !slices.Contains(ids, sp.TenantID) {
			ids = append(ids, sp.TenantID)
		}
	}
	if !slices.Contains(ids, q.c.TenantID) && q.world.Tenants[q.c.TenantID] != nil {
		ids = append(ids, q.c.TenantID)
	}
	sort.Strings(ids)
	items := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		t := q.world.Tenants[id]
		items = append(items, map[string]any{
			"id": "/tenants/" + t.ID, "tenantId": t.ID, "countryCode": "US", "displayName": t.DisplayName,
			"domains": []string{t.DefaultDomain}, "tenantCategory": "Home", "defaultDomain": t.DefaultDomain,
			"tenantType": "AAD",
		})
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"value": items})
}

// metadataEndpoints serves /metadata/endpoints (unauthenticated). Under
// the real host name (proxy mode) it describes the public cloud; on the
// loopback address it points sign-in, Graph and Resource Manager at the
// sandbox itself.
func (q *armRequest) metadataEndpoints() {
	w, r := q.w, q.r
	v := r.URL.Query().Get("api-version")
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	name := "AzpeerSandbox"
	base := armBase(r) + "/"
	login, graph, arm, portal, gallery := base, base, base, base, base
	if host == "management.azure.com" {
		name = "AzureCloud"
		login, graph, arm = "https://login.microsoftonline.com/", "https://graph.windows.net/", "https://management.azure.com/"
		portal, gallery = "https://portal.azure.com/", "https://gallery.azure.com/"
	}
	audiences := []string{AudienceARM, arm}
	if v == "2015-01-01" {
		writeJSON(w, http.StatusOK, map[string]any{
			"galleryEndpoint": gallery, "graphEndpoint": graph, "portalEndpoint": portal,
			"authentication": map[string]any{"loginEndpoint": login, "audiences": audiences},
		})
		return
	}
	writeJSON(w, http.StatusOK, []map[string]any{{
		"name": name, "portal": strings.TrimSuffix(portal, "/"), "resourceManager": arm,
		"authentication": map[string]any{
			"loginEndpoint": strings.TrimSuffix(login, "/"), "audiences": audiences,
			"tenant": "common", "identityProvider": "AAD",
		},
		"graph": graph, "graphAudience": "https://graph.windows.net/", "gallery": gallery,
		"microsoftGraphResourceId": AudienceGraph + "/",
		"activeDirectoryDataLake":  "https://datalake.azure.net/",
		"batch":                    "https://batch.core.windows.net/",
		"media":                    "https://rest.media.azure.net",
		"sqlManagement":            "https://management.core.windows.net:8443/",
		"suffixes": map[string]any{
			"storage": "core.windows.net", "keyVaultDns": "vault.azure.net", "acrLoginServer": "azurecr.io",
			"sqlServerHostname": "database.windows.net", "mhsmDns": "managedhsm.azure.net",
		},
	}})
}
