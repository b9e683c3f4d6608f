package api_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/gen"
)

// batchConcurrency is the number of goroutines of BenchmarkBatchTLS.
const batchConcurrency = 64

// batchReply is BenchmarkBatchTLS's getMyProfile reply.
var batchReply = []byte(`{"errno":0,"error":"success","total":1,"entities":[{"id":"4f3c2b1a-0000-4000-8000-123456789abc",` +
	`"account":"alice","name":"Alice","kind":"canvas.profile","code":"520030910001","userType":"student",` +
	`"organize":{"id":"03000","name":"SEIEE"},"email":"alice@sjtu.edu.cn","timeZone":8,"identities":[{"kind":"canvas.identity",` +
	`"isDefault":true,"code":"520030910001","userType":"student","organize":{"id":"03000","name":"SEIEE"},"status":"active"}]}]}`)

// tlsBenchServer is a loopback TLS server answering getMyProfile, counting
// the connections it accepts: each is one TLS handshake.
type tlsBenchServer struct {
	*httptest.Server
	conns atomic.Int64
}

func newTLSBenchServer(tb testing.TB, http2 bool) *tlsBenchServer {
	s := &tlsBenchServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(batchReply)
	}))
	s.EnableHTTP2 = http2
	// Clients that churn connections abort some handshakes; not news.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	tb.Cleanup(s.Close)
	return s
}

// trust makes t trust s's certificate (the only change the benchmark makes
// to the transports it compares) and returns t.
func (s *tlsBenchServer) trust(t *http.Transport) *http.Transport {
	t.TLSClientConfig = &tls.Config{RootCAs: s.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	return t
}

// handTuned is what a careful programmer writes for a batch job without the
// SDK: enough idle connections per host, HTTP/2, bounded timeouts.
func handTuned() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// BenchmarkBatchTLS is a batch job's load: batchConcurrency goroutines
// calling getMyProfile over TLS on one loopback host, each run from a cold
// connection pool, comparing
//   - sdk: api.Client with its default transport (api.NewTransport with
//     api.DefaultConcurrency),
//   - raw-default: net/http with Go's defaults (a clone of
//     http.DefaultTransport, which is what http.Client{} uses),
//   - raw-zero: net/http with a zero http.Transport given only the TLS
//     configuration (what a program that needs its own TLSClientConfig
//     often writes, and what httptest.Server.Client builds without HTTP/2:
//     HTTP/1.1 only, since a custom TLSClientConfig turns HTTP/2 off unless
//     ForceAttemptHTTP2 is set, and two idle connections per host),
//   - raw-tuned: net/http with a transport tuned by hand (handTuned),
//
// each trusting the test server's certificate and nothing else changed. The
// raw clients do the same request and JSON decode as the SDK. It reports
// handshakes/10k-calls, the TLS handshakes (accepted connections, counted by
// a ConnState hook) per 10,000 calls, the cold start's included. Run it with
// a fixed number of calls, in rounds so that the clients alternate:
//
//	for i in $(seq 10); do go test -run '^$' -bench BenchmarkBatchTLS -benchtime 10000x ./api/; done
func BenchmarkBatchTLS(b *testing.B) {
	for _, proto := range []struct {
		name  string
		http2 bool
	}{{"http2", true}, {"http1", false}} {
		srv := newTLSBenchServer(b, proto.http2)
		url := srv.URL + "/v1/me/profile"
		clients := []struct {
			name string
			// open returns the call to measure and the transport to
			// close when done.
			open func(b *testing.B) (func(context.Context) error, *http.Transport)
		}{
			{"sdk", func(b *testing.B) (func(context.Context) error, *http.Transport) {
				t := srv.trust(api.NewTransport(api.DefaultConcurrency))
				c, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(srv.URL), api.WithTransport(t))
				if err != nil {
					b.Fatal(err)
				}
				return func(ctx context.Context) error { return checkProfile(c.Profile.Get(ctx)) }, t
			}},
			{"raw-default", func(*testing.B) (func(context.Context) error, *http.Transport) {
				t := srv.trust(http.DefaultTransport.(*http.Transport).Clone())
				return rawCall(&http.Client{Transport: t}, url), t
			}},
			{"raw-zero", func(*testing.B) (func(context.Context) error, *http.Transport) {
				t := srv.trust(&http.Transport{})
				return rawCall(&http.Client{Transport: t}, url), t
			}},
			{"raw-tuned", func(*testing.B) (func(context.Context) error, *http.Transport) {
				t := srv.trust(handTuned())
				return rawCall(&http.Client{Transport: t}, url), t
			}},
		}
		for _, cl := range clients {
			b.Run("proto="+proto.name+"/client="+cl.name, func(b *testing.B) {
				call, t := cl.open(b)
				defer t.CloseIdleConnections()
				b.ReportAllocs()
				conns0 := srv.conns.Load()
				b.ResetTimer()
				runConcurrently(b, batchConcurrency, call)
				b.StopTimer()
				b.ReportMetric(float64(srv.conns.Load()-conns0)*10000/float64(b.N), "handshakes/10k-calls")
			})
		}
	}
}

// runConcurrently makes b.N calls from n goroutines.
func runConcurrently(b *testing.B, n int, call func(context.Context) error) {
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := call(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// rawCall is the baseline's call: the same GET and JSON decode as the SDK's,
// in plain net/http and encoding/json.
func rawCall(hc *http.Client, url string) func(context.Context) error {
	return func(ctx context.Context) error {
		resp, err := authGet(ctx, hc, url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var list gen.ProfileList
		err = json.NewDecoder(resp.Body).Decode(&list)
		if err == nil && len(list.Entities) == 0 {
			err = errors.New("no profile")
		}
		if err != nil {
			return err
		}
		return checkProfile(&list.Entities[0], nil)
	}
}

func checkProfile(p *gen.Profile, err error) error {
	if err == nil && p.Account != "alice" {
		return errors.New("bad profile " + p.Account)
	}
	return err
}
