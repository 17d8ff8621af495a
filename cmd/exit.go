package cmd

import "fmt"

// ExitError ends a command with a particular exit status: 1 for problems
// found (or a refusal), 3 when something could not be checked. main
// prints Msg (when there is one) and exits with Code.
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return fmt.Sprintf("exit status %d", e.Code)
}
