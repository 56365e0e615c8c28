// Package image is the image planner every target shares: it instantiates
// the app and the shim reactor statically, at build time, into one image
// (machine code, data and relocations in an aot/link.Linker), so that a
// target only adds what is its own: the start-up code, its natives and the
// file it writes.
//
// What the planner does (and a target therefore never copies):
//
//   - static instantiation (instance.go, Builder.Place): each module's code in
//     .text with one STT_FUNC symbol per Wasm function ("app!NAME",
//     "shim!NAME", link.FuncSymbol; "#INDEX" appended to a duplicate), vmctx
//     blocks, FuncRef records, MemDesc, TableDescs and element arrays in
//     .data with ABS64 relocations to code; globals are constant expressions
//     evaluated at build time; type ids are canonical across both modules;
//     active element segments are applied at build time, passive segments
//     kept in .rodata; active data segments become MemCopy records the
//     start-up code applies; tables get min+1024 elements of capacity;
//   - binding (reactor.go): the shim's imports to the target's natives
//     (PlaceShim), the app's WASI imports to the shim's exports (PlaceApp),
//     and the start-up calls (Entries: the shim's start and _initialize, the
//     app's start and _start, each through its entry trampoline);
//   - the natives every reactor imports (app_read, app_write, app_size,
//     config_size, config_read, files_size, files_read) and the stubs serving the
//     reactor's own Go runtime's WASI imports (module mwasm_rt), written
//     against a few natives of the target (Natives: clock, entropy, exit,
//     console, sleep);
//   - the trap tables and the trap reporter (trap.go): the trap function of
//     every vmctx and the report a target's fault handler jumps to, over two
//     hooks the target defines, SymPuts (write to its console) and
//     SymTrapExit (end the run);
//   - memory.grow's builtin with the target's "commit pages" step
//     (Config.Commit, aot/runtime.BuildBuiltinsWith): mprotect on Linux,
//     mapping fresh frames on Xen;
//   - the configuration blob's build-time prefix (AddConfigPrefix, the
//     format of package shim/reactor) and the manifest (NewManifest,
//     AddManifest);
//   - compiling and caching (cache.go): the shim is the same for every app of
//     a target, so its compiled object is kept in a Cache.
//
// The targets: aot/image/linuxexe writes a static Linux executable (for fast
// native tests and benchmarks); xenboot writes a Xen PVH guest image, the
// product. xenboot is a top-level folder, as the project's layout names it,
// because it holds the only hand-written boot code (PVH entry, page tables,
// interrupt handling) besides the image writer; the Linux target is a
// thinner layer over the same planner and lives beside it.
//
// # Register use of the shared code
//
// The natives and stubs follow the Wasm convention of aot/vm (R15 = the
// shim's vmctx, R14 = the shim's memory base, pointers are offsets in shim
// memory). SymPuts, SymTrapExit and the routines of Natives other than the
// natives themselves are called the System V way and may clobber
// caller-saved registers.
package image
