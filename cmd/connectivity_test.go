package cmd

import (
	"strings"
	"testing"
)

// doctor --connectivity on the sandbox, from a VM in the peered VNet, from
// a laptop, through a resolver that drops private answers, and for a
// service whose allow-list lacks the VNet.
func TestDoctorConnectivity(t *testing.T) {
	cleanEnv(t)
	prod := []string{"doctor", "--connectivity", "--sandbox", "--connect-timeout", "200ms", "--project", "tsdb-prod", "--vpc", prodVPC, "--vnet", "rg-prod/prod-vnet"}
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"a VM in the peered VNet", append(prod, "--sandbox-host", "rg-prod/prod-vnet"), 1,
			[]string{"inside the peered VNet", "pg-prod (pg, RUNNING, in the peered VPC)", "completes a TLS handshake", "certificate for pg-prod-tsdb-prod.a.aivencloud.com that verifies against the project's CA (CN=tsdb-prod Project CA", "(reachable)", "(public-only)"}},
		{"a laptop", prod, 1,
			[]string{"outside the peered VNet", "(outside-vnet)", "the usual case on a laptop", "from a VM in the VNet:", "$ openssl s_client -connect pg-prod-tsdb-prod.a.aivencloud.com:13046 -starttls postgres",
				"$ avn project ca-get --project tsdb-prod --target-filepath ca.pem", "sslmode=verify-full sslrootcert=ca.pem"}},
		{"a resolver that drops private answers", append(prod, "--sandbox-host", "rg-prod/prod-vnet", "--sandbox-rebinding", "--dns-server", "sandbox"), 1,
			[]string{"(dns-drops-private-answers)", "DNS rebinding protection", "(reachable)"}},
		{"an allow-list without the VNet", []string{"doctor", "--connectivity", "--sandbox", "--connect-timeout", "200ms", "--project", "tsdb-staging", "--vpc", stagingVPC, "--vnet", "rg-app/app-vnet"}, 1,
			[]string{"pg-billing", "(allow-list-missing)", "lacks your VNet's 10.2.0.0/16", "avn service update pg-billing -c ip_filter=10.30.0.0/24,192.168.50.0/24,10.2.0.0/16", "(service-not-running)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := run(t, tt.args...)
			if exitCode(err) != tt.code {
				t.Errorf("exit %d (%v), want %d\n%s%s", exitCode(err), err, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if _, _, err := run(t, append(prod, "--fix")...); err == nil || !strings.Contains(err.Error(), "pick one") {
		t.Errorf("--fix with --connectivity: %v", err)
	}
}
