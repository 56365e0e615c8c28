package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// minimalModule is a valid module: (memory 1) (func (export "_start")) (export "memory").
var minimalModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
	0x03, 0x02, 0x01, 0x00, // function section: one func of type 0
	0x05, 0x03, 0x01, 0x00, 0x01, // memory section: min 1 page
	0x07, 0x13, 0x02, // export section: 2 exports
	0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00,
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
	0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code section: empty body
}

// withBody returns minimalModule with _start's body (locals and code, without the
// size prefix) replaced.
func withBody(body ...byte) []byte {
	m := append([]byte(nil), minimalModule[:len(minimalModule)-6]...)
	m = append(m, 0x0a, byte(len(body)+2), 0x01, byte(len(body)))
	return append(m, body...)
}

type result struct {
	code           int
	stdout, stderr string
}

// mwasm runs the CLI in-process and checks it never shows a Go panic or stack trace.
func mwasm(t *testing.T, args ...string) result {
	t.Helper()
	return mwasmCtx(t, context.Background(), args...)
}

func mwasmCtx(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(ctx, args, stdio{in: strings.NewReader(""), out: &out, err: &errb})
	r := result{code, out.String(), errb.String()}
	for _, bad := range []string{"panic", "goroutine "} {
		if strings.Contains(r.stdout+r.stderr, bad) {
			t.Fatalf("mwasm %q printed %q:\nstdout: %s\nstderr: %s", args, bad, r.stdout, r.stderr)
		}
	}
	return r
}

