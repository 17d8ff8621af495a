package ui

import (
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// projectsScreen is the home screen: every project with its VPC count,
// its peerings counted by state, and its clouds.
type projectsScreen struct {
	baseScreen
	t table
}

func newProjectsScreen() *projectsScreen {
	return &projectsScreen{t: newTable([]column{
		{title: "PROJECT", min: 12, grow: 3},
		{title: "CLOUDS", min: 10, grow: 2},
		{title: "VPCS", width: 4, right: true},
		{title: "ACTIVE", width: 6, right: true},
		{title: "PENDING", width: 7, right: true},
		{title: "FAILED", width: 6, right: true},
		{title: "NOTE", min: 4, grow: 2},
	}, "no projects visible with this Aiven token")}
}

func (s *projectsScreen) crumb() string          { return "projects" }
func (s *projectsScreen) keyMap(k *Keys) keyMap  { return k.projectsMap() }
func (s *projectsScreen) capturing() bool        { return s.t.filtering }
func (s *projectsScreen) view(cm *common) string { return s.t.view(cm.styles, cm.width, cm.height) }

// counts are a project's peerings by kind of state.
type counts struct{ active, pending, failed, total int }

// cloudsOf is the VPCs' clouds, each once, in the order met.
func cloudsOf(vpcs []peering.VPC) string {
	var clouds []string
	for _, v := range vpcs {
		if !slices.Contains(clouds, v.Cloud) {
			clouds = append(clouds, v.Cloud)
		}
	}
	return strings.Join(clouds, ",")
}

func countPeerings(vpcs []peering.VPC) counts {
	var c counts
	for _, v := range vpcs {
		for _, pc := range v.Peerings {
			c.total++
			switch {
			case pc.State == peering.StateActive:
				c.active++
			case pc.State.Transitional():
				c.pending++
			case pc.State.Failed():
				c.failed++
			}
		}
	}
	return c
}

func (s *projectsScreen) refresh(cm *common) {
	s.t.setHeight(cm.height - 1)
	rows := make([]row, 0, len(cm.inv))
	for _, p := range cm.inv {
		c := countPeerings(p.VPCs)
		cloudText := cloudsOf(p.VPCs)
		if cloudText == "" {
			cloudText = p.DefaultCloud
		}
		note, noteTone := "", toneNone
		switch {
		case p.Err != nil:
			note, noteTone = "⚠ unreadable: "+oneLine(p.Err.Error()), toneFailed
		case len(p.VPCs) == 0:
			note, noteTone = "no VPCs", toneMuted
		default:
			bad := 0
			for _, v := range p.VPCs {
				if v.Err != nil {
					bad++
				}
			}
			if bad > 0 {
				note, noteTone = "⚠ "+strconv.Itoa(bad)+" VPC(s) unreadable", toneFailed
			}
		}
		if used := cm.orgVPCsUsedBy(p.Name); len(used) > 0 && noteTone != toneFailed {
			names := make([]string, 0, len(used))
			for _, v := range used {
				names = append(names, orDash(v.DisplayName))
			}
			uses := "uses ORG VPC " + strings.Join(names, ", ")
			if len(p.VPCs) == 0 || note == "" {
				note = uses // its own "no VPCs" would mislead
			} else {
				note += " · " + uses
			}
			if noteTone == toneNone || noteTone == toneMuted {
				noteTone = toneOrgVPC
			}
		}
		tones := rowTones(toneNone, c, noteTone)
		rows = append(rows, row{
			id: p.Name,
			cells: []string{p.Name, cloudText, strconv.Itoa(len(p.VPCs)),
				countCell(c.active, iconOK), countCell(c.pending, iconPending), countCell(c.failed, iconFailed), note},
			tones:  tones,
			search: searchText(p.Name, cloudText, note),
		})
	}
	rows = append(rows, orgRows(cm)...)
	if !cm.loaded {
		s.t.empty = "loading projects…"
		if cm.pollErr != nil {
			s.t.empty = "could not read the projects (see the status line); retrying"
		}
	} else {
		s.t.empty = "no projects visible with this Aiven token"
	}
	s.t.setRows(rows)
}

// orgPrefix marks the row id of an organization among the projects.
const orgPrefix = "org:"

// orgRows are the organizations with VPCs of their own, after the
// projects, marked ORG: enter opens their VPCs, n peers one.
func orgRows(cm *common) []row {
	rows := make([]row, 0, len(cm.orgs))
	for _, o := range cm.orgs {
		c := countPeerings(o.VPCs)
		note := "organization VPCs, shared by its projects"
		if o.Err != nil {
			note = "⚠ unreadable: " + oneLine(o.Err.Error())
		}
		noteTone := toneOrgVPC
		if o.Err != nil {
			noteTone = toneFailed
		}
		tones := rowTones(toneOrgVPC, c, noteTone)
		cloudText := cloudsOf(o.VPCs)
		rows = append(rows, row{
			id: orgPrefix + o.ID,
			cells: []string{"ORG " + o.ID, cloudText, strconv.Itoa(len(o.VPCs)),
				countCell(c.active, iconOK), countCell(c.pending, iconPending), countCell(c.failed, iconFailed), note},
			tones:  tones,
			search: searchText("org organization", o.ID, cloudText, note),
		})
	}
	return rows
}

// rowTones colour a row of the projects table: its name, the counts by
// what they count, and its note.
func rowTones(name tone, c counts, note tone) []tone {
	tones := []tone{name, toneMuted, toneNone, toneNone, toneNone, toneNone, note}
	if c.active > 0 {
		tones[3] = toneOK
	}
	if c.pending > 0 {
		tones[4] = tonePending
	}
	if c.failed > 0 {
		tones[5] = toneFailed
	}
	return tones
}

func countCell(n int, icon string) string {
	if n == 0 {
		return "0"
	}
	return icon + " " + strconv.Itoa(n)
}

func (s *projectsScreen) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	if ok, cmd := s.t.key(&m.keys, msg); ok {
		return true, cmd
	}
	r, ok := s.t.selected()
	switch {
	case key.Matches(msg, m.keys.Open):
		if !ok {
			return true, nil
		}
		if org, isOrg := strings.CutPrefix(r.id, orgPrefix); isOrg {
			return true, m.push(newOrgScreen(org))
		}
		return true, m.push(newProjectScreen(r.id))
	case key.Matches(msg, m.keys.New):
		if !ok {
			return true, nil
		}
		if org, isOrg := strings.CutPrefix(r.id, orgPrefix); isOrg {
			return true, m.openOrgWizard(org, "")
		}
		return true, m.openWizard(r.id, "")
	}
	return false, nil
}

func (s *projectsScreen) transitional(cm *common) bool {
	for _, o := range cm.orgs {
		if countPeerings(o.VPCs).pending > 0 {
			return true
		}
	}
	for _, p := range cm.inv {
		for _, v := range p.VPCs {
			for _, c := range v.Peerings {
				if c.State.Transitional() {
					return true
				}
			}
		}
	}
	return false
}

func (s *projectsScreen) paste(text string) { s.t.paste(text) }
