package ui

import (
	"errors"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// Polling: a refresh of Aiven's side tagged with a generation, re-armed
// by its reply at an interval that follows what is on screen, and the
// clock that moves relative times.

// poll starts a refresh now of everything the screen on top shows; its
// reply schedules the next one.
func (m *Model) poll() tea.Cmd {
	var scope []string
	if p := m.top().scope(); p != "" {
		scope = []string{p}
	}
	return m.pollScope(scope)
}

// pollScope starts a refresh now of the projects in scope (all when empty).
func (m *Model) pollScope(scope []string) tea.Cmd {
	if m.aiven == nil {
		return nil
	}
	m.fetchGen++
	m.tick++ // a pending tick would only duplicate this refresh
	m.fetching = true
	if len(scope) == 0 {
		m.fullAt = m.clock()
	}
	return tea.Batch(fetchInventory(m.ctx, m.aiven, m.clock, m.fetchGen, scope), m.top().poll(m), m.startSpinner())
}

// tickScope is what a timed poll refreshes. A screen of all projects,
// while some connections move, refreshes only the projects they are in
// at the fast interval, and everything at the slow one: on 200 projects a
// full refresh costs some 800 requests, which every 2 s would be 24,000 a
// minute (BENCHMARKS.md).
func (m *Model) tickScope() []string {
	if p := m.top().scope(); p != "" {
		return []string{p}
	}
	if m.clock().Sub(m.fullAt) >= m.opts.slowPoll() {
		return nil
	}
	var moving []string
	for _, p := range m.inv {
		if p.Err != nil || slices.ContainsFunc(p.VPCs, func(v peering.VPC) bool {
			return v.Err != nil || slices.ContainsFunc(v.Peerings, func(c peering.Connection) bool { return c.State.Transitional() })
		}) {
			moving = append(moving, p.Name)
		}
	}
	// An organization's VPCs are read with any of its projects.
	for _, o := range m.orgs {
		if !slices.ContainsFunc(o.VPCs, func(v peering.VPC) bool {
			return slices.ContainsFunc(v.Peerings, func(c peering.Connection) bool { return c.State.Transitional() })
		}) {
			continue
		}
		if i := slices.IndexFunc(m.inv, func(p peering.Project) bool { return p.OrganizationID == o.ID }); i >= 0 && !slices.Contains(moving, m.inv[i].Name) {
			moving = append(moving, m.inv[i].Name)
		}
	}
	return moving
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
	if m.anyRunning() || m.top().transitional(m.common()) {
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
	var bell, first tea.Cmd
	var unknown *peering.UnknownProjectError
	switch {
	case errors.As(msg.err, &unknown) && len(msg.scope) == 1:
		m.inv = slices.DeleteFunc(m.inv, func(p peering.Project) bool { return p.Name == msg.scope[0] })
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
		changed := m.merge(msg.scope, msg.inv, msg.at)
		m.refreshedAt = msg.at
		if changed > 0 && m.opts.Bell {
			// A peering moved (APPROVED → PENDING_PEER → ACTIVE, or failed):
			// the terminal bell tells a person who looked away.
			bell = tea.Raw("\a")
		}
		if !m.loaded {
			// The screen's own reads (the Azure side of what it shows) went
			// out with this poll, before it knew what to read: once more.
			first = m.top().poll(m)
		}
		m.loaded = true
		if m.status == "refreshing…" {
			m.status = ""
		}
	}
	m.top().refresh(m.common())
	return tea.Batch(m.rearm(), bell, first)
}

// pollTickMsg fires the next poll; tick tells chains apart.
type pollTickMsg struct{ tick int }

// clockMsg advances the model's time, which re-renders relative times
// ("refreshed 3s ago", elapsed).
type clockMsg struct{}

func clockTick() tea.Cmd {
	return tea.Every(time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

// retryAfter is the server's advice in err, if any.
func retryAfter(err error) time.Duration {
	var ce *peering.CloudError
	if errors.As(err, &ce) {
		return ce.RetryAfter
	}
	return 0
}
