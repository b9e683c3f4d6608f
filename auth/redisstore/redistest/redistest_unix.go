//go:build unix

package redistest

import (
	"os"
	"syscall"
)

// Pause stops the server (SIGSTOP) without closing its connections, as a
// frozen machine or a long stall would: clients' commands hang until
// Resume or their timeouts.
func (s *Server) Pause() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.tb.Fatal("redistest: Pause of a server that is not running")
	}
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.tb.Fatal(err)
	}
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		resume(s.cmd.Process)
	}
}

func resume(p *os.Process) { _ = p.Signal(syscall.SIGCONT) }
