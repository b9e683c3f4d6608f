// Command batch is a batch job against the jAccount open API: it looks up a
// list of teaching classes (by class code or bsid) with bounded concurrency,
// shows its progress on stderr, survives transient failures (the API client
// retries them), and keeps the token it renews in a token file.
//
//	go run ./examples/batch [-token FILE | -store redis://HOST:PORT/DB] [-client-credentials] [-concurrency N] [code ...]
//	go run ./examples/batch -sync students -token FILE [-state FILE] [-out FILE] [-overlap D] [-page-size N] [-changes N]
//
// With -sync students it is instead an incremental sync of the data
// resources (graphql.sjtu.edu.cn): every student record into a JSON Lines
// file (-out, default students.jsonl next to the state), upserted by
// accountNo, with a client-credentials token (scope exchange_data) kept in
// -token and a high-water mark kept between runs in a state file next to it
// (students.state.json), so that each run after the first fetches only the
// records updated since the last one. sync.go explains the mark and its
// overlap. Against the embedded fake, whose records die with each run,
// every run after the first changes -changes student records (3 by
// default) before it syncs, to stand for what changed in between: the run
// fetches those only.
//
// The token comes from the token file (refresh-token mode; every renewed
// token, with its rotated refresh token, is saved back), or with
// -client-credentials from jAccount's client mode (saved to -token when
// given). The codes come from the arguments, else from stdin, one a line.
//
// A teaching class is read with a user's token only (the authorization
// code, scope lessons: https://developer.sjtu.edu.cn/api/education.html), so
// in client mode the job looks up users instead: each argument is an
// account (or user id) whose profile it reads (GET /v1/profile/{id}, which
// takes client credentials, scope basic).
//
// With -store redis://… the token is kept in Redis instead (package
// auth/redisstore, under the keys jaccount-batch:token and
// jaccount-batch:lock), so the same job can run as several processes on
// several machines sharing one token: they take turns renewing it and never
// spend a refresh token twice. Against the embedded fake, whose tokens die
// with the process, each run keeps its token under keys of its own and
// removes them at the end.
//
// With no configuration it runs against the embedded fake jAccount: it
// seeds a token file for the fixture student, looks up the fixture classes,
// and (unless -faults=false) makes the fake fail some requests (503s, a
// 429 with Retry-After, an HTML error page, a dropped connection) and
// revoke the access token, to show the job riding them out. With
// JACCOUNT_CLIENT_ID, JACCOUNT_CLIENT_SECRET and JACCOUNT_REDIRECT_URL set it
// runs against the real jAccount.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore"
	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// scope is what the job needs: a user's token for the classes; clientScope
// the application's, for the profiles it looks up in client mode.
const (
	scope       = "lessons"
	clientScope = "basic"
)

