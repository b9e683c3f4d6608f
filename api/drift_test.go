package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// driftServer answers the profile and the card transactions with replies
// the spec does not entirely describe; every value is a unique marker.
func driftServer(t *testing.T) *httptest.Server {
	t.Helper()
	replies := map[string]string{
		"/v1/me/profile": `{"errno":0,"error":"success","total":1,"traceId":"MARK-trace",
			"entities":[{"id":"MARK-id","name":"MARK-name","nickName":"MARK-nick",
			"identities":[{"code":"MARK-code","photoUrl2":"https://MARK-photo","20240901":"MARK-datakey"},
			              {"code":"MARK-code2","photoUrl2":"https://MARK-photo2","zhangsan":{"a":"MARK-nested"}}]}]}`,
		"/v1/me/card/transactions": `{"errno":0,"error":"success","total":1,
			"entities":[{"dateTime":1725120000000,"amount":"MARK-amount","merchant":"MARK-merchant"}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(replies[r.URL.Path]))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestDriftHandler: a member the model lacks and a value of the wrong type
// are each reported once per operation, model and member, by name and type,
// with keys that look like data as "*"; no value of the reply reaches the
// handler.
func TestDriftHandler(t *testing.T) {
	t.Parallel()
	srv := driftServer(t)
	var mu sync.Mutex
	var got []api.Drift
	c, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(srv.URL), api.WithDriftHandler(func(d api.Drift) {
		mu.Lock()
		got = append(got, d)
		mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		p, err := c.Profile.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.Identities[1].AdditionalProperties["photoUrl2"] != "https://MARK-photo2" {
			t.Errorf("the member the model lacks is not kept: %v", p.Identities[1].AdditionalProperties)
		}
		if _, err := c.Card.ListTransactions(ctx, api.CardListTransactionsParams{}); !errors.Is(err, api.ErrInvalidResponse) {
			t.Errorf("a string amount: %v, want ErrInvalidResponse", err)
		}
	}
	// Another client of the same settings (WithTokenSource) shares what was
	// reported.
	if _, err := c.WithTokenSource(api.StaticToken(testToken)).Profile.Get(ctx); err != nil {
		t.Fatal(err)
	}
	want := []api.Drift{
		{Operation: "getMyProfile", Kind: api.DriftMember, Model: "Envelope", Member: "$.traceId", Type: "string"},
		{Operation: "getMyProfile", Kind: api.DriftMember, Model: "Profile", Member: "nickName", Type: "string"},
		{Operation: "getMyProfile", Kind: api.DriftMember, Model: "Identity", Member: "identities[].photoUrl2", Type: "string"},
		{Operation: "getMyProfile", Kind: api.DriftMember, Model: "Identity", Member: "identities[].*", Type: "string"},
		{Operation: "listMyCardTransactions", Kind: api.DriftType, Member: "amount", Type: "string", Want: "float64"},
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("drifts:\n%+v\nwant\n%+v", got, want)
	}
	if s := fmt.Sprintf("%+v", got); strings.Contains(s, "MARK") || strings.Contains(s, "zhangsan") || strings.Contains(s, "20240901") {
		t.Errorf("a value reached the handler: %s", s)
	}
}

// TestDriftLogged: without a handler, a client with a debug logger logs
// each drift once, names and types only; at a higher level it looks for
// none.
func TestDriftLogged(t *testing.T) {
	t.Parallel()
	srv := driftServer(t)
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))
		c, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(srv.URL), api.WithLogger(log))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := c.Profile.Get(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		out := buf.String()
		n := strings.Count(out, "reply differs from the spec")
		switch {
		case level == slog.LevelDebug && (n != 4 || !strings.Contains(out, "operation=getMyProfile drift=member model=Identity member=identities[].photoUrl2 type=string want=\"\"")):
			t.Errorf("debug: %d events:\n%s", n, out)
		case level == slog.LevelInfo && n != 0:
			t.Errorf("info: %d events:\n%s", n, out)
		case strings.Contains(out, "MARK"):
			t.Errorf("a value was logged:\n%s", out)
		}
	}
}

// TestNoDriftNoReport: replies the spec describes report nothing.
func TestNoDriftNoReport(t *testing.T) {
	t.Parallel()
	c, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(benchServer().URL),
		api.WithDriftHandler(func(d api.Drift) { t.Errorf("drift: %+v", d) }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Profile.Get(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lessons.List(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Card.ListTransactions(ctx, api.CardListTransactionsParams{}); err != nil {
		t.Fatal(err)
	}
}

// TestDriftAllocations: with a handler set, a call whose reply matches the
// spec allocates what a call without one does.
func TestDriftAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	base := benchServer().URL
	without, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(base), api.WithTransport(benchTransport()))
	if err != nil {
		t.Fatal(err)
	}
	with, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(base), api.WithTransport(benchTransport()),
		api.WithDriftHandler(func(api.Drift) {}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	allocs := func(c *api.Client) float64 {
		return testing.AllocsPerRun(200, func() {
			if _, err := c.Profile.Get(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	allocs(without) // warm both pools
	allocs(with)
	a, b := allocs(without), allocs(with)
	t.Logf("allocations of a profile call: %.1f without a drift handler, %.1f with one", a, b)
	if b > a {
		t.Errorf("a drift handler costs %.1f allocations a call that does not drift", b-a)
	}
}
