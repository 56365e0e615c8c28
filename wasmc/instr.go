package wasmc

// This file reads one instruction (opcode and immediates) from a function
// body or constant expression. It is shared by the syntactic check in
// Decode (code.go), the type checker in Validate (validate_func.go) and,
// through the exported InstrReader, by the AOT compiler's translation to IR
// (aot/frontend).

// Opcodes of the instructions with immediates or special handling. The
// loads and stores are OpI32Load..OpI64Store32 (0x28-0x3E); the plain
// numeric instructions (0x45-0xC4, no immediates) are not named here.
const (
	OpUnreachable  = 0x00
	OpNop          = 0x01
	OpBlock        = 0x02
	OpLoop         = 0x03
	OpIf           = 0x04
	OpElse         = 0x05
	OpEnd          = 0x0B
	OpBr           = 0x0C
	OpBrIf         = 0x0D
	OpBrTable      = 0x0E
	OpReturn       = 0x0F
	OpCall         = 0x10
	OpCallIndirect = 0x11
	OpDrop         = 0x1A
	OpSelect       = 0x1B
	OpSelectT      = 0x1C
	OpLocalGet     = 0x20
	OpLocalSet     = 0x21
	OpLocalTee     = 0x22
	OpGlobalGet    = 0x23
	OpGlobalSet    = 0x24
	OpTableGet     = 0x25
	OpTableSet     = 0x26
	OpI32Load      = 0x28
	OpI64Store32   = 0x3E
	OpMemorySize   = 0x3F
	OpMemoryGrow   = 0x40
	OpI32Const     = 0x41
	OpI64Const     = 0x42
	OpF32Const     = 0x43
	OpF64Const     = 0x44
	OpI32Extend8S  = 0xC0
	OpI64Extend32S = 0xC4
	OpRefNull      = 0xD0
	OpRefIsNull    = 0xD1
	OpRefFunc      = 0xD2
	OpPrefixFC     = 0xFC
	OpPrefixFD     = 0xFD
)

// Sub-opcodes of the 0xFC prefix (Instr.Sub): 0 to FCTruncSatLast are the
// saturating float-to-int conversions, then bulk memory and table
// instructions.
const (
	FCTruncSatLast = 7
	FCMemoryInit   = 8
	FCDataDrop     = 9
	FCMemoryCopy   = 10
	FCMemoryFill   = 11
	FCTableInit    = 12
	FCElemDrop     = 13
	FCTableCopy    = 14
	FCTableGrow    = 15
	FCTableSize    = 16
	FCTableFill    = 17
)

// BlockKind says how a block type is given.
type BlockKind byte

const (
	BlockEmpty BlockKind = iota // 0x40: no parameters, no results
	BlockValue                  // a value type: one result, BlockType.Val
	BlockIndex                  // a type index: the parameters and results of BlockType.Index
)

// BlockType is the block type of block, loop and if.
type BlockType struct {
	Kind  BlockKind
	Val   ValType
	Index uint32
}

