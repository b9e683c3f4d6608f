package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/gen"
)

const (
	testToken    = "tok-SECRET-0123456789"
	testClientID = "japortal-client-ID-42"
)

// fakeAPI serves the operations of the spec with fixed data in the real
// envelope.
func fakeAPI() http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, total int, next string, entities any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"errno": 0, "error": "success", "total": total,
			"nextToken": next, "entities": entities})
	}
	fail := func(w http.ResponseWriter, status int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"errno": status, "error": msg, "total": 0})
	}
	mux.HandleFunc("GET /v1/me/profile", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 1, "", []gen.Profile{testProfile})
	})
	mux.HandleFunc("GET /v1/enterprise/user/positions", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 1, "", []gen.UserPositions{{Account: "alice", Positions: []gen.Position{{Post: gen.Post{PostCode: "BuiltInStudent"}}}}})
	})
	mux.HandleFunc("GET /v1/enterprise/user/rights", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 1, "", []gen.UserRight{{Code: "admin", Name: r.URL.Query().Get("account"), Parent: &gen.UserRight{Code: "root"}}})
	})
	mux.HandleFunc("GET /v1/me/lessons", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 1, "", []gen.Lesson{testLesson})
	})
	mux.HandleFunc("GET /v1/me/lessons/{semester}", func(w http.ResponseWriter, r *http.Request) {
		l := testLesson
		l.Name = r.PathValue("semester")
		reply(w, 1, "", []gen.Lesson{l})
	})
	mux.HandleFunc("GET /v1/lesson/{code}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("code") != testLesson.Code {
			fail(w, http.StatusNotFound, "no such lesson")
			return
		}
		reply(w, 1, "", []gen.Lesson{testLesson})
	})
	mux.HandleFunc("GET /v1/me/examinations", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 2, "", []gen.Examination{{"name": "Maths"}, {"name": "Physics"}})
	})
	mux.HandleFunc("GET /v1/me/card", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 1, "", []gen.CardInfo{{CardNo: "12345", CardBalance: 42.5}})
	})
	// Transactions page by start (0-based) and limit (3 when absent), with
	// the whole count in total.
	mux.HandleFunc("GET /v1/me/card/transactions", func(w http.ResponseWriter, r *http.Request) {
		start, limit := 0, 3
		if v := r.URL.Query().Get("start"); v != "" {
			start, _ = strconv.Atoi(v)
		}
		if v := r.URL.Query().Get("limit"); v != "" {
			limit, _ = strconv.Atoi(v)
		}
		start = min(start, len(testTransactions))
		end := min(start+limit, len(testTransactions))
		reply(w, len(testTransactions), "", testTransactions[start:end])
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fail(w, http.StatusNotFound, "no such API") })
	return mux
}

var (
	testProfile = gen.Profile{Account: "alice", Name: "Alice", Kind: "canvas.profile", UserType: "student"}
	testLesson  = gen.Lesson{Bsid: "B1", Code: "CS101-1", Name: "Programming", Credits: 3}
)

// testTransactions are served three per page.
var testTransactions = func() []gen.CardTransaction {
	var ts []gen.CardTransaction
	for i := range 7 {
		ts = append(ts, gen.CardTransaction{DateTime: int64(1000 + i), Merchant: "canteen", Amount: -float64(i)})
	}
	return ts
}()

// server is an httptest server that checks the token and counts requests.
type server struct {
	*httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	last     *http.Request
	// token is the access token the server accepts.
	token atomic.Value
}

// newServer serves h behind a token check; h nil means fakeAPI.
func newServer(t testing.TB, h http.Handler) *server {
	t.Helper()
	if h == nil {
		h = fakeAPI()
	}
	s := &server{}
	s.token.Store(testToken)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		s.last = r.Clone(context.Background())
		s.mu.Unlock()
		want := s.token.Load().(string)
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if q := r.URL.Query().Get("access_token"); q != "" {
			got = q
		}
		if got != want {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errno":401,"error":"invalid token","total":0,"entities":[]}`))
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) lastRequest() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// fastRetries keeps fault-injection tests quick.
var fastRetries = api.RetryPolicy{MaxAttempts: 4, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, Budget: 5 * time.Second}

func newClient(t testing.TB, s *server, opts ...api.Option) *api.Client {
	t.Helper()
	return newClientTS(t, s, api.StaticToken(testToken), opts...)
}

func newClientTS(t testing.TB, s *server, ts oauth2.TokenSource, opts ...api.Option) *api.Client {
	t.Helper()
	opts = append([]api.Option{api.WithBaseURL(s.URL), api.WithRetryPolicy(fastRetries)}, opts...)
	c, err := api.NewClient(ts, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// reply serves a fixed status, content type and body.
func reply(status int, contentType, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
}
