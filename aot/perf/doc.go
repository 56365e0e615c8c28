// Package perf measures the speed of the code mwasm's AOT compiler generates,
// against wazero's compiler, on CPU-bound C kernels.
//
// The kernels live in testdata/kernels.c; each is an exported function
// `long long run_NAME(int n)` whose result is a checksum. The tests build
// them with clang (--target=wasm32 -O2 -mbulk-memory -nostdlib, every symbol
// exported) into one module and run it under three engines:
//
//   - wazero: wazero's optimizing compiler (the version in go.mod);
//   - mwasm-guard: aot.Compile with guard-region bounds (no explicit checks;
//     the memory reserves vm.GuardReservation; in-process is fine because the
//     kernels never fault), instantiated with aot/runtime;
//   - mwasm-explicit: aot.Compile with explicit bounds checks.
//
// TestChecksums (always run; skipped without clang) runs every kernel with a
// small n on all engines and fails if any checksum differs. TestPerf runs
// only when MWASM_PERF=1: it times one call per kernel per engine per round,
// rotating the engine order each round, takes medians, and prints a table of
// milliseconds and mwasm/wazero ratios with their geometric means (see
// REPORT.md). MWASM_PERF_ROUNDS sets the number of rounds (default 7),
// MWASM_PERF_ONLY a comma-separated list of kernels, MWASM_PERF_JSON a file
// to write the medians to (for before/after comparisons of two test
// binaries: compare.sh runs them alternately and prints both).
package perf
