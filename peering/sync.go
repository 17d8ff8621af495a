package peering

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Keeping a peering in sync after an address space changes. Each side of
// an Azure peering keeps the other's address space as it last synced it
// (remoteAddressSpace): traffic flows to those ranges only. When the user
// adds a range to the VNet, the user's side says RemoteNotInSync and
// Aiven's LocalNotInSync until Aiven's side syncs, which only Aiven can do
// (its subscription, its tenant): azpeer asks it to, with Aiven's refresh.
// When Aiven's network changes, the user's side is LocalNotInSync and
// only the user can sync it. The user's side alone tells both halves.
// Sources: azure-powershell's recorded TestVirtualNetworkPeeringSyncCRUD
// and Azure/azure-powershell#24168 (a sync of the changed side "ends with
// success but … still RemoteNotInSync").

// Sync levels of an Azure peering (peeringSyncLevel, as the REST spec
// names them).
const (
	SyncFully           = "FullyInSync"
	SyncLocalNotInSync  = "LocalNotInSync"
	SyncRemoteNotInSync = "RemoteNotInSync"
	SyncNeitherInSync   = "LocalAndRemoteNotInSync"
)

// SyncMeaning says in words what a sync level of the user's side of the
// peering means ("" when the level is unknown).
func SyncMeaning(level string) string {
	switch level {
	case SyncFully:
		return "in sync: both sides route each other's whole address space"
	case SyncRemoteNotInSync:
		return "Aiven's side has not synced your VNet's current address space: traffic between Aiven and your VNet's new ranges does not flow until it does (Aiven's refresh syncs it)"
	case SyncLocalNotInSync:
		return "your side has not synced the address space Aiven's network has now: traffic to Aiven's new ranges does not flow until you sync your side"
	case SyncNeitherInSync:
		return "neither side has synced the other's current address space: traffic to the new ranges of either network does not flow until both sides sync"
	}
	return ""
}

// SyncShort is a sync level in a few words, for tables ("" when in sync
// or unknown).
func SyncShort(level string) string {
	switch level {
	case SyncRemoteNotInSync:
		return "Aiven's side out of sync"
	case SyncLocalNotInSync:
		return "your side out of sync"
	case SyncNeitherInSync:
		return "both sides out of sync"
	}
	return ""
}

// PeeringSyncer is a Network that can sync a peering with its remote's
// current address space (the azure adapter's Network is one).
type PeeringSyncer interface {
	SyncPeering(ctx context.Context, vnetID, name string) (VNetPeering, error)
}

