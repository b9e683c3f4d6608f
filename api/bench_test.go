package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/gen"
)

// Realistic replies, one per benchmarked operation.
var (
	// benchProfile is a getMyProfile reply with every scope's fields.
	benchProfile = []byte(`{"errno":0,"error":"success","total":1,"entities":[{"id":"4f3c2b1a-0000-4000-8000-123456789abc",` +
		`"account":"alice","name":"Alice","kind":"canvas.profile","code":"520030910001","userType":"student",` +
		`"organize":{"id":"03000","name":"Electronic Information and Electrical Engineering"},` +
		`"topOrganize":{"id":"03000","name":"SEIEE"},"classNo":"F2003001",` +
		`"avatars":{"uriTiny":"https://example.invalid/t.png","uriNormal":"https://example.invalid/n.png","uriLarge":"https://example.invalid/l.png"},` +
		`"birthday":{"birthYear":"2002","birthMonth":"01","birthDay":"02"},"gender":"female","email":"alice@sjtu.edu.cn",` +
		`"timeZone":8,"mobile":"13800000000","identities":[{"kind":"canvas.identity","isDefault":true,"code":"520030910001",` +
		`"userType":"student","userTypeName":"Student","organize":{"id":"03000","name":"SEIEE"},"status":"active","classNo":"F2003001"}],` +
		`"cardNo":"123456","cardType":"student","unionId":"u-1","accountPhotoUrl":"https://example.invalid/p.png"}]}`)
	// benchLessons is a listMyLessons reply of six teaching classes.
	benchLessons = envelopeOf(6, func(i int) string {
		return fmt.Sprintf(`{"name":"(2024-2025-1)-CS%d-1","kind":"sjtu.lesson","bsid":"B%d","code":"(2024-2025-1)-CS%d-1",`+
			`"course":{"code":"CS%d","name":"Course %d","kind":"sjtu.course"},"teachers":[{"name":"Teacher %d","kind":"canvas.profile"}],`+
			`"organize":{"id":"03000","name":"SEIEE"},"hours":32,"credits":3,"classes":[{"schedule":{"kind":"sjtu.lesson.schedule",`+
			`"week":1,"day":%d,"period":3,"start":3,"finish":4},"classroom":{"name":"Dongzhong 3-101","kind":"sjtu.classroom"}}]}`,
			i, i, i, i, i, i, i%5+1)
	})
	// benchTransactions is a listMyCardTransactions page of 20.
	benchTransactions = envelopeOf(20, func(i int) string {
		return fmt.Sprintf(`{"dateTime":%d,"system":"canteen","merchant":"No. 1 Canteen","description":"lunch #%d",`+
			`"amount":-%d.5,"cardBalance":%d.18}`, 1623835790000+int64(i)*60000, i, 5+i%20, 300-i)
	})
	// benchRights is a getUserRights reply: free-form objects.
	benchRights = envelopeOf(4, func(i int) string {
		return fmt.Sprintf(`{"code":"right.%d","name":"Right %d","enabled":true,"scope":["a","b"]}`, i, i)
	})
)

func envelopeOf(n int, entity func(int) string) []byte {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = entity(i)
	}
	return []byte(`{"errno":0,"error":"success","total":` + fmt.Sprint(n) + `,"entities":[` + strings.Join(parts, ",") + `]}`)
}

