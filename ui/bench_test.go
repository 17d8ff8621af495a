package ui

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
)

// inventory builds projects × vpcs × peerings connections in mixed states.
func inventory(projects, vpcs, peerings int) []peering.Project {
	states := []peering.State{peering.StateActive, peering.StateActive, peering.StateActive, peering.StatePendingPeer, peering.StateRejectedByPeer}
	now := time.Now()
	out := make([]peering.Project, projects)
	for p := range projects {
		pr := peering.Project{ProjectRef: peering.ProjectRef{Name: fmt.Sprintf("project-%04d", p), DefaultCloud: "azure-westeurope"}}
		for v := range vpcs {
			vpc := peering.VPC{ID: fmt.Sprintf("%08d-0000-4000-8000-%012d", p, v), Cloud: "azure-westeurope",
				CIDR: fmt.Sprintf("10.%d.%d.0/24", v%250, p%250), State: "ACTIVE", CreateTime: now}
			for c := range peerings {
				st := states[c%len(states)]
				vpc.Peerings = append(vpc.Peerings, peering.Connection{
					Type: peering.TypeAzure, PeerCloudAccount: "3c5d7e9f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
					PeerResourceGroup: fmt.Sprintf("rg-%04d", p), PeerVPC: fmt.Sprintf("vnet-%d-%05d", v, c),
					State: st, StateInfo: map[string]any{"message": "Peering connection " + string(st), "type": "x"},
					CreateTime: now.Add(-time.Duration(c) * time.Minute),
				})
			}
			pr.VPCs = append(pr.VPCs, vpc)
		}
		out[p] = pr
	}
	return out
}

// loadedModel is a model showing an inventory, at 120×40.
func loadedModel(b *testing.B, inv []peering.Project, project string) *Model {
	m := New(Deps{Identity: Identity{AivenUser: "admin@example.com", Sandbox: true}}, Options{Project: project, NoAutoRefresh: true})
	m.Update(windowSize(120, 40))
	m.merge(nil, peering.Inventory{Projects: inv}, time.Now())
	m.loaded, m.refreshedAt = true, time.Now()
	m.layout()
	return m
}

// BenchmarkView renders a frame with 10,000 peerings loaded: only the rows
// on screen are drawn, so a frame costs what a screenful does.
func BenchmarkView(b *testing.B) {
	for _, bc := range []struct {
		name    string
		inv     []peering.Project
		project string
	}{
		{"project-10k-peerings", inventory(1, 4, 2500), "project-0000"},
		{"projects-100x100-peerings", inventory(100, 2, 50), ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := loadedModel(b, bc.inv, bc.project)
			// Put the cursor in the middle, as after scrolling.
			for range 5000 {
				m.Update(keyMsg("j"))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkRefresh rebuilds the rows after a poll (10,000 peerings), and
// reports the heap the loaded model holds.
func BenchmarkRefresh(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := loadedModel(b, inventory(1, 4, 2500), "project-0000")
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	inv := m.inv
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.merge([]string{"project-0000"}, peering.Inventory{Projects: inv}, time.Now())
		m.top().refresh(m.common())
	}
	b.ReportMetric(heap, "MiB-heap-10k")
}

// BenchmarkFirstFrame is the time from ui.Run to the first frame with
// the projects on a (virtual) terminal, against a running sandbox.
func BenchmarkFirstFrame(b *testing.B) {
	e := newTestEnv(b, envOptions{noAzure: true})
	for b.Loop() {
		func() {
			tm := startTerm(b, e.deps, Options{NoAutoRefresh: true}, 120, 40)
			tm.waitFor("tsdb-staging")
			tm.typeKeys("q")
			<-tm.done
			tm.done <- nil
		}()
	}
}

func windowSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }
