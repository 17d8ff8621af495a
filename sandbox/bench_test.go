package sandbox_test

import (
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// Throughput and memory of the sandbox, measured with the real clients over
// HTTPS on loopback. The numbers include the clients' own work (TLS, JSON,
// retry wrappers), as a test suite or demo sees it. Results: BENCHMARKS.md.

// BenchmarkAivenVPCGet is GET /v1/project/{p}/vpcs/{id} through codegen's
// client, in the default scenario and in "large" (every request advances
// Aiven's state machine over all 3000 connections).
func BenchmarkAivenVPCGet(b *testing.B) {
	for _, sc := range []string{"default", "large"} {
		b.Run("scenario="+sc, func(b *testing.B) {
			s := sandboxtest.Start(b, sandbox.Options{Scenario: sc})
			project, vpcID := "tsdb-prod", prodVPCID
			if sc == "large" {
				vpcs, err := aivenClient(b, s, s.Credentials().AivenToken).VpcList(ctx(b), "project-000")
				if err != nil || len(vpcs) == 0 {
					b.Fatalf("VpcList: %v", err)
				}
				project, vpcID = "project-000", vpcs[0].ProjectVpcId
			}
			c := aivenClient(b, s, s.Credentials().AivenToken)
			cx := ctx(b)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					v, err := c.VpcGet(cx, project, vpcID)
					if err != nil {
						b.Error(err)
						return
					}
					if len(v.PeeringConnections) == 0 {
						b.Error("VPC without connections")
						return
					}
				}
			})
			reportRate(b)
		})
	}
}

// BenchmarkEntraToken is a client-credentials token request: as a raw form
// POST (the endpoint alone), and through azidentity with its cache bypassed
// (a claims request always goes to the token endpoint, as after a claims
// challenge), which adds MSAL's work.
func BenchmarkEntraToken(b *testing.B) {
	b.Run("client=raw-post", func(b *testing.B) {
		s := sandboxtest.Start(b, sandbox.Options{})
		c := s.Credentials()
		hc := s.HTTPClient()
		endpoint := s.URL() + "/" + c.TenantID + "/oauth2/v2.0/token"
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID},
			"client_secret": {c.ClientSecret}, "scope": {"https://management.azure.com/.default"}}.Encode()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := hc.Post(endpoint, "application/x-www-form-urlencoded", strings.NewReader(form))
				if err != nil {
					b.Error(err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "access_token") {
					b.Errorf("HTTP %d: %s", resp.StatusCode, body)
					return
				}
			}
		})
		reportRate(b)
	})
	b.Run("client=azidentity-nocache", func(b *testing.B) {
		s := sandboxtest.Start(b, sandbox.Options{})
		cred := adminCredential(b, s)
		cx := ctx(b)
		opts := policy.TokenRequestOptions{
			Scopes: []string{"https://management.azure.com/.default"},
			Claims: `{"access_token":{"nbf":{"essential":true,"value":"1"}}}`,
		}
		if _, err := cred.GetToken(cx, opts); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := cred.GetToken(cx, opts); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b)
	})
}

// BenchmarkLargeScenarioMemory builds the "large" world (200 projects × 3
// VPCs × 5 peerings, with Aiven's VNets) and reports the heap it holds and
// the size of its JSON snapshot (what --state-dir and /_sandbox/state hold).
func BenchmarkLargeScenarioMemory(b *testing.B) {
	before := heapInUse()
	s, err := sandbox.New(sandbox.Options{Scenario: "large"})
	if err != nil {
		b.Fatal(err)
	}
	heap := int64(heapInUse()) - int64(before)
	snap, err := s.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	runtime.KeepAlive(s)
	// The loop times building the world; the heap is measured once, above,
	// with nothing else of the benchmark alive.
	for b.Loop() {
		if _, err := sandbox.New(sandbox.Options{Scenario: "large"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
	b.ReportMetric(float64(len(snap))/(1<<20), "snapshot-MB")
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// reportRate adds requests per second over the whole parallel run.
func reportRate(b *testing.B) {
	b.Helper()
	if sec := b.Elapsed().Seconds(); sec > 0 {
		b.ReportMetric(float64(b.N)/sec, "req/s")
	}
}
