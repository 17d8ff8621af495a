package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// The diagnosis screen (d on a peering) runs the diagnosis engine over
// both clouds and shows its findings as returned (most likely cause
// first): severity, cause, the evidence that proves it, the fix in words,
// the equivalent command, and whether azpeer can apply the fix. enter
// applies it after a y/n confirmation; while the fix runs its events
// stream into a progress area and the diagnosis is re-run every few
// seconds until Aiven's state moves, then once more when the fix ends.

// openDiagnosis opens the diagnosis screen of a connection.
func (m *Model) openDiagnosis(ref connRef) tea.Cmd {
	label := "diagnose"
	if d, ok := m.top().(*detailScreen); !ok || d.ref != ref {
		label += " " + ref.Key.PeerVPC
	}
	return m.push(&diagnoseScreen{ref: ref, tkey: ref.target().Key(), label: label})
}

// diagnoseScreen draws a diagState; it owns only the selection and the
// scroll position.
type diagnoseScreen struct {
	baseScreen
	ref connRef
	// tkey is the target key of ref (m.diags' key).
	tkey  string
	label string
	// sel is the selected finding's id (the selection follows it across
	// re-diagnoses); idx its index.
	sel string
	idx int
	pg  pager
	// blocks are the first and last line of each finding in pg.lines.
	blocks [][2]int
	// follow asks the next refresh to scroll the selection into view;
	// shown is the diagnosis drawn last (a new one scrolls to it too).
	follow bool
	shown  *peering.Diagnosis
}

const diagHeaderLines = 3

// recreatesConnection reports whether applying f deletes the Aiven
// connection first (to recreate it): the confirmation must say so.
func recreatesConnection(ds *diagState, f peering.Finding) bool {
	if f.Action == peering.FixRecreateAiven {
		return true
	}
	c := ds.diag.Facts.Connection
	return f.Action == peering.FixResume && c != nil && c.State.Failed()
}

func (s *diagnoseScreen) crumb() string         { return s.label }
func (s *diagnoseScreen) keyMap(k *Keys) keyMap { return k.diagnoseMap() }
func (s *diagnoseScreen) scope() string         { return s.ref.Project }

func (s *diagnoseScreen) state(d *data) *diagState { return d.diags[s.tkey] }

func (s *diagnoseScreen) enter(m *Model) tea.Cmd {
	if !m.canDiagnose(s.ref) {
		return nil
	}
	ds := m.diagFor(s.ref)
	s.follow = true
	var cmd tea.Cmd
	if !ds.busy && (!ds.fixing || ds.moved) {
		// (While a fix runs and Aiven has not moved, the live re-check
		// diagnoses.)
		cmd = m.diagnose(ds)
	}
	s.refresh(m.common())
	return cmd
}

func (s *diagnoseScreen) transitional(cm *common) bool {
	if ds := s.state(cm.data); ds != nil && ds.fixing {
		return true
	}
	c, _, ok := cm.connection(s.ref)
	return ok && c.State.Transitional()
}

// progressLines is the height of the fix's progress area.
func (s *diagnoseScreen) progressLines(d *data, h int) int {
	ds := s.state(d)
	if ds == nil || ds.finding.ID == "" {
		return 0
	}
	return min(6, max(1, (h-diagHeaderLines)/3))
}

func (s *diagnoseScreen) findings(d *data) []peering.Finding {
	if ds := s.state(d); ds != nil && ds.diag != nil {
		return ds.diag.Findings
	}
	return nil
}

func (s *diagnoseScreen) selected(d *data) (peering.Finding, bool) {
	fs := s.findings(d)
	if s.idx < 0 || s.idx >= len(fs) {
		return peering.Finding{}, false
	}
	return fs[s.idx], true
}