func main() {
	setup.Main("batch", func(ctx context.Context, env *setup.Env) error {
		return run(ctx, env, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	})
}

// options are the command line.
type options struct {
	tokenFile         string
	redisURL          string
	clientCredentials bool
	concurrency       int
	faults            bool
	codes             []string
	tempDir           string // a directory run made for the token file, removed at the end

	// -sync mode (sync.go).
	sync, statePath, outPath string
	overlap                  time.Duration
	pageSize, changes        int
}

func parseArgs(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("batch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.tokenFile, "token", "", "token file (default: a fresh one seeded by the fake)")
	fs.StringVar(&o.redisURL, "store", "", "keep the token in Redis, shared by every process running the job: redis://[:password@]host:port/db (rediss:// for TLS)")
	fs.BoolVar(&o.clientCredentials, "client-credentials", false, "use jAccount's client mode instead of a stored user token")
	fs.IntVar(&o.concurrency, "concurrency", 4, "lookups in flight at once")
	fs.BoolVar(&o.faults, "faults", true, "against the fake: inject failures to show the retries")
	fs.StringVar(&o.sync, "sync", "", "instead of looking up classes, sync every record of a data-resource family incrementally: students")
	fs.StringVar(&o.statePath, "state", "", "-sync: the state file with the high-water mark (default: <sync>.state.json next to -token)")
	fs.StringVar(&o.outPath, "out", "", "-sync: the JSON Lines file the records are upserted into (default: <sync>.jsonl next to the state)")
	fs.DurationVar(&o.overlap, "overlap", defaultOverlap, "-sync: ask for the records updated since the high-water mark minus this")
	fs.IntVar(&o.pageSize, "page-size", 100, "-sync: records per request (offset), at most 200")
	fs.IntVar(&o.changes, "changes", 3, "-sync against the embedded fake: records the fake changes before each run after the first")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.concurrency < 1 {
		return nil, errors.New("-concurrency must be at least 1")
	}
	if o.sync != "" && (o.pageSize < 1 || o.pageSize > 200 || o.overlap < 0 || o.changes < 0) {
		return nil, errors.New("-page-size must be 1 to 200, -overlap and -changes not negative")
	}
	if o.redisURL != "" && o.tokenFile != "" {
		return nil, errors.New("give -token or -store, not both")
	}
	o.codes = fs.Args()
	return o, nil
}

// run is the job.
func run(ctx context.Context, env *setup.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	if o.sync != "" {
		return runSync(ctx, env, o, stdout, stderr)
	}
	fmt.Fprintf(stderr, "batch against %s\n", env.Where())
	if len(o.codes) == 0 {
		if o.codes, err = defaultCodes(env, stdin, o.clientCredentials); err != nil {
			return err
		}
	}

	ts, store, err := tokenSource(ctx, env, o, stderr)
	if o.tempDir != "" {
		defer os.RemoveAll(o.tempDir)
	}
	if store != nil {
		defer store.close()
	}
	if err != nil {
		return err
	}
	before := storedRefreshToken(ctx, store)
	if env.Fake != nil && o.faults {
		if err := injectFaults(env.Fake, stderr); err != nil {
			return err
		}
	}
	client, err := env.NewAPI(ts)
	if err != nil {
		return err
	}

	get := lesson
	if o.clientCredentials {
		get = profile
	}
	lines, failed := lookUp(ctx, client, get, o.codes, o.concurrency, stderr)
	for _, l := range lines {
		if l != "" {
			fmt.Fprintln(stdout, l)
		}
	}
	if store != nil {
		after := storedRefreshToken(ctx, store)
		switch {
		case after != before && before != "":
			fmt.Fprintf(stderr, "%s: refresh token rotated (%s -> %s) and saved\n", store.where, setup.Redact(before), setup.Redact(after))
		default:
			fmt.Fprintf(stderr, "%s: saved\n", store.where)
		}
	}
	fmt.Fprintf(stderr, "%d looked up, %d failed\n", len(o.codes)-failed, failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d lookups failed", failed, len(o.codes))
	}
	return nil
}

// defaultCodes reads the codes from stdin, or against the fake, when none
// are given, takes the fixture classes' codes and bsids (the fixture users'
// accounts in client mode).
func defaultCodes(env *setup.Env, stdin io.Reader, clientMode bool) ([]string, error) {
	if env.Fake != nil {
		var codes []string
		for _, u := range jaccounttest.DefaultUsers() {
			if clientMode {
				codes = append(codes, u.Username)
				continue
			}
			for _, ls := range u.Lessons {
				for _, l := range ls {
					codes = append(codes, l.Code, l.Bsid)
				}
			}
		}
		slices.Sort(codes)
		return slices.Compact(codes), nil
	}
	var codes []string
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		if c := strings.TrimSpace(sc.Text()); c != "" {
			codes = append(codes, c)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read codes from stdin: %w", err)
	}
	if len(codes) == 0 {
		return nil, errors.New("no class codes given (arguments or stdin)")
	}
	return codes, nil
}

// tokenStore is where the job keeps its token: a token file or Redis.
type tokenStore struct {
	auth.TokenStore
	where string       // for messages, without secrets
	close func() error // releases the Redis client, if any
}

// openStore returns the -token file or the -store Redis, or nil.
func openStore(ctx context.Context, env *setup.Env, o *options) (*tokenStore, error) {
	if o.tokenFile != "" {
		s := auth.NewFileStore(o.tokenFile)
		return &tokenStore{TokenStore: s, where: "token file " + s.Path(), close: func() error { return nil }}, nil
	}
	if o.redisURL == "" {
		return nil, nil
	}
	opt, err := redis.ParseURL(o.redisURL)
	if err != nil {
		return nil, errors.New("-store: not a redis:// or rediss:// URL") // the URL may hold a password: not echoed
	}
	prefix := "jaccount-batch:"
	if env.Fake != nil {
		prefix += "fake-" + strings.TrimPrefix(env.Fake.URL, "http://") + "-" + strconv.Itoa(os.Getpid()) + ":"
	}
	rdb := redis.NewClient(opt)
	s, err := redisstore.New(rdb, redisstore.WithKeyPrefix(prefix))
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	st := &tokenStore{TokenStore: s, where: fmt.Sprintf("redis %s key %s", opt.Addr, s.TokenKey()), close: rdb.Close}
	if env.Fake != nil { // its tokens die with the fake: do not leave them behind
		st.close = func() error {
			rdb.Del(context.WithoutCancel(ctx), s.TokenKey(), s.LockKey())
			return rdb.Close()
		}
	}
	return st, nil
}

// tokenSource returns the job's token source and, when a token file or
// Redis is in use, its store.
func tokenSource(ctx context.Context, env *setup.Env, o *options, stderr io.Writer) (*auth.TokenSource, *tokenStore, error) {
	var opts []auth.SourceOption
	if o.tokenFile == "" && o.redisURL == "" && !o.clientCredentials && env.Fake != nil {
		dir, err := os.MkdirTemp("", "jaccount-batch-")
		if err != nil {
			return nil, nil, fmt.Errorf("token file: %w", err)
		}
		o.tokenFile, o.tempDir = filepath.Join(dir, "token.json"), dir
	}
	store, err := openStore(ctx, env, o)
	if err != nil {
		return nil, nil, err
	}
	if store != nil {
		opts = append(opts, auth.WithStore(store.TokenStore))
	}
	if o.clientCredentials {
		fmt.Fprintln(stderr, "token: client credentials (jAccount's client mode)")
		ts, err := env.Config.ClientCredentialsSource([]string{clientScope}, opts...)
		return ts, store, err
	}
	if store == nil {
		return nil, nil, errors.New("give -token FILE or -store redis://… (a stored user token) or -client-credentials")
	}
	_, err = store.Load(ctx)
	switch {
	case errors.Is(err, auth.ErrNoToken) && env.Fake != nil:
		if err := seedToken(ctx, env.Fake, store); err != nil {
			return nil, store, err
		}
		fmt.Fprintf(stderr, "token: seeded %s with a token of the fake's %s\n", store.where, jaccounttest.StudentUsername)
	case err != nil:
		return nil, store, fmt.Errorf("load the token: %w", err)
	default:
		fmt.Fprintf(stderr, "token: loaded from %s\n", store.where)
	}
	ts, err := env.Config.TokenSource(nil, opts...)
	return ts, store, err
}

// seedToken stores a fresh user token from the fake, as a web login would
// have left it.
func seedToken(ctx context.Context, fake *jaccounttest.Server, store auth.TokenStore) error {
	t, err := fake.IssueToken(jaccounttest.StudentUsername, scope)
	if err != nil {
		return err
	}
	return store.Save(ctx, &auth.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken,
		Expiry: t.Expiry, Scope: strings.Join(t.Scopes, " ")})
}

func storedRefreshToken(ctx context.Context, store *tokenStore) string {
	if store == nil {
		return ""
	}
	t, err := store.Load(ctx)
	if err != nil {
		return ""
	}
	return t.RefreshToken
}

// injectFaults makes the fake misbehave the way a busy gateway does.
func injectFaults(fake *jaccounttest.Server, stderr io.Writer) error {
	fake.ExpireAccessTokens()
	err := fake.Inject(
		jaccounttest.ErrorStatus(503).Times(2),
		jaccounttest.RateLimit(time.Second).Times(1),
		jaccounttest.HTMLPage(502).Times(1),
		jaccounttest.DropConnection().On(jaccounttest.EndpointAPI).Times(1),
		jaccounttest.Latency(50*time.Millisecond).On(jaccounttest.EndpointAPI).Times(4),
	)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "faults: the fake expired the access token and will answer 503 twice, 429 once, a 502 HTML page once, and drop a connection")
	return nil
}

