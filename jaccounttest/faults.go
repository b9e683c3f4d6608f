package jaccounttest

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

type faultKind int

const (
	faultLatency faultKind = iota + 1 // the zero Fault has no kind: Inject refuses it
	faultStatus
	faultHTML
	faultDrop
	faultTruncate
	faultErrno
)

// Fault is a failure the server injects into its responses, made by one of
// Latency, ErrorStatus, RateLimit, HTMLPage, DropConnection, TruncateBody or
// Errno and narrowed with Times, On, OnPath, For, Probability and
// AboveRate. Faults are
// checked in the order they were injected: all matching Latency faults
// delay the response, then the first other matching fault answers instead
// of the server.
//
// Each narrowing knob left alone keeps its zero value, which is the widest:
//
//   - Times: no limit, the fault answers every matching request until
//     ClearFaults; Times(n) needs n >= 1.
//   - For: no time limit; For(d) needs d > 0.
//   - Probability: 1, every matching request; Probability(p) needs p in
//     [0, 1]: 0 never fires, 1 always does.
//   - On: every endpoint (Errno's default is EndpointAPI); On("") restores
//     that, any other value must be one of the Endpoint constants.
//   - OnPath: every path; OnPath(p) needs p to start with "/".
//   - AboveRate: every matching request, whatever the rate; AboveRate(n,
//     per) needs 1 <= n <= MaxAboveRate and per > 0.
//
// The constructors refuse what cannot be served: a negative Latency or
// RateLimit, an ErrorStatus outside 400–599, an HTMLPage outside 200–599.
// The zero Fault (Fault{}) is no fault at all and is refused too.
//
// A knob or constructor given an invalid value does not fail at once (so
// that faults chain); the fault carries the error, Err reports it, and
// Inject refuses it: it returns the error and, on a Server of New, fails
// the test too, so that a test cannot drop it by ignoring the result. A
// fault a test meant to inject and did not would let the test pass without
// the failure it was written to survive.
type Fault struct {
	kind       faultKind
	latency    time.Duration
	status     int
	retryAfter time.Duration
	errno      int
	message    string
	times      int // remaining; 0 means unlimited
	path       string
	endpoint   Endpoint
	dur        time.Duration // For; 0 means no time limit
	until      time.Time     // set by Inject from dur
	sampled    bool          // Probability was set: answer with probability prob
	prob       float64
	rateN      int           // AboveRate's n; 0: no rate
	ratePer    time.Duration // AboveRate's window
	passed     []time.Time   // the latest matching requests let through (AboveRate), a ring of at most rateN
	oldest     int           // passed's oldest entry once it is full
	err        error         // the first invalid argument, reported by Err and Inject
}

// ErrInvalidFault matches the error of a Fault built with an invalid
// argument (Fault.Err), which Inject returns.
var ErrInvalidFault = errors.New("jaccounttest: invalid fault")

// check returns f, with its error set to the text of format when bad and
// f had no error yet: the first invalid argument is the one reported.
func (f Fault) check(bad bool, format string, args ...any) Fault {
	if bad && f.err == nil {
		f.err = fmt.Errorf("%w: "+format, append([]any{ErrInvalidFault}, args...)...)
	}
	return f
}

// Err reports why Inject would refuse f (an error matching
// ErrInvalidFault that names the knob and its value), or nil: a program
// that builds faults from its input can check them one by one before
// injecting any.
func (f Fault) Err() error {
	if f.err == nil && f.kind == 0 {
		return fmt.Errorf("%w: the zero Fault; make one with Latency, ErrorStatus, RateLimit, HTMLPage, DropConnection, TruncateBody or Errno", ErrInvalidFault)
	}
	return f.err
}

// Latency delays matching responses by d (or until the request's context
// ends).
func Latency(d time.Duration) Fault {
	return Fault{kind: faultLatency, latency: d}.check(d < 0, "Latency(%v): negative", d)
}

