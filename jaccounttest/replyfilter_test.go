package jaccounttest_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestReplyFilter: the filter sees every answer of both API servers, with
// the operation's id and the status (refusals included), and what it
// returns is what the client gets, with a matching length.
func TestReplyFilter(t *testing.T) {
	t.Parallel()
	type seen struct {
		op     string
		status int
	}
	var mu sync.Mutex
	var calls []seen
	srv := newServer(t, jaccounttest.WithReplyFilter(func(op string, status int, body []byte) []byte {
		mu.Lock()
		calls = append(calls, seen{op, status})
		mu.Unlock()
		if op == "listEnterpriseDepartments" {
			return []byte(`{"errno":0,"error":"success","total":1,"entities":[{"organizeId":"X"}]}`)
		}
		return body
	}))
	tok := issue(t, srv, jaccounttest.StudentUsername, "essential")
	r := apiGet(t, srv, "/v1/enterprise/organizes", tok.AccessToken)
	if r.status != http.StatusOK || !strings.Contains(r.body, `"organizeId":"X"`) || r.header.Get("Content-Length") != "71" {
		t.Errorf("filtered reply: %d %s (length %s)", r.status, r.body, r.header.Get("Content-Length"))
	}
	if r := apiGet(t, srv, "/v1/me/profile", "not-a-token"); r.status != http.StatusForbidden || errno(r) != 10002 {
		t.Errorf("a refused token: %d %s", r.status, r.body)
	}
	if r := apiGet(t, srv, "/v1/nowhere", tok.AccessToken); r.status != http.StatusNotFound {
		t.Errorf("an unknown path: %d %s", r.status, r.body)
	}
	cc := postToken(t, srv, creds(srv, "grant_type", "client_credentials", "scope", "exchange_data"), false)
	if r := apiGetAt(t, srv, srv.DataURL(), "/v1/stu/profile", cc.str("access_token")); r.status != http.StatusOK {
		t.Errorf("the data resources: %d %s", r.status, r.body)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []seen{{"listEnterpriseDepartments", 200}, {"getMyProfile", 403}, {"", 404}, {"listStudents", 200}}
	if len(calls) != len(want) {
		t.Fatalf("filter calls %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("call %d: %v, want %v", i, calls[i], want[i])
		}
	}
}
