package sandbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// FaultConfig makes one API slow or flaky, as the real ones are at times.
type FaultConfig struct {
	// Latency is added to every request (wall-clock, not simulated).
	Latency time.Duration `json:"latency"`
	// Rate429 is the fraction of requests answered 429 with Retry-After.
	Rate429 float64 `json:"rate_429"`
	// Rate5xx is the fraction of requests answered 503.
	Rate5xx float64 `json:"rate_5xx"`
	// RetryAfter is the Retry-After sent with a 429 (default 1s).
	RetryAfter time.Duration `json:"retry_after"`
	// RateOperationFailure (ARM only) is the fraction of async peering
	// operations that end Failed, leaving provisioningState Failed.
	RateOperationFailure float64 `json:"rate_operation_failure,omitempty"`
}

// faultInjector decides, reproducibly from a seed, which requests fail.
type faultInjector struct {
	mu    sync.Mutex
	rng   *rand.Rand
	by    map[API]FaultConfig
	count map[API]int
}

func newFaultInjector(seed uint64, cfg map[API]FaultConfig) *faultInjector {
	fi := &faultInjector{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), by: map[API]FaultConfig{}, count: map[API]int{}}
	for k, v := range cfg {
		fi.by[k] = v
	}
	return fi
}

func (f *faultInjector) set(api API, c FaultConfig) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.by[api] = c
}

func (f *faultInjector) get(api API) FaultConfig {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.by[api]
}

// operationFails rolls whether a new ARM async operation will fail.
func (f *faultInjector) operationFails() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	rate := f.by[APIARM].RateOperationFailure
	return rate > 0 && f.rng.Float64() < rate
}

// Injected reports how many faults were injected into an API so far.
func (f *faultInjector) injected(api API) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[api]
}

// inject sleeps for the configured latency and may answer the request with
// a 429 or 503 in the API's own error shape. It reports whether it answered.
func (f *faultInjector) inject(ctx context.Context, api API, w http.ResponseWriter) bool {
	f.mu.Lock()
	c := f.by[api]
	roll := f.rng.Float64()
	f.mu.Unlock()

	if c.Latency > 0 {
		t := time.NewTimer(c.Latency)
		select {
		case <-ctx.Done():
			t.Stop()
			return true
		case <-t.C:
		}
	}
	switch {
	case roll < c.Rate429:
		ra := c.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(ra.Round(time.Second)/time.Second))))
		if ra < time.Second {
			w.Header().Set("x-ms-retry-after-ms", strconv.Itoa(int(ra/time.Millisecond)))
		}
		f.countOne(api)
		writeThrottled(w, api)
		return true
	case roll < c.Rate429+c.Rate5xx:
		f.countOne(api)
		writeUnavailable(w, api)
		return true
	}
	return false
}

func (f *faultInjector) countOne(api API) {
	f.mu.Lock()
	f.count[api]++
	f.mu.Unlock()
}

func writeThrottled(w http.ResponseWriter, api API) {
	const status = http.StatusTooManyRequests
	switch api {
	case APIARM:
		armError(w, status, "SubscriptionRequestsThrottled",
			"Number of requests for subscription exceeded the limit. Please try again after a while.")
	case APIGraph:
		graphError(w, status, "TooManyRequests", "Too many requests.")
	case APIEntra:
		aadError(w, status, "temporarily_unavailable", 50196, "The server terminated an operation because it encountered a client request loop. Please try again later.")
	case APIAiven:
		aivenError(w, status, "Too many requests, try again later", "rate_limited")
	}
}

func writeUnavailable(w http.ResponseWriter, api API) {
	const status = http.StatusServiceUnavailable
	switch api {
	case APIARM:
		armError(w, status, "ServiceUnavailable", "The service is temporarily unavailable. Please try again later.")
	case APIGraph:
		graphError(w, status, "serviceNotAvailable", "Service unavailable.")
	case APIEntra:
		aadError(w, status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
	case APIAiven:
		aivenError(w, status, fmt.Sprintf("Service temporarily unavailable (%d)", status), "service_unavailable")
	}
}
