package ui

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
)

// Keys are all key bindings. Each screen has its own help.KeyMap that
// picks from them, so the help overlay (?) and the short help line are
// generated from the very bindings Update matches.
type Keys struct {
	// Lists.
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Filter                                  key.Binding
	Open                                    key.Binding

	// Everywhere.
	Back, Help, Quit, Refresh, Pause key.Binding

	// The Azure sign-in panel.
	CopyCode, NewCode key.Binding

	// Peerings.
	New, Diagnose, JSON, Checklist key.Binding
	// Delete removes a peering and what azpeer created for it (detail and
	// checklist screens), after asking.
	Delete key.Binding

	// Checklist.
	RunStep, RunAll, Retry, Copy, Events key.Binding
	// Consents a stopped run may ask for.
	Adopt, Replace key.Binding

	// Diagnosis.
	Fix key.Binding
	// Sync syncs a peering after an address space changed (detail and
	// diagnosis screens).
	Sync key.Binding
	// Connectivity checks whether the project's services can be reached
	// from here (detail and diagnosis screens).
	Connectivity key.Binding

	// Wizard.
	Select, Toggle, Confirm key.Binding
}

// DefaultKeys are the dashboard's bindings.
func DefaultKeys() Keys {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return Keys{
		Up:       b([]string{"up", "k"}, "↑/k", "up"),
		Down:     b([]string{"down", "j"}, "↓/j", "down"),
		PageUp:   b([]string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PageDown: b([]string{"pgdown", "ctrl+d"}, "pgdn", "page down"),
		Top:      b([]string{"home", "g"}, "g/home", "first"),
		Bottom:   b([]string{"end", "G"}, "G/end", "last"),
		Filter:   b([]string{"/"}, "/", "filter"),
		Open:     b([]string{"enter"}, "enter", "open"),

		Back:    b([]string{"esc"}, "esc", "back"),
		Help:    b([]string{"?"}, "?", "help"),
		Quit:    b([]string{"q", "ctrl+c"}, "q", "quit"),
		Refresh: b([]string{"r"}, "r", "refresh"),
		Pause:   b([]string{"p"}, "p", "pause/resume"),

		CopyCode: b([]string{"c"}, "c", "copy the sign-in code"),
		NewCode:  b([]string{"enter"}, "enter", "new sign-in code"),

		New:       b([]string{"n"}, "n", "new peering"),
		Diagnose:  b([]string{"d"}, "d", "diagnose"),
		JSON:      b([]string{"y"}, "y", "raw JSON"),
		Checklist: b([]string{"o"}, "o", "open checklist"),
		Delete:    b([]string{"X"}, "X", "delete peering"),

		RunStep: b([]string{"enter"}, "enter", "run step"),
		RunAll:  b([]string{"a"}, "a", "run all"),
		Retry:   b([]string{"r"}, "r", "retry failed"),
		Copy:    b([]string{"c"}, "c", "copy command"),
		Events:  b([]string{"e"}, "e", "event log"),
		Adopt:   b([]string{"A"}, "A", "adopt what exists"),
		Replace: b([]string{"R"}, "R", "replace the Aiven connection"),

		Fix:  b([]string{"enter"}, "enter", "apply fix"),
		Sync: b([]string{"s"}, "s", "sync peering"),

		Connectivity: b([]string{"C"}, "C", "check connectivity"),

		Select:  b([]string{"enter"}, "enter", "choose"),
		Toggle:  b([]string{"tab", "shift+tab"}, "tab", "switch role"),
		Confirm: b([]string{"enter", "y"}, "enter/y", "create"),
	}
}

// keyMap is a screen's help.KeyMap.
type keyMap struct {
	short []key.Binding
	full  [][]key.Binding
}

func (k keyMap) ShortHelp() []key.Binding  { return k.short }
func (k keyMap) FullHelp() [][]key.Binding { return k.full }

var _ help.KeyMap = keyMap{}

func (k *Keys) navigation() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Filter}
}

func (k *Keys) general() []key.Binding {
	return []key.Binding{k.Back, k.Refresh, k.Pause, k.Help, k.Quit}
}

func (k *Keys) projectsMap() keyMap {
	return keyMap{
		short: []key.Binding{k.Open, k.Filter, k.New, k.Refresh, k.Pause, k.Help, k.Quit},
		full:  [][]key.Binding{k.navigation(), {k.Open, k.New}, k.general()},
	}
}

func (k *Keys) projectMap() keyMap {
	return keyMap{
		short: []key.Binding{k.Open, k.New, k.Diagnose, k.JSON, k.Filter, k.Back, k.Help},
		full:  [][]key.Binding{k.navigation(), {k.Open, k.New, k.Diagnose, k.JSON}, k.general()},
	}
}

