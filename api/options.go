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

// ErrInvalidOption matches the error of NewClient, or of a call, given an
// invalid option value, such as a negative timeout, a nil *http.Client or
// a header the client sets itself.
var ErrInvalidOption = errors.New("jaccount api: invalid option")

// RetryPolicy bounds the retries of one call. The zero value of a field means
// its default (see DefaultRetryPolicy; for a call's own policy, the
// client's); a negative value is invalid.
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
func (p RetryPolicy) withDefaults() RetryPolicy { return p.over(DefaultRetryPolicy) }

// over fills the zero fields of p from base: a zero MaxWait becomes base's,
// or MinWait if that is longer.
func (p RetryPolicy) over(base RetryPolicy) RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = base.MaxAttempts
	}
	if p.MinWait == 0 {
		p.MinWait = base.MinWait
	}
	if p.MaxWait == 0 {
		p.MaxWait = max(base.MaxWait, p.MinWait)
	}
	if p.Budget == 0 {
		p.Budget = base.Budget
	}
	return p
}

// settings is what the options configure.
type settings struct {
	baseURL    string
	serverURLs *map[string]string // by client type, for the clients of other servers (withServerURL); a pointer keeps Client comparable
	transport  http.RoundTripper
	logger     *slog.Logger
	userAgent  string
	queryAuth  bool
	clientID   string
	drift      *driftSet // WithDriftHandler's handler and the drifts reported, shared by a client's copies; a pointer keeps Client comparable
	rateLimit  float64   // WithRateLimit's attempts per second; 0: none
	rateBurst  int
	limiter    Limiter // WithLimiter's; nil: none
	// gate is what the calls wait for before each attempt (limit.go): one
	// per NewClient or NewDataClient, shared by a client's copies.
	gate *gate
	// callSettings are the settings a CallOption may change for one call;
	// a client's are the defaults of its calls.
	callSettings
	// perCall is set while a call's own options are applied (applyCall).
	perCall bool
}

// callSettings are what the CallOptions configure: a client's (from
// NewClient) are the defaults of every call, and a call given options
// has its own copy.
type callSettings struct {
	retry          RetryPolicy
	attemptTimeout time.Duration
	timeout        time.Duration // of the whole call; 0: none
	maxBody        int64
	maxPages       int
	// header holds the extra request headers (WithHeader); never written
	// once built: an option adding a header makes a new map. A pointer
	// keeps Client comparable.
	header *http.Header
	// into receives the call's Response (WithResponseInto); a call's own
	// settings only.
	into *Response
}

func defaultSettings() settings {
	return settings{
		baseURL:   DefaultBaseURL,
		userAgent: defaultUserAgent,
		callSettings: callSettings{
			retry:          DefaultRetryPolicy,
			attemptTimeout: DefaultAttemptTimeout,
			maxBody:        DefaultMaxResponseSize,
		},
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
	s.gate = newGate(&s)
	return s, nil
}

// ownSettings returns the settings of a call given opts: the client's
// (base) changed by opts, or nil when opts hold no option, so that the
// call reads the client's own. A call's own RetryPolicy takes its zero
// fields from the client's. The first invalid option's error is returned.
func ownSettings(base *callSettings, opts []CallOption) (*callSettings, error) {
	s := settings{callSettings: *base, perCall: true}
	s.retry = RetryPolicy{} // the call's own, if any; zero fields are the client's
	given := false
	for _, o := range opts {
		if o == nil {
			continue
		}
		given = true
		if err := o.apply(&s); err != nil {
			return nil, err
		}
	}
	if !given {
		return nil, nil
	}
	if err := s.retry.check(); err != nil {
		return nil, err
	}
	s.retry = s.retry.over(base.retry)
	own := s.callSettings
	return &own, nil
}

// An Option configures a Client in NewClient (or a DataClient in
// NewDataClient). The zero value of each option's argument means the
// option's default; an invalid value makes NewClient fail with an error
// matching ErrInvalidOption.
//
// The options that can also apply to one call are CallOptions: given to
// NewClient, they set the default of every call.
type Option interface {
	apply(*settings) error
}

// A CallOption configures one call: every method of the services, Get,
// GetList, Do and the XxxIter iterators take CallOptions after their
// arguments, and override the client's setting with them for that call
// (for every page of an iterator). Given to NewClient, a CallOption sets
// the default of every call of the client (but WithResponseInto, which
// belongs to one call, and which NewClient refuses).
//
// A call given an invalid CallOption fails before sending anything, with
// an error matching ErrInvalidOption. A call without options costs
// nothing more than before they existed.
type CallOption interface {
	Option
	isCallOption()
}

type optionFunc func(*settings) error

func (f optionFunc) apply(s *settings) error { return f(s) }

// callOption makes an Option, whose apply changes only callSettings, a
// CallOption.
type callOption struct{ Option }

func (callOption) isCallOption() {}

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
// default, negative ones are invalid. For one call, it replaces the
// client's policy, and zero fields keep the client's:
// WithRetryPolicy(RetryPolicy{MaxAttempts: 1}) makes one attempt and no
// retry, whatever the reply.
func WithRetryPolicy(p RetryPolicy) CallOption {
	return callOption{optionFunc(func(s *settings) error { s.retry = p; return nil })}
}

// WithLogger makes l the client's debug log: at slog.LevelDebug, a record
// "jaccount api: attempt" for every exchange with the server (method, path
// template, the names of the query parameters, attempt number, status,
// errno, bytes read, duration, or the failure), and one for every retry,
// every decision to stop retrying and every forced token refresh. Records
// never hold a token, a code, a secret, a header, a body, a query value or
// a path parameter: a path is logged as its operation's template
// (/v1/profile/{id}, not the account), a path the spec does not know with
// every segment that is not a word of the spec's paths replaced by
// {redacted}. Nothing is logged at any other level. A logger whose handler
// does not take debug records costs one Enabled call per attempt; nil, the
// default, logs nothing.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(s *settings) error { s.logger = l; return nil })
}

