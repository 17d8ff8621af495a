package ui

import (
	"fmt"
	"strings"

	"github.com/azpeer/azpeer/peering"
)

// Drawing the diagnosis screen: findings, both sides' state, the summary
// and a running fix's progress.

func (s *diagnoseScreen) view(cm *common) string {
	st, w, h := cm.styles, cm.width, cm.height
	ds := s.state(cm.data)
	var b strings.Builder
	b.WriteString(clip(st.Title.Render(fmt.Sprintf("%s › VPC %s › %s/%s", s.ref.owner(), short(s.ref.VPCID), s.ref.Key.PeerResourceGroup, s.ref.Key.PeerVPC)), w))
	b.WriteByte('\n')
	b.WriteString(clip(s.stateLine(cm, ds), w))
	b.WriteByte('\n')
	b.WriteString(clip(s.summary(cm, ds), w))
	b.WriteByte('\n')
	progress := s.progressLines(cm.data, h)
	b.WriteString(fixHeight(s.pg.view(w, max(1, h-diagHeaderLines-progress)), max(1, h-diagHeaderLines-progress)))
	if progress > 0 {
		b.WriteByte('\n')
		b.WriteString(s.progress(cm, ds, w, progress))
	}
	return b.String()
}

// render lays out the findings, the unchecked facts and the summary.
func (s *diagnoseScreen) render(st *Styles, ds *diagState, w int) ([]string, [][2]int) {
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
	if problems(*d) == 0 {
		if len(d.Unchecked) > 0 {
			// Not knowing is never healthy.
			lines = append(lines, st.Stale.Render("? could not check everything")+st.Muted.Render(": no problem in what could be read, but that is not a clean bill of health (see below)"))
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

// problems counts the findings that say something is wrong (not notes).
func problems(d peering.Diagnosis) int {
	n := 0
	for _, f := range d.Findings {
		if f.Severity != peering.SeverityInfo {
			n++
		}
	}
	return n
}

// checkedText says what a diagnosis looks at, so "no problem found" says
// what it vouches for.
const checkedText = "checked: the Aiven connection and VPC, the subscription and its tenant, the VNet and address ranges, " +
	"Aiven's service principal and its role on the VNet, the peering app, its principal, role and secret, and the Azure peering"

// aivenOnly is what can be said without the diagnosis engine (no Azure
// sign-in, or not an Azure peering): Aiven's own account of the state.
func (s *diagnoseScreen) aivenOnly(cm *common) []string {
	st := cm.styles
	c, _, ok := cm.connection(s.ref)
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
	if hint := peering.StateHint(c); hint != "" {
		lines = append(lines, "", st.Label.Render("what usually causes it"), hint)
	}
	return lines
}

// stateLine is both sides' state as the diagnosis saw them (Aiven's as
// polled when there is no diagnosis), and when.
func (s *diagnoseScreen) stateLine(cm *common, ds *diagState) string {
	st := cm.styles
	var aiven peering.State
	haveAiven := false
	if ds != nil && ds.diag != nil && ds.diag.Facts != nil && ds.diag.Facts.Connection != nil {
		aiven, haveAiven = ds.diag.Facts.Connection.State, true
	} else if c, _, ok := cm.connection(s.ref); ok {
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
		line += "  " + cm.spinner + st.Working.Render(" diagnosing…")
	case ds != nil && ds.diag != nil:
		line += st.Muted.Render(" · diagnosed " + ago(cm.now, ds.at))
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
	if remote == "" {
		// The diagnosis told Aiven's peering apart (by the VPC's CIDR)
		// when the VNet has several outside the subscription.
		remote = f.AivenVNetGuess
	}
	for _, p := range f.VNet.Peerings {
		if remote != "" && strings.EqualFold(p.RemoteVNetID, remote) {
			out := st.of(azureTone(p.PeeringState)).Render(azureLabel(p.PeeringState))
			if outOfSync(p.SyncLevel) {
				out += " " + syncLabel(st, p.SyncLevel)
			}
			return out
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

func (s *diagnoseScreen) summary(cm *common, ds *diagState) string {
	st := cm.styles
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
	switch d.Verdict {
	case peering.VerdictHealthy:
		line = st.OK.Render("● healthy")
		if n := len(d.Findings); n > 0 {
			line += st.Muted.Render(fmt.Sprintf(" · %d note(s)", n))
		}
	case peering.VerdictUnknown:
		line = st.Stale.Render("? could not check")
		if n := len(d.Findings); n > 0 {
			line += st.Muted.Render(fmt.Sprintf(" · %d note(s)", n))
		}
	default:
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
		if f, ok := s.selected(cm.data); ok {
			line += st.Muted.Render(fmt.Sprintf(" · finding %d/%d: %s", s.idx+1, len(d.Findings), f.ID))
		}
	}
	if n := len(d.Unchecked); n > 0 {
		line += st.Stale.Render(fmt.Sprintf(" · %d not checked", n))
	}
	return line
}

// progress is the fix's state and its latest events.
func (s *diagnoseScreen) progress(cm *common, ds *diagState, w, n int) string {
	st := cm.styles
	f := ds.finding
	var head string
	switch {
	case ds.fixing:
		head = st.Working.Render("▶ fixing " + f.ID)
		if d := elapsed(cm.now.Sub(ds.fixStarted)); d != "" {
			head += st.Muted.Render(" · " + d)
		}
		if ds.moved {
			head += st.Muted.Render(" · Aiven ") + st.of(stateTone(ds.fromState)).Render(orNone(ds.fromState)) +
				st.Muted.Render(" → ") + st.of(stateTone(ds.movedTo)).Render(orNone(ds.movedTo))
		} else {
			head += st.Muted.Render(" · re-checking every " + ds.recheckEvery.String() + " until Aiven's state moves")
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

// actionText says what azpeer does for a fix kind.
func actionText(a peering.FixKind) string {
	switch a {
	case peering.FixResume:
		return "runs the runbook again: it finds what exists and creates what is missing"
	case peering.FixRecreateAiven:
		return "deletes the Aiven connection, then runs the runbook to create it again"
	case peering.FixRefresh:
		return "asks Aiven to re-check the connection now"
	case peering.FixSync:
		return "syncs your side of the peering (settings unchanged), asks Aiven to refresh its side, and waits until both are in sync (s does this too)"
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
