// Package oracle runs the programs of tests/corpus under wasmtime (wasmtime-go, the
// second oracle) and under `mwasm run`, and requires identical stdout, stderr and exit
// status. It lives in a nested module so that users of mwasm never download wasmtime-go
// (about 200 MB, with a prebuilt libwasmtime.a).
//
// The corpus holds unmodified WASI programs of the kind users bring: C with stdio,
// clocks, nanosleep, argv/env, stdin; Go with goroutines and timers. Programs print
// only facts that are the same on every correct WASI implementation (for example
// "slept at least 30ms: yes", not the number of nanoseconds).
package oracle

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// repoRoot is the main module's directory, two levels up.
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}()

// run describes one invocation of a corpus program.
type run struct {
	name  string   // test name
	src   string   // corpus path relative to tests/corpus
	args  []string // argv[1:]
	env   []string // K=V
	stdin string
}

var runs = []run{
	{name: "c-stdio", src: "c/stdio.c"},
	{name: "c-clock", src: "c/clock.c"},
	{name: "c-args", src: "c/args.c", args: []string{"one", "two words", "3"}, env: []string{"GREETING=hello there"}},
	{name: "c-args-zero", src: "c/args.c"},
	{name: "c-stdin", src: "c/stdin.c", stdin: "alpha\nbeta\n\ngamma without newline"},
	{name: "go-workers", src: "go/workers"},
	{name: "go-workers-exit", src: "go/workers", args: []string{"fail"}},
}

type result struct {
	stdout, stderr string
	status         int
}

func TestCorpusMatchesWasmtime(t *testing.T) {
	dir := t.TempDir()
	mwasm := buildMwasm(t, dir)
	built := map[string]string{}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			wasm, ok := built[r.src]
			if !ok {
				wasm = buildCorpus(t, r.src, dir)
				built[r.src] = wasm
			}
			want := underWasmtime(t, wasm, r, dir)
			got := underMwasm(t, mwasm, wasm, r)
			if got.stdout != want.stdout {
				t.Errorf("stdout differs\nmwasm:\n%s\nwasmtime:\n%s", got.stdout, want.stdout)
			}
			if got.stderr != want.stderr {
				t.Errorf("stderr differs\nmwasm:\n%s\nwasmtime:\n%s", got.stderr, want.stderr)
			}
			if got.status != want.status {
				t.Errorf("exit status: mwasm %d, wasmtime %d", got.status, want.status)
			}
			if want.stdout == "" {
				t.Errorf("wasmtime printed nothing: the program did not run")
			}
		})
	}
}

func buildMwasm(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "mwasm")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/mwasm")
	cmd.Dir = repoRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building mwasm: %v\n%s", err, b)
	}
	return out
}

// buildCorpus compiles one corpus program to Wasm: C with clang --target=wasm32-wasi,
// Go with GOOS=wasip1.
func buildCorpus(t *testing.T, src, dir string) string {
	t.Helper()
	path := filepath.Join(repoRoot, "tests", "corpus", src)
	out := filepath.Join(dir, strings.NewReplacer("/", "_", ".", "_").Replace(src)+".wasm")
	var cmd *exec.Cmd
	if strings.HasSuffix(src, ".c") {
		if _, err := exec.LookPath("clang"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("clang is missing in CI: scripts/setup.sh must install clang lld wasi-libc libclang-rt-dev-wasm32")
			}
			t.Skip("clang not installed (apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32)")
		}
		cmd = exec.Command("clang", "--target=wasm32-wasi", "-O2", path, "-o", out)
	} else {
		cmd = exec.Command("go", "build", "-o", out, ".")
		cmd.Dir = path
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", src, err, b)
	}
	return out
}

func underWasmtime(t *testing.T, wasmPath string, r run, dir string) result {
	t.Helper()
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	engine := wasmtime.NewEngine()
	module, err := wasmtime.NewModule(engine, wasm)
	if err != nil {
		t.Fatalf("wasmtime compile: %v", err)
	}
	linker := wasmtime.NewLinker(engine)
	if err := linker.DefineWasi(); err != nil {
		t.Fatal(err)
	}
	cfg := wasmtime.NewWasiConfig()
	cfg.SetArgv(append([]string{filepath.Base(wasmPath)}, r.args...))
	var keys, vals []string
	for _, kv := range r.env {
		k, v, _ := strings.Cut(kv, "=")
		keys, vals = append(keys, k), append(vals, v)
	}
	cfg.SetEnv(keys, vals)
	stdout, stderr, stdin := filepath.Join(dir, r.name+".out"), filepath.Join(dir, r.name+".err"), filepath.Join(dir, r.name+".in")
	if err := os.WriteFile(stdin, []byte(r.stdin), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, set := range []error{cfg.SetStdoutFile(stdout), cfg.SetStderrFile(stderr), cfg.SetStdinFile(stdin)} {
		if set != nil {
			t.Fatal(set)
		}
	}
	store := wasmtime.NewStore(engine)
	store.SetWasi(cfg)
	inst, err := linker.Instantiate(store, module)
	if err != nil {
		t.Fatalf("wasmtime instantiate: %v", err)
	}
	status := 0
	if _, err := inst.GetFunc(store, "_start").Call(store); err != nil {
		var werr *wasmtime.Error
		code, isExit := int32(0), false
		if errors.As(err, &werr) {
			code, isExit = werr.ExitStatus()
		}
		if !isExit {
			t.Fatalf("wasmtime run: %v", err)
		}
		status = int(code)
	}
	out, _ := os.ReadFile(stdout)
	errOut, _ := os.ReadFile(stderr)
	return result{stdout: string(out), stderr: string(errOut), status: status}
}

func underMwasm(t *testing.T, mwasm, wasm string, r run) result {
	t.Helper()
	args := []string{"run"}
	for _, kv := range r.env {
		args = append(args, "--env", kv)
	}
	args = append(args, wasm)
	if len(r.args) > 0 {
		args = append(append(args, "--"), r.args...)
	}
	cmd := exec.Command(mwasm, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Stdin = strings.NewReader(r.stdin)
	err := cmd.Run()
	status := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("mwasm run: %v", err)
		}
		status = ee.ExitCode()
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), status: status}
}
