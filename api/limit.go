package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/oauth-jaccount/jaccount-go/internal/optcheck"
)

// One request budget for a client.
//
// Before each attempt (a retry, and the repeat after a forced refresh,
// included) a call waits at its client's gate: first for the end of a
// pause the server asked for (a 429 or 503 with Retry-After, seen by any
// call of the client, or reported by a shared Limiter), then for its turn
// under the client's own rate (WithRateLimit) and under a shared Limiter
// (WithLimiter). A gate belongs to the client NewClient (or
// NewDataClient) made, and is shared by the copies WithTokenSource makes
// from it. A client without a rate or a Limiter, and not paused, pays one
// atomic load and two nil tests per attempt.

// A Limiter paces the attempts of the clients given it with WithLimiter,
// typically of every process of a job (auth/redisstore's Limiter shares
// one budget through Redis). Its methods are called concurrently.
type Limiter interface {
	// Wait returns nil when the client may send one attempt, once its
	// turn has come. It returns at once, taking no turn:
	//   - a *WaitError with Paused set when the limiter's clients are
	//     paused (by Pause, here or in another process that shares the
	//     limiter): the client then waits the pause out as it waits out a
	//     pause of its own, or refuses the call, and calls Wait again;
	//   - a *WaitError, matching ErrThrottled, when the turn would come
	//     after ctx's deadline.
	// It returns ctx's error when ctx ends while it waits. Any other error
	// (the limiter cannot reach its store) fails the call, unsent.
	Wait(ctx context.Context) error
	// Pause holds off every Wait until until: a reply of status (429, or
	// 503) asked for it with Retry-After. A pause that ends before one in
	// force changes nothing. The client calls it with the context of the
	// call that saw the reply, without its cancellation; an error is
	// logged at debug level and otherwise ignored (the client pauses
	// itself anyway).
	Pause(ctx context.Context, until time.Time, status int) error
}

// WaitError is why a call, or one of its retries, was not sent: it could
// not wait for its turn. It matches ErrPaused when the server asked the
// client to pause, else ErrThrottled; and, for a pause a 429 asked for,
// ErrRateLimited as well. A call refused before its first attempt fails
// with an *Error (no status, Attempts 0, never OutcomeUnknown) wrapping
// it; a retry refused so gives up with the last answer instead.
type WaitError struct {
	// Until is when the client could have sent: the end of the pause, or
	// the call's turn under the rate.
	Until time.Time
	// Paused says that the server asked for the wait: a reply with status
	// Status carried Retry-After. Otherwise the wait was the client's rate
	// limit (WithRateLimit, or a Limiter's rate).
	Paused bool
	// Status is the status of the reply that asked for the pause (429 or
	// 503); 0 for a rate limit, or when a Limiter did not keep it.
	Status int
	// why says what the wait would have passed: the call's deadline, its
	// retry budget or its RetryPolicy.MaxWait ("" when a Limiter made the
	// error).
	why string
}

// Error says what the client waits for, until when, and why the call did
// not wait.
func (e *WaitError) Error() string {
	var b strings.Builder
	if e.Paused {
		b.WriteString("jaccount api: the client is paused until ")
		b.WriteString(e.Until.Format(waitTimeLayout))
		if e.Status != 0 {
			fmt.Fprintf(&b, " (the server answered %d with Retry-After)", e.Status)
		}
	} else {
		b.WriteString("jaccount api: the call's turn under the client's rate limit comes at ")
		b.WriteString(e.Until.Format(waitTimeLayout))
	}
	if e.why != "" {
		b.WriteString(", ")
		b.WriteString(e.why)
	}
	return b.String()
}

const waitTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Is matches ErrPaused or ErrThrottled, and ErrRateLimited for a pause of
// a 429.
func (e *WaitError) Is(target error) bool {
	switch target {
	case ErrPaused:
		return e.Paused
	case ErrThrottled:
		return !e.Paused
	case ErrRateLimited:
		return e.Paused && e.Status == http.StatusTooManyRequests
	}
	return false
}

