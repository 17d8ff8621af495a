package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/human"
	"github.com/azpeer/azpeer/peering"
)

// projectScreen shows a project's VPCs, each followed by its peering
// connections, and after them the organization VPCs its services use; for
// an organization (org set) it shows the organization's VPCs. One screen
// serves both parents, as one step table does.
type projectScreen struct {
	name string
	// org: name is an organization id, and the VPCs are its own.
	org    bool
	t      table
	narrow bool
	// refs maps row ids of connections to their identity.
	refs map[string]connRef
}

func newProjectScreen(name string) *projectScreen {
	return &projectScreen{name: name, t: newTable(nil, "this project has no VPCs")}
}

// newOrgScreen shows an organization's VPCs.
func newOrgScreen(id string) *projectScreen {
	return &projectScreen{name: id, org: true, t: newTable(nil, "this organization has no VPCs")}
}

func (s *projectScreen) crumb() string {
	if s.org {
		return "org " + s.name
	}
	return s.name
}
func (s *projectScreen) keyMap(k *Keys) keyMap { return k.projectMap() }
func (s *projectScreen) capturing() bool       { return s.t.filtering }

// scope is what a poll of this screen refreshes: the project (which reads
// its organization's VPCs too), or everything for an organization.
func (s *projectScreen) scope() string {
	if s.org {
		return ""
	}
	return s.name
}

// vpcs are the VPCs the screen lists: the project's and the organization
// VPCs it uses, or the organization's. ok is false when the parent is not
// (yet) in the inventory.
func (s *projectScreen) vpcs(d *data) (vpcs []peering.VPC, ok bool, err error) {
	if s.org {
		o, ok := d.org(s.name)
		if !ok {
			return nil, false, nil
		}
		return o.VPCs, true, o.Err
	}
	p, ok := d.project(s.name)
	if !ok {
		return nil, false, nil
	}
	return append(slices.Clip(p.VPCs), d.orgVPCsUsedBy(s.name)...), true, p.Err
}

func (s *projectScreen) columns(w int) []column {
	// Below 150 columns states are abbreviated and accounts shortened;
	// the detail screen always shows them whole.
	s.narrow = w < 150
	stateW, accountW := 25, 36
	if s.narrow {
		stateW, accountW = 17, 9
	}
	return []column{
		{title: "STATE", width: stateW},
		{title: "TYPE", width: 5},
		{title: "ACCOUNT", width: accountW},
		{title: "RESOURCE GROUP", min: 8, grow: 2},
		{title: "VNET/VPC", min: 10, grow: 3},
		{title: "AGE", width: 4, right: true},
		{title: "MESSAGE", min: 8, grow: 5},
	}
}

func (s *projectScreen) refresh(cm *common) {
	s.t.cols = s.columns(cm.width)
	s.t.setHeight(cm.height - 1)
	vpcs, ok, err := s.vpcs(cm.data)
	if !ok {
		switch {
		case !cm.loaded:
			s.t.empty = "loading…"
		case s.org:
			s.t.empty = "organization " + s.name + " has no VPCs visible with this Aiven token"
		default:
			s.t.empty = "project " + s.name + " is not visible (any more) with this Aiven token"
		}
		s.t.setRows(nil)
		return
	}
	switch {
	case err != nil:
		s.t.empty = "could not read the VPCs: " + oneLine(err.Error())
	case s.org:
		s.t.empty = "this organization has no VPCs"
	default:
		s.t.empty = "this project has no VPCs (create one in the Aiven console)"
	}
	n := len(vpcs)
	for _, v := range vpcs {
		n += max(1, len(v.Peerings))
	}
	rows := make([]row, 0, n)
	s.refs = make(map[string]connRef, n)
	for _, v := range vpcs {
		group := "vpc:" + v.ID
		t := toneGroup
		line := fmt.Sprintf("▾ VPC %s  %s  %s  %s", short(v.ID), v.Cloud, v.CIDR, v.State)
		if v.Parent.IsOrganization() {
			// Marked in words and in its own style: shared, not the project's.
			t = toneOrgVPC
			line = fmt.Sprintf("▾ ORG VPC %s  %s  %s  %s  %s  · organization %s · %s", short(v.ID), orDash(v.DisplayName), v.Cloud, v.CIDR, v.State,
				v.Parent.ID, human.UsedBy(v.UsedBy))
		}
		switch {
		case v.Err != nil:
			t = toneFailed
			line += "  ⚠ peerings unreadable: " + oneLine(v.Err.Error())
		default:
			line += fmt.Sprintf("  · %d peering(s)", len(v.Peerings))
		}
		rows = append(rows, row{id: group, group: group, header: true, line: line, tone: t,
			search: searchText(v.ID, v.Cloud, v.CIDR, v.State, v.DisplayName, v.Parent.ID)})
		if len(v.Peerings) == 0 && v.Err == nil {
			hint := "  no peering connections"
			if v.IsAzure() {
				hint += " (n creates one)"
			}
			rows = append(rows, row{id: group + ":empty", group: group, line: hint, tone: toneMuted,
				search: searchText(v.ID)})
		}
		for _, c := range v.Peerings {
			ref := refIn(s.name, v, c)
			id := ref.id()
			s.refs[id] = ref
			account := c.PeerCloudAccount
			if s.narrow {
				account = short(account)
			}
			peer := c.PeerVPC
			if c.PeerRegion != "" && c.PeerResourceGroup == "" {
				peer += " (" + c.PeerRegion + ")"
			}
			st := stateTone(c.State)
			msg, msgTone := oneLine(c.Message()), toneMuted
			if st == toneFailed {
				msgTone = toneFailed
			}
			if p, _ := cm.userSide(c, "", v.CIDR); p != nil && outOfSync(p.SyncLevel) {
				// The Azure side, as last read: traffic to new ranges is cut.
				msg, msgTone = "⇄ "+peering.SyncShort(p.SyncLevel)+" · "+msg, tonePending
			}
			if len(cm.runs) > 0 {
				if rs := cm.runs[ref.target().Key()]; rs != nil && rs.running {
					msg, msgTone = "▶ checklist running · "+msg, toneWorking
				}
			}
			rows = append(rows, row{
				id:    id,
				group: group,
				cells: []string{stateLabel(c.State, s.narrow), connType(c.Type), account, c.PeerResourceGroup, peer,
					age(cm.now, c.CreateTime), msg},
				tones:  []tone{st, toneNone, toneMuted, toneNone, toneNone, toneMuted, msgTone},
				search: searchText(string(c.State), c.Type, c.PeerCloudAccount, c.PeerResourceGroup, c.PeerVPC, c.PeerRegion, c.Message()),
			})
		}
	}
	s.t.setRows(rows)
}

