package ir

// Builder: appending instructions, and SSA construction for Wasm locals.
//
// # SSA construction (Braun, Buchwald, Hack, Leißa, Mallon, Zwinkau:
// "Simple and Efficient Construction of Static Single Assignment Form", CC 2013)
//
// The front end does not compute dominance frontiers. It translates Wasm in
// one pass and treats each local as a Variable: local.set is DefVar, which
// records "in block B, variable x currently holds value v"; local.get is
// UseVar, which looks that up:
//
//   - If B has a definition of x, that is the answer (local value numbering).
//   - If B is not yet sealed (more predecessors may still be added, e.g. a
//     loop header whose back edges are not translated yet), we add a block
//     parameter for x to B and remember it as "incomplete"; its operands are
//     filled in when B is sealed.
//   - If B is sealed and has exactly one predecessor, the answer is x's value
//     at the end of that predecessor (recursively).
//   - Otherwise we add a block parameter p for x to B, record p as x's value
//     in B first (this breaks cycles through loops), and then give p its
//     operands: every branch to B gets, as a new argument, x's value at the
//     end of the branching block.
//
// Block parameters play the role of phi functions: "adding an operand" means
// appending an argument to each branch edge into B. A parameter is trivial
// when every edge passes either the same value w or the parameter itself; a
// trivial parameter is removed (its argument is deleted from every edge) and
// becomes an alias of w. Removing it may make the parameters that received p
// as an argument trivial too, so we keep, for each value, the variable
// parameters that it was passed to, and retry those. On reducible control
// flow (all that structured Wasm produces) this yields minimal SSA without
// any later cleanup. Aliases are rewritten away by Finish.
//
// Sealing: the front end calls SealBlock(B) once every branch to B has been
// emitted: right away for a straight-line successor, at "end" for a Wasm block
// or if (all branches to its end are inside it), and at the end of a Wasm loop
// for its header. Branching to a sealed block is a bug.
//
// Explicit block parameters (Wasm block results, loop parameters) must be
// added with AppendBlockParam before any variable parameter appears on the
// block; variable parameters always come after them, so the argument lists
// on edges stay in parameter order.

import "fmt"

// Variable is a mutable local tracked by SSA construction.
type Variable uint32

type edge struct {
	inst Inst
	dest int // index into the instruction's Dests
}

type incomplete struct {
	v     Variable
	param Value
}

type blockState struct {
	sealed     bool
	preds      []edge
	incomplete []incomplete
	varParams  int
}

// Builder appends instructions to a Func and constructs SSA for variables.
type Builder struct {
	F   *Func
	cur Block
	pos uint32

	blocks     []blockState
	varTypes   []Type
	defs       map[uint64]Value  // (block, variable) -> value
	phiUsers   map[Value][]Value // value -> variable params it was passed to
	isVarParam map[Value]Variable
}

// NewBuilder returns a builder appending to f.
func NewBuilder(f *Func) *Builder {
	return &Builder{F: f, cur: NoBlock, defs: map[uint64]Value{}, phiUsers: map[Value][]Value{}, isVarParam: map[Value]Variable{}}
}

func (b *Builder) state(blk Block) *blockState {
	for len(b.blocks) <= int(blk) {
		b.blocks = append(b.blocks, blockState{})
	}
	return &b.blocks[blk]
}

// CreateBlock creates a block (appended to the layout). The first block
// created is the entry; give it the signature's parameters with
// AppendBlockParam and seal it at once.
func (b *Builder) CreateBlock() Block {
	blk := b.F.NewBlock()
	b.state(blk)
	return blk
}

// AppendBlockParam adds an explicit parameter to blk.
func (b *Builder) AppendBlockParam(blk Block, t Type) Value {
	if b.state(blk).varParams > 0 {
		panic(fmt.Sprintf("BUG: explicit parameter added to %s after variable parameters", blk))
	}
	return b.F.AddBlockParam(blk, t)
}

// SwitchToBlock makes blk the block that instructions are appended to.
func (b *Builder) SwitchToBlock(blk Block) { b.cur = blk }

