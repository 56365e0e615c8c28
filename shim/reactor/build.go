//go:build !wasip1

package reactor

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/mwasm/mwasm/abi"
)

// Build compiles the reactor whose main package is srcDir/cmd/shim (the
// shim of one target: shim/linux, shim/xen) with GOOS=wasip1 GOARCH=wasm
// -buildmode=c-shared, with the go command on PATH or in GOROOT, into dir;
// renames its runtime's WASI import module to RuntimeModule; and returns the
// module, ready to be linked beside an app. pkg names the main package in
// errors.
func Build(ctx context.Context, dir, srcDir, pkg string) ([]byte, error) {
	if _, err := os.Stat(filepath.Join(srcDir, "cmd", "shim", "main.go")); err != nil {
		return nil, errors.New("shim source not found in " + srcDir + " (run from a checkout of the repository): " + err.Error())
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goCmd); err != nil {
			return nil, errors.New("no go command on PATH or in GOROOT; install Go to build the shim")
		}
	}
	out, err := filepath.Abs(filepath.Join(dir, "shim.wasm"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, goCmd, "build", "-buildmode=c-shared", "-o", out, "./cmd/shim")
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, errors.New("go build " + pkg + ": " + err.Error() + "\n" + string(msg))
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	wasm, n, err := RenameImportModule(wasm, abi.Module, RuntimeModule)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("the built shim imports nothing from " + abi.Module + "; the Go toolchain changed, check reactor.RuntimeImports")
	}
	return wasm, nil
}
