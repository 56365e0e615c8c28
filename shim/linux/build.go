//go:build !wasip1

package linux

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/shim/reactor"
)

// ShimPackage is the import path of the Linux shim reactor's main package.
const ShimPackage = "github.com/mwasm/mwasm/shim/linux/cmd/shim"

// BuildShim compiles the Linux shim reactor from its source in this repository
// (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared, with the go command on PATH or in
// GOROOT) into dir, renames its runtime's WASI import module to reactor.RuntimeModule,
// and returns the resulting module, ready to be linked beside an app.
func BuildShim(ctx context.Context, dir string) ([]byte, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return nil, errors.New("linux.BuildShim: cannot locate the shim/linux source")
	}
	src := filepath.Dir(self)
	if _, err := os.Stat(filepath.Join(src, "cmd", "shim", "main.go")); err != nil {
		return nil, errors.New("linux.BuildShim: shim source not found beside " + self + " (run from a checkout of the repository): " + err.Error())
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goCmd); err != nil {
			return nil, errors.New("linux.BuildShim: no go command on PATH or in GOROOT; install Go to build the shim")
		}
	}
	out, err := filepath.Abs(filepath.Join(dir, "shim.wasm"))
	if err != nil {
		return nil, errors.New("linux.BuildShim: " + err.Error())
	}
	cmd := exec.CommandContext(ctx, goCmd, "build", "-buildmode=c-shared", "-o", out, "./cmd/shim")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, errors.New("linux.BuildShim: go build " + ShimPackage + ": " + err.Error() + "\n" + string(msg))
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return nil, errors.New("linux.BuildShim: " + err.Error())
	}
	wasm, n, err := reactor.RenameImportModule(wasm, abi.Module, reactor.RuntimeModule)
	if err != nil {
		return nil, errors.New("linux.BuildShim: " + err.Error())
	}
	if n == 0 {
		return nil, errors.New("linux.BuildShim: the built shim imports nothing from " + abi.Module + "; the Go toolchain changed, check reactor.RuntimeImports")
	}
	return wasm, nil
}
