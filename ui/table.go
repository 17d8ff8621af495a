package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// column describes a table column. Fixed columns have width > 0; the
// others share what is left by grow weight, never below min.
type column struct {
	title string
	width int
	min   int
	grow  int
	right bool
}

// row is one table line. id is the row's identity: the cursor follows it
// across refreshes and filters. A group row (a VPC above its peerings) is
// drawn as one line and kept by the filter when any of its members match.
type row struct {
	id     string
	cells  []string
	tones  []tone // per cell; nil or toneNone is plain
	group  string // the group this row belongs to ("" = none)
	header bool   // the group's own row
	line   string // drawn as one line instead of cells (headers, notes)
	tone   tone   // the line's tone
	// search is what the filter matches against (lower case).
	search string
}

// table is a scrolling, filterable list of rows that renders only the rows
// on screen, so ten thousand rows cost what a screenful does.
type table struct {
	cols   []column
	all    []row
	rows   []row // all, filtered
	cursor int
	offset int
	height int // rows on screen (excluding the header line)

	filter    field
	filtering bool
	query     string
	empty     string // what to say when there are no rows at all
}

func newTable(cols []column, empty string) table {
	return table{cols: cols, filter: field{prompt: "/", placeholder: "type to filter · enter keeps · esc clears", limit: 80},
		empty: empty, height: 10}
}

// setRows replaces the rows, keeping the cursor on the same id.
func (t *table) setRows(rows []row) {
	sel := t.selectedID()
	t.all = rows
	t.apply(sel)
}

// apply re-filters and puts the cursor on id (or keeps its index).
func (t *table) apply(id string) {
	q := strings.ToLower(strings.TrimSpace(t.query))
	if q == "" {
		t.rows = t.all
	} else {
		matchedGroups := map[string]bool{}
		for _, r := range t.all {
			if !r.header && r.group != "" && strings.Contains(r.search, q) {
				matchedGroups[r.group] = true
			}
		}
		t.rows = make([]row, 0, len(t.all)/4)
		for _, r := range t.all {
			switch {
			case r.header && (matchedGroups[r.group] || strings.Contains(r.search, q)):
				t.rows = append(t.rows, r)
			case !r.header && strings.Contains(r.search, q):
				t.rows = append(t.rows, r)
			}
		}
	}
	if id != "" {
		for i, r := range t.rows {
			if r.id == id {
				t.cursor = i
				t.scroll()
				return
			}
		}
	}
	t.cursor = min(t.cursor, len(t.rows)-1)
	t.cursor = max(t.cursor, 0)
	t.scroll()
}

func (t *table) selectedID() string {
	if r, ok := t.selected(); ok {
		return r.id
	}
	return ""
}

func (t *table) selected() (row, bool) {
	if t.cursor < 0 || t.cursor >= len(t.rows) {
		return row{}, false
	}
	return t.rows[t.cursor], true
}

// selectID moves the cursor to a row by id.
func (t *table) selectID(id string) bool {
	for i, r := range t.rows {
		if r.id == id {
			t.cursor = i
			t.scroll()
			return true
		}
	}
	return false
}

func (t *table) setHeight(h int) {
	t.height = max(1, h)
	t.scroll()
}

// scroll keeps the cursor on screen.
func (t *table) scroll() {
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+t.height {
		t.offset = t.cursor - t.height + 1
	}
	t.offset = max(0, min(t.offset, len(t.rows)-t.height))
}

func (t *table) move(n int) {
	t.cursor = max(0, min(t.cursor+n, len(t.rows)-1))
	t.scroll()
}

// key handles navigation and the filter. It reports whether it used the key.
func (t *table) key(k *Keys, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	if t.filtering {
		switch msg.String() {
		case "esc":
			t.stopFilter(true)
			return true, nil
		case "enter":
			t.stopFilter(false)
			return true, nil
		case "up", "down", "pgup", "pgdown":
			// fall through to navigation below
		default:
			if t.filter.Update(msg) {
				t.query = t.filter.Value()
				t.apply(t.selectedID())
			}
			return true, nil
		}
	}
	switch {
	case key.Matches(msg, k.Up):
		t.move(-1)
	case key.Matches(msg, k.Down):
		t.move(1)
	case key.Matches(msg, k.PageUp):
		t.move(-t.height)
	case key.Matches(msg, k.PageDown):
		t.move(t.height)
	case key.Matches(msg, k.Top):
		t.move(-len(t.rows))
	case key.Matches(msg, k.Bottom):
		t.move(len(t.rows))
	case key.Matches(msg, k.Filter):
		t.filtering = true
		t.filter.SetValue(t.query)
		t.filter.Focus()
		return true, nil
	case key.Matches(msg, k.Back) && t.query != "":
		t.query = ""
		t.filter.SetValue("")
		t.apply(t.selectedID())
	default:
		return false, nil
	}
	return true, nil
}