// wantUsage checks exit status 2 and a one-line "mwasm: ..." message containing each want.
func wantUsage(t *testing.T, r result, wants ...string) {
	t.Helper()
	if r.code != 2 {
		t.Errorf("exit status %d, want 2 (stderr %q)", r.code, r.stderr)
	}
	msg := strings.TrimSuffix(r.stderr, "\n")
	if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "mwasm: ") {
		t.Errorf("stderr is not one mwasm: line: %q", r.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("stderr %q does not contain %q", msg, w)
		}
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUnknownFlag(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	wantUsage(t, mwasm(t, "run", "--bogus", m), "unknown flag: --bogus", "see mwasm run --help")
	wantUsage(t, mwasm(t, "run", "-q", m), "unknown shorthand flag", "see mwasm run --help")
}

func TestUnknownCommand(t *testing.T) {
	wantUsage(t, mwasm(t, "frobnicate"), `unknown command "frobnicate"`, "see mwasm --help")
	wantUsage(t, mwasm(t, "version", "extra"), "takes no arguments")
}

func TestMissingApp(t *testing.T) {
	wantUsage(t, mwasm(t, "run"), "missing APP", "give a .wasm file or an app source directory")
	wantUsage(t, mwasm(t, "run", "--", "x"), "missing APP")
	missing := filepath.Join(t.TempDir(), "nope.wasm")
	wantUsage(t, mwasm(t, "run", missing), missing+" does not exist")
}

func TestNotWasm(t *testing.T) {
	p := writeFile(t, "notes.txt", []byte("hello, I am text\n"))
	wantUsage(t, mwasm(t, "run", p), p+" is not a WebAssembly module (bad magic)")
	empty := writeFile(t, "empty.wasm", nil)
	wantUsage(t, mwasm(t, "run", empty), empty+" is empty")
}

func TestTruncatedModule(t *testing.T) {
	p := writeFile(t, "trunc.wasm", minimalModule[:20])
	r := mwasm(t, "run", p)
	wantUsage(t, r, p)
	if !strings.Contains(r.stderr, "truncated") && !strings.Contains(r.stderr, "malformed") {
		t.Errorf("stderr %q does not say the module is truncated or malformed", r.stderr)
	}
	// wasmc's error names the section and the byte offset of the problem.
	if !strings.Contains(r.stderr, "memory section, at offset 0x12") {
		t.Errorf("stderr %q does not name the section and offset", r.stderr)
	}
}

func TestMissingDisk(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	disk := filepath.Join(t.TempDir(), "none.img")
	wantUsage(t, mwasm(t, "run", "--disk", disk, m), disk, "does not exist", "--disk")
}

func TestBadSectorSize(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	disk := writeFile(t, "disk.img", make([]byte, 4096))
	wantUsage(t, mwasm(t, "run", "--disk", disk, "--sector-size", "1000", m), "--disk", "sector size 1000 is not supported")
	odd := writeFile(t, "odd.img", make([]byte, 1000))
	wantUsage(t, mwasm(t, "run", "--disk", odd, m), odd, "not a positive multiple of the 512-byte sector size")
}

func TestMalformedEnv(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	wantUsage(t, mwasm(t, "run", "--env", "FOO", m), `malformed --env "FOO"`, "KEY=VALUE")
	wantUsage(t, mwasm(t, "run", "--env", "=bar", m), `malformed --env "=bar"`)
	wantUsage(t, mwasm(t, "run", "--env", "A B=1", m), `malformed --env "A B=1"`)
	wantUsage(t, mwasm(t, "run", "--env", "MWASM_NET0_MAC=1", m), "MWASM_NET0_MAC is reserved")
}

func TestBadLogLevel(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	wantUsage(t, mwasm(t, "run", "--log-level", "loud", m), `--log-level "loud"`, "trace, debug, info, warn, error or off")
}

func TestBadNet(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	for _, tc := range []struct{ spec, want string }{
		{"slirp", `unknown network type "slirp"`},
		{"user,hostfwd=tcp:8080", `bad --net "user,hostfwd=tcp:8080"`},
		{"user,hostfwd=tcp::99999-:80", "bad port"},
		{"user,frob=1", `unknown option "frob"`},
	} {
		wantUsage(t, mwasm(t, "run", "--net", tc.spec, m), tc.want)
	}
}

func TestHostfwdPortInUse(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	m := writeFile(t, "m.wasm", minimalModule)
	spec := fmt.Sprintf("user,hostfwd=tcp:127.0.0.1:%d-:80", port)
	wantUsage(t, mwasm(t, "run", "--net", spec, m), fmt.Sprintf("127.0.0.1:%d", port), "address already in use")
}

func TestCompileErrorFromSourceDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/bad\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { notDefined() }\n"), 0o644)
	r := mwasm(t, "run", dir)
	if r.code != 2 {
		t.Fatalf("exit status %d, want 2 (stderr %q)", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(r.stderr, "notDefined") || !strings.HasPrefix(last, "mwasm: go build failed ("+dir+")") {
		t.Fatalf("stderr %q: want the compiler's output then a mwasm: summary line", r.stderr)
	}
}

func TestVersion(t *testing.T) {
	r := mwasm(t, "version")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "mwasm ") ||
		lines[1] != fmt.Sprintf("go %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH) ||
		!strings.HasPrefix(lines[2], "wazero ") {
		t.Fatalf("version output %q", r.stdout)
	}
}

func TestRunMinimalModule(t *testing.T) {
	// withBody(0x00, 0x0b) is minimalModule itself: check the helper, then run it.
	if !bytes.Equal(withBody(0x00, 0x0b), minimalModule) {
		t.Fatal("withBody does not rebuild minimalModule")
	}
	r := mwasm(t, "run", writeFile(t, "m.wasm", minimalModule))
	if r.code != 0 || r.stderr != "" || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestRunTrap(t *testing.T) {
	p := writeFile(t, "trap.wasm", withBody(0x00, 0x00, 0x0b)) // unreachable
	r := mwasm(t, "run", p)
	if r.code != 134 {
		t.Fatalf("exit %d, want 134 (stderr %q)", r.code, r.stderr)
	}
	// The report a native executable prints (it names the function, not the file).
	if r.stderr != "mwasm: trap: unreachable in app!_start\n" {
		t.Fatalf("stderr %q is not the trap report", r.stderr)
	}
}

func TestRunInterrupted(t *testing.T) {
	// A loop that calls nothing, counting 4e9 down (seconds): run gives up on it
	// after its grace and leaves it to end on its own. (A loop that never ends
	// would spin on in this process, and no garbage collection of the later
	// tests could stop the world.)
	p := writeFile(t, "loop.wasm", withBody(0x01, 0x01, 0x7e, // one i64 local
		0x42, 0x80, 0xd0, 0xac, 0xf3, 0x0e, 0x21, 0x00, // local 0 = 4e9
		0x03, 0x40, 0x20, 0x00, 0x42, 0x01, 0x7d, 0x22, 0x00, 0x50, 0x45, 0x0d, 0x00, 0x0b, // loop: until --local 0 == 0
		0x0b))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := mwasmCtx(t, ctx, "run", p)
	if r.code != 130 || r.stderr != "mwasm: interrupted\n" {
		t.Fatalf("exit %d, stderr %q; want 130 and mwasm: interrupted", r.code, r.stderr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v to stop", d)
	}
}

func TestRunNotACommand(t *testing.T) {
	// A valid module without _start.
	m := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	p := writeFile(t, "lib.wasm", m)
	wantUsage(t, mwasm(t, "run", p), p+": ", "_start")
}

// TestRunGoSource builds testdata/hello from source and checks arguments, --env,
// both output streams and the exit status reach the app and back.
func TestRunGoSource(t *testing.T) {
	r := mwasm(t, "run", "--env", "FOO=bar baz", "testdata/hello", "--", "one", "-two")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if want := "args=[\"one\" \"-two\"]\nFOO=bar baz\n"; r.stdout != want {
		t.Fatalf("stdout %q, want %q", r.stdout, want)
	}
	if r.stderr != "to stderr\n" {
		t.Fatalf("stderr %q", r.stderr)
	}
	r = mwasm(t, "run", "--env", "EXIT=7", "testdata/hello")
	if r.code != 7 {
		t.Fatalf("exit %d, want the app's 7 (stderr %q)", r.code, r.stderr)
	}
}

func TestRunWithDisk(t *testing.T) {
	disk := writeFile(t, "disk.img", make([]byte, 64*512))
	r := mwasm(t, "run", "--disk", disk, "--env", "EXIT=3", "testdata/hello")
	if r.code != 3 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{"MWASM_DISK0_SECTOR_SIZE=512\n", "MWASM_DISK0_SECTORS=64\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout %q lacks %q", r.stdout, want)
		}
	}
	if strings.Contains(r.stdout, "MWASM_NET0") {
		t.Errorf("stdout %q: net facts without --net", r.stdout)
	}
}

func TestRunWithUserNet(t *testing.T) {
	r := mwasm(t, "run", "--net", "user,hostfwd=tcp:127.0.0.1:0-:80,mac=52:54:00:00:00:07", "testdata/hello")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{
		"MWASM_NET0_MAC=52:54:00:00:00:07\n", "MWASM_NET0_MTU=1500\n",
		"MWASM_NET0_IPV4=10.0.2.15/24\n", "MWASM_NET0_GATEWAY=10.0.2.2\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout %q lacks %q", r.stdout, want)
		}
	}
}

