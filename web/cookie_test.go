package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/auth"
)

// fuzzKeys seal fuzzSealed, a genuine session cookie value (sealed under
// the name "jaccount_session" with the first key; it never expires), so
// the fuzzer starts from a value that opens.
var fuzzKeys = [][]byte{[]byte("fuzz key number one, 32 bytes ok"), []byte("fuzz key number two, 32 bytes ok")}

const fuzzSealed = "AVMachCeDsoFlJ7H-ek9drWhbm40cqR4mVTGHGit0PlGLoU9XxgBf_7MXrAaViFXP0RrQEKmttLjfBrd-W31482w1kjsVkXxn22VQNlvlWpfSF_vmqSgyjo3exs0QWOxNE7NLBiRgp7l9bWuAeBXM6_EC3CxUAK62mPkOlIMAgaXplJeVL0PbJJGEhCgANjmTEs1SFCbk4p_ig"

func fuzzCodec(t testing.TB) *codec {
	c, err := newCodec(fuzzKeys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFuzzSealedOpens keeps fuzzSealed honest.
func TestFuzzSealedOpens(t *testing.T) {
	t.Parallel()
	p, key, err := fuzzCodec(t).open("jaccount_session", fuzzSealed)
	if err != nil || key != 0 {
		t.Fatalf("fuzzSealed does not open: %v (key %d)", err, key)
	}
	var s Session
	if err := json.Unmarshal(p, &s); err != nil || s.Claims.Subject != "zhangsan" {
		t.Fatalf("fuzzSealed holds %s: %v", p, err)
	}
}

// FuzzCookieDecoder feeds the cookie decoder what a browser may send. Only
// values this process sealed (and fuzzSealed) may open, under their own
// name; every seal opens again; any changed character is refused; and
// whatever opens, the session decoder accepts only a whole, unexpired
// session.
func FuzzCookieDecoder(f *testing.F) {
	f.Add(fuzzSealed, "jaccount_session", []byte(`{"id":"x"}`), uint16(0))
	f.Add(fuzzSealed[:len(fuzzSealed)-1]+"A", "jaccount_session", []byte{}, uint16(7))
	f.Add("", "", []byte(nil), uint16(1))
	f.Add("AQ", "jaccount_login_A", []byte(`{"req":{"state":"S"},"t":1}`), uint16(300))
	f.Add(strings.Repeat("A", 60), "jaccount_session", []byte(`{"id":"a","claims":{"sub":"s"},"expires":"2999-01-01T00:00:00Z"}`), uint16(59))
	c := fuzzCodec(f)
	h := &Handler{codec: c, revoke: NewMemoryStore(), loginTTL: DefaultLoginTimeout}
	f.Fuzz(func(t *testing.T, value, name string, plaintext []byte, flip uint16) {
		if p, _, err := c.open(name, value); err == nil {
			if value != fuzzSealed || name != "jaccount_session" {
				t.Fatalf("opened %q under %q, which this process never sealed", value, name)
			}
			if s, _ := h.sessionFrom(t.Context(), p); s == nil {
				t.Fatal("fuzzSealed's session was refused")
			}
		}
		// What a cookie may decrypt to is checked before it is trusted.
		if s, _ := h.sessionFrom(t.Context(), plaintext); s != nil && (s.ID == "" || s.Claims.Subject == "" || !time.Now().Before(s.ExpiresAt)) {
			t.Fatalf("sessionFrom accepted %q as %v", plaintext, s)
		}
		_, _ = h.openLogin(name, value)

		sealed := c.seal(name, plaintext)
		got, key, err := c.open(name, sealed)
		if err != nil || key != 0 || !bytes.Equal(got, plaintext) {
			t.Fatalf("round trip of %q under %q: %q, key %d, %v", plaintext, name, got, key, err)
		}
		if _, _, err := c.open(name+"x", sealed); err == nil {
			t.Fatalf("a value sealed for %q opened under %q", name, name+"x")
		}
		b := []byte(sealed)
		i := int(flip) % len(b)
		for _, r := range []byte("AQgw_-") { // characters whose 6 bits differ in every position
			if r == b[i] {
				continue
			}
			changed := bytes.Clone(b)
			changed[i] = r
			if _, _, err := c.open(name, string(changed)); err == nil {
				t.Fatalf("%q with character %d changed to %q opened", sealed, i, r)
			}
		}
		// Only the canonical spelling opens: no character added anywhere,
		// not even the line breaks base64 decoders skip.
		for _, r := range []string{"\n", "\r", "=", " "} {
			if _, _, err := c.open(name, sealed[:i]+r+sealed[i:]); err == nil {
				t.Fatalf("%q with %q inserted at %d opened", sealed, r, i)
			}
		}
	})
}

// TestCodec covers key lengths, rotation and the format's edges.
func TestCodec(t *testing.T) {
	t.Parallel()
	if _, err := newCodec(nil); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("no key: %v", err)
	}
	if _, err := newCodec([][]byte{make([]byte, MinKeyLength-1)}); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("short key: %v", err)
	}
	c := fuzzCodec(t)
	old, _ := newCodec(fuzzKeys[1:])
	if _, key, err := c.open("n", old.seal("n", []byte("x"))); err != nil || key != 1 {
		t.Errorf("a value of the second key: key %d, %v", key, err)
	}
	for _, v := range []string{"", "AQ", "Ag" + fuzzSealed[2:], fuzzSealed + "=", strings.Repeat("A", maxCookieBytes*maxChunks+1),
		fuzzSealed[:100] + "\n" + fuzzSealed[100:], fuzzSealed[:100] + "\r\n" + fuzzSealed[100:], fuzzSealed + "\n", "\r" + fuzzSealed} {
		if _, _, err := c.open("jaccount_session", v); !errors.Is(err, errBadCookie) {
			t.Errorf("open(%.20q…): %v", v, err)
		}
	}
}

