// Package frontend translates the body of one validated Wasm function
// (wasmc.Module) into mwasm's SSA IR (aot/ir). It is the first stage of the
// AOT compiler: Wasm -> IR (here) -> passes (aot/passes) -> x86-64.
//
// # How it works
//
// Translate walks the body once, in order, with the Wasm operand stack
// replaced by a stack of IR values: an instruction pops the values of its
// operands and pushes the values of its results, so no stack traffic
// remains in the IR. Locals are ir.Builder variables (DefVar/UseVar), and
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
	kind     byte // opBlock, opLoop, opIf, or 0 for the function body
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
	r     reader
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
	t.r = reader{b: code.Body, base: code.BodyOffset}
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
		if t.r.eof() {
			return fmt.Errorf("unexpected end of function body (END opcode expected)")
		}
		if err := t.step(); err != nil {
			return err
		}
		if t.r.err != nil {
			return t.r.err
		}
	}
	if !t.r.eof() {
		return fmt.Errorf("%d bytes after the final end of the function body", len(t.r.b)-t.r.pos)
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

// blockType reads a block type and returns its parameter and result types.
func (t *translator) blockType() ([]ir.Type, []ir.Type) {
	r := &t.r
	if r.pos >= len(r.b) {
		r.fail("unexpected end of function body")
		return nil, nil
	}
	c := r.b[r.pos]
	if c == 0x40 {
		r.pos++
		return nil, nil
	}
	if c&0xC0 == 0x40 {
		r.pos++
		vt := ValType(wasmc.ValType(c))
		if vt == ir.InvalidType {
			r.fail("malformed block type %#x", c)
		}
		return nil, []ir.Type{vt}
	}
	idx := r.s33()
	if idx < 0 || idx >= int64(len(t.m.Types)) {
		r.fail("block type index %d out of range", idx)
		return nil, nil
	}
	ft := t.m.Types[idx]
	return valTypes(ft.Params), valTypes(ft.Results)
}

// labelTarget returns the block that a branch to label l goes to, and the
// types it carries.
func (t *translator) labelTarget(l uint32) (ir.Block, []ir.Type) {
	if int64(l) >= int64(len(t.ctrl)) {
		panic(fmt.Sprintf("branch to label %d, but only %d blocks are open", l, len(t.ctrl)))
	}
	fr := &t.ctrl[len(t.ctrl)-1-int(l)]
	if fr.kind == opLoop {
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

func (t *translator) step() error {
	r := &t.r
	t.pos = r.base + r.pos
	t.b.SetPos(uint32(t.pos))
	op := r.byte()
	if t.dead {
		return t.skip(op)
	}
	b := t.b
	switch op {
	case opUnreachable:
		b.Trap(ir.TrapUnreachable)
		t.setDead()
	case opNop:
	case opBlock:
		params, results := t.blockType()
		t.ctrl = append(t.ctrl, frame{kind: opBlock, params: params, results: results,
			base: len(t.stack) - len(params), end: ir.NoBlock, elseBlk: ir.NoBlock})
	case opLoop:
		params, results := t.blockType()
		args := t.popN(len(params))
		h := b.CreateBlock()
		for _, pt := range params {
			b.AppendBlockParam(h, pt)
		}
		b.Jump(h, args...)
		b.SwitchToBlock(h)
		t.ctrl = append(t.ctrl, frame{kind: opLoop, params: params, results: results,
			base: len(t.stack), header: h, end: ir.NoBlock, elseBlk: ir.NoBlock})
		t.stack = append(t.stack, t.f.Blocks[h].Params...)
	case opIf:
		params, results := t.blockType()
		cond := t.pop()
		args := t.topN(len(params))
		thenBlk, elseBlk := b.CreateBlock(), b.CreateBlock()
		b.Brif(cond, thenBlk, nil, elseBlk, nil)
		b.SealBlock(thenBlk)
		b.SealBlock(elseBlk)
		b.SwitchToBlock(thenBlk)
		t.ctrl = append(t.ctrl, frame{kind: opIf, params: params, results: results,
			base: len(t.stack) - len(params), end: ir.NoBlock, elseBlk: elseBlk, ifParams: args})
	case opElse:
		t.doElse()
	case opEnd:
		t.doEnd()
	case opBr:
		l := r.u32()
		dst, ts := t.labelTarget(l)
		b.Jump(dst, t.topN(len(ts))...)
		t.setDead()
	case opBrIf:
		l := r.u32()
		cond := t.pop()
		dst, ts := t.labelTarget(l)
		cont := b.CreateBlock()
		b.Brif(cond, dst, t.topN(len(ts)), cont, nil)
		b.SealBlock(cont)
		b.SwitchToBlock(cont)
	case opBrTable:
		n := r.u32()
		if uint64(n) > uint64(len(r.b)) {
			r.fail("br_table with %d labels is longer than the body", n)
			return nil
		}
		labels := make([]uint32, n)
		for i := range labels {
			labels[i] = r.u32()
		}
		def := r.u32()
		if r.err != nil {
			return nil
		}
		idx := t.pop()
		targets := make([]ir.BlockCall, n)
		for i, l := range labels {
			dst, ts := t.labelTarget(l)
			targets[i] = ir.BlockCall{Block: dst, Args: t.topN(len(ts))}
		}
		dst, ts := t.labelTarget(def)
		b.BrTable(idx, targets, ir.BlockCall{Block: dst, Args: t.topN(len(ts))})
		t.setDead()
	case opReturn:
		b.Return(t.topN(len(t.f.Sig.Results))...)
		t.setDead()
	case opCall:
		fn := r.u32()
		ti, ok := t.m.FuncTypeIndex(fn)
		if !ok || int(ti) >= len(t.m.Types) {
			return fmt.Errorf("at offset %#x: call of unknown function %d", t.pos, fn)
		}
		sig := Signature(t.m.Types[ti])
		args := t.popN(len(sig.Params))
		t.stack = append(t.stack, b.Call(fn, sig, args...)...)
	case opCallIndirect:
		ti := r.u32()
		table := r.u32()
		if r.err != nil {
			return nil
		}
		if int(ti) >= len(t.m.Types) {
			return fmt.Errorf("at offset %#x: call_indirect with unknown type %d", t.pos, ti)
		}
		sig := Signature(t.m.Types[ti])
		callee := t.pop()
		args := t.popN(len(sig.Params))
		t.stack = append(t.stack, b.CallIndirect(ti, sig, table, callee, args...)...)
	case opDrop:
		t.pop()
	case opSelect, opSelectT:
		if op == opSelectT {
			n := r.u32()
			for i := uint32(0); i < n && r.err == nil; i++ {
				r.byte()
			}
		}
		cond := t.pop()
		y := t.pop()
		x := t.pop()
		t.push(b.Select(t.f.ValueType(x), cond, x, y))
	case opLocalGet, opLocalSet, opLocalTee:
		i := r.u32()
		if int64(i) >= int64(t.numLocals) {
			return fmt.Errorf("at offset %#x: local %d out of range (%d locals)", t.pos, i, t.numLocals)
		}
		v := ir.Variable(i)
		switch op {
		case opLocalGet:
			t.push(b.UseVar(v))
		case opLocalSet:
			b.DefVar(v, t.pop())
		default:
			x := t.pop()
			b.DefVar(v, x)
			t.push(x)
		}
	case opGlobalGet:
		g := r.u32()
		if int(g) >= len(t.globals) {
			return fmt.Errorf("at offset %#x: global %d out of range", t.pos, g)
		}
		t.push(t.ins1(ir.InstData{Op: ir.OpGlobalGet, Type: ValType(t.globals[g].Type), Index: g}))
	case opGlobalSet:
		g := r.u32()
		b.Ins(ir.InstData{Op: ir.OpGlobalSet, Index: g, Args: []ir.Value{t.pop()}})
	case opTableGet:
		tb := r.u32()
		if int(tb) >= len(t.tables) {
			return fmt.Errorf("at offset %#x: table %d out of range", t.pos, tb)
		}
		i := t.pop()
		t.push(t.ins1(ir.InstData{Op: ir.OpTableGet, Type: ValType(t.tables[tb].Elem), Index: tb, Args: []ir.Value{i}}))
	case opTableSet:
		tb := r.u32()
		ref := t.pop()
		i := t.pop()
		b.Ins(ir.InstData{Op: ir.OpTableSet, Index: tb, Args: []ir.Value{i, ref}})
	case opMemorySize, opMemoryGrow:
		r.byte() // memory index 0
		if op == opMemorySize {
			t.push(t.ins1(ir.InstData{Op: ir.OpMemorySize}))
		} else {
			t.push(t.ins1(ir.InstData{Op: ir.OpMemoryGrow, Args: []ir.Value{t.pop()}}))
		}
	case opI32Const:
		t.push(b.Iconst(ir.I32, int64(r.s32())))
	case opI64Const:
		t.push(b.Iconst(ir.I64, r.s64()))
	case opF32Const:
		t.push(b.F32const(uint32(r.fixed(4))))
	case opF64Const:
		t.push(b.F64const(r.fixed(8)))
	case opRefNull:
		rt := ValType(wasmc.ValType(r.byte()))
		if !rt.IsRef() {
			return fmt.Errorf("at offset %#x: ref.null of a non-reference type", t.pos)
		}
		t.push(t.ins1(ir.InstData{Op: ir.OpRefNull, Type: rt}))
	case opRefIsNull:
		t.push(t.ins1(ir.InstData{Op: ir.OpRefIsNull, Args: []ir.Value{t.pop()}}))
	case opRefFunc:
		t.push(t.ins1(ir.InstData{Op: ir.OpRefFunc, Index: r.u32()}))
	case opPrefixFC:
		return t.stepFC()
	default:
		switch {
		case op >= opMemFirst && op <= opMemLast:
			mo := memOps[op-opMemFirst]
			r.u32() // alignment hint: irrelevant to semantics
			off := uint64(r.u32())
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

func (t *translator) stepFC() error {
	r := &t.r
	b := t.b
	sub := r.u32()
	if sub <= fcSatLast {
		t.numeric(satOps[sub])
		return nil
	}
	three := func() []ir.Value { return t.popN(3) }
	switch sub {
	case fcMemoryInit:
		seg := r.u32()
		r.byte()
		b.Ins(ir.InstData{Op: ir.OpMemoryInit, Index: 0, Index2: seg, Args: three()})
	case fcDataDrop:
		b.Ins(ir.InstData{Op: ir.OpDataDrop, Index: r.u32()})
	case fcMemoryCopy:
		r.byte()
		r.byte()
		b.Ins(ir.InstData{Op: ir.OpMemoryCopy, Index: 0, Index2: 0, Args: three()})
	case fcMemoryFill:
		r.byte()
		b.Ins(ir.InstData{Op: ir.OpMemoryFill, Index: 0, Args: three()})
	case fcTableInit:
		seg := r.u32()
		tb := r.u32()
		b.Ins(ir.InstData{Op: ir.OpTableInit, Index: tb, Index2: seg, Args: three()})
	case fcElemDrop:
		b.Ins(ir.InstData{Op: ir.OpElemDrop, Index: r.u32()})
	case fcTableCopy:
		dst := r.u32()
		src := r.u32()
		b.Ins(ir.InstData{Op: ir.OpTableCopy, Index: dst, Index2: src, Args: three()})
	case fcTableGrow:
		tb := r.u32()
		delta := t.pop()
		init := t.pop()
		t.push(t.ins1(ir.InstData{Op: ir.OpTableGrow, Index: tb, Args: []ir.Value{init, delta}}))
	case fcTableSize:
		t.push(t.ins1(ir.InstData{Op: ir.OpTableSize, Index: r.u32()}))
	case fcTableFill:
		b.Ins(ir.InstData{Op: ir.OpTableFill, Index: r.u32(), Args: three()})
	default:
		return fmt.Errorf("at offset %#x: unsupported opcode 0xfc %d", t.pos, sub)
	}
	return nil
}

// doElse ends the then arm of the innermost if and starts its else arm.
func (t *translator) doElse() {
	fr := &t.ctrl[len(t.ctrl)-1]
	if fr.kind != opIf || fr.hadElse {
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
	if fr.kind == opLoop {
		b.SealBlock(fr.header)
		t.ctrl = t.ctrl[:len(t.ctrl)-1]
		// Falling out of a loop continues in the same block, with the
		// results on the stack.
		return
	}
	if !t.dead {
		if fr.end == ir.NoBlock && fr.kind != opIf {
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
	if fr.kind == opIf && !fr.hadElse {
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

// skip reads one instruction of unreachable code, tracking block nesting
// so that the else or end that closes the current block is handled.
func (t *translator) skip(op byte) error {
	r := &t.r
	switch op {
	case opBlock, opLoop, opIf:
		t.blockType()
		t.deadDepth++
	case opElse:
		if t.deadDepth == 0 {
			t.doElse()
		}
	case opEnd:
		if t.deadDepth == 0 {
			t.doEnd()
		} else {
			t.deadDepth--
		}
	case opBr, opBrIf, opCall, opLocalGet, opLocalSet, opLocalTee, opGlobalGet, opGlobalSet,
		opTableGet, opTableSet, opRefFunc:
		r.u32()
	case opBrTable:
		n := r.u32()
		for i := uint64(0); i <= uint64(n) && r.err == nil; i++ {
			r.u32()
		}
	case opCallIndirect:
		r.u32()
		r.u32()
	case opSelectT:
		n := r.u32()
		for i := uint32(0); i < n && r.err == nil; i++ {
			r.byte()
		}
	case opMemorySize, opMemoryGrow, opRefNull:
		r.byte()
	case opI32Const, opI64Const:
		r.leb(64, true)
	case opF32Const:
		r.fixed(4)
	case opF64Const:
		r.fixed(8)
	case opPrefixFC:
		switch sub := r.u32(); sub {
		case fcMemoryInit:
			r.u32()
			r.byte()
		case fcMemoryCopy:
			r.byte()
			r.byte()
		case fcMemoryFill:
			r.byte()
		case fcDataDrop, fcElemDrop, fcTableGrow, fcTableSize, fcTableFill:
			r.u32()
		case fcTableInit, fcTableCopy:
			r.u32()
			r.u32()
		default:
			if sub > fcSatLast {
				return fmt.Errorf("at offset %#x: unsupported opcode 0xfc %d", t.pos, sub)
			}
		}
	case opUnreachable, opNop, opReturn, opDrop, opSelect, opRefIsNull:
	default:
		switch {
		case op >= opMemFirst && op <= opMemLast:
			r.u32()
			r.u32()
		case numOps[op].kind != numNone:
		default:
			return fmt.Errorf("at offset %#x: unsupported opcode %#02x", t.pos, op)
		}
	}
	return nil
}
