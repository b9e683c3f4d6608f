package api

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// retrier holds the hooks this package gives go-retryablehttp. Its defaults
// do not fit: they retry every method, ignore the token source's failures as
// a reason to stop, honour Retry-After without a cap, add no jitter, log full
// URLs to stderr and throw the last response away.
//
// The policy is the client's; a call with its own (WithRetryPolicy as a
// CallOption) has it in its callState. So checkRetry, which sees the call,
// decides everything and waits the backoff itself: retryablehttp's own
// limits are set out of the way (RetryMax) or to nothing (Backoff), since
// its Backoff hook cannot see the call (it gets no request when an
// attempt failed without a reply).
type retrier struct {
	policy RetryPolicy
	logger *slog.Logger
}

// maxRetries is retryablehttp's RetryMax, above any policy's: checkRetry
// stops the retries.
const maxRetries = math.MaxInt32

func (r *retrier) client(hc *http.Client) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:     hc,
		Logger:         nil, // retries are logged through slog in checkRetry
		RetryMax:       maxRetries,
		RequestLogHook: r.countAttempt,
		CheckRetry:     r.checkRetry,
		Backoff:        noBackoff,
		ErrorHandler:   lastResponse,
	}
}

// policyOf returns the retry policy of the call st: its own, or the
// client's.
func (r *retrier) policyOf(st *callState) *RetryPolicy {
	if st != nil && st.set != nil {
		return &st.set.retry
	}
	return &r.policy
}

// countAttempt records the attempt number in the call's state.
func (r *retrier) countAttempt(_ retryablehttp.Logger, req *http.Request, attempt int) {
	if st := stateFrom(req.Context()); st != nil {
		st.attempts = attempt + 1
	}
}

// lastResponse hands the last response (or error) to the caller once retries
// stop, instead of retryablehttp's bare "giving up after N attempts". A
// response that comes with an error is closed: http.Client would drop it.
func lastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil && resp != nil {
		resp.Body.Close()
		resp = nil
	}
	return resp, err
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
	retry, _ := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
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
	if st != nil && time.Since(st.start)+wait > policy.Budget {
		r.log(ctx, st, "jaccount api: retry budget spent, giving up", resp, err)
		return false, err
	}
	r.log(ctx, st, "jaccount api: retrying request", resp, err)
	t := time.NewTimer(policy.wait(attempt-1, resp, true))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-t.C:
	}
	return true, nil
}

func (r *retrier) log(ctx context.Context, st *callState, msg string, resp *http.Response, err error) {
	if r.logger == nil || st == nil || !r.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", st.method),
		slog.String("path", st.path),
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

// noBackoff is retryablehttp's Backoff hook: checkRetry has waited.
func noBackoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return 0 }

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
