// Package wasisuite runs the official WASI testsuite (wasm32-wasip1, prebuilt:
// C, Rust, AssemblyScript) against mwasm, each test on a fresh copy of its
// fixture directory, in three homes:
//
//   - run:    `mwasm run --dir COPY::/ TEST.wasm`, the tree a host directory;
//   - native: `mwasm build --target linux --dir COPY::/`, the fixture packed
//     into the executable, which then runs;
//   - memfs:  the test under the hosted shim with the fixture packed into an
//     in-memory tree (the tree of an image, under wazero: a quick check of
//     package memfs apart from the compiler).
//
// tests/xen boots a sample of them, built with --dir, on real Xen.
//
// The suite is read at test time from $MWASM_WASI_TESTSUITE or
// ../shared/wasi-testsuite beside the repository; it is never copied in. Each
// home prints "wasi-testsuite (HOME): N passed, M failed". Tests mwasm fails on
// purpose are listed in knownFailures with the reason; such a test that passes
// is an error too (the list must stay true).
package wasisuite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mwasm/mwasm/shim/hosted"
	"github.com/mwasm/mwasm/shim/memfs"
	"github.com/mwasm/mwasm/tests/internal/wasitests"
)

// knownFailures are the tests mwasm fails by design, with the reason.
var knownFailures = map[string]string{
	"c/sock_shutdown-invalid_fd": "expects fd 3 to be closed; in mwasm fd 3 is always the preopened /dev " +
		"(abi/README.md), so sock_shutdown(3) answers ENOTSOCK, the honest errno for an open descriptor that is not a socket",
}

var (
	repoRoot = func() string {
		_, file, _, _ := runtime.Caller(0)
		return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	}()
	mwasmBin string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mwasm-wasisuite-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mwasmBin = filepath.Join(dir, "mwasm")
	cmd := exec.Command("go", "build", "-o", mwasmBin, "./cmd/mwasm")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building mwasm: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// suiteDir finds the testsuite; a missing suite fails the test (CI must run it).
func suiteDir(t *testing.T) string {
	d, err := wasitests.Dir(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type testCase struct {
	name string // "rust/path_link"
	wasm string
	dir  string // the language folder
	spec wasitests.Spec
}

func loadCases(t *testing.T) []testCase {
	root := suiteDir(t)
	var cases []testCase
	for _, lang := range []string{"assemblyscript", "c", "rust"} {
		files, _ := filepath.Glob(filepath.Join(root, lang, "*.wasm"))
		sort.Strings(files)
		for _, w := range files {
			n := strings.TrimSuffix(filepath.Base(w), ".wasm")
			c := testCase{name: lang + "/" + n, wasm: w, dir: filepath.Join(root, lang)}
			sp, err := wasitests.LoadSpec(w)
			if err != nil {
				t.Fatal(err)
			}
			c.spec = sp
			cases = append(cases, c)
		}
	}
	if len(cases) < 70 {
		t.Fatalf("only %d tests found in %s: the suite is incomplete", len(cases), root)
	}
	return cases
}

// fixture copies the test's root directory (writable, *.cleanup removed).
func fixture(t *testing.T, c testCase) string {
	if c.spec.Root == "" {
		return ""
	}
	dst := filepath.Join(t.TempDir(), "root")
	if err := wasitests.CopyFixture(filepath.Join(c.dir, c.spec.Root), dst); err != nil {
		t.Fatalf("copying the fixture of %s: %v", c.name, err)
	}
	return dst
}

// result is what one run of a test gave.
type result struct {
	status int
	stdout string
	stderr string
}

// check says what is wrong with r for c ("" when it passed).
func check(c testCase, r result) string {
	if r.status != c.spec.ExitCode {
		return fmt.Sprintf("exit status %d, want %d\nstderr: %s", r.status, c.spec.ExitCode, tail(r.stderr))
	}
	if c.spec.Stdout != nil && r.stdout != *c.spec.Stdout {
		return fmt.Sprintf("stdout %q, want %q", r.stdout, *c.spec.Stdout)
	}
	return ""
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 6 {
		lines = lines[:6]
	}
	return strings.Join(lines, "\n")
}

type home func(t *testing.T, c testCase, root string) result

func runSuite(t *testing.T, name string, run home) {
	cases := loadCases(t)
	passed, failed := 0, 0
	for _, c := range cases {
		if len(c.spec.Proposals) > 0 {
			t.Logf("%s: needs proposals %v beyond preview 1, not run", c.name, c.spec.Proposals)
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c, fixture(t, c))
			problem := check(c, r)
			reason, known := knownFailures[c.name]
			switch {
			case problem == "" && known:
				failed++
				t.Errorf("passes but is listed as a known failure (%s): remove it from knownFailures", reason)
			case problem == "":
				passed++
			case known:
				failed++
				t.Logf("known failure: %s (%s)", reason, strings.SplitN(problem, "\n", 2)[0])
			default:
				failed++
				t.Errorf("%s", problem)
			}
		})
	}
	fmt.Printf("wasi-testsuite (%s): %d passed, %d failed (%d of them known: %d listed)\n", name, passed, failed, len(knownFailures), len(knownFailures))
	if passed < 70 {
		t.Errorf("only %d tests passed; at least 70 must", passed)
	}
}

// TestRun runs the suite under `mwasm run --dir COPY::/`.
func TestRun(t *testing.T) {
	runSuite(t, "mwasm run", func(t *testing.T, c testCase, root string) result {
		args := []string{"run", "--cache-dir", "off"}
		if root != "" {
			args = append(args, "--dir", root+"::/")
		}
		for _, kv := range c.spec.EnvList() {
			args = append(args, "--env", kv)
		}
		args = append(args, c.wasm, "--")
		args = append(args, c.spec.Args...)
		return command(t, mwasmBin, args...)
	})
}

// command runs bin with args (60 s at most).
func command(t *testing.T, bin string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within 60 s", filepath.Base(bin))
	}
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{status, out.String(), errb.String()}
}