// SyncEvent is one thing a sync did or saw.
type SyncEvent struct {
	Time    time.Time     `json:"time"`
	Elapsed time.Duration `json:"elapsed"`
	// Level is the user's side's sync level; Azure its peeringState;
	// Aiven the connection's state.
	Level string `json:"sync_level"`
	Azure string `json:"azure"`
	Aiven State  `json:"aiven"`
	// Action is what happened: "read", "sync-azure", "refresh-aiven",
	// "wait" or "notice".
	Action  string `json:"action"`
	Message string `json:"message,omitempty"`
	// Changed is set when the level moved, From → To.
	Changed bool   `json:"changed,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
}

// SyncResult is how a sync ended.
type SyncResult struct {
	Outcome WaitOutcome
	Last    SyncEvent
	// SyncedAs names who synced the user's side ("" when azpeer did not).
	SyncedAs string
	// Manual is what the user must run when azpeer could not sync the
	// user's side itself ("" otherwise).
	Manual string
	// Err is why it could not check, failed or timed out.
	Err error
}

// refreshEvery is how often a sync asks Aiven again while it waits.
const refreshEvery = time.Minute

// Sync brings a Connected peering back in sync after an address space
// changed: it syncs the user's side (a PUT of the peering as it is, with
// ?syncRemoteAddressSpace=true), asks Aiven to refresh its side, and waits
// until the user's side says FullyInSync, the context ends, or the clouds
// cannot be read. Syncing changes no setting of the peering, so it needs
// no consent beyond asking for it; it does need an identity with
// peer/action on Aiven's network (the linked access check of any peering
// PUT): azpeer signs in as the peering app of its run record, with a
// short-lived secret it adds and removes, as step 14 does. Without a
// record azpeer tries as the signed-in principal and, refused, says what
// to run; Aiven's refresh changes nothing of the user's and is always
// asked for. The user's side is synced even when only Aiven's is behind:
// Microsoft's how-to has users sync the changed network's side, and where
// that is a no-op (Azure/azure-powershell#24168) it costs one PUT.
func (rb *Runbook) Sync(ctx context.Context, t Target, sink func(SyncEvent)) SyncResult {
	if rb.ReadOnly {
		return SyncResult{Outcome: WaitFailed, Err: ErrReadOnly}
	}
	start := rb.now()
	var last SyncEvent
	emit := func(ev SyncEvent) {
		ev.Time = rb.now()
		ev.Elapsed = ev.Time.Sub(start)
		if ev.Action != "read" && ev.Action != "wait" {
			// What azpeer did: the states are the last look's.
			ev.Level, ev.Azure, ev.Aiven = last.Level, last.Azure, last.Aiven
		}
		last = ev
		if sink != nil {
			sink(ev)
		}
	}
	res := SyncResult{}
	done := func(o WaitOutcome, err error) SyncResult {
		res.Outcome, res.Last, res.Err = o, last, err
		return res
	}
	side, err := rb.syncLook(ctx, t)
	if err != nil {
		return done(WaitUnknown, err)
	}
	emit(side.event("read", SyncMeaning(side.level())))
	if err := side.syncable(); err != nil {
		return done(WaitFailed, err)
	}
	if side.level() == SyncFully || side.level() == "" {
		return done(WaitReached, nil)
	}

	as, manual, err := rb.syncAzureSide(ctx, t, side, func(msg string) { emit(SyncEvent{Action: "notice", Message: msg}) })
	switch {
	case err != nil && ctx.Err() != nil:
		return done(WaitTimedOut, err)
	case err != nil:
		res.Manual = manual
		emit(SyncEvent{Action: "notice", Message: "azpeer could not sync your side: " + oneLineErr(err) + "; run instead: " + manual})
	default:
		res.SyncedAs = as
		emit(SyncEvent{Action: "sync-azure", Message: "synced your side as " + as})
	}
	refreshed := rb.now()
	if err := rb.call(ctx, func(ctx context.Context) error { return rb.Aiven.Refresh(ctx, t.Parent(), t.VPCID) }); err != nil {
		if ctx.Err() != nil {
			return done(WaitTimedOut, err)
		}
		emit(SyncEvent{Action: "notice", Message: "Aiven's refresh failed (" + oneLineErr(err) + "); waiting for Aiven to sync its side by itself"})
	} else {
		emit(SyncEvent{Action: "refresh-aiven", Message: "asked Aiven to re-check its side (POST .../peering-connections/refresh)"})
	}

	b := rb.pollBackoff()
	var wait time.Duration
	for {
		s, err := rb.syncLook(ctx, t)
		switch {
		case err != nil && ctx.Err() != nil:
			return done(WaitTimedOut, ctx.Err())
		case err != nil:
			return done(WaitUnknown, err)
		}
		ev := s.event("wait", SyncMeaning(s.level()))
		if s.level() != last.Level {
			ev.Changed, ev.From, ev.To = true, last.Level, s.level()
			wait = 0
		}
		emit(ev)
		if err := s.syncable(); err != nil {
			return done(WaitFailed, err)
		}
		if s.level() == SyncFully || s.level() == "" {
			return done(WaitReached, nil)
		}
		if rb.now().Sub(refreshed) >= refreshEvery {
			// Aiven may have been busy: ask again now and then, as the
			// wait for PENDING_PEER does.
			refreshed = rb.now()
			_ = rb.Aiven.Refresh(ctx, t.Parent(), t.VPCID)
		}
		wait = b.next(wait)
		if err := sleep(ctx, wait); err != nil {
			return done(WaitTimedOut, err)
		}
	}
}

// syncSide is one look at both sides, for a sync.
type syncSide struct {
	conn        *Connection
	vnet        VNet
	vnetMissing bool
	peering     *VNetPeering
}

func (s syncSide) level() string {
	if s.peering == nil {
		return ""
	}
	return s.peering.SyncLevel
}

func (s syncSide) event(action, msg string) SyncEvent {
	ev := SyncEvent{Action: action, Message: msg, Level: s.level()}
	if s.peering != nil {
		ev.Azure = s.peering.PeeringState
	}
	if s.conn != nil {
		ev.Aiven = s.conn.State
	}
	return ev
}

// syncable says why a peering cannot be synced, or nil.
func (s syncSide) syncable() error {
	switch {
	case s.conn == nil:
		return errors.New("no Aiven peering connection to this VNet: there is nothing to sync (azpeer create makes one)")
	case s.conn.State.Failed() || s.conn.State == StateDeleting || s.conn.State == StateDeleted:
		return fmt.Errorf("the Aiven connection is %s: a sync cannot help (azpeer doctor explains it)", s.conn.State)
	case s.vnetMissing:
		return errors.New("the VNet does not exist: there is nothing to sync")
	case s.peering == nil:
		return fmt.Errorf("the VNet %s has no peering to Aiven's network: there is nothing to sync (azpeer create makes it)", s.vnet.Name)
	case s.peering.PeeringState != AzureConnected:
		return fmt.Errorf("the Azure peering %s is %s: only a Connected peering can be synced (azpeer doctor explains it)", s.peering.Name, orNone(s.peering.PeeringState))
	}
	return nil
}

// syncLook reads the connection and the user's side of the peering.
func (rb *Runbook) syncLook(ctx context.Context, t Target) (syncSide, error) {
	var s syncSide
	vpc, err := read(ctx, rb, func(ctx context.Context) (VPC, error) { return rb.Aiven.VPC(ctx, t.Parent(), t.VPCID) })
	if err != nil {
		return s, fmt.Errorf("read the Aiven connection: %w", err)
	}
	if c, ok := vpc.Find(aivenKey(t)); ok {
		s.conn = &c
	}
	s.vnet, err = read(ctx, rb, func(ctx context.Context) (VNet, error) { return rb.Network.VNet(ctx, t.VNetID()) })
	switch {
	case err != nil && (StatusCode(err) == 404 || errors.Is(err, ErrNotFound)):
		s.vnetMissing = true
		return s, nil
	case err != nil:
		return s, fmt.Errorf("read the VNet: %w", err)
	}
	remote, name := "", ""
	if s.conn != nil {
		remote = s.conn.ToNetworkID()
	}
	if rb.Store != nil {
		if rec, err := rb.Store.Load(t); err == nil && rec != nil {
			if remote == "" {
				remote = rec.Outputs[OutAivenVNetID]
			}
			name = rec.Outputs[OutAzurePeeringName]
		}
	}
	for i, p := range s.vnet.Peerings {
		if (remote != "" && strings.EqualFold(p.RemoteVNetID, remote)) || (name != "" && strings.EqualFold(p.Name, name)) {
			s.peering = &s.vnet.Peerings[i]
			return s, nil
		}
	}
	if remote == "" && name == "" && s.conn != nil {
		s.peering = aivenSide(s.vnet, "", t, vpc.CIDR)
	}
	return s, nil
}

// syncAzureSide syncs the user's side: as the peering app of the run
// record (signed in to both tenants with a secret added for it and
// removed after), else as the signed-in principal. It returns who synced
// it, or, when it could not, the command the user can run instead.
func (rb *Runbook) syncAzureSide(ctx context.Context, t Target, s syncSide, notice func(string)) (as, manual string, err error) {
	p := s.peering
	manual = fmt.Sprintf("az network vnet peering sync --resource-group %s --vnet-name %s --name %s --subscription %s   # signed in as an identity with peer/action on Aiven's network (the peering app, in both tenants)",
		s.vnet.ResourceGroup, s.vnet.Name, p.Name, t.SubscriptionID)
	if rb.Store != nil {
		rec, lerr := rb.Store.Load(t)
		if lerr == nil && rec != nil && rec.Outputs[OutUserAppObjectID] != "" && rec.Outputs[OutUserAppID] != "" {
			err := rb.syncAsApp(ctx, *rec, s.vnet.ID, p.Name, notice)
			return "the peering app " + rec.Outputs[OutUserAppID] + " (azpeer's run record)", manual, err
		}
	}
	syncer, ok := rb.Network.(PeeringSyncer)
	if !ok {
		return "", manual, errors.New("this Azure adapter cannot sync peerings")
	}
	err = rb.call(ctx, func(ctx context.Context) error {
		_, err := syncer.SyncPeering(ctx, s.vnet.ID, p.Name)
		return err
	})
	if err != nil {
		return "", manual, err
	}
	return "the signed-in principal", manual, nil
}

// syncAsApp signs in as the run's app in both tenants and syncs the
// peering, then removes the secret it added (the run's ledger records
// both, as for step 14).
func (rb *Runbook) syncAsApp(ctx context.Context, rec Record, vnetID, name string, notice func(string)) error {
	run, err := rb.Open(rec.Target, rec.Options)
	if err != nil {
		return err
	}
	defer run.Close()
	run.mu.Lock()
	run.sink = func(e Event) {
		if e.Kind == EventNotice || e.Kind == EventRetrying {
			notice(e.String())
		}
	}
	run.mu.Unlock()
	if run.out(OutAivenTenantID) == "" {
		return errors.New("the run record does not know Aiven's tenant, so the app cannot sign in there")
	}
	defer func() {
		// The secret goes whatever happened: nothing else needs it.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readDeadline)
		defer cancel()
		_ = run.withRetry(cctx, StepAppSecret, graphReplication, func(ctx context.Context) error { return retireAllSecrets(ctx, run) })
	}()
	if err := run.withRetry(ctx, StepAppSecret, graphReplication, func(ctx context.Context) error { return actSecret(ctx, run) }); err != nil {
		return err
	}
	if err := run.withRetry(ctx, StepAppSignIn, signInReplication, func(ctx context.Context) error { return actAppSignIn(ctx, run) }); err != nil {
		return err
	}
	run.mu.Lock()
	net := run.appNet
	run.mu.Unlock()
	syncer, ok := net.(PeeringSyncer)
	if !ok {
		return errors.New("the app's Azure adapter cannot sync peerings")
	}
	return run.withRetry(ctx, StepAzurePeering, peeringPropagation, func(ctx context.Context) error {
		_, err := syncer.SyncPeering(ctx, vnetID, name)
		return err
	})
}

// oneLineErr is an error's text on one line.
func oneLineErr(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
