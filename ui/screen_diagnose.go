package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/azpeer/azpeer/peering"
)

// The diagnosis screen (d on a peering) runs the diagnosis engine over
// both clouds and shows its findings as returned (most likely cause
// first): severity, cause, the evidence that proves it, the fix in words,
// the equivalent command, and whether azpeer can apply the fix. enter
// applies it after a y/n confirmation; while the fix runs its events
// stream into a progress area and the diagnosis is re-run every few
// seconds until Aiven's state moves, then once more when the fix ends.

// diagState is the diagnosis of one peering. It lives on the model (by
// target key), not on the screen, so a fix goes on, and its progress is
// still there, when the user leaves the screen and comes back.
type diagState struct {
	ref    connRef
	target peering.Target

	// gen tags diagnosis requests: a reply from an overtaken request is
	// dropped. busy says the newest one is in flight.
	gen  int
	busy bool
	diag *peering.Diagnosis
	at   time.Time

	// The fix: fixGen tags its events, its end and its re-check ticks.
	fixGen     int
	fixing     bool
	finding    peering.Finding
	fixStarted time.Time
	fixEnded   time.Time
	fixErr     error
	events     []peering.Event
	eventsCh   chan peering.Event
	cancel     context.CancelFunc
	// fromState is Aiven's state when the fix started; moved says a live
	// re-check has seen it change (to movedTo), which ends the re-checks.
	fromState peering.State
	moved     bool
	movedTo   peering.State
}

// maxFixEvents bounds the progress area's history.
const maxFixEvents = 200

// diagnosisMsg answers a diagnosis request.
type diagnosisMsg struct {
	key string
	gen int
	d   peering.Diagnosis
	at  time.Time
}

// fixDoneMsg says a fix returned.
type fixDoneMsg struct {
	key string
	gen int
	err error
}

// recheckMsg fires a live re-check while a fix runs.
type recheckMsg struct {
	key string
	gen int
}

// fixEventKey names a fix's event stream in runEventMsg (which the
// checklist's runs share): "fix", the fix's generation and the target key.
func fixEventKey(key string, gen int) string {
	return "fix\x00" + strconv.Itoa(gen) + "\x00" + key
}

func parseFixEventKey(s string) (key string, gen int, ok bool) {
	rest, ok := strings.CutPrefix(s, "fix\x00")
	if !ok {
		return "", 0, false
	}
	g, key, ok := strings.Cut(rest, "\x00")
	if !ok {
		return "", 0, false
	}
	gen, err := strconv.Atoi(g)
	return key, gen, err == nil
}

// canDiagnose reports whether the engine can diagnose ref: it needs Azure
// (the runbook's adapters) and an Azure VNet peering.
func (m *Model) canDiagnose(ref connRef) bool {
	return m.deps.Runbook != nil && ref.Key.PeerResourceGroup != ""
}

// openDiagnosis opens the diagnosis screen of a connection.
func (m *Model) openDiagnosis(ref connRef) tea.Cmd {
	label := "diagnose"
	if d, ok := m.top().(*detailScreen); !ok || d.ref != ref {
		label += " " + ref.Key.PeerVPC
	}
	return m.push(&diagnoseScreen{ref: ref, tkey: targetKey(ref.target()), label: label})
}

func (m *Model) diagFor(ref connRef) *diagState {
	key := targetKey(ref.target())
	ds := m.diags[key]
	if ds == nil {
		ds = &diagState{ref: ref, target: ref.target()}
		m.diags[key] = ds
	}
	return ds
}

// diagBusy reports whether a diagnosis is in flight (for the spinner).
func (m *Model) diagBusy() bool {
	for _, ds := range m.diags {
		if ds.busy {
			return true
		}
	}
	return false
}

// diagnose starts a diagnosis of ds; its reply overtakes any in flight.
func (m *Model) diagnose(ds *diagState) tea.Cmd {
	rb := m.deps.Runbook
	if rb == nil {
		return nil
	}
	ds.gen++
	ds.busy = true
	ctx, t, key, gen := m.ctx, ds.target, targetKey(ds.target), ds.gen
	run := func() tea.Msg {
		d := rb.Diagnose(ctx, t, "")
		return diagnosisMsg{key: key, gen: gen, d: d, at: time.Now()}
	}
	return tea.Batch(run, m.startSpinner())
}

