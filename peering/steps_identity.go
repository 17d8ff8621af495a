package peering

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SecretLifetime is how long the secret azpeer adds to the app stays
// valid. The secret is needed only until the Azure peering exists (steps
// 13–14 of one process), its text is never saved, and azpeer removes it
// when done; the short life bounds what an interrupted run that is never
// resumed leaves behind.
const SecretLifetime = 24 * time.Hour

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
	t := r.target()
	for _, s := range subs {
		if strings.EqualFold(s.ID, t.SubscriptionID) {
			r.setOut(OutUserTenantID, tid, OutUserSubscriptionID, s.ID)
			return nil
		}
	}
	return &StepError{Step: StepSignIn, Err: fmt.Errorf("subscription %s (from --%s) is not visible to the signed-in principal", t.SubscriptionID, t.subscriptionField()),
		Hint: "sign in to the tenant that owns it, or check --" + t.subscriptionField() + " (azpeer vnets lists what you can see)"}
}

// 2. Aiven's service principal in the user's tenant. Aiven's app belongs
// to another tenant, so the service principal may well exist already
// (another peering made it): then it is found, shared, and kept.
func detectAivenSP(ctx context.Context, r *Run) (bool, error) {
	sp, err := r.rb.Directory.ServicePrincipalByAppID(ctx, r.options().AivenAppID)
	if err != nil || sp == nil {
		return false, err
	}
	r.setOut(OutAivenSPID, sp.ObjectID)
	switch run, peering := MarkedBy(sp.Tags); {
	case run == r.rec.RunID:
		r.settle(OutAivenSPID, KindServicePrincipal, sp.ObjectID, sp.DisplayName, Created)
	case run != "" && peering == peeringTag(r.target()):
		// Another azpeer run made it for this peering (and stopped, or lost
		// its record): this run's to keep or remove.
		r.settle(OutAivenSPID, KindServicePrincipal, sp.ObjectID, sp.DisplayName, Inherited)
	default:
		r.settleFound(OutAivenSPID, KindServicePrincipal, sp.ObjectID, sp.DisplayName, false)
	}
	return true, nil
}

func actAivenSP(ctx context.Context, r *Run) error {
	appID := r.options().AivenAppID
	if err := r.intend(StepAivenSP, OutAivenSPID, KindServicePrincipal, "", "service principal of "+appID); err != nil {
		return err
	}
	sp, created, err := createOrFind(r, OutAivenSPID,
		func() (ServicePrincipal, error) {
			return r.rb.Directory.CreateServicePrincipal(ctx, appID, r.mark("Aiven's service principal, which Aiven uses to peer with your VNet"))
		},
		func() error { _, err := detectAivenSP(ctx, r); return err })
	switch {
	case err == nil && !created:
		return nil
	case err == nil:
	case ErrorCode(err) == "Authorization_RequestDenied":
		r.forget(OutAivenSPID)
		return &StepError{Step: StepAivenSP, Err: err,
			Hint: "creating a service principal for Aiven's app (another tenant's) needs the Application Administrator (or Cloud Application Administrator) role in your tenant: sign in with an account that has it, or ask an administrator to run: az ad sp create --id " + appID}
	case StatusCode(err) == 400 || StatusCode(err) == 404:
		// Graph answers 400 "The appId '…' of the service principal does
		// not reference a valid application object." for an id no tenant
		// has as a multi-tenant app.
		r.forget(OutAivenSPID)
		return &StepError{Step: StepAivenSP, Err: err,
			Hint: "no multi-tenant application has the id " + appID + ": check --aiven-app-id (Aiven's is " + DefaultAivenAppID + "; Managed Service for TimescaleDB documents its own); nothing else was created"}
	default:
		return err
	}
	r.setOut(OutAivenSPID, sp.ObjectID)
	r.settle(OutAivenSPID, KindServicePrincipal, sp.ObjectID, sp.DisplayName, Created)
	return nil
}

