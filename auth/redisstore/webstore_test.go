package redisstore

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore/redistest"
	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/web"
)

// Secrets and personal data of the test sessions; no key name, error, log
// or printed value may contain them.
const (
	secretSessionID = "SESSIONIDSECRET4QZ7X2M5VQ"
	secretCSRF      = "CSRFSECRET7Q2XJ4K9PL3MW8N"
	secretState     = "STATESECRET2K4M6P8R2T4V6X"
	personalName    = "张三丰"
	personalEmail   = "zhangsanfeng@sjtu.edu.cn"
)

func testSession(id string, ttl time.Duration) *web.Session {
	now := time.Now().Truncate(time.Second)
	return &web.Session{
		ID:        id,
		Claims:    auth.IDTokenClaims{Subject: "zhangsanfeng", Name: personalName, Code: "523030910001"},
		Profile:   &gen.Profile{Account: "zhangsanfeng", Name: personalName, Email: personalEmail},
		CSRFToken: secretCSRF,
		CreatedAt: now,
		ExpiresAt: now.Add(ttl),
	}
}

func newWebStore(t *testing.T, rdb redis.UniversalClient, opts ...Option) *WebStore {
	t.Helper()
	w, err := NewWebStore(rdb, append([]Option{WithEncryptionKeys(key32)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWebStoreOptions(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never contacted
	t.Cleanup(func() { _ = rdb.Close() })
	w := newWebStore(t, rdb)
	if got, want := w.String(), `redisstore.WebStore{Prefix: "jaccount:", TokenTTL: 8h0m0s, LeaseTTL: 10s, Encrypted: AES-GCM, key `; !strings.HasPrefix(got, want) {
		t.Errorf("defaults: %s, want %s…", got, want)
	}
	w = newWebStore(t, rdb, WithKeyPrefix("app:"), WithTokenTTL(24*time.Hour), WithLeaseTTL(5*time.Second))
	if got := w.String(); !strings.Contains(got, `Prefix: "app:", TokenTTL: 24h0m0s, LeaseTTL: 5s`) {
		t.Errorf("options: %s", got)
	}
	if !strings.HasPrefix(w.SessionKey("x"), "app:session:") || !strings.HasPrefix(w.RevocationKey("x"), "app:revoked:") {
		t.Errorf("keys %s, %s", w.SessionKey("x"), w.RevocationKey("x"))
	}
	ts := w.TokenStore("zhangsan").(*Store)
	if !strings.HasPrefix(ts.TokenKey(), "app:user:") || !strings.HasSuffix(ts.TokenKey(), ":token") || strings.Contains(ts.TokenKey(), "zhangsan") {
		t.Errorf("token key %s", ts.TokenKey())
	}
	if got := ts.String(); !strings.Contains(got, "TokenTTL: 24h0m0s") || !strings.Contains(got, "LeaseTTL: 5s") || !strings.Contains(got, "AES-GCM") {
		t.Errorf("the per-user store does not take the options: %s", got)
	}
	for name, opts := range map[string][]Option{
		"no key":         {WithKeyPrefix("app:")},
		"invalid option": {WithEncryptionKeys(key32), WithTokenTTL(time.Second)},
	} {
		if w, err := NewWebStore(rdb, opts...); !errors.Is(err, auth.ErrInvalidOption) || w != nil {
			t.Errorf("%s: NewWebStore = %v, %v; want auth.ErrInvalidOption", name, w, err)
		}
	}
	if _, err := NewWebStore(nil, WithEncryptionKeys(key32)); !errors.Is(err, auth.ErrInvalidOption) {
		t.Errorf("NewWebStore(nil) = %v", err)
	}
}

// TestWebStoreSessions: a session round-trips, encrypted and bound to its
// key, with a TTL equal to its remaining life; absent, deleted, tampered,
// moved and undecryptable sessions are web.ErrNoSession.
func TestWebStoreSessions(t *testing.T) {
	t.Parallel()
	rdb, ctx := startRedis(t)
	w := newWebStore(t, rdb, WithKeyPrefix("sess:"))
	want := testSession(secretSessionID, time.Hour)
	if err := w.Save(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := w.Load(ctx, secretSessionID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != want.ID || got.Claims.Subject != want.Claims.Subject || got.Claims.Name != personalName || got.Claims.Code != want.Claims.Code ||
		got.Profile == nil || got.Profile.Email != personalEmail || got.CSRFToken != secretCSRF ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("loaded %+v, want %+v", got, want)
	}
	key := w.SessionKey(secretSessionID)
	if ttl := rdb.PTTL(ctx, key).Val(); ttl > time.Hour || ttl < 59*time.Minute {
		t.Errorf("PTTL %v, want the session's remaining hour", ttl)
	}
	raw := rdb.Get(ctx, key).Val()
	for _, s := range []string{secretSessionID, secretCSRF, personalName, personalEmail, "zhangsanfeng"} {
		if strings.Contains(raw+key, s) {
			t.Errorf("Redis shows %q in %s = %.40q…", s, key, raw)
		}
	}
	if keys := rdb.Keys(ctx, "*").Val(); len(keys) != 1 || keys[0] != key || !strings.HasPrefix(key, "sess:session:") {
		t.Errorf("keys %v", keys)
	}

	noSession := func(name, id string) error {
		t.Helper()
		_, err := w.Load(ctx, id)
		if !errors.Is(err, web.ErrNoSession) {
			t.Errorf("%s: Load = %v, want web.ErrNoSession", name, err)
		}
		return err
	}
	noSession("absent", "NOSUCHSESSION")
	// A value moved to another session's key does not decrypt there.
	rdb.Set(ctx, w.SessionKey("OTHER"), raw, time.Hour)
	if err := noSession("moved", "OTHER"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("moved: %v, want ErrDecrypt too", err)
	}
	b := []byte(raw)
	b[len(b)-3] ^= 1
	rdb.Set(ctx, w.SessionKey("TAMPERED"), b, time.Hour)
	noSession("tampered", "TAMPERED")
	rdb.Set(ctx, w.SessionKey("PLAIN"), `{"id":"PLAIN"}`, time.Hour)
	noSession("not encrypted", "PLAIN")

	// Key rotation: the new key first, the old one still opens; a store
	// without the old key sees no session.
	rotated := newWebStore(t, rdb, WithKeyPrefix("sess:"), WithEncryptionKeys(key32b, key32))
	if _, err := rotated.Load(ctx, secretSessionID); err != nil {
		t.Errorf("after rotation: %v", err)
	}
	retired := newWebStore(t, rdb, WithKeyPrefix("sess:"), WithEncryptionKeys(key32b))
	if _, err := retired.Load(ctx, secretSessionID); !errors.Is(err, web.ErrNoSession) || !errors.Is(err, ErrDecrypt) {
		t.Errorf("old key dropped: %v, want web.ErrNoSession and ErrDecrypt", err)
	}

	if err := w.Delete(ctx, secretSessionID); err != nil {
		t.Fatal(err)
	}
	noSession("deleted", secretSessionID)
	if err := w.Delete(ctx, secretSessionID); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	// A session saved after its end is not kept.
	if err := w.Save(ctx, testSession("ENDED", -time.Second)); err != nil || rdb.Exists(ctx, w.SessionKey("ENDED")).Val() != 0 {
		t.Errorf("ended session: %v, exists=%d", err, rdb.Exists(ctx, w.SessionKey("ENDED")).Val())
	}
	// Redis expires a session with its end.
	short := testSession("SHORT", 0)
	short.ExpiresAt = time.Now().Add(300 * time.Millisecond)
	if err := w.Save(ctx, short); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Load(ctx, "SHORT"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the session's expiry", func() bool { return rdb.Exists(ctx, w.SessionKey("SHORT")).Val() == 0 })
	noSession("expired", "SHORT")
}

// waitFor polls cond until it holds, for at most a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

// TestWebStoreRevoke: Revoke is atomic across processes (stores with
// their own connections): of concurrent calls with one id exactly one
// reports false; the record lives until the given time.
func TestWebStoreRevoke(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := testContext(t)
	const stores, goroutines, ids = 4, 8, 20
	ws := make([]*WebStore, stores)
	for i := range ws {
		ws[i] = newWebStore(t, srv.Client(), WithKeyPrefix("rev:"))
	}
	for n := range ids {
		id := fmt.Sprintf("login:%s%d", secretState, n)
		var mu sync.Mutex
		first := 0
		var wg sync.WaitGroup
		for i := range stores * goroutines {
			wg.Go(func() {
				already, err := ws[i%stores].Revoke(ctx, id, time.Now().Add(10*time.Minute))
				if err != nil {
					t.Error(err)
					return
				}
				if !already {
					mu.Lock()
					first++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if first != 1 {
			t.Fatalf("id %d: %d of %d concurrent Revokes reported false, want exactly 1", n, first, stores*goroutines)
		}
	}
	w := ws[0]
	key := w.RevocationKey("login:" + secretState + "0")
	if ttl := srv.Client().PTTL(ctx, key).Val(); ttl > 10*time.Minute || ttl < 9*time.Minute {
		t.Errorf("PTTL %v, want the 10 minutes until the given time", ttl)
	}
	if strings.Contains(key, secretState) || !strings.HasPrefix(key, "rev:revoked:") {
		t.Errorf("key %s", key)
	}
	if ok, err := w.Revoked(ctx, "login:"+secretState+"0"); !ok || err != nil {
		t.Errorf("Revoked = %v, %v", ok, err)
	}
	if ok, err := w.Revoked(ctx, "login:never"); ok || err != nil {
		t.Errorf("Revoked(never) = %v, %v", ok, err)
	}
	// A record lives until the given time, no longer.
	if already, err := w.Revoke(ctx, "session:short", time.Now().Add(300*time.Millisecond)); already || err != nil {
		t.Fatalf("Revoke = %v, %v", already, err)
	}
	waitFor(t, "the revocation's expiry", func() bool { ok, _ := w.Revoked(ctx, "session:short"); return !ok })
	// A time already past still records (for a moment), atomically.
	if already, err := w.Revoke(ctx, "session:past", time.Now().Add(-time.Hour)); already || err != nil {
		t.Errorf("Revoke(past) = %v, %v", already, err)
	}
}

// TestWebStoreTokens: the per-user store is a Store under a key of the
// user's own (hashed), encrypted, expiring WithTokenTTL after its save,
// a lock, and deletable.
func TestWebStoreTokens(t *testing.T) {
	t.Parallel()
	rdb, ctx := startRedis(t)
	w := newWebStore(t, rdb, WithKeyPrefix("tok:"), WithTokenTTL(2*time.Hour))
	a, b := w.TokenStore("zhangsan"), w.TokenStore("lisi")
	if err := a.Save(ctx, testToken(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Load(ctx); !errors.Is(err, auth.ErrNoToken) {
		t.Errorf("another user's store: %v, want auth.ErrNoToken", err)
	}
	got, err := w.TokenStore("zhangsan").Load(ctx)
	if err != nil || got.RefreshToken != testToken(1).RefreshToken {
		t.Fatalf("Load = %v, %v", got, err)
	}
	key := a.(*Store).TokenKey()
	raw := rdb.HGet(ctx, key, "data").Val()
	if strings.Contains(raw, secretAccess) || strings.Contains(raw, secretRefresh) || strings.Contains(key, "zhangsan") {
		t.Errorf("Redis shows a secret or the username: %s = %.40q…", key, raw)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl > 2*time.Hour || ttl < 119*time.Minute {
		t.Errorf("PTTL %v, want WithTokenTTL's 2h", ttl)
	}
	unlock, err := a.(auth.Locker).Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := a.(web.TokenDeleter).Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.TokenStore("zhangsan").Load(ctx); !errors.Is(err, auth.ErrNoToken) {
		t.Errorf("after Delete: %v, want auth.ErrNoToken", err)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Error("the token key is still there")
	}
}

// TestWebStoreUnreachable: every call fails with go-redis's error (which
// web turns into its 503 page), never with web.ErrNoSession (which would
// make a signed-in user anonymous), and names no ID.
func TestWebStoreUnreachable(t *testing.T) {
	t.Parallel()
	w := newWebStore(t, stoppedRedis(t))
	ctx := testContext(t)
	_, errLoad := w.Load(ctx, secretSessionID)
	errSave := w.Save(ctx, testSession(secretSessionID, time.Hour))
	errDelete := w.Delete(ctx, secretSessionID)
	_, errRevoke := w.Revoke(ctx, "login:"+secretState, time.Now().Add(time.Minute))
	_, errRevoked := w.Revoked(ctx, "login:"+secretState)
	errToken := w.TokenStore("zhangsan").Save(ctx, testToken(1))
	for name, err := range map[string]error{"Load": errLoad, "Save": errSave, "Delete": errDelete,
		"Revoke": errRevoke, "Revoked": errRevoked, "token Save": errToken} {
		t.Logf("%s: %v", name, err)
		if err == nil || errors.Is(err, web.ErrNoSession) || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("%s: %v, want go-redis's connection error", name, err)
		}
		for _, s := range []string{secretSessionID, secretState, secretCSRF, "zhangsan"} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error shows %q", name, s)
			}
		}
	}
}

// TestWebStoreNoSecretsPrinted: a WebStore prints no key material or Redis
// password under any fmt verb or through slog; its logs and errors show
// no session ID, CSRF token, personal data or key material.
func TestWebStoreNoSecretsPrinted(t *testing.T) {
	t.Parallel()
	rdb, ctx := startRedis(t)
	const password = "redis-PASSWORD-1c77aa"
	pwClient := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", Password: password})
	t.Cleanup(func() { _ = pwClient.Close() })
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var out bytes.Buffer
	for _, w := range []*WebStore{newWebStore(t, pwClient, WithEncryptionKeys(key32, key16), WithLogger(logger))} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
			fmt.Fprintf(&out, verb+"\n", w)
			fmt.Fprintf(&out, verb+"\n", *w)
		}
		fmt.Fprintln(&out, w, *w, []*WebStore{w}, struct{ W *WebStore }{w})
		slog.New(slog.NewTextHandler(&out, nil)).Info("store", "store", w, "value", *w)
		slog.New(slog.NewJSONHandler(&out, nil)).Info("store", "store", w, "value", *w)
	}
	// The logging and error paths of a live store: a session that does
	// not decrypt, a corrupt one, token saves and deletes.
	live := newWebStore(t, rdb, WithEncryptionKeys(key32), WithLogger(logger), WithKeyPrefix("log:"))
	if err := live.Save(ctx, testSession(secretSessionID, time.Hour)); err != nil {
		t.Fatal(err)
	}
	retired := newWebStore(t, rdb, WithEncryptionKeys(key32b), WithLogger(logger), WithKeyPrefix("log:"))
	_, err := retired.Load(ctx, secretSessionID)
	fmt.Fprintln(&out, err)
	sealed, _ := live.cfg.keys.seal([]byte(`{"id":"`+secretSessionID+`","csrf":"`+secretCSRF), live.SessionKey("CORRUPT"))
	rdb.Set(ctx, live.SessionKey("CORRUPT"), sealed, time.Hour)
	_, err = live.Load(ctx, "CORRUPT")
	fmt.Fprintln(&out, err)
	ts := live.TokenStore("zhangsanfeng")
	if err := ts.Save(ctx, testToken(1)); err != nil {
		t.Fatal(err)
	}
	if err := ts.(web.TokenDeleter).Delete(ctx); err != nil {
		t.Fatal(err)
	}
	all := out.String() + logs.String()
	t.Logf("printed:\n%s", all)
	forbidden := []string{password, secretSessionID, secretCSRF, personalName, personalEmail, "zhangsanfeng", secretAccess, secretRefresh}
	for _, k := range [][]byte{key32, key32b, key16} {
		forbidden = append(forbidden, string(k), hex.EncodeToString(k), fmt.Sprint(k), fmt.Sprintf("%v", k[:4]))
	}
	for _, f := range forbidden {
		if strings.Contains(all, f) {
			t.Errorf("output shows %q", f)
		}
	}
	for _, want := range []string{"cannot be decrypted", "is corrupt", "log:session:", "deleted token"} {
		if !strings.Contains(all, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
