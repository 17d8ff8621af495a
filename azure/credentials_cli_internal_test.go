package azure

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// What azpeer does with an installed Azure CLI that does not answer as
// hoped: a passing failure is tried once more, "run az login" is not, and
// a fall-back to a device code carries the CLI's reason. A POSIX shell
// script stands in for az (the cmd tests run the real one): only a
// stand-in fails on demand.
func TestCLIProbeFailures(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a POSIX shell script stands in for az")
	}
	const token = `exp=$(( $(date +%s) + 3600 ))
printf '{"accessToken":"a.b.c","expires_on":%s,"expiresOn":"2099-01-01 00:00:00.000000","tokenType":"Bearer"}\n' "$exp"`
	tests := []struct {
		name      string
		script    string // after the run is counted in $AZ_FAKE_DIR
		want      SourceKind
		runs      int
		cliErrSay string
	}{
		{"fails once, then answers", `[ "$(ls "$AZ_FAKE_DIR" | wc -l)" -ge 2 ] || { echo "ERROR: the token cache is locked" >&2; exit 1; }
` + token, SourceAzureCLI, 2, ""},
		{"signed out", `echo "ERROR: Please run 'az login' to setup account." >&2; exit 1`, SourceDeviceCode, 1, "az login"},
		{"always fails", `echo "ERROR: the token cache is locked" >&2; echo "Traceback (most recent call last):" >&2; exit 1`, SourceDeviceCode, 2, "the token cache is locked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, runs := t.TempDir(), t.TempDir()
			script := "#!/bin/sh\ntouch \"$AZ_FAKE_DIR/run.$$\"\n" + tt.script + "\n"
			if err := os.WriteFile(filepath.Join(dir, "az"), []byte(script), 0o700); err != nil {
				t.Fatal(err)
			}
			t.Setenv("AZ_FAKE_DIR", runs)
			t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
			ep, err := EndpointsFromEnv("", func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			_, src, err := Credential(context.Background(), ep, CredentialOptions{
				Getenv:     func(string) string { return "" },
				UserPrompt: func(context.Context, azidentity.DeviceCodeMessage) error { return nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			if src.Kind != tt.want {
				t.Errorf("source %s, want %s", src, tt.want)
			}
			if n, _ := os.ReadDir(runs); len(n) != tt.runs {
				t.Errorf("az ran %d times, want %d", len(n), tt.runs)
			}
			if !strings.Contains(src.CLIError, tt.cliErrSay) || strings.Contains(src.CLIError, "Traceback") {
				t.Errorf("CLIError %q, want it to say %q on one line", src.CLIError, tt.cliErrSay)
			}
			if tt.want == SourceDeviceCode && !strings.Contains(src.String(), "the Azure CLI gave no token") {
				t.Errorf("source %q does not say why the CLI was passed over", src)
			}
		})
	}
}
