// Package human holds the few ways azpeer words things for people that
// both its command-line output and its dashboard use, so that a list and
// a screen say the same thing the same way.
package human

import (
	"fmt"
	"strings"
	"time"
)

// Duration is a compact length of time in its largest whole unit up to
// days: 40s, 12m, 5h, 30d (hours up to two days, so "36h" stays exact
// enough to compare with a deadline). A negative duration is 0s.
func Duration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// UsedBy says which projects' services run in an organization VPC.
func UsedBy(projects []string) string {
	if len(projects) == 0 {
		return "no project's services use it yet"
	}
	return "used by " + strings.Join(projects, ", ")
}
