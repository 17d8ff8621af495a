package ui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// Model is the dashboard's single root model.
type Model struct {
	deps Deps
	opts Options
	keys Keys

	// ctx lives as long as the program; commands use it, quitting cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	jobs   *jobs

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

	// data is what the dashboard knows (the screens draw from it).
	data

	fetching bool
	fetchGen int
	tick     int
	paused   bool
	failures int

	seq     int
	opening map[string]bool

	stack   []screen
	overlay overlay
	status  string
	errorSt bool

	prompt   *field
	signIn   *signIn
	quitting bool
}

// New builds the dashboard's model without starting a program (ui.Run
// does that); tests drive it with Update.
func New(deps Deps, opts Options) *Model {
	ctx, cancel := context.WithCancel(context.Background())
	m := &Model{
		deps: deps, opts: opts, keys: opts.keys(),
		ctx: ctx, cancel: cancel, jobs: &jobs{},
		width: 80, height: 24, isDark: true,
		help:    help.New(),
		spinner: spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		clock:   opts.clock(),
		aiven:   deps.Aiven,
		data:    newData(),
		opening: map[string]bool{},
		paused:  opts.NoAutoRefresh,
	}
	m.now = m.clock()
	if opts.Width > 0 && opts.Height > 0 {
		m.width, m.height = opts.Width, opts.Height
	}
	m.setStyles(opts.Theme != "light")
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
	cmds := []tea.Cmd{clockTick()}
	if m.opts.Theme == "" || m.opts.Theme == "auto" {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	if m.aiven != nil {
		cmds = append(cmds, m.poll())
	}
	if m.deps.DeviceCode != nil {
		cmds = append(cmds, waitDeviceCode(m.ctx, m.deps.DeviceCode))
	}
	if m.deps.WhoAmI != nil && m.deps.Network != nil {
		cmds = append(cmds, fetchWhoAmI(m.ctx, m.deps.WhoAmI))
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
	m.top().refresh(m.common())
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
		return m, m.pollScope(m.tickScope())
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
			m.signedInToAzure()
			m.observeSync(prev.vnet, msg.vnet, msg.at)
		}
		m.azure[key] = side
		m.top().refresh(m.common())
		return m, nil
	case recordMsg:
		if cur, ok := m.records[msg.key]; ok && cur.seq > msg.seq {
			return m, nil
		}
		m.records[msg.key] = recordEntry{seq: msg.seq, rec: msg.rec, err: msg.err}
		m.top().refresh(m.common())
		return m, nil
	case subscriptionsMsg, vnetsMsg:
		if w, ok := m.top().(*wizardScreen); ok {
			return m, w.data(m, msg)
		}
		return m, nil
	case whoamiMsg:
		if msg.err != nil {
			m.signInFailed(msg.err)
			return m, nil
		}
		m.who = &msg.who
		m.signedInToAzure()
		m.top().refresh(m.common())
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
		m.showDeviceCode(DeviceCodeMessage(msg))
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
			m.signedInToAzure()
		}
		m.refreshRunViews(rs.key)
		return m, waitRunEvent(m.ctx, rs.key, rs.events)
	case runDoneMsg:
		rs := m.runs[msg.key]
		if rs == nil {
			return m, nil
		}
		rs.running, rs.step, rs.lastErr = false, "", msg.err
		rs.rec = rs.run.Record()
		// A StepError's "what to do" is in the checklist.
		cmd := m.jobEnded(&rs.cancel, msg.err, "run finished: "+rs.target.String(), "run stopped; it resumes from its record", "")
		m.refreshRunViews(rs.key)
		return m, cmd
	case fixEventMsg:
		return m, m.fixEvent(msg)
	case connectivityMsg:
		m.showConnectivity(msg)
		return m, nil
	case diagnosisMsg, fixDoneMsg, recheckMsg:
		return m, m.diagnoseUpdate(msg)
	case deletePlanMsg, deleteEventMsg, deleteDoneMsg, deleteReleasedMsg:
		return m, m.deleteUpdate(msg)
	case tea.KeyPressMsg:
		return m, m.keyPress(msg)
	case tea.PasteMsg:
		if m.prompt != nil {
			m.prompt.Update(msg)
			return m, nil
		}
		if p, ok := m.overlay.(paster); ok {
			p.paste(msg.Content)
			return m, nil
		}
		if p, ok := m.top().(paster); ok {
			p.paste(msg.Content)
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
			s.refresh(m.common())
		}
	case *detailScreen:
		if key == "" || s.ref.target().Key() == key {
			s.refresh(m.common())
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
	if handled, cmd := m.signInKey(msg); handled {
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

func (m *Model) nextSeq() int {
	m.seq++
	return m.seq
}
