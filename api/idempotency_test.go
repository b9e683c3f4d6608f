package api_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// actingServer is a notification service that acts on every PUT send it
// reads (it counts them) and then answers what its script says for that
// request: a 504, a stall past the attempt timeout, a hang-up, a success.
type actingServer struct {
	*server
	sends atomic.Int64
}

func newActingServer(t *testing.T, answers ...http.Handler) *actingServer {
	t.Helper()
	a := &actingServer{}
	script := sequence(answers...)
	a.server = newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			return
		}
		a.sends.Add(1) // the notification went out
		script.ServeHTTP(w, r)
	}))
	return a
}

var sentOK = reply(200, "application/json", `{"errno":0,"error":"success","total":1,"entities":[{"id":"n1"}]}`)

// TestSendNotRepeated (issue 17 item 1): Notification.Send is a PUT that
// sends. A service that sends and then answers 504, or takes longer than
// the attempt timeout once it read the request, gets exactly one request,
// and the error says the outcome is unknown. Before the fix the client
// repeated the PUT (RFC 9110 calls PUT idempotent): two notifications, and
// err == nil.
func TestSendNotRepeated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		first  http.Handler
		opts   []api.Option
		status int // the error's, 0 for none
	}{
		{"504 after sending", reply(504, "text/html", "<html>Gateway Timeout</html>"), nil, 504},
		{"attempt timeout after the body was written", stall(5*time.Second, false),
			[]api.Option{api.WithAttemptTimeout(200 * time.Millisecond)}, 0},
		{"connection lost after the body was written", hangUp, nil, 0},
		{"body cut short", truncated, nil, 0},
	} {
		for _, via := range []struct {
			name string
			call func(ctx context.Context, c *api.Client) error
		}{
			{"Notification.Send", func(ctx context.Context, c *api.Client) error {
				_, err := c.Notification.Send(ctx, api.NotificationRequest{Name: "n", Content: "hello"})
				return err
			}},
			{"Do", func(ctx context.Context, c *api.Client) error {
				return c.Do(ctx, http.MethodPut, api.PathNotificationSend, nil, map[string]string{"name": "n", "content": "hello"}, nil)
			}},
		} {
			t.Run(tc.name+"/"+via.name, func(t *testing.T) {
				t.Parallel()
				s := newActingServer(t, tc.first, sentOK)
				c := newClient(t, s.server, tc.opts...)
				start := time.Now()
				err := via.call(t.Context(), c)
				t.Logf("%d request(s), %d notification(s) sent, %v: %v", s.requests.Load(), s.sends.Load(), time.Since(start).Round(time.Millisecond), err)
				if n := s.requests.Load(); n != 1 {
					t.Errorf("%d requests on the wire, want 1", n)
				}
				if !errors.Is(err, errOutcomeUnknown) || !strings.Contains(fmtErr(err), "outcome unknown") {
					t.Fatalf("err = %v, want one matching ErrOutcomeUnknown that says so", err)
				}
				var e *api.Error
				if !errors.As(err, &e) || e.StatusCode != tc.status || e.Attempts != 1 {
					t.Errorf("err = %#v, want an *api.Error with status %d after 1 attempt", err, tc.status)
				}
				if tc.status >= 500 && !errors.Is(err, api.ErrServerError) {
					t.Errorf("err = %v, want ErrServerError too", err)
				}
			})
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestIdempotencyRules (issue 17 item 1): what is repeated, and which
// failures leave the outcome unknown, by the operation's idempotency.
func TestIdempotencyRules(t *testing.T) {
	t.Parallel()
	busy := reply(503, "application/json", `{"errno":503,"error":"busy"}`)
	for _, tc := range []struct {
		name     string
		method   string
		path     string
		answer   http.Handler
		requests int64
		unknown  bool
		is       error
	}{
		{"GET retried", "GET", api.PathProfileGet, busy, 4, false, api.ErrServerError},
		{"DELETE retried", "DELETE", "/v1/calendar/event/e1", busy, 4, false, api.ErrServerError},
		{"a spec PUT is not", "PUT", "/v1/enterprise/position/d1:p1/users", busy, 1, true, api.ErrServerError},
		{"a spec POST is not", "POST", "/v1/me/card/recharge", busy, 1, true, api.ErrServerError},
		{"an unknown PUT is not", "PUT", "/v1/not/in/the/spec", busy, 1, true, api.ErrServerError},
		{"an unknown DELETE is", "DELETE", "/v1/not/in/the/spec", busy, 4, false, api.ErrServerError},
		{"GET after a hang-up", "GET", api.PathProfileGet, hangUp, 4, false, nil},
		{"a 4xx is a refusal", "PUT", api.PathNotificationSend, reply(400, "application/json", `{"errno":10001,"error":"BAD_PARAMETERS"}`), 1, false, api.ErrnoBadParameters},
		{"an errno at 200 is a refusal", "PUT", api.PathNotificationSend, reply(200, "application/json", `{"errno":15005,"error":"x"}`), 1, false, api.ErrAPI},
		{"an HTML page at 200 is unknown", "PUT", api.PathNotificationSend, reply(200, "text/html", `<html>ok?</html>`), 1, true, api.ErrInvalidResponse},
		{"a 302 is unknown", "POST", api.PathCardRecharge, http.RedirectHandler("/elsewhere", http.StatusFound), 1, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tc.answer)
			c := newClient(t, s)
			err := c.Do(t.Context(), tc.method, tc.path, nil, url.Values{"a": {"b"}}, nil)
			if n := s.requests.Load(); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if err == nil || errors.Is(err, api.ErrOutcomeUnknown) != tc.unknown || tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v; want outcome unknown %v, matching %v", err, tc.unknown, tc.is)
			}
		})
	}
}