// WithUserAgent sets the User-Agent header of every request; empty means
// the default, "jaccount-go/api".
func WithUserAgent(ua string) Option {
	return optionFunc(func(s *settings) error { s.userAgent = cmp.Or(ua, defaultUserAgent); return nil })
}

// WithAttemptTimeout bounds each attempt, reading the body included; zero
// means DefaultAttemptTimeout (for one call, the client's) and a negative d
// is invalid. The bound is cheap rather than exact: an attempt may be cut
// off up to 1/64 of d late (at most 312 ms of the default 20 s), since
// attempts that end within the same 1/64 share one timer when the caller's
// context never ends. The caller's deadline, WithTimeout and the retry
// budget are exact, and still bound the whole call.
func WithAttemptTimeout(d time.Duration) CallOption {
	return callOption{positive("WithAttemptTimeout", d, func(s *settings) *time.Duration { return &s.attemptTimeout })}
}

// WithTimeout bounds each call, its retries and their waits included, as a
// deadline on its context would: the call ends by d after it started. An
// attempt still running then is cut off, and the *Error says so and
// matches context.DeadlineExceeded; a retry whose wait would end after it
// is not started, and the last answer is returned at once (see Retries in
// the package documentation). The caller's context may end the call
// sooner. Zero, the default, sets no bound beyond the context's and the
// retry policy's (RetryPolicy.Budget); a negative d is invalid.
func WithTimeout(d time.Duration) CallOption {
	return callOption{positive("WithTimeout", d, func(s *settings) *time.Duration { return &s.timeout })}
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
// DefaultMaxResponseSize (for one call, the client's cap) and a negative n
// is invalid.
func WithMaxResponseSize(n int64) CallOption {
	return callOption{positive("WithMaxResponseSize", n, func(s *settings) *int64 { return &s.maxBody })}
}

// WithMaxPages caps the pages one walk (an XxxIter method) fetches: one
// that would need more ends with a *PagingError matching ErrTooManyPages
// after yielding the items of the first n pages. Zero means
// DefaultMaxPages (for one walk, the client's cap); a negative n is
// invalid. It has no effect on a call that is not a walk.
func WithMaxPages(n int) CallOption {
	return callOption{positive("WithMaxPages", n, func(s *settings) *int { return &s.maxPages })}
}

// WithHeader sends the header key: value with the request, replacing an
// earlier WithHeader of the same key (for one call, the client's). The
// client's own headers cannot be set this way, and such a key is invalid:
// Authorization, Cookie, Host, Content-Type, Content-Length, Accept,
// Accept-Encoding, User-Agent (see WithUserAgent) and the connection's
// (Connection, Transfer-Encoding, …), as is a key or value that is not a
// valid header field. Values are never logged: debug records name no
// header.
func WithHeader(key, value string) CallOption {
	return callOption{optionFunc(func(s *settings) error {
		ck, err := checkHeader(key, value)
		if err != nil {
			return err
		}
		h := http.Header{ck: {value}}
		if s.header != nil {
			for k, v := range *s.header {
				if k != ck {
					h[k] = v
				}
			}
		}
		s.header = &h
		return nil
	})}
}

// WithResponseInto makes the call fill *r with what its reply said besides
// its entities, on success and on failure alike: the HTTP status, the
// headers without the ones that may carry a secret, the envelope's total
// and nextToken, the attempts made and the time taken (see Response). An
// iterator fills it for every page: after the walk it describes the last.
// A call refused before it starts (an invalid argument or option) leaves
// *r as it was.
// It belongs to one call: NewClient refuses it, as it refuses a nil r.
func WithResponseInto(r *Response) CallOption {
	return callOption{optionFunc(func(s *settings) error {
		switch {
		case !s.perCall:
			return fmt.Errorf("%w: WithResponseInto applies to one call, not to a client", ErrInvalidOption)
		case r == nil:
			return fmt.Errorf("%w: WithResponseInto(nil)", ErrInvalidOption)
		}
		s.into = r
		return nil
	})}
}
