package peering

import (
	"context"
	"fmt"
	"strings"
)

// TeardownOptions tune Teardown.
type TeardownOptions struct {
	// KeepShared keeps what other peerings may use: the custom roles and
	// Aiven's service principal.
	KeepShared bool
}

// Teardown removes a peering in the reverse order of the steps: the Azure
// peering, the Aiven connection (waiting until it is gone), the role
// assignments, the custom roles unless assigned elsewhere, the app with
// its service principal, and Aiven's service principal unless other
// assignments use it. It removes only what the run's ledger says the run
// created (or the user adopted); everything else stays, and is named as
// kept. An interrupted teardown resumes where it stopped. When it is done,
// the run record is gone.
func (r *Run) Teardown(ctx context.Context, o TeardownOptions, sink EventSink) error {
	if r.rb.ReadOnly {
		return ErrReadOnly
	}
	r.mu.Lock()
	r.sink = sink
	r.mu.Unlock()
	table := steps()
	for i := len(table) - 1; i >= 0; i-- {
		if table[i].undo == nil {
			continue
		}
		if err := table[i].undo(ctx, r, o); err != nil {
			_ = r.save()
			return fmt.Errorf("delete stopped at what %s made (run the same command again to go on): %w", StepRef(table[i].ID), err)
		}
		if err := r.save(); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.secret, r.secretKeyID, r.appNet = Secret{}, "", nil
	r.gone = true
	r.mu.Unlock()
	if r.rb.Store != nil {
		return r.rb.Store.Remove(r.target())
	}
	return nil
}

func (r *Run) deleted(what string) {
	r.emit(Event{Step: "teardown", Kind: EventDone, Message: "deleted " + what})
}

func (r *Run) kept(what string) {
	r.emit(Event{Step: "teardown", Kind: EventNotice, Message: "kept " + what})
}

// removal is what undo needs to know about a slot.
func (r *Run) removal(slot string) (Object, bool) {
	o, ok := r.object(slot)
	if !ok || o.State == Removed {
		return o, false
	}
	return o, true
}

// 14. The Azure peering (as the admin, who owns the VNet).
func undoAzurePeering(ctx context.Context, r *Run, _ TeardownOptions) error {
	o, ok := r.removal(OutAzurePeeringID)
	if !ok {
		return nil
	}
	name := o.Name
	if name == "" {
		name = lastSegment(o.ID)
	}
	if !o.Owned() {
		r.kept("the Azure peering " + name + " (azpeer did not create it)")
		return nil
	}
	err := r.rb.call(ctx, func(ctx context.Context) error { return r.rb.Network.DeletePeering(ctx, r.target().VNetID(), name) })
	if err != nil && StatusCode(err) != 404 {
		return fmt.Errorf("delete the Azure peering %s: %w", name, err)
	}
	r.forget(OutAzurePeeringID)
	r.setOut(OutAzurePeeringID, "", OutAzurePeeringName, "", OutAzurePeeringState, "")
	r.deleted("the Azure peering " + name)
	return nil
}

// 11. The Aiven connection, waiting until Aiven no longer lists it.
func undoAivenPeering(ctx context.Context, r *Run, _ TeardownOptions) error {
	o, ok := r.removal(OutAivenConnection)
	if !ok {
		return nil
	}
	if !o.Owned() {
		r.kept("the Aiven connection (azpeer did not create it)")
		return nil
	}
	var c Connection
	var found bool
	err := r.rb.call(ctx, func(ctx context.Context) (err error) { c, found, err = r.connection(ctx); return err })
	if err != nil {
		return err
	}
	if found && o.State != Adopted && !strings.EqualFold(c.PeerAzureAppID, r.out(OutUserAppID)) {
		// Replaced since by someone else's, for another app: not ours any more.
		r.kept(fmt.Sprintf("the Aiven connection: it is now requested for app %s, not the one azpeer made it for", orNone(c.PeerAzureAppID)))
		r.forget(OutAivenConnection)
		return nil
	}
	if found {
		if c.State != StateDeleting && c.State != StateDeleted {
			err := r.rb.call(ctx, func(ctx context.Context) error {
				return r.rb.Aiven.DeletePeering(ctx, r.target().Parent(), r.target().VPCID, c)
			})
			if err != nil && StatusCode(err) != 404 {
				return fmt.Errorf("delete the Aiven connection: %w", err)
			}
		}
		if err := r.waitConnectionGone(ctx, "teardown", c.Key(), string(c.State)); err != nil {
			return err
		}
	}
	r.forget(OutAivenConnection)
	r.setOut(OutAivenState, "")
	r.deleted("the Aiven peering connection")
	return nil
}

// undoAssignment deletes the role assignment of slot when the run made it.
func (r *Run) undoAssignment(ctx context.Context, slot, whose string) error {
	o, ok := r.removal(slot)
	if !ok || o.ID == "" {
		return nil
	}
	if !o.Owned() {
		r.kept("the role assignment of " + whose + " " + shortID(lastSegment(o.ID)) + "… (it existed before azpeer)")
		return nil
	}
	err := r.rb.call(ctx, func(ctx context.Context) error { return r.rb.Access.DeleteRoleAssignment(ctx, o.ID) })
	if err != nil && StatusCode(err) != 404 {
		return fmt.Errorf("delete role assignment %s: %w", o.ID, err)
	}
	r.forget(slot)
	r.setOut(slot, "")
	r.deleted("the role assignment of " + whose + " " + shortID(lastSegment(o.ID)) + "…")
	return nil
}

// undoRole deletes the custom role of slot when the run made it and no
// assignment uses it any more.
func (r *Run) undoRole(ctx context.Context, slot string, o TeardownOptions) error {
	obj, ok := r.removal(slot)
	if !ok || obj.ID == "" || !obj.Owned() {
		return nil
	}
	name := obj.Name
	if name == "" {
		name = shortID(lastSegment(obj.ID)) + "…"
	}
	if o.KeepShared {
		r.kept("the custom role " + name + " (--keep-shared)")
		return nil
	}
	var inUse bool
	err := r.rb.call(ctx, func(ctx context.Context) (err error) {
		inUse, err = r.roleInUse(ctx, subscriptionScope(r.target()), obj.ID)
		return err
	})
	if err != nil {
		return err
	}
	if inUse {
		r.kept("the custom role " + name + ": other role assignments use it")
		return nil
	}
	err = r.rb.call(ctx, func(ctx context.Context) error { return r.rb.Access.DeleteRoleDefinition(ctx, obj.ID) })
	if err != nil && StatusCode(err) != 404 {
		return fmt.Errorf("delete custom role %s: %w", obj.ID, err)
	}
	r.forget(slot)
	r.setOut(slot, "")
	r.deleted("the custom role " + name)
	return nil
}

func undoGrantAiven(ctx context.Context, r *Run, _ TeardownOptions) error {
	return r.undoAssignment(ctx, OutAivenAssignment, "Aiven's service principal")
}

func undoPeerRole(ctx context.Context, r *Run, o TeardownOptions) error {
	return r.undoRole(ctx, OutAivenRoleID, o)
}

func undoGrantApp(ctx context.Context, r *Run, o TeardownOptions) error {
	if err := r.undoAssignment(ctx, OutUserAppAssignment, "the app"); err != nil {
		return err
	}
	return r.undoRole(ctx, OutUserAppRoleID, o)
}

// 4. The app's service principal.
func undoAppSP(ctx context.Context, r *Run, _ TeardownOptions) error {
	id, err := r.ownSP(ctx, OutUserSPID, r.out(OutUserAppID), false)
	if err != nil || id == "" {
		return err
	}
	err = r.rb.call(ctx, func(ctx context.Context) error { return r.rb.Directory.DeleteServicePrincipal(ctx, id) })
	if err != nil && StatusCode(err) != 404 {
		return fmt.Errorf("delete the app's service principal: %w", err)
	}
	r.forget(OutUserSPID)
	r.deleted("the app's service principal")
	return nil
}

// 3. The app (Entra deletes its secrets with it). An app azpeer did not
// make stays, but loses the secrets azpeer added to it.
func undoApp(ctx context.Context, r *Run, _ TeardownOptions) error {
	o, ok := r.removal(OutUserAppID)
	if !ok {
		return nil
	}
	name := r.options().AppName
	if o.Name != "" {
		name = o.Name
	}
	if !o.Owned() {
		if err := r.rb.call(ctx, func(ctx context.Context) error { return r.retireSecrets(ctx, false) }); err != nil {
			return fmt.Errorf("remove azpeer's secrets from the app %s: %w", name, err)
		}
		r.kept("the app " + name + " (azpeer did not create it); removed the secrets azpeer had added to it")
		return nil
	}
	var apps []Application
	if o.ID != "" {
		err := r.rb.call(ctx, func(ctx context.Context) error {
			app, err := r.rb.Directory.ApplicationByAppID(ctx, o.ID)
			if app != nil {
				apps = []Application{*app}
			}
			return err
		})
		if err != nil {
			return err
		}
	} else {
		// Intended only: the run's tag tells whether the create landed.
		err := r.rb.call(ctx, func(ctx context.Context) error {
			found, err := r.rb.Directory.FindApplicationsByName(ctx, name)
			mine, _, _ := r.classifyApps(found)
			apps = mine
			return err
		})
		if err != nil {
			return err
		}
	}
	for _, app := range apps {
		err := r.rb.call(ctx, func(ctx context.Context) error { return r.rb.Directory.DeleteApplication(ctx, app.ObjectID) })
		if err != nil && StatusCode(err) != 404 {
			return fmt.Errorf("delete the app %s: %w", name, err)
		}
	}
	r.forget(OutUserAppID)
	for _, s := range r.Record().Secrets() {
		r.mu.Lock()
		r.rec.setSecretState(s.ID, Removed, r.rb.now())
		r.mu.Unlock()
	}
	r.deleted("the app " + name + " and its secrets")
	return nil
}

// 2. Aiven's service principal, unless other peerings need it.
func undoAivenSP(ctx context.Context, r *Run, o TeardownOptions) error {
	id, err := r.ownSP(ctx, OutAivenSPID, r.options().AivenAppID, true)
	if err != nil || id == "" {
		return err
	}
	if o.KeepShared {
		r.kept("Aiven's service principal (--keep-shared)")
		return nil
	}
	var used bool
	err = r.rb.call(ctx, func(ctx context.Context) (err error) {
		used, err = r.principalInUse(ctx, subscriptionScope(r.target()), id)
		return err
	})
	if err != nil {
		return err
	}
	if used {
		r.kept("Aiven's service principal: other role assignments use it")
		return nil
	}
	err = r.rb.call(ctx, func(ctx context.Context) error { return r.rb.Directory.DeleteServicePrincipal(ctx, id) })
	if err != nil && StatusCode(err) != 404 {
		return fmt.Errorf("delete Aiven's service principal: %w", err)
	}
	r.forget(OutAivenSPID)
	r.setOut(OutAivenSPID, "")
	r.deleted("Aiven's service principal")
	return nil
}

// ownSP is the object id of the service principal of slot that the run
// made and may delete, or "" for none. One only intended is found by the
// app it belongs to; when the app is shared with other runs (Aiven's), it
// is the run's only if it carries the run's mark. One not there is
// forgotten.
func (r *Run) ownSP(ctx context.Context, slot, appID string, shared bool) (string, error) {
	o, ok := r.removal(slot)
	if !ok || !o.Owned() {
		return "", nil
	}
	if o.ID != "" {
		return o.ID, nil
	}
	sp, err := r.rb.Directory.ServicePrincipalByAppID(ctx, appID)
	if err != nil {
		return "", err
	}
	if sp != nil && shared {
		if run, _ := MarkedBy(sp.Tags); run != r.rec.RunID {
			sp = nil
		}
	}
	if sp == nil {
		r.forget(slot)
		return "", nil
	}
	return sp.ObjectID, nil
}

func (r *Run) roleInUse(ctx context.Context, scope, roleID string) (bool, error) {
	list, err := r.rb.Access.RoleAssignments(ctx, scope, "")
	if err != nil {
		return false, fmt.Errorf("list role assignments: %w", err)
	}
	for _, ra := range list {
		if sameRole(ra.RoleDefinitionID, roleID) {
			return true, nil
		}
	}
	return false, nil
}

// principalInUse reports whether any role assignment in any subscription
// the admin can see still names the principal: Aiven's service principal
// serves every peering of the tenant, in whichever subscription.
func (r *Run) principalInUse(ctx context.Context, scope, principal string) (bool, error) {
	scopes := []string{scope}
	if subs, err := r.rb.Network.Subscriptions(ctx); err == nil {
		for _, s := range subs {
			if sc := "/subscriptions/" + s.ID; !strings.EqualFold(sc, scope) {
				scopes = append(scopes, sc)
			}
		}
	}
	for _, sc := range scopes {
		list, err := r.rb.Access.RoleAssignments(ctx, sc, principal)
		if err != nil {
			return false, fmt.Errorf("list role assignments at %s: %w", sc, err)
		}
		for _, ra := range list {
			if strings.EqualFold(ra.PrincipalID, principal) {
				return true, nil
			}
		}
	}
	return false, nil
}
