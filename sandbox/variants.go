package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Variants are behaviours of the real services that no public source
// settles. For each, the sandbox offers every plausible answer as a named
// value, with the evidence for it, so that azpeer is made to work under
// all of them rather than under the one the sandbox happened to pick. The
// first value of each variant is the default.
//
// They are set with `sandbox serve --variant NAME=VALUE` (repeatable), a
// "variants" object in a scenario file, Options.Variants, the environment
// variable AZPEER_SANDBOX_VARIANTS (NAME=VALUE,NAME=VALUE: every sandbox the
// process starts takes them, so a whole test suite can run under a variant;
// Options.Variants win over it), or PUT /_sandbox/variants;
// GET /_sandbox/variants shows the current values.

// Variant is one such behaviour and its plausible answers.
type Variant struct {
	Name   string         `json:"name"`
	About  string         `json:"about"`
	Values []VariantValue `json:"values"`
}

// VariantValue is one plausible answer, with its evidence.
type VariantValue struct {
	Name     string `json:"name"`
	Evidence string `json:"evidence"`
}

// Variant names.
const (
	VariantAivenDuplicateCreate   = "aiven-duplicate-create"
	VariantAivenPermission        = "aiven-permission-failure"
	VariantAivenStateInfo         = "aiven-state-info"
	VariantAivenUppercase         = "aiven-uppercase-names"
	VariantAivenNoVNetAccess      = "aiven-no-vnet-access"
	VariantAivenInvalidToken      = "aiven-invalid-token"
	VariantMSTOrganizations       = "mst-organizations"
	VariantAzureBusy              = "azure-busy"
	VariantAzureAPIVersions       = "azure-api-versions"
	VariantAzureUnknownPath       = "azure-unknown-path"
	VariantAzureVNetUpdating      = "azure-vnet-updating"
	VariantAzureSyncChangedSide   = "azure-sync-changed-side"
	VariantAivenAddressSpaceSync  = "aiven-address-space-sync"
	VariantEntraDeviceCodePolling = "entra-device-code-polling"
)

