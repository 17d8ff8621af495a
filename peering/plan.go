package peering

import (
	"context"
	"fmt"
	"strings"
)

// Plan is what a create would do, for --dry-run.
type Plan struct {
	Target  Target        `json:"target"`
	Options Options       `json:"options"`
	Steps   []PlannedStep `json:"steps"`
	Notices []string      `json:"notices,omitempty"`
}

// PlannedStep is one step of a plan.
type PlannedStep struct {
	Number  int    `json:"number"`
	ID      StepID `json:"id"`
	Title   string `json:"title"`
	Creates string `json:"creates"`
	Command string `json:"command"`
}

// what each step creates, in words.
var stepCreates = map[StepID]string{
	StepSignIn:          "nothing (reads the tenant and subscriptions)",
	StepCreateApp:       "an Entra application (multi-tenant), unless one with the name exists",
	StepAppSP:           "the application's service principal in your tenant",
	StepAppSecret:       "a client secret on the application (kept in memory, never written)",
	StepPickVNet:        "nothing (reads the VNet)",
	StepGrantApp:        "a role assignment for the app on the VNet",
	StepAivenSP:         "a service principal for Aiven's application in your tenant",
	StepPeerRole:        "a custom role with only virtualNetworks/peer/action",
	StepGrantAiven:      "a role assignment of that role to Aiven's service principal on the VNet",
	StepTenantID:        "nothing (reads the tenant id)",
	StepAivenPeering:    "an Aiven peering connection on the project VPC",
	StepWaitPendingPeer: "nothing (waits for Aiven, saves to-tenant-id and to-network-id)",
	StepAppSignIn:       "nothing (signs in as the app in both tenants)",
	StepAzurePeering:    "an Azure peering from the VNet to Aiven's VNet",
	StepWaitActive:      "nothing (waits for ACTIVE and Connected)",
}

// Plan describes the steps a create would run, with the equivalent
// commands; it calls nothing.
func (rb *Runbook) Plan(t Target, o Options) Plan {
	o = o.withDefaults(t)
	r := &Run{rb: rb, rec: NewRecord(t, o, rb.now())}
	p := Plan{Target: t, Options: o}
	for _, s := range steps() {
		creates := stepCreates[s.ID]
		if s.ID == StepGrantApp && o.Role == RoleLeastPrivilege {
			creates = "a custom role with only the peering actions, and its assignment to the app on the VNet"
		}
		p.Steps = append(p.Steps, PlannedStep{Number: s.Number, ID: s.ID, Title: s.Title, Creates: creates, Command: r.Command(s.ID)})
	}
	if rg, vnet := strings.ToLower(t.ResourceGroup), strings.ToLower(t.VNetName); rg != t.ResourceGroup || vnet != t.VNetName {
		p.Notices = append(p.Notices, fmt.Sprintf("Aiven accepts only lower-case names: %s/%s will be sent as %s/%s", t.ResourceGroup, t.VNetName, rg, vnet))
	}
	return p
}

// Status is a peering's run record and live state on both sides.
type Status struct {
	Target Target       `json:"target"`
	Record *Record      `json:"record,omitempty"`
	Aiven  *Connection  `json:"aiven,omitempty"`
	Azure  *VNetPeering `json:"azure,omitempty"`
	// Errors are the parts that could not be read.
	Errors []string `json:"errors,omitempty"`
}

// Status reads a target's record and live state. Parts that cannot be read
// are reported in Errors; only a broken record is an error.
func (rb *Runbook) Status(ctx context.Context, t Target) (Status, error) {
	st := Status{Target: t}
	if rb.Store != nil {
		rec, err := rb.Store.Load(t)
		if err != nil {
			return st, err
		}
		st.Record = rec
	}
	if v, err := rb.Aiven.VPC(ctx, t.Project, t.VPCID); err != nil {
		st.Errors = append(st.Errors, "Aiven: "+err.Error())
	} else if c, ok := v.Find(aivenKey(t)); ok {
		st.Aiven = &c
	}
	aivenVNet := ""
	if st.Aiven != nil {
		aivenVNet = st.Aiven.ToNetworkID()
	}
	if aivenVNet == "" && st.Record != nil {
		aivenVNet = st.Record.Outputs[OutAivenVNetID]
	}
	if vnet, err := rb.Network.VNet(ctx, t.VNetID()); err != nil {
		st.Errors = append(st.Errors, "Azure: "+err.Error())
	} else {
		for _, p := range vnet.Peerings {
			if (aivenVNet != "" && strings.EqualFold(p.RemoteVNetID, aivenVNet)) ||
				(st.Record != nil && strings.EqualFold(p.Name, st.Record.Outputs[OutAzurePeeringName])) {
				pc := p
				st.Azure = &pc
				break
			}
		}
	}
	return st, nil
}
