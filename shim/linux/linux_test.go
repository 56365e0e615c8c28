//go:build !wasip1

package linux_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/tetratelabs/wazero"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/hosted"
	"github.com/mwasm/mwasm/shim/hosted/usernet"
	"github.com/mwasm/mwasm/shim/linux"
	"github.com/mwasm/mwasm/shim/reactor"
)

var tmpDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "mwasm-linux-shim")
	if err != nil {
		panic(err)
	}
	tmpDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

func repoRoot(t testing.TB) string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(self), "..", "..")
}

func theShim(t testing.TB) []byte {
	t.Helper()
	w, err := shimWasm(tmpDir)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

var builds sync.Map // source → *built

type built struct {
	once sync.Once
	wasm []byte
	err  error
}

// goApp builds the Go package at pkg (relative to the repository root) to Wasm.
func goApp(t testing.TB, pkg string) []byte {
	t.Helper()
	v, _ := builds.LoadOrStore(pkg, &built{})
	b := v.(*built)
	b.once.Do(func() {
		out := filepath.Join(tmpDir, filepath.Base(pkg)+".wasm")
		cmd := exec.Command("go", "build", "-o", out, "./"+pkg)
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.err = &buildErr{pkg, string(msg), err}
			return
		}
		b.wasm, b.err = os.ReadFile(out)
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.wasm
}

// cApp builds a C file (relative to the repository root) with clang --target=wasm32-wasi.
func cApp(t testing.TB, src string) []byte {
	t.Helper()
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang not installed: apt-get install clang lld wasi-libc libclang-rt-dev-wasm32")
	}
	v, _ := builds.LoadOrStore(src, &built{})
	b := v.(*built)
	b.once.Do(func() {
		out := filepath.Join(tmpDir, filepath.Base(src)+".wasm")
		cmd := exec.Command("clang", "--target=wasm32-wasi", "-O2", filepath.Join(repoRoot(t), src), "-o", out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.err = &buildErr{src, string(msg), err}
			return
		}
		b.wasm, b.err = os.ReadFile(out)
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.wasm
}

type buildErr struct {
	what, out string
	err       error
}

func (e *buildErr) Error() string { return "building " + e.what + ": " + e.err.Error() + "\n" + e.out }

// TestReactorInterface checks the built reactor's imports and exports against the
// documented lists: it exports every ABI function (shim.Provided) with its exact type,
// imports from "mwasm" exactly reactor.Natives + linux.Natives, from "mwasm_rt"
// exactly reactor.RuntimeImports, and nothing else.
func TestReactorInterface(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache))
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, theShim(t))
	if err != nil {
		t.Fatal(err)
	}
	exports := cm.ExportedFunctions()
	for _, f := range shim.Provided {
		e, ok := exports[f.Name]
		if !ok {
			t.Errorf("reactor does not export %s (run go generate ./shim/reactor)", f.Name)
			continue
		}
		if !f.Matches(e.ParamTypes(), e.ResultTypes()) {
			t.Errorf("reactor exports %s with type %s, the ABI says %s", f.Name,
				shim.FormatSignature(e.ParamTypes(), e.ResultTypes()), f.Signature())
		}
	}
	if _, ok := exports["_initialize"]; !ok {
		t.Error("reactor does not export _initialize")
	}
	if len(exports) != len(shim.Provided)+1 {
		t.Errorf("reactor exports %d functions, want the %d of the ABI and _initialize", len(exports), len(shim.Provided))
	}

	want := map[string]string{}
	for _, n := range append(append([]reactor.Native(nil), reactor.Natives...), linux.Natives...) {
		want[reactor.NativeModule+"."+n.Name] = shim.FormatSignature(n.Params, n.Results)
	}
	var rtGot, rtWant []string
	for _, d := range cm.ImportedFunctions() {
		mod, name, _ := d.Import()
		sig := shim.FormatSignature(d.ParamTypes(), d.ResultTypes())
		switch mod {
		case reactor.NativeModule:
			w, ok := want[mod+"."+name]
			if !ok {
				t.Errorf("reactor imports undocumented native %s.%s%s", mod, name, sig)
			} else if w != sig {
				t.Errorf("reactor imports %s.%s as %s, documented as %s", mod, name, sig, w)
			}
			delete(want, mod+"."+name)
		case reactor.RuntimeModule:
			rtGot = append(rtGot, name)
		default:
			t.Errorf("reactor imports %s.%s from an unexpected module", mod, name)
		}
	}
	for k := range want {
		t.Errorf("documented native %s is not imported by the reactor (remove it from the list?)", k)
	}
	// Every runtime import must be served (listed); a listed one the runtime no
	// longer imports is harmless (e.g. once package os leaves the shim's build).
	rtWant = append(rtWant, reactor.RuntimeImports...)
	sort.Strings(rtGot)
	rtGot = slices.Compact(rtGot) // Go's runtime and syscall package both import fd_write
	for _, name := range rtGot {
		if !slices.Contains(rtWant, name) {
			t.Errorf("reactor runtime imports %s.%s, which reactor.RuntimeImports does not list", reactor.RuntimeModule, name)
		}
	}
	t.Logf("runtime imports: %v", rtGot)
	if len(cm.ImportedMemories()) != 0 {
		t.Error("reactor imports a memory")
	}
}

