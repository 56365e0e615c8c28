package passes

// Algebraic simplification: integer identities whose result is one of the
// operands, exactly under Wasm's semantics.
//
//	iadd x, 0 | iadd 0, x | isub x, 0 | bor x, 0 | bor 0, x |
//	bxor x, 0 | bxor 0, x | imul x, 1 | imul 1, x |
//	band x, -1 | band -1, x                          -> x
//	ishl/sshr/ushr/rotl/rotr x, c  with c mod width == 0 -> x
//	eqz (icmp cc x, y)                               -> icmp !cc x, y
//
// (Wasm shifts take the count modulo the width, so a count of 32 on i32 is
// the identity too.) Every use of the result is rewritten to x in one sweep
// over the function at the end; the instruction is left for DCE. Front ends
// produce these from address arithmetic (base + 0) and from C compilers'
// output; they cost an instruction and a register each.

import "github.com/mwasm/mwasm/aot/ir"

// Algebra applies the identities above and reports whether it changed
// anything.
func Algebra(f *ir.Func) bool {
	repl := map[ir.Value]ir.Value{}
	inverted := false
	for _, b := range f.Layout {
		for _, i := range f.Blocks[b].Insts {
			d := &f.Insts[i]
			// eqz (icmp cc x, y) -> icmp !cc x, y: the compare can then be
			// fused into its branch (Go's Wasm negates every loop test).
			if d.Op == ir.OpEqz && d.Type == ir.I32 && len(d.Results) == 1 {
				if vd := f.Values[d.Args[0]]; vd.Kind == ir.ValueResult && f.Insts[vd.Inst].Op == ir.OpIcmp {
					c := &f.Insts[vd.Inst]
					d.Op, d.Type = ir.OpIcmp, c.Type
					d.Cond = uint8(ir.IntCC(c.Cond).Inverse())
					d.Args = append([]ir.Value(nil), c.Args...)
					inverted = true
					continue
				}
			}
			if len(d.Results) != 1 || len(d.Args) != 2 {
				continue
			}
			t := f.ValueType(d.Results[0])
			if t != ir.I32 && t != ir.I64 {
				continue
			}
			ones := ^uint64(0)
			width := uint64(64)
			if t == ir.I32 {
				ones, width = 0xFFFFFFFF, 32
			}
			x, y := d.Args[0], d.Args[1]
			cx, okx := constOf(f, x)
			cy, oky := constOf(f, y)
			keep := ir.NoValue
			switch d.Op {
			case ir.OpIadd, ir.OpBor, ir.OpBxor:
				if oky && cy&ones == 0 {
					keep = x
				} else if okx && cx&ones == 0 {
					keep = y
				}
			case ir.OpIsub:
				if oky && cy&ones == 0 {
					keep = x
				}
			case ir.OpImul:
				if oky && cy&ones == 1 {
					keep = x
				} else if okx && cx&ones == 1 {
					keep = y
				}
			case ir.OpBand:
				if oky && cy&ones == ones {
					keep = x
				} else if okx && cx&ones == ones {
					keep = y
				}
			case ir.OpIshl, ir.OpSshr, ir.OpUshr, ir.OpRotl, ir.OpRotr:
				if oky && cy%width == 0 {
					keep = x
				}
			}
			if keep != ir.NoValue && f.ValueType(keep) == t {
				repl[d.Results[0]] = keep
			}
		}
	}
	if len(repl) == 0 {
		return inverted
	}
	resolve := func(v ir.Value) ir.Value {
		for k := 0; k < len(repl)+1; k++ {
			r, ok := repl[v]
			if !ok {
				return v
			}
			v = r
		}
		panic("BUG: algebra: replacement cycle")
	}
	for _, b := range f.Layout {
		for _, i := range f.Blocks[b].Insts {
			d := &f.Insts[i]
			for n, a := range d.Args {
				d.Args[n] = resolve(a)
			}
			for _, dc := range d.Dests {
				for n, a := range dc.Args {
					dc.Args[n] = resolve(a)
				}
			}
		}
	}
	return true
}
