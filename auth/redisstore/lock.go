package redisstore

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The lease scripts act only while the lock key still holds the caller's
// random value, so a holder whose lease expired can neither renew nor
// release the next holder's lease.
var (
	// renewScript: KEYS[1] lock, ARGV[1] value, ARGV[2] TTL in ms.
	renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)
	// releaseScript: KEYS[1] lock, ARGV[1] value.
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)
)

// Polling bounds while another process holds the lease: the first retry
// comes soon (a refresh takes milliseconds), later ones back off, with
// jitter so that waiters do not poll in step.
const (
	minPoll = 2 * time.Millisecond
	maxPoll = 100 * time.Millisecond
	// releaseTimeout bounds releasing the lease after the holder's context
	// ended.
	releaseTimeout = 5 * time.Second
)

// Lock takes the lease, waiting while another process (or another
// goroutine sharing this Store) holds it, until ctx ends. The lease is
// renewed every third of its TTL until the returned function releases it.
// That function returns an error matching ErrLeaseLost if the lease expired
// meanwhile; it is safe to call more than once.
//
// Lock fails at once, without waiting, when Redis cannot be reached.
func (s *Store) Lock(ctx context.Context) (func() error, error) {
	start := time.Now()
	select {
	case s.localLock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("redisstore: locking %s: %w", s.lockKey, ctx.Err())
	}
	value := randomHex(16)
	poll := minPoll
	for {
		ok, err := s.rdb.SetNX(ctx, s.lockKey, value, s.cfg.leaseTTL).Result()
		if err != nil {
			<-s.localLock
			return nil, fmt.Errorf("redisstore: locking %s: %w", s.lockKey, err)
		}
		if ok {
			break
		}
		t := time.NewTimer(poll/2 + rand.N(poll/2+1))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-s.localLock
			return nil, fmt.Errorf("redisstore: locking %s: waited %v: %w", s.lockKey, time.Since(start).Round(time.Millisecond), ctx.Err())
		}
		poll = min(2*poll, maxPoll)
	}
	l := &lease{s: s, value: value, stop: make(chan struct{}), done: make(chan struct{}),
		ctx: context.WithoutCancel(ctx)}
	s.logDebug(ctx, "redisstore: lock taken", slog.Duration("waited", time.Since(start)))
	go l.renew()
	return l.release, nil
}

// lease is one holding of the lock.
type lease struct {
	s     *Store
	value string
	ctx   context.Context // the locker's values, never cancelled
	stop  chan struct{}   // closed by release
	done  chan struct{}   // closed when renew has returned

	once sync.Once
	err  error
	mu   sync.Mutex
	lost bool
}

// renew extends the lease every third of its TTL until release. A failed
// renewal (Redis unreachable) is retried at the next tick; a lease found
// taken over is given up.
func (l *lease) renew() {
	defer close(l.done)
	ttl := l.s.cfg.leaseTTL
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(l.ctx, ttl/3)
		n, err := renewScript.Run(ctx, l.s.rdb, []string{l.s.lockKey}, l.value, ttl.Milliseconds()).Int64()
		cancel()
		switch {
		case err != nil:
			l.s.logWarn(l.ctx, "redisstore: renewing the lease failed; retrying", slog.Any("error", err))
		case n == 0:
			l.setLost()
			l.s.logWarn(l.ctx, "redisstore: the lease expired while held (this process was stopped or cut off from Redis for longer than the lease); another process may hold the lock now; saves stay fenced",
				slog.Duration("lease_ttl", ttl))
			return
		}
	}
}

func (l *lease) setLost() {
	l.mu.Lock()
	l.lost = true
	l.mu.Unlock()
}

// release stops the renewal and deletes the lock key if it still holds this
// lease's value, then lets the next goroutine of this process in.
func (l *lease) release() error {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		defer func() { <-l.s.localLock }()
		ctx, cancel := context.WithTimeout(l.ctx, releaseTimeout)
		defer cancel()
		n, err := releaseScript.Run(ctx, l.s.rdb, []string{l.s.lockKey}, l.value).Int64()
		l.mu.Lock()
		lost := l.lost
		l.mu.Unlock()
		switch {
		case err != nil:
			l.err = fmt.Errorf("redisstore: releasing %s (it expires within %v): %w", l.s.lockKey, l.s.cfg.leaseTTL, err)
		case n == 0 || lost:
			if !lost {
				l.s.logWarn(l.ctx, "redisstore: the lease expired while held; another process may have held the lock meanwhile; saves stay fenced")
			}
			l.err = fmt.Errorf("redisstore: releasing %s: %w", l.s.lockKey, ErrLeaseLost)
		}
	})
	return l.err
}
