package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	hits := failFirst(f, math.MaxInt64, status(http.StatusBadRequest, `{"error":"invalid_request","error_description":"no"}`))
	ts := source(t, cfg, tok, WithFailureTTL(3*time.Second))
	clk.Add(2 * time.Hour)
	runConcurrently(100, nil, func(int) {
		var te *TokenError
		if _, err := ts.Token(); !errors.As(err, &te) || te.Code != "invalid_request" {
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
	// and is logged, without secrets. Two saves fail: the token handed in,
	// retried before its refresh token is spent, and the new one.
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := &failingStore{loadErr: ErrNoToken, saveErr: errors.New("read-only file system")}
	o, err := source(t, cfg, tok, WithStore(st), WithLogger(logger)).Token()
	if err != nil || o.AccessToken == tok.AccessToken || st.saves.Load() != 2 {
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

// recStore is a FileStore (lock included) that records save attempts and
// can fail the next ones.
type recStore struct {
	fs        *FileStore
	mu        sync.Mutex
	failSaves int      // number of next saves that fail
	saved     []string // access tokens of every save attempt, in order
}

func newRecStore(t *testing.T) *recStore {
	return &recStore{fs: NewFileStore(filepath.Join(t.TempDir(), "token.json"))}
}

func (r *recStore) Load(ctx context.Context) (*Token, error)       { return r.fs.Load(ctx) }
func (r *recStore) Lock(ctx context.Context) (func() error, error) { return r.fs.Lock(ctx) }
func (r *recStore) Save(ctx context.Context, t *Token) error {
	r.mu.Lock()
	r.saved = append(r.saved, t.AccessToken)
	fail := r.failSaves > 0
	if fail {
		r.failSaves--
	}
	r.mu.Unlock()
	if fail {
		return errors.New("disk full")
	}
	return r.fs.Save(ctx, t)
}

func (r *recStore) attempts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.saved)
}

func (r *recStore) stored(t *testing.T) *Token {
	t.Helper()
	tok, err := r.fs.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestFailedSaveKeepsSession (finding 1): after one failed save the new
// token lives only in memory; the next renewal must not reload the older
// token and send its spent refresh token, and must save the new token
// before spending its refresh token.
func TestFailedSaveKeepsSession(t *testing.T) {
	t.Parallel()
	f, clk, cfg, tok := loggedIn(t)
	st := newRecStore(t)
	if err := st.fs.Save(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	ts := source(t, cfg, tok, WithStore(st))
	clk.Add(2 * time.Hour)
	st.failSaves = 1
	first, err := ts.Token()
	if err != nil || first.AccessToken == tok.AccessToken {
		t.Fatalf("first renewal: %v", err)
	}
	// The second renewal: when its refresh request arrives, the store must
	// already hold the first renewal's token.
	clk.Add(2 * time.Hour)
	f.gate, f.arrived = make(chan struct{}), make(chan struct{}, 1)
	type result struct {
		tok *oauth2.Token
		err error
	}
	done := make(chan result, 1)
	go func() { o, err := ts.Token(); done <- result{o, err} }()
	<-f.arrived
	if got := st.stored(t); got.AccessToken != first.AccessToken {
		t.Errorf("the refresh token was spent before the unsaved token was saved (store holds %s)", got.AccessToken)
	}
	close(f.gate)
	second := <-done
	if second.err != nil || f.invalidGrants.Load() != 0 || f.refreshes.Load() != 2 {
		t.Fatalf("second renewal: %v; %d invalid_grant, %d refreshes (want 0, 2)", second.err, f.invalidGrants.Load(), f.refreshes.Load())
	}
	if got := st.stored(t); got.AccessToken != second.tok.AccessToken {
		t.Errorf("the store holds %s, not the latest token", got.AccessToken)
	}
	want := []string{first.AccessToken, first.AccessToken, second.tok.AccessToken}
	if got := st.attempts(); !slices.Equal(got, want) {
		t.Errorf("save attempts %q, want %q (failed, retried, next)", got, want)
	}
}

// TestInitialTokenSaved (finding 1): the token handed to TokenSource is
// saved, and a store holding an older token (whose refresh token is spent)
// does not replace it.
func TestInitialTokenSaved(t *testing.T) {
	t.Parallel()
	t.Run("empty store", func(t *testing.T) {
		t.Parallel()
		f, _, cfg, tok := loggedIn(t)
		st := newRecStore(t)
		if _, err := source(t, cfg, tok, WithStore(st)).Token(); err != nil {
			t.Fatal(err)
		}
		if got := st.stored(t); got.AccessToken != tok.AccessToken || got.RefreshToken != tok.RefreshToken || f.refreshes.Load() != 0 {
			t.Fatalf("store holds %v after %d refreshes, want the token handed in", got, f.refreshes.Load())
		}
	})
	t.Run("store holds an older token", func(t *testing.T) {
		t.Parallel()
		f, clk, cfg, old := loggedIn(t)
		st := newRecStore(t)
		if err := st.fs.Save(context.Background(), old); err != nil {
			t.Fatal(err)
		}
		if _, err := cfg.Refresh(context.Background(), old); err != nil { // spends old's refresh token
			t.Fatal(err)
		}
		clk.Add(10 * time.Minute)
		_, tok := login(t, f, clk) // a later login of the same user
		ts := source(t, cfg, tok, WithStore(st))
		clk.Add(2 * time.Hour)
		o, err := ts.Token()
		if err != nil || f.invalidGrants.Load() != 0 {
			t.Fatalf("renewal sent the stored token's spent refresh token: %v, %d invalid_grant", err, f.invalidGrants.Load())
		}
		if got := st.stored(t); got.AccessToken != o.AccessToken {
			t.Errorf("store holds %s, want %s", got.AccessToken, o.AccessToken)
		}
	})
}

// TestSourceRefusesAnotherSubject (finding 2): a source never switches
// users because the store holds someone else's token.
func TestSourceRefusesAnotherSubject(t *testing.T) {
	t.Parallel()
	_, clk, cfg, tok := loggedIn(t)
	bob := &Token{AccessToken: "bob-access", RefreshToken: "bob-refresh", TokenType: "bearer",
		Expiry: clk.Now().Add(time.Hour), Claims: &IDTokenClaims{Subject: "bob"}}
	check := func(t *testing.T, err error, stored, src string) {
		t.Helper()
		var sm *SubjectMismatchError
		if !errors.Is(err, ErrSubjectMismatch) || !errors.As(err, &sm) || sm.Stored != stored || sm.Source != src {
			t.Fatalf("err = %v, want a *SubjectMismatchError (stored %s, source %s)", err, stored, src)
		}
	}
	st := newRecStore(t)
	if err := st.fs.Save(context.Background(), bob); err != nil {
		t.Fatal(err)
	}
	ts := source(t, cfg, tok, WithStore(st))
	o, err := ts.Token()
	if o != nil {
		t.Fatalf("got a token for %v", ts)
	}
	check(t, err, "bob", testUser)
	if got := st.stored(t); got.AccessToken != bob.AccessToken {
		t.Errorf("the other user's stored token was overwritten")
	}
	// A source that adopted the store's user refuses when the store later
	// switches to another one.
	st2 := newRecStore(t)
	if err := st2.fs.Save(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	ts2 := source(t, cfg, nil, WithStore(st2))
	if _, err := ts2.Token(); err != nil {
		t.Fatal(err)
	}
	if err := st2.fs.Save(context.Background(), bob); err != nil {
		t.Fatal(err)
	}
	_, err = ts2.ForceRefresh(context.Background(), nil)
	check(t, err, "bob", testUser)
}

// TestEmptyTokenFileDoesNotShadow (finding 13): a token file holding null
// or an empty object counts as empty, not as a token to refresh.
func TestEmptyTokenFileDoesNotShadow(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"null", "{}", `{"expiry":"2026-01-01T00:00:00Z","token_type":"bearer"}`} {
		t.Run(content, func(t *testing.T) {
			t.Parallel()
			f, clk, cfg, tok := loggedIn(t)
			st := newRecStore(t)
			if err := os.WriteFile(st.fs.Path(), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := st.fs.Load(context.Background()); !errors.Is(err, ErrNoToken) {
				t.Errorf("Load of %s: %v, want ErrNoToken", content, err)
			}
			ts := source(t, cfg, tok, WithStore(st))
			clk.Add(2 * time.Hour)
			o, err := ts.Token()
			if err != nil || f.refreshes.Load() != 1 {
				t.Fatalf("the in-memory token was shadowed by %s: %v", content, err)
			}
			if got := st.stored(t); got.AccessToken != o.AccessToken {
				t.Errorf("store holds %s", got.AccessToken)
			}
		})
	}
}

// fencedStore is a TokenStore with the fencing contract of DESIGN.md
// decision 6: Save fails with ErrSaveConflict when someone wrote since the
// last Load.
type fencedStore struct {
	mu         sync.Mutex
	tok        *Token
	gen        int
	loadedGen  int
	beforeSave func() // runs once, before the next Save is checked
	saves      int
	conflicts  int
}

func (s *fencedStore) Load(context.Context) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadedGen = s.gen
	if s.tok == nil {
		return nil, ErrNoToken
	}
	c := *s.tok
	return &c, nil
}

func (s *fencedStore) Save(_ context.Context, t *Token) error {
	s.mu.Lock()
	hook := s.beforeSave
	s.beforeSave = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != s.loadedGen {
		s.conflicts++
		return fmt.Errorf("fenced store: generation %d, loaded %d: %w", s.gen, s.loadedGen, ErrSaveConflict)
	}
	c := *t
	s.tok, s.saves = &c, s.saves+1
	s.gen++
	s.loadedGen = s.gen
	return nil
}

// put is another writer's save.
func (s *fencedStore) put(t *Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *t
	s.tok = &c
	s.gen++
}

func (s *fencedStore) counts() (saves, conflicts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saves, s.conflicts
}

// expiredOver logs in, puts the token into st and returns a source over
// st whose clock has moved past the token's expiry, so its next Token
// renews.
func expiredOver(t *testing.T, st interface {
	TokenStore
	put(*Token)
}) (*fakeServer, *fakeClock, *Config, *Token, *TokenSource) {
	t.Helper()
	f, clk, cfg, tok := loggedIn(t)
	st.put(tok)
	ts := source(t, cfg, tok, WithStore(st))
	clk.Add(2 * time.Hour)
	return f, clk, cfg, tok, ts
}

// TestSaveConflictRereads (DESIGN.md decision 6): when a fenced store
// refuses the save because another writer stored a newer token, the source
// re-reads the store and uses that token instead of retrying the save.
func TestSaveConflictRereads(t *testing.T) {
	t.Parallel()
	st := &fencedStore{}
	f, clk, _, _, ts := expiredOver(t, st)
	_, other := login(t, f, clk) // what another process stores meanwhile
	st.mu.Lock()
	st.beforeSave = func() { st.put(other) }
	st.mu.Unlock()
	o, err := ts.Token()
	if err != nil || o.AccessToken != other.AccessToken {
		t.Fatalf("after the conflict: err %v, same token as the other writer: %v; want the other writer's token", err, o != nil && o.AccessToken == other.AccessToken)
	}
	if saves, conflicts := st.counts(); saves != 0 || conflicts != 1 {
		t.Fatalf("%d saves and %d conflicts, want 0 and 1 (no retried save)", saves, conflicts)
	}
	clk.Add(2 * time.Hour)
	if _, err := ts.Token(); err != nil || f.invalidGrants.Load() != 0 {
		t.Fatalf("renewal from the adopted token: %v, %d invalid_grant", err, f.invalidGrants.Load())
	}
	if saves, _ := st.counts(); saves != 1 {
		t.Errorf("%d saves after the renewal, want 1", saves)
	}
}

// failFirst makes the fake's token endpoint answer the first n requests
// with fail, counting them.
func failFirst(f *fakeServer, n int64, fail func(w http.ResponseWriter)) *atomic.Int64 {
	var hits atomic.Int64
	f.override = func(w http.ResponseWriter, _ *http.Request) bool {
		if hits.Add(1) > n {
			return false
		}
		fail(w)
		return true
	}
	return &hits
}

func status(code int, body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
	}
}

// TestRefreshRetriesTransient (finding 5): a refresh retries 5xx answers
// and connection failures with backoff, never 4xx ones.
func TestRefreshRetriesTransient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fails    int64
		fail     func(w http.ResponseWriter)
		ok       bool
		requests int64
		code     string // RFC 6749 error code of the failure
	}{
		{"503 twice", 2, status(503, `{"error":"temporarily_unavailable"}`), true, 3, ""},
		{"HTML 502 page", 1, status(502, "<h1>Bad Gateway</h1>"), true, 2, ""},
		{"connection closed", 2, hangUp, true, 3, ""},
		{"500 server_error", 1, status(500, `{"error":"server_error"}`), true, 2, ""},
		{"400 not retried", 1, status(400, `{"error":"invalid_request"}`), false, 1, "invalid_request"},
		{"invalid_grant not retried", 1, status(400, `{"error":"invalid_grant"}`), false, 1, "invalid_grant"},
		{"401 invalid_client not retried", 1, status(401, `{"error":"invalid_client"}`), false, 1, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, clk, cfg, tok := loggedIn(t)
			hits := failFirst(f, tt.fails, tt.fail)
			ts := source(t, cfg, tok)
			clk.Add(2 * time.Hour)
			o, err := ts.Token()
			if tt.ok != (err == nil) || hits.Load() != tt.requests {
				t.Fatalf("err %v after %d token requests; want ok=%v after %d", err, hits.Load(), tt.ok, tt.requests)
			}
			if tt.ok && o.AccessToken == tok.AccessToken {
				t.Fatal("stale token")
			}
			var te *TokenError
			if !tt.ok && (!errors.As(err, &te) || te.Code != tt.code || errors.Is(err, ErrTemporary)) {
				t.Fatalf("err = %v, want %s and not ErrTemporary", err, tt.code)
			}
		})
	}
}