// recheckAfter schedules the next live re-check of a running fix.
func (m *Model) recheckAfter(ds *diagState) tea.Cmd {
	key, gen := targetKey(ds.target), ds.fixGen
	return tea.Tick(m.opts.fastPoll(), func(time.Time) tea.Msg { return recheckMsg{key: key, gen: gen} })
}

// diagnoseUpdate applies the diagnosis screen's messages.
func (m *Model) diagnoseUpdate(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	var key string
	switch msg := msg.(type) {
	case diagnosisMsg:
		key = msg.key
		ds := m.diags[key]
		if ds == nil || msg.gen != ds.gen {
			return nil // overtaken by a newer diagnosis
		}
		d := msg.d
		ds.busy, ds.diag, ds.at = false, &d, msg.at
		if ds.fixing && !ds.moved {
			if st := aivenStateOf(d); st != ds.fromState {
				ds.moved, ds.movedTo = true, st
				m.setStatus(fmt.Sprintf("Aiven's state moved: %s → %s", orNone(ds.fromState), orNone(st)), false)
			} else {
				cmd = m.recheckAfter(ds)
			}
		}
	case recheckMsg:
		key = msg.key
		ds := m.diags[key]
		if ds == nil || msg.gen != ds.fixGen || !ds.fixing || ds.moved || ds.busy {
			// A diagnosis in flight schedules the next re-check itself.
			return nil
		}
		cmd = m.diagnose(ds)
	case fixDoneMsg:
		key = msg.key
		ds := m.diags[key]
		if ds == nil || msg.gen != ds.fixGen || !ds.fixing {
			return nil
		}
		ds.fixing, ds.fixErr, ds.fixEnded = false, msg.err, time.Now()
		if ds.cancel != nil {
			ds.cancel()
			ds.cancel = nil
		}
		switch {
		case msg.err == nil:
			m.setStatus("fix for "+ds.finding.ID+" applied; diagnosing again", false)
		case errors.Is(msg.err, context.Canceled):
			m.setStatus("fix for "+ds.finding.ID+" stopped", false)
		default:
			m.setStatus("fix for "+ds.finding.ID+" failed: "+oneLine(msg.err.Error()), true)
		}
		// The peering changed: diagnose it again, and refresh what other
		// screens show of it (the inventory, the run record).
		cmds := []tea.Cmd{m.diagnose(ds)}
		if m.aiven != nil && !m.fetching {
			cmds = append(cmds, m.poll())
		}
		if rb := m.deps.Runbook; rb != nil && rb.Store != nil {
			cmds = append(cmds, fetchRecord(rb.Store, m.nextSeq(), key, ds.target))
		}
		cmd = tea.Batch(cmds...)
	}
	m.refreshDiagnosis(key)
	return cmd
}

// fixEvent takes one event of a running fix (routed here by runEventMsg's
// key) and waits for the next.
func (m *Model) fixEvent(msg runEventMsg) tea.Cmd {
	key, gen, ok := parseFixEventKey(msg.key)
	if !ok {
		return nil
	}
	ds := m.diags[key]
	if ds == nil || gen != ds.fixGen {
		return nil // a stream of an earlier fix: stop draining it
	}
	ds.events = append(ds.events, msg.ev)
	if n := len(ds.events); n > maxFixEvents {
		ds.events = ds.events[n-maxFixEvents:]
	}
	m.refreshDiagnosis(key)
	return waitRunEvent(m.ctx, msg.key, ds.eventsCh)
}

// aivenStateOf is Aiven's state in a diagnosis ("" when there is no connection).
func aivenStateOf(d peering.Diagnosis) peering.State {
	if d.Facts == nil || d.Facts.Connection == nil {
		return ""
	}
	return d.Facts.Connection.State
}

func orNone(s peering.State) string {
	if s == "" {
		return "(no connection)"
	}
	return string(s)
}

