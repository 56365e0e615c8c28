package backend

import (
	"fmt"
	"sort"

	"github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/aot/vm"
	"golang.org/x/sys/cpu"
)

// CPU lists the optional instructions the generated code may use.
type CPU struct {
	LZCNT bool // lzcnt (ABM); otherwise bsr + fix-up
	TZCNT bool // tzcnt (BMI1); otherwise bsf + fix-up
}

// HostCPU is what the compiling machine supports.
func HostCPU() CPU {
	// LZCNT is reported with ABM on AMD and with BMI1-era CPUs on Intel;
	// x/sys/cpu has no separate ABM flag, and every CPU with BMI1 shipped
	// with LZCNT, so BMI1 stands for both.
	return CPU{LZCNT: cpu.X86.HasBMI1, TZCNT: cpu.X86.HasBMI1}
}

// Env is what the back end needs to know about the module around a function.
type Env struct {
	Layout             vm.Layout
	NumImportedFuncs   int
	NumImportedGlobals int
	CPU                CPU
	// FuncSymbol names the symbol of defined function i for direct-call
	// relocations; nil means FuncSymbol.
	FuncSymbol func(i uint32) string
	// Listing records an AT&T listing of the code (tests, debugging).
	Listing bool
}

// FuncSymbol is the default relocation symbol of Wasm function index i.
func FuncSymbol(i uint32) string { return fmt.Sprintf("wasm_func_%d", i) }

// TrapSite is a trap call site: the offset just after its call instruction
// (the return address the trap function receives, relative to the function
// start), the Wasm byte offset and the kind.
type TrapSite struct {
	RetOff uint32
	Pos    uint32
	Kind   vm.TrapKind
}

// PCEntry maps the offset of a linear-memory access instruction to its Wasm
// byte offset (for faults on guard pages).
type PCEntry struct {
	Off uint32
	Pos uint32
}

// Func is one compiled function.
type Func struct {
	Code      []byte // machine code followed by its constant pool
	CodeLen   int    // length of the instructions (without the pool)
	Relocs    []amd64.Reloc
	TrapSites []TrapSite
	PCTable   []PCEntry
	FrameSize int // bytes of stack below the saved RBP (callee-saved pushes, spills, outgoing area)
	Listing   []amd64.Line
}

type trapStub struct {
	l    amd64.Label
	kind ir.TrapKind
	pos  uint32
}

type compiler struct {
	f   *ir.Func
	env *Env
	a   *amd64.Assembler

	loc        []loc
	uses       []int
	fusedUser  map[ir.Inst]ir.Inst // compare -> the instruction that emits it
	fusedArg   map[ir.Inst]ir.Inst // user -> its fused compare
	clobbers   []int32
	hints      map[ir.Value][]hintSrc
	instPos    []int32
	blockStart []int32
	blockEnd   []int32

	usedCallee map[amd64.Reg]bool
	numSlots   int
	slotValues []ir.Value
	saved      []amd64.Reg
	r15Slot    int32
	outArea    int32
	frameSize  int32

	labels   []amd64.Label
	traps    []trapStub
	trapKeys map[[2]uint32]amd64.Label
	cur      ir.Inst
	// checkedEnd maps an index value to the largest end (offset + size)
	// an explicit bounds check in the current block proved in range.
	checkedEnd map[ir.Value]uint64
	out        *Func
}

// Compile lowers f to machine code. f must be valid (ir.Verify).
func Compile(f *ir.Func, env *Env) (out *Func, err error) {
	if env == nil {
		env = &Env{}
	}
	c := &compiler{f: f, env: env, a: amd64.New(), out: &Func{}}
	if env.Listing {
		c.a.EnableListing()
	}
	f.ResolveAliases() // leftover aliases of construction are harmless; uses must not name them
	if err := c.check(); err != nil {
		return nil, err
	}
	c.prepare()
	c.allocate()
	c.frame()
	c.emitFunc()
	code, err := c.a.Finish()
	if err != nil {
		return nil, fmt.Errorf("backend: function %s: %w", f.Name, err)
	}
	c.out.Code = append([]byte(nil), code...)
	c.out.CodeLen = c.a.CodeLen()
	c.out.Relocs = append(c.out.Relocs, c.a.Relocs()...)
	c.out.FrameSize = int(c.frameSize) + 8*len(c.saved)
	if env.Listing {
		c.out.Listing = c.a.Listing()
	}
	return c.out, nil
}

