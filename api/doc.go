// Package api is the typed client for the jAccount open API at
// https://api.sjtu.edu.cn.
//
// Its services, methods, parameter structs, paging iterators, path
// constants, scopes, errnos and model types are generated from
// openapi/jaccount.yaml (the files *.gen.go); the rest is what no spec can
// say: the transport, the envelope decoder, errors, options and the generic
// calls. It strips the {errno, error, total, entities} envelope, turns every
// failure (a 4xx/5xx status, errno != 0 on a 200, a body that is not JSON,
// an oversized body) into one typed *Error, retries safely (which failures
// are worth a retry is go-retryablehttp's DefaultRetryPolicy), and attaches
// the access token to every attempt.
//
// Operations are grouped by API area, one service per tag of the spec, in
// the style of go-github:
//
//	c, err := api.NewClient(tokenSource) // or api.NewClient(api.StaticToken("…"))
//	p, err := c.Profile.Get(ctx)                                // *api.Profile
//	ls, err := c.Lessons.ListBySemester(ctx, "2024-2025-1", api.LessonsListBySemesterParams{}) // *api.List[api.Lesson]
//	for tx, err := range c.Card.ListTransactionsIter(ctx, api.CardListTransactionsParams{}) { … }
//
// A method's name comes from its operationId by one rule (docs/api.md, "Method names"):
// the verb, then the remaining words without "My" and without the words of
// the service (getMyProfile is Profile.Get, listMyCardTransactions is
// Card.ListTransactions). Required parameters are arguments; optional ones
// are fields of a params struct, left out of the request when zero; dates
// are time.Time, written in the unit the spec declares. A paged operation
// has an iterator, XxxIter, for its paging style. The models (Profile,
// Lesson, …) are aliases of package gen's, so callers import api alone.
//
// # Calls the spec does not model
//
// Get and GetList call any GET path, and Client.Do any method with a body,
// through the same retries, authentication, envelope checks and errors as
// the typed methods: the Go form of the Python client's call_rest_api. URL
// and AuthorizedURL build an API address without a client, the latter with
// the legacy access_token and client_id query parameters (get_rest_api_url).
// HTTPClient sends arbitrary requests (for replies that are not the
// envelope) through the client's stack, and NewRequest and Authorize build
// an *http.Request with the token applied without sending it.
//
// # Data resources
//
// DataClient calls the data resources (数据资源) on their own server,
// https://graphql.sjtu.edu.cn: students, faculty, accounts and papers, with a
// client-credentials token of scope exchange_data, paged with first and
// offset, and filtered by update time for incremental sync jobs. It is
// generated from the operations of the spec that declare that server and
// shares everything below with Client; see NewDataClient, ParseDataTime and
// docs/data.md in the repository.
//
// # Authentication
//
// The client takes an oauth2.TokenSource and asks it for a token on every
// attempt, so a retry after a refresh carries the new token; a source that
// implements ContextTokenSource (auth.TokenSource does) is asked with the
// call's context, so the caller's deadline also bounds the wait for a
// refresh. The token is sent as "Authorization: Bearer" by default;
// WithQueryAuth selects the legacy form that the Python client uses
// (access_token and client_id query parameters). When the server rejects the
// token — 401, or errno 10002 or 10007 at any status, which is what the live
// API sends (403 for a missing token, 200 for an invalid one) — and the
// TokenSource implements Refresher, the client forces one
// refresh per distinct rejected token and repeats the request once. Errors
// from the TokenSource are never retried and reach the caller through %w, so
// errors.Is and errors.As see the token source's own error values; a
// temporary failure of the token endpoint after a rejection does not match
// ErrUnauthorized. WithTokenSource derives, cheaply, a client for another
// user's token that shares the transport. NoToken is the source of a client
// without credentials, for the operations the spec lets anyone call (the
// school calendar): it sends no token at all.
//
// # Retries
//
// An operation is retried on connection errors, on 429 and on 5xx except
// 501, with exponential backoff and jitter, when it is idempotent: sending it
// twice has the effect of sending it once. The spec says which are
// (x-jaccount-idempotent, generated into each method): every GET and DELETE,
// and none of jAccount's PUTs and POSTs, which send (Notification.Send,
// Mail.Send), create (File.Upload, Card.Open, Finance.SubmitAppointment,
// Enterprise.AddPositionUser) and pay (Card.Recharge) — RFC 9110 calls PUT
// idempotent, and jAccount's are not. Client.Do, DataClient.Do and the
// clients' HTTPClient take the flag of the operation whose path template
// their method and path match, else the method's (a PUT the spec does not
// describe is not idempotent, like a POST).
//
// A call that is not idempotent is repeated only when its request provably
// never reached the server: no connection was made (net/http's transport
// reports each connection; with another transport, the error must be a
// failure to dial or resolve). When it fails after its request may have
// reached the server — a 5xx, a timeout, a connection lost after the
// request was written, a reply that could not be read — the *Error says so
// (Error.OutcomeUnknown) and matches ErrOutcomeUnknown: the service may have
// acted, so check its state before calling again. A refusal is not unknown:
// a 4xx, an errno in an envelope, a rejected token. The service
// authenticates before it acts, so a request whose token it rejected is
// sent again, once, after the forced refresh, whatever its idempotency.
//
// Retry-After is honoured up to the policy's maximum wait; a longer one, or
// any wait that would end after the call's deadline or retry budget, returns
// the last answer at once (with Error.RetryAfter set) instead of a bare
// deadline error later. Attempts and total time are bounded (see
// RetryPolicy), context cancellation stops at once, and when retries run out
// the last response's status and body reach the caller's *Error.
//
// # One request budget
//
// A 429 or 503 with Retry-After to any call pauses the whole client (and
// the clients WithTokenSource makes from it) until it ends: every attempt
// of every call waits it out first. WithRateLimit adds a client-wide rate,
// and WithLimiter a Limiter shared by clients and processes
// (auth/redisstore's NewLimiter keeps one in Redis). A call whose turn
// would come after its deadline fails at once, unsent, with an *Error
// wrapping a *WaitError (ErrThrottled or ErrPaused); a retry refused its
// turn returns the last answer.
//
// A multipart/form-data body (File.Upload's FileUploadBody) is streamed from
// the caller's io.Reader, never buffered whole. A reader that is an
// io.Seeker (an *os.File, a *bytes.Reader) is rewound for every attempt, so
// the call is retried as above (an upload only when it never reached the
// server) and repeated after a refresh of a rejected token; any other reader
// is read once: the call is retried only if nothing of it was read yet (the
// connection was never made), and not repeated after a rejected token. Once
// the call returns, the reader is not read any more.
//
// # Per-call options
//
// Every method, Get, GetList, Do and the XxxIter iterators take
// CallOptions after their arguments: WithTimeout (the whole call, retries
// included), WithRetryPolicy (RetryPolicy{MaxAttempts: 1}: no retry),
// WithAttemptTimeout, WithMaxResponseSize, WithMaxPages, WithHeader, and
// WithResponseInto, which receives the status, the headers (without
// secrets), the envelope's total and nextToken, the attempts and the time
// of a success or a failure (Response). Given to NewClient, a CallOption
// sets the client's default for every call.
//
// # Debug log
//
// WithLogger's logger gets, at slog.LevelDebug only, a record of every
// exchange with the server and of every retry decision; see WithLogger for
// what a record holds, and never holds.
//
// # Secrets
//
// Errors and log records carry the request's method and path, never its full
// URL, and body snippets are redacted, so neither the access token nor the
// client_id-bearing URL of the query mode leaks into logs. Log records name
// the path by its template, so that a user's account or id in the path does
// not reach them either.
package api
