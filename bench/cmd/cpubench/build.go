package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// workload is one benchmark program: a C file cpu/c/NAME/main.c or a Go
// main package cpu/go/NAME.
type workload struct {
	Lang    string // "c" or "go"
	Name    string
	Src     string // the directory
	Startup bool   // the "empty" program: reported as start-up cost, not in the means

	Native string // built executable
	Wasm   string // built module
	Bytes  []byte // the module's bytes
	Mwasm  string // executable from mwasm build ("" when there is none)
	NoMw   string // why there is no mwasm executable
}

func (w *workload) ID() string { return w.Lang + "/" + w.Name }

// startupName is the workload that measures start-up alone.
const startupName = "empty"

// discover lists the workloads under root/cpu in a fixed order: C first,
// then Go, each by name, "empty" last. only, if non-empty, is a comma
// separated list of IDs (c/fib) or names (fib, both languages).
func discover(root, only string) ([]*workload, error) {
	var ws []*workload
	for _, lang := range []string{"c", "go"} {
		dir := filepath.Join(root, "cpu", lang)
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("listing workloads: %v (run from the bench module, or pass -root)", err)
		}
		for _, e := range ents {
			if e.IsDir() {
				ws = append(ws, &workload{Lang: lang, Name: e.Name(), Src: filepath.Join(dir, e.Name()), Startup: e.Name() == startupName})
			}
		}
	}
	slices.SortStableFunc(ws, func(a, b *workload) int {
		if a.Startup != b.Startup {
			if a.Startup {
				return 1
			}
			return -1
		}
		return 0
	})
	if only == "" {
		return ws, nil
	}
	want := map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	var sel []*workload
	used := map[string]bool{}
	for _, w := range ws {
		if want[w.ID()] || want[w.Name] {
			sel = append(sel, w)
			used[w.ID()], used[w.Name] = true, true
		}
	}
	var names []string
	for k := range want {
		if !used[k] {
			names = append(names, k)
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		return nil, fmt.Errorf("-only: no workload named %s (see %s)", strings.Join(names, ", "), filepath.Join(root, "cpu"))
	}
	return sel, nil
}

// command runs a build command in dir with extra environment, returning a
// one-line error that names the command and carries its output.
func command(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, oneLine(string(out)))
	}
	return nil
}

// buildWorkload builds the native executable and the Wasm module of w
// into work.
func buildWorkload(root, work string, w *workload) error {
	base := filepath.Join(work, w.Lang+"-"+w.Name)
	w.Native, w.Wasm = base, base+".wasm"
	switch w.Lang {
	case "c":
		src := filepath.Join(w.Src, "main.c")
		if err := command(root, nil, "gcc", "-O2", "-o", w.Native, src, "-lm"); err != nil {
			return err
		}
		if err := command(root, nil, "clang", "--target=wasm32-wasi", "-O2", "-o", w.Wasm, src); err != nil {
			return err
		}
	case "go":
		pkg := "./" + filepath.ToSlash(must(filepath.Rel(root, w.Src)))
		if err := command(root, nil, "go", "build", "-o", w.Native, pkg); err != nil {
			return err
		}
		if err := command(root, []string{"GOOS=wasip1", "GOARCH=wasm"}, "go", "build", "-o", w.Wasm, pkg); err != nil {
			return err
		}
	}
	b, err := os.ReadFile(w.Wasm)
	w.Bytes = b
	return err
}

func must[T any](v T, err error) T {
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return v
}

// mwasmTool is the mwasm CLI used for "mwasm build".
type mwasmTool struct {
	Path   string
	Commit string // of the source tree it was built from, when known
	NA     string // why mwasm build cannot be used ("" when it can)
}