// AllVariants is the registry of variants, in a stable order.
func AllVariants() []Variant {
	return []Variant{
		{Name: VariantAivenDuplicateCreate,
			About: "what Aiven answers to a create for a peering connection that already exists (in any state)",
			Values: []VariantValue{
				{"conflict", "409 with Aiven's error body, no error_code: Aiven answers 409 \"Project already exists\" for a project (aiven/terraform-provider-aiven#745) and avn treats 409 as 'already exists' (aiven-client cli.py --no-fail-if-exists); a create during a deletion fails (aiven/terraform-provider-aiven#537). The text is the sandbox's own"},
				{"existing", "200 with the existing connection, unchanged: a create of an existing peering connection does not fail (aiven/terraform-provider-aiven#752), which is why the provider checks for one before creating"},
			}},
		{Name: VariantAivenPermission,
			About: "the state a connection ends in when Aiven's service principal may not peer with the VNet",
			Values: []VariantValue{
				{"rejected-by-peer", "Aiven's Azure peering doc: 'check if the Azure VNet exists and if the Aiven application object has the permission' for a REJECTED_BY_PEER connection; the MST docs: INVALID_SPECIFICATION or REJECTED_BY_PEER 'may be shown if the VNet specified did not exist, or the Timescale app object wasn't given permissions to peer with it'"},
				{"invalid-specification", "the Terraform provider's docs (templates/resources/vpc_peering_connection.md.tmpl) call REJECTED_BY_PEER 'an AWS specific state' and list 'the Aiven cloud account doesn't have permissions to peer there' among the causes of INVALID_SPECIFICATION"},
			}},
		{Name: VariantAivenStateInfo,
			About: "when a connection's state_info is null (go-client-codegen's openapi_patch.yaml makes it nullable)",
			Values: []VariantValue{
				{"kept", "state_info is an object with message and type in every state: avn's docs show `peering-connection get` of an ACTIVE connection printing \"Message: Peering connection active\" and its type (aiven-docs docs/tools/cli/vpc.md)"},
				{"null-after-active", "null once ACTIVE, the object before: aiven/terraform-provider-aiven#304, where GET of the VPC returns state_info null for a connection made earlier"},
				{"null-outside-pending-peer", "null except in PENDING_PEER and the failures (INVALID_SPECIFICATION, REJECTED_BY_PEER, ERROR keep their message; DELETED_BY_PEER is null): avn's docs show STATE_INFO null in the answers to create and delete; the Terraform docs say INVALID_SPECIFICATION's \"state_info field contains more details\""},
			}},
		{Name: VariantAivenUppercase,
			About: "what Aiven does with a resource group or VNet name that is not lower case",
			Values: []VariantValue{
				{"invalid-specification-later", "accepted, then INVALID_SPECIFICATION: the docs' 'If no error is shown, the peering connection is being set up' after the lower-case warning leaves room for a later failure"},
				{"refused-at-create", "400 at create, without error_code, worded like terraform-provider-aiven#303's validation error: Aiven's and MST's docs say 'the Aiven API currently only accepts names in lower case'"},
			}},
		{Name: VariantAivenNoVNetAccess,
			About: "what Aiven does when the user's Azure peering does not allow virtual network access",
			Values: []VariantValue{
				{"stays-pending-peer", "stays PENDING_PEER, with a message saying why: Aiven may check the peering's properties before calling it ACTIVE; no public source says it does not"},
				{"active-without-traffic", "ACTIVE: Aiven sees both sides Connected; allowVirtualNetworkAccess only gates traffic (the MST docs: without --allow-vnet-access 'no traffic is allowed to flow from the peered VNet')"},
			}},
		{Name: VariantAivenInvalidToken,
			About: "what Aiven answers to a request with an unknown, revoked or expired API token",
			Values: []VariantValue{
				{"invalid-token-403", "403 \"Invalid token\" with an error_code: the sandbox's own; no public source quotes Aiven's answer to an unknown or revoked token"},
				{"expired-token-401", "401 \"Missing (expired) db token\" without error_code, verbatim from aiven/terraform-provider-aiven#647, where an Aiven maintainer says it \"is usually returned when your token is expired\"; a revoked or unknown token is as missing from Aiven's store"},
			}},
		{Name: VariantMSTOrganizations,
			About: "whether a Managed Service for TimescaleDB account has an organization over its projects (GET /v1/organizations)",
			Values: []VariantValue{
				{"listed", "listed like Aiven's: MST runs on Aiven's platform and API (MST's docs call https://api.aiven.io/v1/me), whose projects all belong to an organization; nothing in MST's docs says otherwise"},
				{"none", "none: GET /v1/organizations lists no organization for MST's projects, which only GET /v1/project lists; MST's docs speak of projects and project members only (mst/about-mst.md, mst/user-management.md) and list projects with avn project list (mst/aiven-client.md)"},
			}},
		{Name: VariantAzureBusy,
			About: "how Azure answers a write to a resource (or a peering of a VNet) that another operation is updating",
			Values: []VariantValue{
				{"conflict-409", "409 AnotherOperationInProgress, as in hashicorp/terraform-provider-azurerm logs"},
				{"bad-request-400", "400 AnotherOperationInProgress, reported for some network resources (terraform-provider-azurerm#2605, #3392)"},
				{"async-failure", "the PUT is accepted and its async operation fails with AnotherOperationInProgress: microsoft/AzureTRE#2222 and pulumi/pulumi-azure-native#1024 quote the text with autorest's 'StatusCode=0 ... Status=<nil>', which is how it reports a failed long-running operation"},
			}},
		{Name: VariantAzureAPIVersions,
			About: "which api-versions Resource Manager accepts for a type",
			Values: []VariantValue{
				{"specs", "exactly those the published azure-rest-api-specs define the type in (arm_apiversions.go names the folders)"},
				{"registered", "those and the further ones the live service's NoRegisteredProviderFound and InvalidResourceType texts list (Azure/azure-cli#17545 and #28496, Azure/azure-sdk-for-java#28334, pulumi/pulumi-azure-native#3637)"},
			}},
		{Name: VariantAzureUnknownPath,
			About: "what Resource Manager answers for a path that names no provider and matches no route (e.g. /subscriptions/{id}/foo)",
			Values: []VariantValue{
				{"invalid-resource-type", "404 InvalidResourceType 'The resource type could not be found in the namespace '' for api version ...': the code and short text Resource Manager gives a path it resolves to no registered type (Azure/azure-powershell#11022, Azure/azure-rest-api-specs#14245)"},
				{"no-http-resource", "404 {\"Message\": \"No HTTP resource was found that matches the request URI '...'.\"}: ASP.NET Web API's answer from the service behind (Azure/azure-relay#56), of the same family as Resource Manager's bare {\"Message\"} 405 (Azure/azure-service-operator#2362)"},
			}},
		{Name: VariantAzureVNetUpdating,
			About: "which virtual networks are provisioningState Updating while a peering operation runs",
			Values: []VariantValue{
				{"local-and-remote", "both the peering's network and its remote: a peering changes the remote's peeringState too; the remote then refuses peering PUTs that reference it with ReferencedResourceNotProvisioned (terraform-provider-azurerm#2605/#3392 show the code for a remote in Updating state)"},
				{"local-only", "only the network whose peering is being written; a network is Updating while one of its own child resources is (PutSubnetOperation in the same texts)"},
				{"none", "networks stay Succeeded; only the peering itself is Updating (no public source shows a network's state during a peering operation)"},
			}},
		{Name: VariantAzureSyncChangedSide,
			About: "what a sync (?syncRemoteAddressSpace=true) of the peering on the network whose address space changed (the RemoteNotInSync side) does",
			Values: []VariantValue{
				{syncNoOpValue, "succeeds and changes nothing; the side stays RemoteNotInSync until the other side syncs: Azure/azure-powershell#24168 (\"ends with success but the status for peering is still RemoteNotInSync\"), and Sync-AzVirtualNetworkPeering's docs: the sync \"needs to be called on the (peered) remote virtual network\""},
				{syncBothValue, "syncs both sides: Microsoft's how-to (articles/virtual-network/update-virtual-network-peering-address-space.yml) has the user change the address space and then sync the peering of that same network"},
			}},
		{Name: VariantAivenAddressSpaceSync,
			About: "when Aiven syncs its side of an ACTIVE Azure peering after the user's VNet address space changed",
			Values: []VariantValue{
				{aivenSyncOnRef, "when asked: POST /v1/project/{project}/vpcs/{project_vpc_id}/peering-connections/refresh makes Aiven re-check the VPC's connections (the one action a user has on Aiven's side; avn and Aiven's API expose it, go-client-codegen v0.238.0 has no method for it); no public source says what it does for an ACTIVE connection"},
				{aivenSyncLater, "by itself, Timing.AivenAddressSync after the change, whatever the user asks: the issue that asked for sync quotes Aiven's docs, \"network changes can take up to 24 hours\""},
			}},
		{Name: VariantEntraDeviceCodePolling,
			About: "what Entra answers a device-code poll that comes sooner than the interval it gave",
			Values: []VariantValue{
				{"tolerant", "authorization_pending, however fast: the Microsoft identity platform's device code page lists no slow_down and the graph-oauth crate's PollDeviceCodeEvent says slow_down is 'not yet supported by Microsoft'; MSAL Go polls from 50 ms on, ignoring interval (apps/internal/oauth/oauth.go)"},
				{"slow-down", "slow_down, as RFC 8628 section 3.5 allows, when polled sooner than interval"},
			}},
	}
}

