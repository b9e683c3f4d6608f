package api

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The debug log: the records WithLogger's logger gets at slog.LevelDebug,
// one per exchange with the server (logExchange), one per decision to
// retry or to stop (retrier.log), one per forced refresh. They name a
// request by its method and its path template, never by its URL, and
// carry no header, no body and no query value: tokens, codes, secrets and
// users' data stay out. A logger whose handler does not take debug
// records costs an Enabled call per exchange; no logger, nothing.

// exchange sends sent, the authorised copy of req (the attempt's request
// as the call built it), and logs the exchange when the logger takes
// debug records.
func (t *authTransport) exchange(ctx context.Context, st *callState, req, sent *http.Request) (*http.Response, error) {
	if t.logger == nil || !t.logger.Enabled(ctx, slog.LevelDebug) {
		return t.next.RoundTrip(sent)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(sent)
	t.logExchange(ctx, st, req, resp, err, time.Since(start))
	return resp, err
}

// logExchange writes the record of one exchange: method, path template,
// the names of the query parameters, the attempt, and the reply's status,
// errno (an envelope's), size and time, or the failure (its text without
// the URL or a token).
func (t *authTransport) logExchange(ctx context.Context, st *callState, req *http.Request, resp *http.Response, err error, took time.Duration) {
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs,
		slog.String("method", req.Method),
		slog.String("path", logPath(t.server, req.Method, st.pathOr(req, t.prefix))),
		slog.String("query", queryKeys(req.URL.RawQuery)))
	if st != nil {
		attrs = append(attrs, slog.Int("attempt", st.attempts))
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		if b, ok := resp.Body.(*body); ok {
			if n, ok := envelopeErrno(b.buf.Bytes()); ok {
				attrs = append(attrs, slog.Int("errno", n))
			}
			attrs = append(attrs, slog.Int("bytes", b.buf.Len()))
		}
	}
	attrs = append(attrs, slog.Duration("duration", took))
	if err != nil {
		attrs = append(attrs, slog.String("error", sanitize(causeText(err), 4*maxSnippet, st.secrets()...)))
	}
	t.logger.LogAttrs(ctx, slog.LevelDebug, "jaccount api: attempt", attrs...)
}

// pathOr is the call's path (escaped, below the base URL's path), or, for
// a request without a call state, req's.
func (s *callState) pathOr(req *http.Request, prefix string) string {
	if s != nil {
		return s.path
	}
	return strings.TrimPrefix(req.URL.EscapedPath(), prefix)
}

// logPath is how a record, or an *Error's text, names the path of a
// request (escaped, below the base URL's path) of the client of the server
// client (anyClient: any): the template of the spec's operation it matches
// (/v1/profile/{id}, not the account it carries), or else the path with
// every segment that is not a word of the spec's paths (me, profile,
// lessons, …) replaced by {redacted}.
func logPath(client, method, path string) string {
	if op := operationOf(client, method, path); op != nil {
		return op.path
	}
	return redactPath(path)
}

// redactPath is path with every segment that is not a word of the spec's
// paths replaced by {redacted}.
func redactPath(path string) string {
	words := pathWords()
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s != "" && !words[s] {
			segs[i] = "{redacted}"
		}
	}
	return strings.Join(segs, "/")
}

// pathWords are the literal segments of the spec's path templates.
var pathWords = sync.OnceValue(func() map[string]bool {
	words := map[string]bool{}
	for _, op := range operationRetry {
		for _, s := range strings.Split(op.path, "/") {
			if s != "" && !strings.Contains(s, "{") {
				words[s] = true
			}
		}
	}
	return words
})

// queryKeys lists the names of a query's parameters, in order, each once,
// joined by ","; never their values.
func queryKeys(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	var keys []string
	for part := range strings.SplitSeq(rawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return strings.Join(keys, ",")
}
