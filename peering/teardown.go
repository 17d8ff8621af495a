package peering

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// TeardownOptions tune Delete.
type TeardownOptions struct {
	// KeepShared keeps what other peerings may use: the custom roles and
	// Aiven's service principal.
	KeepShared bool
}

// Teardown removes a peering in the reverse order of its creation: the
// Azure peering, the Aiven connection (waiting for DELETED), the role
// assignments, the custom roles unless assigned elsewhere, Aiven's service
// principal unless other assignments use it, and the app with its service
// principal. It removes only what this run created; what it found already
// there stays. Events go to sink as for a create.
func (r *Run) Teardown(ctx context.Context, o TeardownOptions, sink EventSink) error {
	r.mu.Lock()
	r.sink = sink
	r.mu.Unlock()
	t := r.target()
	say := func(msg string) { r.emit(Event{Step: "teardown", Kind: EventDone, Message: msg}) }
	skip := func(msg string) { r.emit(Event{Step: "teardown", Kind: EventNotice, Message: msg}) }

	// 1. The Azure peering (as the admin, who owns the VNet).
	vnetID := t.VNetID()
	if v, err := r.rb.Network.VNet(ctx, vnetID); err == nil {
		for _, p := range v.Peerings {
			if strings.EqualFold(p.Name, r.out(OutAzurePeeringName)) ||
				(r.out(OutAivenVNetID) != "" && strings.EqualFold(p.RemoteVNetID, r.out(OutAivenVNetID))) {
				if err := r.rb.Network.DeletePeering(ctx, vnetID, p.Name); err != nil {
					return fmt.Errorf("delete Azure peering %s: %w", p.Name, err)
				}
				say("deleted Azure peering " + p.Name)
			}
		}
	} else if StatusCode(err) != 404 {
		return fmt.Errorf("read VNet: %w", err)
	}

	// 2. The Aiven connection, and wait until it is gone or DELETED.
	if c, ok, err := r.connection(ctx); err != nil {
		return err
	} else if ok && c.State != StateDeleted {
		if c.State != StateDeleting {
			if err := r.rb.Aiven.DeletePeering(ctx, t.Project, t.VPCID, aivenKey(t)); err != nil && StatusCode(err) != 404 {
				return fmt.Errorf("delete Aiven peering: %w", err)
			}
		}
		last := string(c.State)
		err := r.poll(ctx, func(ctx context.Context) (bool, bool, error) {
			c, ok, err := r.connection(ctx)
			if err != nil {
				return false, false, err
			}
			state := string(StateDeleted)
			if ok {
				state = string(c.State)
			}
			progressed := state != last
			if progressed {
				r.emit(Event{Step: "teardown", Kind: EventState, Side: "aiven", From: last, To: state})
				last = state
			}
			return state == string(StateDeleted), progressed, nil
		})
		if err != nil {
			return fmt.Errorf("wait for the Aiven peering to be deleted: %w", err)
		}
		say("deleted Aiven peering connection")
	}

	// 3. Role assignments this run made.
	for _, k := range []string{OutUserAppAssignment, OutAivenAssignment} {
		id := r.out(k)
		if id == "" {
			continue
		}
		if !r.created(k) {
			skip("kept role assignment " + shortID(lastSegment(id)) + "… (it existed before azpeer)")
			continue
		}
		if err := r.rb.Access.DeleteRoleAssignment(ctx, id); err != nil && StatusCode(err) != 404 {
			return fmt.Errorf("delete role assignment %s: %w", id, err)
		}
		r.setOut(k, "", "created:"+k, "")
		say("deleted role assignment " + shortID(lastSegment(id)) + "…")
	}

	// 4. Custom roles, unless kept or still assigned elsewhere.
	subScope := "/subscriptions/" + t.SubscriptionID
	for _, k := range []string{OutAivenRoleID, OutUserAppRoleID} {
		id := r.out(k)
		if id == "" || !r.created(k) {
			continue
		}
		if o.KeepShared {
			skip("kept custom role " + shortID(lastSegment(id)) + "… (--keep-shared)")
			continue
		}
		inUse, err := r.roleInUse(ctx, subScope, id)
		if err != nil {
			return err
		}
		if inUse {
			skip("kept custom role " + shortID(lastSegment(id)) + "…: other assignments use it")
			continue
		}
		if err := r.rb.Access.DeleteRoleDefinition(ctx, id); err != nil && StatusCode(err) != 404 {
			return fmt.Errorf("delete custom role %s: %w", id, err)
		}
		r.setOut(k, "", "created:"+k, "")
		say("deleted custom role " + shortID(lastSegment(id)) + "…")
	}

	// 5. Aiven's service principal, unless other peerings need it.
	if id := r.out(OutAivenSPID); id != "" && r.created(OutAivenSPID) {
		switch used, err := r.principalInUse(ctx, subScope, id); {
		case err != nil:
			return err
		case o.KeepShared:
			skip("kept Aiven's service principal (--keep-shared)")
		case used:
			skip("kept Aiven's service principal: other role assignments use it")
		default:
			if err := r.rb.Directory.DeleteServicePrincipal(ctx, id); err != nil && StatusCode(err) != 404 {
				return fmt.Errorf("delete Aiven's service principal: %w", err)
			}
			r.setOut(OutAivenSPID, "", "created:"+OutAivenSPID, "")
			say("deleted Aiven's service principal")
		}
	}

	// 6. The app and its service principal.
	if id := r.out(OutUserSPID); id != "" && r.created(OutUserSPID) {
		if err := r.rb.Directory.DeleteServicePrincipal(ctx, id); err != nil && StatusCode(err) != 404 {
			return fmt.Errorf("delete the app's service principal: %w", err)
		}
		say("deleted the app's service principal")
	}
	if id := r.out(OutUserAppObjectID); id != "" && r.created(OutUserAppID) {
		if err := r.rb.Directory.DeleteApplication(ctx, id); err != nil && StatusCode(err) != 404 {
			return fmt.Errorf("delete the app: %w", err)
		}
		say("deleted the app " + r.options().AppName)
	} else if id != "" {
		skip("kept the app " + r.options().AppName + " (it existed before azpeer)")
	}
	r.mu.Lock()
	r.secret = Secret{}
	r.appNet = nil
	r.mu.Unlock()
	if r.rb.Store != nil {
		return errors.Join(r.rb.Store.Remove(t))
	}
	return nil
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

func (r *Run) principalInUse(ctx context.Context, scope, principal string) (bool, error) {
	list, err := r.rb.Access.RoleAssignments(ctx, scope, principal)
	if err != nil {
		return false, fmt.Errorf("list role assignments: %w", err)
	}
	for _, ra := range list {
		if strings.EqualFold(ra.PrincipalID, principal) {
			return true, nil
		}
	}
	return false, nil
}

func lastSegment(id string) string { return id[strings.LastIndex(id, "/")+1:] }
