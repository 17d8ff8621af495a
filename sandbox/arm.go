package sandbox

import (
	"fmt"
	"net/http"
	"strings"
)

// handleARM authenticates a Resource Manager request and routes it.
// Authorization resources ({scope}/providers/Microsoft.Authorization/...)
// can sit under any scope, so they are found by their provider segment;
// everything else is routed by handleARMResource.
func (s *Server) handleARM(w http.ResponseWriter, r *http.Request) {
	lp := strings.ToLower(r.URL.Path)
	if strings.HasPrefix(lp, "/metadata/endpoints") {
		s.handleARMMetadata(w, r)
		return
	}
	c, err := s.bearer(r)
	if err != nil {
		if err == errNoToken {
			w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+s.url+`/common/oauth2/authorize", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`)
			armError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
			return
		}
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
		return
	}
	if !c.HasAudience(AudienceARM, "https://management.azure.com/", "https://management.core.windows.net") {
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationTokenAudience",
			fmt.Sprintf("The access token has been obtained for wrong audience or resource '%s'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.", c.Aud))
		return
	}
	const authzMarker = "/providers/microsoft.authorization/"
	if i := strings.LastIndex(lp, authzMarker); i >= 0 {
		scope := r.URL.Path[:i]
		rest := strings.Split(strings.Trim(r.URL.Path[i+len(authzMarker):], "/"), "/")
		guid := ""
		if len(rest) > 1 {
			guid = rest[1]
		}
		switch strings.ToLower(rest[0]) {
		case "roledefinitions":
			s.handleRoleDefinitions(w, r, c, scope, guid)
			return
		case "roleassignments":
			s.handleRoleAssignments(w, r, c, scope, guid)
			return
		case "permissions":
			s.handlePermissions(w, r, c, scope)
			return
		}
	}
	s.handleARMResource(w, r, c)
}
