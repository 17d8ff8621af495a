package azure_test

import (
	"strings"
	"testing"

	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// Who signed in, and the tenant's name: from Resource Manager's tenant
// list (no Graph token, which with the Azure CLI is one more process),
// else from Graph, else none.
func TestIdentityNamesTenant(t *testing.T) {
	e := admin(t)
	c := e.Sandbox.Credentials()
	net, dir := e.Network, e.Directory
	tests := []struct {
		name     string
		net      *azure.Network
		dir      *azure.Directory
		wantName string
	}{
		{"resource manager", net, nil, "Contoso"},
		{"graph", nil, dir, "Contoso"},
		{"both", net, dir, "Contoso"},
		{"neither", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := azure.NewIdentity(e.Credential, e.Endpoints, tt.dir, tt.net).SignedIn(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if p.TenantID != strings.ToLower(sandbox.UserTenantID) || p.Kind != peering.PrincipalApp || p.AppID != c.ClientID {
				t.Errorf("SignedIn = %+v, want app %s in tenant %s", p, c.ClientID, sandbox.UserTenantID)
			}
			if p.TenantName != tt.wantName {
				t.Errorf("tenant name %q, want %q", p.TenantName, tt.wantName)
			}
		})
	}
}
