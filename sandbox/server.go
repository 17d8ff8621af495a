package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// Options configure a sandbox server.
type Options struct {
	// Listen is the TCP address; default 127.0.0.1:0 (any free port). Only
	// loopback addresses are accepted: the sandbox is never reachable from
	// elsewhere.
	Listen string
	// Speed is the simulated-time factor; 0 makes every simulated delay zero.
	Speed float64
	// Scenario names a built-in scenario ("default", "large", "empty") or a JSON file.
	Scenario string
	// StateDir, when set, persists the world and the CA there so a restart
	// keeps both. The CA PEM is written there in any case when set.
	StateDir string
	// Seed makes fault injection reproducible.
	Seed uint64
	// Faults per API; see FaultConfig.
	Faults map[API]FaultConfig
	// Timing overrides the simulated delays when non-nil.
	Timing *Timing
	// Logger receives one line per request at debug level; nil discards.
	Logger *slog.Logger
	// Variants choose among the plausible answers where no public source
	// settles a behaviour (see AllVariants); they override the scenario's.
	Variants map[string]string
	// ARMPageSize is how many virtual networks or peerings one Resource
	// Manager list page holds before a nextLink follows; 0 means 50.
	ARMPageSize int
}

// API names one of the emulated services, for fault injection and routing.
type API string

const (
	APIEntra API = "entra"
	APIGraph API = "graph"
	APIARM   API = "arm"
	APIAiven API = "aiven"
)

// APIs lists every emulated API.
var APIs = []API{APIEntra, APIGraph, APIARM, APIAiven}

// Server is a running sandbox.
type Server struct {
	opts       Options
	clock      *Clock
	world      *World
	ca         *CA
	faults     *faultInjector
	signingKey []byte
	creds      Credentials
	log        *slog.Logger

	ln       net.Listener
	httpSrv  *http.Server
	proxySrv *http.Server
	url      string

	// armPageSize overrides opts.ARMPageSize (SetARMPageSize); guarded by world.mu.
	armPageSize int

	// requests counts the answers of the emulated APIs (requests.go).
	requests requestCounter
	// net is the emulated network behind the services (netsim.go).
	net *netsim

	persistMu sync.Mutex
	dirty     bool
	stop      chan struct{}
	wg        sync.WaitGroup
}

// Credentials are the scenario's ready-made identities: the Aiven admin
// token and the Azure admin service principal (Application Administrator,
// subscription Owner) in the user's tenant.
type Credentials struct {
	AivenToken     string `json:"aiven_token"`
	AivenUser      string `json:"aiven_user"`
	TenantID       string `json:"tenant_id"`
	SubscriptionID string `json:"subscription_id"`
	ClientID       string `json:"client_id"`
	ClientSecret   string `json:"client_secret"`
}

// New builds a sandbox (world, CA, scenario) without listening yet.
func New(opts Options) (*Server, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if err := checkLoopback(opts.Listen); err != nil {
		return nil, err
	}
	if opts.Scenario == "" {
		opts.Scenario = "default"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: log, stop: make(chan struct{})}
	s.requests.since = time.Now()
	s.faults = newFaultInjector(opts.Seed, opts.Faults)

	if err := s.loadOrCreate(); err != nil {
		return nil, err
	}
	if opts.Timing != nil {
		s.world.Timing = *opts.Timing
	}
	if err := checkVariants(opts.Variants); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	fromEnv, err := envVariants(os.Getenv(VariantsEnv))
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if len(fromEnv)+len(opts.Variants) > 0 && s.world.Variants == nil {
		s.world.Variants = map[string]string{}
	}
	for _, set := range []map[string]string{fromEnv, opts.Variants} {
		for k, v := range set {
			s.world.Variants[k] = v
		}
	}
	return s, nil
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("sandbox: listen on %s: %w", s.opts.Listen, err)
	}
	leaf, err := s.ca.leaf("127.0.0.1")
	if err != nil {
		ln.Close()
		return err
	}
	s.ln = ln
	s.url = "https://" + ln.Addr().String()
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{*leaf}, MinVersion: tls.VersionTLS12},
	}
	tlsLn, plainLn := s.splitListener(ln)
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		_ = s.httpSrv.Serve(tls.NewListener(tlsLn, s.httpSrv.TLSConfig))
	}()
	go func() {
		defer s.wg.Done()
		s.serveProxy(plainLn)
	}()
	if err := s.startNetsim(); err != nil {
		_ = s.Close()
		return err
	}
	s.startPersistence()
	return nil
}

