package wasmc

// This file reads one instruction (opcode and immediates) from a function
// body or constant expression. It is shared by the syntactic check in
// Decode (code.go) and the type checker in Validate (validate_func.go).

// Opcodes that need special handling; the numeric ones are in opSigs.
const (
	opUnreachable  = 0x00
	opNop          = 0x01
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opElse         = 0x05
	opEnd          = 0x0B
	opBr           = 0x0C
	opBrIf         = 0x0D
	opBrTable      = 0x0E
	opReturn       = 0x0F
	opCall         = 0x10
	opCallIndirect = 0x11
	opDrop         = 0x1A
	opSelect       = 0x1B
	opSelectT      = 0x1C
	opLocalGet     = 0x20
	opLocalSet     = 0x21
	opLocalTee     = 0x22
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opTableGet     = 0x25
	opTableSet     = 0x26
	opI32Load      = 0x28
	opI64Store32   = 0x3E
	opMemorySize   = 0x3F
	opMemoryGrow   = 0x40
	opI32Const     = 0x41
	opI64Const     = 0x42
	opF32Const     = 0x43
	opF64Const     = 0x44
	opI32Extend8S  = 0xC0
	opI64Extend32S = 0xC4
	opRefNull      = 0xD0
	opRefIsNull    = 0xD1
	opRefFunc      = 0xD2
	opPrefixFC     = 0xFC
	opPrefixFD     = 0xFD
)

// Sub-opcodes of the 0xFC prefix.
const (
	fcTruncSatLast = 7
	fcMemoryInit   = 8
	fcDataDrop     = 9
	fcMemoryCopy   = 10
	fcMemoryFill   = 11
	fcTableInit    = 12
	fcElemDrop     = 13
	fcTableCopy    = 14
	fcTableGrow    = 15
	fcTableSize    = 16
	fcTableFill    = 17
)

type blockKind byte

const (
	blockEmpty blockKind = iota
	blockValue
	blockIndex
)

type blockType struct {
	kind blockKind
	val  ValType
	idx  uint32
}

// instr is one decoded instruction. Which immediates are set depends on op.
type instr struct {
	op       byte
	sub      uint32 // 0xFC sub-opcode
	off      int    // file offset of the opcode
	bt       blockType
	a, b     uint32    // indices (label, function, type, table, local, global, elem, data); memarg: a=align, b=offset
	labels   []uint32  // br_table targets; default target in a
	selTypes []ValType // typed select
	ref      ValType   // ref.null type
	imm      uint64    // constants (integer value or float bits)
}

// sig is the type of a plain numeric instruction: up to two operands and one result.
type sig struct {
	params  []ValType
	result  ValType
	feature Feature
}

// opSigs holds the plain numeric instructions (opcodes 0x45-0xC4); satSigs
// the saturating conversions 0xFC 0-7.
var opSigs [256]*sig
var satSigs [8]*sig

// memOps gives, for loads and stores 0x28-0x3E, the value type, the
// natural alignment (log2 of the access size) and whether it is a store.
var memOps [0x3F]struct {
	t       ValType
	align   uint32
	store   bool
	defined bool
}

