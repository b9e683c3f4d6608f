package cli

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
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

// newListWriter returns the writer of o to w for entities of type t, whose
// columns (for CSV and tables) are t's, so that an empty list still has its
// header; for free-form entities (maps, raw JSON), they are the first
// entity's keys.
func newListWriter(o output, w io.Writer, t reflect.Type) listWriter {
	b := newOut(w)
	switch o.format {
	case formatJSONL:
		return &jsonlWriter{o: b, iso: o.isoJSON}
	case formatCSV:
		return &csvWriter{o: b, w: csv.NewWriter(b.w), out: o, cols: structColumns(t)}
	case formatTable:
		return newTableWriter(b, o, structColumns(t))
	}
	return &jsonWriter{o: b, iso: o.isoJSON}
}

// encodeJSON is v's compact JSON, its times ISO 8601 with iso.
func encodeJSON(v any, iso bool) ([]byte, error) {
	b, err := marshalCompact(v)
	if err == nil && iso {
		b, err = isoJSON(b, reflect.TypeOf(v))
	}
	return b, err
}

// jsonWriter writes a JSON array, one indented element at a time.
type jsonWriter struct {
	o   *out
	iso bool
	n   int
	buf bytes.Buffer
}

func (j *jsonWriter) Item(v any) error {
	b, err := encodeJSON(v, j.iso)
	if err != nil {
		return err
	}
	j.buf.Reset()
	if err := json.Indent(&j.buf, b, "  ", "  "); err != nil {
		return err
	}
	sep := ",\n  "
	if j.n == 0 {
		sep = "[\n  "
	}
	j.n++
	j.o.w.WriteString(sep)
	j.o.w.Write(j.buf.Bytes())
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
type jsonlWriter struct {
	o   *out
	iso bool
}

func (j *jsonlWriter) Item(v any) error {
	b, err := encodeJSON(v, j.iso)
	if err != nil {
		return err
	}
	j.o.w.Write(b)
	j.o.w.WriteByte('\n')
	return j.o.tick()
}

func (j *jsonlWriter) Close() error { return j.o.w.Flush() }

// csvWriter writes a header (the columns of the entities' type, or of the
// first entity for free-form ones) and one record per entity.
type csvWriter struct {
	o      *out
	w      *csv.Writer
	out    output
	cols   []column
	header bool // written
	rec    []string
}

// writeHeader writes the header once, if the columns are known.
func (c *csvWriter) writeHeader() error {
	if c.header || c.cols == nil {
		return nil
	}
	c.header = true
	c.rec = c.rec[:0]
	for _, col := range c.cols {
		c.rec = append(c.rec, col.name)
	}
	return c.w.Write(c.rec)
}

func (c *csvWriter) Item(v any) error {
	if c.cols == nil {
		c.cols = columnsFor(v)
	}
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.rec = row(c.cols, v, &c.out, c.rec)
	if err := c.w.Write(c.rec); err != nil {
		return err
	}
	return c.o.tick()
}

func (c *csvWriter) Close() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
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
	out    output
	width  int
	cols   []column
	head   []string
	sample [][]string
	widths []int
	shown  int // columns shown, from the left
}

// newTableWriter returns a table writer over cols, the columns of the
// entities' type (nil: the first entity's).
func newTableWriter(o *out, out output, cols []column) *tableWriter {
	t := &tableWriter{o: o, out: out, width: out.width}
	if cols != nil {
		t.setColumns(cols)
	}
	return t
}

// setColumns shows the scalar columns of all (all of them if none is).
func (t *tableWriter) setColumns(all []column) {
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

// Table layout constants.
const (
	tableSample = 50
	tableGap    = 2
	maxCell     = 40
	minCell     = 12
)

func (t *tableWriter) Item(v any) error {
	if t.cols == nil {
		t.setColumns(columnsFor(v))
	}
	r := row(t.cols, v, &t.out, nil)
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

// writeOne writes a single entity: JSON (indented), one JSON line, a CSV
// header and record, or a two-column table of its fields.
func writeOne(o output, w io.Writer, v any) error {
	switch o.format {
	case formatJSON:
		b, err := encodeJSON(v, o.isoJSON)
		if err != nil {
			return err
		}
		var ind bytes.Buffer
		if err := json.Indent(&ind, b, "", "  "); err != nil {
			return err
		}
		ind.WriteByte('\n')
		_, err = w.Write(ind.Bytes())
		return err
	case formatTable:
		return writeFields(w, columnsFor(v), v, &o)
	}
	lw := newListWriter(o, w, reflect.TypeOf(v))
	if err := lw.Item(v); err != nil {
		return err
	}
	return lw.Close()
}

// writeFields writes "FIELD  value" lines, skipping empty values.
func writeFields(w io.Writer, cols []column, v any, o *output) error {
	cells := row(cols, v, o, nil)
	kw := 0
	for i, c := range cols {
		if cells[i] != "" {
			kw = max(kw, uniseg.StringWidth(c.name))
		}
	}
	bw := bufio.NewWriter(w)
	for i, c := range cols {
		val := oneLineCell(cells[i])
		if val == "" {
			continue
		}
		if o.width > 0 {
			val = fit(val, max(o.width-kw-tableGap, 8))
		}
		fmt.Fprintf(bw, "%s%s%s\n", c.name, strings.Repeat(" ", kw-uniseg.StringWidth(c.name)+tableGap), val)
	}
	return bw.Flush()
}
