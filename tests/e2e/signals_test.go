package e2e

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// signalRun starts argv, waits for "spinning" on its stdout, sends sig and
// returns how the process ended (128+N for a death by signal N, as a shell
// says), its stderr and how long it took to end after the signal.
func signalRun(t *testing.T, sig syscall.Signal, argv ...string) (int, string, time.Duration) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = repoRoot
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "spinning\n" {
		t.Fatalf("%v printed %q (%v), stderr %q", argv, line, err, &stderr)
	}
	time.Sleep(100 * time.Millisecond)
	sent := time.Now()
	cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%v did not end within 10 s of %v", argv, sig)
	}
	took := time.Since(sent)
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), stderr.String(), took
	}
	return ws.ExitStatus(), stderr.String(), took
}

// TestSignals: a fault signal another process sends (kill -SEGV, si_code
// SI_USER) ends a native executable as that signal, not as a Wasm trap; under
// mwasm run SIGTERM is 143 (128+15), and a Go app computing without ABI calls
// stops within moments of it, not after a grace of seconds.
func TestSignals(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang not found (scripts/setup.sh installs it)")
	}
	exe := nativeBuild(t, "tests/e2e/testdata/spin")
	for _, sig := range []syscall.Signal{syscall.SIGSEGV, syscall.SIGFPE, syscall.SIGBUS, syscall.SIGTERM} {
		status, stderr, _ := signalRun(t, sig, exe)
		if status != 128+int(sig) || strings.Contains(stderr, "trap") {
			t.Errorf("native, kill -%d: status %d, stderr %q; want %d and no trap report", sig, status, stderr, 128+int(sig))
		}
	}
	for _, app := range []string{"tests/e2e/testdata/gospin", "tests/e2e/testdata/spin"} {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
			status, stderr, took := signalRun(t, sig, mwasmBin, "run", app)
			t.Logf("mwasm run %s: %v ended it in %v", filepath.Base(app), sig, took)
			if status != 128+int(sig) || strings.Count(stderr, "\n") > 1 {
				t.Errorf("mwasm run %s, %v: status %d, stderr %q; want %d", app, sig, status, stderr, 128+int(sig))
			}
			if took > time.Second {
				t.Errorf("mwasm run %s took %v to stop after %v", app, took, sig)
			}
		}
	}
}
