package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/azpeer/azpeer/human"
	"github.com/azpeer/azpeer/peering"
)

// Icons say what colour says, for NO_COLOR and colour-blind users alike.
const (
	iconOK      = "●"
	iconPending = "◐"
	iconWorking = "◌"
	iconFailed  = "✗"
	iconGone    = "○"
	iconUnknown = "?"
)

// stateTone classifies an Aiven connection state.
func stateTone(s peering.State) tone {
	switch {
	case s == peering.StateActive:
		return toneOK
	case s == peering.StatePendingPeer:
		return tonePending
	case s.Transitional():
		return toneWorking
	case s.Failed():
		return toneFailed
	case s == peering.StateDeleted:
		return toneGone
	}
	return toneNone
}

func toneIcon(t tone) string {
	switch t {
	case toneOK:
		return iconOK
	case tonePending:
		return iconPending
	case toneWorking:
		return iconWorking
	case toneFailed:
		return iconFailed
	case toneGone:
		return iconGone
	}
	return iconUnknown
}

// shortStates are the labels of narrow tables; the detail screen always
// shows the state as Aiven spells it.
var shortStates = map[peering.State]string{
	peering.StateApprovedPeerRequested: "PEER_REQUESTED",
	peering.StateDeletedByPeer:         "DELETED_BY_PEER",
	peering.StateInvalidSpecification:  "INVALID_SPEC",
	peering.StateRejectedByPeer:        "REJECTED",
}

// stateLabel is icon and state, e.g. "● ACTIVE".
func stateLabel(s peering.State, narrow bool) string {
	label := string(s)
	if narrow {
		if l, ok := shortStates[s]; ok {
			label = l
		}
	}
	if label == "" {
		label = "(unknown)"
	}
	return toneIcon(stateTone(s)) + " " + label
}

// azureTone classifies an Azure peeringState.
func azureTone(s string) tone {
	switch s {
	case peering.AzureConnected:
		return toneOK
	case peering.AzureInitiated:
		return tonePending
	case peering.AzureDisconnected:
		return toneFailed
	case "":
		return toneGone
	}
	return toneNone
}

func azureLabel(s string) string {
	if s == "" {
		return iconGone + " (none)"
	}
	return toneIcon(azureTone(s)) + " " + s
}

// connType is the short name of a connection type.
func connType(t string) string {
	switch t {
	case peering.TypeAzure:
		return "azure"
	case peering.TypeAWS:
		return "aws"
	}
	return t
}

// short shortens an id for tables: GUIDs to their first 8 characters,
// resource ids to their last segment.
func short(id string) string {
	if id == "" {
		return ""
	}
	if i := strings.LastIndexByte(id, '/'); i >= 0 && i < len(id)-1 {
		id = id[i+1:]
	}
	if len(id) == 36 && strings.Count(id, "-") == 4 {
		return id[:8] + "…"
	}
	return id
}

// age is a compact duration: 40s, 12m, 5h, 30d.
func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return human.Duration(now.Sub(t))
}

// elapsed is a step duration: 0.2s, 12s, 3m05s.
func elapsed(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// width is ansi.StringWidth with a fast path for plain ASCII, which most
// cells are.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// fit truncates s (ANSI-aware) to w cells and pads it to exactly w.
func fit(s string, w int) string { return fitAligned(s, w, false) }

// fitRight is fit, aligned right.
func fitRight(s string, w int) string { return fitAligned(s, w, true) }

func fitAligned(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	n := width(s)
	switch {
	case n > w:
		return ansi.Truncate(s, w, "…")
	case right:
		return strings.Repeat(" ", w-n) + s
	}
	return s + strings.Repeat(" ", w-n)
}

// clip truncates every line of s to w cells (ANSI-aware), so nothing a
// screen draws can wrap and break the layout.
func clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if len(l) > w && ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return strings.Join(lines, "\n")
}

// clockTime formats an event time.
func clockTime(t time.Time) string {
	if t.IsZero() {
		return "--:--:--"
	}
	return t.Local().Format("15:04:05")
}

// oneLine flattens a message to one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	return s
}

// userVNetID is the Azure VNet a connection peers with.
func userVNetID(c peering.Connection) string {
	if c.Type != peering.TypeAzure || c.PeerCloudAccount == "" || c.PeerResourceGroup == "" || c.PeerVPC == "" {
		return ""
	}
	return "/subscriptions/" + c.PeerCloudAccount + "/resourceGroups/" + c.PeerResourceGroup +
		"/providers/Microsoft.Network/virtualNetworks/" + c.PeerVPC
}

func orNone(s peering.State) string {
	if s == "" {
		return "(no connection)"
	}
	return string(s)
}

// wrapIndent wraps text to w cells after a label of width pad; the lines
// after the first are indented by pad.
func wrapIndent(label, text string, pad, w int) []string {
	var out []string
	for i, l := range wrapWords(text, max(10, w-pad)) {
		if i == 0 {
			out = append(out, label+l)
			continue
		}
		out = append(out, strings.Repeat(" ", pad)+l)
	}
	return out
}

// wrapWords wraps s to room cells at spaces only (ansi.Wrap also breaks at
// hyphens, which cuts names like rg-app in two and makes a command
// misleading). A word longer than a line (a resource id) fills the line
// and breaks after its last '/' that fits, or at the edge.
func wrapWords(s string, room int) []string {
	var lines []string
	var cur strings.Builder
	curW := 0
	flush := func() {
		lines = append(lines, cur.String())
		cur.Reset()
		curW = 0
	}
	add := func(word string, ww int) {
		if curW > 0 {
			cur.WriteByte(' ')
			curW++
		}
		cur.WriteString(word)
		curW += ww
	}
	for _, word := range strings.Fields(s) {
		ww := ansi.StringWidth(word)
		sep := min(curW, 1)
		switch {
		case curW+sep+ww <= room:
			add(word, ww)
			continue
		case ww <= room || ww != len(word):
			// A word that fits a line of its own; or a long one with styles
			// or wide characters, which is only ever hard-wrapped.
			if curW > 0 {
				flush()
			}
			if ww <= room {
				add(word, ww)
				continue
			}
			parts := strings.Split(ansi.Hardwrap(word, room, false), "\n")
			lines = append(lines, parts[:len(parts)-1]...)
			last := parts[len(parts)-1]
			add(last, ansi.StringWidth(last))
			continue
		}
		// A long plain word: fill the line, breaking after a '/'.
		for word != "" {
			free := room - curW - min(curW, 1)
			if free < 8 && curW > 0 {
				flush()
				free = room
			}
			if len(word) <= free {
				add(word, len(word))
				break
			}
			cut := free
			if i := strings.LastIndexByte(word[:free], '/'); i > 0 {
				cut = i + 1
			}
			add(word[:cut], cut)
			flush()
			word = word[cut:]
		}
	}
	if curW > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// fixHeight pads or cuts s to exactly h lines.
func fixHeight(s string, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// ago says how long ago t was, in whole seconds, minutes or hours.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < time.Second {
		return "just now"
	}
	return age(now, t) + " ago"
}