// 3. The peering app. An app the user names with --app-id is used as it
// is (and kept). Otherwise the app is azpeer's own, tagged with the run:
// found by that tag after a crash, and never confused with an app of the
// same name that someone else made.
func detectApp(ctx context.Context, r *Run) (bool, error) {
	if id := r.options().AppID; id != "" {
		app, err := r.rb.Directory.ApplicationByAppID(ctx, id)
		if err != nil {
			return false, err
		}
		if app == nil {
			return false, &StepError{Step: StepCreateApp, Err: fmt.Errorf("no application with app id %s in your tenant", id),
				Hint: "check --app-id (az ad app list --app-id " + id + "), or leave it out and let azpeer create an app"}
		}
		return r.useApp(*app, Found)
	}
	if o, ok := r.object(OutUserAppID); ok && o.ID != "" && o.State != Removed && o.State != Intended {
		app, err := r.rb.Directory.ApplicationByAppID(ctx, o.ID)
		if err != nil {
			return false, err
		}
		if app != nil {
			return r.useApp(*app, o.State)
		}
		// Deleted behind azpeer's back: make a new one.
		r.forget(OutUserAppID)
		r.setOut(OutUserAppID, "", OutUserAppObjectID, "")
	}
	name := r.options().AppName
	apps, err := r.rb.Directory.FindApplicationsByName(ctx, name)
	if err != nil {
		return false, err
	}
	mine, twins, others := r.classifyApps(apps)
	switch {
	case len(mine) > 0:
		// The create reached Entra before the run recorded it. Should a
		// retried create have made two, the newer ones go now.
		for _, extra := range mine[1:] {
			if err := r.rb.Directory.DeleteApplication(ctx, extra.ObjectID); err != nil && StatusCode(err) != 404 {
				return false, err
			}
		}
		return r.useApp(mine[0], Created)
	case len(twins) > 0 && r.options().Adopt:
		return r.useApp(twins[0], Inherited)
	case len(twins) > 0:
		run, _ := MarkedBy(twins[0].Tags)
		return false, &StepError{Step: StepCreateApp, Err: &TwinError{AppName: name, AppID: twins[0].AppID, RunID: run, Since: twins[0].CreatedAt},
			Hint: "let that run finish (azpeer status shows it from its state directory); if it is gone for good, run azpeer create again with --adopt to continue with its app"}
	case len(others) > 0:
		var ids []string
		for _, a := range others {
			ids = append(ids, a.AppID)
		}
		return false, &StepError{Step: StepCreateApp, Err: fmt.Errorf("%d application(s) named %q exist that azpeer did not create (%s)", len(others), name, strings.Join(ids, ", ")),
			Hint: "pass --app-name with another name, or --app-id " + ids[0] + " to use that app (azpeer then adds a short-lived secret and role assignments to it, and keeps the app on delete)"}
	}
	return false, nil
}

// classifyApps splits apps of the run's name into this run's, other azpeer
// runs' for the same peering (twins), and everyone else's; each oldest first.
func (r *Run) classifyApps(apps []Application) (mine, twins, others []Application) {
	tag := peeringTag(r.target())
	for _, a := range apps {
		run, peering := MarkedBy(a.Tags)
		switch {
		case run == r.rec.RunID:
			mine = append(mine, a)
		case run != "" && peering == tag:
			twins = append(twins, a)
		default:
			others = append(others, a)
		}
	}
	for _, s := range [][]Application{mine, twins, others} {
		slices.SortFunc(s, olderApp)
	}
	return mine, twins, others
}

func olderApp(a, b Application) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.AppID, b.AppID)
}

