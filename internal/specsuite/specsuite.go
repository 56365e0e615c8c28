// Package specsuite locates the official WebAssembly spec test suite. The
// suite ships inside the wazero module (a dependency of mwasm) as
// wast2json output: per .wast script a JSON file of commands plus the
// .wasm files they name, under v1/testdata and v2/testdata of
// internal/integration_test/spectest in the module's directory. The files
// are read in place, never copied. Dir finds that directory once per
// process with `go list -m` (or takes $MWASM_SPEC_DIR); every spec-driven
// test and the tests/spec runner go through it.
package specsuite

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// WazeroModule is the module whose source tree carries the suite.
const WazeroModule = "github.com/tetratelabs/wazero"

var (
	dirOnce sync.Once
	dir     string
	dirErr  error
)

// Dir returns the directory that holds v1/testdata and v2/testdata:
// $MWASM_SPEC_DIR if set, else internal/integration_test/spectest in the
// directory `go list -m` reports for the wazero module. It must run inside
// the mwasm module (tests do).
func Dir() (string, error) {
	dirOnce.Do(func() { dir, dirErr = locate() })
	return dir, dirErr
}

func locate() (string, error) {
	if d := os.Getenv("MWASM_SPEC_DIR"); d != "" {
		return d, nil
	}
	b, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", WazeroModule).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("locating the wazero module with `go list -m %s` (run inside the mwasm module, or set MWASM_SPEC_DIR): %v", WazeroModule, err)
	}
	d := strings.TrimSpace(string(b))
	if d == "" {
		return "", fmt.Errorf("`go list -m %s` gave no directory: run `go mod download %s` or set MWASM_SPEC_DIR", WazeroModule, WazeroModule)
	}
	d = filepath.Join(d, "internal", "integration_test", "spectest")
	if _, err := os.Stat(d); err != nil {
		return "", fmt.Errorf("spec tests not found: %v (run `go mod download %s` or set MWASM_SPEC_DIR)", err, WazeroModule)
	}
	return d, nil
}

// WasmFiles lists the .wasm files of the v1 and v2 suites, sorted, without
// the SIMD ones (simd_*.wasm: mwasm does not support SIMD).
func WasmFiles() ([]string, error) {
	d, err := Dir()
	if err != nil {
		return nil, err
	}
	var files []string
	for _, v := range []string{"v1", "v2"} {
		fs, err := filepath.Glob(filepath.Join(d, v, "testdata", "*.wasm"))
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if !strings.HasPrefix(filepath.Base(f), "simd_") {
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	return files, nil
}
