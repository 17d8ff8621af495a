package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// The Aiven API's project VPCs and their peering connections (see
// aiven.go); the state machine that moves a connection on is in
// aiven_state.go.

// project resolves the request's project for a VPC call: 404 when it does not
// exist, 403 when the user is not a member, and the project's injected fault
// status when it has one.
func (q *aivenRequest) project() *Project {
	name := q.params[0]
	// Verbatim, without error_code: aiven/terraform-provider-aiven#477.
	p := orNotFound(q, q.world.project(name), "Project does not exist", "")
	if p == nil {
		return nil
	}
	if !slices.Contains(q.user.Projects, name) {
		// Verbatim, without error_code: aiven/terraform-provider-aiven#561.
		aivenError(q.w, http.StatusForbidden, "Not a project member", "")
		return nil
	}
	if p.FaultStatus != 0 {
		aivenFault(q.w, p.FaultStatus)
		return nil
	}
	return p
}

// aivenFault answers with an injected status in Aiven's error shape: the
// real 429 and 5xx texts (aivenThrottled, aivenServerError); for other
// statuses the HTTP status text, with an error_code of the sandbox's own.
func aivenFault(w http.ResponseWriter, status int) {
	switch {
	case status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
		aivenThrottled(w)
		return
	case status >= 500:
		aivenServerError(w, status)
		return
	}
	msg := http.StatusText(status)
	if msg == "" {
		msg = "Error " + strconv.Itoa(status)
	}
	aivenError(w, status, msg, strings.ReplaceAll(strings.ToLower(msg), " ", "_"))
}

// vpc resolves the request's project and VPC, or, on an organization's
// route, its organization VPC (with no project); v is nil once it has
// answered.
func (q *aivenRequest) vpc() (*Project, *VPC) {
	if q.orgScope {
		return nil, q.orgVPC()
	}
	p := q.project()
	if p == nil {
		return nil, nil
	}
	// No public source: the sandbox's own, in the style of "Project does not exist".
	return p, orNotFound(q, p.vpc(q.params[1]), "Project VPC does not exist", aivenCodeVPC)
}

// orNotFound is v, or nil once it has answered Aiven's 404 with msg and
// code for what the request named and v did not find.
func orNotFound[T any](q *aivenRequest, v *T, msg, code string) *T {
	if v == nil {
		aivenError(q.w, http.StatusNotFound, msg, code)
	}
	return v
}

// peeringFound is pc, or nil once it has answered the 404 for a
// connection the request named that does not exist, however it named it.
// The text is the sandbox's own (avn words its own client-side miss the
// same way: "Peering connection does not exist", aiven/client/cli.py).
func (q *aivenRequest) peeringFound(pc *AivenPeering) *AivenPeering {
	return orNotFound(q, pc, "Peering connection does not exist", aivenCodePeering)
}

func (s *Server) aivenVPCList(q *aivenRequest) {
	p := q.project()
	if p == nil {
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"vpcs": mapped(p.VPCs, vpcJSON)})
}

func (s *Server) aivenVPCGet(q *aivenRequest) {
	if _, v := q.vpc(); v != nil {
		writeJSON(q.w, http.StatusOK, q.world.aivenVPCOut(v))
	}
}

// aivenPeeringRefresh makes Aiven re-check the VPC's connections now: the
// APPROVED ones are evaluated without waiting for AivenApproval.
func (s *Server) aivenPeeringRefresh(q *aivenRequest) {
	p, v := q.vpc()
	if v == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(q.r.Body, 1<<20))
	if s.refreshVPC(q.world, q.now, p, v) {
		s.markDirty()
	}
	writeJSON(q.w, http.StatusOK, q.world.aivenVPCOut(v))
}

// --- peering connections ---------------------------------------------------

