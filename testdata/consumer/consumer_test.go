package consumer

import (
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

func TestUsername(t *testing.T) {
	fake := jaccounttest.New(t)
	issued, err := fake.IssueToken(jaccounttest.StudentUsername, "essential")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &auth.Config{ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(),
		Endpoint: auth.Endpoint{AuthURL: fake.AuthURL(), TokenURL: fake.TokenURL(), Issuer: fake.Issuer()}}
	tok := &auth.Token{AccessToken: issued.AccessToken, RefreshToken: issued.RefreshToken, Expiry: issued.Expiry}
	got, err := Username(t.Context(), cfg, tok, api.WithBaseURL(fake.APIURL()))
	if err != nil || got != jaccounttest.StudentUsername {
		t.Fatalf("Username = %q, %v; want %q", got, err, jaccounttest.StudentUsername)
	}
}