// TestRunSourceDirNamesDir checks that an error about a module built from source
// names the source directory and the built file.
func TestRunSourceDirNamesDir(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang not installed (scripts/setup.sh installs it)")
	}
	dir := t.TempDir()
	src := `__attribute__((import_module("env"), import_name("foreign"))) void foreign(void);
int main(void) { foreign(); return 0; }
`
	os.WriteFile(filepath.Join(dir, "app.c"), []byte(src), 0o644)
	r := mwasm(t, "run", dir)
	wantUsage(t, r, dir+" (built as ", ".wasm): module imports env.foreign")
}

// sockSrc calls two socket functions raw and prints their errnos: ENOTSOCK (57) for
// the console, EBADF (8) for a descriptor that is not open.
const sockSrc = `#include <stdio.h>
__attribute__((import_module("wasi_snapshot_preview1"), import_name("sock_accept"))) int sock_accept_raw(int, int, int *);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("sock_shutdown"))) int sock_shutdown_raw(int, int);
int main(void) { int fd = -1; int a = sock_accept_raw(1, 0, &fd); int b = sock_shutdown_raw(99, 3); printf("%d %d %d\n", a, b, fd); return 0; }
`

// TestSocketImportsAndRefusedImport: a module importing the socket calls runs (they
// answer ENOTSOCK and EBADF), while one importing proc_raise is refused with one
// line by both mwasm run and mwasm build.
func TestSocketImportsAndRefusedImport(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang not installed (scripts/setup.sh installs it)")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.c"), []byte(sockSrc), 0o644)
	r := mwasm(t, "run", dir)
	if r.code != 0 || r.stdout != "57 8 -1\n" {
		t.Errorf("run: exit %d, stdout %q, want \"57 8 -1\\n\"; stderr %q", r.code, r.stdout, r.stderr)
	}
	raise := t.TempDir()
	src := `__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int proc_raise_raw(int);
int main(void) { return proc_raise_raw(6); }
`
	os.WriteFile(filepath.Join(raise, "app.c"), []byte(src), 0o644)
	const msg = "module imports wasi_snapshot_preview1.proc_raise, which the mwasm ABI does not provide: proc_raise is deprecated"
	wantUsage(t, mwasm(t, "run", raise), msg)
	wantUsage(t, mwasm(t, "build", raise, "-o", filepath.Join(t.TempDir(), "x")), msg)
	wantUsage(t, mwasm(t, "build", "--target", "linux", raise, "-o", filepath.Join(t.TempDir(), "x")), msg)
}

