package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mwasm/mwasm/internal/wasmtest"
	"github.com/mwasm/mwasm/tests/internal/edge"
)

// shellRun runs argv through /bin/sh with the redirection redir, and returns
// stdout, stderr and the status (128+N for a death by signal N).
func shellRun(t *testing.T, redir, stdin string, argv ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{"-c", `exec "$@" ` + redir, "sh"}, argv...)...)
	cmd.Dir = repoRoot
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return stdout.String(), stderr.String(), 128 + int(ws.Signal())
	}
	return stdout.String(), stderr.String(), ws.ExitStatus()
}

// TestEdgeCorpus runs every edge case under mwasm run and natively: stdout,
// the stderr gist and the status must be the same, and the status the expected one.
func TestEdgeCorpus(t *testing.T) {
	dir, exes := t.TempDir(), t.TempDir() // the executable takes the module's name
	for _, c := range edge.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			m := filepath.Join(dir, c.Name+".wasm")
			if err := os.WriteFile(m, c.Wasm, 0o644); err != nil {
				t.Fatal(err)
			}
			exe := nativeBuildIn(t, exes, m)
			rOut, rErr, rStatus := shellRun(t, c.Shell, c.Stdin, mwasmBin, "run", m)
			nOut, nErr, nStatus := shellRun(t, c.Shell, c.Stdin, exe)
			if rOut != nOut {
				t.Errorf("stdout: run %q, native %q", rOut, nOut)
			}
			if g, h := edge.Gist(rErr), edge.Gist(nErr); g != h {
				t.Errorf("stderr: run %q, native %q", rErr, nErr)
			}
			if rStatus != c.Status || nStatus != c.Status {
				t.Errorf("status: run %d, native %d, want %d (stderr: run %q, native %q)", rStatus, nStatus, c.Status, rErr, nErr)
			}
			for _, bad := range []string{"panic", "goroutine "} {
				if strings.Contains(rErr+nErr, bad) {
					t.Errorf("stderr holds %q: run %q, native %q", bad, rErr, nErr)
				}
			}
		})
	}
}

// TestExecBrokenPipe: mwasm exec app | head says nothing when the executable
// dies of SIGPIPE, as mwasm run says nothing (both end with 141).
func TestExecBrokenPipe(t *testing.T) {
	c := wasmtest.NewCommand(1, -1)
	m := filepath.Join(t.TempDir(), "yes.wasm")
	os.WriteFile(m, c.Main([]byte{0x03, 0x40}, c.Print(1, "y\n"), []byte{0x0c, 0, 0x0b}), 0o644)
	exe := nativeBuild(t, m)
	for _, argv := range [][]string{{mwasmBin, "exec", exe}, {mwasmBin, "run", m}} {
		cmd := exec.Command("/bin/sh", append([]string{"-c", `"$@" | head -c 4`, "sh"}, argv...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, _ := cmd.Output()
		if string(out) != "y\ny\n" || stderr.Len() != 0 {
			t.Errorf("%v | head -c 4 printed %q, stderr %q", argv[1:], out, &stderr)
		}
	}
}
