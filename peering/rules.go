package peering

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Thresholds of the time-based rules.
const (
	// propagationWindow: an assignment younger than this may not grant yet.
	propagationWindow = 10 * time.Minute
	// approvedTooLong: Aiven normally acts on APPROVED within minutes.
	approvedTooLong = 15 * time.Minute
)

// Rule ids, stable for scripts and tests.
const (
	RuleVNetMissing            = "vnet-missing"
	RuleNamesMismatch          = "names-mismatch"
	RuleNamesNotLowercase      = "names-not-lowercase"
	RuleAivenSPMissing         = "aiven-sp-missing"
	RuleAivenPermissionMissing = "aiven-permission-missing"
	RuleAivenPermissionNew     = "aiven-permission-propagating"
	RuleAppMissing             = "app-missing"
	RuleAppSingleTenant        = "app-single-tenant"
	RuleAppSPMissing           = "app-sp-missing"
	RuleAppNoPeeringWrite      = "app-no-peering-write"
	RuleAppSecretExpired       = "app-secret-expired"
	RuleAppSecretMissing       = "app-secret-missing"
	RuleAddressOverlap         = "address-overlap"
	RuleTenantMismatch         = "tenant-mismatch"
	RuleSubscriptionNotVisible = "subscription-not-visible"
	RulePendingNoAzurePeering  = "pending-no-azure-peering"
	RuleAzurePeeringWrongPeer  = "azure-peering-wrong-remote"
	RuleAzurePeeringNoAccess   = "azure-peering-no-vnet-access"
	RuleAzureDisconnected      = "azure-peering-disconnected"
	RuleAzureFailed            = "azure-peering-failed"
	RuleApprovedTooLong        = "approved-too-long"
	RuleDeletedByPeer          = "deleted-by-peer"
	RuleLastAuthorizationError = "last-azure-authorization-error"
	RuleNoConnection           = "no-aiven-connection"
	RuleAivenFailedUnexplained = "aiven-failed"
	RuleConnectionOtherApp     = "connection-other-app"
	RuleAivenNetworkInferred   = "aiven-network-inferred"
	RuleNotInSync              = "peering-not-in-sync"
)

// check is one rule function and the finding ids it may produce. The
// registry's order is the rank: within a severity, findings of an earlier
// id are the likelier cause and come first.
type check struct {
	ids  []string
	eval func(f *Facts) []Finding
}

// checks is the rules registry.
func checks() []check {
	return []check{
		{[]string{RuleNoConnection}, ruleNoConnection},
		{[]string{RuleConnectionOtherApp}, ruleOtherApp},
		{[]string{RuleSubscriptionNotVisible}, ruleSubscription},
		{[]string{RuleTenantMismatch}, ruleTenant},
		{[]string{RuleNamesMismatch, RuleVNetMissing}, ruleVNet},
		{[]string{RuleNamesNotLowercase}, ruleLowercase},
		{[]string{RuleAddressOverlap}, ruleOverlap},
		{[]string{RuleAivenSPMissing}, ruleAivenSP},
		{[]string{RuleAivenPermissionNew, RuleAivenPermissionMissing}, ruleAivenPermission},
		{[]string{RuleAppMissing, RuleAppSingleTenant, RuleAppSPMissing, RuleAppNoPeeringWrite}, ruleApp},
		{[]string{RuleAppSecretExpired, RuleAppSecretMissing}, ruleAppSecret},
		{[]string{RulePendingNoAzurePeering, RuleAzurePeeringWrongPeer, RuleAzureFailed, RuleAzureDisconnected, RuleAzurePeeringNoAccess}, ruleAzureSide},
		{[]string{RuleNotInSync}, ruleNotInSync},
		{[]string{RuleApprovedTooLong}, ruleApprovedTooLong},
		{[]string{RuleDeletedByPeer}, ruleDeletedByPeer},
		{[]string{RuleLastAuthorizationError}, ruleLastAuthorizationError},
		{[]string{RuleAivenFailedUnexplained}, ruleUnexplained},
		{[]string{RuleAivenNetworkInferred}, ruleAivenNetworkInferred},
	}
}