// findMwasm returns the mwasm CLI: path if given, else one built from the
// main module (the parent of the bench module) into work. Whether it has a
// usable build command is probed with "mwasm build --help".
func findMwasm(root, work, path string) mwasmTool {
	t := mwasmTool{Path: path}
	mainDir := filepath.Dir(root)
	t.Commit = gitCommit(mainDir)
	if t.Path == "" {
		t.Path = filepath.Join(work, "mwasm")
		if err := command(mainDir, nil, "go", "build", "-o", t.Path, "./cmd/mwasm"); err != nil {
			t.NA = "building the mwasm CLI failed: " + err.Error()
			return t
		}
	} else {
		t.Commit = "unknown (-mwasm " + path + ")"
	}
	out, err := exec.Command(t.Path, "build", "--help").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("build")) {
		t.NA = "this mwasm has no build command"
		if err != nil {
			t.NA += " (" + oneLine(string(out)) + ")"
		}
	}
	return t
}

// appCompileRE finds the app's compile time in mwasm build's "build phases"
// log line (--log-level info), e.g. "app_compile=1.213s".
var appCompileRE = regexp.MustCompile(`build phases:.* app_compile=([0-9.]+[a-zµ]+)`)

// parseAppCompile returns the app-compile time from mwasm build's log, or
// false when the log has none (an mwasm without the phase log).
func parseAppCompile(log string) (time.Duration, bool) {
	m := appCompileRE.FindStringSubmatch(log)
	if m == nil {
		return 0, false
	}
	d, err := time.ParseDuration(m[1])
	return d, err == nil
}

// build runs "mwasm build --target linux --log-level info W.wasm -o W.mwasm"
// and returns its wall time and the app-compile time from its phase log
// (-1 when the log has none).
func (t mwasmTool) build(wasm, out string) (time.Duration, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	os.Remove(out)
	cmd := exec.CommandContext(ctx, t.Path, "build", "--target", "linux", "--log-level", "info", wasm, "-o", out)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &errb, &errb
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	if err != nil {
		return 0, 0, fmt.Errorf("mwasm build: %v: %s", err, oneLine(errb.String()))
	}
	if _, err := os.Stat(out); err != nil {
		return 0, 0, errors.New("mwasm build wrote no executable")
	}
	app, ok := parseAppCompile(errb.String())
	if !ok {
		app = -1
	}
	return d, app, nil
}

func gitCommit(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += " (working tree modified)"
	}
	return c
}

// findRoot returns the bench module's directory: dir if given, else the
// nearest directory at or above the working directory whose go.mod
// declares the bench module.
func findRoot(dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/mwasm/mwasm/bench")) {
			return d, nil
		}
		if bench := filepath.Join(d, "bench"); d != bench {
			if b, err := os.ReadFile(filepath.Join(bench, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/mwasm/mwasm/bench")) {
				return bench, nil
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("cannot find the bench module (go.mod of github.com/mwasm/mwasm/bench) above the working directory: run from /work/main/bench or pass -root")
		}
		d = parent
	}
}

// environment describes the machine and tool versions for the report.
type environment struct {
	CPU, Cores, Memory, Kernel, Gcc, Clang, Go, Wasmtime, Wazero, Mwasm string
	LoadStart, LoadEnd                                                  string
}

func firstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	l, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return l
}

func procField(file, key string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func depVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "unknown"
}

func readEnvironment(mw mwasmTool) environment {
	return environment{
		CPU:       procField("/proc/cpuinfo", "model name"),
		Cores:     firstLine("nproc"),
		Memory:    procField("/proc/meminfo", "MemTotal"),
		Kernel:    firstLine("uname", "-sr"),
		Gcc:       firstLine("gcc", "--version"),
		Clang:     firstLine("clang", "--version"),
		Go:        firstLine("go", "version"),
		Wasmtime:  "wasmtime-go " + depVersion("github.com/bytecodealliance/wasmtime-go/v39") + " (Cranelift, default config)",
		Wazero:    "wazero " + depVersion("github.com/tetratelabs/wazero") + " (compiler engine)",
		Mwasm:     mw.Commit,
		LoadStart: loadavg(),
	}
}
