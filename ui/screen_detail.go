package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// detailScreen shows one peering connection: every field, every
// state_info key, the Azure side when visible, the run record when azpeer
// made it, and the timeline of states seen.
type detailScreen struct {
	baseScreen
	ref connRef
	pg  pager
}

func newDetailScreen(ref connRef) *detailScreen { return &detailScreen{ref: ref} }

func (s *detailScreen) crumb() string         { return "peering " + s.ref.Key.PeerVPC }
func (s *detailScreen) keyMap(k *Keys) keyMap { return k.detailMap() }
func (s *detailScreen) scope() string         { return s.ref.Project }

func (s *detailScreen) enter(m *Model) tea.Cmd {
	var cmds []tea.Cmd
	cmds = append(cmds, s.poll(m))
	if rb := m.deps.Runbook; rb != nil && rb.Store != nil && s.ref.Key.PeerResourceGroup != "" {
		t := s.ref.target()
		cmds = append(cmds, fetchRecord(rb.Store, m.nextSeq(), t.Key(), t))
	}
	return tea.Batch(cmds...)
}

// poll reads the Azure side with every refresh.
func (s *detailScreen) poll(m *Model) tea.Cmd {
	c, _, ok := m.connection(s.ref)
	if !ok || m.deps.Network == nil {
		return nil
	}
	id := userVNetID(c)
	if id == "" {
		return nil
	}
	return fetchAzure(m.ctx, m.deps.Network, m.clock, m.nextSeq(), id)
}

func (s *detailScreen) record(d *data) *peering.Record {
	if rs := d.runs[s.ref.target().Key()]; rs != nil {
		rec := rs.rec
		return &rec
	}
	return d.records[s.ref.target().Key()].rec
}

// aivenVNet is Aiven's VNet id for this connection, when known.
func (s *detailScreen) aivenVNet(c peering.Connection, rec *peering.Record) string {
	if id := c.ToNetworkID(); id != "" {
		return id
	}
	if rec != nil {
		return rec.Output(peering.OutAivenVNetID)
	}
	return ""
}

func (s *detailScreen) refresh(cm *common) {
	s.pg.height = cm.height
	st := cm.styles
	c, v, ok := cm.connection(s.ref)
	if !ok {
		lines := []string{"", st.Pending.Render("This connection is not listed by Aiven (any more)."),
			st.Muted.Render("It may have been deleted; esc goes back.")}
		lines = append(lines, s.timeline(cm, nil)...)
		s.pg.setLines(lines, cm.width)
		return
	}
	rec := s.record(cm.data)
	kv := func(k, v string) string { return st.Label.Render(fit(k, 18)) + v }
	dash := func(v string) string {
		if v == "" {
			return st.Muted.Render("-")
		}
		return v
	}
	lines := []string{
		st.Title.Render(fmt.Sprintf("%s › VPC %s", s.ref.owner(), v.ID)) + st.Muted.Render(fmt.Sprintf("  (%s, %s, %s)", v.Cloud, v.CIDR, v.State)),
		"",
		kv("state", st.of(stateTone(c.State)).Render(stateLabel(c.State, false))),
		kv("type", c.Type),
		kv("peer account", c.PeerCloudAccount),
		kv("resource group", dash(c.PeerResourceGroup)),
		kv("VNet / VPC", c.PeerVPC),
		kv("region", dash(c.PeerRegion)),
		kv("Azure app id", dash(c.PeerAzureAppID)),
		kv("Azure tenant id", dash(c.PeerAzureTenantID)),
		kv("peer CIDRs", dash(strings.Join(c.UserPeerNetworkCIDRs, ", "))),
		kv("created", timestamp(cm.now, c.CreateTime)),
		kv("updated", timestamp(cm.now, c.UpdateTime)),
		"",
		st.Title.Render("state_info"),
	}
	if len(c.StateInfo) == 0 {
		lines = append(lines, "  "+st.Muted.Render("(empty)"))
	}
	for _, k := range c.StateInfoKeys() {
		lines = append(lines, "  "+kv(k, fmt.Sprint(c.StateInfo[k])))
	}
	lines = append(lines, "")
	lines = append(lines, s.azureLines(cm, c, rec)...)
	lines = append(lines, "")
	lines = append(lines, s.recordLines(cm, rec)...)
	lines = append(lines, s.timeline(cm, rec)...)
	s.pg.setLines(lines, cm.width)
}