// RuleIDs lists every finding id the rules can produce, in rank order, so
// a test can find a rule nobody tested.
func RuleIDs() []string {
	var out []string
	for _, c := range checks() {
		out = append(out, c.ids...)
	}
	return out
}

func ruleRanks() map[string]int {
	m := map[string]int{}
	for i, id := range RuleIDs() {
		m[id] = i
	}
	return m
}

func (f *Facts) state() State {
	if f.Connection == nil {
		return ""
	}
	return f.Connection.State
}

// names as Aiven has them (or as the user gave them).
func (f *Facts) names() (rg, vnet string) {
	if f.Connection != nil {
		return f.Connection.PeerResourceGroup, f.Connection.PeerVPC
	}
	return f.Target.ResourceGroup, f.Target.VNetName
}

func (f *Facts) aivenVNetID() string {
	if f.Connection != nil && f.Connection.ToNetworkID() != "" {
		return f.Connection.ToNetworkID()
	}
	if f.Record != nil && f.Record.Outputs[OutAivenVNetID] != "" {
		return f.Record.Outputs[OutAivenVNetID]
	}
	return f.AivenVNetGuess
}

func (f *Facts) azurePeering() *VNetPeering {
	if f.VNet == nil {
		return nil
	}
	remote := f.aivenVNetID()
	name := ""
	if f.Record != nil {
		name = f.Record.Outputs[OutAzurePeeringName]
	}
	for i, p := range f.VNet.Peerings {
		if (remote != "" && strings.EqualFold(p.RemoteVNetID, remote)) || (name != "" && strings.EqualFold(p.Name, name)) {
			return &f.VNet.Peerings[i]
		}
	}
	return nil
}

// AzurePeering is the user's side of the peering among the facts: the
// VNet's peering to Aiven's network, or the run's by name (nil if none).
func (f *Facts) AzurePeering() *VNetPeering { return f.azurePeering() }

// checked reports whether a fact was read.
func (f *Facts) checked(what Fact) bool { return !f.unread[what] }

func ruleNoConnection(f *Facts) []Finding {
	if f.VPC == nil || f.Connection != nil {
		return nil
	}
	return []Finding{{ID: RuleNoConnection, Severity: SeverityError,
		Cause:    "Aiven has no peering connection to this VNet",
		Evidence: []string{fmt.Sprintf("%s %s has %d connection(s), none to %s/%s in subscription %s", f.Target.Parent().VPCNoun(), f.VPC.ID, len(f.VPC.Peerings), f.Target.ResourceGroup, f.Target.VNetName, f.Target.SubscriptionID)},
		Fix:      "create it (azpeer create runs every step)",
		Command:  "azpeer create " + f.Target.Flags(),
		Action:   FixResume}}
}

// ruleOtherApp: the connection was requested for another app than the
// one azpeer's run made; the run can never finish with it (the app that
// signs in for step 14 must be the one Aiven granted on its VNet).
func ruleOtherApp(f *Facts) []Finding {
	if f.Connection == nil || f.Record == nil {
		return nil
	}
	want := f.Record.Outputs[OutUserAppID]
	if want == "" || strings.EqualFold(f.Connection.PeerAzureAppID, want) {
		return nil
	}
	return []Finding{{ID: RuleConnectionOtherApp, Severity: SeverityError,
		Cause: "the Aiven connection was requested for another app than the one azpeer's run uses, so the run cannot finish: Aiven grants only the app it was asked for on its VNet",
		Evidence: []string{"peer_azure_app_id " + orNone(f.Connection.PeerAzureAppID) + " (tenant " + orNone(f.Connection.PeerAzureTenantID) + ")",
			"azpeer's run uses app " + want + " (" + f.Record.Options.AppName + ")"},
		Fix:    "recreate the connection for the run's app: azpeer deletes the existing connection (it asks first), waits until it is gone, and requests it again",
		Action: FixRecreateAiven}}
}

