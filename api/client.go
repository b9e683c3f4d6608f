package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// core is the hand-written part of Client: the transport stack every
// service sends through. Client (client.gen.go) embeds it.
type core struct {
	settings settings // what NewClient was given, for WithTokenSource
	server   string   // the client type of a server other than the open API's; "" for Client
	base     string   // base URL without a trailing slash
	baseURL  *url.URL
	maxBody  int64
	auth     *authTransport
	retry    *retrier
	http     *http.Client // the whole stack, for HTTPClient
}

// NewClient returns a client that authenticates with ts. Use StaticToken for
// a fixed access token. If ts implements Refresher, a rejected token (401,
// or errno 10002/10007 at any status) forces one refresh; if it implements
// ContextTokenSource, it is asked for tokens with the call's context.
func NewClient(ts oauth2.TokenSource, opts ...Option) (*Client, error) {
	co, err := newClientCore("NewClient", "", DefaultBaseURL, ts, opts)
	if err != nil {
		return nil, err
	}
	c := &Client{core: co}
	c.initServices()
	return c, nil
}

// newClientCore builds the stack of a client named fn (NewClient,
// NewDataClient) for ts and opts. server is the client type of a server
// other than the open API's ("" for the open API): its base URL comes from
// its own option (withServerURL), else def.
func newClientCore(fn, server, def string, ts oauth2.TokenSource, opts []Option) (core, error) {
	if ts == nil {
		return core{}, fmt.Errorf("jaccount api: %s: nil TokenSource", fn)
	}
	s, err := newSettings(opts)
	if err != nil {
		return core{}, fmt.Errorf("jaccount api: %s: %w", fn, err)
	}
	base := s.baseURL
	if server != "" {
		base = def
		if s.serverURLs != nil {
			base = cmp.Or((*s.serverURLs)[server], def)
		}
	}
	base = strings.TrimRight(base, "/")
	u, err := url.Parse(base)
	if err != nil {
		return core{}, fmt.Errorf("jaccount api: %s: base URL: %w", fn, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return core{}, fmt.Errorf("jaccount api: %s: base URL %q: want http(s)://host[/path]", fn, base)
	}
	if s.transport == nil {
		s.transport = defaultTransport()
	}
	return newCore(s, server, base, u, ts, nil), nil
}

// newCore builds the stack of the client of server (as newClientCore) for
// ts over the settings' transport. The header values of shared, if not nil,
// are reused: they never change.
func newCore(s settings, server, base string, u *url.URL, ts oauth2.TokenSource, shared *authTransport) core {
	at := &authTransport{
		next:      bufferTransport{next: s.transport, limit: s.maxBody},
		src:       ts,
		queryAuth: s.queryAuth,
		clientID:  s.clientID,
		logger:    s.logger,
		timeout:   s.attemptTimeout,
		traced:    isNetHTTP(s.transport),
		budget:    s.retry.Budget,
		server:    server,
		prefix:    u.EscapedPath(),
	}
	if s.header != nil {
		at.header = *s.header
	}
	switch {
	case shared != nil:
		at.accept, at.userAgent = shared.accept, shared.userAgent
	default:
		at.accept = []string{"application/json"}
		if s.userAgent != "" {
			at.userAgent = []string{s.userAgent}
		}
	}
	at.refresher, _ = ts.(Refresher)
	_, at.anonymous = ts.(noToken)
	// Each attempt goes to at as it is: a RoundTripper follows no
	// redirect, which would carry the token along.
	r := &retrier{next: at, policy: s.retry, logger: s.logger, server: server, gate: s.gate}
	at.retrier = r
	return core{
		settings: s,
		server:   server,
		base:     base,
		baseURL:  u,
		maxBody:  s.maxBody,
		auth:     at,
		retry:    r,
		http: &http.Client{
			Transport:     stateTransport{next: retryTransport{r}, server: server, prefix: u.EscapedPath()},
			CheckRedirect: noRedirect,
		},
	}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// isNetHTTP reports whether rt is net/http's transport, which reports every
// connection to an httptrace.ClientTrace: then a request whose trace saw no
// connection provably never reached the server.
func isNetHTTP(rt http.RoundTripper) bool {
	_, ok := rt.(*http.Transport)
	return ok
}

// WithTokenSource returns a copy of c that authenticates with ts and shares
// everything else with c: options, retry policy, and the transport with its
// connection pool. It is cheap (a dozen small allocations, a tenth of those
// of one call), so a web app can build one per request for the signed-in
// user's token source instead of a whole client. ts nil keeps c's token
// source.
func (c *Client) WithTokenSource(ts oauth2.TokenSource) *Client {
	if ts == nil {
		ts = c.auth.src
	}
	c2 := &Client{core: newCore(c.settings, c.server, c.base, c.baseURL, ts, c.auth)}
	c2.initServices()
	return c2
}

// BaseURL returns the API's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// HTTPClient returns an *http.Client that sends through c's stack: the
// token, the retries (only for requests that can be sent again safely), the
// per-attempt timeout and the body size cap. Its responses are not decoded:
// it is for replies that are not the JSON envelope, such as a file or an
// image. Requests must go to c's base URL, since they carry the token.
func (c *Client) HTTPClient() *http.Client { return c.http }

// Authorize returns a copy of req carrying the current access token as the
// auth mode says (header or query), plus the client's User-Agent and the
// headers of its WithHeader options that req does not set; req itself is
// not modified. Use it to get an operation's request without sending it.
// The request's context bounds the wait for the token when the source is a
// ContextTokenSource. A NoToken client's request carries no token.
func (c *Client) Authorize(req *http.Request) (*http.Request, error) {
	if c.auth.anonymous {
		return c.auth.authorize(req.Context(), nil, req, nil), nil
	}
	tok, err := c.auth.token(req.Context())
	if err != nil {
		var te *tokenError
		if errors.As(err, &te) {
			err = te.err
		}
		return nil, fmt.Errorf("jaccount api: authorize: %w", err)
	}
	return c.auth.authorize(req.Context(), nil, req, tok), nil
}

// NewRequest builds, without sending it, the authorised GET request for path
// (e.g. PathProfileGet) and query under the base URL. path must start with
// "/". See also URL and AuthorizedURL, which need no client.
func (c *Client) NewRequest(ctx context.Context, path string, query url.Values) (*http.Request, error) {
	if err := checkPath("NewRequest", path); err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, new(url.URL), path, query.Encode())
	if err != nil {
		return nil, err
	}
	return c.Authorize(req)
}

// reqTemplate is the part every GET shares. Its Header is empty and never
// written: authTransport gives each attempt a header map of its own.
var reqTemplate = http.Request{
	Method:     http.MethodGet,
	Proto:      "HTTP/1.1",
	ProtoMajor: 1,
	ProtoMinor: 1,
	Header:     http.Header{},
}

// newRequest builds GET base+path?rawQuery in u and a request for it.
func (c *core) newRequest(ctx context.Context, u *url.URL, path, rawQuery string) (*http.Request, error) {
	if err := c.fillURL(u, path, rawQuery); err != nil {
		return nil, err
	}
	req := reqTemplate.WithContext(ctx)
	req.URL = u
	req.Host = u.Host
	return req, nil
}

// fillURL sets u to base+path?rawQuery; path is already escaped.
func (c *core) fillURL(u *url.URL, path, rawQuery string) error {
	*u = *c.baseURL
	u.Path = c.baseURL.Path + path
	u.RawPath = ""
	if c.baseURL.RawPath != "" || strings.Contains(path, "%") {
		// Keep escapes (e.g. of a "/" inside a lesson code) as written.
		u.RawPath = c.baseURL.EscapedPath() + path
		p, err := url.PathUnescape(u.RawPath)
		if err != nil {
			return fmt.Errorf("jaccount api: bad path %s: %w", redactPath(path), err)
		}
		u.Path = p
	}
	u.RawQuery = rawQuery
	return nil
}