func (s *projectScreen) view(cm *common) string {
	if len(s.t.cols) == 0 {
		s.t.cols = s.columns(cm.width)
	}
	return s.t.view(cm.styles, cm.width, cm.height)
}

// selectedRef is the connection under the cursor.
func (s *projectScreen) selectedRef() (connRef, bool) {
	r, ok := s.t.selected()
	if !ok {
		return connRef{}, false
	}
	ref, ok := s.refs[r.id]
	return ref, ok
}

// selectedVPC is the VPC of the row under the cursor.
func (s *projectScreen) selectedVPC() string {
	r, ok := s.t.selected()
	if !ok {
		return ""
	}
	return strings.TrimSuffix(strings.TrimPrefix(r.group, "vpc:"), ":empty")
}

func (s *projectScreen) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	if ok, cmd := s.t.key(&m.keys, msg); ok {
		return true, cmd
	}
	ref, isConn := s.selectedRef()
	switch {
	case key.Matches(msg, m.keys.Open):
		if !isConn {
			m.setStatus("select a peering connection to open it (n creates one on this VPC)", false)
			return true, nil
		}
		return true, m.push(newDetailScreen(ref))
	case key.Matches(msg, m.keys.New):
		if s.org {
			return true, m.openOrgWizard(s.name, s.selectedVPC())
		}
		return true, m.openWizard(s.name, s.selectedVPC())
	case key.Matches(msg, m.keys.Diagnose):
		if isConn {
			return true, m.openDiagnosis(ref)
		}
		return true, nil
	case key.Matches(msg, m.keys.JSON):
		if isConn {
			return true, m.push(newJSONScreen(ref))
		}
		return true, nil
	}
	return false, nil
}

// enter and poll read the Azure side of the project's ACTIVE Azure
// peerings, for their sync level.
func (s *projectScreen) enter(m *Model) tea.Cmd { return s.poll(m) }

func (s *projectScreen) poll(m *Model) tea.Cmd {
	vpcs, ok, _ := s.vpcs(&m.data)
	if !ok || m.deps.Network == nil {
		return nil
	}
	seen := map[string]bool{}
	var cmds []tea.Cmd
	for _, v := range vpcs {
		for _, c := range v.Peerings {
			id := userVNetID(c)
			if c.State != peering.StateActive || id == "" || seen[strings.ToLower(id)] {
				continue
			}
			seen[strings.ToLower(id)] = true
			cmds = append(cmds, fetchAzure(m.ctx, m.deps.Network, m.clock, m.nextSeq(), id))
		}
	}
	return tea.Batch(cmds...)
}

func (s *projectScreen) transitional(cm *common) bool {
	vpcs, _, _ := s.vpcs(cm.data)
	for _, v := range vpcs {
		for _, c := range v.Peerings {
			if c.State.Transitional() {
				return true
			}
		}
	}
	return false
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (s *projectScreen) paste(text string) { s.t.paste(text) }
