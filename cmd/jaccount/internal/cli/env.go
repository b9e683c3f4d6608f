// Package cli is the jaccount command: login, logout, whoami, token, api,
// config and the per-operation commands generated from the OpenAPI spec.
//
// Commands are thin over the SDK (packages auth and api) and take all of
// the outside world from an Env, so that tests run them in-process with
// their own streams, environment, configuration directory and browser.
// Nothing here calls os.Exit: Run returns the exit code for main.
package cli

import (
	"io"
	"os"

	"github.com/cli/browser"
	"golang.org/x/term"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// Env is everything a command takes from the outside world.
type Env struct {
	// Args are the command-line arguments without the program name.
	Args []string
	// Stdin, Stdout and Stderr are the standard streams. Stdout carries
	// only the command's result; messages and progress go to Stderr.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// StdoutTTY and StderrTTY tell whether the streams are terminals: the
	// default output format is table on a terminal and JSON otherwise, and
	// the progress bar is drawn only on a terminal.
	StdoutTTY, StderrTTY bool
	// Width is the terminal's width in columns; 0 means unknown.
	Width int
	// LookupEnv reads an environment variable.
	LookupEnv func(key string) (string, bool)
	// UserConfigDir returns the directory jaccount keeps its configuration
	// and tokens under (in its "jaccount" subdirectory), os.UserConfigDir
	// for the real command.
	UserConfigDir func() (string, error)
	// OpenBrowser opens url in the user's browser.
	OpenBrowser func(url string) error

	// fakeOptions are added to the options of --fake's server (tests).
	fakeOptions []jaccounttest.Option
}

// OSEnv is the real process environment.
func OSEnv() *Env {
	// browser.OpenURL copies the launched program's output to these; keep
	// stdout for the command's result.
	browser.Stdout = os.Stderr
	width := 0
	if term.IsTerminal(int(os.Stdout.Fd())) {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			width = w
		}
	}
	return &Env{
		Args:          os.Args[1:],
		Stdin:         os.Stdin,
		Stdout:        os.Stdout,
		Stderr:        os.Stderr,
		StdoutTTY:     term.IsTerminal(int(os.Stdout.Fd())),
		StderrTTY:     term.IsTerminal(int(os.Stderr.Fd())),
		Width:         width,
		LookupEnv:     os.LookupEnv,
		UserConfigDir: os.UserConfigDir,
		OpenBrowser:   browser.OpenURL,
	}
}

// getenv returns the variable's value, "" when unset.
func (e *Env) getenv(key string) (string, bool) {
	if e.LookupEnv == nil {
		return "", false
	}
	v, ok := e.LookupEnv(key)
	return v, ok && v != ""
}
