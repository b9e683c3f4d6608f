package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
)

// app is one run of the command.
type app struct {
	env      *Env
	flags    flagValues
	settings *settings
	fake     *fakeJAccount
	quiet    bool         // no notes on stderr (the fake's automatic login)
	pages    atomic.Int64 // successful API replies, for the progress display
	client   *api.Client
	data     *api.DataClient
	ts       *auth.TokenSource
	info     *loginInfo
	// op is the operation the command calls, when known: its security
	// says which login it needs (and --fake logs in that way).
	op *operation
}

// Run runs the command line in env and returns the exit code (see
// exitStatus). An error is printed to env.Stderr as one line; so is a
// panic of the command, recovered. Cancel ctx with SignalContext's signals
// to interrupt the command.
func Run(ctx context.Context, env *Env) int {
	a := &app{env: env}
	defer a.close()
	code, msg := a.exitStatus(ctx, a.execute(ctx))
	if msg != "" {
		fmt.Fprintln(env.Stderr, msg)
	}
	return code
}

// execute runs the command line and returns its error; a panic is
// recovered into a *panicError.
func (a *app) execute(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = newPanicError(p)
		}
	}()
	root := a.rootCommand()
	root.SetArgs(a.env.Args)
	root.SetIn(orEmpty(a.env.Stdin))
	root.SetOut(a.env.Stdout)
	root.SetErr(a.env.Stderr)
	ran := false
	prerun := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		ran = true
		return prerun(cmd, args)
	}
	err = root.ExecuteContext(ctx)
	var ue *usageError
	if err != nil && !ran && !errors.As(err, &ue) {
		// Cobra fails before running anything only for the command line:
		// an unknown command or flag, a missing argument.
		err = &usageError{err}
	}
	return err
}

func orEmpty(r io.Reader) io.Reader {
	if r == nil {
		return strings.NewReader("")
	}
	return r
}

// close releases what the run started: the fake and its directory.
func (a *app) close() {
	if a.fake != nil {
		a.fake.close()
	}
}

// notef writes a message line to stderr.
func (a *app) notef(format string, args ...any) {
	if !a.quiet {
		fmt.Fprintf(a.env.Stderr, format+"\n", args...)
	}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "jaccount",
		Short: "Use SJTU jAccount and its API from the command line",
		Long: `jaccount logs you in to SJTU jAccount once, then calls, exports and scripts
the jAccount open API (your profile, lessons, examinations, campus card) and,
with the application's own login, the data resources (students, faculty,
accounts, papers).

Start with "jaccount login" (or try everything against a built-in fake
jAccount with "--fake", which needs no registration).

` + exitHelp(),
		Example: `  jaccount login
  jaccount whoami
  jaccount card transactions --since 2024-09-01 --format csv > spending.csv
  jaccount api /v1/me/profile
  curl -H "Authorization: Bearer $(jaccount token)" https://api.sjtu.edu.cn/v1/me/profile
  jaccount --fake lessons list
  jaccount login --profile app --client-credentials --scopes exchange_data
  jaccount --profile app students list --updated-since 2026-11-01 --format jsonl`,
		Version:           version(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.prepare(cmd) },
	}
	root.SetVersionTemplate("jaccount {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.flags.profile, "profile", "", "the saved login to use (default \"default\", or $"+EnvProfile+")")
	pf.StringVar(&a.flags.clientID, "client-id", "", "jAccount application id (or $"+EnvClientID+")")
	pf.StringVar(&a.flags.config, "config", "", "configuration file (default <config dir>/jaccount/config.yaml, or $"+EnvConfig+")")
	pf.BoolVar(&a.flags.fake, "fake", false, "use a built-in fake jAccount, logged in as its fixture student (as its application where no user can call)")
	_ = root.RegisterFlagCompletionFunc("profile", a.completeProfiles)

	root.AddGroup(&cobra.Group{ID: "auth", Title: "Setup commands:"},
		&cobra.Group{ID: "api", Title: "API commands:"},
		&cobra.Group{ID: "test", Title: "Testing commands:"},
		&cobra.Group{ID: "help", Title: "Helping the maintainers:"})
	for _, c := range []*cobra.Command{a.loginCommand(), a.logoutCommand(), a.whoamiCommand(), a.tokenCommand(), a.configCommand()} {
		c.GroupID = "auth"
		root.AddCommand(c)
	}
	for _, c := range a.apiCommands() {
		c.GroupID = "api"
		root.AddCommand(c)
	}
	fake := a.fakeCommand()
	fake.GroupID = "test"
	root.AddCommand(fake)
	survey := a.surveyCommand()
	survey.GroupID = "help"
	root.AddCommand(survey)
	root.AddCommand(a.versionCommand())
	return root
}