// startFix applies a finding's fix in a command (after the confirmation).
func (m *Model) startFix(key string, f peering.Finding) tea.Cmd {
	ds := m.diags[key]
	rb := m.deps.Runbook
	if ds == nil || rb == nil || ds.diag == nil || ds.diag.Facts == nil {
		return nil
	}
	if ds.fixing {
		m.setStatus("a fix is already running for this peering", false)
		return nil
	}
	// A fix that runs the runbook opens the target's run, and its lock: an
	// idle checklist run of the same peering is closed first (its record
	// is saved; the checklist reopens it from there).
	var closeRun *peering.Run
	if rs := m.runs[key]; rs != nil && f.Action != peering.FixRefresh {
		if rs.running {
			m.setStatus("the checklist is running this peering's steps; wait for it to stop, then fix", true)
			return nil
		}
		closeRun = rs.run
		delete(m.runs, key)
		close(rs.events) // nothing sends on it while the run is idle
	}
	ctx, cancel := context.WithCancel(m.ctx)
	ds.fixGen++
	ds.fixing, ds.finding, ds.fixStarted, ds.fixEnded, ds.fixErr = true, f, time.Now(), time.Time{}, nil
	ds.events, ds.cancel = nil, cancel
	ds.fromState, ds.moved, ds.movedTo = aivenStateOf(*ds.diag), false, ""
	ch := make(chan peering.Event, 256)
	ds.eventsCh = ch

	session, wg, facts, gen := m.ctx, m.wg, ds.diag.Facts, ds.fixGen
	sink := func(e peering.Event) {
		select {
		case ch <- e:
		case <-session.Done():
		}
	}
	wg.Add(1)
	fix := func() tea.Msg {
		defer wg.Done()
		var err error
		if closeRun != nil {
			if cerr := closeRun.Close(); cerr != nil {
				err = fmt.Errorf("close the checklist's run: %w", cerr)
			}
		}
		if err == nil {
			err = rb.Fix(ctx, facts, f, sink)
		}
		close(ch) // the sink is not called once Fix has returned
		return fixDoneMsg{key: key, gen: gen, err: err}
	}
	m.setStatus("applying the fix for "+f.ID+"…", false)
	m.refreshDiagnosis(key)
	return tea.Batch(fix, waitRunEvent(m.ctx, fixEventKey(key, gen), ch), m.recheckAfter(ds), m.startSpinner(), m.rearm())
}

// stopFixes cancels every running fix (quitting).
func (m *Model) stopFixes() {
	for _, ds := range m.diags {
		if ds.cancel != nil {
			ds.cancel()
		}
	}
}

// fixRunning reports whether any fix is running.
func (m *Model) fixRunning() bool {
	for _, ds := range m.diags {
		if ds.fixing {
			return true
		}
	}
	return false
}

// refreshDiagnosis rebuilds the top screen when it diagnoses key.
func (m *Model) refreshDiagnosis(key string) {
	if s, ok := m.top().(*diagnoseScreen); ok && s.tkey == key {
		s.refresh(m)
	}
}

// actionText says what azpeer does for a fix kind.
func actionText(a peering.FixKind) string {
	switch a {
	case peering.FixResume:
		return "runs the runbook again: it finds what exists and creates what is missing"
	case peering.FixRecreateAiven:
		return "deletes the Aiven connection, then runs the runbook to create it again"
	case peering.FixRefresh:
		return "asks Aiven to re-check the connection now"
	}
	return string(a)
}

// severityLabel is a finding's severity as icon and text, and its tone.
func severityLabel(s peering.Severity) (string, tone) {
	switch s {
	case peering.SeverityError:
		return "✗ ERROR", toneFailed
	case peering.SeverityWarning:
		return "⚠ WARNING", tonePending
	case peering.SeverityInfo:
		return "○ INFO", toneWorking
	}
	return "? " + strings.ToUpper(string(s)), toneNone
}

// diagnoseScreen draws a diagState; it owns only the selection and the
// scroll position.
type diagnoseScreen struct {
	ref connRef
	// tkey is the target key of ref (m.diags' key).
	tkey  string
	label string
	// sel is the selected finding's id (the selection follows it across
	// re-diagnoses); idx its index.
	sel string
	idx int
	pg  pager
	// blocks are the first and last line of each finding in pg.lines.
	blocks [][2]int
	// follow asks the next refresh to scroll the selection into view;
	// shown is the diagnosis drawn last (a new one scrolls to it too).
	follow bool
	shown  *peering.Diagnosis
}

