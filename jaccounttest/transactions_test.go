package jaccounttest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// transactionsServer is a server whose student has rows card transactions,
// and that student as a principal, for calling the handler directly.
func transactionsServer(tb testing.TB, rows int) (*Server, *principal) {
	tb.Helper()
	u := studentUser()
	u.Transactions = transactions(rows, epochMillis(2020, 1, 1, 7, 30), 10)
	s := New(tb, WithUsers(u))
	user := s.users[u.Username]
	return s, &principal{grant: grant{clientID: DefaultClientID, username: u.Username, scopes: []string{"card_transactions"}}, user: user}
}

// transactionsRequest is a request for one page of the card's transactions.
func transactionsRequest(start, limit int) *http.Request {
	return httptest.NewRequest(http.MethodGet,
		"/v1/me/card/transactions?start="+strconv.Itoa(start)+"&limit="+strconv.Itoa(limit), nil)
}

// bytesPerPage is the heap the handler allocates, on average, to answer a
// page of 50 from the middle of the list.
func bytesPerPage(t *testing.T, rows int) uint64 {
	s, p := transactionsServer(t, rows)
	const runs = 20
	r := transactionsRequest(rows/2, 50)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		if rep := s.listMyCardTransactions(r, p); rep.status != http.StatusOK {
			t.Fatalf("status %d: %v", rep.status, rep.body)
		}
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// TestTransactionsPageCost checks that a page of transactions costs what
// the page holds, not what the whole list holds: exporting a long history
// page by page must not cost rows² ÷ page size. Not parallel: it reads the
// process's allocation counter.
func TestTransactionsPageCost(t *testing.T) {
	small, large := bytesPerPage(t, 1_000), bytesPerPage(t, 100_000)
	t.Logf("heap allocated per page of 50: %d B with 1,000 rows, %d B with 100,000 rows", small, large)
	// A page of 50 transactions is a few kilobytes; the whole list of
	// 100,000 is megabytes.
	if large > 64<<10 {
		t.Errorf("a page of 50 out of 100,000 rows allocates %d B, want at most 64 KiB (it must not copy the list)", large)
	}
}

// TestTransactionsPageOrderAndRange checks the pages against a plain
// filter of the whole list, newest first: every start, every limit, with
// and without a date range, and with transactions at equal times.
func TestTransactionsPageOrderAndRange(t *testing.T) {
	t.Parallel()
	u := studentUser()
	u.Transactions = transactions(23, 1_000_000, 1)
	// Equal times: the later one in the list comes first.
	u.Transactions[7].DateTime = u.Transactions[6].DateTime
	u.Transactions[8].DateTime = u.Transactions[6].DateTime
	s := New(t, WithUsers(u))
	p := &principal{grant: grant{username: u.Username}, user: s.users[u.Username]}
	all := u.Transactions
	for _, rng := range []struct{ begin, end int64 }{
		{0, 0}, {all[6].DateTime, 0}, {0, all[6].DateTime}, {all[3].DateTime, all[19].DateTime}, {all[22].DateTime + 1, 0},
	} {
		var want []gen.CardTransaction
		for i := len(all) - 1; i >= 0; i-- {
			if t := all[i].DateTime; t >= rng.begin && (rng.end == 0 || t <= rng.end) {
				want = append(want, all[i])
			}
		}
		// start is a multiple of limit (evidence E8); limit 0 is every item.
		for _, limit := range []int{1, 2, 5, 30, 0} {
			step := limit
			if step == 0 {
				step = len(want) + 1 // one request
			}
			for start := 0; start <= len(want); start += step {
				q := "start=" + strconv.Itoa(start) + "&limit=" + strconv.Itoa(limit)
				if limit == 0 && rng.begin == 0 {
					q += "&beginDate=0" // limit=0 needs beginDate
				}
				if rng.begin != 0 {
					q += "&beginDate=" + strconv.FormatInt(rng.begin, 10)
				}
				if rng.end != 0 {
					q += "&endDate=" + strconv.FormatInt(rng.end, 10)
				}
				rep := s.listMyCardTransactions(httptest.NewRequest(http.MethodGet, "/v1/me/card/transactions?"+q, nil), p)
				pg, isPage := rep.body.(*page[gen.CardTransaction])
				if rep.status != http.StatusOK || !isPage {
					t.Fatalf("%s: status %d %v", q, rep.status, rep.body)
				}
				end := len(want)
				if limit > 0 {
					end = min(start+limit, len(want))
				}
				if pg.Total != int64(len(want)) || len(pg.Entities) != end-start {
					t.Fatalf("%s: total %d, %d entities; want %d and %d", q, pg.Total, len(pg.Entities), len(want), end-start)
				}
				for i, tx := range pg.Entities {
					if tx.Description != want[start+i].Description {
						t.Fatalf("%s: entity %d is %q, want %q", q, i, tx.Description, want[start+i].Description)
					}
				}
			}
		}
	}
}

// TestCardTransactionsRules checks the rules card.html gives (evidence E8,
// read second-hand from the live page): start is a multiple of the page
// size, limit is at most 100 and 0 turns paging off but needs beginDate,
// orderBy takes dateTime or dateTimeAccount, and only the latter carries
// dateTimAccount.
func TestCardTransactionsRules(t *testing.T) {
	t.Parallel()
	s := New(t, WithPageSize(10))
	p := &principal{grant: grant{username: StudentUsername}, user: s.users[StudentUsername]}
	n := len(s.users[StudentUsername].Transactions)
	for _, tt := range []struct {
		query    string
		status   int
		entities int
		detail   string
	}{
		{"start=40&limit=5", 200, 5, ""},
		{"start=40", 200, 5, ""}, // the default page size, 10: the last page
		{"start=41&limit=5", 400, 0, "start must be a multiple of limit"},
		{"start=5", 400, 0, "start must be a multiple of limit"},
		{"limit=100", 200, n, ""},
		{"limit=101", 400, 0, "bad page size"},
		{"limit=0", 400, 0, "beginDate is required with limit=0"},
		{"limit=0&beginDate=0", 200, n, ""},
		{"limit=0&start=7&beginDate=0", 200, n, ""}, // no paging, so any start
		{"orderBy=dateTime&limit=3", 200, 3, ""},
		{"orderBy=dateTimeAccount&limit=3", 200, 3, ""},
		{"orderBy=amount", 400, 0, "orderBy"},
	} {
		rep := s.listMyCardTransactions(httptest.NewRequest(http.MethodGet, "/v1/me/card/transactions?"+tt.query, nil), p)
		if rep.status != tt.status {
			t.Errorf("%s: status %d %v, want %d", tt.query, rep.status, rep.body, tt.status)
			continue
		}
		if tt.status != 200 {
			b, _ := json.Marshal(rep.body)
			if !strings.Contains(string(b), tt.detail) {
				t.Errorf("%s: %s, want it to say %q", tt.query, b, tt.detail)
			}
			continue
		}
		pg := rep.body.(*page[gen.CardTransaction])
		if len(pg.Entities) != tt.entities || pg.Total != int64(n) {
			t.Errorf("%s: %d entities, total %d; want %d and %d", tt.query, len(pg.Entities), pg.Total, tt.entities, n)
		}
		byAccount := strings.Contains(tt.query, "orderBy=dateTimeAccount")
		for _, tx := range pg.Entities {
			if (tx.DateTimeAccount != 0) != byAccount || (byAccount && tx.DateTimeAccount < tx.DateTime) {
				t.Errorf("%s: dateTimAccount %d beside dateTime %d", tt.query, tx.DateTimeAccount, tx.DateTime)
				break
			}
		}
		if byAccount {
			b, _ := json.Marshal(pg.Entities[0])
			if !strings.Contains(string(b), `"dateTimAccount":`) {
				t.Errorf("%s: %s lacks the member dateTimAccount, spelled as the live service spells it", tt.query, b)
			}
		}
	}
}

// TestTransactionsSortedOnce checks that transactions given out of order
// are served newest first all the same (the server sorts its copy once).
func TestTransactionsSortedOnce(t *testing.T) {
	t.Parallel()
	u := studentUser()
	u.Transactions = transactions(10, 1_000_000, 1)
	u.Transactions[2], u.Transactions[8] = u.Transactions[8], u.Transactions[2]
	s := New(t, WithUsers(u))
	p := &principal{grant: grant{username: u.Username}, user: s.users[u.Username]}
	rep := s.listMyCardTransactions(transactionsRequest(0, 10), p)
	pg := rep.body.(*page[gen.CardTransaction])
	for i := 1; i < len(pg.Entities); i++ {
		if pg.Entities[i-1].DateTime < pg.Entities[i].DateTime {
			t.Fatalf("entity %d (%d) is older than entity %d (%d)", i-1, pg.Entities[i-1].DateTime, i, pg.Entities[i].DateTime)
		}
	}
	if u.Transactions[2].Description != "日用品 #9" {
		t.Errorf("the caller's slice was reordered: %q", u.Transactions[2].Description)
	}
}

// BenchmarkCardTransactionsPage measures the handler of the card's
// transactions: one page of 50 from the middle of the list, for lists of
// several lengths (its cost must not grow with the list), and a whole walk
// of 100,000 transactions by pages of 100.
func BenchmarkCardTransactionsPage(b *testing.B) {
	for _, rows := range []int{1_000, 10_000, 100_000} {
		b.Run("rows="+strconv.Itoa(rows), func(b *testing.B) {
			s, p := transactionsServer(b, rows)
			r := transactionsRequest(rows/2, 50)
			b.ReportAllocs()
			for b.Loop() {
				if rep := s.listMyCardTransactions(r, p); rep.status != http.StatusOK {
					b.Fatal(rep.status)
				}
			}
		})
	}
	b.Run("walk/rows=100000/limit=100", func(b *testing.B) {
		const rows, limit = 100_000, 100
		s, p := transactionsServer(b, rows)
		b.ReportAllocs()
		for b.Loop() {
			for start := 0; start < rows; start += limit {
				if rep := s.listMyCardTransactions(transactionsRequest(start, limit), p); rep.status != http.StatusOK {
					b.Fatal(rep.status)
				}
			}
		}
	})
}
