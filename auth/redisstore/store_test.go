package redisstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore/redistest"
)

// Secrets of the test tokens; no output may contain them.
const (
	secretAccess  = "access-SECRET-7f3a9c"
	secretRefresh = "refresh-SECRET-51d2e8"
	secretID      = "idtoken-SECRET-c4b6a0"
)

func testToken(n int) *auth.Token {
	return &auth.Token{
		AccessToken:  fmt.Sprintf("%s-%d", secretAccess, n),
		RefreshToken: fmt.Sprintf("%s-%d", secretRefresh, n),
		IDToken:      fmt.Sprintf("%s-%d", secretID, n),
		TokenType:    "bearer",
		Expiry:       time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Scope:        "basic lessons",
		Claims:       &auth.IDTokenClaims{Subject: "zhangsan", Name: "张三"},
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// startRedis starts a redis-server for t and returns a client of it and a
// context bounded for the test.
func startRedis(t *testing.T) (*redis.Client, context.Context) {
	return redistest.Start(t).Client(), testContext(t)
}

// stoppedRedis returns a client, without retries, of a Redis that has
// stopped: every command fails at once with "connection refused".
func stoppedRedis(t *testing.T) *redis.Client {
	srv := redistest.Start(t)
	srv.Stop()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func newStore(t *testing.T, rdb redis.UniversalClient, opts ...Option) *Store {
	t.Helper()
	s, err := New(rdb, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	key16  = bytes.Repeat([]byte{0x11}, 16)
	key32  = bytes.Repeat([]byte{0x32}, 32)
	key32b = bytes.Repeat([]byte{0x5b}, 32)
)

func TestOptions(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never contacted
	t.Cleanup(func() { _ = rdb.Close() })
	valid := []struct {
		name string
		opts []Option
		want string
	}{
		{"zero values are the defaults", []Option{WithKeyPrefix(""), WithLeaseTTL(0), WithTokenTTL(0), WithEncryptionKeys(nil), WithLogger(nil), nil},
			`redisstore.Store{TokenKey: "jaccount:token", LockKey: "jaccount:lock", LeaseTTL: 10s, TokenTTL: none, Encrypted: no}`},
		{"all set", []Option{WithKeyPrefix("jaccount:job-7:"), WithLeaseTTL(3 * time.Second), WithTokenTTL(24 * time.Hour), WithEncryptionKeys(key32, key16)},
			`redisstore.Store{TokenKey: "jaccount:job-7:token", LockKey: "jaccount:job-7:lock", LeaseTTL: 3s, TokenTTL: 24h0m0s, Encrypted: AES-GCM, key `},
		{"minimums", []Option{WithLeaseTTL(MinLeaseTTL), WithTokenTTL(MinTokenTTL)}, "LeaseTTL: 1s, TokenTTL: 1m0s"},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			if got := newStore(t, rdb, tt.opts...).String(); !strings.Contains(got, tt.want) {
				t.Errorf("got %s, want it to contain %s", got, tt.want)
			}
		})
	}
	invalid := []struct {
		name string
		opt  Option
		says string // the option the error names
	}{
		{"negative lease", WithLeaseTTL(-time.Second), "WithLeaseTTL(-1s)"},
		{"lease below the minimum", WithLeaseTTL(999 * time.Millisecond), "WithLeaseTTL(999ms)"},
		{"negative token TTL", WithTokenTTL(-time.Minute), "WithTokenTTL(-1m0s)"},
		{"token TTL below the minimum", WithTokenTTL(59 * time.Second), "WithTokenTTL(59s)"},
		{"prefix with a space", WithKeyPrefix("my job:"), "WithKeyPrefix"},
		{"prefix with a newline", WithKeyPrefix("job\n"), "WithKeyPrefix"},
		{"prefix not UTF-8", WithKeyPrefix("job\xff"), "WithKeyPrefix"},
		{"prefix too long", WithKeyPrefix(strings.Repeat("p", 257)), "WithKeyPrefix"},
		{"short key", WithEncryptionKeys([]byte("short")), "WithEncryptionKeys"},
		{"bad previous key", WithEncryptionKeys(key32, make([]byte, 31)), "WithEncryptionKeys"},
		{"previous without current", WithEncryptionKeys(nil, key32), "WithEncryptionKeys"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			// New and NewWebStore share the options, and refuse the same
			// values; a nil option before the invalid one is skipped.
			s, err := New(rdb, nil, tt.opt)
			if !errors.Is(err, ErrInvalidOption) || !errors.Is(err, auth.ErrInvalidOption) || s != nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("New = %v, %v; want an error matching ErrInvalidOption that names %s", s, err, tt.says)
			}
			if strings.Contains(err.Error(), string(key32)) {
				t.Error("the error shows key material")
			}
			w, err := NewWebStore(rdb, WithEncryptionKeys(key32b), nil, tt.opt)
			if !errors.Is(err, ErrInvalidOption) || w != nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("NewWebStore = %v, %v; want an error matching ErrInvalidOption that names %s", w, err, tt.says)
			}
		})
	}
	if _, err := New(nil); !errors.Is(err, auth.ErrInvalidOption) {
		t.Errorf("New(nil) = %v", err)
	}
}