// Instr is one decoded instruction. Which immediates are set depends on Op.
type Instr struct {
	Op       byte
	Sub      uint32    // 0xFC sub-opcode
	Offset   int       // file offset of the opcode
	Block    BlockType // block, loop, if
	A, B     uint32    // indices (label, function, type, table, local, global, elem, data); call_indirect: A=type, B=table; memarg: A=align, B=offset
	Labels   []uint32  // br_table targets; default target in A
	SelTypes []ValType // typed select
	Ref      ValType   // ref.null type
	Imm      uint64    // constants (integer value or float bits)
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
func (fs *featureState) readBlockType(r *reader) (BlockType, error) {
	off := r.off()
	c, err := r.peek()
	if err != nil {
		return BlockType{}, err
	}
	if c == 0x40 {
		r.pos++
		return BlockType{Kind: BlockEmpty}, nil
	}
	if c&0xC0 == 0x40 { // a one-byte negative s33: must be a value type
		t, err := fs.readValType(r)
		if err != nil {
			return BlockType{}, r.errAt(off, "malformed block type %#x", c)
		}
		return BlockType{Kind: BlockValue, Val: t}, nil
	}
	v, err := r.s33()
	if err != nil {
		return BlockType{}, err
	}
	if v < 0 {
		return BlockType{}, r.errAt(off, "malformed block type (negative type index %d)", v)
	}
	if err := fs.need(FeatureMultiValue, r, off, "a block type given by a type index"); err != nil {
		return BlockType{}, err
	}
	if v > 0xFFFFFFFF {
		return BlockType{}, r.errAt(off, "unknown type: block type index %d is out of range", v)
	}
	return BlockType{Kind: BlockIndex, Index: uint32(v)}, nil
}

// readInstr reads one instruction into ins. labelsBuf is reused for br_table.
func (fs *featureState) readInstr(r *reader, ins *Instr) error {
	ins.Offset = r.off()
	op, err := r.byte()
	if err != nil {
		return err
	}
	ins.Op = op
	switch op {
	case OpUnreachable, OpNop, OpElse, OpEnd, OpReturn, OpDrop, OpSelect:
		return nil
	case OpBlock, OpLoop, OpIf:
		ins.Block, err = fs.readBlockType(r)
		return err
	case OpBr, OpBrIf, OpCall, OpLocalGet, OpLocalSet, OpLocalTee, OpGlobalGet, OpGlobalSet, OpRefFunc:
		ins.A, err = r.u32()
		if op == OpRefFunc && err == nil {
			err = fs.need(FeatureRefTypes, r, ins.Offset, "ref.func")
		}
		return err
	case OpTableGet, OpTableSet:
		if err := fs.need(FeatureRefTypes, r, ins.Offset, "table.get/table.set"); err != nil {
			return err
		}
		ins.A, err = r.u32()
		return err
	case OpBrTable:
		n, err := r.count(1)
		if err != nil {
			return err
		}
		ins.Labels = ins.Labels[:0]
		for i := 0; i < n; i++ {
			l, err := r.u32()
			if err != nil {
				return err
			}
			ins.Labels = append(ins.Labels, l)
		}
		ins.A, err = r.u32()
		return err
	case OpCallIndirect:
		if ins.A, err = r.u32(); err != nil {
			return err
		}
		if fs.enabled&FeatureRefTypes == 0 {
			ins.B = 0
			return zeroByte(r, "call_indirect")
		}
		toff := r.off()
		ins.B, err = r.u32()
		if err == nil && ins.B != 0 {
			fs.used |= FeatureRefTypes
		}
		_ = toff
		return err
	case OpSelectT:
		if err := fs.need(FeatureRefTypes, r, ins.Offset, "typed select"); err != nil {
			return err
		}
		n, err := r.count(1)
		if err != nil {
			return err
		}
		ins.SelTypes = ins.SelTypes[:0]
		for i := 0; i < n; i++ {
			t, err := fs.readValType(r)
			if err != nil {
				return err
			}
			ins.SelTypes = append(ins.SelTypes, t)
		}
		return nil
	case OpMemorySize, OpMemoryGrow:
		return zeroByte(r, "memory.size/memory.grow")
	case OpI32Const:
		v, err := r.s32()
		ins.Imm = uint64(int64(v))
		return err
	case OpI64Const:
		v, err := r.s64()
		ins.Imm = uint64(v)
		return err
	case OpF32Const:
		b, err := r.bytes(4)
		if err == nil {
			ins.Imm = uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24
		}
		return err
	case OpF64Const:
		b, err := r.bytes(8)
		if err == nil {
			for i := 7; i >= 0; i-- {
				ins.Imm = ins.Imm<<8 | uint64(b[i])
			}
		}
		return err
	case OpRefNull:
		if err := fs.need(FeatureRefTypes, r, ins.Offset, "ref.null"); err != nil {
			return err
		}
		ins.Ref, err = fs.readRefType(r)
		return err
	case OpRefIsNull:
		return fs.need(FeatureRefTypes, r, ins.Offset, "ref.is_null")
	case OpPrefixFD:
		return r.errAt(ins.Offset, "SIMD (0xFD prefix) is not supported").needs(ProposalSIMD)
	case OpPrefixFC:
		return fs.readFC(r, ins)
	}
	if op >= OpI32Load && op <= OpI64Store32 {
		if ins.A, err = r.u32(); err != nil {
			return err
		}
		if ins.A >= 32 {
			// 2**a would not fit in 32 bits (and bit 6 would mean a
			// memory index, which needs multi-memory).
			e := r.errAt(ins.Offset, "malformed memop flags: alignment exponent %d", ins.A)
			if ins.A&0x40 != 0 {
				e.needs(ProposalMultiMemory)
			}
			return e
		}
		ins.B, err = r.u32()
		return err
	}
	if s := opSigs[op]; s != nil {
		if s.feature != 0 {
			return fs.need(s.feature, r, ins.Offset, "opcode "+hexByte(op))
		}
		return nil
	}
	return r.errAt(ins.Offset, "illegal opcode %#02x", op).needs(proposalOf[op])
}

// Proposals a module may use that this package does not support (Error.Proposal).
const (
	ProposalSIMD        = "SIMD"
	ProposalTailCalls   = "tail calls"
	ProposalThreads     = "threads (shared memory and atomics)"
	ProposalMemory64    = "memory64"
	ProposalMultiMemory = "multiple memories"
	ProposalExceptions  = "exception handling"
	ProposalFuncRefs    = "typed function references"
	ProposalGC          = "garbage collection (GC)"
)

// proposalOf names the proposal an opcode outside WebAssembly 2.0 comes from.
var proposalOf = map[byte]string{
	0x06: ProposalExceptions, 0x07: ProposalExceptions, 0x08: ProposalExceptions, 0x09: ProposalExceptions,
	0x0a: ProposalExceptions, 0x18: ProposalExceptions, 0x19: ProposalExceptions, 0x1f: ProposalExceptions,
	0x12: ProposalTailCalls, 0x13: ProposalTailCalls, 0x15: ProposalTailCalls,
	0x14: ProposalFuncRefs, 0xd4: ProposalFuncRefs, 0xd5: ProposalFuncRefs, 0xd6: ProposalFuncRefs,
	0xfb: ProposalGC,
	0xfe: ProposalThreads,
}

func (fs *featureState) readFC(r *reader, ins *Instr) error {
	var err error
	if ins.Sub, err = r.u32(); err != nil {
		return err
	}
	name := "opcode 0xfc " + itoa(int(ins.Sub))
	switch {
	case ins.Sub <= FCTruncSatLast:
		return fs.need(FeatureSatConv, r, ins.Offset, name+" (saturating conversion)")
	case ins.Sub <= FCElemDrop || ins.Sub == FCTableCopy:
		if err := fs.need(FeatureBulkMemory, r, ins.Offset, name+" (bulk memory)"); err != nil {
			return err
		}
	case ins.Sub <= FCTableFill:
		if err := fs.need(FeatureRefTypes, r, ins.Offset, name+" (reference types)"); err != nil {
			return err
		}
	default:
		return r.errAt(ins.Offset, "illegal opcode 0xfc %d", ins.Sub)
	}
	switch ins.Sub {
	case FCMemoryInit:
		if ins.A, err = r.u32(); err != nil {
			return err
		}
		return zeroByte(r, "memory.init")
	case FCDataDrop, FCElemDrop, FCTableGrow, FCTableSize, FCTableFill:
		ins.A, err = r.u32()
		return err
	case FCMemoryCopy:
		if err := zeroByte(r, "memory.copy"); err != nil {
			return err
		}
		return zeroByte(r, "memory.copy")
	case FCMemoryFill:
		return zeroByte(r, "memory.fill")
	case FCTableInit, FCTableCopy:
		if ins.A, err = r.u32(); err != nil {
			return err
		}
		ins.B, err = r.u32()
		return err
	}
	return nil
}

func hexByte(b byte) string {
	const digits = "0123456789abcdef"
	return "0x" + string([]byte{digits[b>>4], digits[b&15]})
}

// InstrReader reads the instructions of a function body or of a constant
// expression one at a time, with the same checks and error messages as
// Decode. It is meant for modules Decode has accepted, so it allows every
// feature this package supports (Decode checked the module's own feature
// set). It never writes to a Module, so several goroutines may each read a
// body of one module at the same time.
type InstrReader struct {
	r  reader
	fs featureState
}

// NewBodyReader returns a reader of the instructions of c, the code of
// function funcIndex (an index in the function index space). Errors name
// the code section and the function.
func NewBodyReader(c *Code, funcIndex int) InstrReader {
	return InstrReader{
		r:  reader{b: c.Body, base: c.BodyOffset, section: "code", fn: funcIndex},
		fs: featureState{enabled: FeaturesV2},
	}
}

// NewConstExprReader returns a reader of the instructions of constant
// expression e.
func NewConstExprReader(e ConstExpr) InstrReader {
	return InstrReader{
		r:  reader{b: e.Bytes, base: e.Offset, fn: -1},
		fs: featureState{enabled: FeaturesV2},
	}
}

// Next reads the next instruction into ins, reusing its slices. At the end
// of the input it returns an "unexpected end" error.
func (ir *InstrReader) Next(ins *Instr) error { return ir.fs.readInstr(&ir.r, ins) }

// EOF tells whether every byte has been read.
func (ir *InstrReader) EOF() bool { return ir.r.eof() }

// Remaining is the number of bytes not read yet.
func (ir *InstrReader) Remaining() int { return ir.r.remaining() }

// Offset is the file offset of the next instruction.
func (ir *InstrReader) Offset() int { return ir.r.off() }
