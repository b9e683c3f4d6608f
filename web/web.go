package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/internal/optcheck"
)

// Handler serves the login, callback and logout routes and provides the
// middleware that reads the session. Build it with New and share it; it is
// safe for concurrent use. Printing a Handler (fmt, any verb, or slog)
// shows neither its keys nor the client secret.
type Handler struct {
	cfg        auth.Config
	scopes     []string
	codec      *codec
	loginPath  string
	callback   string
	logoutPath string
	landing    string
	postLogout string
	cookieName string
	maxAge     time.Duration
	loginTTL   time.Duration
	maxPending int
	// forceSecure (WithSecureCookies) or httpsOrigin (an https
	// RedirectURL) make every cookie Secure.
	forceSecure bool
	httpsOrigin bool
	store       SessionStore
	revoke      RevocationStore
	profile     bool
	apiOpts     []api.Option
	apiBase     *api.Client // every API client of the Handler is a copy of it
	tokens      func(subject string) auth.TokenStore
	sources     *sourceCache
	errorPage   ErrorHandler
	log         *slog.Logger
}

// New returns the Handler of cfg's application. cfg.RedirectURL is
// required: its path is the callback route. Its Scopes get "openid" added
// when missing, since the session is built on the ID token. WithSessionKeys
// is required too.
func New(cfg *auth.Config, opts ...Option) (*Handler, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: nil *auth.Config", ErrInvalidOption)
	}
	ru, err := url.Parse(cfg.RedirectURL)
	if err != nil || (ru.Scheme != "http" && ru.Scheme != "https") || ru.Host == "" || !strings.HasPrefix(ru.Path, "/") {
		return nil, fmt.Errorf("%w: Config.RedirectURL %q must be an absolute http(s) URL with a path", ErrInvalidOption, cfg.RedirectURL)
	}
	h := &Handler{
		cfg:         *cfg,
		callback:    ru.Path,
		loginPath:   DefaultLoginPath,
		logoutPath:  DefaultLogoutPath,
		landing:     "/",
		cookieName:  DefaultCookieName,
		maxAge:      DefaultMaxAge,
		loginTTL:    DefaultLoginTimeout,
		maxPending:  DefaultMaxPendingLogins,
		httpsOrigin: ru.Scheme == "https",
		revoke:      NewMemoryStore(),
		sources:     newSourceCache(),
		log:         slog.New(slog.DiscardHandler),
	}
	h.scopes = slices.Clone(cfg.Scopes)
	if !slices.Contains(h.scopes, "openid") {
		h.scopes = append([]string{"openid"}, h.scopes...)
	}
	if err := optcheck.Apply(opts, func(o Option) error { return o.apply(h) }); err != nil {
		return nil, err
	}
	// The login's authorize URL and the logout URL are built the same way
	// on every request: a Config they refuse is refused here, once.
	if _, err := h.authCodeURL(); err != nil {
		return nil, fmt.Errorf("%w: Config.Scopes: %w", ErrInvalidOption, err)
	}
	if h.codec == nil {
		return nil, fmt.Errorf("%w: no session key (WithSessionKeys)", ErrInvalidOption)
	}
	if h.loginPath == h.callback || h.logoutPath == h.callback || h.loginPath == h.logoutPath {
		return nil, fmt.Errorf("%w: the login (%s), callback (%s) and logout (%s) paths must differ",
			ErrInvalidOption, h.loginPath, h.callback, h.logoutPath)
	}
	if h.postLogout == "" {
		h.postLogout = ru.Scheme + "://" + ru.Host + h.landing
	}
	if h.errorPage == nil {
		h.errorPage = h.defaultErrorPage
	}
	// One API client; each user's is a cheap copy with the user's token
	// (api.Client.WithTokenSource) that shares its connections. Its own
	// token is never sent.
	if h.apiBase, err = api.NewClient(api.StaticToken(""), h.apiOpts...); err != nil {
		return nil, fmt.Errorf("%w: WithAPIOptions: %w", ErrInvalidOption, err)
	}
	return h, nil
}

// ServeHTTP serves the login, callback and logout routes; any other path
// is 404. Mount the Handler on the paths themselves, without StripPrefix:
// mux.Handle("/jaccount/", h) for the default paths.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	forbidFraming(w.Header())
	switch r.URL.Path {
	case h.loginPath:
		h.serveLogin(w, r)
	case h.callback:
		h.serveCallback(w, r)
	case h.logoutPath:
		h.serveLogout(w, r)
	default:
		http.NotFound(w, r)
	}
}