// TestLargeSessionIsChunked: a session larger than one cookie is split
// into several, read back whole, and all of them are deleted on logout;
// one too large for maxChunks cookies fails the login.
func TestLargeSessionIsChunked(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	s := &Session{ID: "id", Claims: auth.IDTokenClaims{Subject: "zhangsan", Name: strings.Repeat("张", 2000)},
		CSRFToken: "c", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	rec := httptest.NewRecorder()
	if err := a.h.writeSession(rec, request(t, a.url+"/", nil), s); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) < 2 {
		t.Fatalf("%d cookies for a %d-byte name, want chunks", len(cookies), len(s.Claims.Name))
	}
	for _, c := range cookies {
		if len(c.String()) > 4096 {
			t.Errorf("cookie %s is %d bytes", c.Name, len(c.String()))
		}
	}
	if p := serve(a.h.OptionalUser(whoami()), request(t, a.url+"/", cookies)); p.body != "hello zhangsan" {
		t.Fatalf("chunked session: %q", p.body)
	}
	// A missing chunk is a broken cookie.
	if p := serve(a.h.OptionalUser(whoami()), request(t, a.url+"/", cookies[:1])); p.body != "anonymous" {
		t.Errorf("first chunk alone: %q", p.body)
	}
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, a.url+"/jaccount/logout", strings.NewReader(CSRFField+"=c"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	out := serve(a.h, r)
	deleted := map[string]bool{}
	for _, c := range out.cookies {
		if c.MaxAge < 0 {
			deleted[c.Name] = true
		}
	}
	for _, c := range cookies {
		if !deleted[c.Name] {
			t.Errorf("logout left chunk %s", c.Name)
		}
	}
	s.Claims.Name = strings.Repeat("张", 8000)
	if err := a.h.writeSession(httptest.NewRecorder(), request(t, a.url+"/", nil), s); !errors.Is(err, errTooLarge) {
		t.Errorf("a %d-byte session: %v", len(s.Claims.Name), err)
	}
}

// TestDuplicateCookies: a request carrying the session cookie twice is
// anonymous, whichever comes first and even when both are genuine, and
// the debug log says why without a cookie's value; the login then shows
// the cookie-conflict page instead of a login that could not stick. Two
// cookies of one login attempt are refused at the callback.
func TestDuplicateCookies(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	seal := func(sub string) []*http.Cookie {
		t.Helper()
		s := &Session{ID: "id-" + sub, Claims: auth.IDTokenClaims{Subject: sub}, CSRFToken: "c",
			CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
		rec := httptest.NewRecorder()
		if err := a.h.writeSession(rec, request(t, a.url+"/", nil), s); err != nil {
			t.Fatal(err)
		}
		return rec.Result().Cookies()
	}
	mine, planted := seal("zhangsan"), seal("attacker")
	if p := serve(a.h.OptionalUser(whoami()), request(t, a.url+"/", mine)); p.body != "hello zhangsan" {
		t.Fatalf("one session cookie: %q", p.body)
	}
	for name, cookies := range map[string][]*http.Cookie{
		"planted first":   append(slices.Clone(planted), mine...),
		"planted second":  append(slices.Clone(mine), planted...),
		"the same twice":  append(slices.Clone(mine), mine...),
		"one of them bad": append(slices.Clone(mine), &http.Cookie{Name: "jaccount_session", Value: "AQ"}),
	} {
		if p := serve(a.h.OptionalUser(whoami()), request(t, a.url+"/", cookies)); p.body != "anonymous" {
			t.Errorf("%s: %q, want anonymous", name, p.body)
		}
		if p := serve(a.h.RequireUser(whoami()), request(t, a.url+"/private", cookies)); p.status != http.StatusSeeOther {
			t.Errorf("%s: RequireUser answered %d, want the redirect to the login", name, p.status)
		}
		login := serve(a.h, request(t, a.url+"/jaccount/login", cookies))
		if login.status != http.StatusBadRequest || !strings.Contains(login.body, `data-kind="cookies"`) || len(login.cookies) != 0 {
			t.Errorf("%s: the login answered %d, cookies %v: %s", name, login.status, login.cookies, login.body)
		}
	}
	logs := a.logs.String()
	if !strings.Contains(logs, "level=DEBUG") || !strings.Contains(logs, "several cookies of one name") || !strings.Contains(logs, "cookie=jaccount_session") {
		t.Errorf("the debug log does not say why: %s", logs)
	}
	for _, c := range append(mine, planted...) {
		if strings.Contains(logs, c.Value) {
			t.Errorf("the log shows a cookie's value")
		}
	}

	// A pending login's cookie sent twice: the callback trusts neither.
	b := newBrowser()
	authorize := a.toJAccount(t, b, a.url+"/private")
	pending := a.pendingCookies(b)
	if len(pending) != 1 {
		t.Fatalf("%d pending logins", len(pending))
	}
	cb := a.atJAccount(t, b, authorize)
	twice := request(t, cb, []*http.Cookie{pending[0], pending[0]})
	if p := serve(a.h, twice); p.status != http.StatusBadRequest || !strings.Contains(p.body, `data-kind="state"`) {
		t.Errorf("a login attempt's cookie twice: %d %s", p.status, p.body)
	}
	state := mustURL(t, cb).Query().Get("state")
	if logs := a.logs.String(); !strings.Contains(logs, "jaccount_login_<state>") || strings.Contains(logs, state) {
		t.Errorf("the debug log does not name the login attempt's cookie, or shows its state: %s", logs)
	}
}
