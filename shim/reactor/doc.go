// Package reactor is the shim built as a Wasm reactor: the same WASI code as
// `mwasm run` (package shim), compiled with the standard Go toolchain
// (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared) into a module that exports every
// function of the mwasm ABI under its WASI name. The app's WASI imports bind to these
// exports; the reactor reaches the machine only through a small set of imported
// native primitives (import module "mwasm"), which the native layer of each target
// implements: a Linux platform layer (package shim/linux) and, later, xenboot.
//
// # Layout
//
// A reactor's main package (for Linux: shim/linux/cmd/shim) imports this package,
// builds a shim.Platform over its target's natives, and in an init function (run by
// the reactor's _initialize export) calls ReadConfig and Serve. From then on the
// exports (exports_wasip1.go, generated from shim.Provided by `go generate`, checked
// by a test) forward each call straight to the shim.WASI method of the same name.
//
// # Two WASI namespaces
//
// Exports and imports are separate namespaces: the reactor exports fd_write for the
// app while its own Go runtime imports fd_write (and ~15 other functions) from
// "wasi_snapshot_preview1" for its own needs (a panic message, the clock, entropy
// for map seeds). Before linking, RenameImportModule renames the runtime's import
// module to RuntimeModule ("mwasm_rt"), so that the app can find the ABI under the
// name it imports ("wasi_snapshot_preview1", i.e. the reactor instance) and the
// runtime's own WASI calls go to the platform layer, which serves them (RuntimeImports
// lists them).
//
// # Natives every reactor imports
//
// These seven, in import module "mwasm" (NativeModule), are target independent. An
// address "ptr" is in the reactor's own memory, "appOff" in the app's memory. All
// are i32 unless noted; a bad reactor pointer is a bug of the reactor and the native
// may trap.
//
//	app_read(appOff, ptr, len i32) -> i32
//	    Copy len bytes from app memory [appOff, appOff+len) to reactor memory at ptr.
//	    Returns 0, or 1 (copying nothing) if appOff+len exceeds the app memory's
//	    current size (computed without 32-bit overflow). len 0 is valid.
//	app_write(appOff, ptr, len i32) -> i32
//	    Copy len bytes from reactor memory at ptr into app memory at appOff. Same
//	    results as app_read.
//	app_size() -> i32
//	    The app memory's current size in bytes (a multiple of 65536; it fits, as
//	    memories are at most abi.MaxMemoryPages in every home).
//	config_size() -> i32
//	    The size in bytes of the configuration blob (below).
//	config_read(ptr i32) -> ()
//	    Copy the whole blob to reactor memory at ptr (config_size() bytes).
//	files_size() -> i32
//	    The size in bytes of the files blob: the directory trees the image carries
//	    (mwasm build --dir; format in package shim/memfs), 0 when it has none.
//	files_read(ptr i32) -> ()
//	    Copy the whole files blob to reactor memory at ptr (files_size() bytes).
//
// Each is a bounds check and a copy, no system call. The reactor reads short records
// through a 512-byte window fetched with one app_read (see appMemory), so fd_write of
// a small buffer to the console usually costs three natives: one app_read (the
// iovec, nwritten and the bytes, when they lie within the window, as they do on the
// app's stack), the target's console native and one app_write (nwritten); at most
// five when the pieces are far apart. app_size is called when an access goes past
// the largest size seen so far.
//
// # Configuration blob
//
// Everything the app is started with comes in one byte string, little-endian:
//
//	blob   = "MWC1" record*
//	record = tag u32, len u32, payload [len]byte
//
//	tag  name          payload
//	1    arg           one argument, UTF-8, no NUL; the records in order are argv
//	                   (argv[0], the app's name, first)
//	2    env           one "KEY=VALUE" entry; in order
//	3    stdin         empty: the app has a standard input (without it fd 0 is
//	                   always at end of file)
//	4    arg line      a boot command line (Xen: the xl config's extra=), split
//	                   into further arguments by SplitCommandLine, in order with
//	                   the arg records
//	5    devices       names (NUL-terminated each) of devices the image declares
//	                   whose facts the platform finds itself (Xen: xenstore):
//	                   "net0", "disk0"; with net0, records 18 and 19 may follow
//	16   net0 MAC      6 bytes: /dev/net0 exists, with this MAC
//	17   net0 MTU      u32, the IP MTU (required with 16)
//	18   net0 IPv4     CIDR string for abi.EnvNet0IPv4 (optional)
//	19   net0 gateway  address string for abi.EnvNet0Gateway (optional)
//	32   disk0 sector  u32 sector size (power of two, 512..65536): /dev/disk0 exists
//	33   disk0 sectors u64 sector count (required with 32)
//
// Records may come in any order (arg, arg line and env keep theirs); a singleton record given
// twice, an unknown tag, a wrong length or a missing companion record is an error,
// so a shim never starts with an image it misunderstands. The blob is simple enough
// for a native layer to assemble by concatenation (build-time records plus argv and
// the environment at start-up). Encode and Decode implement it.
package reactor

// NativeModule is the import module of the native primitives.
const NativeModule = "mwasm"

// RuntimeModule is the import module the reactor's own Go runtime uses for its WASI
// calls once RenameImportModule has run (it was "wasi_snapshot_preview1").
const RuntimeModule = "mwasm_rt"
