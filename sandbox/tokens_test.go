package sandbox

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"
)

// An expired token is refused by Resource Manager with
// ExpiredAuthenticationToken, quoting both times as .NET prints them.
func TestARMExpiredToken(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	world, unlock := s.lock()
	sp := world.ServicePrincipals[AdminSPObjectID]
	unlock()
	tok, err := s.issueToken(UserTenantID, sp, AudienceARM, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/subscriptions?api-version=2022-12-01", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	stamp := `\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M`
	re := regexp.MustCompile(`^The access token expiry UTC time '` + stamp + `' is earlier than current UTC time '` + stamp + `'\.$`)
	if resp.StatusCode != http.StatusUnauthorized || body.Error.Code != "ExpiredAuthenticationToken" || !re.MatchString(body.Error.Message) ||
		resp.Header.Get("x-ms-error-code") != "ExpiredAuthenticationToken" {
		t.Errorf("%d %+v", resp.StatusCode, body)
	}
	// Graph keeps its own text for the same token.
	tok, _ = s.issueToken(UserTenantID, sp, AudienceGraph, -time.Minute)
	req, _ = http.NewRequest(http.MethodGet, s.URL()+"/v1.0/organization", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 401 || body.Error.Message != "Lifetime validation failed, the token is expired." {
		t.Errorf("Graph: %d %+v", resp.StatusCode, body)
	}
}
