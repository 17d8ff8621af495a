package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// BenchmarkDashboardRefresh measures what one refresh of the dashboard
// costs the clouds on the large scenario (200 projects × 3 VPCs × 5
// peerings): the requests it sends and how long it takes, on the
// projects screen and inside one project. At the default intervals the
// dashboard refreshes every 30 s when all it shows is settled and every
// 2 s while something moves; on the projects screen the fast polls read
// only the projects that move, and everything every 30 s.
//
//	go test ./ui/ -run '^$' -bench DashboardRefresh -benchtime 5x
func BenchmarkDashboardRefresh(b *testing.B) {
	for _, bc := range []struct {
		name    string
		project string
	}{
		{"projects-screen", ""},
		{"project-screen", "project-042"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			env := newTestEnv(b, envOptions{sandbox: sandbox.Options{Scenario: "large"}, noAzure: true})
			d := newDriver(b, env.deps, Options{Project: bc.project, NoAutoRefresh: true}, 120, 40)
			d.loaded()
			env.s.ResetRequests()
			b.ResetTimer()
			for b.Loop() {
				d.refreshed()
			}
			b.StopTimer()
			perRefresh := float64(env.s.Requests().Total) / float64(b.N)
			b.ReportMetric(perRefresh, "requests/refresh")
			b.ReportMetric(perRefresh*2, "requests/min-settled")
			if bc.project != "" {
				b.ReportMetric(perRefresh*30, "requests/min-moving")
			}
		})
	}
	// One connection moving (APPROVED for an hour) among the 3,000: the
	// timed polls between two full refreshes read only its project.
	b.Run("projects-screen-one-moving", func(b *testing.B) {
		env := newTestEnv(b, envOptions{sandbox: sandbox.Options{Scenario: "large", Speed: 1,
			Timing: &sandbox.Timing{AivenApproval: sandbox.Duration(time.Hour)}}, noAzure: true})
		api := env.deps.Aiven
		v, err := api.VPCs(b.Context(), "project-042")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := api.CreateAzurePeering(b.Context(), peering.ProjectParent("project-042"), v[0].ID, peering.AzurePeeringRequest{
			SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-042", VNetName: "moving",
			AppID: sandbox.ProdPeeringAppID, TenantID: sandbox.UserTenantID}); err != nil {
			b.Fatal(err)
		}
		// Timed polls are sent by hand: the intervals only keep the
		// program's own from firing.
		d := newDriver(b, env.deps, Options{FastPoll: time.Hour, SlowPoll: 2 * time.Hour}, 120, 40)
		d.loaded()
		env.s.ResetRequests()
		b.ResetTimer()
		for b.Loop() {
			d.send(pollTickMsg{tick: d.m.tick})
			d.until("the timed poll", func() bool { return !d.m.fetching })
		}
		b.StopTimer()
		perPoll := float64(env.s.Requests().Total) / float64(b.N)
		b.ReportMetric(perPoll, "requests/poll")
		b.ReportMetric(perPoll*30, "requests/min-moving")
	})
}

// BenchmarkDashboardShowsTransition measures how long a state change takes
// to reach the screen at the default poll intervals: a new connection is
// asked for, for a VNet that does not exist, and the time from the
// sandbox's transition APPROVED → INVALID_SPECIFICATION (its update_time)
// to the row showing it is reported.
//
//	go test ./ui/ -run '^$' -bench DashboardShowsTransition -benchtime 3x
func BenchmarkDashboardShowsTransition(b *testing.B) {
	env := newTestEnv(b, envOptions{sandbox: sandbox.Options{Speed: 1, Timing: &sandbox.Timing{AivenApproval: sandbox.Duration(3 * time.Second)}}})
	d := newDriver(b, env.deps, Options{Project: "tsdb-staging"}, 160, 40)
	d.loaded()
	const vpc = "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b"
	var total time.Duration
	i := 0
	for b.Loop() {
		i++
		vnet := "bench-vnet-" + strings.Repeat("x", i)
		_, err := env.deps.Aiven.CreateAzurePeering(d.m.ctx, peering.ProjectParent("tsdb-staging"), vpc, peering.AzurePeeringRequest{
			SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-app", VNetName: vnet,
			AppID: sandbox.ProdPeeringAppID, TenantID: sandbox.UserTenantID})
		if err != nil {
			b.Fatal(err)
		}
		// A connection made elsewhere shows at the next refresh (30 s when
		// all is settled); r is what a person presses.
		d.refreshed()
		d.untilScreen(vnet)
		d.until("INVALID_SPECIFICATION on screen", func() bool {
			for _, line := range strings.Split(d.screen(), "\n") {
				if strings.Contains(line, vnet) && strings.Contains(line, "INVALID_SPECIFICATION") {
					return true
				}
			}
			return false
		})
		shown := time.Now()
		v, err := env.deps.Aiven.VPC(d.m.ctx, peering.ProjectParent("tsdb-staging"), vpc)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range v.Peerings {
			if c.PeerVPC == vnet {
				total += shown.Sub(c.UpdateTime)
			}
		}
	}
	b.ReportMetric(total.Seconds()/float64(i), "s-to-screen")
}
