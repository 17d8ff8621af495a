package peering

import (
	"fmt"
	"time"
)

// EventKind says what happened to a step.
type EventKind string

const (
	EventStarted  EventKind = "started"
	EventDetected EventKind = "detected" // work found already done; nothing changed
	EventRetrying EventKind = "retrying"
	EventDone     EventKind = "done"
	EventFailed   EventKind = "failed"
	// EventState is a live state transition observed (Aiven state or Azure peeringState).
	EventState EventKind = "state"
	// EventNotice tells the user something they should know (e.g. names lower-cased).
	EventNotice EventKind = "notice"
)

// Event is one entry of the runbook's progress stream, consumed by the CLI
// and the TUI alike and kept in the run record.
type Event struct {
	Time    time.Time         `json:"time"`
	Step    StepID            `json:"step"`
	Kind    EventKind         `json:"kind"`
	Message string            `json:"message,omitempty"`
	Outputs map[string]string `json:"outputs,omitempty"`
	Error   string            `json:"error,omitempty"`
	// Code is the cloud's error code behind Error, when there is one, so
	// rules match codes, not message text.
	Code string `json:"code,omitempty"`
	// Attempt and Wait describe a retry.
	Attempt int           `json:"attempt,omitempty"`
	Wait    time.Duration `json:"wait,omitempty"`
	// Side ("aiven" or "azure"), From and To describe a state transition.
	Side string `json:"side,omitempty"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// String is the event as one human line (without the time).
func (e Event) String() string {
	switch e.Kind {
	case EventState:
		from := e.From
		if from == "" {
			from = "(none)"
		}
		return fmt.Sprintf("%s state %s → %s", e.Side, from, e.To)
	case EventRetrying:
		return fmt.Sprintf("retrying in %s (attempt %d): %s", e.Wait.Round(time.Millisecond), e.Attempt, e.Error)
	case EventFailed:
		return "failed: " + e.Error
	}
	return e.Message
}

// EventSink receives events. It is called from the goroutine running the
// runbook; a UI forwards them to its own loop.
type EventSink func(Event)
