package jaccounttest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzTokenEndpoint feeds arbitrary form bodies and Authorization headers to
// the token endpoint: it must answer 200 with tokens or 400/401 in RFC 6749
// shape, and never echo the client secret.
func FuzzTokenEndpoint(f *testing.F) {
	f.Add("grant_type=client_credentials&client_id=jaccounttest&client_secret="+DefaultClientSecret+"&scope=basic", "")
	f.Add("grant_type=authorization_code&code=x&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback", "Basic amFjY291bnR0ZXN0Og==")
	f.Add("grant_type=refresh_token&refresh_token=%zz", "")
	f.Add("scope=a,b,,c&grant_type=client_credentials", "Basic !!!")
	f.Add(strings.Repeat("a=b&", 100), "Bearer x")
	srv := New(f)
	h := srv.ts.Config.Handler
	f.Fuzz(func(t *testing.T, body, authz string) {
		req := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authz != "" {
			req.Header["Authorization"] = []string{authz}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("status %d, body is not JSON: %q", rec.Code, rec.Body)
		}
		switch rec.Code {
		case 200:
			if out["access_token"] == nil {
				t.Fatalf("200 without access_token: %s", rec.Body)
			}
		case 400, 401:
			if e, _ := out["error"].(string); e == "" {
				t.Fatalf("%d without error: %s", rec.Code, rec.Body)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), DefaultClientSecret) {
			t.Fatal("the response echoes the client secret")
		}
	})
}

// FuzzBearerToken checks the API's token extraction from untrusted headers
// and queries.
func FuzzBearerToken(f *testing.F) {
	f.Add("Bearer abc", "")
	f.Add("bearer  abc ", "")
	f.Add("Basic abc", "access_token=x")
	f.Add("", "access_token=x&client_id=y")
	f.Add("Bearer a b", "")
	f.Fuzz(func(t *testing.T, authz, query string) {
		req := httptest.NewRequest(http.MethodGet, "/v1/me/profile", nil)
		req.URL.RawQuery = query
		if authz != "" {
			req.Header["Authorization"] = []string{authz}
		}
		tok, cred := bearerToken(req)
		if (tok == "") != (cred == CredentialNone) {
			t.Fatalf("token %q with credential %s", tok, cred)
		}
		if cred == CredentialBearer && (strings.ContainsAny(tok, " \t") || !strings.Contains(authz, tok)) {
			t.Fatalf("bearer token %q from %q", tok, authz)
		}
	})
}

// registeredOrWithPort reports whether uri is a registered redirect URI, or
// one with ":<digits>" inserted after its loopback host.
func registeredOrWithPort(uri string) bool {
	for _, reg := range DefaultRedirectURIs {
		scheme, rest, _ := strings.Cut(reg, "://")
		host, path, _ := strings.Cut(rest, "/")
		if uri == reg {
			return true
		}
		p, ok := strings.CutPrefix(uri, scheme+"://"+host+":")
		if !ok {
			continue
		}
		port, tail, ok := strings.Cut(p, "/")
		if ok && port != "" && strings.Trim(port, "0123456789") == "" && tail == path {
			return true
		}
	}
	return false
}

// FuzzParsers covers the other parsers of untrusted input: scopes, redirect
// URIs and page tokens.
func FuzzParsers(f *testing.F) {
	f.Add("openid basic", "http://127.0.0.1:8080/callback", "b2Zmc2V0OjIw")
	f.Add("a,b  c", "http://localhost/callback#frag", "!!")
	f.Add("", "javascript:alert(1)", "b2Zmc2V0Oi0x")
	f.Fuzz(func(t *testing.T, scope, redirect, page string) {
		for _, s := range parseScopes(scope) {
			if s == "" || strings.ContainsAny(s, " ,") {
				t.Fatalf("scope %q from %q", s, scope)
			}
		}
		if redirectMatches(DefaultRedirectURIs, redirect) && !registeredOrWithPort(redirect) {
			t.Fatalf("redirect %q accepted", redirect)
		}
		if n, ok := decodePageToken(page); ok {
			if n < 0 {
				t.Fatalf("negative offset from %q", page)
			}
			if page != "" {
				if m, ok := decodePageToken(encodePageToken(n)); !ok || m != n {
					t.Fatalf("page token round trip %d -> %d", n, m)
				}
				if encodePageToken(n) != page {
					t.Fatalf("page token %q accepted for offset %d, whose token is %q", page, n, encodePageToken(n))
				}
			}
		}
	})
}

// FuzzAdminAPI feeds arbitrary paths, methods and bodies to the admin API:
// it answers JSON, a 4xx with {"error", "message"} for what it refuses, and
// whatever it accepts leaves the server serving.
func FuzzAdminAPI(f *testing.F) {
	f.Add("POST", "/faults", `{"kind":"status","status":503,"endpoint":"api","times":1}`)
	f.Add("POST", "/faults", `{"kind":"latency","latency_ms":1,"probability":0.5,"for_ms":10}`)
	f.Add("POST", "/faults", `{"kind":"errno","errno":-1,"message":"","path":"/v1/"}`)
	f.Add("POST", "/faults", `{"kind":"status","status":1e400}`)
	f.Add("POST", "/tokens", `{"username":"zhangsan","scopes":["openid"],"client_id":"jaccounttest"}`)
	f.Add("POST", "/tokens/expire", `{"token":null}`)
	f.Add("POST", "/reset", `{"faults":true}`)
	f.Add("GET", "/requests", ``)
	f.Add("PATCH", "/", `[]`)
	f.Add("PATCH", "/settings", `{"token_rejection_status":200}`)
	srv := New(f, WithAdmin())
	h := srv.ts.Config.Handler
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?# \t\r\n") {
			return
		}
		if _, err := url.ParseRequestURI(AdminPath + path); err != nil {
			return // not a request line a client could send
		}
		req := httptest.NewRequest(method, AdminPath+path, strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: status %d, body is not a JSON object: %q", method, path, rec.Code, rec.Body)
		}
		switch {
		case rec.Code >= 400 && rec.Code < 500:
			if _, ok := out["error"].(string); !ok {
				t.Fatalf("%s %s: %d without error: %s", method, path, rec.Code, rec.Body)
			}
		case rec.Code != 200 && rec.Code != 201:
			t.Fatalf("%s %s: status %d: %s", method, path, rec.Code, rec.Body)
		}
		srv.ClearFaults() // a latency or drop fault would slow or break the next inputs
	})
}

// validMethod reports whether m is an HTTP method token httptest accepts.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, r := range m {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
