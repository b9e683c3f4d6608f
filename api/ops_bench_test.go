package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/internal/apigen"
	"github.com/oauth-jaccount/jaccount-go/openapi"
)

// getOp is one GET operation of the spec, called three ways against the
// same loopback server answering with its example: through the SDK, and
// through plain net/http + encoding/json decoding the reply into the same
// models (same) and into plain structs of their known fields (plain), the
// way the other Go clients decode. A binary reply is read whole by both
// baselines.
type getOp struct {
	id                string
	sdk, same, plain  reflect.Value // func values, called through reflection alike
	sdkIn, baselineIn []reflect.Value
}

// blobReply is the body of the binary replies (a file, a thumbnail, a
// barcode).
var blobReply = bytes.Repeat([]byte("\x89PNG binary image data "), 100)

// getOps returns every GET operation of the spec, each against its own
// reply, with both clients warmed.
func getOps(b *testing.B) []getOp {
	a, err := apigen.Load(openapi.Spec)
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	replies := map[string]*apigen.Op{} // request URI -> the op answered
	var recording *apigen.Op
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		op := replies[r.URL.RequestURI()]
		if op == nil && recording != nil {
			op = recording
			replies[r.URL.RequestURI()] = op
		}
		mu.Unlock()
		switch {
		case op == nil || r.Header.Get("Authorization") != "Bearer "+testToken:
			w.WriteHeader(http.StatusUnauthorized)
		case op.Entities == apigen.EntityRaw:
			w.Header().Set("Content-Type", "image/png")
			w.Header().Set("Content-Length", fmt.Sprint(len(blobReply)))
			_, _ = w.Write(blobReply)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(op.Example)
		}
	}))
	b.Cleanup(srv.Close)
	opts := []api.Option{api.WithBaseURL(srv.URL), api.WithDataBaseURL(srv.URL), api.WithTransport(benchTransport())}
	c, err := api.NewClient(api.StaticToken(testToken), opts...)
	if err != nil {
		b.Fatal(err)
	}
	dc, err := api.NewDataClient(api.StaticToken(testToken), opts...)
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Transport: benchTransport()}
	ctx := context.Background()
	var ops []getOp
	for _, op := range a.Ops {
		if op.Method != http.MethodGet {
			continue
		}
		var client any = c
		if op.Server.Client == "DataClient" {
			client = dc
		}
		svc := reflect.ValueOf(client).Elem().FieldByName(op.Service.Name)
		fn, _ := svc.Type().MethodByName(op.Name)
		m := fn.Func // called with the service first: no method value to allocate
		in := []reflect.Value{svc, reflect.ValueOf(ctx)}
		for i := 2; i < m.Type().NumIn(); i++ {
			v := reflect.New(m.Type().In(i)).Elem()
			if i-2 < len(op.Required()) && v.Kind() == reflect.String {
				s, ok := samples[op.Required()[i-2].Name]
				v.SetString(map[bool]string{true: s, false: "x"}[ok])
			}
			in = append(in, v)
		}
		// The first call records the request the SDK sends.
		mu.Lock()
		before := len(replies)
		recording = op
		mu.Unlock()
		out := m.CallSlice(in)
		mu.Lock()
		recording = nil
		var uri string
		for u, o := range replies {
			if o == op {
				uri = u
			}
		}
		mu.Unlock()
		if err, _ := out[len(out)-1].Interface().(error); err != nil || len(replies) != before+1 {
			b.Fatalf("%s: %v (%d requests recorded)", op.ID, err, len(replies)-before)
		}
		g := getOp{id: op.ID, sdk: m, sdkIn: in, baselineIn: []reflect.Value{reflect.ValueOf(ctx)}}
		url := srv.URL + uri
		if op.Entities == apigen.EntityRaw {
			read := func(ctx context.Context) error { return rawRead(ctx, hc, url) }
			g.same, g.plain = reflect.ValueOf(read), reflect.ValueOf(read)
		} else {
			entity := reflect.TypeFor[json.RawMessage]()
			if op.Entities != apigen.EntityNone {
				entity = m.Type().Out(0).Elem()
				if op.Entities == apigen.EntityList {
					entity = entity.Field(0).Type.Elem() // List[T].Items
				}
			}
			at := func() string { return url }
			g.same = reflect.ValueOf(rawEnvelope(hc, at, entity, nil))
			g.plain = reflect.ValueOf(rawEnvelope(hc, at, plainType(entity), nil))
		}
		for _, f := range []func() error{g.callSDK, g.callSame, g.callPlain} {
			if err := f(); err != nil {
				b.Fatalf("%s: %v", op.ID, err)
			}
		}
		ops = append(ops, g)
	}
	return ops
}

