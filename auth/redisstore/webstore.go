package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/web"
)

// DefaultWebTokenTTL is how long a WebStore keeps a user's token after its
// last save when WithTokenTTL does not say: web.DefaultMaxAge, the longest
// a session lasts by default, so the token outlives every session that can
// use it.
const DefaultWebTokenTTL = web.DefaultMaxAge

// WebStore keeps package web's server-side state in Redis, so that all
// instances of a web application share it: the sessions (a
// web.SessionStore, for web.WithSessionStore), the logged-out sessions and
// used login attempts (a web.RevocationStore, for web.WithRevocationStore)
// and each user's tokens (TokenStore, for web.WithTokenStore):
//
//	rs, err := redisstore.NewWebStore(rdb, redisstore.WithKeyPrefix("myapp:"),
//		redisstore.WithEncryptionKeys(storeKey))
//	...
//	login, err := web.New(cfg, web.WithSessionKeys(cookieKey),
//		web.WithSessionStore(rs), web.WithRevocationStore(rs), web.WithTokenStore(rs.TokenStore))
//
// Build it with NewWebStore; its methods are safe for concurrent use.
//
// # Keys and lifetimes
//
// With the prefix P, a session is the string P+"session:"+h, a revoked ID
// P+"revoked:"+h, and a user's token the hash P+"user:"+h+":token" with its
// lease P+"user:"+h+":lock" (a Store, see the package documentation), where
// h is 32 hex digits of SHA-256 of the session ID, the revoked ID or the
// user's jAccount username. Key names thus carry no session ID, login
// state or username, and neither do the errors and logs that name them.
// (The hash of a username is a pseudonym, not a secret: whoever can list
// the keys can test a guessed username.)
//
// Every key expires with what it guards: a session when it ends
// (Session.ExpiresAt), a revocation when what it refuses has expired
// anyway, a user's token WithTokenTTL after its last save (default
// DefaultWebTokenTTL; keep it at least web.WithMaxAge) or at logout. The
// expiries are set from this machine's clock.
//
// # Encryption
//
// WithEncryptionKeys is required: sessions (the ID-token claims, the
// profile, the CSRF token) and tokens are encrypted at rest with AES-GCM,
// bound to their key name, as a Store encrypts its token. To rotate the
// key, put the new one first and keep the old one until the sessions
// sealed with it have expired (web.WithMaxAge); tokens are sealed again at
// their next save. A session that no longer decrypts (its key was
// dropped, or it was tampered with) counts as absent: the user logs in
// again. Revocations hold no data, only their expiry.
//
// # When Redis goes away
//
// A call fails with go-redis's error while Redis cannot be reached, and
// package web then answers 503 (web.ErrStoreUnavailable) instead of
// guessing; go-redis reconnects by itself, so the application recovers
// with Redis. Configure the client's timeouts (redis.Options DialTimeout,
// ReadTimeout) to bound how long a request waits for a Redis that hangs.
//
// A Redis that restarts without persistence (no AOF or RDB, or a failover
// to a replica that had not caught up) forgets what it held:
//   - sessions: every user is signed out and logs in again;
//   - revocations: a used login attempt could be replayed with its cookie
//     until it would have expired anyway (web.WithLoginTimeout, 10 minutes
//     by default), but jAccount refuses its code a second time; with cookie
//     sessions (no web.WithSessionStore), a session cookie copied before
//     its logout works again until the session expires (web.WithMaxAge, 8
//     hours by default). With this SessionStore, logged-out sessions are
//     deleted rather than revoked, so they cannot come back;
//   - tokens: User.API fails with auth.ErrNoToken until the user logs in
//     again.
//
// Run Redis with appendonly yes (or at least RDB snapshots) to keep them.
type WebStore struct {
	rdb redis.UniversalClient
	cfg config
}

// Interfaces a WebStore and the Stores it returns implement.
var (
	_ web.SessionStore    = (*WebStore)(nil)
	_ web.RevocationStore = (*WebStore)(nil)
	_ web.TokenDeleter    = (*Store)(nil)
	_ auth.Locker         = (*Store)(nil)
)

// NewWebStore returns the web stores on rdb, configured by the same
// options as New: WithKeyPrefix, WithEncryptionKeys (required),
// WithTokenTTL (zero means DefaultWebTokenTTL), WithLeaseTTL and
// WithLogger apply to the per-user token stores too. It fails only for a
// nil client, a missing key or an invalid option (ErrInvalidOption).
// It does not contact Redis.
func NewWebStore(rdb redis.UniversalClient, opts ...Option) (*WebStore, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: redisstore.NewWebStore: nil Redis client", ErrInvalidOption)
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if c.keys == nil {
		return nil, fmt.Errorf("%w: redisstore.NewWebStore: WithEncryptionKeys is required (sessions and tokens are encrypted at rest)",
			ErrInvalidOption)
	}
	if c.tokenTTL == 0 {
		c.tokenTTL = DefaultWebTokenTTL
	}
	return &WebStore{rdb: rdb, cfg: c}, nil
}

// key returns the Redis key of id in the namespace kind.
func (w *WebStore) key(kind, id string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + id))
	return w.cfg.prefix + kind + ":" + hex.EncodeToString(sum[:16])
}

// SessionKey returns the Redis key of the session with this ID.
func (w *WebStore) SessionKey(id string) string { return w.key("session", id) }

