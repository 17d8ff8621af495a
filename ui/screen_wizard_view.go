package ui

import (
	"fmt"
	"strings"

	"github.com/azpeer/azpeer/human"
	"github.com/azpeer/azpeer/peering"
)

// Drawing the wizard: each stage's rows (with why a row cannot be
// chosen), the options form and the review.

func (s *wizardScreen) refresh(cm *common) {
	s.t.setHeight(cm.height - 4)
	switch s.stage {
	case stageVPC:
		s.vpcRows(cm.data)
	case stageSubscription:
		s.subRows()
	case stageVNet:
		s.vnetRows()
	}
}

func (s *wizardScreen) vpcRows(d *data) {
	vpcs, ok := s.vpcChoices(d)
	if !ok {
		s.t.setRows(nil)
		return
	}
	var rows []row
	first := ""
	for _, v := range vpcs {
		note, mark, t := fmt.Sprintf("%d peering(s)", len(v.Peerings)), "✓", toneOK
		idTone := toneNone
		if v.Parent.IsOrganization() {
			note = fmt.Sprintf("ORG VPC %s of organization %s, %s · %s", orDash(v.DisplayName), v.Parent.ID, human.UsedBy(v.UsedBy), note)
			idTone = toneOrgVPC
		}
		switch {
		case !v.IsAzure():
			note, mark, t = "not an Azure region: VNet peering needs an azure-* VPC", "✗", toneMuted
		case v.State != "ACTIVE":
			note, mark, t = "the VPC is "+v.State+"; wait until it is ACTIVE", "✗", toneMuted
		}
		if mark == "✗" {
			s.refused[v.ID] = note
		} else if first == "" {
			first = v.ID
		}
		rows = append(rows, row{id: v.ID, cells: []string{mark, short(v.ID), v.Cloud, v.CIDR, v.State, note},
			tones: []tone{t, idTone, toneNone, toneNone, toneNone, toneMuted}, search: searchText(v.ID, v.Cloud, v.CIDR, note)})
	}
	fresh := len(s.t.all) == 0
	s.t.setRows(rows)
	if fresh {
		// Start on the VPC the user came from, else the first one that can be chosen.
		if s.preVPC == "" || s.refused[s.preVPC] != "" || !s.t.selectID(s.preVPC) {
			s.t.selectID(first)
		}
	}
}

// listEmpty is what an empty list of things says: that they are being
// read, why they could not be, or none.
func listEmpty(things string, loading bool, err error, none string) string {
	switch {
	case loading:
		return "reading " + things + "…"
	case err != nil:
		return "could not list " + things + ": " + oneLine(err.Error())
	}
	return none
}

func (s *wizardScreen) subRows() {
	s.t.empty = listEmpty("subscriptions", s.loading, s.subsErr, "no Azure subscription is visible to the signed-in principal")
	var rows []row
	for _, sub := range s.subs {
		mark, t, note := "✓", toneOK, sub.State
		if sub.State != "" && sub.State != "Enabled" {
			mark, t = "✗", toneMuted
			s.refused[sub.ID] = "the subscription is " + sub.State
		}
		rows = append(rows, row{id: sub.ID, cells: []string{mark, sub.DisplayName, sub.ID, note},
			tones: []tone{t, toneNone, toneMuted, toneNone}, search: searchText(sub.DisplayName, sub.ID)})
	}
	fresh := len(s.t.all) == 0
	s.t.setRows(rows)
	if def := s.defaultSub; def != "" && fresh {
		for _, sub := range s.subs {
			if strings.EqualFold(sub.ID, def) {
				s.t.selectID(sub.ID)
			}
		}
	}
}

func (s *wizardScreen) vnetRows() {
	s.t.empty = listEmpty("VNets", s.loading, s.vnetsErr, "no VNets in this subscription")
	var rows []row
	for _, vn := range s.vnets {
		mark, t, note := "✓", toneOK, ""
		if a, b, overlap := peering.Overlap([]string{s.vpc.CIDR}, vn.AddressPrefixes); overlap {
			mark, t = "✗", toneFailed
			note = fmt.Sprintf("overlaps the VPC's %s", a)
			s.refused[vn.ID] = fmt.Sprintf("%s/%s (%s) overlaps the VPC's %s: Azure refuses overlapping peerings",
				vn.ResourceGroup, vn.Name, b, a)
		} else if c, ok := s.vpc.Find(peering.Key{PeerCloudAccount: s.sub.ID, PeerResourceGroup: strings.ToLower(vn.ResourceGroup), PeerVPC: strings.ToLower(vn.Name)}); ok {
			note = "already requested: " + string(c.State) + " (the checklist resumes it)"
			t = stateTone(c.State)
		}
		rows = append(rows, row{id: vn.ID,
			cells:  []string{mark, vn.ResourceGroup + "/" + vn.Name, vn.Location, strings.Join(vn.AddressPrefixes, ","), note},
			tones:  []tone{t, toneNone, toneMuted, toneNone, t},
			search: searchText(vn.ResourceGroup, vn.Name, vn.Location, strings.Join(vn.AddressPrefixes, " "))})
	}
	s.t.setRows(rows)
}

