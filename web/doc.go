// Package web adds jAccount sign-in to a net/http application: a Handler
// that serves the login, callback and logout routes, and middleware that
// reads the session.
//
//	login, err := web.New(cfg, web.WithSessionKeys([]byte(os.Getenv("SESSION_KEY"))))
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("/jaccount/", login)               // login, callback (cfg.RedirectURL), logout
//	mux.Handle("/", login.RequireUser(appHandler)) // web.UserFrom(r.Context()) inside
//
// It is built on package auth (Config.AuthCodeURL and Config.HandleCallback)
// and uses only the standard library besides: the cookies are sealed with
// AES-256-GCM from crypto/cipher, keyed through HKDF-SHA256 (crypto/hkdf).
//
// # What it guarantees
//
// Login. GET on the login path (RequireUser sends anonymous GETs there)
// starts an attempt with a fresh state, OIDC nonce and PKCE S256 verifier.
// They are kept in an encrypted, HttpOnly cookie of their own, named after
// the state, so the browser cannot read them and several tabs can log in
// at once (up to WithMaxPendingLogins; a new attempt beyond that drops the
// oldest). Over TLS the cookie is Secure with the __Host- name prefix, so
// a sibling subdomain cannot plant an attempt of its own; over plain HTTP
// it is scoped to the login and callback paths. The
// callback accepts an attempt only once (the state is recorded in the
// RevocationStore until the attempt would have expired anyway) and only
// within WithLoginTimeout, then lets auth.Config.HandleCallback check the
// state in constant time, jAccount's error parameter, and exchange the code
// with the verifier and the nonce. The user returns to the page first
// asked for, if it is a path on this site; any other "next" (another host,
// "//host", "/\host", encoded variants) falls back to the landing page.
//
// Sessions. A session is a fresh random ID, the verified ID-token claims,
// the profile with WithProfile, a CSRF token and an expiry: the ID token's
// exp or WithMaxAge after the login, whichever is first. By default it
// lives in the session cookie, encrypted: HttpOnly, SameSite=Lax, Path=/,
// and Secure (with the __Host- name prefix) when the request came over TLS,
// Config.RedirectURL is https, or WithSecureCookies says a proxy terminates
// TLS. With WithSessionStore it lives server-side and the cookie carries
// its encrypted ID. Several keys may be given: the first seals, all open,
// and a cookie sealed with an older key is sealed again with the first.
// A cookie that was tampered with, sealed with an unknown key, expired,
// or logged out is ignored: the request is anonymous. So is a request that
// carries the session cookie twice (another site under a parent domain
// set one, which the __Host- prefix prevents over TLS): the first that
// opens would let a planted session pick the account. The debug log says
// why, and the login path then shows an error page (ErrCookieConflict)
// instead of starting a login that could not stick.
//
// Logout. Only a POST carrying the session's CSRF token (User.LogoutForm
// writes the form) logs out. It ends the session server-side — deleted
// from the SessionStore, or, for a cookie session, its ID recorded in the
// RevocationStore until the session would have expired — clears the
// cookie and redirects to jAccount's logout with client_id and
// post_logout_redirect_uri, which ends the jAccount session too.
//
// Limits across instances. Single-use states and the refusal of a cookie
// session replayed after logout hold wherever the RevocationStore is
// shared; the default in-memory one covers one process, so an application
// running several instances shares one through WithRevocationStore (or
// uses a shared SessionStore, whose Delete covers logout on every
// instance). A process restart empties the in-memory store: a cookie
// session copied before a logout then works again until it expires
// (WithMaxAge bounds that).
//
// Tokens. With WithTokenStore the user's tokens are kept server-side, one
// auth.TokenStore per user, and User.API calls the API as the user; the
// browser never holds a token.
//
// Shared stores. The module github.com/oauth-jaccount/jaccount-go/auth/redisstore
// implements all three stores in Redis (redisstore.NewWebStore), for
// applications with several instances. A store that fails (its server is
// down) fails closed: the requests that need it get a 503 error page with
// Retry-After (ErrStoreUnavailable), never an anonymous page for a
// signed-in user, and nothing changes for the user, so the same requests
// succeed once the store is back.
//
// Errors. A declined consent (auth.ErrAccessDenied), a state that matches
// no attempt of this browser or was used already (auth.ErrStateMismatch),
// an expired attempt (ErrLoginExpired), a failed exchange (ErrLoginFailed),
// a logout without the CSRF token (ErrCSRF) and a store that cannot be
// reached (ErrStoreUnavailable, 503) each get an error page,
// replaceable with WithErrorHandler; the default one explains the problem
// in Chinese and English and never shows a secret or an error's text.
//
// Secrets. Handler, User, Session and MemoryStore print no key, token or
// CSRF token through fmt (any verb) or slog, and the Handler's logs carry
// none either.
package web
