package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/optcheck"
	"github.com/oauth-jaccount/jaccount-go/internal/redact"
	"golang.org/x/oauth2"
)

// A SourceOption customises a TokenSource built by Config.TokenSource or
// Config.ClientCredentialsSource: WithStore, WithExpiryWindow,
// WithFailureTTL, WithRefreshTimeout, WithLogger, WithContext. The zero
// value of each option's argument means the option's default; an invalid
// value (a negative duration) makes the constructor fail with an error
// matching ErrInvalidOption. Nil options are skipped.
type SourceOption interface {
	apply(*TokenSource) error
}

type sourceFunc func(*TokenSource) error

func (f sourceFunc) apply(ts *TokenSource) error { return f(ts) }

// WithStore persists every token the source obtains and, before each
// refresh, reloads the stored one. A store that is also a Locker (FileStore
// is) is locked across reload, refresh and save. Nil means no store.
func WithStore(s TokenStore) SourceOption {
	return sourceFunc(func(ts *TokenSource) error { ts.store = s; return nil })
}

// WithExpiryWindow sets how long before expiry a token is renewed; zero
// means DefaultExpiryWindow and a negative d is invalid. Keep it well below
// the token lifetime: a token that is always inside the window is renewed
// on every call.
func WithExpiryWindow(d time.Duration) SourceOption {
	return sourceFunc(func(ts *TokenSource) error {
		return optcheck.Set(ErrInvalidOption, "WithExpiryWindow", d, &ts.window)
	})
}

// WithFailureTTL sets how long a failed refresh is remembered and returned
// to callers without contacting the token endpoint again; zero means
// DefaultFailureTTL and a negative d is invalid. Only definite failures (a
// 4xx answer, a rejected ID token, a store error) are remembered: a
// temporary one (ErrTemporary), already retried within the refresh, and a
// timeout are not.
func WithFailureTTL(d time.Duration) SourceOption {
	return sourceFunc(func(ts *TokenSource) error {
		return optcheck.Set(ErrInvalidOption, "WithFailureTTL", d, &ts.failTTL)
	})
}

// WithRefreshTimeout bounds each refresh, including waiting for the file
// lock and the retries of temporary token-endpoint failures; zero means
// DefaultRefreshTimeout and a negative d is invalid. Callers wait only as
// long as their own contexts allow.
func WithRefreshTimeout(d time.Duration) SourceOption {
	return sourceFunc(func(ts *TokenSource) error {
		return optcheck.Set(ErrInvalidOption, "WithRefreshTimeout", d, &ts.timeout)
	})
}

// WithLogger reports refreshes and save failures at debug and error level.
// Secrets are never logged. Nil (the default) logs nothing.
func WithLogger(l *slog.Logger) SourceOption {
	return sourceFunc(func(ts *TokenSource) error { ts.log = l; return nil })
}

// WithContext sets the parent context of refreshes; nil means
// context.Background(), the default. Only its values (tracing, say) are
// used: its cancellation is ignored, so even a request-scoped context
// cannot break later refreshes. Bound refreshes with WithRefreshTimeout
// instead.
func WithContext(ctx context.Context) SourceOption {
	return sourceFunc(func(ts *TokenSource) error {
		if ctx != nil {
			ts.base = context.WithoutCancel(ctx)
		}
		return nil
	})
}

// Defaults of the TokenSource options.
const (
	// DefaultExpiryWindow is how long before expiry a token is renewed.
	DefaultExpiryWindow = time.Minute
	// DefaultFailureTTL is how long a failed refresh is remembered.
	DefaultFailureTTL = 5 * time.Second
	// DefaultRefreshTimeout bounds one refresh, lock wait included.
	DefaultRefreshTimeout = 30 * time.Second
)

// TokenSource is an oauth2.TokenSource that renews its token ahead of expiry,
// refreshes once for any number of concurrent callers, remembers a failed
// refresh for a short while, and persists every new token through an
// optional TokenStore. Build one with Config.TokenSource (refresh-token mode)
// or Config.ClientCredentialsSource, and share it: a new source per request
// defeats all of this.
//
// Refreshes run on the source's own context (see WithContext) with a timeout,
// never on a caller's context: a caller that gives up stops waiting, but the
// refresh it started still completes for the others.
//
// A token without an Expiry counts as expired (x/oauth2 would treat it as
// never expiring), so a stored token of unknown age is renewed once.
//
// When used with x/oauth2, wrap it in an oauth2.Transport directly; passing
// it through oauth2.NewClient or oauth2.ReuseTokenSource adds a cache that
// only renews 10 s before expiry.
type TokenSource struct {
	cfg     Config
	store   TokenStore
	clientC bool
	scopes  []string
	window  time.Duration
	failTTL time.Duration
	timeout time.Duration
	log     *slog.Logger
	base    context.Context

	mu sync.Mutex
	storeState
	needSync  bool // the token handed to the constructor is not reconciled with the store yet
	flight    *flight
	failErr   error
	failUntil time.Time
	deadRT    string // refresh token the server rejected
	deadErr   error  // its error
}

