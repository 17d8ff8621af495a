package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// Graph's free-form fields of applications and service principals (tags,
// notes, description), which tools use to mark the objects they create,
// and PATCH, which changes them.
//
// Sources:
//   - application resource type,
//     https://learn.microsoft.com/en-us/graph/api/resources/application?view=graph-rest-1.0:
//     displayName "Maximum length is 256 characters."; description "The
//     maximum allowed size is 1,024 characters. Supports $filter"; notes
//     "Notes relevant for the management of the application." (no limit);
//     tags "Custom strings that can be used to categorize and identify the
//     application. Not nullable. Strings added here will also appear in the
//     tags property of any associated service principals. Supports $filter
//     (eq, not, ge, le, startsWith)" (no limit, per tag or in number).
//   - servicePrincipal resource type,
//     https://learn.microsoft.com/en-us/graph/api/resources/serviceprincipal
//     (and the doc comments of the msgraph SDK models, e.g. msgraph-sdk-go's
//     ServicePrincipal.GetNotes, which come from Graph's metadata): notes "Free text field
//     to capture information about the service principal, typically used
//     for operational purposes. Maximum allowed size is 1024 characters."
//     (hashicorp/terraform-provider-azuread checks the same bound:
//     validation.StringLenBetween(0, 1024) on the principal's notes); tags
//     "The value is the union of strings set here and on the associated
//     application entity's tags property."
//   - Graph's CSDL declares application notes as a plain Edm.String and tags
//     as a non-nullable Collection(Edm.String), without MaxLength.
//   - Update application,
//     https://learn.microsoft.com/en-us/graph/api/application-update?view=graph-rest-1.0:
//     PATCH /applications/{applicationObjectId} or
//     /applications(appId='{appId}'); "Existing properties that aren't
//     included in the request body maintain their previous values"; "If
//     successful, this method returns a 204 No Content response code and
//     doesn't return anything in the response body." PATCH
//     /servicePrincipals/{id} (Update servicePrincipal) is answered the same
//     way; that page was not re-read for this.
//
// So the sandbox enforces the documented limits only; tags and an
// application's notes are not limited. How Graph words its answer to an
// over-long value is not documented: the sandbox answers with Graph's
// invalid-property-value error, as it does for other refused values.

