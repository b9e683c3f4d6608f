package cli

import (
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// The helpers below are what the generated per-operation commands call:
// each command parses its flags into the SDK's parameters, calls the SDK
// and hands the result here.

// opStart resolves the output format and the API client of an operation
// command.
func (a *app) opStart(format string) (*api.Client, string, error) {
	f, err := resolveFormat(format, a.env.StdoutTTY)
	if err != nil {
		return nil, "", err
	}
	c, err := a.apiClient()
	return c, f, err
}

// apiErr turns an SDK error into the command's error: those a login cures
// say so, and an argument the SDK refuses before sending is a usage error.
func (a *app) apiErr(err error) error {
	if errors.Is(err, api.ErrInvalidArgument) {
		return &usageError{err}
	}
	return needLogin(err, a.settings.profile.v)
}

// printOne writes the single entity an operation returned.
func printOne[T any](a *app, format string, v *T, err error) error {
	if err != nil {
		return a.apiErr(err)
	}
	return writeOne(format, a.env.Stdout, v, a.env.Width)
}

// printList writes the entities of one reply of a list operation.
func printList[T any](a *app, format string, l *api.List[T], err error) error {
	if err != nil {
		return a.apiErr(err)
	}
	lw := newListWriter(format, a.env.Stdout, a.env.Width)
	for i := range l.Items {
		if err := lw.Item(&l.Items[i]); err != nil {
			return err
		}
	}
	return lw.Close()
}

// printSeq streams the items of a paging iterator as they come: memory
// stays flat whatever their number. limit > 0 stops after that many items.
// On a terminal, stderr shows the pages and items so far.
func printSeq[T any](a *app, format, what string, limit int, seq iter.Seq2[T, error]) error {
	lw := newListWriter(format, a.env.Stdout, a.env.Width)
	p := a.newProgress(what)
	defer p.done()
	n := 0
	for v, err := range seq {
		if err != nil {
			// What was written so far stays valid output.
			_ = lw.Close()
			return a.apiErr(err)
		}
		if err := lw.Item(&v); err != nil {
			return err
		}
		p.item()
		if n++; limit > 0 && n >= limit {
			break
		}
	}
	return lw.Close()
}

// limitFlag adds --limit to a command that pages.
func limitFlag(fs *pflag.FlagSet, p *int) {
	fs.IntVar(p, "limit", 0, "stop after this many items (0: all)")
}

// timeValue is a flag holding a time: a date (2024-09-01), a date and time
// (2024-09-01 08:00[:05]) in China Standard Time, or RFC 3339. With endOfDay,
// a bare date means the end of that day, so that a range's last day counts.
type timeValue struct {
	t        *time.Time
	endOfDay bool
}

// timeLayouts are the accepted forms, in China Standard Time unless they
// carry a zone.
var timeLayouts = []string{"2006-01-02", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339Nano}

func (v *timeValue) String() string {
	if v.t == nil || v.t.IsZero() {
		return ""
	}
	return v.t.In(cst).Format("2006-01-02 15:04:05")
}

func (v *timeValue) Set(s string) error {
	s = strings.TrimSpace(s)
	for i, layout := range timeLayouts {
		t, err := time.ParseInLocation(layout, s, cst)
		if err != nil {
			continue
		}
		if i == 0 && v.endOfDay {
			t = t.AddDate(0, 0, 1).Add(-time.Millisecond)
		}
		*v.t = t
		return nil
	}
	return fmt.Errorf("%q is not a date (2024-09-01), a date and time (2024-09-01 08:00) or RFC 3339", s)
}

func (v *timeValue) Type() string { return "time" }

// timeFlag adds a time flag; see timeValue.
func timeFlag(fs *pflag.FlagSet, p *time.Time, name, usage string, endOfDay bool) {
	fs.Var(&timeValue{t: p, endOfDay: endOfDay}, name, usage)
}

// annOperation is the annotation naming a command's operation.
const annOperation = "jaccount/operation"

// operation is one operation of the spec, for `jaccount api`.
type operation struct {
	id, method, path string
	entities         string // single, list or none
	pathParams       []string
}

// boolPtrFlag adds a flag for an optional bool parameter: nil until set.
func boolPtrFlag(fs *pflag.FlagSet, p **bool, name, usage string) {
	fs.BoolFunc(name, usage, func(s string) error {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		*p = &v
		return nil
	})
}

// queryFlag defines --query key=value (repeatable), the further query
// parameters of an operation whose documentation does not list them
// (x-jaccount-open-query): each adds value to key in *q.
func queryFlag(fs *pflag.FlagSet, q *url.Values) {
	fs.Func("query", "a further query parameter as key=value (repeatable): the documentation available does not list this operation's", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("want key=value, not %q", s)
		}
		if *q == nil {
			*q = url.Values{}
		}
		q.Add(k, v)
		return nil
	})
}
