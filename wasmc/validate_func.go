package wasmc

import "slices"

// Function body validation: the algorithm of the spec's validation
// appendix. Two stacks are kept:
//
//   - the operand stack (vals) holds the type of each value; unknownType
//     stands for a value of any type, which appears after an instruction
//     that never falls through (unreachable, br, br_table, return) makes
//     the rest of the block "stack-polymorphic";
//   - the control stack (ctrls) has one frame per open block (the function
//     body is the outermost one), with its parameter and result types, the
//     operand stack height at its start, and whether the rest of the block
//     is unreachable.
//
// Each instruction pops its operand types (checking them) and pushes its
// results. Popping below the current frame's height is an error unless the
// frame is unreachable, in which case it yields unknownType. A branch to
// label l needs the label types of frame l: the parameters of a loop, the
// results of any other block. At end, the operand stack must hold exactly
// the frame's results.

type ctrlFrame struct {
	op          byte // OpBlock, OpLoop, OpIf, OpElse; OpBlock for the body
	start, end  []ValType
	height      int
	unreachable bool
}

type funcValidator struct {
	m       *Module
	c       *moduleCtx
	r       *reader
	vals    []ValType
	ctrls   []ctrlFrame
	params  []ValType
	code    *Code
	cum     []uint64 // cum[i]: index of the first local of group i
	scratch []ValType
}

func (v *funcValidator) fail(off int, format string, args ...any) error {
	return v.r.errAt(off, format, args...)
}

func (v *funcValidator) push(t ValType) { v.vals = append(v.vals, t) }

func (v *funcValidator) pushAll(ts []ValType) { v.vals = append(v.vals, ts...) }

func (v *funcValidator) pop(off int) (ValType, error) {
	top := &v.ctrls[len(v.ctrls)-1]
	if len(v.vals) == top.height {
		if top.unreachable {
			return unknownType, nil
		}
		return 0, v.fail(off, "type mismatch: instruction needs an operand but the stack is empty")
	}
	t := v.vals[len(v.vals)-1]
	v.vals = v.vals[:len(v.vals)-1]
	return t, nil
}

func (v *funcValidator) popExpect(off int, want ValType) (ValType, error) {
	got, err := v.pop(off)
	if err != nil {
		if want != unknownType {
			return 0, v.fail(off, "type mismatch: expected %s, but the stack is empty", want)
		}
		return 0, err
	}
	if got != want && got != unknownType && want != unknownType {
		return 0, v.fail(off, "type mismatch: expected %s, got %s", want, got)
	}
	return got, nil // unknownType stays unknown (br_table pushes back what it popped)
}

// popAll pops ts (last first); the popped types are returned in
// v.scratch, in stack order.
func (v *funcValidator) popAll(off int, ts []ValType) error {
	v.scratch = append(v.scratch[:0], ts...)
	for i := len(ts) - 1; i >= 0; i-- {
		t, err := v.popExpect(off, ts[i])
		if err != nil {
			return err
		}
		v.scratch[i] = t
	}
	return nil
}

func (v *funcValidator) pushCtrl(op byte, in, out []ValType) {
	v.ctrls = append(v.ctrls, ctrlFrame{op: op, start: in, end: out, height: len(v.vals)})
	v.pushAll(in)
}

func (v *funcValidator) popCtrl(off int) (ctrlFrame, error) {
	f := v.ctrls[len(v.ctrls)-1]
	if err := v.popAll(off, f.end); err != nil {
		return f, err
	}
	if len(v.vals) != f.height {
		return f, v.fail(off, "type mismatch: %d values left on the stack at the end of the block (block type %s -> %s)", len(v.vals)-f.height, typesString(f.start), typesString(f.end))
	}
	v.ctrls = v.ctrls[:len(v.ctrls)-1]
	return f, nil
}

func labelTypes(f *ctrlFrame) []ValType {
	if f.op == OpLoop {
		return f.start
	}
	return f.end
}

func (v *funcValidator) setUnreachable() {
	top := &v.ctrls[len(v.ctrls)-1]
	v.vals = v.vals[:top.height]
	top.unreachable = true
}

func (v *funcValidator) label(off int, l uint32) (*ctrlFrame, error) {
	if int64(l) >= int64(len(v.ctrls)) {
		return nil, v.fail(off, "unknown label %d (only %d blocks are open)", l, len(v.ctrls))
	}
	return &v.ctrls[len(v.ctrls)-1-int(l)], nil
}

