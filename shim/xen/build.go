//go:build !wasip1

package xen

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"

	"github.com/mwasm/mwasm/shim/reactor"
)

// ShimPackage is the import path of the Xen shim reactor's main package.
const ShimPackage = "github.com/mwasm/mwasm/shim/xen/cmd/shim"

// BuildShim compiles the Xen shim reactor from its source in this repository
// into dir (reactor.Build) and returns the module, ready to be linked into an
// image by xenboot.
func BuildShim(ctx context.Context, dir string) ([]byte, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return nil, errors.New("xen.BuildShim: cannot locate the shim/xen source")
	}
	w, err := reactor.Build(ctx, dir, filepath.Dir(self), ShimPackage)
	if err != nil {
		return nil, errors.New("xen.BuildShim: " + err.Error())
	}
	return w, nil
}
