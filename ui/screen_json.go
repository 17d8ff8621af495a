package ui

import (
	"encoding/json"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// jsonScreen shows a connection as JSON, scrollable (y).
type jsonScreen struct {
	baseScreen
	ref connRef
	pg  pager
}

func newJSONScreen(m *Model, ref connRef) *jsonScreen { return &jsonScreen{ref: ref} }

func (s *jsonScreen) crumb() string                  { return "json" }
func (s *jsonScreen) keyMap(k *Keys) keyMap          { return k.viewerMap() }
func (s *jsonScreen) scope() string                  { return s.ref.Project }
func (s *jsonScreen) view(m *Model, w, h int) string { return s.pg.view(w, h) }

func (s *jsonScreen) refresh(m *Model) {
	s.pg.height = m.bodyHeight()
	c, _, ok := m.connection(s.ref)
	if !ok {
		s.pg.setLines([]string{m.styles.Pending.Render("This connection is not listed by Aiven (any more).")}, m.width)
		return
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		s.pg.setLines([]string{err.Error()}, m.width)
		return
	}
	s.pg.setLines(strings.Split(string(data), "\n"), m.width)
}

func (s *jsonScreen) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	return s.pg.key(&m.keys, msg), nil
}
