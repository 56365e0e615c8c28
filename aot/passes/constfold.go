package passes

import "github.com/mwasm/mwasm/aot/ir"

// Constant folding.
//
// Walk the blocks in reverse postorder (so definitions are seen before uses
// in reachable code) and rewrite, in place:
//
//   - a pure numeric instruction whose operands are all iconst/fconst into an
//     iconst/fconst of the result computed by Eval (Wasm semantics; an
//     instruction that would trap with these operands, such as sdiv INT_MIN,
//     -1, is left alone so it still traps at run time);
//   - select on a constant condition into the chosen operand (uses of its
//     result are redirected);
//   - brif on a constant into a jump, br_table on a constant into a jump;
//   - trapz/trapnz that can never fire are deleted.
//
// The result value keeps its number, so later code needs no rewriting.
// Deleted or replaced instructions leave dead constants behind for DCE.

// ConstFold folds constants and reports whether it changed anything.
func ConstFold(f *ir.Func) bool {
	changed := false
	dom := ir.ComputeDomTree(f, ir.ComputeCFG(f))
	for _, b := range dom.RPO {
		bd := &f.Blocks[b]
		for n := 0; n < len(bd.Insts); n++ {
			i := bd.Insts[n]
			d := &f.Insts[i]
			switch {
			case d.Op == ir.OpSelect:
				if c, ok := constOf(f, d.Args[0]); ok {
					pick := d.Args[2]
					if uint32(c) != 0 {
						pick = d.Args[1]
					}
					f.ReplaceUses(d.Results[0], pick)
					f.RemoveInst(i)
					n--
					changed = true
				}
			case d.Op == ir.OpBrif:
				if c, ok := constOf(f, d.Args[0]); ok {
					dest := d.Dests[1]
					if uint32(c) != 0 {
						dest = d.Dests[0]
					}
					d.Op, d.Args, d.Dests = ir.OpJump, nil, []ir.BlockCall{dest}
					changed = true
				}
			case d.Op == ir.OpBrTable:
				if c, ok := constOf(f, d.Args[0]); ok {
					k := uint64(uint32(c))
					dest := d.Dests[len(d.Dests)-1]
					if k < uint64(len(d.Dests)-1) {
						dest = d.Dests[k]
					}
					d.Op, d.Args, d.Dests = ir.OpJump, nil, []ir.BlockCall{dest}
					changed = true
				}
			case d.Op == ir.OpTrapz || d.Op == ir.OpTrapnz:
				if c, ok := constOf(f, d.Args[0]); ok && (uint32(c) != 0) == (d.Op == ir.OpTrapz) {
					f.RemoveInst(i)
					n--
					changed = true
				}
			case len(d.Results) == 1 && len(d.Args) > 0 && len(d.Args) <= 2 && d.Op.Effects() == 0 && foldable(d.Op):
				args := make([]uint64, len(d.Args))
				types := make([]ir.Type, len(d.Args))
				all := true
				for k, a := range d.Args {
					c, ok := constOf(f, a)
					if !ok {
						all = false
						break
					}
					args[k], types[k] = c, f.ValueType(a)
				}
				if !all {
					continue
				}
				r, ok := Eval(d.Op, d.Type, d.Cond, types, args)
				if !ok {
					continue
				}
				rt := f.ValueType(d.Results[0])
				d.Op = ir.OpIconst
				if rt.IsFloat() {
					d.Op = ir.OpFconst
				}
				d.Type, d.Imm, d.Args, d.Cond = rt, r, nil, 0
				changed = true
			}
		}
	}
	return changed
}

// foldable lists the opcodes Eval implements.
func foldable(op ir.Opcode) bool {
	switch op {
	case ir.OpIconst, ir.OpFconst, ir.OpSelect, ir.OpRefIsNull:
		return false
	}
	return op >= ir.OpIadd && op <= ir.OpBitcast
}