const diagHeaderLines = 3

func (s *diagnoseScreen) crumb() string         { return s.label }
func (s *diagnoseScreen) keyMap(k *Keys) keyMap { return k.diagnoseMap() }
func (s *diagnoseScreen) capturing() bool       { return false }
func (s *diagnoseScreen) scope() string         { return s.ref.Project }
func (s *diagnoseScreen) poll(*Model) tea.Cmd   { return nil }

func (s *diagnoseScreen) state(m *Model) *diagState { return m.diags[s.tkey] }

func (s *diagnoseScreen) enter(m *Model) tea.Cmd {
	if !m.canDiagnose(s.ref) {
		return nil
	}
	ds := m.diagFor(s.ref)
	s.follow = true
	var cmd tea.Cmd
	if !ds.busy && (!ds.fixing || ds.moved) {
		// (While a fix runs and Aiven has not moved, the live re-check
		// diagnoses.)
		cmd = m.diagnose(ds)
	}
	s.refresh(m)
	return cmd
}

func (s *diagnoseScreen) transitional(m *Model) bool {
	if ds := s.state(m); ds != nil && ds.fixing {
		return true
	}
	c, _, ok := m.connection(s.ref)
	return ok && c.State.Transitional()
}

// progressLines is the height of the fix's progress area.
func (s *diagnoseScreen) progressLines(m *Model, h int) int {
	ds := s.state(m)
	if ds == nil || ds.finding.ID == "" {
		return 0
	}
	return min(6, max(1, (h-diagHeaderLines)/3))
}

func (s *diagnoseScreen) findings(m *Model) []peering.Finding {
	if ds := s.state(m); ds != nil && ds.diag != nil {
		return ds.diag.Findings
	}
	return nil
}

func (s *diagnoseScreen) selected(m *Model) (peering.Finding, bool) {
	fs := s.findings(m)
	if s.idx < 0 || s.idx >= len(fs) {
		return peering.Finding{}, false
	}
	return fs[s.idx], true
}

func (s *diagnoseScreen) refresh(m *Model) {
	h, w := m.bodyHeight(), m.width
	s.pg.height = max(1, h-diagHeaderLines-s.progressLines(m, h))
	ds := s.state(m)
	if ds == nil {
		s.blocks = nil
		s.pg.setLines(s.aivenOnly(m), w)
		return
	}
	fs := s.findings(m)
	// Keep the selection on the same finding across re-diagnoses.
	s.idx = max(0, min(s.idx, len(fs)-1))
	for i, f := range fs {
		if f.ID == s.sel {
			s.idx = i
			break
		}
	}
	if len(fs) > 0 {
		s.sel = fs[s.idx].ID
	}
	lines, blocks := s.render(m, ds, w)
	s.blocks = blocks
	s.pg.lines = lines
	s.pg.clamp()
	if ds.diag != s.shown {
		s.shown, s.follow = ds.diag, true
	}
	if s.follow && len(blocks) > 0 {
		s.follow = false
		s.scrollToSelection()
	}
}

// scrollToSelection brings the selected finding into view, whole when it fits.
func (s *diagnoseScreen) scrollToSelection() {
	if s.idx >= len(s.blocks) {
		return
	}
	b := s.blocks[s.idx]
	if b[1]-s.pg.height+1 > s.pg.offset {
		s.pg.offset = b[1] - s.pg.height + 1
	}
	if b[0] < s.pg.offset {
		s.pg.offset = b[0]
	}
	s.pg.clamp()
}

// wrapIndent wraps text to w cells after a label of width pad; the lines
// after the first are indented by pad.
func wrapIndent(label, text string, pad, w int) []string {
	var out []string
	for i, l := range wrapWords(text, max(10, w-pad)) {
		if i == 0 {
			out = append(out, label+l)
			continue
		}
		out = append(out, strings.Repeat(" ", pad)+l)
	}
	return out
}

