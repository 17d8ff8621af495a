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
	// orgs are the organizations with VPCs of their own.
	orgs []peering.Organization
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
	// deletes are the deletes started from the dashboard, by target key.
	deletes map[string]*deleteState
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
		deletes:   map[string]*deleteState{},
	}
}

// connRef identifies a peering connection across refreshes.
type connRef struct {
	// Project is a project VPC's project; Org, instead, an organization
	// VPC's organization.
	Project string
	Org     string
	VPCID   string
	Key     peering.Key
}

func (r connRef) id() string {
	return r.Project + "\x00" + r.Org + "\x00" + r.VPCID + "\x00" + r.Key.PeerCloudAccount + "\x00" + r.Key.PeerResourceGroup + "\x00" + r.Key.PeerVPC + "\x00" + r.Key.PeerRegion
}

// target is the runbook target of an Azure connection (names as Aiven
// keeps them: lower case).
func (r connRef) target() peering.Target {
	return peering.Target{Project: r.Project, Organization: r.Org, VPCID: r.VPCID, SubscriptionID: r.Key.PeerCloudAccount,
		ResourceGroup: r.Key.PeerResourceGroup, VNetName: r.Key.PeerVPC}
}

// owner names the VPC's parent for titles: the project, or org:ID.
func (r connRef) owner() string {
	if r.Org != "" {
		return "org:" + r.Org
	}
	return r.Project
}

// refIn is the identity of connection c of VPC v, whichever its parent
// (project names a project VPC's project).
func refIn(project string, v peering.VPC, c peering.Connection) connRef {
	if v.Parent.IsOrganization() {
		return connRef{Org: v.Parent.ID, VPCID: v.ID, Key: c.Key()}
	}
	return connRef{Project: project, VPCID: v.ID, Key: c.Key()}
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
func (d *data) merge(scope []string, inv peering.Inventory, at time.Time) (changed int) {
	fresh := inv.Projects
	d.mergeOrgs(scope, inv.Organizations)
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
	type held struct {
		project string
		vpcs    []peering.VPC
	}
	holders := make([]held, 0, len(fresh)+len(inv.Organizations))
	for _, p := range fresh {
		holders = append(holders, held{p.Name, p.VPCs})
	}
	for _, o := range inv.Organizations {
		holders = append(holders, held{"", o.VPCs})
	}
	for _, h := range holders {
		for _, v := range h.vpcs {
			for _, c := range v.Peerings {
				ref := refIn(h.project, v, c)
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

// mergeOrgs takes fresh organization VPCs. A refresh of some projects
// reads their organizations' VPCs, but which projects use them only as far
// as those projects go: the users already known are kept.
func (d *data) mergeOrgs(scope []string, fresh []peering.Organization) {
	if len(scope) == 0 {
		d.orgs = fresh
		return
	}
	for _, o := range fresh {
		i := slices.IndexFunc(d.orgs, func(q peering.Organization) bool { return q.ID == o.ID })
		if i < 0 {
			d.orgs = append(d.orgs, o)
			continue
		}
		for j, v := range o.VPCs {
			if old, ok := orgVPCIn(d.orgs[i], v.ID); ok {
				for _, p := range old.UsedBy {
					if !slices.Contains(v.UsedBy, p) {
						o.VPCs[j].UsedBy = append(o.VPCs[j].UsedBy, p)
					}
				}
				slices.Sort(o.VPCs[j].UsedBy)
			}
		}
		d.orgs[i] = o
	}
}

func orgVPCIn(o peering.Organization, id string) (peering.VPC, bool) {
	for _, v := range o.VPCs {
		if v.ID == id {
			return v, true
		}
	}
	return peering.VPC{}, false
}

// org returns an organization with VPCs by id.
func (d *data) org(id string) (*peering.Organization, bool) {
	for i := range d.orgs {
		if d.orgs[i].ID == id {
			return &d.orgs[i], true
		}
	}
	return nil, false
}

// orgVPCsUsedBy are the organization VPCs the project's services use.
func (d *data) orgVPCsUsedBy(project string) []peering.VPC {
	var out []peering.VPC
	for _, o := range d.orgs {
		for _, v := range o.VPCs {
			if slices.Contains(v.UsedBy, project) {
				out = append(out, v)
			}
		}
	}
	return out
}

// orgVPCsOf are the VPCs of an organization (none when unknown).
func (d *data) orgVPCsOf(orgID string) []peering.VPC {
	if o, ok := d.org(orgID); ok {
		return o.VPCs
	}
	return nil
}

// connection finds a connection (and its VPC) by identity.
func (d *data) connection(ref connRef) (peering.Connection, peering.VPC, bool) {
	if ref.Org != "" {
		v, ok := orgVPCIn(peering.Organization{VPCs: d.orgVPCsOf(ref.Org)}, ref.VPCID)
		if !ok {
			return peering.Connection{}, peering.VPC{}, false
		}
		c, ok := v.Find(ref.Key)
		return c, v, ok
	}
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