// TestBuildPhaseLogAndSockets builds the socket-calling app twice with a fresh
// shim cache: --log-level info prints one line of phase timings (the shim compiled,
// then cached), and the executable gets ENOTSOCK and EBADF like mwasm run.
func TestBuildPhaseLogAndSockets(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang not installed (scripts/setup.sh installs it)")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.c"), []byte(sockSrc), 0o644)
	cache := filepath.Join(t.TempDir(), "cache")
	exe := filepath.Join(t.TempDir(), "sock")
	for _, want := range []string{"shim_compile=", "shim_compile=cached"} {
		r := mwasm(t, "build", "--target", "linux", "--log-level", "info", "--cache-dir", cache, dir, "-o", exe)
		if r.code != 0 {
			t.Fatalf("build: exit %d, stderr %q", r.code, r.stderr)
		}
		var line string
		for _, l := range strings.Split(r.stderr, "\n") {
			if strings.Contains(l, "[INFO]") && strings.Contains(l, "build phases:") {
				line = l
			}
		}
		for _, key := range []string{"app_decode_validate=", "app_compile=", "shim_build=", want, "link=", "total="} {
			if !strings.Contains(line, key) {
				t.Errorf("phase line %q lacks %q (stderr %q)", line, key, r.stderr)
			}
		}
		if want == "shim_compile=" && strings.Contains(line, "cached") {
			t.Errorf("first build with an empty cache says cached: %q", line)
		}
	}
	out, err := exec.Command(exe).Output()
	if err != nil || string(out) != "57 8 -1\n" {
		t.Errorf("executable: %v, stdout %q, want \"57 8 -1\\n\"", err, out)
	}
}

// mwasm run keeps wazero's compiled code in --cache-dir, and keeps nothing with off.
func TestRunCompilationCache(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	dir := filepath.Join(t.TempDir(), "cache")
	for i := 0; i < 2; i++ {
		if r := mwasm(t, "run", "--cache-dir", dir, m); r.code != 0 {
			t.Fatalf("run %d: status %d, stderr %q", i, r.code, r.stderr)
		}
	}
	var files int
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files == 0 {
		t.Errorf("--cache-dir %s holds no compiled code after two runs", dir)
	}
	// The default directory is under the user cache directory; off uses none.
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", home)
	def := filepath.Join(home, "mwasm", "cache", "wazero")
	if r := mwasm(t, "run", "--cache-dir", "off", m); r.code != 0 {
		t.Fatalf("--cache-dir off: status %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(def); !os.IsNotExist(err) {
		t.Errorf("--cache-dir off created %s", def)
	}
	if r := mwasm(t, "run", m); r.code != 0 {
		t.Fatalf("default cache: status %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(def); err != nil {
		t.Errorf("the default cache directory %s was not created: %v", def, err)
	}
}

// TestRunCorruptCache: a truncated or corrupted entry of --cache-dir is discarded
// and the module compiled again (with a warning), not blamed on the module; the
// next run uses the fresh entry quietly.
func TestRunCorruptCache(t *testing.T) {
	m := writeFile(t, "exit7.wasm", exitModule)
	for _, damage := range []func(string) error{
		func(p string) error { return os.Truncate(p, 100) },
		func(p string) error { return os.WriteFile(p, []byte("garbage"), 0o644) },
		func(p string) error {
			b, err := os.ReadFile(p)
			if err == nil {
				b[len(b)/2] ^= 0xff // the code's checksum no longer matches
				err = os.WriteFile(p, b, 0o644)
			}
			return err
		},
	} {
		dir := filepath.Join(t.TempDir(), "cache")
		if r := mwasm(t, "run", "--cache-dir", dir, m); r.code != 7 {
			t.Fatalf("first run: status %d, stderr %q", r.code, r.stderr)
		}
		var entries []string
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				entries = append(entries, p)
			}
			return nil
		})
		if len(entries) != 1 {
			t.Fatalf("cache entries %q, want one", entries)
		}
		if err := damage(entries[0]); err != nil {
			t.Fatal(err)
		}
		r := mwasm(t, "run", "--cache-dir", dir, m)
		if r.code != 7 || !strings.Contains(r.stderr, "discarded a bad entry of the compilation cache") || strings.Contains(r.stderr, "not a valid") {
			t.Errorf("after damage: status %d, stderr %q; want 7 and a warning", r.code, r.stderr)
		}
		if r := mwasm(t, "run", "--cache-dir", dir, m); r.code != 7 || r.stderr != "" {
			t.Errorf("the run after: status %d, stderr %q; want 7 and nothing said", r.code, r.stderr)
		}
	}
}
