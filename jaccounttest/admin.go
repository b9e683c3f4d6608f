package jaccounttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// AdminPath is the path under which WithAdmin serves the admin API, on the
// server's main listener (URL). It is reserved: jAccount has nothing there.
const AdminPath = "/__admin"

// WithAdmin serves an admin HTTP API under AdminPath (AdminURL), through
// which a test in any language steers the fake as a Go test does with the
// methods of Server: inject faults, expire and revoke tokens, issue tokens
// without the authorize flow, read the request log, reset. It speaks JSON
// in and out; a bad request gets a 4xx status and
// {"error": code, "message": text}. Its own requests are neither logged
// nor subject to faults. Anyone who reaches it can steer the server, so it
// is off by default.
//
// The endpoints, relative to AdminURL:
//
//	GET    /                 the list of endpoints
//	GET    /faults           the faults in force
//	POST   /faults           inject a fault: {"kind": …, …} (see below); 201
//	DELETE /faults           remove every fault (ClearFaults)
//	POST   /tokens           issue tokens: {"username", "scopes", "client_id"};
//	                         without username, of the client-credentials grant;
//	                         client_id defaults to the client of the last
//	                         WithClient, else DefaultClientID
//	POST   /tokens/expire    {"token": t} expires one access token
//	                         (ExpireAccessToken), {} every one
//	POST   /tokens/revoke    {"token": t} revokes an access or refresh token
//	GET    /requests         the request log (Requests), secrets redacted
//	DELETE /requests         empty it (ResetRequests)
//	POST   /reset            {"faults", "tokens", "requests": bool}; {} or no
//	                         body resets all three
//	GET    /settings         the settings below
//	PATCH  /settings         change them: {"token_rejection_status": 200}
//	                         (WithTokenRejectionStatus; 0: the default, 403)
//
// A fault is {"kind": k} with, by kind, "latency" (latency_ms), "status"
// (an error status 400–599, ErrorStatus), "rate_limit" (429,
// retry_after_ms, RateLimit), "html" (status, HTMLPage), "drop"
// (DropConnection), "truncate" (TruncateBody) or "errno" (HTTP 200 with
// errno and message, Errno), narrowed by "endpoint" (authorize, token,
// logout, api, other; On), "path" (OnPath), "times" (Times),
// "probability" (Probability: 0 never fires, 1 always), "for_ms" (For) and
// "above_rate": {"n": n, "per_ms": ms} (AboveRate).
// Durations are whole milliseconds. The values are checked as the Go
// knobs check them (Fault.Err), and a refusal's message names the knob.
func WithAdmin() Option {
	return optionFunc(func(cfg *config) error { cfg.admin = true; return nil })
}

// AdminURL returns the base URL of the admin API, URL + AdminPath, or ""
// when the server has none (WithAdmin).
func (s *Server) AdminURL() string {
	if !s.cfg.admin {
		return ""
	}
	return s.URL + AdminPath
}

// maxAdminBody bounds an admin request's body.
const maxAdminBody = 64 << 10

// adminRoute is one endpoint of the admin API.
type adminRoute struct {
	method, path, summary string
	serve                 func(s *Server, body []byte) (int, any, error)
}

// adminRoutes are the admin API's endpoints; GET / lists them (hence the
// init: the list refers to itself).
var adminRoutes []adminRoute

func init() {
	adminRoutes = []adminRoute{
		{http.MethodGet, "/", "this list", (*Server).adminIndex},
		{http.MethodGet, "/faults", "the faults in force", (*Server).adminFaults},
		{http.MethodPost, "/faults", `inject a fault: {"kind":"status","status":503,"endpoint":"api","times":1}`, (*Server).adminInject},
		{http.MethodDelete, "/faults", "remove every fault", (*Server).adminClearFaults},
		{http.MethodPost, "/tokens", `issue tokens without the authorize flow: {"username":"zhangsan","scopes":["essential"]}; without username, of the client-credentials grant`, (*Server).adminIssue},
		{http.MethodPost, "/tokens/expire", `expire an access token: {"token":"..."}; {} expires every one`, (*Server).adminExpire},
		{http.MethodPost, "/tokens/revoke", `revoke an access or refresh token: {"token":"..."}`, (*Server).adminRevoke},
		{http.MethodGet, "/requests", "the request log, secrets redacted", (*Server).adminRequests},
		{http.MethodDelete, "/requests", "empty the request log", (*Server).adminClearRequests},
		{http.MethodPost, "/reset", `reset {"faults":true,"tokens":true,"requests":true}; {} resets all three`, (*Server).adminReset},
		{http.MethodGet, "/settings", "the settings the admin API may change", (*Server).adminSettings},
		{http.MethodPatch, "/settings", `change settings: {"token_rejection_status":200} answers a refused token with HTTP 200 (0: the default, 403)`, (*Server).adminChangeSettings},
	}
}

