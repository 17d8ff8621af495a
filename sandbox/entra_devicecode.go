package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// The device authorization grant (RFC 8628) as Entra speaks it, and the
// refresh-token grant that follows it: how a person signs in to the Azure
// CLI (`az login --use-device-code`, MSAL Python) or to azpeer
// (azidentity's DeviceCodeCredential, MSAL Go).
//
//   - POST /{tenant}/oauth2/v2.0/devicecode (client_id, scope) answers
//     device_code, user_code, verification_uri, expires_in (900), interval
//     (5) and message, in the shape of a captured answer (Microsoft Q&A
//     981553: {"user_code":"YZMYLD4K", "device_code":"…",
//     "verification_uri":…, "expires_in":900, "interval":5, "message":"To
//     sign in, use a web browser to open the page … and enter the code …
//     to authenticate."}). verification_uri is the sandbox's own page
//     (/devicelogin on its loopback address, which any local browser that
//     trusts its CA opens): the real one, microsoft.com/devicelogin, is a
//     host the sandbox does not answer as.
//   - The token endpoint's grant urn:ietf:params:oauth:grant-type:device_code
//     answers, until the code is approved: authorization_pending with
//     AADSTS70016 (the captured text of Q&A 981553); expired_token with
//     AADSTS70020 "The provided value for the input parameter 'device_code'
//     is not valid. This device code has expired." (MicrosoftDocs/azure-docs
//     #92366, Azure/azure-sdk-for-python#32375); authorization_declined
//     when the user refused and bad_verification_code for a code Entra never
//     issued (the error names of the Microsoft identity platform's device
//     code flow page, which also says Entra does not send access_denied or
//     slow_down — the graph-oauth crate's PollDeviceCodeEvent repeats it;
//     their AADSTS numbers are not public, so 70000, InvalidGrant, stands
//     in). slow_down is variant entra-device-code-polling=slow-down.
//     A confidential app (one with secrets, not a public client) polling
//     with no secret gets AADSTS7000218 "The request body must contain the
//     following parameter: 'client_assertion' or 'client_secret'." (the
//     answer to a device code flow of an app that is not a public client:
//     Azure-Samples/active-directory-dotnetcore-devicecodeflow-v2#9,
//     Azure/azure-sdk-for-go#22386).
//   - grant_type=refresh_token redeems the refresh token for any resource
//     in any tenant the person has an account in (the Azure CLI gets its
//     Graph tokens and every tenant's Resource Manager tokens that way);
//     in a tenant where they have none, AADSTS50020 "User account '…' from
//     identity provider '…' does not exist in tenant '…' and cannot access
//     the application '…'(…) in that tenant."
//
// Every success answers access_token, refresh_token, id_token and
// client_info: MSAL Python decodes id_token (checking aud is the client id
// and exp, msal/oauth2cli/oidc.py decode_id_token) and builds the account
// from client_info's uid and utid (msal/token_cache.py); MSAL Go does the
// same (apps/internal/oauth/ops/accesstokens/tokens.go ClientInfo,
// HomeAccountID). The simulated clock scales expires_in and interval:
// a demo at 20× expires its codes 20× sooner.

// grantDeviceCode is RFC 8628's grant type. MSAL Go sends the short
// form "device_code" (apps/internal/oauth/ops/accesstokens: grant.DeviceCode),
// which Entra takes as well.
const grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// Public clients: Microsoft's first-party apps that exist in every tenant
// and sign people in without a secret. azidentity's DeviceCodeCredential
// defaults to the Azure CLI's client id too (azidentity.go
// developerSignOnClientID).
var publicClients = map[string]string{
	"04b07795-8ddb-461a-bbee-02f9e1bf7b46": "Microsoft Azure CLI",
	"1950a258-227b-4e31-a9cf-717495945fc2": "Microsoft Azure PowerShell",
}

// AzureCLIClientID is the Azure CLI's public client id.
const AzureCLIClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// deviceCodeLifetime is Entra's expires_in for device codes (Q&A 981553).
const deviceCodeLifetime = 15 * time.Minute

// deviceCodeInterval is Entra's polling interval for device codes.
const deviceCodeInterval = 5 * time.Second

// refreshTokenLifetime is the lifetime of refresh tokens (Entra: 90 days,
// "Refresh tokens in the Microsoft identity platform").
const refreshTokenLifetime = 90 * 24 * time.Hour

