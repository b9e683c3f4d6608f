package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

var allCodes = []string{"(2026-2027-1)-CS2501-01", "bsid-CS2501", "(2026-2027-1)-MATH1207-02", "bsid-MATH1207",
	"(2025-2026-2)-CS2305-01", "bsid-CS2305", "(2025-2026-2)-MATH2701-01", "bsid-MATH2701"}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// runBatch runs the job against fake and returns stdout and stderr.
func runBatch(t *testing.T, fake *jaccounttest.Server, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(testContext(t), setup.WithFake(fake), args, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func newFake(t *testing.T) *jaccounttest.Server {
	fake := jaccounttest.New(t, jaccounttest.WithPKCE())
	return fake
}

func checkOutput(t *testing.T, stdout, stderr string, codes []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(codes) {
		t.Fatalf("%d output lines, want %d:\n%s", len(lines), len(codes), stdout)
	}
	for i, code := range codes {
		if !strings.HasPrefix(lines[i], code+"\t") || strings.Count(lines[i], "\t") != 4 {
			t.Errorf("line %d = %q, want the line of %s looked up", i, lines[i], code)
		}
	}
	if want := fmt.Sprintf("[%d/%d]", len(codes), len(codes)); !strings.Contains(stderr, want) {
		t.Errorf("stderr shows no progress up to %s:\n%s", want, stderr)
	}
}

func TestBatchSurvivesFaultsAndPersistsRotatedToken(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	path := filepath.Join(t.TempDir(), "token.json")
	store := auth.NewFileStore(path)
	seed, err := fake.IssueToken(jaccounttest.StudentUsername, "lessons")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Save(t.Context(), &auth.Token{AccessToken: seed.AccessToken, RefreshToken: seed.RefreshToken,
		TokenType: "bearer", Expiry: seed.Expiry}); err != nil {
		t.Fatal(err)
	}
	fake.RevokeToken(seed.AccessToken) // the API answers 403 errno 10002; the job must refresh
	fake.Inject(
		jaccounttest.ErrorStatus(503).Times(3),
		jaccounttest.RateLimit(time.Second).Times(1),
		jaccounttest.HTMLPage(502).Times(1),
		jaccounttest.TruncateBody().OnPath("/v1/lesson/bsid-CS2305").Times(1),
	)
	stdout, stderr, err := runBatch(t, fake, "-token", path, "-faults=false", "-concurrency", "3")
	if err != nil {
		t.Fatalf("batch failed: %v\n%s", err, stderr)
	}
	checkOutput(t, stdout, stderr, slices.Sorted(slices.Values(allCodes)))

	faults, refreshes := 0, 0
	for _, r := range fake.Requests() {
		if r.Fault {
			faults++
		}
		if r.Endpoint == jaccounttest.EndpointToken && r.Status == 200 {
			refreshes++
		}
	}
	if faults != 6 || refreshes != 1 {
		t.Errorf("the fake saw %d faults and %d refreshes, want 6 and 1", faults, refreshes)
	}
	saved, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if saved.RefreshToken == seed.RefreshToken || saved.AccessToken == seed.AccessToken {
		t.Fatal("the token file still holds the old token")
	}
	if !strings.Contains(stderr, "refresh token rotated") {
		t.Errorf("stderr does not report the rotation:\n%s", stderr)
	}
	if strings.Contains(stdout+stderr, saved.RefreshToken) || strings.Contains(stdout+stderr, saved.AccessToken) {
		t.Error("the output shows a token")
	}
	// The saved refresh token is the live one: the fake accepts it once.
	cfg := setup.WithFake(fake).Config
	ts, err := cfg.TokenSource(saved)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.ForceRefresh(t.Context(), nil); err != nil {
		t.Errorf("the saved refresh token does not work: %v", err)
	}
}

func TestBatchDefaultRun(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	stdout, stderr, err := runBatch(t, fake)
	if err != nil {
		t.Fatalf("default run failed: %v\n%s", err, stderr)
	}
	checkOutput(t, stdout, stderr, slices.Sorted(slices.Values(allCodes)))
	for _, want := range []string{"seeded", "faults:", "refresh token rotated", "8 looked up, 0 failed"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestBatchClientCredentials(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	path := filepath.Join(t.TempDir(), "cc.json")
	// The classes take a user's token: in client mode the job looks up users.
	codes := []string{jaccounttest.StudentUsername, jaccounttest.FacultyUsername}
	stdout, stderr, err := runBatch(t, fake, append([]string{"-client-credentials", "-token", path, "-faults=false"}, codes...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	checkOutput(t, stdout, stderr, codes)
	if tok, err := auth.NewFileStore(path).Load(t.Context()); err != nil || tok.AccessToken == "" {
		t.Errorf("client-credentials token not saved: %v", err)
	}
	for _, r := range fake.Requests() {
		if r.Endpoint == jaccounttest.EndpointAPI && r.Credential != jaccounttest.CredentialBearer {
			t.Errorf("API request with credential %s", r.Credential)
		}
	}
}

func TestBatchReportsFailures(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	stdout, stderr, err := runBatch(t, fake, "-faults=false", "bsid-CS2501", "NO-SUCH-CLASS")
	if err == nil || !strings.Contains(err.Error(), "1 of 2") {
		t.Fatalf("err = %v, want 1 of 2 failed", err)
	}
	if !strings.Contains(stdout, "bsid-CS2501\t") || !strings.Contains(stderr, "NO-SUCH-CLASS FAILED") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	for _, bad := range [][]string{{"-concurrency", "0"}, {"-no-such-flag"}} {
		if _, _, err := runBatch(t, fake, bad...); err == nil {
			t.Errorf("args %v accepted", bad)
		}
	}
}
