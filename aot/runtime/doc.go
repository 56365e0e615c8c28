// Package runtime instantiates modules compiled by mwasm's AOT compiler inside
// a Go process and calls their exports: the runtime of the spec-suite and
// differential tests. It follows the native ABI of aot/vm; the Linux
// executable target reuses its builtins (position-independent machine code,
// see Builtins) and its instantiation rules.
//
// # Native code of the runtime
//
// Generated once per process with aot/amd64 and mapped executable (native.go):
//
//   - the builtins of aot/vm (memory.grow through the mprotect system call on
//     the memory's reservation, memory.fill/copy/init, data.drop, table.grow,
//     table.fill/copy/init, elem.drop). They reach everything through the
//     vmctx passed in RDI (OffMemDesc, OffLayoutTables/Datas/Elems), contain no
//     absolute address and no relocation, and trap by jumping to
//     [vmctx+OffTrapFn] with their caller's return address on top of the
//     stack, so the trap site is the builtin's call site;
//   - the enter stub enter(state, trampoline, vmctx, code, slots): it saves
//     RBX, RBP, R12-R15, stores the Go stack pointer in the runtime's state
//     block, switches to the runtime's own 8 MiB native stack (nativecall
//     gives foreign code only 64 KiB of goroutine stack) and calls the entry
//     trampoline of the callee's signature;
//   - the trap function: it records the kind, the trap site (its return
//     address) and R15 in the state block (found through [R15+OffScratch]) and
//     in the vmctx, reloads the enter stub's stack pointer, restores the
//     registers the stub saved and returns 1 from the stub. Because the state
//     block, not the entered vmctx, holds the stack pointer, a trap in another
//     instance reached through an import unwinds correctly;
//   - per-signature entry trampolines for objects that do not provide one
//     (and for host functions), following aot/vm's "Entering compiled code".
//
// One state block and one native stack serve the whole process, so calls into
// Wasm are serialized by a mutex. The stack limit of every vmctx
// (OffStackLimit) is 64 KiB above the bottom of that stack (room for the trap
// function and builtins), and a PROT_NONE page lies below it.
//
// # Memories and tables
//
// A memory reserves its whole maximum (declared maximum, or 4 GiB, plus one
// page; vm.GuardReservation when the object relies on guard regions) with
// PROT_NONE and makes the current size read-write; memory.grow mprotects more
// of the reservation, so the base never moves and every importer sees the new
// size through the shared vm.MemDesc. In-process code must use explicit
// bounds checks: a SIGSEGV inside the Go process cannot become a trap.
//
// A table's element array is allocated once at its capacity, min(declared
// maximum, TableCap) elements, in memory that is committed lazily, so
// table.grow never moves it; vm.TableDesc.Max holds that capacity, so growth
// beyond it fails with -1 as the spec allows.
//
// All data compiled code reads (vmctx, descriptors, FuncRef records, segment
// contents, global cells of host modules) lives in mmap'd memory, never on the
// Go heap.
//
// # Lifetime
//
// An instance's memory stays mapped until Close. Close only an instance none
// of whose exports another instance still uses (a table elsewhere may hold
// its functions). A failed instantiation keeps its code mapped for the same
// reason (Wasm 2.0 keeps the effects of the segments applied before the
// failure).
package runtime
