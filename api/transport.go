package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth-jaccount/jaccount-go/internal/wire"
)

// Refresher is implemented by token sources that can replace a token the
// server rejected before it expired (auth.TokenSource does). ForceRefresh
// refreshes once if the source's current access token is still rejected and
// otherwise returns the current token; concurrent callers share one refresh.
type Refresher interface {
	ForceRefresh(ctx context.Context, rejected *oauth2.Token) (*oauth2.Token, error)
}

// ContextTokenSource is implemented by token sources that take a context
// (auth.TokenSource does). The client then gets each token with the call's
// context, so a caller's deadline or cancellation also ends its wait for a
// token being refreshed; other sources are asked through Token, which
// cannot be interrupted.
type ContextTokenSource interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// StaticToken returns a TokenSource that always yields accessToken, for
// callers that manage tokens themselves. It never refreshes.
func StaticToken(accessToken string) oauth2.TokenSource {
	return staticToken{&oauth2.Token{AccessToken: accessToken, TokenType: "Bearer"}}
}

// staticToken is oauth2.StaticTokenSource that never prints its token: fmt
// would print the *oauth2.Token inside it with %s.
type staticToken struct{ t *oauth2.Token }

// Token returns the fixed token.
func (s staticToken) Token() (*oauth2.Token, error) { return s.t, nil }

// String hides the token.
func (staticToken) String() string { return "api.StaticToken([REDACTED])" }

// GoString hides the token from %#v.
func (s staticToken) GoString() string { return s.String() }

