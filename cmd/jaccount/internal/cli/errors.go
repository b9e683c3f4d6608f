package cli

import (
	"context"
	"errors"
	"fmt"
	"path"
	"runtime"
	"strconv"
	"strings"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
)

// The exit codes. exitStatus alone decides which one a run ends with;
// exitCodes describes them for the help.
const (
	// ExitOK is success.
	ExitOK = 0
	// ExitError is any failure not listed below: the network, a file that
	// cannot be written, a reply that is not the API's, a bug.
	ExitError = 1
	// ExitUsage is a command line or configuration the command cannot use.
	ExitUsage = 2
	// ExitLogin means the user has to log in (again): no saved login, one
	// that expired or was revoked (invalid_grant, or a token the API keeps
	// rejecting), one that is corrupt, or one of a kind the command's
	// operation does not accept. The message names the login to run.
	ExitLogin = 3
	// ExitAPI is a refusal by the API: an HTTP error status or an errno in
	// its reply, or no entity where the operation returns one.
	ExitAPI = 4
	// ExitInterrupted is an interrupt (Ctrl-C, SIGINT): 128 + 2, as shells
	// report a process that a SIGINT ended.
	ExitInterrupted = 130
	// ExitTerminated is SIGTERM: 128 + 15.
	ExitTerminated = 143
)

// exitCodes are the exit codes and what they mean, for `jaccount --help`
// (and the table of docs/cli.md, which says the same).
var exitCodes = []struct {
	code    int
	meaning string
}{
	{ExitOK, "success"},
	{ExitError, "any other failure: the network, a file, a reply that is not the API's, a bug"},
	{ExitUsage, "usage: a command line or configuration the command cannot use"},
	{ExitLogin, "login needed: none saved, or it expired, was revoked or is corrupt, or the command needs another kind; the message says which `jaccount login` to run"},
	{ExitAPI, "the API refused the request: an HTTP error status or an errno (in the message)"},
	{ExitInterrupted, "interrupted (Ctrl-C, SIGINT); a second Ctrl-C exits at once"},
	{ExitTerminated, "terminated (SIGTERM)"},
}