// Documented limits, in characters (counted here as Unicode code points).
const (
	graphAppDisplayNameMax = 256
	graphDescriptionMax    = 1024
	graphSPNotesMax        = 1024
)

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// spTags is what Graph answers for a service principal's tags: its own and
// its application's (the documented union). Whether Entra computes the
// union when it answers or copies the application's tags when they change
// is not documented; the sandbox computes it on read. Expects world.mu held.
func (world *World) spTags(sp *ServicePrincipal) []string {
	out := slices.Clone(nonNilStrings(sp.Tags))
	if app := world.appByAppID(sp.AppID); app != nil {
		for _, t := range app.Tags {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// withinLimits checks an application's displayName and description against
// the documented limits (nil: not given), answering 400 itself.
func (g *graphCall) withinLimits(resource string, displayName, description *string) bool {
	if displayName != nil && utf8.RuneCountInString(*displayName) > graphAppDisplayNameMax {
		invalidValue(g.w, "displayName", resource)
		return false
	}
	if description != nil && utf8.RuneCountInString(*description) > graphDescriptionMax {
		invalidValue(g.w, "description", resource)
		return false
	}
	return true
}

// spNotesWithinLimit checks a service principal's notes, answering 400 itself.
func (g *graphCall) spNotesWithinLimit(notes *string) bool {
	if notes != nil && utf8.RuneCountInString(*notes) > graphSPNotesMax {
		invalidValue(g.w, "notes", "ServicePrincipal")
		return false
	}
	return true
}

// graphPatch is a PATCH body: the raw JSON of each property it names, by
// the canonical property name.
type graphPatch map[string]json.RawMessage

// patchBody reads a PATCH body that may name only the given properties
// (matched without regard to case; OData annotations such as
// "@odata.type" are ignored). It answers 400 itself: for a body that is not
// a JSON object as for any other unreadable body, and for a property the
// sandbox cannot update with a message of its own, since real Graph would
// update it and silently dropping it would hide a client's mistake.
func (g *graphCall) patchBody(resource string, props ...string) (graphPatch, bool) {
	var raw map[string]json.RawMessage
	if err := decodeJSON(g.r, &raw); err != nil || raw == nil {
		g.badJSON()
		return nil, false
	}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	slices.Sort(names)
	out := graphPatch{}
	for _, k := range names {
		if strings.HasPrefix(k, "@") {
			continue
		}
		i := slices.IndexFunc(props, func(p string) bool { return strings.EqualFold(p, k) })
		if i < 0 {
			graphError(g.w, http.StatusBadRequest, "Request_BadRequest",
				"The azpeer sandbox cannot update property '"+k+"' of resource '"+resource+"'; it emulates PATCH of "+strings.Join(props, ", ")+" only.")
			return nil, false
		}
		out[props[i]] = raw[k]
	}
	return out, true
}

// str decodes a string property that may be null (nil). It reports false
// for any other JSON value.
func (p graphPatch) str(name string) (*string, bool) {
	raw := p[name]
	if string(raw) == "null" {
		return nil, true
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	return &v, true
}

// strs decodes a collection of strings. Graph documents tags as not
// nullable but not what it answers to an explicit null; the sandbox takes
// null as the empty collection.
func (p graphPatch) strs(name string) ([]string, bool) {
	raw := p[name]
	if string(raw) == "null" {
		return nil, true
	}
	var v []string
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	return v, true
}

func (p graphPatch) has(name string) bool {
	_, ok := p[name]
	return ok
}

// updateApplication answers PATCH on an application: displayName,
// description, notes and tags. The checks are those of delete and
// addPassword (an application-administering role, or OwnedBy on an app the
// caller created). Every value is checked before any is applied, so a
// refused PATCH changes nothing; Graph does not document partial updates.
func (g *graphCall) updateApplication(app *Application) {
	if !g.requireAppAdmin(app) {
		return
	}
	p, ok := g.patchBody("Application", "displayName", "description", "notes", "tags")
	if !ok {
		return
	}
	name, description, notes, tags := app.DisplayName, app.Description, app.Notes, app.Tags
	// Only the values given are checked against the limits: objects the
	// scenario made need not meet them.
	var newName, newDescription *string
	if p.has("displayName") {
		v, ok := p.str("displayName")
		if !ok || v == nil || strings.TrimSpace(*v) == "" {
			invalidValue(g.w, "displayName", "Application")
			return
		}
		name, newName = *v, v
	}
	if p.has("description") {
		if description, ok = p.str("description"); !ok {
			invalidValue(g.w, "description", "Application")
			return
		}
		newDescription = description
	}
	if p.has("notes") {
		if notes, ok = p.str("notes"); !ok {
			invalidValue(g.w, "notes", "Application")
			return
		}
	}
	if p.has("tags") {
		if tags, ok = p.strs("tags"); !ok {
			invalidValue(g.w, "tags", "Application")
			return
		}
	}
	if !g.withinLimits("Application", newName, newDescription) {
		return
	}
	app.DisplayName, app.Description, app.Notes, app.Tags = name, description, notes, tags
	g.w.WriteHeader(http.StatusNoContent)
}

// updateServicePrincipal answers PATCH on a service principal: notes and
// tags (its own; its application's tags still show, see spTags). The
// checks are those of deleting a service principal.
func (g *graphCall) updateServicePrincipal(sp *ServicePrincipal) {
	if !g.requireAppAdmin(g.world.appByAppID(sp.AppID)) {
		return
	}
	p, ok := g.patchBody("ServicePrincipal", "notes", "tags")
	if !ok {
		return
	}
	notes, tags := sp.Notes, sp.Tags
	if p.has("notes") {
		if notes, ok = p.str("notes"); !ok {
			invalidValue(g.w, "notes", "ServicePrincipal")
			return
		}
		if !g.spNotesWithinLimit(notes) {
			return
		}
	}
	if p.has("tags") {
		if tags, ok = p.strs("tags"); !ok {
			invalidValue(g.w, "tags", "ServicePrincipal")
			return
		}
	}
	sp.Notes, sp.Tags = notes, tags
	g.w.WriteHeader(http.StatusNoContent)
}
