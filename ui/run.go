package ui

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// Run shows the dashboard until the user quits or ctx ends. It returns
// after every runbook invocation has stopped and every run record is
// saved, so a run interrupted by quitting resumes next time.
func Run(ctx context.Context, deps Deps, opts Options) error {
	m := New(deps, opts)
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		popts = append(popts, tea.WithOutput(opts.Output))
	}
	if opts.Environ != nil {
		popts = append(popts, tea.WithEnvironment(opts.Environ))
	}
	if opts.Width > 0 && opts.Height > 0 {
		popts = append(popts, tea.WithWindowSize(opts.Width, opts.Height))
	}
	p := tea.NewProgram(m, popts...)
	_, err := p.Run()
	m.cancel()
	closeErr := m.CloseRuns()
	switch {
	case errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		err = ctx.Err()
	case errors.Is(err, tea.ErrInterrupted):
		err = nil
	}
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	if closeErr != nil {
		return fmt.Errorf("dashboard: save the run record: %w", closeErr)
	}
	return nil
}
