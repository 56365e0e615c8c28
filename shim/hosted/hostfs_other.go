//go:build !linux

package hosted

import (
	"errors"

	"github.com/mwasm/mwasm/shim"
)

// OpenHostDir opens the host directory path as a tree for the app; only Linux
// hosts have the *at calls it is built on.
func OpenHostDir(path string) (shim.Dir, error) {
	return nil, errors.New("preopened host directories (--dir) need a Linux host")
}
