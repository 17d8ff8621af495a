package sandbox_test

// Graph's tags, notes and description on applications and service
// principals: set at creation, changed with PATCH, found with $filter
// lambdas, kept in the world.

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// graphCreate POSTs an object and returns its JSON, failing the test unless 201.
func graphCreate(t testing.TB, s *sandbox.Server, token, collection string, body map[string]any) map[string]any {
	t.Helper()
	status, out := graphRaw(t, s, token, http.MethodPost, "/v1.0/"+collection, body)
	if status != http.StatusCreated {
		t.Fatalf("POST %s %v: %d %v", collection, body, status, out)
	}
	return out
}

// graphGet reads one object, failing the test unless 200.
func graphGet(t testing.TB, s *sandbox.Server, token, path string) map[string]any {
	t.Helper()
	status, out := graphRaw(t, s, token, http.MethodGet, path, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, status, out)
	}
	return out
}

// graphFilter is the path of a Graph list with a $filter.
func graphFilter(collection, filter string) string {
	return "/v1.0/" + collection + "?$filter=" + url.QueryEscape(filter)
}

// graphQuery is a GET of a Graph path and the answer it should get.
type graphQuery struct {
	name, path string
	status     int
	code       string   // Graph's error code when status is not 200
	wantIDs    []string // the ids listed in the answer, in any order
}

// check sends the query and compares the answer: its status; for an error,
// its code and that it has a message; else the ids of what it lists. It
// returns the answer.
func (q graphQuery) check(t *testing.T, s *sandbox.Server, token string) map[string]any {
	t.Helper()
	status, out := graphRaw(t, s, token, http.MethodGet, q.path, nil)
	if status != q.status {
		t.Fatalf("status %d, want %d: %v", status, q.status, out)
	}
	if status != 200 {
		if e, _ := out["error"].(map[string]any); e["code"] != q.code || e["message"] == "" {
			t.Errorf("error = %v, want code %s", out, q.code)
		}
		return out
	}
	vals, _ := out["value"].([]any)
	var got []string
	for _, v := range vals {
		got = append(got, v.(map[string]any)["id"].(string))
	}
	slices.Sort(got)
	want := slices.Clone(q.wantIDs)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	return out
}

