package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// syncBuffer is a log sink safe for the concurrent writes of parallel calls.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestNoSecretsInLogsOrErrors drives every kind of failure in both auth
// modes with debug logging on and checks that neither the log nor any error
// text holds the token, the client_id or a full URL.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	t.Parallel()
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A hostile server that echoes the request line and headers back.
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<pre>" + r.URL.String() + "\n" + r.Header.Get("Authorization") + "</pre>"))
	})
	handlers := map[string]http.Handler{
		"echo 503":  echo,
		"hang up":   hangUp,
		"truncated": truncated,
		"errno echo": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reply(200, "application/json", `{"errno":9,"error":"bad token `+r.URL.Query().Get("access_token")+r.Header.Get("Authorization")+`"}`).ServeHTTP(w, r)
		}),
		"HTML 200": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reply(200, "text/html", "<html>"+r.URL.RawQuery+"</html>").ServeHTTP(w, r)
		}),
		"slow": stall(5*time.Second, false),
		"oversized": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reply(200, "application/json", r.URL.RawQuery+strings.Repeat("x", 4096)).ServeHTTP(w, r)
		}),
		"401 echo": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reply(401, "text/plain", "rejected "+r.URL.RawQuery).ServeHTTP(w, r)
		}),
		"redirect out": http.RedirectHandler("http://127.0.0.1:1/steal", http.StatusTemporaryRedirect),
	}
	for _, query := range []bool{false, true} {
		for name, h := range handlers {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				logs := &syncBuffer{}
				logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				s := newServer(t, h)
				opts := []api.Option{api.WithLogger(logger), api.WithAttemptTimeout(50 * time.Millisecond), api.WithMaxResponseSize(1024)}
				if query {
					opts = append(opts, api.WithQueryAuth(testClientID))
				}
				src := &refreshingSource{cur: testToken, next: testToken + "-2"}
				c := newClientTS(t, s, src, opts...)
				var errs []error
				_, err := c.Profile.Get(t.Context())
				errs = append(errs, err)
				_, err = c.Card.ListTransactions(t.Context(), api.CardListTransactionsParams{CardNo: "1"})
				errs = append(errs, err)
				err = c.Do(t.Context(), http.MethodPost, "/v1/me/card", nil, url.Values{"cardNo": {"1"}}, nil)
				errs = append(errs, err)
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/v1/me/profile", nil)
				resp, err := c.HTTPClient().Do(req)
				if err == nil {
					resp.Body.Close()
				}
				errs = append(errs, err)
				var text strings.Builder
				for _, err := range errs[:3] {
					if err == nil {
						t.Fatal("call succeeded against a failing server")
					}
					var e *api.Error
					if !errors.As(err, &e) {
						t.Fatalf("err %T is not *api.Error", err)
					}
					text.WriteString(err.Error() + e.Body + e.Message + "\n")
				}
				// HTTPClient's errors come from net/http and name the URL,
				// which holds no token: that is added below the retry loop.
				if errs[3] != nil {
					raw := errs[3].Error()
					if strings.Contains(raw, testToken) || strings.Contains(raw, testClientID) {
						t.Errorf("raw error holds a secret: %s", raw)
					}
				}
				logText := logs.String()
				for _, secret := range []string{testToken, testClientID, s.URL} {
					if strings.Contains(text.String(), secret) {
						t.Errorf("error text holds %q:\n%s", secret, text.String())
					}
					if strings.Contains(logText, secret) {
						t.Errorf("log holds %q:\n%s", secret, logText)
					}
				}
				if name == "echo 503" && !strings.Contains(logText, "retrying request") {
					t.Errorf("retries were not logged:\n%s", logText)
				}
			})
		}
	}
}

// TestNoSecretsInValues prints the client and its token source every way fmt
// and slog can: none shows the token or, in query mode, the client id with it.
func TestNoSecretsInValues(t *testing.T) {
	t.Parallel()
	ts := api.StaticToken(testToken)
	// A transport of its own: fmt's bad verbs (%q) follow pointers down to
	// the transport's mutexes, which tests running in parallel would be
	// locking in http.DefaultTransport.
	own := api.WithTransport(&http.Transport{})
	for _, opts := range [][]api.Option{{own}, {own, api.WithQueryAuth(testClientID)}} {
		c, err := api.NewClient(ts, opts...)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]any{"StaticToken": ts, "*Client": c, "Profile service": c.Profile} {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
				if s := fmt.Sprintf(verb, v); strings.Contains(s, testToken) {
					t.Errorf("%s %s leaks the token: %s", name, verb, s)
				}
			}
			var b strings.Builder
			slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "v", v)
			if strings.Contains(b.String(), testToken) {
				t.Errorf("%s through slog leaks the token: %s", name, b.String())
			}
		}
	}
	if tok, err := ts.Token(); err != nil || tok.AccessToken != testToken {
		t.Errorf("StaticToken.Token() = %v, %v", tok, err)
	}
}