// Close stops serving and saves the world when a state dir is set.
func (s *Server) Close() error {
	select {
	case <-s.stop:
		return nil
	default:
	}
	close(s.stop)
	// Finish requests in flight for a moment, then close the rest: a
	// client's spare connection that never sent a request counts as active
	// for five seconds in http.Server.Shutdown, and nothing here is worth
	// waiting that long for.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var errs []error
	for _, srv := range []*http.Server{s.httpSrv, s.proxySrv} {
		if srv == nil {
			continue
		}
		if err := srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			_ = srv.Close()
		} else if err != nil {
			errs = append(errs, err)
		}
	}
	if s.ln != nil {
		_ = s.ln.Close()
	}
	s.closeNetsim()
	s.wg.Wait()
	errs = append(errs, s.save())
	return errors.Join(errs...)
}

// URL is the base URL of every emulated API, e.g. https://127.0.0.1:8443.
func (s *Server) URL() string { return s.url }

// Addr is the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// CA is the sandbox's certificate authority.
func (s *Server) CA() *CA { return s.ca }

// Clock is the sandbox's simulated clock.
func (s *Server) Clock() *Clock { return s.clock }

// Credentials are the scenario's admin identities.
func (s *Server) Credentials() Credentials { return s.creds }

// HTTPClient returns a client that trusts only the sandbox's CA.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: s.ca.Pool(), MinVersion: tls.VersionTLS12},
			Proxy:               nil,
			MaxIdleConnsPerHost: 64,
			ForceAttemptHTTP2:   true,
		},
	}
}

// SetFaults replaces the fault configuration of one API at run time.
func (s *Server) SetFaults(api API, f FaultConfig) { s.faults.set(api, f) }

// Faults returns the current fault configuration of an API.
func (s *Server) Faults(api API) FaultConfig { return s.faults.get(api) }

// ServeHTTP routes by host (proxy mode) and path to the emulated APIs.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	r, template := withRouteSlot(r)
	api, handler := s.route(r)
	rw := &statusWriter{ResponseWriter: w, status: 200}
	defer func() {
		s.log.Debug("request", "api", api, "method", r.Method, "path", r.URL.Path, "route", *template, "status", rw.status, "took", time.Since(start))
		if api != "" { // the admin endpoints are not counted
			// The handler's own route template (ARM's table row, Graph's,
			// Entra's) when it named one; else one derived from the path.
			tmpl := *template
			if tmpl == "" {
				tmpl = requestTemplate(api, r)
			}
			s.recordRequest(api, r.Method, tmpl, rw.status)
		}
	}()
	if handler == nil {
		notFound(rw, api, r)
		return
	}
	var delay time.Duration
	if api != "" && !strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		if s.faults.inject(r.Context(), api, rw) {
			return
		}
		delay = s.faults.responseDelay(api, r.Method)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.markDirty()
	}
	if delay > 0 {
		s.serveHeld(rw, r, handler, delay)
		return
	}
	handler(rw, r)
}

// realHosts maps the public host names the sandbox answers as (proxy mode)
// to the API each serves.
var realHosts = map[string]API{
	"login.microsoftonline.com": APIEntra,
	"graph.microsoft.com":       APIGraph,
	"management.azure.com":      APIARM,
	"api.aiven.io":              APIAiven,
}

// route picks the API and handler for a request. On the loopback address all
// APIs share one port and are told apart by path; under a real host name
// (proxy mode) only that host's API answers.
func (s *Server) route(r *http.Request) (API, http.HandlerFunc) {
	p := r.URL.Path
	lp := strings.ToLower(p)
	// Resource Manager takes //subscriptions/... as /subscriptions/... (armSegments).
	armPath := "/" + strings.TrimLeft(lp, "/")
	var api API
	var h http.HandlerFunc
	switch {
	case strings.HasPrefix(p, "/_sandbox/"):
		api, h = "", s.handleAdmin
	case strings.HasPrefix(p, "/v1/"):
		api, h = APIAiven, s.handleAiven
	case strings.HasPrefix(p, "/v1.0/") || strings.HasPrefix(p, "/beta/"):
		api, h = APIGraph, s.handleGraph
	case strings.HasPrefix(armPath, "/subscriptions") || strings.HasPrefix(armPath, "/tenants") ||
		strings.HasPrefix(armPath, "/providers") || strings.HasPrefix(armPath, "/metadata/"):
		api, h = APIARM, s.handleARM
	case isEntraPath(p):
		api, h = APIEntra, s.handleEntra
	case lp == "/devicelogin":
		api, h = APIEntra, s.handleDeviceLogin
	}
	host := strings.ToLower(r.Host)
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	if want, ok := realHosts[host]; ok && want != api && !strings.HasPrefix(p, "/_sandbox/") {
		// Under a real host name every other path is that host's: on
		// Resource Manager's, its own JSON answer for a path it lacks.
		if want == APIARM {
			return APIARM, s.handleARM
		}
		return want, nil
	}
	return api, h
}