// useApp records the app the run works with.
func (r *Run) useApp(app Application, state Ownership) (bool, error) {
	if !app.MultiTenant() {
		return false, &StepError{Step: StepCreateApp, Err: fmt.Errorf("application %q (%s) is single-tenant (signInAudience %s); Aiven's tenant could not use it", app.DisplayName, app.AppID, app.SignInAudience),
			Hint: "set its sign-in audience to AzureADMultipleOrgs (az ad app update --id " + app.AppID + " --sign-in-audience AzureADMultipleOrgs), or use another app"}
	}
	r.setOut(OutUserAppID, app.AppID, OutUserAppObjectID, app.ObjectID)
	r.settle(OutUserAppID, KindApplication, app.AppID, app.DisplayName, state)
	r.mu.Lock()
	r.app = &app
	r.mu.Unlock()
	return true, nil
}

// TwinError says another azpeer run (with its record in another state
// directory) is creating the same peering.
type TwinError struct {
	AppName, AppID, RunID string
	Since                 time.Time
}

func (e *TwinError) Error() string {
	return fmt.Sprintf("another azpeer run (%s) is creating this peering: it made the app %q (%s) at %s, and its record is not in this state directory",
		shortID(e.RunID), e.AppName, e.AppID, e.Since.UTC().Format(time.RFC3339))
}

func actCreateApp(ctx context.Context, r *Run) error {
	name := r.options().AppName
	if err := r.intend(StepCreateApp, OutUserAppID, KindApplication, "", name); err != nil {
		return err
	}
	app, err := r.rb.Directory.CreateApplication(ctx, name, r.mark("the app that signs in to both tenants to create the Azure side of the peering"))
	if err != nil {
		return err
	}
	if _, err := r.useApp(app, Created); err != nil {
		return err
	}
	if err := r.save(); err != nil {
		return err
	}
	return r.settleTwins(ctx, app)
}

// settleTwins lets exactly one of two runs that created apps for the same
// peering at the same time go on: the older app wins; the run that made
// the newer one deletes it and stops.
func (r *Run) settleTwins(ctx context.Context, app Application) error {
	apps, err := r.rb.Directory.FindApplicationsByName(ctx, app.DisplayName)
	if err != nil {
		return err
	}
	_, twins, _ := r.classifyApps(apps)
	if len(twins) == 0 || olderApp(app, twins[0]) < 0 {
		return nil
	}
	if err := r.rb.Directory.DeleteApplication(ctx, app.ObjectID); err != nil && StatusCode(err) != 404 {
		return err
	}
	r.forget(OutUserAppID)
	r.setOut(OutUserAppID, "", OutUserAppObjectID, "")
	run, _ := MarkedBy(twins[0].Tags)
	r.emit(Event{Step: StepCreateApp, Kind: EventNotice, Message: "another azpeer run made this peering's app first; removed the app this run had just made"})
	return &StepError{Step: StepCreateApp, Err: &TwinError{AppName: app.DisplayName, AppID: twins[0].AppID, RunID: run, Since: twins[0].CreatedAt},
		Hint: "this run removed what it had made; let the other run finish (azpeer status shows it from its state directory)"}
}

// 4. The app's service principal. When the app is the run's own, so is
// its service principal (it cannot have existed before the app).
func detectAppSP(ctx context.Context, r *Run) (bool, error) {
	sp, err := r.rb.Directory.ServicePrincipalByAppID(ctx, r.out(OutUserAppID))
	if err != nil || sp == nil {
		return false, err
	}
	r.setOut(OutUserSPID, sp.ObjectID)
	app, _ := r.object(OutUserAppID)
	switch run, _ := MarkedBy(sp.Tags); {
	case run == r.rec.RunID || app.State == Created:
		r.settle(OutUserSPID, KindServicePrincipal, sp.ObjectID, sp.DisplayName, Created)
	case app.State == Adopted || app.State == Inherited:
		r.settle(OutUserSPID, KindServicePrincipal, sp.ObjectID, sp.DisplayName, app.State)
	default:
		r.settleFound(OutUserSPID, KindServicePrincipal, sp.ObjectID, sp.DisplayName, false)
	}
	return true, nil
}

