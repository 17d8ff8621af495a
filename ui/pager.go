package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// pager scrolls prepared lines; only the lines on screen are drawn.
type pager struct {
	lines  []string
	offset int
	height int
}

// setLines sets the content, soft-wrapping lines wider than w (ANSI-aware)
// so long messages are read whole rather than cut.
func (p *pager) setLines(lines []string, w int) {
	out := lines[:0:0]
	for _, l := range lines {
		if w > 10 && len(l) > w && ansi.StringWidth(l) > w {
			out = append(out, strings.Split(ansi.Wrap(l, w, " "), "\n")...)
			continue
		}
		out = append(out, l)
	}
	p.lines = out
	p.clamp()
}

func (p *pager) clamp() {
	p.offset = max(0, min(p.offset, len(p.lines)-max(1, p.height)))
}

func (p *pager) key(k *Keys, msg tea.KeyPressMsg) bool {
	switch {
	case key.Matches(msg, k.Up):
		p.offset--
	case key.Matches(msg, k.Down):
		p.offset++
	case key.Matches(msg, k.PageUp):
		p.offset -= max(1, p.height-1)
	case key.Matches(msg, k.PageDown):
		p.offset += max(1, p.height-1)
	case key.Matches(msg, k.Top):
		p.offset = 0
	case key.Matches(msg, k.Bottom):
		p.offset = len(p.lines)
	default:
		return false
	}
	p.clamp()
	return true
}

// view draws the window; it does not change the pager (View must not
// mutate the model), so it clamps a copy of the offset.
func (p *pager) view(w, h int) string {
	off := max(0, min(p.offset, len(p.lines)-h))
	end := min(len(p.lines), off+h)
	var b strings.Builder
	for i := off; i < end; i++ {
		if i > off {
			b.WriteByte('\n')
		}
		b.WriteString(clip(p.lines[i], w))
	}
	return b.String()
}
