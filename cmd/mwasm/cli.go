package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mwasm/mwasm/abi"
)

// stdio is where a command reads and writes: the process's own in main, buffers in tests.
type stdio struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// exitError ends a command with a status and a message. Message is printed as
// "mwasm: <message>" on one line; detail (e.g. a compiler's output) comes before it.
type exitError struct {
	code    int
	message string
	detail  string // printed before the message (a compiler's output)
	after   string // printed after the message (a trap's Wasm backtrace)
}

func (e *exitError) Error() string { return e.message }

// usageErrorf is a user error (bad flag, bad input file, unusable device): exit 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: abi.ExitUsage, message: fmt.Sprintf(format, args...)}
}

// exitStatus ends the command with the app's status and no message.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// execute runs mwasm with args (without the program name) and returns the exit status.
func execute(ctx context.Context, args []string, std stdio) int {
	root := newRootCmd(std)
	root.SetArgs(args)
	return report(std.err, root.ExecuteContext(ctx))
}

// report prints err the mwasm way and returns the exit status it stands for.
func report(w io.Writer, err error) int {
	if err == nil {
		return 0
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.detail != "" {
			fmt.Fprintln(w, strings.TrimRight(ee.detail, "\n"))
		}
		fmt.Fprintf(w, "mwasm: %s\n", oneLine(ee.message))
		if ee.after != "" {
			fmt.Fprintln(w, strings.TrimRight(ee.after, "\n"))
		}
		return ee.code
	}
	// Errors cobra makes itself: unknown command, wrong number of arguments.
	fmt.Fprintf(w, "mwasm: %s: see mwasm --help\n", oneLine(err.Error()))
	return abi.ExitUsage
}

// oneLine keeps a message on one line (wrapped library errors may hold newlines).
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func newRootCmd(std stdio) *cobra.Command {
	root := &cobra.Command{
		Use:   "mwasm",
		Short: "Run WebAssembly apps as mwasm unikernels would",
		Long: "mwasm turns a WASI preview 1 WebAssembly app into a unikernel.\n" +
			"mwasm run runs the app under wazero with mwasm's own WASI shim, the ABI\n" +
			"every image has; mwasm build compiles the app and the shim with mwasm's\n" +
			"own compiler into a native Linux executable (the Xen image is not built yet).",
		SilenceUsage:  true,
		SilenceErrors: true,
		// No Args: cobra's default then reports an unknown subcommand as an error,
		// and plain "mwasm" prints the help.
	}
	root.SetIn(std.in)
	root.SetOut(std.out)
	root.SetErr(std.err)
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newRunCmd(std), newBuildCmd(std), newExecCmd(std), newInspectCmd(std), newVersionCmd(std))
	return root
}

// flagError turns pflag's complaint into mwasm's one-line usage error.
func flagError(cmd *cobra.Command, err error) error {
	hint := ""
	if cmd.Name() == "run" || cmd.Name() == "exec" {
		hint = "; arguments for the app go after --"
	}
	return usageErrorf("%s (%s): see %s --help%s", err, cmd.CommandPath(), cmd.CommandPath(), hint)
}
