// Package driver turns what a user hands to mwasm into a WebAssembly module.
//
// mwasm accepts either a finished .wasm file or an app source directory. Resolve
// looks at a path and says which it is (checking a file's \0asm magic, or listing a
// directory's sources); Build compiles a source directory with the app's own
// toolchain; Load does both and returns the module's bytes.
//
// Two toolchains are driven:
//
//   - Go: a directory with .go files (package main) is built with `go build` under
//     GOOS=wasip1 GOARCH=wasm, run inside that directory. The go command then finds the
//     directory's own module, so this works for an app inside the mwasm module
//     (./apps/httpd) as well as for a user's separate module anywhere else.
//   - C: a directory with .c files and no .go files is built with
//     `clang --target=wasm32-wasi -O2 *.c -o app.wasm`. Debian's clang, lld, wasi-libc
//     and libclang-rt-dev-wasm32 packages make the default sysroot right, so no
//     --sysroot is passed.
//
// The output goes to Options.Output, or by default into the user's cache directory:
// os.UserCacheDir()/mwasm/build/<hash of the absolute directory>/<name>.wasm. The file
// is written under a temporary name and renamed, so a concurrent reader never sees a
// half-written module. Every build runs the toolchain again; both toolchains keep their
// own caches (go's build cache) or are fast enough (clang) that mwasm keeps none.
//
// Errors are one line in mwasm's style: what went wrong, where, what to do. A failed
// compilation is a *BuildError carrying the compiler's output beside that line.
package driver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Kind says what a path given to mwasm holds.
type Kind int

const (
	KindWasm Kind = iota + 1 // a WebAssembly binary module (.wasm file)
	KindGo                   // a Go app source directory (package main)
	KindC                    // a C app source directory
)

func (k Kind) String() string {
	switch k {
	case KindWasm:
		return "wasm"
	case KindGo:
		return "go"
	case KindC:
		return "c"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Input is a resolved path: a .wasm file or an app source directory.
type Input struct {
	Path string // as given by the user
	Kind Kind
}

// Options tunes Build. The zero value builds into the cache directory with the go
// and clang found on $PATH.
type Options struct {
	// Output is the path of the .wasm to write. Empty: the cache directory (see the
	// package comment).
	Output string
	// Go and Clang name the toolchain commands; empty means "go" and "clang" on $PATH.
	Go    string
	Clang string
	// Env is added to the toolchain's environment (after os.Environ(); GOOS and
	// GOARCH are then forced for Go).
	Env []string
	// Log, if non-nil, receives the commands run (one line each).
	Log func(format string, args ...any)
}

// WasmMagic is the first four bytes of every WebAssembly binary module.
var WasmMagic = []byte{0x00, 'a', 's', 'm'}

// ClangHint is what to do when clang or its wasm32-wasi parts are missing.
const ClangHint = "apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32"

// BuildError is a failed compilation: the compiler ran and said no.
type BuildError struct {
	Dir    string // the app source directory
	Tool   string // "go build" or "clang"
	Output string // the compiler's combined stdout and stderr
	Hint   string // what to do; may be empty
	Err    error  // how the command ended (usually *exec.ExitError)
}

// Summary is the one-line description of the failure (without the compiler output).
func (e *BuildError) Summary() string {
	s := fmt.Sprintf("%s failed (%s): %v", e.Tool, e.Dir, e.Err)
	if e.Hint != "" {
		s += ": " + e.Hint
	} else {
		s += ": fix the errors above"
	}
	return s
}

// Error is the compiler's output followed by the summary line.
func (e *BuildError) Error() string {
	out := strings.TrimRight(e.Output, "\n")
	if out == "" {
		return e.Summary()
	}
	return out + "\n" + e.Summary()
}

func (e *BuildError) Unwrap() error { return e.Err }

// Resolve says whether path is a WebAssembly module or an app source directory. A
// file must start with the \0asm magic; a directory must hold .go or .c sources.
func Resolve(path string) (Input, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Input{}, fmt.Errorf("%s does not exist: give a .wasm file or an app source directory", path)
		}
		return Input{}, fmt.Errorf("cannot read %s: %v", path, unwrapPath(err))
	}
	if st.IsDir() {
		k, _, err := sourceKind(path)
		if err != nil {
			return Input{}, err
		}
		return Input{Path: path, Kind: k}, nil
	}
	if !st.Mode().IsRegular() {
		// A pipe (mwasm run /dev/stdin) can be read only once: Load checks what it reads.
		return Input{Path: path, Kind: KindWasm}, nil
	}
	if err := checkMagic(path); err != nil {
		return Input{}, err
	}
	return Input{Path: path, Kind: KindWasm}, nil
}

func checkMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	head := make([]byte, len(WasmMagic))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("cannot read %s: %v", path, unwrapPath(err))
	}
	return magicError(path, head[:n])
}

// magicError says why a file starting with head is not a module (nil if it may be).
func magicError(path string, head []byte) error {
	switch {
	case len(head) == 0:
		return fmt.Errorf("%s is empty: expected a .wasm file or an app source directory", path)
	case len(head) < len(WasmMagic) || !bytes.Equal(head[:len(WasmMagic)], WasmMagic):
		return fmt.Errorf("%s is not a WebAssembly module (bad magic): expected a .wasm file or an app source directory", path)
	}
	return nil
}

// unwrapPath drops the *fs.PathError wrapper, whose text repeats the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// sourceKind lists dir and decides Go (any .go file that is not a test) or C (.c
// files and no .go files). It returns the C files for KindC.
func sourceKind(dir string) (Kind, []string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot list %s: %v", dir, unwrapPath(err))
	}
	var goFiles, cFiles []string
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		n := e.Name()
		switch {
		case strings.HasSuffix(n, "_test.go"):
		case strings.HasSuffix(n, ".go"):
			goFiles = append(goFiles, n)
		case strings.HasSuffix(n, ".c"):
			cFiles = append(cFiles, n)
		}
	}
	switch {
	case len(goFiles) > 0:
		if err := checkPackageMain(dir, goFiles); err != nil {
			return 0, nil, err
		}
		return KindGo, nil, nil
	case len(cFiles) > 0:
		sort.Strings(cFiles)
		return KindC, cFiles, nil
	}
	return 0, nil, fmt.Errorf("%s has no .go or .c files: give a .wasm file or a directory holding a Go (package main) or C app", dir)
}

// checkPackageMain reads the package clauses of dir's Go files: an app is package main.
func checkPackageMain(dir string, files []string) error {
	fset := token.NewFileSet()
	var other string
	for _, n := range files {
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.PackageClauseOnly)
		if err != nil {
			// Leave syntax errors to the compiler, which reports them better.
			return nil
		}
		if f.Name.Name == "main" {
			return nil
		}
		other = f.Name.Name
	}
	return fmt.Errorf("%s holds package %s, not package main: an app directory needs a main package (func main)", dir, other)
}

// Build compiles the app source directory dir to a .wasm file and returns its path.
func Build(ctx context.Context, dir string, opts Options) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s does not exist: give an app source directory", dir)
		}
		return "", fmt.Errorf("cannot read %s: %v", dir, unwrapPath(err))
	}
	if !st.IsDir() {
		return "", fmt.Errorf("%s is not a directory: Build takes an app source directory", dir)
	}
	kind, cFiles, err := sourceKind(dir)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("cannot resolve %s: %v", dir, err)
	}
	out := opts.Output
	if out == "" {
		out, err = CachePath(abs)
		if err != nil {
			return "", err
		}
	} else if out, err = filepath.Abs(out); err != nil {
		return "", fmt.Errorf("cannot resolve output path %s: %v", opts.Output, err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("cannot create output directory %s: %v", filepath.Dir(out), unwrapPath(err))
	}
	// Build to a temporary name beside the output, then rename.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".build-*.wasm")
	if err != nil {
		return "", fmt.Errorf("cannot create output file in %s: %v", filepath.Dir(out), unwrapPath(err))
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // no-op once renamed

	switch kind {
	case KindGo:
		err = buildGo(ctx, dir, tmpName, opts)
	case KindC:
		err = buildC(ctx, dir, cFiles, tmpName, opts)
	}
	if err != nil {
		return "", err
	}
	if err := checkMagic(tmpName); err != nil {
		return "", fmt.Errorf("the toolchain wrote no WebAssembly module for %s: check the app builds with GOOS=wasip1 GOARCH=wasm or clang --target=wasm32-wasi", dir)
	}
	if err := os.Rename(tmpName, out); err != nil {
		return "", fmt.Errorf("cannot write %s: %v", out, err)
	}
	return out, nil
}

// CachePath is where Build puts the module of the app in absDir by default.
func CachePath(absDir string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(absDir))
	name := filepath.Base(absDir)
	if name == string(filepath.Separator) || name == "." || name == "" {
		name = "app"
	}
	return filepath.Join(base, "mwasm", "build", hex.EncodeToString(sum[:8]), name+".wasm"), nil
}

