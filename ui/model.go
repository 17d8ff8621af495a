package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/azpeer/azpeer/peering"
)

// screen is one level of the navigation stack. Screens are plain structs
// with methods; the root model owns the data they draw from.
type screen interface {
	// crumb is the screen's breadcrumb segment.
	crumb() string
	keyMap(k *Keys) keyMap
	// enter is called when the screen is pushed: it may start reads.
	enter(m *Model) tea.Cmd
	// refresh rebuilds the screen from the model's data (new data, resize,
	// or coming back to it).
	refresh(m *Model)
	// capturing reports whether a text field has the keyboard.
	capturing() bool
	// key handles a key; handled=false lets the root apply global keys.
	key(m *Model, msg tea.KeyPressMsg) (handled bool, cmd tea.Cmd)
	view(m *Model, w, h int) string
	// scope is the project whose data the screen shows ("" = all).
	scope() string
	// transitional reports whether something on screen is expected to
	// change soon, which makes polling fast.
	transitional(m *Model) bool
	// poll returns extra reads to make with each refresh (e.g. Azure).
	poll(m *Model) tea.Cmd
}

// paster is a screen with a text field that takes pasted text.
type paster interface {
	paste(m *Model, text string)
}

// overlay is a modal layer over the body: help, a dialog, a panel.
type overlay interface {
	key(m *Model, msg tea.KeyPressMsg) (closed bool, cmd tea.Cmd)
	view(m *Model, w, h int) string
}

// Model is the dashboard's single root model.
type Model struct {
	deps Deps
	opts Options
	keys Keys

	// ctx lives as long as the program; commands use it, quitting cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     *sync.WaitGroup

	width, height int
	isDark        bool
	styles        Styles
	help          help.Model
	spinner       spinner.Model
	spinning      bool
	// clock is the time source (Options.Clock); now is its reading at the
	// last clock tick, which relative times on screen are measured from.
	clock func() time.Time
	now   time.Time

	aiven peering.Aiven
	user  peering.AivenUser
	inv   []peering.Project

	loaded      bool
	fetching    bool
	fetchGen    int
	tick        int
	paused      bool
	refreshedAt time.Time
	pollErr     error
	failures    int

	seq       int
	lastState map[connRef]peering.State
	observed  map[connRef][]observation
	azure     map[string]azureSide
	records   map[string]recordEntry
	runs      map[string]*runState
	opening   map[string]bool
	// diags are the diagnoses (and fixes) by target key.
	diags map[string]*diagState

	stack   []screen
	overlay overlay
	status  string
	errorSt bool

	prompt     *field
	deviceCode *DeviceCodeMessage
	quitting   bool
}

// New builds the dashboard's model without starting a program (ui.Run
// does that); tests drive it with Update.
func New(deps Deps, opts Options) *Model {
	ctx, cancel := context.WithCancel(context.Background())
	m := &Model{
		deps: deps, opts: opts, keys: DefaultKeys(),
		ctx: ctx, cancel: cancel, wg: &sync.WaitGroup{},
		width: 80, height: 24, isDark: true,
		help:      help.New(),
		spinner:   spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		clock:     opts.clock(),
		aiven:     deps.Aiven,
		lastState: map[connRef]peering.State{},
		observed:  map[connRef][]observation{},
		azure:     map[string]azureSide{},
		records:   map[string]recordEntry{},
		runs:      map[string]*runState{},
		opening:   map[string]bool{},
		diags:     map[string]*diagState{},
		paused:    opts.NoAutoRefresh,
	}
	m.now = m.clock()
	if opts.Width > 0 && opts.Height > 0 {
		m.width, m.height = opts.Width, opts.Height
	}
	m.setStyles(true)
	m.user.Email = deps.Identity.AivenUser
	m.stack = []screen{newProjectsScreen()}
	if opts.Project != "" {
		m.stack = append(m.stack, newProjectScreen(opts.Project))
	}
	if m.aiven == nil && deps.AivenLogin != nil {
		m.prompt = &field{prompt: "Aiven API token: ", mask: true, focused: true,
			placeholder: "paste a token (Aiven console → User information → Tokens)"}
	}
	m.layout()
	return m
}

func (m *Model) setStyles(isDark bool) {
	m.isDark = isDark
	m.styles = NewStyles(isDark)
	m.help.Styles = m.styles.Help
	m.spinner.Style = m.styles.Working
}

// Init starts the first read, the clock and the device-code listener.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, clockTick()}
	if m.aiven != nil {
		cmds = append(cmds, m.poll())
	}
	if m.deps.DeviceCode != nil {
		cmds = append(cmds, waitDeviceCode(m.ctx, m.deps.DeviceCode))
	}
	for _, s := range m.stack[1:] {
		cmds = append(cmds, s.enter(m))
	}
	return tea.Batch(cmds...)
}