func ruleSubscription(f *Facts) []Finding {
	if !f.checked(FactSubs) || f.SubscriptionTenant != "" {
		return nil
	}
	var ids []string
	for _, s := range f.Subscriptions {
		ids = append(ids, s.ID)
	}
	return []Finding{{ID: RuleSubscriptionNotVisible, Severity: SeverityError,
		Cause:    "the peer_cloud_account is not a subscription you can see",
		Evidence: []string{"peer_cloud_account " + f.Target.SubscriptionID, "visible subscriptions: " + strings.Join(ids, ", ")},
		Fix:      "sign in to the tenant that owns the subscription, or recreate the Aiven connection with the right subscription id"}}
}

func ruleTenant(f *Facts) []Finding {
	if f.Connection == nil || f.SubscriptionTenant == "" || strings.EqualFold(f.Connection.PeerAzureTenantID, f.SubscriptionTenant) {
		return nil
	}
	return []Finding{{ID: RuleTenantMismatch, Severity: SeverityError,
		Cause: "peer_azure_tenant_id is not the tenant of the subscription",
		Evidence: []string{"peer_azure_tenant_id " + f.Connection.PeerAzureTenantID,
			fmt.Sprintf("subscription %s belongs to tenant %s", f.Target.SubscriptionID, f.SubscriptionTenant)},
		Fix:    "recreate the Aiven connection with peer_azure_tenant_id " + f.SubscriptionTenant,
		Action: FixRecreateAiven}}
}

func ruleVNet(f *Facts) []Finding {
	if f.VNet != nil || !f.checked(FactVNets) {
		return nil
	}
	rg, vnet := f.names()
	want := strings.ToLower(rg + "/" + vnet)
	var close []string
	for _, n := range f.VNetNames {
		if d := editDistance(strings.ToLower(n), want); d > 0 && d <= 3 {
			close = append(close, n)
		}
	}
	ev := []string{fmt.Sprintf("no VNet %s/%s in subscription %s", rg, vnet, f.Target.SubscriptionID),
		"VNets there: " + strings.Join(f.VNetNames, ", ")}
	if len(close) > 0 {
		return []Finding{{ID: RuleNamesMismatch, Severity: SeverityError,
			Cause:    fmt.Sprintf("the names given to Aiven (%s/%s) do not match the VNet; did you mean %s?", rg, vnet, strings.Join(close, " or ")),
			Evidence: ev, Fix: "recreate the Aiven connection with the VNet's real names (in lower case)",
			Command: fmt.Sprintf("azpeer delete %s --vpc %s --vnet %s/%s --yes && azpeer create %s --vpc %s --vnet %s",
				f.Target.Parent().Flag(), f.Target.VPCID, rg, vnet, f.Target.Parent().Flag(), f.Target.VPCID, close[0])}}
	}
	return []Finding{{ID: RuleVNetMissing, Severity: SeverityError,
		Cause:    "the VNet Aiven was asked to peer with does not exist",
		Evidence: ev, Fix: "create the VNet, or recreate the Aiven connection naming an existing one (azpeer vnets lists them)"}}
}

func ruleLowercase(f *Facts) []Finding {
	if f.Connection == nil {
		return nil
	}
	rg, vnet := f.Connection.PeerResourceGroup, f.Connection.PeerVPC
	if rg == strings.ToLower(rg) && vnet == strings.ToLower(vnet) {
		return nil
	}
	return []Finding{{ID: RuleNamesNotLowercase, Severity: SeverityError,
		Cause:    "the resource group or VNet name sent to Aiven is not in lower case, which Aiven does not accept",
		Evidence: []string{fmt.Sprintf("peer_resource_group %q, peer_vpc %q", rg, vnet)},
		Fix:      fmt.Sprintf("recreate the connection with %s/%s (Azure names are case-insensitive, so it is the same VNet)", strings.ToLower(rg), strings.ToLower(vnet)),
		Action:   FixRecreateAiven}}
}