func actAppSP(ctx context.Context, r *Run) error {
	if err := r.intend(StepAppSP, OutUserSPID, KindServicePrincipal, "", "service principal of "+r.out(OutUserAppID)); err != nil {
		return err
	}
	sp, created, err := createOrFind(r, OutUserSPID,
		func() (ServicePrincipal, error) {
			return r.rb.Directory.CreateServicePrincipal(ctx, r.out(OutUserAppID), r.mark("the peering app's service principal"))
		},
		func() error { _, err := detectAppSP(ctx, r); return err })
	if err != nil || !created {
		return err
	}
	r.setOut(OutUserSPID, sp.ObjectID)
	r.settle(OutUserSPID, KindServicePrincipal, sp.ObjectID, sp.DisplayName, Created)
	return nil
}

// 5. The secret lives in memory, for at most SecretLifetime; it is needed
// until the Azure peering exists, then removed.
func detectSecret(ctx context.Context, r *Run) (bool, error) {
	if r.secretUsable() {
		return true, nil
	}
	return r.azureSideDone(ctx)
}

// azureSideDone reports whether the VNet already has a working peering to
// Aiven's VNet: then the app need not sign in, and needs no secret.
func (r *Run) azureSideDone(ctx context.Context) (bool, error) {
	remote := r.out(OutAivenVNetID)
	if remote == "" {
		return false, nil
	}
	v, err := r.rb.Network.VNet(ctx, r.target().VNetID())
	if err != nil {
		return false, err
	}
	for _, p := range v.Peerings {
		if strings.EqualFold(p.RemoteVNetID, remote) && brokenPeering(p) == "" {
			return true, nil
		}
	}
	return false, nil
}

// secretUsable: a secret is in memory and has some life left.
func (r *Run) secretUsable() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.secret.Empty() && r.rb.now().Add(time.Hour).Before(r.secretEnd)
}

func actSecret(ctx context.Context, r *Run) error {
	name := secretName(r.rec.RunID)
	if earlier := len(r.Record().Secrets()); earlier > 0 {
		r.emit(Event{Step: StepAppSecret, Kind: EventNotice,
			Message: "secrets never touch disk, so the one an earlier session added is of no use now: adding a new one; every earlier one azpeer added goes once the new one signs in"})
	}
	if err := r.intend(StepAppSecret, OutUserAppKeyID, KindSecret, "", name); err != nil {
		return err
	}
	end := r.rb.now().Add(SecretLifetime)
	pc, secret, err := r.rb.Directory.AddPassword(ctx, r.out(OutUserAppObjectID), name, end)
	if err != nil {
		return err
	}
	if pc.End.IsZero() {
		pc.End = end
	}
	r.mu.Lock()
	r.secret, r.secretKeyID, r.secretEnd = secret, pc.KeyID, pc.End
	r.appNet = nil
	r.rec.resolveSecretIntent(pc.KeyID, r.rb.now())
	r.mu.Unlock()
	r.setOut(OutUserAppKeyID, pc.KeyID)
	return nil
}

// resolveSecretIntent gives the newest intended secret its key id.
func (r *Record) resolveSecretIntent(keyID string, now time.Time) {
	for i := len(r.Objects) - 1; i >= 0; i-- {
		o := &r.Objects[i]
		if o.Kind == KindSecret && o.State == Intended && o.ID == "" {
			o.ID, o.State, o.Time = keyID, Created, now
			return
		}
	}
	r.Objects = append(r.Objects, Object{Slot: OutUserAppKeyID, Kind: KindSecret, ID: keyID, State: Created, Time: now})
}

// 6. The VNet, as Azure names it.
func actPickVNet(ctx context.Context, r *Run) error {
	v, err := r.rb.Network.VNet(ctx, r.target().VNetID())
	if err != nil {
		return err
	}
	r.setOut(OutUserVNetID, v.ID, OutUserResourceGroup, v.ResourceGroup, OutUserVNetName, v.Name)
	return nil
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
