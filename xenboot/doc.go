// Package xenboot builds mwasm's Xen target: a PVH guest image (an ELF with
// the Xen notes, XEN_ELFNOTE_PHYS32_ENTRY above all) holding the app and the
// Xen shim reactor (shim/xen: the same WASI code as `mwasm run`, compiled to
// Wasm), both lowered by mwasm's compiler and instantiated statically by the
// image planner (aot/image), plus the only hand-written machine code of the
// project: the boot layer in this package. Build writes the image; XLConfig
// the xl config beside it.
//
// # Boot
//
// Xen (or any PVH loader) loads each PT_LOAD segment at its physical address
// (1 MiB and up) and enters entry32 in 32-bit protected mode, paging off,
// EBX = the physical address of struct hvm_start_info. entry32 (hand-encoded
// 32-bit code, boot.go) loads a GDT, enables PAE, loads boot page tables
// that identity-map the first 4 GiB with 2 MiB pages, sets EFER.LME and NXE,
// turns paging and write protection on and far-jumps to entry64, which:
//
//  1. enables SSE (CR0.EM off, MP/NE on; CR4.OSFXSR/OSXMMEXCPT; MXCSR default);
//  2. looks for Xen's CPUID leaves; without them (QEMU -kernel, Firecracker)
//     it prints on COM1 that the image needs Xen and leaves through
//     isa-debug-exit, ACPI S5, or at last a halt with interrupts off;
//  3. installs the hypercall page (the MSR Xen's CPUID leaf names), finds the
//     console ring and its event channel (HVM_PARAM_CONSOLE_PFN/EVTCHN), maps
//     shared_info at a page of its own (XENMEM_add_to_physmap), masks every
//     event channel, binds VIRQ_TIMER, stops the periodic timer, loads the
//     GDT with a TSS, the IDT and sets HVM_PARAM_CALLBACK_IRQ to a vector;
//  4. reads hvm_start_info: the command line (xl's extra=) becomes an
//     arg-line record of the shim's configuration blob, after the build-time
//     prefix (argv[0], the build-time arguments, --env); the memory map gives
//     the free RAM: the RAM entry holding the image, from above the image and
//     what Xen put after it (start info, command line, memory map), cut at
//     4 GiB;
//  5. rebuilds the image's part of the identity map with 4 KiB pages and the
//     image's permissions (W^X: .text read-execute, headers and .rodata
//     read-only, .data/.bss read-write, everything but .text no-execute,
//     page 0 not present);
//  6. checks the CPU (SSE4.1, POPCNT: x86-64-v2, what the code is compiled
//     for), maps the top of the stack, commits the linear memories' initial
//     pages and copies the active data segments, sets every vmctx's stack
//     limit (half the free memory, at most the 64 MiB reservation), and calls
//     the shim's start and _initialize and the app's start and _start;
//  7. when _start returns: the exit native with status 0.
//
// # Memory
//
// Virtual addresses (layout.go): the identity map of the first 4 GiB; the
// app's linear memory at AppBase and the shim's at ShimBase, each with
// vm.GuardReservation (8 GiB) of address space, committed pages read-write
// no-execute and the rest not present, so compiled code needs no bounds
// checks; the stack at StackBase, 64 MiB, its bottom page never mapped and
// the rest mapped when first touched (the page-fault handler). Frames come
// zeroed from a bump allocator over the free RAM; memory.grow's commit step
// (xen!commit) checks first that the frames suffice, so a failed grow maps
// nothing and returns -1.
//
// An image needs, to start: 1 MiB below it, its loaded size, the initial
// memories, the first heap arena of the shim's Go runtime (4 MiB) and 1 MiB
// of tables and stack (Result.MinMemoryMiB). The xl config asks for that
// plus a quarter, at least 8 MiB more, rounded up to 4 MiB (a Go app takes
// its heap in 4 MiB arenas); --memory sets it. A domain given less prints
//
//	mwasm: out of memory while starting: the domain has N MiB of RAM, this image needs at least M MiB: ...
//
// and crashes.
//
// # Events, timers and blocking
//
// Wasm code runs with interrupts disabled. The wait native (the shim's
// Platform.Wait) arms the one-shot timer (set_timer_op) for its deadline,
// then loops: clear evtchn_upcall_pending, take the pending bits of unmasked
// ports (lock btr; the timer's port is the boot layer's own), return them if
// any, return at the deadline, else `sti; hlt; cli`. Xen raises the callback
// vector while evtchn_upcall_pending is set and interrupts are enabled, and
// `sti` takes effect only after `hlt` has begun, so an event that arrives
// while the bits are scanned still ends the halt: no wake-up is lost, and an
// idle guest is halted, using no CPU. (For HVM and PVH guests `sti; hlt` is
// what SCHEDOP_block with events enabled is for PV guests.) The upcall
// handler only clears the flag. The reactor runtime's own sleeps
// (mwasm_rt.poll_oneoff) halt the same way without taking any pending bit.
//
// # Traps and faults
//
// The trap reporter is the planner's (image.EmitTrapReporter), writing to
// the console ring; afterwards the domain is shut down as crashed. The page
// fault handler turns a fault in a linear memory's reservation from compiled
// code into "out of bounds memory access" and a fault on the stack's guard
// page into "call stack exhausted" (the same reports as the Linux target's
// SIGSEGV handler); any other exception is fatal:
//
//	mwasm: fatal: NAME (vector N) at 0xRIP in FUNCTION, error code 0xE, address 0xCR2
//
// Exceptions run on IST1 (the double fault on IST2), so a fault with a bad
// stack is still reported.
//
// # Console and shutdown
//
// The boot layer writes the console ring itself (xen!console_write: copy
// what fits, notify, yield while full; a backend that stays away for 100000
// yields loses the rest) for trap reports, boot errors and the exit line.
// The shim writes the app's output through its own driver (shim/xen/console)
// to the same ring. Before any shutdown the ring is flushed (the backend has
// read everything, or the same bound). The exit native prints "mwasm: exit
// status N" and powers off (SCHEDOP_shutdown, SHUTDOWN_poweroff), whatever N;
// a trap or a fatal error shuts down with SHUTDOWN_crash.
//
// # Natives
//
// Natives (natives.go) is the contract with shim/xen, one table of name,
// type and code; Build refuses a shim importing anything else, and a test of
// shim/xen checks its //go:wasmimport declarations against the table.
package xenboot
