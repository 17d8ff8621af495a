package azure

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/azpeer/azpeer/peering"
)

// TestPrincipalFromToken reads the claims of Entra's access tokens as the
// Microsoft identity platform documents them (v1 and v2, user and app).
func TestPrincipalFromToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims jwt.MapClaims
		want   peering.Principal
		bad    bool
	}{
		{"v1 app-only", jwt.MapClaims{"tid": "T1", "oid": "O1", "appid": "A1", "idtyp": "app", "roles": []string{"x"}},
			peering.Principal{Kind: peering.PrincipalApp, TenantID: "t1", ObjectID: "o1", AppID: "A1", Name: "app A1"}, false},
		{"v1 user through the Azure CLI", jwt.MapClaims{"tid": "T1", "oid": "O2", "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
			"upn": "admin@contoso.example", "unique_name": "admin@contoso.example", "scp": "user_impersonation"},
			peering.Principal{Kind: peering.PrincipalUser, TenantID: "t1", ObjectID: "o2", AppID: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", Name: "admin@contoso.example"}, false},
		{"guest user (unique_name only)", jwt.MapClaims{"tid": "T2", "oid": "O3", "appid": "C", "unique_name": "live.com#ann@example.org", "scp": "user_impersonation"},
			peering.Principal{Kind: peering.PrincipalUser, TenantID: "t2", ObjectID: "o3", AppID: "C", Name: "live.com#ann@example.org"}, false},
		{"v2 user", jwt.MapClaims{"tid": "T1", "oid": "O4", "azp": "C2", "preferred_username": "ann@contoso.example", "scp": "Directory.Read.All", "ver": "2.0"},
			peering.Principal{Kind: peering.PrincipalUser, TenantID: "t1", ObjectID: "o4", AppID: "C2", Name: "ann@contoso.example"}, false},
		{"user with idtyp", jwt.MapClaims{"tid": "T1", "oid": "O5", "idtyp": "user", "name": "Ann"},
			peering.Principal{Kind: peering.PrincipalUser, TenantID: "t1", ObjectID: "o5", Name: "Ann"}, false},
		{"no tenant", jwt.MapClaims{"oid": "O1"}, peering.Principal{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, tc.claims).SignedString([]byte("k"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := principalFromToken(tok)
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v, want error %v", err, tc.bad)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if _, err := principalFromToken("not-a-jwt"); err == nil {
		t.Error("an opaque token was read as a principal")
	}
}
