// Package linux builds mwasm's Linux target: a static x86-64 ELF executable
// (ET_EXEC, no interpreter, no libc) holding the app and the shim reactor
// (shim/linux, the same Go shim code as `mwasm run`, compiled to Wasm), both
// lowered by mwasm's compiler (aot.Compile with guard-region bounds checks),
// plus a small platform layer of machine code assembled here with aot/amd64
// and linked with aot/link. Nothing but Go runs at build time.
//
// # Build-time instantiation
//
// Everything an instance needs is laid out statically (instance.go):
//   - each module's code blob in .text with one STT_FUNC symbol per Wasm
//     function, "app!NAME"/"shim!NAME" (link.FuncSymbol; "#INDEX" appended to
//     a duplicate), so nm, perf and gdb show Wasm names; natives are
//     "mwasm!NAME" and "mwasm_rt!NAME";
//   - vmctx blocks, FuncRef records, MemDesc, TableDescs and element arrays in
//     .data, with ABS64 relocations to code; globals are constant expressions
//     evaluated at build time; type ids are canonical across both modules;
//     active element segments are applied at build time, passive segments kept
//     in .rodata, active data segments copied into memory at start-up;
//   - linear memory 0 of the app at AppBase (4 GiB) and of the shim at ShimBase
//     (16 GiB), each with vm.GuardReservation (8 GiB) of address space reserved
//     at start-up (mmap PROT_NONE, MAP_FIXED_NOREPLACE|MAP_NORESERVE), the
//     initial pages made read-write with mprotect; memory.grow is the
//     runtime's builtin (aot/runtime.BuildBuiltins, embedded as is: mprotect).
//     Data segments are copied from .rodata at start-up (rep movsb; about 1 ms
//     for a Go app's 0.6 MB) rather than loaded as their own PT_LOAD segments,
//     because aot/link writes exactly three loadable segments.
//
// Imports: the app's wasi_snapshot_preview1 functions bind to the shim's
// exports (code symbol + the shim's vmctx); the shim's "mwasm" natives and its
// Go runtime's "mwasm_rt" WASI functions bind to natives.go, called with the
// Wasm convention (R15 = shim vmctx, R14 = shim memory base, pointers are
// offsets in shim memory). Any other import is a build error.
//
// # Start-up (_start)
//
// It switches to a 64 MiB stack in .bss (guard page at the bottom, mprotect;
// every vmctx's stack limit is 64 KiB above it), installs a 64 KiB alternate
// signal stack and a SIGSEGV/SIGBUS/SIGILL/SIGFPE handler (SA_SIGINFO|
// SA_ONSTACK|SA_RESTORER), maps the memories, reads the devices from its own
// environment, builds the shim's configuration blob (reactor.Encode at build
// time for argv[0] = the app's name, the --env entries, stdin and the net0
// facts; argv[1:] and the disk0 facts appended at start-up), calls the shim's
// _initialize and then the app's _start through the compiled entry
// trampolines, and exits 0 (proc_exit exits through the exit native).
//
// The app's environment is exactly the build-time --env entries: the host's
// environment is never passed, as with `mwasm run`. Devices: a device declared
// at build time must be attached, an undeclared one is refused (one line,
// exit 2):
//
//	MWASM_DISK0=FILE        disk0 (opened read-write; size a multiple of the sector size)
//	MWASM_NET0=tap:IFNAME   net0 through /dev/net/tun (TUNSETIFF, IFF_TAP|IFF_NO_PI,
//	                        non-blocking); the build-time ifname is the default
//
// # Traps
//
// The vmctx trap function (mwasm!trap) and the signal handler (a fault whose
// PC lies in a Wasm function is an out-of-bounds access; a fault on the stack
// guard page is stack exhaustion) both print
//
//	mwasm: trap: KIND in app!FUNC+0xOFF (wasm offset 0xPOS)
//	    at app!CALLER+0xOFF
//	    ...
//
// to stderr — the function from a table sorted by address, the Wasm file
// offset from the trap sites and memory-access PC tables of aot.Object, the
// backtrace by walking the RBP chain (at most 64 frames) — and exit with status
// 134 (abi.ExitTrap). A fault outside compiled code is reported as a fatal
// signal with its PC and address, also with 134.
package linux