// check rejects what the back end cannot lower, with a clear error.
func (c *compiler) check() error {
	f := c.f
	if len(f.Layout) == 0 {
		return fmt.Errorf("backend: function %s has no blocks", f.Name)
	}
	for _, v := range f.Values {
		if v.Kind != ir.ValueUnused && v.Type == ir.V128 {
			return fmt.Errorf("backend: function %s uses v128 values; SIMD is not supported yet", f.Name)
		}
	}
	for _, b := range f.Layout {
		for _, i := range f.Blocks[b].Insts {
			if f.Insts[i].Op == ir.OpMemoryCopy && f.Insts[i].Index != 0 || (isMemOp(f.Insts[i].Op) && f.Insts[i].Index != 0) {
				return fmt.Errorf("backend: function %s, instruction at Wasm offset %#x: only memory 0 is supported", f.Name, f.Insts[i].Pos)
			}
		}
	}
	return nil
}

func isMemOp(op ir.Opcode) bool {
	switch op {
	case ir.OpLoad, ir.OpUload8, ir.OpSload8, ir.OpUload16, ir.OpSload16, ir.OpUload32, ir.OpSload32,
		ir.OpStore, ir.OpIstore8, ir.OpIstore16, ir.OpIstore32, ir.OpMemorySize, ir.OpMemoryGrow,
		ir.OpMemoryFill, ir.OpMemoryInit:
		return true
	}
	return false
}

// clobbersRegs reports whether an instruction calls code that clobbers the
// caller-saved registers.
func clobbersRegs(op ir.Opcode) bool {
	switch op {
	case ir.OpCall, ir.OpCallIndirect, ir.OpMemoryGrow, ir.OpMemoryCopy, ir.OpMemoryFill,
		ir.OpMemoryInit, ir.OpDataDrop, ir.OpTableGrow, ir.OpTableFill, ir.OpTableCopy,
		ir.OpTableInit, ir.OpElemDrop:
		return true
	}
	return false
}

// prepare decides constants, fusions, clobber points, hints and the
// locations of stack parameters.
func (c *compiler) prepare() {
	f := c.f
	c.loc = make([]loc, len(f.Values))
	c.uses = f.UseCounts()
	c.fusedUser = map[ir.Inst]ir.Inst{}
	c.fusedArg = map[ir.Inst]ir.Inst{}
	c.hints = map[ir.Value][]hintSrc{}
	c.usedCallee = map[amd64.Reg]bool{}
	c.trapKeys = map[[2]uint32]amd64.Label{}
	for _, b := range f.Layout {
		insts := f.Blocks[b].Insts
		for k, i := range insts {
			in := &f.Insts[i]
			switch in.Op {
			case ir.OpIconst, ir.OpFconst:
				c.loc[in.Results[0]] = loc{k: lConst, imm: in.Imm}
			case ir.OpRefNull:
				c.loc[in.Results[0]] = loc{k: lConst}
			case ir.OpIcmp, ir.OpEqz, ir.OpFcmp:
				r := in.Results[0]
				if c.uses[r] != 1 || k+1 >= len(insts) {
					break
				}
				// The single user may come later in the block (with pure
				// instructions in between: SSA operands cannot change), as
				// long as no call lies between, which would make the
				// operands live across it.
				u := k + 1
				for u < len(insts) && !clobbersRegs(f.Insts[insts[u]].Op) && !usesValue(&f.Insts[insts[u]], r) {
					u++
				}
				if u >= len(insts) || clobbersRegs(f.Insts[insts[u]].Op) {
					break
				}
				nx := &f.Insts[insts[u]]
				ok := false
				switch nx.Op {
				case ir.OpBrif, ir.OpTrapz, ir.OpTrapnz:
					ok = nx.Args[0] == r
				case ir.OpSelect:
					ok = nx.Args[0] == r && in.Op != ir.OpFcmp && nx.Args[1] != r && nx.Args[2] != r
				}
				if ok {
					c.fusedUser[i] = insts[u]
					c.fusedArg[insts[u]] = i
					c.loc[r] = loc{k: lFused}
				}
			}
			for _, d := range in.Dests {
				for n, a := range d.Args {
					p := f.Blocks[d.Block].Params[n]
					c.addHint(p, hintSrc{v: a, r: -1})
					c.addHint(a, hintSrc{v: p, r: -1}) // a loop's back-edge value
				}
			}
			c.prepareHints(in)
		}
	}
	pl0, _ := assign(f.Sig.Params)
	for n, p := range f.Blocks[f.Entry()].Params {
		if pl0[n].stack < 0 {
			c.addHint(p, pl0[n].hint())
		}
	}
	// Stack parameters stay in their incoming slots.
	pl, _ := assign(f.Sig.Params)
	for n, p := range f.Blocks[f.Entry()].Params {
		if pl[n].stack >= 0 {
			c.loc[p] = memLoc(amd64.RBP, int32(16+8*pl[n].stack))
		}
	}
}

