package backend

// Register allocation: linear scan over SSA live intervals.
//
// The algorithm is Poletto and Sarkar's linear scan ("Linear Scan Register
// Allocation", TOPLAS 1999) adapted to SSA with block parameters:
//
//  1. Number the program points: blocks in layout order, each block's
//     parameters are defined at its start position, its instructions at the
//     following even positions, and its end is one step after the
//     terminator. Branch arguments are uses at the terminator; the moves
//     that pass them to the successor's parameters are emitted there as one
//     parallel move per edge (moves.go), so an argument and the parameter it
//     feeds never need the same location.
//  2. Liveness: iterative backward data flow over the blocks with bit sets
//     (live-in(b) = uses(b) ∪ (live-out(b) − defs(b)); block parameters are
//     defs of their block, branch arguments uses of the branching block).
//  3. Intervals: each value gets one range [start, end] covering its
//     definition, every use, and the whole of every block where it is live-in
//     or live-out. A single range (no holes) is conservative across loops
//     but keeps the scan simple and linear.
//  4. Scan the intervals by increasing start, keeping the active set sorted
//     by end. An interval that ends where another starts may share its
//     register (an instruction reads its operands before it writes its
//     result; the emitter handles the aliasing). An interval that crosses a
//     clobbering instruction (a call or builtin call, strictly inside the
//     interval) may only get a callee-saved register (RBX, R12, R13); float
//     intervals crossing a call are spilled, as the ABI has no callee-saved
//     XMM registers. A free register among the value's hints (see hintSrc)
//     is taken first. Otherwise caller-saved registers are preferred, so
//     callee-saved ones (which cost a push/pop) are left for the intervals
//     that need them. When no register is free, the active interval (of the
//     same class, holding a register the current one may use) with the
//     furthest end is spilled if it ends after the current one, else the
//     current interval is; the spill weight is then refined by use density
//     (see spillCost) so that values used in loops are kept in registers.
//  5. Spilled values live in 8-byte stack slots for their whole life (no
//     splitting); slots are reused by a second linear pass over the spilled
//     intervals. Instructions use spilled operands directly as memory
//     operands where x86 allows, or through the scratch registers.
//
// Values that need no location at all are skipped: constants (folded into
// immediates or rematerialized at each use) and fused compares. Function
// parameters passed on the stack stay in their incoming slots.

import (
	"sort"

	"github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/ir"
)

type locKind uint8

const (
	lNone  locKind = iota
	lReg           // general-purpose register r
	lXReg          // XMM register r
	lMem           // [base + off]
	lConst         // constant bits imm (the value's type says int or float)
	lFused         // a compare emitted by its single user
)

// loc is where a value lives.
type loc struct {
	k    locKind
	r    uint8
	base amd64.Reg
	off  int32
	imm  uint64
}

func regLoc(r amd64.Reg) loc   { return loc{k: lReg, r: uint8(r)} }
func xregLoc(x amd64.XReg) loc { return loc{k: lXReg, r: uint8(x)} }
func memLoc(base amd64.Reg, off int32) loc {
	return loc{k: lMem, base: base, off: off}
}
func (l loc) reg() amd64.Reg   { return amd64.Reg(l.r) }
func (l loc) xreg() amd64.XReg { return amd64.XReg(l.r) }
func (l loc) mem() amd64.Mem   { return amd64.Ptr(l.base, l.off) }
func (l loc) same(o loc) bool {
	if l.k != o.k {
		return false
	}
	switch l.k {
	case lReg, lXReg:
		return l.r == o.r
	case lMem:
		return l.base == o.base && l.off == o.off
	case lConst:
		return l.imm == o.imm
	}
	return true
}

var (
	callerSavedGPR = []amd64.Reg{amd64.RSI, amd64.RDI, amd64.R8, amd64.R9, amd64.R10}
	calleeSavedGPR = []amd64.Reg{amd64.RBX, amd64.R12, amd64.R13}
	allocXMM       = []amd64.XReg{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
)

func isAllocX(x int) bool {
	for _, a := range allocXMM {
		if int(a) == x {
			return true
		}
	}
	return false
}

func isFloat(t ir.Type) bool { return t == ir.F32 || t == ir.F64 }

type interval struct {
	v          ir.Value
	start, end int32
	float      bool
	crossCall  bool
	uses       int32 // weighted use count (loop depth)
	reg        int   // allocated register number, -1 when spilled
}

type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) clear(i int)    { b[i>>6] &^= 1 << (uint(i) & 63) }
func (b bitset) has(i int) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b bitset) forEach(fn func(int)) {
	for w, x := range b {
		for x != 0 {
			t := x & -x
			i := 0
			for y := t; y > 1; y >>= 1 {
				i++
			}
			fn(w*64 + i)
			x &^= t
		}
	}
}