func ruleOverlap(f *Facts) []Finding {
	if f.VPC == nil || f.VNet == nil {
		return nil
	}
	// user_peer_network_cidrs are the user's side (usually the VNet's own
	// ranges): each of them, like the VNet's prefixes, must stay clear of
	// the project VPC's CIDR, as Aiven checks.
	theirs := slices.Clone(f.VNet.AddressPrefixes)
	if f.Connection != nil {
		theirs = append(theirs, f.Connection.UserPeerNetworkCIDRs...)
	}
	a, b, ok := Overlap([]string{f.VPC.CIDR}, theirs)
	if !ok {
		return nil
	}
	ev := []string{fmt.Sprintf("%s %s: %s", f.Target.Parent().VPCNoun(), f.VPC.ID, f.VPC.CIDR), fmt.Sprintf("VNet %s: %s", f.VNet.Name, strings.Join(f.VNet.AddressPrefixes, ", "))}
	if f.Connection != nil && len(f.Connection.UserPeerNetworkCIDRs) > 0 {
		ev = append(ev, "user_peer_network_cidrs: "+strings.Join(f.Connection.UserPeerNetworkCIDRs, ", "))
	}
	ev = append(ev, fmt.Sprintf("overlap: %s ~ %s", a, b))
	return []Finding{{ID: RuleAddressOverlap, Severity: SeverityError,
		Cause:    "an address range of your side overlaps the " + f.Target.Parent().VPCNoun() + "'s",
		Evidence: ev,
		Fix:      "peer a VNet whose address space does not overlap, or move one of the ranges; Azure refuses overlapping peerings"}}
}

func ruleAivenSP(f *Facts) []Finding {
	if f.AivenSP != nil || !f.checked(FactAivenSP) {
		return nil
	}
	return []Finding{{ID: RuleAivenSPMissing, Severity: SeverityError,
		Cause:    "Aiven's application has no service principal in your tenant, so Aiven cannot act on your VNet",
		Evidence: []string{"no service principal with appId " + f.AivenAppID + " in tenant " + f.SubscriptionTenant},
		Fix:      "create it (needs Application Administrator), grant it the peer-only role on the VNet, and request the connection again",
		Command:  "az ad sp create --id " + f.AivenAppID,
		Action:   FixResume}}
}

func ruleAivenPermission(f *Facts) []Finding {
	if f.AivenSP == nil || f.VNet == nil || !f.checked(FactAssignments) {
		return nil
	}
	granted, newest, unknown := f.grantsAction(f.AivenSP.ObjectID, "Microsoft.Network/virtualNetworks/peer/action")
	// Propagation matters only while Aiven has yet to act: once it is past
	// APPROVED the grant evidently worked (or a re-request is due, which
	// ruleUnexplained offers).
	waiting := f.state() == StateApproved || f.state() == StateApprovedPeerRequested
	switch {
	case granted && waiting && f.Now.Sub(newest) < propagationWindow && !newest.IsZero():
		return []Finding{{ID: RuleAivenPermissionNew, Severity: SeverityWarning,
			Cause:    "Aiven's grant on the VNet is new and may not have propagated yet",
			Evidence: []string{fmt.Sprintf("newest assignment granting peer/action to %s was created %s ago", f.AivenSP.ObjectID, f.Now.Sub(newest).Round(time.Second))},
			Fix:      "wait a few minutes, then ask Aiven to re-check", Action: FixRefresh}}
	case granted:
		return nil
	}
	ev := []string{fmt.Sprintf("no role assignment at or above %s grants Microsoft.Network/virtualNetworks/peer/action to Aiven's service principal %s", f.VNet.ID, f.AivenSP.ObjectID)}
	if unknown {
		ev = append(ev, "some assigned roles could not be read; they may grant it")
	}
	return []Finding{{ID: RuleAivenPermissionMissing, Severity: SeverityError,
		Cause:    "Aiven's service principal may not peer with your VNet (no peer/action)",
		Evidence: ev,
		Fix:      "assign a role with only Microsoft.Network/virtualNetworks/peer/action to Aiven's service principal on the VNet, then request the connection again",
		Command:  fmt.Sprintf("az role assignment create --role <peer-only role id> --assignee-object-id %s --assignee-principal-type ServicePrincipal --scope %s", f.AivenSP.ObjectID, f.VNet.ID),
		Action:   FixResume}}
}

