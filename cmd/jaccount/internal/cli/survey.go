package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/internal/shape"
	"github.com/oauth-jaccount/jaccount-go/openapi"
)

// The survey (`jaccount survey`) calls, with the saved login, each
// operation the spec marks safe to call for a shape report
// (x-jaccount-survey: true) that the login can call, plus two probes of
// authentication, and writes what it saw as a shape.Report: statuses,
// errnos, member paths, JSON types and formats, never a value. It prints
// the differences from the spec on stderr.

// surveyPageSize is the page size a survey asks a paged operation for: one
// small page is enough to see the shape.
const surveyPageSize = 10

// invalidToken is the access token of the first probe: plainly not one.
const invalidToken = "not-a-token-jaccount-survey"

type surveyOptions struct {
	output    string
	noRefresh bool
}

func (a *app) surveyCommand() *cobra.Command {
	var o surveyOptions
	cmd := &cobra.Command{
		Use:   "survey",
		Short: "Report the shapes of jAccount's replies, without their values, for the maintainers",
		Long: `Survey what jAccount answers, to help the maintainers make the SDK's spec match
the live service. With the saved login, it calls once each operation the spec
marks safe to call for this (a GET with no side effect whose reply holds no
credential: never a write, never the 思源码 payment or identity code, never a
file link or a download) that the login's grant and scopes allow, plus two
probes of authentication: what a deliberately invalid token gets, and what
one renewal of the login's token brings back (the renewed token is saved as
any renewal is; --no-refresh leaves it alone).

It writes a JSON report to stdout (or --output): per operation the HTTP
status, the errno and the envelope's members, and for the entities every
member path with its JSON types and the formats detected (a date, UNIX
seconds or milliseconds, a UUID, a URL, an e-mail address, digits, ...). No
value of any reply is in it, nor a length or a count: object keys that look
like data (digits, UUIDs, e-mail addresses, accounts) become "*", and the
elements of an array are merged into one. Read it before you share it; it is
short. Then attach it to an issue at
https://github.com/oauth-jaccount/jaccount-go/issues.

On stderr it lists the differences from the spec it carries: members the
spec lacks, modelled members never seen, types and units that disagree, and
operations the spec keeps as raw JSON whose shape is now known.`,
		Example: `  jaccount survey > survey.json
  jaccount survey --output survey.json
  jaccount --profile batch survey --output survey-client.json
  jaccount --fake survey`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.survey(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of stdout")
	f.BoolVar(&o.noRefresh, "no-refresh", false, "skip the renewal probe (it spends the refresh token and saves the new one)")
	return cmd
}

// survey runs `jaccount survey`.
func (a *app) survey(ctx context.Context, o surveyOptions) error {
	spec, err := shape.ParseSpec(openapi.Spec)
	if err != nil {
		return err
	}
	if a.fake != nil {
		a.settings.scopes.v = strings.Join(surveyScopes(), " ")
	}
	obs := &tokenObserver{next: http.DefaultTransport}
	a.settings.tokenHTTP = &http.Client{Transport: obs, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c, err := a.apiClient(ctx, nil)
	if err != nil {
		return err
	}
	tok, err := a.ts.AuthToken(ctx)
	if err != nil {
		return err
	}
	s := &surveyor{app: a, spec: spec, api: c, sources: map[string]string{}}
	s.login = &shape.Login{Grant: a.info.Grant, Scopes: strings.Fields(tok.Scope)}
	if len(s.login.Scopes) == 0 {
		s.login.Scopes, s.login.ScopesAsked = a.info.Scopes, true
	}
	s.login.Scopes = slices.DeleteFunc(slices.Clone(s.login.Scopes), func(sc string) bool { return !slices.Contains(spec.Scopes, sc) })
	rep := &shape.Report{Format: shape.FormatVersion, Tool: "jaccount " + version(), Date: time.Now().In(cst).Format("2006-01-02"),
		Spec: spec.Version, Fake: a.fake != nil, Login: s.login, Probes: &shape.Probes{}}
	for _, op := range s.order() {
		rep.Operations = append(rep.Operations, s.call(ctx, op))
	}
	rep.Probes.InvalidToken = s.invalidToken(ctx)
	if !o.noRefresh {
		rep.Probes.Refresh = s.refresh(ctx, obs)
	}
	rep.Compact()
	if err := spec.Check(rep); err != nil {
		return fmt.Errorf("the report does not check, so it is not written (a bug: please report it): %w", err)
	}
	out, err := rep.Marshal()
	if err != nil {
		return err
	}
	if o.output != "" {
		if err := os.WriteFile(o.output, out, 0o644); err != nil {
			return err
		}
	} else if _, err := a.env.Stdout.Write(out); err != nil {
		return err
	}
	return a.printDiff(spec, rep, o.output)
}

// surveyScopes are the scopes a --fake survey logs in with: every scope of
// an operation a user's login may survey, beside the default ones.
func surveyScopes() []string {
	scopes := slices.Clone(defaultScopes)
	for _, op := range operations {
		if !op.survey {
			continue
		}
		for _, r := range op.security {
			if slices.Contains(r.grants, grantAuthCode) {
				for _, sc := range r.scopes {
					if !slices.Contains(scopes, sc) {
						scopes = append(scopes, sc)
					}
				}
			}
		}
	}
	return scopes
}

// printDiff writes the differences from the spec on stderr, with a summary
// of what was called.
func (a *app) printDiff(spec *shape.Spec, rep *shape.Report, output string) error {
	called, skipped := 0, 0
	for _, op := range rep.Operations {
		if op.Reply != nil {
			called++
		} else {
			skipped++
		}
	}
	where := "above"
	if output != "" {
		where = "in " + output
	}
	w := a.env.Stderr
	fmt.Fprintf(w, "Surveyed %d operations (%d skipped); the report is %s: it holds no value of any reply, read it and attach it to an issue.\n",
		called, skipped, where)
	lines := shape.Lines(spec.Diff(rep))
	if len(lines) == 0 {
		fmt.Fprintf(w, "No difference from the spec (%s).\n", spec.Version)
		return nil
	}
	fmt.Fprintf(w, "Differences from the spec (%s):\n", spec.Version)
	for _, l := range lines {
		fmt.Fprintln(w, "  "+l)
	}
	return nil
}

// surveyor is one survey's state.
type surveyor struct {
	app   *app
	spec  *shape.Spec
	api   *api.Client
	data  *api.DataClient
	login *shape.Login
	// sources are values earlier replies gave, for the parameters of later
	// operations: the user's id, a lesson's code. They are used in requests
	// only, never written anywhere.
	sources map[string]string
}

// order is the operations to report, in the order they are called: those
// that need no parameter first, so that their replies can give the
// parameters of the others; within each, the spec's order.
func (s *surveyor) order() []*shape.Op {
	var first, then []*shape.Op
	for _, id := range s.spec.IDs {
		op := s.spec.Ops[id]
		if op.Method != http.MethodGet || !op.Survey && op.SurveyNever == "" {
			continue
		}
		if slices.ContainsFunc(op.Params, func(p shape.Param) bool { return p.Required }) {
			then = append(then, op)
		} else {
			first = append(first, op)
		}
	}
	return append(first, then...)
}

// call surveys one operation.
func (s *surveyor) call(ctx context.Context, op *shape.Op) shape.Operation {
	rop := shape.Operation{ID: op.ID, Method: op.Method, Path: op.Path}
	cliOp := operationByID(op.ID)
	switch {
	case cliOp == nil || !cliOp.survey:
		rop.Skipped = shape.SkipNotSurveyed + op.SurveyNever
		return rop
	case !s.allowed(cliOp):
		rop.Skipped = shape.SkipLogin
		return rop
	}
	path, query, missing := s.request(op)
	if missing != "" {
		rop.Skipped = shape.SkipNeeds + missing
		return rop
	}
	var hc *http.Client
	var base string
	if op.Client != "" {
		dc, err := s.dataClient(ctx)
		if err != nil {
			rop.Failed = "token"
			return rop
		}
		hc, base = dc.HTTPClient(), dc.BaseURL()
	} else {
		hc, base = s.api.HTTPClient(), s.api.BaseURL()
	}
	status, ctype, body, failed := surveyGet(ctx, hc, base+path, query)
	if failed != "" {
		rop.Failed = failed
		return rop
	}
	s.spec.Observe(&rop, status, ctype, body)
	s.remember(op.ID, body)
	return rop
}

// allowed reports whether the login can call op: an alternative of its
// security takes the login's grant, and its scopes are all granted (when
// the token does not say which scopes it has, the server decides).
func (s *surveyor) allowed(op *operation) bool {
	if op.anonymous {
		return true
	}
	for _, r := range op.security {
		if !slices.Contains(r.grants, s.login.Grant) {
			continue
		}
		if len(s.login.Scopes) == 0 || !slices.ContainsFunc(r.scopes, func(sc string) bool { return !slices.Contains(s.login.Scopes, sc) }) {
			return true
		}
	}
	return false
}

func (s *surveyor) dataClient(ctx context.Context) (*api.DataClient, error) {
	if s.data == nil {
		dc, err := s.app.dataClient(ctx, nil)
		if err != nil {
			return nil, err
		}
		s.data = dc
	}
	return s.data, nil
}

// request is op's path and query: its required parameters filled from
// their sources, one small page for an operation that pages. missing names
// a required parameter no source gives.
func (s *surveyor) request(op *shape.Op) (path string, query url.Values, missing string) {
	path, query = op.Path, url.Values{}
	for _, p := range op.Params {
		if !p.Required {
			continue
		}
		v := s.source(op, p)
		if v == "" {
			return "", nil, p.Name
		}
		if p.In == "path" {
			path = strings.Replace(path, "{"+p.Name+"}", url.PathEscape(v), 1)
		} else {
			query.Set(p.Name, v)
		}
	}
	if pg := op.Paging; pg != nil && pg.Size != "" {
		size := surveyPageSize
		if pg.Max > 0 {
			size = min(size, pg.Max)
		}
		query.Set(pg.Size, strconv.Itoa(size))
		switch pg.Style {
		case "start-limit":
			query.Set(pg.Start, "0")
		case "first-offset":
			query.Set(pg.First, "1")
		}
	}
	return path, query, ""
}

// source gives a value for a required parameter: the first of a closed
// set (a mail state), the current semester, or what an earlier reply gave
// (the user's own id for a profile, a lesson's code). Nothing is guessed:
// a parameter without a source skips its operation.
func (s *surveyor) source(op *shape.Op, p shape.Param) string {
	switch {
	case len(p.Enum) > 0:
		return p.Enum[0]
	case p.Name == "semester":
		return currentSemester(time.Now())
	}
	return s.sources[op.ID+"."+p.Name]
}

// currentSemester is the semester of the school year a day falls in, as
// the lessons and examinations take it (2024-2025-1): the autumn semester
// from September to January, the spring one from February to June, the
// summer one in July and August.
func currentSemester(now time.Time) string {
	now = now.In(cst)
	y, m := now.Year(), now.Month()
	switch {
	case m >= time.September:
		return fmt.Sprintf("%d-%d-1", y, y+1)
	case m == time.January:
		return fmt.Sprintf("%d-%d-1", y-1, y)
	case m <= time.June:
		return fmt.Sprintf("%d-%d-2", y-1, y)
	}
	return fmt.Sprintf("%d-%d-3", y-1, y)
}

// remember keeps, of a reply, the values later operations take.
func (s *surveyor) remember(id string, body []byte) {
	var env struct {
		Errno    int                          `json:"errno"`
		Entities []map[string]json.RawMessage `json:"entities"`
	}
	if json.Unmarshal(body, &env) != nil || env.Errno != 0 || len(env.Entities) == 0 {
		return
	}
	first := func(members ...string) string {
		for _, m := range members {
			var v string
			if json.Unmarshal(env.Entities[0][m], &v) == nil && v != "" {
				return v
			}
		}
		return ""
	}
	set := func(key, v string) {
		if v != "" && s.sources[key] == "" {
			s.sources[key] = v
		}
	}
	switch id {
	case "getMyProfile":
		set("getUserProfile.id", first("id", "account"))
	case "listMyLessons", "listMyLessonsBySemester":
		set("getLesson.code", first("code", "bsid"))
	}
}

// surveyGet sends one GET through c (the SDK's stack: the token, its renewal,
// retries, the size cap) and reads the whole answer; failed says how a
// call without an answer failed (shape.FailReasons).
func surveyGet(ctx context.Context, c *http.Client, u string, query url.Values) (status int, ctype string, body []byte, failed string) {
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", nil, "refused"
	}
	resp, err := c.Do(req)
	var timeout net.Error
	if err == nil {
		defer resp.Body.Close()
		body, err = io.ReadAll(resp.Body)
	}
	switch {
	case err == nil:
		return resp.StatusCode, resp.Header.Get("Content-Type"), body, ""
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &timeout) && timeout.Timeout():
		return 0, "", nil, "timeout"
	case errors.Is(err, api.ErrResponseTooLarge):
		return 0, "", nil, "refused"
	case errors.Is(err, auth.ErrNoToken) || errors.As(err, new(*auth.TokenError)):
		return 0, "", nil, "token"
	}
	return 0, "", nil, "connection"
}

// invalidToken is the first probe: what a deliberately invalid access
// token gets, on the signed-in user's profile (any operation checks the
// token first). One attempt, no renewal.
func (s *surveyor) invalidToken(ctx context.Context) *shape.Reply {
	c, err := api.NewClient(api.StaticToken(invalidToken), s.app.clientOptions(api.WithBaseURL(s.api.BaseURL()),
		api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1}))...)
	if err != nil {
		return nil
	}
	status, ctype, body, failed := surveyGet(ctx, c.HTTPClient(), c.BaseURL()+api.PathProfileGet, nil)
	if failed != "" {
		return nil
	}
	var op shape.Operation
	s.spec.Observe(&op, status, ctype, body)
	return op.Reply
}