// jsonStrings is a decoded JSON array of strings (nil for anything else).
func jsonStrings(v any) []string {
	arr, ok := v.([]any)
	if !ok {
		return nil
	}
	out := []string{}
	for _, e := range arr {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func TestGraphApplicationFreeFormFields(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := adminToken(t, s, graphScope)

	app := graphCreate(t, s, token, "applications", map[string]any{
		"displayName": "tagged", "tags": []string{"azpeer", "azpeer:run=1"}, "notes": "made by azpeer", "description": "peering app",
	})
	id, appID := app["id"].(string), app["appId"].(string)
	check := func(where string, obj map[string]any, tags []string, notes, description any) {
		t.Helper()
		if got := jsonStrings(obj["tags"]); !slices.Equal(got, tags) {
			t.Errorf("%s: tags = %v, want %v", where, obj["tags"], tags)
		}
		if obj["notes"] != notes || obj["description"] != description {
			t.Errorf("%s: notes %v, description %v; want %v, %v", where, obj["notes"], obj["description"], notes, description)
		}
	}
	check("POST answer", app, []string{"azpeer", "azpeer:run=1"}, "made by azpeer", "peering app")
	check("GET", graphGet(t, s, token, "/v1.0/applications/"+id), []string{"azpeer", "azpeer:run=1"}, "made by azpeer", "peering app")

	plain := graphCreate(t, s, token, "applications", map[string]any{"displayName": "plain", "notes": nil})
	check("an app without them", plain, []string{}, nil, nil)

	// PATCH by object id and by appId: 204 and no body; what is not named stays.
	for _, tc := range []struct {
		name, path  string
		body        map[string]any
		tags        []string
		notes, desc any
		displayName string
	}{
		{"tags and notes by id", "/v1.0/applications/" + id, map[string]any{"tags": []string{"azpeer", "azpeer:run=2"}, "notes": nil},
			[]string{"azpeer", "azpeer:run=2"}, nil, "peering app", "tagged"},
		{"name and description by appId", "/v1.0/applications(appId='" + appID + "')", map[string]any{"displayName": "renamed", "description": "new"},
			[]string{"azpeer", "azpeer:run=2"}, nil, "new", "renamed"},
		{"null tags clear them", "/v1.0/applications/" + id, map[string]any{"tags": nil, "notes": "back"},
			[]string{}, "back", "new", "renamed"},
		{"no documented limit on tags or an app's notes", "/v1.0/applications/" + id,
			map[string]any{"tags": []string{strings.Repeat("t", 300)}, "notes": strings.Repeat("n", 5000)},
			[]string{strings.Repeat("t", 300)}, strings.Repeat("n", 5000), "new", "renamed"},
		{"OData annotations are ignored", "/v1.0/applications/" + id,
			map[string]any{"@odata.type": "#microsoft.graph.application", "tags": []string{"azpeer"}},
			[]string{"azpeer"}, strings.Repeat("n", 5000), "new", "renamed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := graphRaw(t, s, token, http.MethodPatch, tc.path, tc.body)
			if status != http.StatusNoContent || out != nil {
				t.Fatalf("PATCH: %d %v, want 204 and no body", status, out)
			}
			got := graphGet(t, s, token, "/v1.0/applications/"+id)
			check("after PATCH", got, tc.tags, tc.notes, tc.desc)
			if got["displayName"] != tc.displayName {
				t.Errorf("displayName = %v, want %s", got["displayName"], tc.displayName)
			}
		})
	}

	// The fields are part of the world, under their Graph names.
	var world struct {
		Applications map[string]struct {
			Tags        []string `json:"tags"`
			Notes       *string  `json:"notes"`
			Description *string  `json:"description"`
		} `json:"applications"`
	}
	sandboxState(t, s, &world)
	if a := world.Applications[id]; !slices.Equal(a.Tags, []string{"azpeer"}) || a.Description == nil || *a.Description != "new" || a.Notes == nil {
		t.Errorf("application in /_sandbox/state = %+v", a)
	}
}

func TestGraphApplicationPatchRefused(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := adminToken(t, s, graphScope)
	app := graphCreate(t, s, token, "applications", map[string]any{"displayName": "guarded", "tags": []string{"keep"}})
	path := "/v1.0/applications/" + app["id"].(string)

	ownedBy, err := s.AddPrincipal(sandbox.PrincipalSpec{DisplayName: "ci", GraphPermissions: []string{sandbox.PermissionOwnedBy}})
	if err != nil {
		t.Fatal(err)
	}
	ciToken := principalToken(t, s, ownedBy, graphScope)
	own := graphCreate(t, s, ciToken, "applications", map[string]any{"displayName": "ci's own"})

	for _, tc := range []struct {
		name, token, method, path string
		body                      any
		status                    int
		code                      string
	}{
		{"description over 1024 characters", token, http.MethodPatch, path, map[string]any{"description": strings.Repeat("d", 1025)}, 400, "Request_BadRequest"},
		{"displayName over 256 characters", token, http.MethodPatch, path, map[string]any{"displayName": strings.Repeat("x", 257)}, 400, "Request_BadRequest"},
		{"empty displayName", token, http.MethodPatch, path, map[string]any{"displayName": " "}, 400, "Request_BadRequest"},
		{"null displayName", token, http.MethodPatch, path, map[string]any{"displayName": nil}, 400, "Request_BadRequest"},
		{"tags not a collection", token, http.MethodPatch, path, map[string]any{"tags": "azpeer"}, 400, "Request_BadRequest"},
		{"notes not a string", token, http.MethodPatch, path, map[string]any{"notes": 7}, 400, "Request_BadRequest"},
		{"a property the sandbox does not update", token, http.MethodPatch, path, map[string]any{"web": map[string]any{}}, 400, "Request_BadRequest"},
		{"not an object", token, http.MethodPatch, path, []string{"tags"}, 400, "BadRequest"},
		{"valid tags with an invalid description change nothing", token, http.MethodPatch, path,
			map[string]any{"tags": []string{"changed"}, "description": strings.Repeat("d", 1025)}, 400, "Request_BadRequest"},
		{"OwnedBy on another's app", ciToken, http.MethodPatch, path, map[string]any{"tags": []string{"x"}}, 403, "Authorization_RequestDenied"},
		{"OwnedBy on its own app", ciToken, http.MethodPatch, "/v1.0/applications/" + own["id"].(string), map[string]any{"tags": []string{"ci"}}, 204, ""},
		{"unknown application", token, http.MethodPatch, "/v1.0/applications/00000000-0000-4000-8000-000000000000", map[string]any{"tags": []string{}}, 404, "Request_ResourceNotFound"},
		{"PUT is not PATCH", token, http.MethodPut, path, map[string]any{"tags": []string{}}, 405, "Request_BadRequest"},
		{"created with too long a description", token, http.MethodPost, "/v1.0/applications",
			map[string]any{"displayName": "long", "description": strings.Repeat("d", 1025)}, 400, "Request_BadRequest"},
		{"created with too long a name", token, http.MethodPost, "/v1.0/applications", map[string]any{"displayName": strings.Repeat("x", 257)}, 400, "Request_BadRequest"},
		{"created with tags not a collection", token, http.MethodPost, "/v1.0/applications", map[string]any{"displayName": "t", "tags": "x"}, 400, "BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := graphRaw(t, s, tc.token, tc.method, tc.path, tc.body)
			if status != tc.status || errorCode(out) != tc.code {
				t.Fatalf("%d %v, want %d %s", status, out, tc.status, tc.code)
			}
		})
	}
	got := graphGet(t, s, token, path)
	if tags := jsonStrings(got["tags"]); got["displayName"] != "guarded" || !slices.Equal(tags, []string{"keep"}) || got["description"] != nil {
		t.Errorf("a refused PATCH changed the app: %v", got)
	}
}