func init() {
	set := func(from, to int, s sig) {
		for op := from; op <= to; op++ {
			c := s
			opSigs[op] = &c
		}
	}
	i32, i64, f32, f64 := I32, I64, F32, F64
	set(0x45, 0x45, sig{params: []ValType{i32}, result: i32})
	set(0x46, 0x4F, sig{params: []ValType{i32, i32}, result: i32})
	set(0x50, 0x50, sig{params: []ValType{i64}, result: i32})
	set(0x51, 0x5A, sig{params: []ValType{i64, i64}, result: i32})
	set(0x5B, 0x60, sig{params: []ValType{f32, f32}, result: i32})
	set(0x61, 0x66, sig{params: []ValType{f64, f64}, result: i32})
	set(0x67, 0x69, sig{params: []ValType{i32}, result: i32})
	set(0x6A, 0x78, sig{params: []ValType{i32, i32}, result: i32})
	set(0x79, 0x7B, sig{params: []ValType{i64}, result: i64})
	set(0x7C, 0x8A, sig{params: []ValType{i64, i64}, result: i64})
	set(0x8B, 0x91, sig{params: []ValType{f32}, result: f32})
	set(0x92, 0x98, sig{params: []ValType{f32, f32}, result: f32})
	set(0x99, 0x9F, sig{params: []ValType{f64}, result: f64})
	set(0xA0, 0xA6, sig{params: []ValType{f64, f64}, result: f64})
	conv := func(op int, from, to ValType) { set(op, op, sig{params: []ValType{from}, result: to}) }
	conv(0xA7, i64, i32)
	conv(0xA8, f32, i32)
	conv(0xA9, f32, i32)
	conv(0xAA, f64, i32)
	conv(0xAB, f64, i32)
	conv(0xAC, i32, i64)
	conv(0xAD, i32, i64)
	conv(0xAE, f32, i64)
	conv(0xAF, f32, i64)
	conv(0xB0, f64, i64)
	conv(0xB1, f64, i64)
	conv(0xB2, i32, f32)
	conv(0xB3, i32, f32)
	conv(0xB4, i64, f32)
	conv(0xB5, i64, f32)
	conv(0xB6, f64, f32)
	conv(0xB7, i32, f64)
	conv(0xB8, i32, f64)
	conv(0xB9, i64, f64)
	conv(0xBA, i64, f64)
	conv(0xBB, f32, f64)
	conv(0xBC, f32, i32)
	conv(0xBD, f64, i64)
	conv(0xBE, i32, f32)
	conv(0xBF, i64, f64)
	set(0xC0, 0xC1, sig{params: []ValType{i32}, result: i32, feature: FeatureSignExt})
	set(0xC2, 0xC4, sig{params: []ValType{i64}, result: i64, feature: FeatureSignExt})
	sat := []struct{ from, to ValType }{{f32, i32}, {f32, i32}, {f64, i32}, {f64, i32}, {f32, i64}, {f32, i64}, {f64, i64}, {f64, i64}}
	for i, s := range sat {
		satSigs[i] = &sig{params: []ValType{s.from}, result: s.to, feature: FeatureSatConv}
	}
	mem := func(op int, t ValType, align uint32, store bool) {
		memOps[op].t, memOps[op].align, memOps[op].store, memOps[op].defined = t, align, store, true
	}
	mem(0x28, i32, 2, false)
	mem(0x29, i64, 3, false)
	mem(0x2A, f32, 2, false)
	mem(0x2B, f64, 3, false)
	mem(0x2C, i32, 0, false)
	mem(0x2D, i32, 0, false)
	mem(0x2E, i32, 1, false)
	mem(0x2F, i32, 1, false)
	mem(0x30, i64, 0, false)
	mem(0x31, i64, 0, false)
	mem(0x32, i64, 1, false)
	mem(0x33, i64, 1, false)
	mem(0x34, i64, 2, false)
	mem(0x35, i64, 2, false)
	mem(0x36, i32, 2, true)
	mem(0x37, i64, 3, true)
	mem(0x38, f32, 2, true)
	mem(0x39, f64, 3, true)
	mem(0x3A, i32, 0, true)
	mem(0x3B, i32, 1, true)
	mem(0x3C, i64, 0, true)
	mem(0x3D, i64, 1, true)
	mem(0x3E, i64, 2, true)
}

// zeroByte reads a reserved byte that must be 0x00 (the memory index of
// memory instructions in WebAssembly 2.0).
func zeroByte(r *reader, what string) error {
	off := r.off()
	c, err := r.byte()
	if err != nil {
		return err
	}
	if c != 0 {
		return r.errAt(off, "zero byte expected after %s, got %#x", what, c)
	}
	return nil
}

// readBlockType reads a block type: 0x40 (no results), a value type, or a
// type index as a non-negative s33.
func (m *Module) readBlockType(r *reader) (blockType, error) {
	off := r.off()
	c, err := r.peek()
	if err != nil {
		return blockType{}, err
	}
	if c == 0x40 {
		r.pos++
		return blockType{kind: blockEmpty}, nil
	}
	if c&0xC0 == 0x40 { // a one-byte negative s33: must be a value type
		t, err := m.readValType(r)
		if err != nil {
			return blockType{}, r.errAt(off, "malformed block type %#x", c)
		}
		return blockType{kind: blockValue, val: t}, nil
	}
	v, err := r.s33()
	if err != nil {
		return blockType{}, err
	}
	if v < 0 {
		return blockType{}, r.errAt(off, "malformed block type (negative type index %d)", v)
	}
	if err := m.need(FeatureMultiValue, r, off, "a block type given by a type index"); err != nil {
		return blockType{}, err
	}
	if v > 0xFFFFFFFF {
		return blockType{}, r.errAt(off, "unknown type: block type index %d is out of range", v)
	}
	return blockType{kind: blockIndex, idx: uint32(v)}, nil
}

