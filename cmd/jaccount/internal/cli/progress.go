package cli

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows pages and items on stderr while a list streams. A nil
// *progress (stderr is not a terminal) shows nothing.
type progress struct {
	bar   *progressbar.ProgressBar
	what  string
	pages *atomic.Int64 // the API client's page counter
	items int64
}

// newProgress returns a progress display for what, or nil when stderr is
// not a terminal.
func (a *app) newProgress(what string) *progress {
	if !a.env.StderrTTY {
		return nil
	}
	p := &progress{what: what, pages: &a.pages}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(a.env.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("items"),
		progressbar.OptionShowIts(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return p
}

// item counts one item written.
func (p *progress) item() {
	if p == nil {
		return
	}
	p.items++
	if n := p.pages.Load(); n > 0 {
		p.bar.Describe(fmt.Sprintf("%s, page %d", p.what, n))
	}
	_ = p.bar.Add(1)
}

// done removes the display.
func (p *progress) done() {
	if p == nil {
		return
	}
	_ = p.bar.Finish()
}

// pageCounter counts the API's successful replies (one per page) for the
// progress display.
type pageCounter struct {
	next http.RoundTripper
	n    *atomic.Int64
}

// RoundTrip implements http.RoundTripper.
func (c pageCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err == nil && resp.StatusCode/100 == 2 {
		c.n.Add(1)
	}
	return resp, err
}
