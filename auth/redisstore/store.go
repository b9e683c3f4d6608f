// Package redisstore keeps a jAccount token in Redis, so that processes on
// many machines (a batch job's workers, Kubernetes jobs, CI runners) share
// one token, and one rotating refresh token, without ever spending it twice;
// and it keeps package web's sessions, revocations and per-user tokens in
// Redis (WebStore), so that the instances of a web application share them.
//
// A *Store is an auth.TokenStore and an auth.Locker, like auth.FileStore:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis.internal:6379"})
//	store, err := redisstore.New(rdb, redisstore.WithKeyPrefix("jaccount:myjob:"))
//	...
//	ts, err := cfg.TokenSource(nil, auth.WithStore(store))
//
// The TokenSource holds the store's lock across reload, refresh and save.
//
// # The lock
//
// The lock is a lease: a Redis key, set with SET NX PX to a random value
// and renewed (a third of the lease in) while its holder runs, so a refresh
// of any length keeps it. A holder that dies, or stops for longer than the
// lease (a paused VM, a network partition, SIGSTOP), loses it when it
// expires, and the next process takes over. Releasing and renewing are Lua
// scripts that act only while the key still holds the holder's value. Within
// one process the lock also excludes the goroutines that share a Store.
//
// # Fencing
//
// A lease alone cannot stop a holder that has lost it without knowing, so
// every save is fenced: the token's hash carries a generation number and a
// random version, and Save is a compare-and-set (a Lua script) on the
// version this Store last loaded or saved. A save by a process whose view is
// stale (someone else stored a token since) is refused with an error
// matching auth.ErrSaveConflict, and the TokenSource re-reads the store
// instead of overwriting the newer token. The random version, unlike the
// generation alone, cannot repeat when the key is deleted and re-created.
//
// Fencing protects the store, not jAccount: a holder that stops after
// loading a refresh token and before sending it can still send it after
// another process has spent it, and gets invalid_grant. docs/fleet.md in the
// repository says what is and is not guaranteed.
//
// # Keys
//
// With the prefix P (DefaultKeyPrefix unless WithKeyPrefix), the token is
// the hash P+"token" (fields gen, ver, data) and the lease the string
// P+"lock". Use one prefix per token (per user, or per client and scopes).
//
// # Encryption
//
// WithEncryptionKeys encrypts the token at rest with AES-GCM, so that
// whoever can read the Redis server, its backups or its MONITOR output
// cannot use the token. Older keys are accepted for reading, so keys can be
// rotated without logging in again.
//
// # Web applications
//
// NewWebStore returns a WebStore: a web.SessionStore and a
// web.RevocationStore, and through its TokenStore method one Store per
// user for web.WithTokenStore. It takes the same options; encryption is
// required. Its documentation lists the keys, their lifetimes, and what a
// Redis restart without persistence loses.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-jaccount/jaccount-go/auth"
)

// Defaults of the options.
const (
	// DefaultKeyPrefix is prepended to the store's keys.
	DefaultKeyPrefix = "jaccount:"
	// DefaultLeaseTTL is how long the lock outlives a holder that stopped
	// renewing it. Keep it below the TokenSource's refresh timeout
	// (auth.DefaultRefreshTimeout), which bounds the wait for the lock.
	DefaultLeaseTTL = 10 * time.Second
	// MinLeaseTTL is the shortest lease WithLeaseTTL accepts.
	MinLeaseTTL = time.Second
	// MinTokenTTL is the shortest token TTL WithTokenTTL accepts.
	MinTokenTTL = time.Minute
	// maxPrefix bounds the key prefix, in bytes.
	maxPrefix = 256
)

// ErrDecrypt matches the error of Load when the stored token (or, for a
// WebStore, session) cannot be decrypted: it was encrypted with a key not
// given to WithEncryptionKeys, it is encrypted and the store has no keys,
// it is not encrypted and the store requires encryption, or it was
// tampered with.
var ErrDecrypt = errors.New("redisstore: cannot decrypt the stored value")

// ErrLeaseLost matches the error of the unlock function when the lease
// expired while it was held (the process was stopped or cut off from Redis
// for longer than the lease): another process may have held the lock
// meanwhile. The saves stayed fenced.
var ErrLeaseLost = errors.New("redisstore: the lease expired while it was held")

