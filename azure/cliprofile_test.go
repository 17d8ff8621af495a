package azure

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCLIDefaultSubscription(t *testing.T) {
	for _, tc := range []struct {
		name, profile string
		want          string
		found, bad    bool
	}{
		// As azure-cli writes it: a byte-order mark, then JSON.
		{"default among several", "\xef\xbb\xbf" + `{"installationId":"x","subscriptions":[
			{"id":"AAA","name":"one","tenantId":"T1","isDefault":false,"state":"Enabled"},
			{"id":"BBB","name":"two","tenantId":"T2","isDefault":true,"state":"Enabled"}]}`, "bbb", true, false},
		{"none default", `{"subscriptions":[{"id":"AAA","isDefault":false}]}`, "", false, false},
		{"no profile", "", "", false, false},
		{"garbled", "{", "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.profile != "" {
				if err := os.WriteFile(filepath.Join(dir, "azureProfile.json"), []byte(tc.profile), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			getenv := func(k string) string {
				if k == "AZURE_CONFIG_DIR" {
					return dir
				}
				return ""
			}
			s, found, err := CLIDefaultSubscription(getenv)
			if (err != nil) != tc.bad || found != tc.found || s.ID != tc.want {
				t.Errorf("got %+v, %v, %v; want id %q found %v error %v", s, found, err, tc.want, tc.found, tc.bad)
			}
		})
	}
}
