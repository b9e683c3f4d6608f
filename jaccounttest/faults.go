package jaccounttest

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

type faultKind int

const (
	faultLatency faultKind = iota
	faultStatus
	faultHTML
	faultDrop
	faultTruncate
	faultErrno
)

// Fault is a failure the server injects into its responses, made by one of
// Latency, ErrorStatus, RateLimit, HTMLPage, DropConnection, TruncateBody or
// Errno and narrowed with Times, On, OnPath, For and Probability. A fault
// applies to every matching request until ClearFaults unless Times or For
// limits it. Faults are
// checked in the order they were injected: all matching Latency faults
// delay the response, then the first other matching fault answers instead
// of the server.
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
	prob       float64       // Probability; 0 means every matching request
}

// Latency delays matching responses by d (or until the request's context
// ends).
func Latency(d time.Duration) Fault { return Fault{kind: faultLatency, latency: d} }

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
func ErrorStatus(code int) Fault { return Fault{kind: faultStatus, status: code} }

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
// retryAfter (in whole seconds, rounded up) and an error body like
// ErrorStatus (errno -1 UNKNOWN_ERROR on the API: the catalogue has no
// errno for a rate limit).
func RateLimit(retryAfter time.Duration) Fault {
	return Fault{kind: faultStatus, status: http.StatusTooManyRequests, retryAfter: retryAfter}
}

// HTMLPage answers with an HTML error page and the status code, the way a
// gateway in front of jAccount does. HTMLPage(200) is an error page that
// claims success.
func HTMLPage(code int) Fault { return Fault{kind: faultHTML, status: code} }

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

// Times limits the fault to the next n matching requests.
func (f Fault) Times(n int) Fault { f.times = max(n, 1); return f }

// For limits the fault to the d after Inject, by the server's clock
// (WithClock): a time-bounded outage, e.g.
// ErrorStatus(503).On(EndpointToken).For(time.Second). A d <= 0 means no
// limit.
func (f Fault) For(d time.Duration) Fault { f.dur = max(d, 0); return f }

// Probability makes the fault answer each matching request with
// probability p, independently, so that faults are spread over a run
// (Times then counts the requests it answered). A p <= 0 or >= 1 means
// every matching request, the default.
func (f Fault) Probability(p float64) Fault {
	if p <= 0 || p >= 1 {
		p = 0
	}
	f.prob = p
	return f
}

// On limits the fault to requests to endpoint e.
func (f Fault) On(e Endpoint) Fault { f.endpoint = e; return f }

// OnPath limits the fault to requests whose path is p or, when p ends in
// "/", starts with p.
func (f Fault) OnPath(p string) Fault { f.path = p; return f }

func (f *Fault) matches(path string) bool {
	if f.endpoint != "" && f.endpoint != endpointOf(path) {
		return false
	}
	if f.path == "" || f.path == path {
		return true
	}
	return strings.HasSuffix(f.path, "/") && strings.HasPrefix(path, f.path)
}

// Inject adds faults; see Fault.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, f := range faults {
		if f.dur > 0 {
			f.until = now.Add(f.dur)
		}
		s.faults = append(s.faults, &f)
	}
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
		use := f.matches(path) && (answer == nil || f.kind == faultLatency) &&
			(f.prob == 0 || s.rand.float64() < f.prob)
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