// CurrentBlock is the block being appended to.
func (b *Builder) CurrentBlock() Block { return b.cur }

// SetPos sets the Wasm byte offset recorded on the instructions that follow.
func (b *Builder) SetPos(pos uint32) { b.pos = pos }

// Terminated reports whether the current block already ends in a terminator.
func (b *Builder) Terminated() bool {
	return b.cur != NoBlock && b.F.Terminator(b.cur) != NoInst
}

// Ins appends an instruction built from d to the current block and returns
// it. Branch destinations are recorded as predecessor edges.
func (b *Builder) Ins(d InstData) Inst {
	if b.cur == NoBlock {
		panic("BUG: no current block")
	}
	if b.Terminated() {
		panic(fmt.Sprintf("BUG: appending %s after the terminator of %s", d.Op, b.cur))
	}
	if d.Pos == 0 {
		d.Pos = b.pos
	}
	i := b.F.NewInst(d)
	b.F.AppendInst(b.cur, i)
	for n, dc := range b.F.Insts[i].Dests {
		st := b.state(dc.Block)
		if st.sealed {
			panic(fmt.Sprintf("BUG: branch from %s to sealed %s", b.cur, dc.Block))
		}
		st.preds = append(st.preds, edge{i, n})
	}
	return i
}

func (b *Builder) ins1(d InstData) Value { return b.F.Insts[b.Ins(d)].Results[0] }

// Iconst appends an integer constant.
func (b *Builder) Iconst(t Type, v int64) Value {
	bits := uint64(v)
	if t == I32 {
		bits = uint64(uint32(v))
	}
	return b.ins1(InstData{Op: OpIconst, Type: t, Imm: bits})
}

// F32const and F64const append float constants with exact bits.
func (b *Builder) F32const(bits uint32) Value {
	return b.ins1(InstData{Op: OpFconst, Type: F32, Imm: uint64(bits)})
}
func (b *Builder) F64const(bits uint64) Value {
	return b.ins1(InstData{Op: OpFconst, Type: F64, Imm: bits})
}

// Unary appends a one-operand instruction (clz, fneg, conversions, ...) with result type t.
func (b *Builder) Unary(op Opcode, t Type, x Value) Value {
	return b.ins1(InstData{Op: op, Type: t, Args: []Value{x}})
}

// Binary appends a two-operand instruction of type t.
func (b *Builder) Binary(op Opcode, t Type, x, y Value) Value {
	return b.ins1(InstData{Op: op, Type: t, Args: []Value{x, y}})
}

// Icmp appends an integer comparison (result i32).
func (b *Builder) Icmp(cc IntCC, x, y Value) Value {
	return b.ins1(InstData{Op: OpIcmp, Type: b.F.ValueType(x), Cond: uint8(cc), Args: []Value{x, y}})
}

// Fcmp appends a float comparison (result i32).
func (b *Builder) Fcmp(cc FloatCC, x, y Value) Value {
	return b.ins1(InstData{Op: OpFcmp, Type: b.F.ValueType(x), Cond: uint8(cc), Args: []Value{x, y}})
}

// Select appends select.t cond, x, y.
func (b *Builder) Select(t Type, cond, x, y Value) Value {
	return b.ins1(InstData{Op: OpSelect, Type: t, Args: []Value{cond, x, y}})
}

// Load appends a load (op is OpLoad, OpUload8, ...) of type t from memory mem at addr+offset.
func (b *Builder) Load(op Opcode, t Type, mem uint32, addr Value, offset uint64, flags MemFlags) Value {
	return b.ins1(InstData{Op: op, Type: t, Index: mem, Imm: offset, Flags: flags, Args: []Value{addr}})
}

// Store appends a store (op is OpStore, OpIstore8, ...) of val (type t).
func (b *Builder) Store(op Opcode, t Type, mem uint32, addr Value, offset uint64, val Value, flags MemFlags) {
	b.Ins(InstData{Op: op, Type: t, Index: mem, Imm: offset, Flags: flags, Args: []Value{addr, val}})
}