// exitHelp is the exit-code table of the root command's help.
func exitHelp() string {
	var b strings.Builder
	b.WriteString("Exit status (an error is one line on stderr):\n")
	for _, c := range exitCodes {
		fmt.Fprintf(&b, "  %-4d %s\n", c.code, wrap(c.meaning, 72, "       "))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// wrap breaks s into lines of at most width bytes at spaces, the lines
// after the first indented by indent.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		switch {
		case i == 0:
		case n+1+len(w) > width:
			b.WriteString("\n" + indent)
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// exitStatus is the one place that decides how a run ends: it maps the
// command's error to the exit code and the line for stderr ("" for none).
// ctx is the run's context: a signal that canceled it decides the code,
// whatever error the interrupted command returned.
func (a *app) exitStatus(ctx context.Context, err error) (int, string) {
	if err == nil {
		return ExitOK, ""
	}
	var pe *panicError
	var se *signalError
	var ue *usageError
	switch {
	case errors.As(err, &pe):
		return ExitError, oneLine(pe)
	case errors.As(context.Cause(ctx), &se):
		return se.code(), oneLine(se)
	case errors.As(err, &ue) || errors.Is(err, api.ErrInvalidArgument):
		return ExitUsage, oneLine(err)
	}
	if le := a.loginNeeded(err); le != nil {
		return ExitLogin, oneLine(le)
	}
	if refused(err) {
		return ExitAPI, oneLine(err)
	}
	return ExitError, oneLine(err)
}

// refused reports whether err is the API's refusal of a request: an HTTP
// error status or an errno, or no entity where one was due. An *api.Error
// without either (no connection, a token that could not be had, a reply
// that is not the envelope) is not one.
func refused(err error) bool {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return false
	}
	return ae.StatusCode >= 400 || ae.Errno != 0 || errors.Is(err, api.ErrNoEntity)
}

// usageError is a command line or configuration the command cannot use.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error (exit code 2).
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// loginError says that the user must run `jaccount login`.
type loginError struct {
	why     string // what went wrong, without any secret
	profile string
	// flags are further flags of the login to run, for an operation that
	// needs the application's login: "--client-credentials --scopes ...".
	flags string
	// beside is set when the profile holds a user's login that the
	// application's login must not replace: the hint then logs the
	// application in under a profile of its own.
	beside bool
	err    error
}

// appProfile is the profile the hints suggest for the application's login
// when the profile in use holds a user's.
const appProfile = "app"

func (e *loginError) Error() string {
	profile := e.profile
	if e.beside {
		profile = appProfile
		if e.profile == appProfile {
			profile = appProfile + "-client"
		}
	}
	cmd := "jaccount login"
	if profile != "" && profile != defaultProfile {
		cmd += " --profile " + profile
	}
	if e.flags != "" {
		cmd += " " + e.flags
	}
	if e.beside {
		return fmt.Sprintf("%s: keep it and run `%s`, then add --profile %s", e.why, cmd, profile)
	}
	return fmt.Sprintf("%s: run `%s`", e.why, cmd)
}

func (e *loginError) Unwrap() error { return e.err }

// corruptLoginError is a saved login that cannot be used: its token file
// or its login record is not what jaccount wrote, or the token file is
// missing beside the record. It names the file, never what the file holds
// (a token, perhaps).
type corruptLoginError struct {
	file    string
	missing bool // the file is missing or empty
	err     error
}

func (e *corruptLoginError) Error() string { return e.file + " " + e.what() }
func (e *corruptLoginError) Unwrap() error { return e.err }

func (e *corruptLoginError) what() string {
	if e.missing {
		return "is missing or empty"
	}
	return "is corrupt"
}

// loginNeeded returns, as a *loginError naming the login to run, an error
// that a new login cures: a *loginError (with the hint's flags if it has
// none); a corrupt saved login; a
// refresh token jAccount rejected (invalid_grant); no token at all; a token
// the API kept rejecting. It returns nil for any other error.
//
// The hint is for the login the command needs: the kind the profile holds
// (the application's, with the scopes it asked for) when that can call the
// command's operation, else the kind the operation needs.
func (a *app) loginNeeded(err error) *loginError {
	var le *loginError
	if errors.As(err, &le) {
		if le.flags == "" {
			le.flags = a.hintFlags()
		}
		return le
	}
	profile := a.profile()
	var ce *corruptLoginError
	var why string
	switch {
	case errors.As(err, &ce):
		why = fmt.Sprintf("the saved login of profile %s is unusable (%s %s)", profile, ce.file, ce.what())
	case errors.Is(err, auth.ErrInvalidGrant):
		why = "the saved login has expired or was revoked (invalid_grant)"
	case errors.Is(err, auth.ErrNoToken) && a.info == nil:
		why = "not logged in (profile " + profile + ")"
	case errors.Is(err, auth.ErrNoToken):
		why = "the saved login of profile " + profile + " has expired and cannot be renewed"
	case errors.Is(err, api.ErrUnauthorized):
		why = "the API rejected the saved token"
	default:
		return nil
	}
	return &loginError{why: why, profile: profile, flags: a.hintFlags(), err: err}
}

// profile is the name of the run's profile.
func (a *app) profile() string {
	switch {
	case a.settings != nil:
		return a.settings.profile.v
	case a.flags.profile != "":
		return a.flags.profile
	}
	return defaultProfile
}

// hintFlags are the flags of the `jaccount login` a hint suggests: the
// application's login with the scopes the profile's asked for, when the
// profile holds one and the command's operation (if any) accepts it; else
// what the operation needs (none for a user's login).
func (a *app) hintFlags() string {
	if a.info != nil && a.info.Grant == grantClientCredentials && (a.op == nil || a.op.clientRequirement() != nil) {
		f := "--client-credentials"
		if len(a.info.Scopes) > 0 {
			f += " --scopes " + strings.Join(a.info.Scopes, ",")
		}
		return f
	}
	if a.op != nil {
		return a.op.loginFlags()
	}
	return ""
}

// panicError is a panic of the command, recovered. It says what failed and
// where, never the panic's value unless the runtime wrote it (a
// runtime.Error holds no data of the program's), and no stack trace.
type panicError struct {
	what, where string
}

// newPanicError describes the panic value p. Called from the deferred
// function that recovered it, it finds where the panic happened on the
// stack that is still the panicking one.
func newPanicError(p any) *panicError {
	e := &panicError{what: fmt.Sprintf("a panic (%T)", p)}
	if re, ok := p.(runtime.Error); ok {
		e.what = re.Error()
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		if f.Function == "runtime.gopanic" {
			panicking = true
		} else if panicking && !strings.HasPrefix(f.Function, "runtime.") {
			e.where = path.Base(f.Function) + " (" + path.Base(f.File) + ":" + strconv.Itoa(f.Line) + ")"
			break
		}
		if !more {
			break
		}
	}
	return e
}

func (e *panicError) Error() string {
	s := "internal error, a bug in jaccount (please report it): " + e.what
	if e.where != "" {
		s += " in " + e.where
	}
	return s
}

// oneLine is err's text on a single line, for stderr. Error texts of the
// SDK never hold a token or secret, and neither do this package's.
func oneLine(err error) string {
	s := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
	return "jaccount: " + s
}
