package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// framed reports what is wrong with h for a page that must not be framed:
// X-Frame-Options DENY and a Content-Security-Policy with frame-ancestors
// 'none'.
func framed(h http.Header) string {
	if got := h.Values("X-Frame-Options"); !slices.Equal(got, []string{"DENY"}) {
		return fmt.Sprintf("X-Frame-Options %q", got)
	}
	for _, p := range h.Values("Content-Security-Policy") {
		if strings.Contains(p, "frame-ancestors 'none'") {
			return ""
		}
	}
	return fmt.Sprintf("Content-Security-Policy %q", h.Values("Content-Security-Policy"))
}

// TestPagesForbidFraming: every response the Handler writes itself (its
// routes, their error pages, RequireUser's redirect and refusal) forbids
// framing; the application's own pages are left as the application sends
// them.
func TestPagesForbidFraming(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := newBrowser()
	pages := map[string]page{}
	pages["RequireUser's redirect"] = b.get(t, a.url+"/private")
	pages["RequireUser's 401 page"] = b.do(t, http.MethodPost, a.url+"/private", url.Values{})
	pages["login"] = b.get(t, a.url+"/jaccount/login")
	pages["login, HEAD"] = b.do(t, http.MethodHead, a.url+"/jaccount/login", nil)
	pages["login, POST"] = b.do(t, http.MethodPost, a.url+"/jaccount/login", url.Values{})
	pages["unknown route"] = b.get(t, a.url+"/jaccount/nothing")
	pages["forged state page"] = b.get(t, a.url+"/jaccount/auth?state=AAAAAAAAAAAAAAAAAAAAAAAAAA&code=x")
	cb, err := a.fake.Decline(t.Context(), nil, a.toJAccount(t, b, a.url+"/private"), jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		t.Fatal(err)
	}
	pages["access denied page"] = b.get(t, cb.String())
	expired := a.atJAccount(t, b, a.toJAccount(t, b, a.url+"/private"))
	a.advance(DefaultLoginTimeout + time.Second)
	pages["expired page"] = b.get(t, expired)
	a.advance(-DefaultLoginTimeout - time.Second)
	pages["callback"] = a.login(t, b, a.url+"/private")
	twice := append(a.sessionCookies(b), a.sessionCookies(b)...)
	pages["login when signed in"] = b.get(t, a.url+"/jaccount/login")
	pages["logout, GET"] = b.get(t, a.url+"/jaccount/logout")
	pages["CSRF page"] = b.do(t, http.MethodPost, a.url+"/jaccount/logout", url.Values{})
	pages["logout"] = b.do(t, http.MethodPost, a.url+"/jaccount/logout", url.Values{CSRFField: {a.csrf(t, b)}})
	pages["cookie conflict page"] = serve(a.h, request(t, a.url+"/jaccount/login", twice))
	if p := pages["cookie conflict page"]; p.status != http.StatusBadRequest || len(twice) != 2 {
		t.Errorf("cookie conflict page: %d with %d cookies", p.status, len(twice))
	}
	for name, p := range pages {
		if p.status == 0 || p.status == http.StatusOK {
			t.Errorf("%s: status %d: the test did not reach the page it meant to", name, p.status)
		}
		if what := framed(p.header); what != "" {
			t.Errorf("%s (%d): %s", name, p.status, what)
		}
	}
	// The application's pages are its own.
	if p := b.get(t, a.url+"/"); p.header.Get("X-Frame-Options") != "" || p.header.Get("Content-Security-Policy") != "" {
		t.Errorf("the application's page got %v", p.header)
	}
}

// TestFramingKeepsTheAppsPolicy: a policy the application sets, in a
// middleware around the Handler or in its ErrorHandler, is kept, and
// frame-ancestors 'none' comes as a policy of its own next to it (a
// browser enforces both) unless the application's has it already; an
// X-Frame-Options of the application's gives way to DENY.
func TestFramingKeepsTheAppsPolicy(t *testing.T) {
	t.Parallel()
	const appPolicy = "default-src 'self'; style-src 'unsafe-inline'"
	a := newApp(t, WithErrorHandler(func(w http.ResponseWriter, r *http.Request, status int, err error) {
		w.Header().Set("Content-Security-Policy", appPolicy)
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.WriteHeader(status)
		fmt.Fprint(w, "custom page")
	}))
	withPolicy := func(policy string, h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", policy)
			w.Header().Set("X-Frame-Options", "SAMEORIGIN")
			h.ServeHTTP(w, r)
		})
	}
	check := func(name string, p page, want ...string) {
		t.Helper()
		if got := p.header.Values("Content-Security-Policy"); !slices.Equal(got, want) || p.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: %d, policies %q and X-Frame-Options %q; want %q and DENY", name, p.status, got, p.header.Get("X-Frame-Options"), want)
		}
	}
	forged := a.url + "/jaccount/auth?state=AAAAAAAAAAAAAAAAAAAAAAAAAA&code=x"
	p := serve(a.h, request(t, forged, nil))
	if p.body != "custom page" {
		t.Fatalf("the ErrorHandler did not write the page: %d %s", p.status, p.body)
	}
	check("the ErrorHandler's page", p, appPolicy, frameAncestors)
	check("a middleware's policy", serve(withPolicy(appPolicy, a.h), request(t, a.url+"/jaccount/login", nil)), appPolicy, frameAncestors)
	check("both", serve(withPolicy(appPolicy, a.h), request(t, forged, nil)), appPolicy, frameAncestors)
	strict := "default-src 'self'; Frame-Ancestors  'none'"
	check("a policy with frame-ancestors 'none'", serve(withPolicy(strict, a.h), request(t, a.url+"/jaccount/login", nil)), strict)
	check("RequireUser's redirect", serve(withPolicy(appPolicy, a.h.RequireUser(whoami())), request(t, a.url+"/private", nil)), appPolicy, frameAncestors)
}
