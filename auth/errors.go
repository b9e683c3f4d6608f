package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidGrant matches (errors.Is) a *TokenError whose code is
// invalid_grant: the code or refresh token was rejected, expired or already
// used, and the user has to log in again.
var ErrInvalidGrant = errors.New("auth: invalid_grant")

// ErrInvalidClient matches (errors.Is) a *TokenError whose code is
// invalid_client: the token endpoint did not accept the client id and
// secret (a wrong or rotated secret, or the wrong AuthStyle). Logging in
// again does not help; the application's configuration must change.
var ErrInvalidClient = errors.New("auth: invalid_client")

// ErrInvalidScope matches (errors.Is) a *TokenError or an *AuthorizeError
// whose code is invalid_scope: a scope asked for is unknown or not granted
// to the application.
var ErrInvalidScope = errors.New("auth: invalid_scope")

// ErrAccessDenied matches (errors.Is) an *AuthorizeError whose code is
// access_denied: the user declined the authorization.
var ErrAccessDenied = errors.New("auth: access_denied")

// ErrMalformedResponse matches (errors.Is) a *TokenError for a response that
// is neither a token nor an RFC 6749 error, e.g. an HTML error page.
var ErrMalformedResponse = errors.New("auth: malformed token response")

// ErrNoToken means there is no usable token to refresh: the store is empty
// or the token has no refresh token. The user has to log in.
var ErrNoToken = errors.New("auth: no token")

// ErrMissingCode is returned by HandleCallback for a callback whose state
// matches but that carries neither a code nor an error.
var ErrMissingCode = errors.New("auth: callback has no authorization code")

// ErrIDTokenExpired matches (errors.Is) an ID-token failure whose cause is
// an exp claim in the past (beyond the leeway): an *IDTokenExpiredError,
// which says when. Such errors also match ErrInvalidIDToken.
var ErrIDTokenExpired = errors.New("auth: ID token expired")

// IDTokenExpiredError is the error of an ID token whose signature verified
// but whose exp claim is in the past, beyond the leeway (go-oidc's
// TokenExpiredError). errors.Is matches it with ErrIDTokenExpired and
// ErrInvalidIDToken; errors.As gives its Expiry:
//
//	var expired *auth.IDTokenExpiredError
//	if errors.As(err, &expired) {
//		log.Printf("the ID token expired at %v", expired.Expiry)
//	}
type IDTokenExpiredError struct {
	// Expiry is the token's exp claim.
	Expiry time.Time
}

// Error says when the token expired.
func (e *IDTokenExpiredError) Error() string {
	return "auth: invalid ID token: ID token expired at " + e.Expiry.UTC().Format(time.RFC3339)
}

// Is makes errors.Is(err, ErrIDTokenExpired) and errors.Is(err,
// ErrInvalidIDToken) hold.
func (e *IDTokenExpiredError) Is(target error) bool {
	return target == ErrIDTokenExpired || target == ErrInvalidIDToken
}

// ErrSaveConflict is what a TokenStore's Save returns (wrapped or not) when
// it refuses the save because another writer stored a newer token since
// this process loaded: a fenced compare-and-set failed. TokenSource then
// re-reads the store instead of retrying the save.
var ErrSaveConflict = errors.New("auth: token store changed since it was loaded")

// ErrTemporary matches a failure to get a token that may pass by itself: a
// 5xx or 429 answer of the token endpoint, an RFC 6749
// temporarily_unavailable or server_error, a connection to it that failed
// or broke, or a shared token store (Redis, say) that cannot be reached.
// TokenSource retries token-endpoint failures with backoff before reporting
// them, and remembers none of these. The user need not log in again: retry
// later.
var ErrTemporary = errors.New("auth: token endpoint temporarily unavailable")

// ErrSubjectMismatch matches a *SubjectMismatchError.
var ErrSubjectMismatch = errors.New("auth: the token store holds another user's token")

// SubjectMismatchError is returned by a TokenSource whose store holds a
// token of another user (ID-token subject) than the source's own: the
// source refuses to switch users. Subjects are compared only when both
// tokens carry verified claims.
type SubjectMismatchError struct {
	// Stored is the subject of the stored token; Source that of the
	// source's token.
	Stored, Source string
}

// Error names both subjects (jAccount usernames, not secrets).
func (e *SubjectMismatchError) Error() string {
	return fmt.Sprintf("auth: the token store holds %q's token, not %q's: refusing to switch users", e.Stored, e.Source)
}