// ErrorStatus answers with the HTTP status code and an error body in the
// endpoint's own shape: RFC 6749 JSON at the token endpoint, the API
// envelope elsewhere. The envelope carries the errno that the spec's
// catalogue (x-jaccount-errnos, from the documentation's 错误代码) gives
// that kind of failure, never the status itself, and the message in the
// documented form, the errno's symbol, a blank line and the detail
// ("INTERNAL_FAILURE\n\nMORE_INFORMATION:HTTP 503 Service Unavailable"):
//
//   - 5xx: 10004 INTERNAL_FAILURE, the catalogue's failure inside the
//     service (-1 UNKNOWN_ERROR is for a failure of unknown cause, which
//     the fake uses for a path or method it does not serve; -2 EXCEPTION
//     for an exception of the server's own code);
//   - 400: 10001 BAD_PARAMETERS;
//   - 401: 10002 AUTHENTICATION_FAILED (the live API answers a bad token
//     with 403 and 10002);
//   - 403: 10003 ENTITLE_FAILURE, a refusal that is neither about the token
//     (10002 and 10007 make the SDK refresh it: use RevokeToken or
//     ExpireAccessToken for those) nor about a scope (10010, which a token
//     without the scope gets);
//   - 404: 10008 GETDATA_NOT_FOUND;
//   - anything else (429 of RateLimit, 405, …): -1 UNKNOWN_ERROR, the
//     catalogue having no errno for it.
//
// The live service's errno for a gateway's 5xx or a rate limit is not
// documented; these are the catalogue's nearest entries.
//
// A code outside 400–599 is refused: use HTMLPage or Errno for an error
// that claims success.
func ErrorStatus(code int) Fault {
	return Fault{kind: faultStatus, status: code}.
		check(code < 400 || code > 599, "ErrorStatus(%d): not an HTTP error status (400–599)", code)
}

// statusErrno is the catalogue's errno for an injected error status (see
// ErrorStatus).
func statusErrno(status int) int {
	switch {
	case status >= 500:
		return errnoInternalFailure
	case status == http.StatusBadRequest:
		return errnoBadParameters
	case status == http.StatusUnauthorized:
		return errnoAuthFailed
	case status == http.StatusForbidden:
		return errnoEntitleFailure
	case status == http.StatusNotFound:
		return errnoNotFound
	}
	return errnoUnknown
}

// RateLimit answers 429 Too Many Requests with a Retry-After header of
// retryAfter (in whole seconds, rounded up; none when retryAfter is 0) and
// an error body like ErrorStatus (errno -1 UNKNOWN_ERROR on the API: the
// catalogue has no errno for a rate limit). A negative retryAfter is
// refused.
func RateLimit(retryAfter time.Duration) Fault {
	return Fault{kind: faultStatus, status: http.StatusTooManyRequests, retryAfter: retryAfter}.
		check(retryAfter < 0, "RateLimit(%v): negative Retry-After", retryAfter)
}

// HTMLPage answers with an HTML error page and the status code, the way a
// gateway in front of jAccount does. HTMLPage(200) is an error page that
// claims success. A code outside 200–599 is refused.
func HTMLPage(code int) Fault {
	return Fault{kind: faultHTML, status: code}.
		check(code < 200 || code > 599, "HTMLPage(%d): not a status a page can have (200–599)", code)
}

// DropConnection closes the connection without any response. Note that
// net/http's Transport silently retries an idempotent request once when a
// reused keep-alive connection closes before the response, so a fault with
// Times(1) may then go unnoticed by the client; Requests still shows it.
func DropConnection() Fault { return Fault{kind: faultDrop} }

// TruncateBody sends a 200 response's headers with a Content-Length
// larger than the part of the body it sends, then closes the connection.
func TruncateBody() Fault { return Fault{kind: faultTruncate} }

