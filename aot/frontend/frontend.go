// Package frontend translates the body of one validated Wasm function
// (wasmc.Module) into mwasm's SSA IR (aot/ir). It is the first stage of the
// AOT compiler: Wasm -> IR (here) -> passes (aot/passes) -> x86-64.
//
// # How it works
//
// Translate walks the body once, in order, with the Wasm operand stack
// replaced by a stack of IR values: an instruction pops the values of its
// operands and pushes the values of its results, so no stack traffic
// remains in the IR. wasmc.InstrReader decodes each instruction and its
// immediates (the encoding is known in wasmc only); ops.go maps the
// numeric instructions, loads and stores to IR opcodes. Locals are ir.Builder variables (DefVar/UseVar), and
// the builder constructs SSA form with Braun et al.'s algorithm: parameters
// are the entry block's parameters, declared locals start as zero constants.
//
// Structured control flow maps to blocks with block parameters:
//
//   - block: no new IR block at its start; its end is a continuation block
//     whose parameters are the block's results, created only when some
//     branch targets it (otherwise the code just falls through);
//   - loop: a header block whose parameters are the loop's parameters;
//     branches to the loop jump there; it is sealed at the loop's end, when
//     every back edge exists;
//   - if: brif to a then block and an else block (both with no parameters:
//     the if's parameters are ordinary values that dominate both), joined
//     in a continuation block; without an else, the else block passes the
//     parameters straight to the continuation;
//   - br / br_if / br_table pass the top values of the stack as arguments
//     to the target's parameters; branching to the function's outermost
//     label goes to a return block.
//
// After br, br_table, return and unreachable the rest of the enclosing
// block is unreachable; the spec's stack is polymorphic there, so that code
// is skipped (only block nesting is tracked) up to the matching else or end.
//
// Every instruction records the file offset of the Wasm instruction it
// came from (ir.InstData.Pos), for trap reports. Memory accesses stay high
// level (load/store with a memory index and offset); Options.BoundsChecks
// decides whether each is marked ir.MemChecked (explicit bounds check) or
// left to a guard region. Globals, tables, calls and bulk operations also
// stay high level; the back end lowers them with the vmctx layout
// (aot/vm).
package frontend

import (
	"fmt"

	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/wasmc"
)

// BoundsMode says how linear-memory accesses are bounds-checked.
type BoundsMode uint8

const (
	// BoundsGuard relies on a guard region after the memory (the platform
	// reserves vm.GuardReservation bytes, more than any 32-bit address
	// plus 32-bit offset can reach): accesses are not marked.
	BoundsGuard BoundsMode = iota
	// BoundsExplicit marks every access ir.MemChecked: the back end emits
	// an explicit comparison with the memory's current size.
	BoundsExplicit
)

// Options control Translate.
type Options struct {
	BoundsChecks BoundsMode
}

// FuncName is the name of function funcIndex: from the name section if it
// has one, else "func[N]".
func FuncName(m *wasmc.Module, funcIndex uint32) string {
	if m.Names != nil {
		if n, ok := m.Names.Funcs[funcIndex]; ok && n != "" {
			return n
		}
	}
	return fmt.Sprintf("func[%d]", funcIndex)
}

// ValType converts a Wasm value type to an IR type.
func ValType(t wasmc.ValType) ir.Type {
	switch t {
	case wasmc.I32:
		return ir.I32
	case wasmc.I64:
		return ir.I64
	case wasmc.F32:
		return ir.F32
	case wasmc.F64:
		return ir.F64
	case wasmc.V128:
		return ir.V128
	case wasmc.FuncRef:
		return ir.FuncRef
	case wasmc.ExternRef:
		return ir.ExternRef
	}
	return ir.InvalidType
}

func valTypes(ts []wasmc.ValType) []ir.Type {
	out := make([]ir.Type, len(ts))
	for i, t := range ts {
		out[i] = ValType(t)
	}
	return out
}

// Signature converts a Wasm function type to an IR signature.
func Signature(ft wasmc.FuncType) ir.Signature {
	return ir.Signature{Params: valTypes(ft.Params), Results: valTypes(ft.Results)}
}

type frame struct {
	kind     byte // wasmc.OpBlock, OpLoop, OpIf, or 0 for the function body
	params   []ir.Type
	results  []ir.Type
	base     int      // stack height below the frame's parameters
	header   ir.Block // loop: the header
	end      ir.Block // continuation (created on first use), NoBlock if none yet
	elseBlk  ir.Block // if: the else block
	ifParams []ir.Value
	hadElse  bool
}

