// Command mwasm runs WebAssembly apps the way an mwasm unikernel image will.
//
//	mwasm run [flags] APP [-- ARGS...]   run APP (a .wasm file or an app source
//	                                     directory) under wazero with mwasm's own
//	                                     WASI shim and the devices the flags ask for
//	mwasm build --target linux APP -o EXE
//	                                     compile APP and the shim to a native executable
//	mwasm exec [flags] EXE [-- ARGS...]  run such an executable with its devices
//	                                     (user-mode network over a socket pair, disk)
//	mwasm version                        print the versions of mwasm, Go and wazero
//
// main is thin: it wires signals and the process's stdio to execute (cli.go), which
// builds the cobra command tree, runs it and turns every error into one line on
// stderr and an exit status (abi.ExitUsage for bad flags, input files and devices).
// Tests call execute in-process with their own arguments and buffers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mwasm/mwasm/internal/stdfds"
)

func main() {
	// Before anything is opened: a closed fd 0-2 would otherwise be reused by
	// the first file mwasm opens (a disk image, the cache), and the app's
	// output would be written into it.
	if err := stdfds.Ensure(); err != nil {
		os.Stderr.WriteString("mwasm: fd 0, 1 or 2 is closed and /dev/null cannot take its place: " + err.Error() + ": start mwasm with its standard descriptors open\n")
		os.Exit(2)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		// The run ends with the signal as its cause (status 128+N). After the
		// first signal the default handling is back: a second Ctrl-C kills.
		s := <-sigs
		signal.Stop(sigs)
		cancel(signalled{s.(syscall.Signal)})
	}()
	code := execute(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	os.Exit(code)
}

// signalled is the cause of a run's context when a signal ended it.
type signalled struct{ sig syscall.Signal }

func (s signalled) Error() string { return "signal " + s.sig.String() }