func (m *Model) top() screen { return m.stack[len(m.stack)-1] }

// push opens a screen on top of the stack.
func (m *Model) push(s screen) tea.Cmd {
	m.stack = append(m.stack, s)
	m.layout()
	return tea.Batch(s.enter(m), m.rearm())
}

// pop goes back one screen.
func (m *Model) pop() tea.Cmd {
	if len(m.stack) <= 1 {
		return nil
	}
	m.stack = m.stack[:len(m.stack)-1]
	m.layout()
	return m.rearm()
}

// bodyHeight is what is left for the screen under the header lines and
// above the status and help lines.
func (m *Model) bodyHeight() int { return max(1, m.height-4) }

// layout resizes the top screen and rebuilds it from the data.
func (m *Model) layout() {
	m.help.SetWidth(m.width)
	m.top().refresh(m)
}

// Update applies one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 20), max(msg.Height, 6)
		m.layout()
		return m, nil
	case tea.BackgroundColorMsg:
		m.setStyles(msg.IsDark())
		m.layout()
		return m, nil
	case clockMsg:
		m.now = m.clock()
		if m.anyRunning() {
			// Elapsed times of running steps move with the clock.
			m.refreshRunViews("")
		}
		return m, clockTick()
	case spinner.TickMsg:
		if !m.fetching && !m.anyRunning() && !m.diagBusy() {
			m.spinning = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	case pollTickMsg:
		if msg.tick != m.tick || m.paused || m.fetching {
			return m, nil
		}
		return m, m.poll()
	case inventoryMsg:
		return m, m.applyInventory(msg)
	case azureMsg:
		key := strings.ToLower(msg.vnetID)
		if cur, ok := m.azure[key]; ok && cur.seq > msg.seq {
			return m, nil
		}
		prev := m.azure[key]
		side := azureSide{seq: msg.seq, vnet: msg.vnet, err: msg.err, at: msg.at}
		if msg.err != nil {
			// Keep what was seen, marked with the error.
			side.vnet = prev.vnet
		} else {
			m.deviceCode = nil
		}
		m.azure[key] = side
		m.top().refresh(m)
		return m, nil
	case recordMsg:
		if cur, ok := m.records[msg.key]; ok && cur.seq > msg.seq {
			return m, nil
		}
		m.records[msg.key] = recordEntry{seq: msg.seq, rec: msg.rec, err: msg.err}
		m.top().refresh(m)
		return m, nil
	case subscriptionsMsg, vnetsMsg:
		if w, ok := m.top().(*wizardScreen); ok {
			return m, w.data(m, msg)
		}
		return m, nil
	case loginMsg:
		if msg.err != nil {
			m.setStatus("Aiven sign-in failed: "+msg.err.Error(), true)
			return m, nil
		}
		m.aiven, m.prompt = msg.api, nil
		m.setStatus("signed in to Aiven", false)
		return m, m.poll()
	case deviceCodeMsg:
		dc := DeviceCodeMessage(msg)
		m.deviceCode = &dc
		return m, waitDeviceCode(m.ctx, m.deps.DeviceCode)
	case runOpenedMsg:
		return m, m.runOpened(msg)
	case runEventMsg:
		rs := m.runs[msg.key]
		if rs == nil {
			return m, nil // the run was closed (a fix took it over)
		}
		rs.rec = rs.run.Record()
		if msg.ev.Kind == peering.EventState || msg.ev.Kind == peering.EventDone {
			m.deviceCode = nil
		}
		m.refreshRunViews(rs.key)
		return m, waitRunEvent(m.ctx, rs.key, rs.events)
	case runDoneMsg:
		rs := m.runs[msg.key]
		if rs == nil {
			return m, nil
		}
		rs.running, rs.step, rs.lastErr = false, "", msg.err
		if rs.cancel != nil {
			rs.cancel()
			rs.cancel = nil
		}
		rs.rec = rs.run.Record()
		switch {
		case msg.err == nil:
			m.setStatus("run finished: "+rs.target.String(), false)
		case errors.Is(msg.err, context.Canceled):
			m.setStatus("run stopped; it resumes from its record", false)
		default:
			// The first line; a StepError's "what to do" is in the checklist.
			m.setStatus(oneLine(msg.err.Error()), true)
		}
		m.refreshRunViews(rs.key)
		// The peering changed: refresh the inventory now.
		if m.aiven != nil && !m.fetching {
			return m, m.poll()
		}
		return m, nil
	case fixEventMsg:
		return m, m.fixEvent(msg)
	case diagnosisMsg, fixDoneMsg, recheckMsg:
		return m, m.diagnoseUpdate(msg)
	case tea.KeyPressMsg:
		return m, m.keyPress(msg)
	case tea.PasteMsg:
		if m.prompt != nil {
			m.prompt.Update(msg)
			return m, nil
		}
		if p, ok := m.top().(paster); ok {
			p.paste(m, msg.Content)
		}
		return m, nil
	}
	return m, nil
}