// adminError is a refused admin request: its status and the body
// {"error": code, "message": text}.
type adminError struct {
	status  int
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *adminError) Error() string { return e.Code + ": " + e.Message }

func badAdminRequest(format string, args ...any) *adminError {
	return &adminError{http.StatusBadRequest, "invalid_request", fmt.Sprintf(format, args...)}
}

func adminNotFound(format string, args ...any) *adminError {
	return &adminError{http.StatusNotFound, "not_found", fmt.Sprintf(format, args...)}
}

// withAdmin serves the admin API in front of next when it is enabled.
func (s *Server) withAdmin(next http.Handler) http.Handler {
	if !s.cfg.admin {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, isAdmin := strings.CutPrefix(r.URL.Path, AdminPath)
		if !isAdmin || (rest != "" && rest[0] != '/') {
			next.ServeHTTP(w, r)
			return
		}
		if rest == "" {
			rest = "/"
		}
		s.serveAdmin(w, r, rest)
	})
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request, path string) {
	fail := func(e *adminError) { writeJSON(w, e.status, e) }
	var allowed []string
	var route *adminRoute
	for i := range adminRoutes {
		if adminRoutes[i].path != path {
			continue
		}
		allowed = append(allowed, adminRoutes[i].method)
		if adminRoutes[i].method == r.Method {
			route = &adminRoutes[i]
		}
	}
	switch {
	case len(allowed) == 0:
		fail(adminNotFound("no admin endpoint %s%s (GET %s/ lists them)", AdminPath, path, AdminPath))
		return
	case route == nil:
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		fail(&adminError{http.StatusMethodNotAllowed, "method_not_allowed",
			fmt.Sprintf("%s%s takes %s, not %s", AdminPath, path, strings.Join(allowed, " or "), r.Method)})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			fail(&adminError{http.StatusRequestEntityTooLarge, "too_large",
				fmt.Sprintf("the body is larger than %d bytes", maxAdminBody)})
			return
		}
		fail(badAdminRequest("reading the body: %v", err))
		return
	}
	status, out, err := route.serve(s, body)
	if err != nil {
		var ae *adminError
		if !errors.As(err, &ae) {
			ae = &adminError{http.StatusInternalServerError, "internal", err.Error()}
		}
		fail(ae)
		return
	}
	writeJSON(w, status, out)
}

// decodeAdmin decodes a JSON object body into v strictly: no unknown
// member, nothing after it. An empty body leaves v as it is.
func decodeAdmin(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badAdminRequest("the body must be a JSON object of the documented members: %v", err)
	}
	if dec.More() {
		return badAdminRequest("the body must be one JSON object")
	}
	return nil
}

// noBody refuses a body on an endpoint that takes none.
func noBody(body []byte) error {
	if len(bytes.TrimSpace(body)) != 0 {
		return badAdminRequest("this endpoint takes no body")
	}
	return nil
}

type adminEndpoint struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Summary string `json:"summary"`
}

func (s *Server) adminIndex(body []byte) (int, any, error) {
	if err := noBody(body); err != nil {
		return 0, nil, err
	}
	out := make([]adminEndpoint, 0, len(adminRoutes))
	for _, rt := range adminRoutes {
		out = append(out, adminEndpoint{rt.method, AdminPath + rt.path, rt.summary})
	}
	return http.StatusOK, struct {
		Endpoints []adminEndpoint `json:"endpoints"`
	}{out}, nil
}

// The kinds of fault the admin API names.
var faultKinds = map[faultKind]string{
	faultLatency: "latency", faultStatus: "status", faultHTML: "html", faultDrop: "drop",
	faultTruncate: "truncate", faultErrno: "errno",
}

