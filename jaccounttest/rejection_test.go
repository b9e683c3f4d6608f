package jaccounttest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestTokenRejectionStatus: WithTokenRejectionStatus sets the status of the
// answer to a token the fake refuses (unknown, revoked, expired), on both
// listeners; a request without a token gets 403 whatever it says, as the
// live API answered one (F17); zero means 403. (TestOptions checks that a
// status outside 200–599 is refused.)
func TestTokenRejectionStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opt, want int
	}{{0, 403}, {200, 200}, {401, 401}, {403, 403}, {599, 599}} {
		t.Run(fmt.Sprint(tc.opt), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, jaccounttest.WithTokenRejectionStatus(tc.opt))
			revoked := issue(t, srv, jaccounttest.StudentUsername, "basic")
			expired := issue(t, srv, jaccounttest.StudentUsername, "basic")
			srv.RevokeToken(revoked.AccessToken)
			srv.ExpireAccessToken(expired.AccessToken)
			msg := "Authentication Failed."
			if tc.want == http.StatusOK {
				msg = "Authentication Failed" // as the live API wrote it at 200 (E11)
			}
			for _, c := range []struct {
				name, base, token string
				status, errno     int
				body              string
			}{
				{"unknown", srv.APIURL(), "no-such-token", tc.want, 10002, `{"errno":10002,"error":"` + msg + `","total":0}`},
				{"revoked", srv.APIURL(), revoked.AccessToken, tc.want, 10002, ""},
				{"expired", srv.APIURL(), expired.AccessToken, tc.want, 10007, `{"errno":10007,"error":"ACCESS_TOKEN_EXPIRED","total":0}`},
				{"missing", srv.APIURL(), "", 403, 10002, `{"errno":10002,"error":"Authentication Failed.","total":0}`},
				{"unknown, data", srv.DataURL(), "no-such-token", tc.want, 10002, ""},
			} {
				r := apiGetAt(t, srv, c.base, "/v1/me/profile", c.token)
				if r.status != c.status || errno(r) != c.errno || c.body != "" && strings.TrimSpace(r.body) != c.body {
					t.Errorf("%s token: %d %s, want %d errno %d %s", c.name, r.status, r.body, c.status, c.errno, c.body)
				}
			}
		})
	}
}
