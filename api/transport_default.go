package api

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultConcurrency is the number of goroutines that the default transport
// is sized for: it keeps that many idle connections to the API's host, so a
// batch job with up to that many concurrent calls reuses its connections
// instead of opening (and TLS-handshaking) a new one for most calls. For more,
// pass WithTransport(NewTransport(n)).
const DefaultConcurrency = 64

// The bounds of NewTransport's transports.
const (
	dialTimeout         = 10 * time.Second
	tcpKeepAlive        = 30 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
	idleConnTimeout     = 90 * time.Second
	// http2SendPingTimeout is how long an HTTP/2 connection may stay
	// silent before it is pinged, and http2PingTimeout how long the ping
	// may go unanswered before the connection is dropped; without them a
	// connection whose peer vanished would hang its requests until the
	// attempt timeout.
	http2SendPingTimeout = 30 * time.Second
	http2PingTimeout     = 15 * time.Second
)

// NewTransport returns a new *http.Transport for up to concurrency goroutines
// calling one host at once (concurrency <= 0 means DefaultConcurrency): it
// keeps concurrency idle connections per host (Go's default keeps two, so the
// others are closed after each call and reopened with a new TLS handshake),
// speaks HTTP/2 over TLS when the server offers it, and bounds the dial (10
// s), the TLS handshake (10 s) and the life of an idle connection (90 s).
// Like http.DefaultTransport it honours the HTTPS_PROXY and NO_PROXY
// environment variables.
//
// A Client built without WithTransport or WithHTTPClient uses one such
// transport, shared by every such Client of the process and sized for
// DefaultConcurrency; it never uses or changes http.DefaultTransport. The
// returned transport is the caller's to adjust (TLSClientConfig, Proxy)
// before its first use.
func NewTransport(concurrency int) *http.Transport {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: tcpKeepAlive}
	return &http.Transport{
		Proxy:       http.ProxyFromEnvironment,
		DialContext: d.DialContext,
		// With DialContext set, HTTP/2 is off unless asked for.
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(100, concurrency),
		MaxIdleConnsPerHost:   concurrency,
		IdleConnTimeout:       idleConnTimeout,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ExpectContinueTimeout: time.Second,
		HTTP2: &http.HTTP2Config{
			SendPingTimeout: http2SendPingTimeout,
			PingTimeout:     http2PingTimeout,
		},
	}
}

// defaultTransport is the transport of the Clients built without
// WithTransport or WithHTTPClient.
var defaultTransport = sync.OnceValue(func() *http.Transport { return NewTransport(DefaultConcurrency) })
