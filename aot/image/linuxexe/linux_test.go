package linuxexe_test

import (
	"bytes"
	"debug/elf"
	"strings"

	"context"
	"errors"
	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/abi/manifest"
	"github.com/mwasm/mwasm/shim/hosted"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/mwasm/mwasm/aot/image/linuxexe"
	shimlinux "github.com/mwasm/mwasm/shim/linux"
	"github.com/mwasm/mwasm/wasmc/driver"
)

var shimOnce struct {
	sync.Once
	wasm []byte
	err  error
	dir  string
}

func shimWasm(t *testing.T) []byte {
	t.Helper()
	shimOnce.Do(func() {
		shimOnce.dir, _ = os.MkdirTemp("", "mwasm-shim")
		shimOnce.wasm, shimOnce.err = shimlinux.BuildShim(context.Background(), shimOnce.dir)
	})
	if shimOnce.err != nil {
		t.Fatal(shimOnce.err)
	}
	return shimOnce.wasm
}

func repoRoot() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "..", "..", "..")
}

// loadApp builds an app source directory (or reads a .wasm) relative to the repository.
func loadApp(t *testing.T, rel string) []byte {
	t.Helper()
	w, _, err := driver.Load(context.Background(), filepath.Join(repoRoot(), rel), driver.Options{})
	if err != nil {
		t.Skipf("cannot build %s: %v", rel, err)
	}
	return w
}