// storeState is what the source knows about its token and its store. A
// renewal works on a copy and publishes it when done.
type storeState struct {
	cur *Token
	// seen is the token the store held when last loaded or saved (nil:
	// empty); loaded says whether the store was read at all.
	seen   *Token
	loaded bool
	// pending is set when cur is not known to be in the store (the token
	// handed to the constructor, or a save failed): it is saved before its
	// refresh token is spent.
	pending bool
}

type flight struct {
	done     chan struct{}
	rejected string // the access token the API rejected, if forced
	force    bool
	tok      *Token
	err      error
	lastErr  error // the last failed attempt while retrying; guarded by TokenSource.mu
}

func (c *Config) newSource(t *Token, clientC bool, opts []SourceOption) (*TokenSource, error) {
	if err := c.AuthStyle.check(); err != nil {
		return nil, err
	}
	ts := &TokenSource{
		cfg:     *c,
		clientC: clientC,
		window:  DefaultExpiryWindow,
		failTTL: DefaultFailureTTL,
		timeout: DefaultRefreshTimeout,
		base:    context.Background(),
	}
	ts.cur = t
	if err := optcheck.Apply(opts, func(o SourceOption) error { return o.apply(ts) }); err != nil {
		return nil, err
	}
	ts.needSync = t != nil && ts.store != nil
	ts.pending = ts.needSync
	return ts, nil
}

// TokenSource returns a refreshing source starting from t, typically the
// result of Exchange. With WithStore, t may be nil: the stored token is
// used. Otherwise t is reconciled with the store on first use: saved when
// the store is empty or holds an older token, replaced by the stored one
// when that is newer (another process renewed it), refused with a
// *SubjectMismatchError when the store holds another user's token.
// It fails only for an invalid option or Config.AuthStyle (ErrInvalidOption).
func (c *Config) TokenSource(t *Token, opts ...SourceOption) (*TokenSource, error) {
	return c.newSource(t, false, opts)
}

// ClientCredentialsSource returns a source of client-credentials tokens for
// scopes (nil or empty means Config.Scopes, as for ClientCredentials), with
// the same store, single-refresh and failure-memory behaviour as
// TokenSource.
// It fails only for an invalid option or Config.AuthStyle (ErrInvalidOption).
func (c *Config) ClientCredentialsSource(scopes []string, opts ...SourceOption) (*TokenSource, error) {
	ts, err := c.newSource(nil, true, opts)
	if err != nil {
		return nil, err
	}
	ts.scopes = scopes
	return ts, nil
}

// Token returns a valid token, renewing it if needed. It implements
// oauth2.TokenSource. The returned oauth2.Token prints its secrets with %v:
// do not log it.
func (s *TokenSource) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext is Token with a context that bounds only this caller's wait.
func (s *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	t, err := s.AuthToken(ctx)
	return t.OAuth2(), err
}

// AuthToken is TokenContext returning the full Token, ID-token claims included.
func (s *TokenSource) AuthToken(ctx context.Context) (*Token, error) {
	return s.get(ctx, "", false)
}

// ForceRefresh handles an API's rejection (401, or jAccount's 403 with
// errno 10002/10007) of a token that looked valid. If the
// source's current access token is still rejected's, it renews it (one
// renewal for all concurrent callers reporting the same token); if the source
// has already moved on, it returns the current token without a refresh.
// A nil rejected renews unconditionally.
func (s *TokenSource) ForceRefresh(ctx context.Context, rejected *oauth2.Token) (*oauth2.Token, error) {
	rej := ""
	if rejected != nil {
		rej = rejected.AccessToken
	}
	t, err := s.get(ctx, rej, true)
	return t.OAuth2(), err
}