// deviceCode is one device-code sign-in under way.
type deviceCode struct {
	DeviceCode, UserCode string
	ClientID             string
	// Tenant is the tenant the client named, resolved to an id, or ""
	// for common and organizations (the person's home tenant decides).
	Tenant    string
	Scope     string
	CreatedAt time.Time // simulated
	CreatedRT time.Time // wall clock, for the instant clock
	LastPoll  time.Time // wall clock
	// Status is pending, approved, declined or redeemed.
	Status string
	// UserID is the approving person's home object id.
	UserID string
}

// expired reports whether the code has outlived its lifetime: in simulated
// time, or in wall-clock time on the instant clock (where every simulated
// delay has already passed).
func (s *Server) deviceCodeExpired(world *World, dc *deviceCode) bool {
	life := world.deviceCodeLifetime()
	if s.clock.Speed() == 0 {
		return time.Since(dc.CreatedRT) > life
	}
	return s.clock.Due(dc.CreatedAt, life)
}

func (world *World) deviceCodeLifetime() time.Duration {
	if d := world.Timing.DeviceCodeLifetime.D(); d > 0 {
		return d
	}
	return deviceCodeLifetime
}

// realSeconds is a simulated duration as the whole seconds a client should
// count on the wall clock (at least 1).
func (s *Server) realSeconds(d time.Duration) int {
	if s.clock.Speed() != 0 {
		d = s.clock.Real(d)
	}
	return max(1, int(math.Ceil(d.Seconds())))
}

// pollInterval is the interval a device code asks clients to poll at, in
// seconds: Entra's 5 on the simulated clock, 1 on the instant clock (where
// nothing is worth waiting for).
func (s *Server) pollInterval() int {
	if s.clock.Speed() == 0 {
		return 1
	}
	return s.realSeconds(deviceCodeInterval)
}

// userCodeAlphabet leaves out letters and digits people confuse.
const userCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// newUserCode is nine characters, as Entra's codes are now ("BPPVYQZMA",
// Azure/azure-sdk-for-python#32375).
func newUserCode() string {
	b := make([]byte, 9)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(userCodeAlphabet))))
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b[i] = userCodeAlphabet[n.Int64()]
	}
	return string(b)
}

// deviceAuthorization answers POST /{tenant}/oauth2/v2.0/devicecode and
// the v1 endpoint's /{tenant}/oauth2/devicecode, which takes a resource
// instead of scopes and names the page verification_url (and is polled
// with code rather than device_code, which tokenDeviceCode takes):
// MicrosoftDocs/azure-docs#48307.
func (s *Server) deviceAuthorization(w http.ResponseWriter, r *http.Request, tenantParam string, v2 bool) {
	f, ok := entraForm(w, r, "client_id")
	if !ok {
		return
	}
	clientID, scope, param := f.Get("client_id"), f.Get("scope"), "scope"
	if !v2 {
		param = "resource"
		if res := strings.TrimSpace(f.Get("resource")); res != "" {
			scope = strings.TrimRight(res, "/") + "/.default"
		}
	}
	switch {
	case clientID == "":
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	case strings.TrimSpace(scope) == "":
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: '"+param+"'.")
		return
	}
	if _, ok := userResource(w, scope); !ok {
		return
	}
	world, unlock := s.lock()
	defer unlock()
	tenantID, ok := namedTenant(w, world, tenantParam, "")
	if !ok {
		return
	}
	if _, public := publicClients[clientID]; !public && world.appByAppID(clientID) == nil {
		aadError(w, http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '"+clientID+"' was not found in the directory '"+tenantParam+
			"'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")
		return
	}
	if world.deviceCodes == nil {
		world.deviceCodes = map[string]*deviceCode{}
	}
	dc := &deviceCode{DeviceCode: "DAQABAAEAAAD" + strings.ReplaceAll(newSecret()+newSecret()+newSecret(), "~", "-"), UserCode: newUserCode(),
		ClientID: clientID, Tenant: tenantID, Scope: scope, CreatedAt: s.clock.Now(), CreatedRT: time.Now(), Status: "pending"}
	world.deviceCodes[dc.DeviceCode] = dc
	// The sandbox's own address, not the host the client used: in proxy
	// mode that is login.microsoftonline.com, which a browser that does
	// not use the proxy would look for on the internet.
	uri := s.URL() + "/devicelogin"
	uriKey := "verification_uri"
	if !v2 {
		uriKey = "verification_url"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"user_code": dc.UserCode, "device_code": dc.DeviceCode, uriKey: uri,
		"expires_in": s.realSeconds(world.deviceCodeLifetime()), "interval": s.pollInterval(),
		"message": "To sign in, use a web browser to open the page " + uri + " and enter the code " + dc.UserCode + " to authenticate.",
	})
}

