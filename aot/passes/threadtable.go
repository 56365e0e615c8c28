package passes

import "github.com/mwasm/mwasm/aot/ir"

// ThreadBrTable threads jumps through dispatch blocks.
//
// A dispatch block D holds nothing but `br_table p, ...` where p is one of
// D's own parameters. Go's Wasm code has one per function: every jump inside
// the function, loop back edges included, sets a "resume point" and goes
// back to the top of the function, whose br_table picks the target. A
// predecessor P ending in `jump D(args)` whose argument for p is a constant
// K always lands on the table entry for K, target T, so P may jump to T
// directly, skipping the parameter moves into D and the indirect jump.
//
// T is threaded only when D's br_table is its single incoming edge (T
// appears once in the table and has no other predecessor), and when no block
// reachable from T without passing D, other than those T dominates, reads a
// parameter of D (such a join would need SSA repair, which this pass does
// not do; Go's loop exits often flow into the next resume point's block and
// block threading of that loop). Then T's idom is D, and the blocks T
// dominates (its subtree S) may read D's parameters. Once P bypasses D those parameters would be stale on the new
// edge, so every parameter of D that S reads becomes a new parameter q' of
// T: the br_table passes q, each threaded jump passes its argument for q,
// and the uses in S read q'. Values defined above D dominate every
// predecessor of D, so they still dominate T. D and the now-dead constants
// are left to simplifycfg and dce.
func ThreadBrTable(f *ir.Func) bool {
	changed := false
	for _, d := range append([]ir.Block(nil), f.Layout...) {
		if !f.ValidBlock(d) {
			continue
		}
		blocked := map[ir.Block]bool{}
		for {
			// One target at a time, with a fresh CFG and dominator tree.
			did, ok := threadOne(f, d, blocked)
			changed = changed || did
			if !ok {
				break
			}
		}
	}
	return changed
}

// dispatchParam returns the index of the parameter of d that d's br_table
// switches on, or -1 when d is not a dispatch block.
func dispatchParam(f *ir.Func, d ir.Block) int {
	bd := &f.Blocks[d]
	if len(bd.Insts) != 1 {
		return -1
	}
	in := &f.Insts[bd.Insts[0]]
	if in.Op != ir.OpBrTable {
		return -1
	}
	for k, p := range bd.Params {
		if p == in.Args[0] {
			return k
		}
	}
	return -1
}

