package api

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestAttemptContext: an attempt uses the caller's context when its
// deadline comes first, a shared context when the caller's never ends
// (first attempt only), and a context of its own otherwise.
func TestAttemptContext(t *testing.T) {
	t.Parallel()
	now := time.Now()
	end := now.Add(20 * time.Second)

	soon, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if ctx, release := attemptContext(soon, nil, now, end, false); ctx != soon || release != nil {
		t.Errorf("a sooner deadline: got %v, %v; want the caller's context and nothing to release", ctx, release != nil)
	}

	st := newCallState(context.Background(), http.MethodGet, "/v1/me/profile", idempotent)
	st.attempts = 1
	ctx, release := attemptContext(st, st, now, end, false)
	if a, ok := ctx.(*attemptCtx); !ok || (*callState)(a) != st || release != nil {
		t.Fatalf("a context that never ends: got %T, want the call's attemptCtx", ctx)
	}
	if dl, ok := ctx.Deadline(); !ok || dl.Before(end) || dl.After(end.Add(20*time.Second/64)) {
		t.Errorf("deadline %v, want within 1/64 of the timeout after %v", dl, end)
	}
	// A retry, a budget's end (exact) and a cancellable caller's context
	// without a deadline get contexts of their own, ending exactly at end.
	cc, cancelCaller := context.WithCancel(context.Background())
	defer cancelCaller()
	for name, tc := range map[string]struct {
		caller   context.Context
		attempts int
		exact    bool
	}{
		"second attempt":       {context.Background(), 2, false},
		"the budget's end":     {context.Background(), 1, true},
		"a cancellable caller": {cc, 1, false},
	} {
		st := newCallState(tc.caller, http.MethodGet, "/", idempotent)
		st.attempts = tc.attempts
		if tc.attempts > 1 {
			st.shared = sharedDeadline(now, end) // the first attempt's
		}
		ctx, release := attemptContext(st, st, now, end, tc.exact)
		dl, _ := ctx.Deadline()
		if _, shared := ctx.(*attemptCtx); shared || release == nil || !dl.Equal(end) {
			t.Errorf("%s: %T ending %v, want a context of its own ending %v", name, ctx, dl, end)
			continue
		}
		release()
	}
}

// TestSharedDeadline: a shared context ends when asked, rounded up by at
// most 1/64 of the timeout (1 ms at least), and is shared: one per grain
// and shard.
func TestSharedDeadline(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{10 * time.Millisecond, 200 * time.Millisecond, 20 * time.Second} {
		now := time.Now()
		end := now.Add(d)
		seen := map[context.Context]bool{}
		for range 64 {
			ctx := sharedDeadline(now, end)
			seen[ctx] = true
			dl, ok := ctx.Deadline()
			if !ok || dl.Before(end) || dl.Sub(end) > max(d/64, time.Millisecond) {
				t.Errorf("%v: deadline %v after the end asked for", d, dl.Sub(end))
			}
		}
		if len(seen) > sharedShards {
			t.Errorf("%v: %d contexts for one end, want at most %d", d, len(seen), sharedShards)
		}
	}
	// It does end, with context.DeadlineExceeded.
	now := time.Now()
	ctx := sharedDeadline(now, now.Add(20*time.Millisecond))
	select {
	case <-ctx.Done():
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Errorf("Err() = %v", ctx.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the shared context did not end")
	}
}

type testKey struct{}

// TestAttemptCtxChildren: a context made under an attemptCtx (net/http
// makes one per request) registers with the shared context as under a
// context of package context: no goroutine, no allocation but its own; it
// ends with the shared context, and values are the call's and the
// caller's. (Not parallel: it counts allocations.)
func TestAttemptCtxChildren(t *testing.T) {
	caller := context.WithValue(context.Background(), testKey{}, "caller's")
	st := newCallState(caller, http.MethodGet, "/", idempotent)
	st.attempts = 1
	now := time.Now()
	ctx, _ := attemptContext(st, st, now, now.Add(100*time.Millisecond), false)
	a, ok := ctx.(*attemptCtx)
	if !ok {
		t.Fatalf("%T, want *attemptCtx", ctx)
	}
	if stateFrom(a) != st || a.Value(testKey{}) != "caller's" {
		t.Errorf("values: state %p (want %p), key %v", stateFrom(a), st, a.Value(testKey{}))
	}
	childAllocs := func(parent context.Context) float64 {
		return testing.AllocsPerRun(100, func() {
			c, cancel := context.WithCancelCause(parent)
			cancel(nil)
			_ = c
		})
	}
	plain, cancelPlain := context.WithTimeout(context.Background(), time.Minute)
	defer cancelPlain()
	if got, want := childAllocs(a), childAllocs(plain); got > want {
		t.Errorf("a child of attemptCtx costs %v allocations, one of a context.WithTimeout %v (a goroutine, or context's AfterFunc path, costs more)", got, want)
	}
	child, cancel := context.WithCancelCause(a)
	defer cancel(nil)
	select {
	case <-child.Done():
		if !errors.Is(child.Err(), context.DeadlineExceeded) || a.Err() == nil {
			t.Errorf("child ended with %v, attempt with %v", child.Err(), a.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the child did not end with the shared context")
	}
	// AfterFunc, for a context implementation that would use it.
	done := make(chan struct{})
	a.AfterFunc(func() { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("AfterFunc did not run")
	}
}
