package jaccounttest_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestOptions: every option's zero value is its default, and an invalid
// value makes Start fail with an error matching ErrInvalidOption that names
// the option, and New fail the test at once with the same error; nil
// options are skipped.
func TestOptions(t *testing.T) {
	t.Parallel()
	invalid := []struct {
		name string
		opt  jaccounttest.Option
		says string
	}{
		{"a client without an ID", jaccounttest.WithClient(jaccounttest.Client{Secret: "s"}), "WithClient: the Client has no ID"},
		{"users without a username", jaccounttest.WithUsers(jaccounttest.User{Password: "p"}), "WithUsers: user 1 has no Username"},
		{"a user without a username", jaccounttest.WithUser(jaccounttest.User{}), "WithUser: user 1 has no Username"},
		{"auto-approval of an unknown user", jaccounttest.WithAutoApprove("nobody"), `WithAutoApprove("nobody"): no such user`},
		{"negative access-token lifetime", jaccounttest.WithAccessTokenTTL(-time.Second), "WithAccessTokenTTL(-1s): negative"},
		{"negative code lifetime", jaccounttest.WithCodeTTL(-time.Minute), "WithCodeTTL(-1m0s): negative"},
		{"negative page size", jaccounttest.WithPageSize(-1), "WithPageSize(-1): negative"},
		{"a semester of another form", jaccounttest.WithCurrentSemester("2026 autumn"), `WithCurrentSemester("2026 autumn")`},
		{"a relative issuer", jaccounttest.WithIssuer("/oauth2/"), `WithIssuer("/oauth2/"): not an absolute URL`},
		{"a rejection status below 200", jaccounttest.WithTokenRejectionStatus(199), "WithTokenRejectionStatus(199)"},
		{"a rejection status above 599", jaccounttest.WithTokenRejectionStatus(600), "WithTokenRejectionStatus(600)"},
		{"papers without an author", jaccounttest.WithPapers(""), "WithPapers: empty userID"},
	}
	for _, tt := range invalid {
		srv, err := jaccounttest.Start(nil, tt.opt)
		if srv != nil || !errors.Is(err, jaccounttest.ErrInvalidOption) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: Start = %v, %v; want ErrInvalidOption saying %q", tt.name, srv, err, tt.says)
		}
		rec := &failures{TB: t}
		done := make(chan *jaccounttest.Server)
		go func() {
			defer close(done)
			done <- jaccounttest.New(rec, tt.opt) // Fatal ends this goroutine
		}()
		if s := <-done; s != nil || !rec.fatal || len(rec.errors) != 1 || !strings.Contains(rec.errors[0], tt.says) {
			t.Errorf("%s: New did not fail the test with %q: %q", tt.name, tt.says, rec.errors)
		}
	}
	// The first invalid option is the one reported.
	if _, err := jaccounttest.Start(jaccounttest.WithPageSize(-1), jaccounttest.WithCodeTTL(-1)); err == nil || !strings.Contains(err.Error(), "WithPageSize") {
		t.Errorf("two invalid options: %v, want the first", err)
	}
	// An auto-approved user added by WithUser is one of the server's.
	if srv, err := jaccounttest.Start(jaccounttest.WithUser(jaccounttest.User{Username: "extra"}), jaccounttest.WithAutoApprove("extra")); err != nil {
		t.Errorf("WithAutoApprove of a user WithUser adds: %v", err)
	} else {
		srv.Close()
	}

	// The zero values are the defaults.
	srv := jaccounttest.New(t, nil, jaccounttest.WithAccessTokenTTL(0), jaccounttest.WithCodeTTL(0), jaccounttest.WithPageSize(0),
		jaccounttest.WithCurrentSemester(""), jaccounttest.WithIssuer(""), jaccounttest.WithTokenRejectionStatus(0),
		jaccounttest.WithClock(nil), jaccounttest.WithLogger(nil), jaccounttest.WithListener(nil), jaccounttest.WithDataListener(nil),
		jaccounttest.WithAutoApprove(""), jaccounttest.WithUsers(), jaccounttest.WithStudents(), jaccounttest.WithFaculty(),
		jaccounttest.WithAccounts())
	if srv.Issuer() != srv.URL+"/oauth2/" {
		t.Errorf("issuer %q", srv.Issuer())
	}
	tok := issue(t, srv, jaccounttest.StudentUsername, "card_transactions") // the fixture users are kept
	if left := time.Until(tok.Expiry); left < 2*time.Hour-time.Minute || left > 2*time.Hour {
		t.Errorf("access token lives %v, want two hours", left)
	}
	var env struct{ Entities []json.RawMessage }
	if r := apiGet(t, srv, "/v1/me/card/transactions", tok.AccessToken); r.status != 200 || json.Unmarshal([]byte(r.body), &env) != nil || len(env.Entities) != 20 {
		t.Errorf("a page of transactions holds %d, want 20 (%d)", len(env.Entities), r.status)
	}
	if r := apiGet(t, srv, "/v1/me/profile", "not-a-token"); r.status != 403 {
		t.Errorf("a refused token gets %d, want 403", r.status)
	}
	if total, _ := page(t, dataGet(t, srv, "/v1/stu/profile", "exchange_data")); total != jaccounttest.DefaultStudentCount {
		t.Errorf("%d students, want the %d of DefaultStudents", total, jaccounttest.DefaultStudentCount)
	}
}
