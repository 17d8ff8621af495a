package ui

import (
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// field is a one-line text input: the filter, the app name, the token
// prompt. (bubbles' textinput would pull a clipboard library in for its
// own paste key; the terminal's bracketed paste is all this needs.)
type field struct {
	prompt      string
	placeholder string
	value       []rune
	pos         int
	limit       int
	mask        bool
	focused     bool
}

func (f *field) Value() string { return string(f.value) }

func (f *field) SetValue(s string) {
	f.value = []rune(s)
	if f.limit > 0 && len(f.value) > f.limit {
		f.value = f.value[:f.limit]
	}
	f.pos = len(f.value)
}

func (f *field) Focus() { f.focused = true }
func (f *field) Blur()  { f.focused = false }

func (f *field) insert(s string) {
	rs := []rune(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s))
	if f.limit > 0 {
		rs = rs[:max(0, min(len(rs), f.limit-len(f.value)))]
	}
	v := make([]rune, 0, len(f.value)+len(rs))
	v = append(v, f.value[:f.pos]...)
	v = append(v, rs...)
	v = append(v, f.value[f.pos:]...)
	f.value = v
	f.pos += len(rs)
}

// Update edits the value with a key press or a paste. It reports whether
// the value changed.
func (f *field) Update(msg tea.Msg) bool {
	before := string(f.value)
	switch msg := msg.(type) {
	case tea.PasteMsg:
		f.insert(msg.Content)
	case tea.KeyPressMsg:
		switch msg.String() {
		case "left", "ctrl+b":
			f.pos = max(0, f.pos-1)
		case "right", "ctrl+f":
			f.pos = min(len(f.value), f.pos+1)
		case "home", "ctrl+a":
			f.pos = 0
		case "end", "ctrl+e":
			f.pos = len(f.value)
		case "backspace", "ctrl+h":
			if f.pos > 0 {
				f.value = append(f.value[:f.pos-1], f.value[f.pos:]...)
				f.pos--
			}
		case "delete", "ctrl+d":
			if f.pos < len(f.value) {
				f.value = append(f.value[:f.pos], f.value[f.pos+1:]...)
			}
		case "ctrl+u":
			f.value = f.value[f.pos:]
			f.pos = 0
		case "ctrl+k":
			f.value = f.value[:f.pos]
		case "ctrl+w":
			i := f.pos
			for i > 0 && f.value[i-1] == ' ' {
				i--
			}
			for i > 0 && f.value[i-1] != ' ' {
				i--
			}
			f.value = append(f.value[:i], f.value[f.pos:]...)
			f.pos = i
		default:
			if msg.Text != "" && msg.Mod&(tea.ModCtrl|tea.ModAlt) == 0 {
				f.insert(msg.Text)
			}
		}
	}
	return string(f.value) != before
}

// View draws the field in w cells, the cursor as a reverse-video cell.
func (f *field) View(w int, muted lipgloss.Style) string {
	text := string(f.value)
	if f.mask {
		text = strings.Repeat("•", len(f.value))
	}
	if text == "" && !f.focused && f.placeholder != "" {
		return ansi.Truncate(f.prompt+muted.Render(f.placeholder), w, "…")
	}
	rs := []rune(text)
	room := max(1, w-ansi.StringWidth(f.prompt)-1)
	start := 0
	if f.pos > room {
		start = f.pos - room
	}
	end := min(len(rs), start+room)
	before := string(rs[start:min(f.pos, end)])
	after := ""
	cur := " "
	if f.pos < len(rs) {
		cur = string(rs[f.pos])
		after = string(rs[min(f.pos+1, end):end])
	}
	if !f.focused {
		return f.prompt + string(rs[start:end])
	}
	out := f.prompt + before + lipgloss.NewStyle().Reverse(true).Render(cur) + after
	if text == "" && f.placeholder != "" {
		out += muted.Render(" " + f.placeholder)
	}
	return ansi.Truncate(out, w, "…")
}