func ruleApp(f *Facts) []Finding {
	appID := ""
	if f.Connection != nil {
		appID = f.Connection.PeerAzureAppID
	}
	if appID == "" || !f.checked(FactApp) {
		return nil
	}
	if f.App == nil {
		return []Finding{{ID: RuleAppMissing, Severity: SeverityError,
			Cause:    "the app named in peer_azure_app_id does not exist in your tenant",
			Evidence: []string{"peer_azure_app_id " + appID},
			Fix:      "recreate the Aiven connection with an existing multi-tenant app (azpeer create makes one)", Action: FixRecreateAiven}}
	}
	var out []Finding
	if !f.App.MultiTenant() {
		out = append(out, Finding{ID: RuleAppSingleTenant, Severity: SeverityError,
			Cause:    "the peering app is single-tenant, so it cannot sign in to Aiven's tenant",
			Evidence: []string{fmt.Sprintf("app %s (%s) signInAudience %s", f.App.DisplayName, f.App.AppID, f.App.SignInAudience)},
			Fix:      "set its sign-in audience to AzureADMultipleOrgs",
			Command:  "az ad app update --id " + f.App.AppID + " --sign-in-audience AzureADMultipleOrgs"})
	}
	if f.AppSP == nil && f.checked(FactAppSP) {
		out = append(out, Finding{ID: RuleAppSPMissing, Severity: SeverityError,
			Cause: "the peering app has no service principal in your tenant", Evidence: []string{"no service principal with appId " + f.App.AppID},
			Fix: "create it and grant it Network Contributor on the VNet", Command: "az ad sp create --id " + f.App.AppID, Action: FixResume})
	}
	if f.AppSP != nil && f.VNet != nil && f.checked(FactAssignments) {
		if ok, _, unknown := f.grantsAction(f.AppSP.ObjectID, "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write"); !ok {
			ev := []string{fmt.Sprintf("no role assignment at or above the VNet grants virtualNetworkPeerings/write to the app's service principal %s", f.AppSP.ObjectID)}
			if unknown {
				ev = append(ev, "some assigned roles could not be read; they may grant it")
			}
			out = append(out, Finding{ID: RuleAppNoPeeringWrite, Severity: SeverityError,
				Cause: "the peering app may not create peerings on the VNet", Evidence: ev,
				Fix:     "assign Network Contributor (or a role with virtualNetworkPeerings/write) to the app on the VNet",
				Command: fmt.Sprintf("az role assignment create --role \"Network Contributor\" --assignee-object-id %s --assignee-principal-type ServicePrincipal --scope %s", f.AppSP.ObjectID, f.VNet.ID),
				Action:  FixResume})
		}
	}
	return out
}

func ruleAppSecret(f *Facts) []Finding {
	if f.App == nil {
		return nil
	}
	// Once the Azure peering exists the secret is not needed any more.
	if p := f.azurePeering(); p != nil && p.PeeringState == AzureConnected {
		return nil
	}
	var live, expired []string
	for _, pc := range f.App.Passwords {
		if !pc.End.IsZero() && f.Now.After(pc.End) {
			expired = append(expired, fmt.Sprintf("%s… expired %s", shortID(pc.KeyID), pc.End.Format("2006-01-02")))
		} else {
			live = append(live, shortID(pc.KeyID)+"…")
		}
	}
	switch {
	case len(live) > 0:
		return nil
	case len(expired) > 0:
		return []Finding{{ID: RuleAppSecretExpired, Severity: SeverityWarning,
			Cause: "every client secret of the peering app has expired", Evidence: expired,
			Fix: "add a new secret (azpeer create does, keeping it in memory only)", Action: FixResume}}
	}
	return []Finding{{ID: RuleAppSecretMissing, Severity: SeverityWarning,
		Cause: "the peering app has no client secret, so it cannot sign in to create the Azure peering", Evidence: []string{"app " + f.App.AppID + " has no password credentials"},
		Fix: "add a secret (azpeer create does, keeping it in memory only)", Action: FixResume}}
}

