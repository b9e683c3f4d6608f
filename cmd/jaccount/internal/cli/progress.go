package cli

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows pages and items on stderr while a list streams. A nil
// *progress shows nothing.
type progress struct {
	bar   *progressbar.ProgressBar
	what  string
	pages *atomic.Int64 // the API client's page counter
	items int64
	shown time.Time
}

// progressEvery is how often the description is updated.
const progressEvery = 100 * time.Millisecond

// newProgress returns a progress display for what, or nil unless stderr
// is a terminal and stdout is not one: rows printed to the terminal are
// their own progress, and a bar drawn between them would garble both.
func (a *app) newProgress(what string) *progress {
	if !a.env.StderrTTY || a.env.StdoutTTY {
		return nil
	}
	p := &progress{what: what, pages: &a.pages}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(a.env.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionThrottle(progressEvery),
		progressbar.OptionClearOnFinish(),
		// Drawn at once, before the bar's spinner goroutine starts: that
		// goroutine reads the start time without the bar's lock, and the
		// first render, if it came later (a slow first page), would write
		// it concurrently (a data race in progressbar v3.19.1).
		progressbar.OptionSetRenderBlankState(true),
	)
	return p
}

// item counts one item written.
func (p *progress) item() {
	if p == nil {
		return
	}
	p.items++
	if now := time.Now(); now.Sub(p.shown) >= progressEvery {
		p.shown = now
		p.bar.Describe(fmt.Sprintf("%s: %d items, %d pages", p.what, p.items, p.pages.Load()))
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
