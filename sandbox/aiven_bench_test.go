package sandbox

import (
	"fmt"
	"testing"
)

// BenchmarkAdvanceAiven measures what Aiven's state machine adds to every
// request in the "large" scenario (3000 ACTIVE connections), with and
// without Aiven-side Azure peerings to watch.
func BenchmarkAdvanceAiven(b *testing.B) {
	for _, withSides := range []bool{false, true} {
		b.Run(fmt.Sprintf("aiven-sides=%v", withSides), func(b *testing.B) {
			s, err := New(Options{Scenario: "large"})
			if err != nil {
				b.Fatal(err)
			}
			world := s.world
			world.mu.Lock()
			defer world.mu.Unlock()
			if withSides {
				now := s.clock.Now()
				for _, p := range world.Aiven.Projects {
					for _, v := range p.VPCs {
						for _, pc := range v.Peerings {
							uv := world.createVNet(pc.PeerCloudAccount, pc.PeerResourceGroup, pc.PeerVPC, "westeurope", "192.168.0.0/24")
							world.provisionAivenSide(now, world.platformOf(p), v, pc)
							world.putPeering(now, uv, "to-aiven", v.AzureVNetID, true)
							world.setPeeringState(now, pc, StateActive, nil)
						}
					}
				}
			}
			s.advanceAiven()
			for b.Loop() {
				s.advanceAiven()
			}
		})
	}
}
