package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/sandbox"
)

// run executes azpeer with args and returns stdout, stderr and the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := NewRootCommand()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// cleanEnv removes every credential the user of this machine might have,
// so tests see only what they set.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AIVEN_TOKEN", "MST_API_TOKEN", "AIVEN_AUTH_TOKEN", "AIVEN_WEB_URL", "AZURE_TENANT_ID",
		"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_SUBSCRIPTION_ID", "AZURE_AUTHORITY_HOST", "AZPEER_ARM_ENDPOINT",
		"AZPEER_GRAPH_ENDPOINT", "AZPEER_CA_FILE", "HTTPS_PROXY", "https_proxy"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("PATH", t.TempDir()) // no az on PATH
}

// keysOf returns the sorted keys of a JSON object.
func keysOf(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v is not a JSON object", v)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestListJSONShape(t *testing.T) {
	cleanEnv(t)
	out, _, err := run(t, "list", "--sandbox", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got := keysOf(t, doc); !slices.Equal(got, []string{"organizations", "projects"}) {
		t.Fatalf("top-level keys %v", got)
	}
	projects := doc["projects"].([]any)
	if len(projects) != 5 {
		t.Fatalf("%d projects", len(projects))
	}
	var peerings int
	for _, p := range projects {
		if got := keysOf(t, p); !slices.Equal(got, []string{"name", "vpcs"}) {
			t.Errorf("project keys %v", got)
		}
		for _, v := range p.(map[string]any)["vpcs"].([]any) {
			if got := keysOf(t, v); !slices.Equal(got, []string{"cidr", "cloud", "id", "parent", "peerings", "state"}) {
				t.Errorf("vpc keys %v", got)
			}
			for _, pc := range v.(map[string]any)["peerings"].([]any) {
				peerings++
				want := []string{"create_time", "peer_cloud_account", "peer_resource_group", "peer_vpc", "state", "state_info", "update_time"}
				got := slices.DeleteFunc(keysOf(t, pc), func(k string) bool { return k == "peering_connection_id" }) // when Aiven gave one (AWS's pcx-…)
				if !slices.Equal(got, want) {
					t.Errorf("peering keys %v, want %v", got, want)
				}
			}
		}
	}
	if peerings != 4 {
		t.Errorf("%d peerings, want 4", peerings)
	}
}

func TestVNetsJSONShape(t *testing.T) {
	cleanEnv(t)
	out, _, err := run(t, "vnets", "--sandbox", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var doc []map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(doc) != 3 {
		t.Fatalf("%d VNets, want 3", len(doc))
	}
	byName := map[string]map[string]any{}
	for _, v := range doc {
		want := []string{"address_prefixes", "id", "location", "name", "peerings", "resource_group", "subscription"}
		if got := keysOf(t, v); !slices.Equal(got, want) {
			t.Errorf("vnet keys %v, want %v", got, want)
		}
		byName[v["name"].(string)] = v
	}
	legacy := byName["Legacy-VNet"]
	if legacy == nil || legacy["resource_group"] != "Rg-Legacy" || legacy["address_prefixes"].([]any)[0] != "10.30.0.0/16" {
		t.Errorf("Legacy-VNet: %v", legacy)
	}
	prod := byName["prod-vnet"]["peerings"].([]any)
	if len(prod) != 2 { // to tsdb-prod's VPC and to the organization VPC
		t.Fatalf("prod-vnet peerings: %v", prod)
	}
	// The sync level and the remote's address space say whether an
	// address-space change has reached both sides (day two).
	want := []string{"allow_vnet_access", "name", "peering_state", "remote_address_prefixes", "remote_vnet_id", "sync_level", "synced_remote_prefixes"}
	if got := keysOf(t, prod[0]); !slices.Equal(got, want) {
		t.Errorf("peering keys %v", got)
	}
	if p := prod[0].(map[string]any); p["peering_state"] != "Connected" || p["allow_vnet_access"] != true || p["sync_level"] != "FullyInSync" {
		t.Errorf("prod peering %v", p)
	}
}

// The env file that `sandbox serve` writes configures list and vnets with
// no other setting, and a project whose API fails is marked, not fatal.
func TestServedSandboxEnvFileConfiguresCommands(t *testing.T) {
	cleanEnv(t)
	sv := startServe(t, filepath.Join(t.TempDir(), "sandbox.env"))
	for k, v := range sv.env {
		t.Setenv(k, v)
	}
	out, _, err := run(t, "list")
	if err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	for _, want := range []string{"Aiven: admin@example.com", "tenant Contoso (7f3e2a10", "tsdb-prod", "INVALID_SPECIFICATION", "REJECTED_BY_PEER", "no peering connections"} {
		if !strings.Contains(out, want) {
			t.Errorf("list output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, "vnets", "--json")
	if err != nil || !strings.Contains(out, "Legacy-VNet") {
		t.Fatalf("vnets: %v\n%s", err, out)
	}

	sv.admin(t, http.MethodPost, "/_sandbox/projects/tsdb-prod/fault", `{"status":500}`)
	out, _, err = run(t, "list", "--json")
	if err == nil || !strings.Contains(err.Error(), "1 item(s) could not be read") {
		t.Errorf("list with a failing project: err %v", err)
	}
	var doc listJSON
	if jerr := json.Unmarshal([]byte(out), &doc); jerr != nil {
		t.Fatalf("not JSON: %v\n%s", jerr, out)
	}
	for _, p := range doc.Projects {
		if (p.Error != "") != (p.Name == "tsdb-prod") {
			t.Errorf("project %s error %q", p.Name, p.Error)
		}
	}
}

func TestMissingCredentialsAreNamed(t *testing.T) {
	cleanEnv(t)
	_, _, err := run(t, "list")
	if err == nil || !strings.Contains(err.Error(), "AIVEN_TOKEN") || !strings.Contains(err.Error(), "--sandbox") {
		t.Errorf("no Aiven token: %v", err)
	}

	// avn's saved login is used when no variable is set.
	home := os.Getenv("HOME")
	cred := filepath.Join(home, ".config", "aiven", "aiven-credentials.json")
	if err := os.MkdirAll(filepath.Dir(cred), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cred, []byte(`{"user_email":"a@b.c"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = run(t, "list")
	if err == nil || !strings.Contains(err.Error(), "auth_token") {
		t.Errorf("avn credentials without a token: %v", err)
	}

	t.Setenv("AIVEN_TOKEN", "x")
	t.Setenv("AZURE_TENANT_ID", "7f3e2a10-5c1b-4d8e-9a6f-2b4c8d1e0f31")
	_, _, err = run(t, "vnets")
	if err == nil || !strings.Contains(err.Error(), "AZURE_CLIENT_ID") || !strings.Contains(err.Error(), "AZURE_CLIENT_SECRET") {
		t.Errorf("partial Azure environment: %v", err)
	}
	t.Setenv("AZPEER_CA_FILE", filepath.Join(home, "missing.pem"))
	_, _, err = run(t, "list")
	if err == nil || !strings.Contains(err.Error(), "AZPEER_CA_FILE") {
		t.Errorf("unreadable CA file: %v", err)
	}
}

func TestCreateValidatesBeforeCalling(t *testing.T) {
	cleanEnv(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--vpc", "not-a-uuid", "--vnet", "rg-app/app-vnet"}, "--vpc"},
		{[]string{"--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "app-vnet"}, "--vnet"},
		{[]string{"--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-app/app-vnet", "--role", "owner"}, "--role"},
		{[]string{"--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-app/app-vnet", "--aiven-app-id", "x"}, "--aiven-app-id"},
		{[]string{"--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "Rg-Legacy/Legacy-VNet"}, "overlaps"},
		// The flag the user gave is named, never one derived from it.
		{[]string{"--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-app/" + strings.Repeat("v", 5000)}, "--vnet names the VNet"},
		{[]string{"--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet",
			"/subscriptions/0badc0de-1111-4222-8333-444455556666/resourceGroups/rg-app/providers/Microsoft.Network/virtualNetworks/app-vnet"}, "--vnet names subscription 0badc0de"},
		{[]string{"--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-app/app-vnet", "--timeout", "0s"}, "--timeout"},
		{[]string{"--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-app/app-vnet", "--timeout", "-5m"}, "--timeout"},
		{[]string{"--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-app/app-vnet", "--app-id", "nope"}, "--app-id"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			args := append([]string{"create", "--sandbox", "--project", "tsdb-staging"}, c.args...)
			_, _, err := run(t, args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: %v, want an error naming %q", c.args, err, c.want)
			}
			if err != nil && c.want != "--app-id" && strings.Contains(err.Error(), "--app-name") {
				t.Errorf("the error blames --app-name, which was not given: %v", err)
			}
		})
	}
	// A project name no Aiven project can have, however long or foreign.
	for _, project := range []string{strings.Repeat("p", 300), "tsdb-прод"} {
		_, _, err := run(t, "create", "--sandbox", "--project", project, "--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-app/app-vnet")
		if err == nil || !strings.Contains(err.Error(), "--project") || strings.Contains(err.Error(), "--peering-name") {
			t.Errorf("--project %.20q: %v", project, err)
		}
	}
}

// A wrong admin secret names the variable it came from; an unreachable
// Entra says why, without an "HTTP 0".
func TestAdminSignInErrorsNameTheCause(t *testing.T) {
	sv := served(t)
	t.Setenv("AZURE_CLIENT_SECRET", "wrong-"+sv.env["AZURE_CLIENT_SECRET"])
	_, _, err := run(t, "vnets")
	if err == nil || !strings.Contains(err.Error(), "AZURE_CLIENT_SECRET") || !strings.Contains(err.Error(), "AADSTS7000215") ||
		strings.Contains(err.Error(), sv.env["AZURE_CLIENT_SECRET"]) {
		t.Errorf("wrong AZURE_CLIENT_SECRET: %v", err)
	}
	t.Setenv("AZURE_CLIENT_SECRET", sv.env["AZURE_CLIENT_SECRET"])
	t.Setenv("AZURE_AUTHORITY_HOST", "https://127.0.0.1:1/")
	_, _, err = run(t, "vnets")
	if err == nil || strings.Contains(err.Error(), "HTTP 0") || !strings.Contains(err.Error(), "refused") {
		t.Errorf("Entra unreachable: %v", err)
	}
}

func TestCreateDryRunChangesNothing(t *testing.T) {
	cleanEnv(t)
	out, _, err := run(t, "create", "--sandbox", "--dry-run", "--project", "tsdb-prod", "--vpc", "1f0e2d3c-4b5a-4697-8877-665544332211", "--vnet", "Rg-Legacy/Legacy-VNet")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"15. Wait for ACTIVE", "az ad app create", "avn vpc peering-connection create", "--peer-resource-group rg-legacy --peer-vpc legacy-vnet", "will be sent as rg-legacy/legacy-vnet"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
}

// list --organization (or --org): that organization's projects and its
// organization VPCs; an organization none of the projects is in, and
// --project beside it, are refused naming the flag given.
func TestListByOrganization(t *testing.T) {
	cleanEnv(t)
	out, _, err := run(t, "list", "--sandbox", "--json", "--org", sandbox.AivenOrganizationID)
	if err != nil {
		t.Fatal(err)
	}
	var doc listJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(doc.Organizations) != 1 || doc.Organizations[0].ID != sandbox.AivenOrganizationID || len(doc.Projects) == 0 {
		t.Errorf("--org %s: %d organizations (%v), %d projects", sandbox.AivenOrganizationID, len(doc.Organizations), doc.Organizations, len(doc.Projects))
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--org", "orgnope"}, "--org orgnope: none of this Aiven token's projects"},
		{[]string{"--organization", "orgnope"}, "--organization orgnope: none"},
		{[]string{"--org", sandbox.AivenOrganizationID, "--project", "tsdb-prod"}, "--project and --org: pick one"},
	} {
		_, _, err := run(t, append([]string{"list", "--sandbox"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("list %v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
