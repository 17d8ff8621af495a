package azure

import (
	"net/http"
	"testing"
	"time"
)

func TestFirstSentence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'x'. Trace ID: 0a1b Correlation ID: 2c3d Timestamp: 2025-01-01 00:00:00Z",
			"Invalid client secret provided."},
		{"AADSTS700016: Application with identifier 'abc' was not found in the directory 'Aiven'. This can happen if the application has not been installed. Trace ID: 1 Correlation ID: 2 Timestamp: 3",
			"Application with identifier 'abc' was not found in the directory 'Aiven'."},
		{"AADSTS90002: Tenant 'x' not found.\r\nTrace ID: 1", "Tenant 'x' not found."},
		{"no code here", "no code here"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := firstSentence(tt.in); got != tt.want {
			t.Errorf("firstSentence(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"ms wins", http.Header{"Retry-After": {"1"}, "Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{"x-ms ms", http.Header{"X-Ms-Retry-After-Ms": {"1500"}}, 1500 * time.Millisecond},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"past date", http.Header{"Retry-After": {"Mon, 02 Jan 2006 15:04:05 GMT"}}, 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.h); got != tt.want {
			t.Errorf("%s: retryAfter = %v, want %v", tt.name, got, tt.want)
		}
	}
	future := http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}
	if got := retryAfter(future); got < 58*time.Minute || got > time.Hour {
		t.Errorf("retryAfter(date an hour ahead) = %v", got)
	}
}
