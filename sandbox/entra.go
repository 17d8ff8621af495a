package sandbox

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Entra ID's sign-in endpoints, as MSAL (Go and Python) and the Azure CLI
// call them: OpenID discovery per tenant, instance discovery, the key set,
// and the v2.0 and v1 token endpoints for the client-credentials grant.
//
// Applications sign in with a client secret; people with a device code and
// then refresh tokens (entra_devicecode.go). Every check follows Entra's
// order and wording: tenant, client, service principal in that tenant,
// secret, resource.

// tokenLifetime is the lifetime of issued access tokens (Entra: 60–90 min).
const tokenLifetime = time.Hour

// Tenant aliases that name no directory: fine for discovery, not for an
// app-only token.
var tenantAliases = map[string]bool{"common": true, "organizations": true, "consumers": true}

// handleEntra routes /{tenant}/... and /common/discovery/instance.
func (s *Server) handleEntra(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	tenant, rest := parts[0], strings.ToLower(strings.Join(parts[1:], "/"))
	setRouteTemplate(r, "/{tenant}/"+rest)
	switch rest {
	case "v2.0/.well-known/openid-configuration", ".well-known/openid-configuration":
		if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		s.openIDConfiguration(w, r, tenant, rest == "v2.0/.well-known/openid-configuration")
	case "discovery/instance":
		if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		s.instanceDiscovery(w, r)
	case "discovery/v2.0/keys", "discovery/keys":
		// Tokens are HMAC-signed with a key only the sandbox holds, so
		// there is no public key to publish; the empty set keeps
		// discovery-driven clients working.
		writeJSON(w, http.StatusOK, map[string]any{"keys": []any{}})
	case "oauth2/v2.0/devicecode", "oauth2/devicecode":
		if postOnly(w, r) {
			s.deviceAuthorization(w, r, tenant, rest == "oauth2/v2.0/devicecode")
		}
	case "oauth2/v2.0/token", "oauth2/token":
		if postOnly(w, r) {
			s.token(w, r, tenant, rest == "oauth2/v2.0/token")
		}
	default:
		notFound(w, APIEntra, r)
	}
}

// postOnly reports whether the request to an OAuth endpoint is a POST, and
// answers any other method as Entra does: invalid_request with
// AADSTS900561, not 405. The text is verbatim as public issues quote it
// (BitySA/oauth2-auth-code-pkce#30, NunoFilipeMota/PublicScripts#5:
// "AADSTS900561: The endpoint only accepts POST, OPTIONS requests.
// Received a GET request.").
func postOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodPost {
		return true
	}
	aadError(w, http.StatusBadRequest, "invalid_request", 900561,
		"The endpoint only accepts POST, OPTIONS requests. Received a "+r.Method+" request.")
	return false
}

// allowMethods answers 405 unless the request uses one of methods.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// requestBase is the scheme and host the client used, so that discovery
// answers point back at the same place: the loopback address, or the real
// host name in proxy mode.
func requestBase(r *http.Request) string {
	return "https://" + r.Host
}

// resolveTenant finds a tenant by id or by its domain. Expects world.mu held.
func (world *World) resolveTenant(idOrDomain string) *Tenant {
	if t := world.Tenants[idOrDomain]; t != nil {
		return t
	}
	return find(maps.Values(world.Tenants), func(t *Tenant) bool {
		return strings.EqualFold(t.ID, idOrDomain) || strings.EqualFold(t.DefaultDomain, idOrDomain)
	})
}

func tenantNotFound(tenant string) string {
	return "Tenant '" + tenant + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
}

// openIDConfiguration answers OpenID discovery for a tenant (v2.0 or v1
// document). MSAL needs issuer, authorization_endpoint and token_endpoint,
// with the issuer on the authority's own scheme and host.
func (s *Server) openIDConfiguration(w http.ResponseWriter, r *http.Request, tenant string, v2 bool) {
	base := requestBase(r)
	pathTenant, issuerTenant := tenant, "{tenantid}"
	if !tenantAliases[strings.ToLower(tenant)] {
		world, unlock := s.lock()
		t := world.resolveTenant(tenant)
		unlock()
		if t == nil {
			aadError(w, http.StatusBadRequest, "invalid_tenant", 90002, tenantNotFound(tenant))
			return
		}
		pathTenant, issuerTenant = t.ID, t.ID
	}
	tb := base + "/" + pathTenant
	doc := map[string]any{
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     "https://graph.microsoft.com/oidc/userinfo",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"claims_supported": []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
			"msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
			"c_hash", "email"},
		"kerberos_endpoint":     tb + "/kerberos",
		"tenant_region_scope":   "EU",
		"cloud_instance_name":   "microsoftonline.com",
		"cloud_graph_host_name": "graph.windows.net",
		"msgraph_host":          "graph.microsoft.com",
		"rbac_url":              "https://pas.windows.net",
	}
	if v2 {
		doc["token_endpoint"] = tb + "/oauth2/v2.0/token"
		doc["jwks_uri"] = tb + "/discovery/v2.0/keys"
		doc["issuer"] = base + "/" + issuerTenant + "/v2.0"
		doc["authorization_endpoint"] = tb + "/oauth2/v2.0/authorize"
		doc["device_authorization_endpoint"] = tb + "/oauth2/v2.0/devicecode"
		doc["end_session_endpoint"] = tb + "/oauth2/v2.0/logout"
	} else {
		doc["token_endpoint"] = tb + "/oauth2/token"
		doc["jwks_uri"] = tb + "/discovery/keys"
		doc["issuer"] = "https://sts.windows.net/" + issuerTenant + "/"
		doc["authorization_endpoint"] = tb + "/oauth2/authorize"
		doc["device_authorization_endpoint"] = tb + "/oauth2/devicecode"
		doc["end_session_endpoint"] = tb + "/oauth2/logout"
	}
	writeJSON(w, http.StatusOK, doc)
}

