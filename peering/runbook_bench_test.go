package peering_test

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// requestCounter counts the sandbox's requests by API from its debug log.
type requestCounter struct {
	n atomic.Int64
}

func (c *requestCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *requestCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "request" {
		c.n.Add(1)
	}
	return nil
}
func (c *requestCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *requestCounter) WithGroup(string) slog.Handler      { return c }

// BenchmarkRunbookFullFlow runs the whole create, nothing to ACTIVE, on a
// sandbox whose simulated waits are all zero: what remains is the
// runbook's own overhead and the API calls. It reports calls per step.
func BenchmarkRunbookFullFlow(b *testing.B) {
	perStep := map[peering.StepID]int64{}
	var total time.Duration
	for range b.N {
		b.StopTimer()
		rc := &requestCounter{}
		e := newEnv(b, sandbox.Options{Logger: slog.New(rc)})
		run, err := e.runbook().Open(stagingTarget(), peering.Options{})
		if err != nil {
			b.Fatal(err)
		}
		var mu sync.Mutex
		var startN int64
		sink := func(ev peering.Event) {
			mu.Lock()
			defer mu.Unlock()
			switch ev.Kind {
			case peering.EventStarted:
				startN = rc.n.Load()
			case peering.EventDone, peering.EventDetected:
				perStep[ev.Step] += rc.n.Load() - startN
			}
		}
		start := time.Now()
		b.StartTimer()
		if err := run.RunAll(context.Background(), sink); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		total += time.Since(start)
		run.Close()
	}
	var calls int64
	var lines []string
	for _, s := range peering.Steps() {
		n := perStep[s.ID] / int64(b.N)
		calls += n
		lines = append(lines, fmt.Sprintf("%2d %-24s %d", s.Number, s.ID, n))
	}
	sort.Strings(lines)
	b.ReportMetric(float64(calls), "calls/op")
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/flow")
	b.Logf("API calls per step (instant sandbox):\n%s", strings.Join(lines, "\n"))
}