// faultJSON is a fault as the admin API takes and shows it. Pointers tell
// a member that is absent from one that is zero.
type faultJSON struct {
	Kind         string   `json:"kind"`
	Status       *int     `json:"status,omitempty"`
	Errno        *int     `json:"errno,omitempty"`
	Message      *string  `json:"message,omitempty"`
	LatencyMS    *int64   `json:"latency_ms,omitempty"`
	RetryAfterMS *int64   `json:"retry_after_ms,omitempty"`
	Endpoint     *string  `json:"endpoint,omitempty"`
	Path         *string  `json:"path,omitempty"`
	Times        *int     `json:"times,omitempty"`
	Probability  *float64 `json:"probability,omitempty"`
	ForMS        *int64   `json:"for_ms,omitempty"`
	// Until is when a fault limited by for_ms ends (output only).
	Until     *time.Time     `json:"until,omitempty"`
	AboveRate *aboveRateJSON `json:"above_rate,omitempty"`
}

// aboveRateJSON is AboveRate's n and per.
type aboveRateJSON struct {
	N     int   `json:"n"`
	PerMS int64 `json:"per_ms"`
}

// fault builds the Fault that fj describes with the constructors and knobs
// of a Go test, which check the values (Fault.Err, whose message names the
// knob: ErrorStatus for status, Times for times, For for for_ms, …). Here
// only what is the JSON's own is checked: the kind, the members it needs,
// and members it does not take.
func (fj *faultJSON) fault() (Fault, error) {
	ms := func(v *int64) time.Duration { return time.Duration(*v) * time.Millisecond }
	// own lists the kind's own members; the others are refused.
	own := map[string]bool{}
	var f Fault
	switch fj.Kind {
	case "latency":
		own["latency_ms"] = true
		if fj.LatencyMS == nil {
			return f, badAdminRequest("a latency fault needs latency_ms")
		}
		f = Latency(ms(fj.LatencyMS))
	case "status":
		own["status"] = true
		if fj.Status == nil {
			return f, badAdminRequest("a status fault needs status (400–599; an html fault serves others)")
		}
		f = ErrorStatus(*fj.Status)
	case "rate_limit":
		own["retry_after_ms"] = true
		var zero int64
		if fj.RetryAfterMS == nil {
			fj.RetryAfterMS = &zero
		}
		f = RateLimit(ms(fj.RetryAfterMS))
	case "html":
		own["status"] = true
		if fj.Status == nil {
			return f, badAdminRequest("an html fault needs status")
		}
		f = HTMLPage(*fj.Status)
	case "drop":
		f = DropConnection()
	case "truncate":
		f = TruncateBody()
	case "errno":
		own["errno"], own["message"] = true, true
		if fj.Errno == nil || *fj.Errno == 0 {
			return f, badAdminRequest("an errno fault needs an errno other than 0")
		}
		msg, known := errnoNames[*fj.Errno]
		if fj.Message != nil {
			msg = *fj.Message
		} else if !known {
			msg = "UNKNOWN_ERROR"
		}
		f = Errno(*fj.Errno, msg)
	case "":
		return f, badAdminRequest("kind is missing: one of latency, status, rate_limit, html, drop, truncate, errno")
	default:
		return f, badAdminRequest("unknown kind %q: one of latency, status, rate_limit, html, drop, truncate, errno", fj.Kind)
	}
	for _, m := range []struct {
		name string
		set  bool
	}{{"status", fj.Status != nil}, {"errno", fj.Errno != nil}, {"message", fj.Message != nil},
		{"latency_ms", fj.LatencyMS != nil}, {"retry_after_ms", fj.RetryAfterMS != nil}} {
		if m.set && !own[m.name] {
			return f, badAdminRequest("a %s fault takes no %s", fj.Kind, m.name)
		}
	}
	if fj.Until != nil {
		return f, badAdminRequest("until is set by the server (use for_ms)")
	}
	if fj.Endpoint != nil {
		f = f.On(Endpoint(*fj.Endpoint))
	}
	if fj.Path != nil {
		f = f.OnPath(*fj.Path)
	}
	if fj.Times != nil {
		f = f.Times(*fj.Times)
	}
	if fj.Probability != nil {
		f = f.Probability(*fj.Probability)
	}
	if fj.ForMS != nil {
		f = f.For(ms(fj.ForMS))
	}
	if a := fj.AboveRate; a != nil {
		f = f.AboveRate(a.N, ms(&a.PerMS))
	}
	if err := f.Err(); err != nil {
		return f, badAdminRequest("%s", strings.TrimPrefix(err.Error(), "jaccounttest: "))
	}
	return f, nil
}

