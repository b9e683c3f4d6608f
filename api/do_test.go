package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// doItem is what the generic calls decode entities into in these tests.
type doItem struct {
	ID int `json:"id"`
}

// TestDoResultKinds (issue 17 item 2): every kind of out, for replies with
// no entity, one and many, through Client.Do and DataClient.Do. Before the
// fix a slice or RawMessage out panicked ("index out of range [0] with
// length 0") on an empty entities array.
func TestDoResultKinds(t *testing.T) {
	t.Parallel()
	replies := map[string]string{
		"empty": `[]`,
		"one":   `[{"id":1}]`,
		"many":  `[{"id":1},{"id":2},{"id":3}]`,
	}
	kinds := []struct {
		name string
		out  func() any
		// want gives what out holds after a successful call, or the error
		// the call must match (nil: success).
		want map[string]any
		err  map[string]error
	}{
		{name: "slice", out: func() any { return new([]doItem) }, want: map[string]any{
			"empty": []doItem{}, "one": []doItem{{1}}, "many": []doItem{{1}, {2}, {3}}}},
		{name: "slice of pointers", out: func() any { return new([]*doItem) }, want: map[string]any{
			"empty": []*doItem{}, "one": []*doItem{{1}}, "many": []*doItem{{1}, {2}, {3}}}},
		{name: "RawMessage", out: func() any { return new(json.RawMessage) }, want: map[string]any{
			"empty": json.RawMessage(`[]`), "one": json.RawMessage(`[{"id":1}]`), "many": json.RawMessage(`[{"id":1},{"id":2},{"id":3}]`)}},
		{name: "array", out: func() any { return new([2]doItem) }, want: map[string]any{
			"empty": [2]doItem{}, "one": [2]doItem{{1}, {}}, "many": [2]doItem{{1}, {2}}}},
		{name: "single", out: func() any { return new(doItem) }, want: map[string]any{
			"one": doItem{1}, "many": doItem{1}}, err: map[string]error{"empty": api.ErrNoEntity}},
		{name: "map", out: func() any { return new(map[string]int) }, want: map[string]any{
			"one": map[string]int{"id": 1}, "many": map[string]int{"id": 1}}, err: map[string]error{"empty": api.ErrNoEntity}},
		{name: "any", out: func() any { return new(any) }, want: map[string]any{
			"one": map[string]any{"id": float64(1)}, "many": map[string]any{"id": float64(1)}}, err: map[string]error{"empty": api.ErrNoEntity}},
	}
	for reply, entities := range replies {
		s := newServer(t, reply200(`{"errno":0,"error":"success","total":0,"entities":`+entities+`}`))
		c := newClient(t, s)
		dc, err := api.NewDataClient(api.StaticToken(testToken), api.WithDataBaseURL(s.URL), api.WithRetryPolicy(fastRetries))
		if err != nil {
			t.Fatal(err)
		}
		for _, client := range []struct {
			name string
			do   func(out any) error
		}{
			{"Client", func(out any) error { return c.Do(t.Context(), "GET", "/v1/x", nil, nil, out) }},
			{"DataClient", func(out any) error { return dc.Do(t.Context(), "GET", "/v1/x", nil, nil, out) }},
		} {
			for _, k := range kinds {
				t.Run(client.name+"/"+k.name+"/"+reply, func(t *testing.T) {
					out := k.out()
					var err error
					func() {
						defer func() {
							if r := recover(); r != nil {
								t.Fatalf("Do panicked: %v", r)
							}
						}()
						err = client.do(out)
					}()
					if want := k.err[reply]; want != nil {
						if !errors.Is(err, want) {
							t.Fatalf("err = %v, want %v", err, want)
						}
						return
					}
					if err != nil {
						t.Fatalf("err = %v", err)
					}
					got := reflect.ValueOf(out).Elem().Interface()
					if !reflect.DeepEqual(got, k.want[reply]) {
						t.Errorf("out = %#v, want %#v", got, k.want[reply])
					}
					if v := reflect.ValueOf(got); v.Kind() == reflect.Slice && v.IsNil() {
						t.Error("out is a nil slice; an empty list must decode into an empty one")
					}
				})
			}
		}
	}
}

// reply200 answers body with HTTP 200 as JSON.
func reply200(body string) http.Handler { return reply(http.StatusOK, "application/json", body) }

// FuzzDo feeds arbitrary replies to Client.Do with every kind of out: it
// must never panic, and must succeed only on a 2xx envelope with errno 0,
// giving a list out exactly the entities array.
func FuzzDo(f *testing.F) {
	for _, body := range []string{
		`{"errno":0,"entities":[]}`,
		`{"errno":0,"error":"success","total":3,"entities":[{"id":1},{"id":2},{"id":3}]}`,
		`{"errno":0,"entities":[{"id":"x"}]}`,
		`{"errno":0,"entities":[null]}`,
		`{"errno":0,"entities":null}`,
		`{"errno":0}`,
		`{"errno":10002,"error":"Authentication Failed","total":0}`,
		`[]`,
		`<html></html>`,
	} {
		for kind := range doKinds {
			f.Add(uint8(kind), 200, []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, status int, body []byte) {
		status = 200 + ((status-200)%400+400)%400
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		})
		c, err := api.NewClient(api.StaticToken(testToken), api.WithTransport(rt),
			api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1}))
		if err != nil {
			t.Fatal(err)
		}
		out := doKinds[int(kind)%len(doKinds)]()
		err = c.Do(t.Context(), "GET", "/v1/x", nil, nil, out)
		if err != nil {
			var e *api.Error
			if !errors.As(err, &e) {
				t.Fatalf("err %T %v is not an *api.Error", err, err)
			}
			return
		}
		var env struct {
			Errno    *int            `json:"errno"`
			Entities json.RawMessage `json:"entities"`
		}
		if status > 299 || json.Unmarshal(body, &env) != nil || env.Errno == nil || *env.Errno != 0 {
			t.Fatalf("success for HTTP %d %q", status, body)
		}
		if raw, ok := out.(*json.RawMessage); ok {
			var a, b any
			if json.Unmarshal(*raw, &a) != nil || json.Unmarshal(env.Entities, &b) != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("RawMessage %s, entities %s", *raw, env.Entities)
			}
		}
	})
}

// doKinds make the kinds of out FuzzDo tries.
var doKinds = []func() any{
	func() any { return new([]doItem) },
	func() any { return new(json.RawMessage) },
	func() any { return new(doItem) },
	func() any { return new([1]doItem) },
	func() any { return new(any) },
	func() any { return new([]json.RawMessage) },
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
