// Package backend lowers an SSA function (aot/ir) to x86-64 machine code that
// follows mwasm's native ABI (aot/vm), emitting through the aot/amd64 encoder.
//
// # Pipeline
//
// Compile runs three phases over one ir.Func:
//
//  1. Analysis and selection decisions (select.go): which values are
//     constants that never need a register (iconst, fconst, ref_null are
//     folded into immediates, RIP-relative constant-pool operands or
//     materialized into a scratch register at each use), which compares are
//     fused into the single instruction that consumes them (icmp/fcmp/eqz
//     whose only user is a later brif, select or trapz/trapnz of the same
//     block, with no call between, becomes cmp+jcc, cmp+cmov or ucomis+jcc
//     at the user), which instructions clobber the caller-saved registers
//     (calls and builtin calls), and register hints (block parameters and
//     their arguments, ABI registers of parameters and call arguments,
//     operands of two-address operations).
//  2. Register allocation (regalloc.go): SSA liveness with block parameters,
//     one live interval per value, linear scan (Poletto & Sarkar) with
//     call-crossing constraints; see the comment at the top of that file.
//  3. Emission (emit.go, moves.go): instruction selection with the final
//     locations known, so every instruction picks its best form (register,
//     memory or immediate operand; lea for add-with-constant and for the
//     sum of two registers into a third; memory operands
//     [R14 + index + offset] for linear memory), parallel moves at
//     block edges, calls and returns (moves.go breaks cycles), out-of-line
//     trap stubs (one `mov edi, kind; call [r15+OffTrapFn]` per trap site, so
//     every site has its own return address), and the prologue/epilogue.
//
// Choosing instructions after allocation (rather than allocating machine
// instructions over virtual registers) keeps the allocator small: every x86
// instruction with fixed-register operands (div in RAX:RDX, shift counts in
// CL, call arguments) is emitted with the reserved scratch registers RAX, RCX,
// RDX, R11 and XMM14, XMM15, which the allocator never hands out, so the
// allocator sees no fixed-register constraints except at calls.
//
// # Register conventions inside a function
//
//   - Allocatable integer registers: RSI, RDI, R8, R9, R10 (caller-saved) and
//     RBX, R12, R13 (callee-saved, pushed in the prologue only when used).
//   - Allocatable float registers: XMM0-XMM13 (all caller-saved).
//   - Scratch: RAX, RCX, RDX, R11, XMM14, XMM15. Pinned: R14 (memory base),
//     R15 (vmctx), RBP (frame), RSP.
//   - Every i32 value held in a register or stack slot is kept zero-extended
//     to 64 bits (parameters and call results are zero-extended on entry; all
//     i32 operations are 32-bit instructions, which zero the upper half), so
//     an i32 index can be used directly in [R14 + index + offset].
//
// # CPU features
//
// The generated code needs x86-64-v2 (SSE4.1 for roundss/roundsd, POPCNT).
// LZCNT and TZCNT (ABM/BMI1) are used when Env.CPU says so (by default: when
// the compiling machine has them, via golang.org/x/sys/cpu); otherwise clz and
// ctz use bsr/bsf with a zero-input fix-up, which run on any x86-64.
//
// # Output
//
// A Func carries the code (constant pool appended), relocations against the
// symbols FuncSymbol(i) for direct calls, trap sites (return address offset ->
// Wasm offset and kind), a PC table mapping each linear-memory access
// instruction to its Wasm offset (for guard-page faults), and the frame size.
// Trampoline builds the per-signature entry trampolines described in aot/vm.
package backend
