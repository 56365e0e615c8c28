package ir

// Control-flow graph and dominator tree.
//
// Dominators are computed with the iterative algorithm of Cooper, Harvey and
// Kennedy ("A Simple, Fast Dominance Algorithm", 2001): number the reachable
// blocks in reverse postorder, start with idom(entry) = entry, and repeat
// until nothing changes: for each block b in RPO (except the entry), idom(b)
// is the nearest common ancestor, in the current tree, of all predecessors of
// b already processed. The "intersect" walk climbs from two blocks towards
// the root by comparing RPO numbers. On reducible CFGs (all that Wasm
// produces) it converges in two passes; it is simple and in practice faster
// than Lengauer-Tarjan for the sizes a function has.

// CFG holds the predecessors and successors of every live block. An edge is
// listed once per branch destination, so a brif with both arms to the same
// block gives two edges.
type CFG struct {
	Preds [][]Block // indexed by Block
	Succs [][]Block
}

// ComputeCFG builds the CFG of f from its terminators.
func ComputeCFG(f *Func) *CFG {
	c := &CFG{Preds: make([][]Block, len(f.Blocks)), Succs: make([][]Block, len(f.Blocks))}
	for _, b := range f.Layout {
		for _, s := range f.Successors(b) {
			c.Succs[b] = append(c.Succs[b], s)
			if f.ValidBlock(s) {
				c.Preds[s] = append(c.Preds[s], b)
			}
		}
	}
	return c
}

// DomTree is the dominator tree of the blocks reachable from the entry.
type DomTree struct {
	RPO  []Block // reachable blocks in reverse postorder
	rpoN []int32 // Block -> index in RPO, -1 if unreachable
	idom []Block
}

// ComputeDomTree computes dominators for f with the given CFG.
func ComputeDomTree(f *Func, cfg *CFG) *DomTree {
	n := len(f.Blocks)
	t := &DomTree{rpoN: make([]int32, n), idom: make([]Block, n)}
	for i := range t.rpoN {
		t.rpoN[i] = -1
		t.idom[i] = NoBlock
	}
	entry := f.Entry()
	if entry == NoBlock {
		return t
	}
	// Iterative DFS for postorder.
	visited := make([]bool, n)
	type frame struct {
		b    Block
		next int
	}
	var post []Block
	stack := []frame{{entry, 0}}
	visited[entry] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		succs := cfg.Succs[top.b]
		if top.next < len(succs) {
			s := succs[top.next]
			top.next++
			if s >= 0 && int(s) < n && f.Blocks[s].Live && !visited[s] {
				visited[s] = true
				stack = append(stack, frame{s, 0})
			}
			continue
		}
		post = append(post, top.b)
		stack = stack[:len(stack)-1]
	}
	t.RPO = make([]Block, len(post))
	for i, b := range post {
		t.RPO[len(post)-1-i] = b
	}
	for i, b := range t.RPO {
		t.rpoN[b] = int32(i)
	}
	t.idom[entry] = entry
	for changed := true; changed; {
		changed = false
		for _, b := range t.RPO[1:] {
			newIdom := NoBlock
			for _, p := range cfg.Preds[b] {
				if t.rpoN[p] < 0 || t.idom[p] == NoBlock {
					continue
				}
				if newIdom == NoBlock {
					newIdom = p
				} else {
					newIdom = t.intersect(p, newIdom)
				}
			}
			if newIdom != t.idom[b] {
				t.idom[b] = newIdom
				changed = true
			}
		}
	}
	t.idom[entry] = NoBlock
	return t
}

func (t *DomTree) intersect(a, b Block) Block {
	for a != b {
		for t.rpoN[a] > t.rpoN[b] {
			a = t.idom[a]
		}
		for t.rpoN[b] > t.rpoN[a] {
			b = t.idom[b]
		}
	}
	return a
}

// Reachable reports whether b is reachable from the entry.
func (t *DomTree) Reachable(b Block) bool {
	return b >= 0 && int(b) < len(t.rpoN) && t.rpoN[b] >= 0
}

// Idom is the immediate dominator of b (NoBlock for the entry and unreachable blocks).
func (t *DomTree) Idom(b Block) Block { return t.idom[b] }

// Dominates reports whether a dominates b (every block dominates itself).
// Unreachable blocks are dominated by every block, so code in them is
// checked against nothing stricter than definedness.
func (t *DomTree) Dominates(a, b Block) bool {
	if !t.Reachable(b) {
		return true
	}
	if !t.Reachable(a) {
		return false
	}
	for t.rpoN[b] > t.rpoN[a] {
		b = t.idom[b]
	}
	return a == b
}
