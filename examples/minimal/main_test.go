package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestMinimal builds the program as a user builds it, runs it against the
// fake jAccount through the environment variables its doc comment names, and
// signs in with a browser's cookie jar: the page must greet the fixture
// student with the lessons read from the API, and nothing the program logs
// may hold a secret.
func TestMinimal(t *testing.T) {
	t.Parallel()
	fake := jaccounttest.New(t)
	bin := filepath.Join(t.TempDir(), "minimal")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	sessionKey := rand.Text() + rand.Text()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"ADDR="+addr,
		"JACCOUNT_URL="+fake.URL,
		"JACCOUNT_CLIENT_ID="+fake.ClientID(),
		"JACCOUNT_CLIENT_SECRET="+fake.ClientSecret(),
		"SESSION_KEY="+sessionKey)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		for _, secret := range []string{fake.ClientSecret(), sessionKey} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("the program logged a secret:\n%s", logs.String())
			}
		}
	})

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	base := "http://" + addr
	waitListening(ctx, t, addr, &logs)
	if !strings.Contains(logs.String(), "open "+base+"/") {
		t.Errorf("the program does not say where to open it:\n%s", logs.String())
	}

	// The browser: cookies kept, redirects followed until they leave the
	// app for jAccount's login page.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), fake.AuthURL()) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp := get(ctx, t, browser, base+"/")
	authorize, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(authorize.String(), fake.AuthURL()) {
		t.Fatalf("GET / as a visitor: %s, want a redirect to %s", resp.Status, fake.AuthURL())
	}
	if q := authorize.Query(); q.Get("redirect_uri") != base+"/jaccount/auth" || q.Get("scope") != "openid basic lessons" {
		t.Errorf("authorize URL %s: want redirect_uri %s/jaccount/auth and scope \"openid basic lessons\"", authorize.Redacted(), base)
	}
	callback, err := fake.Login(ctx, nil, authorize.String(), jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		t.Fatal(err)
	}
	resp = get(ctx, t, browser, callback.String()) // the callback, then back to /
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != base+"/" {
		t.Fatalf("after the login: %s at %s\n%s\n%s", resp.Status, resp.Request.URL, body, logs.String())
	}
	want := "Hello, 张三 (zhangsan). Your lessons this semester:\n" +
		"- (2026-2027-1)-CS2501-01 操作系统, 4 credits\n" +
		"- (2026-2027-1)-MATH1207-02 概率统计, 3 credits\n"
	if string(body) != want {
		t.Errorf("the page is\n%s\nwant\n%s", body, want)
	}
	var lessonCalls int
	for _, r := range fake.Requests() {
		if r.Path == "/v1/me/lessons" && r.Status == http.StatusOK {
			lessonCalls++
		}
	}
	if lessonCalls != 1 {
		t.Errorf("the fake answered %d lesson calls, want 1", lessonCalls)
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago: the program must know its address before it starts, for its
// redirect URL.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitListening waits until something accepts connections on addr.
func waitListening(ctx context.Context, t *testing.T, addr string, logs *syncBuffer) {
	t.Helper()
	for {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = c.Close()
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the program never listened on %s:\n%s", addr, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// get sends a GET of u and returns the response, closing its body when the
// test ends.
func get(ctx context.Context, t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", (&url.URL{Path: req.URL.Path}).String(), err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// syncBuffer is a bytes.Buffer the program's output may be written to while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
