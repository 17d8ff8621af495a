package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// A person's device-code sign-in, as azidentity's DeviceCodeCredential
// does it, made fit for a dashboard: one code per sign-in, and Entra's
// reason when it ends without one.

// newDeviceCodeSignIn builds the device-code credential.
func newDeviceCodeSignIn(co azcore.ClientOptions, ep Endpoints, opts CredentialOptions) (azcore.TokenCredential, error) {
	answers := &entraAnswers{next: co.Transport}
	if answers.next == nil {
		answers.next = http.DefaultClient
	}
	co.Transport = answers
	cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions:            co,
		TenantID:                 opts.TenantID,
		UserPrompt:               opts.UserPrompt,
		DisableInstanceDiscovery: !ep.MicrosoftAuthority(),
	})
	if err != nil {
		return nil, err
	}
	return &oneSignIn{cred: cred, turn: make(chan struct{}, 1), answers: answers}, nil
}

// oneSignIn lets one GetToken at a time reach a device-code credential:
// azidentity starts a new device-code flow for every GetToken made before
// a sign-in completed, so the first calls made together (the header's
// whoami, the subscriptions, Graph) showed the person two or three codes,
// of which they answer one (seen against the sandbox's device-code
// endpoint). Once signed in, the later calls are silent and quick. Every
// request also asks for CAE: azidentity keeps one MSAL cache for requests
// with CAE (Resource Manager's clients) and another for those without
// (the Graph calls), and the refresh token of one sign-in is in only one,
// so mixing them asked for a second device code.
type oneSignIn struct {
	cred    azcore.TokenCredential
	turn    chan struct{}
	answers *entraAnswers
}

func (c *oneSignIn) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return azcore.AccessToken{}, ctx.Err()
	}
	defer func() { <-c.turn }()
	opts.EnableCAE = true
	c.answers.reset()
	tok, err := c.cred.GetToken(ctx, opts)
	if err != nil {
		if why := c.answers.refusal(); why != "" {
			return tok, &signInEnded{why: why, err: err}
		}
	}
	return tok, err
}

// signInEnded is a device-code sign-in Entra ended (the person refused,
// the code expired), with Entra's reason first: azidentity's own error
// cannot say it (MSAL Go reads the answer's body to tell a wait from a
// failure, apps/internal/oauth/oauth.go isWaitDeviceCodeErr).
type signInEnded struct {
	why string
	err error
}

func (e *signInEnded) Error() string {
	return "the sign-in ended: " + e.why + " (" + e.err.Error() + ")"
}
func (e *signInEnded) Unwrap() error { return e.err }

// entraAnswers remembers the last failure the token endpoint answered
// other than "keep polling". Entra's error bodies carry no secret: an
// error code, a description, trace and correlation ids.
type entraAnswers struct {
	next policy.Transporter
	mu   sync.Mutex
	last string
}

func (a *entraAnswers) Do(req *http.Request) (*http.Response, error) {
	resp, err := a.next.Do(req)
	if err != nil || resp.StatusCode < 400 || !strings.HasSuffix(req.URL.Path, "/token") {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return resp, nil
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" || e.Error == "authorization_pending" || e.Error == "slow_down" {
		return resp, nil
	}
	// "AADSTS70020: The provided value … has expired. Trace ID: …": the
	// sentence, without the ids.
	desc, _, _ := strings.Cut(strings.ReplaceAll(e.Description, "\r\n", " "), " Trace ID:")
	a.mu.Lock()
	a.last = fmt.Sprintf("%s: %s", e.Error, strings.TrimSpace(desc))
	a.mu.Unlock()
	return resp, nil
}

func (a *entraAnswers) reset() {
	a.mu.Lock()
	a.last = ""
	a.mu.Unlock()
}

func (a *entraAnswers) refusal() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}
