package peering

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Step is one step of the procedure: what it needs and produces, how it
// finds work already done, what it does, what it creates and how that is
// undone, and the official command a user would type for it. The table in
// steps() is the only place a step lives; numbers come from its position.
type Step struct {
	ID     StepID
	Number int
	Title  string
	Needs  []string
	// Produces are the outputs the step sets, with the short labels
	// checklists show them under.
	Produces []Output
	// Optional needs may be empty (e.g. produced only in some runs).
	Optional []string

	// creates says in words what the step may create (for --dry-run).
	creates func(o Options) string
	detect  func(ctx context.Context, r *Run) (bool, error)
	act     func(ctx context.Context, r *Run) error
	// finish runs after the step is done (detected or acted), e.g. to
	// retire secrets no longer needed.
	finish func(ctx context.Context, r *Run) error
	// undo removes what the step created; teardown calls it in reverse
	// order of the table.
	undo    func(ctx context.Context, r *Run, o TeardownOptions) error
	command func(r *Run) string
	// transient classifies the errors worth retrying in this step, beyond
	// throttling and server errors (retried everywhere).
	transient transient
}

func (s Step) optional(k string) bool { return slices.Contains(s.Optional, k) }

// Output is a value a step produces, and the short label it is shown under.
type Output struct {
	Key   string
	Label string
}

// StepInfo is a step's static description, for plans and checklists.
type StepInfo struct {
	ID       StepID
	Number   int
	Title    string
	Needs    []string
	Produces []Output
}

// Steps describes the steps in order.
func Steps() []StepInfo {
	var out []StepInfo
	for _, s := range steps() {
		out = append(out, StepInfo{s.ID, s.Number, s.Title, s.Needs, s.Produces})
	}
	return out
}

// StepIDs lists the step ids in order.
func StepIDs() []StepID {
	var out []StepID
	for _, s := range steps() {
		out = append(out, s.ID)
	}
	return out
}

