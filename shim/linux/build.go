//go:build !wasip1

package linux

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"

	"github.com/mwasm/mwasm/shim/reactor"
)

// ShimPackage is the import path of the Linux shim reactor's main package.
const ShimPackage = "github.com/mwasm/mwasm/shim/linux/cmd/shim"

// BuildShim compiles the Linux shim reactor from its source in this repository
// into dir (reactor.Build) and returns the module, ready to be linked beside an app.
func BuildShim(ctx context.Context, dir string) ([]byte, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return nil, errors.New("linux.BuildShim: cannot locate the shim/linux source")
	}
	w, err := reactor.Build(ctx, dir, filepath.Dir(self), ShimPackage)
	if err != nil {
		return nil, errors.New("linux.BuildShim: " + err.Error())
	}
	return w, nil
}
