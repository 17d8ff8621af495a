package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// deleteScreen is one peering's delete: what goes and what stays, then the
// teardown's progress as it happens, and how it ended.
type deleteScreen struct {
	baseScreen
	tkey string
	pg   pager
}

func newDeleteScreen(key string) *deleteScreen { return &deleteScreen{tkey: key} }

func (s *deleteScreen) crumb() string         { return "delete" }
func (s *deleteScreen) keyMap(k *Keys) keyMap { return k.deleteMap() }

func (s *deleteScreen) transitional(cm *common) bool {
	ds := cm.deletes[s.tkey]
	return ds != nil && (ds.planning || ds.running)
}

func (s *deleteScreen) refresh(cm *common) {
	s.pg.height = cm.height
	ds := cm.deletes[s.tkey]
	if ds == nil {
		s.pg.setLines(nil, cm.width)
		return
	}
	st := cm.styles
	lines := []string{st.Title.Render("Delete " + ds.target.String()), ""}
	switch {
	case ds.planning:
		lines = append(lines, st.Working.Render(cm.spinner+" reading what deleting it removes…"))
	case ds.running:
		lines = append(lines, st.Working.Render(cm.spinner+" deleting… "+elapsed(cm.now.Sub(ds.started))))
	case ds.done:
		lines = append(lines, st.OK.Render("✓ deleted in "+elapsed(ds.ended.Sub(ds.started))+"; azpeer's record of it is gone"))
	case ds.err != nil:
		lines = append(lines, st.Failed.Render("✗ "+ds.err.Error()))
		lines = append(lines, st.Muted.Render("X tries again (a delete goes on from where it stopped); nothing more is deleted without asking"))
	case ds.plan != nil && ds.plan.Consent == peering.ConsentNone:
		lines = append(lines, "Nothing to delete: azpeer has no record of it, and neither side of it exists.")
	case ds.plan != nil:
		lines = append(lines, st.Pending.Render("waiting for your answer; X asks again"))
	}
	if p := ds.plan; p != nil && p.Consent != peering.ConsentNone {
		lines = append(lines, "")
		if p.Adopts() {
			lines = append(lines, st.Pending.Render("azpeer did not create this peering: deleting it removes both sides, never one."))
		}
		lines = append(lines, st.Title.Render("What goes"))
		lines = append(lines, bulleted(p.Remove, "nothing")...)
		if len(p.Keep) > 0 {
			lines = append(lines, "", st.Title.Render("What stays")+st.Muted.Render(" (it existed before azpeer)"))
			lines = append(lines, bulleted(p.Keep, "")...)
		}
	}
	if len(ds.events) > 0 {
		lines = append(lines, "", st.Title.Render("Progress"))
		for _, e := range ds.events {
			lines = append(lines, eventLine(st, e))
		}
	}
	s.pg.setLines(lines, cm.width)
	if ds.running {
		s.pg.offset = len(s.pg.lines) // follow the progress
		s.pg.clamp()
	}
}

// bulleted lists lines as bullets, or says none.
func bulleted(lines []string, none string) []string {
	if len(lines) == 0 && none != "" {
		return []string{"  " + none}
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, "  - "+l)
	}
	return out
}

// eventLine is a teardown event: its time, what happened, styled.
func eventLine(st *Styles, e peering.Event) string {
	icon, style := "·", st.Muted
	switch e.Kind {
	case peering.EventDone:
		icon, style = "✓", st.OK
	case peering.EventFailed:
		icon, style = "✗", st.Failed
	case peering.EventRetrying, peering.EventState:
		icon, style = "◐", st.Working
	}
	return st.Muted.Render(clockTime(e.Time)) + " " + style.Render(icon) + " " + oneLine(e.String())
}

func (s *deleteScreen) view(cm *common) string { return s.pg.view(cm.width, cm.height) }