func ruleAzureSide(f *Facts) []Finding {
	if f.VNet == nil {
		return nil
	}
	p := f.azurePeering()
	remote := f.aivenVNetID()
	if p == nil {
		if f.state() != StatePendingPeer {
			return nil
		}
		ev := []string{"Aiven is PENDING_PEER since " + f.Connection.UpdateTime.Format(time.RFC3339), "VNet " + f.VNet.Name + " has no peering to " + remote}
		// A peering to some other Aiven-looking VNet is the likelier mistake.
		for _, q := range f.VNet.Peerings {
			if remote != "" && !strings.EqualFold(q.RemoteVNetID, remote) && strings.Contains(strings.ToLower(q.RemoteVNetID), "aiven") {
				return []Finding{{ID: RuleAzurePeeringWrongPeer, Severity: SeverityError,
					Cause:    "the Azure peering points at a different network than Aiven's to-network-id",
					Evidence: append(ev, fmt.Sprintf("peering %s points at %s", q.Name, q.RemoteVNetID)),
					Fix:      "delete it and create a peering to " + remote, Action: FixResume, Resource: q.ID}}
			}
		}
		return []Finding{{ID: RulePendingNoAzurePeering, Severity: SeverityError,
			Cause: "Aiven waits for your side: no Azure peering to Aiven's VNet exists yet (step 14)", Evidence: ev,
			Fix:     "create the peering as the app, signed in to both tenants",
			Command: fmt.Sprintf("az network vnet peering create --name aiven --remote-vnet %s --vnet-name %s --resource-group %s --allow-vnet-access", remote, f.VNet.Name, f.VNet.ResourceGroup),
			Action:  FixResume}}
	}
	ev := []string{fmt.Sprintf("peering %s → %s: peeringState %s, provisioningState %s, allowVirtualNetworkAccess %t", p.Name, p.RemoteVNetID, p.PeeringState, p.ProvisioningState, p.AllowVirtualNetworkAccess)}
	switch {
	case p.ProvisioningState == "Failed":
		return []Finding{{ID: RuleAzureFailed, Severity: SeverityError, Cause: "the Azure peering failed to provision", Evidence: ev,
			Fix: "delete it and create it again", Action: FixResume, Resource: p.ID}}
	case p.PeeringState == AzureDisconnected:
		return []Finding{{ID: RuleAzureDisconnected, Severity: SeverityError,
			Cause: "the Azure peering is Disconnected: Aiven's side of it was deleted", Evidence: ev,
			Fix: "delete your peering and create it again once Aiven's side exists (request the Aiven connection again first)", Action: FixResume}}
	case remote != "" && !strings.EqualFold(p.RemoteVNetID, remote):
		return []Finding{{ID: RuleAzurePeeringWrongPeer, Severity: SeverityError,
			Cause: "the Azure peering points at a different network than Aiven's to-network-id", Evidence: append(ev, "to-network-id "+remote),
			Fix: "delete it and create a peering to " + remote, Action: FixResume, Resource: p.ID}}
	case !p.AllowVirtualNetworkAccess:
		return []Finding{{ID: RuleAzurePeeringNoAccess, Severity: SeverityError,
			Cause: "the Azure peering does not allow virtual network access, so no traffic can reach Aiven", Evidence: ev,
			Fix:     "set allowVirtualNetworkAccess on the peering",
			Command: fmt.Sprintf("az network vnet peering update --name %s --vnet-name %s --resource-group %s --set allowVirtualNetworkAccess=true", p.Name, f.VNet.Name, f.VNet.ResourceGroup),
			Action:  FixResume}}
	}
	return nil
}