// tokenDeviceCode answers the device-code grant's polls.
func (s *Server) tokenDeviceCode(w http.ResponseWriter, r *http.Request, f url.Values, v2 bool) {
	code, clientID := f.Get("device_code"), f.Get("client_id")
	if code == "" {
		// MSAL Python sends the code as device_code, older clients as code.
		code = f.Get("code")
	}
	if code == "" {
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'device_code'.")
		return
	}
	world, unlock := s.lock()
	defer unlock()
	dc := world.deviceCodes[code]
	if dc == nil || dc.ClientID != clientID {
		aadError(w, http.StatusBadRequest, "bad_verification_code", 70000, "The provided value for the input parameter 'device_code' is not valid.")
		return
	}
	if _, public := publicClients[clientID]; !public {
		if app := world.appByAppID(clientID); app != nil && f.Get("client_secret") == "" && f.Get("client_assertion") == "" {
			aadError(w, http.StatusUnauthorized, "invalid_client", 7000218,
				"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
			return
		}
	}
	last := dc.LastPoll
	dc.LastPoll = time.Now()
	switch {
	case dc.Status == "redeemed":
		aadError(w, http.StatusBadRequest, "invalid_grant", 70000, "The provided value for the input parameter 'device_code' is not valid. It has already been redeemed.")
		return
	case s.deviceCodeExpired(world, dc):
		aadError(w, http.StatusBadRequest, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.")
		return
	case dc.Status == "declined":
		aadError(w, http.StatusBadRequest, "authorization_declined", 70000, "The user has declined to authorize the device.")
		return
	case dc.Status == "pending" && world.variant(VariantEntraDeviceCodePolling) == "slow-down" &&
		!last.IsZero() && time.Since(last) < time.Duration(s.pollInterval())*time.Second:
		aadError(w, http.StatusBadRequest, "slow_down", 70016, "The client is polling too fast. Wait the interval before polling again.")
		return
	case dc.Status == "pending":
		aadError(w, http.StatusBadRequest, "authorization_pending", 70016, "The provided request has not yet been authorized by the user. The user must input their code.")
		return
	}
	home := world.userByID(dc.UserID)
	if home == nil {
		aadError(w, http.StatusBadRequest, "invalid_grant", 50034, "The user account does not exist in the directory.")
		return
	}
	tenantID := dc.Tenant
	if tenantID == "" {
		tenantID = home.TenantID
	}
	dc.Status = "redeemed"
	s.answerUserTokens(w, r, world, home, tenantID, clientID, dc.Scope, f.Get("resource"), v2)
}

// tokenRefresh answers grant_type=refresh_token.
func (s *Server) tokenRefresh(w http.ResponseWriter, r *http.Request, tenantParam string, f url.Values, v2 bool) {
	raw, clientID := f.Get("refresh_token"), f.Get("client_id")
	if raw == "" {
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'.")
		return
	}
	rt, err := s.parseRefreshToken(raw)
	if err != nil || rt.ClientID != clientID {
		// "AADSTS9002313: Invalid request. Request is malformed or
		// invalid." is Entra's answer to a refresh token it cannot read
		// (MicrosoftDocs/azure-docs#63819, invalid_grant); one of another
		// client is refused the same way here.
		aadError(w, http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
		return
	}
	world, unlock := s.lock()
	defer unlock()
	home := world.userByID(rt.Subject)
	if home == nil {
		aadError(w, http.StatusBadRequest, "invalid_grant", 50034, "The user account does not exist in the directory.")
		return
	}
	tenantID, ok := namedTenant(w, world, tenantParam, home.TenantID)
	if !ok {
		return
	}
	s.answerUserTokens(w, r, world, home, tenantID, clientID, f.Get("scope"), f.Get("resource"), v2)
}

// answerUserTokens issues the tokens of a person (home: their home object)
// for a client in a tenant: access, refresh and ID token and client_info.
// Expects world.mu held.
func (s *Server) answerUserTokens(w http.ResponseWriter, r *http.Request, world *World, home *User, tenantID, clientID, scope, resourceParam string, v2 bool) {
	account := world.accountIn(home.ID, tenantID)
	tenant := world.Tenants[tenantID]
	if account == nil || tenant == nil {
		appName := publicClients[clientID]
		if app := world.appByAppID(clientID); app != nil {
			appName = app.DisplayName
		}
		aadError(w, http.StatusBadRequest, "invalid_grant", 50020, "User account '"+home.UserPrincipalName+"' from identity provider 'https://sts.windows.net/"+home.TenantID+
			"/' does not exist in tenant '"+tenantDisplay(tenant, tenantID)+"' and cannot access the application '"+clientID+"'("+appName+") in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Microsoft Entra user account.")
		return
	}
	var resource string
	var ok bool
	if !v2 && resourceParam != "" {
		resource, ok = resourceParam, true
	} else if resource, ok = userResource(w, scope); !ok {
		return
	}
	aud, known := audienceOrRefusal(w, resource, tenant.ID)
	if !known {
		return
	}
	at, err := s.issueUserToken(tenantID, account, home, clientID, aud, tokenLifetime)
	if err != nil {
		aadError(w, http.StatusInternalServerError, "temporarily_unavailable", 50000, "There was an error issuing a token.")
		return
	}
	rt, err1 := s.issueRefreshToken(home, clientID)
	idt, err2 := s.issueIDToken(r, tenantID, account, home, clientID)
	if err1 != nil || err2 != nil {
		aadError(w, http.StatusInternalServerError, "temporarily_unavailable", 50000, "There was an error issuing a token.")
		return
	}
	ci, _ := json.Marshal(map[string]string{"uid": home.ID, "utid": home.TenantID})
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	secs := int(tokenLifetime.Seconds()) - 1
	body := map[string]any{
		"token_type": "Bearer", "scope": responseScope(scope, resource), "expires_in": secs, "ext_expires_in": secs,
		"access_token": at, "refresh_token": rt, "id_token": idt, "client_info": base64.RawURLEncoding.EncodeToString(ci),
	}
	if !v2 {
		now := time.Now()
		body["expires_in"], body["ext_expires_in"] = strconv.Itoa(secs), strconv.Itoa(secs)
		body["expires_on"] = strconv.FormatInt(now.Add(tokenLifetime).Unix(), 10)
		body["not_before"] = strconv.FormatInt(now.Add(-5*time.Minute).Unix(), 10)
		body["resource"] = resource
	}
	writeJSON(w, http.StatusOK, body)
}

func tenantDisplay(t *Tenant, id string) string {
	if t != nil {
		return t.DisplayName
	}
	return id
}

// responseScope is the scope a token answer names: the scopes asked for,
// without MSAL's OpenID ones (so clients find the token in their caches
// under what they asked for), or the resource's .default.
func responseScope(scope, resource string) string {
	var out []string
	for _, sc := range strings.Fields(scope) {
		if !oidcScopes[strings.ToLower(sc)] {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return strings.TrimRight(resource, "/") + "/.default"
	}
	return strings.Join(out, " ")
}

// userResource is the resource a delegated request's scopes name: each
// scope is "<resource>/<permission>" (".default" included) or a bare
// permission, which is Microsoft Graph's; all must name one resource
// (Entra: AADSTS70011 otherwise). It answers the error itself.
func userResource(w http.ResponseWriter, scope string) (string, bool) {
	resource := ""
	for _, sc := range strings.Fields(scope) {
		if oidcScopes[strings.ToLower(sc)] {
			continue
		}
		res := AudienceGraph
		if i := strings.LastIndex(sc, "/"); i > 0 && strings.Contains(sc, "://") {
			res = sc[:i]
		}
		if resource != "" && strings.TrimRight(strings.ToLower(resource), "/") != strings.TrimRight(strings.ToLower(res), "/") {
			aadError(w, http.StatusBadRequest, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid. The scope "+scope+" is not valid.")
			return "", false
		}
		if resource == "" {
			resource = res
		}
	}
	if resource == "" {
		// Only OpenID scopes: a sign-in with no resource, which Entra
		// answers with a Graph token (User.Read).
		resource = AudienceGraph
	}
	return resource, true
}

// delegatedScopes are the scp of a user's token by audience:
// user_impersonation for Resource Manager (its one delegated permission);
// for Graph, the sandbox's own list of what the Azure CLI's first-party
// app is consented for (no public capture of its scp was at hand; azpeer
// reads scp only to tell a user's token from an app's).
func delegatedScopes(aud string) string {
	if strings.HasPrefix(aud, AudienceGraph) || aud == "00000003-0000-0000-c000-000000000000" {
		return "Application.ReadWrite.All AuditLog.Read.All DelegatedPermissionGrant.ReadWrite.All Directory.AccessAsUser.All email Group.ReadWrite.All openid profile User.Read.All User.ReadWrite.All"
	}
	return "user_impersonation"
}

// issueUserToken signs a user's access token for audience, as Entra's v1
// delegated tokens carry it: oid and tid of the account in the tenant,
// upn, unique_name and name, idtyp user, scp, and the client's appid. A
// guest's token has no upn and names their home tenant's issuer as idp
// ("Access token claims reference").
func (s *Server) issueUserToken(tenantID string, account, home *User, clientID, audience string, lifetime time.Duration) (string, error) {
	now := time.Now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "https://sts.windows.net/" + tenantID + "/", Subject: account.ID,
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(lifetime)), ID: uuid.NewString(),
		},
		Aud: audience, TenantID: tenantID, ObjectID: account.ID, AppID: clientID, IDType: "user", Version: "1.0",
		UniqueName: home.UserPrincipalName, Name: account.DisplayName, Scope: delegatedScopes(audience),
		GivenName: account.GivenName, FamilyName: account.Surname,
	}
	if account.UserType == "Guest" {
		c.IDP = "https://sts.windows.net/" + home.TenantID + "/"
	} else {
		c.UPN = account.UserPrincipalName
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.signingKey)
}

// refreshClaims are the sandbox's refresh tokens: opaque to clients (MSAL
// never reads them), signed, naming the person and the client.
type refreshClaims struct {
	jwt.RegisteredClaims
	ClientID string `json:"cid"`
	Use      string `json:"use"`
}

// refreshPrefix keeps a refresh token from ever passing as a bearer token.
const refreshPrefix = "1.AR"

func (s *Server) issueRefreshToken(home *User, clientID string) (string, error) {
	now := time.Now()
	c := refreshClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: home.ID, IssuedAt: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(refreshTokenLifetime)), ID: uuid.NewString()}, ClientID: clientID, Use: "refresh"}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.signingKey)
	return refreshPrefix + tok, err
}

