package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles are every style the dashboard uses, by meaning. Colour never
// carries meaning alone: each state also has an icon and a text label, so
// NO_COLOR (which Bubble Tea honours when it picks the colour profile) and
// light backgrounds lose nothing. Selection uses reverse video, which
// survives the ASCII profile too.
type Styles struct {
	// Chrome.
	Brand    lipgloss.Style
	Crumb    lipgloss.Style
	CrumbSep lipgloss.Style
	Identity lipgloss.Style
	Sandbox  lipgloss.Style
	Muted    lipgloss.Style
	Title    lipgloss.Style

	// Meaning.
	OK      lipgloss.Style // ACTIVE, Connected, done
	Pending lipgloss.Style // waiting on the other side (PENDING_PEER, Initiated)
	Working lipgloss.Style // Aiven or azpeer is acting (APPROVED, DELETING, running)
	Failed  lipgloss.Style // needs the user's attention
	Gone    lipgloss.Style // DELETED and the like
	Stale   lipgloss.Style // data from a failed refresh
	// OutOfSync: a peering whose sides have not synced each other's
	// address space (traffic to new ranges does not flow).
	OutOfSync lipgloss.Style

	// Tables and panes.
	TableHeader lipgloss.Style
	Selected    lipgloss.Style
	Group       lipgloss.Style
	// OrgVPC marks an organization's VPC (shared by its projects) beside
	// project VPCs; its rows also say "ORG", for NO_COLOR.
	OrgVPC lipgloss.Style
	Label  lipgloss.Style
	Value  lipgloss.Style

	// Status line.
	StatusInfo  lipgloss.Style
	StatusError lipgloss.Style

	// Overlays (help, dialogs, panels).
	Box      lipgloss.Style
	BoxTitle lipgloss.Style

	Help help.Styles

	// paint holds each tone's opening and closing escape codes, so table
	// cells are coloured without a lipgloss render per cell.
	paint [toneCount][2]string
}

// NewStyles returns the styles for a dark or light terminal background.
func NewStyles(isDark bool) Styles {
	ld := lipgloss.LightDark(isDark)
	green := ld(lipgloss.Color("#1A7F37"), lipgloss.Color("#3FB950"))
	yellow := ld(lipgloss.Color("#9A6700"), lipgloss.Color("#D29922"))
	blue := ld(lipgloss.Color("#0969DA"), lipgloss.Color("#58A6FF"))
	red := ld(lipgloss.Color("#CF222E"), lipgloss.Color("#F85149"))
	muted := ld(lipgloss.Color("#6E7781"), lipgloss.Color("#8B949E"))
	fg := ld(lipgloss.Color("#1F2328"), lipgloss.Color("#E6EDF3"))
	accent := ld(lipgloss.Color("#8250DF"), lipgloss.Color("#BC8CFF"))
	teal := ld(lipgloss.Color("#1B7C83"), lipgloss.Color("#39C5CF"))

	s := Styles{
		Brand:    lipgloss.NewStyle().Bold(true).Foreground(accent),
		Crumb:    lipgloss.NewStyle().Foreground(fg),
		CrumbSep: lipgloss.NewStyle().Foreground(muted),
		Identity: lipgloss.NewStyle().Foreground(muted),
		Sandbox:  lipgloss.NewStyle().Bold(true).Foreground(yellow),
		Muted:    lipgloss.NewStyle().Foreground(muted),
		Title:    lipgloss.NewStyle().Bold(true).Foreground(fg),

		OK:      lipgloss.NewStyle().Foreground(green),
		Pending: lipgloss.NewStyle().Foreground(yellow),
		Working: lipgloss.NewStyle().Foreground(blue),
		Failed:  lipgloss.NewStyle().Foreground(red).Bold(true),
		Gone:    lipgloss.NewStyle().Foreground(muted),
		Stale:   lipgloss.NewStyle().Foreground(yellow).Bold(true),

		OutOfSync: lipgloss.NewStyle().Foreground(yellow),

		TableHeader: lipgloss.NewStyle().Bold(true).Foreground(muted),
		Selected:    lipgloss.NewStyle().Reverse(true).Bold(true),
		Group:       lipgloss.NewStyle().Bold(true).Foreground(accent),
		OrgVPC:      lipgloss.NewStyle().Bold(true).Foreground(teal),
		Label:       lipgloss.NewStyle().Foreground(muted),
		Value:       lipgloss.NewStyle().Foreground(fg),

		StatusInfo:  lipgloss.NewStyle().Foreground(muted),
		StatusError: lipgloss.NewStyle().Foreground(red),

		Box:      lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1),
		BoxTitle: lipgloss.NewStyle().Bold(true).Foreground(accent),
	}
	s.Help = help.DefaultStyles(isDark)
	for t := range toneCount {
		const mark = "\x00"
		out := s.of(t).Render(mark)
		if i := strings.Index(out, mark); i >= 0 {
			s.paint[t] = [2]string{out[:i], out[i+len(mark):]}
		}
	}
	return s
}

// color wraps plain text in a tone's escape codes.
func (s *Styles) color(t tone, text string) string {
	p := s.paint[t]
	if p[0] == "" && p[1] == "" {
		return text
	}
	return p[0] + text + p[1]
}

// tone is the meaning of a value, for colouring.
type tone int

const (
	toneNone tone = iota
	toneOK
	tonePending
	toneWorking
	toneFailed
	toneGone
	toneMuted
	toneGroup
	toneOrgVPC
	toneCount
)

// of returns the style of a tone.
func (s *Styles) of(t tone) lipgloss.Style {
	switch t {
	case toneOK:
		return s.OK
	case tonePending:
		return s.Pending
	case toneWorking:
		return s.Working
	case toneFailed:
		return s.Failed
	case toneGone:
		return s.Gone
	case toneMuted:
		return s.Muted
	case toneGroup:
		return s.Group
	case toneOrgVPC:
		return s.OrgVPC
	}
	return s.Value
}