// TestNative runs the suite as native executables: each test built with
// `mwasm build --target linux --dir COPY::/` (the fixture packed into the
// executable) and run.
func TestNative(t *testing.T) {
	cache := t.TempDir() // the shim is compiled once for all the builds
	runSuite(t, "native", func(t *testing.T, c testCase, root string) result {
		exe := filepath.Join(t.TempDir(), "test")
		args := []string{"build", "--target", "linux", "--cache-dir", cache, "-o", exe}
		if root != "" {
			args = append(args, "--dir", root+"::/")
		}
		for _, kv := range c.spec.EnvList() {
			args = append(args, "--env", kv)
		}
		if r := command(t, mwasmBin, append(args, c.wasm)...); r.status != 0 {
			t.Fatalf("mwasm build: status %d: %s", r.status, r.stderr)
		}
		return command(t, exe, c.spec.Args...)
	})
}

// TestMemfs runs the suite under the hosted shim with the fixture packed into
// an in-memory tree, the tree an image built with --dir carries.
func TestMemfs(t *testing.T) {
	start := time.Now()
	now := func() uint64 { return uint64(start.UnixNano()) + uint64(time.Since(start)) }
	runSuite(t, "in-memory tree", func(t *testing.T, c testCase, root string) result {
		wasm, err := os.ReadFile(c.wasm)
		if err != nil {
			t.Fatal(err)
		}
		cfg := hosted.Config{Name: filepath.Base(c.wasm), Args: c.spec.Args, Env: c.spec.EnvList()}
		var out, errb bytes.Buffer
		cfg.Stdout, cfg.Stderr = &out, &errb
		cfg.Stdin = bytes.NewReader(nil)
		if root != "" {
			blob, _, err := memfs.Pack([]memfs.Source{{Host: root, Guest: "/"}})
			if err != nil {
				t.Fatal(err)
			}
			trees, err := memfs.Unpack(blob, now)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Dirs = memfs.Preopens(trees)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		code, err := hosted.Run(ctx, wasm, cfg)
		if err != nil && code == 0 {
			code = 2
		}
		if err != nil {
			errb.WriteString(err.Error())
		}
		return result{int(code), out.String(), errb.String()}
	})
}
