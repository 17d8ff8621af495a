package sandbox

import (
	"net/http"
	"regexp"
	"testing"
	"time"
)

// An expired token is refused by Resource Manager with
// ExpiredAuthenticationToken, quoting both times as .NET prints them.
func TestARMExpiredToken(t *testing.T) {
	s := startServer(t, Options{})
	tok := adminTokenFor(t, s, AudienceARM, -time.Minute)
	resp, e := callAzure(t, s, http.MethodGet, "/subscriptions?api-version=2022-12-01", tok, "")
	stamp := `\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M`
	re := regexp.MustCompile(`^The access token expiry UTC time '` + stamp + `' is earlier than current UTC time '` + stamp + `'\.$`)
	if resp.StatusCode != http.StatusUnauthorized || e.Code != "ExpiredAuthenticationToken" || !re.MatchString(e.Message) ||
		resp.Header.Get("x-ms-error-code") != "ExpiredAuthenticationToken" {
		t.Errorf("%d %+v", resp.StatusCode, e)
	}
	// Graph keeps its own text for the same token.
	tok = adminTokenFor(t, s, AudienceGraph, -time.Minute)
	if resp, e := callAzure(t, s, http.MethodGet, "/v1.0/organization", tok, ""); resp.StatusCode != 401 || e.Message != "Lifetime validation failed, the token is expired." {
		t.Errorf("Graph: %d %+v", resp.StatusCode, e)
	}
}
