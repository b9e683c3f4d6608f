package jaccounttest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
)

// WithListener makes the server (the OAuth endpoints and the open API)
// serve on ln instead of a loopback port of its own choosing, e.g. a
// listener on a fixed port for a program that runs the fake for other
// processes (`jaccount fake`). URL is then http:// and ln's address. The
// server closes ln when it closes. Nil means the default, a loopback port.
func WithListener(ln net.Listener) Option {
	return optionFunc(func(cfg *config) error { cfg.listener = ln; return nil })
}

// WithDataListener makes the data resources (DataURL) serve on ln, like
// WithListener.
func WithDataListener(ln net.Listener) Option {
	return optionFunc(func(cfg *config) error { cfg.dataListener = ln; return nil })
}

// startListener serves h on ln, or on a loopback port of httptest's choosing
// when ln is nil.
func startListener(h http.Handler, ln net.Listener) *httptest.Server {
	if ln == nil {
		return httptest.NewServer(h)
	}
	ts := httptest.NewUnstartedServer(h)
	_ = ts.Listener.Close() // the loopback listener httptest opened
	ts.Listener = ln
	ts.Start()
	return ts
}

// Shutdown stops the server gracefully: it stops accepting connections and
// waits for the requests under way to finish, as Close does, but when ctx
// ends first it closes the connections still open (which also ends the
// requests waiting on a Latency fault) and returns ctx's error once they
// have finished.
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.ts.CloseClientConnections()
	for _, o := range s.others {
		o.CloseClientConnections()
	}
	<-done
	return ctx.Err()
}
