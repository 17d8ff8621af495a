package human

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{59 * time.Second, "59s"},
		{time.Minute, "1m"},
		{59*time.Minute + 59*time.Second, "59m"},
		{time.Hour, "1h"},
		{47 * time.Hour, "47h"},
		{48 * time.Hour, "2d"},
		{30 * 24 * time.Hour, "30d"},
	} {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestUsedBy(t *testing.T) {
	if got, want := UsedBy(nil), "no project's services use it yet"; got != want {
		t.Errorf("UsedBy(nil) = %q, want %q", got, want)
	}
	if got, want := UsedBy([]string{"orders", "orders-staging"}), "used by orders, orders-staging"; got != want {
		t.Errorf("UsedBy = %q, want %q", got, want)
	}
}
