package peering

import (
	"context"
	"strings"
	"time"
)

// The app's client secrets. azpeer adds one per session that needs it
// (a secret's text lives only in memory), names each with the run
// ("azpeer run <id>"), records each before adding it, and removes every
// one it added once it is no longer needed: the earlier ones as soon as a
// new one has signed in, the last once the Azure peering exists.

func retireEarlierSecrets(ctx context.Context, r *Run) error { return r.retireSecrets(ctx, true) }

func retireAllSecrets(ctx context.Context, r *Run) error { return r.retireSecrets(ctx, false) }

// retireSecrets removes the secrets azpeer added to the app: all of them,
// or all but the one in memory (keepCurrent). Secrets of the user's own
// app that azpeer did not add are never touched; on an app azpeer made
// (or adopted from another azpeer run) every azpeer-named secret is its
// own, even one no record knows of.
func (r *Run) retireSecrets(ctx context.Context, keepCurrent bool) error {
	appID, objectID := r.out(OutUserAppID), r.out(OutUserAppObjectID)
	if appID == "" || objectID == "" {
		return nil
	}
	r.mu.Lock()
	current := r.secretKeyID
	known := map[string]bool{}
	for _, o := range r.rec.Secrets() {
		if o.ID != "" && o.State != Removed {
			known[strings.ToLower(o.ID)] = true
		}
	}
	r.mu.Unlock()
	if keepCurrent && current == "" {
		return nil
	}
	app, err := r.rb.Directory.ApplicationByAppID(ctx, appID)
	if err != nil {
		return err
	}
	appObj, _ := r.object(OutUserAppID)
	azpeerApp := appObj.State == Created || appObj.State == Inherited
	var live []string
	if app != nil {
		for _, pc := range app.Passwords {
			if keepCurrent && strings.EqualFold(pc.KeyID, current) {
				live = append(live, strings.ToLower(pc.KeyID))
				continue
			}
			run, marked := azpeerSecret(pc.DisplayName)
			if !known[strings.ToLower(pc.KeyID)] && !(marked && (run == r.rec.RunID || azpeerApp)) {
				continue
			}
			if err := r.rb.Directory.RemovePassword(ctx, objectID, pc.KeyID); err != nil && StatusCode(err) != 404 {
				return err
			}
			r.mu.Lock()
			r.rec.setSecretState(pc.KeyID, Removed, r.rb.now())
			r.mu.Unlock()
			r.emit(Event{Step: StepAppSecret, Kind: EventNotice, Message: "removed the earlier secret " + shortID(pc.KeyID) + "… azpeer had added"})
		}
	}
	r.mu.Lock()
	// Whatever the ledger still counts as live but the app does not hold
	// (an add that never landed, a secret removed by hand) is gone.
	for i := range r.rec.Objects {
		o := &r.rec.Objects[i]
		if o.Kind == KindSecret && o.State != Removed && !containsFold(live, o.ID) {
			o.State, o.Time = Removed, r.rb.now()
		}
	}
	hadSecret := !r.secret.Empty()
	if !keepCurrent {
		r.secret, r.secretKeyID, r.appNet = Secret{}, "", nil
		r.rec.Outputs[OutUserAppKeyID] = ""
		delete(r.rec.Outputs, OutUserAppKeyID)
	}
	r.mu.Unlock()
	if !keepCurrent && hadSecret {
		r.emit(Event{Step: StepAzurePeering, Kind: EventNotice, Message: "removed the app's secret: the Azure peering exists, and nothing else needs it"})
	}
	return r.save()
}

// setSecretState sets the state of the secret with keyID, adding an entry
// for a secret the ledger did not know (found on the app by its name).
func (r *Record) setSecretState(keyID string, state Ownership, now time.Time) {
	for i := range r.Objects {
		o := &r.Objects[i]
		if o.Kind == KindSecret && strings.EqualFold(o.ID, keyID) {
			o.State, o.Time = state, now
			return
		}
	}
	r.Objects = append(r.Objects, Object{Slot: OutUserAppKeyID, Kind: KindSecret, ID: keyID, State: state, Time: now})
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
