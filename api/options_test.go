package api

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestOptionZeroValues (finding 9): the zero value of every option means
// its default, and an invalid value fails NewClient with ErrInvalidOption
// instead of being ignored or used.
func TestOptionZeroValues(t *testing.T) {
	t.Parallel()
	var nilTransport http.RoundTripper
	zero := []Option{WithBaseURL(""), WithTransport(nilTransport), WithRetryPolicy(RetryPolicy{}), WithLogger(nil),
		WithUserAgent(""), WithAttemptTimeout(0), WithMaxResponseSize(0), nil}
	s, err := newSettings(zero)
	if err != nil {
		t.Fatal(err)
	}
	want := defaultSettings()
	want.retry = want.retry.withDefaults()
	if s.baseURL != want.baseURL || s.transport != nil || s.retry != want.retry || s.logger != nil ||
		s.userAgent != defaultUserAgent || s.attemptTimeout != DefaultAttemptTimeout || s.maxBody != DefaultMaxResponseSize {
		t.Fatalf("zero options: %+v, want the defaults %+v", s, want)
	}
	c, err := NewClient(StaticToken("t"), zero...)
	if err != nil || c.auth.timeout != DefaultAttemptTimeout || c.maxBody != DefaultMaxResponseSize {
		t.Fatalf("NewClient with zero options: %v", err)
	}
	// A MinWait above the default MaxWait raises the default MaxWait.
	if s, err := newSettings([]Option{WithRetryPolicy(RetryPolicy{MinWait: 10 * time.Second})}); err != nil || s.retry.MaxWait != 10*time.Second {
		t.Errorf("MinWait 10s alone: %+v, %v", s.retry, err)
	}

	for name, o := range map[string]Option{
		"nil HTTP client":        WithHTTPClient(nil),
		"negative attempt limit": WithAttemptTimeout(-time.Second),
		"negative size":          WithMaxResponseSize(-1),
		"negative attempts":      WithRetryPolicy(RetryPolicy{MaxAttempts: -1}),
		"negative min wait":      WithRetryPolicy(RetryPolicy{MinWait: -time.Second}),
		"negative max wait":      WithRetryPolicy(RetryPolicy{MaxWait: -time.Second}),
		"negative budget":        WithRetryPolicy(RetryPolicy{Budget: -time.Second}),
		"max wait below min":     WithRetryPolicy(RetryPolicy{MinWait: time.Second, MaxWait: time.Millisecond}),
	} {
		if c, err := NewClient(StaticToken("t"), o); !errors.Is(err, ErrInvalidOption) || c != nil {
			t.Errorf("%s: %v, %v; want ErrInvalidOption", name, c, err)
		}
	}
}