// refresh is the second probe: one renewal of the login's token (a
// refresh, or a new client-credentials token), through the token source,
// which saves the new token as any renewal does; obs sees the token
// endpoint's answer. Nil when no renewal was sent (another process renewed
// the token at that moment).
func (s *surveyor) refresh(ctx context.Context, obs *tokenObserver) *shape.Refresh {
	cur, err := s.app.ts.AuthToken(ctx)
	if err != nil {
		return nil
	}
	obs.arm(cur.Scope)
	_, err = s.app.ts.ForceRefresh(ctx, cur.OAuth2())
	r := obs.result()
	if r == nil && err != nil {
		return &shape.Refresh{Error: "other", Scope: "absent"}
	}
	return r
}

// tokenObserver is the transport of the token endpoint's client during a
// survey: once armed, it reads the next token request and its answer, and
// keeps of them only what a shape.Refresh says (which members, whether the
// refresh token changed, how the scope compares).
type tokenObserver struct {
	next http.RoundTripper

	mu    sync.Mutex
	armed bool
	scope string // the scope of the token being renewed
	seen  *shape.Refresh
}

func (o *tokenObserver) arm(scope string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.armed, o.scope, o.seen = true, scope, nil
}

func (o *tokenObserver) result() *shape.Refresh {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.armed = false
	return o.seen
}