func timestamp(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05") + " (" + age(now, t) + " ago)"
}

func (s *detailScreen) azureLines(cm *common, c peering.Connection, rec *peering.Record) []string {
	st := cm.styles
	title := st.Title.Render("Azure side")
	vnetID := userVNetID(c)
	switch {
	case c.Type != peering.TypeAzure:
		return []string{title + st.Muted.Render("  (not an Azure peering)")}
	case !cm.azureSignedIn:
		return []string{title + st.Muted.Render("  (not signed in to Azure)")}
	}
	side, ok := cm.azure[strings.ToLower(vnetID)]
	if !ok {
		return []string{title + st.Muted.Render("  reading "+vnetID+" …")}
	}
	lines := []string{title + st.Muted.Render("  (read "+clockTime(side.at)+")")}
	if side.err != nil {
		lines = append(lines, "  "+st.Failed.Render("✗ "+oneLine(side.err.Error())))
		if side.vnet.ID == "" {
			return lines
		}
		lines = append(lines, "  "+st.Stale.Render("⚠ stale: last good read below"))
	}
	vn := side.vnet
	lines = append(lines, fmt.Sprintf("  VNet %s  %s  %s", vn.Name, vn.Location, strings.Join(vn.AddressPrefixes, ", ")))
	want := s.aivenVNet(c, rec)
	shown := 0
	for _, p := range vn.Peerings {
		mine := want != "" && strings.EqualFold(p.RemoteVNetID, want)
		if want != "" && !mine {
			continue
		}
		shown++
		access := "no"
		if p.AllowVirtualNetworkAccess {
			access = "yes"
		}
		lines = append(lines,
			"  "+st.Label.Render(fit("peering", 16))+p.Name,
			"  "+st.Label.Render(fit("peeringState", 16))+st.of(azureTone(p.PeeringState)).Render(azureLabel(p.PeeringState)),
			"  "+st.Label.Render(fit("sync level", 16))+syncLabel(st, p.SyncLevel))
		if meaning := peering.SyncMeaning(p.SyncLevel); meaning != "" {
			for _, l := range wrapIndent(strings.Repeat(" ", 18), meaning, 18, cm.width) {
				lines = append(lines, st.Muted.Render(l))
			}
			if outOfSync(p.SyncLevel) {
				lines = append(lines, strings.Repeat(" ", 18)+st.OutOfSync.Render("s syncs it (asks first)"))
			}
		}
		if len(p.SyncedRemotePrefixes) > 0 {
			lines = append(lines, "  "+st.Label.Render(fit("routes to", 16))+strings.Join(p.SyncedRemotePrefixes, ", ")+
				st.Muted.Render("  (Aiven's network as your side last synced it)"))
		}
		lines = append(lines,
			"  "+st.Label.Render(fit("vnet access", 16))+access,
			"  "+st.Label.Render(fit("remote", 16))+p.RemoteVNetID)
	}
	if shown == 0 {
		if want != "" {
			lines = append(lines, "  "+st.Pending.Render("no peering from this VNet to Aiven's VNet "+short(want)+" yet"))
		} else {
			lines = append(lines, "  "+st.Muted.Render("no peerings on this VNet"))
		}
	}
	return lines
}

func (s *detailScreen) recordLines(cm *common, rec *peering.Record) []string {
	st := cm.styles
	if e := cm.records[s.ref.target().Key()]; e.err != nil && rec == nil {
		return []string{st.Title.Render("run record") + "  " + st.Failed.Render("✗ "+oneLine(e.err.Error())), ""}
	}
	if rec == nil {
		return []string{st.Title.Render("run record") + st.Muted.Render("  none: azpeer did not create this peering (o opens a checklist to adopt it)"), ""}
	}
	done, all := rec.StepsDone(), len(peering.StepIDs())
	lines := []string{
		st.Title.Render("run record") + st.Muted.Render(fmt.Sprintf("  %d/%d steps done · updated %s · o opens the checklist", done, all, clockTime(rec.Updated))),
		"  " + st.Label.Render(fit("app", 16)) + rec.Options.AppName + "  " + st.Muted.Render(rec.Output(peering.OutUserAppID)),
		"  " + st.Label.Render(fit("role option", 16)) + rec.Options.Role,
		"  " + st.Label.Render(fit("peering name", 16)) + rec.Options.PeeringName,
		"",
	}
	return lines
}

