package cli

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rivo/uniseg"
)

// The output formats.
const (
	formatJSON  = "json"
	formatJSONL = "jsonl"
	formatCSV   = "csv"
	formatTable = "table"
)

var formats = []string{formatJSON, formatJSONL, formatCSV, formatTable}

// resolveFormat returns the format asked for, or table on a terminal and
// JSON otherwise.
func resolveFormat(flag string, tty bool) (string, error) {
	switch {
	case flag == "" && tty:
		return formatTable, nil
	case flag == "":
		return formatJSON, nil
	case slices.Contains(formats, flag):
		return flag, nil
	}
	return "", usagef("--format %q: want one of %s", flag, strings.Join(formats, ", "))
}

// marshalCompact is json.Marshal without HTML escaping.
func marshalCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// marshalIndent is json.MarshalIndent without HTML escaping.
func marshalIndent(v any, prefix string) ([]byte, error) {
	b, err := marshalCompact(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, prefix, "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// listWriter writes a stream of entities, one at a time, so that memory
// does not grow with their number. Close ends the output.
type listWriter interface {
	Item(v any) error
	Close() error
}

// flushEvery is how often streamed output is flushed to a terminal or
// pipe, so that a slow export shows its rows as they come.
const flushEvery = 200 * time.Millisecond

// out is a buffered stdout flushed now and then.
type out struct {
	w    *bufio.Writer
	last time.Time
}

func newOut(w io.Writer) *out { return &out{w: bufio.NewWriterSize(w, 64<<10), last: time.Now()} }

// tick flushes when the last flush is long enough ago.
func (o *out) tick() error {
	if now := time.Now(); now.Sub(o.last) >= flushEvery {
		o.last = now
		return o.w.Flush()
	}
	return nil
}

// newListWriter returns the writer of format to w. width is the terminal's
// width for tables (0: unknown).
func newListWriter(format string, w io.Writer, width int) listWriter {
	o := newOut(w)
	switch format {
	case formatJSONL:
		return &jsonlWriter{o: o}
	case formatCSV:
		return &csvWriter{o: o, w: csv.NewWriter(o.w)}
	case formatTable:
		return &tableWriter{o: o, width: width}
	}
	return &jsonWriter{o: o}
}

// jsonWriter writes a JSON array, one indented element at a time.
type jsonWriter struct {
	o *out
	n int
}

func (j *jsonWriter) Item(v any) error {
	b, err := marshalIndent(v, "  ")
	if err != nil {
		return err
	}
	sep := ",\n  "
	if j.n == 0 {
		sep = "[\n  "
	}
	j.n++
	j.o.w.WriteString(sep)
	j.o.w.Write(b)
	return j.o.tick()
}

func (j *jsonWriter) Close() error {
	if j.n == 0 {
		j.o.w.WriteString("[]\n")
	} else {
		j.o.w.WriteString("\n]\n")
	}
	return j.o.w.Flush()
}

// jsonlWriter writes one compact JSON value per line.
type jsonlWriter struct{ o *out }

func (j *jsonlWriter) Item(v any) error {
	b, err := marshalCompact(v)
	if err != nil {
		return err
	}
	j.o.w.Write(b)
	j.o.w.WriteByte('\n')
	return j.o.tick()
}

func (j *jsonlWriter) Close() error { return j.o.w.Flush() }

// csvWriter writes a header (the columns of the first entity's type) and
// one record per entity.
type csvWriter struct {
	o    *out
	w    *csv.Writer
	cols []column
	rec  []string
}

func (c *csvWriter) Item(v any) error {
	if c.cols == nil {
		c.cols = columnsFor(v)
		c.rec = c.rec[:0]
		for _, col := range c.cols {
			c.rec = append(c.rec, col.name)
		}
		if err := c.w.Write(c.rec); err != nil {
			return err
		}
	}
	c.rec = row(c.cols, v, c.rec)
	if err := c.w.Write(c.rec); err != nil {
		return err
	}
	if err := c.o.tick(); err != nil {
		return err
	}
	return nil
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.o.w.Flush()
}

// tableWriter aligns columns for a terminal. It sizes the columns from the
// first rows it sees (tableSample), prints them, and then prints each later
// row at once with the same widths, so a long listing streams and memory
// stays flat. Cells are measured in display cells (CJK characters take two).
// Arrays and objects are left out (the other formats have them), and on a
// terminal the columns are narrowed, then the last ones dropped, to fit.
type tableWriter struct {
	o      *out
	width  int
	cols   []column
	head   []string
	sample [][]string
	widths []int
	shown  int // columns shown, from the left
}

// Table layout constants.
const (
	tableSample = 50
	tableGap    = 2
	maxCell     = 40
	minCell     = 12
)

func (t *tableWriter) Item(v any) error {
	if t.cols == nil {
		all := columnsFor(v)
		t.cols = all[:0:0]
		for _, c := range all {
			if !c.nested {
				t.cols = append(t.cols, c)
			}
		}
		if len(t.cols) == 0 {
			t.cols = all
		}
		for _, c := range t.cols {
			t.head = append(t.head, strings.ToUpper(c.name))
		}
	}
	r := row(t.cols, v, nil)
	for i, c := range t.cols {
		r[i] = humanCell(c.name, r[i])
	}
	if t.widths == nil {
		t.sample = append(t.sample, r)
		if len(t.sample) < tableSample {
			return nil
		}
		t.layout()
		return t.o.tick()
	}
	t.line(r)
	return t.o.tick()
}

// layout fixes the widths from the header and the sample, prints them and
// drops the sample.
func (t *tableWriter) layout() {
	t.widths = make([]int, len(t.head))
	t.shown = len(t.head)
	for i, h := range t.head {
		t.widths[i] = uniseg.StringWidth(h)
	}
	for _, r := range t.sample {
		for i, c := range r {
			cw := uniseg.StringWidth(c)
			if t.width > 0 {
				cw = min(cw, maxCell)
			}
			t.widths[i] = max(t.widths[i], cw)
		}
	}
	if t.width > 0 {
		// Narrow the widest columns down to minCell, then drop columns
		// from the right, until a line fits.
		for total(t.widths[:t.shown]) > t.width {
			if i := widest(t.widths[:t.shown]); t.widths[i] > minCell {
				t.widths[i]--
			} else if t.shown > 1 {
				t.shown--
			} else {
				break
			}
		}
	}
	t.line(t.head)
	for _, r := range t.sample {
		t.line(r)
	}
	t.sample = nil
}

func total(ws []int) int {
	n := 0
	for _, w := range ws {
		n += w + tableGap
	}
	return n - tableGap
}

func widest(ws []int) int {
	best := 0
	for i, w := range ws {
		if w > ws[best] {
			best = i
		}
	}
	return best
}

func (t *tableWriter) line(r []string) {
	var b strings.Builder
	r = r[:t.shown]
	for i, c := range r {
		if t.width > 0 {
			c = fit(c, t.widths[i])
		} else {
			c = oneLineCell(c)
		}
		b.WriteString(c)
		if i < len(r)-1 {
			b.WriteString(strings.Repeat(" ", max(t.widths[i]-uniseg.StringWidth(c), 0)+tableGap))
		}
	}
	t.o.w.WriteString(strings.TrimRight(b.String(), " "))
	t.o.w.WriteByte('\n')
}

// oneLineCell replaces line breaks, tabs and every other control
// character (terminal escapes included: cells are server text) with
// spaces.
func oneLineCell(s string) string {
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

// isControl reports C0 and C1 control characters and DEL.
func isControl(r rune) bool { return r < 0x20 || r >= 0x7f && r <= 0x9f }

// fit cuts s to at most w display cells, marking the cut with "…".
func fit(s string, w int) string {
	s = oneLineCell(s)
	if uniseg.StringWidth(s) <= w {
		return s
	}
	var b strings.Builder
	n := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		cw := g.Width()
		if n+cw > w-1 {
			break
		}
		b.WriteString(g.Str())
		n += cw
	}
	return b.String() + "…"
}

func (t *tableWriter) Close() error {
	if t.widths == nil && t.cols != nil {
		t.layout()
	}
	return t.o.w.Flush()
}

// cst is China Standard Time, in which jAccount's times are meant.
var cst = time.FixedZone("CST", 8*3600)

// humanCell shows epoch-millisecond times (columns named ...Time, ...Date
// or dateTime) as local China time in tables; other formats keep the
// API's values.
func humanCell(name, v string) string {
	base := name[strings.LastIndexByte(name, '.')+1:]
	if !strings.HasSuffix(base, "Time") && !strings.HasSuffix(base, "Date") && base != "dateTime" {
		return v
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms < 1e11 {
		return v
	}
	return time.UnixMilli(ms).In(cst).Format("2006-01-02 15:04")
}

// writeOne writes a single entity: JSON (indented), one JSON line, a CSV
// header and record, or a two-column table of its fields.
func writeOne(format string, w io.Writer, v any, width int) error {
	switch format {
	case formatJSON:
		b, err := marshalIndent(v, "")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case formatTable:
		return writeFields(w, columnsFor(v), v, width)
	}
	lw := newListWriter(format, w, width)
	if err := lw.Item(v); err != nil {
		return err
	}
	return lw.Close()
}

// writeFields writes "FIELD  value" lines, skipping empty values.
func writeFields(w io.Writer, cols []column, v any, width int) error {
	cells := row(cols, v, nil)
	kw := 0
	for i, c := range cols {
		if cells[i] != "" {
			kw = max(kw, uniseg.StringWidth(c.name))
		}
	}
	bw := bufio.NewWriter(w)
	for i, c := range cols {
		val := oneLineCell(humanCell(c.name, cells[i]))
		if val == "" {
			continue
		}
		if width > 0 {
			val = fit(val, max(width-kw-tableGap, 8))
		}
		fmt.Fprintf(bw, "%s%s%s\n", c.name, strings.Repeat(" ", kw-uniseg.StringWidth(c.name)+tableGap), val)
	}
	return bw.Flush()
}
