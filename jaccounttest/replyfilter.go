package jaccounttest

import (
	"bytes"
	"net/http"
	"strconv"
)

// WithReplyFilter passes the body of every answer of the API servers (the
// open API's and the data resources') through f before it is sent: f gets
// the id of the spec operation the request matched ("" for none), the
// HTTP status and the body, and returns the body to send; the status and
// the headers are kept, the length set anew. The token endpoint and the
// login pages are not filtered.
//
// A test uses it to serve a shape the spec does not model, or to plant a
// marker in every value of every reply and prove that no value reaches a
// report:
//
//	srv := jaccounttest.New(t, jaccounttest.WithReplyFilter(func(op string, status int, body []byte) []byte {
//		if op == "listEnterpriseDepartments" && status == http.StatusOK {
//			return []byte(`{"errno":0,"error":"success","total":1,"entities":[{"id":"01","name":"..."}]}`)
//		}
//		return body
//	}))
//
// f may be called from several goroutines at once. A nil f (the default)
// filters nothing.
func WithReplyFilter(f func(operationID string, status int, body []byte) []byte) Option {
	return optionFunc(func(cfg *config) error { cfg.replyFilter = f; return nil })
}

// filterReplies applies the reply filter to the answers of h, the API
// handler of server; without a filter it is h.
func (s *Server) filterReplies(server string, h http.Handler) http.Handler {
	f := s.cfg.replyFilter
	if f == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := ""
		if rt, _, _ := match(server, r.Method, r.URL.EscapedPath()); rt != nil {
			id = rt.op.id
		}
		bw := &bufferedWriter{header: w.Header(), status: http.StatusOK}
		h.ServeHTTP(bw, r)
		body := f(id, bw.status, bw.body.Bytes())
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(bw.status)
		_, _ = w.Write(body)
	})
}

// bufferedWriter keeps a handler's answer for the filter.
type bufferedWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
