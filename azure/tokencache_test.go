package azure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// fakeTokens is an inner credential for cachingCredential's pure logic: it
// counts fetches per scope and tenant, can hold every fetch until the test
// releases it, and answers with the results the test queued.
type fakeTokens struct {
	// started receives the key of every fetch as it begins (when not nil).
	started chan string
	// gate, when not nil, holds every fetch until it is closed or the
	// fetch's context ends.
	gate chan struct{}

	mu      sync.Mutex
	calls   map[string]int
	results []fakeResult // answered in order; then a token valid for an hour
	ctxErrs []error      // the fetch contexts' errors, for fetches that ended by them
}

type fakeResult struct {
	ttl       time.Duration
	refreshOn time.Duration // from now; zero: not set
	err       error
}

func (f *fakeTokens) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	key := tokenKey(opts)
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[key]++
	n := f.calls[key]
	r := fakeResult{ttl: time.Hour}
	if len(f.results) > 0 {
		r, f.results = f.results[0], f.results[1:]
	}
	f.mu.Unlock()
	if f.started != nil {
		f.started <- key
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			f.mu.Lock()
			f.ctxErrs = append(f.ctxErrs, ctx.Err())
			f.mu.Unlock()
			return azcore.AccessToken{}, ctx.Err()
		}
	}
	if r.err != nil {
		return azcore.AccessToken{}, r.err
	}
	t := azcore.AccessToken{Token: fmt.Sprintf("token %d for %s", n, key), ExpiresOn: time.Now().Add(r.ttl)}
	if r.refreshOn != 0 {
		t.RefreshOn = time.Now().Add(r.refreshOn)
	}
	return t, nil
}

func (f *fakeTokens) count(opts policy.TokenRequestOptions) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[tokenKey(opts)]
}

var (
	armReq   = policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}}
	graphReq = policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}
	auxReq   = policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}, TenantID: "aux-tenant"}
)

// waitWaiters yields until the fetch for opts has n waiters: a condition,
// not a duration, so the test is deterministic.
func waitWaiters(t *testing.T, c *cachingCredential, opts policy.TokenRequestOptions, n int) {
	t.Helper()
	for {
		c.mu.Lock()
		f := c.flights[tokenKey(opts)]
		got := 0
		if f != nil {
			got = f.waiters
		}
		c.mu.Unlock()
		if got == n {
			return
		}
		if got > n {
			t.Fatalf("fetch has %d waiters, want %d", got, n)
		}
		runtime.Gosched()
	}
}

// waitCtxErrs yields until n fetches ended by their context.
func waitCtxErrs(f *fakeTokens, n int) {
	for {
		f.mu.Lock()
		got := len(f.ctxErrs)
		f.mu.Unlock()
		if got >= n {
			return
		}
		runtime.Gosched()
	}
}

// guard fails a test that would otherwise hang (a fetch that never
// starts): a bound on a deadlock, never on how fast anything runs.
const guard = 20 * time.Second

// getTokenAsync asks c for a token in a goroutine of its own and sends
// the error (nil for a token) to errc.
func getTokenAsync(ctx context.Context, c *cachingCredential, opts policy.TokenRequestOptions, errc chan<- error) {
	go func() {
		_, err := c.GetToken(ctx, opts)
		errc <- err
	}()
}

func receive(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case k := <-ch:
		return k
	case <-time.After(guard):
		t.Fatalf("no %s within %s", what, guard)
		return ""
	}
}

func TestCachingCredentialSameScopeFetchedOnce(t *testing.T) {
	for _, n := range []int{1, 2, 16} {
		t.Run(fmt.Sprint(n, " callers"), func(t *testing.T) {
			fake := &fakeTokens{gate: make(chan struct{})}
			c := newCachingCredential(fake, time.Minute)
			type res struct {
				tok azcore.AccessToken
				err error
			}
			out := make(chan res, n)
			for range n {
				go func() {
					tok, err := c.GetToken(context.Background(), armReq)
					out <- res{tok, err}
				}()
			}
			waitWaiters(t, c, armReq, n)
			close(fake.gate)
			var first string
			for i := range n {
				r := <-out
				if r.err != nil {
					t.Fatal(r.err)
				}
				if i == 0 {
					first = r.tok.Token
				} else if r.tok.Token != first {
					t.Errorf("caller %d got %q, another %q: not one shared fetch", i, r.tok.Token, first)
				}
			}
			if got := fake.count(armReq); got != 1 {
				t.Errorf("%d concurrent requests made %d fetches, want 1", n, got)
			}
			// And later requests are answered from the cache.
			if _, err := c.GetToken(context.Background(), armReq); err != nil {
				t.Fatal(err)
			}
			if got := fake.count(armReq); got != 1 {
				t.Errorf("a cached token was fetched again (%d fetches)", got)
			}
		})
	}
}