func TestLoadSave(t *testing.T) {
	t.Parallel()
	rdb, ctx := startRedis(t)
	for _, enc := range []bool{false, true} {
		t.Run(fmt.Sprintf("encrypted=%v", enc), func(t *testing.T) {
			opts := []Option{WithKeyPrefix(fmt.Sprintf("t%v:", enc))}
			if enc {
				opts = append(opts, WithEncryptionKeys(key32))
			}
			s := newStore(t, rdb, opts...)
			if _, err := s.Load(ctx); !errors.Is(err, auth.ErrNoToken) {
				t.Fatalf("empty store: Load = %v, want auth.ErrNoToken", err)
			}
			want := testToken(1)
			for gen := 1; gen <= 3; gen++ {
				want = testToken(gen)
				if err := s.Save(ctx, want); err != nil {
					t.Fatal(err)
				}
				if g, _ := rdb.HGet(ctx, s.TokenKey(), "gen").Int(); g != gen {
					t.Errorf("generation %d after %d saves", g, gen)
				}
			}
			got, err := newStore(t, rdb, opts...).Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken || got.IDToken != want.IDToken ||
				!got.Expiry.Equal(want.Expiry) || got.Scope != want.Scope || got.Claims == nil || got.Claims.Name != "张三" {
				t.Errorf("loaded %+v, want %+v", got, want)
			}
			raw, _ := rdb.HGet(ctx, s.TokenKey(), "data").Result()
			if leaked := strings.Contains(raw, secretAccess) || strings.Contains(raw, secretRefresh); leaked == enc {
				t.Errorf("encrypted=%v but the token in Redis shows the secrets=%v: %.60q", enc, leaked, raw)
			}
			if ttl := rdb.PTTL(ctx, s.TokenKey()).Val(); ttl != -1 {
				t.Errorf("PTTL %v without WithTokenTTL, want none (-1)", ttl)
			}
		})
	}
	t.Run("TTL", func(t *testing.T) {
		s := newStore(t, rdb, WithKeyPrefix("ttl:"), WithTokenTTL(time.Hour))
		if err := s.Save(ctx, testToken(1)); err != nil {
			t.Fatal(err)
		}
		if ttl := rdb.PTTL(ctx, s.TokenKey()).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
			t.Errorf("PTTL %v, want about an hour", ttl)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		s := newStore(t, rdb, WithKeyPrefix("corrupt:"))
		rdb.HSet(ctx, s.TokenKey(), "gen", 4, "ver", "x", "data", `{"access_token": "`+secretAccess)
		_, err := s.Load(ctx)
		if err == nil || errors.Is(err, auth.ErrNoToken) || strings.Contains(err.Error(), secretAccess) {
			t.Errorf("corrupt token: Load = %v", err)
		}
	})
}