type translator struct {
	m     *wasmc.Module
	opts  Options
	f     *ir.Func
	b     *ir.Builder
	r     wasmc.InstrReader
	ins   wasmc.Instr
	stack []ir.Value
	ctrl  []frame

	numLocals  int
	globals    []wasmc.GlobalType
	tables     []wasmc.TableType
	dead       bool // the current point is unreachable
	deadDepth  int  // blocks opened inside unreachable code
	funcIndex  uint32
	bodyOffset int
	pos        int // file offset of the current instruction
}

// Translate translates defined function funcIndex (an index in the
// function index space, so imports come first) of the validated module m
// into IR. The result has not been verified or optimized.
func Translate(m *wasmc.Module, funcIndex uint32, opts Options) (f *ir.Func, err error) {
	if m == nil {
		return nil, fmt.Errorf("frontend: no module")
	}
	def := int64(funcIndex) - int64(m.NumImportedFuncs)
	if def < 0 || def >= int64(len(m.Funcs)) || def >= int64(len(m.Code)) {
		return nil, fmt.Errorf("frontend: function %d is not a defined function (the module imports %d and defines %d; pass an index in [%d, %d))",
			funcIndex, m.NumImportedFuncs, len(m.Funcs), m.NumImportedFuncs, m.NumFuncs())
	}
	ti := m.Funcs[def]
	if int(ti) >= len(m.Types) {
		return nil, fmt.Errorf("frontend: function %d has type index %d out of range (validate the module first)", funcIndex, ti)
	}
	code := &m.Code[def]
	t := &translator{m: m, opts: opts, funcIndex: funcIndex, bodyOffset: code.BodyOffset}
	t.r = wasmc.NewBodyReader(code, int(funcIndex))
	sig := Signature(m.Types[ti])
	t.f = ir.NewFunc(FuncName(m, funcIndex), sig)
	t.b = ir.NewBuilder(t.f)
	for _, im := range m.Imports {
		switch im.Kind {
		case wasmc.KindGlobal:
			t.globals = append(t.globals, im.Global)
		case wasmc.KindTable:
			t.tables = append(t.tables, im.Table)
		}
	}
	for _, g := range m.Globals {
		t.globals = append(t.globals, g.Type)
	}
	t.tables = append(t.tables, m.Tables...)

	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("frontend: func %d (%s) at offset %#x: %v (is the module validated?)", funcIndex, t.f.Name, t.pos, p)
		}
	}()
	if err := t.translate(code, sig); err != nil {
		return nil, fmt.Errorf("frontend: func %d (%s): %v", funcIndex, t.f.Name, err)
	}
	return t.f, nil
}

func (t *translator) translate(code *wasmc.Code, sig ir.Signature) error {
	b := t.b
	entry := b.CreateBlock()
	b.SwitchToBlock(entry)
	b.SetPos(uint32(code.BodyOffset))
	for _, pt := range sig.Params {
		p := b.AppendBlockParam(entry, pt)
		v := b.DeclareVar(pt)
		b.DefVar(v, p)
	}
	b.SealBlock(entry)
	zeros := map[ir.Type]ir.Value{}
	for _, g := range code.Locals {
		lt := ValType(g.Type)
		if g.Count == 0 {
			continue
		}
		z, ok := zeros[lt]
		if !ok {
			z = t.zero(lt)
			zeros[lt] = z
		}
		for i := uint32(0); i < g.Count; i++ {
			b.DefVar(b.DeclareVar(lt), z)
		}
	}
	t.numLocals = len(sig.Params) + int(code.NumLocals)
	t.ctrl = append(t.ctrl, frame{kind: 0, results: sig.Results, end: ir.NoBlock, elseBlk: ir.NoBlock})
	for len(t.ctrl) > 0 {
		if t.r.EOF() {
			return fmt.Errorf("unexpected end of function body (END opcode expected)")
		}
		t.pos = t.r.Offset()
		t.b.SetPos(uint32(t.pos))
		if err := t.r.Next(&t.ins); err != nil {
			return err
		}
		var err error
		if t.dead {
			err = t.skip(&t.ins)
		} else {
			err = t.step(&t.ins)
		}
		if err != nil {
			return err
		}
	}
	if !t.r.EOF() {
		return fmt.Errorf("%d bytes after the final end of the function body", t.r.Remaining())
	}
	return t.b.Finish()
}