// prepare resolves the settings (starting the fake with --fake) and, for
// commands that need a token, logs the fixture student in to the fake.
func (a *app) prepare(cmd *cobra.Command) error {
	// Cobra checks these only after this hook; they are usage errors.
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return &usageError{err}
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		return &usageError{err}
	}
	if cmd.Annotations[annStandalone] != "" {
		return nil
	}
	if a.flags.fake {
		return a.startFake(cmd.Context())
	}
	s, err := loadSettings(a.env, &a.flags, func(msg string) { a.notef("%s", msg) })
	if err != nil {
		return err
	}
	a.settings = s
	return nil
}

// tokenSource returns the profile's token source, once it has checked that
// its login can call op (nil: any operation, or one the spec does not
// describe). With --fake, it first logs in to the fake as op needs: as the
// fixture student, or as the application (client credentials with op's
// scopes) for an operation no user can call.
func (a *app) tokenSource(ctx context.Context, op *operation) (*auth.TokenSource, error) {
	a.op = op
	if a.ts == nil {
		if a.fake != nil {
			if err := a.fakeLogin(ctx, op); err != nil {
				return nil, err
			}
		}
		ts, info, err := a.settings.tokenSource(ctx)
		a.info = info
		if err != nil {
			return nil, err
		}
		a.ts = ts
	}
	if err := checkLogin(op, a.info, a.settings.profile.v); err != nil {
		return nil, err
	}
	return a.ts, nil
}

// clientOptions are the options of both API clients: the user agent and
// the transport that counts pages for the progress display.
func (a *app) clientOptions(opts ...api.Option) []api.Option {
	return append(opts,
		api.WithUserAgent("jaccount-cli/"+version()),
		api.WithTransport(pageCounter{next: http.DefaultTransport, n: &a.pages}))
}

// apiClient returns the open API's client over the profile's stored token,
// which must be able to call op (nil: any). For an operation that needs no
// token (the school calendar) and a profile without a login, it is a client
// without credentials (api.NoToken); with a login, the token is sent as to
// any operation. With --fake, that is the case until a command logs in.
func (a *app) apiClient(ctx context.Context, op *operation) (*api.Client, error) {
	if op != nil && op.anonymous && a.client == nil {
		if _, err := a.settings.loadLogin(); errors.Is(err, auth.ErrNoToken) {
			a.op = op
			c, err := api.NewClient(api.NoToken(), a.clientOptions(api.WithBaseURL(a.settings.apiURL.v))...)
			if err != nil {
				return nil, err
			}
			a.client = c
			return c, nil
		}
	}
	return lazyClient(ctx, a, op, &a.client, func(ts *auth.TokenSource) (*api.Client, error) {
		return api.NewClient(ts, a.clientOptions(api.WithBaseURL(a.settings.apiURL.v))...)
	})
}

// dataClient returns the data resources' client (api.DataClient, on
// data_url) over the profile's stored token, which must be able to call op:
// the application's login with scope exchange_data.
func (a *app) dataClient(ctx context.Context, op *operation) (*api.DataClient, error) {
	return lazyClient(ctx, a, op, &a.data, func(ts *auth.TokenSource) (*api.DataClient, error) {
		return api.NewDataClient(ts, a.clientOptions(api.WithDataBaseURL(a.settings.dataURL.v))...)
	})
}

// lazyClient returns *c, which build makes over the profile's token the
// first time, once it has checked that the login can call op.
func lazyClient[C any](ctx context.Context, a *app, op *operation, c **C, build func(*auth.TokenSource) (*C, error)) (*C, error) {
	ts, err := a.tokenSource(ctx, op)
	if err != nil {
		return nil, err
	}
	if *c == nil {
		if *c, err = build(ts); err != nil {
			return nil, err
		}
	}
	return *c, nil
}

// completeProfiles lists the saved logins for shell completion.
func (a *app) completeProfiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	dir, err := configDir(a.env)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	entries, _ := os.ReadDir(dir + string(os.PathSeparator) + "profiles")
	var out []cobra.Completion
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// formatFlag adds --format to cmd, and --time-format, whose value is the
// run's (only one command runs).
func (a *app) formatFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "format", "", "output format: json, jsonl, csv or table (default table on a terminal, json otherwise)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().StringVar(&a.flags.timeFormat, "time-format", timeFormatAuto, timeFormatUsage)
	_ = cmd.RegisterFlagCompletionFunc("time-format", cobra.FixedCompletions(timeFormats, cobra.ShellCompDirectiveNoFileComp))
}
