package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// Limiter is an api.Limiter kept in Redis: one request budget, and one
// pause, for every client of every process given a Limiter on the same
// keys. Give it to api.NewClient (and api.NewDataClient) with
// api.WithLimiter:
//
//	lim, err := redisstore.NewLimiter(rdb, 45, 1, redisstore.WithKeyPrefix("jaccount:myjob:"))
//	...
//	c, err := api.NewClient(ts, api.WithLimiter(lim))
//
// The budget is a GCRA (generic cell rate algorithm) in one Lua script run
// on the Redis server's clock, so the processes' clocks need not agree:
// each Wait reserves the next slot in one round trip and then sleeps until
// it, so waiters are served in the order they asked and nobody polls. A
// reply of 429 or 503 with Retry-After to any client of any process
// pauses them all (Pause stores the pause's end in a key that expires with
// it).
//
// # Keys
//
// With the prefix P (DefaultKeyPrefix unless WithKeyPrefix), the budget is
// the string P+"rate" (the theoretical arrival time of the next request,
// in milliseconds of the server's clock) and the pause the string
// P+"pause" ("end:status"); both expire when they no longer matter. Give
// every process of a job the same prefix, rate and burst. On Redis
// Cluster the two keys must share a slot: put a hash tag in the prefix
// ("{jaccount:myjob}:").
//
// A Limiter fails closed: when Redis cannot be reached, Wait returns the
// error and the call fails unsent.
type Limiter struct {
	rdb       redis.UniversalClient
	keys      []string // rate, pause
	pauseKey  []string
	interval  string // milliseconds between requests, "0" for no rate
	tolerance string // milliseconds of burst
}

var _ api.Limiter = (*Limiter)(nil)

// NewLimiter returns a Limiter on rdb that lets perSecond requests a
// second through, with bursts of up to burst after a quiet spell (zero
// means 1: requests evenly spaced, the safest against a server counting
// over short windows). Zero perSecond keeps no budget and shares only the
// pauses. A negative perSecond, one that is not a finite number, or a
// negative burst is invalid (ErrInvalidOption), as is a nil client. Of the
// options, WithKeyPrefix applies; the others are the token store's and
// change nothing here. It does not contact Redis.
func NewLimiter(rdb redis.UniversalClient, perSecond float64, burst int, opts ...Option) (*Limiter, error) {
	switch {
	case rdb == nil:
		return nil, fmt.Errorf("%w: redisstore.NewLimiter: nil Redis client", ErrInvalidOption)
	case perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0):
		return nil, fmt.Errorf("%w: redisstore.NewLimiter(%v, %d): the rate must be a finite number, zero or more", ErrInvalidOption, perSecond, burst)
	case burst < 0:
		return nil, fmt.Errorf("%w: redisstore.NewLimiter(%v, %d): negative burst", ErrInvalidOption, perSecond, burst)
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	l := &Limiter{rdb: rdb, keys: []string{c.prefix + "rate", c.prefix + "pause"}, interval: "0", tolerance: "0"}
	l.pauseKey = l.keys[1:]
	if perSecond > 0 {
		interval := 1000 / perSecond
		l.interval = strconv.FormatFloat(interval, 'f', -1, 64)
		l.tolerance = strconv.FormatFloat(interval*float64(max(burst, 1)-1), 'f', -1, 64)
	}
	return l, nil
}

// String describes the limiter's keys and budget.
func (l *Limiter) String() string {
	return fmt.Sprintf("redisstore.Limiter{rate: %q, pause: %q, interval: %sms, burst tolerance: %sms}",
		l.keys[0], l.keys[1], l.interval, l.tolerance)
}

// waitScript answers {0, wait µs} after reserving the next slot, {1, µs
// left, status} while paused, {2, wait µs} when the wait would exceed
// ARGV[3] ms (negative: no bound; nothing reserved). Times are
// milliseconds of the server's clock, stored with %.3f: a number printed
// by tostring would lose digits.
var waitScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local p = redis.call('GET', KEYS[2])
if p then
  local untl, status = string.match(p, '^([%d%.]+):(%d+)$')
  untl = tonumber(untl)
  if untl and untl > now then
    return {1, math.ceil((untl - now) * 1000), tonumber(status)}
  end