// microsoftLoginHosts are the aliases instance discovery vouches for.
var microsoftLoginHosts = []string{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"}

// instanceDiscovery answers MSAL's
// GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...
// for the public cloud's hosts and for the sandbox's own address.
func (s *Server) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	ae := r.URL.Query().Get("authorization_endpoint")
	if ae == "" {
		aadError(w, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'authorization_endpoint'.")
		return
	}
	u, err := url.Parse(ae)
	if err != nil || u.Host == "" {
		aadError(w, http.StatusBadRequest, "invalid_instance", 50049, "Unknown or invalid instance.")
		return
	}
	host := strings.ToLower(u.Host)
	known := strings.EqualFold(host, r.Host)
	for _, h := range microsoftLoginHosts {
		known = known || host == h
	}
	if !known {
		aadError(w, http.StatusBadRequest, "invalid_instance", 50049, "Unknown or invalid instance.")
		return
	}
	tenant := "common"
	if p := strings.Split(strings.Trim(u.Path, "/"), "/"); p[0] != "" {
		tenant = p[0]
	}
	// Microsoft's hosts are one instance with four aliases; the sandbox's
	// own address is an instance of its own.
	aliases := []string{host}
	if containsFold(microsoftLoginHosts, host) {
		aliases = microsoftLoginHosts
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": "https://" + host + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": aliases[0],
			"preferred_cache":   aliases[min(1, len(aliases)-1)],
			"aliases":           aliases,
		}},
	})
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// Resources the sandbox issues tokens for, by lower-case identifier without
// trailing slash: application id URIs and application ids.
var knownResources = map[string]string{
	"https://management.core.windows.net":  AudienceARM,
	"https://management.azure.com":         AudienceARM,
	"797f4846-ba00-4fd7-ba43-dac1f8f63013": AudienceARM,
	"https://graph.microsoft.com":          AudienceGraph,
	"00000003-0000-0000-c000-000000000000": AudienceGraph,
}

// audienceFor maps a requested resource to the token audience. Resource
// Manager tokens carry the identifier as requested (Resource Manager
// accepts all its spellings); Graph tokens always carry Graph's URI.
func audienceFor(resource string) (string, bool) {
	key := strings.TrimRight(strings.ToLower(strings.TrimSpace(resource)), "/")
	aud, ok := knownResources[key]
	if !ok {
		return "", false
	}
	if aud == AudienceARM && strings.HasPrefix(key, "https://") {
		return resource, true
	}
	return aud, true
}

// oidcScopes are the scopes MSAL adds to every request; they name no resource.
var oidcScopes = map[string]bool{"openid": true, "offline_access": true, "profile": true, "email": true}

