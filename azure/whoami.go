package azure

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"

	"github.com/azpeer/azpeer/peering"
)

// Identity tells who a credential signs in as, from the claims of the
// Resource Manager token it issues (the token is azpeer's own, fresh from
// Entra, so its claims are read, not verified: verifying is Resource
// Manager's job), and the tenant's name from Resource Manager's tenant
// list, else Graph. It asks once per process.
type Identity struct {
	cred  azcore.TokenCredential
	scope string
	dir   *Directory
	net   *Network

	mu   sync.Mutex
	done bool
	p    peering.Principal
	err  error
}

// NewIdentity reads who cred signs in as; net and dir, when not nil, name
// the tenant: Resource Manager's GET /tenants first, which needs only the
// Resource Manager token whoami reads anyway (with the Azure CLI, every
// other scope is one more `az` process), then Graph's GET /organization.
func NewIdentity(cred azcore.TokenCredential, ep Endpoints, dir *Directory, net *Network) *Identity {
	return &Identity{cred: cred, scope: ep.ARMScope(), dir: dir, net: net}
}

// SignedIn returns the signed-in principal. The first call gets a token
// (for a device code, that is when the person is asked to sign in).
func (id *Identity) SignedIn(ctx context.Context) (peering.Principal, error) {
	id.mu.Lock()
	defer id.mu.Unlock()
	if id.done {
		return id.p, id.err
	}
	tok, err := id.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{id.scope}})
	if err != nil {
		// Not remembered: a sign-in that failed (or was cancelled) may
		// succeed when asked again.
		return peering.Principal{}, fmt.Errorf("sign in to Azure: %w", err)
	}
	p, err := principalFromToken(tok.Token)
	if err == nil && id.net != nil {
		if name, nerr := id.net.TenantName(ctx, p.TenantID); nerr == nil {
			p.TenantName = name
		}
	}
	if err == nil && p.TenantName == "" && id.dir != nil {
		if org, oerr := id.dir.g.Organization(ctx); oerr == nil {
			p.TenantName = org.DisplayName
		}
	}
	id.p, id.err, id.done = p, err, true
	return p, err
}

// accessClaims are the claims of Entra access tokens azpeer reads
// (Microsoft identity platform, "Access token claims reference"): tid and
// oid always; idtyp "app" or "user" when present (an optional claim);
// upn, unique_name or preferred_username, and scp, only in delegated
// (user) tokens; appid (v1) or azp (v2), the client.
type accessClaims struct {
	jwt.RegisteredClaims
	TenantID          string `json:"tid"`
	ObjectID          string `json:"oid"`
	IDType            string `json:"idtyp"`
	UPN               string `json:"upn"`
	UniqueName        string `json:"unique_name"`
	PreferredUsername string `json:"preferred_username"`
	Name              string `json:"name"`
	Scope             string `json:"scp"`
	AppID             string `json:"appid"`
	AZP               string `json:"azp"`
}

// principalFromToken reads the principal out of an access token.
func principalFromToken(token string) (peering.Principal, error) {
	var c accessClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		return peering.Principal{}, fmt.Errorf("read the Azure access token's claims: %w", err)
	}
	if c.TenantID == "" || c.ObjectID == "" {
		return peering.Principal{}, fmt.Errorf("the Azure access token names no tenant or object (tid %q, oid %q)", c.TenantID, c.ObjectID)
	}
	p := peering.Principal{TenantID: strings.ToLower(c.TenantID), ObjectID: strings.ToLower(c.ObjectID), AppID: c.AppID}
	if p.AppID == "" {
		p.AppID = c.AZP
	}
	user := c.UPN
	if user == "" {
		user = c.UniqueName
	}
	if user == "" {
		user = c.PreferredUsername
	}
	switch {
	case c.IDType == "user" || (c.IDType == "" && (user != "" || c.Scope != "")):
		p.Kind, p.Name = peering.PrincipalUser, user
		if p.Name == "" {
			p.Name = c.Name
		}
	default:
		p.Kind, p.Name = peering.PrincipalApp, "app "+p.AppID
	}
	return p, nil
}
