package cmd

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/azpeer/azpeer/sandbox"
)

// sync after the user's VNet grew: doctor names the finding, sync brings
// both sides back (Aiven's by its refresh: azpeer has no record of this
// peering, and the admin may not sync its side), read-only refuses, and a
// peering that cannot be synced exits 1.
func TestSyncCommand(t *testing.T) {
	sv := served(t)
	prod := []string{"--project", "tsdb-prod", "--vpc", prodVPC, "--vnet", "rg-prod/prod-vnet"}
	sv.admin(t, http.MethodPost, "/_sandbox/vnets/address-space",
		`{"vnet_id": "`+sandbox.VNetID(sandbox.UserSubscriptionID, "rg-prod", "prod-vnet")+`", "address_prefixes": ["10.1.0.0/16", "10.3.0.0/16"]}`)

	out, _, err := run(t, append([]string{"doctor"}, prod...)...)
	if exitCode(err) != 1 || !strings.Contains(out, "(peering-not-in-sync)") || !strings.Contains(out, "azpeer sync --project tsdb-prod") {
		t.Fatalf("doctor after the change: %v\n%s", err, out)
	}
	if _, _, err := run(t, append([]string{"sync", "--read-only"}, prod...)...); err == nil || !strings.Contains(err.Error(), "read-only mode") {
		t.Errorf("sync --read-only: %v", err)
	}

	out, errOut, err := run(t, append([]string{"sync", "--json"}, prod...)...)
	if err != nil || !strings.Contains(errOut, "in sync (FullyInSync)") || !strings.Contains(errOut, "az network vnet peering sync") {
		t.Fatalf("sync: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	var actions []string
	last := ""
	for sc := bufio.NewScanner(strings.NewReader(out)); sc.Scan(); {
		var ev struct {
			Action string `json:"action"`
			Level  string `json:"sync_level"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		actions = append(actions, ev.Action)
		last = ev.Level
	}
	if len(actions) < 3 || actions[0] != "read" || !strings.Contains(strings.Join(actions, " "), "refresh-aiven") || last != "FullyInSync" {
		t.Errorf("JSON lines: actions %v, last level %s", actions, last)
	}
	if out, _, err := run(t, append([]string{"doctor"}, prod...)...); err != nil {
		t.Errorf("doctor after the sync: %v\n%s", err, out)
	}

	_, _, err = run(t, "sync", "--project", "tsdb-prod", "--vpc", prodVPC, "--vnet", "rg-prod/prod-vnet-old")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "cannot be synced") {
		t.Errorf("sync of a failed peering: %v", err)
	}
}