// TestReactorSize reports the reactor's size (code, data, functions) and fails if it
// grows past a budget, so that bloat is noticed (DESIGN: the shim's size is tracked).
func TestReactorSize(t *testing.T) {
	w := theShim(t)
	sizes := map[byte]int{}
	funcs := 0
	for p := 8; p < len(w); {
		id := w[p]
		n, k := uleb(w[p+1:])
		body := w[p+1+k : p+1+k+int(n)]
		sizes[id] += int(n)
		if id == 3 {
			c, _ := uleb(body)
			funcs = int(c)
		}
		p += 1 + k + int(n)
	}
	t.Logf("reactor: %d bytes: code %d, data %d, custom %d; %d functions", len(w), sizes[10], sizes[11], sizes[0], funcs)
	const budget = 3 << 20
	if len(w) > budget || sizes[10] == 0 || funcs < 100 {
		t.Errorf("reactor is %d bytes (budget %d) with %d bytes of code and %d functions", len(w), budget, sizes[10], funcs)
	}
}

func uleb(b []byte) (uint64, int) {
	var v uint64
	for i, c := range b {
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	panic("bad LEB128 in the reactor module")
}

// output is one run's observable behaviour.
type output struct {
	stdout, stderr string
	code           uint32
}

// compare runs app under hosted.Run and through the reactor with the same
// configuration and fails unless stdout, stderr and the exit status are identical.
// disk, if true, gives each run its own fresh 1 MiB disk image.
func compare(t *testing.T, app []byte, cfg runConfig, disk bool) output {
	t.Helper()
	ctx := context.Background()
	newDisk := func(tag string) *os.File {
		p := filepath.Join(t.TempDir(), tag+".img")
		if err := hosted.CreateDisk(p, 1<<20, 512); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}

	var ho, he bytes.Buffer
	hc := hosted.Config{Name: cfg.Name, Args: cfg.Args, Env: cfg.Env, Stdout: &ho, Stderr: &he, CompilationCache: cache}
	if cfg.Stdin != nil {
		hc.Stdin = bytes.NewReader(cfg.Stdin)
	}
	if disk {
		f := newDisk("hosted")
		d, err := hosted.OpenDisk(f.Name(), 512)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		hc.Disk = d
	}
	hcode, err := hosted.Run(ctx, app, hc)
	if err != nil {
		t.Fatalf("hosted run: %v\nstderr: %s", err, he.String())
	}

	var ro, re bytes.Buffer
	cfg.Stdout, cfg.Stderr = &ro, &re
	if disk {
		cfg.Disk, cfg.DiskSector = newDisk("reactor"), 512
	}
	res, err := runReactor(ctx, theShim(t), app, cfg)
	if err != nil {
		t.Fatalf("reactor run: %v\nstderr: %s\nreactor runtime: %s", err, re.String(), res.RuntimeIO)
	}
	if res.RuntimeIO != "" {
		t.Errorf("the reactor's own runtime wrote: %q", res.RuntimeIO)
	}
	if ro.String() != ho.String() {
		t.Errorf("stdout differs\nhosted:\n%s\nreactor:\n%s", ho.String(), ro.String())
	}
	if re.String() != he.String() {
		t.Errorf("stderr differs\nhosted:\n%s\nreactor:\n%s", he.String(), re.String())
	}
	if res.Code != hcode {
		t.Errorf("exit status: hosted %d, reactor %d", hcode, res.Code)
	}
	return output{ro.String(), re.String(), res.Code}
}

func TestHello(t *testing.T) {
	out := compare(t, goApp(t, "apps/hello"), runConfig{Name: "hello", Args: []string{"a", "b"}}, false)
	if out.stdout != "Hello from mwasm! args: a b\n" || out.code != 0 {
		t.Errorf("hello printed %q with status %d", out.stdout, out.code)
	}
}

func TestCStdio(t *testing.T) {
	out := compare(t, cApp(t, "tests/corpus/c/stdio.c"), runConfig{Name: "stdio"}, false)
	if !bytes.Contains([]byte(out.stdout), []byte("min=")) || out.stderr != "to stderr: 42\n" {
		t.Errorf("stdio.c printed %q / %q", out.stdout, out.stderr)
	}
}

// TestWasiprog runs the hosted package's test program in the modes that exercise
// args and environment, exit statuses, stdin, timers through Go's poller, /dev and
// the disk.
func TestWasiprog(t *testing.T) {
	app := goApp(t, "shim/hosted/testdata/wasiprog")
	cases := []struct {
		args  []string
		stdin []byte
		disk  bool
		want  string // a substring of stdout
		code  uint32
	}{
		{args: []string{"args", "x y"}, want: `args=["wasiprog" "args" "x y"]`},
		{args: []string{"exit", "7"}, code: 7},
		{args: []string{"cat"}, stdin: []byte("from stdin\n"), want: "FROM STDIN\n"},
		{args: []string{"cat"}, want: ""}, // no stdin: fd 0 at end of file
		{args: []string{"sleep"}, want: "slept "},
		{args: []string{"gosleep", "30ms"}, want: "slept\n"},
		{args: []string{"ls"}, disk: true, want: "disk0 "},
		{args: []string{"disk"}, disk: true, want: "disk ok\n"},
	}
	for _, c := range cases {
		t.Run(c.args[0], func(t *testing.T) {
			cfg := runConfig{Name: "wasiprog", Args: c.args, Env: []string{"K=V"}, Stdin: c.stdin}
			if c.args[0] == "sleep" {
				// The time slept differs between runs; check it, then compare the rest.
				var o bytes.Buffer
				cfg.Stdout = &o
				res, err := runReactor(context.Background(), theShim(t), app, cfg)
				if err != nil || res.Code != 0 {
					t.Fatalf("status %d, err %v", res.Code, err)
				}
				ms, err := strconv.Atoi(string(bytes.TrimSpace(bytes.TrimPrefix(o.Bytes(), []byte("slept ")))))
				if err != nil || ms < 200 || ms > 2000 {
					t.Fatalf("sleep of 200ms printed %q", o.String())
				}
				return
			}
			out := compare(t, app, cfg, c.disk)
			if !bytes.Contains([]byte(out.stdout), []byte(c.want)) || out.code != c.code {
				t.Errorf("printed %q with status %d, want %q and status %d", out.stdout, out.code, c.want, c.code)
			}
		})
	}
}

// TestConformance runs the ABI conformance app through the reactor with a disk, and
// compares it with the hosted run.
func TestConformance(t *testing.T) {
	path, err := abi.BuildConformance(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	app, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := compare(t, app, runConfig{Name: "conformance", Args: abi.ConformanceArgs, Env: abi.ConformanceEnv}, true)
	if err := abi.CheckConformanceOutput(out.stdout, out.code, "fd_write disk0"); err != nil {
		t.Errorf("%v\nstdout:\n%s", err, out.stdout)
	}
}

// TestConformanceNet runs the conformance app with a user-mode network (and a disk),
// so that its net0 checks (ARP with the gateway, readiness, EAGAIN) run over the net
// natives.
func TestConformanceNet(t *testing.T) {
	path, err := abi.BuildConformance(context.Background(), tmpDir)
	if err != nil {
		t.Fatal(err)
	}
	app, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := usernet.New(usernet.Options{}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := hosted.CreateDisk(img, 1<<20, 512); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var o, e bytes.Buffer
	res, err := runReactor(context.Background(), theShim(t), app, runConfig{
		Name: "conformance", Args: abi.ConformanceArgs, Env: abi.ConformanceEnv, Stdout: &o, Stderr: &e,
		Disk: f, DiskSector: 512,
		Net: dev, NetIPv4: usernet.GuestPrefix.String(), NetGateway: usernet.GatewayIP.String(),
	})
	if err != nil {
		t.Fatalf("%v\nstderr: %s", err, e.String())
	}
	if err := abi.CheckConformanceOutput(o.String(), res.Code, "net0 ARP reply", "fd_write disk0"); err != nil {
		t.Errorf("%v\nstdout:\n%s\nstderr:\n%s", err, o.String(), e.String())
	}
}

// TestFdWriteNatives checks the cost model: a 1-byte fd_write to stdout takes a
// small, fixed number of native calls (see the reactor package comment).
func TestFdWriteNatives(t *testing.T) {
	app := goApp(t, "shim/linux/testdata/fdwrite")
	calls := func(n int) int {
		var o bytes.Buffer
		res, err := runReactor(context.Background(), theShim(t), app, runConfig{Name: "fdwrite", Args: []string{strconv.Itoa(n)}, Stdout: &o})
		if err != nil || res.Code != 0 || o.Len() != n {
			t.Fatalf("fdwrite %d: status %d, %d bytes out, err %v", n, res.Code, o.Len(), err)
		}
		return res.Natives
	}
	const n = 1000
	delta := calls(n) - calls(0)
	t.Logf("%d native calls for %d 1-byte fd_writes", delta, n)
	// The app's iovec and nwritten lie close together, its byte elsewhere on the
	// heap: one windowed app_read for the first two, one for the byte, console_write
	// and app_write (nwritten) — 4 per call (without the window it was 6); the app's
	// runtime may make a few more calls in a longer run.
	if delta < 3*n || delta > 4*n+20 {
		t.Errorf("%d 1-byte fd_writes cost %d native calls, want at most 4 each", n, delta)
	}
}

// BenchmarkSchedYield measures a call into the shim that does nothing (sched_yield):
// the cost of crossing into the shim, hosted and as a reactor.
func BenchmarkSchedYield(b *testing.B) {
	app := goApp(b, "shim/linux/testdata/fdwrite")
	ctx := context.Background()
	b.Run("hosted", func(b *testing.B) {
		hosted.Run(ctx, app, hosted.Config{Args: []string{"0", "yield"}, CompilationCache: cache})
		b.ResetTimer()
		if code, err := hosted.Run(ctx, app, hosted.Config{Args: []string{strconv.Itoa(b.N), "yield"}, CompilationCache: cache}); err != nil || code != 0 {
			b.Fatal(code, err)
		}
	})
	b.Run("reactor", func(b *testing.B) {
		shimMod := theShim(b)
		runReactor(ctx, shimMod, app, runConfig{Name: "fdwrite", Args: []string{"0", "yield"}})
		b.ResetTimer()
		if res, err := runReactor(ctx, shimMod, app, runConfig{Name: "fdwrite", Args: []string{strconv.Itoa(b.N), "yield"}}); err != nil || res.Code != 0 {
			b.Fatal(res.Code, err)
		}
	})
}

// BenchmarkFdWrite1 measures a 1-byte fd_write to stdout (io.Discard) from a Go app,
// hosted (the shim as wazero host functions) against the reactor (the shim as Wasm,
// its natives as host functions). Each iteration is one run of b.N writes, so the
// app's start-up is amortized over b.N.
func BenchmarkFdWrite1(b *testing.B) {
	app := goApp(b, "shim/linux/testdata/fdwrite")
	ctx := context.Background()
	b.Run("hosted", func(b *testing.B) {
		hosted.Run(ctx, app, hosted.Config{Args: []string{"0"}, CompilationCache: cache}) // warm the cache
		b.ResetTimer()
		code, err := hosted.Run(ctx, app, hosted.Config{Args: []string{strconv.Itoa(b.N)}, CompilationCache: cache})
		if err != nil || code != 0 {
			b.Fatal(code, err)
		}
	})
	b.Run("reactor", func(b *testing.B) {
		shimMod := theShim(b)
		runReactor(ctx, shimMod, app, runConfig{Name: "fdwrite", Args: []string{"0"}})
		b.ResetTimer()
		res, err := runReactor(ctx, shimMod, app, runConfig{Name: "fdwrite", Args: []string{strconv.Itoa(b.N)}})
		if err != nil || res.Code != 0 {
			b.Fatal(res.Code, err)
		}
	})
}
