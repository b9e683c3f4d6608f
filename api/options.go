package api

import (
	"log/slog"
	"net/http"
	"time"
)

// DefaultBaseURL is the address of the jAccount open API.
const DefaultBaseURL = "https://api.sjtu.edu.cn"

// DefaultMaxResponseSize is the largest response body the client reads
// (10 MiB); a longer body fails with ErrResponseTooLarge.
const DefaultMaxResponseSize = 10 << 20

// DefaultAttemptTimeout bounds one attempt, from sending the request to
// reading the last byte of the response.
const DefaultAttemptTimeout = 20 * time.Second

const defaultUserAgent = "jaccount-go/api"

// RetryPolicy bounds the retries of one call. The zero value of a field means
// its default (see DefaultRetryPolicy).
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, the first included; 1 disables
	// retries.
	MaxAttempts int
	// MinWait is the backoff before the first retry; it doubles per retry.
	MinWait time.Duration
	// MaxWait caps every backoff, including one asked for by Retry-After.
	MaxWait time.Duration
	// Budget caps the total time of one call: no retry starts whose backoff
	// would end after it, and an attempt still running when it runs out is
	// cut off.
	Budget time.Duration
}

// DefaultRetryPolicy is the policy a Client uses unless WithRetryPolicy says
// otherwise: four attempts, 200 ms doubling up to 5 s, 30 s in all.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts: 4,
	MinWait:     200 * time.Millisecond,
	MaxWait:     5 * time.Second,
	Budget:      30 * time.Second,
}

// withDefaults fills the zero fields of p from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.MinWait <= 0 {
		p.MinWait = d.MinWait
	}
	if p.MaxWait <= 0 {
		p.MaxWait = d.MaxWait
	}
	if p.MaxWait < p.MinWait {
		p.MaxWait = p.MinWait
	}
	if p.Budget <= 0 {
		p.Budget = d.Budget
	}
	return p
}

// settings is what the options configure.
type settings struct {
	baseURL        string
	transport      http.RoundTripper
	retry          RetryPolicy
	logger         *slog.Logger
	userAgent      string
	attemptTimeout time.Duration
	queryAuth      bool
	clientID       string
	maxBody        int64
}

func defaultSettings() settings {
	return settings{
		baseURL:        DefaultBaseURL,
		retry:          DefaultRetryPolicy,
		userAgent:      defaultUserAgent,
		attemptTimeout: DefaultAttemptTimeout,
		maxBody:        DefaultMaxResponseSize,
	}
}

// An Option configures a Client in NewClient.
type Option interface {
	apply(*settings)
}

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// WithBaseURL sets the API's address, e.g. an httptest server's URL. A path
// in it is kept as a prefix of every operation's path.
func WithBaseURL(u string) Option {
	return optionFunc(func(s *settings) { s.baseURL = u })
}

// WithHTTPClient sends requests through hc's Transport (a nil one means the
// default, see NewTransport). Only the Transport is used: redirects are never
// followed (they could carry the token to another host) and timeouts come
// from WithAttemptTimeout and the context.
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(s *settings) {
		if hc != nil {
			s.transport = hc.Transport
		}
	})
}

// WithTransport sends requests through rt instead of the default transport,
// which NewTransport describes (http.DefaultTransport is never used unless
// passed here).
func WithTransport(rt http.RoundTripper) Option {
	return optionFunc(func(s *settings) { s.transport = rt })
}

// WithRetryPolicy replaces DefaultRetryPolicy; zero fields keep their default.
func WithRetryPolicy(p RetryPolicy) Option {
	return optionFunc(func(s *settings) { s.retry = p })
}

// WithLogger logs retries and forced token refreshes at debug level to l.
// Records carry method and path only, never the URL's query or a token. By
// default nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(s *settings) { s.logger = l })
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return optionFunc(func(s *settings) { s.userAgent = ua })
}

// WithAttemptTimeout bounds each attempt, reading the body included; a zero
// or negative d removes the bound. The context still bounds the whole call.
func WithAttemptTimeout(d time.Duration) Option {
	return optionFunc(func(s *settings) { s.attemptTimeout = max(d, 0) })
}

// WithQueryAuth sends the token the legacy way the Python client does: as the
// access_token query parameter, with clientID as client_id (omitted when
// empty), instead of the Authorization header.
func WithQueryAuth(clientID string) Option {
	return optionFunc(func(s *settings) {
		s.queryAuth = true
		s.clientID = clientID
	})
}

// WithMaxResponseSize caps the response body the client reads; n <= 0 keeps
// DefaultMaxResponseSize.
func WithMaxResponseSize(n int64) Option {
	return optionFunc(func(s *settings) {
		if n > 0 {
			s.maxBody = n
		}
	})
}
