package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// The -sync students mode: an incremental copy of every student record of
// the data resources (GET https://graphql.sjtu.edu.cn/v1/stu/profile) into a
// JSON Lines file, one record a line, upserted by accountNo.
//
// The first run (no state file) fetches every record. It remembers a
// high-water mark in the state file, and each later run asks only for the
// records updated at or after the mark minus an overlap (the API's
// timestamp parameter, "records updated at or after it"), then moves the
// mark on. The mark is:
//
//   - the newest update time among the records fetched, when they carry one
//     (a "timestamp" member, as the documentation's account record does; the
//     documented student fields do not include one, but the list ends with
//     "…"), capped by the time the run started;
//   - otherwise the time the run started, by this machine's clock, taken
//     before the first request: every record updated before then was
//     selected by this run's filter, and one updated while the run walked
//     the pages (perhaps on a page already read) is updated after it, so
//     the next run selects it.
//
// The overlap (-overlap, 5 minutes by default) is subtracted from the mark
// when it is used, so that the next run asks for a little more than what
// changed:
//
//   - clock skew: the mark from this machine's clock is compared with the
//     server's update times; if this clock runs ahead by d, records updated
//     in the last d before the run would otherwise be missed;
//   - late writes: an update stamped with a time before it becomes visible
//     (a long transaction, a replica catching up) lands behind a mark taken
//     in between;
//   - equal timestamps: the filter is inclusive (≥) and has one-second
//     resolution, so a record updated in the same second as the mark is
//     asked for again rather than lost (the overlap only widens this).
//
// A record asked for again is harmless: the output is an upsert by
// accountNo, and a record identical to the stored one is counted as
// unchanged, not as a change. The output is written before the state, each
// by rename, so an interrupted run at worst fetches again what it fetched.

// syncState is what the state file holds between runs.
type syncState struct {
	// Family is what is synced ("students").
	Family string `json:"family"`
	// HighWater is the mark (see above), in China Standard Time.
	HighWater time.Time `json:"highWater"`
	// Basis says where the mark came from: "records" (their timestamps) or
	// "clock" (the run's start).
	Basis string `json:"basis"`
	// Runs counts the runs that completed.
	Runs int `json:"runs"`
	// Records is the number of records in Output after the last run.
	Records int `json:"records"`
	// Output is the JSON Lines file the records are kept in.
	Output string `json:"output"`
}

// chinaTime is the zone of the data resources' times.
var chinaTime = time.FixedZone("CST", 8*3600)

// defaultOverlap is how far before the mark a run asks (see above).
const defaultOverlap = 5 * time.Minute

// syncPaths returns the state and output files: -state, else
// students.state.json next to the token file; -out, else students.jsonl
// next to the state.
func syncPaths(o *options) (state, out string, err error) {
	state = o.statePath
	if state == "" {
		if o.tokenFile == "" {
			return "", "", errors.New("-sync keeps its state next to the token: give -token FILE (or -state FILE)")
		}
		state = filepath.Join(filepath.Dir(o.tokenFile), o.sync+".state.json")
	}
	out = o.outPath
	if out == "" {
		out = filepath.Join(filepath.Dir(state), o.sync+".jsonl")
	}
	return state, out, nil
}

