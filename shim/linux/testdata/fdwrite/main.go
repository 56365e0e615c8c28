//go:build wasip1

// Command fdwrite makes N raw 1-byte fd_write calls to stdout (N = its first
// argument), for the fd_write cost benchmark and the native call count test. With a
// second argument "yield" it calls sched_yield N times instead (the cost of a call
// into the shim that does nothing).
package main

import (
	"os"
	"strconv"
	"unsafe"
)

//go:wasmimport wasi_snapshot_preview1 fd_write
func fdWrite(fd int32, iovs unsafe.Pointer, n int32, nwritten unsafe.Pointer) int32

//go:wasmimport wasi_snapshot_preview1 sched_yield
func schedYield() int32

func main() {
	if len(os.Args) > 2 && os.Args[2] == "yield" {
		n, _ := strconv.Atoi(os.Args[1])
		for i := 0; i < n; i++ {
			schedYield()
		}
		return
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil {
		os.Exit(2)
	}
	b := []byte{'x'}
	iov := []uint32{uint32(uintptr(unsafe.Pointer(&b[0]))), 1}
	var nw uint32
	for i := 0; i < n; i++ {
		if fdWrite(1, unsafe.Pointer(&iov[0]), 1, unsafe.Pointer(&nw)) != 0 || nw != 1 {
			os.Exit(1)
		}
	}
}
