package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mwasm/mwasm/internal/wasmtest"
)

// TestUnsupportedProposal: a module using a proposal mwasm does not support is not
// called malformed: run and build name the proposal in one line (status 2), and
// inspect lists it with the sections rather than refusing.
func TestUnsupportedProposal(t *testing.T) {
	mem := func(flags byte, max int64, n int) []byte {
		m := wasmtest.New()
		v := m.Type(nil, nil)
		for i := 0; i < n; i++ {
			m.Memory(1, max, flags)
		}
		m.Export("_start", wasmtest.KindFunc, m.Func(v, wasmtest.Code()))
		return m.Bytes()
	}
	code := func(instrs ...byte) []byte {
		m := wasmtest.New()
		v := m.Type(nil, nil)
		m.Export("_start", wasmtest.KindFunc, m.Func(v, wasmtest.Code(instrs...)))
		return m.Bytes()
	}
	for _, tc := range []struct {
		name, proposal string
		wasm           []byte
	}{
		{"simd", "SIMD", code(append([]byte{0xfd, 12}, make([]byte, 17)...)...)}, // v128.const, drop
		{"tail-call", "tail calls", code(0x12, 0)},
		{"memory64", "memory64", mem(4, -1, 1)},
		{"shared", "threads (shared memory and atomics)", mem(2, 1, 1)},
		{"multi-memory", "multiple memories", mem(0, -1, 2)},
		{"exceptions", "exception handling", code(0x08, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := writeFile(t, tc.name+".wasm", tc.wasm)
			want := m + " uses " + tc.proposal + " ("
			r := mwasm(t, "run", m)
			wantUsage(t, r, want, "which mwasm does not support yet")
			if b := mwasm(t, "build", "--target", "linux", m, "-o", filepath.Join(t.TempDir(), "x")); b.stderr != r.stderr || b.code != 2 {
				t.Errorf("build: status %d, %q; run said %q", b.code, b.stderr, r.stderr)
			}
			i := mwasm(t, "inspect", m)
			if i.code != 0 || !strings.Contains(i.stdout, "unsupported  "+tc.proposal+" (") || !strings.Contains(i.stdout, "sections") {
				t.Errorf("inspect: status %d, stdout %q, stderr %q", i.code, i.stdout, i.stderr)
			}
		})
	}
}

// TestFlagErrorsNameTheirCommand: the one-line errors of shared flags name the
// command that was given them.
func TestFlagErrorsNameTheirCommand(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	out := filepath.Join(t.TempDir(), "out")
	wantUsage(t, mwasm(t, "build", "--log-level", "loud", m, "-o", out), "(mwasm build)")
	wantUsage(t, mwasm(t, "build", "--env", "=x", m, "-o", out), "(mwasm build)")
	wantUsage(t, mwasm(t, "exec", "--log-level", "loud", m), "(mwasm exec)")
	wantUsage(t, mwasm(t, "run", "--log-level", "loud", m), "(mwasm run)")
}

// TestSectorSizeWithoutDisk: --sector-size means nothing without a disk.
func TestSectorSizeWithoutDisk(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	wantUsage(t, mwasm(t, "run", "--sector-size", "4096", m), "--sector-size without --disk (mwasm run)")
	wantUsage(t, mwasm(t, "build", "--target", "linux", "--sector-size", "4096", m, "-o", filepath.Join(t.TempDir(), "x")), "--sector-size without --disk (mwasm build)")
}

// TestGoDirWithoutModule: Go's own complaint, then what to do.
func TestGoDirWithoutModule(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH")
	}
	dir := filepath.Join(t.TempDir(), "nomod")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	r := mwasm(t, "run", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "go.mod file not found") || !strings.HasSuffix(r.stderr, "run go mod init NAME in "+dir+" (or in a parent directory)\n") {
		t.Errorf("status %d, stderr %q", r.code, r.stderr)
	}
}

// TestRunFromPipe: a module read from a pipe (mwasm run /dev/stdin) is read once.
func TestRunFromPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "app.wasm")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.Write(exitModule)
			f.Close()
		}
	}()
	if r := mwasm(t, "run", fifo); r.code != 7 || r.stderr != "" {
		t.Errorf("status %d, stderr %q; want 7", r.code, r.stderr)
	}
}

// TestBuildOutput: -o never overwrites the app itself, and replaces a running
// executable (a new file renamed over it) instead of failing with "text file busy".
func TestBuildOutput(t *testing.T) {
	m := writeFile(t, "exit7.wasm", exitModule)
	wantUsage(t, mwasm(t, "build", "--target", "linux", m, "-o", m), "-o "+m+" would overwrite the app")
	if b, _ := os.ReadFile(m); string(b) != string(exitModule) {
		t.Fatal("the app was changed")
	}
	exe := filepath.Join(t.TempDir(), "busy")
	sleep, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Skip(err)
	}
	os.WriteFile(exe, sleep, 0o755)
	running := exec.Command(exe, "30")
	if err := running.Start(); err != nil {
		t.Skip(err)
	}
	defer running.Process.Kill()
	time.Sleep(50 * time.Millisecond)
	if r := mwasm(t, "build", "--target", "linux", m, "-o", exe); r.code != 0 {
		t.Fatalf("building over a running executable: status %d, stderr %q", r.code, r.stderr)
	}
	if err := exec.Command(exe).Run(); err == nil || err.(*exec.ExitError).ExitCode() != 7 {
		t.Errorf("the new executable: %v, want exit status 7", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(exe)); len(ents) != 1 {
		t.Errorf("left beside it: %v", ents)
	}
}
