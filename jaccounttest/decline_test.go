package jaccounttest_test

import (
	"testing"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestDecline declines the consent through the fake's form: the client's
// redirect URI gets error=access_denied with the state, and no code.
func TestDecline(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	loc, err := srv.Decline(testContext(t), nil, authorizeURL(srv, "basic", "d"), jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI || q.Get("error") != "access_denied" || q.Get("state") != "d" || q.Has("code") {
		t.Fatalf("Decline redirected to %s, want %s?error=access_denied&state=d", loc, redirectURI)
	}
}
