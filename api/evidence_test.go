package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestNoToken: a client built on api.NoToken sends no credential at all —
// no Authorization header, no access_token, no client_id even in query mode
// — so it can call the school calendar, which needs no token (evidence E3),
// and any other operation is refused as a missing token is (403 errno
// 10002, ErrUnauthorized), with nothing refreshed. A client with a token
// sends it to the calendar as well.
func TestNoToken(t *testing.T) {
	t.Parallel()
	fake := jaccounttest.New(t)
	ctx := t.Context()
	c, err := api.NewClient(api.NoToken(), api.WithBaseURL(fake.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	days, err := c.Enterprise.GetCalendar(ctx, api.EnterpriseGetCalendarParams{From: from, To: from.AddDate(0, 0, 6)})
	if err != nil || len(days.Items) != 1 {
		t.Fatalf("GetCalendar without a token: %+v, %v", days, err)
	}
	if d, ok := days.Items[0].DayAt(); !ok || d.Format(time.DateOnly) != days.Items[0].Day {
		t.Errorf("DayAt of %q: %v %v", days.Items[0].Day, d, ok)
	}
	_, err = c.Profile.Get(ctx)
	var e *api.Error
	if !errors.As(err, &e) || !errors.Is(err, api.ErrUnauthorized) || e.Errno != 10002 || e.Attempts != 1 {
		t.Errorf("Profile.Get without a token: %v, want ErrUnauthorized (403 errno 10002) after one attempt", err)
	}
	user, err := fake.IssueToken(jaccounttest.StudentUsername, "basic")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WithTokenSource(api.StaticToken(user.AccessToken)).Enterprise.GetCalendar(ctx, api.EnterpriseGetCalendarParams{}); err != nil {
		t.Errorf("GetCalendar with a token: %v", err)
	}
	var creds []jaccounttest.Credential
	for _, r := range fake.Requests() {
		if r.Path == api.PathEnterpriseGetCalendar {
			creds = append(creds, r.Credential)
			if r.Credential == jaccounttest.CredentialNone && r.Status != http.StatusOK {
				t.Errorf("the tokenless call got %d", r.Status)
			}
		}
	}
	if !reflect.DeepEqual(creds, []jaccounttest.Credential{jaccounttest.CredentialNone, jaccounttest.CredentialBearer}) {
		t.Errorf("credentials sent to the calendar: %v, want none, then the token", creds)
	}

	// Nothing of a credential, in either auth mode, nor in a request built
	// without sending it.
	var mu sync.Mutex
	var seen []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(r.Context()))
		mu.Unlock()
		_, _ = w.Write([]byte(`{"errno":0,"error":"Succeed.","total":0,"entities":[{"day":"2000-01-01","type":0}]}`))
	}))
	t.Cleanup(srv.Close)
	for _, opts := range [][]api.Option{nil, {api.WithQueryAuth("japortal-client")}} {
		c, err := api.NewClient(api.NoToken(), append(opts, api.WithBaseURL(srv.URL))...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Enterprise.GetCalendar(ctx, api.EnterpriseGetCalendarParams{From: from}); err != nil {
			t.Fatal(err)
		}
		req, err := c.NewRequest(ctx, api.PathEnterpriseGetCalendar, nil)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		sent := seen[len(seen)-1]
		mu.Unlock()
		for _, r := range []*http.Request{sent, req} {
			if h := r.Header.Get("Authorization"); h != "" || r.URL.Query().Has("access_token") || r.URL.Query().Has("client_id") {
				t.Errorf("a NoToken request carries a credential: %q %q", h, r.URL.RawQuery)
			}
		}
		if q := sent.URL.Query().Get("from"); q != "2026-09-01" {
			t.Errorf("from = %q, want the date in China Standard Time", q)
		}
	}

	// The source itself has no token, prints as its name, and does not
	// make a nil source acceptable.
	if tok, err := api.NoToken().Token(); tok != nil || err == nil {
		t.Errorf("NoToken().Token() = %v, %v; want an error", tok, err)
	}
	for _, s := range []string{fmt.Sprintf("%v|%+v|%#v|%s", api.NoToken(), api.NoToken(), api.NoToken(), api.NoToken())} {
		if s != "api.NoToken()|api.NoToken()|api.NoToken()|api.NoToken()" {
			t.Errorf("fmt: %q", s)
		}
	}
	if v := slog.AnyValue(api.NoToken()).Resolve().String(); v != "api.NoToken()" {
		t.Errorf("slog: %q", v)
	}
	if _, err := api.NewClient(nil); err == nil {
		t.Error("NewClient(nil) succeeds")
	}
}

