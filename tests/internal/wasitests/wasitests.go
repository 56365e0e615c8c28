// Package wasitests finds the official WASI testsuite (wasm32-wasip1,
// prebuilt) and reads what each test needs: its spec (arguments, environment,
// fixture directory, expected exit status and stdout) and a fresh copy of its
// fixture. tests/wasisuite runs every test in mwasm's homes; tests/xen boots a
// sample on Xen. The suite is read where it lies, never copied into the
// repository.
package wasitests

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Dir returns the suite's directory: $MWASM_WASI_TESTSUITE, or
// ../shared/wasi-testsuite beside the repository at repoRoot.
func Dir(repoRoot string) (string, error) {
	d := os.Getenv("MWASM_WASI_TESTSUITE")
	if d == "" {
		d = filepath.Join(repoRoot, "..", "shared", "wasi-testsuite")
	}
	if _, err := os.Stat(filepath.Join(d, "rust")); err != nil {
		return "", fmt.Errorf("the WASI testsuite is not at %s (%v): set MWASM_WASI_TESTSUITE to a copy of its prebuilt wasm32-wasip1 tests", d, err)
	}
	return d, nil
}

// Spec is a test's legacy JSON spec (every key optional).
type Spec struct {
	Args      []string          `json:"args"`
	Env       map[string]string `json:"env"`
	Root      string            `json:"root"` // the fixture, relative to the test's folder
	ExitCode  int               `json:"exit_code"`
	Stdout    *string           `json:"stdout"`
	Proposals []string          `json:"proposals"`
}

// LoadSpec reads the spec beside wasm (NAME.json); a test without one has
// the empty spec (no arguments, exit status 0).
func LoadSpec(wasm string) (Spec, error) {
	var s Spec
	b, err := os.ReadFile(strings.TrimSuffix(wasm, ".wasm") + ".json")
	if os.IsNotExist(err) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s.json: %v", strings.TrimSuffix(wasm, ".wasm"), err)
	}
	return s, nil
}

// EnvList returns the spec's environment as sorted KEY=VALUE entries.
func (s Spec) EnvList() []string {
	var out []string
	for k, v := range s.Env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// CopyFixture copies the fixture directory src to dst (writable), without
// the entries named *.cleanup, which the suite's runners delete before a run.
func CopyFixture(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(d.Name(), ".cleanup") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, to)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
}