// lookUp looks up every code with get, with at most concurrency lookups in
// flight, and returns one output line per code (in input order) and the
// number of failures. Progress goes to stderr.
func lookUp(ctx context.Context, c *api.Client, get lookup, codes []string, concurrency int, stderr io.Writer) ([]string, int) {
	lines := make([]string, len(codes))
	var done, failed atomic.Int64
	var mu sync.Mutex // serialises progress lines
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, code := range codes {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			line, err := get(ctx, c, code)
			status := "ok"
			if err != nil {
				failed.Add(1)
				status = "FAILED: " + err.Error()
			} else {
				lines[i] = line
			}
			n := done.Add(1)
			mu.Lock()
			fmt.Fprintf(stderr, "[%*d/%d] %s %s\n", len(fmt.Sprint(len(codes))), n, len(codes), code, status)
			mu.Unlock()
		})
	}
	wg.Wait()
	return lines, int(failed.Load())
}

// lookup looks one item up and returns its output line.
type lookup func(ctx context.Context, c *api.Client, item string) (string, error)

// lesson looks up a teaching class by code or bsid: the code asked for,
// then the class's code, name, teachers and credits.
func lesson(ctx context.Context, c *api.Client, code string) (string, error) {
	l, err := c.Lessons.Get(ctx, code)
	if err != nil {
		return "", err
	}
	var teachers []string
	for _, t := range l.Teachers {
		teachers = append(teachers, t.Name)
	}
	return strings.Join([]string{code, l.Code, l.Name, strings.Join(teachers, ","), fmt.Sprint(l.Credits)}, "\t"), nil
}

// profile looks up a user by account or id, in client mode: the account
// asked for, then the profile's account, name, kind and id (what scope basic
// shows).
func profile(ctx context.Context, c *api.Client, account string) (string, error) {
	p, err := c.Profile.GetUser(ctx, account)
	if err != nil {
		return "", err
	}
	return strings.Join([]string{account, p.Account, p.Name, p.Kind, p.Id}, "\t"), nil
}