// token answers the client-credentials grant on the v2.0 (scope=) or v1
// (resource=) token endpoint.
func (s *Server) token(w http.ResponseWriter, r *http.Request, tenantParam string, v2 bool) {
	f, ok := entraForm(w, r, "grant_type")
	if !ok {
		return
	}
	grant := f.Get("grant_type")
	if grant == "" {
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	switch grant {
	case grantDeviceCode, "device_code":
		s.tokenDeviceCode(w, r, f, v2)
		return
	case "refresh_token":
		s.tokenRefresh(w, r, tenantParam, f, v2)
		return
	}
	if grant != "client_credentials" {
		aadError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+grant+"'.")
		return
	}
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	// client_secret_basic: Basic base64(urlencode(id):urlencode(secret)).
	if u, p, ok := r.BasicAuth(); ok {
		if uu, err := url.QueryUnescape(u); err == nil {
			u = uu
		}
		if pp, err := url.QueryUnescape(p); err == nil {
			p = pp
		}
		if clientID == "" {
			clientID = u
		}
		if secret == "" {
			secret = p
		}
	}
	if clientID == "" {
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	if tenantAliases[strings.ToLower(tenantParam)] {
		aadError(w, http.StatusBadRequest, "invalid_request", 50059,
			"No tenant-identifying information found in either the request or implied by any provided credentials.")
		return
	}
	resource, ok := requestedResource(w, f, v2)
	if !ok {
		return
	}

	world, unlock := s.lock()
	defer unlock()
	tenant := world.resolveTenant(tenantParam)
	if tenant == nil {
		aadError(w, http.StatusBadRequest, "invalid_request", 90002, tenantNotFound(tenantParam))
		return
	}
	// The directory is named as the request named it: a tenant id as an
	// id (donwa/oneindex#621, microsoft/o365-moodle#1382), a domain as the
	// domain (pnp/pnpcore's captured "... was not found in the directory
	// 'bertonline.onmicrosoft.com'."). Sign-ins through /common or
	// /organizations name the directory's display name instead
	// (logto-io/logto#3956), which the sandbox's client credentials never
	// go through: they need a tenant.
	notFoundInTenant := "Application with identifier '" + clientID + "' was not found in the directory '" + tenantParam +
		"'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
	app := world.appByAppID(clientID)
	if app == nil {
		aadError(w, http.StatusBadRequest, "unauthorized_client", 700016, notFoundInTenant)
		return
	}
	// The app's identity in this tenant: its service principal, once
	// replicated to the token service. Another tenant knows a
	// multi-tenant app only through such a service principal.
	sp := world.spByAppID(tenant.ID, app.AppID)
	if sp == nil || !world.principalReplicated(s.clock, sp) {
		aadError(w, http.StatusBadRequest, "unauthorized_client", 700016, notFoundInTenant)
		return
	}
	if secret == "" {
		aadError(w, http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	// The secrets live on the application object in its home tenant.
	if ok, reason := world.secretValid(s.clock, app, secret, s.clock.Now()); !ok {
		if reason == "expired" {
			aadError(w, http.StatusUnauthorized, "invalid_client", 7000222, "The provided client secret keys for app '"+app.AppID+
				"' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.")
			return
		}
		// Wrong, and not yet replicated, secrets look the same to the client.
		aadError(w, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+app.AppID+"'.")
		return
	}
	aud, known := audienceOrRefusal(w, resource, tenant.ID)
	if !known {
		return
	}
	tok, err := s.issueToken(tenant.ID, sp, aud, tokenLifetime)
	if err != nil {
		aadError(w, http.StatusInternalServerError, "temporarily_unavailable", 50000, "There was an error issuing a token.")
		return
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	secs := int(tokenLifetime.Seconds()) - 1
	if v2 {
		writeJSON(w, http.StatusOK, map[string]any{
			"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok,
		})
		return
	}
	// The v1 endpoint answers numbers as strings and names the resource.
	now := time.Now()
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": strconv.Itoa(secs), "ext_expires_in": strconv.Itoa(secs),
		"expires_on": strconv.FormatInt(now.Add(tokenLifetime).Unix(), 10), "not_before": strconv.FormatInt(now.Add(-5*time.Minute).Unix(), 10),
		"resource": resource, "access_token": tok,
	})
}

// requestedResource reads the resource of a client-credentials request:
// v2.0 wants exactly one "<resource>/.default" scope (besides MSAL's OpenID
// scopes), v1 a resource parameter. It answers the error itself.
func requestedResource(w http.ResponseWriter, f url.Values, v2 bool) (string, bool) {
	if !v2 {
		res := strings.TrimSpace(f.Get("resource"))
		if res == "" {
			aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'resource'.")
			return "", false
		}
		return res, true
	}
	scope := f.Get("scope")
	var resources []string
	for _, sc := range strings.Fields(scope) {
		if oidcScopes[strings.ToLower(sc)] {
			continue
		}
		if !strings.HasSuffix(sc, "/.default") {
			aadError(w, http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope "+sc+
				" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
			return "", false
		}
		resources = append(resources, strings.TrimSuffix(sc, "/.default"))
	}
	switch len(resources) {
	case 0:
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return "", false
	case 1:
		return resources[0], true
	}
	aadError(w, http.StatusBadRequest, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid. The scope "+scope+" is not valid.")
	return "", false
}

// entraForm reads a token endpoint's form body (64 KiB at most); an
// unreadable one is answered as Entra answers a body without its first
// required parameter (AADSTS900144) and ok is false.
func entraForm(w http.ResponseWriter, r *http.Request, required string) (f url.Values, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: '"+required+"'.")
		return nil, false
	}
	return r.PostForm, true
}

// audienceOrRefusal is the token audience for resource, or, for a
// resource the tenant has no principal for, Entra's AADSTS500011 answer
// and known false. The text, which names the tenant by its id ("Yes, it
// really does say 'tenant named 123e4567-…'"), is as quoted in
// https://www.koskila.net/how-to-fix-aadsts50011-the-resource-principal-named-was-not-found-in-the-tenant/
// and Auth0's community article 140026.
func audienceOrRefusal(w http.ResponseWriter, resource, tenantID string) (aud string, known bool) {
	aud, known = audienceFor(resource)
	if !known {
		aadError(w, http.StatusBadRequest, "invalid_resource", 500011, "The resource principal named "+resource+" was not found in the tenant named "+tenantID+
			". This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.")
	}
	return aud, known
}