// numbering assigns program positions.
func (c *compiler) number() {
	f := c.f
	c.instPos = make([]int32, len(f.Insts))
	c.blockStart = make([]int32, len(f.Blocks))
	c.blockEnd = make([]int32, len(f.Blocks))
	p := int32(0)
	for _, b := range f.Layout {
		c.blockStart[b] = p
		for _, i := range f.Blocks[b].Insts {
			p += 2
			c.instPos[i] = p
		}
		p += 2
		c.blockEnd[b] = p
		p += 2
	}
}

// usePos is where instruction i reads its operands (a fused compare reads
// them at its user).
func (c *compiler) usePos(i ir.Inst) int32 {
	if u, ok := c.fusedUser[i]; ok {
		return c.instPos[u]
	}
	return c.instPos[i]
}

// needsLoc reports whether v gets an interval.
func (c *compiler) needsLoc(v ir.Value) bool {
	return c.loc[v].k == lNone
}

// liveness computes live-in sets per block.
func (c *compiler) liveness() (liveIn, liveOut []bitset) {
	f := c.f
	n := len(f.Values)
	liveIn = make([]bitset, len(f.Blocks))
	liveOut = make([]bitset, len(f.Blocks))
	uses := make([]bitset, len(f.Blocks))
	defs := make([]bitset, len(f.Blocks))
	for _, b := range f.Layout {
		u, d := newBitset(n), newBitset(n)
		for _, p := range f.Blocks[b].Params {
			d.set(int(p))
		}
		for _, i := range f.Blocks[b].Insts {
			in := &f.Insts[i]
			use := func(v ir.Value) {
				if c.needsLoc(v) && !d.has(int(v)) {
					u.set(int(v))
				}
			}
			if _, fused := c.fusedUser[i]; !fused {
				for _, a := range in.Args {
					use(a)
				}
			}
			if fi, ok := c.fusedArg[i]; ok {
				for _, a := range f.Insts[fi].Args {
					use(a)
				}
			}
			for _, dc := range in.Dests {
				for _, a := range dc.Args {
					use(a)
				}
			}
			for _, r := range in.Results {
				d.set(int(r))
			}
		}
		uses[b], defs[b] = u, d
		liveIn[b], liveOut[b] = newBitset(n), newBitset(n)
	}
	for changed := true; changed; {
		changed = false
		for k := len(f.Layout) - 1; k >= 0; k-- {
			b := f.Layout[k]
			out := liveOut[b]
			for _, s := range f.Successors(b) {
				for w, x := range liveIn[s] {
					out[w] |= x
				}
			}
			in := liveIn[b]
			for w := range in {
				nw := uses[b][w] | (out[w] &^ defs[b][w])
				if nw != in[w] {
					in[w] = nw
					changed = true
				}
			}
		}
	}
	return liveIn, liveOut
}