func (g getOp) callSDK() error {
	out := g.sdk.CallSlice(g.sdkIn) // the last of sdkIn is the (nil) []CallOption
	err, _ := out[len(out)-1].Interface().(error)
	return err
}

func (g getOp) callSame() error {
	err, _ := g.same.Call(g.baselineIn)[0].Interface().(error)
	return err
}

func (g getOp) callPlain() error {
	err, _ := g.plain.Call(g.baselineIn)[0].Interface().(error)
	return err
}

// rawEnvelope returns the baseline's call: a GET of url() decoded with
// json.NewDecoder into the envelope {errno, error, total, nextToken,
// entities []entity}, checked as a hand-written client would; want, when
// not nil, checks the entities.
func rawEnvelope(hc *http.Client, url func() string, entity reflect.Type, want func(entities reflect.Value) bool) func(context.Context) error {
	env := reflect.StructOf([]reflect.StructField{
		{Name: "Errno", Type: reflect.TypeFor[int](), Tag: `json:"errno"`},
		{Name: "Error", Type: reflect.TypeFor[string](), Tag: `json:"error"`},
		{Name: "Total", Type: reflect.TypeFor[int64](), Tag: `json:"total"`},
		{Name: "NextToken", Type: reflect.TypeFor[string](), Tag: `json:"nextToken"`},
		{Name: "Entities", Type: reflect.SliceOf(entity), Tag: `json:"entities"`},
	})
	return func(ctx context.Context) error {
		resp, err := authGet(ctx, hc, url())
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		v := reflect.New(env)
		if err := json.NewDecoder(resp.Body).Decode(v.Interface()); err != nil {
			return err
		}
		if v.Elem().Field(0).Int() != 0 || resp.StatusCode != http.StatusOK || want != nil && !want(v.Elem().Field(4)) {
			return errors.New("not a success")
		}
		return nil
	}
}

// rawRead is the baselines' call of a binary reply: a GET read whole.
func rawRead(ctx context.Context, hc *http.Client, url string) error {
	resp, err := authGet(ctx, hc, url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil && (resp.StatusCode != http.StatusOK || len(data) == 0) {
		err = errors.New("not a success")
	}
	return err
}

// BenchmarkGetOps calls every GET operation of the spec through the SDK and
// through the two baselines (same: the same models; plain: plain structs of
// the known fields), sequentially and with 64 goroutines. Each iteration
// (each goroutine's) makes one call of each, rotating their order, and
// times each, so all three see the same moments of a shared machine's
// load; all three are called through reflect.Value.Call alike. It reports
// same/sdk and plain/sdk, the medians over the iterations of each
// baseline's time over the SDK's (the SDK's throughput over the
// baseline's: ≥ 1, the SDK is as fast), and allocs-sdk/same and
// allocs-sdk/plain, the SDK's allocations per call over each baseline's
// (counted sequentially).
func BenchmarkGetOps(b *testing.B) {
	for _, op := range getOps(b) {
		calls := [3]func() error{op.callSDK, op.callSame, op.callPlain}
		for _, g := range []int{1, 64} {
			b.Run(fmt.Sprintf("op=%s/goroutines=%d", op.id, g), func(b *testing.B) {
				var toSame, toPlain ratios
				round := func(i int, same, plain *[]float64) {
					var d [3]time.Duration
					for k := range 3 {
						j := (i + k) % 3
						t0 := time.Now()
						if err := calls[j](); err != nil {
							b.Error(err)
						}
						d[j] = time.Since(t0)
					}
					*same = append(*same, float64(d[1])/float64(d[0]))
					*plain = append(*plain, float64(d[2])/float64(d[0]))
				}
				if g == 1 {
					var same, plain []float64
					i := 0
					for b.Loop() {
						round(i, &same, &plain)
						i++
					}
					toSame.add(same)
					toPlain.add(plain)
				} else {
					b.SetParallelism(max(1, g/runtime.GOMAXPROCS(0)))
					b.RunParallel(func(pb *testing.PB) {
						var same, plain []float64
						for i := 0; pb.Next(); i++ {
							round(i, &same, &plain)
						}
						toSame.add(same)
						toPlain.add(plain)
					})
				}
				b.StopTimer()
				b.ReportMetric(toSame.median(), "same/sdk")
				b.ReportMetric(toPlain.median(), "plain/sdk")
				if g == 1 {
					allocs := func(f func() error) float64 { return testing.AllocsPerRun(50, func() { _ = f() }) }
					sdk := allocs(op.callSDK)
					b.ReportMetric(sdk/allocs(op.callSame), "allocs-sdk/same")
					b.ReportMetric(sdk/allocs(op.callPlain), "allocs-sdk/plain")
				}
			})
		}
	}
}
