package peering

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Step is one step of the procedure: what it needs and produces, how it
// finds work already done, what it does, and the official command a user
// would type for it.
type Step struct {
	ID       StepID
	Number   int
	Title    string
	Needs    []string
	Produces []string
	// Optional needs may be empty (e.g. produced only in some runs).
	Optional []string

	detect    func(ctx context.Context, r *Run) (bool, error)
	act       func(ctx context.Context, r *Run) error
	command   func(r *Run) string
	transient transient
}

func (s Step) optional(k string) bool { return slices.Contains(s.Optional, k) }

// StepInfo is a step's static description, for plans and checklists.
type StepInfo struct {
	ID       StepID
	Number   int
	Title    string
	Needs    []string
	Produces []string
}

// Steps describes the fifteen steps in order.
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

func stepNumber(id StepID) int { s, _ := stepByID(id); return s.Number }
func stepTitle(id StepID) string {
	s, _ := stepByID(id)
	return s.Title
}

// Command is the official az/avn command for a step with the run's real
// values (the secret masked); what a user would type to do it by hand.
func (r *Run) Command(id StepID) string {
	s, ok := stepByID(id)
	if !ok || s.command == nil {
		return ""
	}
	return s.command(r)
}

// placeholder shows a value, or its name in angle brackets until known.
func (r *Run) val(k string) string {
	if v := r.out(k); v != "" {
		return v
	}
	return "$" + k
}