// allocate computes intervals and assigns locations to every value that
// needs one.
func (c *compiler) allocate() {
	f := c.f
	c.number()
	for _, b := range f.Layout {
		for _, i := range f.Blocks[b].Insts {
			if clobbersRegs(f.Insts[i].Op) {
				c.clobbers = append(c.clobbers, c.instPos[i])
			}
		}
	}
	liveIn, liveOut := c.liveness()
	ivs := make([]*interval, len(f.Values))
	get := func(v ir.Value) *interval {
		iv := ivs[v]
		if iv == nil {
			iv = &interval{v: v, start: 1 << 30, end: -1, float: isFloat(f.Values[v].Type), reg: -1}
			ivs[v] = iv
		}
		return iv
	}
	ext := func(v ir.Value, p int32) {
		if !c.needsLoc(v) || c.uses[v] == 0 {
			return
		}
		iv := get(v)
		if p < iv.start {
			iv.start = p
		}
		if p > iv.end {
			iv.end = p
		}
	}
	depth := c.loopDepth()
	for _, b := range f.Layout {
		liveIn[b].forEach(func(v int) { ext(ir.Value(v), c.blockStart[b]) })
		liveOut[b].forEach(func(v int) { ext(ir.Value(v), c.blockEnd[b]) })
		for _, p := range f.Blocks[b].Params {
			ext(p, c.blockStart[b])
		}
		w := int32(1)
		for d := 0; d < depth[b] && d < 4; d++ {
			w *= 8
		}
		for _, i := range f.Blocks[b].Insts {
			in := &f.Insts[i]
			pos := c.instPos[i]
			use := func(v ir.Value) {
				ext(v, pos)
				if c.needsLoc(v) && c.uses[v] > 0 {
					get(v).uses += w
				}
			}
			if _, fused := c.fusedUser[i]; !fused {
				for _, a := range in.Args {
					use(a)
				}
			}
			if fi, ok := c.fusedArg[i]; ok {
				for _, a := range f.Insts[fi].Args {
					use(a)
				}
			}
			for _, dc := range in.Dests {
				for _, a := range dc.Args {
					use(a)
				}
			}
			for _, r := range in.Results {
				ext(r, pos)
			}
		}
	}
	var list []*interval
	for _, iv := range ivs {
		if iv != nil && iv.end >= 0 {
			if iv.start == iv.end && f.Values[iv.v].Kind == ir.ValueResult {
				// Defined and never used: still needs a place to be written.
				iv.end = iv.start
			}
			list = append(list, iv)
		}
	}
	// Call crossing.
	for _, iv := range list {
		k := sort.Search(len(c.clobbers), func(j int) bool { return c.clobbers[j] > iv.start })
		if k < len(c.clobbers) && c.clobbers[k] < iv.end {
			iv.crossCall = true
		}
	}
	sort.SliceStable(list, func(a, b int) bool { return list[a].start < list[b].start })

	var active []*interval
	freeG := map[amd64.Reg]bool{}
	for _, r := range callerSavedGPR {
		freeG[r] = true
	}
	for _, r := range calleeSavedGPR {
		freeG[r] = true
	}
	freeX := make([]bool, 16)
	for _, x := range allocXMM {
		freeX[x] = true
	}
	release := func(iv *interval) {
		if iv.reg < 0 {
			return
		}
		if iv.float {
			freeX[iv.reg] = true
		} else {
			freeG[amd64.Reg(iv.reg)] = true
		}
	}
	isCallee := func(r int) bool {
		for _, x := range calleeSavedGPR {
			if int(x) == r {
				return true
			}
		}
		return false
	}
	var spilled []*interval
	for _, iv := range list {
		// Expire.
		n := 0
		for _, a := range active {
			if a.end <= iv.start {
				release(a)
			} else {
				active[n] = a
				n++
			}
		}
		active = active[:n]
		if iv.float && iv.crossCall {
			spilled = append(spilled, iv)
			continue
		}
		iv.reg = -1
		if iv.float {
			for _, h := range c.hint(iv.v, true) {
				if h < len(freeX) && freeX[h] && isAllocX(h) {
					iv.reg = h
					freeX[h] = false
					break
				}
			}
			for _, x := range allocXMM {
				if iv.reg >= 0 {
					break
				}
				if freeX[x] {
					iv.reg = int(x)
					freeX[x] = false
					break
				}
			}
		} else {
			order := append(append([]amd64.Reg{}, callerSavedGPR...), calleeSavedGPR...)
			if iv.crossCall {
				order = calleeSavedGPR
			}
			var pref []amd64.Reg
			for _, h := range c.hint(iv.v, false) {
				if freeG[amd64.Reg(h)] && (!iv.crossCall || isCallee(h)) {
					pref = append(pref, amd64.Reg(h))
				}
			}
			order = append(pref, order...)
			for _, r := range order {
				if freeG[r] {
					iv.reg = int(r)
					freeG[r] = false
					break
				}
			}
		}
		if iv.reg < 0 {
			// Spill the cheapest of the candidates.
			var victim *interval
			for _, a := range active {
				if a.float != iv.float || a.reg < 0 {
					continue
				}
				if iv.crossCall && !isCallee(a.reg) {
					continue
				}
				if victim == nil || spillCost(a) < spillCost(victim) {
					victim = a
				}
			}
			if victim != nil && spillCost(victim) < spillCost(iv) {
				iv.reg = victim.reg
				victim.reg = -1
				c.loc[victim.v] = loc{}
				spilled = append(spilled, victim)
			} else {
				spilled = append(spilled, iv)
			}
		}
		if iv.reg >= 0 {
			active = append(active, iv)
			if iv.float {
				c.loc[iv.v] = xregLoc(amd64.XReg(iv.reg))
			} else {
				c.loc[iv.v] = regLoc(amd64.Reg(iv.reg))
			}
		}
	}
	for _, iv := range list {
		if iv.reg >= 0 {
			if iv.float {
				c.loc[iv.v] = xregLoc(amd64.XReg(iv.reg))
			} else {
				c.loc[iv.v] = regLoc(amd64.Reg(iv.reg))
				if isCallee(iv.reg) {
					c.usedCallee[amd64.Reg(iv.reg)] = true
				}
			}
		}
	}
	// Stack slots for the spilled intervals, reused once an interval ends.
	sort.SliceStable(spilled, func(a, b int) bool { return spilled[a].start < spilled[b].start })
	type slotUse struct {
		slot int
		end  int32
	}
	var busy []slotUse
	var free []int
	for _, iv := range spilled {
		n := 0
		for _, s := range busy {
			if s.end < iv.start {
				free = append(free, s.slot)
			} else {
				busy[n] = s
				n++
			}
		}
		busy = busy[:n]
		var slot int
		if len(free) > 0 {
			slot = free[len(free)-1]
			free = free[:len(free)-1]
		} else {
			slot = c.numSlots
			c.numSlots++
		}
		busy = append(busy, slotUse{slot, iv.end})
		c.loc[iv.v] = loc{k: lMem, base: amd64.RBP, off: int32(slot)} // fixed up in frame()
		c.slotValues = append(c.slotValues, iv.v)
	}
}

