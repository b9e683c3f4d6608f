// Command webapp is the Python client's Flask example in net/http, as a
// thin user of package web: a web application that signs its users in with
// jAccount and shows their profile.
//
//	go run ./examples/webapp
//
// Routes: / (a greeting from the ID token, or a login link), /profile (the
// profile read from the API as the user; anonymous visitors go through the
// login and come back), /account (the greeting, for signed-in users only),
// and package web's /jaccount/login, /jaccount/auth
// (the callback) and /jaccount/logout (a POST with a CSRF token, which ends
// the app's session and then jAccount's). The login's state, nonce and PKCE
// verifier and the session live in AES-GCM-encrypted, HttpOnly cookies; the
// users' tokens stay on the server.
//
// With no configuration it starts the embedded fake jAccount and serves on
// WEBAPP_ADDR (default 127.0.0.1:8080); log in as zhangsan with password
// zhangsan-password. With JACCOUNT_CLIENT_ID, JACCOUNT_CLIENT_SECRET and
// JACCOUNT_REDIRECT_URL set (e.g. http://localhost:8080/jaccount/auth) it
// uses the real jAccount and serves on the redirect URL's host and port
// (or WEBAPP_ADDR).
// WEBAPP_SESSION_KEY (at least 32 random bytes, e.g. from
// `openssl rand -base64 32`) keeps sessions valid across restarts; without
// it a random key is made at start. Set WEBAPP_BEHIND_TLS=1 when a proxy
// terminates TLS in front of the app, so that its cookies are Secure.
//
// Several instances behind a load balancer: give them all the same
// WEBAPP_SESSION_KEY and WEBAPP_REDIS_URL (redis://host:port/db), and each
// its own WEBAPP_ADDR, with JACCOUNT_REDIRECT_URL naming the balancer.
// Sessions, logged-out sessions, used login attempts and the users'
// tokens then live in Redis (package auth/redisstore's WebStore, under the
// keys WEBAPP_REDIS_PREFIX, default "webapp:"), so every instance knows
// what the others did and a restarted instance keeps its users signed
// in. They are encrypted there under a key derived from
// WEBAPP_SESSION_KEY. Without WEBAPP_REDIS_URL they stay in each process.
package main

import (
	"cmp"
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-jaccount/jaccount-go/auth/redisstore"
	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	setup.Main("webapp", func(ctx context.Context, env *setup.Env) error { return run(ctx, env, os.Getenv, log) })
}

// run serves the app until ctx ends, on getenv("WEBAPP_ADDR"), by default
// 127.0.0.1:8080 against the fake and the redirect URL's host and port
// against the real jAccount.
func run(ctx context.Context, env *setup.Env, getenv func(string) string, log *slog.Logger) error {
	addr := getenv("WEBAPP_ADDR")
	if addr == "" && env.Fake == nil {
		u, err := url.Parse(env.Config.RedirectURL)
		if err != nil {
			return fmt.Errorf("%s: %w", setup.EnvRedirectURL, err)
		}
		addr = u.Host
	}
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	base := "http://" + ln.Addr().String()
	s := settings{key: []byte(getenv("WEBAPP_SESSION_KEY")), behindTLS: getenv("WEBAPP_BEHIND_TLS") != ""}
	if redisURL := getenv("WEBAPP_REDIS_URL"); redisURL != "" {
		rdb, err := redisStores(&s, redisURL, getenv("WEBAPP_REDIS_PREFIX"), log)
		if err != nil {
			_ = ln.Close()
			return err
		}
		defer rdb.Close()
	}
	if len(s.key) == 0 {
		s.key = []byte(rand.Text() + rand.Text()) // 260 random bits; sessions end with the process
		log.Info("webapp: WEBAPP_SESSION_KEY is not set; sessions last until the process stops")
	}
	h, err := newApp(env, base, s, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Info("webapp: open "+base+"/", slog.String("jaccount", env.Where()))
	if env.Fake != nil {
		log.Info("webapp: fake accounts", slog.String("student", jaccounttest.StudentUsername+" / "+jaccounttest.StudentPassword),
			slog.String("faculty", jaccounttest.FacultyUsername+" / "+jaccounttest.FacultyPassword))
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// redisStores sets s.redis to the web stores in the Redis at redisURL,
// under prefix (default "webapp:"), encrypted with a key derived from the
// session key, and returns the client to close.
func redisStores(s *settings, redisURL, prefix string, log *slog.Logger) (*redis.Client, error) {
	if len(s.key) == 0 {
		return nil, errors.New("WEBAPP_REDIS_URL needs WEBAPP_SESSION_KEY, the same for every instance")
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("WEBAPP_REDIS_URL: %w", err) // go-redis's errors do not repeat the URL
	}
	// One secret for both: the store's AES-256 key is derived from the
	// session key, separated from the cookies' key by its label.
	storeKey, err := hkdf.Key(sha256.New, s.key, nil, "jaccount-go examples/webapp: redis store", 32)
	if err != nil {
		return nil, err
	}
	prefix = cmp.Or(prefix, "webapp:")
	rdb := redis.NewClient(opt)
	s.redis, err = redisstore.NewWebStore(rdb, redisstore.WithKeyPrefix(prefix), redisstore.WithEncryptionKeys(storeKey),
		redisstore.WithLogger(log))
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	log.Info("webapp: sessions, revocations and tokens in redis", slog.String("addr", opt.Addr), slog.String("prefix", prefix))
	return rdb, nil
}
