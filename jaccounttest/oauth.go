package jaccounttest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// sessionCookie is the name of the fake's login-session cookie.
const sessionCookie = "jaccounttest_session"

// ticketTTL bounds how long a login or consent form stays valid.
const ticketTTL = 10 * time.Minute

// authorizeRequest is a validated authorize request.
type authorizeRequest struct {
	client      Client
	redirectURI string
	state       string
	nonce       string
	scopes      []string
	challenge   string // PKCE code_challenge, checked only WithPKCE
	method      string // PKCE code_challenge_method
}

// ticket is a pending authorize request behind a login or consent form.
type ticket struct {
	authorizeRequest
	expiry time.Time
}

// Token is what IssueToken returns: the fields of a token response.
type Token struct {
	// AccessToken is the bearer token for the API.
	AccessToken string
	// RefreshToken is the refresh token (rotating unless
	// WithoutRefreshRotation).
	RefreshToken string
	// IDToken is the signed ID token: on a code exchange always (as jAccount
	// answers even without openid), from IssueToken when "openid" is among
	// the scopes, on a refresh only WithRefreshIDToken.
	IDToken string
	// TokenType is always "bearer".
	TokenType string
	// Expiry is when AccessToken expires.
	Expiry time.Time
	// Scopes are the scopes granted.
	Scopes []string
}

// oauthError is an RFC 6749 section 5.2 error body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// tokenResponse is an RFC 6749 section 5.1 token response.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// redirectMatches reports whether uri matches one of the registered
// redirect URIs: equal as strings (RFC 6749 section 3.1.2.3's simple
// comparison), or, for a loopback registration without a port, equal once
// a port (digits only) is inserted after its host (RFC 8252 section 7.3).
// Nothing is normalised: "hTtp://127.0.0.1:/callback" is not
// "http://127.0.0.1/callback".
func redirectMatches(registered []string, uri string) bool {
	u, err := url.Parse(uri)
	if err != nil || u.Fragment != "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	port := u.Port()
	numeric := port != "" && strings.Trim(port, "0123456789") == ""
	for _, reg := range registered {
		if reg == uri {
			return true
		}
		r, err := url.Parse(reg)
		if err != nil || r.Port() != "" || !isLoopback(r.Hostname()) || !numeric {
			continue
		}
		withPort := r.Scheme + "://" + r.Host + ":" + port + strings.TrimPrefix(reg, r.Scheme+"://"+r.Host)
		if withPort == uri {
			return true
		}
	}
	return false
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// withParams returns uri with the query parameters added.
func withParams(uri string, params url.Values) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			if v != "" {
				q.Set(k, v)
			}
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// parseAuthorize validates an authorize request. When the client or the
// redirect URI is bad it returns redirect == false: the error must be
// shown, not sent to the redirect URI (RFC 6749 section 4.1.2.1).
func (s *Server) parseAuthorize(q url.Values) (req authorizeRequest, errCode string, redirect bool) {
	s.mu.Lock()
	c, ok := s.clients[q.Get("client_id")]
	s.mu.Unlock()
	if !ok {
		return req, "unknown client_id", false
	}
	req = authorizeRequest{client: c, redirectURI: q.Get("redirect_uri"), state: q.Get("state"), nonce: q.Get("nonce")}
	if !redirectMatches(c.RedirectURIs, req.redirectURI) {
		return req, "redirect_uri does not match the application's registration", false
	}
	if q.Get("response_type") != "code" {
		return req, "unsupported_response_type", true
	}
	if s.cfg.pkce && q.Has("code_challenge") {
		req.challenge, req.method = q.Get("code_challenge"), q.Get("code_challenge_method")
		if req.method == "" {
			req.method = "plain"
		}
		if (req.method != "S256" && req.method != "plain") || len(req.challenge) < 43 || len(req.challenge) > 128 {
			return req, "invalid_request", true
		}
	}
	req.scopes = parseScopes(q.Get("scope"))
	if len(req.scopes) == 0 {
		req.scopes = []string{"basic"}
	}
	if s.checkScopes(c, req.scopes) != nil {
		return req, "invalid_scope", true
	}
	return req, "", true
}

// handleAuthorize serves GET /oauth2/authorize: the login page, the
// consent page, or a redirect with a code.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	req, errCode, redirect := s.parseAuthorize(r.URL.Query())
	note(r, CredentialNone, req.client.ID)
	switch {
	case errCode != "" && !redirect:
		s.logRejected(r, http.StatusBadRequest, errCode)
		renderError(w, http.StatusBadRequest, errCode, authorizeDetails(req, r.URL.Query())...)
		return
	case errCode != "":
		s.redirectError(w, r, req, errCode)
		return
	}
	if s.cfg.autoApprove != "" { // one of the users: Start checked it, and users are never removed
		s.redirectCode(w, r, req, s.cfg.autoApprove)
		return
	}
	if sess := s.sessionOf(r); sess != nil {
		note(r, CredentialSession, req.client.ID)
		if !s.needsConsent(sess, req) {
			s.redirectCode(w, r, req, sess.username)
			return
		}
		s.renderConsent(w, req, s.newTicket(req), sess.username)
		return
	}
	s.renderLogin(w, req, s.newTicket(req), "")
}

