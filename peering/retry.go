package peering

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Backoff is an exponential backoff with a cap.
type Backoff struct {
	Initial, Max time.Duration
	Factor       float64
}

// defaultBackoff suits the clouds' eventual consistency: quick first
// retries, then no more often than every 15 seconds.
func defaultBackoff() Backoff {
	return Backoff{Initial: 500 * time.Millisecond, Max: 15 * time.Second, Factor: 2}
}

func (b Backoff) next(prev time.Duration) time.Duration {
	if prev <= 0 {
		return b.Initial
	}
	d := time.Duration(float64(prev) * b.Factor)
	if d > b.Max {
		d = b.Max
	}
	return d
}

// transient classifies errors the procedure is known to hit while clouds
// catch up with themselves. It returns a short reason, or "" for errors
// that retrying will not fix.
type transient func(err error) string

// busyCodes are Resource Manager's answers that a resource is busy: they
// are not 429s, arrive as 409 or 400 (or as a failed async operation), and
// pass once the other operation ends. Matched by code, not status.
// AnotherOperationInProgress: hashicorp/terraform-provider-azurerm logs
// and issues; ReferencedResourceNotProvisioned ("Cannot proceed with
// operation because resource … is not in Succeeded state"): issues 2605
// and 3392 there, pulumi/pulumi-azure-native#4340.
var busyCodes = map[string]string{
	"AnotherOperationInProgress":       "Azure is still updating the resource (another operation is in progress)",
	"ReferencedResourceNotProvisioned": "Azure is still updating the remote network (it is not in Succeeded state yet)",
}

// commonTransient: throttling, server errors and busy resources, anywhere.
func commonTransient(err error) string {
	var ce *CloudError
	if errors.As(err, &ce) {
		switch {
		case ce.StatusCode == 429:
			return "throttled (429)"
		case ce.StatusCode >= 500 && ce.StatusCode != 501:
			return fmt.Sprintf("server error (%d)", ce.StatusCode)
		case busyCodes[ce.Code] != "":
			return busyCodes[ce.Code]
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "network timeout"
	}
	return ""
}

// codes returns a transient that matches cloud error codes, with reasons.
func codes(reasons map[string]string) transient {
	return func(err error) string {
		if r, ok := reasons[ErrorCode(err)]; ok {
			return r
		}
		return ""
	}
}

// retry runs op until it succeeds, fails with a non-transient error, or the
// deadline passes. Waits honour a server's Retry-After when it is longer.
func retry(ctx context.Context, deadline time.Duration, b Backoff, isTransient transient, onRetry func(attempt int, wait time.Duration, err error), op func(ctx context.Context) error) error {
	parent := ctx
	if deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, deadline)
		defer cancel()
	}
	var wait time.Duration
	// The cloud's last answer: when the deadline cuts an attempt short,
	// that answer (say, AuthorizationFailed while a role propagates)
	// explains the give-up; the cut attempt's "context deadline exceeded"
	// does not.
	var lastErr error
	var lastReason string
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if lastErr != nil && isDeadline(err) && ctx.Err() != nil && parent.Err() == nil {
			return fmt.Errorf("gave up after %d attempts (%s): %w", attempt-1, lastReason, lastErr)
		}
		reason := commonTransient(err)
		if reason == "" && isTransient != nil {
			reason = isTransient(err)
		}
		if reason == "" {
			return err
		}
		if !isDeadline(err) {
			lastErr, lastReason = err, reason
		}
		wait = b.next(wait)
		var ce *CloudError
		if errors.As(err, &ce) && ce.RetryAfter > wait {
			wait = ce.RetryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("gave up after %d attempts (%s): %w", attempt, reason, err)
		}
		if onRetry != nil {
			onRetry(attempt, wait, fmt.Errorf("%s: %w", reason, err))
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("gave up after %d attempts (%s): %w", attempt, reason, err)
		}
	}
}

// isDeadline reports whether err is a deadline passing.
func isDeadline(err error) bool { return errors.Is(err, context.DeadlineExceeded) }

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
