//go:build wasip1

// Command shim is the shim reactor of Xen images: package shim's WASI
// implementation, exported under the ABI's names (package shim/reactor), over
// the Xen platform (package shim/xen). Build it with shim/xen.BuildShim.
package main

import "github.com/mwasm/mwasm/shim/xen"

func init() { xen.Init() }

// main is required by the toolchain but never runs in a reactor (-buildmode=c-shared).
func main() {}