// routeSlotKey keys the request context's place for the route template
// (the pattern of the row, e.g. an armRoutes pattern) that the request
// matched, so what runs after the handler (the request log, a request
// counter) can name the endpoint rather than the path.
type routeSlotKey struct{}

// withRouteSlot gives a request that place; *template is "" until a
// handler calls setRouteTemplate.
func withRouteSlot(r *http.Request) (_ *http.Request, template *string) {
	template = new(string)
	return r.WithContext(context.WithValue(r.Context(), routeSlotKey{}, template)), template
}

// setRouteTemplate records the template of the route r matched.
func setRouteTemplate(r *http.Request, template string) {
	if slot, ok := r.Context().Value(routeSlotKey{}).(*string); ok {
		*slot = template
	}
}

// isEntraPath matches /{tenant}/v2.0/..., /{tenant}/oauth2/..., /common/discovery/...
func isEntraPath(p string) bool {
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 3)
	if len(parts) < 2 || parts[0] == "" {
		return false
	}
	switch parts[1] {
	case "v2.0", "oauth2", "discovery", ".well-known":
		// .well-known: the v1 discovery document, which MSAL Python
		// asks for when the tenant is named by its domain.
		return true
	}
	return false
}

// lock takes the world lock and brings the state machines up to the current
// simulated time. Every handler that touches the world calls it.
func (s *Server) lock() (world *World, unlock func()) {
	s.world.mu.Lock()
	s.advance()
	return s.world, s.world.mu.Unlock
}

// advance runs the time-driven parts of the world (async operations, Aiven's
// state machine). Expects the world lock held.
func (s *Server) advance() {
	s.advanceOperations()
	s.advanceAiven()
}

// checkLoopback refuses any listen address that is not loopback.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sandbox: --listen %q: %w (use HOST:PORT, e.g. 127.0.0.1:8443)", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("sandbox: --listen %q is not a loopback address; the sandbox only listens on 127.0.0.0/8 or [::1]", addr)
	}
	return nil
}

func newSigningKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err)
	}
	return k
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// writeJSON writes v with a status code.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decodeJSON reads a JSON request body into v.
func decodeJSON(r *http.Request, v any) error {
	defer r.Body.Close()
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	return dec.Decode(v)
}

func notFound(w http.ResponseWriter, api API, r *http.Request) {
	switch api {
	case APIARM:
		armError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("The requested path '%s' was not found.", r.URL.Path))
	case APIGraph:
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", "Resource not found for the segment '"+r.URL.Path+"'.")
	case APIAiven:
		// No public source for Aiven's unknown-path answer: the sandbox's own.
		aivenError(w, http.StatusNotFound, "Not Found", "not_found")
	default:
		http.Error(w, "404 page not found: the azpeer sandbox does not emulate "+r.URL.Path, http.StatusNotFound)
	}
}

// armError writes Resource Manager's error shape, with x-ms-error-code.
func armError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("x-ms-error-code", code)
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message}})
}

// graphError writes Microsoft Graph's error shape.
func graphError(w http.ResponseWriter, status int, code, message string) {
	now := time.Now().UTC().Format("2006-01-02T15:04:05")
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": message,
		"innerError": map[string]any{"date": now, "request-id": newGUID(), "client-request-id": newGUID()},
	}})
}

// aadError writes Entra ID's OAuth error shape.
func aadError(w http.ResponseWriter, status int, errCode string, aadsts int, description string) {
	trace, corr := newGUID(), newGUID()
	now := time.Now().UTC()
	desc := fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", aadsts, description, trace, corr, now.Format("2006-01-02 15:04:05Z"))
	writeJSON(w, status, map[string]any{
		"error": errCode, "error_description": desc, "error_codes": []int{aadsts},
		"timestamp": now.Format("2006-01-02 15:04:05Z"), "trace_id": trace, "correlation_id": corr,
		"error_uri": "https://login.microsoftonline.com/error?code=" + fmt.Sprint(aadsts),
	})
}

// aivenError writes the Aiven API's error shape; an empty errorCode leaves
// error_code out, as the older bodies quoted in public issues have it
// (see aiven.go).
func aivenError(w http.ResponseWriter, status int, message, errorCode string) {
	e := map[string]any{"message": message, "status": status}
	if errorCode != "" {
		e["error_code"] = errorCode
	}
	writeJSON(w, status, map[string]any{"message": message, "errors": []map[string]any{e}})
}
