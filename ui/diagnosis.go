package ui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// Diagnoses and fixes, apart from the screen that draws them
// (screen_diagnose.go): the state of each peering's diagnosis, the
// requests that refresh it, and a fix's run from the confirmation to the
// re-diagnosis at its end. All IO runs in commands.

// diagState is the diagnosis of one peering. It lives on the model (by
// target key), not on the screen, so a fix goes on, and its progress is
// still there, when the user leaves the screen and comes back.
type diagState struct {
	ref    connRef
	target peering.Target
	// fixJob is the running fix's job; handedOver the checklist run the
	// fix took over, which its command closes (or CloseRuns, when the
	// command never ran).
	fixJob     *job
	handedOver *peering.Run

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
	// recheckEvery is how often the diagnosis is re-run while the fix
	// runs, until Aiven's state moves.
	recheckEvery time.Duration
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

// fixKey names one fix: the target key of its peering (m.diags' key) and
// the fix's generation there. Messages of an earlier fix of the same
// peering carry an older gen and are dropped.
type fixKey struct {
	target string
	gen    int
}

// fixEventMsg is one event of a running fix.
type fixEventMsg struct {
	fix fixKey
	ev  peering.Event
}

// fixDoneMsg says a fix returned.
type fixDoneMsg struct {
	fix fixKey
	err error
}

// recheckMsg fires a live re-check while a fix runs.
type recheckMsg struct{ fix fixKey }

// fix names ds's latest fix.
func (ds *diagState) fix() fixKey { return fixKey{target: ds.target.Key(), gen: ds.fixGen} }

// fixOf returns the diagnosis whose latest fix is k, or nil (a message of
// an earlier fix).
func (m *Model) fixOf(k fixKey) *diagState {
	if ds := m.diags[k.target]; ds != nil && ds.fixGen == k.gen {
		return ds
	}
	return nil
}

// canDiagnose reports whether the engine can diagnose ref: it needs Azure
// (the runbook's adapters) and an Azure VNet peering.
func (m *Model) canDiagnose(ref connRef) bool {
	return m.deps.Runbook != nil && ref.Key.PeerResourceGroup != ""
}

func (m *Model) diagFor(ref connRef) *diagState {
	key := ref.target().Key()
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
	ctx, clock, t, key, gen := m.ctx, m.clock, ds.target, ds.target.Key(), ds.gen
	run := func() tea.Msg {
		d := rb.Diagnose(ctx, t, "")
		return diagnosisMsg{key: key, gen: gen, d: d, at: clock()}
	}
	return tea.Batch(run, m.startSpinner())
}

// recheckAfter schedules the next live re-check of a running fix.
func (m *Model) recheckAfter(ds *diagState) tea.Cmd {
	k := ds.fix()
	return tea.Tick(ds.recheckEvery, func(time.Time) tea.Msg { return recheckMsg{fix: k} })
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
		key = msg.fix.target
		ds := m.fixOf(msg.fix)
		if ds == nil || !ds.fixing || ds.moved || ds.busy {
			// A diagnosis in flight schedules the next re-check itself.
			return nil
		}
		cmd = m.diagnose(ds)
	case fixDoneMsg:
		key = msg.fix.target
		ds := m.fixOf(msg.fix)
		if ds == nil || !ds.fixing {
			return nil
		}
		ds.fixing, ds.fixErr, ds.fixEnded = false, msg.err, m.clock()
		id := ds.finding.ID
		// The peering changed: diagnose it again, and refresh what other
		// screens show of it (the inventory, the run record).
		cmds := []tea.Cmd{m.jobEnded(&ds.cancel, msg.err, "fix for "+id+" applied; diagnosing again", "fix for "+id+" stopped", "fix for "+id+" failed: "), m.diagnose(ds)}
		if rb := m.deps.Runbook; rb != nil && rb.Store != nil {
			cmds = append(cmds, fetchRecord(rb.Store, m.nextSeq(), key, ds.target))
		}
		cmd = tea.Batch(cmds...)
	}
	m.refreshDiagnosis(key)
	return cmd
}

// fixEvent takes one event of a running fix and waits for the next.
func (m *Model) fixEvent(msg fixEventMsg) tea.Cmd {
	ds := m.fixOf(msg.fix)
	if ds == nil {
		return nil // a stream of an earlier fix: stop draining it
	}
	ds.events = append(ds.events, msg.ev)
	if n := len(ds.events); n > maxFixEvents {
		ds.events = ds.events[n-maxFixEvents:]
	}
	m.refreshDiagnosis(msg.fix.target)
	return waitFixEvent(m.ctx, msg.fix, ds.eventsCh)
}

// waitFixEvent delivers the next event of a fix.
func waitFixEvent(ctx context.Context, k fixKey, ch <-chan peering.Event) tea.Cmd {
	return waitEvent(ctx, ch, func(ev peering.Event) tea.Msg { return fixEventMsg{fix: k, ev: ev} })
}

// aivenStateOf is Aiven's state in a diagnosis ("" when there is no connection).
func aivenStateOf(d peering.Diagnosis) peering.State {
	if d.Facts == nil || d.Facts.Connection == nil {
		return ""
	}
	return d.Facts.Connection.State
}

// startFix applies a finding's fix in a command (after the confirmation).
func (m *Model) startFix(key string, f peering.Finding) tea.Cmd {
	if m.opts.ReadOnly {
		m.setStatus(readOnlyRefusal("applying a fix"), true)
		return nil
	}
	ds := m.diags[key]
	rb := m.deps.Runbook
	if ds == nil || rb == nil {
		return nil
	}
	facts := &peering.Facts{Target: ds.target}
	switch {
	case ds.diag != nil && ds.diag.Facts != nil:
		facts = ds.diag.Facts
	case f.Action != peering.FixSync:
		// Every other fix needs the facts its finding came from.
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
	ds.fixing, ds.finding, ds.fixStarted, ds.fixEnded, ds.fixErr = true, f, m.clock(), time.Time{}, nil
	ds.events, ds.cancel, ds.recheckEvery = nil, cancel, m.opts.fastPoll()
	ds.fromState, ds.moved, ds.movedTo = "", false, ""
	if ds.diag != nil {
		ds.fromState = aivenStateOf(*ds.diag)
	}
	ch := make(chan peering.Event, 256)
	ds.eventsCh = ch

	session, j, k := m.ctx, m.jobs.add(), ds.fix()
	ds.fixJob, ds.handedOver = j, closeRun
	sink := func(e peering.Event) {
		select {
		case ch <- e:
		case <-session.Done():
		}
	}
	fix := func() tea.Msg {
		if !j.start() {
			return nil // the dashboard closed before this ran (CloseRuns closes closeRun)
		}
		defer j.done()
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
		return fixDoneMsg{fix: k, err: err}
	}
	m.setStatus("applying the fix for "+f.ID+"…", false)
	m.refreshDiagnosis(key)
	return tea.Batch(fix, waitFixEvent(m.ctx, k, ch), m.recheckAfter(ds), m.startSpinner(), m.rearm())
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
		s.refresh(m.common())
	}
}
