package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// Client is the typed client of the jAccount open API. Its services group
// the operations by API area. A Client is safe for concurrent use; build one
// and share it, so that its connections and its token source are shared too.
type Client struct {
	// Profile is the signed-in user's profile.
	Profile *ProfileService
	// Enterprise is the enterprise (organisation) data about a user.
	Enterprise *EnterpriseService
	// Lessons is the teaching classes.
	Lessons *LessonsService
	// Examinations is the examination arrangements.
	Examinations *ExaminationsService
	// Card is the campus card and its transactions.
	Card *CardService

	base    string // base URL without a trailing slash
	baseURL *url.URL
	maxBody int64
	auth    *authTransport
	retry   *retryablehttp.Client
	http    *http.Client // the whole stack, for Raw
	raw     *gen.ClientWithResponses
}

// service is what every service embeds: the client it belongs to.
type service struct{ c *Client }

// NewClient returns a client that authenticates with ts. Use StaticToken for
// a fixed access token. If ts implements Refresher, a rejected token (401,
// or 403 with errno 10002/10007) forces one refresh; if it implements
// ContextTokenSource, it is asked for tokens with the call's context.
func NewClient(ts oauth2.TokenSource, opts ...Option) (*Client, error) {
	if ts == nil {
		return nil, errors.New("jaccount api: NewClient: nil TokenSource")
	}
	s, err := newSettings(opts)
	if err != nil {
		return nil, fmt.Errorf("jaccount api: NewClient: %w", err)
	}
	base := strings.TrimRight(s.baseURL, "/")
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("jaccount api: NewClient: base URL: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("jaccount api: NewClient: base URL %q: want http(s)://host[/path]", base)
	}
	next := s.transport
	if next == nil {
		next = defaultTransport()
	}
	at := &authTransport{
		next:      bufferTransport{next: next, limit: s.maxBody},
		src:       ts,
		queryAuth: s.queryAuth,
		clientID:  s.clientID,
		accept:    []string{"application/json"},
		logger:    s.logger,
		timeout:   s.attemptTimeout,
		budget:    s.retry.Budget,
	}
	if s.userAgent != "" {
		at.userAgent = []string{s.userAgent}
	}
	at.refresher, _ = ts.(Refresher)
	// One attempt: never follow a redirect, since the token would follow it.
	// at has no CloseIdleConnections on purpose: retryablehttp calls it on
	// this client whenever it gives up, which would otherwise drop the idle
	// connections of a transport the caller may share.
	attempt := &http.Client{Transport: at, CheckRedirect: noRedirect}
	r := &retrier{policy: s.retry, logger: s.logger}
	rc := r.client(attempt)
	c := &Client{
		base:    base,
		baseURL: u,
		maxBody: s.maxBody,
		auth:    at,
		retry:   rc,
		http: &http.Client{
			Transport:     stateTransport{next: &retryablehttp.RoundTripper{Client: rc}},
			CheckRedirect: noRedirect,
		},
	}
	c.raw, err = gen.NewClientWithResponses(base, gen.WithHTTPClient(c.http))
	if err != nil {
		return nil, fmt.Errorf("jaccount api: NewClient: %w", err)
	}
	c.Profile = &ProfileService{c}
	c.Enterprise = &EnterpriseService{c}
	c.Lessons = &LessonsService{c}
	c.Examinations = &ExaminationsService{c}
	c.Card = &CardService{c}
	return c, nil
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Raw returns the generated client, sending through the same retrying,
// authenticating stack as c. Its responses are not unwrapped: callers check
// status, content type and errno themselves.
func (c *Client) Raw() *gen.ClientWithResponses { return c.raw }

// BaseURL returns the API's base URL, without a trailing slash; pass it to
// the gen.NewXxxRequest builders.
func (c *Client) BaseURL() string { return c.base }

// Authorize returns a copy of req carrying the current access token as the
// auth mode says (header or query), plus the client's User-Agent; req itself
// is not modified. Use it with a gen.NewXxxRequest builder to get an
// operation's request without sending it. The request's context bounds the
// wait for the token when the source is a ContextTokenSource.
func (c *Client) Authorize(req *http.Request) (*http.Request, error) {
	tok, err := c.auth.token(req.Context())
	if err != nil {
		var te *tokenError
		if errors.As(err, &te) {
			err = te.err
		}
		return nil, fmt.Errorf("jaccount api: authorize: %w", err)
	}
	return c.auth.authorize(req.Context(), req, tok), nil
}

// NewRequest builds, without sending it, the authorised GET request for path
// (e.g. "/v1/me/profile") and query under the base URL: the equivalent of the
// Python client's get_rest_api_url. path must start with "/".
func (c *Client) NewRequest(ctx context.Context, path string, query url.Values) (*http.Request, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("jaccount api: NewRequest: path %q does not start with /", path)
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
func (c *Client) newRequest(ctx context.Context, u *url.URL, path, rawQuery string) (*http.Request, error) {
	*u = *c.baseURL
	u.Path = c.baseURL.Path + path
	u.RawPath = ""
	if c.baseURL.RawPath != "" || strings.Contains(path, "%") {
		// Keep escapes (e.g. of a "/" inside a lesson code) as written.
		u.RawPath = c.baseURL.EscapedPath() + path
		p, err := url.PathUnescape(u.RawPath)
		if err != nil {
			return nil, fmt.Errorf("jaccount api: bad path %q: %w", path, err)
		}
		u.Path = p
	}
	u.RawQuery = rawQuery
	req := reqTemplate.WithContext(ctx)
	req.URL = u
	req.Host = u.Host
	return req, nil
}