// LoginURL returns the path that starts a login and comes back to next (a
// path on this site; anything else comes back to the landing page).
func (h *Handler) LoginURL(next string) string {
	if next, ok := safeReturnTo(next); ok && next != h.landing {
		return h.loginPath + "?next=" + url.QueryEscape(next)
	}
	return h.loginPath
}

// secure reports whether cookies for r must be Secure.
func (h *Handler) secure(r *http.Request) bool { return h.forceSecure || h.httpsOrigin || r.TLS != nil }

// sessionCookie is the template of the session cookie for r: Secure ones
// take the __Host- prefix, which a sibling subdomain cannot set.
func (h *Handler) sessionCookie(r *http.Request) http.Cookie {
	c := http.Cookie{Name: h.cookieName + "_session", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if h.secure(r) {
		c.Name, c.Secure = "__Host-"+c.Name, true
	}
	return c
}

// loginCookie is the template of the pending-login cookies for r. Secure
// ones take the __Host- prefix, as the session cookie does: a sibling
// subdomain can set a __Secure- cookie for the parent domain, and so could
// plant a login attempt the attacker started here, for the callback to
// finish in the victim's browser with the attacker's code (a login CSRF);
// it cannot set a __Host- one. The prefix requires Path=/. Plain-HTTP ones
// (which no prefix protects) are scoped to the directory holding the login
// and callback paths, so other pages do not carry them.
func (h *Handler) loginCookie(r *http.Request) http.Cookie {
	c := http.Cookie{Name: h.cookieName + "_login_", Path: commonDir(h.loginPath, h.callback), HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(2 * h.loginTTL / time.Second)}
	if h.secure(r) {
		c.Name, c.Path, c.Secure = "__Host-"+c.Name, "/", true
	}
	return c
}

// commonDir returns the longest directory ("/…/") that contains both paths.
func commonDir(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:strings.LastIndexByte(a[:n], '/')+1]
}

// now is the Handler's clock, Config.Now when set.
func (h *Handler) now() time.Time {
	if h.cfg.Now != nil {
		return h.cfg.Now()
	}
	return time.Now()
}

// pendingLogin is a login attempt, kept in its own encrypted cookie named
// after its state until the callback.
type pendingLogin struct {
	Request auth.AuthRequest `json:"req"`
	Next    string           `json:"next"`
	Created int64            `json:"t"`
}

// noStore marks a response as not cacheable.
func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

// serveLogin starts a login: a fresh state, nonce and PKCE verifier, kept
// in an encrypted cookie of their own, and a redirect to jAccount. A
// browser already signed in goes straight to next.
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD")
		return
	}
	noStore(w)
	next, ok := safeReturnTo(r.URL.Query().Get("next"))
	if !ok {
		next = h.landing
	}
	s, _, err := h.loadSession(r)
	switch {
	case s != nil:
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	case errors.Is(err, ErrStoreUnavailable):
		h.unavailable(w, r, err)
		return
	case err != nil:
		// The session the login would set could not be told from the
		// other cookie either: the browser would come back anonymous and
		// be sent to log in again, round and round.
		h.refuse(w, r, http.StatusBadRequest, err)
		return
	}
	h.dropOldLogins(w, r)
	req, err := h.authCodeURL()
	if err != nil { // New built one with the same options
		h.fail(w, r, http.StatusInternalServerError, fmt.Errorf("%w: %w", ErrLoginFailed, err))
		return
	}
	p, err := json.Marshal(pendingLogin{Request: *req, Next: next, Created: h.now().Unix()})
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, fmt.Errorf("%w: %w", ErrLoginFailed, err))
		return
	}
	c := h.loginCookie(r)
	c.Name += req.State
	c.Value = h.codec.seal(c.Name, p)
	http.SetCookie(w, &c)
	http.Redirect(w, r, req.URL, http.StatusFound)
}

// dropOldLogins deletes pending-login cookies beyond the bound, oldest
// first, leaving room for one more; unreadable ones go too.
func (h *Handler) dropOldLogins(w http.ResponseWriter, r *http.Request) {
	base := h.loginCookie(r)
	type found struct {
		name    string
		created int64
	}
	var all []found
	for _, c := range r.Cookies() {
		if !strings.HasPrefix(c.Name, base.Name) {
			continue
		}
		p, err := h.openLogin(c.Name, c.Value)
		if err != nil {
			deleteCookie(w, base, c.Name)
			continue
		}
		all = append(all, found{c.Name, p.Created})
	}
	slices.SortFunc(all, func(a, b found) int { return cmp.Compare(a.created, b.created) })
	for len(all) >= h.maxPending {
		deleteCookie(w, base, all[0].name)
		all = all[1:]
	}
}

