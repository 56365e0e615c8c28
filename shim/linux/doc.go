// Package linux is the Linux platform of the shim reactor (package shim/reactor):
// shim.Platform, shim.NetDevice and shim.BlockDevice implemented over a few native
// primitives that the Linux executable's platform layer provides. Together with the
// reactor's main package (shim/linux/cmd/shim) it is compiled with
// GOOS=wasip1 GOARCH=wasm -buildmode=c-shared, lowered by mwasm's compiler and linked
// beside the app: the native layer is the only code that makes system calls.
//
// # The natives a Linux platform layer must provide
//
// All in import module "mwasm" (reactor.NativeModule), besides the five of every
// reactor (app_read, app_write, app_size, config_size, config_read; see package
// reactor) and the reactor runtime's own WASI imports (reactor.RuntimeImports,
// module "mwasm_rt").
// Types are i32 unless noted; "ptr" is an address in the reactor's memory; errno
// values are Linux's (EAGAIN = 11), returned negated. Natives never block except wait.
//
//	console_write(fd, ptr, len) -> i32
//	    Write all len bytes to host fd 1 or 2 (retrying short writes and EINTR).
//	    Returns 0, or -errno if the host write failed.
//	stdio_type(fd) -> i32
//	    fstat host fd 0, 1 or 2: returns its st_mode & S_IFMT (0o020000 for a
//	    terminal or /dev/null, 0o100000 for a file, 0o010000 for a pipe...), or
//	    -errno. Asked once per fd at start (shim.StdioTyper).
//	stdin_read(ptr, len) -> i32
//	    Read up to len bytes of the host's fd 0 without blocking (e.g. ppoll with a
//	    zero timeout, then read). Returns n > 0 bytes read, 0 at end of file, -EAGAIN
//	    if nothing is available now, or another -errno. Called only if the blob has
//	    the stdin record.
//	clock_now(clock) -> i64
//	    clock_gettime: clock 0 = CLOCK_REALTIME, 1 = CLOCK_MONOTONIC, in ns.
//	clock_res(clock) -> i64
//	    clock_getres of the same clocks, in ns (at least 1).
//	random(ptr, len) -> i32
//	    Fill len bytes with entropy (getrandom, retrying short reads). 0 or -errno.
//	wait(deadline i64, watch) -> i32
//	    Block (ppoll) until one of the watched host fds is ready or CLOCK_MONOTONIC
//	    reaches deadline (as returned by clock_now(1); -1, all ones, means none).
//	    watch is a mask: 1 (WatchStdin) = fd 0 readable or hung up, 2 (WatchNetRx) =
//	    the net fd readable, 4 (WatchNetTx) = the net fd writable. Returns the mask of
//	    watched conditions that are ready (0: deadline, signal or spurious wake-up;
//	    the caller re-checks). A deadline in the past returns at once. watch 0 with
//	    no deadline is a bug of the caller (it would sleep forever); the native may
//	    treat it as "return 0".
//	exit(code) -> ()
//	    exit_group(code). Does not return.
//	net_recv(ptr, len) -> i32
//	    Receive one Ethernet frame (a TAP fd, or a SOCK_SEQPACKET socket to a
//	    user-mode network process: one frame per read/recv) into ptr. A frame longer
//	    than len is truncated to len and its rest dropped. Returns the frame's length
//	    (at most len), -EAGAIN if none is waiting, or another -errno.
//	net_send(ptr, len) -> i32
//	    Transmit the len-byte frame at ptr (one write/send). Returns 0, -EAGAIN if the
//	    host has no room (the shim then watches WatchNetTx), or another -errno.
//	disk_read(off i64, ptr, len) -> i32
//	    pread exactly len bytes at byte offset off of the disk fd (retrying short
//	    reads; offset and length are sector-aligned and inside the disk). 0 or -errno
//	    (a short read at the end of the file is -EIO).
//	disk_write(off i64, ptr, len) -> i32
//	    pwrite exactly len bytes at off. 0 or -errno.
//	disk_sync() -> i32
//	    fdatasync the disk fd: the durability barrier. 0 or -errno.
//
// The net and disk natives are called only when the configuration blob declares the
// device (its facts — MAC, MTU, IPv4, gateway, sector size and count — come in the
// blob, not from natives). A layer built without a device may implement them as
// returning -ENODEV (-19).
//
// # How the platform uses them
//
// Stdin and net receive are read ahead into one buffer each (64 KiB of stdin, one
// frame), so that readiness checks never lose data; wait then watches fd 0 only
// while that buffer has room and the input has not ended, the net fd for reading
// only while no frame is buffered, and for writing only after a send met -EAGAIN.
// So an idle app, or one that ignores a ready input, sleeps in ppoll rather than
// spinning, as on the hosted platform.
package linux

import (
	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/reactor"
)

// Bits of wait's watch and result masks.
const (
	WatchStdin = 1
	WatchNetRx = 2
	WatchNetTx = 4
)

// Linux errno values the platform interprets (returned negated by the natives).
const (
	EAGAIN = 11
	ENODEV = 19
)

var (
	i32 = shim.I32
	i64 = shim.I64
)

// Natives are the Linux-specific natives (module reactor.NativeModule), in addition to
// reactor.Natives. A test checks that the built reactor imports exactly these two
// lists from that module.
var Natives = []reactor.Native{
	{Name: "console_write", Params: []shim.ValType{i32, i32, i32}, Results: []shim.ValType{i32}},
	{Name: "stdio_type", Params: []shim.ValType{i32}, Results: []shim.ValType{i32}},
	{Name: "stdin_read", Params: []shim.ValType{i32, i32}, Results: []shim.ValType{i32}},
	{Name: "clock_now", Params: []shim.ValType{i32}, Results: []shim.ValType{i64}},
	{Name: "clock_res", Params: []shim.ValType{i32}, Results: []shim.ValType{i64}},
	{Name: "random", Params: []shim.ValType{i32, i32}, Results: []shim.ValType{i32}},
	{Name: "wait", Params: []shim.ValType{i64, i32}, Results: []shim.ValType{i32}},
	{Name: "exit", Params: []shim.ValType{i32}},
	{Name: "net_recv", Params: []shim.ValType{i32, i32}, Results: []shim.ValType{i32}},
	{Name: "net_send", Params: []shim.ValType{i32, i32}, Results: []shim.ValType{i32}},
	{Name: "disk_read", Params: []shim.ValType{i64, i32, i32}, Results: []shim.ValType{i32}},
	{Name: "disk_write", Params: []shim.ValType{i64, i32, i32}, Results: []shim.ValType{i32}},
	{Name: "disk_sync", Results: []shim.ValType{i32}},
}
