package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestQuickstart runs the whole flow against the fake and checks the
// output: every step in order, the fixture user's data, and no secret.
func TestQuickstart(t *testing.T) {
	t.Parallel()
	fake := jaccounttest.New(t, jaccounttest.WithPKCE())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, setup.WithFake(fake), &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	steps := []string{"Authorize URL", "Log in", "Authorization code", "Tokens and ID-token claims", "Profile",
		"Positions", "Rights", "Lessons of the current semester", "Examinations", "Forced refresh", "Logout URL"}
	at := 0
	for i, s := range steps {
		title := fmt.Sprintf("\n%d. %s", i+1, s)
		j := strings.Index(got[at:], title)
		if j < 0 {
			t.Fatalf("step %q missing or out of order in:\n%s", title[1:], got)
		}
		at += j
	}
	for _, want := range []string{
		"sub zhangsan  name 张三  code 523030910001  type student",
		"iss " + fake.Issuer(),
		"学生 [BuiltInStudent] at 电子信息与电气工程学院",
		"图书借阅",
		"CS2501 操作系统, 4 credits, 陈老师",
		"操作系统期末考试",
		"the refresh token rotated",
		fake.LogoutURL() + "?client_id=" + fake.ClientID() + "&post_logout_redirect_uri=",
		"\nDone.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(got, fake.ClientSecret()) {
		t.Error("output shows the client secret")
	}
	// Every token-like string outside the authorize URL must be the state
	// (printed on purpose); codes and tokens appear only redacted.
	authURL := regexp.MustCompile(`http://\S+/oauth2/authorize\?\S+`).FindString(got)
	u, err := url.Parse(authURL)
	if err != nil || u.Query().Get("state") == "" {
		t.Fatalf("no authorize URL with a state in the output")
	}
	rest := strings.Replace(got, authURL, "", 1)
	for _, m := range regexp.MustCompile(`[A-Za-z0-9_-]{20,}`).FindAllString(rest, -1) {
		if m != u.Query().Get("state") && randomLooking(m) {
			t.Errorf("output shows an unredacted secret-like string %q", m)
		}
	}
	// The fake saw exactly one code exchange, one forced refresh, and all
	// six API calls with a bearer token.
	var tokens, api int
	for _, r := range fake.Requests() {
		switch r.Endpoint {
		case jaccounttest.EndpointToken:
			tokens++
		case jaccounttest.EndpointAPI:
			api++
			if r.Status != 200 || r.Credential != jaccounttest.CredentialBearer {
				t.Errorf("API request %s: status %d, credential %s", r.Path, r.Status, r.Credential)
			}
		}
	}
	if tokens != 2 || api != 5 {
		t.Errorf("the fake saw %d token and %d API requests, want 2 and 5", tokens, api)
	}
}

// randomLooking reports whether s mixes lower case, upper case and digits,
// as the fake's tokens and codes do and identifiers do not.
func randomLooking(s string) bool {
	return strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
		strings.ContainsAny(s, "0123456789")
}

func TestRealModeNeedsLoopbackRedirect(t *testing.T) {
	t.Parallel()
	for _, redirect := range []string{"https://app.example/callback", "http://10.0.0.1:8080/callback", "::"} {
		env := map[string]string{setup.EnvClientID: "japortal000000", setup.EnvClientSecret: "s", setup.EnvRedirectURL: redirect}
		e, err := setup.FromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if err := run(t.Context(), e, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), setup.EnvRedirectURL) {
			t.Errorf("redirect %q: err = %v, want a complaint about %s", redirect, err, setup.EnvRedirectURL)
		}
	}
}

// TestRealModeCallback runs the real-jAccount flow up to the callback,
// without contacting jAccount: the test plays the browser and comes back
// with a wrong state, which the quickstart must refuse before any exchange.
func TestRealModeCallback(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	redirect := "http://" + ln.Addr().String() + "/callback"
	ln.Close()
	vars := map[string]string{setup.EnvClientID: "japortal000000", setup.EnvClientSecret: "s", setup.EnvRedirectURL: redirect}
	env, err := setup.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, env, pw); pw.Close() }()
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "waiting up to") {
			go func() {
				resp, err := http.Get(redirect + "?code=c0de&state=forged")
				if err == nil {
					resp.Body.Close()
				}
			}()
		}
	}
	if err := <-errc; !errors.Is(err, auth.ErrStateMismatch) {
		t.Fatalf("run = %v, want a state mismatch\n%s", err, out.String())
	}
	want := auth.DefaultEndpoint.AuthURL + "?client_id=japortal000000"
	if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), url.QueryEscape(redirect)) {
		t.Errorf("output lacks the real authorize URL %s...:\n%s", want, out.String())
	}
}