// ruleNotInSync: a Connected peering whose sides have not synced each
// other's current address space (sync.go): traffic to the ranges added
// since does not flow. The user's side tells both halves.
func ruleNotInSync(f *Facts) []Finding {
	p := f.azurePeering()
	if p == nil || p.PeeringState != AzureConnected || p.SyncLevel == "" || p.SyncLevel == SyncFully {
		return nil
	}
	ev := []string{fmt.Sprintf("peering %s: peeringSyncLevel %s", p.Name, p.SyncLevel),
		fmt.Sprintf("VNet %s's address space now: %s", f.VNet.Name, strings.Join(f.VNet.AddressPrefixes, ", "))}
	if len(p.SyncedRemotePrefixes) > 0 && !slices.Equal(p.SyncedRemotePrefixes, p.RemoteAddressPrefixes) {
		ev = append(ev, fmt.Sprintf("your side routes to Aiven's %s; Aiven's network has %s", strings.Join(p.SyncedRemotePrefixes, ", "), strings.Join(p.RemoteAddressPrefixes, ", ")))
	}
	rg, vnet := f.names()
	return []Finding{{ID: RuleNotInSync, Severity: SeverityWarning,
		Cause:    "the peering is out of sync after an address space changed: " + SyncMeaning(p.SyncLevel),
		Evidence: ev,
		Fix:      "sync your side of the peering, ask Aiven to refresh its side (only Aiven can sync it), then re-check until both say FullyInSync",
		Command:  fmt.Sprintf("azpeer sync %s --vpc %s --vnet %s/%s", f.Target.Parent().Flag(), f.Target.VPCID, rg, vnet),
		Action:   FixSync}}
}

func ruleApprovedTooLong(f *Facts) []Finding {
	if f.state() != StateApproved && f.state() != StateApprovedPeerRequested {
		return nil
	}
	age := f.Now.Sub(f.Connection.UpdateTime)
	if age < approvedTooLong {
		return nil
	}
	return []Finding{{ID: RuleApprovedTooLong, Severity: SeverityWarning,
		Cause:    "Aiven has not acted on the connection for a long time",
		Evidence: []string{fmt.Sprintf("state %s since %s (%s)", f.state(), f.Connection.UpdateTime.Format(time.RFC3339), age.Round(time.Minute))},
		Fix:      "ask Aiven to re-check the connection now (POST .../peering-connections/refresh)", Action: FixRefresh}}
}

func ruleDeletedByPeer(f *Facts) []Finding {
	if f.state() != StateDeletedByPeer {
		return nil
	}
	return []Finding{{ID: RuleDeletedByPeer, Severity: SeverityError,
		Cause:    "your side of the peering was deleted, and Aiven gave up on the connection",
		Evidence: []string{"state DELETED_BY_PEER: " + f.Connection.Message()},
		Fix:      "there is no way back but to recreate it: request the connection again and create the Azure peering", Action: FixResume}}
}