// runSync is the -sync mode.
func runSync(ctx context.Context, env *setup.Env, o *options, stdout, stderr io.Writer) error {
	if o.sync != "students" {
		return fmt.Errorf("-sync %q: only students is supported", o.sync)
	}
	statePath, outPath, err := syncPaths(o)
	if err != nil {
		return err
	}
	where := env.Where()
	if env.Fake != nil {
		where += ", data resources at " + env.Fake.DataURL()
	}
	fmt.Fprintf(stderr, "batch -sync %s against %s\n", o.sync, where)

	st, err := loadState(statePath)
	if err != nil {
		return err
	}
	records, err := loadRecords(outPath)
	if err != nil {
		return err
	}

	store, err := openStore(ctx, env, o)
	if err != nil {
		return err
	}
	var sopts []auth.SourceOption
	if store != nil {
		defer store.close()
		sopts = append(sopts, auth.WithStore(store.TokenStore))
	}
	ts, err := env.Config.ClientCredentialsSource(api.ScopeStrings(api.ScopeExchangeData), sopts...)
	if err != nil {
		return err
	}
	tokenWhere := "not kept"
	if store != nil {
		tokenWhere = "kept in " + store.where
	}
	fmt.Fprintf(stderr, "token: client credentials with scope %s, %s\n", api.ScopeExchangeData, tokenWhere)
	dc, err := env.NewDataAPI(ts)
	if err != nil {
		return err
	}

	p := api.StudentsListParams{Offset: o.pageSize}
	if st == nil {
		fmt.Fprintf(stderr, "sync: no state in %s: a full sync of every student\n", statePath)
	} else {
		p.UpdatedSince = st.HighWater.Add(-o.overlap)
		fmt.Fprintf(stderr, "sync: run %d; high-water mark %s (%s), so asking for the records updated since %s (the mark minus the %v overlap)\n",
			st.Runs+1, cst(st.HighWater), st.Basis, cst(p.UpdatedSince), o.overlap)
		if env.Fake != nil && o.changes > 0 {
			changeStudents(env.Fake, st.Runs, o.changes, stderr)
		}
	}

	started := time.Now()
	var fetched, added, changed, same int
	var newest time.Time
	stamped := true
	var lines []string
	for s, err := range dc.Students.ListIter(ctx, p) {
		if err != nil {
			return fmt.Errorf("sync: after %d records: %w", fetched, err)
		}
		fetched++
		if fetched%max(o.pageSize, 1) == 0 {
			fmt.Fprintf(stderr, "sync: %d records fetched\n", fetched)
		}
		if t, ok := recordTime(s); ok {
			newest = later(newest, t)
		} else {
			stamped = false
		}
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		old, had := records[s.AccountNo]
		switch {
		case !had:
			added++
			lines = append(lines, s.AccountNo+"\tnew")
		case !bytes.Equal(old, b):
			changed++
			lines = append(lines, s.AccountNo+"\tchanged")
		default:
			same++
			continue
		}
		records[s.AccountNo] = b
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}

	next := &syncState{Family: o.sync, HighWater: started, Basis: "clock", Output: outPath, Records: len(records)}
	if st != nil {
		next.Runs = st.Runs
	}
	next.Runs++
	if fetched > 0 && stamped && newest.Before(started) {
		next.HighWater, next.Basis = newest, "records"
	}
	next.HighWater = next.HighWater.In(chinaTime).Truncate(time.Second)
	if err := writeRecords(outPath, records); err != nil {
		return err
	}
	if err := writeJSONFile(statePath, next); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "sync: fetched %d records: %d new, %d changed, %d unchanged (asked for again by the overlap); %s holds %d\n",
		fetched, added, changed, same, outPath, len(records))
	fmt.Fprintf(stderr, "sync: new high-water mark %s (%s), saved in %s\n", cst(next.HighWater), next.Basis, statePath)
	return nil
}

// cst writes t as the data resources do, in China Standard Time.
func cst(t time.Time) string { return api.FormatDataTime(t) + " CST" }

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// recordTime returns a record's own update time: its "timestamp" member,
// which the documented student fields lack but a record may carry (kept in
// AdditionalProperties), as the account records do.
func recordTime(s api.DataStudent) (time.Time, bool) {
	v, ok := s.AdditionalProperties["timestamp"].(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := api.ParseDataTime(v)
	return t, err == nil
}

// changeStudents stands, against the embedded fake (whose records die with
// each run's process), for what changed since the last run: it updates n
// students, different ones each run.
func changeStudents(fake *jaccounttest.Server, run, n int, stderr io.Writer) {
	all := jaccounttest.DefaultStudents()
	var names []string
	for k := range n {
		acc := all[(run*37+k*53+7)%len(all)].Entity.AccountNo
		fake.UpdateStudent(acc, func(s *gen.DataStudent) { s.Sj = fmt.Sprintf("139%04d%04d", run+1, k) })
		names = append(names, acc)
	}
	slices.Sort(names)
	fmt.Fprintf(stderr, "fake: %d student records changed since the last run (-changes %d): %s\n", n, n, strings.Join(names, " "))
}

// loadState reads the state file; nil when there is none (the first run).
func loadState(path string) (*syncState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sync state: %w", err)
	}
	var st syncState
	if err := json.Unmarshal(b, &st); err != nil || st.HighWater.IsZero() {
		return nil, fmt.Errorf("sync state %s: not a state file (%v); remove it for a full sync", path, err)
	}
	return &st, nil
}

// loadRecords reads the JSON Lines output into a map by accountNo.
func loadRecords(path string) (map[string]json.RawMessage, error) {
	records := map[string]json.RawMessage{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return records, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sync output: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var key struct {
			AccountNo string `json:"accountNo"`
		}
		if err := json.Unmarshal(line, &key); err != nil || key.AccountNo == "" {
			return nil, fmt.Errorf("sync output %s line %d: not a record with an accountNo", path, n)
		}
		records[key.AccountNo] = bytes.Clone(line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sync output %s: %w", path, err)
	}
	return records, nil
}

// writeRecords writes the records, sorted by accountNo, one a line.
func writeRecords(path string, records map[string]json.RawMessage) error {
	var buf bytes.Buffer
	for _, k := range slices.Sorted(maps.Keys(records)) {
		buf.Write(records[k])
		buf.WriteByte('\n')
	}
	return writeFileAtomic(path, buf.Bytes())
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// writeFileAtomic replaces path with data by writing a temporary file next
// to it and renaming it over path.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
