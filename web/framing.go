package web

import (
	"net/http"
	"strings"
)

// Every response the Handler writes itself (its routes, RequireUser's
// redirects and refusals, the error pages) forbids being framed, so that
// no other site can lay its pages, a logout button among them, under a
// decoy and have them clicked (clickjacking). Both headers are sent:
// Content-Security-Policy's frame-ancestors for current browsers,
// X-Frame-Options for older ones. The application's own pages are its to
// decide; User.LogoutForm's doc says why they should do the same.
const (
	frameOptions   = "DENY"
	frameAncestors = "frame-ancestors 'none'"
)

// forbidFraming sets X-Frame-Options and adds frame-ancestors 'none' as a
// policy of its own, unless a policy the header carries has it already. A
// policy set before (by the application's middleware, say) is kept: a
// browser enforces every policy it gets, so adding one only narrows.
func forbidFraming(h http.Header) {
	h.Set("X-Frame-Options", frameOptions)
	for _, policy := range h.Values("Content-Security-Policy") {
		for d := range strings.SplitSeq(policy, ";") {
			if strings.EqualFold(strings.Join(strings.Fields(d), " "), frameAncestors) {
				return
			}
		}
	}
	h.Add("Content-Security-Policy", frameAncestors)
}

// framingGuard is the ResponseWriter an ErrorHandler writes to: whatever
// headers the handler sets, the response forbids framing when it is sent.
type framingGuard struct {
	http.ResponseWriter
	sent bool
}

// WriteHeader implements http.ResponseWriter.
func (g *framingGuard) WriteHeader(code int) {
	if !g.sent && code >= 200 { // 1xx responses come before the page
		g.sent = true
		forbidFraming(g.Header())
	}
	g.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (g *framingGuard) Write(b []byte) (int, error) {
	if !g.sent {
		g.WriteHeader(http.StatusOK)
	}
	return g.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (g *framingGuard) Unwrap() http.ResponseWriter { return g.ResponseWriter }