func (t *translator) zero(lt ir.Type) ir.Value {
	b := t.b
	switch {
	case lt.IsInt():
		return b.Iconst(lt, 0)
	case lt == ir.F32:
		return b.F32const(0)
	case lt == ir.F64:
		return b.F64const(0)
	case lt.IsRef():
		return t.ins1(ir.InstData{Op: ir.OpRefNull, Type: lt})
	}
	panic(fmt.Sprintf("unsupported local type %s", lt))
}

func (t *translator) ins1(d ir.InstData) ir.Value { return t.f.Insts[t.b.Ins(d)].Results[0] }

func (t *translator) push(v ir.Value) { t.stack = append(t.stack, v) }

// base is the stack height below which the innermost block may not pop.
func (t *translator) base() int {
	if len(t.ctrl) == 0 {
		return 0
	}
	return t.ctrl[len(t.ctrl)-1].base
}

func (t *translator) pop() ir.Value {
	if len(t.stack) <= t.base() {
		panic("operand stack underflow")
	}
	v := t.stack[len(t.stack)-1]
	t.stack = t.stack[:len(t.stack)-1]
	return v
}

// popN pops n values, returning them in stack order (a fresh slice).
func (t *translator) popN(n int) []ir.Value {
	vs := t.topN(n)
	t.stack = t.stack[:len(t.stack)-n]
	return vs
}

// topN copies the top n values, in stack order.
func (t *translator) topN(n int) []ir.Value {
	if n > len(t.stack)-t.base() {
		panic("operand stack underflow")
	}
	return append([]ir.Value(nil), t.stack[len(t.stack)-n:]...)
}

// blockType returns the parameter and result types of a block type.
func (t *translator) blockType(bt wasmc.BlockType) ([]ir.Type, []ir.Type, error) {
	switch bt.Kind {
	case wasmc.BlockValue:
		return nil, []ir.Type{ValType(bt.Val)}, nil
	case wasmc.BlockIndex:
		if int64(bt.Index) >= int64(len(t.m.Types)) {
			return nil, nil, fmt.Errorf("at offset %#x: block type index %d out of range", t.pos, bt.Index)
		}
		ft := t.m.Types[bt.Index]
		return valTypes(ft.Params), valTypes(ft.Results), nil
	}
	return nil, nil, nil
}

// labelTarget returns the block that a branch to label l goes to, and the
// types it carries.
func (t *translator) labelTarget(l uint32) (ir.Block, []ir.Type) {
	if int64(l) >= int64(len(t.ctrl)) {
		panic(fmt.Sprintf("branch to label %d, but only %d blocks are open", l, len(t.ctrl)))
	}
	fr := &t.ctrl[len(t.ctrl)-1-int(l)]
	if fr.kind == wasmc.OpLoop {
		return fr.header, fr.params
	}
	return t.endBlock(fr), fr.results
}

func (t *translator) endBlock(fr *frame) ir.Block {
	if fr.end == ir.NoBlock {
		fr.end = t.b.CreateBlock()
		for _, rt := range fr.results {
			t.b.AppendBlockParam(fr.end, rt)
		}
	}
	return fr.end
}

func (t *translator) setDead() {
	t.dead = true
	t.deadDepth = 0
}

func (t *translator) memFlags() ir.MemFlags {
	if t.opts.BoundsChecks == BoundsExplicit {
		return ir.MemChecked
	}
	return 0
}

