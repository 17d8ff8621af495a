package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// The connectivity check (C on the detail and diagnosis screens): the
// project's services checked from where azpeer runs
// (peering.Runbook.CheckConnectivity, in a command), its report in an
// overlay.

// connectivityMsg answers a check.
type connectivityMsg struct {
	rep peering.ConnectivityReport
	err error
}

// checkConnectivity starts the check of ref's project's services.
func (m *Model) checkConnectivity(ref connRef) tea.Cmd {
	rb := m.deps.Runbook
	if rb == nil || m.deps.Probe == nil || !m.canDiagnose(ref) {
		m.setStatus("the connectivity check needs Azure (signed in) and an Azure VNet peering", false)
		return nil
	}
	t, probeFor, ctx := ref.target(), m.deps.Probe, m.ctx
	m.setStatus("checking the connectivity of "+ref.owner()+"'s services from this machine…", false)
	check := func() tea.Msg {
		probe, err := probeFor(t)
		if err != nil {
			return connectivityMsg{err: err}
		}
		return connectivityMsg{rep: rb.CheckConnectivity(ctx, t, probe, peering.ConnectivityOptions{})}
	}
	return tea.Batch(check, m.startSpinner())
}

// showConnectivity opens the report.
func (m *Model) showConnectivity(msg connectivityMsg) {
	if msg.err != nil {
		m.setStatus("connectivity check: "+oneLine(msg.err.Error()), true)
		return
	}
	m.setStatus("", false)
	m.overlay = &textOverlay{title: "connectivity of " + msg.rep.Target.Owner() + "'s services", lines: connectivityLines(&m.styles, msg.rep)}
}

// connectivityLines lays the report out.
func connectivityLines(st *Styles, rep peering.ConnectivityReport) []string {
	where := st.Pending.Render("outside the peered VNet")
	if rep.Inside {
		where = st.OK.Render("inside the peered VNet")
	}
	lines := []string{fmt.Sprintf("from %s: %s", strings.Join(rep.LocalAddrs, ", "), where),
		st.Muted.Render("VNet " + strings.Join(rep.VNetRanges, ", ") + " · VPC " + rep.VPCCIDR), ""}
	for _, sc := range rep.Services {
		lines = append(lines, st.Title.Render(sc.Service.Name)+st.Muted.Render(" ("+sc.Service.Type+", "+sc.Service.State+")"))
		for _, f := range sc.Findings {
			icon, t := "•", toneWorking
			switch {
			case f.Kind == peering.ConnReachable || f.Kind == peering.ConnPublicReach:
				icon, t = "✓", toneOK
			case f.Severity == peering.SeverityError:
				icon, t = "✗", toneFailed
			case f.Severity == peering.SeverityWarning:
				icon, t = "⚠", tonePending
			}
			lines = append(lines, "  "+st.of(t).Render(icon)+" "+f.Text)
			if f.Fix != "" {
				lines = append(lines, "    "+st.Label.Render("fix: ")+f.Fix)
			}
		}
		if !rep.Inside {
			for _, c := range sc.Commands {
				lines = append(lines, "    "+st.Muted.Render("$ "+c))
			}
		}
		lines = append(lines, "")
	}
	for _, u := range rep.Unchecked {
		lines = append(lines, st.Stale.Render("? not checked: ")+u)
	}
	switch rep.Verdict {
	case peering.VerdictHealthy:
		lines = append(lines, st.OK.Render("✓ every service is reachable from here"))
	case peering.VerdictUnknown:
		lines = append(lines, st.Stale.Render("? "+rep.UnknownWhy()))
	default:
		lines = append(lines, st.Failed.Render("✗ problems found (above)"))
	}
	return lines
}
