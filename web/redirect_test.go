package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// openRedirects are return paths that must never be followed: other hosts
// spelled every way browsers and servers accept, raw and encoded.
var openRedirects = []string{
	"//evil.com",
	"//evil.com/path",
	"///evil.com",
	"/\\evil.com",
	"\\\\evil.com",
	"\\/evil.com",
	"/\\/evil.com",
	"https://evil.com",
	"http://evil.com/private",
	"HTTPS://evil.com",
	"https:evil.com",
	"//user@evil.com",
	"javascript:alert(1)",
	"data:text/html,hi",
	"evil.com",
	"%2F%2Fevil.com",
	"/%2F%2Fevil.com",
	"/%2f%2fevil.com",
	"/%5Cevil.com",
	"/%5cevil.com",
	"/%252F%252Fevil.com",
	"/%25252F%25252Fevil.com",
	"%68ttps://evil.com",
	"/\tevil.com",
	"/\t/evil.com",
	"/\n/evil.com",
	"/%09/evil.com",
	"/%0d%0a/evil.com",
	" //evil.com",
	"/ /evil.com",
	"/%",
	"",
	"/" + strings.Repeat("a", maxNext),
}

// TestSafeReturnTo lists what is accepted as a return path and what is not.
func TestSafeReturnTo(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"/", "/private", "/private?tab=1&x=%2F", "/a/b/", "/search?q=//evil.com", "/a%20b", "/页面", "/p#frag"} {
		if got, accepted := safeReturnTo(ok); !accepted || got != ok {
			t.Errorf("safeReturnTo(%q) = %q, %t; want it accepted unchanged", ok, got, accepted)
		}
	}
	for _, bad := range openRedirects {
		if got, accepted := safeReturnTo(bad); accepted {
			t.Errorf("safeReturnTo(%q) accepted %q", bad, got)
		}
	}
}

// TestOpenRedirectRefused: whatever "next" the login is given, and whatever
// path RequireUser sees, the browser ends on this site.
func TestOpenRedirectRefused(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	for _, next := range openRedirects {
		b := newBrowser()
		login := b.get(t, a.url+"/jaccount/login?next="+url.QueryEscape(next))
		if login.status != http.StatusFound || !strings.HasPrefix(login.location, a.fake.AuthURL()) {
			t.Fatalf("login with next=%q: %d to %q", next, login.status, login.location)
		}
		back := b.get(t, a.atJAccount(t, b, login.location))
		if back.status != http.StatusSeeOther || back.location != "/" {
			t.Errorf("next=%q: after login %d to %q, want /", next, back.status, back.location)
		}
	}
	// A request line whose path is itself "//evil.com" reaches RequireUser:
	// it must not become the return path.
	for _, path := range []string{"//evil.com", "//evil.com/private", "/\\evil.com"} {
		r := request(t, a.url+"/", nil)
		r.URL = &url.URL{Path: path}
		r.RequestURI = path
		p := serve(a.h.RequireUser(whoami()), r)
		if p.status != http.StatusSeeOther || p.location != "/jaccount/login" {
			t.Errorf("RequireUser at %q: %d to %q, want /jaccount/login without next", path, p.status, p.location)
		}
	}
	if got := a.h.LoginURL("https://evil.com"); got != "/jaccount/login" {
		t.Errorf("LoginURL(https://evil.com) = %q", got)
	}
}

// FuzzReturnTo checks that an accepted return path, resolved the way a
// browser resolves a Location (backslashes read as slashes), stays on the
// site, also once percent-decoded.
func FuzzReturnTo(f *testing.F) {
	for _, s := range openRedirects {
		f.Add(s)
	}
	f.Add("/private?tab=1")
	base, _ := url.Parse("https://app.example.edu/here/")
	f.Fuzz(func(t *testing.T, next string) {
		got, ok := safeReturnTo(next)
		if !ok {
			return
		}
		if got != next {
			t.Fatalf("accepted %q as %q", next, got)
		}
		for _, s := range []string{next, strings.ReplaceAll(next, "\\", "/")} {
			u, err := url.Parse(s)
			if err != nil {
				t.Fatalf("accepted unparsable %q: %v", next, err)
			}
			if r := base.ResolveReference(u); r.Host != base.Host || r.Scheme != base.Scheme {
				t.Fatalf("accepted %q, which leads to %s", next, r)
			}
			if d, err := url.PathUnescape(u.Path); err == nil && (strings.HasPrefix(d, "//") || strings.Contains(d, "\\")) {
				t.Fatalf("accepted %q, whose decoded path is %q", next, d)
			}
		}
	})
}
