package redistest

import (
	"errors"
	"testing"
)

// TestStartRefusesAnotherServer: a server that cannot bind its port, where
// another redis-server answers, is not taken for started (the other
// server's data, and its end, would be the test's).
func TestStartRefusesAnotherServer(t *testing.T) {
	t.Parallel()
	a := Start(t)
	b := &Server{tb: t, bin: a.bin, Dir: t.TempDir(), Addr: a.Addr}
	t.Cleanup(b.Stop)
	if err := b.start(); !errors.Is(err, errPortTaken) {
		t.Fatalf("start on %s, where another server answers: err = %v, want errPortTaken", a.Addr, err)
	}
	if err := a.Client().Ping(t.Context()).Err(); err != nil {
		t.Fatalf("the first server after the refused start: %v", err)
	}
}