// wrapWords wraps s to room cells at spaces only (ansi.Wrap also breaks at
// hyphens, which cuts names like rg-app in two and makes a command
// misleading). A word longer than a line (a resource id) fills the line
// and breaks after its last '/' that fits, or at the edge.
func wrapWords(s string, room int) []string {
	var lines []string
	var cur strings.Builder
	curW := 0
	flush := func() {
		lines = append(lines, cur.String())
		cur.Reset()
		curW = 0
	}
	add := func(word string, ww int) {
		if curW > 0 {
			cur.WriteByte(' ')
			curW++
		}
		cur.WriteString(word)
		curW += ww
	}
	for _, word := range strings.Fields(s) {
		ww := ansi.StringWidth(word)
		sep := min(curW, 1)
		switch {
		case curW+sep+ww <= room:
			add(word, ww)
			continue
		case ww <= room || ww != len(word):
			// A word that fits a line of its own; or a long one with styles
			// or wide characters, which is only ever hard-wrapped.
			if curW > 0 {
				flush()
			}
			if ww <= room {
				add(word, ww)
				continue
			}
			parts := strings.Split(ansi.Hardwrap(word, room, false), "\n")
			for _, p := range parts[:len(parts)-1] {
				lines = append(lines, p)
			}
			last := parts[len(parts)-1]
			add(last, ansi.StringWidth(last))
			continue
		}
		// A long plain word: fill the line, breaking after a '/'.
		for word != "" {
			free := room - curW - min(curW, 1)
			if free < 8 && curW > 0 {
				flush()
				free = room
			}
			if len(word) <= free {
				add(word, len(word))
				break
			}
			cut := free
			if i := strings.LastIndexByte(word[:free], '/'); i > 0 {
				cut = i + 1
			}
			add(word[:cut], cut)
			flush()
			word = word[cut:]
		}
	}
	if curW > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// render lays out the findings, the unchecked facts and the summary.
func (s *diagnoseScreen) render(m *Model, ds *diagState, w int) ([]string, [][2]int) {
	st := &m.styles
	if ds.diag == nil {
		return []string{st.Muted.Render("diagnosing: reading both clouds…")}, nil
	}
	d := ds.diag
	const pad = 14
	label := func(l string) string { return "    " + st.Label.Render(fit(l, pad-4)) }
	var lines []string
	var blocks [][2]int
	for i, f := range d.Findings {
		start := len(lines)
		sev, t := severityLabel(f.Severity)
		head := sev + "  " + f.ID
		if i == s.idx {
			lines = append(lines, st.Selected.Render(fit("▸ "+head, max(1, w))))
		} else {
			lines = append(lines, "  "+st.of(t).Render(sev)+"  "+st.Title.Render(f.ID))
		}
		lines = append(lines, wrapIndent("    ", f.Cause, 4, w)...)
		for j, e := range f.Evidence {
			l := strings.Repeat(" ", pad)
			if j == 0 {
				l = label("evidence")
			}
			lines = append(lines, wrapIndent(l, e, pad, w)...)
		}
		if f.Fix != "" {
			lines = append(lines, wrapIndent(label("fix"), f.Fix, pad, w)...)
		}
		if f.Command != "" {
			for _, l := range wrapIndent(label("command"), "$ "+f.Command, pad, w) {
				lines = append(lines, st.Muted.Render(l))
			}
		}
		if f.Action != "" {
			lines = append(lines, wrapIndent(label("azpeer"), st.OK.Render("can do it (enter): ")+actionText(f.Action), pad, w)...)
		} else {
			lines = append(lines, wrapIndent(label("azpeer"), st.Muted.Render("cannot do this itself: the fix above is yours to make"), pad, w)...)
		}
		blocks = append(blocks, [2]int{start, len(lines) - 1})
		lines = append(lines, "")
	}
	if len(d.Findings) == 0 {
		if len(d.Unchecked) > 0 {
			lines = append(lines, st.OK.Render("● no problem found")+st.Muted.Render(" in what could be read (see below)"))
		} else {
			lines = append(lines, st.OK.Render("● no problem found"))
			for _, l := range wrapWords(checkedText, max(10, w-2)) {
				lines = append(lines, "  "+st.Muted.Render(l))
			}
		}
		lines = append(lines, "")
	}
	for _, u := range d.Unchecked {
		lines = append(lines, wrapIndent(st.Stale.Render("? not checked: "), u, 15, w)...)
	}
	return lines, blocks
}

// checkedText says what a diagnosis looks at, so "no problem found" says
// what it vouches for.
const checkedText = "checked: the Aiven connection and VPC, the subscription and its tenant, the VNet and address ranges, " +
	"Aiven's service principal and its role on the VNet, the peering app, its principal, role and secret, and the Azure peering"

// aivenOnly is what can be said without the diagnosis engine (no Azure
// sign-in, or not an Azure peering): Aiven's own account of the state.
func (s *diagnoseScreen) aivenOnly(m *Model) []string {
	st := &m.styles
	c, _, ok := m.connection(s.ref)
	if !ok {
		return []string{st.Pending.Render("This connection is not listed by Aiven (any more).")}
	}
	var lines []string
	switch {
	case s.ref.Key.PeerResourceGroup == "":
		lines = append(lines, st.Muted.Render("azpeer diagnoses Azure VNet peerings; this is Aiven's account only."))
	default:
		lines = append(lines, st.Pending.Render("? not checked: Azure (not signed in): the VNet, roles, service principals and apps"),
			st.Muted.Render("  Sign in to Azure for a full diagnosis; this is Aiven's account only."))
	}
	if msg := c.Message(); msg != "" {
		lines = append(lines, "", st.Label.Render("message"), msg)
	}
	if len(c.StateInfo) > 0 {
		lines = append(lines, "", st.Label.Render("state_info"))
		for _, k := range c.StateInfoKeys() {
			lines = append(lines, fmt.Sprintf("  %s: %v", k, c.StateInfo[k]))
		}
	}
	if hint := stateHint(c); hint != "" {
		lines = append(lines, "", st.Label.Render("what usually causes it"), hint)
	}
	return lines
}

func (s *diagnoseScreen) view(m *Model, w, h int) string {
	st := &m.styles
	ds := s.state(m)
	var b strings.Builder
	b.WriteString(clip(st.Title.Render(fmt.Sprintf("%s › VPC %s › %s/%s", s.ref.Project, short(s.ref.VPCID), s.ref.Key.PeerResourceGroup, s.ref.Key.PeerVPC)), w))
	b.WriteByte('\n')
	b.WriteString(clip(s.stateLine(m, ds), w))
	b.WriteByte('\n')
	b.WriteString(clip(s.summary(m, ds), w))
	b.WriteByte('\n')
	progress := s.progressLines(m, h)
	b.WriteString(fixHeight(s.pg.view(w, max(1, h-diagHeaderLines-progress)), max(1, h-diagHeaderLines-progress)))
	if progress > 0 {
		b.WriteByte('\n')
		b.WriteString(s.progress(m, ds, w, progress))
	}
	return b.String()
}

// stateLine is both sides' state as the diagnosis saw them (Aiven's as
// polled when there is no diagnosis), and when.
func (s *diagnoseScreen) stateLine(m *Model, ds *diagState) string {
	st := &m.styles
	var aiven peering.State
	haveAiven := false
	if ds != nil && ds.diag != nil && ds.diag.Facts != nil && ds.diag.Facts.Connection != nil {
		aiven, haveAiven = ds.diag.Facts.Connection.State, true
	} else if c, _, ok := m.connection(s.ref); ok {
		aiven, haveAiven = c.State, true
	}
	line := st.Label.Render("Aiven ")
	if haveAiven {
		line += st.of(stateTone(aiven)).Render(stateLabel(aiven, false))
	} else {
		line += st.Muted.Render("(no connection)")
	}
	if ds != nil && ds.diag != nil && ds.diag.Facts != nil {
		line += st.Muted.Render(" · ") + st.Label.Render("Azure ") + azureOf(st, ds.diag.Facts)
	}
	switch {
	case ds != nil && ds.busy:
		line += "  " + m.spinner.View() + st.Working.Render(" diagnosing…")
	case ds != nil && ds.diag != nil:
		line += st.Muted.Render(" · diagnosed " + ago(m.now, ds.at))
	}
	return line
}

// azureOf is the Azure peering's state in the facts.
func azureOf(st *Styles, f *peering.Facts) string {
	if f.VNet == nil {
		return st.Muted.Render("VNet not found")
	}
	remote := ""
	if f.Connection != nil {
		remote = f.Connection.ToNetworkID()
	}
	if remote == "" && f.Record != nil {
		remote = f.Record.Output(peering.OutAivenVNetID)
	}
	for _, p := range f.VNet.Peerings {
		if remote != "" && strings.EqualFold(p.RemoteVNetID, remote) {
			return st.of(azureTone(p.PeeringState)).Render(azureLabel(p.PeeringState))
		}
	}
	switch n := len(f.VNet.Peerings); {
	case remote == "" && n == 1:
		// Aiven no longer names its VNet (an ACTIVE connection's state_info
		// may not): the VNet's only peering is the likely one.
		p := f.VNet.Peerings[0]
		return st.of(azureTone(p.PeeringState)).Render(azureLabel(p.PeeringState)) + st.Muted.Render(" ("+p.Name+")")
	case remote == "" && n > 1:
		return st.Muted.Render(fmt.Sprintf("%d peerings, Aiven's not identified", n))
	}
	return st.Gone.Render(azureLabel(""))
}

func (s *diagnoseScreen) summary(m *Model, ds *diagState) string {
	st := &m.styles
	if ds == nil {
		return st.Muted.Render("Aiven's side only")
	}
	if ds.diag == nil {
		return st.Muted.Render("reading both clouds…")
	}
	d := ds.diag
	var errs, warns, infos int
	for _, f := range d.Findings {
		switch f.Severity {
		case peering.SeverityError:
			errs++
		case peering.SeverityWarning:
			warns++
		default:
			infos++
		}
	}
	var line string
	if d.Healthy() {
		line = st.OK.Render("● healthy")
		if n := len(d.Findings); n > 0 {
			line += st.Muted.Render(fmt.Sprintf(" · %d note(s)", n))
		}
	} else {
		var parts []string
		if errs > 0 {
			parts = append(parts, fmt.Sprintf("%d error(s)", errs))
		}
		if warns > 0 {
			parts = append(parts, fmt.Sprintf("%d warning(s)", warns))
		}
		if infos > 0 {
			parts = append(parts, fmt.Sprintf("%d note(s)", infos))
		}
		worst := peering.SeverityWarning
		if errs > 0 {
			worst = peering.SeverityError
		}
		icon, t := severityLabel(worst)
		icon, _, _ = strings.Cut(icon, " ")
		line = st.of(t).Render(icon + " " + strings.Join(parts, ", "))
		if f, ok := s.selected(m); ok {
			line += st.Muted.Render(fmt.Sprintf(" · finding %d/%d: %s", s.idx+1, len(d.Findings), f.ID))
		}
	}
	if n := len(d.Unchecked); n > 0 {
		line += st.Stale.Render(fmt.Sprintf(" · %d not checked", n))
	}
	return line
}

// progress is the fix's state and its latest events.
func (s *diagnoseScreen) progress(m *Model, ds *diagState, w, n int) string {
	st := &m.styles
	f := ds.finding
	var head string
	switch {
	case ds.fixing:
		head = st.Working.Render("▶ fixing " + f.ID)
		if d := elapsed(m.now.Sub(ds.fixStarted)); d != "" {
			head += st.Muted.Render(" · " + d)
		}
		if ds.moved {
			head += st.Muted.Render(" · Aiven ") + st.of(stateTone(ds.fromState)).Render(orNone(ds.fromState)) +
				st.Muted.Render(" → ") + st.of(stateTone(ds.movedTo)).Render(orNone(ds.movedTo))
		} else {
			head += st.Muted.Render(" · re-checking every " + m.opts.fastPoll().String() + " until Aiven's state moves")
		}
	case ds.fixErr != nil:
		head = st.Failed.Render("✗ fix for " + f.ID + " failed: " + errorSummary(ds.fixErr.Error()))
	default:
		head = st.OK.Render(fmt.Sprintf("✓ fix for %s applied in %s", f.ID, elapsed(ds.fixEnded.Sub(ds.fixStarted))))
	}
	lines := []string{head}
	evs := ds.events
	if room := n - 1; len(evs) > room {
		evs = evs[len(evs)-room:]
	}
	for _, e := range evs {
		t := toneNone
		switch e.Kind {
		case peering.EventFailed:
			t = toneFailed
		case peering.EventDone, peering.EventDetected:
			t = toneOK
		case peering.EventRetrying:
			t = tonePending
		case peering.EventState:
			t = toneWorking
		}
		text := e.String()
		if e.Step != "" {
			text = string(e.Step) + "  " + text
		}
		lines = append(lines, "  "+st.Muted.Render(clockTime(e.Time))+"  "+st.of(t).Render(oneLine(text)))
	}
	return fixHeight(clip(strings.Join(lines, "\n"), w), n)
}

func (s *diagnoseScreen) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	ds := s.state(m)
	fs := s.findings(m)
	switch {
	case key.Matches(msg, m.keys.Up):
		if len(fs) == 0 {
			s.pg.key(&m.keys, msg)
			return true, nil
		}
		s.selectIndex(m, s.idx-1)
		return true, nil
	case key.Matches(msg, m.keys.Down):
		if len(fs) == 0 {
			s.pg.key(&m.keys, msg)
			return true, nil
		}
		s.selectIndex(m, s.idx+1)
		return true, nil
	case key.Matches(msg, m.keys.Top):
		s.selectIndex(m, 0)
		s.pg.offset = 0
		return true, nil
	case key.Matches(msg, m.keys.Bottom):
		s.selectIndex(m, len(fs)-1)
		s.pg.key(&m.keys, msg)
		return true, nil
	case key.Matches(msg, m.keys.PageUp), key.Matches(msg, m.keys.PageDown):
		s.pg.key(&m.keys, msg)
		return true, nil
	case key.Matches(msg, m.keys.Fix):
		f, ok := s.selected(m)
		switch {
		case !ok:
			return true, nil
		case f.Action == "":
			m.setStatus("azpeer cannot fix "+f.ID+" itself: "+f.Fix, false)
		case ds.fixing:
			m.setStatus("a fix is already running for this peering", false)
		default:
			m.overlay = &confirmFix{target: s.tkey, finding: f, where: ds.target.String()}
		}
		return true, nil
	case key.Matches(msg, m.keys.Copy):
		f, ok := s.selected(m)
		if !ok || f.Command == "" {
			m.setStatus("this finding has no command to copy", false)
			return true, nil
		}
		m.setStatus("copied (OSC 52): "+f.Command, false)
		return true, tea.SetClipboard(f.Command)
	case key.Matches(msg, m.keys.Refresh):
		if ds == nil {
			return false, nil // Aiven's side only: the global refresh
		}
		cmds := []tea.Cmd{m.poll()}
		if !ds.busy {
			cmds = append(cmds, m.diagnose(ds))
		}
		s.refresh(m)
		return true, tea.Batch(cmds...)
	}
	return false, nil
}