// refreshRunViews rebuilds the top screen when it shows a run (key, or
// any run when key is ""): a big project table is not rebuilt per event.
func (m *Model) refreshRunViews(key string) {
	switch s := m.top().(type) {
	case *checklistScreen:
		if key == "" || s.runKey == key {
			s.refresh(m)
		}
	case *detailScreen:
		if key == "" || targetKey(s.ref.target()) == key {
			s.refresh(m)
		}
	}
}

func (m *Model) keyPress(msg tea.KeyPressMsg) tea.Cmd {
	if m.overlay != nil {
		closed, cmd := m.overlay.key(m, msg)
		if closed {
			m.overlay = nil
		}
		return cmd
	}
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.prompt != nil {
		return m.promptKey(msg)
	}
	top := m.top()
	if top.capturing() {
		_, cmd := top.key(m, msg)
		return cmd
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.quit()
	case key.Matches(msg, m.keys.Help):
		m.overlay = &helpOverlay{}
		return nil
	}
	if handled, cmd := top.key(m, msg); handled {
		return cmd
	}
	switch {
	case key.Matches(msg, m.keys.Back):
		if m.deviceCode != nil {
			m.deviceCode = nil
			return nil
		}
		return m.pop()
	case key.Matches(msg, m.keys.Refresh):
		if m.aiven == nil {
			return nil
		}
		m.setStatus("refreshing…", false)
		return m.poll()
	case key.Matches(msg, m.keys.Pause):
		m.paused = !m.paused
		if m.paused {
			m.tick++
			m.setStatus("auto-refresh paused (p resumes, r refreshes once)", false)
			return nil
		}
		m.setStatus("auto-refresh resumed", false)
		return m.poll()
	}
	return nil
}

func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		tok := strings.TrimSpace(m.prompt.Value())
		if tok == "" {
			return nil
		}
		m.prompt.SetValue("")
		m.setStatus("signing in to Aiven…", false)
		return login(m.ctx, m.deps.AivenLogin, tok)
	case "esc":
		return m.quit()
	}
	m.prompt.Update(msg)
	return nil
}

// quit leaves at once, or asks first while a step runs.
func (m *Model) quit() tea.Cmd {
	if m.anyRunning() && !m.quitting {
		m.overlay = &confirmQuit{}
		return nil
	}
	m.quitting = true
	m.stopRuns()
	m.cancel()
	return tea.Quit
}

func (m *Model) setStatus(s string, isErr bool) {
	m.status, m.errorSt = s, isErr
}

// poll starts a refresh now; its reply schedules the next one.
func (m *Model) poll() tea.Cmd {
	if m.aiven == nil {
		return nil
	}
	m.fetchGen++
	m.tick++ // a pending tick would only duplicate this refresh
	m.fetching = true
	top := m.top()
	return tea.Batch(fetchInventory(m.ctx, m.aiven, m.clock, m.fetchGen, top.scope()), top.poll(m), m.startSpinner())
}

// rearm schedules the next poll for the screen now on top.
func (m *Model) rearm() tea.Cmd {
	m.tick++
	if m.paused || m.aiven == nil || m.fetching || !m.loaded && m.pollErr == nil {
		return nil
	}
	t := m.tick
	return tea.Tick(m.interval(), func(time.Time) tea.Msg { return pollTickMsg{tick: t} })
}

// interval is fast while something visible moves, slow when all is
// settled, and backs off (honouring Retry-After) while polls fail.
func (m *Model) interval() time.Duration {
	fast, slow := m.opts.fastPoll(), m.opts.slowPoll()
	if m.pollErr != nil {
		d := fast << min(max(m.failures-1, 0), 4)
		d = min(d, slow)
		return max(d, retryAfter(m.pollErr))
	}
	if m.anyRunning() || m.top().transitional(m) {
		return fast
	}
	return slow
}

func (m *Model) startSpinner() tea.Cmd {
	if m.spinning {
		return nil
	}
	m.spinning = true
	return m.spinner.Tick
}