// TestTransientFailureNotRemembered (finding 5): when the token endpoint
// is down for longer than a refresh may take, the error says it is
// temporary, and it is not remembered: the first call after the endpoint
// recovers gets a token.
func TestTransientFailureNotRemembered(t *testing.T) {
	t.Parallel()
	f, clk, cfg, tok := loggedIn(t)
	var down atomic.Bool
	down.Store(true)
	f.override = func(w http.ResponseWriter, _ *http.Request) bool {
		if !down.Load() {
			return false
		}
		status(503, `{"error":"temporarily_unavailable"}`)(w)
		return true
	}
	ts := source(t, cfg, tok, WithRefreshTimeout(time.Second))
	clk.Add(2 * time.Hour)
	_, err := ts.Token()
	var te *TokenError
	if !errors.Is(err, ErrTemporary) || !errors.As(err, &te) || te.StatusCode != 503 || errors.Is(err, ErrInvalidGrant) {
		t.Fatalf("err = %v, want ErrTemporary carrying the 503", err)
	}
	down.Store(false) // the blip is over; the clock has not moved
	if o, err := ts.Token(); err != nil || o.AccessToken == tok.AccessToken {
		t.Fatalf("first call after the outage: %v", err)
	}
}

// TestWaitEndsWithLastError: a caller whose context ends while the
// refresh is still retrying gets its context's error together with the
// last attempt's.
func TestWaitEndsWithLastError(t *testing.T) {
	t.Parallel()
	f, clk, cfg, tok := loggedIn(t)
	hits := failFirst(f, math.MaxInt64, status(503, `{"error":"temporarily_unavailable"}`))
	ts := source(t, cfg, tok, WithRefreshTimeout(time.Second))
	clk.Add(2 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for hits.Load() < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := ts.TokenContext(ctx)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrTemporary) {
		t.Fatalf("err = %v, want context.Canceled and ErrTemporary", err)
	}
}

