//go:build wasip1

// Command shim is the shim reactor of the Linux executable: package shim's WASI
// implementation, exported under the ABI's names (package shim/reactor), over the
// Linux platform (package shim/linux). Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o shim.wasm ./shim/linux/cmd/shim
//
// or linux.BuildShim, which also moves its runtime's WASI imports to module
// "mwasm_rt" so that the app's "wasi_snapshot_preview1" imports can bind to it.
package main

import "github.com/mwasm/mwasm/shim/linux"

func init() { linux.Init() }

// main is required by the toolchain but never runs in a reactor (-buildmode=c-shared).
func main() {}
