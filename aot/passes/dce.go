package passes

import "github.com/mwasm/mwasm/aot/ir"

// Dead code elimination.
//
// Mark and sweep over values rather than instructions: the roots are the
// instructions that must stay whatever their results (they may trap, write
// memory, globals or tables, call, or end a block; see
// ir.Opcode.IsRemovableIfUnused, refined here for divisions by constants that
// cannot trap). Their operands are live. A live instruction result makes its
// instruction live; a live block parameter makes the matching argument on
// every edge into its block live. A branch's own condition is live, but its
// block arguments are live only through the parameters they feed, so a
// parameter that nothing reads is removed together with its arguments (the
// entry block keeps its parameters: they are the signature). Everything not
// marked is deleted.

// DCE removes dead instructions and block parameters.
func DCE(f *ir.Func) bool {
	live := make([]bool, len(f.Values))
	liveInst := make([]bool, len(f.Insts))
	type edge struct {
		inst ir.Inst
		dest int
	}
	preds := make([][]edge, len(f.Blocks))
	var work []ir.Value
	mark := func(v ir.Value) {
		if v >= 0 && int(v) < len(live) && !live[v] {
			live[v] = true
			work = append(work, v)
		}
	}
	markInst := func(i ir.Inst) {
		if liveInst[i] {
			return
		}
		liveInst[i] = true
		for _, a := range f.Insts[i].Args {
			mark(a)
		}
	}
	for _, b := range f.Layout {
		for _, i := range f.Blocks[b].Insts {
			d := &f.Insts[i]
			for n, dc := range d.Dests {
				if f.ValidBlock(dc.Block) {
					preds[dc.Block] = append(preds[dc.Block], edge{i, n})
				}
			}
			if !removable(f, d) {
				markInst(i)
			}
		}
	}
	for _, p := range f.Blocks[f.Entry()].Params {
		mark(p)
	}
	for len(work) > 0 {
		v := work[len(work)-1]
		work = work[:len(work)-1]
		vd := &f.Values[v]
		switch vd.Kind {
		case ir.ValueResult:
			markInst(vd.Inst)
		case ir.ValueParam:
			for _, e := range preds[vd.Block] {
				args := f.Insts[e.inst].Dests[e.dest].Args
				if vd.Num < len(args) {
					mark(args[vd.Num])
				}
			}
		}
	}
	changed := false
	for _, b := range f.Layout {
		bd := &f.Blocks[b]
		kept := bd.Insts[:0]
		for _, i := range bd.Insts {
			if liveInst[i] {
				kept = append(kept, i)
			} else {
				f.Insts[i].Block = ir.NoBlock
				changed = true
			}
		}
		bd.Insts = kept
		if b == f.Entry() {
			continue
		}
		for n := len(bd.Params) - 1; n >= 0; n-- {
			if live[bd.Params[n]] {
				continue
			}
			for _, e := range preds[b] {
				dc := &f.Insts[e.inst].Dests[e.dest]
				if n < len(dc.Args) {
					dc.Args = append(dc.Args[:n], dc.Args[n+1:]...)
				}
			}
			f.RemoveBlockParam(b, n)
			changed = true
		}
	}
	return changed
}

// removable reports whether d may be deleted when its results are unused.
func removable(f *ir.Func, d *ir.InstData) bool {
	if d.Op.IsRemovableIfUnused() {
		return true
	}
	switch d.Op {
	case ir.OpUdiv, ir.OpUrem, ir.OpSdiv, ir.OpSrem:
		// A division by a constant other than 0 (and, for sdiv, -1) cannot trap.
		c, ok := constOf(f, d.Args[1])
		if !ok || c == 0 {
			return false
		}
		if d.Op == ir.OpSdiv && signExt(d.Type, c) == -1 {
			return false
		}
		return true
	}
	return false
}

// constOf returns the bits of v if an iconst or fconst defines it.
func constOf(f *ir.Func, v ir.Value) (uint64, bool) {
	vd := &f.Values[v]
	if vd.Kind != ir.ValueResult {
		return 0, false
	}
	d := &f.Insts[vd.Inst]
	if d.Op == ir.OpIconst || d.Op == ir.OpFconst {
		return d.Imm, true
	}
	return 0, false
}

func signExt(t ir.Type, bits uint64) int64 {
	if t == ir.I32 {
		return int64(int32(uint32(bits)))
	}
	return int64(bits)
}