// An Option configures a Store (New) or a WebStore (NewWebStore), which
// share them: WithKeyPrefix, WithLeaseTTL, WithTokenTTL,
// WithEncryptionKeys, WithLogger. The zero value of each option's argument
// means the default; an invalid value makes New or NewWebStore fail with an
// error matching ErrInvalidOption that names the option. Nil options are
// skipped.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// ErrInvalidOption is auth.ErrInvalidOption: the options of a token store
// are the TokenSource's concern too, so errors.Is(err, ErrInvalidOption)
// and errors.Is(err, redisstore.ErrInvalidOption) both hold for the error of
// New or NewWebStore given an invalid option or a nil client.
var ErrInvalidOption = auth.ErrInvalidOption

type config struct {
	prefix   string
	leaseTTL time.Duration
	tokenTTL time.Duration
	keys     *keyring
	log      *slog.Logger
}

// WithKeyPrefix sets the prefix of the store's keys; "" means
// DefaultKeyPrefix. It must be at most 256 bytes of printable UTF-8 without
// spaces.
func WithKeyPrefix(prefix string) Option {
	return optionFunc(func(c *config) error {
		if prefix == "" {
			return nil
		}
		if err := checkPrefix(prefix); err != nil {
			return fmt.Errorf("%w: redisstore.WithKeyPrefix(%q): %v", ErrInvalidOption, prefix, err)
		}
		c.prefix = prefix
		return nil
	})
}

func checkPrefix(p string) error {
	if len(p) > maxPrefix {
		return fmt.Errorf("longer than %d bytes", maxPrefix)
	}
	if !utf8.ValidString(p) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range p {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return fmt.Errorf("contains %q", r)
		}
	}
	return nil
}

// WithLeaseTTL sets how long the lock outlives a holder that stopped
// renewing it (it is renewed every third of it); zero means
// DefaultLeaseTTL. It must be at least MinLeaseTTL. A longer lease
// tolerates longer stalls of the holder (GC pauses, slow networks) but
// makes the others wait longer after the holder dies.
func WithLeaseTTL(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		switch {
		case d < 0:
			return fmt.Errorf("%w: redisstore.WithLeaseTTL(%v): negative", ErrInvalidOption, d)
		case d > 0 && d < MinLeaseTTL:
			return fmt.Errorf("%w: redisstore.WithLeaseTTL(%v): shorter than %v", ErrInvalidOption, d, MinLeaseTTL)
		case d > 0:
			c.leaseTTL = d
		}
		return nil
	})
}

// WithTokenTTL makes the stored token expire d after its last save, so the
// token of a job that stopped running does not stay in Redis forever; zero
// means the default, which for New keeps it until it is replaced (as
// auth.FileStore does) and for NewWebStore is DefaultWebTokenTTL. It must be at least MinTokenTTL. Choose it longer
// than the job's longest idle period: an expired token means logging in
// again.
func WithTokenTTL(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		switch {
		case d < 0:
			return fmt.Errorf("%w: redisstore.WithTokenTTL(%v): negative", ErrInvalidOption, d)
		case d > 0 && d < MinTokenTTL:
			return fmt.Errorf("%w: redisstore.WithTokenTTL(%v): shorter than %v", ErrInvalidOption, d, MinTokenTTL)
		}
		c.tokenTTL = d
		return nil
	})
}

// WithEncryptionKeys encrypts the stored token with AES-GCM under current
// (16, 24 or 32 bytes: AES-128, -192 or -256) and accepts tokens encrypted
// under any of previous when loading, so that keys can be rotated: deploy
// the new key as current with the old one in previous; the next save
// re-encrypts under the new key. A store with keys refuses to load an
// unencrypted token (ErrDecrypt). The keys are copied; nil current means no
// encryption (and then previous must be empty).
func WithEncryptionKeys(current []byte, previous ...[]byte) Option {
	return optionFunc(func(c *config) error {
		if current == nil {
			if len(previous) > 0 {
				return fmt.Errorf("%w: redisstore.WithEncryptionKeys: previous keys without a current one", ErrInvalidOption)
			}
			return nil
		}
		k, err := newKeyring(current, previous)
		if err != nil {
			return fmt.Errorf("%w: redisstore.WithEncryptionKeys: %v", ErrInvalidOption, err)
		}
		c.keys = k
		return nil
	})
}

// WithLogger logs lock waits, lease renewals and losses, saves and refused
// saves (debug, warn and info levels). No token, key material or lease
// value is ever logged. Nil (the default) logs nothing.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) error { c.log = l; return nil })
}

