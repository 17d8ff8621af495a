package ui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// Deleting a peering from the dashboard: X on a peering reads what the
// delete would remove and keep (peering.Run.PlanDelete, the plan the
// command line's delete asks about too), asks — a yes when everything that
// goes is azpeer's, the typed RESOURCE_GROUP/VNET when it includes what
// azpeer did not create — and then tears down with its progress on the
// delete screen. The delete owns the peering's run (and its lock) from the
// plan to the end: an idle checklist run is taken over, a busy one or a
// running fix refuses.

// deleteState is one peering's delete, by target key.
type deleteState struct {
	target peering.Target
	// run is the peering's run while the delete holds it (nil before the
	// plan is read and after it is closed).
	run  *peering.Run
	plan *peering.DeletePlan
	// planning: the plan is being read; running: the delete goes on;
	// releasing: the run is being closed after the user declined.
	planning, running, releasing bool
	// err is why the last plan or delete failed; done says it finished.
	err            error
	done           bool
	started, ended time.Time
	events         []peering.Event
	cancel         context.CancelFunc
	// job is the plan's while planning, then the running delete's, whose
	// command closes run.
	job *job
}

// deletePlanTimeout bounds reading a plan (each call has its own deadline
// too): without a record it reads both clouds.
const deletePlanTimeout = 2 * time.Minute

// deletePlanMsg answers reading a delete's plan.
type deletePlanMsg struct {
	key  string
	run  *peering.Run
	plan peering.DeletePlan
	err  error
}

// deleteEventMsg is one event of a running delete.
type deleteEventMsg struct {
	key string
	ev  peering.Event
	ch  <-chan peering.Event
}

// deleteDoneMsg says a delete returned (its run is closed).
type deleteDoneMsg struct {
	key string
	err error
}

// planDelete opens the run (unless the delete took an open one over) and
// reads the plan within deletePlanTimeout. It is a job: quitting cancels
// ctx and waits for it, and closes the run it opened.
func planDelete(ctx context.Context, j *job, rb *peering.Runbook, key string, t peering.Target, o peering.Options, run *peering.Run) tea.Cmd {
	return func() tea.Msg {
		if !j.start() {
			return nil // the dashboard closed first (CloseRuns closes a run taken over)
		}
		defer j.done()
		if run == nil {
			r, err := rb.Open(t, o)
			if err != nil {
				return deletePlanMsg{key: key, err: err}
			}
			run = r
			j.open(r)
		}
		ctx, cancel := context.WithTimeout(ctx, deletePlanTimeout)
		defer cancel()
		return deletePlanMsg{key: key, run: run, plan: run.PlanDelete(ctx)}
	}
}

// askDelete starts a delete of t (o are its run's options when a record
// has them): it checks what can be checked at once, opens the delete
// screen and reads the plan.
func (m *Model) askDelete(t peering.Target, o peering.Options) tea.Cmd {
	rb := m.deps.Runbook
	switch {
	case t.ResourceGroup == "":
		m.setStatus("azpeer deletes Azure VNet peerings only", true)
		return nil
	case rb == nil:
		m.setStatus("deleting needs Azure: sign in to Azure first", true)
		return nil
	case m.opts.ReadOnly:
		m.setStatus(readOnlyRefusal("deleting the peering"), true)
		return nil
	}
	key := t.Key()
	if ds := m.deletes[key]; ds != nil && (ds.planning || ds.running || ds.releasing) {
		return m.push(newDeleteScreen(key))
	}
	if dg := m.diags[key]; dg != nil && dg.fixing {
		m.setStatus("a fix is running for this peering; wait for it to end, then delete", true)
		return nil
	}
	// The delete takes the peering's run (and its lock) over from an idle
	// checklist; the checklist reopens it from its record afterwards.
	var run *peering.Run
	if rs := m.runs[key]; rs != nil {
		if rs.running {
			m.setStatus("the checklist is running this peering's steps; wait for it to stop, then delete", true)
			return nil
		}
		run, t, o = rs.run, rs.target, rs.run.Record().Options
		delete(m.runs, key)
		close(rs.events) // nothing sends on it while the run is idle
		if cs, ok := m.top().(*checklistScreen); ok && cs.runKey == key {
			// The delete screen takes the checklist's place.
			m.stack = m.stack[:len(m.stack)-1]
		}
	}
	ctx, cancel := context.WithCancel(m.ctx)
	ds := &deleteState{target: t, planning: true, run: run, cancel: cancel, job: m.jobs.add()}
	m.deletes[key] = ds
	m.setStatus("reading what deleting "+t.String()+" removes…", false)
	return tea.Batch(m.push(newDeleteScreen(key)), planDelete(ctx, ds.job, rb, key, t, o, run), m.startSpinner())
}

// deletePlanned shows the plan and asks for the consent it needs.
func (m *Model) deletePlanned(msg deletePlanMsg) tea.Cmd {
	ds := m.deletes[msg.key]
	if ds == nil {
		return closeRunCmd(msg.run)
	}
	ds.planning, ds.run, ds.err, ds.job = false, msg.run, msg.err, nil
	if ds.cancel != nil {
		ds.cancel()
		ds.cancel = nil
	}
	defer m.refreshDeleteView(msg.key)
	if msg.err != nil {
		m.setStatus(oneLine(msg.err.Error()), true)
		return nil
	}
	plan := msg.plan
	ds.plan = &plan
	if err := plan.Blocked(); err != nil {
		ds.err = err
		m.setStatus(oneLine(err.Error()), true)
		return m.releaseDelete(msg.key)
	}
	switch plan.Consent {
	case peering.ConsentNone:
		m.setStatus("nothing to delete: neither side of "+plan.Target.String()+" exists", false)
		return m.releaseDelete(msg.key)
	case peering.ConsentName:
		m.overlay = newDeleteNameOverlay(msg.key, plan)
	default:
		m.overlay = confirmDelete(msg.key, plan)
	}
	m.setStatus("", false)
	return nil
}

