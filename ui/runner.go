package ui

import (
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// runState is one open run (a checklist). The runbook executes in a
// command; its events come back through events, drained by a command that
// Update re-arms, and every event refreshes rec from run.Record() (a copy,
// safe while the run goes on). Quitting cancels the run's context; the run
// record makes it resumable.
type runState struct {
	key     string
	target  peering.Target
	run     *peering.Run
	events  chan peering.Event
	rec     peering.Record
	running bool
	// step is the step being run alone ("" while running all).
	step   peering.StepID
	cancel context.CancelFunc
	// lastErr is how the last invocation ended (nil when it succeeded).
	lastErr error
}

// runOpenedMsg answers opening a run.
type runOpenedMsg struct {
	key      string
	run      *peering.Run
	err      error
	startAll bool
}

// runEventMsg is one runbook event.
type runEventMsg struct {
	key string
	ev  peering.Event
}

// runDoneMsg says an invocation (one step or all) returned.
type runDoneMsg struct {
	key string
	err error
}

func openRun(rb *peering.Runbook, t peering.Target, o peering.Options, startAll bool) tea.Cmd {
	key := t.Key()
	return func() tea.Msg {
		r, err := rb.Open(t, o)
		return runOpenedMsg{key: key, run: r, err: err, startAll: startAll}
	}
}

// waitRunEvent delivers the next event of a run.
func waitRunEvent(ctx context.Context, key string, ch <-chan peering.Event) tea.Cmd {
	return waitEvent(ctx, ch, func(ev peering.Event) tea.Msg { return runEventMsg{key: key, ev: ev} })
}

// waitEvent delivers the next value on ch as msg(v); nothing once ch is
// closed (the stream ended) or ctx is done.
func waitEvent[T any](ctx context.Context, ch <-chan T, msg func(T) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		select {
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			return msg(ev)
		case <-ctx.Done():
			return nil
		}
	}
}

// invoke runs all remaining steps (step == "") or one step.
func invoke(ctx, session context.Context, j *job, rs *runState, step peering.StepID) tea.Cmd {
	run, key, ch := rs.run, rs.key, rs.events
	sink := func(e peering.Event) {
		select {
		case ch <- e:
		case <-session.Done():
		}
	}
	return func() tea.Msg {
		if !j.start() {
			return nil // the dashboard closed before this ran
		}
		defer j.done()
		var err error
		if step == "" {
			err = run.RunAll(ctx, sink)
		} else {
			err = run.RunStep(ctx, step, sink)
		}
		return runDoneMsg{key: key, err: err}
	}
}

// startRun begins an invocation on rs; it is Update's half of invoke.
func (m *Model) startRun(rs *runState, step peering.StepID) tea.Cmd {
	if m.opts.ReadOnly {
		m.setStatus(readOnlyRefusal("running the checklist"), true)
		return nil
	}
	if rs.running {
		m.setStatus("a step is already running; wait for it (or quit to stop it)", false)
		return nil
	}
	ctx, cancel := context.WithCancel(m.ctx)
	rs.running, rs.step, rs.cancel, rs.lastErr = true, step, cancel, nil
	return tea.Batch(invoke(ctx, m.ctx, m.jobs.add(), rs, step), m.startSpinner(), m.rearm())
}

// jobEnded says how a job that changed a peering ended — done, stopped
// (cancelled: it resumes from its record) or failed (failed, then the
// error's first line) — ends its context, and returns the refresh of the
// inventory the change calls for.
func (m *Model) jobEnded(cancel *context.CancelFunc, err error, done, stopped, failed string) tea.Cmd {
	if *cancel != nil {
		(*cancel)()
		*cancel = nil
	}
	switch {
	case err == nil:
		m.setStatus(done, false)
	case errors.Is(err, context.Canceled):
		m.setStatus(stopped, false)
	default:
		m.setStatus(failed+oneLine(err.Error()), true)
	}
	if m.aiven != nil && !m.fetching {
		return m.poll()
	}
	return nil
}

// anyRunning reports whether a runbook invocation (or a fix) is in flight.
func (m *Model) anyRunning() bool {
	for _, rs := range m.runs {
		if rs.running {
			return true
		}
	}
	return m.fixRunning() || m.deleting()
}

// stopRuns cancels every invocation and fix (quitting).
func (m *Model) stopRuns() {
	for _, rs := range m.runs {
		if rs.cancel != nil {
			rs.cancel()
		}
	}
	m.stopFixes()
	m.stopDeletes()
}

// CloseRuns waits for the runbook invocations to return and closes every
// run (saving its record and releasing its lock). ui.Run calls it after the
// program ends.
func (m *Model) CloseRuns() error {
	m.stopRuns()
	m.jobs.wait()
	var first error
	for _, rs := range m.runs {
		if err := rs.run.Close(); err != nil && first == nil {
			first = err
		}
	}
	m.runs = map[string]*runState{}
	if err := m.closeDeletes(); err != nil && first == nil {
		first = err
	}
	for _, ds := range m.diags {
		if ds.handedOver != nil && ds.fixJob != nil && !ds.fixJob.started() {
			if err := ds.handedOver.Close(); err != nil && first == nil {
				first = err
			}
			ds.handedOver = nil
		}
	}
	return first
}

// openChecklist opens (or returns to) the run of a target; startAll runs
// every remaining step at once.
func (m *Model) openChecklist(t peering.Target, o peering.Options, startAll bool) tea.Cmd {
	if m.deps.Runbook == nil {
		m.setStatus("the checklist needs Azure: sign in to Azure first", true)
		return nil
	}
	key := t.Key()
	if rs := m.runs[key]; rs != nil {
		if _, ok := m.top().(*wizardScreen); ok {
			m.stack = m.stack[:len(m.stack)-1]
		}
		cmd := m.push(newChecklistScreen(key, t.Project))
		if startAll && !rs.running {
			cmd = tea.Batch(cmd, m.startRun(rs, ""))
		}
		return cmd
	}
	if m.opening[key] {
		return nil // a double key press: the run is already being opened
	}
	m.opening[key] = true
	m.setStatus("opening the run for "+t.String()+"…", false)
	return openRun(m.deps.Runbook, t, o, startAll)
}

func (m *Model) runOpened(msg runOpenedMsg) tea.Cmd {
	delete(m.opening, msg.key)
	if msg.err != nil {
		m.setStatus(oneLine(msg.err.Error()), true)
		return nil
	}
	if old := m.runs[msg.key]; old != nil {
		// Opened twice (a double key press): keep the first, and close
		// the second (a file write) in a command.
		run := msg.run
		return func() tea.Msg { _ = run.Close(); return nil }
	}
	rec := msg.run.Record()
	rs := &runState{key: msg.key, target: rec.Target, run: msg.run, events: make(chan peering.Event, 256), rec: rec}
	m.runs[msg.key] = rs
	m.setStatus("", false)
	if _, ok := m.top().(*wizardScreen); ok {
		// The checklist replaces the wizard: esc goes back to the project.
		m.stack = m.stack[:len(m.stack)-1]
	}
	cmds := []tea.Cmd{m.push(newChecklistScreen(msg.key, rec.Target.Project)), waitRunEvent(m.ctx, rs.key, rs.events)}
	if msg.startAll {
		cmds = append(cmds, m.startRun(rs, ""))
	}
	return tea.Batch(cmds...)
}
