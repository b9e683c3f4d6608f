package api

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/optcheck"
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

// ErrInvalidOption matches the error of NewClient given an invalid option
// value, such as a negative timeout or a nil *http.Client.
var ErrInvalidOption = errors.New("jaccount api: invalid option")

// RetryPolicy bounds the retries of one call. The zero value of a field means
// its default (see DefaultRetryPolicy); a negative value is invalid.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, the first included; 1 disables
	// retries.
	MaxAttempts int
	// MinWait is the backoff before the first retry; it doubles per retry.
	MinWait time.Duration
	// MaxWait caps every backoff. A Retry-After longer than MaxWait is not
	// waited for: the call returns the server's answer at once. Zero means
	// the default, or MinWait if that is longer; a MaxWait set below
	// MinWait is invalid.
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

// check rejects negative fields and a MaxWait set below MinWait.
func (p RetryPolicy) check() error {
	switch {
	case p.MaxAttempts < 0, p.MinWait < 0, p.MaxWait < 0, p.Budget < 0:
		return fmt.Errorf("%w: RetryPolicy %+v has a negative field", ErrInvalidOption, p)
	case p.MaxWait != 0 && p.MaxWait < p.MinWait:
		return fmt.Errorf("%w: RetryPolicy.MaxWait %v is below MinWait %v", ErrInvalidOption, p.MaxWait, p.MinWait)
	}
	return nil
}

// withDefaults fills the zero fields of p from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts == 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.MinWait == 0 {
		p.MinWait = d.MinWait
	}
	if p.MaxWait == 0 {
		p.MaxWait = max(d.MaxWait, p.MinWait)
	}
	if p.Budget == 0 {
		p.Budget = d.Budget
	}
	return p
}

// settings is what the options configure.
type settings struct {
	baseURL        string
	serverURLs     *map[string]string // by client type, for the clients of other servers (withServerURL); a pointer keeps Client comparable
	transport      http.RoundTripper
	retry          RetryPolicy
	logger         *slog.Logger
	userAgent      string
	attemptTimeout time.Duration
	queryAuth      bool
	clientID       string
	maxBody        int64
	maxPages       int
	drift          *driftSet // WithDriftHandler's handler and the drifts reported, shared by a client's copies; a pointer keeps Client comparable
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

// newSettings applies opts to the defaults; the first invalid option's
// error is returned. Nil options are skipped.
func newSettings(opts []Option) (settings, error) {
	s := defaultSettings()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(&s); err != nil {
			return s, err
		}
	}
	if err := s.retry.check(); err != nil {
		return s, err
	}
	s.retry = s.retry.withDefaults()
	if s.drift == nil {
		s.drift = &driftSet{} // for a logger's drift events
	}
	return s, nil
}

// An Option configures a Client in NewClient. The zero value of each
// option's argument means the option's default; an invalid value makes
// NewClient fail with an error matching ErrInvalidOption.
type Option interface {
	apply(*settings) error
}

type optionFunc func(*settings) error

func (f optionFunc) apply(s *settings) error { return f(s) }

// WithBaseURL sets the API's address, e.g. an httptest server's URL. A path
// in it is kept as a prefix of every operation's path. Empty means
// DefaultBaseURL.
func WithBaseURL(u string) Option {
	return optionFunc(func(s *settings) error {
		s.baseURL = cmp.Or(u, DefaultBaseURL)
		return nil
	})
}

// WithHTTPClient sends requests through hc's Transport (the default, see
// NewTransport, when it has none). Only the Transport is used: redirects are
// never followed (they could carry the token to another host) and timeouts
// come from WithAttemptTimeout and the context. A nil hc is invalid.
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(s *settings) error {
		if hc == nil {
			return fmt.Errorf("%w: WithHTTPClient(nil)", ErrInvalidOption)
		}
		s.transport = hc.Transport
		return nil
	})
}

// WithTransport sends requests through rt; nil means the default transport,
// which NewTransport describes (http.DefaultTransport is never used unless
// passed here).
func WithTransport(rt http.RoundTripper) Option {
	return optionFunc(func(s *settings) error { s.transport = rt; return nil })
}

// WithRetryPolicy replaces DefaultRetryPolicy; zero fields keep their
// default, negative ones are invalid.
func WithRetryPolicy(p RetryPolicy) Option {
	return optionFunc(func(s *settings) error { s.retry = p; return nil })
}

// WithLogger logs retries and forced token refreshes at debug level to l.
// Records carry method and path only, never the URL's query or a token. Nil,
// the default, logs nothing.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(s *settings) error { s.logger = l; return nil })
}

// WithUserAgent sets the User-Agent header of every request; empty means
// the default, "jaccount-go/api".
func WithUserAgent(ua string) Option {
	return optionFunc(func(s *settings) error { s.userAgent = cmp.Or(ua, defaultUserAgent); return nil })
}

// WithAttemptTimeout bounds each attempt, reading the body included; zero
// means DefaultAttemptTimeout and a negative d is invalid. The context and
// the retry budget still bound the whole call.
func WithAttemptTimeout(d time.Duration) Option {
	return positive("WithAttemptTimeout", d, func(s *settings) *time.Duration { return &s.attemptTimeout })
}

// positive sets a field to v unless v is zero (the default) and rejects a
// negative v.
func positive[T int | int64 | time.Duration](name string, v T, field func(*settings) *T) Option {
	return optionFunc(func(s *settings) error { return optcheck.Set(ErrInvalidOption, name, v, field(s)) })
}

// WithQueryAuth sends the token the legacy way the Python client does: as the
// access_token query parameter, with clientID as client_id (omitted when
// empty), instead of the Authorization header.
func WithQueryAuth(clientID string) Option {
	return optionFunc(func(s *settings) error {
		s.queryAuth = true
		s.clientID = clientID
		return nil
	})
}

// WithMaxResponseSize caps the response body the client reads; zero means
// DefaultMaxResponseSize and a negative n is invalid.
func WithMaxResponseSize(n int64) Option {
	return positive("WithMaxResponseSize", n, func(s *settings) *int64 { return &s.maxBody })
}

// WithMaxPages caps the pages one walk (an XxxIter method) fetches: one
// that would need more ends with a *PagingError matching ErrTooManyPages
// after yielding the items of the first n pages. Zero means
// DefaultMaxPages; a negative n is invalid.
func WithMaxPages(n int) Option {
	return positive("WithMaxPages", n, func(s *settings) *int { return &s.maxPages })
}
