package ui

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// checklistScreen is a run's steps, live: status, elapsed time,
// key outputs, the last error, and a state line that moves from APPROVED
// to ACTIVE (and Azure's Initiated to Connected) as it happens.
type checklistScreen struct {
	baseScreen
	runKey  string
	project string
	t       table
}

func newChecklistScreen(key, project string) *checklistScreen {
	return &checklistScreen{runKey: key, project: project, t: newTable([]column{
		{title: "", width: 1},
		{title: "#", width: 2, right: true},
		{title: "STEP", min: 24, grow: 3},
		{title: "TIME", width: 6, right: true},
		{title: "OUTPUTS / ERROR", min: 12, grow: 3},
	}, "")}
}

func (s *checklistScreen) run(d *data) *runState { return d.runs[s.runKey] }

func (s *checklistScreen) crumb() string         { return "checklist" }
func (s *checklistScreen) keyMap(k *Keys) keyMap { return k.checklistMap() }

func (s *checklistScreen) scope() string {
	return s.project
}

func (s *checklistScreen) transitional(cm *common) bool {
	rs := s.run(cm.data)
	return rs != nil && rs.running
}

// stepOutputs are a step's outputs, shortened; the secret is never shown.
// They are the values the step finished with (its done event), so the
// step that asks Aiven to peer keeps saying APPROVED after the last step
// has seen ACTIVE.
func stepOutputs(rs *runState, info peering.StepInfo) string {
	var parts []string
	seen := map[string]bool{}
	outs := rs.rec.Outputs
	for i := len(rs.rec.Events) - 1; i >= 0; i-- {
		e := rs.rec.Events[i]
		if e.Step == info.ID && (e.Kind == peering.EventDone || e.Kind == peering.EventDetected) {
			if e.Outputs != nil {
				outs = e.Outputs
			}
			break
		}
	}
	for _, o := range info.Produces {
		v := outs[o.Key]
		if v == "" {
			continue
		}
		label := o.Label
		sv := short(v)
		if seen[label+sv] {
			continue
		}
		seen[label+sv] = true
		parts = append(parts, label+" "+sv)
	}
	if info.ID == peering.StepAppSignIn && rs.rec.Step(info.ID).Status == peering.StatusDone {
		parts = append(parts, "signed in to both tenants")
	}
	if info.ID == peering.StepAppSecret {
		if rs.run.HasSecret() {
			parts = append(parts, "secret ******** (in memory)")
		} else if rs.rec.Step(info.ID).Status == peering.StatusDone {
			parts = append(parts, "secret not in memory")
		}
	}
	return strings.Join(parts, ", ")
}

func (s *checklistScreen) refresh(cm *common) {
	steps := peering.Steps()
	s.t.setHeight(len(steps))
	rs := s.run(cm.data)
	if rs == nil {
		s.t.setRows(nil)
		return
	}
	now := cm.now
	rows := make([]row, 0, len(steps))
	for _, info := range steps {
		sr := rs.rec.Step(info.ID)
		icon, t := "·", toneMuted
		out, outTone := stepOutputs(rs, info), toneMuted
		switch sr.Status {
		case peering.StatusDone:
			icon, t = "✓", toneOK
			if sr.Detected {
				out = strings.TrimPrefix(out+" (found)", ", ")
			}
		case peering.StatusRunning:
			icon, t = "▶", toneWorking
			if !rs.running {
				// The record says running but nothing runs: an earlier
				// process stopped mid-step.
				icon, t = "!", tonePending
				out = "interrupted; enter runs it again"
			} else if last := lastEvent(rs.rec, info.ID); last != nil && last.Kind == peering.EventRetrying {
				out, outTone = last.String(), tonePending
			} else {
				out = "running…"
			}
		case peering.StatusFailed:
			icon, t = "✗", toneFailed
			out, outTone = errorSummary(sr.Error), toneFailed
		}
		d := time.Duration(0)
		switch {
		case !sr.Finished.IsZero() && !sr.Started.IsZero() && sr.Status != peering.StatusRunning:
			d = sr.Finished.Sub(sr.Started)
		case sr.Status == peering.StatusRunning && rs.running && !sr.Started.IsZero():
			d = now.Sub(sr.Started)
		}
		rows = append(rows, row{id: string(info.ID),
			cells:  []string{icon, fmt.Sprint(info.Number), info.Title, elapsed(d), out},
			tones:  []tone{t, toneMuted, toneNone, toneMuted, outTone},
			search: searchText(info.Title)})
	}
	s.t.setRows(rows)
}