// Store is a token store in Redis with a lease lock and fenced saves. Build
// it with New. Its methods are safe for concurrent use.
//
// A Store remembers the version of the token it last loaded or saved, and
// Save compares against it, so fencing works per Store: give each
// TokenSource its own Store (they are cheap and can share one Redis
// client). A Store that has never loaded saves unconditionally, like
// auth.FileStore, which is how a token is seeded.
//
// Printing a Store (fmt, slog) shows its keys and settings, never its
// encryption keys or the Redis client's credentials.
type Store struct {
	*store
}

type store struct {
	rdb       redis.UniversalClient
	cfg       config
	tokenKey  string
	lockKey   string
	localLock chan struct{} // one holder per Store at a time

	mu       sync.Mutex
	observed observed
}

// observed is what a Store last saw in Redis.
type observed struct {
	known bool   // Load or Save has run
	ver   string // "" when the token was absent
	gen   int64
}

// New returns a store on rdb (a *redis.Client, *redis.ClusterClient or
// *redis.Ring... any redis.UniversalClient). It fails only for a nil client
// or an invalid option (ErrInvalidOption). It does not contact Redis.
func New(rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: redisstore.New: nil Redis client", ErrInvalidOption)
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return storeOf(rdb, c), nil
}

// newConfig applies the options, in order, to the defaults.
func newConfig(opts []Option) (config, error) {
	c := config{prefix: DefaultKeyPrefix, leaseTTL: DefaultLeaseTTL}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

// storeOf returns the Store of the token under c.prefix.
func storeOf(rdb redis.UniversalClient, c config) *Store {
	return &Store{&store{rdb: rdb, cfg: c, tokenKey: c.prefix + "token", lockKey: c.prefix + "lock",
		localLock: make(chan struct{}, 1)}}
}

// TokenKey returns the Redis key of the token hash.
func (s *Store) TokenKey() string { return s.tokenKey }

// LockKey returns the Redis key of the lease.
func (s *Store) LockKey() string { return s.lockKey }

// Load returns the stored token, or an error matching auth.ErrNoToken when
// there is none (or it has expired, see WithTokenTTL). It remembers the
// token's version, against which the next Save is fenced.
func (s *Store) Load(ctx context.Context) (*auth.Token, error) {
	vals, err := s.rdb.HMGet(ctx, s.tokenKey, "gen", "ver", "data").Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: loading %s: %w", s.tokenKey, err)
	}
	gen, _ := vals[0].(string)
	ver, _ := vals[1].(string)
	data, _ := vals[2].(string)
	o := observed{known: true, ver: ver}
	o.gen, _ = strconv.ParseInt(gen, 10, 64)
	s.mu.Lock()
	s.observed = o
	s.mu.Unlock()
	if data == "" {
		return nil, fmt.Errorf("%w: redisstore: %s is empty or missing", auth.ErrNoToken, s.tokenKey)
	}
	plain, err := s.cfg.keys.open([]byte(data), s.tokenKey)
	if err != nil {
		return nil, fmt.Errorf("redisstore: loading %s (generation %d): %w", s.tokenKey, o.gen, err)
	}
	var t auth.Token
	if err := json.Unmarshal(plain, &t); err != nil {
		// json's errors quote no input beyond a byte offset and a type.
		return nil, fmt.Errorf("redisstore: the token in %s (generation %d) is corrupt: %w", s.tokenKey, o.gen, err)
	}
	return &t, nil
}

