// Command jaccount logs in to SJTU jAccount once and then calls, exports and
// scripts the jAccount open API from a shell.
//
//	go install github.com/oauth-jaccount/jaccount-go/cmd/jaccount@latest
//	jaccount login
//	jaccount whoami
//	jaccount card transactions --since 2024-09-01 --format csv
//
// Try it with no registration against a built-in fake jAccount:
//
//	jaccount --fake whoami
//
// Run `jaccount --help` for the commands and `jaccount config --help`
// for the configuration.
package main

import (
	"context"
	"os"

	"github.com/oauth-jaccount/jaccount-go/cmd/jaccount/internal/cli"
)

func main() {
	// Ctrl-C or SIGTERM cancels the command's context: it stops, cleans up
	// and exits 130 or 143; a second one exits at once.
	ctx, stop := cli.SignalContext(context.Background())
	code := cli.Run(ctx, cli.OSEnv())
	stop()
	os.Exit(code)
}