// get returns the current token if it is usable (not expiring and, when
// force is set, not the rejected one), else joins or starts a renewal.
func (s *TokenSource) get(ctx context.Context, rejected string, force bool) (*Token, error) {
	for joined := false; ; joined = true {
		s.mu.Lock()
		now := s.cfg.now()
		if !s.needSync && s.usable(s.cur, now, rejected, force) {
			t := s.cur
			s.mu.Unlock()
			return t, nil
		}
		f := s.flight
		if f == nil {
			if s.failErr != nil && now.Before(s.failUntil) {
				err := s.failErr
				s.mu.Unlock()
				return nil, err
			}
			f = &flight{done: make(chan struct{}), rejected: rejected, force: force}
			s.flight = f
			go s.run(f)
		}
		s.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			s.mu.Lock()
			last := f.lastErr
			s.mu.Unlock()
			if last != nil {
				return nil, &waitError{ctx: ctx.Err(), last: last}
			}
			return nil, ctx.Err()
		}
		if f.err != nil {
			return nil, f.err
		}
		// A forced caller that joined a renewal not forced for it may get
		// back the very token it reports as rejected: it starts its own.
		if !force || f.force || joined || rejected != "" && f.tok.AccessToken != rejected {
			return f.tok, nil
		}
	}
}

func (s *TokenSource) usable(t *Token, now time.Time, rejected string, force bool) bool {
	if t.expiresWithin(now, s.window) {
		return false
	}
	return !force || rejected != "" && t.AccessToken != rejected
}

// run performs one renewal and publishes its outcome.
func (s *TokenSource) run(f *flight) {
	ctx, cancel := context.WithTimeout(s.base, s.timeout)
	defer cancel()
	f.tok, f.err = s.renew(ctx, f)
	s.mu.Lock()
	s.flight = nil
	switch {
	case f.err == nil:
		s.failErr = nil
	case remembered(f.err):
		s.failErr, s.failUntil = f.err, s.cfg.now().Add(s.failTTL)
	}
	s.mu.Unlock()
	close(f.done)
}

// remembered says whether a failed renewal is returned to later callers for
// the failure TTL: a definite answer is, but not a failure that may pass by
// itself (a temporary one, already retried, or a timeout), so that one blip
// does not fail every call for seconds.
func remembered(err error) bool {
	return !errors.Is(err, ErrTemporary) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}

// renew is lock → reload and reconcile → (if still stale) save what is
// pending, refresh, save → unlock. It publishes what it learnt about the
// token and the store whatever the outcome.
func (s *TokenSource) renew(ctx context.Context, f *flight) (_ *Token, err error) {
	rejected, force := f.rejected, f.force
	if l, ok := s.store.(Locker); ok {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return nil, storeError("locking the token store", err)
		}
		defer func() { _ = unlock() }()
	}
	s.mu.Lock()
	st := s.storeState
	s.needSync = false
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.storeState = st
		// A store holding another user's token stays refused until it
		// changes: every call checks again.
		s.needSync = s.needSync || errors.Is(err, ErrSubjectMismatch)
		s.mu.Unlock()
	}()

	if s.store != nil {
		stored, err := s.loadStored(ctx)
		if err == nil {
			err = s.merge(&st, stored, false)
		}
		if err != nil {
			if !errors.Is(err, ErrSubjectMismatch) && s.usable(st.cur, s.cfg.now(), rejected, force) {
				s.logError("auth: reading the token store failed; using the token in memory", err)
				return st.cur, nil
			}
			return nil, storeError("reading the token store", err)
		}
	}
	if s.usable(st.cur, s.cfg.now(), rejected, force) {
		if st.pending {
			if err := s.save(ctx, &st, st.cur); err != nil {
				return nil, err
			}
		}
		return st.cur, nil
	}
	if st.pending && st.cur != nil && st.cur.RefreshToken != "" {
		// Save the unsaved token before its refresh token is spent, so the
		// store never holds a token whose refresh token is dead.
		if err := s.save(ctx, &st, st.cur); err != nil {
			return nil, err
		}
		if s.usable(st.cur, s.cfg.now(), rejected, force) { // adopted after a conflict
			return st.cur, nil
		}
	}
	t, err := s.fetchRetrying(ctx, f, st.cur)
	if errors.Is(err, ErrInvalidGrant) && s.store != nil {
		// Another process may have spent this refresh token and stored its
		// successor meanwhile (our lock lease ran out while we were paused,
		// say): carry on with the stored token rather than fail.
		if adopted, ok := s.rereadAfterRejection(ctx, &st, rejected, force); ok {
			return adopted, nil
		}
	}
	if err != nil {
		return nil, err
	}
	s.debug("obtained new token", t)
	st.cur, st.pending = t, s.store != nil
	if st.pending {
		if err := s.save(ctx, &st, t); err != nil {
			return nil, err
		}
	}
	return st.cur, nil
}