// TestInvalidGrantRereadsStore: a holder whose lock lease ran out while it
// was paused between reading the store and spending the refresh token finds
// that token already spent by another process, which stored the rotated
// one. On invalid_grant the source re-reads the store and carries on with
// that token instead of failing every call for the failure TTL.
func TestInvalidGrantRereadsStore(t *testing.T) {
	t.Parallel()
	st := &fencedStore{}
	f, clk, cfg, tok, ts := expiredOver(t, st)
	var other *Token
	var fired atomic.Bool
	f.override = func(http.ResponseWriter, *http.Request) bool {
		// Before the source's refresh is answered, another process spends
		// the same refresh token and stores what it got.
		if fired.Swap(true) {
			return false
		}
		var err error
		if other, err = cfg.Refresh(context.Background(), tok); err != nil {
			t.Errorf("the other process's refresh: %v", err)
			return false
		}
		st.put(other)
		return false
	}
	o, err := ts.Token()
	if err != nil {
		t.Fatalf("Token after the other process rotated the refresh token: %v", err)
	}
	if other == nil || o.AccessToken != other.AccessToken {
		t.Fatalf("got a token other than the one the other process stored")
	}
	if n := f.invalidGrants.Load(); n != 1 {
		t.Errorf("%d invalid_grant, want exactly the one spent refresh token", n)
	}
	// The adopted token is the store's: later renewals start from it.
	clk.Add(2 * time.Hour)
	if _, err := ts.Token(); err != nil || f.invalidGrants.Load() != 1 {
		t.Fatalf("renewal from the adopted token: %v, %d invalid_grant", err, f.invalidGrants.Load())
	}
}

// unreachableStore is a shared store (Redis, say) whose server cannot be
// reached until up is set.
type unreachableStore struct {
	fencedStore
	up atomic.Bool
}

func (s *unreachableStore) Lock(context.Context) (func() error, error) {
	if !s.up.Load() {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return func() error { return nil }, nil
}

// TestUnreachableStoreIsTemporary: a shared store that cannot be reached
// is a failure that passes by itself, like a token endpoint that cannot be
// reached: it matches ErrTemporary (the user need not log in again) and is
// not remembered for the failure TTL.
func TestUnreachableStoreIsTemporary(t *testing.T) {
	t.Parallel()
	st := &unreachableStore{}
	_, _, _, _, ts := expiredOver(t, st)
	_, err := ts.Token()
	if !errors.Is(err, ErrTemporary) {
		t.Fatalf("store unreachable: %v, want an error matching ErrTemporary", err)
	}
	st.up.Store(true)
	if _, err := ts.Token(); err != nil {
		t.Fatalf("once the store is back: %v (a remembered failure?)", err)
	}
}