func TestGraphServicePrincipalFreeFormFields(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := adminToken(t, s, graphScope)
	app := graphCreate(t, s, token, "applications", map[string]any{"displayName": "with sp", "tags": []string{"from-app"}})
	sp := graphCreate(t, s, token, "servicePrincipals", map[string]any{"appId": app["appId"], "tags": []string{"own"}, "notes": "azpeer made me"})
	path := "/v1.0/servicePrincipals/" + sp["id"].(string)

	// Graph answers the union of the principal's tags and its application's.
	if tags := jsonStrings(sp["tags"]); !slices.Equal(tags, []string{"own", "from-app"}) || sp["notes"] != "azpeer made me" {
		t.Errorf("created service principal: tags %v, notes %v", sp["tags"], sp["notes"])
	}

	ownedBy, err := s.AddPrincipal(sandbox.PrincipalSpec{DisplayName: "ci", GraphPermissions: []string{sandbox.PermissionOwnedBy}})
	if err != nil {
		t.Fatal(err)
	}
	ciToken := principalToken(t, s, ownedBy, graphScope)
	aivenSP := graphGet(t, s, token, "/v1.0/servicePrincipals(appId='"+sandbox.AivenDefaultAppID+"')")

	for _, tc := range []struct {
		name, token, path string
		body              any
		status            int
		code              string
		tags              []string // after the PATCH, when it succeeded
		notes             any
	}{
		{"tags", token, path, map[string]any{"tags": []string{"own2"}}, 204, "", []string{"own2", "from-app"}, "azpeer made me"},
		{"clearing its own tags leaves the app's", token, path, map[string]any{"tags": []string{}}, 204, "", []string{"from-app"}, "azpeer made me"},
		{"notes to null", token, path, map[string]any{"notes": nil}, 204, "", []string{"from-app"}, nil},
		{"notes of 1024 characters", token, path, map[string]any{"notes": strings.Repeat("n", 1024)}, 204, "", []string{"from-app"}, strings.Repeat("n", 1024)},
		{"notes over 1024 characters", token, path, map[string]any{"notes": strings.Repeat("n", 1025)}, 400, "Request_BadRequest", nil, nil},
		{"a property the sandbox does not update", token, path, map[string]any{"displayName": "x"}, 400, "Request_BadRequest", nil, nil},
		{"tags not a collection", token, path, map[string]any{"tags": 1}, 400, "Request_BadRequest", nil, nil},
		{"OwnedBy on Aiven's principal", ciToken, "/v1.0/servicePrincipals/" + aivenSP["id"].(string), map[string]any{"tags": []string{"x"}}, 403, "Authorization_RequestDenied", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := graphRaw(t, s, tc.token, http.MethodPatch, tc.path, tc.body)
			if status != tc.status || errorCode(out) != tc.code {
				t.Fatalf("%d %v, want %d %s", status, out, tc.status, tc.code)
			}
			if status != http.StatusNoContent {
				return
			}
			got := graphGet(t, s, token, tc.path)
			if tags := jsonStrings(got["tags"]); !slices.Equal(tags, tc.tags) || got["notes"] != tc.notes {
				t.Errorf("after PATCH: tags %v, notes %v; want %v, %v", got["tags"], got["notes"], tc.tags, tc.notes)
			}
		})
	}

	status, out := graphRaw(t, s, token, http.MethodPost, "/v1.0/servicePrincipals",
		map[string]any{"appId": graphCreate(t, s, token, "applications", map[string]any{"displayName": "long notes"})["appId"], "notes": strings.Repeat("n", 1025)})
	if status != http.StatusBadRequest || errorCode(out) != "Request_BadRequest" {
		t.Errorf("create with notes over 1024 characters: %d %v", status, out)
	}
}

