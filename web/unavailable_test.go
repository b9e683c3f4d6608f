package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/auth"
)

// errStoreDown is what a store that is down returns; its text must never
// reach a page.
var errStoreDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused (store-down-3f9a)")

// downableStore is a MemoryStore (sessions, revocations, tokens) that can
// be taken down, as a Redis server can: while down every call fails.
type downableStore struct {
	*MemoryStore
	down atomic.Bool
}

func (d *downableStore) err() error {
	if d.down.Load() {
		return errStoreDown
	}
	return nil
}

func (d *downableStore) Save(ctx context.Context, s *Session) error {
	if err := d.err(); err != nil {
		return err
	}
	return d.MemoryStore.Save(ctx, s)
}

func (d *downableStore) Load(ctx context.Context, id string) (*Session, error) {
	if err := d.err(); err != nil {
		return nil, err
	}
	return d.MemoryStore.Load(ctx, id)
}

func (d *downableStore) Delete(ctx context.Context, id string) error {
	if err := d.err(); err != nil {
		return err
	}
	return d.MemoryStore.Delete(ctx, id)
}

func (d *downableStore) Revoke(ctx context.Context, id string, until time.Time) (bool, error) {
	if err := d.err(); err != nil {
		return false, err
	}
	return d.MemoryStore.Revoke(ctx, id, until)
}

func (d *downableStore) Revoked(ctx context.Context, id string) (bool, error) {
	if err := d.err(); err != nil {
		return false, err
	}
	return d.MemoryStore.Revoked(ctx, id)
}

func (d *downableStore) TokenStore(subject string) auth.TokenStore {
	return downableTokens{d, d.MemoryStore.TokenStore(subject).(memTokens)}
}

type downableTokens struct {
	d *downableStore
	memTokens
}

func (t downableTokens) Load(ctx context.Context) (*auth.Token, error) {
	if err := t.d.err(); err != nil {
		return nil, err
	}
	return t.memTokens.Load(ctx)
}

func (t downableTokens) Save(ctx context.Context, tok *auth.Token) error {
	if err := t.d.err(); err != nil {
		return err
	}
	return t.memTokens.Save(ctx, tok)
}

func (t downableTokens) Delete(ctx context.Context) error {
	if err := t.d.err(); err != nil {
		return err
	}
	return t.memTokens.Delete(ctx)
}

// TestStoreUnavailable: while the stores are down, every page that needs
// them (RequireUser, OptionalUser, login, callback, logout) is the 503
// error page, with Retry-After and without the store's error, and nothing
// changes for the user: once the stores are back, the same browser is
// still signed in, a callback that got the 503 completes when reloaded,
// and a logout that got the 503 works. Before, a session store that
// failed made the request anonymous (a signed-in user was sent to log in
// again, and that login then failed with a 500 "login failed" page), and a
// logout whose store failed cleared the cookie and reported success while
// the session stayed valid for every copy of the cookie.
func TestStoreUnavailable(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"cookie", "store"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			st := &downableStore{MemoryStore: NewMemoryStore()}
			opts := []Option{WithRevocationStore(st), WithTokenStore(st.TokenStore)}
			if mode == "store" {
				opts = append(opts, WithSessionStore(st))
			}
			a, b := signedIn(t, opts...)
			csrf := a.csrf(t, b)
			// A login started before the outage, at jAccount during it.
			other := newBrowser()
			callback := a.atJAccount(t, other, a.toJAccount(t, other, a.url+"/private?from=other"))

			st.down.Store(true)
			unavailable := func(name string, p page) {
				t.Helper()
				if p.status != http.StatusServiceUnavailable || p.header.Get("Retry-After") == "" ||
					!strings.Contains(p.body, `data-kind="unavailable"`) || !strings.Contains(p.body, "temporarily unavailable") ||
					!strings.Contains(p.body, `<a id="retry" href="`) || strings.Contains(p.body, `id="login"`) {
					t.Errorf("%s while the store is down: %d Retry-After=%q: %s", name, p.status, p.header.Get("Retry-After"), p.body)
				}
				if strings.Contains(p.body, "code=") || strings.Contains(p.body, "state=") {
					t.Errorf("%s: the page repeats the URL's code or state: %s", name, p.body)
				}
				if strings.Contains(p.body, "store-down-3f9a") || strings.Contains(p.body, "goroutine") || strings.Contains(p.body, csrf) {
					t.Errorf("%s: the page shows an error's text or a secret: %s", name, p.body)
				}
				for _, c := range p.cookies {
					if c.MaxAge < 0 {
						t.Errorf("%s deleted the cookie %s", name, c.Name)
					}
				}
			}
			unavailable("GET /private (RequireUser)", b.get(t, a.url+"/private"))
			unavailable("POST /private (RequireUser)", b.do(t, http.MethodPost, a.url+"/private", url.Values{}))
			unavailable("GET / (OptionalUser)", b.get(t, a.url+"/"))
			unavailable("GET the login", b.get(t, a.url+"/jaccount/login"))
			unavailable("the callback", other.get(t, callback))
			unavailable("POST the logout", b.do(t, http.MethodPost, a.url+"/jaccount/logout", url.Values{CSRFField: {csrf}}))
			if !strings.Contains(a.logs.String(), "store-down-3f9a") || !strings.Contains(a.logs.String(), "status=503") {
				t.Errorf("the log does not say why: %s", a.logs.String())
			}

			st.down.Store(false)
			if p := b.get(t, a.url+"/private"); p.status != http.StatusOK || !strings.HasPrefix(p.body, "private zhangsan") {
				t.Fatalf("after the store came back: %d %s", p.status, p.body)
			}
			if p := other.get(t, callback); p.status != http.StatusSeeOther || p.location != "/private?from=other" {
				t.Fatalf("the callback reloaded after the store came back: %d to %q: %s", p.status, p.location, p.body)
			}
			if p := other.get(t, a.url+"/"); p.body != "hello zhangsan" {
				t.Errorf("the reloaded callback did not sign in: %q", p.body)
			}
			stolen := a.sessionCookies(b)
			if p := b.do(t, http.MethodPost, a.url+"/jaccount/logout", url.Values{CSRFField: {csrf}}); p.status != http.StatusSeeOther {
				t.Fatalf("logout after the store came back: %d %s", p.status, p.body)
			}
			if p := a.withCookies(stolen).get(t, a.url+"/"); p.body != "anonymous" {
				t.Errorf("the session cookie copied before the logout: %q", p.body)
			}
		})
	}
}
