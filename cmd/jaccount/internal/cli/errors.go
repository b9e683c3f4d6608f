package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
)

// The exit codes.
const (
	// ExitOK is success.
	ExitOK = 0
	// ExitError is any failure not listed below (a network error during
	// login, a file that cannot be written, ...).
	ExitError = 1
	// ExitUsage is a command line or configuration the command cannot use.
	ExitUsage = 2
	// ExitLogin means the user has to log in (again): no stored token, a
	// refresh token jAccount rejected (invalid_grant), or a token the API
	// keeps rejecting.
	ExitLogin = 3
	// ExitAPI is an error answer of the API (or no answer at all).
	ExitAPI = 4
)

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

// needLogin turns the errors that a new login cures into a *loginError for
// profile; other errors pass through unchanged.
func needLogin(err error, profile string) error {
	var le *loginError
	switch {
	case err == nil || errors.As(err, &le):
		return err
	case errors.Is(err, auth.ErrInvalidGrant):
		return &loginError{why: "the saved login has expired or was revoked (invalid_grant)", profile: profile, err: err}
	case errors.Is(err, auth.ErrNoToken):
		return &loginError{why: "not logged in (profile " + profile + ")", profile: profile, err: err}
	case errors.Is(err, api.ErrUnauthorized):
		return &loginError{why: "the API rejected the saved token", profile: profile, err: err}
	}
	return err
}

// needLogin is needLogin for the profile of the run, whose hint, when the
// command's operation needs the application's login, says how to log in
// that way.
func (a *app) needLogin(err error) error {
	err = needLogin(err, a.settings.profile.v)
	var le *loginError
	if errors.As(err, &le) && le.flags == "" && a.op != nil {
		le.flags = a.op.loginFlags()
	}
	return err
}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var ue *usageError
	var le *loginError
	var ae *api.Error
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &le):
		return ExitLogin
	case errors.As(err, &ae):
		return ExitAPI
	}
	return ExitError
}

// oneLine is err's text on a single line, for stderr. Error texts of the
// SDK never hold a token or secret, and neither do this package's.
func oneLine(err error) string {
	s := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
	return "jaccount: " + s
}
