package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// wizardStage is where the new-peering wizard stands.
type wizardStage int

const (
	stageVPC wizardStage = iota
	stageSubscription
	stageVNet
	stageOptions
	stageReview
)

var stageNames = []string{"1/5 project VPC", "2/5 subscription", "3/5 VNet", "4/5 app and role", "5/5 review"}

// wizardScreen creates a peering: the Azure VPC, the subscription, the
// VNet (overlapping ones refused, with the reason), the app name and role
// option, and a review that shows what Aiven will be sent.
type wizardScreen struct {
	baseScreen
	// project is the project the wizard was opened on; org, instead, the
	// organization whose VPCs it offers (opened on an organization).
	project string
	org     string
	stage   wizardStage
	preVPC  string
	// defaultSub is preselected among the subscriptions.
	defaultSub string

	vpc     peering.VPC
	sub     peering.Subscription
	vnet    peering.VNet
	appName field
	role    string
	// aivenApp is Aiven's (or MST's) multi-tenant app id; onAivenApp says
	// whether it has the keyboard rather than the app name.
	aivenApp   field
	onAivenApp bool

	t table
	// refused maps a row id to why it cannot be chosen.
	refused map[string]string

	subs     []peering.Subscription
	subsErr  error
	subsSeq  int
	vnets    []peering.VNet
	vnetsErr error
	vnetsSeq int
	loading  bool
}

// openWizard starts the wizard on a project (and VPC, when one is selected).
func (m *Model) openWizard(project, vpcID string) tea.Cmd {
	if m.opts.ReadOnly {
		m.setStatus(readOnlyRefusal("a new peering"), true)
		return nil
	}
	switch {
	case m.deps.Runbook == nil || m.deps.Network == nil:
		why := "sign in to Azure first"
		if m.deps.AzureErr != nil {
			why = oneLine(m.deps.AzureErr.Error())
		}
		m.setStatus("creating a peering needs Azure: "+why, true)
		return nil
	}
	return m.push(newWizard(m, project, "", vpcID))
}

// openOrgWizard starts the wizard on an organization's VPCs.
func (m *Model) openOrgWizard(org, vpcID string) tea.Cmd {
	if m.opts.ReadOnly {
		m.setStatus(readOnlyRefusal("a new peering"), true)
		return nil
	}
	if m.deps.Runbook == nil || m.deps.Network == nil {
		return m.openWizard("", vpcID) // says why
	}
	return m.push(newWizard(m, "", org, vpcID))
}

func newWizard(m *Model, project, org, vpcID string) *wizardScreen {
	w := &wizardScreen{project: project, org: org, preVPC: vpcID, defaultSub: m.deps.DefaultSubscription,
		appName: field{limit: 120}, role: peering.RoleNetworkContributor, aivenApp: field{limit: 36}}
	w.aivenApp.SetValue(peering.DefaultAivenAppID)
	return w
}

// vpcChoices are the VPCs the wizard offers: the project's own and its
// organization's (which any of the organization's projects may use), or
// the organization's alone.
func (s *wizardScreen) vpcChoices(d *data) ([]peering.VPC, bool) {
	if s.org != "" {
		o, ok := d.org(s.org)
		if !ok {
			return nil, false
		}
		return o.VPCs, true
	}
	p, ok := d.project(s.project)
	if !ok {
		return nil, false
	}
	vpcs := slices.Clip(p.VPCs)
	if p.OrganizationID != "" {
		vpcs = append(vpcs, d.orgVPCsOf(p.OrganizationID)...)
	}
	return vpcs, true
}

// owner names the wizard's parent for titles.
func (s *wizardScreen) owner() string {
	if s.org != "" {
		return "organization " + s.org
	}
	return s.project
}

func (s *wizardScreen) crumb() string { return "new peering" }

