package peering

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// aivenKey is the connection's key as Aiven stores it (lower-case names).
func aivenKey(t Target) Key {
	return Key{PeerCloudAccount: t.SubscriptionID, PeerResourceGroup: strings.ToLower(t.ResourceGroup), PeerVPC: strings.ToLower(t.VNetName)}
}

// String is the key as one line, for the ledger and messages.
func (k Key) String() string {
	s := k.PeerCloudAccount + "/" + k.PeerResourceGroup + "/" + k.PeerVPC
	if k.PeerRegion != "" {
		s += "/" + k.PeerRegion
	}
	return s
}

func (r *Run) connection(ctx context.Context) (Connection, bool, error) {
	t := r.target()
	v, err := r.rb.Aiven.VPC(ctx, t.Parent(), t.VPCID)
	if err != nil {
		return Connection{}, false, err
	}
	c, ok := v.Find(aivenKey(t))
	return c, ok, nil
}

// ConnectionError says the Aiven connection to the VNet exists but is not
// the one this run would make (another app, or another tenant).
type ConnectionError struct {
	Connection Connection
	WantAppID  string
	WantTenant string
}

func (e *ConnectionError) Error() string {
	c := e.Connection
	return fmt.Sprintf("Aiven already has a connection from this VPC to %s/%s (%s since %s), requested for app %s in tenant %s — not this run's app %s in tenant %s; azpeer did not create it",
		c.PeerResourceGroup, c.PeerVPC, c.State, c.CreateTime.UTC().Format(time.RFC3339), orNone(c.PeerAzureAppID), orNone(c.PeerAzureTenantID), e.WantAppID, e.WantTenant)
}

// FailedConnectionError says the Aiven connection to the VNet has failed
// (or is being deleted) and azpeer did not create it: recreating it needs
// the user's consent.
type FailedConnectionError struct {
	Connection Connection
}

