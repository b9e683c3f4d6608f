package auth

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidGrant matches (errors.Is) a *TokenError whose code is
// invalid_grant: the code or refresh token was rejected, expired or already
// used, and the user has to log in again.
var ErrInvalidGrant = errors.New("auth: invalid_grant")

// ErrMalformedResponse matches (errors.Is) a *TokenError for a response that
// is neither a token nor an RFC 6749 error, e.g. an HTML error page.
var ErrMalformedResponse = errors.New("auth: malformed token response")

// ErrNoToken means there is no usable token to refresh: the store is empty
// or the token has no refresh token. The user has to log in.
var ErrNoToken = errors.New("auth: no token")

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

// Is makes errors.Is(err, ErrInvalidGrant) and
// errors.Is(err, ErrMalformedResponse) work.
func (e *TokenError) Is(target error) bool {
	switch target {
	case ErrInvalidGrant:
		return e.Code == "invalid_grant"
	case ErrMalformedResponse:
		return e.Code == ""
	}
	return false
}
