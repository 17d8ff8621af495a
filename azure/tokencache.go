package azure

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// cachingCredential keeps tokens until shortly before they expire, once per
// scope and tenant per process. It exists for the Azure CLI credential,
// where every token is a new `az account get-access-token` process (about
// half a second to a second each) and every SDK client has its own bearer
// policy asking again.
//
// Requests for a token already being fetched wait for that fetch; tokens
// for different scopes or tenants are fetched concurrently (no lock is
// held while a fetch runs). A fetch runs detached from the context of the
// caller that started it, bounded by fetchTimeout, so one caller's short
// deadline does not fail the others waiting on it; each caller still
// returns when its own context ends, and the fetch is cancelled (the az
// process killed) once nobody waits for it. Errors are not kept: the next
// request — say the runbook's retry, the one retry policy — fetches again.
type cachingCredential struct {
	// cred must allow concurrent GetToken calls.
	cred         azcore.TokenCredential
	fetchTimeout time.Duration

	mu      sync.Mutex
	tokens  map[string]azcore.AccessToken
	flights map[string]*tokenFlight
}

// tokenFlight is one fetch in progress.
type tokenFlight struct {
	done chan struct{} // closed when tok and err are set
	tok  azcore.AccessToken
	err  error
	// waiters is how many callers wait (guarded by cachingCredential.mu); a
	// prefetch counts as a waiter that never leaves.
	waiters int
	cancel  context.CancelFunc
}

// tokenRefreshMargin: a cached token is renewed this long before it expires.
const tokenRefreshMargin = 5 * time.Minute

// tokenFetchTimeout bounds one token fetch (one `az` run, which may itself
// refresh its token through Entra on a slow network; azidentity's own
// default for a CLI run is 10 s, which a loaded laptop can exceed).
const tokenFetchTimeout = 30 * time.Second

func newCachingCredential(cred azcore.TokenCredential, fetchTimeout time.Duration) *cachingCredential {
	return &cachingCredential{cred: cred, fetchTimeout: fetchTimeout,
		tokens: map[string]azcore.AccessToken{}, flights: map[string]*tokenFlight{}}
}

func tokenKey(opts policy.TokenRequestOptions) string {
	return opts.TenantID + "\x00" + strings.Join(opts.Scopes, " ")
}

// fresh says whether t may still be handed out at now.
func fresh(t azcore.AccessToken, now time.Time) bool {
	if !t.RefreshOn.IsZero() && !now.Before(t.RefreshOn) {
		return false
	}
	return t.ExpiresOn.Sub(now) > tokenRefreshMargin
}

func (c *cachingCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if opts.Claims != "" {
		// A claims challenge wants a new token, never a cached one.
		return c.cred.GetToken(ctx, opts)
	}
	if err := ctx.Err(); err != nil {
		return azcore.AccessToken{}, err
	}
	key := tokenKey(opts)
	c.mu.Lock()
	if t, ok := c.tokens[key]; ok && fresh(t, time.Now()) {
		c.mu.Unlock()
		return t, nil
	}
	f := c.join(ctx, key, opts)
	c.mu.Unlock()

	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		c.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			// Nobody waits any more: stop the fetch, and let the next
			// request start a new one rather than join a cancelled one.
			f.cancel()
			if c.flights[key] == f {
				delete(c.flights, key)
			}
		}
		c.mu.Unlock()
		return azcore.AccessToken{}, ctx.Err()
	}
}

// prefetch starts fetching the tokens of reqs that are neither cached nor
// being fetched, without waiting: for scopes a command knowably needs, so
// their fetches overlap the first one. ctx gives values only; the fetches
// are bounded by fetchTimeout.
func (c *cachingCredential) prefetch(ctx context.Context, reqs ...policy.TokenRequestOptions) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, opts := range reqs {
		key := tokenKey(opts)
		if t, ok := c.tokens[key]; ok && fresh(t, time.Now()) {
			continue
		}
		c.join(ctx, key, opts)
	}
}

// abandon cancels every fetch in flight (prefetches included), for a
// credential that will not be used.
func (c *cachingCredential) abandon() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, f := range c.flights {
		f.cancel()
		delete(c.flights, key)
	}
}

// join returns the flight for key, starting it when there is none, and
// counts the caller as one of its waiters. c.mu must be held.
func (c *cachingCredential) join(ctx context.Context, key string, opts policy.TokenRequestOptions) *tokenFlight {
	if f, ok := c.flights[key]; ok {
		f.waiters++
		return f
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.fetchTimeout)
	f := &tokenFlight{done: make(chan struct{}), waiters: 1, cancel: cancel}
	c.flights[key] = f
	go func() {
		defer cancel()
		tok, err := c.cred.GetToken(fctx, opts)
		c.mu.Lock()
		if c.flights[key] == f {
			delete(c.flights, key)
		}
		if err == nil {
			c.tokens[key] = tok
		}
		f.tok, f.err = tok, err
		c.mu.Unlock()
		close(f.done)
	}()
	return f
}

// cliCredential is the Azure CLI credential, one `az` run per token.
// azidentity's AzureCLICredential holds a mutex across its `az` run, so
// one value fetches one token at a time; a fresh value per request (it is
// a small struct, made without any IO) lets tokens for different scopes
// be fetched concurrently.
type cliCredential struct {
	tenantID string
}

func (c cliCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	cred, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: c.tenantID})
	if err != nil {
		return azcore.AccessToken{}, err
	}
	return cred.GetToken(ctx, opts)
}
