//go:build linux && amd64

package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"golang.org/x/sys/unix"

	"github.com/mwasm/mwasm/aot"
	"github.com/mwasm/mwasm/aot/frontend"
	mrt "github.com/mwasm/mwasm/aot/runtime"
	"github.com/mwasm/mwasm/wasmc"
)

// kernel is one benchmark: the export run_<name>, the n of a timed run and
// the n of the checksum test.
type kernel struct {
	name        string
	n, smallN   int
	description string
}

var kernels = []kernel{
	{"fib", 35, 20, "recursive calls: fib(35)"},
	{"sieve", 20, 2, "sieve of Eratosthenes over 1 MiB, 20 rounds"},
	{"matmul", 60, 2, "float64 matrix multiply 96x96, 60 rounds"},
	{"nbody", 500000, 1000, "n-body, 5 bodies, 5e5 steps"},
	{"sha256", 1500, 3, "SHA-256 compression over 4 KiB, 1500 rounds"},
	{"fannkuch", 9, 7, "fannkuch-redux(9)"},
	{"qsort", 8, 1, "quicksort of 100k ints, 8 rounds"},
	{"crc32", 400, 2, "byte copy + table CRC-32 over 64 KiB, 400 rounds"},
}

// engine runs exported kernels of the module.
type engine interface {
	name() string
	run(fn string, n int) (int64, error)
}

var (
	buildOnce sync.Once
	wasmBytes []byte
	buildErr  error
)

// kernelsWasm builds testdata/kernels.c once per process.
func kernelsWasm(t testing.TB) []byte {
	buildOnce.Do(func() {
		if _, err := exec.LookPath("clang"); err != nil {
			buildErr = fmt.Errorf("skip: clang not found: %v", err)
			return
		}
		dir, err := os.MkdirTemp("", "mwasm-perf")
		if err != nil {
			buildErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "kernels.wasm")
		cmd := exec.Command("clang", "--target=wasm32", "-O2", "-mbulk-memory", "-nostdlib",
			"-Wl,--no-entry", "-Wl,--export-all", "-o", out, filepath.Join("testdata", "kernels.c"))
		if msg, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building testdata/kernels.c with clang: %v\n%s", err, msg)
			return
		}
		wasmBytes, buildErr = os.ReadFile(out)
	})
	if buildErr != nil {
		if strings.HasPrefix(buildErr.Error(), "skip:") {
			t.Skip(buildErr)
		}
		t.Fatal(buildErr)
	}
	return wasmBytes
}

type wazeroEngine struct {
	ctx context.Context
	mod api.Module
}

func (*wazeroEngine) name() string { return "wazero" }
func (e *wazeroEngine) run(fn string, n int) (int64, error) {
	f := e.mod.ExportedFunction(fn)
	if f == nil {
		return 0, fmt.Errorf("wazero: no export %q", fn)
	}
	r, err := f.Call(e.ctx, uint64(uint32(n)))
	if err != nil {
		return 0, err
	}
	return int64(r[0]), nil
}

func newWazero(t testing.TB, wasm []byte) (*wazeroEngine, time.Duration) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	t.Cleanup(func() { r.Close(ctx) })
	start := time.Now()
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatalf("wazero: compiling kernels: %v", err)
	}
	d := time.Since(start)
	mod, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig())
	if err != nil {
		t.Fatalf("wazero: instantiating kernels: %v", err)
	}
	return &wazeroEngine{ctx: ctx, mod: mod}, d
}

type mwasmEngine struct {
	label string
	inst  *mrt.Instance
}

func (e *mwasmEngine) name() string { return e.label }
func (e *mwasmEngine) run(fn string, n int) (int64, error) {
	r, err := e.inst.Call(fn, uint64(uint32(n)))
	if err != nil {
		return 0, err
	}
	return int64(r[0]), nil
}

func newMwasm(t testing.TB, wasm []byte, mode frontend.BoundsMode) (*mwasmEngine, time.Duration) {
	m, err := wasmc.Decode(wasm)
	if err != nil {
		t.Fatalf("decoding kernels: %v", err)
	}
	if err := wasmc.Validate(m); err != nil {
		t.Fatalf("validating kernels: %v", err)
	}
	start := time.Now()
	obj, err := aot.Compile(m, aot.Options{BoundsChecks: mode})
	if err != nil {
		t.Fatalf("mwasm: compiling kernels: %v", err)
	}
	d := time.Since(start)
	inst, err := mrt.Instantiate(obj.Loadable(), m, nil)
	if err != nil {
		t.Fatalf("mwasm: instantiating kernels: %v", err)
	}
	t.Cleanup(func() { inst.Close() })
	label := "mwasm-guard"
	if mode == frontend.BoundsExplicit {
		label = "mwasm-explicit"
	}
	return &mwasmEngine{label: label, inst: inst}, d
}

func engines(t testing.TB) ([]engine, []time.Duration) {
	wasm := kernelsWasm(t)
	wz, dw := newWazero(t, wasm)
	mg, dg := newMwasm(t, wasm, frontend.BoundsGuard)
	me, de := newMwasm(t, wasm, frontend.BoundsExplicit)
	return []engine{wz, mg, me}, []time.Duration{dw, dg, de}
}