func steps() []Step {
	return []Step{
		{ID: StepSignIn, Number: 1, Title: "Sign in (admin) and pick the subscription",
			Produces: []string{OutUserTenantID, OutUserSubscriptionID},
			detect:   detectNever, act: actSignIn,
			command: func(r *Run) string {
				return "az login && az account set --subscription " + r.target().SubscriptionID
			}},
		{ID: StepCreateApp, Number: 2, Title: "Create the peering app (multi-tenant)",
			Produces: []string{OutUserAppID, OutUserAppObjectID},
			detect:   detectApp, act: actCreateApp,
			command: func(r *Run) string {
				return fmt.Sprintf("az ad app create --display-name %s --sign-in-audience AzureADMultipleOrgs --key-type Password", shq(r.options().AppName))
			}},
		{ID: StepAppSP, Number: 3, Title: "Create the app's service principal",
			Needs: []string{OutUserAppID}, Produces: []string{OutUserSPID},
			detect: detectAppSP, act: actAppSP, transient: graphReplication,
			command: func(r *Run) string { return "az ad sp create --id " + r.val(OutUserAppID) }},
		{ID: StepAppSecret, Number: 4, Title: "Add a client secret to the app (kept in memory only)",
			Needs: []string{OutUserAppObjectID}, Produces: []string{OutUserAppKeyID},
			detect: detectSecret, act: actSecret, transient: graphReplication,
			command: func(r *Run) string {
				return "az ad app credential reset --id " + r.val(OutUserAppID) + " --append   # prints the secret once: ********"
			}},
		{ID: StepPickVNet, Number: 5, Title: "Find the VNet",
			Needs: []string{OutUserSubscriptionID}, Produces: []string{OutUserVNetID, OutUserResourceGroup, OutUserVNetName},
			detect: detectNever, act: actPickVNet,
			command: func(r *Run) string {
				return "az network vnet show --resource-group " + r.target().ResourceGroup + " --name " + r.target().VNetName + " --subscription " + r.target().SubscriptionID
			}},
		{ID: StepGrantApp, Number: 6, Title: "Let the app write peerings on the VNet",
			Needs: []string{OutUserSPID, OutUserVNetID}, Produces: []string{OutUserAppAssignment},
			detect: detectGrantApp, act: actGrantApp, transient: principalReplication,
			command: func(r *Run) string {
				return fmt.Sprintf("az role assignment create --role %s --assignee-object-id %s --assignee-principal-type ServicePrincipal --scope %s",
					shq(appRoleName(r)), r.val(OutUserSPID), r.val(OutUserVNetID))
			}},
		{ID: StepAivenSP, Number: 7, Title: "Create a service principal for Aiven's app",
			Produces: []string{OutAivenSPID},
			detect:   detectAivenSP, act: actAivenSP,
			command: func(r *Run) string { return "az ad sp create --id " + r.options().AivenAppID }},
		{ID: StepPeerRole, Number: 8, Title: "Create the peer-only role for Aiven",
			Needs: []string{OutUserSubscriptionID}, Produces: []string{OutAivenRoleID},
			detect: detectPeerRole, act: actPeerRole,
			command: func(r *Run) string {
				return fmt.Sprintf(`az role definition create --role-definition '{"Name": %q, "Description": "Allows creating a peering to vnets in scope (but not from)", "Actions": ["Microsoft.Network/virtualNetworks/peer/action"], "AssignableScopes": ["/subscriptions/%s"]}'`,
					aivenRoleName(r.target()), r.target().SubscriptionID)
			}},
		{ID: StepGrantAiven, Number: 9, Title: "Let Aiven's service principal peer with the VNet",
			Needs: []string{OutAivenSPID, OutAivenRoleID, OutUserVNetID}, Produces: []string{OutAivenAssignment},
			detect: detectGrantAiven, act: actGrantAiven, transient: principalReplication,
			command: func(r *Run) string {
				return fmt.Sprintf("az role assignment create --role %s --assignee-object-id %s --assignee-principal-type ServicePrincipal --scope %s",
					r.val(OutAivenRoleID), r.val(OutAivenSPID), r.val(OutUserVNetID))
			}},
		{ID: StepTenantID, Number: 10, Title: "Find your tenant id",
			Produces: []string{OutUserTenantID},
			detect:   detectTenant, act: actTenant,
			command: func(r *Run) string { return "az account show --query tenantId -o tsv" }},
		{ID: StepAivenPeering, Number: 11, Title: "Ask Aiven to peer (names in lower case)",
			Needs: []string{OutUserAppID, OutUserTenantID}, Produces: []string{OutAivenState},
			detect: detectAivenPeering, act: actAivenPeering,
			command: func(r *Run) string {
				t := r.target()
				return fmt.Sprintf("avn vpc peering-connection create --project %s --project-vpc-id %s --peer-cloud-account %s --peer-resource-group %s --peer-vpc %s --peer-azure-app-id %s --peer-azure-tenant-id %s",
					t.Project, t.VPCID, t.SubscriptionID, strings.ToLower(t.ResourceGroup), strings.ToLower(t.VNetName), r.val(OutUserAppID), r.val(OutUserTenantID))
			}},
		{ID: StepWaitPendingPeer, Number: 12, Title: "Wait for Aiven: APPROVED → PENDING_PEER",
			Produces: []string{OutAivenTenantID, OutAivenVNetID},
			detect:   detectNever, act: actWaitPendingPeer,
			command: func(r *Run) string {
				t := r.target()
				return fmt.Sprintf("avn vpc peering-connection get -v --project %s --project-vpc-id %s --peer-cloud-account %s --peer-resource-group %s --peer-vpc %s",
					t.Project, t.VPCID, t.SubscriptionID, strings.ToLower(t.ResourceGroup), strings.ToLower(t.VNetName))
			}},
		{ID: StepAppSignIn, Number: 13, Title: "Sign in as the app in your tenant and Aiven's",
			Needs:  []string{OutUserAppID, OutUserTenantID, OutAivenTenantID},
			detect: detectAppSignIn, act: actAppSignIn, transient: signInReplication,
			command: func(r *Run) string {
				return fmt.Sprintf("az login --service-principal -u %s -p ******** --tenant %s && az login --service-principal -u %s -p ******** --tenant %s --allow-no-subscriptions",
					r.val(OutUserAppID), r.val(OutAivenTenantID), r.val(OutUserAppID), r.val(OutUserTenantID))
			}},
		{ID: StepAzurePeering, Number: 14, Title: "Create the Azure peering to Aiven's VNet",
			Needs: []string{OutUserVNetID, OutAivenVNetID}, Produces: []string{OutAzurePeeringID, OutAzurePeeringName},
			detect: detectAzurePeering, act: actAzurePeering, transient: peeringPropagation,
			command: func(r *Run) string {
				t := r.target()
				return fmt.Sprintf("az network vnet peering create --name %s --remote-vnet %s --vnet-name %s --resource-group %s --subscription %s --allow-vnet-access",
					r.options().PeeringName, r.val(OutAivenVNetID), t.VNetName, t.ResourceGroup, t.SubscriptionID)
			}},
		{ID: StepWaitActive, Number: 15, Title: "Wait for ACTIVE and Connected",
			Needs: []string{OutUserVNetID}, Produces: []string{OutAivenState, OutAzurePeeringState},
			detect: detectNever, act: actWaitActive,
			command: func(r *Run) string {
				t := r.target()
				return fmt.Sprintf("avn vpc peering-connection get --project %s --project-vpc-id %s --peer-cloud-account %s --peer-resource-group %s --peer-vpc %s",
					t.Project, t.VPCID, t.SubscriptionID, strings.ToLower(t.ResourceGroup), strings.ToLower(t.VNetName))
			}},
	}
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

// withRetry runs op under the step's retry policy, reporting retries.
func (r *Run) withRetry(ctx context.Context, id StepID, t transient, op func(ctx context.Context) error) error {
	return retry(ctx, r.rb.stepDeadline(), r.rb.retryBackoff(), t,
		func(attempt int, wait time.Duration, err error) {
			r.emit(Event{Step: id, Kind: EventRetrying, Attempt: attempt, Wait: wait, Error: err.Error()})
		}, op)
}

func detectNever(context.Context, *Run) (bool, error) { return false, nil }

// 1. Sign in: the admin's tenant, and the subscription must be visible.
func actSignIn(ctx context.Context, r *Run) error {
	tid, err := r.rb.Directory.TenantID(ctx)
	if err != nil {
		return err
	}
	subs, err := r.rb.Network.Subscriptions(ctx)
	if err != nil {
		return err
	}
	want := r.target().SubscriptionID
	for _, s := range subs {
		if strings.EqualFold(s.ID, want) {
			r.setOut(OutUserTenantID, tid, OutUserSubscriptionID, s.ID)
			return nil
		}
	}
	return &StepError{Step: StepSignIn, Err: fmt.Errorf("subscription %s is not visible to the signed-in principal", want),
		Hint: "sign in to the tenant that owns it, or check --subscription (azpeer vnets lists what you can see)"}
}

// 2. The app: by recorded app id, else by display name.
func detectApp(ctx context.Context, r *Run) (bool, error) {
	var app *Application
	if id := r.out(OutUserAppID); id != "" {
		a, err := r.rb.Directory.ApplicationByAppID(ctx, id)
		if err != nil {
			return false, err
		}
		app = a
	}
	if app == nil {
		apps, err := r.rb.Directory.FindApplicationsByName(ctx, r.options().AppName)
		if err != nil {
			return false, err
		}
		switch len(apps) {
		case 0:
			r.setOut(OutUserAppID, "", OutUserAppObjectID, "")
			return false, nil
		case 1:
			app = &apps[0]
		default:
			return false, &StepError{Step: StepCreateApp, Err: fmt.Errorf("%d applications are named %q", len(apps), r.options().AppName),
				Hint: "pass --app-name with a unique name, or delete the duplicates (az ad app list --display-name ...)"}
		}
	}
	if !app.MultiTenant() {
		return false, &StepError{Step: StepCreateApp, Err: fmt.Errorf("application %q (%s) is single-tenant (signInAudience %s); Aiven's tenant could not use it", app.DisplayName, app.AppID, app.SignInAudience),
			Hint: "pass --app-name with a new name, or set its sign-in audience to AzureADMultipleOrgs"}
	}
	r.setOut(OutUserAppID, app.AppID, OutUserAppObjectID, app.ObjectID)
	return true, nil
}

func actCreateApp(ctx context.Context, r *Run) error {
	app, err := r.rb.Directory.CreateApplication(ctx, r.options().AppName)
	if err != nil {
		return err
	}
	r.setOut(OutUserAppID, app.AppID, OutUserAppObjectID, app.ObjectID)
	r.markCreated(OutUserAppID)
	return nil
}

// 3. The app's service principal, by appId.
func detectAppSP(ctx context.Context, r *Run) (bool, error) {
	sp, err := r.rb.Directory.ServicePrincipalByAppID(ctx, r.out(OutUserAppID))
	if err != nil || sp == nil {
		return false, err
	}
	r.setOut(OutUserSPID, sp.ObjectID)
	return true, nil
}

func actAppSP(ctx context.Context, r *Run) error {
	return r.withRetry(ctx, StepAppSP, graphReplication, func(ctx context.Context) error {
		sp, err := r.rb.Directory.CreateServicePrincipal(ctx, r.out(OutUserAppID))
		if ErrorCode(err) == "Request_MultipleObjectsWithSameKeyValue" {
			_, err = detectAppSP(ctx, r)
			return err
		}
		if err != nil {
			return err
		}
		r.setOut(OutUserSPID, sp.ObjectID)
		r.markCreated(OutUserSPID)
		return nil
	})
}

// 4. The secret lives in memory. It is needed until the Azure peering
// exists; after that a lost secret is no loss.
func detectSecret(ctx context.Context, r *Run) (bool, error) {
	if r.HasSecret() {
		return true, nil
	}
	if r.rec.Step(StepAzurePeering).Status == StatusDone {
		p, err := r.rb.Network.Peering(ctx, r.target().VNetID(), r.out(OutAzurePeeringName))
		if err == nil && p != nil {
			return true, nil
		}
	}
	return false, nil
}

func actSecret(ctx context.Context, r *Run) error {
	old := r.out(OutUserAppKeyID)
	return r.withRetry(ctx, StepAppSecret, graphReplication, func(ctx context.Context) error {
		pc, secret, err := r.rb.Directory.AddPassword(ctx, r.out(OutUserAppObjectID), "azpeer", r.rb.now().AddDate(1, 0, 0))
		if err != nil {
			return err
		}
		r.mu.Lock()
		r.secret = secret
		r.appNet = nil
		r.mu.Unlock()
		r.setOut(OutUserAppKeyID, pc.KeyID)
		if old != "" && old != pc.KeyID {
			// The secret of an earlier run is gone with its process; the
			// old credential is removed once the new one has signed in.
			r.setOut(OutReplacedKeyID, old)
			r.emit(Event{Step: StepAppSecret, Kind: EventNotice,
				Message: "the earlier secret was not kept (secrets never touch disk); added a new one, the old one (" + shortID(old) + "…) goes once the new one works"})
		}
		return nil
	})
}

// 5. The VNet, as Azure names it.
func actPickVNet(ctx context.Context, r *Run) error {
	v, err := r.rb.Network.VNet(ctx, r.target().VNetID())
	if err != nil {
		return err
	}
	r.setOut(OutUserVNetID, v.ID, OutUserResourceGroup, v.ResourceGroup, OutUserVNetName, v.Name)
	return nil
}

// 6. The app's role on the VNet.
func appRoleName(r *Run) string {
	if r.options().Role == RoleLeastPrivilege {
		return "azpeer peering writer " + shortID(r.target().SubscriptionID)
	}
	return NetworkContributorRoleName
}

func aivenRoleName(t Target) string { return "azpeer Aiven VNet peer " + shortID(t.SubscriptionID) }

// appRoleID finds (or, for least-privilege, creates) the app's role.
func appRoleID(ctx context.Context, r *Run) (string, error) {
	if id := r.out(OutUserAppRoleID); id != "" {
		return id, nil
	}
	subScope := "/subscriptions/" + r.target().SubscriptionID
	name := appRoleName(r)
	rd, err := r.rb.Access.FindRoleDefinition(ctx, subScope, name)
	if err != nil {
		return "", err
	}
	if rd == nil && r.options().Role == RoleLeastPrivilege {
		created, err := r.rb.Access.CreateRoleDefinition(ctx, subScope, RoleDefinition{
			RoleName:    name,
			Description: "Lets azpeer's app create and remove VNet peerings, and nothing else (created by azpeer)",
			Custom:      true,
			Actions: []string{
				"Microsoft.Network/virtualNetworks/read",
				"Microsoft.Network/virtualNetworks/virtualNetworkPeerings/read",
				"Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write",
				"Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete",
			},
			AssignableScopes: []string{subScope},
		})
		if ErrorCode(err) == "RoleDefinitionWithSameNameExists" {
			rd, err = r.rb.Access.FindRoleDefinition(ctx, subScope, name)
		} else if err == nil {
			rd = &created
			r.markCreated(OutUserAppRoleID)
		}
		if err != nil {
			return "", err
		}
	}
	if rd == nil {
		return "", fmt.Errorf("role %q was not found at %s", name, subScope)
	}
	r.setOut(OutUserAppRoleID, rd.ID)
	return rd.ID, nil
}

// findAssignment returns the id of an assignment of role to principal at
// exactly scope, or "".
func findAssignment(ctx context.Context, a Access, scope, roleID, principal string) (string, error) {
	list, err := a.RoleAssignments(ctx, scope, principal)
	if err != nil {
		return "", err
	}
	for _, ra := range list {
		if strings.EqualFold(ra.PrincipalID, principal) && sameRole(ra.RoleDefinitionID, roleID) && strings.EqualFold(strings.TrimRight(ra.Scope, "/"), strings.TrimRight(scope, "/")) {
			return ra.ID, nil
		}
	}
	return "", nil
}

// sameRole compares role definition ids by their trailing guid: Azure
// writes built-in roles with or without a subscription prefix.
func sameRole(a, b string) bool {
	return strings.EqualFold(a[strings.LastIndex(a, "/")+1:], b[strings.LastIndex(b, "/")+1:])
}

func detectGrantApp(ctx context.Context, r *Run) (bool, error) {
	roleID, err := appRoleID(ctx, r)
	if err != nil {
		return false, err
	}
	id, err := findAssignment(ctx, r.rb.Access, r.out(OutUserVNetID), roleID, r.out(OutUserSPID))
	if err != nil || id == "" {
		return false, err
	}
	r.setOut(OutUserAppAssignment, id)
	return true, nil
}

func actGrantApp(ctx context.Context, r *Run) error {
	return r.assign(ctx, StepGrantApp, OutUserAppAssignment, r.out(OutUserAppRoleID), r.out(OutUserSPID))
}

// assign creates a role assignment at the VNet, treating "exists" as done.
func (r *Run) assign(ctx context.Context, id StepID, out, roleID, principal string) error {
	scope := r.out(OutUserVNetID)
	return r.withRetry(ctx, id, principalReplication, func(ctx context.Context) error {
		ra, err := r.rb.Access.CreateRoleAssignment(ctx, scope, roleID, principal)
		if ErrorCode(err) == "RoleAssignmentExists" {
			existing, ferr := findAssignment(ctx, r.rb.Access, scope, roleID, principal)
			if ferr != nil {
				return ferr
			}
			r.setOut(out, existing)
			return nil
		}
		if err != nil {
			return err
		}
		r.setOut(out, ra.ID)
		r.markCreated(out)
		return nil
	})
}

// 7. Aiven's service principal in the user's tenant.
func detectAivenSP(ctx context.Context, r *Run) (bool, error) {
	sp, err := r.rb.Directory.ServicePrincipalByAppID(ctx, r.options().AivenAppID)
	if err != nil || sp == nil {
		return false, err
	}
	r.setOut(OutAivenSPID, sp.ObjectID)
	return true, nil
}

func actAivenSP(ctx context.Context, r *Run) error {
	sp, err := r.rb.Directory.CreateServicePrincipal(ctx, r.options().AivenAppID)
	switch ErrorCode(err) {
	case "":
	case "Request_MultipleObjectsWithSameKeyValue":
		_, err = detectAivenSP(ctx, r)
		return err
	case "Authorization_RequestDenied":
		return &StepError{Step: StepAivenSP, Err: err,
			Hint: "creating a service principal for Aiven's app (another tenant's) needs the Application Administrator (or Cloud Application Administrator) role in your tenant: sign in with an account that has it, or ask an administrator to run: az ad sp create --id " + r.options().AivenAppID}
	default:
		if StatusCode(err) == 404 {
			return &StepError{Step: StepAivenSP, Err: err,
				Hint: "no multi-tenant app " + r.options().AivenAppID + " exists; check --aiven-app-id (Aiven's is " + DefaultAivenAppID + ")"}
		}
		return err
	}
	r.setOut(OutAivenSPID, sp.ObjectID)
	r.markCreated(OutAivenSPID)
	return nil
}

// 8. The peer-only custom role.
func detectPeerRole(ctx context.Context, r *Run) (bool, error) {
	rd, err := r.rb.Access.FindRoleDefinition(ctx, "/subscriptions/"+r.target().SubscriptionID, aivenRoleName(r.target()))
	if err != nil || rd == nil {
		return false, err
	}
	r.setOut(OutAivenRoleID, rd.ID)
	return true, nil
}

func actPeerRole(ctx context.Context, r *Run) error {
	scope := "/subscriptions/" + r.target().SubscriptionID
	rd, err := r.rb.Access.CreateRoleDefinition(ctx, scope, RoleDefinition{
		RoleName:         aivenRoleName(r.target()),
		Description:      "Allows creating a peering to vnets in scope (but not from) (created by azpeer)",
		Custom:           true,
		Actions:          []string{"Microsoft.Network/virtualNetworks/peer/action"},
		AssignableScopes: []string{scope},
	})
	if ErrorCode(err) == "RoleDefinitionWithSameNameExists" {
		_, err = detectPeerRole(ctx, r)
		return err
	}
	if err != nil {
		return err
	}
	r.setOut(OutAivenRoleID, rd.ID)
	r.markCreated(OutAivenRoleID)
	return nil
}

// 9. Aiven's grant on the VNet.
func detectGrantAiven(ctx context.Context, r *Run) (bool, error) {
	id, err := findAssignment(ctx, r.rb.Access, r.out(OutUserVNetID), r.out(OutAivenRoleID), r.out(OutAivenSPID))
	if err != nil || id == "" {
		return false, err
	}
	r.setOut(OutAivenAssignment, id)
	return true, nil
}

func actGrantAiven(ctx context.Context, r *Run) error {
	return r.assign(ctx, StepGrantAiven, OutAivenAssignment, r.out(OutAivenRoleID), r.out(OutAivenSPID))
}

// 10. The tenant id (known since sign-in; kept as its own step because the
// procedure has it, and resumes may start here).
func detectTenant(_ context.Context, r *Run) (bool, error) { return r.out(OutUserTenantID) != "", nil }

func actTenant(ctx context.Context, r *Run) error {
	tid, err := r.rb.Directory.TenantID(ctx)
	if err != nil {
		return err
	}
	r.setOut(OutUserTenantID, tid)
	return nil
}

// aivenKey is the connection's key as Aiven stores it (lower-case names).
func aivenKey(t Target) Key {
	return Key{PeerCloudAccount: t.SubscriptionID, PeerResourceGroup: strings.ToLower(t.ResourceGroup), PeerVPC: strings.ToLower(t.VNetName)}
}

func (r *Run) connection(ctx context.Context) (Connection, bool, error) {
	t := r.target()
	v, err := r.rb.Aiven.VPC(ctx, t.Project, t.VPCID)
	if err != nil {
		return Connection{}, false, err
	}
	c, ok := v.Find(aivenKey(t))
	return c, ok, nil
}

// 11. Aiven's peering connection: found by account + RG + VNet. A failed
// one is requested again (Aiven re-requests on re-POST).
func detectAivenPeering(ctx context.Context, r *Run) (bool, error) {
	c, ok, err := r.connection(ctx)
	if err != nil || !ok {
		return false, err
	}
	if c.State.Failed() || c.State == StateDeleted || c.State == StateDeleting {
		r.emit(Event{Step: StepAivenPeering, Kind: EventNotice, Message: fmt.Sprintf("the existing connection is %s (%s); requesting it again", c.State, c.Message())})
		return false, nil
	}
	r.setOut(OutAivenState, string(c.State))
	return true, nil
}

func actAivenPeering(ctx context.Context, r *Run) error {
	t := r.target()
	rg, vnet := strings.ToLower(t.ResourceGroup), strings.ToLower(t.VNetName)
	if rg != t.ResourceGroup || vnet != t.VNetName {
		r.emit(Event{Step: StepAivenPeering, Kind: EventNotice,
			Message: fmt.Sprintf("Aiven accepts only lower-case names: sending %s/%s for %s/%s (Azure names are case-insensitive, so this is the same VNet)", rg, vnet, t.ResourceGroup, t.VNetName)})
	}
	var created Connection
	err := r.withRetry(ctx, StepAivenPeering, nil, func(ctx context.Context) error {
		c, err := r.rb.Aiven.CreateAzurePeering(ctx, t.Project, t.VPCID, AzurePeeringRequest{
			SubscriptionID: t.SubscriptionID, ResourceGroup: rg, VNetName: vnet,
			AppID: r.out(OutUserAppID), TenantID: r.out(OutUserTenantID),
		})
		created = c
		return err
	})
	if err != nil {
		return err
	}
	// Aiven's answer is the first state of the connection (APPROVED).
	if created.State != "" {
		r.setOut(OutAivenState, string(created.State))
		r.emit(Event{Step: StepAivenPeering, Kind: EventState, Side: "aiven", To: string(created.State), Message: created.Message()})
	}
	r.markCreated(OutAivenState)
	return nil
}

// poll calls check until it reports done, with backoff reset on progress.
func (r *Run) poll(ctx context.Context, check func(ctx context.Context) (done, progressed bool, err error)) error {
	ctx, cancel := context.WithTimeout(ctx, r.rb.waitDeadline())
	defer cancel()
	b := r.rb.pollBackoff()
	var wait time.Duration
	for {
		done, progressed, err := check(ctx)
		if err != nil {
			if commonTransient(err) == "" {
				return err
			}
		}
		if done {
			return nil
		}
		if progressed {
			wait = 0
		}
		wait = b.next(wait)
		if err := sleep(ctx, wait); err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
				return fmt.Errorf("still waiting after %s: %w", r.rb.waitDeadline(), err)
			}
			return err
		}
	}
}

