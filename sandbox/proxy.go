package sandbox

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Proxy mode. Tools that cannot be pointed at another endpoint (the Azure
// CLI: its MSAL calls login.microsoftonline.com for instance discovery
// whatever the authority) reach the sandbox as an HTTPS proxy instead: with
// HTTPS_PROXY=http://127.0.0.1:PORT they send `CONNECT host:443` in plain
// HTTP on the very port that serves HTTPS, and the sandbox answers as the
// real host behind the tunnel, with a leaf for that name signed by its CA.
// Only the four emulated host names are tunnelled; everything else is
// refused, so nothing ever connects out.

const (
	// peekTimeout bounds the wait for a new connection's first byte, which
	// tells TLS from plain HTTP. Clients speak first in both protocols.
	peekTimeout = 10 * time.Second
	// tunnelHandshakeTimeout bounds the TLS handshake inside a CONNECT tunnel.
	tunnelHandshakeTimeout = 10 * time.Second
	// tlsRecordHandshake is the first byte of every TLS connection.
	tlsRecordHandshake = 0x16
)

// splitListener separates TLS connections (first byte 0x16) from plain HTTP
// ones (CONNECT for proxy mode), so one port serves both. It also builds
// the proxy server: Start calls it synchronously, so s.proxySrv is set
// before Close can read it (serveProxy runs on another goroutine).
func (s *Server) splitListener(ln net.Listener) (tlsLn, plainLn net.Listener) {
	sp := &splitter{
		ln:      ln,
		tls:     newConnQueue(ln.Addr()),
		plain:   newConnQueue(ln.Addr()),
		pending: map[net.Conn]struct{}{},
	}
	ph := &proxyHandler{s: s, tunnels: newConnQueue(ln.Addr())}
	s.proxySrv = &http.Server{
		Handler:           ph,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sp.run(&s.wg)
	}()
	return sp.tls, sp.plain
}

// serveProxy serves HTTP CONNECT on plain connections, and HTTPS inside the
// tunnels it opens. The tunnels are served by s.httpSrv (the same handler
// and the same Shutdown as direct HTTPS), so Close ends them too.
func (s *Server) serveProxy(ln net.Listener) {
	if ln == nil || s.proxySrv == nil {
		return
	}
	ph := s.proxySrv.Handler.(*proxyHandler)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.httpSrv.Serve(ph.tunnels)
	}()
	_ = s.proxySrv.Serve(ln)
	// Shutdown of httpSrv closes the tunnel listener; close it here as well
	// in case only the proxy stopped.
	_ = ph.tunnels.Close()
	<-done
}

// splitter hands each accepted connection to the TLS or the plain queue by
// its first byte.
type splitter struct {
	ln         net.Listener
	tls, plain *connQueue

	mu      sync.Mutex
	pending map[net.Conn]struct{} // accepted, first byte not read yet
	closed  bool
}

// run accepts until the listener closes, then closes both queues and every
// connection still waiting to be sorted.
func (sp *splitter) run(wg *sync.WaitGroup) {
	defer func() {
		_ = sp.tls.Close()
		_ = sp.plain.Close()
		sp.mu.Lock()
		sp.closed = true
		for c := range sp.pending {
			_ = c.Close()
		}
		sp.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		c, err := sp.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and retry, as
			// http.Server does, rather than stop serving.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		sp.mu.Lock()
		if sp.closed {
			sp.mu.Unlock()
			_ = c.Close()
			return
		}
		sp.pending[c] = struct{}{}
		sp.mu.Unlock()
		// The accept loop holds a count on wg, so adding here is safe.
		wg.Add(1)
		go func() {
			defer wg.Done()
			sp.sort(c)
		}()
	}
}

// sort reads the first byte and queues the connection, that byte included.
func (sp *splitter) sort(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(peekTimeout))
	var b [1]byte
	_, err := io.ReadFull(c, b[:])
	sp.mu.Lock()
	delete(sp.pending, c)
	sp.mu.Unlock()
	if err != nil {
		_ = c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	pc := &prefixConn{Conn: c, prefix: []byte{b[0]}}
	if b[0] == tlsRecordHandshake {
		sp.tls.push(pc)
	} else {
		sp.plain.push(pc)
	}
}

// prefixConn replays bytes already read from a connection before the rest.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// connQueue is a net.Listener fed by push.
type connQueue struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnQueue(addr net.Addr) *connQueue {
	return &connQueue{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// push hands c to Accept, or closes it when the queue is closed.
func (q *connQueue) push(c net.Conn) {
	select {
	case q.ch <- c:
	case <-q.done:
		_ = c.Close()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }

// proxyHandler answers plain HTTP on the sandbox port: CONNECT to an
// emulated host opens a tunnel, anything else is refused.
type proxyHandler struct {
	s       *Server
	tunnels *connQueue
}

// proxyHosts lists the host names a CONNECT may name, for messages.
func proxyHosts() string {
	names := make([]string, 0, len(realHosts))
	for h := range realHosts {
		names = append(names, h+":443")
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func (p *proxyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := p.s
	if r.Method != http.MethodConnect {
		s.log.Debug("proxy", "method", r.Method, "path", r.URL.Path, "status", http.StatusBadRequest)
		http.Error(w, fmt.Sprintf("400 Bad Request: the azpeer sandbox serves HTTPS on this port; use https://%s%s, or use it as an HTTPS proxy (CONNECT) for %s",
			s.Addr(), r.URL.RequestURI(), proxyHosts()), http.StatusBadRequest)
		return
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, ""
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if _, ok := realHosts[host]; !ok || port != "443" {
		// Refused without any attempt to reach the host: the sandbox never
		// connects out.
		s.log.Debug("proxy", "method", r.Method, "host", r.Host, "status", http.StatusForbidden)
		http.Error(w, fmt.Sprintf("403 Forbidden: the azpeer sandbox proxy only tunnels to the clouds it emulates (%s) and never connects out; %s is refused",
			proxyHosts(), r.Host), http.StatusForbidden)
		return
	}
	leaf, err := s.ca.leaf(host)
	if err != nil {
		http.Error(w, "502 Bad Gateway: sandbox certificate for "+host+": "+err.Error(), http.StatusBadGateway)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "500 Internal Server Error: cannot open a tunnel: "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.log.Debug("proxy", "method", r.Method, "host", r.Host, "status", http.StatusOK)
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		_ = conn.Close()
		return
	}
	p.tunnel(conn, brw.Reader, leaf)
}

// tunnel performs the TLS server handshake as the real host on a hijacked
// connection and hands the result to the HTTPS server.
func (p *proxyHandler) tunnel(conn net.Conn, buffered *bufio.Reader, leaf *tls.Certificate) {
	var raw net.Conn = conn
	// A client may send its ClientHello without waiting for the 200; those
	// bytes sit in the server's read buffer.
	if n := buffered.Buffered(); n > 0 {
		b, _ := buffered.Peek(n)
		raw = &prefixConn{Conn: conn, prefix: append([]byte(nil), b...)}
	}
	tc := tls.Server(raw, &tls.Config{
		Certificates: []tls.Certificate{*leaf},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), tunnelHandshakeTimeout)
	defer cancel()
	// Close ends a handshake in progress rather than waiting for its timeout.
	go func() {
		select {
		case <-p.s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := tc.HandshakeContext(ctx); err != nil {
		p.s.log.Debug("proxy: tunnel handshake", "err", err)
		_ = tc.Close()
		return
	}
	p.tunnels.push(tc)
}