var (
	// ErrPaused matches the error of a call the client did not send
	// because it is paused: a reply of 429 or 503 with Retry-After, to any
	// call of the client (or, through a shared Limiter, of another
	// process), asked it to hold off until a time after the call's
	// deadline, or further off than the call's RetryPolicy.MaxWait, as a
	// Retry-After of the call's own would be. A *WaitError says until
	// when, and Error.RetryAfter how long that is.
	ErrPaused = errors.New("jaccount api: client paused by the server")
	// ErrThrottled matches the error of a call the client did not send
	// because its turn under the client's rate limit (WithRateLimit,
	// WithLimiter) would come after its deadline. A *WaitError says when
	// it would have come.
	ErrThrottled = errors.New("jaccount api: the call's turn under the rate limit comes after its deadline")
)

// WithRateLimit makes the client send at most perSecond attempts a second,
// with bursts of up to burst after a quiet spell (zero means 1: attempts
// evenly spaced). Every call of the client, and of the clients
// WithTokenSource makes from it, waits for its turn before each attempt,
// its retries and the repeat after a forced token refresh included, in
// the order the calls came. A call whose turn would come after its
// deadline (its context's, or WithTimeout's) fails at once, unsent, with
// an error matching ErrThrottled; the wait before the first attempt is
// not counted in RetryPolicy.Budget, which bounds the retries. A
// NewDataClient given the same option has a budget of its own: the data
// resources are another server. Zero perSecond, the default, sets no
// limit (and burst is then ignored); a negative perSecond, one that is
// not a finite number, or a negative burst is invalid. See WithLimiter for
// a budget shared by several clients or processes; with both, a call
// waits for its turn under each.
func WithRateLimit(perSecond float64, burst int) Option {
	return optionFunc(func(s *settings) error {
		if perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
			return fmt.Errorf("%w: WithRateLimit(%v, %d): the rate must be a finite number, zero or more", ErrInvalidOption, perSecond, burst)
		}
		b := 1
		if err := optcheck.Set(ErrInvalidOption, "WithRateLimit burst", burst, &b); err != nil {
			return err
		}
		s.rateLimit, s.rateBurst = perSecond, b
		return nil
	})
}

// WithLimiter makes every attempt of the client (and of the clients
// WithTokenSource makes from it) wait for its turn under l, which other
// clients and processes may share: auth/redisstore's NewLimiter keeps one
// budget for every process of a job. The client reports to l the pauses
// the server asks for (Limiter.Pause), and heeds the pauses l reports. Nil,
// the default, means no shared limiter.
func WithLimiter(l Limiter) Option {
	return optionFunc(func(s *settings) error { s.limiter = l; return nil })
}

// gate is what the calls of a client wait for before each attempt.
type gate struct {
	pause  atomic.Pointer[pauseState] // nil: not paused (or the pause ended and a call saw it)
	rate   *rate.Limiter              // WithRateLimit; nil: none
	shared Limiter                    // WithLimiter; nil: none
}

// pauseState is a pause the server asked for.
type pauseState struct {
	until  time.Time
	status int
}

func newGate(s *settings) *gate {
	g := &gate{shared: s.limiter}
	if s.rateLimit > 0 {
		g.rate = rate.NewLimiter(rate.Limit(s.rateLimit), s.rateBurst)
	}
	return g
}

// idle reports whether an attempt can go without looking further: no
// pause, no rate, no shared limiter.
func (g *gate) idle() bool { return g.pause.Load() == nil && g.rate == nil && g.shared == nil }

// setPause pauses the client until until, unless it is paused longer
// already; it reports whether the pause is new.
func (g *gate) setPause(until time.Time, status int) bool {
	p := &pauseState{until: until, status: status}
	for {
		cur := g.pause.Load()
		if cur != nil && !cur.until.Before(until) {
			return false
		}
		if g.pause.CompareAndSwap(cur, p) {
			return true
		}
	}
}

// notePause pauses the client when resp, a reply to the call st, carries
// Retry-After on a 429 or 503, and tells the shared limiter.
func (r *retrier) notePause(st *callState, resp *http.Response) {
	d, ok := retryAfter(resp)
	if !ok || d <= 0 {
		return
	}
	until := time.Now().Add(d)
	if r.gate.setPause(until, resp.StatusCode) {
		r.logGate(st, "jaccount api: the server asked the client to pause", slog.Int("status", resp.StatusCode),
			slog.Duration("retry_after", d))
	}
	if r.gate.shared != nil {
		if err := r.gate.shared.Pause(context.WithoutCancel(st), until, resp.StatusCode); err != nil {
			r.logGate(st, "jaccount api: the shared limiter did not take the pause", slog.String("error", sanitize(err.Error(), 4*maxSnippet)))
		}
	}
}

