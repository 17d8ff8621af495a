package sandbox

import (
	"net/http"
	"strings"
	"time"
)

// Microsoft Graph for people: /me and its memberships (what `az ad
// signed-in-user show` and azpeer's preflight read), and /users. A user's
// directory roles come back from memberOf and transitiveMemberOf as
// directoryRole objects, as for service principals (groups are not
// emulated, so both list the same).

// isMemberships reports whether a path segment lists an object's
// memberships: memberOf or transitiveMemberOf, the same list here.
func isMemberships(seg string) bool {
	return strings.EqualFold(seg, "memberOf") || strings.EqualFold(seg, "transitiveMemberOf")
}

func (u *User) objectID() string   { return u.ID }
func (u *User) tenant() string     { return u.TenantID }
func (u *User) created() time.Time { return u.CreatedAt }

// userJSON renders a user with Graph v1.0's default properties ("user
// resource type": businessPhones … userPrincipalName, id), plus userType.
func userJSON(u *User) map[string]any {
	return map[string]any{
		"id": u.ID, "businessPhones": []string{}, "displayName": u.DisplayName, "givenName": nilIfEmpty(u.GivenName),
		"jobTitle": nil, "mail": nilIfEmpty(u.Mail), "mobilePhone": nil, "officeLocation": nil, "preferredLanguage": nil,
		"surname": nilIfEmpty(u.Surname), "userPrincipalName": u.UserPrincipalName, "userType": u.UserType,
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// routeMe serves /me, /me/memberOf and /me/transitiveMemberOf. With an
// app's token Graph refuses /me: "/me request is only valid with
// delegated authentication flow." (400 BadRequest,
// microsoftgraph/msgraph-sdk-php#1163).
func (g *graphCall) routeMe(rest []string) {
	if g.user == nil {
		graphError(g.w, http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
		return
	}
	g.routeUser(g.user, rest)
}

// routeUsers serves /users, /users/{id or UPN} and its memberships.
func (g *graphCall) routeUsers(rest []string, keyProp, key string, hasKey bool) {
	rest, _, key, hasKey = memberKey(rest, keyProp, key, hasKey)
	if !hasKey {
		if g.method(http.MethodGet) {
			listObjects(g, g.world.Users, "users", "microsoft.graph.user", userProps, userJSON)
		}
		return
	}
	u := g.world.userByName(key)
	if u == nil || !strings.EqualFold(u.TenantID, g.tenant.ID) {
		g.notFound(key)
		return
	}
	g.routeUser(u, rest)
}

func (g *graphCall) routeUser(u *User, rest []string) {
	switch {
	case len(rest) == 0:
		if g.method(http.MethodGet) {
			g.writeObject(http.StatusOK, "users/$entity", userJSON(u))
		}
	case len(rest) == 1 && isMemberships(rest[0]):
		if g.method(http.MethodGet) {
			g.directoryRoles(u.DirectoryRoles)
		}
	default:
		g.badSegment(rest[len(rest)-1])
	}
}

// userProps are the properties $filter may test on users, by lower-case
// name (as graph_filter.go looks them up).
func userProps(u *User) map[string][]string {
	return map[string][]string{
		"id": {u.ID}, "displayname": {u.DisplayName}, "userprincipalname": {u.UserPrincipalName},
		"mail": {u.Mail}, "usertype": {u.UserType},
	}
}
