package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// retrier runs the attempts of a call: it sends each through next (the
// authenticating, buffering transport), and asks checkRetry whether to go
// on. It is this package's own loop: go-retryablehttp's Client.Do would
// send each attempt through a net/http Client, whose redirect and header
// bookkeeping costs a small call several allocations and a few percent of
// its time, and its Backoff hook cannot see the call (it gets no request
// when an attempt failed without a reply), while a call may have its own
// policy (WithRetryPolicy as a CallOption). go-retryablehttp's
// DefaultRetryPolicy still says which failures are worth a retry.
type retrier struct {
	next   http.RoundTripper
	policy RetryPolicy
	logger *slog.Logger
	server string // the client type, for the log's path templates (logPath)
	gate   *gate  // the client's pause and rate limits (limit.go)
}

// policyOf returns the retry policy of the call st: its own, or the
// client's.
func (r *retrier) policyOf(st *callState) *RetryPolicy {
	if st != nil && st.set != nil {
		return &st.set.retry
	}
	return &r.policy
}

// do sends req, the request of the call st, until checkRetry stops, and
// returns the last answer: the reply (whatever its status), or the error
// of an attempt without one. st.body, when not nil, opens the request
// body of each attempt. A reply that comes with an error is closed.
func (r *retrier) do(st *callState, req *http.Request) (*http.Response, error) {
	if !r.gate.idle() {
		// The first attempt's turn; a retry's is taken in checkRetry,
		// which can then give the last answer back instead.
		start := time.Now()
		if err := r.turn(req.Context(), st, true); err != nil {
			return nil, err
		}
		st.queued = time.Since(start)
	}
	for attempt := 1; ; attempt++ {
		st.attempts = attempt
		if attempt > 1 {
			// A request of its own: net/http may still hold the previous
			// attempt's (its body is closed by the transport's writer).
			r2 := *req
			req = &r2
		}
		if st.body != nil {
			body, err := st.body()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
		resp, err := r.next.RoundTrip(req)
		if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
			r.notePause(st, resp)
		}
		retry, cerr := r.checkRetry(req.Context(), resp, err)
		if retry {
			if resp != nil {
				resp.Body.Close() // buffered: nothing to drain
			}
			continue
		}
		if cerr == nil {
			cerr = err
		}
		if cerr != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, cerr
		}
		return resp, nil
	}
}

// retryTransport runs the requests of a client's HTTPClient through the
// retrier, as the typed calls are: their callState comes from
// stateTransport. A body is sent again from GetBody, or else read whole
// first, so that a retry (or the repeat after a forced refresh) can send it
// again.
type retryTransport struct{ r *retrier }

func (t retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if st == nil { // cannot happen: stateTransport gives every request one
		return nil, errors.New("jaccount api: a request without a call state")
	}
	r2 := *req // the caller's request is not modified
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			data, err := io.ReadAll(req.Body)
			req.Body.Close()
			if err != nil {
				return nil, err
			}
			r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
			r2.ContentLength = int64(len(data))
			r2.Body, _ = r2.GetBody()
		}
		first := true
		st.body = func() (io.ReadCloser, error) {
			if first {
				first = false
				return r2.Body, nil
			}
			return r2.GetBody()
		}
	}
	return t.r.do(st, &r2)
}

// checkRetry decides whether an attempt is repeated and, when it is, waits
// the backoff before returning. Returning false with the attempt's error
// (nil for a reply) hands the last answer over to the caller.
func (r *retrier) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err() // cancelled or past the caller's deadline: stop at once
	}
	st := stateFrom(ctx)
	if !st.canResend() {
		// A streamed body was read from and cannot be rewound: the caller
		// gets this attempt's answer.
		return false, err
	}
	if err != nil {
		var te *tokenError
		var tl *tooLargeError
		if errors.As(err, &te) || errors.As(err, &tl) {
			return false, err
		}
		// A request that is not idempotent is repeated only when it
		// provably never reached the server.
		if st.outcomeUnknown(err) {
			return false, err
		}
	}
	if st != nil && st.safety == notIdempotent && resp != nil {
		return false, nil
	}
	classify := err
	if err != nil {
		// DefaultRetryPolicy looks at a net/http client's errors: the
		// transport's own, wrapped as the client would wrap them.
		classify = &url.Error{Op: "attempt", Err: err}
	}
	retry, _ := retryablehttp.DefaultRetryPolicy(ctx, resp, classify)
	if !retry {
		return false, err
	}
	attempt := 1
	if st != nil {
		attempt = st.attempts
	}
	policy := r.policyOf(st)
	if attempt >= policy.MaxAttempts {
		return false, err // the last answer goes to the caller
	}
	// Give the server's answer back at once, rather than a bare deadline
	// error later, when the wait cannot fit: a Retry-After above MaxWait, or
	// a wait that would end after the caller's deadline or the budget.
	wait := policy.wait(attempt-1, resp, false)
	if d, ok := retryAfter(resp); ok && d > policy.MaxWait {
		r.log(ctx, st, "jaccount api: Retry-After exceeds MaxWait, giving up", resp, err)
		return false, err
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		r.log(ctx, st, "jaccount api: the wait would pass the deadline, giving up", resp, err)
		return false, err
	}
	if st != nil && time.Since(st.start)-st.queued+wait > policy.Budget {
		r.log(ctx, st, "jaccount api: retry budget spent, giving up", resp, err)
		return false, err
	}
	r.log(ctx, st, "jaccount api: retrying request", resp, err)
	if err := sleep(ctx, policy.wait(attempt-1, resp, true)); err != nil {
		return false, err
	}
	if !r.gate.idle() {
		// The retry's turn: when it cannot come in time, the last answer
		// goes to the caller, as when the backoff cannot.
		if terr := r.turn(ctx, st, false); terr != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			r.log(ctx, st, "jaccount api: no turn for the retry in time, giving up", resp, terr)
			return false, err
		}
	}
	return true, nil
}

func (r *retrier) log(ctx context.Context, st *callState, msg string, resp *http.Response, err error) {
	if r.logger == nil || st == nil || !r.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", st.method),
		slog.String("path", logPath(r.server, st.method, st.path)),
		slog.Int("attempt", st.attempts),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", sanitize(causeText(err), 4*maxSnippet, st.secrets()...)))
	}
	r.logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

// causeText is err's text without the URL that *url.Error prefixes.
func causeText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// neverSent reports whether err shows that the request cannot have reached
// the server: the connection was never made.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// wait is the pause before retry number attempt+1: the server's Retry-After
// on a 429 or 503, else min·2^attempt; both capped at MaxWait (checkRetry
// gives up on a longer Retry-After). With jitter the exponential wait is
// drawn from [d/2, d]; without, it is the upper bound.
func (p *RetryPolicy) wait(attempt int, resp *http.Response, jitter bool) time.Duration {
	if d, ok := retryAfter(resp); ok {
		return min(d, p.MaxWait)
	}
	d := p.MaxWait
	if attempt < 32 {
		d = min(p.MinWait<<attempt, p.MaxWait)
	}
	if jitter && d > 1 {
		d = d/2 + rand.N(d/2+1)
	}
	return d
}

// retryAfter parses Retry-After (delay-seconds or HTTP-date) of a 429 or 503.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > int64(time.Hour/time.Second) {
			s = int64(time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}