// variantByName finds a variant in the registry.
func variantByName(name string) (Variant, bool) {
	for _, v := range AllVariants() {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}

// checkVariants validates a set of variant values, naming what is wrong.
func checkVariants(set map[string]string) error {
	for name, value := range set {
		v, ok := variantByName(name)
		if !ok {
			var names []string
			for _, v := range AllVariants() {
				names = append(names, v.Name)
			}
			return fmt.Errorf("no variant %q (there are %s)", name, strings.Join(names, ", "))
		}
		if !slices.ContainsFunc(v.Values, func(x VariantValue) bool { return x.Name == value }) {
			var values []string
			for _, x := range v.Values {
				values = append(values, x.Name)
			}
			return fmt.Errorf("variant %s has no value %q (it has %s)", name, value, strings.Join(values, ", "))
		}
	}
	return nil
}

// ParseVariant reads NAME=VALUE, as --variant takes it.
func ParseVariant(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" || value == "" {
		return "", "", fmt.Errorf("%q is not NAME=VALUE (e.g. %s=existing)", s, VariantAivenDuplicateCreate)
	}
	if err := checkVariants(map[string]string{name: value}); err != nil {
		return "", "", err
	}
	return name, value, nil
}

// variant is the current value of a variant in the world (its default
// when unset). The caller holds the world lock.
func (world *World) variant(name string) string {
	if v, ok := world.Variants[name]; ok {
		return v
	}
	if v, ok := variantByName(name); ok {
		return v.Values[0].Name
	}
	return ""
}

// currentVariants is every variant's value.
func (world *World) currentVariants() map[string]string {
	out := map[string]string{}
	for _, v := range AllVariants() {
		out[v.Name] = world.variant(v.Name)
	}
	return out
}

// SetVariants changes variants (tests; PUT /_sandbox/variants does the same).
func (s *Server) SetVariants(set map[string]string) error {
	if err := checkVariants(set); err != nil {
		return err
	}
	world, unlock := s.lock()
	defer unlock()
	if world.Variants == nil {
		world.Variants = map[string]string{}
	}
	for k, v := range set {
		world.Variants[k] = v
	}
	s.markDirty()
	return nil
}

// Variants returns every variant's current value.
func (s *Server) Variants() map[string]string {
	world, unlock := s.lock()
	defer unlock()
	return world.currentVariants()
}

// adminVariants serves GET and PUT /_sandbox/variants.
func (s *Server) adminVariants(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		var set map[string]string
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&set); err != nil {
			adminError(w, http.StatusBadRequest, `want {"variant-name": "value", ...}: `+err.Error())
			return
		}
		if err := s.SetVariants(set); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	cur := s.Variants()
	type entry struct {
		Variant
		Value string `json:"value"`
	}
	out := []entry{}
	for _, v := range AllVariants() {
		out = append(out, entry{Variant: v, Value: cur[v.Name]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, map[string]any{"variants": out, "current": cur})
}

// VariantsEnv is the environment variable whose NAME=VALUE,... every
// sandbox applies at start, before Options.Variants.
const VariantsEnv = "AZPEER_SANDBOX_VARIANTS"

// envVariants parses VariantsEnv's value ("" is none).
func envVariants(v string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		name, value, err := ParseVariant(item)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", VariantsEnv, err)
		}
		out[name] = value
	}
	return out, nil
}
