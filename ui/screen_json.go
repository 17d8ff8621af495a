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

func newJSONScreen(ref connRef) *jsonScreen { return &jsonScreen{ref: ref} }

func (s *jsonScreen) crumb() string          { return "json" }
func (s *jsonScreen) keyMap(k *Keys) keyMap  { return k.viewerMap() }
func (s *jsonScreen) scope() string          { return s.ref.Project }
func (s *jsonScreen) view(cm *common) string { return s.pg.view(cm.width, cm.height) }

func (s *jsonScreen) refresh(cm *common) {
	s.pg.height = cm.height
	c, _, ok := cm.connection(s.ref)
	if !ok {
		s.pg.setLines([]string{cm.styles.Pending.Render("This connection is not listed by Aiven (any more).")}, cm.width)
		return
	}
	js, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		s.pg.setLines([]string{err.Error()}, cm.width)
		return
	}
	s.pg.setLines(strings.Split(string(js), "\n"), cm.width)
}

func (s *jsonScreen) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	return s.pg.key(&m.keys, msg), nil
}