// Call appends a direct call of Wasm function fn, declaring its signature.
func (b *Builder) Call(fn uint32, sig Signature, args ...Value) []Value {
	b.F.Callees[fn] = sig
	return b.F.Insts[b.Ins(InstData{Op: OpCall, Index: fn, Args: args})].Results
}

// CallIndirect appends call_indirect through table with Wasm type index typ.
func (b *Builder) CallIndirect(typ uint32, sig Signature, table uint32, callee Value, args ...Value) []Value {
	b.F.Types[typ] = sig
	all := append([]Value{callee}, args...)
	return b.F.Insts[b.Ins(InstData{Op: OpCallIndirect, Index: typ, Index2: table, Args: all})].Results
}

// Jump ends the current block with a jump.
func (b *Builder) Jump(dst Block, args ...Value) {
	b.Ins(InstData{Op: OpJump, Dests: []BlockCall{{dst, args}}})
}

// Brif ends the current block with a two-way branch.
func (b *Builder) Brif(cond Value, then Block, thenArgs []Value, els Block, elseArgs []Value) {
	b.Ins(InstData{Op: OpBrif, Args: []Value{cond}, Dests: []BlockCall{{then, thenArgs}, {els, elseArgs}}})
}

// BrTable ends the current block with a table branch.
func (b *Builder) BrTable(index Value, targets []BlockCall, def BlockCall) {
	ds := append(append([]BlockCall{}, targets...), def)
	b.Ins(InstData{Op: OpBrTable, Args: []Value{index}, Dests: ds})
}

// Return ends the current block with a return.
func (b *Builder) Return(vals ...Value) { b.Ins(InstData{Op: OpReturn, Args: vals}) }

// Trap ends the current block with a trap.
func (b *Builder) Trap(k TrapKind) { b.Ins(InstData{Op: OpTrap, Trap: k}) }

// DeclareVar declares a variable of type t.
func (b *Builder) DeclareVar(t Type) Variable {
	b.varTypes = append(b.varTypes, t)
	return Variable(len(b.varTypes) - 1)
}

func key(blk Block, v Variable) uint64 { return uint64(uint32(blk))<<32 | uint64(v) }

// DefVar records that v holds val at the current point of the current block.
func (b *Builder) DefVar(v Variable, val Value) {
	if int(v) >= len(b.varTypes) {
		panic(fmt.Sprintf("BUG: variable %d not declared", v))
	}
	if t := b.F.ValueType(val); t != b.varTypes[v] {
		panic(fmt.Sprintf("BUG: variable %d has type %s, defined with %s of type %s", v, b.varTypes[v], val, t))
	}
	b.defs[key(b.cur, v)] = val
}

// UseVar returns the value v holds at the current point of the current block.
func (b *Builder) UseVar(v Variable) Value {
	if int(v) >= len(b.varTypes) {
		panic(fmt.Sprintf("BUG: variable %d not declared", v))
	}
	return b.readVar(v, b.cur)
}

func (b *Builder) readVar(v Variable, blk Block) Value {
	if val, ok := b.defs[key(blk, v)]; ok {
		return b.F.Resolve(val)
	}
	return b.readVarRecursive(v, blk)
}

func (b *Builder) readVarRecursive(v Variable, blk Block) Value {
	st := b.state(blk)
	var val Value
	switch {
	case !st.sealed:
		val = b.addVarParam(blk, v)
		st.incomplete = append(st.incomplete, incomplete{v, val})
	case len(st.preds) == 1:
		val = b.readVar(v, b.F.Insts[st.preds[0].inst].Block)
	case len(st.preds) == 0:
		if blk == b.F.Entry() {
			panic(fmt.Sprintf("BUG: variable %d used before any definition", v))
		}
		val = b.zeroAtStart(blk, b.varTypes[v]) // unreachable block
	default:
		p := b.addVarParam(blk, v)
		b.defs[key(blk, v)] = p
		val = b.addParamOperands(v, p)
	}
	b.defs[key(blk, v)] = val
	return val
}

