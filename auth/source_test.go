package auth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

var _ oauth2.TokenSource = (*TokenSource)(nil)

// source is Config.TokenSource for options that must be valid.
func source(t testing.TB, cfg *Config, tok *Token, opts ...SourceOption) *TokenSource {
	t.Helper()
	ts, err := cfg.TokenSource(tok, opts...)
	if err != nil {
		t.Fatalf("TokenSource: %v", err)
	}
	return ts
}

// ccSource is Config.ClientCredentialsSource for options that must be valid.
func ccSource(t testing.TB, cfg *Config, scopes []string, opts ...SourceOption) *TokenSource {
	t.Helper()
	ts, err := cfg.ClientCredentialsSource(scopes, opts...)
	if err != nil {
		t.Fatalf("ClientCredentialsSource: %v", err)
	}
	return ts
}

// runConcurrently calls fn from n goroutines that start together and
// returns once all have finished. entered is done by each goroutine right
// before it calls fn.
func runConcurrently(n int, entered *sync.WaitGroup, fn func(i int)) {
	var done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			<-start
			if entered != nil {
				entered.Done()
			}
			fn(i)
		}()
	}
	close(start)
	done.Wait()
}

func TestConcurrentRefreshOnce(t *testing.T) {
	t.Parallel()
	const n = 1000
	f, clk, cfg, tok := loggedIn(t)
	clk.Add(2 * time.Hour) // the token has expired
	f.gate, f.arrived = make(chan struct{}), make(chan struct{}, 1)
	ts := source(t, cfg, tok)

	var entered sync.WaitGroup
	entered.Add(n)
	go func() {
		// Hold the one refresh until every goroutine is on its way in.
		entered.Wait()
		<-f.arrived
		close(f.gate)
	}()
	var errs atomic.Int64
	got := make([]string, n)
	runConcurrently(n, &entered, func(i int) {
		o, err := ts.Token()
		if err != nil {
			errs.Add(1)
			return
		}
		got[i] = o.AccessToken
	})
	if errs.Load() != 0 || f.refreshes.Load() != 1 || f.invalidGrants.Load() != 0 {
		t.Fatalf("%d goroutines: %d errors, %d refresh requests, %d invalid_grant; want 0, 1, 0",
			n, errs.Load(), f.refreshes.Load(), f.invalidGrants.Load())
	}
	for _, a := range got {
		if a != got[0] || a == tok.AccessToken {
			t.Fatalf("goroutines saw different or stale tokens: %q vs %q", a, got[0])
		}
	}
	t.Logf("%d goroutines, %d refresh request(s), %d invalid_grant", n, f.refreshes.Load(), f.invalidGrants.Load())
}

func TestRefreshAheadOfExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		window  time.Duration
		advance time.Duration
		refresh bool
	}{
		{"fresh", 0, 30 * time.Minute, false},
		{"inside default window", 0, 59*time.Minute + 30*time.Second, true},
		{"inside custom window", 10 * time.Minute, 51 * time.Minute, true},
		{"outside custom window", 10 * time.Minute, 49 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, clk, cfg, tok := loggedIn(t)
			var opts []SourceOption
			if tt.window != 0 {
				opts = append(opts, WithExpiryWindow(tt.window))
			}
			ts := source(t, cfg, tok, opts...)
			clk.Add(tt.advance)
			o, err := ts.TokenContext(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if refreshed := o.AccessToken != tok.AccessToken; refreshed != tt.refresh || f.refreshes.Load() != map[bool]int64{true: 1}[tt.refresh] {
				t.Fatalf("refreshed = %v (%d requests), want %v", refreshed, f.refreshes.Load(), tt.refresh)
			}
			if id, _ := o.Extra("id_token").(string); id == "" {
				t.Error("oauth2.Token lost the ID token")
			}
		})
	}
}