func (s *diagnoseScreen) selectIndex(m *Model, i int) {
	fs := s.findings(m)
	if len(fs) == 0 {
		return
	}
	s.idx = max(0, min(i, len(fs)-1))
	s.sel = fs[s.idx].ID
	s.follow = true
	s.refresh(m)
}

// confirmFix asks before applying a fix; only y applies it.
type confirmFix struct {
	target  string
	finding peering.Finding
	where   string
}

func (o *confirmFix) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	switch msg.String() {
	case "y", "Y":
		return true, m.startFix(o.target, o.finding)
	case "n", "N", "esc":
		m.setStatus("nothing was changed", false)
		return true, nil
	case "ctrl+c":
		return true, m.quit()
	}
	return false, nil
}

func (o *confirmFix) view(m *Model, w, h int) string {
	st := &m.styles
	f := o.finding
	inner := max(10, boxWidth(w)-4)
	lines := []string{"Apply the fix for " + st.Title.Render(f.ID) + "?", ""}
	lines = append(lines, wrapWords("azpeer "+actionText(f.Action)+".", inner)...)
	for _, l := range wrapWords("peering: "+o.where, inner) {
		lines = append(lines, st.Muted.Render(l))
	}
	if f.Action == peering.FixRecreateAiven {
		lines = append(lines, "", st.Pending.Render("The Aiven connection is deleted first."))
	}
	lines = append(lines, "", st.Title.Render("y")+" apply · "+st.Title.Render("n/esc")+" cancel")
	return m.centered("apply fix?", strings.Join(lines, "\n"), w, h)
}