// describe shows a fault in force as the admin API takes it, with what is
// left of its times and its end.
func (f *Fault) describe() faultJSON {
	fj := faultJSON{Kind: faultKinds[f.kind]}
	ptr := func(v int) *int { return &v }
	ms := func(d time.Duration) *int64 { v := d.Milliseconds(); return &v }
	switch f.kind {
	case faultLatency:
		fj.LatencyMS = ms(f.latency)
	case faultStatus:
		if f.status == http.StatusTooManyRequests && f.retryAfter > 0 {
			fj.Kind, fj.RetryAfterMS = "rate_limit", ms(f.retryAfter)
		} else {
			fj.Status = ptr(f.status)
		}
	case faultHTML:
		fj.Status = ptr(f.status)
	case faultErrno:
		fj.Errno, fj.Message = ptr(f.errno), &f.message
	}
	if f.endpoint != "" {
		e := string(f.endpoint)
		fj.Endpoint = &e
	}
	if f.path != "" {
		fj.Path = &f.path
	}
	if f.times > 0 {
		fj.Times = ptr(f.times)
	}
	if f.sampled {
		fj.Probability = &f.prob
	}
	if f.dur > 0 {
		fj.ForMS, fj.Until = ms(f.dur), &f.until
	}
	if f.rateN > 0 {
		fj.AboveRate = &aboveRateJSON{N: f.rateN, PerMS: f.ratePer.Milliseconds()}
	}
	return fj
}

type faultList struct {
	Faults []faultJSON `json:"faults"`
}

func (s *Server) adminFaults(body []byte) (int, any, error) {
	if err := noBody(body); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := faultList{Faults: make([]faultJSON, 0, len(s.faults))}
	for _, f := range s.faults {
		out.Faults = append(out.Faults, f.describe())
	}
	return http.StatusOK, out, nil
}

func (s *Server) adminInject(body []byte) (int, any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return 0, nil, badAdminRequest(`the body must describe the fault, e.g. {"kind":"status","status":503}`)
	}
	var fj faultJSON
	if err := decodeAdmin(body, &fj); err != nil {
		return 0, nil, err
	}
	f, err := fj.fault()
	if err != nil {
		return 0, nil, err
	}
	// Described before it is injected: a request may spend it at once.
	desc := f.describe()
	if err := s.Inject(f); err != nil { // fault checked it already
		return 0, nil, badAdminRequest("%v", err)
	}
	return http.StatusCreated, struct {
		Fault faultJSON `json:"fault"`
	}{desc}, nil
}

func (s *Server) adminClearFaults(body []byte) (int, any, error) {
	if err := noBody(body); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	n := len(s.faults)
	s.faults = nil
	s.mu.Unlock()
	return http.StatusOK, struct {
		Cleared int `json:"cleared"`
	}{n}, nil
}

func (s *Server) adminIssue(body []byte) (int, any, error) {
	var in struct {
		Username string   `json:"username"`
		Scopes   []string `json:"scopes"`
		ClientID string   `json:"client_id"`
	}
	if err := decodeAdmin(body, &in); err != nil {
		return 0, nil, err
	}
	if in.ClientID == "" {
		in.ClientID = s.cfg.clients[len(s.cfg.clients)-1].ID
	}
	tok, err := s.issueDirect(in.ClientID, in.Username, in.Scopes)
	if err != nil {
		return 0, nil, badAdminRequest("%s", strings.TrimPrefix(err.Error(), "jaccounttest: "))
	}
	return http.StatusOK, s.tokenResponse(tok), nil
}

// tokenBody is the body of /tokens/expire and /tokens/revoke.
type tokenBody struct {
	Token *string `json:"token"`
}

func (s *Server) adminExpire(body []byte) (int, any, error) {
	var in tokenBody
	if err := decodeAdmin(body, &in); err != nil {
		return 0, nil, err
	}
	n := 0
	if in.Token == nil {
		s.mu.Lock()
		n = s.expireAllLocked()
		s.mu.Unlock()
	} else if s.ExpireAccessToken(*in.Token) {
		n = 1
	} else {
		return 0, nil, adminNotFound("no such access token")
	}
	return http.StatusOK, struct {
		Expired int `json:"expired"`
	}{n}, nil
}

func (s *Server) adminRevoke(body []byte) (int, any, error) {
	var in tokenBody
	if err := decodeAdmin(body, &in); err != nil {
		return 0, nil, err
	}
	switch {
	case in.Token == nil:
		return 0, nil, badAdminRequest(`the body must name the token: {"token":"..."}`)
	case !s.RevokeToken(*in.Token):
		return 0, nil, adminNotFound("no such access or refresh token")
	}
	return http.StatusOK, struct {
		Revoked bool `json:"revoked"`
	}{true}, nil
}

