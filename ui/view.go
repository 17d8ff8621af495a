package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/azpeer/azpeer/peering"
)

// The root view: the chrome around the top screen (header, identity,
// status and help lines) and the sign-in prompt and panel.

// View draws the header, the identity line, the screen (or an overlay),
// the status line and the short help.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = !m.opts.NoAltScreen
	v.WindowTitle = "azpeer"
	return v
}

func (m *Model) render() string {
	w, h := m.width, m.height
	bodyH := m.bodyHeight()
	var body string
	switch {
	case m.prompt != nil:
		body = m.promptView(w, bodyH)
	case m.overlay != nil:
		body = m.overlay.view(m, w, bodyH)
	default:
		body = m.top().view(m.common())
		if m.signIn != nil && !m.signIn.hidden {
			body = m.signInPanel(w) + "\n" + body
		}
	}
	body = fixHeight(clip(body, w), bodyH)

	var b strings.Builder
	b.Grow(w * h * 2)
	b.WriteString(m.headerLine(w))
	b.WriteByte('\n')
	b.WriteString(m.identityLine(w))
	b.WriteByte('\n')
	b.WriteString(body)
	b.WriteByte('\n')
	b.WriteString(m.statusLine(w))
	b.WriteByte('\n')
	b.WriteString(ansi.Truncate(m.help.ShortHelpView(m.currentKeyMap().ShortHelp()), w, "…"))
	return b.String()
}

func (m *Model) currentKeyMap() keyMap {
	km := m.top().keyMap(&m.keys)
	if extra := m.signInKeys(); len(extra) > 0 {
		km.short = append(append([]key.Binding{}, extra...), km.short...)
		km.full = append([][]key.Binding{extra}, km.full...)
	}
	return km
}

func (m *Model) breadcrumb() string {
	s := &m.styles
	var b strings.Builder
	for i, sc := range m.stack {
		if i > 0 {
			b.WriteString(s.CrumbSep.Render(" › "))
		}
		b.WriteString(s.Crumb.Render(sc.crumb()))
	}
	return b.String()
}

func (m *Model) headerLine(w int) string {
	s := &m.styles
	left := s.Brand.Render("azpeer") + "  " + m.breadcrumb()
	var right string
	switch {
	case m.fetching || m.anyRunning():
		right = m.spinner.View() + " "
	}
	switch {
	case m.aiven == nil:
		right += s.Muted.Render("not signed in")
	case m.pollErr != nil && m.loaded:
		right += s.Stale.Render("⚠ STALE") + s.Muted.Render(" · data from "+ago(m.now, m.refreshedAt))
	case m.pollErr != nil:
		right += s.Failed.Render("✗ no data")
	case !m.loaded:
		right += s.Muted.Render("loading…")
	default:
		right += s.Muted.Render("refreshed " + ago(m.now, m.refreshedAt))
	}
	if m.paused {
		right += s.Pending.Render(" ⏸ paused")
	}
	gap := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		left = ansi.Truncate(left, max(0, w-ansi.StringWidth(right)-1), "…")
		gap = w - ansi.StringWidth(left) - ansi.StringWidth(right)
	}
	return ansi.Truncate(left+strings.Repeat(" ", max(gap, 1))+right, w, "…")
}

func (m *Model) identityLine(w int) string {
	s := &m.styles
	id := m.deps.Identity
	var parts []string
	if id.Sandbox {
		parts = append(parts, s.Sandbox.Render("SANDBOX"))
	}
	if m.opts.ReadOnly {
		parts = append(parts, s.Sandbox.Render("READ-ONLY"))
	}
	user := m.user.Email
	if user == "" {
		user = "?"
	}
	aiven := "Aiven " + user
	if id.AivenSource != "" {
		aiven += " (" + id.AivenSource + ")"
	}
	parts = append(parts, s.Identity.Render(aiven))
	switch {
	case m.deps.Network == nil:
		why := "not signed in"
		if m.deps.AzureErr != nil {
			why += ": " + oneLine(m.deps.AzureErr.Error())
		}
		parts = append(parts, s.Pending.Render("Azure "+why))
	default:
		az := "Azure tenant " + orUnknown(id.AzureTenantID)
		if w := m.who; w != nil {
			az = "Azure " + w.Name + " · tenant " + w.TenantID
			if w.TenantName != "" {
				az = "Azure " + w.Name + " · tenant " + w.TenantName + " (" + w.TenantID + ")"
			}
		}
		if id.AzureSubscriptionID != "" {
			az += " · sub " + id.AzureSubscriptionID
		}
		if id.AzureSource != "" {
			az += " (" + id.AzureSource + ")"
		}
		parts = append(parts, s.Identity.Render(az))
	}
	return ansi.Truncate(strings.Join(parts, s.Muted.Render(" │ ")), w, "…")
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

func (m *Model) statusLine(w int) string {
	s := &m.styles
	var line string
	switch {
	case m.pollErr != nil:
		line = s.StatusError.Render("✗ refresh failed: " + oneLine(m.pollErr.Error()))
		if m.loaded {
			line += s.Muted.Render(" (showing data from " + clockTime(m.refreshedAt) + ")")
		}
	case m.status != "" && m.errorSt:
		line = s.StatusError.Render("✗ " + m.status)
	case m.status != "":
		line = s.StatusInfo.Render(m.status)
	default:
		if n := (peering.Inventory{Projects: m.inv}).Failures(); n > 0 {
			line = s.StatusError.Render(fmt.Sprintf("⚠ %d item(s) could not be read; they are marked", n))
		}
	}
	return ansi.Truncate(line, w, "…")
}

func (m *Model) promptView(w, h int) string {
	s := &m.styles
	lines := []string{
		"",
		s.Title.Render("Sign in to Aiven"),
		"",
		s.Muted.Render("No Aiven token was found (AIVEN_TOKEN, MST_API_TOKEN, AIVEN_AUTH_TOKEN or avn user login)."),
		s.Muted.Render("Paste an API token; it is used for this session only and never saved."),
		"",
		m.prompt.View(w, s.Muted),
		"",
		s.Muted.Render("enter signs in · esc quits"),
	}
	return strings.Join(lines, "\n")
}