// RevocationKey returns the Redis key that records the revoked ID.
func (w *WebStore) RevocationKey(id string) string { return w.key("revoked", id) }

// Save implements web.SessionStore: it stores s, encrypted, until
// s.ExpiresAt. A session that has already ended is deleted instead.
func (w *WebStore) Save(ctx context.Context, s *web.Session) error {
	if s == nil {
		return errors.New("redisstore: saving a nil session")
	}
	key := w.SessionKey(s.ID)
	ttl := time.Until(s.ExpiresAt)
	if ttl < time.Millisecond {
		if err := w.rdb.Del(ctx, key).Err(); err != nil {
			return fmt.Errorf("redisstore: deleting the ended session %s: %w", key, err)
		}
		return nil
	}
	plain, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("redisstore: saving the session %s: %w", key, err)
	}
	data, err := w.cfg.keys.seal(plain, key)
	if err != nil {
		return fmt.Errorf("redisstore: saving the session %s: %w", key, err)
	}
	if err := w.rdb.Set(ctx, key, data, ttl).Err(); err != nil {
		return fmt.Errorf("redisstore: saving the session %s: %w", key, err)
	}
	return nil
}

// Load implements web.SessionStore. A session that is absent, expired or
// cannot be decrypted or decoded is an error matching web.ErrNoSession
// (the last two also match ErrDecrypt or say it is corrupt, and are logged
// at warn level); any other error is Redis's.
func (w *WebStore) Load(ctx context.Context, id string) (*web.Session, error) {
	key := w.SessionKey(id)
	data, err := w.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("%w: redisstore: %s is missing", web.ErrNoSession, key)
	} else if err != nil {
		return nil, fmt.Errorf("redisstore: loading the session %s: %w", key, err)
	}
	plain, err := w.cfg.keys.open(data, key)
	if err != nil {
		w.warn(ctx, "redisstore: a stored session cannot be decrypted; the user must log in again", key, err)
		return nil, fmt.Errorf("%w: redisstore: %s: %w", web.ErrNoSession, key, err)
	}
	var s web.Session
	if err := json.Unmarshal(plain, &s); err != nil {
		w.warn(ctx, "redisstore: a stored session is corrupt; the user must log in again", key, err)
		return nil, fmt.Errorf("%w: redisstore: the session in %s is corrupt: %w", web.ErrNoSession, key, err)
	}
	if s.ID != id {
		return nil, fmt.Errorf("%w: redisstore: %s holds another session", web.ErrNoSession, key)
	}
	return &s, nil
}

// Delete implements web.SessionStore.
func (w *WebStore) Delete(ctx context.Context, id string) error {
	key := w.SessionKey(id)
	if err := w.rdb.Del(ctx, key).Err(); err != nil {
		return fmt.Errorf("redisstore: deleting the session %s: %w", key, err)
	}
	return nil
}

// Revoke implements web.RevocationStore with one SET NX PX: it records id
// until the given time (at least a millisecond) and reports whether it
// was recorded already; of concurrent calls with one id, in any number of
// processes, exactly one reports false.
func (w *WebStore) Revoke(ctx context.Context, id string, until time.Time) (bool, error) {
	key := w.RevocationKey(id)
	set, err := w.rdb.SetNX(ctx, key, "1", max(time.Until(until), time.Millisecond)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: revoking %s: %w", key, err)
	}
	return !set, nil
}

// Revoked implements web.RevocationStore.
func (w *WebStore) Revoked(ctx context.Context, id string) (bool, error) {
	key := w.RevocationKey(id)
	n, err := w.rdb.Exists(ctx, key).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: checking %s: %w", key, err)
	}
	return n > 0, nil
}

// TokenStore returns the store of the user's token (pass the method to
// web.WithTokenStore): a Store under the prefix P+"user:"+h+":", with the
// WebStore's keys, token TTL, lease and logger. Like every Store it is a
// lock (one refresh at a time across the instances), its saves are
// fenced, and it implements web.TokenDeleter, so logout deletes the token.
func (w *WebStore) TokenStore(subject string) auth.TokenStore {
	c := w.cfg
	c.prefix = w.key("user", subject) + ":"
	return storeOf(w.rdb, c)
}

// warn logs a problem with one key, if there is a logger.
func (w *WebStore) warn(ctx context.Context, msg, key string, err error) {
	if w.cfg.log != nil {
		w.cfg.log.LogAttrs(ctx, slog.LevelWarn, msg, slog.String("key", key), slog.Any("err", err))
	}
}

// String describes the store without secrets.
func (w WebStore) String() string {
	return fmt.Sprintf("redisstore.WebStore{Prefix: %q, TokenTTL: %v, LeaseTTL: %v, Encrypted: %s}",
		w.cfg.prefix, w.cfg.tokenTTL, w.cfg.leaseTTL, w.cfg.keys.describe())
}

// GoString is String, so %#v shows no client internals.
func (w WebStore) GoString() string { return w.String() }

// Format makes every fmt verb print String: the Redis client's options may
// hold a password, and the keyring holds key material.
func (w WebStore) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(w.String())) }

// LogValue implements slog.LogValuer without secrets.
func (w WebStore) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("prefix", w.cfg.prefix),
		slog.Duration("token_ttl", w.cfg.tokenTTL),
		slog.Duration("lease_ttl", w.cfg.leaseTTL),
		slog.String("encrypted", w.cfg.keys.describe()),
	)
}