// threadOne threads every constant jump into dispatch block d that reaches
// the first eligible target not in blocked. It reports whether it changed
// f, and whether to call it again (a target was threaded or newly blocked).
func threadOne(f *ir.Func, d ir.Block, blocked map[ir.Block]bool) (did, again bool) {
	k := dispatchParam(f, d)
	if k < 0 {
		return false, false
	}
	table := &f.Insts[f.Blocks[d].Insts[0]]
	cfg := ir.ComputeCFG(f)
	// Which table entry each block's constant jump into d reaches.
	entry := func(p ir.Block) int {
		t := f.Terminator(p)
		if t == ir.NoInst || f.Insts[t].Op != ir.OpJump || f.Insts[t].Dests[0].Block != d {
			return -1
		}
		a := f.Insts[t].Dests[0].Args[k]
		vd := f.Values[a]
		if vd.Kind != ir.ValueResult || f.Insts[vd.Inst].Op != ir.OpIconst {
			return -1
		}
		n := uint64(uint32(f.Insts[vd.Inst].Imm))
		if n >= uint64(len(table.Dests)-1) {
			return len(table.Dests) - 1
		}
		return int(n)
	}
	count := map[ir.Block]int{}
	for _, dc := range table.Dests {
		count[dc.Block]++
	}
	var target = -1
	var preds []ir.Block
	seen := map[ir.Block]bool{}
	for _, p := range cfg.Preds[d] {
		if seen[p] {
			continue
		}
		seen[p] = true
		e := entry(p)
		if e < 0 {
			continue
		}
		t := table.Dests[e].Block
		if t == d || blocked[t] || count[t] != 1 || len(cfg.Preds[t]) != 1 {
			continue
		}
		if target < 0 {
			target = e
		}
		if e == target {
			preds = append(preds, p)
		}
	}
	if target < 0 {
		return false, false
	}
	t := table.Dests[target].Block
	dom := ir.ComputeDomTree(f, cfg)
	if !dom.Reachable(t) {
		blocked[t] = true
		return false, true
	}
	// D's parameters read in T's subtree become parameters of T.
	dparams := f.Blocks[d].Params
	index := map[ir.Value]int{}
	for n, p := range dparams {
		index[p] = n
	}
	var subtree []ir.Block
	for _, b := range f.Layout {
		if dom.Reachable(b) && dom.Dominates(t, b) {
			subtree = append(subtree, b)
		}
	}
	// Blocks reachable from T without passing D but outside its subtree
	// (joins with other paths) would see stale parameters of D once P
	// bypasses it: give up on T if any of them reads one.
	inSub := map[ir.Block]bool{}
	for _, b := range subtree {
		inSub[b] = true
	}
	reached := map[ir.Block]bool{t: true}
	work := []ir.Block{t}
	for len(work) > 0 {
		b := work[len(work)-1]
		work = work[:len(work)-1]
		if !inSub[b] && readsAny(f, b, index) {
			blocked[t] = true
			return false, true
		}
		for _, s := range cfg.Succs[b] {
			if s != d && !reached[s] && f.ValidBlock(s) {
				reached[s] = true
				work = append(work, s)
			}
		}
	}
	used := make([]bool, len(dparams))
	for _, b := range subtree {
		for _, i := range f.Blocks[b].Insts {
			in := &f.Insts[i]
			for _, a := range in.Args {
				if n, ok := index[a]; ok {
					used[n] = true
				}
			}
			for _, dc := range in.Dests {
				for _, a := range dc.Args {
					if n, ok := index[a]; ok {
						used[n] = true
					}
				}
			}
		}
	}
	repl := map[ir.Value]ir.Value{}
	var lifted []int
	for n, u := range used {
		if u {
			q := dparams[n]
			repl[q] = f.AddBlockParam(t, f.Values[q].Type)
			lifted = append(lifted, n)
		}
	}
	sub := func(vs []ir.Value) {
		for j, v := range vs {
			if r, ok := repl[v]; ok {
				vs[j] = r
			}
		}
	}
	for _, b := range subtree {
		for _, i := range f.Blocks[b].Insts {
			in := &f.Insts[i]
			sub(in.Args)
			for j := range in.Dests {
				sub(in.Dests[j].Args)
			}
		}
	}
	// The table's edge passes D's parameters themselves.
	orig := append([]ir.Value(nil), table.Dests[target].Args...)
	for _, n := range lifted {
		table.Dests[target].Args = append(table.Dests[target].Args, dparams[n])
	}
	// Each threaded jump passes what it passed to D, mapped through the
	// table entry's arguments.
	for _, p := range preds {
		jmp := &f.Insts[f.Terminator(p)]
		args := jmp.Dests[0].Args // already rewritten if p is in the subtree
		mapped := func(v ir.Value) ir.Value {
			if n, ok := index[v]; ok {
				return args[n]
			}
			return v
		}
		var nargs []ir.Value
		for _, v := range orig {
			nargs = append(nargs, mapped(v))
		}
		for _, n := range lifted {
			nargs = append(nargs, args[n])
		}
		jmp.Dests[0] = ir.BlockCall{Block: t, Args: nargs}
	}
	return true, true
}

// readsAny reports whether block b reads any value in vals.
func readsAny(f *ir.Func, b ir.Block, vals map[ir.Value]int) bool {
	for _, i := range f.Blocks[b].Insts {
		in := &f.Insts[i]
		for _, a := range in.Args {
			if _, ok := vals[a]; ok {
				return true
			}
		}
		for _, dc := range in.Dests {
			for _, a := range dc.Args {
				if _, ok := vals[a]; ok {
					return true
				}
			}
		}
	}
	return false
}
