// Package ir is mwasm's SSA intermediate representation: the form that Wasm
// function bodies are translated into, that optimization passes rewrite, and
// that the x86-64 back end lowers.
//
// # Shape
//
// A Func owns three tables, indexed by small integer handles:
//
//   - Blocks (Block, printed "blockN"): each has block parameters and a list of
//     instructions, the last of which is a terminator. There are no phi nodes:
//     a branch passes arguments to the parameters of its target, as in
//     Cranelift and MLIR. Func.Layout gives the program order; Layout[0] is the
//     entry block, whose parameters are the function's parameters.
//   - Instructions (Inst): an Opcode, a controlling Type, value arguments,
//     results, immediates (constant bits, memory offset, indices of memories,
//     tables, globals, functions, types, data and element segments), branch
//     destinations with their arguments, and the Wasm byte offset the
//     instruction came from (Pos, printed "@001a").
//   - Values (Value, printed "vN"): each is defined exactly once, either as the
//     result of an instruction or as a block parameter, and has a Type.
//
// Handles are stable: removing an instruction or block leaves a hole in the
// table, so passes may hold handles across edits and the printed numbers of
// parsed text survive a round trip.
//
// # Semantics
//
// Opcodes follow Wasm's numeric semantics exactly: shift counts are taken
// modulo the bit width, sdiv traps on INT_MIN/-1, fmin/fmax propagate NaN and
// order -0 below +0, trapping float-to-int conversions trap on NaN and out of
// range, the _sat variants saturate. Every opcode's static facts (operand and
// result types, the traps it can raise, whether it reads or writes memory,
// globals or tables, whether it is a terminator) are in one table, opInfo, and
// exposed through Opcode methods so passes know what may be moved or removed.
//
// # Tooling
//
// Func.String / Print produce the textual form, Parse reads it back
// (print(parse(s)) == s for canonical text), Verify checks SSA dominance,
// operand types, branch arities and terminators, and Builder constructs SSA
// from Wasm locals with Braun et al.'s algorithm (see builder.go).
//
// # Text format
//
//	func %name(i32, i64) -> i32, f64 {
//	    fn5 = (i32) -> i32                  ; callee: Wasm function index 5
//	    type2 = (i32, i32) -> ()            ; Wasm type index 2 (call_indirect)
//	block0(v0: i32, v1: i64):
//	    v2 = iconst.i32 -7
//	    @002a v3 = sdiv.i32 v0, v2          ; @offset = Wasm byte offset
//	    v4 = icmp.i32 slt v3, v0
//	    v5 = load.i64 checked mem0 v0+16    ; "checked": explicit bounds check
//	    brif v4, block1(v3), block2
//	block1(v6: i32):
//	    return v6, ...
//	}
//
// Comments run from ';' to the end of the line.
package ir