// Is makes errors.Is(err, ErrSubjectMismatch) work.
func (e *SubjectMismatchError) Is(target error) bool { return target == ErrSubjectMismatch }

// ErrInvalidOption matches the error of a constructor given an invalid
// option value, such as a negative timeout.
var ErrInvalidOption = errors.New("auth: invalid option")

// maxSnippet bounds, in bytes, each text an error copies from an answer
// (TokenError's and AuthorizeError's fields), after internal/redact has
// scrubbed it.
const maxSnippet = 200

// TokenError is a failure answer of the token endpoint. Its fields hold only
// sanitised server text, never the request, so it is safe to log.
type TokenError struct {
	// Code is the RFC 6749 §5.2 error code (e.g. "invalid_grant"), or ""
	// when the body was not an RFC 6749 error.
	Code string
	// Description is the sanitised error_description.
	Description string
	// URI is the error_uri, if any.
	URI string
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Snippet is a short sanitised start of the body when it could not be
	// understood (Code == ""); known secrets are replaced.
	Snippet string
}

// Error describes the failure without any credential.
func (e *TokenError) Error() string {
	var b strings.Builder
	b.WriteString("auth: token endpoint")
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	} else {
		b.WriteString(": malformed response")
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	fmt.Fprintf(&b, " (HTTP %d)", e.StatusCode)
	if e.Snippet != "" {
		fmt.Fprintf(&b, ": %q", e.Snippet)
	}
	return b.String()
}

// Is makes errors.Is match ErrInvalidGrant, ErrInvalidClient and
// ErrInvalidScope by the error code, ErrMalformedResponse for a body that
// was not an RFC 6749 error, and ErrTemporary (see Temporary).
func (e *TokenError) Is(target error) bool {
	switch target {
	case ErrMalformedResponse:
		return e.Code == ""
	case ErrTemporary:
		return e.Temporary()
	case ErrInvalidGrant, ErrInvalidClient, ErrInvalidScope:
		return codeSentinel(e.Code) == target
	}
	return false
}

// Temporary reports whether the failure may pass by itself: a 5xx or 429
// status, or the codes temporarily_unavailable and server_error.
func (e *TokenError) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == 429 ||
		e.Code == "temporarily_unavailable" || e.Code == "server_error"
}

// transientError is a token request that failed without an answer (the
// connection failed or broke) while its context was still live.
type transientError struct {
	op  string
	err error
}

func (e *transientError) Error() string { return "auth: " + e.op + ": " + e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrTemporary) work.
func (e *transientError) Is(target error) bool { return target == ErrTemporary }

// Temporary reports true: the request may succeed when repeated.
func (e *transientError) Temporary() bool { return true }

// waitError is what a caller gets when its context (or the refresh's own
// timeout) ends while a refresh is still retrying: both the context's error
// and the last attempt's, so it matches ErrTemporary.
type waitError struct{ ctx, last error }

func (e *waitError) Error() string {
	return "auth: " + e.ctx.Error() + " while waiting for a token; last refresh attempt: " + e.last.Error()
}
func (e *waitError) Unwrap() []error { return []error{e.ctx, e.last} }

// codeSentinel maps an RFC 6749 error code to this package's sentinel.
func codeSentinel(code string) error {
	switch code {
	case "invalid_grant":
		return ErrInvalidGrant
	case "invalid_client":
		return ErrInvalidClient
	case "invalid_scope":
		return ErrInvalidScope
	case "access_denied":
		return ErrAccessDenied
	}
	return nil
}

// AuthorizeError is the error jAccount sent back to the redirect URL
// instead of a code (RFC 6749 §4.1.2.1), e.g. access_denied when the user
// declined. HandleCallback returns it only after the state matched, so it
// did come from the login this browser started. Its fields are sanitised
// copies of the query, safe to log and show.
type AuthorizeError struct {
	// Code is the error parameter, e.g. "access_denied" or "invalid_scope".
	Code string
	// Description is the error_description parameter, if any.
	Description string
	// URI is the error_uri parameter, if any.
	URI string
}

// Error describes the refusal.
func (e *AuthorizeError) Error() string {
	s := "auth: authorization failed: " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Is makes errors.Is match ErrAccessDenied and ErrInvalidScope by the
// error code.
func (e *AuthorizeError) Is(target error) bool {
	switch target {
	case ErrAccessDenied, ErrInvalidScope:
		return codeSentinel(e.Code) == target
	}
	return false
}
