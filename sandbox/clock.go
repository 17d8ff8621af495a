package sandbox

import (
	"math"
	"sync"
	"time"
)

// Clock is the sandbox's single notion of time. Simulated time runs Speed
// times faster than the wall clock, so a flow that takes minutes in the cloud
// takes seconds in a demo. Speed 0 means "instant": every simulated delay is
// treated as already elapsed, which is what tests and benchmarks want.
type Clock struct {
	mu        sync.Mutex
	realStart time.Time
	simStart  time.Time
	speed     float64
	now       func() time.Time
}

// NewClock returns a clock whose simulated time starts at simStart (or now).
func NewClock(speed float64, simStart time.Time) *Clock {
	now := time.Now
	rs := now()
	if simStart.IsZero() {
		simStart = rs
	}
	if speed < 0 {
		speed = 0
	}
	return &Clock{realStart: rs, simStart: simStart, speed: speed, now: now}
}

// Speed is the factor simulated time runs at; 0 means instant.
func (c *Clock) Speed() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.speed
}

// SetSpeed changes the factor without making simulated time jump.
func (c *Clock) SetSpeed(speed float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sim := c.nowLocked()
	c.realStart = c.now()
	c.simStart = sim
	if speed < 0 {
		speed = 0
	}
	c.speed = speed
}

// Now is the simulated time. In instant mode it follows the wall clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	elapsed := c.now().Sub(c.realStart)
	f := c.speed
	if f == 0 {
		f = 1
	}
	return c.simStart.Add(time.Duration(float64(elapsed) * f)).UTC().Truncate(time.Microsecond)
}

// Due reports whether simulated delay d has passed since t0.
func (c *Clock) Due(t0 time.Time, d time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.speed == 0 || d <= 0 {
		return true
	}
	return !c.nowLocked().Before(t0.Add(d))
}

// Real converts a simulated duration to the wall-clock time it takes, used
// for Retry-After headers so clients poll at the pace the sandbox runs at.
func (c *Clock) Real(d time.Duration) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.speed == 0 {
		return 0
	}
	return time.Duration(math.Ceil(float64(d) / c.speed))
}