// spillCost is the estimated cost of keeping an interval in memory: its
// (loop-weighted) use count divided by its length, so long intervals with
// few uses are spilled first.
func spillCost(iv *interval) float64 {
	return float64(iv.uses+1) / float64(iv.end-iv.start+2)
}

// hintSrc is one register preference of a value: the register of value v
// once allocated (r < 0), or the fixed register r of the value's class.
type hintSrc struct {
	v    ir.Value
	r    int
	weak bool // an operand's register: tried after the others
}

func (c *compiler) addHint(v ir.Value, h hintSrc) {
	if len(c.hints[v]) < 8 {
		c.hints[v] = append(c.hints[v], h)
	}
}

// hintOperands gives how many leading operands of op are register hints
// for its result: the operations whose result is best placed in the
// register of an operand (two-address x86 forms need no copy then).
func hintOperands(op ir.Opcode) int {
	switch op {
	case ir.OpIadd, ir.OpBand, ir.OpBor, ir.OpBxor, ir.OpImul, ir.OpFadd, ir.OpFmul:
		return 2
	case ir.OpIsub, ir.OpIshl, ir.OpSshr, ir.OpUshr, ir.OpRotl, ir.OpRotr, ir.OpFsub, ir.OpFdiv:
		return 1
	}
	return 0
}

// prepareHints records the register preferences instruction in creates:
// call arguments prefer their ABI registers, results of two-address
// operations their first (or either, when commutative) operand's register.
func (c *compiler) prepareHints(in *ir.InstData) {
	f := c.f
	switch in.Op {
	case ir.OpCall:
		if sig, ok := f.Callees[in.Index]; ok {
			pl, _ := assign(sig.Params)
			for n, a := range in.Args {
				if n < len(pl) && pl[n].stack < 0 {
					c.addHint(a, pl[n].hint())
				}
			}
		}
	}
	if k := hintOperands(in.Op); k > 0 && len(in.Results) == 1 {
		for n := 0; n < k && n < len(in.Args); n++ {
			c.addHint(in.Results[0], hintSrc{v: in.Args[n], r: -1, weak: true})
		}
	}
}

// hint returns the registers (GPR or XMM numbers, by v's class) v would
// like, best first; it avoids moves on edges, at calls and before
// two-address instructions.
func (c *compiler) hint(v ir.Value, float bool) []int {
	var out []int
	hs := c.hints[v]
	if len(hs) > 1 {
		hs = append([]hintSrc(nil), hs...)
		sort.SliceStable(hs, func(i, j int) bool { return !hs[i].weak && hs[j].weak })
	}
	for _, h := range hs {
		if h.r >= 0 {
			out = append(out, h.r)
			continue
		}
		l := c.loc[h.v]
		if l.k == lReg && !float || l.k == lXReg && float {
			out = append(out, int(l.r))
		}
	}
	return out
}

// loopDepth estimates each block's loop nesting depth from back edges in
// the layout order (a branch to a block at or before the branching block
// marks the blocks in between as one loop deeper).
func (c *compiler) loopDepth() []int {
	f := c.f
	idx := make([]int, len(f.Blocks))
	for k, b := range f.Layout {
		idx[b] = k
	}
	diff := make([]int, len(f.Layout)+1)
	for k, b := range f.Layout {
		for _, s := range f.Successors(b) {
			if j := idx[s]; j <= k {
				diff[j]++
				diff[k+1]--
			}
		}
	}
	depth := make([]int, len(f.Blocks))
	d := 0
	for k, b := range f.Layout {
		d += diff[k]
		depth[b] = d
	}
	return depth
}