// turn waits until the call st may send its next attempt: the end of the
// client's pause, then its turn under the client's rate and the shared
// limiter. first says that the call sent nothing yet: its wait is then
// bounded by ctx's deadline only, a retry's by the retry budget too. A
// pause is waited out only when it ends within the call's
// RetryPolicy.MaxWait. A wait that cannot end in time is not begun: turn
// returns a *WaitError at once.
func (r *retrier) turn(ctx context.Context, st *callState, first bool) error {
	g := r.gate
	policy := r.policyOf(st)
	bound, bounded := ctx.Deadline()
	why := "after the call's deadline"
	if !first && st != nil {
		if end := st.start.Add(st.queued + policy.Budget); !bounded || end.Before(bound) {
			bound, bounded, why = end, true, "after the call's retry budget"
		}
	}
	for {
		waited := false
		if p := g.pause.Load(); p != nil {
			wait := time.Until(p.until)
			if wait <= 0 {
				g.pause.CompareAndSwap(p, nil)
			} else {
				we := &WaitError{Until: p.until, Paused: true, Status: p.status}
				switch {
				case wait > policy.MaxWait:
					we.why = fmt.Sprintf("longer than the call's RetryPolicy.MaxWait (%v)", policy.MaxWait)
				case bounded && p.until.After(bound):
					we.why = why
				}
				if we.why != "" {
					r.logGate(st, "jaccount api: the client is paused, not sending", slog.Time("until", p.until))
					return we
				}
				r.logGate(st, "jaccount api: the client is paused, waiting", slog.Time("until", p.until))
				if err := sleep(ctx, wait); err != nil {
					return err
				}
				continue
			}
		}
		if g.rate != nil {
			now := time.Now()
			res := g.rate.ReserveN(now, 1)
			d := res.DelayFrom(now)
			if bounded && now.Add(d).After(bound) {
				res.CancelAt(now)
				return &WaitError{Until: now.Add(d), why: why}
			}
			if d > 0 {
				if err := sleep(ctx, d); err != nil {
					res.Cancel()
					return err
				}
				waited = true
			}
		}
		if g.shared != nil {
			err := waitShared(ctx, g.shared, bound, bounded)
			var we *WaitError
			switch {
			case errors.As(err, &we) && we.Paused:
				// Another client of the limiter saw a pause: the client
				// takes it as its own, so that the loop waits it out (or
				// refuses the call) and asks again. A pause reported as
				// already over is retried a millisecond later, so the
				// loop cannot spin.
				g.setPause(later(we.Until, time.Now().Add(time.Millisecond)), we.Status)
				continue
			case errors.As(err, &we) && we.why == "":
				c := *we
				c.why = why
				return &c
			case err != nil:
				return err
			}
			waited = true
		}
		// A pause that began while the call waited for its turn holds it
		// too (the turn is spent).
		if p := g.pause.Load(); waited && p != nil && time.Until(p.until) > 0 {
			continue
		}
		return nil
	}
}

// waitShared waits for l with ctx, bounded by bound too when bounded.
func waitShared(ctx context.Context, l Limiter, bound time.Time, bounded bool) error {
	if dl, ok := ctx.Deadline(); bounded && (!ok || bound.Before(dl)) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, bound)
		defer cancel()
	}
	return l.Wait(ctx)
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// sleep waits d, or until ctx ends (then its error).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// logGate writes a debug record about the gate for the call st.
func (r *retrier) logGate(st *callState, msg string, attrs ...slog.Attr) {
	if r.logger == nil || st == nil || !r.logger.Enabled(st, slog.LevelDebug) {
		return
	}
	attrs = append([]slog.Attr{slog.String("method", st.method), slog.String("path", logPath(r.server, st.method, st.path))}, attrs...)
	r.logger.LogAttrs(st, slog.LevelDebug, msg, attrs...)
}