var benchServer = sync.OnceValue(func() *httptest.Server {
	replies := map[string][]byte{
		"/v1/me/profile":             benchProfile,
		"/v1/me/lessons":             benchLessons,
		"/v1/me/card/transactions":   benchTransactions,
		"/v1/enterprise/user/rights": benchRights,
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := replies[r.URL.Path]
		if r.Header.Get("Authorization") != "Bearer "+testToken || !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
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

// rawGet is the baseline: plain net/http and encoding/json doing the same
// request and decode into the envelope type a hand-written client would use.
func rawGet[E any](ctx context.Context, hc *http.Client, url string) (*E, error) {
	resp, err := authGet(ctx, hc, url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var env E
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return nil, err
	}
	return &env, nil
}

// authGet sends the baselines' GET of url with the test token.
func authGet(ctx context.Context, hc *http.Client, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	return hc.Do(req)
}

// ratios collects the ratios of the calls of each round of a paired
// benchmark. Their median is the figure reported: on a shared machine a
// call that loses its CPU for a time slice takes tens of times as long,
// which would weigh on whichever side it lands in a ratio of sums.
type ratios struct {
	mu sync.Mutex
	v  []float64
}

func (r *ratios) add(v []float64) {
	r.mu.Lock()
	r.v = append(r.v, v...)
	r.mu.Unlock()
}

func (r *ratios) median() float64 {
	if len(r.v) == 0 {
		return 0
	}
	slices.Sort(r.v)
	return r.v[len(r.v)/2]
}

func parallelism() int { return max(1, 64/runtime.GOMAXPROCS(0)) }

// benchOp is one operation called through the SDK and through the
// baselines: raw decodes into the same models, plain into plain structs of
// their known fields (plainType), the way the other Go clients decode.
type benchOp struct {
	name            string
	sdk, raw, plain func(ctx context.Context) error
}

// benchSetup returns the benchmarked operations, over an SDK client and a
// baseline http.Client against the bench server, each with its own pool,
// warmed: both pools hold their connections before anything is timed.
func benchSetup(b *testing.B) []benchOp {
	srv := benchServer()
	c, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(srv.URL), api.WithTransport(benchTransport()))
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Transport: benchTransport()}
	ops := benchOps(c, hc, srv.URL)
	ctx := context.Background()
	for _, op := range ops {
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				if err := op.sdk(ctx); err != nil {
					b.Error(err)
				}
				if err := op.raw(ctx); err != nil {
					b.Error(err)
				}
				if err := op.plain(ctx); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	return ops
}

func benchOps(c *api.Client, hc *http.Client, base string) []benchOp {
	check := func(ok bool) error {
		if !ok {
			return fmt.Errorf("unexpected reply")
		}
		return nil
	}
	begin, end := time.UnixMilli(1623800000000), time.UnixMilli(1623900000000)
	// The baselines build their URLs per call, as the SDK does.
	fixed := func(u string) func() string { return func() string { return u } }
	transactionsURL := func() string {
		q := url.Values{"cardNo": {"123456"}, "beginDate": {fmt.Sprint(begin.UnixMilli())}, "endDate": {fmt.Sprint(end.UnixMilli())}}
		return base + "/v1/me/card/transactions?" + q.Encode()
	}
	rightsURL := func() string { return base + "/v1/enterprise/user/rights?" + url.Values{"account": {"alice"}}.Encode() }
	length := func(n int) func(reflect.Value) bool { return func(e reflect.Value) bool { return e.Len() == n } }
	return []benchOp{
		{"profile",
			func(ctx context.Context) error {
				p, err := c.Profile.Get(ctx)
				if err != nil {
					return err
				}
				return check(p.Account == "alice")
			},
			func(ctx context.Context) error {
				env, err := rawGet[gen.ProfileList](ctx, hc, base+"/v1/me/profile")
				if err != nil {
					return err
				}
				return check(len(env.Entities) == 1 && env.Entities[0].Account == "alice")
			},
			rawEnvelope(hc, fixed(base+"/v1/me/profile"), plainType(reflect.TypeFor[gen.Profile]()),
				func(e reflect.Value) bool {
					return e.Len() == 1 && e.Index(0).FieldByName("Account").String() == "alice"
				})},
		{"lessons",
			func(ctx context.Context) error {
				l, err := c.Lessons.List(ctx)
				if err != nil {
					return err
				}
				return check(len(l.Items) == 6)
			},
			func(ctx context.Context) error {
				env, err := rawGet[gen.LessonList](ctx, hc, base+"/v1/me/lessons")
				if err != nil {
					return err
				}
				return check(len(env.Entities) == 6)
			},
			rawEnvelope(hc, fixed(base+"/v1/me/lessons"), plainType(reflect.TypeFor[gen.Lesson]()), length(6))},
		{"transactions",
			func(ctx context.Context) error {
				l, err := c.Card.ListTransactions(ctx, api.CardListTransactionsParams{CardNo: "123456", Begin: begin, End: end})
				if err != nil {
					return err
				}
				return check(len(l.Items) == 20)
			},
			func(ctx context.Context) error {
				env, err := rawGet[gen.CardTransactionList](ctx, hc, transactionsURL())
				if err != nil {
					return err
				}
				return check(len(env.Entities) == 20)
			},
			rawEnvelope(hc, transactionsURL, plainType(reflect.TypeFor[gen.CardTransaction]()), length(20))},
		{"rights",
			func(ctx context.Context) error {
				l, err := c.Enterprise.GetUserRights(ctx, api.EnterpriseGetUserRightsParams{Account: "alice"})
				if err != nil {
					return err
				}
				return check(len(l.Items) == 4)
			},
			func(ctx context.Context) error {
				env, err := rawGet[gen.UserRightList](ctx, hc, rightsURL())
				if err != nil {
					return err
				}
				return check(len(env.Entities) == 4)
			},
			rawEnvelope(hc, rightsURL, plainType(reflect.TypeFor[gen.UserRight]()), length(4))},
	}
}

// BenchmarkAPI measures each operation through api.Client against the
// net/http + encoding/json baseline, both against one loopback server.
// Sub-benchmarks are named op=…/impl=…/goroutines=… so that
// "benchstat -col /impl" sets the SDK beside the baseline.
func BenchmarkAPI(b *testing.B) {
	ctx := context.Background()
	for _, op := range benchSetup(b) {
		impls := []struct {
			name string
			call func(context.Context) error
		}{{"plain", op.plain}, {"raw", op.raw}, {"sdk", op.sdk}}
		for _, im := range impls {
			b.Run("op="+op.name+"/impl="+im.name+"/goroutines=1", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := im.call(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		for _, im := range impls {
			b.Run("op="+op.name+"/impl="+im.name+"/goroutines=64", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(parallelism())
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := im.call(ctx); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkAPIPaired measures the same calls as BenchmarkAPI, but each
// iteration (each goroutine's, with 64) makes one call of each baseline and
// one SDK call, rotating which goes first, and times each: all see the same
// moments of a shared machine's load. It reports raw-ns/call,
// plain-ns/call and sdk-ns/call (means) and throughput-sdk/raw and
// throughput-sdk/plain, the medians over the iterations of the baseline's
// time over the SDK's (> 1: the SDK is faster).
func BenchmarkAPIPaired(b *testing.B) {
	ctx := context.Background()
	for _, op := range benchSetup(b) {
		calls := [3]func(context.Context) error{op.sdk, op.raw, op.plain}
		for _, g := range []int{1, 64} {
			b.Run("op="+op.name+"/goroutines="+fmt.Sprint(g), func(b *testing.B) {
				var mu sync.Mutex
				var ns [3]int64
				var n int64
				var toRaw, toPlain ratios
				// round makes the calls of iteration i, adding their
				// times to acc and their ratios to raw and plain.
				round := func(i int64, acc *[3]int64, raw, plain *[]float64) {
					var d [3]int64
					for k := range int64(3) {
						j := (i + k) % 3
						t0 := time.Now()
						if err := calls[j](ctx); err != nil {
							b.Error(err)
						}
						d[j] = time.Since(t0).Nanoseconds()
						acc[j] += d[j]
					}
					*raw = append(*raw, float64(d[1])/float64(d[0]))
					*plain = append(*plain, float64(d[2])/float64(d[0]))
				}
				if g == 1 {
					var raw, plain []float64
					for b.Loop() {
						round(n, &ns, &raw, &plain)
						n++
					}
					toRaw.add(raw)
					toPlain.add(plain)
				} else {
					b.SetParallelism(max(1, g/runtime.GOMAXPROCS(0)))
					b.RunParallel(func(pb *testing.PB) {
						var acc [3]int64
						var raw, plain []float64
						var i int64
						for ; pb.Next(); i++ {
							round(i, &acc, &raw, &plain)
						}
						toRaw.add(raw)
						toPlain.add(plain)
						mu.Lock()
						for k := range ns {
							ns[k] += acc[k]
						}
						n += i
						mu.Unlock()
					})
				}
				if n > 0 {
					b.ReportMetric(float64(ns[1])/float64(n), "raw-ns/call")
					b.ReportMetric(float64(ns[2])/float64(n), "plain-ns/call")
					b.ReportMetric(float64(ns[0])/float64(n), "sdk-ns/call")
					b.ReportMetric(toRaw.median(), "throughput-sdk/raw")
					b.ReportMetric(toPlain.median(), "throughput-sdk/plain")
				}
			})
		}
	}
}