// releaseDelete closes the delete's run (its record stays as it was; the
// checklist reopens it from there), in a command: closing writes a file.
func (m *Model) releaseDelete(key string) tea.Cmd {
	ds := m.deletes[key]
	if ds == nil || ds.run == nil || ds.running {
		return nil
	}
	run := ds.run
	ds.run, ds.releasing = nil, true
	return func() tea.Msg { _ = run.Close(); return deleteReleasedMsg{key: key} }
}

// deleteReleasedMsg says a declined delete's run is closed.
type deleteReleasedMsg struct{ key string }

func closeRunCmd(run *peering.Run) tea.Cmd {
	if run == nil {
		return nil
	}
	return func() tea.Msg { _ = run.Close(); return nil }
}

// startDelete runs the delete the user consented to; name is what they
// typed ("" for a yes).
func (m *Model) startDelete(key, name string) tea.Cmd {
	ds := m.deletes[key]
	if ds == nil || ds.run == nil || ds.plan == nil || ds.running {
		return nil
	}
	if m.opts.ReadOnly {
		m.setStatus(readOnlyRefusal("deleting the peering"), true)
		return m.releaseDelete(key)
	}
	ctx, cancel := context.WithCancel(m.ctx)
	ds.running, ds.done, ds.err, ds.cancel = true, false, nil, cancel
	ds.started, ds.ended, ds.events = m.clock(), time.Time{}, nil
	ch := make(chan peering.Event, 256)
	session, j, run, plan := m.ctx, m.jobs.add(), ds.run, *ds.plan
	ds.job = j
	sink := func(e peering.Event) {
		select {
		case ch <- e:
		case <-session.Done():
		}
	}
	del := func() tea.Msg {
		if !j.start() {
			return nil // the dashboard closed before this ran (CloseRuns closes the run)
		}
		defer j.done()
		err := run.Delete(ctx, plan, name, peering.TeardownOptions{}, sink)
		if cerr := run.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close the peering's run: %w", cerr)
		}
		close(ch) // the sink is not called once Delete has returned
		return deleteDoneMsg{key: key, err: err}
	}
	m.setStatus("deleting "+ds.target.String()+"…", false)
	m.refreshDeleteView(key)
	return tea.Batch(del, waitDeleteEvent(m.ctx, key, ch), m.startSpinner(), m.rearm())
}

func waitDeleteEvent(ctx context.Context, key string, ch <-chan peering.Event) tea.Cmd {
	return waitEvent(ctx, ch, func(ev peering.Event) tea.Msg { return deleteEventMsg{key: key, ev: ev, ch: ch} })
}

// deleteUpdate applies a delete's messages.
func (m *Model) deleteUpdate(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case deletePlanMsg:
		return m.deletePlanned(msg)
	case deleteReleasedMsg:
		if ds := m.deletes[msg.key]; ds != nil {
			ds.releasing = false
		}
	case deleteEventMsg:
		ds := m.deletes[msg.key]
		if ds == nil {
			return nil
		}
		ds.events = append(ds.events, msg.ev)
		m.refreshDeleteView(msg.key)
		return waitDeleteEvent(m.ctx, msg.key, msg.ch)
	case deleteDoneMsg:
		ds := m.deletes[msg.key]
		if ds == nil {
			return nil
		}
		ds.running, ds.run, ds.ended, ds.err, ds.done = false, nil, m.clock(), msg.err, msg.err == nil
		cmd := m.jobEnded(&ds.cancel, msg.err, fmt.Sprintf("deleted %s in %s", ds.target, elapsed(ds.ended.Sub(ds.started))),
			"delete stopped; X goes on from where it stopped", "")
		m.refreshDeleteView(msg.key)
		return cmd
	}
	return nil
}

// deleting reports whether a delete is being planned or run.
func (m *Model) deleting() bool {
	for _, ds := range m.deletes {
		if ds.planning || ds.running {
			return true
		}
	}
	return false
}

// stopDeletes cancels every running delete (quitting); it resumes from
// the run record next time.
func (m *Model) stopDeletes() {
	for _, ds := range m.deletes {
		if ds.cancel != nil {
			ds.cancel()
		}
	}
}

// closeDeletes closes the runs deletes still hold (quitting while a plan
// was read or waited for consent, or before a delete's command ran);
// after jobs.wait. A delete that ran closed its own.
func (m *Model) closeDeletes() error {
	var first error
	for _, ds := range m.deletes {
		if ds.planning && ds.job != nil && ds.run == nil {
			ds.run = ds.job.openedRun() // the plan's message was never applied
		}
		if ds.run != nil && (!ds.running || ds.job == nil || !ds.job.started()) {
			if err := ds.run.Close(); err != nil && first == nil {
				first = err
			}
			ds.run = nil
		}
	}
	return first
}

// refreshDeleteView rebuilds the top screen when it shows key's delete.
func (m *Model) refreshDeleteView(key string) {
	if s, ok := m.top().(*deleteScreen); ok && s.tkey == key {
		s.refresh(m.common())
	}
}