// authorizeDetails explains an authorize request refused without a
// redirect, for the developer who looks at the page: what was sent and
// what is registered (neither is a secret).
func authorizeDetails(req authorizeRequest, q url.Values) []string {
	if req.client.ID == "" {
		return []string{"client_id: " + strconv.Quote(q.Get("client_id")) + " is not a registered application"}
	}
	return []string{
		"redirect_uri: " + strconv.Quote(q.Get("redirect_uri")),
		"registered: " + strings.Join(req.client.RedirectURIs, ", ") +
			" (a loopback URI registered without a port matches any port)",
	}
}

// handleAuthorizeForm serves the login and consent forms' POST.
func (s *Server) handleAuthorizeForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		renderError(w, http.StatusBadRequest, "malformed form")
		return
	}
	id := r.PostForm.Get("ticket")
	s.mu.Lock()
	t, ok := s.tickets[id]
	if ok && s.now().After(t.expiry) {
		delete(s.tickets, id)
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		s.logRejected(r, http.StatusBadRequest, "unknown or expired ticket")
		renderError(w, http.StatusBadRequest, "登录页面已过期，请重新登录 / this page has expired; start again")
		return
	}
	req := t.authorizeRequest
	note(r, CredentialNone, req.client.ID)
	switch r.PostForm.Get("action") {
	case "login":
		username := r.PostForm.Get("username")
		s.mu.Lock()
		u, ok := s.users[username]
		s.mu.Unlock()
		if !ok || subtle.ConstantTimeCompare([]byte(u.Password), []byte(r.PostForm.Get("password"))) != 1 {
			s.logRejected(r, http.StatusOK, "wrong username or password")
			s.renderLogin(w, req, id, "用户名或密码错误 / wrong username or password")
			return
		}
		sid := s.rand.secret()
		sess := &session{username: username, consented: map[string][]string{}}
		s.mu.Lock()
		s.sessions[sid] = sess
		s.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/oauth2/",
			HttpOnly: true, SameSite: http.SameSiteLaxMode})
		if !s.needsConsent(sess, req) {
			s.mu.Lock()
			delete(s.tickets, id)
			s.mu.Unlock()
			s.redirectCode(w, r, req, username)
			return
		}
		s.renderConsent(w, req, id, username)
	case "approve":
		sess := s.sessionOf(r)
		if sess == nil {
			s.renderLogin(w, req, id, "")
			return
		}
		note(r, CredentialSession, req.client.ID)
		s.mu.Lock()
		sess.consented[req.client.ID] = slices.Concat(sess.consented[req.client.ID], req.scopes)
		delete(s.tickets, id)
		s.mu.Unlock()
		s.redirectCode(w, r, req, sess.username)
	case "deny":
		s.mu.Lock()
		delete(s.tickets, id)
		s.mu.Unlock()
		s.redirectError(w, r, req, "access_denied")
	default:
		renderError(w, http.StatusBadRequest, "unknown action")
	}
}

