package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/redact"
)

// Sentinel errors, matched by errors.Is against an *Error. The first five
// follow the HTTP status; the others describe a reply that is not a usable
// envelope.
var (
	// ErrUnauthorized matches a rejected token (and a forced refresh did not
	// help): a 401, or errno 10002 (authentication failed) or 10007 (access
	// token expired) at any status, which is how the live API answers (403
	// for a missing token, 200 for an invalid one).
	ErrUnauthorized = errors.New("jaccount api: unauthorized")
	// ErrForbidden matches any other 403, and errno 10010
	// (AUTHENTICATION_SCOPE_FAILED) whatever the status: the token lacks
	// the scope (Error.Scopes returns them when the reply names them) or the
	// operation is not allowed.
	ErrForbidden = errors.New("jaccount api: forbidden")
	// ErrNotFound matches a 404.
	ErrNotFound = errors.New("jaccount api: not found")
	// ErrRateLimited matches a 429 that outlasted the retries, or whose
	// Retry-After was longer than RetryPolicy.MaxWait or would have ended
	// after the call's deadline or retry budget (Error.RetryAfter says when
	// to try again).
	ErrRateLimited = errors.New("jaccount api: rate limited")
	// ErrServerError matches a 5xx that outlasted the retries.
	ErrServerError = errors.New("jaccount api: server error")
	// ErrAPI matches a reply whose envelope carries errno != 0, whatever the
	// status (a failure may come with HTTP 200). The Errno… constants match
	// one errno each.
	ErrAPI = errors.New("jaccount api: request failed")
	// ErrInvalidResponse matches a reply that is not a valid envelope: not
	// JSON (an HTML error page), malformed, or without an entities array.
	ErrInvalidResponse = errors.New("jaccount api: invalid response")
	// ErrResponseTooLarge matches a reply longer than the size cap (see
	// WithMaxResponseSize).
	ErrResponseTooLarge = errors.New("jaccount api: response too large")
	// ErrNoEntity matches a successful reply of a single-entity operation
	// whose entities array is empty.
	ErrNoEntity = errors.New("jaccount api: no entity in response")
	// ErrOutcomeUnknown matches the error of a call that is not idempotent
	// (a send, a create, a payment: every jAccount PUT and POST, as the
	// spec marks them) and failed after its request may have reached the
	// server: a 5xx, a timeout, a connection lost after the request was
	// written, a reply that could not be read. The service may have acted
	// on it: check its state before calling again. Such a call is never
	// repeated by the client; a refusal (a 4xx, an errno in an envelope, a
	// rejected token) is not unknown, nor is a failure before any
	// connection was made, after which the client does repeat the call.
	ErrOutcomeUnknown = errors.New("jaccount api: outcome unknown")
)

// Errno is a jAccount errno, the envelope's error number (0 is success);
// the Errno… constants are the documented ones. An Errno is an error, like
// syscall.Errno: errors.Is(err, api.ErrnoBadParameters) reports whether a
// call failed with that errno (an *Error's Is compares its Errno).
type Errno int

// Error returns "jaccount api: errno N", with the documented symbol when
// there is one.
func (n Errno) Error() string {
	s := "jaccount api: errno " + strconv.Itoa(int(n))
	if name := ErrnoName(n); name != "" {
		s += " " + name
	}
	return s
}

