package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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

// fakeAPI is a spec-faithful jAccount server built on the generated strict
// server: every reply is the real envelope.
type fakeAPI struct{}

var _ gen.StrictServerInterface = fakeAPI{}

var (
	testProfile = gen.Profile{Account: "alice", Name: "Alice", Kind: "canvas.profile", UserType: "student"}
	testLesson  = gen.Lesson{Bsid: "B1", Code: "CS101-1", Name: "Programming", Credits: 3}
)

func (fakeAPI) GetMyProfile(context.Context, gen.GetMyProfileRequestObject) (gen.GetMyProfileResponseObject, error) {
	return gen.GetMyProfile200JSONResponse{Error: "success", Total: 1, Entities: []gen.Profile{testProfile}}, nil
}

func (fakeAPI) GetUserPositions(context.Context, gen.GetUserPositionsRequestObject) (gen.GetUserPositionsResponseObject, error) {
	return gen.GetUserPositions200JSONResponse{Error: "Succeed.", Total: 1, Entities: []gen.UserPositions{{
		Account: "alice", Positions: []gen.Position{{Post: gen.Post{PostCode: "BuiltInStudent"}}},
	}}}, nil
}

func (fakeAPI) GetUserRights(_ context.Context, r gen.GetUserRightsRequestObject) (gen.GetUserRightsResponseObject, error) {
	return gen.GetUserRights200JSONResponse{Error: "success", Total: 1,
		Entities: []gen.UserRight{{"account": r.Params.Account, "right": "admin"}}}, nil
}

func (fakeAPI) ListMyLessons(context.Context, gen.ListMyLessonsRequestObject) (gen.ListMyLessonsResponseObject, error) {
	return gen.ListMyLessons200JSONResponse{Error: "success", Total: 1, Entities: []gen.Lesson{testLesson}}, nil
}

func (fakeAPI) ListMyLessonsBySemester(_ context.Context, r gen.ListMyLessonsBySemesterRequestObject) (gen.ListMyLessonsBySemesterResponseObject, error) {
	l := testLesson
	l.Name = r.Semester
	return gen.ListMyLessonsBySemester200JSONResponse{Error: "success", Total: 1, Entities: []gen.Lesson{l}}, nil
}

func (fakeAPI) GetLesson(_ context.Context, r gen.GetLessonRequestObject) (gen.GetLessonResponseObject, error) {
	if r.Code != testLesson.Code {
		return gen.GetLesson404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse{Errno: 404, Error: "no such lesson"}}, nil
	}
	return gen.GetLesson200JSONResponse{Error: "success", Total: 1, Entities: []gen.Lesson{testLesson}}, nil
}

func (fakeAPI) ListMyExaminations(context.Context, gen.ListMyExaminationsRequestObject) (gen.ListMyExaminationsResponseObject, error) {
	return gen.ListMyExaminations200JSONResponse{Error: "success", Total: 2,
		Entities: []gen.Examination{{"name": "Maths"}, {"name": "Physics"}}}, nil
}

func (fakeAPI) GetMyCard(context.Context, gen.GetMyCardRequestObject) (gen.GetMyCardResponseObject, error) {
	return gen.GetMyCard200JSONResponse{Error: "success", Total: 1,
		Entities: []gen.CardInfo{{CardNo: "12345", CardBalance: 42.5}}}, nil
}

// testTransactions are served three per page; nextToken is the index of the
// page's first item.
var testTransactions = func() []gen.CardTransaction {
	var ts []gen.CardTransaction
	for i := range 7 {
		ts = append(ts, gen.CardTransaction{DateTime: int64(1000 + i), Merchant: "canteen", Amount: -float64(i)})
	}
	return ts
}()

func (fakeAPI) ListMyCardTransactions(_ context.Context, r gen.ListMyCardTransactionsRequestObject) (gen.ListMyCardTransactionsResponseObject, error) {
	start := 0
	if r.Params.NextToken != "" {
		start = int(r.Params.NextToken[0] - '0')
	}
	end := min(start+3, len(testTransactions))
	resp := gen.ListMyCardTransactions200JSONResponse{Error: "success", Total: int64(len(testTransactions)),
		Entities: testTransactions[start:end]}
	if end < len(testTransactions) {
		resp.NextToken = string(rune('0' + end))
	}
	return resp, nil
}

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
		h = gen.HandlerFromMux(gen.NewStrictHandler(fakeAPI{}, nil), http.NewServeMux())
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
