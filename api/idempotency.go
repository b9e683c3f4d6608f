package api

import (
	"errors"
	"net/http"
	"net/http/httptrace"
	"strings"
)

// retrySafety says whether sending an operation twice has the effect of
// sending it once. The spec states it per operation (x-jaccount-idempotent);
// the generated methods pass it to the transport, and the retry policy
// repeats a request that is not idempotent only when it provably never
// reached the server.
type retrySafety bool

const (
	// idempotent: repeating the request is harmless (a GET, a DELETE, or
	// what the spec marks so).
	idempotent retrySafety = true
	// notIdempotent: the request may create, send or pay (every jAccount
	// PUT and POST): it is never repeated once it may have reached the
	// server, and a failure after that point has an unknown outcome.
	notIdempotent retrySafety = false
)

// opRetry is one row of the generated operationRetry table.
type opRetry struct {
	id, client, method, path string
	safety                   retrySafety
}

// methodSafety is the default of a method the spec does not describe at a
// path: GET, HEAD, OPTIONS, TRACE and DELETE are idempotent; PUT is not,
// although RFC 9110 says it is, since jAccount's PUTs create and send; POST
// and PATCH are not.
func methodSafety(method string) retrySafety {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodDelete:
		return idempotent
	}
	return notIdempotent
}

// retrySafetyOf is the idempotency of method path on the client of the
// server client ("" for Client): the spec's, when path (escaped, without
// the base URL's path) matches the template of one of its operations with
// that method, else the method's default. When several templates match,
// the one with the most literal text wins (/v1/file/edit over
// /v1/file/{id}).
func retrySafetyOf(client, method, path string) retrySafety {
	if op := operationOf(client, method, path); op != nil {
		return op.safety
	}
	return methodSafety(method)
}

// anyClient, as operationOf's client, matches the operations of every
// client type.
const anyClient = "*"

// operationOf returns the operation of the spec on the client of the
// server client (anyClient: any) whose method is method and whose template
// path matches (the one with the most literal text when several do), nil
// for none.
func operationOf(client, method, path string) *opRetry {
	var best *opRetry
	bestLen := -1
	for i := range operationRetry {
		op := &operationRetry[i]
		if op.method != method || (op.client != client && client != anyClient) {
			continue
		}
		if n, ok := matchTemplate(op.path, path); ok && n > bestLen {
			best, bestLen = op, n
		}
	}
	return best
}

// matchTemplate reports whether path matches the path template tmpl, in
// which each {name} stands for one or more characters other than "/"
// (several may share a segment: {dept}:{post}, {value}.{imageType}), and
// returns the number of literal bytes of tmpl. It allocates nothing and
// takes time linear in the lengths for the spec's templates (at most
// their product for any), so that a caller's long path cannot make a
// lookup slow.
func matchTemplate(tmpl, path string) (int, bool) {
	lit, ok := 0, true
	for {
		tseg, trest, tmore := strings.Cut(tmpl, "/")
		pseg, prest, pmore := strings.Cut(path, "/")
		n, segOK := matchSegment(tseg, pseg)
		lit += n
		ok = ok && segOK
		if tmore != pmore {
			return 0, false
		}
		if !tmore {
			return lit, ok
		}
		lit++ // the "/"
		tmpl, path = trest, prest
	}
}

// matchSegment matches one segment of a template (no "/") against one of a
// path, as wildcard matching does: each {name} takes one character, then
// as few more as let the rest match, extending only the last {name} seen
// when a literal fails. It also returns the segment's literal bytes.
func matchSegment(t, s string) (int, bool) {
	lit := 0
	for i := 0; i < len(t); i++ {
		if t[i] != '{' {
			lit++
			continue
		}
		end := strings.IndexByte(t[i:], '}')
		if end < 0 {
			return 0, false // not a template
		}
		i += end
	}
	ti, si := 0, 0
	starT, starS := -1, 0 // after the last {name}: its end in t, and where its run ends in s
	for si < len(s) {
		switch {
		case ti < len(t) && t[ti] == '{':
			ti += strings.IndexByte(t[ti:], '}') + 1
			si++ // a parameter takes at least one character
			starT, starS = ti, si
		case ti < len(t) && t[ti] == s[si]:
			ti++
			si++
		case starT >= 0:
			starS++
			ti, si = starT, starS
		default:
			return lit, false
		}
	}
	return lit, ti == len(t)
}

// trace returns the client trace that records that a request of the call
// got a connection, made once per call.
func (s *callState) trace() *httptrace.ClientTrace {
	if s.tracer == nil {
		s.tracer = &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { s.connected.Store(true) }}
	}
	return s.tracer
}

// outcomeUnknown reports whether a call that failed with err, without a
// usable reply, may have been acted on: it is not idempotent, and nothing
// shows that its request never reached the server. What shows it: the
// token could not be had (nothing was sent), no connection was made
// (httptrace, when the transport is net/http's, which reports every
// connection), or the error is a failure to dial or resolve the host.
func (s *callState) outcomeUnknown(err error) bool {
	if s == nil || s.safety == idempotent || s.attempts == 0 {
		return false // nothing sent yet: the wait for the first turn ended
	}
	var te *tokenError
	var we *WaitError
	if errors.As(err, &te) || errors.As(err, &we) {
		return false
	}
	if s.traced && !s.connected.Load() {
		return false
	}
	return !neverSent(err)
}

// unknownReply reports whether a reply with status to a call that is not
// idempotent leaves its outcome unknown: anything but a 4xx (the service
// refused it) or a 2xx whose body is an envelope (its errno says what
// happened).
func (s *callState) unknownReply(status int, isEnvelope bool) bool {
	if s == nil || s.safety == idempotent {
		return false
	}
	switch {
	case status >= 400 && status <= 499:
		return false
	case status >= 200 && status <= 299:
		return !isEnvelope
	}
	return true
}

// outcomeUnknownError wraps the transport error of an HTTPClient request
// that is not idempotent and may have reached the server.
type outcomeUnknownError struct{ err error }

func (e *outcomeUnknownError) Error() string {
	return e.err.Error() + "; " + outcomeUnknownText
}
func (e *outcomeUnknownError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.err} }

// outcomeUnknownText ends the text of an error that matches
// ErrOutcomeUnknown.
const outcomeUnknownText = "outcome unknown: the request is not idempotent and may have been acted on; check before repeating it"