// Error is the error of a failed call. Its text names the request by its
// method and its operation's path template (GET /v1/profile/{id}), never by
// its URL, which may hold a token, nor by the path as sent, which may hold
// a user's account or a lesson's code: an error's text may be logged or
// shown anywhere. Every fmt verb prints that text (%#v in Go syntax around
// it).
type Error struct {
	// Method and Path identify the request. Path is the path as sent
	// (escaped, below the base URL's path, without the query), for the
	// caller's own use: it may hold a user's data (/v1/profile/<account>).
	// The error's text names instead the template of the spec's operation
	// the path matches, or, for a path the spec does not know, the path with
	// each segment that is not a word of the spec's paths replaced by
	// {redacted}, as the debug log does (WithLogger).
	Method, Path string
	// StatusCode is the HTTP status, or 0 when no response arrived.
	StatusCode int
	// Errno is the envelope's errno, 0 when absent.
	Errno Errno
	// Message is the envelope's error message, or a description of what was
	// wrong with the reply. The detail jAccount may put after a blank line
	// ("BAD_PARAMETERS\n\nMORE_INFORMATION:phones is required") is kept,
	// after ": " ("BAD_PARAMETERS: MORE_INFORMATION:phones is required").
	Message string
	// Body is a short, sanitised snippet of a body that was not a valid
	// envelope; empty otherwise.
	Body string
	// RetryAfter is the server's Retry-After on a 429 or 503, if any. A
	// call whose Retry-After exceeds RetryPolicy.MaxWait, or would end after
	// its deadline or retry budget, returns at once with it set.
	RetryAfter time.Duration
	// Attempts is the number of attempts made.
	Attempts int
	// OutcomeUnknown is set when the call is not idempotent and failed
	// after its request may have reached the server: the service may have
	// acted on it (see ErrOutcomeUnknown, which the error then matches).
	OutcomeUnknown bool
	// Err is the underlying cause, if any: a sentinel such as
	// ErrInvalidResponse, a decoding error, a transport error, or the error
	// of the TokenSource.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("jaccount api: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(logPath(anyClient, e.Method, e.Path))
	if e.StatusCode != 0 {
		b.WriteString(": HTTP ")
		b.WriteString(strconv.Itoa(e.StatusCode))
	}
	if e.Errno != 0 {
		b.WriteString(": errno ")
		b.WriteString(strconv.Itoa(int(e.Errno)))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil && e.Message == "" {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Body != "" {
		b.WriteString(": body ")
		b.WriteString(strconv.Quote(e.Body))
	}
	if e.OutcomeUnknown {
		b.WriteString("; ")
		b.WriteString(outcomeUnknownText)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Format prints the error's text (Error) for every verb, in Go syntax
// for %#v, so that no verb prints the fields as they are: Path may hold a
// user's data. (A value receiver: an Error value prints so too.)
func (e Error) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, e.GoString())
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), e.Error())
}

// GoString is the error's text in Go syntax: &api.Error{"…"}.
func (e Error) GoString() string { return "&api.Error{" + strconv.Quote(e.Error()) + "}" }

// Scopes returns the scopes a reply with errno 10010
// (AUTHENTICATION_SCOPE_FAILED) names as missing, when its message names any
// of the registry's, in order; nil otherwise (the bare symbolic message
// names none).
func (e *Error) Scopes() []Scope {
	if e.Errno != ErrnoAuthenticationScopeFailed {
		return nil
	}
	return scopesNamed(e.Message)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether the error's status matches one of the status sentinels
// (ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRateLimited,
// ErrServerError), errno 10002 or 10007 for ErrUnauthorized, errno 10010 for
// ErrForbidden, errno != 0 for ErrAPI, OutcomeUnknown for ErrOutcomeUnknown,
// or the error's errno for an Errno.
func (e *Error) Is(target error) bool {
	if n, ok := target.(Errno); ok {
		return n != 0 && e.Errno == n
	}
	authErrno := isAuthErrno(int(e.Errno))
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || authErrno
	case ErrForbidden:
		return (e.StatusCode == http.StatusForbidden && !authErrno) || e.Errno == ErrnoAuthenticationScopeFailed
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServerError:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	case ErrAPI:
		return e.Errno != 0
	case ErrOutcomeUnknown:
		return e.OutcomeUnknown
	}
	return false
}

// maxSnippet bounds Error.Body, in bytes; maxMessage Error.Message, whose
// detail may be long (a list of bad parameters).
const (
	maxSnippet = 200
	maxMessage = 1000
)

// message turns an envelope's error text into Error.Message: the detail
// after a blank line kept after ": ", secrets and control characters out.
func message(text string, secrets ...string) string {
	head, detail, found := strings.Cut(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n")
	if !found {
		return sanitize(text, maxMessage, secrets...)
	}
	head, detail = strings.TrimSpace(head), strings.TrimSpace(detail)
	if head == "" || detail == "" {
		return sanitize(head+detail, maxMessage, secrets...)
	}
	return sanitize(head+": "+detail, maxMessage, secrets...)
}

// scopeWord splits a message into the words a scope name can be.
var scopeWord = regexp.MustCompile(`[a-z_]+`)

// scopesNamed returns the registry's scopes a message names, in order, once
// each; nil when it names none.
func scopesNamed(msg string) []Scope {
	var out []Scope
	for _, w := range scopeWord.FindAllString(msg, -1) {
		if s := Scope(w); s.Known() && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// sanitize makes s safe to show: known secrets and anything shaped like a
// credential are replaced, invalid UTF-8 and control characters removed,
// white space collapsed, and the result cut to at most limit bytes (see
// internal/redact, which auth and web share).
func sanitize(s string, limit int, secrets ...string) string {
	return redact.Text(s, limit, secrets...)
}
