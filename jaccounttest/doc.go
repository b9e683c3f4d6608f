// Package jaccounttest is a fake jAccount for tests, the way net/http/httptest
// is a fake HTTP server: it runs on a loopback port and behaves as SJTU's
// jAccount does (as far as its documentation and public clients tell), with
// fixture users and an application already registered. No test needs to
// reach the real jAccount.
//
// In a test, New starts it for the test and stops it when the test ends; an
// invalid option or fault fails the test:
//
//	func TestProfile(t *testing.T) {
//		fake := jaccounttest.New(t, jaccounttest.WithPKCE())
//		tok, err := fake.IssueToken(jaccounttest.StudentUsername, "essential")
//		...
//		c, err := api.NewClient(api.StaticToken(tok.AccessToken), api.WithBaseURL(fake.APIURL()))
//
// A program (an example, a fake for other processes) uses Start, which
// returns an error instead, and Close or Shutdown.
//
// One listener serves both halves:
//
//   - OAuth 2.0 / OpenID Connect under /oauth2/ (AuthURL, TokenURL,
//     LogoutURL, and DiscoveryURL, the discovery document of the live
//     service's members; ID tokens carry Issuer as iss, which WithIssuer may
//     set to jAccount's own). The authorize endpoint shows an HTML login page for
//     the fixture users (StudentUsername, FacultyUsername, FreshmanUsername,
//     TeamUsername, OutsideUsername and their passwords) and a consent page,
//     and keeps a
//     login session in its own cookie, so a second authorize in the same
//     browser skips the login form until the logout URL ends the session.
//     WithAutoApprove skips the pages for tests without a browser, and
//     Server.Login plays the browser's part over plain HTTP. The token
//     endpoint does authorization_code (single-use, short-lived codes whose
//     redirect_uri must match; an ID token comes back even without openid,
//     as jAccount's does), refresh_token (rotating: a used refresh token gets
//     invalid_grant, unless WithoutRefreshRotation; no ID token unless
//     WithRefreshIDToken — jAccount documents neither) and
//     client_credentials, authenticates the client by
//     client_secret_post (and HTTP Basic unless WithoutBasicAuth), checks
//     PKCE when WithPKCE asks it to (jAccount does not document PKCE), answers
//     errors in RFC 6749 shape, and signs ID tokens with HS256 keyed by the
//     client secret, with the claims iss, sub, aud, nonce, iat, exp, name,
//     code and type. (An empty scope is read as basic, so it gets an ID
//     token; jAccount grants the application's registered scopes to an
//     empty one and then returns none, as the 交我办 client's replies show.)
//
//   - The open REST API under /v1/ (APIURL): every operation of
//     openapi/jaccount.yaml, routed and scope-checked from a table generated
//     from the spec (routes.gen.go), so the fake cannot drift from it. The
//     operations with fixture state (profiles, positions, rights, lessons,
//     examinations, card and its transactions, 思源码 transactions, circles,
//     barcode and thumbnail images, and the upload, which reads the
//     multipart/form-data form as it arrives and answers the File structure
//     of its file part: mime and size, and a fresh id, its name, uri and
//     sha1Hash, as a vendor's client reads the reply) are served from the
//     fixtures (see User
//     and DefaultUsers: a freshman whose birthday is an object, a team
//     account without id and identities, an outside user whose organize is
//     {}); any other operation serves its spec example, paged in
//     its paging style when it pages, after checking a multipart/form-data
//     body's parts against the spec (400 BAD_PARAMETERS otherwise) — so an
//     operation added to the spec is served with no code here. WithSpecExamples serves the examples for
//     every operation. Replies are the {errno, error, total, entities}
//     envelope (a file or an image for the operations that answer one).
//     The school calendar, whose security lists the empty requirement,
//     answers a request with no credential at all, as the live one did
//     (evidence E3). The 思源码 operations but validation admit 交我办 only
//     (x-jaccount-only-app): another application's token gets 403 with
//     errno 10003 ENTITLE_FAILURE — the live refusal is not documented, so
//     that is an assumption — and Client.Jiaowoban registers an application
//     as 交我办. Each operation's security is the spec's (any one alternative
//     suffices), grant and scopes alike: a token of a grant no alternative
//     takes — a user's (authorization code) on a client-credentials API, the
//     application's (client credentials) on a user's API — gets 403 with
//     errno 10010 AUTHENTICATION_SCOPE_FAILED, the grants that would do named
//     after a blank line (the live errno of a wrong grant is not documented:
//     10010 is an assumption); a token of the right grant without the scopes
//     gets the same errno with the scopes that would do. An unknown or revoked token gets what the live API sends,
//     403 {"errno":10002,"error":"Authentication Failed.","total":0}, an
//     expired one errno 10007 (WithTokenRejectionStatus(http.StatusOK)
//     answers them with HTTP 200 instead, as the live API answered an
//     invalid token once). Other failures carry the documented errno
//     (10001 BAD_PARAMETERS, 10003, 10008, 70001, -1) with the detail after a
//     blank line. The token may come as Authorization: Bearer or as the
//     access_token query parameter. Lists page in the documented styles:
//     card and 思源码 transactions by start and limit with total, circles by
//     nextToken sent back as pageToken (WithPageSize); the card's
//     transactions keep card.html's rules (evidence E8: limit at most 100,
//     limit=0 unpaged with beginDate, start a multiple of the page size,
//     orderBy=dateTimeAccount adding dateTimAccount). Rights without an
//     account are the token's user's (E1).
//
// A second listener (DataURL) serves the data resources, which the real
// jAccount serves on another host (graphql.sjtu.edu.cn): the spec's
// operations on that server, to client-credentials tokens with scope
// exchange_data (IssueClientToken), paged with first and offset (at most
// 200) and filtered by timestamp, from fixture records with update times
// (DefaultStudents, DefaultFaculty, DefaultAccounts, WithStudents, …) that
// UpdateStudent, UpdateFaculty, UpdateAccount and AddStudent change.
//
// Tests steer it with IssueToken (tokens without the authorize flow),
// ExpireAccessTokens, ExpireAccessToken and RevokeToken, WithClock and the TTL
// options, and Inject, which adds faults: Latency, ErrorStatus (on the API,
// the envelope with the catalogue's errno for the status, e.g. 10004
// INTERNAL_FAILURE for a 5xx, in the documented message form), RateLimit
// (429 with Retry-After), HTMLPage, DropConnection, TruncateBody and Errno
// (HTTP 200 with errno != 0), each limited with Times, On (an Endpoint),
// OnPath, For (a time-bounded outage, by the server's clock), Probability
// (faults spread over a run) and AboveRate (only the requests beyond a
// rate: RateLimit(time.Second).AboveRate(50, time.Second) is a server that
// answers 429 above 50 requests a second). Requests returns the request log: method, path, endpoint, which
// credential was used, client id, status, and the query and form
// parameters with every secret redacted — never a token or secret.
//
// The login page lists the fixture accounts with their passwords and a
// button that signs in as each, for a developer clicking through; a user's
// Consented scopes skip the consent page. A refused client_id or
// redirect_uri shows what was sent and what is registered.
//
// For a program that runs the fake for other processes (the `jaccount
// fake` command does), WithListener and WithDataListener choose where it
// listens, WithSeed makes its codes and tokens reproducible, WithAdmin
// serves an admin HTTP API under AdminPath that steers it from any
// language as the methods above do from Go, and Shutdown stops it
// gracefully.
package jaccounttest
