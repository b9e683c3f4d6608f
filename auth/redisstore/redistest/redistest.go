// Package redistest starts throwaway redis-server processes for tests: each
// on a free loopback port, in its own temporary directory, stopped when the
// test ends.
//
// Tests that need Redis call Start. When no redis-server binary is found,
// Start fails the test if the CI environment variable is set (CI must
// install Debian's redis-server package) and skips it otherwise, with a
// message saying how to install it.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startTimeout bounds how long a server may take to accept connections
// (generous: the machine may be loaded).
const startTimeout = 30 * time.Second

// Server is a redis-server process owned by a test. Its methods are safe
// for concurrent use.
type Server struct {
	// Addr is the server's address, 127.0.0.1:<port>. It stays the same
	// across Restart.
	Addr string
	// Dir is the server's working directory (its append-only file).
	Dir string

	tb  testing.TB
	bin string

	mu     sync.Mutex
	cmd    *exec.Cmd     // nil when stopped
	exited chan struct{} // closed when cmd has exited
	log    fmt.Stringer  // what the server printed
}

// Binary returns the path of redis-server, or "" when it is not installed.
func Binary() string {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/local/bin/redis-server"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// Require returns the path of redis-server. Without one it fails tb when
// the CI environment variable is set and skips it otherwise.
func Require(tb testing.TB) string {
	tb.Helper()
	bin := Binary()
	if bin != "" {
		return bin
	}
	const msg = "redis-server is not installed; install Debian's redis-server package (apt-get install redis-server) to run the Redis tests"
	if os.Getenv("CI") != "" {
		tb.Fatal(msg + " (CI is set: .ci/run installs it)")
	}
	tb.Skip(msg)
	return ""
}

// Start starts a redis-server for tb and stops it when tb ends. The server
// persists to an append-only file fsynced on every write (so Restart keeps
// the data, as a production server configured for durability would), has
// no password, and listens on loopback only.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{tb: tb, bin: Require(tb), Dir: tb.TempDir()}
	tb.Cleanup(s.Stop)
	// Another process may take the free port before the server binds it
	// (another test's server, typically): then try another port.
	for try := 1; ; try++ {
		port, err := freePort()
		if err != nil {
			tb.Fatal(err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		err = s.start()
		if err == nil {
			return s
		}
		if !errors.Is(err, errPortTaken) || try == 5 {
			tb.Fatal(err)
		}
	}
}

// errPortTaken is start's error when another process answers on the
// server's address.
var errPortTaken = errors.New("redistest: another process took the port")

// URL returns the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Client returns a new client for the server, closed when the test ends.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	s.tb.Cleanup(func() { _ = c.Close() })
	return c
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before redis-server binds it; start then fails clearly.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("redistest: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("redistest: server already running")
	}
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command(s.bin,
		"--port", port, "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always",
		"--daemonize", "no", "--loglevel", "warning", "--logfile", "")
	log := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = &syncWriter{w: log}, &syncWriter{w: log}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: starting %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info := c.InfoMap(ctx, "server")
		err := info.Err()
		cancel()
		if err == nil {
			if pid := info.Item("Server", "process_id"); pid != strconv.Itoa(cmd.Process.Pid) {
				// Not this server: it could not bind the port another
				// process holds, and a test using that one would share
				// its data and lose it when the other stops.
				_ = cmd.Process.Kill()
				<-exited
				return fmt.Errorf("%w %s (the server answering there is process %s, not %d): %s", errPortTaken, s.Addr, pid, cmd.Process.Pid, log)
			}
			s.cmd, s.exited, s.log = cmd, exited, log
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redistest: redis-server exited at start (%v): %s", cmd.ProcessState, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redistest: redis-server did not answer on %s within %v: %v: %s", s.Addr, startTimeout, err, log)
		}
	}
}

// syncWriter serialises the writes of the server's stdout and stderr.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// Stop shuts the server down (SIGTERM, which flushes the append-only file;
// SIGKILL if it has not exited within startTimeout) and waits for it. It
// does nothing when the server is not running.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	resume(s.cmd.Process) // a paused server handles SIGTERM only once continued
	select {
	case <-s.exited:
	case <-time.After(startTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Restart stops the server and starts it again on the same address with
// the same data.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.tb.Fatal(err)
	}
}

// RestartEmpty stops the server, deletes its data and starts it again on
// the same address: a restart of a server without persistence, or a
// failover to a replica that had not caught up.
func (s *Server) RestartEmpty() {
	s.tb.Helper()
	s.Stop()
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		s.tb.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.Dir, e.Name())); err != nil {
			s.tb.Fatal(err)
		}
	}
	if err := s.start(); err != nil {
		s.tb.Fatal(err)
	}
}

// StartAgain starts a stopped server on the same address with the same
// data. It fails the test if the server cannot start.
func (s *Server) StartAgain() {
	s.tb.Helper()
	if err := s.start(); err != nil {
		s.tb.Fatal(err)
	}
}