// step translates one instruction of reachable code.
func (t *translator) step(ins *wasmc.Instr) error {
	b := t.b
	switch op := ins.Op; op {
	case wasmc.OpUnreachable:
		b.Trap(ir.TrapUnreachable)
		t.setDead()
	case wasmc.OpNop:
	case wasmc.OpBlock:
		params, results, err := t.blockType(ins.Block)
		if err != nil {
			return err
		}
		t.ctrl = append(t.ctrl, frame{kind: op, params: params, results: results,
			base: len(t.stack) - len(params), end: ir.NoBlock, elseBlk: ir.NoBlock})
	case wasmc.OpLoop:
		params, results, err := t.blockType(ins.Block)
		if err != nil {
			return err
		}
		args := t.popN(len(params))
		h := b.CreateBlock()
		for _, pt := range params {
			b.AppendBlockParam(h, pt)
		}
		b.Jump(h, args...)
		b.SwitchToBlock(h)
		t.ctrl = append(t.ctrl, frame{kind: op, params: params, results: results,
			base: len(t.stack), header: h, end: ir.NoBlock, elseBlk: ir.NoBlock})
		t.stack = append(t.stack, t.f.Blocks[h].Params...)
	case wasmc.OpIf:
		params, results, err := t.blockType(ins.Block)
		if err != nil {
			return err
		}
		cond := t.pop()
		args := t.topN(len(params))
		thenBlk, elseBlk := b.CreateBlock(), b.CreateBlock()
		b.Brif(cond, thenBlk, nil, elseBlk, nil)
		b.SealBlock(thenBlk)
		b.SealBlock(elseBlk)
		b.SwitchToBlock(thenBlk)
		t.ctrl = append(t.ctrl, frame{kind: op, params: params, results: results,
			base: len(t.stack) - len(params), end: ir.NoBlock, elseBlk: elseBlk, ifParams: args})
	case wasmc.OpElse:
		t.doElse()
	case wasmc.OpEnd:
		t.doEnd()
	case wasmc.OpBr:
		dst, ts := t.labelTarget(ins.A)
		b.Jump(dst, t.topN(len(ts))...)
		t.setDead()
	case wasmc.OpBrIf:
		cond := t.pop()
		dst, ts := t.labelTarget(ins.A)
		cont := b.CreateBlock()
		b.Brif(cond, dst, t.topN(len(ts)), cont, nil)
		b.SealBlock(cont)
		b.SwitchToBlock(cont)
	case wasmc.OpBrTable:
		idx := t.pop()
		targets := make([]ir.BlockCall, len(ins.Labels))
		for i, l := range ins.Labels {
			dst, ts := t.labelTarget(l)
			targets[i] = ir.BlockCall{Block: dst, Args: t.topN(len(ts))}
		}
		dst, ts := t.labelTarget(ins.A)
		b.BrTable(idx, targets, ir.BlockCall{Block: dst, Args: t.topN(len(ts))})
		t.setDead()
	case wasmc.OpReturn:
		b.Return(t.topN(len(t.f.Sig.Results))...)
		t.setDead()
	case wasmc.OpCall:
		fn := ins.A
		ti, ok := t.m.FuncTypeIndex(fn)
		if !ok || int(ti) >= len(t.m.Types) {
			return fmt.Errorf("at offset %#x: call of unknown function %d", t.pos, fn)
		}
		sig := Signature(t.m.Types[ti])
		args := t.popN(len(sig.Params))
		t.stack = append(t.stack, b.Call(fn, sig, args...)...)
	case wasmc.OpCallIndirect:
		ti, table := ins.A, ins.B
		if int(ti) >= len(t.m.Types) {
			return fmt.Errorf("at offset %#x: call_indirect with unknown type %d", t.pos, ti)
		}
		sig := Signature(t.m.Types[ti])
		callee := t.pop()
		args := t.popN(len(sig.Params))
		t.stack = append(t.stack, b.CallIndirect(ti, sig, table, callee, args...)...)
	case wasmc.OpDrop:
		t.pop()
	case wasmc.OpSelect, wasmc.OpSelectT:
		cond := t.pop()
		y := t.pop()
		x := t.pop()
		t.push(b.Select(t.f.ValueType(x), cond, x, y))
	case wasmc.OpLocalGet, wasmc.OpLocalSet, wasmc.OpLocalTee:
		i := ins.A
		if int64(i) >= int64(t.numLocals) {
			return fmt.Errorf("at offset %#x: local %d out of range (%d locals)", t.pos, i, t.numLocals)
		}
		v := ir.Variable(i)
		switch op {
		case wasmc.OpLocalGet:
			t.push(b.UseVar(v))
		case wasmc.OpLocalSet:
			b.DefVar(v, t.pop())
		default:
			x := t.pop()
			b.DefVar(v, x)
			t.push(x)
		}
	case wasmc.OpGlobalGet:
		g := ins.A
		if int(g) >= len(t.globals) {
			return fmt.Errorf("at offset %#x: global %d out of range", t.pos, g)
		}
		t.push(t.ins1(ir.InstData{Op: ir.OpGlobalGet, Type: ValType(t.globals[g].Type), Index: g}))
	case wasmc.OpGlobalSet:
		b.Ins(ir.InstData{Op: ir.OpGlobalSet, Index: ins.A, Args: []ir.Value{t.pop()}})
	case wasmc.OpTableGet:
		tb := ins.A
		if int(tb) >= len(t.tables) {
			return fmt.Errorf("at offset %#x: table %d out of range", t.pos, tb)
		}
		i := t.pop()
		t.push(t.ins1(ir.InstData{Op: ir.OpTableGet, Type: ValType(t.tables[tb].Elem), Index: tb, Args: []ir.Value{i}}))
	case wasmc.OpTableSet:
		ref := t.pop()
		i := t.pop()
		b.Ins(ir.InstData{Op: ir.OpTableSet, Index: ins.A, Args: []ir.Value{i, ref}})
	case wasmc.OpMemorySize:
		t.push(t.ins1(ir.InstData{Op: ir.OpMemorySize}))
	case wasmc.OpMemoryGrow:
		t.push(t.ins1(ir.InstData{Op: ir.OpMemoryGrow, Args: []ir.Value{t.pop()}}))
	case wasmc.OpI32Const:
		t.push(b.Iconst(ir.I32, int64(int32(ins.Imm))))
	case wasmc.OpI64Const:
		t.push(b.Iconst(ir.I64, int64(ins.Imm)))
	case wasmc.OpF32Const:
		t.push(b.F32const(uint32(ins.Imm)))
	case wasmc.OpF64Const:
		t.push(b.F64const(ins.Imm))
	case wasmc.OpRefNull:
		rt := ValType(ins.Ref)
		if !rt.IsRef() {
			return fmt.Errorf("at offset %#x: ref.null of a non-reference type", t.pos)
		}
		t.push(t.ins1(ir.InstData{Op: ir.OpRefNull, Type: rt}))
	case wasmc.OpRefIsNull:
		t.push(t.ins1(ir.InstData{Op: ir.OpRefIsNull, Args: []ir.Value{t.pop()}}))
	case wasmc.OpRefFunc:
		t.push(t.ins1(ir.InstData{Op: ir.OpRefFunc, Index: ins.A}))
	case wasmc.OpPrefixFC:
		return t.stepFC(ins)
	default:
		switch {
		case op >= wasmc.OpI32Load && op <= wasmc.OpI64Store32:
			// ins.A is the alignment hint: irrelevant to semantics.
			mo := memOps[op-wasmc.OpI32Load]
			off := uint64(ins.B)
			if mo.store {
				val := t.pop()
				addr := t.pop()
				b.Store(mo.op, mo.t, 0, addr, off, val, t.memFlags())
			} else {
				t.push(b.Load(mo.op, mo.t, 0, t.pop(), off, t.memFlags()))
			}
		case numOps[op].kind != numNone:
			t.numeric(numOps[op])
		default:
			return fmt.Errorf("at offset %#x: unsupported opcode %#02x", t.pos, op)
		}
	}
	return nil
}