func (s *wizardScreen) keyMap(k *Keys) keyMap {
	switch s.stage {
	case stageOptions:
		return keyMap{
			short: []key.Binding{relabel(k.Open, "enter", "review"), k.Toggle, k.Back},
			full:  [][]key.Binding{{relabel(k.Open, "enter", "review"), k.Toggle}, {k.Back, k.Quit}},
		}
	case stageReview:
		return keyMap{
			short: []key.Binding{k.Confirm, k.Back, k.Help},
			full:  [][]key.Binding{{k.Confirm}, {k.Back, k.Help, k.Quit}},
		}
	}
	return k.wizardMap()
}

func (s *wizardScreen) scope() string { return s.project }

func (s *wizardScreen) capturing() bool {
	return s.stage == stageOptions || s.t.filtering
}

func (s *wizardScreen) enter(m *Model) tea.Cmd {
	s.setStage(m.common(), stageVPC)
	return nil
}

// setStage switches the list to a stage's choices.
func (s *wizardScreen) setStage(cm *common, st wizardStage) {
	s.stage = st
	s.refused = map[string]string{}
	// Each list's first column marks whether a row can be chosen; the
	// subscriptions' and VNets' rows say what their empty list shows.
	mark := column{title: "", width: 1}
	switch st {
	case stageVPC:
		s.t = newTable([]column{mark,
			{title: "VPC", width: 10},
			{title: "CLOUD", min: 12, grow: 2},
			{title: "CIDR", width: 15},
			{title: "STATE", width: 8},
			{title: "NOTE", min: 10, grow: 3},
		}, "this project has no VPCs: create one in the Aiven console first")
	case stageSubscription:
		s.t = newTable([]column{mark,
			{title: "SUBSCRIPTION", min: 14, grow: 2},
			{title: "ID", width: 36},
			{title: "STATE", min: 8, grow: 1},
		}, "")
	case stageVNet:
		s.t = newTable([]column{mark,
			{title: "RESOURCE GROUP / VNET", min: 16, grow: 3},
			{title: "LOCATION", width: 12},
			{title: "ADDRESS SPACE", min: 12, grow: 2},
			{title: "NOTE", min: 10, grow: 4},
		}, "")
	case stageOptions:
		if s.appName.Value() == "" {
			s.appName.SetValue("azpeer-" + s.target().Owner() + "-" + strings.ToLower(s.vnet.Name))
		}
		s.focusOption()
	}
	s.refresh(cm)
}

// focusOption gives the keyboard to the chosen option field.
func (s *wizardScreen) focusOption() {
	s.appName.Blur()
	s.aivenApp.Blur()
	s.focused().Focus()
}

// focused is the option field with the keyboard.
func (s *wizardScreen) focused() *field {
	if s.onAivenApp {
		return &s.aivenApp
	}
	return &s.appName
}

// options are the run's options as chosen.
func (s *wizardScreen) options() peering.Options {
	return peering.Options{AppName: strings.TrimSpace(s.appName.Value()), Role: s.role, AivenAppID: strings.TrimSpace(s.aivenApp.Value())}
}

// data takes the wizard's reads.
func (s *wizardScreen) data(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case subscriptionsMsg:
		if msg.seq != s.subsSeq {
			return nil
		}
		s.loading, s.subs, s.subsErr = false, msg.subs, msg.err
		if msg.err == nil {
			m.signedInToAzure()
		}
	case vnetsMsg:
		if msg.seq != s.vnetsSeq {
			return nil
		}
		s.loading, s.vnets, s.vnetsErr = false, msg.vnets, msg.err
	}
	s.refresh(m.common())
	return nil
}

func (s *wizardScreen) back(m *Model) tea.Cmd {
	if s.stage == stageVPC {
		return m.pop()
	}
	prev := s.stage - 1
	s.appName.Blur()
	s.aivenApp.Blur()
	s.setStage(m.common(), prev)
	switch prev {
	case stageSubscription:
		s.t.selectID(s.sub.ID)
	case stageVNet:
		s.t.selectID(s.vnet.ID)
	case stageVPC:
		s.t.selectID(s.vpc.ID)
	}
	return nil
}