// readInstr reads one instruction into ins. labelsBuf is reused for br_table.
func (m *Module) readInstr(r *reader, ins *instr) error {
	ins.off = r.off()
	op, err := r.byte()
	if err != nil {
		return err
	}
	ins.op = op
	switch op {
	case opUnreachable, opNop, opElse, opEnd, opReturn, opDrop, opSelect:
		return nil
	case opBlock, opLoop, opIf:
		ins.bt, err = m.readBlockType(r)
		return err
	case opBr, opBrIf, opCall, opLocalGet, opLocalSet, opLocalTee, opGlobalGet, opGlobalSet, opRefFunc:
		ins.a, err = r.u32()
		if op == opRefFunc && err == nil {
			err = m.need(FeatureRefTypes, r, ins.off, "ref.func")
		}
		return err
	case opTableGet, opTableSet:
		if err := m.need(FeatureRefTypes, r, ins.off, "table.get/table.set"); err != nil {
			return err
		}
		ins.a, err = r.u32()
		return err
	case opBrTable:
		n, err := r.count(1)
		if err != nil {
			return err
		}
		ins.labels = ins.labels[:0]
		for i := 0; i < n; i++ {
			l, err := r.u32()
			if err != nil {
				return err
			}
			ins.labels = append(ins.labels, l)
		}
		ins.a, err = r.u32()
		return err
	case opCallIndirect:
		if ins.a, err = r.u32(); err != nil {
			return err
		}
		if m.enabled&FeatureRefTypes == 0 {
			ins.b = 0
			return zeroByte(r, "call_indirect")
		}
		toff := r.off()
		ins.b, err = r.u32()
		if err == nil && ins.b != 0 {
			m.used |= FeatureRefTypes
		}
		_ = toff
		return err
	case opSelectT:
		if err := m.need(FeatureRefTypes, r, ins.off, "typed select"); err != nil {
			return err
		}
		n, err := r.count(1)
		if err != nil {
			return err
		}
		ins.selTypes = ins.selTypes[:0]
		for i := 0; i < n; i++ {
			t, err := m.readValType(r)
			if err != nil {
				return err
			}
			ins.selTypes = append(ins.selTypes, t)
		}
		return nil
	case opMemorySize, opMemoryGrow:
		return zeroByte(r, "memory.size/memory.grow")
	case opI32Const:
		v, err := r.s32()
		ins.imm = uint64(int64(v))
		return err
	case opI64Const:
		v, err := r.s64()
		ins.imm = uint64(v)
		return err
	case opF32Const:
		b, err := r.bytes(4)
		if err == nil {
			ins.imm = uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24
		}
		return err
	case opF64Const:
		b, err := r.bytes(8)
		if err == nil {
			for i := 7; i >= 0; i-- {
				ins.imm = ins.imm<<8 | uint64(b[i])
			}
		}
		return err
	case opRefNull:
		if err := m.need(FeatureRefTypes, r, ins.off, "ref.null"); err != nil {
			return err
		}
		ins.ref, err = m.readRefType(r)
		return err
	case opRefIsNull:
		return m.need(FeatureRefTypes, r, ins.off, "ref.is_null")
	case opPrefixFD:
		return r.errAt(ins.off, "SIMD (0xFD prefix) is not supported")
	case opPrefixFC:
		return m.readFC(r, ins)
	}
	if op >= opI32Load && op <= opI64Store32 {
		if ins.a, err = r.u32(); err != nil {
			return err
		}
		if ins.a >= 32 {
			// 2**a would not fit in 32 bits (and bit 6 would mean a
			// memory index, which needs multi-memory).
			return r.errAt(ins.off, "malformed memop flags: alignment exponent %d", ins.a)
		}
		ins.b, err = r.u32()
		return err
	}
	if s := opSigs[op]; s != nil {
		if s.feature != 0 {
			return m.need(s.feature, r, ins.off, "opcode "+hexByte(op))
		}
		return nil
	}
	return r.errAt(ins.off, "illegal opcode %#02x", op)
}

func (m *Module) readFC(r *reader, ins *instr) error {
	var err error
	if ins.sub, err = r.u32(); err != nil {
		return err
	}
	name := "opcode 0xfc " + itoa(int(ins.sub))
	switch {
	case ins.sub <= fcTruncSatLast:
		return m.need(FeatureSatConv, r, ins.off, name+" (saturating conversion)")
	case ins.sub <= fcElemDrop || ins.sub == fcTableCopy:
		if err := m.need(FeatureBulkMemory, r, ins.off, name+" (bulk memory)"); err != nil {
			return err
		}
	case ins.sub <= fcTableFill:
		if err := m.need(FeatureRefTypes, r, ins.off, name+" (reference types)"); err != nil {
			return err
		}
	default:
		return r.errAt(ins.off, "illegal opcode 0xfc %d", ins.sub)
	}
	switch ins.sub {
	case fcMemoryInit:
		if ins.a, err = r.u32(); err != nil {
			return err
		}
		return zeroByte(r, "memory.init")
	case fcDataDrop, fcElemDrop, fcTableGrow, fcTableSize, fcTableFill:
		ins.a, err = r.u32()
		return err
	case fcMemoryCopy:
		if err := zeroByte(r, "memory.copy"); err != nil {
			return err
		}
		return zeroByte(r, "memory.copy")
	case fcMemoryFill:
		return zeroByte(r, "memory.fill")
	case fcTableInit, fcTableCopy:
		if ins.a, err = r.u32(); err != nil {
			return err
		}
		ins.b, err = r.u32()
		return err
	}
	return nil
}

func hexByte(b byte) string {
	const digits = "0123456789abcdef"
	return "0x" + string([]byte{digits[b>>4], digits[b&15]})
}