// TestFencing: a save is refused when another writer stored a token since
// this Store loaded, whatever happened to the key in between.
func TestFencing(t *testing.T) {
	t.Parallel()
	rdb, ctx := startRedis(t)
	tests := []struct {
		name string
		// between runs after a loaded and b loaded; then b saves (if
		// bSaves) and a saves.
		between      func(t *testing.T, a, b *Store)
		bSaves       bool
		wantConflict bool
	}{
		{"nobody else saved", func(*testing.T, *Store, *Store) {}, false, false},
		{"another process saved", func(*testing.T, *Store, *Store) {}, true, true},
		{"the key was deleted and re-created with the same generation", func(t *testing.T, a, b *Store) {
			rdb.Del(ctx, a.TokenKey())
			if _, err := b.Load(ctx); !errors.Is(err, auth.ErrNoToken) {
				t.Fatal(err)
			}
		}, true, true},
		{"the key was deleted", func(t *testing.T, a, _ *Store) { rdb.Del(ctx, a.TokenKey()) }, false, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := WithKeyPrefix(fmt.Sprintf("fence%d:", i))
			seed := newStore(t, rdb, prefix)
			if err := seed.Save(ctx, testToken(1)); err != nil { // never loaded: unconditional
				t.Fatal(err)
			}
			a, b := newStore(t, rdb, prefix), newStore(t, rdb, prefix)
			for _, s := range []*Store{a, b} {
				if _, err := s.Load(ctx); err != nil {
					t.Fatal(err)
				}
			}
			tt.between(t, a, b)
			if tt.bSaves {
				if err := b.Save(ctx, testToken(2)); err != nil {
					t.Fatal(err)
				}
			}
			err := a.Save(ctx, testToken(3))
			if errors.Is(err, auth.ErrSaveConflict) != tt.wantConflict {
				t.Fatalf("a.Save = %v, want conflict %v", err, tt.wantConflict)
			}
			if !tt.wantConflict {
				return
			}
			t.Log(err)
			// After a conflict, the store still holds the other token; a
			// re-read makes the next save go through.
			got, err := a.Load(ctx)
			if tt.bSaves && (err != nil || got.AccessToken != testToken(2).AccessToken) {
				t.Fatalf("after the refused save the store holds %v (%v), want b's token", got, err)
			}
			if err := a.Save(ctx, testToken(4)); err != nil {
				t.Fatalf("save after re-reading: %v", err)
			}
		})
	}
}

func TestEncryptionKeys(t *testing.T) {
	t.Parallel()
	rdb, ctx := startRedis(t)
	save := func(t *testing.T, prefix string, opts ...Option) *Store {
		t.Helper()
		s := newStore(t, rdb, append(opts, WithKeyPrefix(prefix))...)
		if err := s.Save(ctx, testToken(1)); err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name    string
		saveOpt []Option
		loadOpt []Option
		tamper  func(s *Store)
		wantErr bool
	}{
		{"same key", []Option{WithEncryptionKeys(key32)}, []Option{WithEncryptionKeys(key32)}, nil, false},
		{"AES-128", []Option{WithEncryptionKeys(key16)}, []Option{WithEncryptionKeys(key16)}, nil, false},
		{"rotated: the old key is a previous key", []Option{WithEncryptionKeys(key32)}, []Option{WithEncryptionKeys(key32b, key16, key32)}, nil, false},
		{"retired key", []Option{WithEncryptionKeys(key32)}, []Option{WithEncryptionKeys(key32b)}, nil, true},
		{"encrypted, read without keys", []Option{WithEncryptionKeys(key32)}, nil, nil, true},
		{"not encrypted, read with keys", nil, []Option{WithEncryptionKeys(key32)}, nil, true},
		{"tampered with", []Option{WithEncryptionKeys(key32)}, []Option{WithEncryptionKeys(key32)}, func(s *Store) {
			raw := rdb.HGet(ctx, s.TokenKey(), "data").Val()
			i := len(raw) - 5
			c := byte('A')
			if raw[i] == 'A' {
				c = 'B'
			}
			rdb.HSet(ctx, s.TokenKey(), "data", raw[:i]+string(c)+raw[i+1:])
		}, true},
		{"moved to another key", []Option{WithEncryptionKeys(key32)}, []Option{WithEncryptionKeys(key32)}, func(s *Store) {
			raw := rdb.HGet(ctx, "other:token", "data").Val()
			rdb.HSet(ctx, s.TokenKey(), "data", raw)
		}, true},
		{"malformed envelope", []Option{WithEncryptionKeys(key32)}, []Option{WithEncryptionKeys(key32)}, func(s *Store) {
			rdb.HSet(ctx, s.TokenKey(), "data", "jgenc1:zz\x00")
		}, true},
	}
	save(t, "other:", WithEncryptionKeys(key32))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := fmt.Sprintf("enc%d:", i)
			s := save(t, prefix, tt.saveOpt...)
			if tt.tamper != nil {
				tt.tamper(s)
			}
			r := newStore(t, rdb, append(tt.loadOpt, WithKeyPrefix(prefix))...)
			got, err := r.Load(ctx)
			if tt.wantErr {
				if !errors.Is(err, ErrDecrypt) {
					t.Fatalf("Load = %v, %v; want ErrDecrypt", got, err)
				}
				t.Log(err)
				for _, k := range [][]byte{key16, key32, key32b} {
					if strings.Contains(err.Error(), hex.EncodeToString(k)) || strings.Contains(err.Error(), string(k)) {
						t.Error("the error shows a key")
					}
				}
				return
			}
			if err != nil || got.RefreshToken != testToken(1).RefreshToken {
				t.Fatalf("Load = %v, %v", got, err)
			}
			// The next save re-encrypts under the current key.
			if err := r.Save(ctx, got); err != nil {
				t.Fatal(err)
			}
			if _, err := newStore(t, rdb, tt.loadOpt[0], WithKeyPrefix(prefix)).Load(ctx); err != nil {
				t.Fatalf("after re-saving, the current key alone does not read it: %v", err)
			}
		})
	}
}

