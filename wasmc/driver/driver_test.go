package driver

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// runWasm runs a built module under plain wazero and returns its stdout, so the
// tests check that the driver produced a working wasip1 program, not just a file.
func runWasm(t *testing.T, path string) string {
	t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	var out bytes.Buffer
	cfg := wazero.NewModuleConfig().WithStdout(&out).WithStderr(&out).WithArgs("app", "x")
	if _, err := rt.InstantiateWithConfig(ctx, wasm, cfg); err != nil {
		t.Fatalf("running %s: %v (output %q)", path, err, out.String())
	}
	return out.String()
}

func TestBuildGoSeparateModule(t *testing.T) {
	out := filepath.Join(t.TempDir(), "hello.wasm")
	got, err := Build(context.Background(), "testdata/hello-go", Options{Output: out})
	if err != nil {
		t.Fatal(err)
	}
	if got != out {
		t.Fatalf("Build returned %q, want %q", got, out)
	}
	if s := runWasm(t, got); s != "hello from go 2\n" {
		t.Fatalf("output %q", s)
	}
}

func TestBuildGoInsideModuleToCache(t *testing.T) {
	// Keep go's own build cache where it is (it defaults to the user cache dir too).
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOCACHE", strings.TrimSpace(string(gocache)))
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	got, err := Build(context.Background(), "testdata/inmod-go", Options{})
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata/inmod-go")
	want, err := CachePath(abs)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || !strings.HasPrefix(got, cache) || filepath.Base(got) != "inmod-go.wasm" {
		t.Fatalf("Build wrote %q, want %q under %q", got, want, cache)
	}
	if s := runWasm(t, got); s != "hello from wasi_snapshot_preview1\n" {
		t.Fatalf("output %q", s)
	}
	// No temporary files are left beside the output.
	ents, _ := os.ReadDir(filepath.Dir(got))
	if len(ents) != 1 {
		t.Fatalf("cache dir holds %d entries, want 1", len(ents))
	}
}

func TestCachePathDistinctDirs(t *testing.T) {
	a, _ := CachePath("/x/one/app")
	b, _ := CachePath("/x/two/app")
	if a == b {
		t.Fatalf("two directories share the cache path %q", a)
	}
	if filepath.Base(a) != "app.wasm" {
		t.Fatalf("cache path %q is not named after the directory", a)
	}
}

func TestBuildC(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang not installed (" + ClangHint + "); scripts/setup.sh installs it")
	}
	out := filepath.Join(t.TempDir(), "c.wasm")
	got, err := Build(context.Background(), "testdata/hello-c", Options{Output: out})
	if err != nil {
		var be *BuildError
		if errors.As(err, &be) && be.Hint != "" {
			t.Skipf("clang's wasm32-wasi toolchain is incomplete here: %v", err)
		}
		t.Fatal(err)
	}
	if s := runWasm(t, got); s != "hello from c\n" {
		t.Fatalf("output %q", s)
	}
}

func TestBuildCCompileError(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang not installed (" + ClangHint + ")")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.c"), []byte("int main(void) { return nosuchname; }\n"), 0o644)
	_, err := Build(context.Background(), dir, Options{Output: filepath.Join(dir, "o.wasm")})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("want *BuildError, got %T %v", err, err)
	}
	if !strings.Contains(be.Output, "nosuchname") {
		t.Fatalf("compiler output %q does not name the undeclared identifier", be.Output)
	}
	sum := be.Summary()
	if strings.Contains(sum, "\n") || !strings.HasPrefix(sum, "clang failed ("+dir+")") {
		t.Fatalf("summary %q", sum)
	}
	lines := strings.Split(err.Error(), "\n")
	if lines[len(lines)-1] != sum {
		t.Fatalf("Error() does not end with the summary: %q", err.Error())
	}
	if _, err := os.Stat(filepath.Join(dir, "o.wasm")); err == nil {
		t.Fatal("a failed build left an output file")
	}
}

func TestBuildGoCompileError(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/bad\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644)
	_, err := Build(context.Background(), dir, Options{Output: filepath.Join(dir, "o.wasm")})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("want *BuildError, got %T %v", err, err)
	}
	if be.Tool != "go build" || !strings.Contains(be.Output, "undefinedThing") {
		t.Fatalf("tool %q output %q", be.Tool, be.Output)
	}
	if !strings.Contains(be.Summary(), "fix the errors above") {
		t.Fatalf("summary %q", be.Summary())
	}
}

