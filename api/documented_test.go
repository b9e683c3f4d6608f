package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// TestValidateUnicode validates a code against the fake, which serves the
// spec's example (the 校验结果 structure of unicode.html), and reads it
// through the typed result.
func TestValidateUnicode(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	tok, err := fake.IssueClientToken("unicode")
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.NewClient(api.StaticToken(tok.AccessToken), api.WithBaseURL(fake.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Unicode.Validate(t.Context(), "SJTU:0123+/=&?x")
	if err != nil {
		t.Fatal(err)
	}
	if res.Type != api.UnicodeCodeTypeSJTU || !res.Type.Known() || res.Account == "" || res.Expired || len(res.Identities) != 1 {
		t.Fatalf("result %+v", res)
	}
	id := res.Identities[0]
	if !id.Default || id.Status != api.IdentityStatusNormal || id.UserType != api.UserTypeStudent || id.Organize.Id == "" {
		t.Errorf("identity %+v", id)
	}
	if at, ok := res.CreateTimeAt(); !ok || at.Year() != 2026 {
		t.Errorf("CreateTimeAt() = %v, %v", at, ok)
	}
	if at, ok := id.ExpireDateAt(); !ok || at.Format(time.DateOnly) != id.ExpireDate {
		t.Errorf("ExpireDateAt() = %v, %v for %q", at, ok, id.ExpireDate)
	}
	if _, err := c.Unicode.Validate(t.Context(), ""); err == nil {
		t.Error("an empty qrCode was sent")
	}
}

// capture is a server that records each request's query and body and
// answers with an empty success.
type capture struct {
	mu      sync.Mutex
	queries []string
	bodies  []string
}

func (cp *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	cp.mu.Lock()
	cp.queries = append(cp.queries, r.URL.Query().Get("qrCode"))
	cp.bodies = append(cp.bodies, string(b))
	cp.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"errno":0,"error":"success","total":0,"entities":[{}]}`)
}

// TestDocumentedBodies checks what the typed bodies put on the wire: the
// members of the pages' structures, under the pages' names.
func TestDocumentedBodies(t *testing.T) {
	t.Parallel()
	cp := &capture{}
	srv := httptest.NewServer(cp)
	t.Cleanup(srv.Close)
	c, err := api.NewClient(api.StaticToken("t"), api.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const code = "SJTU:0123+/=&?x 思源"
	if _, err := c.Unicode.Validate(ctx, code); err != nil {
		t.Fatal(err)
	}
	if _, err := c.File.SetMeta(ctx, "f1", api.FileMetaRequest{Meta: api.FileMeta{Secure: true, Token: "dl", TokenDisposable: true,
		TokenExpire: 1796112000}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Calendar.CreateEvent(ctx, api.CalendarEvent{Id: "m1", Name: "研讨会", TimeFrom: 1796104800, TimeTo: 1796112000,
		ApplicantCode: "zhangsan", ApplicantName: "张三", Src: "s", AttendeeList: "lisi,wangwu",
		Recurrence: api.CalendarRecurrence{PatternType: api.CalendarPatternWeekly, RangeType: api.CalendarRangeEndDate, DaysOfWeek: "Monday"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Notification.Send(ctx, api.NotificationRequest{Name: "标题", Content: "正文", Html: "<p>正文</p>", Abstract: "摘要",
		Emails: []string{"a@sjtu.edu.cn"}, Channels: []string{"email"}}); err != nil {
		t.Fatal(err)
	}
	if cp.queries[0] != code {
		t.Errorf("qrCode arrived as %q, want %q", cp.queries[0], code)
	}
	want := []string{
		"",
		`{"meta":{"secure":true,"token":"dl","tokenDisposable":true,"tokenExpire":1796112000}}`,
		`{"applicantCode":"zhangsan","applicantName":"张三","attendeeList":"lisi,wangwu","id":"m1","name":"研讨会",` +
			`"recurrence":{"daysOfWeek":"Monday","patternType":"Weekly","rangeType":"EndDate"},"src":"s","timeFrom":1796104800,"timeTo":1796112000}`,
		`{"abstract":"摘要","channels":["email"],"content":"正文","emails":["a@sjtu.edu.cn"],"html":"<p>正文</p>","name":"标题"}`,
	}
	for i, w := range want {
		if w == "" {
			continue
		}
		if got := canonical(t, cp.bodies[i]); got != w {
			t.Errorf("body %d:\n got %s\nwant %s", i, got, w)
		}
	}
	// The File structure and the event decode into their fields.
	var f api.FileInfo
	if err := json.Unmarshal([]byte(`{"mime":"application/pdf","size":12345,"id":"f1","etag":"kept"}`), &f); err != nil ||
		f.Mime != "application/pdf" || f.Size != 12345 || f.Id != "f1" || f.AdditionalProperties["etag"] != "kept" {
		t.Errorf("FileInfo %+v, %v", f, err)
	}
}

// canonical re-encodes a JSON object with sorted members.
func canonical(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}