// Two scopes (and one scope in two tenants) are in flight at once: each
// fetch is held until every one of them has started, which never happens
// if a lock serializes them.
func TestCachingCredentialScopesFetchConcurrently(t *testing.T) {
	reqs := []policy.TokenRequestOptions{armReq, graphReq, auxReq}
	fake := &fakeTokens{gate: make(chan struct{}), started: make(chan string, len(reqs))}
	c := newCachingCredential(fake, time.Minute)
	errs := make(chan error, len(reqs))
	for _, r := range reqs {
		getTokenAsync(context.Background(), c, r, errs)
	}
	seen := map[string]bool{}
	for range reqs {
		seen[receive(t, fake.started, "concurrent fetch (serialized?)")] = true
	}
	if len(seen) != len(reqs) {
		t.Fatalf("fetches in flight at once: %v, want one per scope and tenant", seen)
	}
	close(fake.gate)
	for range reqs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range reqs {
		if got := fake.count(r); got != 1 {
			t.Errorf("%v: %d fetches, want 1", r, got)
		}
	}
}

func TestCachingCredentialRenewal(t *testing.T) {
	tests := []struct {
		name      string
		first     fakeResult
		wantFetch int // fetches after two requests
	}{
		{"valid for an hour: cached", fakeResult{ttl: time.Hour}, 1},
		{"expires within the margin: renewed", fakeResult{ttl: tokenRefreshMargin / 2}, 2},
		{"expired: renewed", fakeResult{ttl: -time.Minute}, 2},
		{"refresh time passed: renewed", fakeResult{ttl: time.Hour, refreshOn: -time.Second}, 2},
		{"refresh time ahead: cached", fakeResult{ttl: time.Hour, refreshOn: 30 * time.Minute}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeTokens{results: []fakeResult{tt.first}}
			c := newCachingCredential(fake, time.Minute)
			first, err := c.GetToken(context.Background(), armReq)
			if err != nil {
				t.Fatal(err)
			}
			second, err := c.GetToken(context.Background(), armReq)
			if err != nil {
				t.Fatal(err)
			}
			if got := fake.count(armReq); got != tt.wantFetch {
				t.Errorf("%d fetches, want %d", got, tt.wantFetch)
			}
			if renewed := first.Token != second.Token; renewed != (tt.wantFetch == 2) {
				t.Errorf("second token %q after %q: renewed = %v", second.Token, first.Token, renewed)
			}
		})
	}
}

func TestCachingCredentialErrorsNotCached(t *testing.T) {
	refused := errors.New("az: AADSTS700082: the refresh token has expired")
	fake := &fakeTokens{results: []fakeResult{{err: refused}}}
	c := newCachingCredential(fake, time.Minute)
	if _, err := c.GetToken(context.Background(), armReq); !errors.Is(err, refused) {
		t.Fatalf("first GetToken: %v, want %v", err, refused)
	}
	tok, err := c.GetToken(context.Background(), armReq)
	if err != nil {
		t.Fatalf("second GetToken (a new fetch): %v", err)
	}
	if tok.Token == "" || fake.count(armReq) != 2 {
		t.Errorf("token %q after %d fetches, want a token from a second fetch", tok.Token, fake.count(armReq))
	}
}