func (k *Keys) detailMap() keyMap {
	return keyMap{
		short: []key.Binding{k.Checklist, k.JSON, k.Diagnose, k.Sync, k.Refresh, k.Back, k.Help},
		full:  [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, {k.Checklist, k.JSON, k.Diagnose, k.Sync, k.Connectivity, k.Delete}, k.general()},
	}
}

func (k *Keys) viewerMap() keyMap {
	return keyMap{
		short: []key.Binding{k.Up, k.Down, k.PageDown, k.Back, k.Help},
		full:  [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Back, k.Help, k.Quit}},
	}
}

func (k *Keys) wizardMap() keyMap {
	return keyMap{
		short: []key.Binding{k.Select, k.Up, k.Down, k.Back, k.Help},
		full:  [][]key.Binding{{k.Up, k.Down, k.Filter, k.Select}, {k.Toggle, k.Confirm}, {k.Back, k.Help, k.Quit}},
	}
}

func (k *Keys) checklistMap() keyMap {
	return keyMap{
		short: []key.Binding{k.RunAll, k.RunStep, k.Retry, k.Copy, k.Events, k.Back, k.Help},
		full:  [][]key.Binding{{k.Up, k.Down}, {k.RunStep, k.RunAll, k.Retry, k.Copy, k.Events}, {k.Adopt, k.Replace, k.Delete}, {k.Back, k.Help, k.Quit}},
	}
}

func (k *Keys) deleteMap() keyMap {
	again := relabel(k.Delete, "X", "ask again")
	return keyMap{
		short: []key.Binding{k.Up, k.Down, again, k.Back, k.Help},
		full:  [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {again}, {k.Back, k.Help, k.Quit}},
	}
}

func (k *Keys) diagnoseMap() keyMap {
	up, down := relabel(k.Up, "↑/k", "previous finding"), relabel(k.Down, "↓/j", "next finding")
	again := relabel(k.Refresh, "r", "re-check")
	// One help entry for both directions keeps the short help within 80 columns.
	sel := key.NewBinding(key.WithKeys("j", "k", "up", "down"), key.WithHelp("j/k", "select"))
	return keyMap{
		short: []key.Binding{sel, k.Fix, k.Copy, again, k.Back, k.Help},
		full:  [][]key.Binding{{up, down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Fix, k.Copy, again, k.Sync, k.Connectivity}, {k.Back, k.Pause, k.Help, k.Quit}},
	}
}

// relabel is a binding with another help text (a copy: the original keeps its own).
func relabel(b key.Binding, k, desc string) key.Binding {
	b.SetHelp(k, desc)
	return b
}

// bindings names the bindings a configuration may rebind.
func (k *Keys) bindings() map[string]*key.Binding {
	return map[string]*key.Binding{
		"up": &k.Up, "down": &k.Down, "page_up": &k.PageUp, "page_down": &k.PageDown, "top": &k.Top, "bottom": &k.Bottom,
		"filter": &k.Filter, "open": &k.Open, "back": &k.Back, "help": &k.Help, "quit": &k.Quit, "refresh": &k.Refresh,
		"pause": &k.Pause, "new": &k.New, "diagnose": &k.Diagnose, "json": &k.JSON, "checklist": &k.Checklist, "delete": &k.Delete,
		"run_step": &k.RunStep, "run_all": &k.RunAll, "retry": &k.Retry, "copy": &k.Copy, "events": &k.Events,
		"adopt": &k.Adopt, "replace": &k.Replace, "fix": &k.Fix, "sync": &k.Sync, "connectivity": &k.Connectivity, "select": &k.Select, "toggle": &k.Toggle, "confirm": &k.Confirm,
		"copy_code": &k.CopyCode, "new_code": &k.NewCode,
	}
}

// KeyActions lists the names of the actions a configuration may rebind.
func KeyActions() []string {
	k := DefaultKeys()
	return slices.Sorted(maps.Keys(k.bindings()))
}

// ParseKeys is DefaultKeys with some actions rebound (action → keys, as
// the configuration's keys section says). An unknown action is an error
// naming the known ones.
func ParseKeys(over map[string][]string) (*Keys, error) {
	k := DefaultKeys()
	b := k.bindings()
	for action, keys := range over {
		binding, ok := b[action]
		if !ok {
			return nil, fmt.Errorf("keys.%s: no such action (there are %s)", action, strings.Join(KeyActions(), ", "))
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("keys.%s: give at least one key", action)
		}
		*binding = key.NewBinding(key.WithKeys(keys...), key.WithHelp(strings.Join(keys, "/"), binding.Help().Desc))
	}
	return &k, nil
}