// ruleLastAuthorizationError explains the Azure error azpeer last saw.
func ruleLastAuthorizationError(f *Facts) []Finding {
	if f.Record == nil || f.Record.Step(StepAzurePeering).Status == StatusDone {
		return nil
	}
	var last *Event
	for i := len(f.Record.Events) - 1; i >= 0; i-- {
		e := f.Record.Events[i]
		if e.Step == StepAzurePeering && (e.Kind == EventFailed || e.Kind == EventRetrying) && authorizationCode(e) != "" {
			last = &f.Record.Events[i]
			break
		}
	}
	if last == nil {
		return nil
	}
	// LinkedAuthorizationFailed has three variants under one code; Azure's
	// own texts (data, as recorded) tell them apart.
	var meaning string
	linked := authorizationCode(*last) == "LinkedAuthorizationFailed"
	switch {
	case linked && strings.Contains(last.Error, "is not authorized to access linked subscription"):
		meaning = "the request carried no valid token for Aiven's tenant (auxiliary token missing): the app must sign in to both tenants"
	case linked && strings.Contains(last.Error, "was not found"):
		meaning = "Aiven's subscription was not found: the to-network-id may be stale; read it again from the Aiven connection"
	case linked:
		meaning = "the app may not peer with Aiven's VNet (no peer/action there): Aiven grants it when it moves to PENDING_PEER; wait or refresh"
	default:
		meaning = "the app's role on your VNet (virtualNetworkPeerings/write) has not taken effect, or is missing"
	}
	return []Finding{{ID: RuleLastAuthorizationError, Severity: SeverityWarning,
		Cause:    "the last Azure peering attempt was refused: " + meaning,
		Evidence: []string{last.Time.Format(time.RFC3339) + ": " + last.Error},
		Fix:      "fix the cause above, then run azpeer create again (it resumes at step 14)", Action: FixResume}}
}

// ruleAivenNetworkInferred says what azpeer could not check when Aiven
// did not name its network: that the Azure peering it found goes there.
func ruleAivenNetworkInferred(f *Facts) []Finding {
	if f.AivenVNetGuess == "" {
		return nil
	}
	return []Finding{{ID: RuleAivenNetworkInferred, Severity: SeverityInfo,
		Cause:    "Aiven does not say which network is its side of the peering (its state_info has no to-network-id, or is null), so azpeer took the VNet's only peering into another subscription as the Azure side; it could not check that this network is Aiven's",
		Evidence: []string{"state_info: " + stateInfoText(*f.Connection), "the VNet's peering into another subscription goes to " + f.AivenVNetGuess},
		Fix:      "nothing, if that network is Aiven's; Aiven's support can confirm the " + f.Target.Parent().VPCNoun() + "'s network id"}}
}

// authorizationCode is an event's Azure authorization error code, or "".
// Events recorded before codes were kept fall back to the text.
func authorizationCode(e Event) string {
	for _, c := range []string{"LinkedAuthorizationFailed", "AuthorizationFailed"} {
		if e.Code == c || (e.Code == "" && strings.Contains(e.Error, c)) {
			return c
		}
	}
	return ""
}

// ruleUnexplained reports a failed state no other rule explained.
func ruleUnexplained(f *Facts) []Finding {
	s := f.state()
	if !s.Failed() || s == StateDeletedByPeer {
		return nil
	}
	// A warning, not info: a failed connection is never healthy, even when
	// no other rule explains it. What could not be read may hold the cause.
	ev := stateInfoLines(*f.Connection)
	for _, u := range f.Unchecked {
		ev = append(ev, "not checked: "+u)
	}
	return []Finding{{ID: RuleAivenFailedUnexplained, Severity: SeverityWarning,
		Cause:    fmt.Sprintf("Aiven reports %s: %s", s, f.Connection.Message()),
		Evidence: ev,
		Fix:      "fix the causes above, then request the connection again (azpeer create re-requests it)", Action: FixResume}}
}

// stateInfoText is state_info on one line ("null" when Aiven sent none).
func stateInfoText(c Connection) string {
	if c.StateInfo == nil {
		return "null"
	}
	return strings.Join(stateInfoLines(c), "; ")
}

func stateInfoLines(c Connection) []string {
	var out []string
	for _, k := range c.StateInfoKeys() {
		out = append(out, fmt.Sprintf("state_info.%s = %v", k, c.StateInfo[k]))
	}
	return out
}

// editDistance is the Levenshtein distance, for "did you mean".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = slices.Min([]int{prev[j] + 1, cur[j-1] + 1, prev[j-1] + cost})
		}
		prev = cur
	}
	return prev[len(rb)]
}