func TestClangMissing(t *testing.T) {
	_, err := Build(context.Background(), "testdata/hello-c", Options{
		Output: filepath.Join(t.TempDir(), "o.wasm"),
		Clang:  "/nonexistent/bin/clang",
	})
	if err == nil || !strings.Contains(err.Error(), "C apps need clang for wasm32-wasi") ||
		!strings.Contains(err.Error(), ClangHint) {
		t.Fatalf("err = %v", err)
	}
}

func TestGoMissing(t *testing.T) {
	_, err := Build(context.Background(), "testdata/hello-go", Options{
		Output: filepath.Join(t.TempDir(), "o.wasm"),
		Go:     "/nonexistent/bin/go",
	})
	if err == nil || !strings.Contains(err.Error(), "Go apps need the go command") {
		t.Fatalf("err = %v", err)
	}
}

func TestToolchainIncompleteHint(t *testing.T) {
	if !toolchainIncomplete("clang: error: unable to execute command: Executable \"wasm-ld\" doesn't exist!") {
		t.Fatal("missing wasm-ld not recognised")
	}
	if !toolchainIncomplete("x.c:1:10: fatal error: 'stdio.h' file not found") {
		t.Fatal("missing sysroot not recognised")
	}
	if toolchainIncomplete("x.c:1:19: error: use of undeclared identifier 'y'") {
		t.Fatal("an error in the app's code taken for a toolchain problem")
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.wasm")
	os.WriteFile(good, []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	text := filepath.Join(dir, "app.wat")
	os.WriteFile(text, []byte("(module)\n"), 0o644)
	short := filepath.Join(dir, "short.wasm")
	os.WriteFile(short, []byte("\x00a"), 0o644)

	for _, tc := range []struct {
		path    string
		kind    Kind
		wantErr string
	}{
		{good, KindWasm, ""},
		{"testdata/hello-go", KindGo, ""},
		{"testdata/inmod-go", KindGo, ""},
		{"testdata/hello-c", KindC, ""},
		{text, 0, text + " is not a WebAssembly module (bad magic): expected a .wasm file or an app source directory"},
		{short, 0, short + " is not a WebAssembly module (bad magic)"},
		{filepath.Join(dir, "nope.wasm"), 0, "nope.wasm does not exist: give a .wasm file or an app source directory"},
		{"testdata/empty", 0, "testdata/empty has no .go or .c files"},
		{"testdata/lib-go", 0, "testdata/lib-go holds package lib, not package main"},
	} {
		in, err := Resolve(tc.path)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Resolve(%q) err = %v, want %q", tc.path, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("Resolve(%q) error is not one line: %q", tc.path, err)
			}
			continue
		}
		if err != nil || in.Kind != tc.kind || in.Path != tc.path {
			t.Errorf("Resolve(%q) = %+v, %v; want kind %v", tc.path, in, err, tc.kind)
		}
	}
}

func TestBuildRejectsNonSource(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o.wasm")
	for _, tc := range []struct{ dir, want string }{
		{"testdata/empty", "has no .go or .c files"},
		{"testdata/lib-go", "not package main"},
		{"testdata/missing", "testdata/missing does not exist"},
		{"driver.go", "driver.go is not a directory"},
	} {
		_, err := Build(context.Background(), tc.dir, Options{Output: out})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Build(%q) err = %v, want %q", tc.dir, err, tc.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "m.wasm")
	mod := []byte("\x00asm\x01\x00\x00\x00")
	os.WriteFile(good, mod, 0o644)
	wasm, p, err := Load(context.Background(), good, Options{})
	if err != nil || p != good || !bytes.Equal(wasm, mod) {
		t.Fatalf("Load(file) = %q, %q, %v", wasm, p, err)
	}
	out := filepath.Join(dir, "built.wasm")
	wasm, p, err = Load(context.Background(), "testdata/hello-go", Options{Output: out})
	if err != nil || p != out || !bytes.HasPrefix(wasm, WasmMagic) {
		t.Fatalf("Load(dir) = %d bytes, %q, %v", len(wasm), p, err)
	}
}
