package ui

import (
	"sync"

	"github.com/azpeer/azpeer/peering"
)

// jobs tracks the commands that change the clouds — runbook invocations,
// fixes, deletes — so that CloseRuns can wait for them to return before
// the runs are closed. A job is counted in Update, where its command is
// made, and the command starts it when it runs. A program that quits
// right after (a key pressed, then ctrl+c) may never run the command: a
// job that never started is let go by wait, instead of being waited for
// forever.
type jobs struct {
	mu      sync.Mutex
	wg      sync.WaitGroup
	closing bool
	pending map[*job]bool
}

// job is one command's hold on jobs.
type job struct {
	js  *jobs
	ran bool
	// opened is a run the command opened and hands over in its message;
	// when the message is never applied, CloseRuns closes it.
	opened *peering.Run
}

// add counts a job whose command is about to be returned.
func (js *jobs) add() *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.wg.Add(1)
	j := &job{js: js}
	if js.pending == nil {
		js.pending = map[*job]bool{}
	}
	js.pending[j] = true
	return j
}

// start is the command's first act: false when the dashboard is closing
// and the job was let go, and then the command must do nothing.
func (j *job) start() bool {
	j.js.mu.Lock()
	defer j.js.mu.Unlock()
	if j.js.closing {
		return false
	}
	delete(j.js.pending, j)
	j.ran = true
	return true
}

// done ends a started job.
func (j *job) done() { j.js.wg.Done() }

// open records a run the command opened (for CloseRuns, should its
// message never be applied).
func (j *job) open(r *peering.Run) {
	j.js.mu.Lock()
	defer j.js.mu.Unlock()
	j.opened = r
}

// openedRun is the run the command opened, if any (read after wait).
func (j *job) openedRun() *peering.Run {
	j.js.mu.Lock()
	defer j.js.mu.Unlock()
	return j.opened
}

// started reports whether the job's command ran (read after wait).
func (j *job) started() bool {
	j.js.mu.Lock()
	defer j.js.mu.Unlock()
	return j.ran
}

// wait lets go of the jobs whose commands never started and waits for
// the others to return. Jobs added afterwards are never started.
func (js *jobs) wait() {
	js.mu.Lock()
	js.closing = true
	for range js.pending {
		js.wg.Done()
	}
	js.pending = nil
	js.mu.Unlock()
	js.wg.Wait()
}
