package sandbox

import (
	"errors"
	"testing"
)

// filterProps is an application as $filter sees it: single values and the
// multi-valued tags, with an empty collection and no description.
var filterProps = map[string][]string{
	"displayname":    {"O'Brien's peering"},
	"appid":          {"55f300d4-fc50-4c5e-9222-e90a6e2187fb"},
	"signinaudience": {"AzureADMultipleOrgs"},
	"tags":           {"azpeer", "team:network"},
	"identifieruris": {},
	"description":    nil,
}

// TestFilterEval parses filters and evaluates them on filterProps. A
// property the resource cannot filter on is reported by name (Graph's
// Request_UnsupportedQuery), in whichever branch it stands.
func TestFilterEval(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   bool
		// unsupported is the property eval must refuse ("" for none).
		unsupported string
	}{
		{"displayName eq 'O''Brien''s peering'", true, ""},
		{"DISPLAYNAME EQ 'o''brien''s PEERING'", true, ""}, // names, operators and values ignore case
		{"displayName eq 'other'", false, ""},
		{"displayName ne 'other'", true, ""},
		{"displayName ne 'O''Brien''s peering'", false, ""},
		{"identifierUris ne 'x'", true, ""}, // ne holds for an empty collection
		{"startswith(displayName,'O''Bri')", true, ""},
		{"startswith(displayName,'Brien')", false, ""},
		{"tags/any(t:t eq 'azpeer')", true, ""},
		{"tags/any(t: t eq 'AZPEER')", true, ""},
		{"tags/any(t:startswith(t,'team:'))", true, ""},
		{"tags/any(t:t eq 'team')", false, ""},
		{"identifierUris/any(u:u eq 'x')", false, ""},
		{"not (displayName eq 'other')", true, ""},
		{"not displayName eq 'O''Brien''s peering'", false, ""},
		{"appId eq 'x' or signInAudience eq 'AzureADMultipleOrgs'", true, ""},
		{"appId eq 'x' and signInAudience eq 'AzureADMultipleOrgs'", false, ""},
		// and binds tighter than or.
		{"signInAudience eq 'AzureADMultipleOrgs' or appId eq 'x' and appId eq 'y'", true, ""},
		{"(signInAudience eq 'AzureADMultipleOrgs' or appId eq 'x') and appId eq 'y'", false, ""},
		{"colour eq 'blue'", false, "colour"},
		{"displayName eq 'x' or Colour eq 'blue'", false, "Colour"},
		{"colours/any(c:c eq 'blue')", false, "colours"},
		{"not startswith(notes,'x')", false, "notes"},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			e, err := parseFilter(tc.filter)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, err := e.eval(filterProps)
			var up unsupportedProp
			switch {
			case tc.unsupported != "" && (!errors.As(err, &up) || string(up) != tc.unsupported):
				t.Errorf("eval error = %v, want unsupported property %q", err, tc.unsupported)
			case tc.unsupported == "" && (err != nil || got != tc.want):
				t.Errorf("eval = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestFilterSyntaxErrors pins the texts Graph's answer carries after
// "Invalid filter clause: ".
func TestFilterSyntaxErrors(t *testing.T) {
	for _, tc := range []struct{ filter, want string }{
		{"displayName", "Syntax error at position 11 in 'displayName'. Operator 'eq' or 'ne' expected after 'displayName'."},
		{"displayName eq", "Syntax error at position 14 in 'displayName eq'. String literal expected."},
		{"displayName eq 'x", "Syntax error at position 17 in 'displayName eq 'x'. Unterminated string literal."},
		{"displayName gt 'x'", "Syntax error at position 12 in 'displayName gt 'x''. Operator 'eq' or 'ne' expected after 'displayName'."},
		{"displayName eq 'x' extra", "Syntax error at position 19 in 'displayName eq 'x' extra'. Unexpected 'extra'."},
		{"(displayName eq 'x'", "Syntax error at position 19 in '(displayName eq 'x''. ')' expected."},
		{"startswith displayName", "Syntax error at position 11 in 'startswith displayName'. '(' expected."},
		{"startswith(displayName 'x')", "Syntax error at position 23 in 'startswith(displayName 'x')'. Property and ',' expected."},
		{"tags/all(t:t eq 'x')", "Syntax error at position 8 in 'tags/all(t:t eq 'x')'. 'any(' expected."},
		{"tags/any(t eq 'x')", "Syntax error at position 11 in 'tags/any(t eq 'x')'. Lambda variable expected."},
		{"tags/any(t:x eq 'a')", "Syntax error at position 12 in 'tags/any(t:x eq 'a')'. 't eq' expected."},
		{"tags/any(t:startswith(x,'a'))", "Syntax error at position 23 in 'tags/any(t:startswith(x,'a'))'. 'startswith(t,' expected."},
		{"and", "Syntax error at position 3 in 'and'. Operator 'eq' or 'ne' expected after 'and'."},
		{"'x'", "Syntax error at position 0 in ''x''. Expression expected."},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			_, err := parseFilter(tc.filter)
			var se *filterSyntaxError
			if !errors.As(err, &se) || err.Error() != tc.want {
				t.Errorf("parse error = %v\nwant          %s", err, tc.want)
			}
		})
	}
}