func TestGraphTagFilters(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{Scenario: "empty"})
	token := adminToken(t, s, graphScope)
	mk := func(name string, tags ...string) (string, string) {
		a := graphCreate(t, s, token, "applications", map[string]any{"displayName": name, "tags": tags})
		return a["id"].(string), a["appId"].(string)
	}
	one, oneAppID := mk("one", "azpeer", "azpeer:run=1")
	two, _ := mk("two", "azpeer", "azpeer:run=2")
	_, plainAppID := mk("plain")
	// one's principal carries the tags through its application; plain's has its own.
	oneSP := graphCreate(t, s, token, "servicePrincipals", map[string]any{"appId": oneAppID})["id"].(string)
	plainSP := graphCreate(t, s, token, "servicePrincipals", map[string]any{"appId": plainAppID, "tags": []string{"azpeer"}})["id"].(string)

	q := graphFilter
	for _, tc := range []graphQuery{
		{"any eq", q("applications", "tags/any(t:t eq 'azpeer')"), 200, "", []string{one, two}},
		{"any eq ignores case", q("applications", "tags/any(t:t eq 'AZPEER:RUN=2')"), 200, "", []string{two}},
		{"displayName and any", q("applications", "displayName eq 'one' and tags/any(t:t eq 'azpeer')"), 200, "", []string{one}},
		{"any and any", q("applications", "tags/any(t:t eq 'azpeer') and tags/any(x:x eq 'azpeer:run=2')"), 200, "", []string{two}},
		{"any startswith", q("applications", "tags/any(t:startswith(t,'azpeer:run='))"), 200, "", []string{one, two}},
		{"no match", q("applications", "tags/any(t:t eq 'nothing')"), 200, "", nil},
		{"service principals, own and the app's tags", q("servicePrincipals", "tags/any(t:t eq 'azpeer')"), 200, "", []string{oneSP, plainSP}},
		{"service principals, and", q("servicePrincipals", "appId eq '"+oneAppID+"' and tags/any(t:t eq 'azpeer:run=1')"), 200, "", []string{oneSP}},
		{"lambda with another operator", q("applications", "tags/any(t:t gt 'a')"), 400, "BadRequest", nil},
		{"all is not supported", q("applications", "tags/all(t:t eq 'a')"), 400, "BadRequest", nil},
		{"lambda variable mismatch", q("applications", "tags/any(t:u eq 'a')"), 400, "BadRequest", nil},
		{"startswith on another variable", q("applications", "tags/any(t:startswith(u,'a'))"), 400, "BadRequest", nil},
		{"unclosed lambda", q("applications", "tags/any(t:t eq 'a'"), 400, "BadRequest", nil},
		{"lambda on a property the resource lacks", q("applications", "colours/any(c:c eq 'blue')"), 400, "Request_UnsupportedQuery", nil},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, s, token) })
	}
}

// Tags and notes survive a restart from --state-dir.
func TestGraphFreeFormFieldsPersist(t *testing.T) {
	dir := t.TempDir()
	first := sandboxtest.Start(t, sandbox.Options{StateDir: dir})
	app := graphCreate(t, first, adminToken(t, first, graphScope), "applications",
		map[string]any{"displayName": "persisted", "tags": []string{"azpeer"}, "notes": "n", "description": "d"})
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	second := sandboxtest.Start(t, sandbox.Options{StateDir: dir})
	got := graphGet(t, second, adminToken(t, second, graphScope), "/v1.0/applications/"+app["id"].(string))
	if tags := jsonStrings(got["tags"]); !slices.Equal(tags, []string{"azpeer"}) || got["notes"] != "n" || got["description"] != "d" {
		t.Errorf("after a restart: tags %v, notes %v, description %v", got["tags"], got["notes"], got["description"])
	}
}