// TestChecksums runs every kernel with a small n under every engine; the
// checksums must agree (and must not be zero, which would hide a kernel
// whose work was optimized away).
func TestChecksums(t *testing.T) {
	es, _ := engines(t)
	for _, k := range kernels {
		var want int64
		for i, e := range es {
			got, err := e.run("run_"+k.name, k.smallN)
			if err != nil {
				t.Errorf("%s on %s: %v", k.name, e.name(), err)
				continue
			}
			if i == 0 {
				want = got
				if got == 0 {
					t.Errorf("%s: checksum 0 on %s", k.name, e.name())
				}
			} else if got != want {
				t.Errorf("%s: %s gives %d, %s gives %d", k.name, e.name(), got, es[0].name(), want)
			}
		}
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic("BUG: clock_gettime(CLOCK_THREAD_CPUTIME_ID): " + err.Error())
	}
	return time.Duration(ts.Nano())
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// TestPerf is the benchmark (MWASM_PERF=1): medians per kernel and engine,
// ratios against wazero and their geometric means.
func TestPerf(t *testing.T) {
	if os.Getenv("MWASM_PERF") != "1" {
		t.Skip("set MWASM_PERF=1 to run the benchmark")
	}
	rounds := 7
	if s := os.Getenv("MWASM_PERF_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("MWASM_PERF_ROUNDS=%q: want a positive integer", s)
		}
		rounds = n
	}
	only := map[string]bool{}
	if s := os.Getenv("MWASM_PERF_ONLY"); s != "" {
		for _, k := range strings.Split(s, ",") {
			only[k] = true
		}
	}
	// Time the calls in CPU time of this OS thread (every engine runs the
	// code on the calling thread): other processes on a shared machine
	// then cost cache misses, not whole time slices.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	es, compile := engines(t)
	res := map[string]map[string]float64{} // kernel -> engine -> median ms
	for _, k := range kernels {
		if len(only) > 0 && !only[k.name] {
			continue
		}
		times := make([][]time.Duration, len(es))
		sums := make([]int64, len(es))
		for r := 0; r < rounds; r++ {
			for j := range es {
				i := (j + r) % len(es) // rotate the order every round
				start := threadCPU()
				got, err := es[i].run("run_"+k.name, k.n)
				d := threadCPU() - start
				if err != nil {
					t.Fatalf("%s on %s: %v", k.name, es[i].name(), err)
				}
				times[i] = append(times[i], d)
				sums[i] = got
			}
		}
		for i := range es {
			if sums[i] != sums[0] {
				t.Fatalf("%s: checksum %d on %s, %d on %s", k.name, sums[i], es[i].name(), sums[0], es[0].name())
			}
		}
		res[k.name] = map[string]float64{}
		for i, e := range es {
			res[k.name][e.name()] = ms(median(times[i]))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d rounds, thread CPU time, %s, GOMAXPROCS=%d\n", rounds, runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(&b, "%-10s %10s %12s %7s %14s %7s\n", "kernel", "wazero ms", "mwasm-guard", "ratio", "mwasm-explicit", "ratio")
	logG, logE, n := 0.0, 0.0, 0
	for _, k := range kernels {
		r, ok := res[k.name]
		if !ok {
			continue
		}
		w, g, e := r["wazero"], r["mwasm-guard"], r["mwasm-explicit"]
		fmt.Fprintf(&b, "%-10s %10.2f %12.2f %7.3f %14.2f %7.3f\n", k.name, w, g, g/w, e, e/w)
		logG += math.Log(g / w)
		logE += math.Log(e / w)
		n++
	}
	if n > 0 {
		fmt.Fprintf(&b, "%-10s %10s %12s %7.3f %14s %7.3f\n", "geomean", "", "", math.Exp(logG/float64(n)), "", math.Exp(logE/float64(n)))
	}
	fmt.Fprintf(&b, "compile ms: wazero %.1f, mwasm-guard %.1f, mwasm-explicit %.1f\n", ms(compile[0]), ms(compile[1]), ms(compile[2]))
	t.Log("\n" + b.String())
	fmt.Print(b.String())
	if f := os.Getenv("MWASM_PERF_JSON"); f != "" {
		j, _ := json.MarshalIndent(res, "", " ")
		if err := os.WriteFile(f, j, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCompileGo reports how long aot.Compile takes on a large module (a
// GOOS=wasip1 Go program named by MWASM_PERF_GOWASM): issue 3 asks for a
// 2.6 MB Go module in under 2 s.
func TestCompileGo(t *testing.T) {
	file := os.Getenv("MWASM_PERF_GOWASM")
	if file == "" {
		t.Skip("set MWASM_PERF_GOWASM to a Go-built .wasm file")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := wasmc.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	var ds []time.Duration
	for r := 0; r < 3; r++ {
		start := time.Now()
		if _, err := aot.Compile(m, aot.Options{BoundsChecks: frontend.BoundsGuard}); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	fmt.Printf("compile %s (%d bytes, %d functions): median %.0f ms\n", filepath.Base(file), len(b), len(m.Funcs), ms(median(ds)))
}
