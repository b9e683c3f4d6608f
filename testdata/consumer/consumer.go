// Package consumer stands for a user's module. It uses the SDK the way an
// application does (auth, api and web) and, in its test, the way the
// application's tests do (jaccounttest). It lives under testdata so that the
// SDK's own ./... patterns skip it, and outside go.work so that its go.mod
// and go.sum are exactly what `go mod tidy` gives a user.
package consumer

import (
	"context"
	"fmt"
	"net/http"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/web"
)

// Protect lets only signed-in users through to next.
func Protect(h *web.Handler, next http.Handler) http.Handler { return h.RequireUser(next) }

// Username returns the jAccount username of the user who holds tok.
func Username(ctx context.Context, cfg *auth.Config, tok *auth.Token, opts ...api.Option) (string, error) {
	ts, err := cfg.TokenSource(tok)
	if err != nil {
		return "", fmt.Errorf("consumer: %w", err)
	}
	c, err := api.NewClient(ts, opts...)
	if err != nil {
		return "", fmt.Errorf("consumer: %w", err)
	}
	p, err := c.Profile.Get(ctx)
	if err != nil {
		return "", fmt.Errorf("consumer: %w", err)
	}
	return p.Account, nil
}