// peeringCreateBody is the create request; pointers tell absent from empty.
type peeringCreateBody struct {
	PeerCloudAccount     *string   `json:"peer_cloud_account"`
	PeerVPC              *string   `json:"peer_vpc"`
	PeerRegion           *string   `json:"peer_region"`
	PeerResourceGroup    *string   `json:"peer_resource_group"`
	PeerAzureAppID       *string   `json:"peer_azure_app_id"`
	PeerAzureTenantID    *string   `json:"peer_azure_tenant_id"`
	UserPeerNetworkCIDRs *[]string `json:"user_peer_network_cidrs"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// cloudProvider is the provider part of an Aiven cloud name ("azure" for
// azure-westeurope) and its region. Managed Service for TimescaleDB names
// the same clouds with a "timescale-" prefix (timescale-azure-westeurope,
// timescale-aws-us-east-1: timescale/docs mst/cloud-regions.md, and the
// DEFAULT_CLOUD column of `avn project list` in mst/aiven-client.md).
func cloudProvider(cloud string) (provider, region string) {
	provider, region, _ = strings.Cut(strings.TrimPrefix(cloud, "timescale-"), "-")
	return provider, region
}

// peeringTypeOf is the connection type a VPC in cloud makes (the values of
// codegen's VpcPeeringConnectionType).
func peeringTypeOf(cloud string) string {
	switch p, _ := cloudProvider(cloud); p {
	case "azure":
		return aivenPeeringTypeAzure
	case "aws":
		return aivenPeeringTypeAWS
	case "google":
		return aivenPeeringTypeGoogle
	case "upcloud":
		return "upcloud-vpc-peering"
	case "do":
		return "do-vpc-peering"
	}
	return ""
}

// validate checks a create body against the VPC's cloud and returns the
// first problem. What is required follows avn's docs (aiven-docs
// docs/tools/cli/vpc.md: --peer-resource-group, --peer-azure-app-id and
// --peer-azure-tenant-id "required for Azure") and the Terraform provider's
// schema ("in UUID4 format" for the subscription, app and tenant ids); the
// texts, "Invalid input for FIELD: ...", are the sandbox's own (no public
// source quotes Aiven's validation errors for this body).
func (b *peeringCreateBody) validate(typ string) string {
	invalid := func(field, why string) string { return fmt.Sprintf("Invalid input for %s: %s", field, why) }
	if str(b.PeerCloudAccount) == "" {
		return invalid("peer_cloud_account", "field required")
	}
	if str(b.PeerVPC) == "" {
		return invalid("peer_vpc", "field required")
	}
	isUUID := func(s string) bool { _, err := uuid.Parse(s); return err == nil && len(s) == 36 }
	if typ == aivenPeeringTypeAzure {
		switch {
		case b.PeerRegion != nil:
			return invalid("peer_region", "must be omitted or null for Azure peering connections")
		case !isUUID(*b.PeerCloudAccount):
			return invalid("peer_cloud_account", fmt.Sprintf("%q is not an Azure subscription ID in UUID4 form", *b.PeerCloudAccount))
		case str(b.PeerResourceGroup) == "":
			return invalid("peer_resource_group", "field required for Azure peering connections")
		case str(b.PeerAzureAppID) == "":
			return invalid("peer_azure_app_id", "field required for Azure peering connections")
		case !isUUID(*b.PeerAzureAppID):
			return invalid("peer_azure_app_id", fmt.Sprintf("%q is not a UUID4", *b.PeerAzureAppID))
		case str(b.PeerAzureTenantID) == "":
			return invalid("peer_azure_tenant_id", "field required for Azure peering connections")
		case !isUUID(*b.PeerAzureTenantID):
			return invalid("peer_azure_tenant_id", fmt.Sprintf("%q is not a UUID4", *b.PeerAzureTenantID))
		}
	} else {
		for _, f := range []struct {
			name string
			v    *string
		}{{"peer_resource_group", b.PeerResourceGroup}, {"peer_azure_app_id", b.PeerAzureAppID}, {"peer_azure_tenant_id", b.PeerAzureTenantID}} {
			if f.v != nil {
				return invalid(f.name, "only allowed for Azure peering connections")
			}
		}
		if b.PeerRegion != nil && typ != aivenPeeringTypeAWS {
			return invalid("peer_region", "only allowed for AWS peering connections")
		}
	}
	if b.UserPeerNetworkCIDRs != nil {
		for _, c := range *b.UserPeerNetworkCIDRs {
			p, err := netip.ParsePrefix(c)
			switch {
			case err != nil || !p.Addr().Is4():
				return invalid("user_peer_network_cidrs", fmt.Sprintf("%q is not an IPv4 network range", c))
			case p.Masked() != p:
				return invalid("user_peer_network_cidrs", fmt.Sprintf("%q has host bits set", c))
			}
		}
	}
	return ""
}

// upperCaseNames is the 400 of variant aiven-uppercase-names'
// refused-at-create for a resource group or VNet name that is not lower
// case, or "". Aiven's docs warn that "Azure resource names are
// case-agnostic, but the Aiven API currently only accepts names in lower
// case" (aiven.io/docs/platform/howto/vnet-peering-azure; the same words in
// timescale/docs mst/vpc-peering/vpc-peering-azure.md); no public source
// shows the refusal itself, so the text is the sandbox's own, written like
// the validation error of terraform-provider-aiven#303 ("peer_resource_group
// must be a valid Azure Resource Group name for cloud azure-westeurope. Got
// None instead", where None is the Python repr of the value) and, like it,
// without error_code.
func upperCaseNames(cloud, rg, vnet string) string {
	for _, f := range []struct{ field, what, value string }{
		{"peer_resource_group", "Azure Resource Group", rg},
		{"peer_vpc", "Azure Virtual Network", vnet},
	} {
		if strings.ToLower(f.value) != f.value {
			return fmt.Sprintf("%s must be a valid %s name for cloud %s. Got '%s' instead: the Aiven API currently only accepts names in lower case",
				f.field, f.what, cloud, f.value)
		}
	}
	return ""
}

// findPeering finds a connection by its exact, case-sensitive key, as avn
// matches them.
func (v *VPC) findPeering(account, vpc, resourceGroup, region string) *AivenPeering {
	return find(slices.Values(v.Peerings), func(pc *AivenPeering) bool {
		return pc.PeerCloudAccount == account && pc.PeerVPC == vpc && pc.PeerResourceGroup == resourceGroup && pc.PeerRegion == region
	})
}

func (s *Server) aivenPeeringCreate(q *aivenRequest) {
	_, v := q.vpc()
	if v == nil {
		return
	}
	var b peeringCreateBody
	data, err := io.ReadAll(io.LimitReader(q.r.Body, 1<<20))
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(&b)
	}
	if err != nil {
		msg := "Invalid JSON in request body"
		// The sandbox's own texts.
		if errors.Is(err, io.EOF) {
			msg = "Request body is required"
		} else if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			msg = "Invalid input: additional property " + f + " is not allowed"
		}
		aivenError(q.w, http.StatusBadRequest, msg, aivenCodeInvalid)
		return
	}
	typ := peeringTypeOf(v.CloudName)
	if msg := b.validate(typ); msg != "" {
		aivenError(q.w, http.StatusBadRequest, msg, aivenCodeInvalid)
		return
	}
	if typ == aivenPeeringTypeAzure && q.world.variant(VariantAivenUppercase) == "refused-at-create" {
		if msg := upperCaseNames(v.CloudName, *b.PeerResourceGroup, *b.PeerVPC); msg != "" {
			aivenError(q.w, http.StatusBadRequest, msg, "")
			return
		}
	}
	if v.State != "ACTIVE" {
		// No public source: the sandbox's own.
		aivenError(q.w, http.StatusConflict, fmt.Sprintf("Project VPC %s is in state %s: peering connections can be created only when it is ACTIVE", v.ID, v.State), aivenCodeVPCNotActive)
		return
	}
	cidrs := []string{}
	if b.UserPeerNetworkCIDRs != nil {
		cidrs = append(cidrs, *b.UserPeerNetworkCIDRs...)
	}
	acct, vpcName, rg, region := *b.PeerCloudAccount, *b.PeerVPC, str(b.PeerResourceGroup), str(b.PeerRegion)
	if pc := v.findPeering(acct, vpcName, rg, region); pc != nil {
		s.aivenDuplicateCreate(q, pc)
		return
	}
	var pc *AivenPeering
	switch typ {
	case aivenPeeringTypeAzure:
		pc = q.world.addAzurePeering(q.now, v, acct, rg, vpcName, *b.PeerAzureAppID, *b.PeerAzureTenantID)
		pc.UserPeerNetworkCIDRs = cidrs
		pc.StateInfo = approvedInfo()
	default:
		pc = &AivenPeering{PeerCloudAccount: acct, PeerVPC: vpcName, PeerRegion: region, Type: typ,
			UserPeerNetworkCIDRs: cidrs, CreateTime: q.now}
		if v.OrganizationID != "" {
			pc.PeeringConnectionID = newGUID()
		}
		v.Peerings = append(v.Peerings, pc)
		q.world.setPeeringState(q.now, pc, StateApproved, approvedInfo())
	}
	v.UpdateTime = q.now
	writeJSON(q.w, http.StatusOK, q.world.aivenPeeringOut(pc))
}

// aivenDuplicateCreate answers a create for a connection that exists, in
// whatever state (the failed ones, DELETING and DELETED included): it is
// never revived in place. A failed connection is recreated by deleting it
// and, once it is gone, creating it again: the Terraform provider deletes a
// connection that ended in a failed state ("in case of an error delete VPC
// peering connection", internal/sdkprovider/service/vpc/
// azure_vpc_peering_connection.go) and Aiven's docs say to "check your
// configuration and then recreate the peering connection"
// (timescale/docs mst/vpc-peering/vpc-peering-azure.md, and Aiven's
// vnet-peering-azure page). While a deletion runs a create fails too:
// aiven/terraform-provider-aiven#537 ("recreation fails because the
// previous deletion has not finished yet").
//
// What the failure looks like is not public; variant
// aiven-duplicate-create chooses:
//
//   - conflict: 409 "Peering connection already exists (state S)", without
//     error_code. The text is the sandbox's own, modelled on Aiven's 409 for
//     a project, `{"errors":[{"message":"Project already exists","status":409}],"message":"Project already exists"}`
//     (aiven/terraform-provider-aiven#745); avn treats 409 CONFLICT as
//     "already exists" for projects and services (aiven-client
//     aiven/client/cli.py, --no-fail-if-exists).
//   - existing: 200 with the existing connection, unchanged (its state,
//     app id and CIDRs stay what they were): a create of an existing
//     connection "does not fail" (aiven/terraform-provider-aiven#752), and
//     the provider checks for one itself before creating ("azure peering
//     connection already exists and cannot be created").
func (s *Server) aivenDuplicateCreate(q *aivenRequest, pc *AivenPeering) {
	if q.world.variant(VariantAivenDuplicateCreate) == "existing" {
		writeJSON(q.w, http.StatusOK, q.world.aivenPeeringOut(pc))
		return
	}
	aivenError(q.w, http.StatusConflict, fmt.Sprintf("Peering connection already exists (state %s)", pc.State), "")
}

func (s *Server) aivenPeeringDeleteRG(q *aivenRequest) {
	s.aivenPeeringDeleteKey(q, q.params[2], q.params[4], q.params[3], "")
}

func (s *Server) aivenPeeringDelete(q *aivenRequest) {
	if s.azureDeleteWithoutResourceGroup(q) {
		return
	}
	s.aivenPeeringDeleteKey(q, q.params[2], q.params[3], "", "")
}

func (s *Server) aivenPeeringDeleteRegion(q *aivenRequest) {
	if s.azureDeleteWithoutResourceGroup(q) {
		return
	}
	s.aivenPeeringDeleteKey(q, q.params[2], q.params[3], "", q.params[4])
}

// azureDeleteWithoutResourceGroup refuses a delete of an Azure VPC's
// connection by a path without peer-resource-groups/{peer_resource_group}:
// Aiven validates the missing resource group before it looks for the
// connection, and answers 400, verbatim and without error_code, as
// aiven/terraform-provider-aiven#303 shows for a VPC in azure-westeurope:
//
//	{"errors":[{"message":"peer_resource_group must be a valid Azure Resource Group name for cloud azure-westeurope. Got None instead","status":400}],"message":"peer_resource_group must be a valid Azure Resource Group name for cloud azure-westeurope. Got None instead"}
//
// The cloud is the VPC's. The issue shows the path without a region; the
// path with a region lacks the resource group as much, so it is refused
// the same way (an inference). It reports whether it answered.
func (s *Server) azureDeleteWithoutResourceGroup(q *aivenRequest) bool {
	_, v := q.vpc()
	if v == nil {
		return true
	}
	if peeringTypeOf(v.CloudName) != aivenPeeringTypeAzure {
		return false
	}
	aivenError(q.w, http.StatusBadRequest,
		fmt.Sprintf("peer_resource_group must be a valid Azure Resource Group name for cloud %s. Got None instead", v.CloudName), "")
	return true
}

// aivenPeeringDeleteKey starts deleting a connection: DELETING now, the
// cloud resources go when the state machine reaches DELETED. Deleting one
// that is already going is a no-op that returns it.
func (s *Server) aivenPeeringDeleteKey(q *aivenRequest, account, vpcName, resourceGroup, region string) {
	_, v := q.vpc()
	if v == nil {
		return
	}
	if pc := q.peeringFound(v.findPeering(account, vpcName, resourceGroup, region)); pc != nil {
		s.startPeeringDelete(q, v, pc)
	}
}

// startPeeringDelete moves a connection to DELETING (whichever way the
// request named it) and answers with it.
func (s *Server) startPeeringDelete(q *aivenRequest, v *VPC, pc *AivenPeering) {
	if pc.State != StateDeleting && pc.State != StateDeleted {
		// The sandbox's own (avn's docs show STATE_INFO null in the answer
		// to delete; variant aiven-state-info can make it so).
		q.world.setPeeringState(q.now, pc, StateDeleting, map[string]any{
			"message": "Peering connection is being deleted", "type": "deleting"})
		v.UpdateTime = q.now
	}
	writeJSON(q.w, http.StatusOK, q.world.aivenPeeringOut(pc))
}

// approvedInfo is the state_info of a new connection, the sandbox's own
// (avn's docs show STATE_INFO null in the answer to create; variant
// aiven-state-info can make it so).
func approvedInfo() map[string]any {
	return map[string]any{"message": "Peering connection approved, waiting for Aiven to create it", "type": "approved"}
}