end
local interval = tonumber(ARGV[1])
if interval <= 0 then
  return {0, 0, 0}
end
local tolerance = tonumber(ARGV[2])
local maxwait = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then
  tat = now
end
local wait = tat - tolerance - now
if wait < 0 then
  wait = 0
end
if maxwait >= 0 and wait > maxwait then
  return {2, math.ceil(wait * 1000), 0}
end
local next = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', next), 'PX', math.ceil(next - now) + 1000)
return {0, math.ceil(wait * 1000), 0}
`)

// pauseScript pauses for ARGV[1] ms from the server's now, unless a
// pause that ends later is in force; ARGV[2] is the status that asked.
var pauseScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local d = tonumber(ARGV[1])
local untl = now + d
local cur = redis.call('GET', KEYS[1])
if cur then
  local c = tonumber(string.match(cur, '^([%d%.]+):'))
  if c and c >= untl then
    return 0
  end
end
redis.call('SET', KEYS[1], string.format('%.3f', untl) .. ':' .. ARGV[2], 'PX', math.ceil(d))
return 1
`)

// Wait takes the next slot of the budget and sleeps until it comes. It
// returns at once, taking nothing, an *api.WaitError with Paused set
// while a pause is in force (another process saw a 429 or 503 with
// Retry-After), or one matching api.ErrThrottled when the slot would come
// after ctx's deadline. A pause that began while it slept is reported
// too (the slot is then spent), so that a 429 holds off the requests
// already in line in every process. It returns ctx's error when ctx ends
// while it sleeps, and Redis's error when Redis cannot be reached.
func (l *Limiter) Wait(ctx context.Context) error {
	maxWait := "-1"
	if dl, ok := ctx.Deadline(); ok {
		maxWait = strconv.FormatFloat(max(float64(time.Until(dl))/float64(time.Millisecond), 0), 'f', 3, 64)
	}
	d, err := l.ask(ctx, l.interval, maxWait)
	if err != nil || d <= 0 {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	// Only the pause: "0" reserves nothing. Redis failing now costs the
	// slot nothing: the request goes.
	if _, err := l.ask(ctx, "0", "-1"); errors.As(err, new(*api.WaitError)) {
		return err
	}
	return nil
}

// ask runs waitScript with interval and maxWait: the wait for the slot
// it reserved, or a *api.WaitError, or Redis's error.
func (l *Limiter) ask(ctx context.Context, interval, maxWait string) (time.Duration, error) {
	res, err := waitScript.Run(ctx, l.rdb, l.keys, interval, l.tolerance, maxWait).Int64Slice()
	if err == nil && len(res) != 3 {
		err = fmt.Errorf("unexpected reply %v", res)
	}
	if err != nil {
		return 0, fmt.Errorf("redisstore: limiter %q: %w", l.keys[0], err)
	}
	d := time.Duration(res[1]) * time.Microsecond
	switch res[0] {
	case 1:
		return 0, &api.WaitError{Until: time.Now().Add(d), Paused: true, Status: int(res[2])}
	case 2:
		return 0, &api.WaitError{Until: time.Now().Add(d)}
	}
	return d, nil
}

// Pause makes every Wait on the limiter's keys, in any process, report a
// pause until until (measured from now on the Redis server's clock, so
// that the processes' clocks need not agree), unless a longer pause is in
// force. status is the reply's (429 or 503).
func (l *Limiter) Pause(ctx context.Context, until time.Time, status int) error {
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	ms := strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
	if err := pauseScript.Run(ctx, l.rdb, l.pauseKey, ms, strconv.Itoa(status)).Err(); err != nil {
		return fmt.Errorf("redisstore: limiter %q: %w", l.keys[1], err)
	}
	return nil
}
