package peering_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/azpeer/azpeer/peering"
)

// stepLiteral matches a step named by number or a count of steps written
// down: "step 7", "Steps 7-9", "11/15 done", "%d/15", "15 steps".
var stepLiteral = regexp.MustCompile(`\b[Ss]teps? \d+\b|\b\d{1,2}/\d{1,2} (?:done|steps)\b|%\d*d/\d+\b|\b\d{1,2} steps\b`)

// The step table is the only place a step lives: no other package names a
// step by its number or counts the steps, so adding or reordering a step
// cannot silently miscount a screen or point a hint at the wrong step.
func TestNoOtherPackageHardCodesSteps(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == "peering" || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, ".sh") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := stepLiteral.FindString(line); m != "" {
				found = append(found, fmt.Sprintf("%s:%d: %s", rel, i+1, strings.TrimSpace(line)))
			}
		}
		return nil
	})
	for _, f := range found {
		t.Errorf("a step named by number outside package peering (use peering.StepRef, StepNumber or len(peering.StepIDs())): %s", f)
	}
}

// Numbers come from the table's order, and every id is unique.
func TestStepNumbersAreTheirPositions(t *testing.T) {
	seen := map[peering.StepID]bool{}
	for i, s := range peering.Steps() {
		if s.Number != i+1 {
			t.Errorf("step %s has number %d at position %d", s.ID, s.Number, i+1)
		}
		if seen[s.ID] {
			t.Errorf("step id %s twice", s.ID)
		}
		seen[s.ID] = true
		if peering.StepNumber(s.ID) != s.Number || !strings.Contains(peering.StepRef(s.ID), s.Title) {
			t.Errorf("StepNumber/StepRef disagree with the table for %s", s.ID)
		}
	}
}