func stepByID(id StepID) (Step, bool) {
	for _, s := range steps() {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// StepRef names a step for people: "step 7 (Create a service principal
// for Aiven's app)". Hints use it instead of a literal number.
func StepRef(id StepID) string {
	s, ok := stepByID(id)
	if !ok {
		return "step " + string(id)
	}
	return fmt.Sprintf("step %d (%s)", s.Number, s.Title)
}

// StepNumber is the step's position, 1-based (0 for an unknown id).
func StepNumber(id StepID) int { s, _ := stepByID(id); return s.Number }

// Command is the official az/avn command for a step with the run's real
// values (the secret masked); what a user would type to do it by hand.
func (r *Run) Command(id StepID) string {
	s, ok := stepByID(id)
	if !ok || s.command == nil {
		return ""
	}
	return s.command(r)
}

// val shows a value, or its name as a shell variable until known.
func (r *Run) val(k string) string {
	if v := r.out(k); v != "" {
		return v
	}
	return "$" + k
}

func creates(s string) func(Options) string { return func(Options) string { return s } }

// avnConnectionArgs name the target's Aiven peering connection for avn,
// with the names in lower case as azpeer sends them.
func avnConnectionArgs(t Target) string {
	parent := fmt.Sprintf("--project %s --project-vpc-id %s", t.Project, t.VPCID)
	if t.Organization != "" {
		// avn organization vpc peering-connection … (aiven.io/docs/tools/cli/vpc).
		parent = fmt.Sprintf("--organization-id %s --organization-vpc-id %s", t.Organization, t.VPCID)
	}
	return fmt.Sprintf("%s --peer-cloud-account %s --peer-resource-group %s --peer-vpc %s",
		parent, t.SubscriptionID, strings.ToLower(t.ResourceGroup), strings.ToLower(t.VNetName))
}

// avnVPC is avn's command group for the target's VPC.
func avnVPC(t Target) string {
	if t.Organization != "" {
		return "avn organization vpc"
	}
	return "avn vpc"
}

// steps is the procedure. Aiven's service principal comes first of the
// steps that create anything: it needs the rarest right (Application
// Administrator) and it is the only check there is that --aiven-app-id
// names a real application, so a wrong id or a missing role leaves
// nothing else behind.
func steps() []Step {
	table := []Step{
		{ID: StepSignIn, Title: "Sign in (admin) and pick the subscription",
			Produces: []Output{{OutUserTenantID, "tenant"}, {OutUserSubscriptionID, "sub"}},
			creates:  creates("nothing (reads the tenant and subscriptions)"),
			detect:   detectNever, act: actSignIn,
			command: func(r *Run) string {
				return "az login && az account set --subscription " + r.target().SubscriptionID
			}},
		{ID: StepAivenSP, Title: "Create a service principal for Aiven's app",
			Produces: []Output{{OutAivenSPID, "aiven sp"}},
			creates:  creates("a service principal for Aiven's application in your tenant (unless it exists)"),
			detect:   detectAivenSP, act: actAivenSP, undo: undoAivenSP, transient: graphReplication,
			command: func(r *Run) string { return "az ad sp create --id " + r.options().AivenAppID }},
		{ID: StepCreateApp, Title: "Create the peering app (multi-tenant)",
			Produces: []Output{{OutUserAppID, "app"}, {OutUserAppObjectID, "object"}},
			creates: func(o Options) string {
				if o.AppID != "" {
					return "nothing (uses your app " + o.AppID + ")"
				}
				return "an Entra application (multi-tenant), tagged as azpeer's"
			},
			detect: detectApp, act: actCreateApp, undo: undoApp, transient: graphReplication,
			command: func(r *Run) string {
				return fmt.Sprintf("az ad app create --display-name %s --sign-in-audience AzureADMultipleOrgs --key-type Password", shq(r.options().AppName))
			}},
		{ID: StepAppSP, Title: "Create the app's service principal",
			Needs: []string{OutUserAppID}, Produces: []Output{{OutUserSPID, "sp"}},
			creates: creates("the application's service principal in your tenant"),
			detect:  detectAppSP, act: actAppSP, undo: undoAppSP, transient: graphReplication,
			command: func(r *Run) string { return "az ad sp create --id " + r.val(OutUserAppID) }},
		{ID: StepAppSecret, Title: "Add a client secret to the app (kept in memory only)",
			Needs: []string{OutUserAppObjectID}, Produces: []Output{{OutUserAppKeyID, "key"}},
			creates: creates("a client secret on the application, valid for a day, kept in memory and removed once the Azure peering exists"),
			detect:  detectSecret, act: actSecret, transient: graphReplication,
			command: func(r *Run) string {
				return "az ad app credential reset --id " + r.val(OutUserAppID) + " --append --end-date <tomorrow>   # prints the secret once: ********"
			}},
		{ID: StepPickVNet, Title: "Find the VNet",
			Needs: []string{OutUserSubscriptionID}, Produces: []Output{{OutUserVNetID, "vnet"}, {OutUserResourceGroup, "rg"}, {OutUserVNetName, "vnet"}},
			creates: creates("nothing (reads the VNet)"),
			detect:  detectNever, act: actPickVNet,
			command: func(r *Run) string {
				return "az network vnet show --resource-group " + r.target().ResourceGroup + " --name " + r.target().VNetName + " --subscription " + r.target().SubscriptionID
			}},
		{ID: StepGrantApp, Title: "Let the app write peerings on the VNet",
			Needs: []string{OutUserSPID, OutUserVNetID}, Produces: []Output{{OutUserAppAssignment, "assignment"}},
			creates: func(o Options) string {
				if o.Role == RoleLeastPrivilege {
					return "a custom role with only the peering actions, and its assignment to the app on the VNet"
				}
				return "a role assignment for the app on the VNet"
			},
			detect: detectGrantApp, act: actGrantApp, undo: undoGrantApp, transient: principalReplication,
			command: func(r *Run) string {
				return fmt.Sprintf("az role assignment create --role %s --assignee-object-id %s --assignee-principal-type ServicePrincipal --scope %s",
					shq(appRoleName(r)), r.val(OutUserSPID), r.val(OutUserVNetID))
			}},
		{ID: StepPeerRole, Title: "Create the peer-only role for Aiven",
			Needs: []string{OutUserSubscriptionID}, Produces: []Output{{OutAivenRoleID, "role"}},
			creates: creates("a custom role with only virtualNetworks/peer/action (unless it exists)"),
			detect:  detectPeerRole, act: actPeerRole, undo: undoPeerRole,
			command: func(r *Run) string {
				return fmt.Sprintf(`az role definition create --role-definition '{"Name": %q, "Description": "Allows creating a peering to vnets in scope (but not from)", "Actions": ["Microsoft.Network/virtualNetworks/peer/action"], "AssignableScopes": ["/subscriptions/%s"]}'`,
					aivenRoleName(r.target()), r.target().SubscriptionID)
			}},
		{ID: StepGrantAiven, Title: "Let Aiven's service principal peer with the VNet",
			Needs: []string{OutAivenSPID, OutAivenRoleID, OutUserVNetID}, Produces: []Output{{OutAivenAssignment, "assignment"}},
			// The role is not needed (so not known) once Aiven has peered.
			Optional: []string{OutAivenRoleID},
			creates:  creates("a role assignment of that role to Aiven's service principal on the VNet"),
			detect:   detectGrantAiven, act: actGrantAiven, undo: undoGrantAiven, transient: principalReplication,
			command: func(r *Run) string {
				return fmt.Sprintf("az role assignment create --role %s --assignee-object-id %s --assignee-principal-type ServicePrincipal --scope %s",
					r.val(OutAivenRoleID), r.val(OutAivenSPID), r.val(OutUserVNetID))
			}},
		{ID: StepTenantID, Title: "Find your tenant id",
			Produces: []Output{{OutUserTenantID, "tenant"}},
			creates:  creates("nothing (reads the tenant id)"),
			detect:   detectTenant, act: actTenant,
			command: func(r *Run) string { return "az account show --query tenantId -o tsv" }},
		{ID: StepAivenPeering, Title: "Ask Aiven to peer (names in lower case)",
			Needs: []string{OutUserAppID, OutUserTenantID}, Produces: []Output{{OutAivenState, "aiven"}},
			creates: creates("an Aiven peering connection on the project VPC"),
			detect:  detectAivenPeering, act: actAivenPeering, undo: undoAivenPeering,
			command: func(r *Run) string {
				return avnVPC(r.target()) + " peering-connection create " + avnConnectionArgs(r.target()) +
					" --peer-azure-app-id " + r.val(OutUserAppID) + " --peer-azure-tenant-id " + r.val(OutUserTenantID)
			}},
		{ID: StepWaitPendingPeer, Title: "Wait for Aiven: APPROVED → PENDING_PEER",
			Produces: []Output{{OutAivenTenantID, "aiven tenant"}, {OutAivenVNetID, "aiven vnet"}},
			creates:  creates("nothing (waits for Aiven, saves to-tenant-id and to-network-id)"),
			detect:   detectNever, act: actWaitPendingPeer,
			command: func(r *Run) string {
				return avnVPC(r.target()) + " peering-connection get -v " + avnConnectionArgs(r.target())
			}},
		{ID: StepAppSignIn, Title: "Sign in as the app in your tenant and Aiven's",
			Needs: []string{OutUserAppID, OutUserTenantID, OutAivenTenantID},
			// Aiven's tenant is needed only to sign in; a peering whose Azure
			// side exists needs no sign-in (and Aiven may not say its tenant
			// after ACTIVE: state_info can be null).
			Optional: []string{OutAivenTenantID},
			creates:  creates("nothing (signs in as the app in both tenants, then removes the earlier secrets azpeer added)"),
			detect:   detectAppSignIn, act: actAppSignIn, finish: retireEarlierSecrets, transient: signInReplication,
			command: func(r *Run) string {
				return fmt.Sprintf("az login --service-principal -u %s -p ******** --tenant %s && az login --service-principal -u %s -p ******** --tenant %s --allow-no-subscriptions",
					r.val(OutUserAppID), r.val(OutAivenTenantID), r.val(OutUserAppID), r.val(OutUserTenantID))
			}},
		{ID: StepAzurePeering, Title: "Create the Azure peering to Aiven's VNet",
			Needs: []string{OutUserVNetID, OutAivenVNetID}, Produces: []Output{{OutAzurePeeringID, "peering"}, {OutAzurePeeringName, "name"}},
			creates: creates("an Azure peering from the VNet to Aiven's VNet; then the app's secret is removed"),
			detect:  detectAzurePeering, act: actAzurePeering, finish: retireAllSecrets, undo: undoAzurePeering, transient: peeringPropagation,
			command: func(r *Run) string {
				t := r.target()
				return fmt.Sprintf("az network vnet peering create --name %s --remote-vnet %s --vnet-name %s --resource-group %s --subscription %s --allow-vnet-access",
					r.options().PeeringName, r.val(OutAivenVNetID), t.VNetName, t.ResourceGroup, t.SubscriptionID)
			}},
		{ID: StepWaitActive, Title: "Wait for ACTIVE and Connected",
			Needs: []string{OutUserVNetID}, Produces: []Output{{OutAivenState, "aiven"}, {OutAzurePeeringState, "azure"}},
			creates: creates("nothing (waits for ACTIVE and Connected)"),
			detect:  detectNever, act: actWaitActive,
			command: func(r *Run) string {
				return avnVPC(r.target()) + " peering-connection get " + avnConnectionArgs(r.target())
			}},
	}
	for i := range table {
		table[i].Number = i + 1
	}
	return table
}

// Known transient errors, by step.
var (
	graphReplication = codes(map[string]string{
		"Request_ResourceNotFound": "the directory is still replicating the new object",
	})
	principalReplication = codes(map[string]string{
		"PrincipalNotFound": "the new service principal has not replicated yet",
	})
	signInReplication = codes(map[string]string{
		"AADSTS7000215": "the new secret is not valid everywhere yet",
		"AADSTS700016":  "the app's service principal in that tenant has not replicated yet",
	})
	peeringPropagation = codes(map[string]string{
		"AuthorizationFailed":       "the app's role assignment has not propagated yet",
		"LinkedAuthorizationFailed": "Aiven's grant on its VNet has not propagated yet",
	})
)

func detectNever(context.Context, *Run) (bool, error) { return false, nil }

// hintFor suggests what to do about an error the step did not explain.
func hintFor(id StepID, err error) string {
	switch ErrorCode(err) {
	case "AuthorizationFailed":
		return "the signed-in principal lacks a role; creating role assignments needs Owner or User Access Administrator on the VNet"
	case "AADSTS7000215", "AADSTS700016":
		return "the app's sign-in still fails; wait a minute and run azpeer create again (it resumes)"
	}
	if isDeadline(err) {
		return "the clouds were still catching up when the deadline passed; run azpeer create again to resume"
	}
	return "fix the cause and run azpeer create again: it resumes at " + StepRef(id)
}

// shq quotes a value for a POSIX shell when it needs it.
func shq(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'$`\\!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
