package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/azpeer/azpeer/peering"
)

// helpOverlay lists every key of the current screen, from its keymap.
type helpOverlay struct{}

func (helpOverlay) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		return true, m.quit()
	}
	return true, nil // any key closes help
}

func (helpOverlay) view(m *Model, w, h int) string {
	hm := m.help
	hm.ShowAll = true
	hm.SetWidth(max(20, w-8))
	body := hm.FullHelpView(m.currentKeyMap().FullHelp())
	body += "\n\n" + m.styles.Muted.Render("Keys of "+m.top().crumb()+". Any key closes this.")
	return m.centered("help", body, w, h)
}

// confirmQuit asks before stopping a running step.
type confirmQuit struct{}

func (confirmQuit) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	switch msg.String() {
	case "y", "Y", "q", "ctrl+c", "enter":
		m.quitting = true
		return true, m.quit()
	case "n", "N", "esc":
		return true, nil
	}
	return false, nil
}

func (confirmQuit) view(m *Model, w, h int) string {
	body := "A runbook step is running.\n\n" +
		"Quit anyway? The step is cancelled cleanly and the run resumes\n" +
		"from its record the next time you open its checklist.\n\n" +
		m.styles.Title.Render("y") + " quit · " + m.styles.Title.Render("n/esc") + " stay"
	return m.centered("quit?", body, w, h)
}

// textOverlay shows lines (an event log), scrollable.
type textOverlay struct {
	title  string
	lines  []string
	offset int
}

func (o *textOverlay) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Down):
		o.offset = min(o.offset+1, max(0, len(o.lines)-1))
	case key.Matches(msg, m.keys.Up):
		o.offset = max(o.offset-1, 0)
	case key.Matches(msg, m.keys.PageDown):
		o.offset = min(o.offset+10, max(0, len(o.lines)-1))
	case key.Matches(msg, m.keys.PageUp):
		o.offset = max(o.offset-10, 0)
	case msg.String() == "ctrl+c":
		return true, m.quit()
	default:
		return true, nil
	}
	return false, nil
}

func (o *textOverlay) view(m *Model, w, h int) string {
	room := max(1, h-4)
	inner := boxWidth(w) - 4
	var lines []string
	for _, l := range o.lines {
		if ansi.StringWidth(l) > inner {
			lines = append(lines, strings.Split(ansi.Wrap(l, inner, " "), "\n")...)
			continue
		}
		lines = append(lines, l)
	}
	if o.offset > 0 && o.offset < len(lines) {
		lines = lines[o.offset:]
	}
	more := ""
	if len(lines) > room {
		lines = lines[:room-1]
		more = "\n" + m.styles.Muted.Render("… ↓/j for more")
	}
	body := strings.Join(lines, "\n") + more + "\n" + m.styles.Muted.Render("esc closes")
	return m.centered(o.title, body, w, h)
}

// confirmOverlay asks before a change; only y makes it, n or esc cancel.
type confirmOverlay struct {
	// title is the box's, yes what y does ("apply").
	title, yes string
	// body lays the question out for a box inner columns wide.
	body func(st *Styles, inner int) []string
	// do makes the change; cancel, when set, undoes what asking held
	// (n or esc).
	do, cancel func(m *Model) tea.Cmd
}

func (o *confirmOverlay) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	switch msg.String() {
	case "y", "Y":
		return true, o.do(m)
	case "n", "N", "esc":
		m.setStatus("nothing was changed", false)
		if o.cancel != nil {
			return true, o.cancel(m)
		}
		return true, nil
	case "ctrl+c":
		return true, m.quit()
	}
	return false, nil
}

func (o *confirmOverlay) view(m *Model, w, h int) string {
	st := &m.styles
	lines := append(o.body(st, max(10, boxWidth(w)-4)), "", st.Title.Render("y")+" "+o.yes+" · "+st.Title.Render("n/esc")+" cancel")
	return m.centered(o.title, strings.Join(lines, "\n"), w, h)
}

// wherePeering names the peering a confirmation is about, muted.
func wherePeering(st *Styles, where string, inner int) []string {
	var lines []string
	for _, l := range wrapWords("peering: "+where, inner) {
		lines = append(lines, st.Muted.Render(l))
	}
	return lines
}

// confirmFix asks before applying a finding's fix to the peering where;
// recreates says the fix deletes the Aiven connection first.
func confirmFix(target string, f peering.Finding, where string, recreates bool) *confirmOverlay {
	return &confirmOverlay{title: "apply fix?", yes: "apply",
		body: func(st *Styles, inner int) []string {
			lines := []string{"Apply the fix for " + st.Title.Render(f.ID) + "?", ""}
			lines = append(lines, wrapWords("azpeer "+actionText(f.Action)+".", inner)...)
			lines = append(lines, wherePeering(st, where, inner)...)
			if recreates {
				lines = append(lines, "", st.Pending.Render("The Aiven connection is deleted first (Aiven cannot revive a failed one), then requested anew — even if azpeer did not create it."))
			}
			return lines
		},
		do: func(m *Model) tea.Cmd { return m.startFix(target, f) }}
}

// boxWidth is the width of an overlay box (border and padding included).
func boxWidth(w int) int { return min(w, max(40, min(w-4, 100))) }

// centered draws content in a bordered box in the middle of w×h.
func (m *Model) centered(title, content string, w, h int) string {
	s := &m.styles
	boxW := boxWidth(w)
	inner := clip(content, boxW-4)
	box := s.Box.Width(boxW).Render(s.BoxTitle.Render(title) + "\n" + inner)
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box)
}