// Errno answers HTTP 200 with the API envelope carrying errno (which
// should not be 0) and message. Unless On says otherwise it applies to the
// API only.
func Errno(errno int, message string) Fault {
	return Fault{kind: faultErrno, errno: errno, message: message, endpoint: EndpointAPI}
}

// Times limits the fault to the next n matching requests it answers. An
// n < 1 is refused: a fault that answers no request is no fault (leave Times
// off for no limit).
func (f Fault) Times(n int) Fault {
	f.times = n
	return f.check(n < 1, "Times(%d): n must be at least 1; leave Times off for no limit", n)
}

// For limits the fault to the d after Inject, by the server's clock
// (WithClock): a time-bounded outage, e.g.
// ErrorStatus(503).On(EndpointToken).For(time.Second). A d <= 0 is refused:
// the fault would end before any request (leave For off for no limit).
func (f Fault) For(d time.Duration) Fault {
	f.dur = d
	return f.check(d <= 0, "For(%v): d must be positive; leave For off for no time limit", d)
}

// Probability makes the fault answer each matching request with
// probability p, independently, so that faults are spread over a run
// (Times then counts the requests it answered). Probability(0) never
// answers, Probability(1) always does, as a fault without Probability
// does. A p outside [0, 1], or NaN, is refused.
func (f Fault) Probability(p float64) Fault {
	f.sampled, f.prob = true, p
	return f.check(!(p >= 0 && p <= 1), "Probability(%v): p must be in [0, 1]", p) // NaN fails both
}

// MaxAboveRate is the largest n AboveRate accepts.
const MaxAboveRate = 1 << 20

// AboveRate limits the fault to the matching requests beyond n in any
// window of length per, by the server's clock (WithClock): the server
// answers n matching requests in any such window itself and the fault
// answers the rest, as a server that allows n requests per per does, e.g.
// RateLimit(time.Second).AboveRate(50, time.Second) answers 429 above 50
// requests a second. The window slides: a request is let through when
// fewer than n matching requests were let through in the per before it.
// Requests the fault answers do not count, nor do those another fault
// answered first. An n below 1 or above MaxAboveRate, or a per <= 0, is
// refused.
func (f Fault) AboveRate(n int, per time.Duration) Fault {
	f.rateN, f.ratePer = n, per
	return f.check(n < 1 || n > MaxAboveRate || per <= 0,
		"AboveRate(%d, %v): n must be in [1, %d] and per positive", n, per, MaxAboveRate)
}

// aboveRate reports whether a matching request at now is beyond the
// fault's rate (always, without AboveRate); when it is not, the request is
// counted as let through.
func (f *Fault) aboveRate(now time.Time) bool {
	switch {
	case f.rateN == 0:
		return true
	case len(f.passed) < f.rateN:
		f.passed = append(f.passed, now)
		return false
	case now.Sub(f.passed[f.oldest]) < f.ratePer:
		return true
	}
	f.passed[f.oldest] = now
	f.oldest = (f.oldest + 1) % f.rateN
	return false
}

// fires reports whether the fault answers a matching request, given u
// drawn uniformly from [0, 1).
func (f *Fault) fires(u float64) bool { return !f.sampled || u < f.prob }

// On limits the fault to requests to endpoint e; "" means every endpoint.
// Any other value must be one of the Endpoint constants.
func (f Fault) On(e Endpoint) Fault {
	f.endpoint = e
	known := []Endpoint{"", EndpointAuthorize, EndpointToken, EndpointLogout, EndpointAPI, EndpointOther}
	return f.check(!slices.Contains(known, e), "On(%q): not an Endpoint of the fake", e)
}

// OnPath limits the fault to requests whose path is p or, when p ends in
// "/", starts with p; "" means every path. A p that does not start with
// "/" would match no request and is refused.
func (f Fault) OnPath(p string) Fault {
	f.path = p
	return f.check(p != "" && !strings.HasPrefix(p, "/"), "OnPath(%q): a path starts with /", p)
}

