package ui

import (
	"slices"
	"strings"
	"time"

	"github.com/azpeer/azpeer/peering"
)

// What the dashboard knows, and how it names it: connections by connRef,
// run targets by targetKey.

// data is what the dashboard knows: the inventory as last polled, the
// states polling observed, the Azure side and run records as last read,
// the open runs and the diagnoses. Update writes it, in reply to
// commands; screens read it (through common) to draw.
type data struct {
	inv []peering.Project
	// loaded says a poll has succeeded, refreshedAt when the last one
	// did; pollErr is why the latest failed (inv is stale while it is set).
	loaded      bool
	refreshedAt time.Time
	pollErr     error
	// fullAt is when the last refresh of every project started (timed
	// polls in between may refresh only the projects that move).
	fullAt time.Time
	// who is the principal signed in to Azure, once known.
	who *peering.Principal

	lastState map[connRef]peering.State
	observed  map[connRef][]observation
	azure     map[string]azureSide
	records   map[string]recordEntry
	runs      map[string]*runState
	// diags are the diagnoses (and fixes) by target key.
	diags map[string]*diagState
	// syncSeen are the sync levels polling saw a peering take, by syncKey.
	syncSeen map[string][]syncObservation
}

func newData() data {
	return data{
		lastState: map[connRef]peering.State{},
		observed:  map[connRef][]observation{},
		azure:     map[string]azureSide{},
		records:   map[string]recordEntry{},
		runs:      map[string]*runState{},
		diags:     map[string]*diagState{},
		syncSeen:  map[string][]syncObservation{},
	}
}

// connRef identifies a peering connection across refreshes.
type connRef struct {
	Project string
	VPCID   string
	Key     peering.Key
}

func (r connRef) id() string {
	return r.Project + "\x00" + r.VPCID + "\x00" + r.Key.PeerCloudAccount + "\x00" + r.Key.PeerResourceGroup + "\x00" + r.Key.PeerVPC + "\x00" + r.Key.PeerRegion
}

// target is the runbook target of an Azure connection (names as Aiven
// keeps them: lower case).
func (r connRef) target() peering.Target {
	return peering.Target{Project: r.Project, VPCID: r.VPCID, SubscriptionID: r.Key.PeerCloudAccount,
		ResourceGroup: r.Key.PeerResourceGroup, VNetName: r.Key.PeerVPC}
}

// observation is a state seen by polling.
type observation struct {
	At   time.Time
	From peering.State
	To   peering.State
}

// maxObservations bounds one connection's observed timeline.
const maxObservations = 50

// azureSide is the last read of a user VNet.
type azureSide struct {
	seq  int
	vnet peering.VNet
	err  error
	at   time.Time
}

type recordEntry struct {
	seq int
	rec *peering.Record
	err error
}

// merge puts fresh projects into the inventory and records state changes;
// it returns how many connections changed state since the last look (the
// first sight of a connection is not a change).
func (d *data) merge(scope []string, fresh []peering.Project, at time.Time) (changed int) {
	if len(scope) == 0 {
		d.inv = fresh
	} else {
		for _, p := range fresh {
			i := slices.IndexFunc(d.inv, func(q peering.Project) bool { return q.Name == p.Name })
			if i >= 0 {
				d.inv[i] = p
			} else {
				d.inv = append(d.inv, p)
				slices.SortFunc(d.inv, func(a, b peering.Project) int { return strings.Compare(a.Name, b.Name) })
			}
		}
	}
	for _, p := range fresh {
		for _, v := range p.VPCs {
			for _, c := range v.Peerings {
				ref := connRef{Project: p.Name, VPCID: v.ID, Key: c.Key()}
				prev, seen := d.lastState[ref]
				if seen && prev == c.State {
					continue
				}
				if seen {
					changed++
				}
				d.lastState[ref] = c.State
				obs := append(d.observed[ref], observation{At: at, From: prev, To: c.State})
				if len(obs) > maxObservations {
					obs = obs[len(obs)-maxObservations:]
				}
				d.observed[ref] = obs
			}
		}
	}
	return changed
}

// project returns a project by name.
func (d *data) project(name string) (*peering.Project, bool) {
	for i := range d.inv {
		if d.inv[i].Name == name {
			return &d.inv[i], true
		}
	}
	return nil, false
}

// connection finds a connection (and its VPC) by identity.
func (d *data) connection(ref connRef) (peering.Connection, peering.VPC, bool) {
	p, ok := d.project(ref.Project)
	if !ok {
		return peering.Connection{}, peering.VPC{}, false
	}
	for _, v := range p.VPCs {
		if v.ID == ref.VPCID {
			c, ok := v.Find(ref.Key)
			return c, v, ok
		}
	}
	return peering.Connection{}, peering.VPC{}, false
}