// TestNeverConnectedIsRetried: a request that is not idempotent is
// repeated when it provably never reached the server, with net/http's
// transport (no connection made, which httptrace reports) and with any
// other (a failure to dial), and then its outcome is not unknown.
func TestNeverConnectedIsRetried(t *testing.T) {
	t.Parallel()
	dead := newServer(t, nil)
	dead.Close() // nothing listens: every dial is refused
	ct := &countingTransport{next: api.NewTransport(0)}
	for _, tc := range []struct {
		name string
		opts []api.Option
	}{
		{"net/http's transport", nil},
		{"another transport", []api.Option{api.WithTransport(ct)}},
	} {
		c := newClient(t, dead, tc.opts...)
		_, err := c.Notification.Send(t.Context(), api.NotificationRequest{Name: "n"})
		var e *api.Error
		if !errors.As(err, &e) || e.Attempts != 4 || errors.Is(err, api.ErrOutcomeUnknown) {
			t.Errorf("%s: err = %v, want 4 attempts and a known outcome", tc.name, err)
		}
	}
	if n := ct.n.Load(); n != 4 {
		t.Errorf("the other transport saw %d attempts, want 4", n)
	}
	// A transport that fails without saying it never connected: the
	// request may have gone out.
	failing := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("broken pipe") })
	c := newClient(t, dead, api.WithTransport(failing))
	_, err := c.Notification.Send(t.Context(), api.NotificationRequest{Name: "n"})
	var e *api.Error
	if !errors.As(err, &e) || e.Attempts != 1 || !errors.Is(err, api.ErrOutcomeUnknown) {
		t.Errorf("opaque transport failure: err = %v, want 1 attempt and an unknown outcome", err)
	}
	// A dial error from any transport proves the contrary.
	dialFails := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	})
	c = newClient(t, dead, api.WithTransport(dialFails))
	if _, err := c.Notification.Send(t.Context(), api.NotificationRequest{Name: "n"}); !errors.As(err, &e) || e.Attempts != 4 || errors.Is(err, api.ErrOutcomeUnknown) {
		t.Errorf("dial error: err = %v, want 4 attempts and a known outcome", err)
	}
}

// TestRejectedTokenResent: the service authenticates before it acts, so a
// send whose token it rejected is sent again, once, with the refreshed
// token; a failure of that second request after it may have reached the
// server is unknown again.
func TestRejectedTokenResent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		second  http.Handler
		unknown bool
	}{
		{"then sent", sentOK, false},
		{"then 504", reply(504, "", ""), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newActingServer(t, tc.second)
			src := &refreshingSource{cur: "revoked-token", next: testToken}
			c := newClientTS(t, s.server, src)
			_, err := c.Notification.Send(t.Context(), api.NotificationRequest{Name: "n"})
			if s.requests.Load() != 2 || s.sends.Load() != 1 || src.refreshes.Load() != 1 {
				t.Errorf("%d requests (%d reached the service), %d refreshes; want 2, 1, 1", s.requests.Load(), s.sends.Load(), src.refreshes.Load())
			}
			if (err != nil) != tc.unknown || errors.Is(err, api.ErrOutcomeUnknown) != tc.unknown {
				t.Errorf("err = %v, want outcome unknown %v", err, tc.unknown)
			}
		})
	}
}

// TestHTTPClientIdempotency: the raw HTTPClient takes the same rules: a PUT
// of the spec's send is not repeated after a 503, a transport failure after
// it may have reached the server matches ErrOutcomeUnknown, a GET is
// repeated.
func TestHTTPClientIdempotency(t *testing.T) {
	t.Parallel()
	do := func(c *api.Client, method, u string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.HTTPClient().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	busy := newServer(t, reply(503, "", ""))
	c := newClient(t, busy)
	if resp, err := do(c, http.MethodPut, busy.URL+api.PathNotificationSend); err != nil || resp.StatusCode != 503 || busy.requests.Load() != 1 {
		t.Errorf("PUT send answered 503: %v, %d requests; want the 503 after 1", err, busy.requests.Load())
	}
	if _, err := do(c, http.MethodGet, busy.URL+api.PathProfileGet); err != nil || busy.requests.Load() != 5 {
		t.Errorf("GET answered 503: %v, %d requests in all; want 5", err, busy.requests.Load())
	}
	hung := newServer(t, hangUp)
	c = newClient(t, hung)
	if _, err := do(c, http.MethodPut, hung.URL+api.PathNotificationSend); !errors.Is(err, api.ErrOutcomeUnknown) || hung.requests.Load() != 1 {
		t.Errorf("PUT send, hang-up: %v after %d requests; want ErrOutcomeUnknown after 1", err, hung.requests.Load())
	}
	// Under a base URL with a path, the template is matched below it.
	prefixed := newServer(t, http.StripPrefix("/gw", reply(503, "", "")))
	c = newClientTS(t, prefixed, api.StaticToken(testToken), api.WithBaseURL(prefixed.URL+"/gw"))
	if _, err := do(c, http.MethodDelete, prefixed.URL+"/gw/v1/calendar/event/e1"); err != nil || prefixed.requests.Load() != 4 {
		t.Errorf("DELETE under a prefix: %v, %d requests; want 4", err, prefixed.requests.Load())
	}
}
