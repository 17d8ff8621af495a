package sandbox

import (
	"fmt"
	"net/http"
	"strings"
)

// Paths that match no row of armRoutes, as Resource Manager answers them:
// always JSON, never a web server's text page.

// armSegments splits a request path into its segments. Leading slashes
// count as one: Resource Manager serves https://management.azure.com//subscriptions/...
// as Microsoft's own docs call it (the Azure Backup REST walkthrough's
// "DELETE https://management.azure.com//Subscriptions/...", the Network
// Watcher docs' "armclient post https://management.azure.com//subscriptions/..."),
// and terraform-provider-azurerm#12074 logs such requests answered.
// Empty segments further in stay empty and match no {parameter}
// (Azure/azure-cli#23174: .../resourcegroups//providers/... is refused).
func armSegments(path string) []string {
	return strings.Split(strings.Trim("/"+strings.TrimLeft(path, "/"), "/"), "/")
}

// emulatedNamespaces are the resource providers the sandbox serves.
var emulatedNamespaces = []string{providerNetwork, providerAuthorization, providerResources}

// armUnknownRoute answers a path no row has:
//  1. without an api-version, MissingApiVersionParameter before anything
//     else, as https://management.azure.com/ itself answers an anonymous
//     browser (MicrosoftDocs/feedback#2279);
//  2. the token, as for every other path;
//  3. a provider the sandbox does not serve: 404 InvalidResourceNamespace,
//     "The resource namespace '<ns>' is invalid." (Azure/azure-powershell#25659,
//     Azure/aci-connector-k8s#13): the sandbox's subscriptions know only
//     its three providers;
//  4. a type a served provider lacks: 404 InvalidResourceType, "The
//     resource type '<type>' could not be found in the namespace '<ns>'
//     for api version '<v>'." (the form of Azure/azure-powershell#12061,
//     without a list: no version has the type);
//  5. a path with no provider at all: variant azure-unknown-path.
func (s *Server) armUnknownRoute(w http.ResponseWriter, r *http.Request, segs []string) {
	v := r.URL.Query().Get("api-version")
	if v == "" {
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	if _, ok := s.armAuthenticate(w, r); !ok {
		return
	}
	if ns, typ, ok := providerOfPath(segs); ok {
		known := ""
		for _, n := range emulatedNamespaces {
			if strings.EqualFold(n, ns) {
				known = n
			}
		}
		if known == "" {
			armError(w, http.StatusNotFound, "InvalidResourceNamespace", fmt.Sprintf("The resource namespace '%s' is invalid.", ns))
			return
		}
		armError(w, http.StatusNotFound, "InvalidResourceType", fmt.Sprintf(
			"The resource type '%s' could not be found in the namespace '%s' for api version '%s'.", typ, known, v))
		return
	}
	world, unlock := s.lock()
	variant := world.variant(VariantAzureUnknownPath)
	unlock()
	switch variant {
	case "no-http-resource":
		writeJSON(w, http.StatusNotFound, map[string]any{
			"Message": fmt.Sprintf("No HTTP resource was found that matches the request URI '%s%s'.", armBase(r), r.URL.RequestURI())})
	default:
		armError(w, http.StatusNotFound, "InvalidResourceType", fmt.Sprintf(
			"The resource type could not be found in the namespace '' for api version '%s'.", v))
	}
}

// providerOfPath finds the last /providers/{namespace} of a path and the
// type it names: the segments after the namespace at even places, joined
// by "/" (.../providers/Microsoft.Network/virtualNetworks/v/subnets/s is
// type virtualNetworks/subnets).
func providerOfPath(segs []string) (ns, typ string, ok bool) {
	at := -1
	for i := 0; i+1 < len(segs); i++ {
		if strings.EqualFold(segs[i], "providers") && segs[i+1] != "" {
			at = i
		}
	}
	if at < 0 {
		return "", "", false
	}
	var types []string
	for i := at + 2; i < len(segs); i += 2 {
		types = append(types, segs[i])
	}
	return segs[at+1], strings.Join(types, "/"), true
}
