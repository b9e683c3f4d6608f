package jaccounttest

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"
)

func TestHandlersAreOperations(t *testing.T) {
	t.Parallel()
	for id := range handlers {
		if !slices.ContainsFunc(operations, func(op operation) bool { return op.id == id }) {
			t.Errorf("handler for %s, which the spec does not have", id)
		}
	}
}

// TestOnlyAppsKnown: every application an operation admits alone
// (x-jaccount-only-app) is one the fake can tell (onlyApps); another would
// be refused to every client.
func TestOnlyAppsKnown(t *testing.T) {
	t.Parallel()
	n := 0
	for _, op := range operations {
		if op.onlyApp == "" {
			continue
		}
		n++
		if onlyApps[op.onlyApp] == nil {
			t.Errorf("%s: admits only %q, which the fake cannot tell from other applications", op.id, op.onlyApp)
		}
	}
	if n == 0 {
		t.Error("no operation admits one application only; the 思源码 family should (x-jaccount-only-app)")
	}
}

func TestRouteMatching(t *testing.T) {
	t.Parallel()
	ops := []operation{
		{id: "card", method: "GET", path: "/v1/me/card/{x}"},
		{id: "tx", method: "GET", path: "/v1/me/card/transactions"},
		{id: "pos", method: "PUT", path: "/v1/enterprise/position/{dept}:{post}/users"},
		{id: "qr", method: "GET", path: "/v1/barcode/qr/{fileName}.{imageType}"},
	}
	var rs []route
	for i := range ops {
		rs = append(rs, compileRoute(&ops[i]))
	}
	slices.SortStableFunc(rs, func(a, b route) int { return b.literal - a.literal })
	find := func(method, path string) (string, []string) {
		for _, rt := range rs {
			if m := rt.re.FindStringSubmatch(path); m != nil && rt.op.method == method {
				return rt.op.id, m[1:]
			}
		}
		return "", nil
	}
	tests := []struct {
		method, path, id string
		values           []string
	}{
		{"GET", "/v1/me/card/transactions", "tx", []string{}},
		{"GET", "/v1/me/card/photo", "card", []string{"photo"}},
		{"GET", "/v1/me/card/a%2Fb", "card", []string{"a%2Fb"}},
		{"GET", "/v1/me/card/a/b", "", nil},
		{"PUT", "/v1/enterprise/position/D1:P2/users", "pos", []string{"D1", "P2"}},
		{"GET", "/v1/barcode/qr/ticket.png", "qr", []string{"ticket", "png"}},
	}
	for _, tt := range tests {
		id, vals := find(tt.method, tt.path)
		if id != tt.id || (tt.values != nil && !slices.Equal(vals, tt.values)) {
			t.Errorf("%s %s: matched %q %v, want %q %v", tt.method, tt.path, id, vals, tt.id, tt.values)
		}
	}
}

func TestPageOf(t *testing.T) {
	t.Parallel()
	items := []int{1, 2, 3, 4, 5, 6, 7}
	tests := []struct {
		name   string
		pg     paging
		q      url.Values
		status int
		want   []int
		next   bool
	}{
		{"token first page", paging{style: "token", token: "pageToken", limit: "limit"}, url.Values{"limit": {"3"}}, 200, []int{1, 2, 3}, true},
		{"token later page", paging{style: "token", token: "pageToken"}, url.Values{"pageToken": {encodePageToken(5)}}, 200, []int{6, 7}, false},
		{"token bad", paging{style: "token", token: "pageToken"}, url.Values{"pageToken": {"zz"}}, 400, nil, false},
		{"start-limit", paging{style: "start-limit", start: "start", limit: "limit"}, url.Values{"start": {"2"}, "limit": {"2"}}, 200, []int{3, 4}, false},
		{"start past end", paging{style: "start-limit", start: "start", limit: "limit"}, url.Values{"start": {"8"}}, 400, nil, false},
		{"start at end", paging{style: "start-limit", start: "start", limit: "limit"}, url.Values{"start": {"7"}}, 200, []int{}, false},
		{"first-offset", paging{style: "first-offset", first: "first", offset: "offset", maxPageSize: 200}, url.Values{"first": {"6"}, "offset": {"5"}}, 200, []int{6, 7}, false},
		{"first zero", paging{style: "first-offset", first: "first", offset: "offset"}, url.Values{"first": {"0"}}, 400, nil, false},
		{"offset too big", paging{style: "first-offset", first: "first", offset: "offset", maxPageSize: 200}, url.Values{"offset": {"201"}}, 400, nil, false},
	}
	for _, tt := range tests {
		rep := pageOf(&tt.pg, tt.q, items, 4)
		if rep.status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, rep.status, tt.status)
			continue
		}
		if tt.status != 200 {
			continue
		}
		b, _ := json.Marshal(rep.body)
		var env struct {
			Total     int
			NextToken string
			Entities  []int
		}
		if err := json.Unmarshal(b, &env); err != nil || !slices.Equal(env.Entities, tt.want) || env.Total != 7 || (env.NextToken != "") != tt.next {
			t.Errorf("%s: %s, want entities %v, total 7, next token %v", tt.name, b, tt.want, tt.next)
		}
	}
}