// buildExe links app into an executable in a temporary directory.
func buildExe(t *testing.T, name string, app []byte, o linuxexe.Options) string {
	t.Helper()
	o.Name, o.App, o.Shim = name, app, shimWasm(t)
	res, err := linuxexe.Build(o)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, res.ELF, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

type result struct {
	stdout, stderr string
	code           int
}

func runExe(t *testing.T, exe string, stdin []byte, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(exe, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		if code < 0 {
			t.Fatalf("%s killed: %v (stderr %q)", exe, err, errb.String())
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

func TestHello(t *testing.T) {
	exe := buildExe(t, "hello", loadApp(t, "apps/hello"), linuxexe.Options{})
	r := runExe(t, exe, nil, nil, "x", "y")
	if r.code != 0 || r.stdout != "Hello from mwasm! args: x y\n" || r.stderr != "" {
		t.Fatalf("hello: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// cApp builds C source src (written to a temporary directory) with clang.
func cApp(t *testing.T, src string) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	w, _, err := driver.Load(context.Background(), dir, driver.Options{Output: filepath.Join(dir, "app.wasm")})
	if err != nil {
		t.Skipf("cannot build C: %v", err)
	}
	return w
}

func TestExitStatus(t *testing.T) {
	exe := buildExe(t, "exit7", cApp(t, "#include <stdlib.h>\n#include <stdio.h>\nint main(void){ printf(\"bye\\n\"); exit(7); }\n"), linuxexe.Options{})
	r := runExe(t, exe, nil, nil)
	if r.code != 7 || r.stdout != "bye\n" {
		t.Fatalf("status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestTraps(t *testing.T) {
	for _, tc := range []struct{ name, src, kind, fn string }{
		{"unreachable", "void __attribute__((noinline)) boom(void){ __builtin_trap(); }\nint main(void){ boom(); return 0; }\n", "unreachable", "app!boom"},
		{"oob", "int __attribute__((noinline)) peek(volatile int *p){ return *p; }\nint main(void){ return peek((volatile int*)0xFFFFFFF0); }\n", "out of bounds memory access", "app!peek"},
		// A hand-written module whose _start ("down") calls itself forever.
		{"recursion", "", "call stack exhausted", "app!down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var app []byte
			if tc.src == "" {
				app = []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
					1, 4, 1, 0x60, 0, 0, // type () -> ()
					3, 2, 1, 0, // func 0: type 0
					7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0, // export _start
					10, 6, 1, 4, 0, 0x10, 0, 0x0b, // body: call 0
					0, 14, 4, 'n', 'a', 'm', 'e', 1, 7, 1, 0, 4, 'd', 'o', 'w', 'n'}
			} else {
				app = cApp(t, tc.src)
			}
			exe := buildExe(t, tc.name, app, linuxexe.Options{})
			r := runExe(t, exe, nil, nil)
			want := "mwasm: trap: " + tc.kind + " in " + tc.fn + "+0x"
			if r.code != 134 || !bytes.HasPrefix([]byte(r.stderr), []byte(want)) || !bytes.Contains([]byte(r.stderr), []byte("(wasm offset 0x")) {
				t.Fatalf("status %d, stderr %q; want 134 and a message beginning %q", r.code, r.stderr, want)
			}
			if !bytes.Contains([]byte(r.stderr), []byte("    at app!")) {
				t.Errorf("no backtrace in %q", r.stderr)
			}
			t.Logf("%s", r.stderr[:min(len(r.stderr), 400)])
		})
	}
}

func TestConformance(t *testing.T) {
	wasmPath, err := abi.BuildConformance(context.Background(), t.TempDir())
	if err != nil {
		t.Skipf("cannot build the conformance app: %v", err)
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	exe := buildExe(t, "conformance", wasm, linuxexe.Options{Env: abi.ConformanceEnv, Disk: true})
	disk := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(disk, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runExe(t, exe, []byte{}, []string{"MWASM_DISK0=" + disk}, abi.ConformanceArgs...)
	if err := abi.CheckConformanceOutput(r.stdout, uint32(r.code), "fd_write disk0"); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	// A declared device must be given; an undeclared one is refused.
	if r := runExe(t, exe, nil, nil, abi.ConformanceArgs...); r.code != 2 || !strings.Contains(r.stderr, "MWASM_DISK0") {
		t.Errorf("without MWASM_DISK0: status %d, stderr %q", r.code, r.stderr)
	}
	if r := runExe(t, buildExe(t, "hello", loadApp(t, "apps/hello"), linuxexe.Options{}), nil, []string{"MWASM_DISK0=" + disk}); r.code != 2 || !strings.Contains(r.stderr, "declares no disk0") {
		t.Errorf("undeclared disk: status %d, stderr %q", r.code, r.stderr)
	}
}

// TestCorpusDifferential runs tests/corpus/c/*.c under mwasm run's runtime
// (hosted.Run, wazero) and as a native executable: same stdout, stderr, status.
func TestCorpusDifferential(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(repoRoot(), "tests", "corpus", "c", "*.c"))
	if len(files) == 0 {
		t.Fatal("no C corpus")
	}
	stdin := []byte("first line\nsecond\n")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".c")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			wasm := cApp(t, string(src))
			var out, errb bytes.Buffer
			code, err := hosted.Run(context.Background(), wasm, hosted.Config{Name: name, Args: []string{"x", "yz"}, Stdin: bytes.NewReader(stdin), Stdout: &out, Stderr: &errb})
			if err != nil {
				t.Fatalf("hosted: %v", err)
			}
			r := runExe(t, buildExe(t, name, wasm, linuxexe.Options{}), stdin, nil, "x", "yz")
			if name == "clock" { // times differ run to run; compare the shape
				out.Reset()
				r.stdout = ""
			}
			if r.stdout != out.String() || r.stderr != errb.String() || r.code != int(code) {
				t.Fatalf("native: status %d stdout %q stderr %q\nwazero: status %d stdout %q stderr %q", r.code, r.stdout, r.stderr, code, out.String(), errb.String())
			}
		})
	}
}

func TestSymbols(t *testing.T) {
	exe := buildExe(t, "hello", loadApp(t, "apps/hello"), linuxexe.Options{})
	out, err := exec.Command(tool(t, "nm", "binutils"), exe).Output()
	if err != nil {
		t.Fatalf("nm: %v", err)
	}
	for _, s := range []string{"app!main.main", "shim!runtime.mallocgc", "mwasm!trap", "_start"} {
		if !bytes.Contains(out, []byte(" "+s+"\n")) {
			t.Errorf("nm shows no %s", s)
		}
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := manifest.FromELF(f)
	if err != nil || m.Target != "linux" || m.App.Name != "hello" {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	st, _ := os.Stat(exe)
	t.Logf("hello executable: %d bytes", st.Size())
}

// tool finds a profiling or debugging tool: missing in CI is a failure (scripts/setup.sh
// installs it), elsewhere the test is skipped with the reason.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing in CI: scripts/setup.sh must install %s", name, pkg)
		}
		t.Skipf("%s not installed (apt-get install -y %s)", name, pkg)
	}
	return p
}

// TestProfilers checks that gdb and perf name the Wasm functions of an executable:
// gdb resolves an address inside a function to its name, and perf attributes the
// samples of a hot loop to it.
func TestProfilers(t *testing.T) {
	src := "unsigned __attribute__((noinline)) spin(unsigned n){ unsigned x = 1; for (unsigned i = 0; i < n; i++) x = x * 2654435761u + i; return x; }\n" +
		"int main(void){ return spin(600000000u) == 7 ? 1 : 0; }\n"
	exe := buildExe(t, "spin", cApp(t, src), linuxexe.Options{})
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var addr uint64
	for _, s := range syms {
		if s.Name == "app!spin" {
			addr = s.Value + s.Size/2
		}
	}
	if addr == 0 {
		t.Fatal("no symbol app!spin")
	}

	gdb := tool(t, "gdb", "gdb")
	out, err := exec.Command(gdb, "-batch", "-ex", "info symbol 0x"+strconv.FormatUint(addr, 16), exe).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("app!spin + ")) {
		t.Errorf("gdb info symbol: %v\n%s", err, out)
	}

	perf := tool(t, "perf", "linux-perf")
	data := filepath.Join(t.TempDir(), "perf.data")
	if out, err := exec.Command(perf, "record", "-q", "-e", "cpu-clock", "-o", data, exe).CombinedOutput(); err != nil {
		t.Skipf("perf record cannot profile here (%v: %s); check /proc/sys/kernel/perf_event_paranoid", err, bytes.TrimSpace(out))
	}
	rep, err := exec.Command(perf, "report", "-i", data, "--stdio", "--sort", "symbol").CombinedOutput()
	if err != nil {
		t.Fatalf("perf report: %v\n%s", err, rep)
	}
	// The hottest line names the Wasm function.
	for _, line := range strings.Split(string(rep), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if !strings.Contains(line, "app!spin") {
			t.Errorf("perf's hottest symbol is not app!spin: %q\n%s", line, rep)
		}
		break
	}
}