// openLogin decrypts a pending-login cookie.
func (h *Handler) openLogin(name, value string) (*pendingLogin, error) {
	b, _, err := h.codec.open(name, value)
	if err != nil {
		return nil, err
	}
	var p pendingLogin
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, errBadCookie
	}
	return &p, nil
}

// validState reports whether s can be a state AuthCodeURL made (26
// characters of base32), before it is used in a cookie name.
func validState(s string) bool {
	return len(s) == 26 && !strings.ContainsFunc(s, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') })
}

// serveCallback completes a login. In order: the pending login named by
// the state (so the state matches one this browser started), its age, its
// single use, then auth.HandleCallback (the state again in constant time,
// jAccount's error, the exchange with the verifier and the nonce).
func (h *Handler) serveCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet { // a HEAD would spend the attempt
		methodNotAllowed(w, http.MethodGet)
		return
	}
	noStore(w)
	// The URL holds the code: keep it out of any Referer the page causes.
	w.Header().Set("Referrer-Policy", "no-referrer")
	ctx := r.Context()
	q := r.URL.Query()
	var p *pendingLogin
	if states := q["state"]; len(states) == 1 && validState(states[0]) {
		base := h.loginCookie(r)
		name := base.Name + states[0]
		switch cs := r.CookiesNamed(name); len(cs) {
		case 0:
		case 1:
			p, _ = h.openLogin(name, cs[0].Value)
			deleteCookie(w, base, name) // single use in the browser
		default: // one of them planted: neither is trusted
			h.logConflict(r, base.Name+"<state>", len(cs))
			deleteCookie(w, base, name)
			h.refuse(w, r, http.StatusBadRequest, fmt.Errorf("%w: %d cookies of this login attempt", auth.ErrStateMismatch, len(cs)))
			return
		}
	}
	if p == nil {
		h.refuse(w, r, http.StatusBadRequest, fmt.Errorf("%w: no login attempt with this state in this browser", auth.ErrStateMismatch))
		return
	}
	created := time.Unix(p.Created, 0)
	until := created.Add(h.loginTTL)
	if !h.now().Before(until) {
		h.refuse(w, r, http.StatusBadRequest, ErrLoginExpired)
		return
	}
	used, err := h.revoke.Revoke(ctx, "login:"+p.Request.State, until)
	switch {
	case err != nil:
		// The attempt was not used: keep its cookie (drop the deletion
		// set above), so that reloading the page completes the login
		// once the store is back.
		w.Header().Del("Set-Cookie")
		h.unavailable(w, r, storeError("recording the login attempt", err))
		return
	case used:
		h.refuse(w, r, http.StatusBadRequest, fmt.Errorf("%w: this login attempt was already used", auth.ErrStateMismatch))
		return
	}
	tok, err := h.cfg.HandleCallback(ctx, &p.Request, q)
	if err != nil {
		var ae *auth.AuthorizeError
		switch {
		case errors.Is(err, auth.ErrStateMismatch):
			h.refuse(w, r, http.StatusBadRequest, err)
		case errors.Is(err, auth.ErrAccessDenied):
			h.refuse(w, r, http.StatusForbidden, err)
		case errors.As(err, &ae):
			h.fail(w, r, http.StatusBadGateway, err)
		default:
			h.fail(w, r, http.StatusBadGateway, fmt.Errorf("%w: %w", ErrLoginFailed, err))
		}
		return
	}
	s, err := h.newSession(ctx, tok)
	if errors.Is(err, ErrStoreUnavailable) {
		h.unavailable(w, r, err)
		return
	} else if err != nil {
		h.fail(w, r, http.StatusBadGateway, fmt.Errorf("%w: %w", ErrLoginFailed, err))
		return
	}
	// A session cookie sent twice (ErrCookieConflict) is no old session:
	// the new one replaces it.
	old, _, err := h.loadSession(r)
	if errors.Is(err, ErrStoreUnavailable) {
		h.unavailable(w, r, err)
		return
	}
	if old != nil {
		if old.Claims.Subject == s.Claims.Subject {
			// The same user again (a second tab, say): keep the session's
			// ID and CSRF token, so the forms of open pages still work.
			s.ID, s.CSRFToken = old.ID, old.CSRFToken
		} else if err := h.endSession(ctx, old); err != nil {
			h.log.ErrorContext(ctx, "web: ending the previous user's session: a copy of its cookie stays valid until it expires",
				slog.String("sub", old.Claims.Subject), slog.Time("expires", old.ExpiresAt), slog.Any("err", err))
		}
	}
	if err := h.writeSession(w, r, s); errors.Is(err, ErrStoreUnavailable) {
		h.unavailable(w, r, err)
		return
	} else if err != nil {
		h.fail(w, r, http.StatusInternalServerError, fmt.Errorf("%w: %w", ErrLoginFailed, err))
		return
	}
	h.log.InfoContext(ctx, "web: login", slog.String("sub", s.Claims.Subject), slog.Time("expires", s.ExpiresAt))
	next, ok := safeReturnTo(p.Next)
	if !ok {
		next = h.landing
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// newSession builds the session of a completed login: the profile and the
// kept token when asked for, a fresh ID and CSRF token, the expiry.
func (h *Handler) newSession(ctx context.Context, tok *auth.Token) (*Session, error) {
	if tok.Claims == nil || tok.Claims.Subject == "" {
		return nil, errors.New("the token response carries no ID token")
	}
	now := h.now()
	s := &Session{ID: rand.Text(), Claims: *tok.Claims, CSRFToken: rand.Text(), CreatedAt: now, ExpiresAt: now.Add(h.maxAge)}
	if exp := tok.Claims.ExpiresAt; !exp.IsZero() && exp.Before(s.ExpiresAt) {
		s.ExpiresAt = exp
	}
	if !s.ExpiresAt.After(now) {
		return nil, fmt.Errorf("the ID token expired at %s, before the login completed (check the clock)", s.ExpiresAt.Format(time.RFC3339))
	}
	if h.profile {
		c, err := h.apiClient(api.StaticToken(tok.AccessToken))
		if err != nil {
			return nil, err
		}
		if s.Profile, err = c.Profile.Get(ctx); err != nil {
			return nil, fmt.Errorf("fetching the profile: %w", err)
		}
	}
	if h.tokens != nil {
		if err := h.tokens(s.Claims.Subject).Save(ctx, tok); err != nil {
			return nil, storeError("keeping the token", err)
		}
		h.sources.drop(s.Claims.Subject)
	}
	return s, nil
}

// cookieRef is what the session cookie holds with a SessionStore.
type cookieRef struct {
	ID      string    `json:"id"`
	Expires time.Time `json:"expires"`
}

// writeSession stores s (with a SessionStore) and sets the session cookie.
func (h *Handler) writeSession(w http.ResponseWriter, r *http.Request, s *Session) error {
	var v any = s
	if h.store != nil {
		if err := h.store.Save(r.Context(), s); err != nil {
			return storeError("saving the session", err)
		}
		v = cookieRef{ID: s.ID, Expires: s.ExpiresAt}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the session: %w", err)
	}
	c := h.sessionCookie(r)
	c.MaxAge = int(s.ExpiresAt.Sub(h.now()) / time.Second)
	return writeChunks(w, r, c, h.codec.seal(c.Name, b))
}

// loadSession returns the request's valid session, or nil, and whether
// its cookie was sealed with an old key. The error says why there is no
// session although the request brought a cookie for one:
//   - ErrCookieConflict: the session cookie arrived more than once, and the
//     request is anonymous, since taking the first that opens would let a
//     cookie planted by a sibling host (a session of the attacker's own)
//     pick the account;
//   - ErrStoreUnavailable: a store could not be asked whether the session
//     is valid, so the request is neither signed in nor anonymous.
func (h *Handler) loadSession(r *http.Request) (*Session, bool, error) {
	c := h.sessionCookie(r)
	v, extra := readChunks(r, c.Name)
	if extra > 0 {
		h.logConflict(r, c.Name, extra+1)
		return nil, false, ErrCookieConflict
	}
	if v == "" {
		return nil, false, nil
	}
	b, key, err := h.codec.open(c.Name, v)
	if err != nil {
		return nil, false, nil
	}
	s, err := h.sessionFrom(r.Context(), b)
	if s == nil {
		return nil, false, err
	}
	return s, key != 0, nil
}

// logConflict says at debug level why a request's cookies called name
// were not used; never their values.
func (h *Handler) logConflict(r *http.Request, name string, n int) {
	h.log.DebugContext(r.Context(), "web: the browser sent several cookies of one name (another site under a parent domain may have set one); none is used, the request is anonymous",
		slog.String("cookie", name), slog.Int("count", n), slog.String("path", r.URL.Path))
}

// sessionFrom checks a decrypted session cookie: not expired, and not
// revoked (without a store) or still in the store. It fails (closed) with
// an error matching ErrStoreUnavailable when the store cannot answer.
func (h *Handler) sessionFrom(ctx context.Context, b []byte) (*Session, error) {
	now := h.now()
	if h.store != nil {
		var ref cookieRef
		if json.Unmarshal(b, &ref) != nil || ref.ID == "" || !now.Before(ref.Expires) {
			return nil, nil
		}
		s, err := h.store.Load(ctx, ref.ID)
		if errors.Is(err, ErrNoSession) {
			return nil, nil
		} else if err != nil {
			return nil, storeError("loading the session", err)
		}
		if s.ID != ref.ID || s.Claims.Subject == "" || !now.Before(s.ExpiresAt) {
			return nil, nil
		}
		return s, nil
	}
	var s Session
	if json.Unmarshal(b, &s) != nil || s.ID == "" || s.Claims.Subject == "" || !now.Before(s.ExpiresAt) {
		return nil, nil
	}
	revoked, err := h.revoke.Revoked(ctx, "session:"+s.ID)
	if err != nil {
		return nil, storeError("checking the session's revocation", err)
	}
	if revoked {
		return nil, nil
	}
	return &s, nil
}

// endSession makes s unusable: deleted from the store, or revoked until it
// expires; the user's kept token is deleted when the store can. It fails
// (ErrStoreUnavailable) when the session could not be ended, and then
// leaves the token alone.
func (h *Handler) endSession(ctx context.Context, s *Session) error {
	var err error
	if h.store != nil {
		err = h.store.Delete(ctx, s.ID)
	} else {
		_, err = h.revoke.Revoke(ctx, "session:"+s.ID, s.ExpiresAt)
	}
	if err != nil {
		return storeError("ending the session", err)
	}
	if h.tokens != nil {
		if d, ok := h.tokens(s.Claims.Subject).(TokenDeleter); ok {
			if err := d.Delete(ctx); err != nil {
				h.log.ErrorContext(ctx, "web: deleting the kept token", slog.String("sub", s.Claims.Subject), slog.Any("err", err))
			}
		}
		h.sources.drop(s.Claims.Subject)
	}
	return nil
}

// CSRFField is the form field (and X-CSRF-Token the header) that carries
// the CSRF token of a logout.
const CSRFField = "csrf_token"

// serveLogout ends the session on a POST that carries its CSRF token,
// then sends the browser to jAccount's logout, which ends the jAccount
// session too and comes back to the post-logout URL.
func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	noStore(w)
	ctx := r.Context()
	s, _, err := h.loadSession(r)
	if errors.Is(err, ErrStoreUnavailable) {
		h.unavailable(w, r, err)
		return
	}
	if s != nil {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		token := r.Header.Get("X-CSRF-Token")
		if token == "" {
			token = r.PostFormValue(CSRFField)
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRFToken)) != 1 {
			h.refuse(w, r, http.StatusForbidden, ErrCSRF)
			return
		}
		// A logout that did not happen must not look as if it had: the
		// cookie stays, and the user can try again.
		if err := h.endSession(ctx, s); err != nil {
			h.unavailable(w, r, err)
			return
		}
		h.log.InfoContext(ctx, "web: logout", slog.String("sub", s.Claims.Subject))
	}
	// Without a session there is nothing to protect: the browser is sent
	// to jAccount's logout all the same, which any page could link to.
	deleteChunks(w, r, h.sessionCookie(r))
	u, err := h.cfg.LogoutURL(h.postLogout)
	if err != nil { // it takes no options: unreachable
		h.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// authCodeURL starts a login: state, nonce and PKCE, with the Handler's
// scopes.
func (h *Handler) authCodeURL() (*auth.AuthRequest, error) {
	return h.cfg.AuthCodeURL(auth.WithScopes(h.scopes...), auth.WithNonce(), auth.WithPKCE())
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
}
