package sandbox

import (
	"bytes"
	"context"
	"maps"
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
	// ResponseDelay holds back the answer to every mutation (any method but
	// GET and HEAD) for this long (wall-clock) after the request was handled
	// in full: the world has changed, but not a byte of the answer reaches
	// the client before the delay ends, so a client whose deadline is
	// shorter never learns of the change. That is how tests reproduce a
	// process that died after the cloud acted and before it recorded the
	// answer. No real service does this on purpose; the fault is the
	// sandbox's own.
	ResponseDelay time.Duration `json:"response_delay,omitempty"`
	// ResponseDelayReads applies ResponseDelay to GET and HEAD too.
	ResponseDelayReads bool `json:"response_delay_reads,omitempty"`
	// RateBusy (ARM only) is the fraction of the network provider's
	// writes (peering PUTs and DELETEs) that find another operation
	// running on the peering: one is started (it can be polled at the URL
	// the answer names) and the write is answered AnotherOperationInProgress
	// as variant azure-busy says (arm_busy.go). Role assignments and
	// definitions have no such answer: they are not asynchronous.
	RateBusy float64 `json:"rate_busy,omitempty"`
	// RateReferencedNotProvisioned (ARM only) is the fraction of peering
	// PUTs that find their remote network being updated (by a
	// PutSubnetOperation, as in the public texts), answered 400
	// ReferencedResourceNotProvisioned.
	RateReferencedNotProvisioned float64 `json:"rate_referenced_not_provisioned,omitempty"`
}

// faultInjector decides, reproducibly from a seed, which requests fail.
type faultInjector struct {
	mu  sync.Mutex
	rng *rand.Rand
	by  map[API]FaultConfig
}

func newFaultInjector(seed uint64, cfg map[API]FaultConfig) *faultInjector {
	fi := &faultInjector{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), by: map[API]FaultConfig{}}
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

// roll reports whether an event of the rate pick(api's configuration)
// happens this time.
func (f *faultInjector) roll(api API, pick func(FaultConfig) float64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	rate := pick(f.by[api])
	return rate > 0 && f.rng.Float64() < rate
}

// responseDelay is how long the answer to a request must be held back
// (FaultConfig.ResponseDelay), or 0.
func (f *faultInjector) responseDelay(api API, method string) time.Duration {
	f.mu.Lock()
	c := f.by[api]
	f.mu.Unlock()
	if c.ResponseDelay <= 0 {
		return 0
	}
	if (method == http.MethodGet || method == http.MethodHead) && !c.ResponseDelayReads {
		return 0
	}
	return c.ResponseDelay
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
		writeThrottled(w, api)
		return true
	case roll < c.Rate429+c.Rate5xx:
		writeUnavailable(w, api)
		return true
	}
	return false
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
		aivenThrottled(w)
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
		aivenServerError(w, status)
	}
}

// serveHeld runs handler to completion on a buffer, waits out the delay and
// only then sends the answer (FaultConfig.ResponseDelay). The handler has
// released the world lock by the time the wait starts, so other requests
// see the change at once. A client that gives up during the wait gets
// nothing; neither does one still waiting when the sandbox closes.
//
// Everything that goes through ServeHTTP can be held: direct HTTPS and the
// HTTPS inside proxy-mode tunnels (CONNECT itself is answered by the proxy
// server before any of this). Async operations need nothing special: the
// Azure-AsyncOperation and Location headers are part of the held answer,
// and the status polls are GETs, held only with ResponseDelayReads.
func (s *Server) serveHeld(w *statusWriter, r *http.Request, handler http.HandlerFunc, delay time.Duration) {
	held := &heldResponse{header: http.Header{}}
	handler(held, r)
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		held.release(w, r)
	case <-r.Context().Done():
		w.status = held.statusCode() // for the request log only
	case <-s.stop:
		w.status = held.statusCode()
	}
}

// heldResponse is an http.ResponseWriter that keeps the whole answer
// (status, headers, body) in memory until release.
type heldResponse struct {
	header http.Header
	status int // 0 until WriteHeader or the first Write
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}

// Flush does nothing: a held answer goes out whole or not at all.
func (h *heldResponse) Flush() {}

func (h *heldResponse) statusCode() int {
	if h.status == 0 {
		return http.StatusOK
	}
	return h.status
}

// release sends the held answer. Content-Length is set from the buffer, as
// net/http would have for an answer this handler wrote in one go, so the
// client sees the same framing with or without the delay.
func (h *heldResponse) release(w http.ResponseWriter, r *http.Request) {
	dst := w.Header()
	maps.Copy(dst, h.header)
	status := h.statusCode()
	bodyAllowed := status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
	if bodyAllowed && r.Method != http.MethodHead && dst.Get("Content-Length") == "" {
		dst.Set("Content-Length", strconv.Itoa(h.body.Len()))
	}
	w.WriteHeader(status)
	if bodyAllowed && h.body.Len() > 0 {
		_, _ = w.Write(h.body.Bytes())
	}
}
