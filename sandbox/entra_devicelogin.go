package sandbox

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
)

// Approving a device code: the page at the verification_uri, where a person
// enters the code and picks who they are (a rehearsal: there is no
// password), and the same for tests, in Go (ApproveDeviceCode,
// DenyDeviceCode) and over HTTP (POST /_sandbox/devicecode/approve and
// /deny with {"user_code": ..., "user": UPN or object id}).

// Why an approval fails.
var (
	ErrUnknownUserCode = errors.New("no sign-in is waiting for that code")
	ErrUserCodeExpired = errors.New("that code has expired")
	ErrUserCodeUsed    = errors.New("that code has already been used")
	ErrUnknownUser     = errors.New("no such user")
)

// findUserCode finds a pending device code by its user code (case and
// spaces ignored, as people type them). Expects world.mu held.
func (s *Server) findUserCode(world *World, userCode string) (*deviceCode, error) {
	want := strings.ToUpper(strings.Join(strings.Fields(userCode), ""))
	for _, dc := range world.deviceCodes {
		if dc.UserCode != want {
			continue
		}
		switch {
		case dc.Status != "pending":
			return nil, ErrUserCodeUsed
		case s.deviceCodeExpired(world, dc):
			return nil, ErrUserCodeExpired
		}
		return dc, nil
	}
	return nil, ErrUnknownUserCode
}

// eligibleUsers are the accounts that may answer a code: the tenant's
// users (members and guests) for a code of one tenant, every member of
// every tenant for common and organizations. Sorted by UPN. Expects
// world.mu held.
func (world *World) eligibleUsers(dc *deviceCode) []*User {
	var out []*User
	for _, u := range world.Users {
		if (dc.Tenant != "" && strings.EqualFold(u.TenantID, dc.Tenant)) || (dc.Tenant == "" && u.UserType != "Guest") {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *User) int { return strings.Compare(a.UserPrincipalName, b.UserPrincipalName) })
	return out
}

// decide approves (user != "") or declines a device code. Expects world.mu held.
func (s *Server) decide(world *World, userCode, user string, approve bool) (*deviceCode, *User, error) {
	dc, err := s.findUserCode(world, userCode)
	if err != nil {
		return nil, nil, err
	}
	if !approve {
		dc.Status = "declined"
		return dc, nil, nil
	}
	var who *User
	for _, u := range world.eligibleUsers(dc) {
		if strings.EqualFold(u.ID, user) || strings.EqualFold(u.UserPrincipalName, user) {
			who = u
		}
	}
	if who == nil && dc.Tenant != "" {
		// A member's own UPN names their guest account in the code's tenant.
		if home := world.userByName(user); home != nil {
			who = world.accountIn(home.home(), dc.Tenant)
		}
	}
	if who == nil {
		return nil, nil, fmt.Errorf("%w %q may answer this code", ErrUnknownUser, user)
	}
	dc.Status, dc.UserID = "approved", who.home()
	return dc, who, nil
}

// ApproveDeviceCode signs user (a UPN or an object id) in for the device
// code whose user code is userCode, as the person would on the page.
func (s *Server) ApproveDeviceCode(userCode, user string) error {
	world, unlock := s.lock()
	defer unlock()
	_, _, err := s.decide(world, userCode, user, true)
	return err
}

// DenyDeviceCode refuses the sign-in of a device code.
func (s *Server) DenyDeviceCode(userCode string) error {
	world, unlock := s.lock()
	defer unlock()
	_, _, err := s.decide(world, userCode, "", false)
	return err
}

// PendingUserCodes lists the user codes waiting for an answer.
func (s *Server) PendingUserCodes() []string {
	world, unlock := s.lock()
	defer unlock()
	var out []string
	for _, dc := range world.deviceCodes {
		if dc.Status == "pending" && !s.deviceCodeExpired(world, dc) {
			out = append(out, dc.UserCode)
		}
	}
	slices.Sort(out)
	return out
}

// adminDeviceCode serves POST /_sandbox/devicecode/approve and /deny.
func (s *Server) adminDeviceCode(w http.ResponseWriter, r *http.Request, approve bool) {
	var body struct {
		UserCode string `json:"user_code"`
		User     string `json:"user"`
	}
	if err := decodeJSON(r, &body); err != nil || body.UserCode == "" || (approve && body.User == "") {
		adminError(w, http.StatusBadRequest, `want {"user_code": "ABCD12345", "user": "admin@contoso.onmicrosoft.com"} (user only to approve)`)
		return
	}
	world, unlock := s.lock()
	defer unlock()
	dc, who, err := s.decide(world, body.UserCode, body.User, approve)
	if err != nil {
		adminError(w, http.StatusNotFound, err.Error())
		return
	}
	out := map[string]any{"user_code": dc.UserCode, "status": dc.Status, "client_id": dc.ClientID}
	if who != nil {
		out["user"] = who.UserPrincipalName
		out["tenant_id"] = who.TenantID
	}
	writeJSON(w, http.StatusOK, out)
}