// paste adds text to the filter while it is being edited.
func (t *table) paste(text string) {
	if !t.filtering {
		return
	}
	t.filter.insert(text)
	t.query = t.filter.Value()
	t.apply(t.selectedID())
}

func (t *table) stopFilter(clear bool) {
	t.filtering = false
	t.filter.Blur()
	if clear {
		t.query = ""
		t.filter.SetValue("")
		t.apply(t.selectedID())
	}
}

// widths lays the columns out in w cells (two for the cursor marker, one
// between columns).
func (t *table) widths(w int) []int {
	ws := make([]int, len(t.cols))
	avail := w - 2 - (len(t.cols) - 1)
	grow := 0
	for i, c := range t.cols {
		if c.width > 0 {
			ws[i] = c.width
			avail -= c.width
		} else {
			ws[i] = c.min
			avail -= c.min
			grow += max(c.grow, 1)
		}
	}
	if avail > 0 && grow > 0 {
		left := avail
		for i, c := range t.cols {
			if c.width == 0 {
				add := avail * max(c.grow, 1) / grow
				ws[i] += add
				left -= add
			}
		}
		// Rounding leftovers go to the last growing column.
		for i := len(t.cols) - 1; i >= 0; i-- {
			if t.cols[i].width == 0 {
				ws[i] += left
				break
			}
		}
	}
	return ws
}

// view draws the header and the visible rows in w×h cells. The filter
// line, when active or set, takes the last line.
func (t *table) view(s *Styles, w, h int) string {
	var b strings.Builder
	showFilter := t.filtering || t.query != ""
	rowsH := h - 1
	if showFilter {
		rowsH--
	}
	ws := t.widths(w)
	// Header.
	var hb strings.Builder
	hb.WriteString("  ")
	for i, c := range t.cols {
		if i > 0 {
			hb.WriteByte(' ')
		}
		if c.right {
			hb.WriteString(fitRight(c.title, ws[i]))
		} else {
			hb.WriteString(fit(c.title, ws[i]))
		}
	}
	b.WriteString(s.TableHeader.Render(ansi.Truncate(hb.String(), w, "")))

	// The window follows the cursor even if the last height set was stale.
	off := t.offset
	if t.cursor >= off+rowsH {
		off = t.cursor - rowsH + 1
	}
	if t.cursor < off {
		off = t.cursor
	}
	off = max(0, min(off, len(t.rows)-rowsH))
	drawn := 0
	if len(t.rows) == 0 && rowsH > 0 {
		b.WriteByte('\n')
		msg := t.empty
		if t.query != "" {
			msg = "no rows match /" + t.query + " (esc clears the filter)"
		}
		b.WriteString(s.Muted.Render(fit("  "+msg, w)))
		drawn++
	}
	for i := off; i < len(t.rows) && drawn < rowsH; i++ {
		b.WriteByte('\n')
		b.WriteString(t.renderRow(s, t.rows[i], ws, w, i == t.cursor))
		drawn++
	}
	for ; drawn < rowsH; drawn++ {
		b.WriteByte('\n')
	}
	if showFilter {
		b.WriteByte('\n')
		if t.filtering {
			b.WriteString(t.filter.View(w, s.Muted))
		} else {
			b.WriteString(s.Muted.Render(fit("/"+t.query+"  (/ edits, esc clears)", w)))
		}
	}
	return b.String()
}

func (t *table) renderRow(s *Styles, r row, ws []int, w int, selected bool) string {
	marker := "  "
	if selected {
		marker = "› "
	}
	if r.line != "" {
		line := fit(marker+r.line, w)
		if selected {
			return s.Selected.Render(line)
		}
		return s.of(r.tone).Render(line)
	}
	var b strings.Builder
	b.WriteString(marker)
	for i := range t.cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		cell := ""
		if i < len(r.cells) {
			cell = r.cells[i]
		}
		if t.cols[i].right {
			cell = fitRight(cell, ws[i])
		} else {
			cell = fit(cell, ws[i])
		}
		if !selected && i < len(r.tones) && r.tones[i] != toneNone {
			cell = s.color(r.tones[i], cell)
		}
		b.WriteString(cell)
	}
	line := b.String()
	if selected {
		// The selected row is styled as a whole: a cell's reset code
		// would otherwise cancel the selection for the rest of the row.
		return s.Selected.Render(fit(line, w))
	}
	return ansi.Truncate(line, w, "…")
}

// searchText joins cells for the filter.
func searchText(parts ...string) string {
	return strings.ToLower(strings.Join(parts, " "))
}