// saveScript stores a token if the stored version is still the expected
// one. KEYS[1] is the token hash; ARGV: the expected version ("" for
// absent, "*" for any), the new version, the data, the TTL in
// milliseconds (0: none). It returns {1, new generation} or {0, stored
// generation}.
var saveScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'ver') or ''
if ARGV[1] ~= '*' and cur ~= ARGV[1] then
  return {0, tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')}
end
local gen = redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('HSET', KEYS[1], 'ver', ARGV[2], 'data', ARGV[3])
if tonumber(ARGV[4]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
else
  redis.call('PERSIST', KEYS[1])
end
return {1, gen}
`)

// Save stores t if nobody else stored a token since this Store last loaded
// or saved; otherwise it stores nothing and returns an error matching
// auth.ErrSaveConflict. A Store that has never loaded saves
// unconditionally.
func (s *Store) Save(ctx context.Context, t *auth.Token) error {
	if t == nil {
		return fmt.Errorf("redisstore: saving %s: nil token", s.tokenKey)
	}
	plain, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("redisstore: saving %s: %w", s.tokenKey, err)
	}
	data, err := s.cfg.keys.seal(plain, s.tokenKey)
	if err != nil {
		return fmt.Errorf("redisstore: saving %s: %w", s.tokenKey, err)
	}
	ver := randomHex(16)
	s.mu.Lock()
	o := s.observed
	s.mu.Unlock()
	expect := "*"
	if o.known {
		expect = o.ver
	}
	res, err := saveScript.Run(ctx, s.rdb, []string{s.tokenKey}, expect, ver, data, s.cfg.tokenTTL.Milliseconds()).Int64Slice()
	if err != nil {
		return fmt.Errorf("redisstore: saving %s: %w", s.tokenKey, err)
	}
	if len(res) != 2 {
		return fmt.Errorf("redisstore: saving %s: unexpected script result %v", s.tokenKey, res)
	}
	if res[0] == 0 {
		s.logInfo(ctx, "redisstore: save refused: another process stored a token since this one loaded",
			slog.Int64("loaded_generation", o.gen), slog.Int64("stored_generation", res[1]))
		now := fmt.Sprintf("another process stored generation %d since", res[1])
		if res[1] == 0 {
			now = "the token was deleted since"
		}
		return fmt.Errorf("redisstore: saving %s: %w (this process loaded generation %d; %s)",
			s.tokenKey, auth.ErrSaveConflict, o.gen, now)
	}
	s.mu.Lock()
	s.observed = observed{known: true, ver: ver, gen: res[1]}
	s.mu.Unlock()
	s.logDebug(ctx, "redisstore: saved token", slog.Int64("generation", res[1]))
	return nil
}

// Delete removes the stored token (web.TokenDeleter: a web application's
// logout calls it). A Save that was fenced on the deleted token then fails
// with auth.ErrSaveConflict; this Store's next Save stores a token again.
func (s *Store) Delete(ctx context.Context) error {
	if err := s.rdb.Del(ctx, s.tokenKey).Err(); err != nil {
		return fmt.Errorf("redisstore: deleting %s: %w", s.tokenKey, err)
	}
	s.mu.Lock()
	s.observed = observed{known: true}
	s.mu.Unlock()
	s.logDebug(ctx, "redisstore: deleted token")
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// String describes the store without secrets.
func (s Store) String() string {
	if s.store == nil {
		return "redisstore.Store(nil)"
	}
	return fmt.Sprintf("redisstore.Store{TokenKey: %q, LockKey: %q, LeaseTTL: %v, TokenTTL: %s, Encrypted: %s}",
		s.tokenKey, s.lockKey, s.cfg.leaseTTL, s.tokenTTLString(), s.cfg.keys.describe())
}

func (s Store) tokenTTLString() string {
	if s.cfg.tokenTTL == 0 {
		return "none"
	}
	return s.cfg.tokenTTL.String()
}

// GoString is String, so %#v shows no client internals.
func (s Store) GoString() string { return s.String() }

// Format makes every fmt verb print String: the Redis client's options may
// hold a password, and the keyring holds key material.
func (s Store) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue implements slog.LogValuer without secrets.
func (s Store) LogValue() slog.Value {
	if s.store == nil {
		return slog.StringValue("redisstore.Store(nil)")
	}
	return slog.GroupValue(
		slog.String("token_key", s.tokenKey),
		slog.String("lock_key", s.lockKey),
		slog.Duration("lease_ttl", s.cfg.leaseTTL),
		slog.String("token_ttl", s.tokenTTLString()),
		slog.String("encrypted", s.cfg.keys.describe()),
	)
}

func (s *store) logDebug(ctx context.Context, msg string, attrs ...slog.Attr) {
	s.logAt(ctx, slog.LevelDebug, msg, attrs)
}

func (s *store) logInfo(ctx context.Context, msg string, attrs ...slog.Attr) {
	s.logAt(ctx, slog.LevelInfo, msg, attrs)
}

func (s *store) logWarn(ctx context.Context, msg string, attrs ...slog.Attr) {
	s.logAt(ctx, slog.LevelWarn, msg, attrs)
}

func (s *store) logAt(ctx context.Context, level slog.Level, msg string, attrs []slog.Attr) {
	if s.cfg.log != nil {
		s.cfg.log.LogAttrs(ctx, level, msg, append(attrs, slog.String("key", s.tokenKey))...)
	}
}