// requestJSON is an entry of the request log as the admin API shows it.
type requestJSON struct {
	Time       time.Time  `json:"time"`
	Method     string     `json:"method"`
	Path       string     `json:"path"`
	Endpoint   Endpoint   `json:"endpoint"`
	Credential Credential `json:"credential"`
	ClientID   string     `json:"client_id,omitempty"`
	Status     int        `json:"status"`
	Fault      bool       `json:"fault"`
	Query      url.Values `json:"query,omitempty"`
	Form       url.Values `json:"form,omitempty"`
}

func (s *Server) adminRequests(body []byte) (int, any, error) {
	if err := noBody(body); err != nil {
		return 0, nil, err
	}
	log := s.Requests()
	out := make([]requestJSON, 0, len(log))
	for _, r := range log {
		q, _ := url.ParseQuery(r.Query) // encoded by redactParams: always valid
		f, _ := url.ParseQuery(r.Form)
		out = append(out, requestJSON{Time: r.Time, Method: r.Method, Path: r.Path, Endpoint: r.Endpoint,
			Credential: r.Credential, ClientID: r.ClientID, Status: r.Status, Fault: r.Fault, Query: q, Form: f})
	}
	return http.StatusOK, struct {
		Requests []requestJSON `json:"requests"`
	}{out}, nil
}

func (s *Server) adminClearRequests(body []byte) (int, any, error) {
	if err := noBody(body); err != nil {
		return 0, nil, err
	}
	s.ResetRequests()
	return http.StatusOK, struct {
		Cleared bool `json:"cleared"`
	}{true}, nil
}

func (s *Server) adminReset(body []byte) (int, any, error) {
	var in struct {
		Faults   bool `json:"faults"`
		Tokens   bool `json:"tokens"`
		Requests bool `json:"requests"`
	}
	if err := decodeAdmin(body, &in); err != nil {
		return 0, nil, err
	}
	if !in.Faults && !in.Tokens && !in.Requests {
		in.Faults, in.Tokens, in.Requests = true, true, true
	}
	reset := []string{}
	s.mu.Lock()
	if in.Faults {
		s.faults = nil
		reset = append(reset, "faults")
	}
	if in.Tokens {
		s.resetGrantsLocked()
		reset = append(reset, "tokens")
	}
	if in.Requests {
		s.log = nil
		reset = append(reset, "requests")
	}
	s.mu.Unlock()
	return http.StatusOK, struct {
		Reset []string `json:"reset"`
	}{reset}, nil
}

// settingsJSON are the server's settings that the admin API may change
// while it runs.
type settingsJSON struct {
	// TokenRejectionStatus is WithTokenRejectionStatus's: the status of the
	// answer to a refused access token (0 in a change: the default, 403).
	TokenRejectionStatus *int `json:"token_rejection_status,omitempty"`
}

func (s *Server) settingsLocked() settingsJSON {
	status := s.cfg.rejectStatus
	if status == 0 {
		status = http.StatusForbidden
	}
	return settingsJSON{TokenRejectionStatus: &status}
}

func (s *Server) adminSettings(body []byte) (int, any, error) {
	if err := noBody(body); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return http.StatusOK, s.settingsLocked(), nil
}

func (s *Server) adminChangeSettings(body []byte) (int, any, error) {
	var in settingsJSON
	if err := decodeAdmin(body, &in); err != nil {
		return 0, nil, err
	}
	if st := in.TokenRejectionStatus; st != nil && *st != 0 && (*st < 200 || *st > 599) {
		return 0, nil, badAdminRequest("token_rejection_status %d: a status from 200 to 599, or 0 for the default (403)", *st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.TokenRejectionStatus != nil {
		s.cfg.rejectStatus = *in.TokenRejectionStatus
	}
	return http.StatusOK, s.settingsLocked(), nil
}

// resetGrantsLocked forgets every code, token, login session and pending
// login form, and restarts a seeded source (WithSeed) so that the codes
// and tokens issued next are those of a fresh server; s.mu must be held.
func (s *Server) resetGrantsLocked() {
	clear(s.codes)
	clear(s.access)
	clear(s.refresh)
	clear(s.sessions)
	clear(s.tickets)
	s.rand.restart()
}