// TestDebugLogHoldsNoSecrets runs calls that are retried, refreshed and
// failed, with tokens, a client secret and a user's data in the path, the
// query, the headers, the body and the reply (echoed back by a hostile
// server), in both auth modes, with a logger at every level: no record
// holds any of them. At debug level, each exchange has its record: method,
// path template, query keys, attempt, status, errno, bytes, duration.
func TestDebugLogHoldsNoSecrets(t *testing.T) {
	t.Parallel()
	const (
		revoked  = "revoked-SECRET-token-1"
		secret   = "client-SECRET-42"
		account  = "alice-PERSONAL-account"
		name     = "Alice PERSONAL-Name"
		mobile   = "13900PERSONAL"
		personal = "PERSONAL-header-value"
	)
	echo := func(status int, r *http.Request) string {
		b, _ := io.ReadAll(r.Body)
		return fmt.Sprintf(`{"errno":%d,"error":"echo %s %s %s","total":1,"entities":[{"account":%q,"name":%q,"mobile":%q}]}`,
			map[bool]int{true: 0, false: 50000}[status == 200], r.URL.String(), r.Header.Get("X-Personal"), b, account, name, mobile)
	}
	// Each server answers every other request with a 503 (retried when
	// the call can be repeated), echoing what it got.
	hostile := func() http.Handler {
		var n atomic.Int64
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Set-Cookie", "session="+secret)
			w.Header().Set("X-Echo", r.Header.Get("Authorization")+r.URL.RawQuery)
			w.Header().Set("Content-Type", "application/json")
			status := 200
			if n.Add(1)%2 == 1 {
				status = 503
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, echo(status, r))
		})
	}
	secrets := []string{revoked, testToken, testClientID, secret, account, name, mobile, personal}
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}
	for _, query := range []bool{false, true} {
		for _, level := range levels {
			t.Run(fmt.Sprintf("query auth %v, %v", query, level), func(t *testing.T) {
				t.Parallel()
				var text, js syncBuffer
				both := slog.New(fanout{
					slog.NewTextHandler(&text, &slog.HandlerOptions{Level: level}),
					slog.NewJSONHandler(&js, &slog.HandlerOptions{Level: level}),
				})
				s := newServer(t, hostile())
				opts := []api.Option{api.WithLogger(both), api.WithRetryPolicy(fastRetries)}
				if query {
					opts = append(opts, api.WithQueryAuth(testClientID))
				}
				c := newClientTS(t, s, &refreshingSource{cur: revoked, next: testToken}, opts...)
				hdr := api.WithHeader("X-Personal", personal)
				if _, err := c.Profile.GetUser(t.Context(), account, hdr); err != nil {
					t.Fatalf("GetUser: %v", err)
				}
				_, _ = c.Enterprise.GetUserRights(t.Context(), api.EnterpriseGetUserRightsParams{Account: account}, hdr)
				_ = c.Do(t.Context(), http.MethodPost, "/v1/unmodeled/"+account, url.Values{"mobile": {mobile}},
					url.Values{"client_secret": {secret}, "name": {name}}, nil, hdr)
				_, _ = api.GetList[api.Profile](t.Context(), c, "/v1/profile/"+account, url.Values{"name": {name}}, hdr)
				for kind, log := range map[string]string{"text": text.String(), "JSON": js.String()} {
					for _, sec := range append(secrets, s.URL) {
						if strings.Contains(log, sec) {
							t.Errorf("the %s log at %v holds %q:\n%s", kind, level, sec, log)
						}
					}
					if level > slog.LevelDebug && log != "" {
						t.Errorf("the %s log at %v is not empty:\n%s", kind, level, log)
					}
				}
				if level != slog.LevelDebug {
					return
				}
				log := text.String()
				for _, want := range []string{
					`msg="jaccount api: attempt" method=GET path=/v1/profile/{id} query="" attempt=1 status=401`,
					`msg="jaccount api: token rejected, repeating the request with a refreshed token" method=GET path=/v1/profile/{id}`,
					`path=/v1/profile/{id} query="" attempt=1 status=503 errno=50000 bytes=`,
					`msg="jaccount api: retrying request" method=GET path=/v1/profile/{id} attempt=1 status=503`,
					`path=/v1/profile/{id} query="" attempt=2 status=200 errno=0 bytes=`,
					`path=/v1/enterprise/user/rights query=account attempt=`,
					`method=POST path=/v1/{redacted}/{redacted} query=mobile attempt=1`,
					`method=GET path=/v1/profile/{id} query=name attempt=`,
				} {
					if !strings.Contains(log, want) {
						t.Errorf("the debug log lacks %s:\n%s", want, log)
					}
				}
				if !query {
					t.Logf("the debug log (text handler):\n%s", log)
				}
			})
		}
	}
}

// fanout sends every record to each of its handlers.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