// failedStateError explains a failed Aiven state.
func failedStateError(c Connection) error {
	msg := c.Message()
	var keys []string
	for _, k := range c.StateInfoKeys() {
		if k != "message" {
			keys = append(keys, fmt.Sprintf("%s=%v", k, c.StateInfo[k]))
		}
	}
	if len(keys) > 0 {
		msg += " (" + strings.Join(keys, ", ") + ")"
	}
	return fmt.Errorf("Aiven reports %s: %s", c.State, msg)
}

// 12. Wait for PENDING_PEER and save to-tenant-id and to-network-id at once:
// state_info can turn null later.
func actWaitPendingPeer(ctx context.Context, r *Run) error {
	last := r.out(OutAivenState)
	var approvedSince time.Time
	var refreshed time.Time
	t := r.target()
	return r.poll(ctx, func(ctx context.Context) (bool, bool, error) {
		c, ok, err := r.connection(ctx)
		if err != nil {
			return false, false, err
		}
		if !ok {
			return false, false, &StepError{Step: StepWaitPendingPeer, Err: errors.New("the Aiven peering connection is gone"),
				Hint: "run step 11 again (azpeer create resumes there)"}
		}
		progressed := string(c.State) != last
		if progressed {
			r.emit(Event{Step: StepWaitPendingPeer, Kind: EventState, Side: "aiven", From: last, To: string(c.State), Message: c.Message()})
			last = string(c.State)
			r.setOut(OutAivenState, last)
			_ = r.save()
		}
		if tid, nid := c.ToTenantID(), c.ToNetworkID(); tid != "" && nid != "" {
			r.setOut(OutAivenTenantID, tid, OutAivenVNetID, nid)
			_ = r.save()
		}
		switch {
		case c.State == StatePendingPeer || c.State == StateActive:
			if r.out(OutAivenVNetID) == "" {
				return false, progressed, &StepError{Step: StepWaitPendingPeer, Err: fmt.Errorf("Aiven is %s but state_info has no to-network-id", c.State),
					Hint: "run azpeer doctor; Aiven's support can give you the to-network-id of the project VPC"}
			}
			return true, progressed, nil
		case c.State.Failed():
			return false, progressed, &StepError{Step: StepWaitPendingPeer, Err: failedStateError(c),
				Hint: "run azpeer doctor --project " + t.Project + " to find the cause; after fixing it, run azpeer create again (it re-requests the connection)"}
		case c.State == StateApproved || c.State == StateApprovedPeerRequested:
			now := r.rb.now()
			if approvedSince.IsZero() {
				approvedSince = now
			}
			// Nudge Aiven now and then: its refresh endpoint re-checks the
			// connection instead of waiting for the next periodic pass.
			if now.Sub(approvedSince) > 10*time.Second && now.Sub(refreshed) > time.Minute {
				refreshed = now
				_ = r.rb.Aiven.Refresh(ctx, t.Project, t.VPCID)
			}
		}
		return false, progressed, nil
	})
}

