package passes

import "github.com/mwasm/mwasm/aot/ir"

// CFG simplification.
//
// Repeat until nothing changes:
//
//  1. brif whose two destinations are the same block with the same arguments
//     becomes a jump.
//  2. Jump forwarding: an edge A->B where B (not the entry) holds nothing but
//     "jump C(args)" is redirected to C, with B's parameters in args replaced
//     by the arguments the edge passed to B. This is safe because any other
//     argument is defined outside B, hence dominates B, hence dominates A.
//  3. Block merging: if A ends in "jump B(args)" and that is the only edge
//     into B (B not the entry), B's parameters are replaced by args, B's
//     instructions are appended to A in place of the jump, and B goes.
//  4. Blocks not reachable from the entry are removed.

// SimplifyCFG simplifies the control-flow graph and reports whether it changed anything.
func SimplifyCFG(f *ir.Func) bool {
	changed := false
	for iter := 0; iter < 100; iter++ {
		c := foldSameArms(f)
		c = forwardJumps(f) || c
		c = mergeBlocks(f) || c
		c = removeUnreachable(f) || c
		if !c {
			break
		}
		changed = true
	}
	return changed
}

func sameArgs(a, b []ir.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func foldSameArms(f *ir.Func) bool {
	changed := false
	for _, b := range f.Layout {
		t := f.Terminator(b)
		if t == ir.NoInst {
			continue
		}
		d := &f.Insts[t]
		if d.Op == ir.OpBrif && d.Dests[0].Block == d.Dests[1].Block && sameArgs(d.Dests[0].Args, d.Dests[1].Args) {
			d.Op, d.Args, d.Dests = ir.OpJump, nil, d.Dests[:1]
			changed = true
		}
	}
	return changed
}

// forwarder returns the jump of b if b consists of a single jump elsewhere.
//
// A block's parameters may also be used by the blocks it dominates, not only by its
// own jump; such a block cannot be bypassed, since its parameters would lose their
// definition. uses is f.UseCounts(), taken before any edge is redirected (redirecting
// an edge never adds or removes a use of the forwarder's own parameters).
func forwarder(f *ir.Func, b ir.Block, uses []int) (ir.Inst, bool) {
	if b == f.Entry() || len(f.Blocks[b].Insts) != 1 {
		return ir.NoInst, false
	}
	j := f.Blocks[b].Insts[0]
	d := &f.Insts[j]
	if d.Op != ir.OpJump || d.Dests[0].Block == b {
		return ir.NoInst, false
	}
	for _, p := range f.Blocks[b].Params {
		inJump := 0
		for _, v := range d.Dests[0].Args {
			if v == p {
				inJump++
			}
		}
		if uses[p] != inJump {
			return ir.NoInst, false
		}
	}
	return j, true
}

func forwardJumps(f *ir.Func) bool {
	changed := false
	uses := f.UseCounts()
	for _, a := range f.Layout {
		t := f.Terminator(a)
		if t == ir.NoInst {
			continue
		}
		d := &f.Insts[t]
		for n := range d.Dests {
			dc := &d.Dests[n]
			j, ok := forwarder(f, dc.Block, uses)
			if !ok || dc.Block == a {
				continue
			}
			params := f.Blocks[dc.Block].Params
			if len(params) != len(dc.Args) {
				continue // malformed; leave it to the verifier
			}
			target := f.Insts[j].Dests[0]
			args := make([]ir.Value, len(target.Args))
			for k, v := range target.Args {
				args[k] = v
				for p, pv := range params {
					if v == pv {
						args[k] = dc.Args[p]
					}
				}
			}
			*dc = ir.BlockCall{Block: target.Block, Args: args}
			changed = true
		}
	}
	return changed
}

func mergeBlocks(f *ir.Func) bool {
	cfg := ir.ComputeCFG(f)
	preds := make([]int, len(f.Blocks))
	for b := range cfg.Preds {
		preds[b] = len(cfg.Preds[b])
	}
	subst := map[ir.Value]ir.Value{}
	// resolve follows subst to the end of its chain. Every value stored in
	// subst is resolved first and never the key itself (see below), so the
	// chains have no cycle.
	resolve := func(v ir.Value) ir.Value {
		for {
			w, ok := subst[v]
			if !ok {
				return v
			}
			v = w
		}
	}
	changed := false
	for _, a := range append([]ir.Block(nil), f.Layout...) {
		if !f.ValidBlock(a) {
			continue
		}
		for {
			t := f.Terminator(a)
			if t == ir.NoInst || f.Insts[t].Op != ir.OpJump {
				break
			}
			dc := f.Insts[t].Dests[0]
			b := dc.Block
			if b == a || b == f.Entry() || !f.ValidBlock(b) || preds[b] != 1 || len(f.Blocks[b].Params) != len(dc.Args) {
				break
			}
			// In a cycle of blocks unreachable from the entry, the jump
			// into b may pass one of b's own parameters (dominance does not
			// hold there); substituting it would make a cycle in subst and
			// resolve would never end. removeUnreachable deletes such
			// blocks; leave them to it.
			if passesOwnParam(f.Blocks[b].Params, dc.Args, resolve) {
				break
			}
			// The edges out of b now leave from a; predecessor counts are unchanged.
			for k, p := range f.Blocks[b].Params {
				subst[p] = resolve(dc.Args[k])
			}
			f.Blocks[b].Params = nil
			f.RemoveInst(t)
			moved := f.Blocks[b].Insts
			f.Blocks[b].Insts = nil
			for _, i := range moved {
				f.AppendInst(a, i)
			}
			f.RemoveBlock(b)
			changed = true
		}
	}
	if len(subst) > 0 {
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
	}
	return changed
}

// passesOwnParam reports whether a jump with args (resolved through
// resolve) passes any of params.
func passesOwnParam(params, args []ir.Value, resolve func(ir.Value) ir.Value) bool {
	for _, a := range args {
		ra := resolve(a)
		for _, p := range params {
			if ra == p {
				return true
			}
		}
	}
	return false
}

func removeUnreachable(f *ir.Func) bool {
	dom := ir.ComputeDomTree(f, ir.ComputeCFG(f))
	var dead []ir.Block
	for _, b := range f.Layout {
		if !dom.Reachable(b) {
			dead = append(dead, b)
		}
	}
	for _, b := range dead {
		f.RemoveBlock(b)
	}
	return len(dead) > 0
}
