package auth_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestRejectedTokenRenewsThroughStore (issue 17 item 4): the API rejects
// the access token a source over a store holds as valid, with errno 10002
// at HTTP 403 or, as the live API answered an invalid token once (evidence
// E11), at HTTP 200. Either way the call forces one refresh, saves the new
// token in the store and succeeds: three requests (the rejected call, one
// token request, the call again). Before issue 17 the 200 answer failed
// the call with ErrAPI and no refresh.
func TestRejectedTokenRenewsThroughStore(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusForbidden, http.StatusOK} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			fake := jaccounttest.New(t, jaccounttest.WithTokenRejectionStatus(status))
			cfg := fakeConfig(fake, auth.AuthStyleInParams)
			tok := webLogin(t, fake, cfg, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
			store := auth.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
			ts, err := cfg.TokenSource(tok, auth.WithStore(store))
			if err != nil {
				t.Fatal(err)
			}
			c, err := api.NewClient(ts, api.WithBaseURL(fake.APIURL()))
			if err != nil {
				t.Fatal(err)
			}
			fake.RevokeToken(tok.AccessToken)
			fake.ResetRequests()
			p, err := c.Profile.Get(t.Context())
			if err != nil || p.Account != jaccounttest.StudentUsername {
				t.Fatalf("Profile.Get after the rejection: %v", err)
			}
			var seen []string
			for _, r := range fake.Requests() {
				seen = append(seen, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
			}
			want := []string{fmt.Sprintf("GET /v1/me/profile %d", status), "POST /oauth2/token 200", "GET /v1/me/profile 200"}
			if !slices.Equal(seen, want) {
				t.Errorf("requests %q, want %q", seen, want)
			}
			saved, err := store.Load(t.Context())
			if err != nil || saved.AccessToken == tok.AccessToken {
				t.Errorf("the store holds the rejected token after the refresh (%v)", err)
			}
		})
	}
}