// TestEvidenceShapes decodes the sanitised reply shapes of evidence round 3
// into their models: each member lands in its field (none left in
// AdditionalProperties), the instants convert in their units, and the
// reply re-encodes to the same members.
func TestEvidenceShapes(t *testing.T) {
	t.Parallel()
	roundTrip := func(t *testing.T, in string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(in), v); err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		_ = json.Unmarshal([]byte(in), &a)
		_ = json.Unmarshal(out, &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s re-encoded as %s", in, out)
		}
		if extra := reflect.ValueOf(v).Elem().FieldByName("AdditionalProperties"); extra.Len() != 0 {
			// A zero-valued member is kept there to be encoded back; only
			// those may be.
			for _, k := range extra.MapKeys() {
				if x := extra.MapIndex(k).Interface(); x != "" && x != json.Number("0") && x != false {
					t.Errorf("member %s = %v is not modelled", k, x)
				}
			}
		}
	}
	t.Run("E2 UserRight", func(t *testing.T) {
		var r api.UserRight
		roundTrip(t, `{"id":"R1","name":"Right name","code":"RIGHT_CODE","description":"","parent":{"id":"R0","name":"Parent","code":"PARENT_CODE","description":""}}`, &r)
		if r.Code != "RIGHT_CODE" || r.Parent == nil || r.Parent.Code != "PARENT_CODE" || r.Parent.Parent != nil {
			t.Errorf("%+v", r)
		}
	})
	t.Run("E3 SchoolCalendar", func(t *testing.T) {
		var d api.SchoolCalendar
		roundTrip(t, `{"day":"2000-01-01","type":0}`, &d)
		if at, ok := d.DayAt(); !ok || at.Year() != 2000 || at.YearDay() != 1 {
			t.Errorf("DayAt: %v %v", at, ok)
		}
	})
	t.Run("E4 Unicode", func(t *testing.T) {
		var u api.Unicode
		roundTrip(t, `{"status":1,"code":"C","ec":"E","icon":"I","message":"M","messageColor":"MC","messageBackground":"MB",`+
			`"backgroundColor":"BC","action":"A","actionColor":"AC","actionUrl":"https://example.invalid/a","slowIcon":"SI",`+
			`"slowMessage":"SM","slowMessageColor":"SMC","slowMessageBackground":"SMB","showIcon":true}`, &u)
		if u.Code != "C" || u.ActionUrl == "" || u.SlowMessageBackground != "SMB" || !u.ShowIcon || u.Status != 1 {
			t.Errorf("%+v", u)
		}
	})
	t.Run("E5 UnicodePay", func(t *testing.T) {
		var p api.UnicodePay
		roundTrip(t, `{"code":"PAYCODE","message":"","showIcon":false,"status":0,"offlineCodes":["CODE1","CODE2"],"offlineCodesExp":946684800}`, &p)
		if at, ok := p.OfflineCodesExpAt(); !ok || !at.Equal(time.Unix(946684800, 0)) || len(p.OfflineCodes) != 2 {
			t.Errorf("%+v: expiry %v %v, want UNIX seconds", p, at, ok)
		}
	})
	t.Run("E7 FileInfo", func(t *testing.T) {
		var f api.FileInfo
		roundTrip(t, `{"id":"00000000-0000-0000-0000-000000000000","name":"file.pdf","kind":"KIND","uri":"https://api.sjtu.edu.cn/v1/file/00000000-0000-0000-0000-000000000000",`+
			`"mime":"application/pdf","size":1,"sha1Hash":"0000000000000000000000000000000000000000","createTime":7,"lastModified":8}`, &f)
		if f.Name != "file.pdf" || f.CreateTime != 7 || f.LastModified != 8 {
			t.Errorf("%+v", f)
		}
		// Their unit is not shown, so they have no converting method.
		for _, m := range []string{"CreateTimeAt", "LastModifiedAt"} {
			if _, ok := reflect.TypeFor[api.FileInfo]().MethodByName(m); ok {
				t.Errorf("FileInfo.%s guesses a unit the evidence does not show", m)
			}
		}
	})
	t.Run("E8 CardTransaction", func(t *testing.T) {
		var tx api.CardTransaction
		roundTrip(t, `{"dateTime":1623835790000,"dateTimAccount":1623835850000,"amount":-18}`, &tx)
		if at, ok := tx.DateTimeAccountAt(); !ok || at.UnixMilli() != 1623835850000 {
			t.Errorf("%+v: posted %v %v, want epoch milliseconds", tx, at, ok)
		}
	})
	t.Run("E9 CardInfo", func(t *testing.T) {
		var c api.CardInfo
		roundTrip(t, `{"cardNo":"1","faceType":"T","faceSubType":"S"}`, &c)
		if c.FaceType != "T" || c.FaceSubType != "S" {
			t.Errorf("%+v", c)
		}
	})
}

