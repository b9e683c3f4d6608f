package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// BenchmarkWalkTransactions walks 10 pages of 20 card transactions (start
// and limit, with total) per iteration: what the loop checks of issue 17
// (a hash of each page's raw entities, the page count) cost a normal walk.
// It reports ns/page; allocs/op are those of the 10 pages.
func BenchmarkWalkTransactions(b *testing.B) {
	const pages, size = 10, 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		page := start / size
		body := benchTransactionPage(page)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	c, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(srv.URL), api.WithTransport(benchTransport()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range c.Card.ListTransactionsIter(ctx, api.CardListTransactionsParams{Limit: size}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != pages*size {
			b.Fatalf("%d items", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pages), "ns/page")
}

// benchTransactionPage is page i (of 10) of 20 transactions, with total.
func benchTransactionPage(i int) []byte {
	body := `{"errno":0,"error":"success","total":200,"entities":[`
	for k := range 20 {
		if k > 0 {
			body += ","
		}
		n := i*20 + k
		body += `{"dateTime":` + strconv.Itoa(1623835790000+n*60000) + `,"system":"canteen","merchant":"No. 1 Canteen","description":"lunch #` +
			strconv.Itoa(n) + `","amount":-5.5,"cardBalance":` + strconv.Itoa(300-n) + `.18}`
	}
	return []byte(body + "]}")
}
