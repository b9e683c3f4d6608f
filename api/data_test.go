package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// queryLog records the query of every request a client sends (the fake's
// request log leaves queries out: they may hold a token).
type queryLog struct {
	mu      sync.Mutex
	queries []url.Values
	next    http.RoundTripper
}

func (l *queryLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.queries = append(l.queries, r.URL.Query())
	l.mu.Unlock()
	return l.next.RoundTrip(r)
}

// pages returns first and offset of every request, as "first/offset".
func (l *queryLog) pages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, q := range l.queries {
		out = append(out, q.Get("first")+"/"+q.Get("offset"))
	}
	return out
}

// dataClient returns a DataClient for fake with a client-credentials token
// of scopes, and the log of its requests' queries.
func dataClient(t *testing.T, fake *jaccounttest.Server, scopes ...string) (*api.DataClient, *queryLog) {
	t.Helper()
	tok, err := fake.IssueClientToken(scopes...)
	if err != nil {
		t.Fatal(err)
	}
	log := &queryLog{next: fake.HTTPClient().Transport}
	dc, err := api.NewDataClient(api.StaticToken(tok.AccessToken), api.WithDataBaseURL(fake.DataURL()),
		api.WithTransport(log), fakeRetries)
	if err != nil {
		t.Fatal(err)
	}
	return dc, log
}