// rereadAfterRejection reloads the store after the server rejected st.cur's
// refresh token. It adopts the stored token only if another writer replaced
// the rejected one with a token that is usable, or that can be renewed
// once: the refresh token just rejected is never sent again.
func (s *TokenSource) rereadAfterRejection(ctx context.Context, st *storeState, rejected string, force bool) (*Token, bool) {
	dead := st.cur.RefreshToken
	stored, err := s.loadStored(ctx)
	if err != nil || stored == nil || stored.RefreshToken == dead && stored.AccessToken == st.cur.AccessToken {
		return nil, false
	}
	if err := s.merge(st, stored, true); err != nil {
		return nil, false
	}
	st.cur = stored // ours is spent: the stored token is the better one even if expired
	s.debug("the refresh token was spent by another process; adopted the stored token", stored)
	if s.usable(stored, s.cfg.now(), rejected, force) {
		return stored, true
	}
	if stored.RefreshToken == "" || stored.RefreshToken == dead {
		return nil, false
	}
	t, err := s.fetch(ctx, stored)
	if err != nil {
		return nil, false
	}
	st.cur, st.pending = t, true
	if err := s.save(ctx, st, t); err != nil {
		return nil, false
	}
	return st.cur, true
}

// storeError marks a store failure that may pass by itself, a network
// error of a shared store such as Redis, as temporary (ErrTemporary), so
// that it is neither remembered nor reported as a reason to log in again.
func storeError(op string, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return &transientError{op: op, err: err}
	}
	return err
}

// loadStored reads the store; an empty store, or a stored value with
// neither an access nor a refresh token, is nil.
func (s *TokenSource) loadStored(ctx context.Context) (*Token, error) {
	t, err := s.store.Load(ctx)
	switch {
	case errors.Is(err, ErrNoToken):
		return nil, nil
	case err != nil:
		return nil, err
	case t == nil || t.AccessToken == "" && t.RefreshToken == "":
		return nil, nil
	}
	return t, nil
}

// merge takes what the store holds into st. The stored token replaces the
// in-memory one when it is newer: when it changed since the source last
// read or wrote the store (someone else renewed it), or, on the first read,
// when it does not expire before the in-memory one. After a conflict
// (afterConflict) it is newer by definition and replaces it if usable.
// A stored token of another user is refused.
func (s *TokenSource) merge(st *storeState, stored *Token, afterConflict bool) error {
	first := !st.loaded
	st.loaded = true
	if stored == nil {
		// Save the token into an empty store, unless someone emptied it
		// since the source last saw a token there.
		st.pending = st.cur != nil && (first || st.seen == nil || st.pending)
		st.seen = nil
		return nil
	}
	if !afterConflict && !first && sameToken(stored, st.seen) {
		return nil // unchanged since the source last looked
	}
	if sameToken(stored, st.cur) {
		st.seen, st.pending = stored, false
		return nil
	}
	if a, b := st.cur.subject(), stored.subject(); a != "" && b != "" && a != b {
		return &SubjectMismatchError{Stored: b, Source: a}
	}
	st.seen = stored
	switch {
	case afterConflict:
		st.pending = false // never overwrite the other writer's token
		if s.usable(stored, s.cfg.now(), "", false) || st.cur == nil {
			st.cur = stored
		}
	case st.cur == nil || !first || !stored.Expiry.Before(st.cur.Expiry):
		s.debug("adopted stored token", stored)
		st.cur, st.pending = stored, false
	default:
		st.pending = true // the store holds an older token: replace it
	}
	return nil
}

