package jaccounttest

import (
	"bufio"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Credential says how a request authenticated itself.
type Credential string

// The credentials a Request may carry.
const (
	// CredentialNone: the request carried no credential the fake accepted
	// or looked at.
	CredentialNone Credential = "none"
	// CredentialBearer: an access token in the Authorization: Bearer header.
	CredentialBearer Credential = "bearer"
	// CredentialQuery: an access token in the access_token query parameter.
	CredentialQuery Credential = "query"
	// CredentialClientSecretPost: client_id and client_secret in the token
	// request's form body.
	CredentialClientSecretPost Credential = "client_secret_post"
	// CredentialClientSecretBasic: client credentials in HTTP Basic auth.
	CredentialClientSecretBasic Credential = "client_secret_basic"
	// CredentialSession: the fake's own login-session cookie (authorize).
	CredentialSession Credential = "session"
)

// Endpoint names a part of the fake, for the request log and for scoping
// faults.
type Endpoint string

// The endpoints of the fake.
const (
	EndpointAuthorize Endpoint = "authorize" // /oauth2/authorize, the login page
	EndpointToken     Endpoint = "token"     // /oauth2/token
	EndpointLogout    Endpoint = "logout"    // /oauth2/logout
	EndpointAPI       Endpoint = "api"       // /v1/...
	EndpointOther     Endpoint = "other"     // anything else
)

func endpointOf(path string) Endpoint {
	switch {
	case path == "/oauth2/authorize":
		return EndpointAuthorize
	case path == "/oauth2/token":
		return EndpointToken
	case path == "/oauth2/logout":
		return EndpointLogout
	case strings.HasPrefix(path, "/v1/"):
		return EndpointAPI
	}
	return EndpointOther
}

// Request is one entry of the request log. It never holds a token or a
// secret.
type Request struct {
	// Time is when the request arrived, by the server's clock.
	Time time.Time
	// Method and Path are the request's method and URL path.
	Method, Path string
	// Endpoint is the part of the fake the path belongs to.
	Endpoint Endpoint
	// Credential is how the request authenticated (CredentialNone when it
	// did not, or when a fault answered before anything looked).
	Credential Credential
	// ClientID is the client the request was made by or for, when known.
	ClientID string
	// Status is the HTTP status sent; 0 when a fault dropped the connection
	// or truncated the response.
	Status int
	// Fault reports whether an injected fault produced the response.
	Fault bool
	// Query is the URL's query, and Form the form fields of a request whose
	// body the fake read as a form (token requests, the login and consent
	// forms), both URL-encoded with their keys sorted, and with the value of
	// every parameter that carries a secret (code, access_token,
	// refresh_token, id_token, client_secret, code_verifier, password,
	// ticket, …) replaced by [REDACTED].
	Query, Form string
}

// secretParams are the parameters whose values the request log redacts.
var secretParams = map[string]bool{
	"code": true, "access_token": true, "refresh_token": true, "id_token": true, "id_token_hint": true,
	"client_secret": true, "client_assertion": true, "code_verifier": true, "password": true, "ticket": true,
	"token": true, "assertion": true,
}

// redactedValue replaces a secret in the request log.
const redactedValue = "[REDACTED]"

// redactParams encodes vs, keys sorted, with the values of secretParams
// (whatever their case) redacted; "" for none.
func redactParams(vs url.Values) string {
	if len(vs) == 0 {
		return ""
	}
	out := make(url.Values, len(vs))
	for k, v := range vs {
		if secretParams[strings.ToLower(k)] {
			v = slices.Repeat([]string{redactedValue}, len(v))
		}
		out[k] = v
	}
	return out.Encode()
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack is here for clients of the older http.Hijacker interface.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// record appends every request to the log once it has been answered (or
// its connection dropped).
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &Request{Time: s.now(), Method: r.Method, Path: r.URL.Path,
			Endpoint: endpointOf(r.URL.Path), Credential: CredentialNone}
		sw := &statusWriter{ResponseWriter: w}
		r = withValue(r, recordKey, rec)
		defer func() {
			rec.Status = sw.status
			rec.Query, rec.Form = redactParams(r.URL.Query()), redactParams(r.PostForm)
			s.mu.Lock()
			s.log = append(s.log, *rec)
			s.mu.Unlock()
			s.cfg.logger.Debug("jaccounttest: request", slog.String("method", rec.Method),
				slog.String("path", rec.Path), slog.String("credential", string(rec.Credential)),
				slog.String("client_id", rec.ClientID), slog.Int("status", rec.Status), slog.Bool("fault", rec.Fault))
		}()
		next.ServeHTTP(sw, r)
	})
}
