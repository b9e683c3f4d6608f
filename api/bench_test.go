package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/gen"
)

// benchBody is a realistic getMyProfile reply.
var benchBody = []byte(`{"errno":0,"error":"success","total":1,"entities":[{"id":"4f3c2b1a-0000-4000-8000-123456789abc",` +
	`"account":"alice","name":"Alice","kind":"canvas.profile","code":"520030910001","userType":"student",` +
	`"organize":{"id":"03000","name":"Electronic Information and Electrical Engineering"},` +
	`"topOrganize":{"id":"03000","name":"SEIEE"},"classNo":"F2003001",` +
	`"avatars":{"uriTiny":"https://example.invalid/t.png","uriNormal":"https://example.invalid/n.png","uriLarge":"https://example.invalid/l.png"},` +
	`"birthday":{"birthYear":"2002","birthMonth":"01","birthDay":"02"},"gender":"female","email":"alice@sjtu.edu.cn",` +
	`"timeZone":8,"mobile":"13800000000","identities":[{"kind":"canvas.identity","isDefault":true,"code":"520030910001",` +
	`"userType":"student","userTypeName":"Student","organize":{"id":"03000","name":"SEIEE"},"status":"active","classNo":"F2003001"}],` +
	`"cardNo":"123456","cardType":"student","unionId":"u-1","accountPhotoUrl":"https://example.invalid/p.png"}]}`)

var benchServer = sync.OnceValue(func() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(benchBody)
	}))
})

// benchTransport is the same connection pool configuration for both sides,
// roomy enough for 64 concurrent callers.
func benchTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	return t
}

// rawProfile is the baseline: plain net/http and encoding/json doing the
// same request and decode.
func rawProfile(ctx context.Context, hc *http.Client, url string) (*gen.Profile, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var pl gen.ProfileList
	if err := json.NewDecoder(resp.Body).Decode(&pl); err != nil {
		return nil, err
	}
	return &pl.Entities[0], nil
}

func parallelism() int { return max(1, 64/runtime.GOMAXPROCS(0)) }

func BenchmarkProfile(b *testing.B) {
	srv := benchServer()
	ctx := context.Background()
	c, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(srv.URL), api.WithTransport(benchTransport()))
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Transport: benchTransport()}
	url := srv.URL + "/v1/me/profile"
	sdk := func() error {
		p, err := c.Profile.Get(ctx)
		if err == nil && p.Account != "alice" {
			b.Error("bad profile")
		}
		return err
	}
	raw := func() error {
		p, err := rawProfile(ctx, hc, url)
		if err == nil && p.Account != "alice" {
			b.Error("bad profile")
		}
		return err
	}
	// Open the connections of both pools before timing anything.
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() { _, _ = sdk(), raw() })
	}
	wg.Wait()
	impls := []struct {
		name string
		call func() error
	}{{"raw", raw}, {"sdk", sdk}}
	// Sub-benchmarks are named impl=…/goroutines=… so that
	// "benchstat -col /impl" sets the SDK beside the baseline.
	for _, bc := range impls {
		b.Run("impl="+bc.name+"/goroutines=1", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.call(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, bc := range impls {
		b.Run("impl="+bc.name+"/goroutines=64", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(parallelism())
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := bc.call(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