// save stores t. A conflict (ErrSaveConflict) re-reads the store instead of
// retrying; any other failure is logged and leaves t pending, to be saved
// again before its refresh token is spent. Only a refusal of the re-read
// store (another user's token) is returned.
func (s *TokenSource) save(ctx context.Context, st *storeState, t *Token) error {
	err := s.store.Save(ctx, t)
	switch {
	case err == nil:
		st.seen, st.pending = t, false
		return nil
	case !errors.Is(err, ErrSaveConflict):
		st.pending = true
		s.logError("auth: saving refreshed token failed", err)
		return nil
	}
	if s.log != nil {
		s.log.Debug("auth: the token store changed since it was loaded; re-reading it")
	}
	stored, err := s.loadStored(ctx)
	if err != nil {
		st.pending = false
		s.logError("auth: re-reading the token store after a conflict failed", err)
		return nil
	}
	return s.merge(st, stored, true)
}

func sameToken(a, b *Token) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken
}

// Backoff between attempts of one refresh: doubling from refreshRetryMin
// up to refreshRetryMax, each drawn from [d/2, d].
const (
	refreshRetryMin = 50 * time.Millisecond
	refreshRetryMax = 2 * time.Second
)

// fetchRetrying is fetch, repeated with backoff while it fails with
// ErrTemporary, for as long as the refresh's context allows (see
// WithRefreshTimeout). Other failures end it at once: a 4xx answer such as
// invalid_grant is never repeated.
func (s *TokenSource) fetchRetrying(ctx context.Context, f *flight, cur *Token) (*Token, error) {
	var last error // the last temporary failure
	for attempt := 0; ; attempt++ {
		t, err := s.fetch(ctx, cur)
		switch {
		case err == nil:
			return t, nil
		case ctx.Err() != nil && last != nil:
			// The refresh's time ran out during a retry: say why it was
			// retrying.
			return nil, &waitError{ctx: ctx.Err(), last: last}
		case !errors.Is(err, ErrTemporary) || ctx.Err() != nil:
			return nil, err
		}
		last = err
		s.mu.Lock()
		f.lastErr = err
		s.mu.Unlock()
		d := min(refreshRetryMin<<min(attempt, 16), refreshRetryMax)
		d = d/2 + rand.N(d/2+1)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
			return nil, err
		}
		if s.log != nil {
			s.log.Debug("auth: token endpoint temporarily unavailable; retrying",
				slog.Int("attempt", attempt+1), slog.Duration("wait", d), slog.Any("error", err))
		}
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, &waitError{ctx: ctx.Err(), last: err}
		}
	}
}

func (s *TokenSource) fetch(ctx context.Context, cur *Token) (*Token, error) {
	if s.clientC {
		return s.cfg.ClientCredentials(ctx, s.scopes)
	}
	if cur == nil || cur.RefreshToken == "" {
		return nil, fmt.Errorf("%w: nothing to refresh, log in first", ErrNoToken)
	}
	s.mu.Lock()
	dead, deadErr := s.deadRT, s.deadErr
	s.mu.Unlock()
	if cur.RefreshToken == dead {
		return nil, deadErr // known rejected: do not ask again
	}
	t, err := s.cfg.Refresh(ctx, cur)
	if errors.Is(err, ErrInvalidGrant) {
		s.mu.Lock()
		s.deadRT, s.deadErr = cur.RefreshToken, err
		s.mu.Unlock()
	}
	return t, err
}

// String describes the source and its current token without any secret.
func (s *TokenSource) String() string {
	mode := "refresh_token"
	if s.clientC {
		mode = "client_credentials"
	}
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	tok := "<nil>"
	if cur != nil {
		tok = cur.String()
	}
	return fmt.Sprintf("auth.TokenSource{Mode: %s, Config: %s, Token: %s}", mode, s.cfg.String(), tok)
}

// GoString is String; it keeps %#v from printing the client secret.
func (s *TokenSource) GoString() string { return s.String() }

// Format makes every fmt verb print String: the source holds the Config by
// value, whose secret fmt would otherwise print field by field.
func (s *TokenSource) Format(f fmt.State, _ rune) { redact.Write(f, s.String()) }

// LogValue implements slog.LogValuer without secrets.
func (s *TokenSource) LogValue() slog.Value {
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	attrs := []slog.Attr{slog.Bool("client_credentials", s.clientC), slog.Any("config", s.cfg)}
	if cur != nil {
		attrs = append(attrs, slog.Any("token", *cur))
	}
	return slog.GroupValue(attrs...)
}

func (s *TokenSource) logError(msg string, err error) {
	if s.log != nil {
		s.log.Error(msg, slog.Any("error", err))
	}
}

func (s *TokenSource) debug(msg string, t *Token) {
	if s.log != nil {
		s.log.Debug("auth: "+msg, slog.Any("token", t))
	}
}