// needsConsent reports whether req asks for a scope that the user of sess
// has approved neither in the session nor before (User.Consented).
func (s *Server) needsConsent(sess *session, req authorizeRequest) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	granted := sess.consented[req.client.ID]
	var before []string
	if u := s.users[sess.username]; u != nil {
		before = u.Consented
	}
	return slices.ContainsFunc(req.scopes, func(sc string) bool {
		return !slices.Contains(granted, sc) && !slices.Contains(before, sc)
	})
}

func (s *Server) newTicket(req authorizeRequest) string {
	id := s.rand.secret()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickets[id] = &ticket{authorizeRequest: req, expiry: s.now().Add(ticketTTL)}
	return id
}

func (s *Server) renderLogin(w http.ResponseWriter, req authorizeRequest, ticketID, errMsg string) {
	s.mu.Lock()
	users := make([]loginUser, 0, len(s.users))
	for _, u := range s.users {
		users = append(users, loginUser{u.Username, u.Password, u.Profile.Name, string(u.Profile.UserType)})
	}
	s.mu.Unlock()
	slices.SortFunc(users, func(a, b loginUser) int { return strings.Compare(a.Username, b.Username) })
	renderPage(w, http.StatusOK, "login", pageData{Title: "登录", Ticket: ticketID, ClientID: req.client.ID,
		Error: errMsg, Users: users})
}

func (s *Server) renderConsent(w http.ResponseWriter, req authorizeRequest, ticketID, username string) {
	s.mu.Lock()
	name := s.users[username].Profile.Name
	s.mu.Unlock()
	renderPage(w, http.StatusOK, "consent", pageData{Title: "授权", Ticket: ticketID, ClientID: req.client.ID,
		Name: name, Scopes: req.scopes})
}

// sessionOf returns the login session of the request's cookie, if any.
func (s *Server) sessionOf(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[c.Value]
	if !ok {
		return nil
	}
	if _, ok := s.users[sess.username]; !ok {
		return nil
	}
	return sess
}

func (s *Server) redirectCode(w http.ResponseWriter, r *http.Request, req authorizeRequest, username string) {
	code := s.rand.secret()
	s.mu.Lock()
	s.codes[code] = &authCode{
		grant:       grant{clientID: req.client.ID, username: username, grantType: grantAuthCode, scopes: req.scopes},
		redirectURI: req.redirectURI, nonce: req.nonce, expiry: s.now().Add(s.cfg.codeTTL),
		challenge: req.challenge, method: req.method,
	}
	s.mu.Unlock()
	http.Redirect(w, r, withParams(req.redirectURI, url.Values{"code": {code}, "state": {req.state}}), http.StatusFound)
}

func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, req authorizeRequest, code string) {
	s.logRejected(r, http.StatusFound, code)
	http.Redirect(w, r, withParams(req.redirectURI, url.Values{"error": {code}, "state": {req.state}}), http.StatusFound)
}

// handleLogout serves GET /oauth2/logout: it ends the login session and
// redirects to post_logout_redirect_uri when that is an absolute http(s)
// URL.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		note(r, CredentialSession, r.URL.Query().Get("client_id"))
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/oauth2/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if u, err := url.Parse(r.URL.Query().Get("post_logout_redirect_uri")); err == nil && u.IsAbs() &&
		(u.Scheme == "http" || u.Scheme == "https") {
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	renderPage(w, http.StatusOK, "message", pageData{Title: "已退出 / Signed out", ID: "signed-out",
		Message: "你已退出 jAccount / you have signed out of jAccount."})
}

// errClientAuth is returned by authenticateClient for any failure of client
// authentication; the token endpoint answers invalid_client.
var errClientAuth = errors.New("client authentication failed")