func buildGo(ctx context.Context, dir, out string, opts Options) error {
	goCmd := opts.Go
	if goCmd == "" {
		goCmd = "go"
	}
	path, err := exec.LookPath(goCmd)
	if err != nil {
		return fmt.Errorf("Go apps need the go command (%s not found on $PATH): install Go from https://go.dev/dl", goCmd)
	}
	args := []string{"build", "-o", out, "."}
	env := append(append(os.Environ(), opts.Env...), "GOOS=wasip1", "GOARCH=wasm")
	return runTool(ctx, dir, "go build", "", path, args, env, opts)
}

func buildC(ctx context.Context, dir string, files []string, out string, opts Options) error {
	cc := opts.Clang
	if cc == "" {
		cc = "clang"
	}
	path, err := exec.LookPath(cc)
	if err != nil {
		return fmt.Errorf("C apps need clang for wasm32-wasi (%s not found on $PATH): %s", cc, ClangHint)
	}
	args := append([]string{"--target=wasm32-wasi", "-O2"}, files...)
	args = append(args, "-o", out)
	env := append(os.Environ(), opts.Env...)
	return runTool(ctx, dir, "clang", ClangHint, path, args, env, opts)
}

// runTool runs one toolchain command in dir; on failure it returns a *BuildError.
// hint is attached only when the output shows the toolchain itself is incomplete.
func runTool(ctx context.Context, dir, tool, hint, path string, args, env []string, opts Options) error {
	if opts.Log != nil {
		opts.Log("%s: %s %s", dir, path, strings.Join(args, " "))
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = env
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s of %s interrupted: %v", tool, dir, ctx.Err())
		}
		be := &BuildError{Dir: dir, Tool: tool, Output: buf.String(), Err: err}
		if hint != "" && toolchainIncomplete(be.Output) {
			be.Hint = "the wasm32-wasi toolchain is incomplete: " + hint
		}
		if strings.Contains(be.Output, "go.mod file not found") {
			be.Hint = "the directory is not in a Go module: run go mod init NAME in " + dir + " (or in a parent directory)"
		}
		return be
	}
	return nil
}

// toolchainIncomplete recognises clang's complaints about a missing wasm32-wasi sysroot,
// linker or runtime library (as opposed to errors in the app's code).
func toolchainIncomplete(out string) bool {
	for _, s := range []string{
		"wasm-ld", // linker not installed (lld)
		"libclang_rt.builtins-wasm32",
		"'stdio.h' file not found", "'stdlib.h' file not found", "'string.h' file not found",
		"cannot find -lc", "unable to find library -lc",
		"crt1",
	} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// Load resolves path and returns the WebAssembly module it stands for: the file
// itself, or the module built from the source directory. wasmPath is the module's
// file (the input or the build output).
func Load(ctx context.Context, path string, opts Options) (wasm []byte, wasmPath string, err error) {
	in, err := Resolve(path)
	if err != nil {
		return nil, "", err
	}
	wasmPath = in.Path
	if in.Kind != KindWasm {
		if wasmPath, err = Build(ctx, in.Path, opts); err != nil {
			return nil, "", err
		}
	}
	wasm, err = os.ReadFile(wasmPath)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read %s: %v", wasmPath, unwrapPath(err))
	}
	if err := magicError(wasmPath, wasm[:min(len(wasm), len(WasmMagic))]); err != nil {
		return nil, "", err
	}
	return wasm, wasmPath, nil
}