func (v *funcValidator) local(off int, idx uint32) (ValType, error) {
	if int(idx) < len(v.params) {
		return v.params[idx], nil
	}
	i := uint64(idx) - uint64(len(v.params))
	if i >= v.code.NumLocals {
		return 0, v.fail(off, "unknown local %d (the function has %d)", idx, uint64(len(v.params))+v.code.NumLocals)
	}
	// Binary search for the group holding local i.
	lo, hi := 0, len(v.cum)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if v.cum[mid] <= i {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return v.code.Locals[lo].Type, nil
}

func (v *funcValidator) blockSig(off int, bt BlockType) ([]ValType, []ValType, error) {
	switch bt.Kind {
	case BlockValue:
		return nil, []ValType{bt.Val}, nil
	case BlockIndex:
		if int64(bt.Index) >= int64(len(v.m.Types)) {
			return nil, nil, v.fail(off, "unknown type %d in block type", bt.Index)
		}
		ft := v.m.Types[bt.Index]
		return ft.Params, ft.Results, nil
	}
	return nil, nil, nil
}

func (v *funcValidator) table(off int, idx uint32) (TableType, error) {
	if int64(idx) >= int64(len(v.c.tables)) {
		return TableType{}, v.fail(off, "unknown table %d", idx)
	}
	if idx != 0 {
		v.m.used |= FeatureRefTypes
	}
	return v.c.tables[idx], nil
}

func (v *funcValidator) memory(off int) error {
	if len(v.c.mems) == 0 {
		return v.fail(off, "unknown memory 0: the module has no memory")
	}
	return nil
}

func (v *funcValidator) popI32s(off, n int) error {
	for i := 0; i < n; i++ {
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
	}
	return nil
}

// validate type-checks one function body. fn is its function index.
func (v *funcValidator) validate(fn int, code *Code) error {
	m := v.m
	v.r = newReader(code.Body, code.BodyOffset, "code")
	v.r.fn = fn
	ft := m.Types[v.c.funcs[fn]]
	v.params = ft.Params
	v.code = code
	if n := uint64(len(ft.Params)) + code.NumLocals; n > MaxFuncLocals {
		return v.fail(code.Offset, "too many locals: %d parameters and locals, the implementation limit is %d", n, MaxFuncLocals)
	}
	v.cum = v.cum[:0]
	var n uint64
	for _, g := range code.Locals {
		v.cum = append(v.cum, n)
		n += uint64(g.Count)
		if g.Type == ExternRef || g.Type == FuncRef {
			m.used |= FeatureRefTypes
		}
	}
	v.vals = v.vals[:0]
	v.ctrls = v.ctrls[:0]
	v.pushCtrl(OpBlock, nil, ft.Results)
	var ins Instr
	r := v.r
	for len(v.ctrls) > 0 {
		if r.eof() {
			return r.errf("unexpected end of function body (END opcode expected)")
		}
		if err := m.readInstr(r, &ins); err != nil {
			return err
		}
		if err := v.step(&ins); err != nil {
			return err
		}
	}
	if !r.eof() {
		return r.errf("section size mismatch: %d bytes after the final end of the function body", r.remaining())
	}
	return nil
}

// step type-checks one instruction.
func (v *funcValidator) step(ins *Instr) error {
	m, c, off := v.m, v.c, ins.Offset
	switch ins.Op {
	case OpUnreachable:
		v.setUnreachable()
	case OpNop:
	case OpBlock, OpLoop:
		in, out, err := v.blockSig(off, ins.Block)
		if err != nil {
			return err
		}
		if err := v.popAll(off, in); err != nil {
			return err
		}
		v.pushCtrl(ins.Op, in, out)
	case OpIf:
		in, out, err := v.blockSig(off, ins.Block)
		if err != nil {
			return err
		}
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
		if err := v.popAll(off, in); err != nil {
			return err
		}
		v.pushCtrl(OpIf, in, out)
	case OpElse:
		f, err := v.popCtrl(off)
		if err != nil {
			return err
		}
		if f.op != OpIf {
			return v.fail(off, "else without a matching if")
		}
		v.pushCtrl(OpElse, f.start, f.end)
	case OpEnd:
		f, err := v.popCtrl(off)
		if err != nil {
			return err
		}
		if f.op == OpIf && !slices.Equal(f.start, f.end) {
			return v.fail(off, "type mismatch: if without else must have the same parameter and result types, has %s -> %s", typesString(f.start), typesString(f.end))
		}
		v.pushAll(f.end)
	case OpBr:
		f, err := v.label(off, ins.A)
		if err != nil {
			return err
		}
		if err := v.popAll(off, labelTypes(f)); err != nil {
			return err
		}
		v.setUnreachable()
	case OpBrIf:
		f, err := v.label(off, ins.A)
		if err != nil {
			return err
		}
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
		lt := labelTypes(f)
		if err := v.popAll(off, lt); err != nil {
			return err
		}
		v.pushAll(lt)
	case OpBrTable:
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
		def, err := v.label(off, ins.A)
		if err != nil {
			return err
		}
		arity := len(labelTypes(def))
		for _, l := range ins.Labels {
			f, err := v.label(off, l)
			if err != nil {
				return err
			}
			lt := labelTypes(f)
			if len(lt) != arity {
				return v.fail(off, "type mismatch: br_table target %d has %d values, the default target %d has %d", l, len(lt), ins.A, arity)
			}
			if m.enabled&FeatureRefTypes == 0 && !slices.Equal(lt, labelTypes(def)) {
				// WebAssembly 1.0 required identical label types; 2.0
				// (with reference types) only checks each target.
				return v.fail(off, "type mismatch: br_table target %d has types %s, the default target %d has %s", l, typesString(lt), ins.A, typesString(labelTypes(def)))
			}
			if err := v.popAll(off, lt); err != nil {
				return err
			}
			v.pushAll(v.scratch)
		}
		if err := v.popAll(off, labelTypes(def)); err != nil {
			return err
		}
		v.setUnreachable()
	case OpReturn:
		if err := v.popAll(off, v.ctrls[0].end); err != nil {
			return err
		}
		v.setUnreachable()
	case OpCall:
		if int64(ins.A) >= int64(len(c.funcs)) {
			return v.fail(off, "unknown function %d in call", ins.A)
		}
		ft := m.Types[c.funcs[ins.A]]
		if err := v.popAll(off, ft.Params); err != nil {
			return err
		}
		v.pushAll(ft.Results)
	case OpCallIndirect:
		t, err := v.table(off, ins.B)
		if err != nil {
			return err
		}
		if t.Elem != FuncRef {
			return v.fail(off, "type mismatch: call_indirect through table %d of type %s (needs funcref)", ins.B, t.Elem)
		}
		if int64(ins.A) >= int64(len(m.Types)) {
			return v.fail(off, "unknown type %d in call_indirect", ins.A)
		}
		ft := m.Types[ins.A]
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
		if err := v.popAll(off, ft.Params); err != nil {
			return err
		}
		v.pushAll(ft.Results)
	case OpDrop:
		if _, err := v.pop(off); err != nil {
			return err
		}
	case OpSelect:
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
		t1, err := v.pop(off)
		if err != nil {
			return err
		}
		t2, err := v.pop(off)
		if err != nil {
			return err
		}
		if !(t1.IsNum() || t1 == unknownType) || !(t2.IsNum() || t2 == unknownType) {
			return v.fail(off, "type mismatch: select without a type needs number operands, got %s and %s (use typed select for references)", t2, t1)
		}
		if t1 != t2 && t1 != unknownType && t2 != unknownType {
			return v.fail(off, "type mismatch: select operands have different types %s and %s", t2, t1)
		}
		if t1 == unknownType {
			t1 = t2
		}
		v.push(t1)
	case OpSelectT:
		if len(ins.SelTypes) != 1 {
			return v.fail(off, "invalid result arity: typed select must have exactly one type, has %d", len(ins.SelTypes))
		}
		t := ins.SelTypes[0]
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
		if _, err := v.popExpect(off, t); err != nil {
			return err
		}
		if _, err := v.popExpect(off, t); err != nil {
			return err
		}
		v.push(t)
	case OpLocalGet, OpLocalSet, OpLocalTee:
		t, err := v.local(off, ins.A)
		if err != nil {
			return err
		}
		if ins.Op == OpLocalGet {
			v.push(t)
			break
		}
		if _, err := v.popExpect(off, t); err != nil {
			return err
		}
		if ins.Op == OpLocalTee {
			v.push(t)
		}
	case OpGlobalGet, OpGlobalSet:
		if int64(ins.A) >= int64(len(c.globals)) {
			return v.fail(off, "unknown global %d", ins.A)
		}
		g := c.globals[ins.A]
		if ins.Op == OpGlobalGet {
			v.push(g.Type)
			break
		}
		if !g.Mutable {
			return v.fail(off, "global is immutable: global.set of global %d", ins.A)
		}
		if _, err := v.popExpect(off, g.Type); err != nil {
			return err
		}
	case OpTableGet:
		t, err := v.table(off, ins.A)
		if err != nil {
			return err
		}
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
		v.push(t.Elem)
	case OpTableSet:
		t, err := v.table(off, ins.A)
		if err != nil {
			return err
		}
		if _, err := v.popExpect(off, t.Elem); err != nil {
			return err
		}
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
	case OpMemorySize:
		if err := v.memory(off); err != nil {
			return err
		}
		v.push(I32)
	case OpMemoryGrow:
		if err := v.memory(off); err != nil {
			return err
		}
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
		v.push(I32)
	case OpI32Const:
		v.push(I32)
	case OpI64Const:
		v.push(I64)
	case OpF32Const:
		v.push(F32)
	case OpF64Const:
		v.push(F64)
	case OpRefNull:
		v.push(ins.Ref)
	case OpRefIsNull:
		t, err := v.pop(off)
		if err != nil {
			return err
		}
		if !t.IsRef() && t != unknownType {
			return v.fail(off, "type mismatch: ref.is_null needs a reference, got %s", t)
		}
		v.push(I32)
	case OpRefFunc:
		if int64(ins.A) >= int64(len(c.funcs)) {
			return v.fail(off, "unknown function %d in ref.func", ins.A)
		}
		if !c.refs[ins.A] {
			return v.fail(off, "undeclared function reference: ref.func %d needs the function in an element segment, export or global initializer", ins.A)
		}
		v.push(FuncRef)
	case OpPrefixFC:
		return v.stepFC(ins)
	default:
		if ins.Op >= OpI32Load && ins.Op <= OpI64Store32 {
			mo := memOps[ins.Op]
			if err := v.memory(off); err != nil {
				return err
			}
			if ins.A > mo.align {
				return v.fail(off, "alignment must not be larger than natural: 2**%d > %d bytes", ins.A, 1<<mo.align)
			}
			if mo.store {
				if _, err := v.popExpect(off, mo.t); err != nil {
					return err
				}
				_, err := v.popExpect(off, I32)
				return err
			}
			if _, err := v.popExpect(off, I32); err != nil {
				return err
			}
			v.push(mo.t)
			return nil
		}
		s := opSigs[ins.Op]
		if s == nil {
			return v.fail(off, "illegal opcode %s", hexByte(ins.Op))
		}
		return v.numeric(off, s)
	}
	return nil
}

func (v *funcValidator) numeric(off int, s *sig) error {
	if s.feature != 0 {
		v.m.used |= s.feature
	}
	for i := len(s.params) - 1; i >= 0; i-- {
		if _, err := v.popExpect(off, s.params[i]); err != nil {
			return err
		}
	}
	v.push(s.result)
	return nil
}

func (v *funcValidator) stepFC(ins *Instr) error {
	m, off := v.m, ins.Offset
	if ins.Sub <= FCTruncSatLast {
		return v.numeric(off, satSigs[ins.Sub])
	}
	if ins.Sub <= FCTableCopy {
		m.used |= FeatureBulkMemory
	} else {
		m.used |= FeatureRefTypes
	}
	switch ins.Sub {
	case FCMemoryInit:
		if err := v.memory(off); err != nil {
			return err
		}
		if int64(ins.A) >= int64(len(m.Datas)) || !m.HasDataCount {
			return v.fail(off, "unknown data segment %d in memory.init", ins.A)
		}
		return v.popI32s(off, 3)
	case FCDataDrop:
		if int64(ins.A) >= int64(len(m.Datas)) || !m.HasDataCount {
			return v.fail(off, "unknown data segment %d in data.drop", ins.A)
		}
	case FCMemoryCopy, FCMemoryFill:
		if err := v.memory(off); err != nil {
			return err
		}
		return v.popI32s(off, 3)
	case FCTableInit:
		t, err := v.table(off, ins.B)
		if err != nil {
			return err
		}
		if int64(ins.A) >= int64(len(m.Elems)) {
			return v.fail(off, "unknown element segment %d in table.init", ins.A)
		}
		if et := m.Elems[ins.A].Type; et != t.Elem {
			return v.fail(off, "type mismatch: table.init of element segment %d (%s) into table %d (%s)", ins.A, et, ins.B, t.Elem)
		}
		return v.popI32s(off, 3)
	case FCElemDrop:
		if int64(ins.A) >= int64(len(m.Elems)) {
			return v.fail(off, "unknown element segment %d in elem.drop", ins.A)
		}
	case FCTableCopy:
		dst, err := v.table(off, ins.A)
		if err != nil {
			return err
		}
		src, err := v.table(off, ins.B)
		if err != nil {
			return err
		}
		if dst.Elem != src.Elem {
			return v.fail(off, "type mismatch: table.copy from table %d (%s) to table %d (%s)", ins.B, src.Elem, ins.A, dst.Elem)
		}
		return v.popI32s(off, 3)
	case FCTableGrow:
		t, err := v.table(off, ins.A)
		if err != nil {
			return err
		}
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
		if _, err := v.popExpect(off, t.Elem); err != nil {
			return err
		}
		v.push(I32)
	case FCTableSize:
		if _, err := v.table(off, ins.A); err != nil {
			return err
		}
		v.push(I32)
	case FCTableFill:
		t, err := v.table(off, ins.A)
		if err != nil {
			return err
		}
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
		if _, err := v.popExpect(off, t.Elem); err != nil {
			return err
		}
		if _, err := v.popExpect(off, I32); err != nil {
			return err
		}
	default:
		return v.fail(off, "illegal opcode 0xfc %d", ins.Sub)
	}
	return nil
}
