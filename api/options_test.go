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

// TestOwnSettings: a call without options reads the client's settings
// (nil); a call's own settings start from the client's, its RetryPolicy
// takes its zero fields from the client's, and its headers never change
// the client's map.
func TestOwnSettings(t *testing.T) {
	t.Parallel()
	client, err := newSettings([]Option{WithRetryPolicy(RetryPolicy{MaxAttempts: 2, MinWait: time.Second}),
		WithHeader("X-A", "client"), WithMaxPages(9)})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]CallOption{nil, {}, {nil, nil}} {
		if set, err := ownSettings(&client.callSettings, opts); set != nil || err != nil {
			t.Errorf("%d options: %+v, %v; want nil, nil", len(opts), set, err)
		}
	}
	set, err := ownSettings(&client.callSettings, []CallOption{WithRetryPolicy(RetryPolicy{MaxWait: 3 * time.Second}),
		WithHeader("X-B", "call"), WithHeader("x-a", "call"), WithTimeout(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	want := RetryPolicy{MaxAttempts: 2, MinWait: time.Second, MaxWait: 3 * time.Second, Budget: DefaultRetryPolicy.Budget}
	if set.retry != want || set.maxPages != 9 || set.timeout != time.Minute || set.attemptTimeout != DefaultAttemptTimeout {
		t.Errorf("call settings %+v, want retry %+v, the client's page cap and attempt timeout", set, want)
	}
	if got := *set.header; got.Get("X-A") != "call" || got.Get("X-B") != "call" || len(got) != 2 {
		t.Errorf("call headers %v", got)
	}
	if got := *client.header; got.Get("X-A") != "client" || len(got) != 1 {
		t.Errorf("the client's headers changed: %v", got)
	}
}