// 13. The app signs in to both tenants.
func detectAppSignIn(ctx context.Context, r *Run) (bool, error) {
	r.mu.Lock()
	signedIn := r.appNet != nil
	r.mu.Unlock()
	if signedIn {
		return true, nil
	}
	if r.rec.Step(StepAzurePeering).Status == StatusDone {
		p, err := r.rb.Network.Peering(ctx, r.target().VNetID(), r.out(OutAzurePeeringName))
		if err == nil && p != nil {
			return true, nil
		}
	}
	return false, nil
}

func actAppSignIn(ctx context.Context, r *Run) error {
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	if secret.Empty() {
		return &StepError{Step: StepAppSignIn, Err: errors.New("the app's secret is not in memory (secrets are never saved)"),
			Hint: "run step 4 again to add a new secret (azpeer create does this on resume)"}
	}
	var net Network
	err := r.withRetry(ctx, StepAppSignIn, signInReplication, func(ctx context.Context) error {
		n, err := r.rb.SignInAsApp(ctx, r.out(OutUserTenantID), r.out(OutUserAppID), secret, r.out(OutAivenTenantID))
		net = n
		return err
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.appNet = net
	r.mu.Unlock()
	if old := r.out(OutReplacedKeyID); old != "" {
		if err := r.rb.Directory.RemovePassword(ctx, r.out(OutUserAppObjectID), old); err != nil && StatusCode(err) != 404 {
			r.emit(Event{Step: StepAppSignIn, Kind: EventNotice, Message: "could not remove the earlier secret " + shortID(old) + "…: " + err.Error()})
		} else {
			r.setOut(OutReplacedKeyID, "")
			r.emit(Event{Step: StepAppSignIn, Kind: EventNotice, Message: "removed the earlier secret " + shortID(old) + "…"})
		}
	}
	return nil
}

// 14. The Azure peering, found by name or by its remote.
func detectAzurePeering(ctx context.Context, r *Run) (bool, error) {
	v, err := r.rb.Network.VNet(ctx, r.out(OutUserVNetID))
	if err != nil {
		return false, err
	}
	for _, p := range v.Peerings {
		if strings.EqualFold(p.RemoteVNetID, r.out(OutAivenVNetID)) {
			switch {
			case p.PeeringState == AzureDisconnected:
				r.emit(Event{Step: StepAzurePeering, Kind: EventNotice, Message: "peering " + p.Name + " is Disconnected (Aiven's side was deleted); recreating it"})
				r.setOut(OutAzurePeeringName, p.Name)
				return false, nil
			case p.ProvisioningState == "Failed":
				r.emit(Event{Step: StepAzurePeering, Kind: EventNotice, Message: "peering " + p.Name + " failed to provision; recreating it"})
				r.setOut(OutAzurePeeringName, p.Name)
				return false, nil
			case !p.AllowVirtualNetworkAccess:
				r.emit(Event{Step: StepAzurePeering, Kind: EventNotice, Message: "peering " + p.Name + " does not allow virtual network access; updating it"})
				r.setOut(OutAzurePeeringName, p.Name)
				return false, nil
			}
			r.setOut(OutAzurePeeringID, p.ID, OutAzurePeeringName, p.Name, OutAzurePeeringState, p.PeeringState)
			return true, nil
		}
	}
	return false, nil
}

func actAzurePeering(ctx context.Context, r *Run) error {
	r.mu.Lock()
	net := r.appNet
	r.mu.Unlock()
	if net == nil {
		return &StepError{Step: StepAzurePeering, Err: errors.New("the app is not signed in"), Hint: "run step 13 first"}
	}
	// An existing peering to Aiven's VNet keeps its name (an update sets
	// allowVirtualNetworkAccess); a Disconnected or Failed one is deleted
	// and created again, as Azure requires.
	name := r.options().PeeringName
	if found := r.out(OutAzurePeeringName); found != "" {
		name = found
	}
	if existing, _ := r.rb.Network.Peering(ctx, r.out(OutUserVNetID), name); existing != nil &&
		(existing.PeeringState == AzureDisconnected || existing.ProvisioningState == "Failed") {
		if err := net.DeletePeering(ctx, r.out(OutUserVNetID), name); err != nil {
			return err
		}
	}
	return r.withRetry(ctx, StepAzurePeering, peeringPropagation, func(ctx context.Context) error {
		p, err := net.CreatePeering(ctx, r.out(OutUserVNetID), name, r.out(OutAivenVNetID))
		if err != nil {
			return err
		}
		r.setOut(OutAzurePeeringID, p.ID, OutAzurePeeringName, p.Name, OutAzurePeeringState, p.PeeringState)
		r.markCreated(OutAzurePeeringID)
		r.emit(Event{Step: StepAzurePeering, Kind: EventState, Side: "azure", To: p.PeeringState})
		return nil
	})
}

// 15. Wait until Aiven says ACTIVE and Azure says Connected.
func actWaitActive(ctx context.Context, r *Run) error {
	lastAiven, lastAzure := r.out(OutAivenState), r.out(OutAzurePeeringState)
	t := r.target()
	return r.poll(ctx, func(ctx context.Context) (bool, bool, error) {
		c, ok, err := r.connection(ctx)
		if err != nil {
			return false, false, err
		}
		if !ok {
			return false, false, errors.New("the Aiven peering connection is gone")
		}
		progressed := false
		if string(c.State) != lastAiven {
			r.emit(Event{Step: StepWaitActive, Kind: EventState, Side: "aiven", From: lastAiven, To: string(c.State), Message: c.Message()})
			lastAiven = string(c.State)
			r.setOut(OutAivenState, lastAiven)
			progressed = true
		}
		azState := ""
		if name := r.out(OutAzurePeeringName); name != "" {
			p, err := r.rb.Network.Peering(ctx, r.out(OutUserVNetID), name)
			if err != nil {
				return false, progressed, err
			}
			if p != nil {
				azState = p.PeeringState
			}
		}
		if azState != lastAzure {
			r.emit(Event{Step: StepWaitActive, Kind: EventState, Side: "azure", From: lastAzure, To: azState})
			lastAzure = azState
			r.setOut(OutAzurePeeringState, azState)
			progressed = true
		}
		if progressed {
			_ = r.save()
		}
		switch {
		case c.State == StateActive && azState == AzureConnected:
			return true, progressed, nil
		case c.State.Failed():
			return false, progressed, &StepError{Step: StepWaitActive, Err: failedStateError(c),
				Hint: "run azpeer doctor --project " + t.Project + " to find the cause"}
		case azState == AzureDisconnected:
			return false, progressed, &StepError{Step: StepWaitActive, Err: errors.New("the Azure peering is Disconnected: Aiven's side was deleted"),
				Hint: "run azpeer create again: it recreates the Aiven connection and the Azure peering"}
		case azState == "":
			return false, progressed, &StepError{Step: StepWaitActive, Err: errors.New("the Azure peering is gone"),
				Hint: "run azpeer create again: step 14 recreates it"}
		}
		return false, progressed, nil
	})
}

// hintFor suggests what to do about an error the step did not explain.
func hintFor(id StepID, err error) string {
	switch ErrorCode(err) {
	case "AuthorizationFailed":
		return "the signed-in principal lacks a role; creating role assignments needs Owner or User Access Administrator on the VNet"
	case "AADSTS7000215", "AADSTS700016":
		return "the app's sign-in still fails; wait a minute and run azpeer create again (it resumes)"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "the clouds were still catching up when the deadline passed; run azpeer create again to resume"
	}
	return "fix the cause and run azpeer create again: it resumes at this step"
}

// shq quotes a value for a POSIX shell when it needs it.
func shq(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'$`\\!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