// usesValue reports whether instruction in reads v (as an operand or a
// branch argument).
func usesValue(in *ir.InstData, v ir.Value) bool {
	for _, a := range in.Args {
		if a == v {
			return true
		}
	}
	for _, d := range in.Dests {
		for _, a := range d.Args {
			if a == v {
				return true
			}
		}
	}
	return false
}

// abiLoc is where the ABI puts one parameter or result.
type abiLoc struct {
	reg   amd64.Reg  // integer register (when stack < 0 and !float)
	xreg  amd64.XReg // float register (when stack < 0 and float)
	float bool
	stack int // stack slot / result-area index, or -1
}

var (
	intArgRegs = []amd64.Reg{amd64.RDI, amd64.RSI, amd64.RDX, amd64.RCX, amd64.R8, amd64.R9}
	intResRegs = []amd64.Reg{amd64.RAX, amd64.RDX}
)

// assign gives the ABI locations of parameters; nStack is the number of
// stack slots.
func assign(ts []ir.Type) (out []abiLoc, nStack int) {
	ni, nf := 0, 0
	for _, t := range ts {
		l := abiLoc{float: isFloat(t), stack: -1}
		if l.float && nf < 8 {
			l.xreg = amd64.XReg(nf)
			nf++
		} else if !l.float && ni < 6 {
			l.reg = intArgRegs[ni]
			ni++
		} else {
			l.stack = nStack
			nStack++
		}
		out = append(out, l)
	}
	return
}

// assignResults gives the ABI locations of results; nArea is the number of
// result-area slots.
func assignResults(ts []ir.Type) (out []abiLoc, nArea int) {
	ni, nf := 0, 0
	for _, t := range ts {
		l := abiLoc{float: isFloat(t), stack: -1}
		if l.float && nf < 2 {
			l.xreg = amd64.XReg(nf)
			nf++
		} else if !l.float && ni < 2 {
			l.reg = intResRegs[ni]
			ni++
		} else {
			l.stack = nArea
			nArea++
		}
		out = append(out, l)
	}
	return
}

func (l abiLoc) regLoc() loc {
	if l.float {
		return xregLoc(l.xreg)
	}
	return regLoc(l.reg)
}

// hint is the register preference for a value passed or received here.
func (l abiLoc) hint() hintSrc {
	if l.float {
		return hintSrc{v: ir.NoValue, r: int(l.xreg)}
	}
	return hintSrc{v: ir.NoValue, r: int(l.reg)}
}

// frame lays out the stack frame once allocation is done.
func (c *compiler) frame() {
	f := c.f
	for _, r := range calleeSavedGPR {
		if c.usedCallee[r] {
			c.saved = append(c.saved, r)
		}
	}
	needR15 := false
	for _, b := range f.Layout {
		for _, i := range f.Blocks[b].Insts {
			in := &f.Insts[i]
			var sig ir.Signature
			switch in.Op {
			case ir.OpCall:
				sig = f.Callees[in.Index]
				if int(in.Index) < c.env.NumImportedFuncs {
					needR15 = true
				}
			case ir.OpCallIndirect:
				sig = f.Types[in.Index]
				needR15 = true
			default:
				continue
			}
			_, ns := assign(sig.Params)
			_, nr := assignResults(sig.Results)
			if o := int32(8 * (ns + nr)); o > c.outArea {
				c.outArea = o
			}
		}
	}
	slots := c.numSlots
	if needR15 {
		slots++
	}
	base := int32(8 * len(c.saved))
	slotOff := func(k int) int32 { return -(base + int32(8*(k+1))) }
	for _, v := range c.slotValues {
		l := &c.loc[v]
		l.off = slotOff(int(l.off))
	}
	if needR15 {
		c.r15Slot = slotOff(slots - 1)
	}
	fs := int32(8*slots) + c.outArea
	if (base+fs)%16 != 0 {
		fs += 8
	}
	c.frameSize = fs
}