func (t *translator) numeric(n numOp) {
	b := t.b
	switch n.kind {
	case numUnary:
		x := t.pop()
		if n.op == ir.OpEqz {
			t.push(b.Unary(n.op, t.f.ValueType(x), x))
		} else {
			t.push(b.Unary(n.op, n.t, x))
		}
	case numBinary:
		y := t.pop()
		x := t.pop()
		t.push(b.Binary(n.op, n.t, x, y))
	case numIcmp:
		y := t.pop()
		x := t.pop()
		t.push(b.Icmp(ir.IntCC(n.cond), x, y))
	case numFcmp:
		y := t.pop()
		x := t.pop()
		t.push(b.Fcmp(ir.FloatCC(n.cond), x, y))
	}
}

func (t *translator) stepFC(ins *wasmc.Instr) error {
	b := t.b
	sub := ins.Sub
	if sub <= wasmc.FCTruncSatLast {
		t.numeric(satOps[sub])
		return nil
	}
	three := func() []ir.Value { return t.popN(3) }
	switch sub {
	case wasmc.FCMemoryInit:
		b.Ins(ir.InstData{Op: ir.OpMemoryInit, Index: 0, Index2: ins.A, Args: three()})
	case wasmc.FCDataDrop:
		b.Ins(ir.InstData{Op: ir.OpDataDrop, Index: ins.A})
	case wasmc.FCMemoryCopy:
		b.Ins(ir.InstData{Op: ir.OpMemoryCopy, Index: 0, Index2: 0, Args: three()})
	case wasmc.FCMemoryFill:
		b.Ins(ir.InstData{Op: ir.OpMemoryFill, Index: 0, Args: three()})
	case wasmc.FCTableInit:
		// table.init elem table: A is the segment, B the table.
		b.Ins(ir.InstData{Op: ir.OpTableInit, Index: ins.B, Index2: ins.A, Args: three()})
	case wasmc.FCElemDrop:
		b.Ins(ir.InstData{Op: ir.OpElemDrop, Index: ins.A})
	case wasmc.FCTableCopy:
		// table.copy dst src.
		b.Ins(ir.InstData{Op: ir.OpTableCopy, Index: ins.A, Index2: ins.B, Args: three()})
	case wasmc.FCTableGrow:
		delta := t.pop()
		init := t.pop()
		t.push(t.ins1(ir.InstData{Op: ir.OpTableGrow, Index: ins.A, Args: []ir.Value{init, delta}}))
	case wasmc.FCTableSize:
		t.push(t.ins1(ir.InstData{Op: ir.OpTableSize, Index: ins.A}))
	case wasmc.FCTableFill:
		b.Ins(ir.InstData{Op: ir.OpTableFill, Index: ins.A, Args: three()})
	default:
		return fmt.Errorf("at offset %#x: unsupported opcode 0xfc %d", t.pos, sub)
	}
	return nil
}

