package hosted

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/tetratelabs/wazero"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/internal/wasmtest"
	"github.com/mwasm/mwasm/shim"
)

var (
	buildOnce sync.Once
	progWasm  []byte
	buildErr  error
	cache     = wazero.NewCompilationCache()
)

// prog builds testdata/wasiprog with GOOS=wasip1 GOARCH=wasm (once per test binary).
func prog(t *testing.T) []byte {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hosted-test")
		if err != nil {
			buildErr = err
			return
		}
		out := filepath.Join(dir, "wasiprog.wasm")
		cmd := exec.Command("go", "build", "-o", out, "./testdata/wasiprog")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if msg, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			t.Logf("go build: %s", msg)
			return
		}
		progWasm, buildErr = os.ReadFile(out)
		os.RemoveAll(dir)
	})
	if buildErr != nil {
		t.Fatalf("building testdata/wasiprog: %v", buildErr)
	}
	return progWasm
}

type result struct {
	code           uint32
	err            error
	stdout, stderr string
}

func run(t *testing.T, wasm []byte, cfg Config) result {
	t.Helper()
	var out, errOut bytes.Buffer
	cfg.Stdout, cfg.Stderr = &out, &errOut
	if cfg.Name == "" {
		cfg.Name = "wasiprog"
	}
	cfg.Log = hclog.NewNullLogger()
	cfg.CompilationCache = cache
	code, err := Run(context.Background(), wasm, cfg)
	return result{code, err, out.String(), errOut.String()}
}

func TestHello(t *testing.T) {
	r := run(t, prog(t), Config{Args: []string{"hello"}})
	if r.err != nil || r.code != 0 {
		t.Fatalf("exit %d, err %v, stderr %q", r.code, r.err, r.stderr)
	}
	if r.stdout != "hello, mwasm\n" {
		t.Errorf("stdout = %q", r.stdout)
	}
	if r.stderr != "to stderr\n" {
		t.Errorf("stderr = %q", r.stderr)
	}
}