func (s *deleteScreen) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	if s.pg.key(&m.keys, msg) {
		return true, nil
	}
	if !key.Matches(msg, m.keys.Delete) {
		return false, nil
	}
	ds := m.deletes[s.tkey]
	switch {
	case ds == nil || ds.planning || ds.running || ds.releasing:
		return true, nil
	case ds.done:
		m.setStatus("already deleted", false)
		return true, nil
	case ds.run != nil && ds.plan != nil:
		// Still holding the run: ask again.
		if ds.plan.Consent == peering.ConsentName {
			m.overlay = newDeleteNameOverlay(s.tkey, *ds.plan)
		} else {
			m.overlay = confirmDelete(s.tkey, *ds.plan)
		}
		return true, nil
	}
	// Read the plan afresh: the clouds may have moved since.
	m.stack = m.stack[:len(m.stack)-1]
	return true, m.askDelete(ds.target, peering.Options{})
}

// confirmDelete asks a yes before deleting what azpeer created.
func confirmDelete(key string, p peering.DeletePlan) *confirmOverlay {
	return &confirmOverlay{title: "delete peering?", yes: "delete",
		body: func(st *Styles, inner int) []string {
			lines := wrapWords("Delete the peering and what azpeer created for it, in reverse order?", inner)
			lines = append(lines, "")
			for _, l := range p.Remove {
				lines = append(lines, wrapWords("- "+l, inner)...)
			}
			if len(p.Keep) > 0 {
				lines = append(lines, "", st.Muted.Render("kept (it existed before azpeer):"))
				for _, l := range p.Keep {
					lines = append(lines, wrapWords("- "+l, inner)...)
				}
			}
			return append(lines, wherePeering(st, p.Target.String(), inner)...)
		},
		do:     func(m *Model) tea.Cmd { return m.startDelete(key, "") },
		cancel: func(m *Model) tea.Cmd { return m.releaseDelete(key) },
	}
}

// deleteNameOverlay asks the user to type the peering's name before a
// delete that removes what azpeer did not create: a yes is too easy to
// give by mistake for that.
type deleteNameOverlay struct {
	tkey string
	plan peering.DeletePlan
	name field
	// wrong says the last enter did not match.
	wrong bool
}

func newDeleteNameOverlay(key string, p peering.DeletePlan) *deleteNameOverlay {
	o := &deleteNameOverlay{tkey: key, plan: p, name: field{prompt: "> ", placeholder: p.Name(), limit: 200}}
	o.name.Focus()
	return o
}

func (o *deleteNameOverlay) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	switch msg.String() {
	case "esc":
		m.setStatus("nothing was deleted", false)
		return true, m.releaseDelete(o.tkey)
	case "ctrl+c":
		return true, m.quit()
	case "enter":
		if !strings.EqualFold(strings.TrimSpace(o.name.Value()), o.plan.Name()) {
			o.wrong = true
			return false, nil
		}
		return true, m.startDelete(o.tkey, o.name.Value())
	}
	if o.name.Update(msg) {
		o.wrong = false
	}
	return false, nil
}

func (o *deleteNameOverlay) paste(text string) { o.name.insert(text); o.wrong = false }

func (o *deleteNameOverlay) view(m *Model, w, h int) string {
	st := &m.styles
	inner := max(10, boxWidth(w)-4)
	var lines []string
	if o.plan.Adopts() {
		lines = wrapWords("azpeer did not create this peering. Deleting it removes both sides of it — never only one:", inner)
	} else {
		lines = wrapWords("This peering's run adopted parts azpeer did not create; deleting removes them too:", inner)
	}
	lines = append(lines, "")
	for _, l := range o.plan.Remove {
		lines = append(lines, wrapWords("- "+l, inner)...)
	}
	lines = append(lines, "", "Type "+st.Title.Render(o.plan.Name())+" to delete it:", o.name.View(inner, st.Muted))
	if o.wrong {
		lines = append(lines, st.Failed.Render("that is not "+o.plan.Name()+"; type it exactly"))
	}
	lines = append(lines, "", st.Title.Render("enter")+" delete · "+st.Title.Render("esc")+" cancel")
	return m.centered("delete what azpeer did not create?", strings.Join(lines, "\n"), w, h)
}
