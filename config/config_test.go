package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	c, err := Load(write(t, `
subscription: 3c5d7e9f-1a2b-4c3d-8e4f-5a6b7c8d9e0f
app_name: "peering-{project}-{vnet}"
role: least-privilege
poll: {fast: 1s, slow: 1m}
bell: false
read_only: true
theme: light
keys: {new: [n, N]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subscription == "" || c.Role != "least-privilege" || c.Poll.Fast.D() != time.Second || c.Poll.Slow.D() != time.Minute ||
		c.BellOn() || !c.ReadOnly || c.Theme != "light" || len(c.Keys["new"]) != 2 {
		t.Errorf("read %+v", c)
	}
	if got := c.AppNameFor("tsdb", "App-VNet"); got != "peering-tsdb-app-vnet" {
		t.Errorf("AppNameFor = %q", got)
	}
	if empty, err := Load(filepath.Join(t.TempDir(), "none.yaml")); err != nil || empty.BellOn() != true || empty.AppNameFor("p", "v") != "" {
		t.Errorf("a missing file: %+v, %v", empty, err)
	}
}

// A mistake names the file, the line and the key.
func TestLoadErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{"subscripton: x\n", "subscripton"},
		{"role: owner\n", `role "owner"`},
		{"theme: neon\n", `theme "neon"`},
		{"poll: {fast: soon}\n", "line 1"},
		{"poll: {fast: 1m, slow: 1s}\n", "poll.fast"},
		{"keys: {new: []}\n", "keys.new"},
		{"bell: [\n", "config.yaml"},
	}
	for _, c := range cases {
		_, err := Load(write(t, c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "config.yaml") {
			t.Errorf("%q: %v, want an error naming %q and the file", c.body, err, c.want)
		}
	}
}

func TestPath(t *testing.T) {
	if p, _ := Path(func(k string) string {
		if k == EnvFile {
			return "/x/azpeer.yaml"
		}
		return ""
	}); p != "/x/azpeer.yaml" {
		t.Errorf("Path with %s = %s", EnvFile, p)
	}
	if p, err := Path(func(string) string { return "" }); err != nil || filepath.Base(p) != "config.yaml" || filepath.Base(filepath.Dir(p)) != "azpeer" {
		t.Errorf("Path = %s, %v", p, err)
	}
}