// Format makes every fmt verb print String.
func (s staticToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue hides the token from slog.
func (s staticToken) LogValue() slog.Value { return slog.StringValue(s.String()) }

// callState follows one logical call through the retry loop. It is the
// request's context itself, so that attaching it costs one allocation, and it
// is only touched by the goroutine running the call.
type callState struct {
	context.Context
	method, path string
	// safety says whether the call may be repeated once it may have
	// reached the server (retrySafety).
	safety   retrySafety
	start    time.Time
	attempts int
	// connected is set when a request of a call that is not idempotent got
	// a connection (httptrace's GotConn): from then on it may have reached
	// the server. A request the server refused as a rejected token clears
	// it before the request is sent again.
	connected atomic.Bool
	// traced says that connected is reliable: the transport is net/http's,
	// which reports every connection to the trace. tracer is the trace.
	traced bool
	tracer *httptrace.ClientTrace
	// rejected lists the access tokens the server rejected during the call
	// that were refreshed: each distinct one is refreshed once.
	rejected []string
	// typed is set for calls of the typed methods, which own their
	// response bodies and may therefore use pooled buffers.
	typed bool
	// anyType says that the call takes a reply of any media type (a file
	// or an image, callRaw): its requests have no Accept header.
	anyType bool
	// tokens sent during the call, kept to redact them from error text.
	token, prevToken string
	// url lives here to save an allocation per call.
	url url.URL
	// body opens the request body of each attempt; nil for none.
	body func() (io.ReadCloser, error)
	// stream is the call's streamed body (a multipart upload), nil for
	// none; the retry policy asks it whether it can be sent again.
	stream *streamBody
	// shared ends the first attempt when the caller's context never ends
	// (attemptCtx); written once, before that attempt.
	shared context.Context
	// dec decodes the reply, here to save an allocation per call.
	dec wire.Decoder
	// driftOf is the client whose drift reporting the call does (drift.go),
	// nil when it reports none.
	driftOf *core
	// set holds the call's own settings (CallOptions); nil means the
	// client's, which its transports hold.
	set *callSettings
	// timeout is the call's WithTimeout, 0 for none.
	timeout time.Duration
	// queued is how long the call waited for its first attempt's turn
	// (limit.go), which the retry budget does not count.
	queued time.Duration
}

// canResend reports whether the call's body, if any, can be sent again.
func (s *callState) canResend() bool { return s == nil || s.stream == nil || s.stream.canResend() }

type stateKey struct{}

func newCallState(ctx context.Context, method, path string, safety retrySafety) *callState {
	return &callState{Context: ctx, method: method, path: path, safety: safety, start: time.Now()}
}

// Value implements context.Context.
func (s *callState) Value(key any) any {
	if key == (stateKey{}) {
		return s
	}
	return s.Context.Value(key)
}

func stateFrom(ctx context.Context) *callState {
	s, _ := ctx.Value(stateKey{}).(*callState)
	return s
}

func (s *callState) noteToken(tok string) {
	if s != nil && tok != s.token {
		s.prevToken, s.token = s.token, tok
	}
}

func (s *callState) ownsBodies() bool { return s != nil && s.typed }

// secrets returns the tokens sent so far, for sanitize.
func (s *callState) secrets() []string {
	if s == nil {
		return nil
	}
	return []string{s.token, s.prevToken}
}

// stateTransport gives requests that do not come from the typed methods (the
// HTTPClient's) a callState, so the retry policy sees them alike: their
// idempotency is the operation's whose template the path (below the base
// URL's path) matches, else the method's (retrySafetyOf). A failure of one
// that is not idempotent after it may have reached the server matches
// ErrOutcomeUnknown.
type stateTransport struct {
	next   http.RoundTripper
	server string // the client's, for retrySafetyOf
	prefix string // the base URL's path
}

func (t stateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if st == nil {
		// Its path, as the typed calls': escaped, below the base URL's.
		path := strings.TrimPrefix(req.URL.EscapedPath(), t.prefix)
		st = newCallState(req.Context(), req.Method, path, retrySafetyOf(t.server, req.Method, path))
		req = req.WithContext(st)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil && st.outcomeUnknown(err) {
		err = &outcomeUnknownError{err: err}
	}
	return resp, err
}

// tokenError marks an error of the TokenSource so that the retry policy never
// retries it; Unwrap hands the source's own error on unchanged.
type tokenError struct {
	err error
	// afterReject is set when the error came from the forced refresh that
	// followed a rejection of the token, answered with status and errno.
	afterReject   bool
	status, errno int
}

// temporary reports whether err says the failure may pass by itself (the
// token endpoint answered 5xx or could not be reached), by the Temporary
// method auth's errors have. The context errors' own Temporary does not
// count: a call that ended is not a server failure.
func temporary(err error) bool {
	for _, e := range chain(err) {
		if errors.Is(e, context.Canceled) || errors.Is(e, context.DeadlineExceeded) {
			continue
		}
		if t, ok := e.(interface{ Temporary() bool }); ok && t.Temporary() {
			return true
		}
	}
	return false
}

// chain lists err and everything it wraps, depth first.
func chain(err error) []error {
	var out []error
	var walk func(error)
	walk = func(e error) {
		for e != nil {
			out = append(out, e)
			switch u := e.(type) {
			case interface{ Unwrap() []error }:
				for _, x := range u.Unwrap() {
					walk(x)
				}
				return
			case interface{ Unwrap() error }:
				e = u.Unwrap()
			default:
				return
			}
		}
	}
	walk(err)
	return out
}

// describe fills e, the error of a call whose token could not be had. After
// a rejection it carries the rejection's status and errno (so it matches
// ErrUnauthorized) only when the refresh failed for good: a temporary
// failure of the token endpoint or the end of the caller's context is not a
// reason to log in again.
func (te *tokenError) describe(e *Error, secrets ...string) {
	e.Err = te.err
	e.Message = "token source: " + sanitize(te.err.Error(), 4*maxSnippet, secrets...)
	if !te.afterReject {
		return
	}
	switch {
	case temporary(te.err):
		e.Message = "access token rejected and a new one is temporarily unavailable: " + e.Message
	case errors.Is(te.err, context.Canceled) || errors.Is(te.err, context.DeadlineExceeded):
		e.Message = "access token rejected; the call ended while refreshing it: " + e.Message
	default:
		e.StatusCode, e.Errno = te.status, Errno(te.errno)
		e.Message = "access token rejected and the refresh failed: " + e.Message
	}
}

func (e *tokenError) Error() string { return "token source: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// authHeader caches the Authorization value of the last token seen, so that
// the common case allocates neither the string nor the slice.
type authHeader struct {
	token string
	value []string
}

// authTransport is the innermost layer: it asks the TokenSource for a token
// on every attempt, with the attempt's context when the source takes one,
// applies it per auth mode, and when the token is rejected (401, or errno
// 10002/10007 at any status) forces one refresh per distinct rejected token
// and repeats the request once.
type authTransport struct {
	next      http.RoundTripper
	src       oauth2.TokenSource
	refresher Refresher // nil when src cannot force a refresh
	anonymous bool      // src is NoToken: no credential is sent (notoken.go)
	queryAuth bool
	clientID  string
	userAgent []string
	accept    []string
	logger    *slog.Logger
	timeout   time.Duration // per attempt; 0 means none
	traced    bool          // next ends in an *http.Transport (callState.traced)
	budget    time.Duration // per call, from its callState's start
	header    http.Header   // extra headers (WithHeader), never written
	server    string        // the client type, for the debug log's path templates (logPath)
	prefix    string        // the base URL's path
	retrier   *retrier      // the loop above, whose gate the repeat after a forced refresh waits at
	cached    atomic.Pointer[authHeader]
}

// settings returns what bounds an attempt of the call st and the extra
// headers it sends: the call's own settings, or the client's.
func (t *authTransport) settings(st *callState) (timeout, budget time.Duration, header http.Header) {
	if st != nil && st.set != nil {
		if st.set.header != nil {
			header = *st.set.header
		}
		return st.set.attemptTimeout, st.set.retry.Budget, header
	}
	return t.timeout, t.budget, t.header
}

var errEmptyToken = errors.New("token source returned an empty access token")

// token gets a token, with ctx when the source takes one.
func (t *authTransport) token(ctx context.Context) (*oauth2.Token, error) {
	var tok *oauth2.Token
	var err error
	if cs, ok := t.src.(ContextTokenSource); ok {
		tok, err = cs.TokenContext(ctx)
	} else {
		tok, err = t.src.Token()
	}
	if err != nil {
		return nil, &tokenError{err: err}
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, &tokenError{err: errEmptyToken}
	}
	return tok, nil
}

// authorize returns a shallow copy of req with context ctx, carrying tok
// (nothing for a nil tok: a NoToken client), the Accept header of the call
// st (nil: none; none either for a call that takes any media type) and the
// extra headers (WithHeader) that req does not set; req is not modified.
func (t *authTransport) authorize(ctx context.Context, st *callState, req *http.Request, tok *oauth2.Token) *http.Request {
	r2 := req.WithContext(ctx)
	_, _, extra := t.settings(st)
	h := make(http.Header, len(req.Header)+len(extra)+3)
	for k, v := range req.Header {
		h[k] = v
	}
	for k, v := range extra {
		if _, ok := h[k]; !ok {
			h[k] = v
		}
	}
	if _, ok := h["User-Agent"]; !ok && t.userAgent != nil {
		h["User-Agent"] = t.userAgent
	}
	if _, ok := h["Accept"]; !ok && (st == nil || !st.anyType) {
		h["Accept"] = t.accept
	}
	switch {
	case tok == nil:
	case t.queryAuth:
		u := new(url.URL)
		*u = *req.URL
		q := "access_token=" + url.QueryEscape(tok.AccessToken)
		if t.clientID != "" {
			q += "&client_id=" + url.QueryEscape(t.clientID)
		}
		if u.RawQuery != "" {
			q = u.RawQuery + "&" + q
		}
		u.RawQuery = q
		r2.URL = u
	default:
		h["Authorization"] = t.headerValue(tok)
	}
	r2.Header = h
	return r2
}

func (t *authTransport) headerValue(tok *oauth2.Token) []string {
	if c := t.cached.Load(); c != nil && c.token == tok.AccessToken {
		return c.value
	}
	c := &authHeader{token: tok.AccessToken, value: []string{tok.Type() + " " + tok.AccessToken}}
	t.cached.Store(c)
	return c.value
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	st := stateFrom(ctx)
	// An attempt ends at the per-attempt timeout or when the call's retry
	// budget is spent, whichever comes first, so the budget bounds the call.
	// The budget's end is exact; the attempt timeout is cheaper rounded
	// up a little (attemptContext).
	d, budget, _ := t.settings(st)
	if d > 0 || budget > 0 {
		now := time.Now()
		exact := false
		if st != nil && budget > 0 {
			if left := max(budget-(now.Sub(st.start)-st.queued), time.Millisecond); d == 0 || left < d {
				d, exact = left, true
			}
		}
		if d > 0 {
			// The body is read inside the attempt (bufferTransport), so the
			// attempt's context can end as soon as RoundTrip returns.
			var cancel context.CancelFunc
			if ctx, cancel = attemptContext(ctx, st, now, now.Add(d), exact); cancel != nil {
				defer cancel()
			}
		}
	}
	if st != nil && st.safety == notIdempotent {
		st.traced = t.traced
		ctx = httptrace.WithClientTrace(ctx, st.trace())
	}
	resp, err := t.roundTrip(ctx, st, req)
	if err != nil && ctx.Err() != nil && req.Context().Err() == nil {
		err = &attemptTimeoutError{d: d, err: err}
	}
	return resp, err
}

// attemptTimeoutError reports an attempt cut off by the per-attempt timeout;
// it is retried like any transport failure.
type attemptTimeoutError struct {
	d   time.Duration
	err error
}

func (e *attemptTimeoutError) Error() string {
	return "attempt timed out after " + e.d.String() + ": " + e.err.Error()
}
func (e *attemptTimeoutError) Unwrap() error { return e.err }

// maxForcedRefreshes bounds the forced refreshes of one call, so that a
// server rejecting every token cannot make it spend refresh tokens forever.
const maxForcedRefreshes = 3

func (t *authTransport) roundTrip(ctx context.Context, st *callState, req *http.Request) (*http.Response, error) {
	if t.anonymous {
		return t.exchange(ctx, st, req, t.authorize(ctx, st, req, nil))
	}
	tok, err := t.token(ctx)
	if err != nil {
		return nil, err
	}
	st.noteToken(tok.AccessToken)
	resp, err := t.exchange(ctx, st, req, t.authorize(ctx, st, req, tok))
	// A token fresh from a refresh can be rejected too (the server revoked
	// it at once, or the refresh this call joined had started before the
	// server expired its tokens): each distinct rejected token gets one
	// forced refresh, up to maxForcedRefreshes per call.
	for refreshes := 0; ; refreshes++ {
		if err != nil || t.refresher == nil {
			return resp, err
		}
		errno, rejected := tokenRejected(resp)
		if !rejected || refreshes == maxForcedRefreshes {
			return resp, nil
		}
		if st != nil {
			if slices.Contains(st.rejected, tok.AccessToken) || len(st.rejected) == maxForcedRefreshes {
				return resp, nil // this token was refreshed once already
			}
			st.rejected = append(st.rejected, tok.AccessToken)
		}
		if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			return resp, nil // the body cannot be sent again
		}
		fresh, ferr := t.refresher.ForceRefresh(ctx, tok)
		if ferr != nil {
			status := resp.StatusCode
			resp.Body.Close()
			return nil, &tokenError{err: ferr, afterReject: true, status: status, errno: errno}
		}
		if fresh == nil || fresh.AccessToken == "" || fresh.AccessToken == tok.AccessToken {
			return resp, nil // nothing new to try
		}
		if r := t.retrier; r != nil && !r.gate.idle() {
			// The repeat is an attempt too: it waits for its turn.
			if err := r.turn(ctx, st, false); err != nil {
				resp.Body.Close()
				return nil, err
			}
		}
		resp.Body.Close()
		if st != nil {
			// The service authenticates before it acts: the rejected
			// request did nothing.
			st.connected.Store(false)
		}
		if t.logger != nil && st != nil {
			t.logger.LogAttrs(ctx, slog.LevelDebug, "jaccount api: token rejected, repeating the request with a refreshed token",
				slog.String("method", st.method), slog.String("path", logPath(t.server, st.method, st.path)))
		}
		again := req
		if req.GetBody != nil {
			body, berr := req.GetBody()
			if berr != nil {
				return nil, berr
			}
			again = req.Clone(ctx)
			again.Body = body
		}
		tok = fresh
		st.noteToken(tok.AccessToken)
		resp, err = t.exchange(ctx, st, again, t.authorize(ctx, st, again, tok))
	}
}

// Errnos with which the API rejects the token itself (jaccount-api.md §0):
// authentication failed, and access token expired. They come with HTTP 403,
// or with 200 (evidence E11), or any other status.
const (
	errnoAuthFailed   = 10002
	errnoTokenExpired = 10007
)

// tokenRejected reports whether resp rejects the access token: a 401, or a
// reply of any status whose envelope carries errno 10002 or 10007, which is
// how the live API answers a bad or expired token (HTTP 403 for a missing
// one, 200 for an invalid one). (errno 10010, a missing scope, is not: a new
// token would not have it either.) The body is already buffered; its errno
// is found by a scan (envelopeErrno), not a decode, since this runs on every
// reply of a client that can refresh.
func tokenRejected(resp *http.Response) (errno int, rejected bool) {
	if resp.StatusCode == http.StatusUnauthorized {
		return 0, true
	}
	b, ok := resp.Body.(*body)
	if !ok {
		return 0, false
	}
	if n, ok := envelopeErrno(b.buf.Bytes()); ok && isAuthErrno(n) {
		return n, true
	}
	return 0, false
}

func isAuthErrno(errno int) bool { return errno == errnoAuthFailed || errno == errnoTokenExpired }

// bufferTransport reads each response body whole, up to the size cap, inside
// the attempt: a truncated or stalled body then fails the attempt (and is
// retried) instead of failing the caller's read, and the per-attempt timeout
// covers the body too.
type bufferTransport struct {
	next  http.RoundTripper
	limit int64
}

// tooLargeError reports a body over the size cap; it is never retried.
type tooLargeError struct {
	status int
	limit  int64
	head   []byte
}

func (e *tooLargeError) Error() string { return "response body exceeds the size cap" }

func (t bufferTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	st := stateFrom(req.Context())
	limit := t.limit
	if st != nil && st.set != nil {
		limit = st.set.maxBody
	}
	b := newBody(st.ownsBodies())
	if cl := resp.ContentLength; cl > 0 && cl <= limit && b.buf.Cap() < int(cl)+bytes.MinRead {
		// A buffer of the announced size, and room for the read that
		// finds the end: one allocation, where the buffer would grow
		// step by step. (A blob takes this buffer: see callRaw.)
		b.buf = *bytes.NewBuffer(make([]byte, 0, int(cl)+bytes.MinRead))
	}
	b.lr = io.LimitedReader{R: resp.Body, N: limit + 1}
	_, err = b.buf.ReadFrom(&b.lr)
	b.lr.R = nil
	resp.Body.Close()
	if err != nil {
		b.release()
		return nil, err
	}
	if int64(b.buf.Len()) > limit {
		head := bytes.Clone(b.buf.Bytes()[:min(b.buf.Len(), 4*maxSnippet)])
		b.release()
		return nil, &tooLargeError{status: resp.StatusCode, limit: limit, head: head}
	}
	resp.Body = b
	resp.ContentLength = int64(b.buf.Len())
	return resp, nil
}

// body is a fully read response body. Bodies of the typed methods come from
// a pool: the client closes each of them exactly once, and Close returns the
// buffer. Bodies handed to Raw's callers are never pooled, since such a
// caller may close twice and the second Close must not free a buffer that
// another call is using by then.
type body struct {
	buf    bytes.Buffer
	lr     io.LimitedReader // kept here to save an allocation per read
	pooled bool
}

// maxPooled keeps rare huge bodies from pinning memory in the pool.
const maxPooled = 1 << 20

var bodyPool = sync.Pool{New: func() any { return &body{pooled: true} }}

func newBody(pooled bool) *body {
	if pooled {
		return bodyPool.Get().(*body)
	}
	return new(body)
}

func (b *body) Read(p []byte) (int, error) { return b.buf.Read(p) }

// Close releases the buffer; its bytes must not be used afterwards.
func (b *body) Close() error {
	b.release()
	return nil
}

func (b *body) release() {
	if b.pooled && b.buf.Cap() <= maxPooled {
		b.buf.Reset()
		bodyPool.Put(b)
	}
}
