// Package linuxexe builds mwasm's Linux target: a static x86-64 ELF executable
// (ET_EXEC, no interpreter, no libc) holding the app and the shim reactor
// (shim/linux, the same Go shim code as `mwasm run`, compiled to Wasm), both
// lowered by mwasm's compiler (aot.Compile with guard-region bounds checks),
// plus a small platform layer of machine code assembled here with aot/amd64
// and linked with aot/link. Nothing but Go runs at build time.
//
// # Build-time instantiation
//
// Everything an instance needs is laid out statically by the image planner
// (package aot/image: code and symbols, vmctx blocks, tables, segments, the
// trap reporter, the reactor's common natives); what is Linux's own:
//   - natives are "mwasm!NAME" and "mwasm_rt!NAME" symbols, so nm, perf and
//     gdb show them beside the Wasm functions;
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
//	MWASM_NET0=fd:N         net0 is the inherited file descriptor N, one end of a
//	                        socketpair(AF_UNIX, SOCK_SEQPACKET) whose other end a
//	                        user-mode network process holds (QEMU's -netdev socket,
//	                        passt): `mwasm exec --net user` passes it as fd 3.
//	                        Start-up checks SO_TYPE is SOCK_SEQPACKET and sets
//	                        O_NONBLOCK on it.
//
// The net natives are the same for both: net_recv is one read (one frame: a TAP
// read and a SEQPACKET packet both carry exactly one; a longer one is truncated),
// net_send one write (-EAGAIN when the TAP queue or the socket's send buffer is
// full), and wait ppolls the fd for POLLIN/POLLOUT. A SEQPACKET peer that hangs
// up makes net_recv return 0 (an empty frame) for ever; mwasm exec kills the
// child when it dies itself (PR_SET_PDEATHSIG), so that does not happen there.
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
//
// # Build time and the shim cache
//
// The shim is the same 2.5 MB of Wasm for every app, so Build takes its
// compiled object from an image.Cache (`mwasm build` uses
// os.UserCacheDir()/mwasm/cache, --cache-dir to change or turn it off) when
// one holds it, and stores it otherwise. Result.Timings gives each phase;
// `mwasm build --log-level info` prints them as one "build phases" line.
// Medians of 7 builds, 2 cores, load average about 0.8 (other helpers'
// jobs), wall time of the whole `mwasm build` process; cold = empty cache
// (the shim compiled, about 300 ms), warm = the shim loaded from the cache;
// the shim's `go build` (about 90 ms, Go's own build cache warm) runs in both:
//
//	module                        cache  whole build  app compile
//	bench/cpu/go/fib (2.61 MB)    cold   0.93 s       412 ms
//	bench/cpu/go/fib (2.61 MB)    warm   0.61 s       379 ms
//	bench/cpu/c/empty (15 KB)     cold   0.46 s       0.2 ms
//	bench/cpu/c/empty (15 KB)     warm   0.17 s       0.3 ms
//	bench/cpu/go/big (6.8 MB)     cold   1.9 s        1.2 s   (one build each)
//	bench/cpu/go/big (6.8 MB)     warm   1.4 s        1.1 s
package linuxexe
