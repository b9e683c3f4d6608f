package main

// Several webapp processes behind one reverse proxy, against one fake
// jAccount (in the test process) and, with Redis, one redis-server. The
// test binary re-executes itself as each instance (see TestMain), which
// runs the app's run function as main does, configured by environment
// variables as a deployment would be.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/auth/redisstore/redistest"
	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// envChildFake makes the test binary an instance of the app against the
// fake jAccount at its URL; the rest of its configuration is the app's own
// environment variables.
const envChildFake = "WEBAPP_TEST_FAKE_URL"

func TestMain(m *testing.M) {
	if u := os.Getenv(envChildFake); u != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		env := setup.WithFakeAt(u)
		env.Config.RedirectURL = os.Getenv(setup.EnvRedirectURL)
		err := run(ctx, env, os.Getenv, slog.New(slog.NewTextHandler(os.Stderr, nil)))
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "webapp:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// instanceTimeout bounds an instance's start and stop.
const instanceTimeout = time.Minute

// fleet is the app's instances behind a round-robin reverse proxy.
type fleet struct {
	t     *testing.T
	fake  *jaccounttest.Server
	redis *redistest.Server // nil: each instance keeps its state
	proxy *proxy
	url   string // the proxy's: what browsers use
	env   []string
	insts []*instance
}

// instance is one app process.
type instance struct {
	name   string
	addr   string // its own listener, 127.0.0.1:port, the same across restarts
	starts int
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *syncBuffer
}

// newFleet starts a fake jAccount, with useRedis a redis-server, the proxy,
// and n instances (named A, B, …) that share one session key and, with
// Redis, one store.
func newFleet(t *testing.T, n int, useRedis bool) *fleet {
	t.Helper()
	f := &fleet{t: t, fake: jaccounttest.New(t, jaccounttest.WithPKCE())}
	f.proxy = &proxy{}
	f.proxy.pinned.Store(-1)
	srv := httptest.NewServer(f.proxy)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	f.env = []string{
		envChildFake + "=" + f.fake.URL,
		setup.EnvRedirectURL + "=" + f.url + "/jaccount/auth",
		"WEBAPP_SESSION_KEY=" + rand.Text() + rand.Text(),
	}
	if useRedis {
		f.redis = redistest.Start(t)
		f.env = append(f.env, "WEBAPP_REDIS_URL="+f.redis.URL(), "WEBAPP_REDIS_PREFIX=webapp-test:")
	}
	for i := range n {
		in := &instance{name: string(rune('A' + i)), addr: freeAddr(t)}
		f.insts = append(f.insts, in)
		f.start(in)
		t.Cleanup(func() { f.stop(in) })
	}
	backends := make([]*url.URL, n)
	for i, in := range f.insts {
		backends[i] = &url.URL{Scheme: "http", Host: in.addr}
	}
	f.proxy.setBackends(backends)
	return f
}

// freeAddr returns a free loopback address. Another process could take it
// before the instance binds it; the instance then fails to start, clearly.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var announced = regexp.MustCompile(`webapp: open http://(127\.0\.0\.1:\d+)/`)

// start starts the instance's process and waits until it serves.
func (f *fleet) start(in *instance) {
	f.t.Helper()
	in.starts++
	in.logs = &syncBuffer{}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(f.env, "WEBAPP_ADDR="+in.addr)...)
	cmd.Stdout, cmd.Stderr = in.logs, in.logs
	if err := cmd.Start(); err != nil {
		f.t.Fatalf("instance %s: %v", in.name, err)
	}
	in.cmd, in.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(in.exited) }()
	deadline := time.After(instanceTimeout)
	for {
		if m := announced.FindStringSubmatch(in.logs.String()); m != nil {
			if m[1] != in.addr {
				f.t.Fatalf("instance %s serves on %s, want %s", in.name, m[1], in.addr)
			}
			f.t.Logf("instance %s (start %d, pid %d) serves on %s", in.name, in.starts, cmd.Process.Pid, in.addr)
			return
		}
		select {
		case <-in.exited:
			f.t.Fatalf("instance %s exited at start (%v):\n%s", in.name, cmd.ProcessState, in.logs.String())
		case <-deadline:
			f.t.Fatalf("instance %s did not start within %v:\n%s", in.name, instanceTimeout, in.logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop stops the instance (SIGINT: a graceful shutdown; SIGKILL if it has
// not exited within instanceTimeout) and waits for it.
func (f *fleet) stop(in *instance) {
	if in.cmd == nil {
		return
	}
	_ = in.cmd.Process.Signal(os.Interrupt)
	select {
	case <-in.exited:
	case <-time.After(instanceTimeout):
		_ = in.cmd.Process.Kill()
		<-in.exited
		f.t.Errorf("instance %s did not stop on SIGINT within %v", in.name, instanceTimeout)
	}
	in.cmd = nil
}

// restart stops the instance and starts it again on the same address.
func (f *fleet) restart(in *instance) {
	f.t.Helper()
	f.stop(in)
	f.start(in)
}

// logs returns every instance's log, for a failure's diagnosis.
func (f *fleet) logs() string {
	var b strings.Builder
	for _, in := range f.insts {
		fmt.Fprintf(&b, "--- instance %s (start %d):\n%s", in.name, in.starts, in.logs.String())
	}
	return b.String()
}

// proxy is a round-robin reverse proxy (net/http/httputil) that can be
// pinned to one backend, so that a test says which instance serves a
// step. It tells which instance answered in the X-Webapp-Instance header
// and, on HTML pages, in a banner at the top (for the screenshots).
type proxy struct {
	rp       *httputil.ReverseProxy
	backends []*url.URL
	next     atomic.Uint64
	pinned   atomic.Int64 // the backend of every request, or -1: round robin
	mu       sync.Mutex
	served   map[int]int // requests per backend
}

const instanceHeader = "X-Webapp-Instance"

func (p *proxy) setBackends(backends []*url.URL) {
	p.backends, p.served = backends, map[int]int{}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			i := p.pick()
			r.SetURL(p.backends[i])
			r.Out.Host = r.In.Host // the app sees the address the browser used
			r.Out.Header.Set(instanceHeader, strconv.Itoa(i))
		},
		ModifyResponse: func(resp *http.Response) error {
			i, _ := strconv.Atoi(resp.Request.Header.Get(instanceHeader))
			name := string(rune('A' + i))
			resp.Header.Set(instanceHeader, name)
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				return nil
			}
			body, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if err != nil {
				return err
			}
			banner := `<div id="served-by" style="background:#333;color:#fff;font:13px monospace;padding:3px 24px">proxy: served by instance ` +
				name + ` (` + resp.Request.URL.Host + `)</div>`
			body = bytes.Replace(body, []byte("<body>"), []byte("<body>"+banner), 1)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
			return nil
		},
	}
}

// pick chooses the backend of a request and counts it.
func (p *proxy) pick() int {
	i := int(p.pinned.Load())
	if i < 0 {
		i = int((p.next.Add(1) - 1) % uint64(len(p.backends)))
	}
	p.mu.Lock()
	p.served[i]++
	p.mu.Unlock()
	return i
}

// pin sends every request to instance i (0 is A); -1 goes back to round
// robin.
func (p *proxy) pin(i int) { p.pinned.Store(int64(i)) }

// counts returns the requests served per instance.
func (p *proxy) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := map[string]int{}
	for i, n := range p.served {
		m[string(rune('A'+i))] = n
	}
	return m
}

// ServeHTTP proxies r, but answers the browser's favicon requests itself,
// so that in round robin consecutive pages go to alternate instances.
func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/favicon.ico" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	p.rp.ServeHTTP(w, r)
}