// deviceLoginPage is the verification_uri's page: a code form, then the
// users who may answer it, then the outcome. The wording follows Entra's
// page ("Enter code", "Pick an account", "You have signed in to the …
// application on your device. You may now close this window.").
var deviceLoginPage = template.Must(template.New("devicelogin").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} – azpeer sandbox</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32em;margin:3em auto;padding:0 1em}
.err{color:#a4262c}label{display:block;margin:.4em 0}button{margin-right:.6em}small{color:#605e5c}</style></head>
<body><h1>{{.Title}}</h1>
{{if .Error}}<p class="err" id="error">{{.Error}}</p>{{end}}
{{if .Done}}<p id="outcome">{{.Done}}</p>
{{else if .Users}}<form method="post" action="/devicelogin">
<input type="hidden" name="otc" value="{{.Code}}">
<p>Sign in to <b>{{.App}}</b>{{if .Tenant}} in <b>{{.Tenant}}</b>{{end}}. Pick an account:</p>
{{range .Users}}<label><input type="radio" name="user" value="{{.ID}}" required> {{.DisplayName}} &lt;{{.UserPrincipalName}}&gt;{{if eq .UserType "Guest"}} (guest){{end}}</label>
{{end}}<p><button type="submit" name="action" value="approve">Continue</button><button type="submit" name="action" value="deny" formnovalidate>Cancel</button></p>
</form>
{{else}}<form method="post" action="/devicelogin">
<p>Enter the code displayed on your app or device.</p>
<label>Code <input name="otc" value="{{.Code}}" autocomplete="off" autofocus required></label>
<p><button type="submit">Next</button></p></form>{{end}}
<p><small>This is the azpeer sandbox: no password is asked and nothing leaves this machine.</small></p>
</body></html>
`))

type deviceLoginView struct {
	Title, Error, Done, Code, App, Tenant string
	Users                                 []*User
}

// handleDeviceLogin serves GET and POST /devicelogin.
func (s *Server) handleDeviceLogin(w http.ResponseWriter, r *http.Request) {
	setRouteTemplate(r, "/devicelogin")
	if !allowMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	v := deviceLoginView{Title: "Enter code", Code: r.URL.Query().Get("otc")}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		v.Code = strings.TrimSpace(r.PostForm.Get("otc"))
		status = s.deviceLoginStep(&v, r.PostForm.Get("action"), r.PostForm.Get("user"))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = deviceLoginPage.Execute(w, v)
}

// deviceLoginStep moves the page on by what was posted, filling v.
func (s *Server) deviceLoginStep(v *deviceLoginView, action, user string) int {
	world, unlock := s.lock()
	defer unlock()
	dc, err := s.findUserCode(world, v.Code)
	switch {
	case errors.Is(err, ErrUnknownUserCode):
		// The page's own words for a mistyped code (quoted in
		// AzureAD/azure-activedirectory-library-for-dotnet#1327).
		v.Error = "We don't recognize this code, please enter the code again."
		return http.StatusBadRequest
	case errors.Is(err, ErrUserCodeExpired):
		// AADSTS70019: "Verification code expired. Have the user retry
		// the sign-in." (Entra's error code reference).
		v.Error = "AADSTS70019: Verification code expired. Go back to your app or device and sign in again to get a new code."
		return http.StatusBadRequest
	case err != nil:
		v.Error = "That code has already been used. Go back to your app or device and sign in again to get a new code."
		return http.StatusBadRequest
	}
	v.App = publicClients[dc.ClientID]
	if app := world.appByAppID(dc.ClientID); app != nil {
		v.App = app.DisplayName
	}
	if t := world.Tenants[dc.Tenant]; t != nil {
		v.Tenant = t.DisplayName
	}
	switch action {
	case "deny":
		_, _, _ = s.decide(world, v.Code, "", false)
		v.Title, v.Done = "Sign-in cancelled", "You declined to sign in to "+v.App+". You may now close this window."
		return http.StatusOK
	case "approve":
		if _, who, err := s.decide(world, v.Code, user, true); err == nil {
			v.Title = who.DisplayName + " signed in"
			v.Done = "You have signed in to the " + v.App + " application on your device. You may now close this window."
			return http.StatusOK
		}
		v.Error = "Pick one of the accounts below."
	}
	v.Title, v.Users = "Pick an account", world.eligibleUsers(dc)
	return http.StatusOK
}
