package jaccounttest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// redirectURI is a registered loopback redirect URI of the default client
// (any port matches).
const redirectURI = "http://127.0.0.1:9999/callback"

func newServer(t *testing.T, opts ...jaccounttest.Option) *jaccounttest.Server {
	t.Helper()
	srv := jaccounttest.New(t, opts...)
	return srv
}

// jiaowobanServer is newServer whose default application is 交我办, which
// the 思源码 operations but validation admit alone (x-jaccount-only-app):
// for the tests of every operation's grants, scopes and replies.
func jiaowobanServer(t *testing.T, opts ...jaccounttest.Option) *jaccounttest.Server {
	t.Helper()
	c := jaccounttest.DefaultClient()
	c.Jiaowoban = true
	return newServer(t, append([]jaccounttest.Option{jaccounttest.WithClient(c)}, opts...)...)
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// noRedirect is an HTTP client that returns redirects instead of following
// them.
func noRedirect(srv *jaccounttest.Server, jar http.CookieJar) *http.Client {
	c := *srv.HTTPClient()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// reply is a decoded response: status, headers and the JSON body as a map.
type reply struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

func (r reply) str(key string) string { s, _ := r.json[key].(string); return s }

func do(t *testing.T, c *http.Client, req *http.Request) reply {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
	_ = json.Unmarshal(b, &r.json) // non-JSON bodies leave json nil
	return r
}

func get(t *testing.T, c *http.Client, u string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

// postToken posts a token request; with basic set, the client credentials go
// into HTTP Basic instead of the form.
func postToken(t *testing.T, srv *jaccounttest.Server, vals url.Values, basic bool) reply {
	t.Helper()
	if basic {
		id, secret := vals.Get("client_id"), vals.Get("client_secret")
		vals.Del("client_id")
		vals.Del("client_secret")
		defer func() { vals.Set("client_id", id); vals.Set("client_secret", secret) }()
		req := tokenRequest(t, srv, vals)
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		return do(t, srv.HTTPClient(), req)
	}
	return do(t, srv.HTTPClient(), tokenRequest(t, srv, vals))
}

func tokenRequest(t *testing.T, srv *jaccounttest.Server, vals url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, srv.TokenURL(), strings.NewReader(vals.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// creds returns the default client's form credentials plus extra fields.
func creds(srv *jaccounttest.Server, kv ...string) url.Values {
	v := url.Values{"client_id": {srv.ClientID()}, "client_secret": {srv.ClientSecret()}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// authorizeURL builds an authorize URL of the default client.
func authorizeURL(srv *jaccounttest.Server, scope, state string) string {
	return srv.AuthURL() + "?" + url.Values{"response_type": {"code"}, "client_id": {srv.ClientID()},
		"redirect_uri": {redirectURI}, "scope": {scope}, "state": {state}, "nonce": {"n-" + state}}.Encode()
}

// codeFrom returns the code of a redirect to redirectURI, checking state.
func codeFrom(t *testing.T, loc *url.URL, state string) string {
	t.Helper()
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
		t.Fatalf("redirected to %s, want %s", got, redirectURI)
	}
	q := loc.Query()
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("redirect query = %v, want a code and state %q", q, state)
	}
	return q.Get("code")
}

// apiGet calls an API path with a bearer token.
func apiGet(t *testing.T, srv *jaccounttest.Server, path, token string) reply {
	t.Helper()
	return apiGetAt(t, srv, srv.APIURL(), path, token)
}

// apiGetAt is apiGet on the listener at base (srv.DataURL() for the data
// resources).
func apiGetAt(t *testing.T, srv *jaccounttest.Server, base, path, token string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, srv.HTTPClient(), req)
}

func issue(t *testing.T, srv *jaccounttest.Server, user string, scopes ...string) *jaccounttest.Token {
	t.Helper()
	tok, err := srv.IssueToken(user, scopes...)
	if err != nil {
		t.Fatalf("IssueToken(%s, %v): %v", user, scopes, err)
	}
	return tok
}

func errno(r reply) int {
	n, ok := r.json["errno"].(float64)
	if !ok {
		return -1
	}
	return int(n)
}
