// Package auth is a jAccount (SJTU) OAuth 2.0 / OpenID Connect client. It
// implements the flows itself (authorize, callback, code exchange, ID-token
// verification, refresh, client credentials, logout) and speaks
// golang.org/x/oauth2's types where they meet other code: a TokenSource is
// an oauth2.TokenSource, Token converts to and from *oauth2.Token, and PKCE
// uses x/oauth2's verifier. It does what x/oauth2 leaves to its users:
// state and nonce checks, ID-token verification, a refresh that persists
// and is shared across goroutines and processes, typed errors and secrets
// that never print.
//
// # Web login
//
// Config.AuthCodeURL returns an AuthRequest: the authorize URL with a fresh
// random state (and, with WithNonce and WithPKCE, an OIDC nonce and a PKCE
// S256 verifier).
// Keep the AuthRequest server-side (its JSON form is meant for a session
// store) and at the callback hand it with the query to
// Config.HandleCallback, which checks the state in constant time, then
// jAccount's error parameter (*AuthorizeError), then exchanges the code. It
// returns a Token holding the access token, the rotating refresh token, the
// expiry and the raw ID token with its verified claims (IDTokenClaims: the
// jAccount username in Subject, Name, Code and the UserType). The ID token is
// verified as jAccount documents it, HS256 keyed with the client secret; see
// Config.VerifyIDTokenContext for exactly what is checked. The verified
// payload is kept: IDTokenClaims.Claims decodes claims the struct does not
// name. For a provider that signs RS256, plug its verifier (go-oidc's, say)
// in as IDTokenOptions.Verifier; the claims are still checked here. To log a user out,
// redirect to Config.LogoutURL: without it the jAccount session survives and
// the next login silently reuses it.
//
// # Tokens that renew themselves
//
// Config.TokenSource (refresh-token mode) and Config.ClientCredentialsSource
// (jAccount's client mode, for batch jobs) return a *TokenSource, an
// oauth2.TokenSource that
//   - renews ahead of expiry, once for any number of concurrent callers;
//   - runs refreshes on its own long-lived context, never on a caller's;
//   - retries temporary token-endpoint failures (5xx, 429, broken
//     connections; never a 4xx such as invalid_grant) with backoff, and
//     reports what remains as ErrTemporary, not as a reason to log in;
//   - remembers a definite failure for a few seconds, and a rejected
//     refresh token for good, so waiters do not hammer the token endpoint;
//   - saves every new token, and the one it was built from, through a
//     TokenStore, adopts a stored token only when it is newer, saves a token
//     whose save failed again before spending its refresh token, and refuses
//     a store holding another user's token (ErrSubjectMismatch); FileStore
//     writes atomically with mode 0600 and holds a cross-process file lock
//     across reload, refresh and save, so processes sharing one token file
//     never spend the same refresh token twice;
//   - offers ForceRefresh for an API that rejected a token that looked valid
//     (jAccount answers 403 with errno 10002 or 10007).
//
// # Errors
//
// Token-endpoint failures are *TokenError values carrying the RFC 6749 code,
// description and HTTP status. errors.Is(err, ErrInvalidGrant) tells that
// the user must log in again; ErrInvalidClient that the client id or secret
// is wrong; ErrInvalidScope that a scope is not allowed;
// ErrMalformedResponse marks answers that were not OAuth at all (an HTML
// error page, say). Network errors are wrapped with %w. A callback carrying
// error= gives an *AuthorizeError (ErrAccessDenied when the user declined).
// ID-token failures match ErrInvalidIDToken (and ErrNonceMismatch, or
// ErrIDTokenExpired for an *IDTokenExpiredError, which holds the expiry,
// when that is the cause).
//
// # Options
//
// Calls take options of one shape (AuthCodeOption for AuthCodeURL,
// ExchangeOption for Exchange and AuthCodeGrant, LogoutOption for
// LogoutURL, SourceOption for TokenSource and ClientCredentialsSource): an
// option given its zero value keeps the default, nil options are skipped,
// and the call refuses the first invalid one (a negative duration, a
// parameter this package sets itself) with an error matching
// ErrInvalidOption that names it.
//
// # Secrets
//
// Token, Config, Grant, AuthRequest, TokenSource and every error of this
// package print no access token, refresh token, ID token, code, PKCE
// verifier or client secret through fmt (any verb) or slog, and no error
// keeps an *http.Request or *http.Response. Text copied from a token
// endpoint's answer into an error has the credentials of the request and
// anything in the place of a token (a token parameter's value, a JWT)
// replaced, even when the answer is not valid JSON. The oauth2.Token
// values handed to x/oauth2 cannot be protected that way: do not log them.
//
// # Own HTTP stack
//
// Config.NewTokenRequest builds a token request without sending it, and
// Config.ParseTokenResponse interprets the answer, for callers that send
// requests themselves.
package auth
