package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Audiences the sandbox issues tokens for.
const (
	AudienceARM   = "https://management.core.windows.net/"
	AudienceGraph = "https://graph.microsoft.com"
)

// Claims are the access-token claims the sandbox issues and checks: like
// Entra's v1 app-only tokens, they name the tenant, the principal and the app.
type Claims struct {
	jwt.RegisteredClaims
	// Aud shadows RegisteredClaims.Audience so "aud" is a plain string, as
	// in Entra's access tokens (golang-jwt would write an array).
	Aud      string `json:"aud"`
	TenantID string `json:"tid"`
	ObjectID string `json:"oid"`
	AppID    string `json:"appid"`
	IDType   string `json:"idtyp,omitempty"`
	Version  string `json:"ver,omitempty"`

	// A user's (delegated) token also names the person and the scopes
	// their client was granted (entra_devicecode.go issueUserToken).
	UPN        string `json:"upn,omitempty"`
	UniqueName string `json:"unique_name,omitempty"`
	Name       string `json:"name,omitempty"`
	GivenName  string `json:"given_name,omitempty"`
	FamilyName string `json:"family_name,omitempty"`
	Scope      string `json:"scp,omitempty"`
	IDP        string `json:"idp,omitempty"`
}

// IsUser reports whether the token is a person's (delegated) token.
func (c *Claims) IsUser() bool { return c.IDType == "user" }

// issueToken signs an access token. Expiry uses wall-clock time: clients
// cache tokens by expires_in, which the simulated clock must not distort.
func (s *Server) issueToken(tenantID string, sp *ServicePrincipal, audience string, lifetime time.Duration) (string, error) {
	now := time.Now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    "https://sts.windows.net/" + tenantID + "/",
			Subject:   sp.ID,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(lifetime)),
			ID:        uuid.NewString(),
		},
		Aud:      audience,
		TenantID: tenantID,
		ObjectID: sp.ID,
		AppID:    sp.AppID,
		IDType:   "app",
		Version:  "1.0",
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.signingKey)
}

// errNoToken means the request carried no bearer token at all.
var errNoToken = errors.New("no bearer token")

// parseToken verifies a token the sandbox issued.
func (s *Server) parseToken(raw string) (*Claims, error) {
	c, err := s.parseTokenExpired(raw)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// parseTokenExpired is parseToken, but a token that is valid except for
// its expiry comes back with its claims and an error that is
// jwt.ErrTokenExpired, for the answers that quote the expiry.
func (s *Server) parseTokenExpired(raw string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return s.signingKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired())
	switch {
	case err == nil:
		return &c, nil
	case errors.Is(err, jwt.ErrTokenExpired) && !errors.Is(err, jwt.ErrTokenSignatureInvalid) && c.ExpiresAt != nil:
		return &c, err
	}
	return nil, err
}

// bearer returns the verified claims of the request's Authorization
// header; for an expired token, the claims and jwt.ErrTokenExpired.
func (s *Server) bearer(r *http.Request) (*Claims, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, errNoToken
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, fmt.Errorf("authorization header is not a bearer token")
	}
	return s.parseTokenExpired(strings.TrimSpace(tok))
}

// auxiliary returns the verified claims of x-ms-authorization-auxiliary
// ("Bearer t1, Bearer t2", at most three). Invalid entries are skipped, as
// Resource Manager treats them as absent for the linked check.
func (s *Server) auxiliary(r *http.Request) []*Claims {
	var out []*Claims
	for _, part := range strings.Split(r.Header.Get("x-ms-authorization-auxiliary"), ",") {
		scheme, tok, ok := strings.Cut(strings.TrimSpace(part), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			continue
		}
		if c, err := s.parseToken(strings.TrimSpace(tok)); err == nil {
			out = append(out, c)
		}
	}
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// HasAudience reports whether the token was issued for one of the audiences
// (trailing slashes ignored, as Entra treats them).
func (c *Claims) HasAudience(auds ...string) bool {
	aud := strings.TrimRight(c.Aud, "/")
	return slices.ContainsFunc(auds, func(want string) bool { return aud == strings.TrimRight(want, "/") })
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// newSecret returns a client secret shaped like Entra's: 40 characters, with
// a three-character hint at the front.
func newSecret() string {
	b := make([]byte, 30)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	return s[:3] + "8Q~" + s[3:37]
}