func TestFailedRefreshRemembered(t *testing.T) {
	t.Parallel()
	f, clk, cfg, tok := loggedIn(t)
	var hits atomic.Int64
	f.override = func(w http.ResponseWriter, _ *http.Request) bool {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<h1>Service Unavailable</h1>")
		return true
	}
	ts := source(t, cfg, tok, WithFailureTTL(3*time.Second))
	clk.Add(2 * time.Hour)
	runConcurrently(100, nil, func(int) {
		if _, err := ts.Token(); !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("err = %v", err)
		}
	})
	if hits.Load() != 1 {
		t.Fatalf("%d token requests for 100 callers, want 1", hits.Load())
	}
	clk.Add(2 * time.Second)
	if _, err := ts.Token(); err == nil || hits.Load() != 1 {
		t.Fatalf("within the TTL: err %v, %d requests", err, hits.Load())
	}
	clk.Add(2 * time.Second)
	f.override = nil
	if _, err := ts.Token(); err != nil || hits.Load() != 1 || f.refreshes.Load() != 1 {
		t.Fatalf("after the TTL: err %v, %d+%d requests", err, hits.Load(), f.refreshes.Load())
	}
}

func TestInvalidGrantRemembered(t *testing.T) {
	t.Parallel()
	f, clk, cfg, tok := loggedIn(t)
	tok.RefreshToken = "revoked"
	ts := source(t, cfg, tok, WithFailureTTL(time.Second))
	clk.Add(2 * time.Hour)
	for i := range 3 {
		_, err := ts.Token()
		var te *TokenError
		if !errors.Is(err, ErrInvalidGrant) || !errors.As(err, &te) || te.StatusCode != 400 {
			t.Fatalf("call %d: err = %v", i, err)
		}
		clk.Add(5 * time.Second) // past the failure TTL
	}
	if f.refreshes.Load() != 1 {
		t.Fatalf("the rejected refresh token was sent %d times, want 1", f.refreshes.Load())
	}
}

func TestForceRefresh(t *testing.T) {
	t.Parallel()
	f, _, cfg, tok := loggedIn(t)
	ts := source(t, cfg, tok)
	first, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	// 100 callers report the same rejected token: one refresh.
	got := make([]string, 100)
	runConcurrently(100, nil, func(i int) {
		o, err := ts.ForceRefresh(context.Background(), first)
		if err != nil {
			t.Error(err)
			return
		}
		got[i] = o.AccessToken
	})
	if f.refreshes.Load() != 1 || got[0] == first.AccessToken || got[99] != got[0] {
		t.Fatalf("%d refreshes; tokens %q..%q", f.refreshes.Load(), got[0], got[99])
	}
	// A stale report: the source has moved on, no refresh.
	o, err := ts.ForceRefresh(context.Background(), first)
	if err != nil || o.AccessToken != got[0] || f.refreshes.Load() != 1 {
		t.Fatalf("stale report refreshed: %v, %d", err, f.refreshes.Load())
	}
	// nil means "refresh now".
	o, err = ts.ForceRefresh(context.Background(), nil)
	if err != nil || o.AccessToken == got[0] || f.refreshes.Load() != 2 {
		t.Fatalf("nil report: %v, %d", err, f.refreshes.Load())
	}
}

func TestClientCredentialsSource(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	clk := newClock()
	f.now = clk.Now
	cfg := f.config()
	cfg.Now = clk.Now
	store := NewFileStore(filepath.Join(t.TempDir(), "cc.json"))
	ts := ccSource(t, cfg, []string{"exchange_data"}, WithStore(store))
	runConcurrently(200, nil, func(int) {
		if _, err := ts.Token(); err != nil {
			t.Error(err)
		}
	})
	if f.clientCreds.Load() != 1 {
		t.Fatalf("%d client-credentials requests for 200 callers, want 1", f.clientCreds.Load())
	}
	saved, err := store.Load(context.Background())
	if err != nil || saved.AccessToken != "cc-access-1" || saved.Scope != "exchange_data" {
		t.Fatalf("stored %v, %v", saved, err)
	}
	o, _ := ts.Token()
	if n, err := ts.ForceRefresh(context.Background(), o); err != nil || n.AccessToken != "cc-access-2" {
		t.Fatalf("ForceRefresh: %v %v", n, err)
	}
	clk.Add(2 * time.Hour)
	if n, err := ts.Token(); err != nil || n.AccessToken != "cc-access-3" {
		t.Fatalf("after expiry: %v %v", n, err)
	}
}