func TestLockExcludes(t *testing.T) {
	t.Parallel()
	rdb, ctx := startRedis(t)
	// Four "processes" (Stores) with four goroutines each.
	const stores, goroutines, rounds = 4, 4, 25
	var inside, maxInside, total atomic.Int64
	var wg sync.WaitGroup
	for range stores {
		s := newStore(t, rdb, WithKeyPrefix("excl:"))
		for range goroutines {
			wg.Go(func() {
				for range rounds {
					unlock, err := s.Lock(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					n := inside.Add(1)
					for m := maxInside.Load(); n > m && !maxInside.CompareAndSwap(m, n); m = maxInside.Load() {
					}
					total.Add(1)
					inside.Add(-1)
					if err := unlock(); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
	wg.Wait()
	t.Logf("%d lock holdings, at most %d at a time", total.Load(), maxInside.Load())
	if maxInside.Load() != 1 || total.Load() != stores*goroutines*rounds {
		t.Fatalf("%d holdings, at most %d at once", total.Load(), maxInside.Load())
	}
	if n := rdb.Exists(ctx, "excl:lock").Val(); n != 0 {
		t.Error("the lock key is left behind")
	}
}

// TestLease: the lease is renewed while held, expires when its holder
// stops renewing, and a holder whose lease was taken over neither renews nor
// releases the new holder's lease.
func TestLease(t *testing.T) {
	t.Parallel()
	rdb, ctx := startRedis(t)
	const ttl = MinLeaseTTL

	t.Run("renewed while held", func(t *testing.T) {
		a := newStore(t, rdb, WithKeyPrefix("renew:"), WithLeaseTTL(ttl))
		b := newStore(t, rdb, WithKeyPrefix("renew:"), WithLeaseTTL(ttl))
		unlock, err := a.Lock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// b waits through three lease lifetimes without getting it.
		wctx, cancel := context.WithTimeout(ctx, 3*ttl)
		_, err = b.Lock(wctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("b.Lock while a holds and renews = %v, want a timeout", err)
		}
		t.Log(err)
		if err := unlock(); err != nil {
			t.Fatal(err)
		}
		unlockB, err := b.Lock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = unlockB()
	})
	t.Run("expires when its holder stops", func(t *testing.T) {
		// A holder that stopped: its key is there, nobody renews it.
		rdb.Set(ctx, "dead:lock", "a-dead-process", ttl)
		s := newStore(t, rdb, WithKeyPrefix("dead:"), WithLeaseTTL(ttl))
		unlock, err := s.Lock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v := rdb.Get(ctx, "dead:lock").Val(); v == "a-dead-process" || v == "" {
			t.Errorf("lock value %q", v)
		}
		if err := unlock(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("taken over", func(t *testing.T) {
		var logs bytes.Buffer
		s := newStore(t, rdb, WithKeyPrefix("lost:"), WithLeaseTTL(ttl),
			WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		unlock, err := s.Lock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The lease expired (the process was stopped) and another took it.
		rdb.Set(ctx, "lost:lock", "the-next-holder", 0)
		err = unlock()
		if !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("unlock = %v, want ErrLeaseLost", err)
		}
		if v := rdb.Get(ctx, "lost:lock").Val(); v != "the-next-holder" {
			t.Errorf("the next holder's lease was released: %q", v)
		}
		if err := unlock(); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("second unlock = %v", err)
		}
		if !strings.Contains(logs.String(), "lease expired while held") {
			t.Errorf("no warning logged:\n%s", logs.String())
		}
		// The lease is not renewed either: the next holder's key has no TTL
		// to extend, and keeps its value.
		rdb.Del(ctx, "lost:lock")
	})
	t.Run("cancelled wait", func(t *testing.T) {
		s := newStore(t, rdb, WithKeyPrefix("cancel:"))
		unlock, err := s.Lock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range []*Store{s, newStore(t, rdb, WithKeyPrefix("cancel:"))} { // same process, another one
			wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			_, err := other.Lock(wctx)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Lock = %v, want a timeout", err)
			}
		}
		if err := unlock(); err != nil {
			t.Fatal(err)
		}
		unlock, err = s.Lock(ctx) // the cancelled waits left nothing held
		if err != nil {
			t.Fatal(err)
		}
		_ = unlock()
	})
}

// TestRedisUnreachable: every operation fails at once with an error that
// names the key and wraps go-redis's.
func TestRedisUnreachable(t *testing.T) {
	t.Parallel()
	s := newStore(t, stoppedRedis(t))
	ctx := testContext(t)
	_, errLoad := s.Load(ctx)
	errSave := s.Save(ctx, testToken(1))
	_, errLock := s.Lock(ctx)
	for name, err := range map[string]error{"load": errLoad, "save": errSave, "lock": errLock} {
		if err == nil || !strings.Contains(err.Error(), "redisstore: ") || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
	// The failed Lock let go of the in-process lock.
	s.localLock <- struct{}{}
}

// TestNoSecretsPrinted: a Store prints no key material and no Redis
// password under any fmt verb or through slog, and its logs show no token.
func TestNoSecretsPrinted(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := testContext(t)
	const password = "redis-PASSWORD-93be1f"
	pwClient := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", Password: password})
	t.Cleanup(func() { _ = pwClient.Close() })
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newStore(t, pwClient, WithEncryptionKeys(key32, key16), WithLogger(logger))

	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%p"} {
		fmt.Fprintf(&out, verb+"\n", s)
		if verb != "%p" {
			fmt.Fprintf(&out, verb+"\n", *s)
		}
	}
	fmt.Fprintln(&out, s, *s, []*Store{s}, map[string]Store{"s": *s}, struct{ S *Store }{s})
	slog.New(slog.NewTextHandler(&out, nil)).Info("store", "store", s, "value", *s)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("store", "store", s, "value", *s)

	// Exercise the logging paths: lock, save, conflict, load.
	live := newStore(t, srv.Client(), WithEncryptionKeys(key32), WithLogger(logger), WithKeyPrefix("log:"))
	other := newStore(t, srv.Client(), WithEncryptionKeys(key32), WithKeyPrefix("log:"))
	unlock, err := live.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := live.Load(ctx); !errors.Is(err, auth.ErrNoToken) {
		t.Fatal(err)
	}
	if err := other.Save(ctx, testToken(1)); err != nil {
		t.Fatal(err)
	}
	if err := live.Save(ctx, testToken(2)); !errors.Is(err, auth.ErrSaveConflict) {
		t.Fatalf("want a conflict, got %v", err)
	}
	lockValue := srv.Client().Get(ctx, "log:lock").Val()
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	all := out.String() + logs.String()
	t.Logf("printed:\n%s", all)
	forbidden := []string{password, secretAccess, secretRefresh, secretID, lockValue}
	for _, k := range [][]byte{key32, key16} {
		forbidden = append(forbidden, string(k), hex.EncodeToString(k), fmt.Sprintf("%X", k),
			base64.StdEncoding.EncodeToString(k), fmt.Sprint(k), fmt.Sprintf("%v", k[:4]))
	}
	for _, f := range forbidden {
		if f != "" && strings.Contains(all, f) {
			t.Errorf("output shows %q", f)
		}
	}
	for _, want := range []string{"jaccount:token", "save refused", "lock taken"} {
		if !strings.Contains(all, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
