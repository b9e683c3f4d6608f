package api

import (
	"strings"
	"testing"
)

func TestRetrySafetyOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		client, method, path string
		want                 retrySafety
	}{
		{"", "GET", "/v1/me/profile", idempotent},
		{"", "GET", "/v1/profile/jdoe", idempotent},
		{"", "PUT", "/v1/notification", notIdempotent},
		{"", "PUT", "/v1/mail", notIdempotent},
		{"", "PUT", "/v1/file", notIdempotent},
		{"", "PUT", "/v1/me/card", notIdempotent},
		{"", "PUT", "/v1/finance/appointments/t1/b%2F1", notIdempotent},
		{"", "PUT", "/v1/enterprise/position/d1:p1/users", notIdempotent},
		{"", "DELETE", "/v1/enterprise/position/d1:p1/users", idempotent},
		{"", "GET", "/v1/enterprise/position/d1:p1:b1/users", idempotent},
		{"", "POST", "/v1/file/f1", notIdempotent},
		{"", "POST", "/v1/file/f1/meta", notIdempotent},
		{"", "GET", "/v1/file/edit", idempotent},
		{"", "GET", "/v1/barcode/qr/name.png", idempotent},
		{"", "GET", "/v1/barcode/code128/a.b.c.png", idempotent},
		// Not in the spec: the method decides, and PUT is not idempotent.
		{"", "PUT", "/v1/not/in/the/spec", notIdempotent},
		{"", "PATCH", "/v1/me/profile", notIdempotent},
		{"", "DELETE", "/v1/not/in/the/spec", idempotent},
		{"", "OPTIONS", "/v1/notification", idempotent},
		{"", "GET", "/v1/notification", idempotent},
		// Near misses of templates.
		{"", "PUT", "/v1/notification/", notIdempotent},
		{"", "GET", "/v1/profile/", idempotent},
		{"", "GET", "/v1/profile/a/b", idempotent},
		// The data server's operations are DataClient's.
		{"DataClient", "GET", "/v1/stu/profile", idempotent},
		{"DataClient", "PUT", "/v1/stu/profile", notIdempotent},
	} {
		if got := retrySafetyOf(tt.client, tt.method, tt.path); got != tt.want {
			t.Errorf("retrySafetyOf(%q, %s, %s) = %v, want %v", tt.client, tt.method, tt.path, got, tt.want)
		}
	}
}

// TestMatchTemplate: a {name} takes one or more characters other than "/",
// and the literal text is counted (the most literal template wins).
func TestMatchTemplate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		tmpl, path string
		lit        int
		ok         bool
	}{
		{"/v1/profile/{id}", "/v1/profile/jdoe", len("/v1/profile/"), true},
		{"/v1/profile/{id}", "/v1/profile/", 0, false},
		{"/v1/profile/{id}", "/v1/profile/a/b", 0, false},
		{"/v1/enterprise/position/{dept}:{post}/users", "/v1/enterprise/position/a:b/users", len("/v1/enterprise/position/:/users"), true},
		{"/v1/enterprise/position/{dept}:{post}/users", "/v1/enterprise/position/a:b:c/users", len("/v1/enterprise/position/:/users"), true},
		{"/v1/enterprise/position/{dept}:{post}/users", "/v1/enterprise/position/ab/users", 0, false},
		{"/v1/enterprise/position/{dept}:{post}/users", "/v1/enterprise/position/:b/users", 0, false},
		{"/v1/barcode/{type}/{value}.{imageType}", "/v1/barcode/qr/v.png", len("/v1/barcode//."), true},
		{"/v1/file/edit", "/v1/file/edit", len("/v1/file/edit"), true},
		{"/v1/file/{id}", "/v1/file/edit", len("/v1/file/"), true},
		{"/v1/{a", "/v1/x", 0, false},
		{"/a/{x}b{y}c", "/a/1b2b3c", len("/a/bc"), true},
		{"/a/{x}b{y}c", "/a/1b2b3", 0, false},
		{"/a/{x}b", "/a/bbb", len("/a/b"), true},
		{"/a/{x}", "/a/", 0, false},
		{"/a/{x}{y}", "/a/z", 0, false},
	} {
		lit, ok := matchTemplate(tt.tmpl, tt.path)
		if ok != tt.ok || ok && lit != tt.lit {
			t.Errorf("matchTemplate(%s, %s) = %d, %v; want %d, %v", tt.tmpl, tt.path, lit, ok, tt.lit, tt.ok)
		}
	}
}

// FuzzMatchTemplate: matching never panics, and a path built by filling a
// template's parameters with text without "/" matches it.
func FuzzMatchTemplate(f *testing.F) {
	f.Add("/v1/enterprise/position/{dept}:{post}/users", "d", "p")
	f.Add("/v1/barcode/{type}/{value}.{imageType}", "a.b", "png")
	f.Add("/{a}{b}", "x", "y")
	f.Fuzz(func(t *testing.T, tmpl, a, b string) {
		matchTemplate(tmpl, a+b)
		if a == "" || b == "" || strings.ContainsAny(a+b, "/{}") || strings.Count(tmpl, "{") > 4 {
			return
		}
		// Fill the parameters, alternately with a and b.
		var path strings.Builder
		n := 0
		rest := tmpl
		for {
			i := strings.IndexByte(rest, '{')
			if i < 0 {
				path.WriteString(rest)
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 || strings.ContainsAny(rest[i+1:i+j], "{/") {
				return // not a template: a {name} holds neither "{" nor "/"
			}
			path.WriteString(rest[:i])
			if n%2 == 0 {
				path.WriteString(a)
			} else {
				path.WriteString(b)
			}
			n++
			rest = rest[i+j+1:]
		}
		if _, ok := matchTemplate(tmpl, path.String()); !ok {
			t.Fatalf("%q does not match %q", path.String(), tmpl)
		}
	})
}