func (f *Fault) matches(path string) bool {
	if f.endpoint != "" && f.endpoint != endpointOf(path) {
		return false
	}
	if f.path == "" || f.path == path {
		return true
	}
	return strings.HasSuffix(f.path, "/") && strings.HasPrefix(path, f.path)
}

// Inject adds faults; see Fault. It adds all of them or, when one of them
// is invalid (Fault.Err), none, and returns an error matching
// ErrInvalidFault that names the fault, the knob and the value. On a Server
// of New the refusal also fails the test (tb.Errorf), whether or not the
// test checks the error.
func (s *Server) Inject(faults ...Fault) error {
	for i, f := range faults {
		if err := f.Err(); err != nil {
			err = fmt.Errorf("%w (Inject's fault %d of %d)", err, i+1, len(faults))
			if s.tb != nil {
				s.tb.Helper()
				s.tb.Errorf("jaccounttest: Inject: %v", err)
			}
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, f := range faults {
		if f.dur > 0 {
			f.until = now.Add(f.dur)
		}
		s.faults = append(s.faults, &f)
	}
	return nil
}

// ClearFaults removes all faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// take returns the faults that apply to a request to path, consuming one
// use of each: the latencies to wait, and the fault that answers (nil if
// the server answers).
func (s *Server) take(path string) (delays []time.Duration, answer *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	kept := s.faults[:0]
	for _, f := range s.faults {
		if !f.until.IsZero() && !now.Before(f.until) {
			continue // its time is up: drop it
		}
		use := f.matches(path) && (answer == nil || f.kind == faultLatency) && f.aboveRate(now) && f.fires(s.rand.float64())
		if use {
			if f.kind == faultLatency {
				delays = append(delays, f.latency)
			} else {
				c := *f
				answer = &c
			}
		}
		if !use || f.times != 1 {
			if use && f.times > 1 {
				f.times--
			}
			kept = append(kept, f)
		}
	}
	clear(s.faults[len(kept):])
	s.faults = kept
	return delays, answer
}

// injectFaults applies the faults before the server sees a request.
func (s *Server) injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		delays, f := s.take(r.URL.Path)
		for _, d := range delays {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if f == nil {
			next.ServeHTTP(w, r)
			return
		}
		if rec, ok := r.Context().Value(recordKey).(*Request); ok {
			rec.Fault = true
		}
		f.serve(w, r)
	})
}

var faultPage = template.Must(template.New("fault").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Code}} {{.Text}}</title></head>
<body><h1>{{.Code}} {{.Text}}</h1><p>The server is temporarily unable to service your request.</p><hr><address>nginx</address></body></html>
`))

func (f *Fault) serve(w http.ResponseWriter, r *http.Request) {
	switch f.kind {
	case faultHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(f.status)
		_ = faultPage.Execute(w, struct {
			Code int
			Text string
		}{f.status, http.StatusText(f.status)})
	case faultDrop, faultTruncate:
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if f.kind == faultTruncate {
			_, _ = fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"errno\":0,\"error\":\"succ")
			_ = buf.Flush()
		}
		_ = conn.Close()
	case faultErrno:
		writeJSON(w, http.StatusOK, gen.Envelope{Errno: f.errno, Error: f.message})
	default:
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.retryAfter.Seconds()))))
		}
		text := http.StatusText(f.status)
		if endpointOf(r.URL.Path) == EndpointToken {
			code := "server_error"
			if f.status == http.StatusServiceUnavailable || f.status == http.StatusTooManyRequests {
				code = "temporarily_unavailable"
			}
			writeJSON(w, f.status, oauthError{Error: code, Description: text})
			return
		}
		writeReply(w, fail(f.status, statusErrno(f.status), "HTTP "+strconv.Itoa(f.status)+" "+text))
	}
}

// writeJSON writes v as a JSON response with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