func (s *wizardScreen) key(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	switch s.stage {
	case stageOptions:
		switch {
		case key.Matches(msg, m.keys.Back):
			return true, s.back(m)
		case key.Matches(msg, m.keys.Toggle):
			if s.role == peering.RoleNetworkContributor {
				s.role = peering.RoleLeastPrivilege
			} else {
				s.role = peering.RoleNetworkContributor
			}
			return true, nil
		case msg.String() == "up" || msg.String() == "down":
			// Two fields: the app's name and Aiven's app id.
			s.onAivenApp = !s.onAivenApp
			s.focusOption()
			return true, nil
		case msg.String() == "enter":
			o := s.options()
			if err := o.Validate(); err != nil {
				m.setStatus(err.Error(), true)
				return true, nil
			}
			if o.AppName == "" {
				m.setStatus("the app needs a name", true)
				return true, nil
			}
			s.appName.Blur()
			s.aivenApp.Blur()
			s.setStage(m.common(), stageReview)
			return true, nil
		}
		s.focused().Update(msg)
		return true, nil
	case stageReview:
		switch {
		case key.Matches(msg, m.keys.Back):
			return true, s.back(m)
		case key.Matches(msg, m.keys.Confirm):
			return true, m.openChecklist(s.target(), s.options(), true)
		}
		return true, nil
	}

	if ok, cmd := s.t.key(&m.keys, msg); ok {
		return true, cmd
	}
	switch {
	case key.Matches(msg, m.keys.Back):
		return true, s.back(m)
	case key.Matches(msg, m.keys.Select):
		r, ok := s.t.selected()
		if !ok {
			return true, nil
		}
		if why := s.refused[r.id]; why != "" {
			m.setStatus("cannot choose this: "+why, true)
			return true, nil
		}
		m.setStatus("", false)
		return true, s.choose(m, r.id)
	}
	return false, nil
}

// choose takes the selected row and moves on, starting the next read.
func (s *wizardScreen) choose(m *Model, id string) tea.Cmd {
	switch s.stage {
	case stageVPC:
		vpcs, ok := s.vpcChoices(&m.data)
		if !ok {
			return nil
		}
		for _, v := range vpcs {
			if v.ID == id {
				s.vpc = v
			}
		}
		s.loading = true
		s.subsSeq = m.nextSeq()
		s.setStage(m.common(), stageSubscription)
		return fetchSubscriptions(m.ctx, m.deps.Network, s.subsSeq)
	case stageSubscription:
		for _, sub := range s.subs {
			if sub.ID == id {
				s.sub = sub
			}
		}
		s.loading = true
		s.vnets = nil
		s.vnetsSeq = m.nextSeq()
		s.setStage(m.common(), stageVNet)
		return fetchVNets(m.ctx, m.deps.Network, s.vnetsSeq, s.sub.ID)
	case stageVNet:
		for _, vn := range s.vnets {
			if vn.ID == id {
				if vn.Name != s.vnet.Name {
					s.appName.SetValue("")
				}
				s.vnet = vn
			}
		}
		s.setStage(m.common(), stageOptions)
		return nil
	}
	return nil
}

// target is the peering chosen; an organization VPC's is its organization's.
func (s *wizardScreen) target() peering.Target {
	t := peering.Target{Project: s.project, VPCID: s.vpc.ID, SubscriptionID: s.sub.ID,
		ResourceGroup: s.vnet.ResourceGroup, VNetName: s.vnet.Name}
	if s.vpc.Parent.IsOrganization() {
		t.Project, t.Organization = "", s.vpc.Parent.ID
	}
	return t
}

func (s *wizardScreen) paste(text string) {
	if s.stage == stageOptions {
		s.focused().insert(text)
		return
	}
	s.t.paste(text)
}
