package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// screen is one level of the navigation stack. Screens are plain structs
// with methods; the root model owns the data they draw from. A screen
// embeds baseScreen and implements the optional methods it needs.
//
// Drawing (refresh, view, transitional) gets a common, what there is to
// draw with; acting on a key, or starting reads, gets the model.
type screen interface {
	// crumb is the screen's breadcrumb segment.
	crumb() string
	keyMap(k *Keys) keyMap
	// refresh rebuilds the screen from the data (new data, resize, or
	// coming back to it).
	refresh(cm *common)
	// view draws the screen in cm.width × cm.height.
	view(cm *common) string
	// key handles a key; handled=false lets the root apply global keys.
	key(m *Model, msg tea.KeyPressMsg) (handled bool, cmd tea.Cmd)

	// Optional (baseScreen has the defaults).

	// enter is called when the screen is pushed: it may start reads.
	enter(m *Model) tea.Cmd
	// capturing reports whether a text field has the keyboard.
	capturing() bool
	// scope is the project whose data the screen shows ("" = all).
	scope() string
	// transitional reports whether something on screen is expected to
	// change soon, which makes polling fast.
	transitional(cm *common) bool
	// poll returns extra reads to make with each refresh (e.g. Azure).
	poll(m *Model) tea.Cmd
}

// baseScreen is the optional methods' defaults: a screen that starts no
// reads when it opens, has no text field, shows every project, expects
// nothing to change and polls nothing of its own.
type baseScreen struct{}

func (baseScreen) enter(*Model) tea.Cmd      { return nil }
func (baseScreen) capturing() bool           { return false }
func (baseScreen) scope() string             { return "" }
func (baseScreen) transitional(*common) bool { return false }
func (baseScreen) poll(*Model) tea.Cmd       { return nil }

// common is what a screen draws with: the data, the size of the body
// (the screen's part of the terminal), the styles, the time on the
// clock, the spinner's frame and whether Azure is signed in.
// Model.common builds it afresh for each refresh and frame, so it is
// never stale; screens read the data through it and never change it.
type common struct {
	*data
	width, height int
	styles        *Styles
	now           time.Time
	spinner       string
	// azureSignedIn says the Azure side can be read.
	azureSignedIn bool
}

// common is what the top screen draws with now.
func (m *Model) common() *common {
	return &common{data: &m.data, width: m.width, height: m.bodyHeight(), styles: &m.styles,
		now: m.now, spinner: m.spinner.View(), azureSignedIn: m.deps.Network != nil}
}

// paster is a screen with a text field that takes pasted text.
type paster interface {
	paste(text string)
}

// overlay is a modal layer over the body: help, a dialog, a panel.
type overlay interface {
	key(m *Model, msg tea.KeyPressMsg) (closed bool, cmd tea.Cmd)
	view(m *Model, w, h int) string
}