// trapLabel returns the out-of-line trap stub for kind at the current
// instruction (one per instruction and kind).
func (c *compiler) trapLabel(kind ir.TrapKind) amd64.Label {
	key := [2]uint32{uint32(c.cur), uint32(kind)}
	if l, ok := c.trapKeys[key]; ok {
		return l
	}
	l := c.a.NewLabel()
	pos := uint32(0)
	if c.cur >= 0 {
		pos = c.f.Insts[c.cur].Pos
	}
	c.traps = append(c.traps, trapStub{l: l, kind: kind, pos: pos})
	c.trapKeys[key] = l
	return l
}

// trapCall emits `mov edi, kind; call [r15+OffTrapFn]` and records the site.
func (c *compiler) trapCall(kind ir.TrapKind, pos uint32) {
	c.a.MovImm(amd64.S32, amd64.RDI, int64(kind))
	c.a.CallM(amd64.Ptr(amd64.R15, vm.OffTrapFn))
	c.out.TrapSites = append(c.out.TrapSites, TrapSite{RetOff: uint32(c.a.Len()), Pos: pos, Kind: vm.TrapKind(kind)})
}

func (c *compiler) emitFunc() {
	f, a := c.f, c.a
	c.labels = make([]amd64.Label, len(f.Blocks))
	for _, b := range f.Layout {
		c.labels[b] = a.NewLabel()
	}
	c.cur = -1
	// Prologue.
	a.Push(amd64.RBP)
	a.MovRR(amd64.S64, amd64.RBP, amd64.RSP)
	for _, r := range c.saved {
		a.Push(r)
	}
	if c.frameSize > 0 {
		a.AluRI(amd64.SUB, amd64.S64, amd64.RSP, int64(c.frameSize))
	}
	a.AluRM(amd64.CMP, amd64.S64, amd64.RSP, amd64.Ptr(amd64.R15, vm.OffStackLimit))
	a.Jcc(amd64.CondB, c.trapLabel(ir.TrapStackOverflow))
	// Parameters from their ABI registers to their locations.
	pl, _ := assign(f.Sig.Params)
	var moves []move
	for n, p := range f.Blocks[f.Entry()].Params {
		if pl[n].stack >= 0 || c.loc[p].k == lNone {
			continue
		}
		t := f.Values[p].Type
		if t == ir.I32 {
			a.MovRR(amd64.S32, pl[n].reg, pl[n].reg)
		}
		moves = append(moves, move{dst: c.loc[p], src: pl[n].regLoc(), t: t})
	}
	c.parallelMove(moves)
	for k, b := range f.Layout {
		a.Bind(c.labels[b])
		clear(c.checkedEnd) // bounds checks known to pass are per block
		next := ir.NoBlock
		if k+1 < len(f.Layout) {
			next = f.Layout[k+1]
		}
		for _, i := range f.Blocks[b].Insts {
			if _, fused := c.fusedUser[i]; fused {
				continue
			}
			c.cur = i
			c.emitInst(i, next)
		}
	}
	// Trap stubs.
	for _, t := range c.traps {
		a.Bind(t.l)
		c.trapCall(t.kind, t.pos)
	}
	sort.Slice(c.out.TrapSites, func(i, j int) bool { return c.out.TrapSites[i].RetOff < c.out.TrapSites[j].RetOff })
}

func (c *compiler) epilogue() {
	a := c.a
	if len(c.saved) > 0 {
		a.Lea(amd64.S64, amd64.RSP, amd64.Ptr(amd64.RBP, int32(-8*len(c.saved))))
		for k := len(c.saved) - 1; k >= 0; k-- {
			a.Pop(c.saved[k])
		}
	} else {
		a.MovRR(amd64.S64, amd64.RSP, amd64.RBP)
	}
	a.Pop(amd64.RBP)
	a.Ret()
}
