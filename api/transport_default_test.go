package api

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewTransport(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ concurrency, wantIdlePerHost int }{
		{0, DefaultConcurrency}, {-3, DefaultConcurrency}, {1, 1}, {64, 64}, {500, 500},
	} {
		t.Run(fmt.Sprint(tt.concurrency), func(t *testing.T) {
			t.Parallel()
			tr := NewTransport(tt.concurrency)
			if tr == http.DefaultTransport || tr == NewTransport(tt.concurrency) {
				t.Fatal("NewTransport must return a new transport every time")
			}
			if tr.MaxIdleConnsPerHost != tt.wantIdlePerHost || tr.MaxIdleConns < tr.MaxIdleConnsPerHost {
				t.Errorf("MaxIdleConnsPerHost %d, MaxIdleConns %d; want %d, at least as many",
					tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tt.wantIdlePerHost)
			}
			if tr.MaxConnsPerHost != 0 {
				t.Errorf("MaxConnsPerHost %d: it would queue callers beyond it (and can hang HTTP/2, golang/go#34941)", tr.MaxConnsPerHost)
			}
			if !tr.ForceAttemptHTTP2 || tr.DialContext == nil || tr.Proxy == nil {
				t.Errorf("ForceAttemptHTTP2 %v, DialContext set %v, Proxy set %v; want all", tr.ForceAttemptHTTP2, tr.DialContext != nil, tr.Proxy != nil)
			}
			for name, d := range map[string]time.Duration{
				"TLSHandshakeTimeout": tr.TLSHandshakeTimeout, "IdleConnTimeout": tr.IdleConnTimeout,
				"HTTP2.SendPingTimeout": tr.HTTP2.SendPingTimeout, "HTTP2.PingTimeout": tr.HTTP2.PingTimeout,
			} {
				if d <= 0 || d > 2*time.Minute {
					t.Errorf("%s = %v, want a bound in (0, 2m]", name, d)
				}
			}
		})
	}
}

// TestDefaultTransportWiring checks which transport a Client sends through.
func TestDefaultTransportWiring(t *testing.T) {
	t.Parallel()
	mine := &http.Transport{}
	for _, tt := range []struct {
		name string
		opts []Option
		want http.RoundTripper
	}{
		{"default", nil, defaultTransport()},
		{"WithTransport", []Option{WithTransport(mine)}, mine},
		{"WithTransport(nil)", []Option{WithTransport(nil)}, defaultTransport()},
		{"WithHTTPClient", []Option{WithHTTPClient(&http.Client{Transport: mine})}, mine},
		{"WithHTTPClient without Transport", []Option{WithHTTPClient(&http.Client{})}, defaultTransport()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(StaticToken("t"), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.auth.next.(bufferTransport).next; got != tt.want {
				t.Errorf("client sends through %p, want %p", got, tt.want)
			}
		})
	}
	if d1, d2 := defaultTransport(), defaultTransport(); d1 == http.DefaultTransport || d1 != d2 {
		t.Error("the default transport must be one transport of the SDK's own")
	}
}

// transportSnapshot records http.DefaultTransport's exported fields: values,
// or identities for funcs, maps, pointers and slices.
func transportSnapshot() (*http.Transport, map[string]any) {
	dt := http.DefaultTransport.(*http.Transport)
	v := reflect.ValueOf(dt).Elem()
	m := map[string]any{}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		switch fv := v.Field(i); fv.Kind() {
		case reflect.Func, reflect.Map, reflect.Pointer, reflect.Slice:
			m[f.Name] = fv.Pointer()
		default:
			m[f.Name] = fv.Interface()
		}
	}
	return dt, m
}

// TestHTTPDefaultTransportUntouched builds clients every way and calls
// through them; http.DefaultTransport must be the same value with the same
// settings afterwards.
func TestHTTPDefaultTransportUntouched(t *testing.T) {
	// Clone runs DefaultTransport's lazy HTTP/2 set-up, which a first use
	// elsewhere in the process would otherwise do in the middle of the test.
	_ = http.DefaultTransport.(*http.Transport).Clone()
	before, fields := transportSnapshot()
	srv := httptest.NewServer(profileHandler())
	defer srv.Close()
	for _, opts := range [][]Option{nil, {WithTransport(NewTransport(8))}, {WithHTTPClient(&http.Client{})}} {
		c, err := NewClient(StaticToken("t"), append(opts, WithBaseURL(srv.URL))...)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := c.Profile.Get(t.Context()); err != nil || p.Account != "alice" {
			t.Fatalf("Profile.Get = %+v, %v", p, err)
		}
	}
	after, fieldsAfter := transportSnapshot()
	if after != before {
		t.Fatal("http.DefaultTransport was replaced")
	}
	if !reflect.DeepEqual(fieldsAfter, fields) {
		for k, v := range fields {
			if !reflect.DeepEqual(fieldsAfter[k], v) {
				t.Errorf("http.DefaultTransport.%s changed: %v -> %v", k, v, fieldsAfter[k])
			}
		}
	}
}

func profileHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"errno":0,"error":"success","total":1,"entities":[{"account":"alice","kind":"proto-%d"}]}`, r.ProtoMajor)
	})
}

// TestTransportReusesConnections runs 64 goroutines through a Client on
// NewTransport's defaults against a loopback TLS server, with and without
// HTTP/2, and counts the connections (TLS handshakes) the server accepts. On
// HTTP/2 every call must use HTTP/2 and at most one connection per goroutine
// is opened (the cold start dials concurrently). On HTTP/1.1 a connection can
// be dialled while a finished call's connection is on its way back to the
// pool, so the bound is looser; Go's two idle connections per host would
// instead give thousands.
func TestTransportReusesConnections(t *testing.T) {
	const goroutines, callsEach = DefaultConcurrency, 20
	for _, tt := range []struct {
		name      string
		http2     bool
		wantProto int
		maxConns  int64
	}{
		{"http2", true, 2, goroutines},
		// Over HTTP/1.1 a loaded machine makes the pool churn while it
		// fills (213 connections were seen once); Go's default transport,
		// keeping 2 idle connections, makes about half as many connections
		// as calls. A quarter of the calls tells the two apart.
		{"http1", false, 1, goroutines * callsEach / 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var conns atomic.Int64
			srv := httptest.NewUnstartedServer(profileHandler())
			srv.EnableHTTP2 = tt.http2
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.StartTLS()
			defer srv.Close()
			tr := NewTransport(0)
			tr.TLSClientConfig = &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
			defer tr.CloseIdleConnections()
			c, err := NewClient(StaticToken("t"), WithBaseURL(srv.URL), WithTransport(tr))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			var wg sync.WaitGroup
			for range goroutines {
				wg.Go(func() {
					for range callsEach {
						p, err := c.Profile.Get(ctx)
						if err != nil {
							t.Error(err)
							return
						}
						if want := fmt.Sprintf("proto-%d", tt.wantProto); p.Kind != want {
							t.Errorf("call over %s, want %s", p.Kind, want)
							return
						}
					}
				})
			}
			wg.Wait()
			t.Logf("%d calls from %d goroutines: %d connections", goroutines*callsEach, goroutines, conns.Load())
			if n := conns.Load(); n < 1 || n > tt.maxConns {
				t.Errorf("%d connections, want 1 to %d", n, tt.maxConns)
			}
		})
	}
}
