package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
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
	ts       *auth.TokenSource
	info     *loginInfo
}

// annotation keys of commands.
const (
	// annLogin marks commands that need a stored token; with --fake the
	// fixture student is logged in first.
	annLogin = "jaccount/login"
)

// Run runs the command line in env and returns the exit code. Errors are
// printed to env.Stderr as one line.
func Run(ctx context.Context, env *Env) int {
	a := &app{env: env}
	defer a.close()
	root := a.rootCommand()
	root.SetArgs(env.Args)
	root.SetIn(orEmpty(env.Stdin))
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	ran := false
	prerun := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		ran = true
		return prerun(cmd, args)
	}
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ue *usageError
	if !ran && !errors.As(err, &ue) {
		// Cobra fails before running anything only for the command line:
		// an unknown command or flag, a missing argument.
		err = &usageError{err}
	}
	fmt.Fprintln(env.Stderr, oneLine(err))
	return exitCode(err)
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

// version is the module version of the binary ("(devel)" from a checkout).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "jaccount",
		Short: "Use SJTU jAccount and its API from the command line",
		Long: `jaccount logs you in to SJTU jAccount once, then calls, exports and scripts
the jAccount open API: your profile, lessons, examinations, campus card.

Start with "jaccount login" (or try everything against a built-in fake
jAccount with "--fake", which needs no registration).`,
		Example: `  jaccount login
  jaccount whoami
  jaccount card transactions --since 2024-09-01 --format csv > spending.csv
  jaccount api /v1/me/profile
  curl -H "Authorization: Bearer $(jaccount token)" https://api.sjtu.edu.cn/v1/me/profile
  jaccount --fake lessons list`,
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
	pf.BoolVar(&a.flags.fake, "fake", false, "use a built-in fake jAccount, logged in as its fixture student")
	_ = root.RegisterFlagCompletionFunc("profile", a.completeProfiles)

	root.AddGroup(&cobra.Group{ID: "auth", Title: "Setup commands:"},
		&cobra.Group{ID: "api", Title: "API commands:"})
	for _, c := range []*cobra.Command{a.loginCommand(), a.logoutCommand(), a.whoamiCommand(), a.tokenCommand(), a.configCommand()} {
		c.GroupID = "auth"
		root.AddCommand(c)
	}
	for _, c := range a.apiCommands() {
		c.GroupID = "api"
		root.AddCommand(c)
	}
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
	if a.flags.fake {
		if err := a.startFake(cmd.Context()); err != nil {
			return err
		}
	} else {
		s, err := loadSettings(a.env, &a.flags, func(msg string) { a.notef("%s", msg) })
		if err != nil {
			return err
		}
		a.settings = s
	}
	if a.fake != nil && cmd.Annotations[annLogin] != "" {
		return a.fakeLogin(cmd.Context())
	}
	return nil
}

// apiClient returns the API client over the profile's stored token.
func (a *app) apiClient() (*api.Client, error) {
	if a.client != nil {
		return a.client, nil
	}
	ts, info, err := a.settings.tokenSource()
	if err != nil {
		return nil, err
	}
	c, err := api.NewClient(ts,
		api.WithBaseURL(a.settings.apiURL.v),
		api.WithUserAgent("jaccount-cli/"+version()),
		api.WithTransport(pageCounter{next: http.DefaultTransport, n: &a.pages}))
	if err != nil {
		return nil, err
	}
	a.client, a.ts, a.info = c, ts, info
	return c, nil
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

// formatFlag adds --format to cmd.
func formatFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "format", "", "output format: json, jsonl, csv or table (default table on a terminal, json otherwise)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}
