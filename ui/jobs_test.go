package ui

import (
	"testing"
	"time"
)

// A job whose command never ran does not hold wait up; one that runs is
// waited for; a command started after wait does nothing.
func TestJobs(t *testing.T) {
	var js jobs
	never := js.add()
	running := js.add()
	if !running.start() {
		t.Fatal("a job started before wait was refused")
	}
	returned := make(chan struct{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(returned)
		running.done()
	}()
	js.wait()
	select {
	case <-returned:
	default:
		t.Fatal("wait returned before the running job did")
	}
	if never.start() {
		t.Error("a job whose command runs after wait was started")
	}
	if never.started() || !running.started() {
		t.Errorf("started: never %v, running %v", never.started(), running.started())
	}
}