func (o *tokenObserver) RoundTrip(req *http.Request) (*http.Response, error) {
	o.mu.Lock()
	armed, scope := o.armed, o.scope
	o.mu.Unlock()
	if !armed {
		return o.next.RoundTrip(req)
	}
	var sent string
	if req.Body != nil && req.GetBody != nil {
		if b, err := req.GetBody(); err == nil {
			form, _ := io.ReadAll(b)
			b.Close()
			q, _ := url.ParseQuery(string(form))
			sent = q.Get("refresh_token")
		}
	}
	resp, err := o.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, nil
	}
	r := &shape.Refresh{Status: resp.StatusCode, Scope: "absent"}
	members, obj := shape.TokenMembers(body)
	r.Members = members
	if code, ok := obj["error"].(string); ok {
		r.Error = shape.OAuthError(code)
	}
	if rt, ok := obj["refresh_token"].(string); ok && rt != "" && sent != "" {
		changed := rt != sent
		r.RefreshTokenChanged = &changed
	}
	if id, ok := obj["id_token"].(string); ok && id != "" {
		r.IDToken = true
	}
	if sc, ok := obj["scope"].(string); ok {
		r.Scope = compareScopes(sc, scope)
	}
	o.mu.Lock()
	o.seen, o.armed = r, false
	o.mu.Unlock()
	return resp, nil
}

// compareScopes says how a renewal's scope compares with the token's:
// empty, same (as a set) or different.
func compareScopes(got, had string) string {
	g, h := strings.Fields(got), strings.Fields(had)
	if len(g) == 0 {
		return "empty"
	}
	slices.Sort(g)
	slices.Sort(h)
	if slices.Equal(slices.Compact(g), slices.Compact(h)) {
		return "same"
	}
	return "different"
}
