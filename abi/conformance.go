//go:build !wasip1

package abi

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// This file avoids fmt like the rest of package abi (see wasi.go). It is left out of
// wasip1 builds: the shim compiled to Wasm imports package abi and must not carry
// os/exec and the test helpers below into the image.

// wrapped is an error with context that still unwraps to its cause.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg + ": " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

// The conformance app (abi/conformance) checks a shim from the inside: it calls every
// ABI function raw and prints "ok   NAME" or "FAIL NAME: detail" per check, then
// "SUCCESS" or "FAILURE: N checks failed". Every shim implementation (hosted, Linux,
// Xen) runs it the same way:
//
//	wasm, err := abi.BuildConformance(ctx, t.TempDir())
//	... run wasm with args ConformanceArgs, env ConformanceEnv, a scratch disk and a
//	    user-mode network; capture stdout and the exit status ...
//	err = abi.CheckConformanceOutput(stdout, status, "net0 ARP reply", "fd_write disk0")

// ConformancePackage is the import path of the conformance app.
const ConformancePackage = "github.com/mwasm/mwasm/abi/conformance"

// ConformanceArgs are the arguments the conformance app expects after argv[0].
var ConformanceArgs = []string{"a", "b"}

// ConformanceEnv is the environment the conformance app expects, besides the device
// variables the shim adds.
var ConformanceEnv = []string{"MWASM_CONF=1"}

// BuildConformance compiles the conformance app from its source in this repository
// (GOOS=wasip1 GOARCH=wasm, with the go command on PATH or in GOROOT) and returns the
// path of the .wasm file it wrote in dir.
func BuildConformance(ctx context.Context, dir string) (string, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("abi.BuildConformance: cannot locate the abi package source")
	}
	src := filepath.Dir(self)
	if _, err := os.Stat(filepath.Join(src, "conformance", "main.go")); err != nil {
		return "", &wrapped{"abi.BuildConformance: conformance source not found beside " + self + " (run from a checkout of the repository)", err}
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goCmd); err != nil {
			return "", errors.New("abi.BuildConformance: no go command on PATH or in GOROOT; install Go to build the conformance app")
		}
	}
	out, err := filepath.Abs(filepath.Join(dir, "conformance.wasm"))
	if err != nil {
		return "", &wrapped{"abi.BuildConformance", err}
	}
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", out, "./conformance")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New("abi.BuildConformance: go build " + ConformancePackage + ": " + err.Error() + "\n" + string(msg))
	}
	return out, nil
}

// CheckConformanceOutput judges one run of the conformance app from its stdout and
// exit status. It returns nil only if the app printed SUCCESS, no FAIL line, and an
// "ok" line for each of the required check names (so that a device the run should
// have had cannot go missing silently); otherwise the error lists what went wrong.
func CheckConformanceOutput(stdout string, exitStatus uint32, required ...string) error {
	var fails []string
	passed := map[string]bool{}
	success, failure := false, ""
	for _, line := range strings.Split(stdout, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "ok   "):
			passed[strings.TrimPrefix(line, "ok   ")] = true
		case strings.HasPrefix(line, "FAIL "):
			fails = append(fails, line)
		case line == "SUCCESS":
			success = true
		case strings.HasPrefix(line, "FAILURE: "):
			failure = line
		}
	}
	var problems []string
	problems = append(problems, fails...)
	for _, name := range required {
		if !passed[name] {
			problems = append(problems, "required check "+strconv.Quote(name)+" did not pass")
		}
	}
	switch {
	case failure != "":
		problems = append(problems, failure)
	case !success:
		problems = append(problems, "the app did not print SUCCESS (did it run to the end?)")
	}
	if len(passed) == 0 {
		problems = append(problems, "no check passed")
	}
	if exitStatus != ExitOK && (success || len(problems) == 0) {
		problems = append(problems, "exit status "+itoa(exitStatus)+" after SUCCESS, want "+itoa(ExitOK))
	}
	if len(problems) > 0 {
		return errors.New("conformance (exit status " + itoa(exitStatus) + "): " + strconv.Itoa(len(problems)) +
			" problems:\n  " + strings.Join(problems, "\n  "))
	}
	return nil
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
