package jaccounttest

import (
	"net/http"
	"strings"
)

// principal is who an API request acts for.
type principal struct {
	grant
	user *User // nil for a client-credentials token
}

// bearerToken extracts the access token of an API request and says where
// it came from. A malformed Authorization header yields an empty token.
func bearerToken(r *http.Request) (string, Credential) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", CredentialNone
		}
		tok = strings.TrimSpace(tok)
		if tok == "" || strings.ContainsAny(tok, " \t") {
			return "", CredentialNone
		}
		return tok, CredentialBearer
	}
	if tok := r.URL.Query().Get("access_token"); tok != "" {
		return tok, CredentialQuery
	}
	return "", CredentialNone
}

// apiHandler serves /v1/ of server ("" the open API, "data" the data
// resources): authentication here, then the operation's route, scopes and
// handler (routes.go).
func (s *Server) apiHandler(server string) http.Handler {
	mux := s.apiRouter(server)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.anonymous(server, r) {
			note(r, CredentialNone, r.URL.Query().Get("client_id"))
			mux.ServeHTTP(w, withValue(r, principalKey, &principal{}))
			return
		}
		tok, cred := bearerToken(r)
		s.mu.Lock()
		at, ok := s.access[tok]
		var p *principal
		reason, errno := "", errnoAuthFailed
		switch {
		case tok == "" || !ok:
			reason = "invalid access token"
		case at.revoked:
			reason = "access token revoked"
		case !s.now().Before(at.expiry):
			reason, errno = "access token expired", errnoTokenExpired
		default:
			p = &principal{grant: at.grant, user: s.users[at.username]}
			if at.username != "" && p.user == nil {
				p, reason = nil, "the user no longer exists"
			}
		}
		s.mu.Unlock()
		if ok {
			note(r, cred, at.clientID)
		} else {
			note(r, cred, r.URL.Query().Get("client_id"))
		}
		if p == nil {
			s.logRejected(r, http.StatusForbidden, reason)
			rejectToken(w, errno)
			return
		}
		mux.ServeHTTP(w, withValue(r, principalKey, p))
	})
}

// anonymous reports whether r carries no credential at all (no
// Authorization header, no access_token) and goes to an operation the spec
// lets anyone call (its security lists the empty requirement): it is then
// served without a principal's grant, as the live school calendar answered
// a call without a token (evidence E3). A credential, even a bad one, is
// checked as on any operation.
func (s *Server) anonymous(server string, r *http.Request) bool {
	if r.Header.Get("Authorization") != "" || r.URL.Query().Has("access_token") {
		return false
	}
	rt, _, _ := match(server, r.Method, r.URL.EscapedPath())
	return rt != nil && rt.op.anonymous
}

// The errnos with which the live API rejects a token (jaccount-api.md §0).
const (
	errnoAuthFailed   = 10002 // AUTHENTICATION_FAILED: unknown, revoked or missing token
	errnoTokenExpired = 10007 // ACCESS_TOKEN_EXPIRED
)

// The other documented errnos the fake answers with (errnoNames, generated
// from the spec's catalogue, holds their symbols).
const (
	errnoUnknown         = -1    // UNKNOWN_ERROR: no such API, or a method it does not take
	errnoException       = -2    // EXCEPTION: the fake's own failure
	errnoBadParameters   = 10001 // BAD_PARAMETERS
	errnoEntitleFailure  = 10003 // ENTITLE_FAILURE: an injected 403 (ErrorStatus)
	errnoInternalFailure = 10004 // INTERNAL_FAILURE: an injected 5xx (ErrorStatus)
	errnoNotFound        = 10008 // GETDATA_NOT_FOUND
	errnoScopeFailed     = 10010 // AUTHENTICATION_SCOPE_FAILED
	errnoInvalidClasses  = 70001 // INVALID_CLASSES: no such teaching class
)

// rejection is the live API's answer to a bad token: errno, error and total,
// without entities.
type rejection struct {
	Errno int    `json:"errno"`
	Error string `json:"error"`
	Total int    `json:"total"`
}

// rejectToken answers as the live API does when it refuses the access
// token: HTTP 403 with {"errno":10002,"error":"Authentication Failed.",
// "total":0}; an expired token gets errno 10007 (its message is the
// errno's symbolic name, the live text being unrecorded).
func rejectToken(w http.ResponseWriter, errno int) {
	msg := "Authentication Failed."
	if errno == errnoTokenExpired {
		msg = "ACCESS_TOKEN_EXPIRED"
	}
	writeJSON(w, http.StatusForbidden, rejection{Errno: errno, Error: msg})
}