// errorSummary is the part of an error worth a table cell: the cloud's
// own answer ("arm: AuthorizationFailed: …") rather than what azpeer was
// doing, which the step's title already says.
func errorSummary(msg string) string {
	msg = oneLine(msg)
	best := -1
	for _, svc := range []string{"arm: ", "graph: ", "entra: ", "aiven: "} {
		if i := strings.LastIndex(msg, svc); i > best {
			best = i
		}
	}
	if best > 0 {
		return msg[best:]
	}
	return msg
}

func lastEvent(rec peering.Record, id peering.StepID) *peering.Event {
	for i := len(rec.Events) - 1; i >= 0; i-- {
		if rec.Events[i].Step == id {
			return &rec.Events[i]
		}
	}
	return nil
}

// stateLine is the live state line of one side ("aiven" or "azure"):
// every state seen, with the time it was seen.
func stateLine(st *Styles, rec peering.Record, side string) string {
	var parts []string
	last := ""
	for _, e := range rec.Events {
		if e.Kind != peering.EventState || e.Side != side || e.To == last {
			continue
		}
		last = e.To
		var label string
		if side == "aiven" {
			label = st.of(stateTone(peering.State(e.To))).Render(stateLabel(peering.State(e.To), false))
		} else {
			label = st.of(azureTone(e.To)).Render(azureLabel(e.To))
		}
		parts = append(parts, label+" "+st.Muted.Render(clockTime(e.Time)))
	}
	if len(parts) == 0 {
		return st.Muted.Render("(not yet)")
	}
	return strings.Join(parts, st.Muted.Render(" → "))
}

func (s *checklistScreen) view(cm *common) string {
	st, w, h := cm.styles, cm.width, cm.height
	rs := s.run(cm.data)
	if rs == nil {
		return st.Muted.Render("opening the run…")
	}
	done, all := rs.rec.StepsDone(), len(peering.StepIDs())
	status := fmt.Sprintf("%d/%d done", done, all)
	switch {
	case rs.running && rs.step == "":
		status = st.Working.Render("▶ running all") + " · " + status
	case rs.running:
		status = st.Working.Render("▶ running "+string(rs.step)) + " · " + status
	case done == all:
		status = st.OK.Render("✓ complete") + " · " + status
	case rs.lastErr != nil:
		status = st.Failed.Render("✗ stopped") + " · " + status
	}
	var b strings.Builder
	b.WriteString(st.Title.Render(rs.target.String()) + "  " + status + "\n")
	b.WriteString(st.Label.Render("Aiven  ") + stateLine(st, rs.rec, "aiven") + "\n")
	b.WriteString(st.Label.Render("Azure  ") + stateLine(st, rs.rec, "azure") + "\n")
	tableH := min(all+1, max(2, h-4)) // the header and every step
	b.WriteString(s.t.view(st, w, tableH))
	if room := h - 3 - tableH; room > 0 {
		b.WriteByte('\n')
		b.WriteString(s.details(st, rs, w, room))
	}
	return b.String()
}

// details shows the selected step's error (or preflight failure) and its
// equivalent command.
func (s *checklistScreen) details(st *Styles, rs *runState, w, room int) string {
	id := peering.StepID(s.t.selectedID())
	var lines []string
	sr := rs.rec.Step(id)
	// A run's own failure (preflight, a missing input) is in the status
	// line; here goes the selected step's.
	if sr.Status == peering.StatusFailed && sr.Error != "" {
		lines = append(lines, st.Failed.Render("✗ "+oneLine(sr.Error)))
		var se *peering.StepError
		if errors.As(rs.lastErr, &se) && se.Step == id && se.Hint != "" {
			lines = append(lines, st.Pending.Render("what to do: "+se.Hint))
		}
	}
	if c := neededConsent(rs.lastErr); c != nil {
		lines = append(lines, st.Pending.Render(c.offer))
	}
	if cmd := rs.run.Command(id); cmd != "" {
		lines = append(lines, st.Muted.Render("$ "+cmd))
	}
	if len(lines) > room {
		lines = lines[:room]
	}
	return clip(strings.Join(lines, "\n"), w)
}

