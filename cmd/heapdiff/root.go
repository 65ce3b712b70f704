package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/heapdiff/heapdiff/profile"
)

// Exit statuses. They are part of the command-line interface and documented in
// README.md.
const (
	exitOK    = 0 // success
	exitError = 1 // bad input, unreadable file, failed write
	exitUsage = 2 // unknown command or flag, wrong number of arguments

	exitOverBudget = 3 // heapdiff check: memory grew beyond a budget
)

// streams carries a command's standard streams and what is known about them, so
// commands can be run in tests with in-memory buffers.
type streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// OutIsTerminal says whether Out is an interactive terminal (colors,
	// progress) rather than a pipe or a file.
	OutIsTerminal bool
	// ErrIsTerminal says the same of ErrOut, where progress is drawn.
	ErrIsTerminal bool
	// NoColor is set when the NO_COLOR environment variable is set and not
	// empty, or TERM is "dumb" (a terminal that shows escapes as text).
	NoColor bool

	// sourceNames maps the cached copy of each s3:// object a command
	// reads to the object's URL (remote.go), both escaped as the loader
	// escapes a profile's Name, so that reports name the object rather
	// than the cache.
	sourceNames map[string]string
}

// displayName is how reports name a profile the loader named name: the
// s3:// URL it was downloaded from, else name itself.
func (s *streams) displayName(name string) string {
	if u, ok := s.sourceNames[name]; ok {
		return u
	}
	return name
}

func newStdStreams() *streams {
	// NO_COLOR counts when set and not empty (https://no-color.org).
	noColor := os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb"
	return &streams{
		In:            os.Stdin,
		Out:           os.Stdout,
		ErrOut:        os.Stderr,
		OutIsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		NoColor:       noColor,
	}
}

// usageError marks an error in how the command was called (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCodeError carries a specific exit status with its message; an empty
// message prints nothing (the command already said what it had to).
type exitCodeError struct {
	code int
	msg  string
}

func (e exitCodeError) Error() string { return e.msg }

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "heapdiff",
		Short: "Find memory leaks by comparing heap profiles",
		Long: `heapdiff finds memory leaks in long-running services.

It compares heap profiles and follows series of them, says what grew, how
fast, how much of what it allocated a site keeps, and whether the change is
beyond sampling noise. It reads Go heap profiles (pprof protobuf and legacy
text), Node.js and Bun heap snapshots (.heapsnapshot), and V8 sampling heap
profiles (.heapprofile); "heapdiff compare --help" says what -i takes for
each.

Flags are spelled --name; one dash works too (-focus=re, -top 10), and so do
pprof's spellings of what heapdiff does alike: -sample_index=alloc_space,
-inuse_space and the like, -nodecount=N (--top N), -lines, -functions.
Usage errors (an unknown flag, an invalid value) exit 2, other errors 1.
Long work draws a progress line on standard error when it is a terminal.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionInfo(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.SetFlagErrorFunc(explainFlagError)
	// Every command, in one place.
	root.AddCommand(
		newCompareCmd(s, nil),
		newTrendCmd(s, nil),
		newCheckCmd(s, nil),
		newFleetCmd(s, nil),
		newLsCmd(s, nil),
		newCaptureCmd(s),
		newVersionCmd(s),
	)
	addRemoteSources(root, s) // remote.go: s3:// arguments for compare, trend and check
	markRunErrors(root)
	return root
}

// ranError marks an error returned by a command's RunE: the command line was
// understood and the work failed (exit 1), unless the command itself said it
// was a usage error. Errors without the mark come from cobra before RunE ran:
// an unknown command, flag or argument count (exit 2).
type ranError struct{ err error }

func (e ranError) Error() string { return e.err.Error() }
func (e ranError) Unwrap() error { return e.err }

// markRunErrors wraps the RunE of c and its subcommands so their errors
// carry ranError.
func markRunErrors(c *cobra.Command) {
	if runE := c.RunE; runE != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if err := runE(cmd, args); err != nil {
				return ranError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markRunErrors(sub)
	}
}

// run executes the command line and returns the process exit status. Errors are
// printed as one line on stderr, never with a stack trace.
func run(args []string, s *streams) int {
	root := newRootCmd(s)
	var err error
	if cmd, _, found := root.Find(args); found == nil && cmd != root {
		args, err = respell(cmd.Flags(), args)
	}
	if err == nil {
		root.SetArgs(args)
		err = root.Execute()
	}
	if err == nil {
		return exitOK
	}
	var ec exitCodeError
	if errors.As(err, &ec) {
		if ec.msg != "" {
			fmt.Fprintf(s.ErrOut, "heapdiff: %s\n", oneLine(ec.msg))
		}
		return ec.code
	}
	fmt.Fprintf(s.ErrOut, "heapdiff: %s\n", oneLine(err.Error()))
	var ue usageError
	var ran ranError
	if errors.As(err, &ue) || !errors.As(err, &ran) {
		return exitUsage
	}
	return exitError
}

// oneLine folds a message onto one line so every error is a single line,
// and escapes what could still disturb a terminal (control characters,
// invalid UTF-8, bidirectional overrides) as profile.Printable does: the
// places that quote a path or an argument escape it themselves, and this
// catches the rest, such as a flag name in cobra's own messages.
func oneLine(s string) string {
	return profile.Printable(strings.Join(strings.Fields(s), " "))
}