// timeline merges the states polling observed with the transitions the
// run recorded.
func (s *detailScreen) timeline(cm *common, rec *peering.Record) []string {
	st := cm.styles
	type entry struct {
		at   time.Time
		text string
	}
	var es []entry
	for _, o := range cm.observed[s.ref] {
		text := "aiven " + string(o.To) + st.Muted.Render(" (first seen)")
		if o.From != "" {
			text = "aiven " + string(o.From) + " → " + st.of(stateTone(o.To)).Render(string(o.To)) + st.Muted.Render(" (observed)")
		}
		es = append(es, entry{o.At, text})
	}
	if rec != nil {
		for _, e := range rec.Events {
			if e.Kind == peering.EventState {
				es = append(es, entry{e.Time, e.String() + st.Muted.Render(" (run)")})
			}
		}
	}
	if c, v, ok := cm.connection(s.ref); ok {
		if p, _ := cm.userSide(c, s.aivenVNet(c, rec), v.CIDR); p != nil {
			for _, o := range cm.syncSeen[syncKey(userVNetID(c), p.Name)] {
				text := "azure sync " + syncLabel(st, o.To) + st.Muted.Render(" (first seen)")
				if o.From != "" {
					text = "azure sync " + o.From + " → " + syncLabel(st, o.To)
				}
				if meaning := peering.SyncMeaning(o.To); meaning != "" && o.To != peering.SyncFully {
					text += st.Muted.Render(": " + meaning)
				}
				es = append(es, entry{o.At, text})
			}
		}
	}
	slices.SortStableFunc(es, func(a, b entry) int { return a.at.Compare(b.at) })
	lines := []string{st.Title.Render("timeline")}
	if len(es) == 0 {
		lines = append(lines, "  "+st.Muted.Render("(nothing observed yet)"))
	}
	for _, e := range es {
		lines = append(lines, "  "+st.Muted.Render(clockTime(e.at))+"  "+e.text)
	}
	return lines
}

func (s *detailScreen) view(cm *common) string { return s.pg.view(cm.width, cm.height) }

func (s *detailScreen) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	if s.pg.key(&m.keys, msg) {
		return true, nil
	}
	switch {
	case key.Matches(msg, m.keys.JSON):
		return true, m.push(newJSONScreen(s.ref))
	case key.Matches(msg, m.keys.Diagnose):
		return true, m.openDiagnosis(s.ref)
	case key.Matches(msg, m.keys.Connectivity):
		return true, m.checkConnectivity(s.ref)
	case key.Matches(msg, m.keys.Sync):
		level := ""
		if c, v, ok := m.connection(s.ref); ok {
			if p, _ := m.userSide(c, s.aivenVNet(c, s.record(&m.data)), v.CIDR); p != nil {
				level = p.SyncLevel
			}
		}
		return true, m.askSync(s.ref, level, true)
	case key.Matches(msg, m.keys.Checklist), key.Matches(msg, m.keys.Delete):
		if s.ref.Key.PeerResourceGroup == "" {
			m.setStatus("azpeer drives Azure VNet peerings only", true)
			return true, nil
		}
		t, o := s.ref.target(), peering.Options{}
		if rec := s.record(&m.data); rec != nil {
			t, o = rec.Target, rec.Options
		}
		if key.Matches(msg, m.keys.Delete) {
			return true, m.askDelete(t, o)
		}
		return true, m.openChecklist(t, o, false)
	}
	return false, nil
}

func (s *detailScreen) transitional(cm *common) bool {
	c, _, ok := cm.connection(s.ref)
	if !ok {
		return false
	}
	if c.State.Transitional() {
		return true
	}
	side, ok := cm.azure[strings.ToLower(userVNetID(c))]
	if !ok {
		return false
	}
	want := s.aivenVNet(c, s.record(cm.data))
	for _, p := range side.vnet.Peerings {
		if p.PeeringState == peering.AzureInitiated && (want == "" || strings.EqualFold(p.RemoteVNetID, want)) {
			return true
		}
	}
	return false
}