// authenticateClient authenticates the client of a token request, by the
// form body (client_secret_post) or, unless disabled, HTTP Basic.
func (s *Server) authenticateClient(r *http.Request) (Client, Credential, error) {
	id, secret, basic := r.BasicAuth()
	cred := CredentialClientSecretPost
	if basic {
		if !s.cfg.basicAuth || r.PostForm.Has("client_secret") {
			return Client{}, CredentialClientSecretBasic, errClientAuth
		}
		cred = CredentialClientSecretBasic
		// RFC 6749 section 2.3.1: the id and secret are form-urlencoded first.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return Client{}, cred, errClientAuth
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		if id == "" {
			return Client{}, CredentialNone, errClientAuth
		}
	}
	s.mu.Lock()
	c, ok := s.clients[id]
	s.mu.Unlock()
	if !ok || secret == "" || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return Client{ID: id}, cred, errClientAuth
	}
	return c, cred, nil
}

// tokenError is a token-endpoint failure.
type tokenError struct {
	status      int
	code        string
	description string
}

func (e *tokenError) Error() string { return e.code + ": " + e.description }

func invalidGrant(desc string) *tokenError {
	return &tokenError{http.StatusBadRequest, "invalid_grant", desc}
}

// handleToken serves POST /oauth2/token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	resp, err := s.token(w, r)
	if err != nil {
		var te *tokenError
		if !errors.As(err, &te) {
			te = &tokenError{http.StatusBadRequest, "invalid_request", "malformed request"}
		}
		if te.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="jaccount"`)
		}
		s.logRejected(r, te.status, te.code)
		writeJSON(w, te.status, oauthError{Error: te.code, Description: te.description})
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// token authenticates the client and performs the grant.
func (s *Server) token(w http.ResponseWriter, r *http.Request) (*tokenResponse, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return nil, &tokenError{http.StatusBadRequest, "invalid_request", "the body must be a form"}
	}
	c, cred, err := s.authenticateClient(r)
	note(r, cred, c.ID)
	if err != nil {
		return nil, &tokenError{http.StatusUnauthorized, "invalid_client", "client authentication failed"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var tok *Token
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
		tok, err = s.exchangeCodeLocked(c, r.PostForm.Get("code"), r.PostForm.Get("redirect_uri"), r.PostForm.Get("code_verifier"))
	case "refresh_token":
		tok, err = s.refreshLocked(c, r.PostForm.Get("refresh_token"), r.PostForm.Get("scope"))
	case "client_credentials":
		scopes := parseScopes(r.PostForm.Get("scope"))
		if e := s.checkScopes(c, scopes); e != nil {
			return nil, &tokenError{http.StatusBadRequest, "invalid_scope", e.Error()}
		}
		tok, err = s.issueLocked(grant{clientID: c.ID, grantType: grantClientCredentials, scopes: scopes}, false, "", false)
	case "":
		return nil, &tokenError{http.StatusBadRequest, "invalid_request", "grant_type is missing"}
	default:
		return nil, &tokenError{http.StatusBadRequest, "unsupported_grant_type", "unsupported grant_type"}
	}
	if err != nil {
		return nil, err
	}
	return s.tokenResponse(tok), nil
}

// tokenResponse is the token endpoint's reply carrying tok.
func (s *Server) tokenResponse(tok *Token) *tokenResponse {
	return &tokenResponse{AccessToken: tok.AccessToken, TokenType: tok.TokenType,
		ExpiresIn: int64(tok.Expiry.Sub(s.now()).Round(time.Second) / time.Second), RefreshToken: tok.RefreshToken,
		IDToken: tok.IDToken, Scope: strings.Join(tok.Scopes, " ")}
}

func (s *Server) exchangeCodeLocked(c Client, code, redirectURI, verifier string) (*Token, error) {
	ac, ok := s.codes[code]
	switch {
	case code == "" || !ok:
		return nil, invalidGrant("unknown authorization code")
	case ac.used:
		s.revokeFamilyLocked(code)
		return nil, invalidGrant("authorization code already used")
	case ac.clientID != c.ID:
		return nil, invalidGrant("authorization code was issued to another client")
	case s.now().After(ac.expiry):
		return nil, invalidGrant("authorization code expired")
	case redirectURI != ac.redirectURI:
		return nil, invalidGrant("redirect_uri does not match the authorize request")
	case ac.challenge != "" && !pkceMatches(ac.challenge, ac.method, verifier):
		return nil, invalidGrant("code_verifier does not match the code_challenge")
	}
	ac.used = true
	g := ac.grant
	g.family = code
	return s.issueLocked(g, true, ac.nonce, true)
}

// revokeFamilyLocked revokes every token descending from the authorization
// code, refreshed ones included, as RFC 6749 section 4.1.2 asks when a code
// is replayed; s.mu must be held.
func (s *Server) revokeFamilyLocked(code string) {
	for _, at := range s.access {
		if at.family == code {
			at.revoked = true
		}
	}
	for _, rt := range s.refresh {
		if rt.family == code {
			rt.revoked = true
		}
	}
}

// pkceMatches checks an RFC 7636 code_verifier against its challenge.
func pkceMatches(challenge, method, verifier string) bool {
	if verifier == "" {
		return false
	}
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		verifier = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(challenge), []byte(verifier)) == 1
}

func (s *Server) refreshLocked(c Client, refresh, scope string) (*Token, error) {
	rt, ok := s.refresh[refresh]
	switch {
	case refresh == "" || !ok:
		return nil, invalidGrant("unknown refresh token")
	case rt.used:
		return nil, invalidGrant("refresh token already used")
	case rt.revoked:
		return nil, invalidGrant("refresh token revoked")
	case rt.clientID != c.ID:
		return nil, invalidGrant("refresh token was issued to another client")
	}
	g := rt.grant
	if scope != "" {
		g.scopes = parseScopes(scope)
		for _, sc := range g.scopes {
			if !slices.Contains(rt.scopes, sc) {
				return nil, &tokenError{http.StatusBadRequest, "invalid_scope", "scope exceeds the original grant"}
			}
		}
	}
	if _, ok := s.users[g.username]; !ok {
		return nil, invalidGrant("the user no longer exists")
	}
	if s.cfg.keepRefresh {
		// Not rotating: a new access token, the same refresh token.
		tok, err := s.issueLocked(g, s.cfg.refreshIDToken, "", false)
		if err == nil {
			tok.RefreshToken = refresh
		}
		return tok, err
	}
	rt.used = true
	return s.issueLocked(g, s.cfg.refreshIDToken, "", true)
}

// issueLocked stores and returns new tokens for g; s.mu must be held.
func (s *Server) issueLocked(g grant, idToken bool, nonce string, withRefresh bool) (*Token, error) {
	now := s.now()
	tok := &Token{AccessToken: s.rand.secret(), TokenType: "bearer", Expiry: now.Add(s.cfg.accessTTL), Scopes: g.scopes}
	s.access[tok.AccessToken] = &accessToken{grant: g, expiry: tok.Expiry}
	if withRefresh {
		tok.RefreshToken = s.rand.secret()
		s.refresh[tok.RefreshToken] = &refreshToken{grant: g}
	}
	if idToken && g.username != "" {
		u := s.users[g.username]
		claims := jwt.MapClaims{
			"iss": s.Issuer(), "sub": g.username, "aud": g.clientID,
			"iat": now.Unix(), "exp": now.Add(s.cfg.accessTTL).Unix(),
			"name": u.Profile.Name, "code": u.Profile.Code, "type": string(u.Profile.UserType),
		}
		if nonce != "" {
			claims["nonce"] = nonce
		}
		signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(s.clients[g.clientID].Secret))
		if err != nil {
			return nil, &tokenError{http.StatusInternalServerError, "server_error", "cannot sign the ID token"}
		}
		tok.IDToken = signed
	}
	return tok, nil
}