func (s *diagnoseScreen) refresh(cm *common) {
	h, w := cm.height, cm.width
	s.pg.height = max(1, h-diagHeaderLines-s.progressLines(cm.data, h))
	ds := s.state(cm.data)
	if ds == nil {
		s.blocks = nil
		s.pg.setLines(s.aivenOnly(cm), w)
		return
	}
	fs := s.findings(cm.data)
	// Keep the selection on the same finding across re-diagnoses.
	s.idx = max(0, min(s.idx, len(fs)-1))
	for i, f := range fs {
		if f.ID == s.sel {
			s.idx = i
			break
		}
	}
	if len(fs) > 0 {
		s.sel = fs[s.idx].ID
	}
	lines, blocks := s.render(cm.styles, ds, w)
	s.blocks = blocks
	s.pg.lines = lines
	s.pg.clamp()
	if ds.diag != s.shown {
		s.shown, s.follow = ds.diag, true
	}
	if s.follow && len(blocks) > 0 {
		s.follow = false
		s.scrollToSelection()
	}
}

// scrollToSelection brings the selected finding into view, whole when it fits.
func (s *diagnoseScreen) scrollToSelection() {
	if s.idx >= len(s.blocks) {
		return
	}
	b := s.blocks[s.idx]
	if b[1]-s.pg.height+1 > s.pg.offset {
		s.pg.offset = b[1] - s.pg.height + 1
	}
	if b[0] < s.pg.offset {
		s.pg.offset = b[0]
	}
	s.pg.clamp()
}

func (s *diagnoseScreen) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	ds := s.state(&m.data)
	fs := s.findings(&m.data)
	switch {
	case key.Matches(msg, m.keys.Up):
		if len(fs) == 0 {
			s.pg.key(&m.keys, msg)
			return true, nil
		}
		s.selectIndex(m, s.idx-1)
		return true, nil
	case key.Matches(msg, m.keys.Down):
		if len(fs) == 0 {
			s.pg.key(&m.keys, msg)
			return true, nil
		}
		s.selectIndex(m, s.idx+1)
		return true, nil
	case key.Matches(msg, m.keys.Top):
		s.selectIndex(m, 0)
		s.pg.offset = 0
		return true, nil
	case key.Matches(msg, m.keys.Bottom):
		s.selectIndex(m, len(fs)-1)
		s.pg.key(&m.keys, msg)
		return true, nil
	case key.Matches(msg, m.keys.PageUp), key.Matches(msg, m.keys.PageDown):
		s.pg.key(&m.keys, msg)
		return true, nil
	case key.Matches(msg, m.keys.Fix):
		f, ok := s.selected(&m.data)
		switch {
		case !ok:
			return true, nil
		case f.Action == "":
			m.setStatus("azpeer cannot fix "+f.ID+" itself: "+f.Fix, false)
		case ds.fixing:
			m.setStatus("a fix is already running for this peering", false)
		default:
			m.overlay = confirmFix(s.tkey, f, ds.target.String(), recreatesConnection(ds, f))
		}
		return true, nil
	case key.Matches(msg, m.keys.Connectivity):
		return true, m.checkConnectivity(s.ref)
	case key.Matches(msg, m.keys.Sync):
		level := ""
		if ds != nil && ds.diag != nil && ds.diag.Facts != nil {
			if p := ds.diag.Facts.AzurePeering(); p != nil {
				level = p.SyncLevel
			}
		}
		return true, m.askSync(s.ref, level, false)
	case key.Matches(msg, m.keys.Copy):
		f, ok := s.selected(&m.data)
		if !ok || f.Command == "" {
			m.setStatus("this finding has no command to copy", false)
			return true, nil
		}
		m.setStatus("copied (OSC 52): "+f.Command, false)
		return true, tea.SetClipboard(f.Command)
	case key.Matches(msg, m.keys.Refresh):
		if ds == nil {
			return false, nil // Aiven's side only: the global refresh
		}
		cmds := []tea.Cmd{m.poll()}
		if !ds.busy {
			cmds = append(cmds, m.diagnose(ds))
		}
		s.refresh(m.common())
		return true, tea.Batch(cmds...)
	}
	return false, nil
}

func (s *diagnoseScreen) selectIndex(m *Model, i int) {
	fs := s.findings(&m.data)
	if len(fs) == 0 {
		return
	}
	s.idx = max(0, min(i, len(fs)-1))
	s.sel = fs[s.idx].ID
	s.follow = true
	s.refresh(m.common())
}