// applyInventory takes a poll's reply. A failed poll keeps the data on
// screen, marked stale, with the error in the status line.
func (m *Model) applyInventory(msg inventoryMsg) tea.Cmd {
	if msg.gen != m.fetchGen {
		return nil // overtaken by a newer request
	}
	m.fetching = false
	var unknown *peering.UnknownProjectError
	switch {
	case errors.As(msg.err, &unknown) && msg.scope != "":
		m.inv = slices.DeleteFunc(m.inv, func(p peering.Project) bool { return p.Name == msg.scope })
		m.pollErr, m.failures = nil, 0
		m.refreshedAt = msg.at
		m.setStatus(unknown.Error(), true)
	case msg.err != nil:
		m.pollErr = msg.err
		m.failures++
	default:
		m.pollErr, m.failures = nil, 0
		if msg.inv.User.Email != "" {
			m.user = msg.inv.User
		}
		m.merge(msg.scope, msg.inv.Projects, msg.at)
		m.refreshedAt = msg.at
		m.loaded = true
		if m.status == "refreshing…" {
			m.status = ""
		}
	}
	m.top().refresh(m)
	return m.rearm()
}

// merge puts fresh projects into the inventory and records state changes.
func (m *Model) merge(scope string, fresh []peering.Project, at time.Time) {
	if scope == "" {
		m.inv = fresh
	} else {
		for _, p := range fresh {
			i := slices.IndexFunc(m.inv, func(q peering.Project) bool { return q.Name == p.Name })
			if i >= 0 {
				m.inv[i] = p
			} else {
				m.inv = append(m.inv, p)
				slices.SortFunc(m.inv, func(a, b peering.Project) int { return strings.Compare(a.Name, b.Name) })
			}
		}
	}
	for _, p := range fresh {
		for _, v := range p.VPCs {
			for _, c := range v.Peerings {
				ref := connRef{Project: p.Name, VPCID: v.ID, Key: c.Key()}
				prev, seen := m.lastState[ref]
				if seen && prev == c.State {
					continue
				}
				m.lastState[ref] = c.State
				obs := append(m.observed[ref], observation{At: at, From: prev, To: c.State})
				if len(obs) > maxObservations {
					obs = obs[len(obs)-maxObservations:]
				}
				m.observed[ref] = obs
			}
		}
	}
}

// project returns a project by name.
func (m *Model) project(name string) (*peering.Project, bool) {
	for i := range m.inv {
		if m.inv[i].Name == name {
			return &m.inv[i], true
		}
	}
	return nil, false
}

// connection finds a connection (and its VPC) by identity.
func (m *Model) connection(ref connRef) (peering.Connection, peering.VPC, bool) {
	p, ok := m.project(ref.Project)
	if !ok {
		return peering.Connection{}, peering.VPC{}, false
	}
	for _, v := range p.VPCs {
		if v.ID == ref.VPCID {
			c, ok := v.Find(ref.Key)
			return c, v, ok
		}
	}
	return peering.Connection{}, peering.VPC{}, false
}

func (m *Model) nextSeq() int {
	m.seq++
	return m.seq
}

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
		body = m.top().view(m, w, bodyH)
		if m.deviceCode != nil {
			body = m.deviceCodePanel(w) + "\n" + body
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
	return m.top().keyMap(&m.keys)
}

// fixHeight pads or cuts s to exactly h lines.
func fixHeight(s string, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
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

// ago says how long ago t was, in whole seconds, minutes or hours.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < time.Second {
		return "just now"
	}
	return age(now, t) + " ago"
}

func (m *Model) identityLine(w int) string {
	s := &m.styles
	id := m.deps.Identity
	var parts []string
	if id.Sandbox {
		parts = append(parts, s.Sandbox.Render("SANDBOX"))
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
		if n := m.failuresVisible(); n > 0 {
			line = s.StatusError.Render(fmt.Sprintf("⚠ %d item(s) could not be read; they are marked", n))
		}
	}
	return ansi.Truncate(line, w, "…")
}

func (m *Model) failuresVisible() int {
	n := 0
	for _, p := range m.inv {
		if p.Err != nil {
			n++
		}
		for _, v := range p.VPCs {
			if v.Err != nil {
				n++
			}
		}
	}
	return n
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

func (m *Model) deviceCodePanel(w int) string {
	s := &m.styles
	dc := m.deviceCode
	text := dc.Message
	if text == "" {
		text = "To sign in to Azure, open " + dc.VerificationURL + " and enter the code " + dc.UserCode
	}
	inner := s.BoxTitle.Render("Azure sign-in") + "\n" +
		"open " + s.Title.Render(dc.VerificationURL) + " and enter " + s.Pending.Render(dc.UserCode) + "\n" +
		s.Muted.Render(clip(text, max(10, w-6))) + "\n" + s.Muted.Render("esc hides this panel")
	return s.Box.Width(min(w, 100)).Render(inner)
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