func TestCallerContext(t *testing.T) {
	t.Parallel()
	f, clk, cfg, tok := loggedIn(t)
	ts := source(t, cfg, tok)

	// A request-scoped context that ended is not used by later refreshes.
	reqCtx, cancel := context.WithCancel(context.Background())
	if _, err := ts.TokenContext(reqCtx); err != nil {
		t.Fatal(err)
	}
	cancel()
	clk.Add(2 * time.Hour)
	if _, err := ts.Token(); err != nil {
		t.Fatalf("refresh after the first caller's context ended: %v", err)
	}

	// A caller that gives up stops waiting; the refresh it started still
	// completes and serves the next caller without another request.
	f.gate, f.arrived = make(chan struct{}), make(chan struct{}, 1)
	clk.Add(2 * time.Hour)
	ctx, cancel2 := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := ts.TokenContext(ctx); errc <- err }()
	<-f.arrived
	cancel2()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	close(f.gate)
	o, err := ts.Token()
	if err != nil || f.refreshes.Load() != 2 {
		t.Fatalf("after the abandoned wait: %v, %d refreshes (want 2)", err, f.refreshes.Load())
	}
	if o.AccessToken == tok.AccessToken {
		t.Fatal("stale token")
	}
}

func TestRefreshTimeout(t *testing.T) {
	t.Parallel()
	f, clk, cfg, tok := loggedIn(t)
	f.gate = make(chan struct{})
	t.Cleanup(func() { close(f.gate) })
	ts := source(t, cfg, tok, WithRefreshTimeout(50*time.Millisecond), WithContext(context.Background()))
	clk.Add(2 * time.Hour)
	if _, err := ts.Token(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	f, clk, cfg, tok := loggedIn(t)
	store := NewFileStore(filepath.Join(t.TempDir(), "sub", "token.json"))
	if err := store.Save(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	ts := source(t, cfg, tok, WithStore(store))
	clk.Add(2 * time.Hour)
	o, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	saved, err := store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if saved.AccessToken != o.AccessToken || saved.RefreshToken == tok.RefreshToken || saved.RefreshToken != o.RefreshToken ||
		saved.IDToken == "" || saved.Claims == nil || saved.Claims.Subject != testUser || saved.Claims.Type != UserTypeStudent {
		t.Fatalf("saved %v", saved)
	}
	// A second source (another run of the program) starts from the store
	// without a refresh.
	ts2 := source(t, cfg, nil, WithStore(store))
	full, err := ts2.AuthToken(context.Background())
	if err != nil || full.AccessToken != o.AccessToken || full.Claims.Subject != testUser || f.refreshes.Load() != 1 {
		t.Fatalf("second source: %v %v, %d refreshes", full, err, f.refreshes.Load())
	}
}

// TestSharedStoreInProcess: two sources holding the same expired token share
// one file; the second adopts what the first saved instead of spending the
// refresh token again.
func TestSharedStoreInProcess(t *testing.T) {
	t.Parallel()
	f, clk, cfg, tok := loggedIn(t)
	store := NewFileStore(filepath.Join(t.TempDir(), "token.json"))
	if err := store.Save(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	a, b := source(t, cfg, tok, WithStore(store)), source(t, cfg, tok, WithStore(store))
	clk.Add(2 * time.Hour)
	runConcurrently(20, nil, func(i int) {
		if _, err := []*TokenSource{a, b}[i%2].Token(); err != nil {
			t.Error(err)
		}
	})
	if f.refreshes.Load() != 1 || f.invalidGrants.Load() != 0 {
		t.Fatalf("%d refreshes, %d invalid_grant; want 1, 0", f.refreshes.Load(), f.invalidGrants.Load())
	}
}

type failingStore struct {
	loadErr, saveErr error
	saves            atomic.Int64
}

func (s *failingStore) Load(context.Context) (*Token, error) { return nil, s.loadErr }
func (s *failingStore) Save(context.Context, *Token) error {
	s.saves.Add(1)
	return s.saveErr
}

func TestSourceErrorsAndLogging(t *testing.T) {
	t.Parallel()
	_, clk, cfg, tok := loggedIn(t)
	clk.Add(2 * time.Hour)

	// No token anywhere.
	for name, ts := range map[string]*TokenSource{
		"nil token":        source(t, cfg, nil),
		"no refresh token": source(t, cfg, &Token{AccessToken: "x"}),
		"empty store":      source(t, cfg, nil, WithStore(NewFileStore(filepath.Join(t.TempDir(), "none.json")))),
	} {
		if _, err := ts.Token(); !errors.Is(err, ErrNoToken) {
			t.Errorf("%s: err = %v, want ErrNoToken", name, err)
		}
	}
	// A store that cannot load is an error, not an empty store.
	broken := errors.New("disk on fire")
	if _, err := source(t, cfg, tok, WithStore(&failingStore{loadErr: broken})).Token(); !errors.Is(err, broken) {
		t.Errorf("err = %v", err)
	}
	// A failed save keeps the new token (the old refresh token is spent)
	// and is logged, without secrets.
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := &failingStore{loadErr: ErrNoToken, saveErr: errors.New("read-only file system")}
	o, err := source(t, cfg, tok, WithStore(st), WithLogger(logger)).Token()
	if err != nil || o.AccessToken == tok.AccessToken || st.saves.Load() != 1 {
		t.Fatalf("%v, %d saves", err, st.saves.Load())
	}
	out := logs.String()
	if !strings.Contains(out, "read-only file system") || !strings.Contains(out, "obtained new token") {
		t.Errorf("logs: %s", out)
	}
	for _, s := range []string{o.AccessToken, o.RefreshToken, tok.RefreshToken, testSecret} {
		if strings.Contains(out, s) {
			t.Errorf("log leaks %q", s)
		}
	}
}

func TestFromOAuth2(t *testing.T) {
	t.Parallel()
	tok := &Token{AccessToken: "a", TokenType: "bearer", RefreshToken: "r", Expiry: testNow, Scope: "s", IDToken: "i"}
	back := FromOAuth2(tok.OAuth2())
	if *back != *tok {
		t.Fatalf("round trip: %v != %v", back, tok)
	}
	if FromOAuth2(nil) != nil || (*Token)(nil).OAuth2() != nil {
		t.Fatal("nil conversion")
	}
	if o := (&Token{AccessToken: "a"}).OAuth2(); o.Extra("id_token") != nil {
		t.Fatal("unexpected extra")
	}
}

// TestSourceOptions: the zero value of every option is its default, and
// an invalid value fails the constructor with ErrInvalidOption.
func TestSourceOptions(t *testing.T) {
	t.Parallel()
	_, clk, cfg, tok := loggedIn(t)
	var zeroCtx context.Context // the zero value, which must mean "the default"
	zero := []SourceOption{WithStore(nil), WithExpiryWindow(0), WithFailureTTL(0), WithRefreshTimeout(0),
		WithLogger(nil), WithContext(zeroCtx), nil}
	ts, err := cfg.TokenSource(tok, zero...)
	if err != nil {
		t.Fatal(err)
	}
	if ts.window != DefaultExpiryWindow || ts.failTTL != DefaultFailureTTL || ts.timeout != DefaultRefreshTimeout ||
		ts.store != nil || ts.log != nil || ts.base == nil {
		t.Fatalf("zero options are not the defaults: window %v, failure TTL %v, timeout %v", ts.window, ts.failTTL, ts.timeout)
	}
	// WithRefreshTimeout(0) used to make every refresh fail at once.
	clk.Add(2 * time.Hour)
	if _, err := ts.Token(); err != nil {
		t.Fatalf("refresh with zero-valued options: %v", err)
	}
	if _, err := cfg.ClientCredentialsSource(nil, zero...); err != nil {
		t.Fatal(err)
	}

	bad := *cfg
	bad.AuthStyle = 7
	for name, try := range map[string]func() (*TokenSource, error){
		"negative window":      func() (*TokenSource, error) { return cfg.TokenSource(tok, WithExpiryWindow(-time.Second)) },
		"negative failure TTL": func() (*TokenSource, error) { return cfg.TokenSource(tok, WithFailureTTL(-1)) },
		"negative timeout": func() (*TokenSource, error) {
			return cfg.ClientCredentialsSource(nil, WithRefreshTimeout(-time.Minute))
		},
		"unknown AuthStyle": func() (*TokenSource, error) { return bad.TokenSource(tok) },
	} {
		if ts, err := try(); !errors.Is(err, ErrInvalidOption) || ts != nil {
			t.Errorf("%s: %v, %v; want ErrInvalidOption", name, ts, err)
		}
	}
	if _, err := bad.NewTokenRequest(context.Background(), RefreshGrant(tok)); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("NewTokenRequest with an unknown AuthStyle: %v", err)
	}
}