func TestArgsAndEnv(t *testing.T) {
	disk := tempDisk(t, 8*512)
	defer disk.Close()
	r := run(t, prog(t), Config{
		Name: "myapp",
		Args: []string{"args", "two words", "x"},
		Env:  []string{"FOO=bar", abi.EnvDisk0Sectors + "=999"},
		Disk: disk,
	})
	if r.err != nil || r.code != 0 {
		t.Fatalf("exit %d, err %v, stderr %q", r.code, r.err, r.stderr)
	}
	want := `args=["myapp" "args" "two words" "x"]` + "\n"
	if !strings.HasPrefix(r.stdout, want) {
		t.Errorf("stdout = %q, want prefix %q", r.stdout, want)
	}
	for _, kv := range []string{"FOO=bar", abi.EnvDisk0Sector + "=512", abi.EnvDisk0Sectors + "=8"} {
		if !strings.Contains(r.stdout, "env "+kv+"\n") {
			t.Errorf("environment lacks %s:\n%s", kv, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "=999") || strings.Contains(r.stdout, "MWASM_NET0") {
		t.Errorf("environment has a stale or absent device fact:\n%s", r.stdout)
	}
}

func TestExitCode(t *testing.T) {
	for _, code := range []uint32{0, 3, 42} {
		r := run(t, prog(t), Config{Args: []string{"exit", string(rune('0'+code/10)) + string(rune('0'+code%10))}})
		if r.err != nil || r.code != code {
			t.Errorf("exit %d: got %d, err %v", code, r.code, r.err)
		}
	}
}

// --- hand-made modules -------------------------------------------------------------------

func section(id byte, body ...byte) []byte {
	if len(body) > 127 {
		panic("test module section too long")
	}
	return append([]byte{id, byte(len(body))}, body...)
}

func name(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func module(sections ...[]byte) []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	for _, s := range sections {
		m = append(m, s...)
	}
	return m
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// importModule imports modname.fname (i32, i32, i32) -> i32 and exports an empty _start.
func importModule(modname, fname string) []byte {
	return module(
		section(1, 2, 0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7f, 0x60, 0, 0),
		section(2, cat([]byte{1}, name(modname), name(fname), []byte{0, 0})...),
		section(3, 1, 1),
		section(7, cat([]byte{1}, name("_start"), []byte{0, 1})...),
		section(10, 1, 2, 0, 0x0b),
	)
}

// trapModule's _start executes unreachable.
var trapModule = module(
	section(1, 1, 0x60, 0, 0),
	section(3, 1, 0),
	section(7, cat([]byte{1}, name("_start"), []byte{0, 0})...),
	section(10, 1, 3, 0, 0x00, 0x0b),
)

func TestTrap(t *testing.T) {
	r := run(t, trapModule, Config{})
	if r.code != abi.ExitTrap {
		t.Errorf("exit %d, want %d", r.code, abi.ExitTrap)
	}
	// Worded as a native executable words it; the function named by its export.
	if r.err == nil || r.err.Error() != "trap: unreachable in app!_start" {
		t.Errorf("err = %v, want the trap report", r.err)
	}
}

// TestStartFunctionTrap: a trap in the start function is a trap (134), as in a
// native executable, not a failure to instantiate (2); a proc_exit there is an exit.
func TestStartFunctionTrap(t *testing.T) {
	c := wasmtest.NewCommand(1, -1)
	c.Start(c.Func(c.Void, wasmtest.Code(0x00)))
	r := run(t, c.Main(c.Print(1, "not reached\n")), Config{})
	if r.code != abi.ExitTrap || r.err == nil || r.err.Error() != "trap: unreachable in app!func2" || r.stdout != "" {
		t.Errorf("exit %d, err %v, stdout %q; want 134 and the trap report", r.code, r.err, r.stdout)
	}
	c = wasmtest.NewCommand(1, -1)
	c.Start(c.Func(c.Void, wasmtest.Code(c.Exit(9)...)))
	if r := run(t, c.Main(), Config{}); r.code != 9 || r.err != nil {
		t.Errorf("proc_exit(9) in the start function: exit %d, err %v", r.code, r.err)
	}
}

// TestTrapWording: each trap kind in abi's words, with the backtrace named after
// the name section (boom), else the export (_start).
func TestTrapWording(t *testing.T) {
	for _, tc := range []struct {
		body []byte // boom's code (boom is func 2)
		want string
	}{
		{[]byte{0x00}, "unreachable"},
		{[]byte{0x41, 1, 0x41, 0, 0x6d, 0x1a}, "integer divide by zero"},
		{[]byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x41, 0x7f, 0x6d, 0x1a}, "integer overflow"},
		{[]byte{0x43, 0, 0, 0xc0, 0x7f, 0xa8, 0x1a}, "invalid conversion to integer"},
		{[]byte{0x41, 0x7c, 0x28, 2, 0, 0x1a}, "out of bounds memory access"},
		{[]byte{0x41, 5, 0x11, 2, 0}, "invalid table access"},
		{[]byte{0x41, 0, 0x11, 2, 0}, "invalid table access"}, // a null entry
		{[]byte{0x10, 2}, "call stack exhausted"},
	} {
		c := wasmtest.NewCommand(1, -1)
		c.Table(1, -1)
		boom := c.Func(c.Void, wasmtest.Code(tc.body...))
		c.Custom("name", wasmtest.Section(1, wasmtest.Cat([]byte{1}, wasmtest.U(uint64(boom)), wasmtest.Name("boom"))))
		r := run(t, c.Main(wasmtest.Call(boom)), Config{})
		want := "trap: " + tc.want + " in app!boom\n"
		deep := tc.want == abi.TrapStackExhausted // wazero gives no backtrace
		if deep {
			want = "trap: " + tc.want
		}
		if r.code != abi.ExitTrap || r.err == nil || !strings.HasPrefix(r.err.Error(), want) || !deep && !strings.HasSuffix(r.err.Error(), "\n    at app!_start") {
			t.Errorf("exit %d, err %v; want 134 and a report beginning %q, ending at _start", r.code, r.err, want)
		}
	}
}

func TestUnsupportedImport(t *testing.T) {
	m := importModule("wasi_snapshot_preview1", "proc_raise")
	want := "module imports wasi_snapshot_preview1.proc_raise, which the mwasm ABI does not provide: " +
		"proc_raise is deprecated in WASI preview 1 and there are no signals: call proc_exit instead; see abi/README.md"
	if err := CheckImports(context.Background(), m); err == nil || err.Error() != want {
		t.Errorf("CheckImports: %v\nwant: %s", err, want)
	}
	r := run(t, m, Config{})
	if r.err == nil || r.err.Error() != want || r.code != abi.ExitUsage {
		t.Errorf("Run: exit %d, %v", r.code, r.err)
	}
	// The message is abi.CheckImport's, word for word (one code path for every loader).
	abiErr := abi.CheckImport("wasi_snapshot_preview1", "proc_raise", []abi.ValType{abi.I32, abi.I32, abi.I32}, []abi.ValType{abi.I32})
	if abiErr == nil || abiErr.Error() != want {
		t.Errorf("abi.CheckImport says %v, hosted says %s", abiErr, want)
	}

	err := CheckImports(context.Background(), importModule("env", "foo"))
	if err == nil || err.Error() != "module imports env.foo, which the mwasm ABI does not provide: see abi/README.md for the functions mwasm provides" {
		t.Errorf("import from env: %v", err)
	}
	var ie *abi.ImportError
	if !errors.As(err, &ie) || ie.Module != "env" || ie.Name != "foo" {
		t.Errorf("import from env: %#v is not an *abi.ImportError", err)
	}
	r = run(t, importModule("env", "foo"), Config{})
	if r.err == nil || r.err.Error() != err.Error() || r.code != abi.ExitUsage {
		t.Errorf("Run of an env import: exit %d, %v", r.code, r.err)
	}
	// The socket calls are provided (they answer ENOTSOCK/EBADF: abi/README.md);
	// sock_accept is (i32, i32, i32) -> i32, the type importModule declares.
	if err := CheckImports(context.Background(), importModule("wasi_snapshot_preview1", "sock_accept")); err != nil {
		t.Errorf("sock_accept (i32, i32, i32) -> i32 refused: %v", err)
	}
	// fd_write exists, but with (i32, i32, i32, i32) -> i32.
	err = CheckImports(context.Background(), importModule("wasi_snapshot_preview1", "fd_write"))
	if err == nil || err.Error() != "module imports wasi_snapshot_preview1.fd_write with type (i32, i32, i32) -> i32, but the mwasm ABI defines it as (i32, i32, i32, i32) -> i32 (see abi/README.md)" {
		t.Errorf("wrong signature: %v", err)
	}
	// Functions added to the ABI for unmodified programs are accepted.
	if err := CheckImports(context.Background(), importModule("wasi_snapshot_preview1", "path_create_directory")); err != nil {
		t.Errorf("path_create_directory (i32, i32, i32) -> i32 refused: %v", err)
	}
	if err := CheckImports(context.Background(), prog(t)); err != nil {
		t.Errorf("the Go test program is refused: %v", err)
	}
}

func TestReactorRefused(t *testing.T) {
	m := module(
		section(1, 1, 0x60, 0, 0),
		section(3, 1, 0),
		section(7, cat([]byte{1}, name("_initialize"), []byte{0, 0})...),
		section(10, 1, 2, 0, 0x0b),
	)
	err := CheckImports(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "reactor") {
		t.Errorf("err = %v, want a reactor error", err)
	}
}

func TestInvalidModule(t *testing.T) {
	err := CheckImports(context.Background(), []byte("not wasm"))
	if err == nil || !strings.Contains(err.Error(), "invalid Wasm module") {
		t.Errorf("err = %v", err)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestIdleSleep checks that a 200ms poll_oneoff clock wait sleeps rather than spins:
// its CPU cost over a run that does not sleep must be far below the time it waited.
func TestIdleSleep(t *testing.T) {
	wasm := prog(t)
	run(t, wasm, Config{Args: []string{"hello"}}) // warm the compilation cache
	c0 := cpuTime()
	if r := run(t, wasm, Config{Args: []string{"hello"}}); r.err != nil {
		t.Fatal(r.err)
	}
	base := cpuTime() - c0

	for _, mode := range []string{"sleep", "gosleep"} {
		c0 = cpuTime()
		t0 := time.Now()
		r := run(t, wasm, Config{Args: []string{mode}})
		elapsed, cpu := time.Since(t0), cpuTime()-c0
		if r.err != nil || r.code != 0 {
			t.Fatalf("%s: exit %d, %v, %s", mode, r.code, r.err, r.stderr)
		}
		if elapsed < 200*time.Millisecond {
			t.Errorf("%s: run took %v, want >= 200ms", mode, elapsed)
		}
		t.Logf("%s: elapsed %v, cpu %v (a run without sleep: %v), output %q", mode, elapsed, cpu, base, r.stdout)
		// A spinning wait costs about as much CPU as it waits; a blocking one next to
		// nothing. A third of the wait leaves room for noise on a loaded machine.
		if cpu > base+elapsed/3 {
			t.Errorf("%s: used %v CPU, a run without sleeping used %v: the wait spins", mode, cpu, base)
		}
	}
}

func TestCancel(t *testing.T) {
	wasm := prog(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	t0 := time.Now()
	code, err := Run(ctx, wasm, Config{Name: "wasiprog", Args: []string{"gosleep", "1h"}, CompilationCache: cache})
	if code != ExitInterrupted || err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("exit %d, err %v", code, err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("cancel took %v", d)
	}
}

func TestStdin(t *testing.T) {
	r := run(t, prog(t), Config{Args: []string{"cat"}, Stdin: strings.NewReader("some input\nmore")})
	if r.err != nil || r.code != 0 || r.stdout != "SOME INPUT\nMORE" {
		t.Errorf("exit %d, err %v, stdout %q, stderr %q", r.code, r.err, r.stdout, r.stderr)
	}
	r = run(t, prog(t), Config{Args: []string{"cat"}})
	if r.err != nil || r.code != 0 || r.stdout != "" {
		t.Errorf("no stdin: exit %d, err %v, stdout %q, stderr %q", r.code, r.err, r.stdout, r.stderr)
	}
}

func tempDisk(t *testing.T, size int64) shim.BlockDevice {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.img")
	if err := CreateDisk(path, size, 512); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDisk(path, 512)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "disk.img")
	if err := CreateDisk(path, 64*512, 512); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDisk(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, prog(t), Config{Args: []string{"disk"}, Disk: d})
	d.Close()
	if r.err != nil || r.code != 0 || r.stdout != "disk ok\n" {
		t.Fatalf("exit %d, err %v, stdout %q, stderr %q", r.code, r.err, r.stdout, r.stderr)
	}
	img, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("mwasm-disk!"), 2*512/11+1)[:2*512]
	if !bytes.Equal(img[3*512:5*512], want) {
		t.Errorf("image sectors 3-4 do not hold the written data")
	}
	if !bytes.Equal(img[:3*512], make([]byte, 3*512)) || !bytes.Equal(img[5*512:], make([]byte, len(img)-5*512)) {
		t.Errorf("data landed outside sectors 3-4")
	}
}

func TestListDev(t *testing.T) {
	disk := tempDisk(t, 16*512)
	defer disk.Close()
	r := run(t, prog(t), Config{Args: []string{"ls"}, Disk: disk, Net: &NetConfig{Device: &idleNet{}, IPv4: "10.0.2.15/24"}})
	want := "disk0 D--------- 8192\nnet0 Dc--------- 0\n"
	if r.err != nil || r.code != 0 || r.stdout != want {
		t.Errorf("exit %d, err %v, stdout %q (want %q), stderr %q", r.code, r.err, r.stdout, want, r.stderr)
	}
	r = run(t, prog(t), Config{Args: []string{"ls"}})
	if r.err != nil || r.code != 0 || r.stdout != "" {
		t.Errorf("no devices: exit %d, err %v, stdout %q, stderr %q", r.code, r.err, r.stdout, r.stderr)
	}
}

// idleNet is a NetDevice on which nothing ever happens.
type idleNet struct{ wake func() }

func (n *idleNet) SetWake(w func())                  { n.wake = w }
func (n *idleNet) MAC() [6]byte                      { return [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56} }
func (n *idleNet) MTU() int                          { return 1500 }
func (n *idleNet) RecvFrame(buf []byte) (int, error) { return 0, shim.ErrAgain }
func (n *idleNet) SendFrame(frame []byte) error      { return nil }
func (n *idleNet) Readable() bool                    { return false }
func (n *idleNet) Writable() bool                    { return true }
func (n *idleNet) Close() error                      { return nil }

func TestOpenDiskErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.img")
	_, err := OpenDisk(missing, 512)
	if err == nil || !strings.Contains(err.Error(), missing+" does not exist") || !strings.Contains(err.Error(), "truncate -s") {
		t.Errorf("missing: %v", err)
	}
	odd := filepath.Join(dir, "odd.img")
	os.WriteFile(odd, make([]byte, 1000), 0o644)
	_, err = OpenDisk(odd, 512)
	if err == nil || !strings.Contains(err.Error(), "is 1000 bytes, which is not a positive multiple of the 512-byte sector size") {
		t.Errorf("odd size: %v", err)
	}
	empty := filepath.Join(dir, "empty.img")
	os.WriteFile(empty, nil, 0o644)
	if _, err = OpenDisk(empty, 512); err == nil || !strings.Contains(err.Error(), "is 0 bytes") {
		t.Errorf("empty: %v", err)
	}
	if _, err = OpenDisk(dir, 512); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	if _, err = OpenDisk(odd, 1000); err == nil || !strings.Contains(err.Error(), "sector size 1000") {
		t.Errorf("bad sector size: %v", err)
	}
	ok := filepath.Join(dir, "ok.img")
	os.WriteFile(ok, make([]byte, 4096), 0o644)
	d, err := OpenDisk(ok, 1024)
	if err != nil || d.Sectors() != 4 || d.SectorSize() != 1024 {
		t.Fatalf("ok: %v", err)
	}
	d.Close()
}

func TestWaitWake(t *testing.T) {
	p := newPlatform(context.Background(), &Config{})
	t0 := time.Now()
	p.Wait(p.Now(shim.ClockMonotonic) + uint64(50*time.Millisecond))
	if d := time.Since(t0); d < 50*time.Millisecond {
		t.Errorf("deadline wait returned after %v", d)
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		p.Wake()
	}()
	t0 = time.Now()
	p.Wait(shim.NoDeadline)
	if d := time.Since(t0); d < 20*time.Millisecond || d > 2*time.Second {
		t.Errorf("woken wait returned after %v", d)
	}
}

func TestEveryProvidedFunctionIsBound(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range shim.Provided {
		if seen[f.Name] || f.Invoke == nil {
			t.Errorf("%s: duplicate or without Invoke", f.Name)
		}
		seen[f.Name] = true
	}
	if len(seen) != len(abi.Functions) {
		t.Errorf("%d functions provided, the ABI has %d", len(seen), len(abi.Functions))
	}
	for _, f := range abi.Functions {
		if !seen[f.Name] {
			t.Errorf("%s is not provided", f.Name)
		}
	}
}

// TestCancelBusy: a Go app that computes without ever waiting (Go apps run without
// wazero's per-loop termination check) is stopped at its next ABI call.
func TestCancelBusy(t *testing.T) {
	wasm := prog(t)
	if !builtByGo(wasm) {
		t.Fatal("builtByGo(wasiprog) = false: Go apps would run with the slow per-loop check")
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	t0 := time.Now()
	code, err := Run(ctx, wasm, Config{Name: "wasiprog", Args: []string{"busyclock"}, CompilationCache: cache})
	if code != ExitInterrupted || err == nil || !strings.Contains(err.Error(), "interrupted") || strings.Contains(err.Error(), "could not be stopped") {
		t.Errorf("exit %d, err %v; want %d, stopped at an ABI call", code, err, ExitInterrupted)
	}
	if d := time.Since(t0); d > 300*time.Millisecond+stopGrace {
		t.Errorf("cancel took %v", d)
	}
}

// TestCancelSpinNotGo: with Config.CheckLoops, a module not built by Go gets
// wazero's loop check, so even a loop with no calls at all stops when the context
// ends; without it, Run gives up on it after stopGrace and says so.
func TestCancelSpinNotGo(t *testing.T) {
	typ := section(1, 1, 0x60, 0, 0)
	fn := section(3, 1, 0)
	exp := section(7, cat([]byte{1}, name("_start"), []byte{0, 0})...)
	code := section(10, 1, 7, 0, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b) // loop br 0 end
	wasm := module(typ, fn, exp, code)
	if builtByGo(wasm) {
		t.Fatal("builtByGo says a hand-made module was built by Go")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	status, err := Run(ctx, wasm, Config{Name: "spin", CheckLoops: true})
	if status != ExitInterrupted || err == nil || strings.Contains(err.Error(), "could not be stopped") {
		t.Errorf("exit %d, err %v; want %d, stopped by the loop check", status, err, ExitInterrupted)
	}
	if d := time.Since(t0); d >= 200*time.Millisecond+stopGrace {
		t.Errorf("stopping took %v: the loop check is off", d)
	}

	// Without the check the loop runs on after Run returns, and while it runs no
	// garbage collection of this process can stop the world: it must end (2^32
	// turns, a few seconds) or the tests after this one would hang.
	code = section(10, 1, 16, 1, 1, 0x7f, 0x03, 0x40, 0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b, 0x0b)
	wasm = module(typ, fn, exp, code)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	t0 = time.Now()
	status, err = Run(ctx2, wasm, Config{Name: "spin"})
	if status != ExitInterrupted || err == nil || !strings.Contains(err.Error(), "could not be stopped") {
		t.Errorf("without CheckLoops: exit %d, err %v; want %d, given up on after the grace", status, err, ExitInterrupted)
	}
	if d := time.Since(t0); d >= 400*time.Millisecond+stopGrace {
		t.Errorf("giving up took %v", d)
	}
}

func TestBuiltByGo(t *testing.T) {
	gosec := section(0, name("go:buildid")...)
	other := section(0, name("go:buildix")...)
	for _, c := range []struct {
		wasm []byte
		want bool
	}{
		{module(gosec), true},
		{module(other, gosec), true},
		{module(other), false},
		{module(), false},
		{nil, false},
		{[]byte("\x00asm\x01\x00\x00\x00\x00\xff\xff\xff\xff\xff"), false}, // malformed size
		{[]byte("\x00asm\x01\x00\x00\x00\x00\x05\x20go:b"), false},         // name longer than the section
		{cat(module(), gosec[:len(gosec)-3]), false},                       // truncated
	} {
		if got := builtByGo(c.wasm); got != c.want {
			t.Errorf("builtByGo(% x) = %v, want %v", c.wasm, got, c.want)
		}
	}
}

// TestMemoryGrowth: growing the memory a page at a time to 1 GiB costs no copies
// (with wazero's own memory, which grows a Go slice by appending, it took 12.6 s here)
// and the memory keeps what was written.
func TestMemoryGrowth(t *testing.T) {
	c := wasmtest.NewCommand(1, -1)
	// loop: store i at the top of the memory, grow by one page, until 16384 pages.
	body := wasmtest.Cat(
		[]byte{0x03, 0x40},                                                                       // loop
		[]byte{0x3f, 0}, wasmtest.I32Const(16), []byte{0x74}, wasmtest.I32Const(4), []byte{0x6b}, // memory.size << 16 - 4
		[]byte{0x3f, 0}, []byte{0x36, 2, 0}, // store memory.size there
		wasmtest.I32Const(1), []byte{0x40, 0, 0x1a}, // memory.grow 1, drop
		[]byte{0x3f, 0}, wasmtest.I32Const(16384), []byte{0x49, 0x0d, 0}, // br_if size < 16384
		[]byte{0x0b}, // end loop
		wasmtest.I32Const(65536-4), []byte{0x28, 2, 0}, wasmtest.I32Const(1), []byte{0x47, 0x04, 0x40}, c.Exit(3), []byte{0x0b},
		wasmtest.I32Const(16383<<16-4), []byte{0x28, 2, 0}, wasmtest.I32Const(16383), []byte{0x47, 0x04, 0x40}, c.Exit(4), []byte{0x0b},
	)
	start := time.Now()
	r := run(t, c.Main(body), Config{})
	if r.code != 0 || r.err != nil {
		t.Fatalf("exit %d, err %v", r.code, r.err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("16383 growths to 1 GiB took %v", d)
	}
}