func (s *checklistScreen) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	rs := s.run(&m.data)
	if rs == nil {
		return false, nil
	}
	switch {
	case key.Matches(msg, m.keys.Up):
		s.t.move(-1)
		return true, nil
	case key.Matches(msg, m.keys.Down):
		s.t.move(1)
		return true, nil
	case key.Matches(msg, m.keys.RunStep):
		return true, m.startRun(rs, peering.StepID(s.t.selectedID()))
	case key.Matches(msg, m.keys.RunAll):
		return true, m.startRun(rs, "")
	case key.Matches(msg, m.keys.Retry):
		id := peering.StepID(s.t.selectedID())
		if rs.rec.Step(id).Status != peering.StatusFailed {
			id = ""
			for _, sid := range peering.StepIDs() {
				if rs.rec.Step(sid).Status == peering.StatusFailed {
					id = sid
					break
				}
			}
		}
		if id == "" {
			m.setStatus("no step has failed", false)
			return true, nil
		}
		s.t.selectID(string(id))
		return true, m.startRun(rs, id)
	case key.Matches(msg, m.keys.Copy):
		cmd := rs.run.Command(peering.StepID(s.t.selectedID()))
		if cmd == "" {
			return true, nil
		}
		m.setStatus("copied (OSC 52): "+cmd, false)
		return true, tea.SetClipboard(cmd)
	case key.Matches(msg, m.keys.Events):
		m.overlay = s.eventLog(&m.styles, rs)
		return true, nil
	case key.Matches(msg, m.keys.Delete):
		return true, m.askDelete(rs.target, rs.rec.Options)
	case key.Matches(msg, m.keys.Adopt), key.Matches(msg, m.keys.Replace):
		c := neededConsent(rs.lastErr)
		if c == nil || c.replace != key.Matches(msg, m.keys.Replace) || rs.running {
			m.setStatus("nothing to consent to here: A and R answer a run that stopped to ask", false)
			return true, nil
		}
		m.overlay = confirmConsent(rs.key, *c, rs.target.String())
		return true, nil
	}
	return false, nil
}

// consent is what a stopped run asks the user before it goes on.
type consent struct {
	replace bool
	// offer is the line shown under the error; question the confirmation.
	offer, question string
}

// neededConsent is the consent the error of a stopped run asks for, or nil.
func neededConsent(err error) *consent {
	var existing *peering.ExistingPeeringError
	var other *peering.ConnectionError
	var failed *peering.FailedConnectionError
	switch {
	case errors.As(err, &failed):
		return &consent{replace: true, offer: "R recreates it: azpeer deletes the failed connection, waits until it is gone, and requests it anew",
			question: "Recreate the Aiven connection, which is " + string(failed.Connection.State) + " and which azpeer did not create? Aiven cannot revive a failed connection: azpeer deletes it, waits until it is gone, and requests a new one."}
	case errors.As(err, &existing):
		return &consent{offer: "A adopts it: azpeer records what exists as its own and changes nothing that works",
			question: "azpeer did not create this peering. Adopt it? azpeer records what exists (the Aiven connection, the Azure peering) as its own, finishes what is missing, and a later delete removes both sides."}
	case errors.As(err, &other):
		return &consent{replace: true, offer: "R replaces it: azpeer deletes that connection, waits until it is gone, and requests one for this run's app",
			question: "Replace the Aiven connection requested for app " + other.Connection.PeerAzureAppID + "? azpeer deletes it (Aiven then drops its side of the peering), waits until it is gone, and requests a new one for this run's app."}
	}
	return nil
}

// confirmConsent asks before the run runKey goes on with a consent.
func confirmConsent(runKey string, c consent, where string) *confirmOverlay {
	return &confirmOverlay{title: "go on?", yes: "go on",
		body: func(st *Styles, inner int) []string {
			return append(wrapWords(c.question, inner), wherePeering(st, where, inner)...)
		},
		do: func(m *Model) tea.Cmd {
			rs := m.runs[runKey]
			if rs == nil {
				return nil
			}
			rs.run.Consent(!c.replace, c.replace)
			return m.startRun(rs, "")
		}}
}

func (s *checklistScreen) eventLog(st *Styles, rs *runState) overlay {
	id := peering.StepID(s.t.selectedID())
	var lines []string
	for _, e := range rs.rec.Events {
		if e.Step != id {
			continue
		}
		line := clockTime(e.Time) + "  " + string(e.Kind) + "  " + e.String()
		if len(e.Outputs) > 0 {
			var outs []string
			for _, k := range slices.Sorted(maps.Keys(e.Outputs)) {
				outs = append(outs, k+"="+e.Outputs[k])
			}
			line += "  [" + strings.Join(outs, " ") + "]"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = []string{st.Muted.Render("no events for this step yet")}
	}
	title := "events of step " + string(id)
	return &textOverlay{title: title, lines: lines}
}