func (e *FailedConnectionError) Error() string {
	c := e.Connection
	msg := c.Message()
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("the Aiven connection to %s/%s is %s (%s), and azpeer did not create it", c.PeerResourceGroup, c.PeerVPC, c.State, msg)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// 11. Aiven's peering connection, found by account + RG + VNet. It must be
// this run's: requested for this run's app in this tenant. A failed one
// cannot be revived (Aiven's docs: "check your configuration and then
// recreate the peering connection"; the Terraform provider deletes a
// connection that failed): it is deleted, waited out, and created anew —
// when it is the run's own, or the user agreed (--replace-connection).
func detectAivenPeering(ctx context.Context, r *Run) (bool, error) {
	c, ok, err := r.connection(ctx)
	if err != nil || !ok {
		return false, err
	}
	t := r.target()
	o, _ := r.object(OutAivenConnection)
	ours := o.Owned() || r.owns(OutUserAppID)
	sameApp := strings.EqualFold(c.PeerAzureAppID, r.out(OutUserAppID)) && strings.EqualFold(c.PeerAzureTenantID, r.out(OutUserTenantID))
	replace := r.options().ReplaceConnection
	switch {
	case !sameApp && !replace:
		return false, &StepError{Step: StepAivenPeering, Err: &ConnectionError{Connection: c, WantAppID: r.out(OutUserAppID), WantTenant: r.out(OutUserTenantID)},
			Hint: fmt.Sprintf("azpeer doctor %s explains it; to replace it with a connection for this run's app, run azpeer create again with --replace-connection (it deletes the existing Aiven connection first)",
				t.Flags())}
	case !sameApp:
		r.emit(Event{Step: StepAivenPeering, Kind: EventNotice, Message: fmt.Sprintf("replacing the connection requested for app %s (as asked): deleting it first", orNone(c.PeerAzureAppID))})
		return false, r.deleteConnection(ctx, c)
	case c.State.Failed() || c.State == StateDeleting || c.State == StateDeleted:
		if !ours && !replace {
			return false, &StepError{Step: StepAivenPeering, Err: &FailedConnectionError{Connection: c},
				Hint: "azpeer doctor explains why; Aiven cannot revive a failed connection, so it must be recreated: run azpeer create again with --replace-connection to let azpeer delete it and create it anew"}
		}
		if c.State.Failed() {
			r.emit(Event{Step: StepAivenPeering, Kind: EventNotice,
				Message: fmt.Sprintf("the connection is %s (%s); Aiven cannot revive a failed connection, so azpeer deletes it, waits until it is gone, and creates it anew", c.State, c.Message())})
		}
		return false, r.deleteConnection(ctx, c)
	}
	state := Found
	switch {
	case o.State == Created || o.State == Adopted || o.State == Inherited:
		state = o.State
	case ours:
		state = Created
	case r.options().Adopt:
		state = Adopted
	}
	r.settle(OutAivenConnection, KindAivenConnection, c.Key().String(), "", state)
	r.setOut(OutAivenState, string(c.State))
	return true, nil
}

// deleteConnection deletes a connection and waits until Aiven no longer
// lists it: creating it again while it is DELETING races (Terraform
// provider PR 537).
func (r *Run) deleteConnection(ctx context.Context, c Connection) error {
	t := r.target()
	// Aiven's grant to the app goes with its last connection, and a new
	// connection grants a new service principal: tokens the app holds for
	// Aiven's tenant name the old one, so the app signs in again.
	r.mu.Lock()
	r.appNet = nil
	r.mu.Unlock()
	if c.State != StateDeleting && c.State != StateDeleted {
		if err := r.rb.Aiven.DeletePeering(ctx, t.Parent(), t.VPCID, c); err != nil && StatusCode(err) != 404 {
			return fmt.Errorf("delete the Aiven connection: %w", err)
		}
	}
	return r.waitConnectionGone(ctx, StepAivenPeering, c.Key(), string(c.State))
}

// waitConnectionGone polls until the connection is no longer listed,
// reporting its states as they change.
func (r *Run) waitConnectionGone(ctx context.Context, step StepID, k Key, last string) error {
	t := r.target()
	err := r.poll(ctx, func(ctx context.Context) (bool, bool, error) {
		v, err := r.rb.Aiven.VPC(ctx, t.Parent(), t.VPCID)
		if err != nil {
			return false, false, err
		}
		state := "gone"
		if c, ok := v.Find(k); ok {
			state = string(c.State)
		}
		progressed := state != last
		if progressed {
			r.emit(Event{Step: step, Kind: EventState, Side: "aiven", From: last, To: state})
			last = state
		}
		return state == "gone", progressed, nil
	})
	if err != nil {
		return fmt.Errorf("wait for the Aiven connection to go: %w", err)
	}
	return nil
}

func actAivenPeering(ctx context.Context, r *Run) error {
	t := r.target()
	rg, vnet := strings.ToLower(t.ResourceGroup), strings.ToLower(t.VNetName)
	if rg != t.ResourceGroup || vnet != t.VNetName {
		r.emit(Event{Step: StepAivenPeering, Kind: EventNotice,
			Message: fmt.Sprintf("Aiven accepts only lower-case names: sending %s/%s for %s/%s (Azure names are case-insensitive, so this is the same VNet)", rg, vnet, t.ResourceGroup, t.VNetName)})
	}
	if err := r.intend(StepAivenPeering, OutAivenConnection, KindAivenConnection, aivenKey(t).String(), ""); err != nil {
		return err
	}
	c, made, err := createOrFind(r, OutAivenConnection,
		func() (Connection, error) {
			return r.rb.Aiven.CreateAzurePeering(ctx, t.Parent(), t.VPCID, AzurePeeringRequest{
				SubscriptionID: t.SubscriptionID, ResourceGroup: rg, VNetName: vnet,
				AppID: r.out(OutUserAppID), TenantID: r.out(OutUserTenantID),
			})
		},
		// Made meanwhile (a concurrent run, or a person): detection
		// decides whose it is.
		func() error { _, err := detectAivenPeering(ctx, r); return err })
	if err != nil || !made {
		return err
	}
	// Aiven may answer a create for a connection that exists with the
	// existing one (variant aiven-duplicate-create=existing; Terraform
	// provider issue 752): then it is this run's only if it names this
	// run's app.
	if c.PeerAzureAppID != "" && !strings.EqualFold(c.PeerAzureAppID, r.out(OutUserAppID)) {
		r.forget(OutAivenConnection)
		return &StepError{Step: StepAivenPeering, Err: &ConnectionError{Connection: c, WantAppID: r.out(OutUserAppID), WantTenant: r.out(OutUserTenantID)},
			Hint: "another connection to this VNet appeared while azpeer asked for its own; azpeer doctor explains it"}
	}
	created := c
	r.settle(OutAivenConnection, KindAivenConnection, aivenKey(t).String(), "", Created)
	// Aiven's answer is the first state of the connection (APPROVED).
	if created.State != "" {
		r.setOut(OutAivenState, string(created.State))
		r.emit(Event{Step: StepAivenPeering, Kind: EventState, Side: "aiven", To: string(created.State), Message: created.Message()})
	}
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
		if err != nil && commonTransient(err) == "" {
			return err
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

// pollConnection polls the run's Aiven connection for step with check,
// which says whether the wait is over. A connection that is gone is the
// error gone; a change of Aiven's state is an event, an output and
// progress (moved, for check, which may report progress of its own).
func (r *Run) pollConnection(ctx context.Context, step StepID, gone error,
	check func(ctx context.Context, c Connection, moved bool) (done, progressed bool, err error)) error {
	last := r.out(OutAivenState)
	return r.poll(ctx, func(ctx context.Context) (bool, bool, error) {
		c, ok, err := r.connection(ctx)
		if err != nil {
			return false, false, err
		}
		if !ok {
			return false, false, gone
		}
		moved := string(c.State) != last
		if moved {
			r.emit(Event{Step: step, Kind: EventState, Side: "aiven", From: last, To: string(c.State), Message: c.Message()})
			last = string(c.State)
			r.setOut(OutAivenState, last)
		}
		done, progressed, err := check(ctx, c, moved)
		return done, moved || progressed, err
	})
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
	var approvedSince, refreshed time.Time
	t := r.target()
	gone := &StepError{Step: StepWaitPendingPeer, Err: errors.New("the Aiven peering connection is gone"),
		Hint: "run azpeer create again: " + StepRef(StepAivenPeering) + " requests it again"}
	return r.pollConnection(ctx, StepWaitPendingPeer, gone, func(ctx context.Context, c Connection, progressed bool) (bool, bool, error) {
		if progressed {
			_ = r.save()
		}
		if tid, nid := c.ToTenantID(), c.ToNetworkID(); tid != "" && nid != "" && (tid != r.out(OutAivenTenantID) || nid != r.out(OutAivenVNetID)) {
			r.setOut(OutAivenTenantID, tid, OutAivenVNetID, nid)
			_ = r.save()
		}
		switch {
		case c.State == StatePendingPeer || c.State == StateActive:
			if r.out(OutAivenVNetID) == "" {
				return false, progressed, &StepError{Step: StepWaitPendingPeer, Err: fmt.Errorf("Aiven is %s but state_info has no to-network-id", c.State),
					Hint: "run azpeer doctor; Aiven's support can give you the to-network-id of the " + t.Parent().VPCNoun()}
			}
			return true, progressed, nil
		case c.State.Failed():
			return false, progressed, &StepError{Step: StepWaitPendingPeer, Err: failedStateError(c),
				Hint: "run azpeer doctor " + t.Flags() + " to find the cause; after fixing it, run azpeer create again (it recreates the connection)"}
		case c.State == StateApproved || c.State == StateApprovedPeerRequested:
			now := r.rb.now()
			if approvedSince.IsZero() {
				approvedSince = now
			}
			// Nudge Aiven now and then: its refresh endpoint re-checks the
			// connection instead of waiting for the next periodic pass.
			if now.Sub(approvedSince) > 10*time.Second && now.Sub(refreshed) > time.Minute {
				refreshed = now
				_ = r.rb.Aiven.Refresh(ctx, t.Parent(), t.VPCID)
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
	return r.azureSideDone(ctx)
}

func actAppSignIn(ctx context.Context, r *Run) error {
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	if secret.Empty() {
		return &StepError{Step: StepAppSignIn, Err: errors.New("the app's secret is not in memory (secrets are never saved)"),
			Hint: "run " + StepRef(StepAppSecret) + " again to add a new secret (azpeer create does this on resume)"}
	}
	if r.out(OutAivenTenantID) == "" {
		// Aiven did not say its tenant (state_info can be null): its
		// network's subscription tells.
		if tid := r.rb.subscriptionTenant(ctx, r.out(OutAivenVNetID)); tid != "" {
			r.setOut(OutAivenTenantID, tid)
			r.emit(Event{Step: StepAppSignIn, Kind: EventNotice, Message: "Aiven did not say its tenant; its network's subscription belongs to tenant " + tid})
		}
	}
	if r.out(OutAivenTenantID) == "" {
		return &StepError{Step: StepAppSignIn, Err: errors.New("the tenant id of Aiven is not known (Aiven's state_info did not give to-tenant-id)"),
			Hint: "run " + StepRef(StepWaitPendingPeer) + " again while the connection is PENDING_PEER, or ask Aiven's support for the tenant id"}
	}
	net, err := r.rb.SignInAsApp(ctx, r.out(OutUserTenantID), r.out(OutUserAppID), secret, r.out(OutAivenTenantID))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.appNet = net
	r.mu.Unlock()
	return nil
}

// TenantFinder finds the tenant of a subscription the signed-in principal
// may not read; the Azure network adapter implements it.
type TenantFinder interface {
	SubscriptionTenant(ctx context.Context, subscriptionID string) (string, error)
}

// subscriptionTenant is the tenant of the subscription a resource id is
// in, or "" when it cannot be found.
func (rb *Runbook) subscriptionTenant(ctx context.Context, resourceID string) string {
	tf, ok := rb.Network.(TenantFinder)
	segs := strings.Split(strings.Trim(resourceID, "/"), "/")
	if !ok || len(segs) < 2 || !strings.EqualFold(segs[0], "subscriptions") {
		return ""
	}
	tid, err := read(ctx, rb, func(ctx context.Context) (string, error) { return tf.SubscriptionTenant(ctx, segs[1]) })
	if err != nil {
		return ""
	}
	return tid
}

// 14. The Azure peering: the run's own is found by the name it recorded;
// one to Aiven's VNet that someone else made is used as it is, and never
// deleted or changed without --adopt.
func detectAzurePeering(ctx context.Context, r *Run) (bool, error) {
	v, err := r.rb.Network.VNet(ctx, r.out(OutUserVNetID))
	if err != nil {
		return false, err
	}
	remote := r.out(OutAivenVNetID)
	o, _ := r.object(OutAzurePeeringID)
	mine := func(p VNetPeering) bool {
		return o.Owned() && strings.EqualFold(o.ID, p.ID)
	}
	for _, p := range v.Peerings {
		toAiven := strings.EqualFold(p.RemoteVNetID, remote)
		if !toAiven && strings.EqualFold(p.Name, r.options().PeeringName) && !mine(p) {
			return false, &StepError{Step: StepAzurePeering, Err: fmt.Errorf("the VNet already has a peering named %s, to %s, which azpeer did not create", p.Name, p.RemoteVNetID),
				Hint: "pass --peering-name with another name"}
		}
		if !toAiven {
			continue
		}
		broken := brokenPeering(p)
		switch {
		case broken != "" && !mine(p) && !r.options().Adopt:
			return false, &StepError{Step: StepAzurePeering, Err: fmt.Errorf("the peering %s to Aiven's VNet %s, and azpeer did not create it", p.Name, broken),
				Hint: "azpeer doctor explains it; run azpeer create again with --adopt to let azpeer recreate it"}
		case broken != "":
			r.emit(Event{Step: StepAzurePeering, Kind: EventNotice, Message: "peering " + p.Name + " " + broken + "; recreating it"})
			r.setOut(OutAzurePeeringName, p.Name)
			state := Adopted
			if mine(p) {
				state = o.State
			}
			r.settle(OutAzurePeeringID, KindAzurePeering, p.ID, p.Name, state)
			return false, nil
		}
		state := Found
		switch {
		case mine(p) && o.State == Intended:
			state = Created
		case mine(p):
			state = o.State
		case r.options().Adopt:
			state = Adopted
		}
		r.settle(OutAzurePeeringID, KindAzurePeering, p.ID, p.Name, state)
		r.setOut(OutAzurePeeringID, p.ID, OutAzurePeeringName, p.Name, OutAzurePeeringState, p.PeeringState)
		return true, nil
	}
	return false, nil
}

// brokenPeering says what is wrong with a peering that must be recreated
// (or updated), or "".
func brokenPeering(p VNetPeering) string {
	switch {
	case p.PeeringState == AzureDisconnected:
		return "is Disconnected (Aiven's side was deleted)"
	case p.ProvisioningState == "Failed":
		return "failed to provision"
	case !p.AllowVirtualNetworkAccess:
		return "does not allow virtual network access"
	}
	return ""
}

func actAzurePeering(ctx context.Context, r *Run) error {
	r.mu.Lock()
	net := r.appNet
	r.mu.Unlock()
	if net == nil {
		return &StepError{Step: StepAzurePeering, Err: errors.New("the app is not signed in"), Hint: "run " + StepRef(StepAppSignIn) + " first"}
	}
	vnetID := r.out(OutUserVNetID)
	// An existing (broken) peering keeps its name: an update sets
	// allowVirtualNetworkAccess, and provisions a Failed one again
	// (Microsoft's "Troubleshoot Azure Microsoft.Network failed
	// provisioning state": a PUT with the same settings brings it back);
	// deleting a Failed one would disconnect Aiven's side, which Aiven
	// takes as DELETED_BY_PEER. A Disconnected one is deleted and created
	// again, as the RemotePeeringIsDisconnected text asks.
	name := r.options().PeeringName
	if found := r.out(OutAzurePeeringName); found != "" {
		name = found
	}
	if existing, err := r.rb.Network.Peering(ctx, vnetID, name); err != nil {
		return err
	} else if existing != nil && existing.PeeringState == AzureDisconnected {
		if err := net.DeletePeering(ctx, vnetID, name); err != nil {
			return err
		}
	}
	id := vnetID + "/virtualNetworkPeerings/" + name
	if o, ok := r.object(OutAzurePeeringID); !ok || o.State != Adopted || !strings.EqualFold(o.ID, id) {
		if err := r.intend(StepAzurePeering, OutAzurePeeringID, KindAzurePeering, id, name); err != nil {
			return err
		}
	}
	p, err := net.CreatePeering(ctx, vnetID, name, r.out(OutAivenVNetID))
	if ErrorCode(err) == CodeRemotePeeringIsDisconnected {
		return r.aivenSideDisconnected(ctx, err)
	}
	if err != nil {
		return err
	}
	if o, _ := r.object(OutAzurePeeringID); o.State != Adopted {
		r.settle(OutAzurePeeringID, KindAzurePeering, p.ID, p.Name, Created)
	}
	r.setOut(OutAzurePeeringID, p.ID, OutAzurePeeringName, p.Name, OutAzurePeeringState, p.PeeringState)
	r.emit(Event{Step: StepAzurePeering, Kind: EventState, Side: "azure", To: p.PeeringState})
	return nil
}

// CodeRemotePeeringIsDisconnected is Resource Manager's answer to a
// peering PUT whose remote side is Disconnected (Azure/azure-cli#14051):
// only the remote side's owner, here Aiven, can bring it back.
const CodeRemotePeeringIsDisconnected = "RemotePeeringIsDisconnected"

// aivenSideDisconnected answers a RemotePeeringIsDisconnected: Aiven's side
// of the peering lost the user's side, and only a new connection gives it
// a new one. A connection of the run's own is deleted, and the run starts
// over from it (PeerLostError); anyone else's needs the user's word.
func (r *Run) aivenSideDisconnected(ctx context.Context, cause error) error {
	c, ok, err := r.connection(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return &StepError{Step: StepAzurePeering, Err: fmt.Errorf("the Aiven side of the peering is Disconnected and its connection is gone: %w", cause),
			Hint: "run azpeer create again: " + StepRef(StepAivenPeering) + " asks Aiven for a new connection"}
	}
	if !r.owns(OutAivenConnection) && !r.options().ReplaceConnection {
		return &StepError{Step: StepAzurePeering, Err: fmt.Errorf("the Aiven side of the peering is Disconnected (the peering from your VNet was deleted), and azpeer did not create the Aiven connection: %w", cause),
			Hint: "only a new connection gives Aiven a new side: run azpeer create again with --replace-connection to let azpeer delete it and create it anew"}
	}
	r.emit(Event{Step: StepAzurePeering, Kind: EventNotice, Message: "Aiven's side of the peering is Disconnected: azpeer deletes its connection so Aiven makes a new side"})
	if err := r.deleteConnection(ctx, c); err != nil {
		return err
	}
	return &StepError{Step: StepAzurePeering, Err: &PeerLostError{Connection: c}, Hint: "run azpeer create again: it asks Aiven for a new connection"}
}

// PeerLostError says Aiven took the run's own connection for
// DELETED_BY_PEER (its side of the Azure peering was disconnected while
// the run worked): Aiven never revives such a connection (the Terraform
// provider's docs: "There are no transitions from this state"), so the
// run's own connection and peering are made again.
type PeerLostError struct {
	Connection Connection
	// AzureGone says the run's Azure peering went (someone deleted it)
	// before Aiven noticed.
	AzureGone bool
}

func (e *PeerLostError) Error() string {
	if e.AzureGone {
		return "the Azure peering this run made is gone"
	}
	return "Aiven reports " + string(e.Connection.State) + " for the connection this run made: " + orNone(e.Connection.Message())
}

// 15. Wait until Aiven says ACTIVE and Azure says Connected.
func actWaitActive(ctx context.Context, r *Run) error {
	lastAzure := r.out(OutAzurePeeringState)
	t := r.target()
	gone := errors.New("the Aiven peering connection is gone")
	return r.pollConnection(ctx, StepWaitActive, gone, func(ctx context.Context, c Connection, progressed bool) (bool, bool, error) {
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
		case c.State == StateDeletedByPeer && r.owns(OutAivenConnection) && r.owns(OutAzurePeeringID):
			return false, progressed, &StepError{Step: StepWaitActive, Err: &PeerLostError{Connection: c},
				Hint: "run azpeer create again: both are azpeer's, so it recreates the Aiven connection and the Azure peering"}
		case c.State.Failed():
			return false, progressed, &StepError{Step: StepWaitActive, Err: failedStateError(c),
				Hint: "run azpeer doctor " + t.Flags() + " to find the cause"}
		case azState == AzureDisconnected:
			return false, progressed, &StepError{Step: StepWaitActive, Err: errors.New("the Azure peering is Disconnected: Aiven's side was deleted"),
				Hint: "run azpeer create again: it recreates the Aiven connection and the Azure peering"}
		case azState == "" && r.owns(OutAzurePeeringID) && r.owns(OutAivenConnection):
			return false, progressed, &StepError{Step: StepWaitActive, Err: &PeerLostError{Connection: c, AzureGone: true},
				Hint: "run azpeer create again: " + StepRef(StepAzurePeering) + " recreates it"}
		case azState == "":
			return false, progressed, &StepError{Step: StepWaitActive, Err: errors.New("the Azure peering is gone"),
				Hint: "run azpeer create again: " + StepRef(StepAzurePeering) + " recreates it"}
		}
		return false, progressed, nil
	})
}
