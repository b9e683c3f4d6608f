package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore/redistest"
	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// A child process runs the job (run, as main does) against the fake of the
// test process, given by URL, with the arguments in JSON.
const (
	envChildFake = "BATCH_TEST_FAKE_URL"
	envChildArgs = "BATCH_TEST_ARGS"
)

func TestMain(m *testing.M) {
	if u := os.Getenv(envChildFake); u != "" {
		var args []string
		if err := json.Unmarshal([]byte(os.Getenv(envChildArgs)), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		err := run(ctx, setup.WithFakeAt(u), args, strings.NewReader(""), os.Stdout, os.Stderr)
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "batch:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBatchProcessesShareRedis runs the job as 4 processes with
// -store redis://…, sharing one token that starts out expired: exactly one
// of them refreshes it, the others adopt what it stored.
func TestBatchProcessesShareRedis(t *testing.T) {
	t.Parallel()
	const procs = 4
	srv := redistest.Start(t)
	fake := newFake(t)
	ctx := testContext(t)
	store, err := redisstore.New(srv.Client(), redisstore.WithKeyPrefix("jaccount-batch:"))
	if err != nil {
		t.Fatal(err)
	}
	seed, err := fake.IssueToken(jaccounttest.StudentUsername, scope)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, &auth.Token{AccessToken: seed.AccessToken, RefreshToken: seed.RefreshToken,
		TokenType: "bearer", Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal(append([]string{"-store", srv.URL(), "-concurrency", "3"}, allCodes...))
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envChildFake+"="+fake.URL, envChildArgs+"="+string(args))
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("process %d: %v\n%s", i, err, stderr.String())
				return
			}
			checkOutput(t, stdout.String(), stderr.String(), allCodes)
			if !strings.Contains(stderr.String(), "token: loaded from redis "+srv.Addr+" key jaccount-batch:token") {
				t.Errorf("process %d does not say where its token is:\n%s", i, stderr.String())
			}
		})
	}
	wg.Wait()
	refreshes, refused := 0, 0
	for _, r := range fake.Requests() {
		if r.Endpoint == jaccounttest.EndpointToken {
			if r.Status == http.StatusOK {
				refreshes++
			} else {
				refused++
			}
		}
	}
	t.Logf("%d processes × %d lookups sharing one token in Redis: %d refresh, %d refused token requests", procs, len(allCodes), refreshes, refused)
	if refreshes != 1 || refused != 0 {
		t.Errorf("%d refreshes, %d refused; want 1 and 0", refreshes, refused)
	}
	saved, err := store.Load(ctx)
	if err != nil || saved.RefreshToken == seed.RefreshToken {
		t.Fatalf("the store does not hold the rotated token: %v", err)
	}
}

// TestBatchRedisEmbeddedFake: with the embedded fake, a run keeps its token
// under keys of its own and removes them at the end.
func TestBatchRedisEmbeddedFake(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	fake := newFake(t)
	stdout, stderr, err := runBatch(t, fake, "-store", srv.URL())
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	checkOutput(t, stdout, stderr, slices.Sorted(slices.Values(allCodes)))
	for _, want := range []string{"seeded redis " + srv.Addr + " key jaccount-batch:fake-", "refresh token rotated", "8 looked up, 0 failed"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if keys := srv.Client().Keys(testContext(t), "*").Val(); len(keys) != 0 {
		t.Errorf("keys left in Redis: %q", keys)
	}
	for _, bad := range [][]string{{"-store", "http://example.invalid"}, {"-store", srv.URL(), "-token", "x.json"}} {
		if _, _, err := runBatch(t, fake, bad...); err == nil {
			t.Errorf("args %v accepted", bad)
		}
	}
}
