package cmd

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const analyticsAzureVPC = "4c5d6e7f-8091-4a23-b4c5-d6e7f8091a2b"

func TestDoctorNamesTheCauseAndFixesIt(t *testing.T) {
	cleanEnv(t)
	args := []string{"doctor", "--sandbox", "--sandbox-speed", "0", "--project", "analytics", "--vpc", analyticsAzureVPC, "--vnet", "rg-app/app-vnet"}
	out, _, err := run(t, args...)
	if exitCode(err) != 1 {
		t.Fatalf("doctor on a REJECTED_BY_PEER peering: err %v\n%s", err, out)
	}
	if !strings.Contains(out, "(aiven-permission-missing)") || !strings.Contains(out, "evidence:") {
		t.Errorf("doctor output lacks the finding or its evidence:\n%s", out)
	}
	out, _, err = run(t, append(args, "--fix", "--yes")...)
	if err != nil {
		t.Fatalf("doctor --fix: %v\n%s", err, out)
	}
	if !strings.Contains(out, "After the fix:") || !strings.Contains(out, "healthy") {
		t.Errorf("doctor --fix did not end healthy:\n%s", out)
	}
}

func TestDoctorHealthyExitsZero(t *testing.T) {
	cleanEnv(t)
	out, _, err := run(t, "doctor", "--sandbox", "--project", "tsdb-prod", "--vpc", "1f0e2d3c-4b5a-4697-8877-665544332211", "--vnet", "rg-prod/prod-vnet", "--json")
	if err != nil {
		t.Fatalf("healthy peering: %v\n%s", err, out)
	}
	var d struct {
		Verdict  string `json:"verdict"`
		Findings []struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Verdict != "healthy" {
		t.Errorf("verdict %q (%v)", d.Verdict, err)
	}
	for _, f := range d.Findings {
		if f.Severity != "info" {
			t.Errorf("finding %s (%s) on a healthy peering", f.ID, f.Severity)
		}
	}
}

func TestStatusJSONHasFactsAndFindings(t *testing.T) {
	cleanEnv(t)
	out, _, err := run(t, "status", "--sandbox", "--json", "--project", "tsdb-prod", "--vpc", "1f0e2d3c-4b5a-4697-8877-665544332211", "--vnet", "rg-prod/prod-vnet-old")
	// A failed peering: status exits 1 (problems found), as doctor does.
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("status of a failed peering: %v, want exit status 1\n%s", err, out)
	}
	var st struct {
		Target   map[string]any   `json:"target"`
		Aiven    map[string]any   `json:"aiven"`
		Facts    map[string]any   `json:"facts"`
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if st.Aiven["state"] != "INVALID_SPECIFICATION" || st.Facts == nil || len(st.Findings) == 0 || st.Findings[0]["id"] != "vnet-missing" {
		t.Errorf("status --json: aiven %v, facts %v, findings %v", st.Aiven, st.Facts != nil, st.Findings)
	}
}