// TestDataPaging walks every student across pages, first=1&offset=100, then
// first=101&offset=100, as the documentation says; a zero Offset asks for
// pages of the maximum, 200.
func TestDataPaging(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	dc, log := dataClient(t, fake, string(api.ScopeExchangeData))
	var accounts []string
	for s, err := range dc.Students.ListIter(t.Context(), api.StudentsListParams{Offset: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, s.AccountNo)
	}
	if want := []string{"1/100", "101/100", "201/100"}; !slices.Equal(log.pages(), want) {
		t.Errorf("pages asked for: %v, want %v", log.pages(), want)
	}
	if len(accounts) != jaccounttest.DefaultStudentCount || !slices.IsSorted(accounts) ||
		len(slices.Compact(slices.Clone(accounts))) != len(accounts) || !slices.Contains(accounts, jaccounttest.StudentUsername) {
		t.Errorf("%d students (sorted %v), want the %d distinct fixtures with %s", len(accounts), slices.IsSorted(accounts),
			jaccounttest.DefaultStudentCount, jaccounttest.StudentUsername)
	}
	t.Logf("Students.ListIter(Offset 100): %d students in requests first/offset %v", len(accounts), log.pages())

	dc, log = dataClient(t, fake, string(api.ScopeExchangeData))
	n := 0
	for _, err := range dc.Faculty.ListIter(t.Context(), api.FacultyListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if want := []string{"1/200"}; n != jaccounttest.DefaultFacultyCount || !slices.Equal(log.pages(), want) {
		t.Errorf("Faculty.ListIter: %d records in requests %v, want %d in %v", n, log.pages(), jaccounttest.DefaultFacultyCount, want)
	}

	// One page by hand: List returns the page and the count of all.
	page, err := dc.Accounts.List(t.Context(), api.AccountsListParams{First: 11, Offset: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 5 || page.Total != jaccounttest.DefaultStudentCount+jaccounttest.DefaultFacultyCount {
		t.Errorf("Accounts.List(first 11, offset 5): %d items, total %d", len(page.Items), page.Total)
	}
}

// TestDataFilters: timestamp keeps the records updated at or after it, in
// China Standard Time, and the documented filters select records.
func TestDataFilters(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	dc, log := dataClient(t, fake, string(api.ScopeExchangeData))
	// Student i of the fixtures was updated at DataFixtureTime + i×10 min:
	// since the 100th, 150 remain. The same instant in UTC is sent as CST.
	since := jaccounttest.DataFixtureTime.Add(100 * 10 * time.Minute).UTC()
	n := 0
	for _, err := range dc.Students.ListIter(t.Context(), api.StudentsListParams{UpdatedSince: since}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != jaccounttest.DefaultStudentCount-100 {
		t.Errorf("updated since %v: %d students, want %d", since, n, jaccounttest.DefaultStudentCount-100)
	}
	if got := log.queries[0].Get("timestamp"); got != "2026-09-02 00:40:00" {
		t.Errorf("timestamp sent as %q, want 2026-09-02 00:40:00 (China Standard Time)", got)
	}

	l, err := dc.Students.List(t.Context(), api.StudentsListParams{StudentNo: "523030910001"})
	if err != nil || len(l.Items) != 1 || l.Items[0].AccountNo != jaccounttest.StudentUsername || l.Items[0].Xm != "张三" {
		t.Errorf("by xh: %+v, %v", l, err)
	}
	l, err = dc.Students.List(t.Context(), api.StudentsListParams{LeftSchool: "Y", Offset: 200})
	if err != nil || len(l.Items) != jaccounttest.DefaultStudentCount/10 {
		t.Errorf("lxbj=Y: %d students, %v; want every tenth", len(l.Items), err)
	}
	f, err := dc.Faculty.List(t.Context(), api.FacultyListParams{StaffNo: "10086"})
	if err != nil || len(f.Items) != 1 || f.Items[0].DisplayName != jaccounttest.FacultyName {
		t.Errorf("faculty by gh: %+v, %v", f, err)
	}
}

// TestDataUpdates: a record the fake updates comes back for a timestamp up
// to the change, with the account's own timestamp moved; an unknown record
// is reported.
func TestDataUpdates(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 21, 30, 5, 0, time.UTC)
	fake := jaccounttest.New(t, jaccounttest.WithClock(func() time.Time { return now }))
	dc, _ := dataClient(t, fake, string(api.ScopeExchangeData))
	if !fake.UpdateStudent("stu0042", func(s *gen.DataStudent) { s.Email = "new@example.invalid" }) ||
		!fake.UpdateAccount("stu0042", func(a *gen.DataAccount) { a.AccountStatus = "冻结" }) ||
		fake.UpdateStudent("nobody", func(*gen.DataStudent) {}) {
		t.Fatal("UpdateStudent/UpdateAccount: unexpected result")
	}
	if err := fake.AddStudent(gen.DataStudent{AccountNo: "newcomer", Xm: "新生"}); err != nil {
		t.Fatal(err)
	}
	s, err := dc.Students.List(t.Context(), api.StudentsListParams{UpdatedSince: now})
	if err != nil || len(s.Items) != 2 || s.Items[0].AccountNo != "newcomer" || s.Items[1].Email != "new@example.invalid" {
		t.Errorf("students updated since the change: %+v, %v", s, err)
	}
	a, err := dc.Accounts.List(t.Context(), api.AccountsListParams{UpdatedSince: now.Add(-time.Second)})
	if err != nil || len(a.Items) != 1 || a.Items[0].AccountStatus != "冻结" || a.Items[0].Timestamp != "2026-11-27 05:30:05" {
		t.Fatalf("accounts updated since the change: %+v, %v", a, err)
	}
	if ts, err := api.ParseDataTime(a.Items[0].Timestamp); err != nil || !ts.Equal(now) {
		t.Errorf("ParseDataTime(%q) = %v, %v; want %v", a.Items[0].Timestamp, ts, err, now)
	}
}

// TestDataErrors: the documented 400 for an offset above 200 and a bad
// timestamp (errno 10001, the detail after a blank line), and 403 with errno
// 10010 for a token without exchange_data or a user's token; a data path on
// the open API's listener is not found.
func TestDataErrors(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	dc, _ := dataClient(t, fake, string(api.ScopeExchangeData))
	ctx := t.Context()
	var e *api.Error
	_, err := dc.Students.List(ctx, api.StudentsListParams{Offset: 201})
	if !errors.As(err, &e) || e.StatusCode != 400 || e.Errno != api.ErrnoBadParameters || !strings.Contains(e.Message, "offset") {
		t.Errorf("offset 201: %v, want 400 with errno 10001 about offset", err)
	}
	t.Logf("offset 201: %v", err)
	for _, p := range []api.FacultyListParams{{First: -1}} {
		if _, err := dc.Faculty.List(ctx, p); !errors.As(err, &e) || e.StatusCode != 400 || e.Errno != api.ErrnoBadParameters {
			t.Errorf("%+v: %v, want 400 with errno 10001", p, err)
		}
	}
	var out []json.RawMessage
	err = dc.Do(ctx, "GET", api.PathStudentsList, url.Values{"timestamp": {"yesterday"}}, nil, &out)
	if !errors.As(err, &e) || e.StatusCode != 400 || e.Errno != api.ErrnoBadParameters {
		t.Errorf("timestamp=yesterday: %v, want 400 with errno 10001", err)
	}

	noScope, _ := dataClient(t, fake, string(api.ScopeBasic))
	_, err = noScope.Students.List(ctx, api.StudentsListParams{})
	if !errors.Is(err, api.ErrForbidden) || !errors.As(err, &e) || e.StatusCode != 403 || e.Errno != api.ErrnoAuthenticationScopeFailed {
		t.Errorf("client token without exchange_data: %v, want 403 with errno 10010", err)
	}
	t.Logf("without exchange_data: %v", err)
	user, err := fake.IssueToken(jaccounttest.StudentUsername, string(api.ScopeExchangeData))
	if err != nil {
		t.Fatal(err)
	}
	userClient, err := api.NewDataClient(api.StaticToken(user.AccessToken), api.WithDataBaseURL(fake.DataURL()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = userClient.Papers.List(ctx, api.PapersListParams{})
	if !errors.Is(err, api.ErrForbidden) || !errors.As(err, &e) || e.StatusCode != 403 || e.Errno != api.ErrnoAuthenticationScopeFailed {
		t.Errorf("a user's token: %v, want 403 with errno 10010", err)
	}
	t.Logf("user's token: %v", err)

	tok, err := fake.IssueClientToken(string(api.ScopeExchangeData))
	if err != nil {
		t.Fatal(err)
	}
	wrongHost, err := api.NewDataClient(api.StaticToken(tok.AccessToken), api.WithDataBaseURL(fake.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrongHost.Students.List(ctx, api.StudentsListParams{}); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("the open API's listener: %v, want not found", err)
	}
}

// TestDataDecoderKeepsUnknownKeys: members the spec does not list survive a
// decode and re-encode, and no key is added: a decoded record re-encodes to
// exactly the JSON the server sent (the spec's account example, verbatim
// from the documentation, included).
func TestDataDecoderKeepsUnknownKeys(t *testing.T) {
	t.Parallel()
	extra := gen.DataStudent{AccountNo: "s1", Xh: "001", AdditionalProperties: map[string]any{
		"glyx": "03000", "nj": "2023", "zydm": map[string]any{"code": "080901"}, "rank": 3.0}}
	fake := jaccounttest.New(t, jaccounttest.WithStudents(jaccounttest.DataRecord[gen.DataStudent]{Entity: extra, Updated: time.Now()}),
		jaccounttest.WithPapers("u1", gen.DataPaper{"title": "a paper", "year": 2024.0}))
	dc, _ := dataClient(t, fake, string(api.ScopeExchangeData))
	ctx := t.Context()

	var raw []json.RawMessage
	if err := dc.Do(ctx, "GET", api.PathStudentsList, nil, nil, &raw); err != nil || len(raw) != 1 {
		t.Fatalf("raw: %s, %v", raw, err)
	}
	l, err := dc.Students.List(ctx, api.StudentsListParams{})
	if err != nil {
		t.Fatal(err)
	}
	got := l.Items[0]
	if got.AdditionalProperties["nj"] != "2023" || got.AdditionalProperties["glyx"] != "03000" || got.Xh != "001" {
		t.Errorf("decoded %+v", got)
	}
	sameJSON(t, "student", raw[0], got)

	p, err := dc.Papers.List(ctx, api.PapersListParams{UserID: "u1"})
	if err != nil || len(p.Items) != 1 || p.Items[0]["title"] != "a paper" {
		t.Fatalf("papers of u1: %+v, %v", p, err)
	}
	if p, err := dc.Papers.List(ctx, api.PapersListParams{UserID: "u2"}); err != nil || len(p.Items) != 0 {
		t.Errorf("papers of u2: %+v, %v", p, err)
	}

	// The spec's examples (the account record is the documentation's).
	ex := jaccounttest.New(t, jaccounttest.WithSpecExamples())
	dc, _ = dataClient(t, ex, string(api.ScopeExchangeData))
	var rawAccounts []json.RawMessage
	if err := dc.Do(ctx, "GET", api.PathAccountsList, nil, nil, &rawAccounts); err != nil {
		t.Fatal(err)
	}
	a, err := dc.Accounts.List(ctx, api.AccountsListParams{})
	if err != nil || len(a.Items) != 1 || a.Items[0].RelationList[0].TopOrganizeName != "网络信息中心" || a.Items[0].Timestamp != "2022-08-19 00:00:00" {
		t.Fatalf("example account: %+v, %v", a, err)
	}
	sameJSON(t, "account example", rawAccounts[0], a.Items[0])
	s, err := dc.Students.List(ctx, api.StudentsListParams{})
	if err != nil || len(s.Items) != 1 || s.Items[0].Xm != "张三" {
		t.Errorf("example student: %+v, %v", s, err)
	}
}

// sameJSON checks that v encodes to the same JSON object as raw: no key
// added, every value the same, and no key lost but members whose value is
// zero ("", 0, false, null, [], {}), which the fields' omitempty leaves out
// until the models keep them (issue 9, item 5).
func sameJSON(t *testing.T, what string, raw json.RawMessage, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var zeroLost []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok && isZeroJSON(w):
			zeroLost = append(zeroLost, k)
		case !ok:
			t.Errorf("%s: key %q lost: re-encoded %s", what, k, b)
		case fmt.Sprint(g) != fmt.Sprint(w):
			t.Errorf("%s: %q re-encoded as %v, served %v", what, k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: key %q added: re-encoded %s", what, k, b)
		}
	}
	slices.Sort(zeroLost)
	t.Logf("%s: %d keys served, %d re-encoded; zero-valued members left out: %v", what, len(want), len(got), zeroLost)
}

func isZeroJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case float64:
		return x == 0
	case bool:
		return !x
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// TestDataClientSharesTheStack: one option list configures both clients
// (each takes its own base URL), and the data client renews a
// client-credentials token the server rejects, as Client does: errno
// 10002, with HTTP 403 or 200, forces one refresh, then the call succeeds.
func TestDataClientSharesTheStack(t *testing.T) {
	t.Parallel()
	for _, style := range rejectionStyles {
		t.Run(style.name, func(t *testing.T) {
			t.Parallel()
			testDataClientSharesTheStack(t, startFake(t, style.opt))
		})
	}
}

func testDataClientSharesTheStack(t *testing.T, fake *jaccounttest.Server) {
	ts, err := fakeAuth(fake).ClientCredentialsSource(api.ScopeStrings(api.ScopeExchangeData))
	if err != nil {
		t.Fatal(err)
	}
	opts := []api.Option{api.WithBaseURL(fake.APIURL()), api.WithDataBaseURL(fake.DataURL()), fakeRetries}
	c, err := api.NewClient(ts, opts...)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := api.NewDataClient(ts, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != fake.APIURL() || dc.BaseURL() != fake.DataURL() {
		t.Errorf("base URLs %s and %s, want %s and %s", c.BaseURL(), dc.BaseURL(), fake.APIURL(), fake.DataURL())
	}
	if d, _ := api.NewDataClient(ts); d.BaseURL() != api.DefaultDataBaseURL || api.DefaultDataBaseURL != "https://graphql.sjtu.edu.cn" {
		t.Errorf("default data base URL %s", d.BaseURL())
	}
	if _, err := api.NewDataClient(ts, api.WithDataBaseURL("ftp://x")); err == nil {
		t.Error("an ftp base URL was accepted")
	}
	if _, err := api.NewDataClient(nil); err == nil || !strings.Contains(err.Error(), "NewDataClient") {
		t.Errorf("nil token source: %v", err)
	}

	ctx := t.Context()
	if _, err := dc.Papers.List(ctx, api.PapersListParams{}); err != nil {
		t.Fatal(err)
	}
	cur, err := ts.AuthToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fake.RevokeToken(cur.AccessToken)
	fake.ResetRequests()
	if _, err := dc.Students.List(ctx, api.StudentsListParams{Offset: 1}); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if n, m := tokenCalls(fake), apiCalls(fake, api.PathStudentsList); n != 1 || m != 2 {
		t.Errorf("after revocation: %d token requests and %d API requests, want 1 and 2 (errno 10002, refresh, retry)", n, m)
	}
}

func TestDataTime(t *testing.T) {
	t.Parallel()
	cst := time.FixedZone("CST", 8*3600)
	for in, want := range map[string]time.Time{
		"2022-08-19 00:00:00":  time.Date(2022, 8, 19, 0, 0, 0, 0, cst),
		"2022-08-19":           time.Date(2022, 8, 19, 0, 0, 0, 0, cst),
		" 2026-11-27 05:30:05": time.Date(2026, 11, 26, 21, 30, 5, 0, time.UTC),
	} {
		if got, err := api.ParseDataTime(in); err != nil || !got.Equal(want) {
			t.Errorf("ParseDataTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "2022/08/19", "2022-08-19T00:00:00Z", "yesterday"} {
		if _, err := api.ParseDataTime(bad); err == nil {
			t.Errorf("ParseDataTime(%q) succeeded", bad)
		}
	}
	if got := api.FormatDataTime(time.Date(2026, 11, 26, 21, 30, 5, 0, time.UTC)); got != "2026-11-27 05:30:05" {
		t.Errorf("FormatDataTime = %q", got)
	}
}

// TestClientsComparable: the base URLs of other servers' clients live
// behind a pointer, so Client stays comparable (as it was before
// DataClient; apidiff counts losing it as a breaking change).
func TestClientsComparable(t *testing.T) {
	t.Parallel()
	for _, typ := range []reflect.Type{reflect.TypeFor[api.Client](), reflect.TypeFor[api.DataClient]()} {
		if !typ.Comparable() {
			t.Errorf("%s is not comparable", typ)
		}
	}
}

// FuzzParseDataTime: any input parses or fails without panicking, and a
// parsed time formats back to the input's instant, to the second (a
// fraction after the seconds parses, as time.Parse allows, and is not
// written).
func FuzzParseDataTime(f *testing.F) {
	for _, s := range []string{"2022-08-19 00:00:00", "2022-08-19", "", "2022-13-40 25:61:61", " 2026-11-27 05:30:05 ", "2022-08-19 00:00:00.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := api.ParseDataTime(s)
		if err != nil {
			return
		}
		again, err := api.ParseDataTime(api.FormatDataTime(got))
		if err != nil || !again.Equal(got.Truncate(time.Second)) {
			t.Errorf("%q parsed as %v, which formats as %q and parses as %v, %v", s, got, api.FormatDataTime(got), again, err)
		}
	})
}