// doElse ends the then arm of the innermost if and starts its else arm.
func (t *translator) doElse() {
	fr := &t.ctrl[len(t.ctrl)-1]
	if fr.kind != wasmc.OpIf || fr.hadElse {
		panic("else without a matching if")
	}
	if !t.dead {
		end := t.endBlock(fr)
		t.b.Jump(end, t.popN(len(fr.results))...)
	}
	t.dead = false
	t.deadDepth = 0
	t.stack = append(t.stack[:fr.base], fr.ifParams...)
	fr.hadElse = true
	t.b.SwitchToBlock(fr.elseBlk)
}

// doEnd closes the innermost block.
func (t *translator) doEnd() {
	b := t.b
	fr := t.ctrl[len(t.ctrl)-1]
	if fr.kind == wasmc.OpLoop {
		b.SealBlock(fr.header)
		t.ctrl = t.ctrl[:len(t.ctrl)-1]
		// Falling out of a loop continues in the same block, with the
		// results on the stack.
		return
	}
	if !t.dead {
		if fr.end == ir.NoBlock && fr.kind != wasmc.OpIf {
			// Nothing branches to the end: fall through.
			t.ctrl = t.ctrl[:len(t.ctrl)-1]
			if fr.kind == 0 {
				b.Return(t.popN(len(fr.results))...)
				t.setDead()
			}
			return
		}
		end := t.endBlock(&t.ctrl[len(t.ctrl)-1])
		b.Jump(end, t.popN(len(fr.results))...)
	}
	if fr.kind == wasmc.OpIf && !fr.hadElse {
		end := t.endBlock(&t.ctrl[len(t.ctrl)-1])
		b.SwitchToBlock(fr.elseBlk)
		b.Jump(end, fr.ifParams...)
	}
	fr = t.ctrl[len(t.ctrl)-1]
	t.ctrl = t.ctrl[:len(t.ctrl)-1]
	t.stack = t.stack[:fr.base]
	if fr.end == ir.NoBlock {
		t.setDead()
		return
	}
	b.SealBlock(fr.end)
	b.SwitchToBlock(fr.end)
	t.dead = false
	t.deadDepth = 0
	t.stack = append(t.stack, t.f.Blocks[fr.end].Params...)
	if fr.kind == 0 {
		b.Return(t.popN(len(fr.results))...)
		t.setDead()
	}
}

// skip handles one instruction of unreachable code (its immediates are
// already read), tracking block nesting so that the else or end that closes
// the current block is handled.
func (t *translator) skip(ins *wasmc.Instr) error {
	switch ins.Op {
	case wasmc.OpBlock, wasmc.OpLoop, wasmc.OpIf:
		t.deadDepth++
	case wasmc.OpElse:
		if t.deadDepth == 0 {
			t.doElse()
		}
	case wasmc.OpEnd:
		if t.deadDepth == 0 {
			t.doEnd()
		} else {
			t.deadDepth--
		}
	}
	return nil
}
