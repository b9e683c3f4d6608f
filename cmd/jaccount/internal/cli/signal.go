package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// stopSignals are the signals that stop a command: Ctrl-C and the polite
// kill (SIGTERM never arrives on Windows, where Ctrl-C is os.Interrupt).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// signalError is the cause of a run's context canceled by a signal.
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string {
	if e.sig == syscall.SIGTERM {
		return "terminated"
	}
	return "interrupted"
}

// code is the exit code for the signal: 128 + its number, as shells
// report.
func (e *signalError) code() int {
	if e.sig == syscall.SIGTERM {
		return ExitTerminated
	}
	return ExitInterrupted
}

// SignalContext returns the context for Run that the first SIGINT (Ctrl-C)
// or SIGTERM cancels, with the signal as its cause: the command stops,
// writes out what it has, releases what it holds (the --fake server, its
// temporary directory) and Run returns 130 ("interrupted") or 143
// ("terminated"). A second signal, for a command that does not stop, ends
// the process at once with that code. stop releases the signals.
func SignalContext(parent context.Context) (ctx context.Context, stop func()) {
	return notifyContext(parent, os.Stderr, os.Exit)
}

// notifyContext is SignalContext with the stream for the message of a
// second signal and the function that ends the process.
func notifyContext(parent context.Context, stderr io.Writer, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, stopSignals...)
	done := make(chan struct{})
	go func() {
		stopping := false
		for {
			select {
			case <-done:
				return
			case sig := <-ch:
				se := &signalError{sig}
				if !stopping {
					stopping = true
					cancel(se)
					continue
				}
				fmt.Fprintf(stderr, "jaccount: %s again: exiting at once\n", se)
				exit(se.code())
				return
			}
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel(context.Canceled)
		})
	}
}