func (s *Server) parseRefreshToken(raw string) (*refreshClaims, error) {
	if !strings.HasPrefix(raw, refreshPrefix) {
		return nil, errors.New("not a refresh token")
	}
	var c refreshClaims
	_, err := jwt.ParseWithClaims(strings.TrimPrefix(raw, refreshPrefix), &c, func(*jwt.Token) (any, error) { return s.signingKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired())
	if err != nil || c.Use != "refresh" {
		return nil, errors.New("invalid refresh token")
	}
	return &c, nil
}

// issueIDToken signs a v2.0 ID token for the client: aud the client id,
// iss the tenant's v2.0 issuer on the host the client used, and the
// person's names (OpenID Connect Core's ID token, Entra's "ID token claims
// reference").
func (s *Server) issueIDToken(r *http.Request, tenantID string, account, home *User, clientID string) (string, error) {
	now := time.Now()
	claims := jwt.MapClaims{
		"aud": clientID, "iss": requestBase(r) + "/" + tenantID + "/v2.0", "iat": now.Unix(), "nbf": now.Add(-5 * time.Minute).Unix(),
		"exp": now.Add(tokenLifetime).Unix(), "name": account.DisplayName, "oid": account.ID,
		"preferred_username": home.UserPrincipalName, "sub": account.ID, "tid": tenantID, "ver": "2.0",
		"uti": uuid.NewString(),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.signingKey)
}

// namedTenant is the id of the tenant a request's path names, or orElse
// for organizations, common and consumers (which name none); an unknown
// tenant is answered with AADSTS90002 and ok false.
func namedTenant(w http.ResponseWriter, world *World, tenantParam, orElse string) (id string, ok bool) {
	if tenantAliases[strings.ToLower(tenantParam)] {
		return orElse, true
	}
	t := world.resolveTenant(tenantParam)
	if t == nil {
		aadError(w, http.StatusBadRequest, "invalid_request", 90002, tenantNotFound(tenantParam))
		return "", false
	}
	return t.ID, true
}
