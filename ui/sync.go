package ui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// The sync level of a peering's Azure side as first-class state: found
// for a connection in what the dashboard read of the user's VNet, drawn
// with its meaning, remembered as it changes (for the timeline), and
// repaired with s (peering.Runbook.Sync, run as a fix so its progress
// shows on the diagnosis screen).

// syncObservation is a change of a peering's sync level seen by polling.
type syncObservation struct {
	At       time.Time
	From, To string
}

// syncKey names a peering of a VNet.
func syncKey(vnetID, peeringName string) string {
	return strings.ToLower(vnetID) + "/" + strings.ToLower(peeringName)
}

// observeSync records the sync levels of v's peerings that changed since
// prev (the first sight of a peering is recorded too, as "first seen").
func (d *data) observeSync(prev, v peering.VNet, at time.Time) {
	was := map[string]string{}
	for _, p := range prev.Peerings {
		was[strings.ToLower(p.Name)] = p.SyncLevel
	}
	for _, p := range v.Peerings {
		old, seen := was[strings.ToLower(p.Name)]
		if p.SyncLevel == "" || (seen && old == p.SyncLevel) {
			continue
		}
		k := syncKey(v.ID, p.Name)
		obs := append(d.syncSeen[k], syncObservation{At: at, From: old, To: p.SyncLevel})
		if len(obs) > maxObservations {
			obs = obs[len(obs)-maxObservations:]
		}
		d.syncSeen[k] = obs
	}
}

// userSide is the peering of the user's VNet to Aiven's network for a
// connection, as last read (nil when not read, or there is none). aiven is
// Aiven's VNet id when known (state_info, else the run record); vpcCIDR
// tells Aiven's peerings apart when the VNet is peered with several Aiven
// VPCs and Aiven's VNet is not known.
func (d *data) userSide(c peering.Connection, aiven, vpcCIDR string) (*peering.VNetPeering, bool) {
	side, ok := d.azure[strings.ToLower(userVNetID(c))]
	if !ok {
		return nil, false
	}
	if aiven == "" {
		aiven = c.ToNetworkID()
	}
	for i, p := range side.vnet.Peerings {
		if aiven != "" && strings.EqualFold(p.RemoteVNetID, aiven) {
			return &side.vnet.Peerings[i], true
		}
	}
	if aiven == "" && len(side.vnet.Peerings) == 1 {
		return &side.vnet.Peerings[0], true
	}
	if aiven == "" {
		return peering.AivenSideOf(side.vnet, "", peering.Target{SubscriptionID: c.PeerCloudAccount}, vpcCIDR), true
	}
	return nil, true
}

// outOfSync reports whether a sync level needs a sync.
func outOfSync(level string) bool { return level != "" && level != peering.SyncFully }

// syncLabel is a sync level with its icon, styled by what it means.
func syncLabel(st *Styles, level string) string {
	switch {
	case level == "":
		return st.Muted.Render("-")
	case outOfSync(level):
		return st.OutOfSync.Render("⇄ " + level)
	}
	return st.OK.Render("● " + level)
}

// syncFinding is what s applies: the sync, as the rule's fix.
var syncFinding = peering.Finding{ID: peering.RuleNotInSync, Severity: peering.SeverityWarning, Action: peering.FixSync,
	Fix: "sync your side of the peering, ask Aiven to refresh its side, then re-check until both say FullyInSync"}

// askSync asks before syncing ref's peering; open pushes the diagnosis
// screen (where the sync's progress shows) once it starts.
func (m *Model) askSync(ref connRef, level string, open bool) tea.Cmd {
	switch {
	case !m.canDiagnose(ref) || m.deps.Network == nil:
		m.setStatus("azpeer syncs Azure VNet peerings, signed in to Azure", false)
		return nil
	case m.opts.ReadOnly:
		m.setStatus(readOnlyRefusal("syncing the peering"), true)
		return nil
	}
	ds := m.diagFor(ref)
	if ds.fixing {
		m.setStatus("a fix is already running for this peering", false)
		return nil
	}
	key, where := ds.target.Key(), ds.target.String()
	m.overlay = &confirmOverlay{title: "sync peering?", yes: "sync",
		body: func(st *Styles, inner int) []string {
			lines := []string{"Sync the peering?", ""}
			if level != "" {
				lines = append(lines, wrapWords("Your side says "+level+": "+peering.SyncMeaning(level)+".", inner)...)
				lines = append(lines, "")
			}
			lines = append(lines, wrapWords("azpeer syncs your side (its settings do not change; it signs in as the peering app with a secret it removes at once), asks Aiven to refresh its side, and waits until both are in sync.", inner)...)
			return append(lines, wherePeering(st, where, inner)...)
		},
		do: func(m *Model) tea.Cmd {
			cmd := m.startFix(key, syncFinding)
			if _, on := m.top().(*diagnoseScreen); open && !on && m.fixRunning() {
				return tea.Batch(cmd, m.openDiagnosis(ref))
			}
			return cmd
		}}
	return nil
}