func (s *wizardScreen) view(cm *common) string {
	st, w, h := cm.styles, cm.width, cm.height
	var b strings.Builder
	b.WriteString(st.Title.Render("New peering for "+s.owner()) + st.Muted.Render("  · step "+stageNames[s.stage]))
	b.WriteByte('\n')
	b.WriteString(st.Muted.Render(s.summary()))
	b.WriteString("\n\n")
	switch s.stage {
	case stageVPC, stageSubscription, stageVNet:
		b.WriteString(s.t.view(st, w, h-3))
	case stageOptions:
		b.WriteString(s.optionsView(st, w))
	case stageReview:
		b.WriteString(s.reviewView(st, w))
	}
	return b.String()
}

// summary is what was chosen so far.
func (s *wizardScreen) summary() string {
	var parts []string
	if s.stage > stageVPC {
		parts = append(parts, "VPC "+short(s.vpc.ID)+" "+s.vpc.CIDR)
	}
	if s.stage > stageSubscription {
		parts = append(parts, "sub "+s.sub.DisplayName)
	}
	if s.stage > stageVNet {
		parts = append(parts, "VNet "+s.vnet.ResourceGroup+"/"+s.vnet.Name)
	}
	if len(parts) == 0 {
		return "choose the project VPC to peer (Azure regions only)"
	}
	return strings.Join(parts, " › ")
}

func radio(on bool) string {
	if on {
		return "(•)"
	}
	return "( )"
}

func (s *wizardScreen) optionsView(st *Styles, w int) string {
	lines := []string{
		st.Label.Render("app name  ") + s.appName.View(w-10, st.Muted),
		st.Muted.Render("          the Entra app that peers your VNet with Aiven's (created multi-tenant; reused if it exists)"),
		"",
		st.Label.Render("app role  ") + radio(s.role == peering.RoleNetworkContributor) + " network-contributor  " +
			radio(s.role == peering.RoleLeastPrivilege) + " least-privilege",
		st.Muted.Render("          network-contributor is what Aiven's docs assign; least-privilege is a custom role"),
		st.Muted.Render("          with only the peering actions (tab switches)"),
		"",
		st.Label.Render("Aiven app ") + s.aivenApp.View(w-10, st.Muted),
		st.Muted.Render("          Aiven's multi-tenant Entra app (Managed Service for TimescaleDB documents its own)"),
		"",
		st.Muted.Render("↑/↓ moves between the fields · enter reviews · esc goes back"),
	}
	return strings.Join(lines, "\n")
}

func (s *wizardScreen) reviewView(st *Styles, w int) string {
	t := s.target()
	kv := func(k, v string) string { return st.Label.Render(fit(k, 16)) + v }
	rg, vn := strings.ToLower(t.ResourceGroup), strings.ToLower(t.VNetName)
	sent := rg + "/" + vn
	lower := st.Muted.Render("(already lower case)")
	if rg != t.ResourceGroup || vn != t.VNetName {
		lower = st.Pending.Render("lower-cased from " + t.ResourceGroup + "/" + t.VNetName +
			": Aiven accepts only lower case; Azure names are case-insensitive, so it is the same VNet")
	}
	appName := strings.TrimSpace(s.appName.Value())
	lines := []string{
		kv("Aiven", fmt.Sprintf("%s / %s %s (%s, %s)", t.Parent(), t.Parent().VPCNoun(), t.VPCID, s.vpc.Cloud, s.vpc.CIDR)),
		kv("Azure", fmt.Sprintf("%s (%s)", s.sub.DisplayName, t.SubscriptionID)),
		kv("VNet", fmt.Sprintf("%s/%s (%s)", t.ResourceGroup, t.VNetName, strings.Join(s.vnet.AddressPrefixes, ", "))),
		kv("sent to Aiven", sent+"  "+lower),
		kv("app", appName+st.Muted.Render("  multi-tenant; its secret stays in memory only")),
		kv("app role", s.role),
		kv("Aiven's app", s.options().AivenAppID+st.Muted.Render("  gets a service principal and a peer-only role on the VNet")),
		kv("Azure peering", s.options().WithDefaults(t).PeeringName),
		"",
		fmt.Sprintf("The checklist runs the %d steps and shows each one; a run can be stopped and resumed.", len(peering.Steps())),
		"",
		st.Title.Render("enter/y") + " create and run · " + st.Title.Render("esc") + " go back",
	}
	return strings.Join(lines, "\n")
}
