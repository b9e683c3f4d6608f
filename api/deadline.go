package api

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Bounding an attempt cheaply.
//
// Every attempt is bounded (WithAttemptTimeout, the retry budget). A
// context.WithTimeout per attempt does it, but costs about a microsecond
// of a call that takes twenty on loopback: a timer, a context, and the
// channel and child map that net/http's per-request context then needs
// under it. attemptContext avoids it in the two common cases:
//
//   - the caller's context (or the call's WithTimeout) ends before the
//     attempt would: it bounds the attempt already, and is used as it is;
//   - the caller's context can never end (context.Background, a batch
//     job's): the first attempt shares a context that ends when it should,
//     rounded up to a grain of 1/64 of the timeout, with every attempt
//     that wants the same end. Such a context is made once per grain and
//     per shard (sharedDeadline), and net/http registers its request
//     under it with no allocation (see attemptCtx).
//
// Otherwise (a cancellable context without a deadline, such as an HTTP
// server's request context, or a retry cut by the budget, whose end is
// exact) the attempt gets a context.WithDeadline of its own.
//
// The price of sharing: an attempt is cut off up to 1/64 of its timeout
// late (at most 312 ms of the default 20 s; a grain is at least 1 ms). The caller's context,
// WithTimeout and the retry budget stay exact.

// attemptContext returns the context of an attempt of the call st (nil
// for none) whose request context is ctx, started at now and to end by
// end, and the function that releases it (nil when there is nothing to
// release). exact says that end must not be rounded (the budget's end).
func attemptContext(ctx context.Context, st *callState, now, end time.Time, exact bool) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && !dl.After(end) {
		return ctx, nil // the caller's (or the call's) deadline comes first
	}
	if !exact && st != nil && st.attempts <= 1 && st.shared == nil && ctx.Done() == nil {
		st.shared = sharedDeadline(now, end)
		return (*attemptCtx)(st), nil
	}
	return context.WithDeadline(ctx, end)
}

// attemptCtx is a call's state seen as the context of its first attempt
// when the caller's context never ends (ctx.Done() is nil): it ends with
// st.shared, a context of its own end shared with other attempts, and
// holds the call's values (the callState's, then the caller's).
//
// Its Value gives context's private key of a cancelable context to the
// shared context first: the shared context is made from
// context.Background, so it holds no value but that one. So context (and
// net/http's per-request context under this one) see attemptCtx as a
// child of the shared context and register their children there: with
// no goroutine and no allocation, as under a context of the package
// context itself. AfterFunc is there for the case where they would not:
// an allocation then, still no goroutine.
type attemptCtx callState

// Deadline implements context.Context.
func (a *attemptCtx) Deadline() (time.Time, bool) { return a.shared.Deadline() }

// Done implements context.Context.
func (a *attemptCtx) Done() <-chan struct{} { return a.shared.Done() }

// Err implements context.Context.
func (a *attemptCtx) Err() error { return a.shared.Err() }

// Value implements context.Context.
func (a *attemptCtx) Value(key any) any {
	if v := a.shared.Value(key); v != nil {
		return v
	}
	return (*callState)(a).Value(key)
}

// AfterFunc runs f when the attempt's context ends, as context.AfterFunc.
func (a *attemptCtx) AfterFunc(f func()) func() bool { return context.AfterFunc(a.shared, f) }

// sharedEnd is one shared context: it ends at end, whose wall clock is
// key.
type sharedEnd struct {
	key    int64
	ctx    context.Context
	cancel context.CancelFunc // held, never called: the timer ends ctx, and attempts of other calls use it
}

// sharedShards spreads the attempts that want the same end over that many
// contexts, so that concurrent calls do not all lock one; sharedEnds holds
// the contexts of the latest ends, by end and shard.
const sharedShards = 4

var sharedEnds [16 * sharedShards]atomic.Pointer[sharedEnd]

// sharedDeadline returns a context that ends at end rounded up to a grain
// of (end-now)/64 (at least a millisecond), made from context.Background
// and shared by every attempt that wants that end.
func sharedDeadline(now, end time.Time) context.Context {
	grain := max(end.Sub(now)>>6, time.Millisecond)
	wall := end.UnixNano()
	up := grain - time.Duration(wall%int64(grain)) // (0, grain]
	key := wall + int64(up)
	slot := &sharedEnds[(uint64(key/int64(grain))*sharedShards+uint64(rand.N(sharedShards)))%uint64(len(sharedEnds))]
	if s := slot.Load(); s != nil && s.key == key {
		return s.ctx
	}
	// end keeps its monotonic clock reading: the context ends up-rounded
	// end, whatever the wall clock does meanwhile.
	ctx, cancel := context.WithDeadline(context.Background(), end.Add(up))
	slot.Store(&sharedEnd{key: key, ctx: ctx, cancel: cancel})
	return ctx
}