// rightsChain is a rights reply whose one right has depth-1 parents.
func rightsChain(depth int) string {
	return `{"errno":0,"error":"success","total":1,"entities":[` +
		strings.Repeat(`{"code":"c","name":"]]}}[[{{","parent":`, depth-1) + `{"code":"top"}` + strings.Repeat("}", depth-1) + `]}`
}

// TestRecursiveReplyDepth: a right's parent is a right (evidence E2), so a
// reply can nest without bound, and decoding such models costs time in
// proportion to size times depth (before the check, a 200 KB reply nesting
// 9,000 parents took 39 s to decode). A reply of rights nesting deeper than
// the envelope, the entities and 29 parents is refused at once as an
// invalid response; one within the bound decodes every level. Brackets
// inside strings do not count.
func TestRecursiveReplyDepth(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		depth int
		ok    bool
	}{{1, true}, {30, true}, {31, false}, {9000, false}} {
		body := rightsChain(tt.depth)
		s := newServer(t, reply(http.StatusOK, "application/json", body))
		c := newClient(t, s)
		start := time.Now()
		l, err := c.Enterprise.GetUserRights(t.Context(), api.EnterpriseGetUserRightsParams{})
		took := time.Since(start)
		if !tt.ok {
			var e *api.Error
			if !errors.Is(err, api.ErrInvalidResponse) || !errors.As(err, &e) || !strings.Contains(e.Message, "nests deeper than 32 levels") {
				t.Errorf("depth %d: %v, want ErrInvalidResponse", tt.depth, err)
			}
			if took > 2*time.Second {
				t.Errorf("depth %d (%d bytes): refused after %v", tt.depth, len(body), took)
			}
			continue
		}
		if err != nil {
			t.Fatalf("depth %d: %v", tt.depth, err)
		}
		n := 0
		for r := &l.Items[0]; r != nil; r = r.Parent {
			n++
			if r.Parent == nil && r.Code != "top" {
				t.Errorf("depth %d: the last right is %q", tt.depth, r.Code)
			}
		}
		if n != tt.depth {
			t.Errorf("depth %d: decoded %d levels", tt.depth, n)
		}
	}
	// Other models are not checked: a profile reply may nest deeper in
	// members the spec does not know.
	deep := `{"errno":0,"error":"success","total":0,"entities":[{"account":"a","future":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}]}`
	s := newServer(t, reply(http.StatusOK, "application/json", deep))
	if p, err := newClient(t, s).Profile.Get(t.Context()); err != nil || p.Account != "a" {
		t.Errorf("a deep profile: %v", err)
	}
}
