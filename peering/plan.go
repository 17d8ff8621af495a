package peering

import (
	"context"
	"errors"
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

// Plan describes the steps a create would run, with the equivalent
// commands; it calls nothing.
func (rb *Runbook) Plan(t Target, o Options) Plan {
	o = o.withDefaults(t)
	r := &Run{rb: rb, rec: NewRecord(t, o, rb.now())}
	p := Plan{Target: t, Options: o}
	for _, s := range steps() {
		p.Steps = append(p.Steps, PlannedStep{Number: s.Number, ID: s.ID, Title: s.Title, Creates: s.creates(o), Command: r.Command(s.ID)})
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
	// AivenRead and AzureRead say whether each side could be read: a side
	// that could not be read is unknown, not absent.
	AivenRead bool `json:"aiven_read"`
	AzureRead bool `json:"azure_read"`
	// VNetMissing: Azure says the VNet does not exist.
	VNetMissing bool `json:"vnet_missing,omitempty"`
	// Errors are the parts that could not be read.
	Errors []string `json:"errors,omitempty"`
}

// Status reads a target's record and live state. Parts that cannot be read
// are reported in Errors (and AivenRead/AzureRead stay false); only a
// broken record is an error.
func (rb *Runbook) Status(ctx context.Context, t Target) (Status, error) {
	st := Status{Target: t}
	if rb.Store != nil {
		rec, err := rb.Store.Load(t)
		if err != nil {
			return st, err
		}
		st.Record = rec
	}
	var vpc VPC
	if err := readInto(ctx, rb, &vpc, func(ctx context.Context) (VPC, error) { return rb.Aiven.VPC(ctx, t.Parent(), t.VPCID) }); err != nil {
		st.Errors = append(st.Errors, "Aiven: "+err.Error())
	} else {
		st.AivenRead = true
		if c, ok := vpc.Find(aivenKey(t)); ok {
			st.Aiven = &c
		}
	}
	aivenVNet := ""
	if st.Aiven != nil {
		aivenVNet = st.Aiven.ToNetworkID()
	}
	if aivenVNet == "" && st.Record != nil {
		aivenVNet = st.Record.Outputs[OutAivenVNetID]
	}
	var vnet VNet
	err := readInto(ctx, rb, &vnet, func(ctx context.Context) (VNet, error) { return rb.Network.VNet(ctx, t.VNetID()) })
	switch {
	case err != nil && (StatusCode(err) == 404 || errors.Is(err, ErrNotFound)):
		st.AzureRead, st.VNetMissing = true, true
	case err != nil:
		st.Errors = append(st.Errors, "Azure: "+err.Error())
	default:
		st.AzureRead = true
		for _, p := range vnet.Peerings {
			if (aivenVNet != "" && strings.EqualFold(p.RemoteVNetID, aivenVNet)) ||
				(st.Record != nil && st.Record.Outputs[OutAzurePeeringName] != "" && strings.EqualFold(p.Name, st.Record.Outputs[OutAzurePeeringName])) {
				pc := p
				st.Azure = &pc
				break
			}
		}
	}
	return st, nil
}