func (b *Builder) addVarParam(blk Block, v Variable) Value {
	b.state(blk).varParams++
	p := b.F.AddBlockParam(blk, b.varTypes[v])
	b.isVarParam[p] = v
	return p
}

// addParamOperands appends, on every edge into p's block, v's value at the
// end of the branching block; then tries to remove p.
func (b *Builder) addParamOperands(v Variable, p Value) Value {
	blk := b.F.Values[p].Block
	for _, e := range b.state(blk).preds {
		a := b.F.Resolve(b.readVar(v, b.F.Insts[e.inst].Block))
		dc := &b.F.Insts[e.inst].Dests[e.dest]
		dc.Args = append(dc.Args, a)
		b.phiUsers[a] = append(b.phiUsers[a], p)
	}
	return b.tryRemoveTrivial(p)
}

// tryRemoveTrivial removes variable parameter p if every edge passes the
// same value or p itself, and returns the value that now stands for p.
func (b *Builder) tryRemoveTrivial(p Value) Value {
	f := b.F
	blk := f.Values[p].Block
	idx := f.Values[p].Num
	st := b.state(blk)
	same := NoValue
	for _, e := range st.preds {
		args := f.Insts[e.inst].Dests[e.dest].Args
		if idx >= len(args) {
			return p // operands still being added
		}
		a := f.Resolve(args[idx])
		if a == same || a == p {
			continue
		}
		if same != NoValue {
			return p
		}
		same = a
	}
	if same == NoValue { // no operand but itself: unreachable, or a loop never entered
		same = b.zeroAtStart(blk, f.Values[p].Type)
	}
	for _, e := range st.preds {
		dc := &f.Insts[e.inst].Dests[e.dest]
		dc.Args = append(dc.Args[:idx], dc.Args[idx+1:]...)
	}
	f.RemoveBlockParam(blk, idx)
	st.varParams--
	delete(b.isVarParam, p)
	f.SetAlias(p, same)
	users := b.phiUsers[p]
	delete(b.phiUsers, p)
	b.phiUsers[same] = append(b.phiUsers[same], users...)
	for _, u := range users {
		if u != p && f.Values[u].Kind == ValueParam {
			if _, ok := b.isVarParam[u]; ok {
				b.tryRemoveTrivial(u)
			}
		}
	}
	return same
}

// zeroAtStart inserts a zero of type t at the start of blk. Wasm locals are
// zero-initialized, so this is the value of a variable in code that no
// definition reaches (only unreachable code).
func (b *Builder) zeroAtStart(blk Block, t Type) Value {
	d := InstData{Type: t, Pos: b.pos}
	switch {
	case t.IsInt():
		d.Op = OpIconst
	case t.IsFloat():
		d.Op = OpFconst
	case t.IsRef():
		d.Op = OpRefNull
	default:
		panic(fmt.Sprintf("BUG: no zero value for %s", t))
	}
	i := b.F.NewInst(d)
	b.F.InsertInst(blk, 0, i)
	return b.F.Insts[i].Results[0]
}

// SealBlock declares that all branches to blk have been emitted, and
// completes its incomplete variable parameters.
func (b *Builder) SealBlock(blk Block) {
	st := b.state(blk)
	if st.sealed {
		return
	}
	st.sealed = true
	inc := st.incomplete
	st.incomplete = nil
	for _, ic := range inc {
		b.addParamOperands(ic.v, ic.param)
	}
}

// SealAllBlocks seals every block not yet sealed.
func (b *Builder) SealAllBlocks() {
	for _, blk := range b.F.Layout {
		b.SealBlock(blk)
	}
}

// Finish checks that every block is sealed and rewrites aliases away. The
// function is then ready for Verify and the passes.
func (b *Builder) Finish() error {
	for _, blk := range b.F.Layout {
		if !b.state(blk).sealed {
			return fmt.Errorf("ir: build func %%%s: %s was never sealed (call SealBlock once all branches to it exist)", quoteName(b.F.Name), blk)
		}
	}
	b.F.ResolveAliases()
	return nil
}