func TestCachingCredentialCancellation(t *testing.T) {
	t.Run("the last caller leaving stops the fetch", func(t *testing.T) {
		fake := &fakeTokens{gate: make(chan struct{}), started: make(chan string, 2)}
		c := newCachingCredential(fake, time.Minute)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		getTokenAsync(ctx, c, armReq, errc)
		receive(t, fake.started, "fetch")
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("GetToken after cancel: %v, want context.Canceled", err)
		}
		// The fetch saw its context end (the az process is killed with it).
		waitCtxErrs(fake, 1)
		// The next request starts a new fetch rather than joining the
		// cancelled one, and gets a token.
		close(fake.gate)
		if _, err := c.GetToken(context.Background(), armReq); err != nil {
			t.Fatalf("GetToken after a cancelled one: %v", err)
		}
		if got := fake.count(armReq); got != 2 {
			t.Errorf("%d fetches, want 2 (the cancelled one and a new one)", got)
		}
		fake.mu.Lock()
		defer fake.mu.Unlock()
		if len(fake.ctxErrs) != 1 || !errors.Is(fake.ctxErrs[0], context.Canceled) {
			t.Errorf("fetch contexts ended with %v, want one context.Canceled", fake.ctxErrs)
		}
	})
	t.Run("one caller leaving does not fail the others", func(t *testing.T) {
		fake := &fakeTokens{gate: make(chan struct{})}
		c := newCachingCredential(fake, time.Minute)
		short, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 2)
		getTokenAsync(short, c, armReq, errc)
		waitWaiters(t, c, armReq, 1)
		getTokenAsync(context.Background(), c, armReq, errc)
		waitWaiters(t, c, armReq, 2)
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled caller: %v, want context.Canceled", err)
		}
		close(fake.gate)
		if err := <-errc; err != nil {
			t.Fatalf("the other caller: %v", err)
		}
		if got := fake.count(armReq); got != 1 {
			t.Errorf("%d fetches, want 1", got)
		}
	})
	t.Run("an ended context fetches nothing", func(t *testing.T) {
		fake := &fakeTokens{}
		c := newCachingCredential(fake, time.Minute)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.GetToken(ctx, armReq); !errors.Is(err, context.Canceled) {
			t.Fatalf("GetToken: %v, want context.Canceled", err)
		}
		if got := fake.count(armReq); got != 0 {
			t.Errorf("%d fetches, want 0", got)
		}
	})
	t.Run("a fetch is bounded by the fetch timeout", func(t *testing.T) {
		fake := &fakeTokens{gate: make(chan struct{})}
		c := newCachingCredential(fake, time.Nanosecond)
		if _, err := c.GetToken(context.Background(), armReq); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("GetToken: %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestCachingCredentialPrefetch(t *testing.T) {
	fake := &fakeTokens{gate: make(chan struct{}), started: make(chan string, 2)}
	c := newCachingCredential(fake, time.Minute)
	c.prefetch(context.Background(), graphReq)
	receive(t, fake.started, "prefetch")
	errc := make(chan error, 1)
	getTokenAsync(context.Background(), c, graphReq, errc)
	waitWaiters(t, c, graphReq, 2) // the prefetch and the caller
	close(fake.gate)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	c.prefetch(context.Background(), graphReq) // cached: nothing to do
	if got := fake.count(graphReq); got != 1 {
		t.Errorf("%d fetches, want 1 (the caller joins the prefetch)", got)
	}

	t.Run("abandon stops prefetches", func(t *testing.T) {
		fake := &fakeTokens{gate: make(chan struct{}), started: make(chan string, 1)}
		c := newCachingCredential(fake, time.Minute)
		c.prefetch(context.Background(), graphReq)
		receive(t, fake.started, "prefetch")
		c.abandon()
		waitCtxErrs(fake, 1)
	})
}

func TestCachingCredentialClaimsBypass(t *testing.T) {
	fake := &fakeTokens{}
	c := newCachingCredential(fake, time.Minute)
	req := armReq
	req.Claims = `{"access_token":{"acrs":{"essential":true,"value":"p1"}}}`
	for range 2 {
		if _, err := c.GetToken(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if got := fake.count(req); got != 2 {
		t.Errorf("%d fetches for a claims challenge, want 2 (never cached)", got)
	}
}

// cliCredential runs one `az` per request without a lock across them
// (azidentity's AzureCLICredential holds one): an `az` on PATH that
// answers only once both requests are running proves they overlap. The
// script stands in for the CLI (whose real runs the cmd tests make, where
// it is installed) because only a stand-in can wait for its twin.
func TestCLICredentialRunsConcurrently(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a POSIX shell script stands in for az")
	}
	dir := t.TempDir()
	script := `#!/bin/sh
# Stand-in for az account get-access-token: note this run, wait (a bounded
# while) for the other one, answer with a token for the resource asked.
resource=""
while [ $# -gt 0 ]; do [ "$1" = --resource ] && resource=$2; shift; done
touch "$AZ_FAKE_DIR/run.$$"
i=0
while [ "$(ls "$AZ_FAKE_DIR" | grep -c '^run\.')" -lt 2 ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
[ "$(ls "$AZ_FAKE_DIR" | grep -c '^run\.')" -ge 2 ] || { echo "ERROR: alone: the other token request never ran alongside" >&2; exit 1; }
exp=$(( $(date +%s) + 3600 ))
printf '{"accessToken":"token for %s","expires_on":%s,"expiresOn":"2099-01-01 00:00:00.000000","tokenType":"Bearer"}\n' "$resource" "$exp"
`
	if err := os.WriteFile(filepath.Join(dir, "az"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	runs := t.TempDir()
	t.Setenv("AZ_FAKE_DIR", runs)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	c := newCachingCredential(cliCredential{}, time.Minute)
	reqs := []policy.TokenRequestOptions{armReq, graphReq}
	type res struct {
		tok azcore.AccessToken
		err error
	}
	out := make([]res, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() {
			out[i].tok, out[i].err = c.GetToken(context.Background(), r)
		})
	}
	wg.Wait()
	for i, r := range out {
		if r.err != nil {
			t.Fatalf("%v: %v", reqs[i].Scopes, r.err)
		}
		if want := "token for " + strings.TrimSuffix(reqs[i].Scopes[0], "/.default"); r.tok.Token != want {
			t.Errorf("%v: token %q, want %q", reqs[i].Scopes, r.tok.Token, want)
		}
	}
}
