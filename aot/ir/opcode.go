package ir

import "fmt"

// Opcode is an IR operation. The static facts of each opcode live in opInfo.
type Opcode uint8

const (
	OpInvalid Opcode = iota

	// Constants. Imm holds the exact bits (zero-extended for i32/f32).
	OpIconst
	OpFconst

	// Integer arithmetic, i32 or i64. Shift and rotate counts are taken
	// modulo the bit width, as in Wasm.
	OpIadd
	OpIsub
	OpImul
	OpSdiv // traps: div_by_zero, int_overflow (INT_MIN / -1)
	OpUdiv // traps: div_by_zero
	OpSrem // traps: div_by_zero (INT_MIN % -1 == 0, no trap)
	OpUrem // traps: div_by_zero
	OpBand
	OpBor
	OpBxor
	OpIshl
	OpSshr
	OpUshr
	OpRotl
	OpRotr
	OpClz
	OpCtz
	OpPopcnt
	OpEqz  // result i32: 1 if the operand is zero
	OpIcmp // Cond is an IntCC; result i32

	// Integer width changes. Type is the result type.
	OpWrap      // i64 -> i32
	OpSextend   // i32 -> i64, signed
	OpUextend   // i32 -> i64, unsigned
	OpSextend8  // sign-extend the low 8 bits (i32, i64)
	OpSextend16 // sign-extend the low 16 bits (i32, i64)
	OpSextend32 // sign-extend the low 32 bits (i64)

	// Float arithmetic, f32 or f64.
	OpFadd
	OpFsub
	OpFmul
	OpFdiv
	OpFmin // NaN if either is NaN; -0 < +0
	OpFmax // NaN if either is NaN; -0 < +0
	OpFcopysign
	OpFabs
	OpFneg
	OpSqrt
	OpCeil
	OpFloor
	OpFtrunc
	OpNearest // round to nearest, ties to even
	OpFcmp    // Cond is a FloatCC; result i32

	// Conversions. Type is the result type; the operand type is implied by
	// the argument.
	OpFpromote      // f32 -> f64
	OpFdemote       // f64 -> f32
	OpFcvtToSint    // f32/f64 -> i32/i64; traps: invalid_conversion (NaN), int_overflow
	OpFcvtToUint    // f32/f64 -> i32/i64; traps as above
	OpFcvtToSintSat // saturating, NaN -> 0
	OpFcvtToUintSat // saturating, NaN -> 0
	OpFcvtFromSint  // i32/i64 -> f32/f64
	OpFcvtFromUint  // i32/i64 -> f32/f64
	OpBitcast       // reinterpret: i32 <-> f32, i64 <-> f64

	OpSelect // select.T cond, a, b: a if cond != 0 else b

	// Linear memory. Address = zero-extended i32 index + Imm (offset), in
	// memory Index. Flags&MemChecked asks for an explicit bounds check.
	OpLoad // full width of Type
	OpUload8
	OpSload8
	OpUload16
	OpSload16
	OpUload32 // i64 only
	OpSload32 // i64 only
	OpStore   // store.T addr, value
	OpIstore8
	OpIstore16
	OpIstore32   // i64 only
	OpMemorySize // memory Index; result i32 (pages)
	OpMemoryGrow // memory Index; arg delta; result old size or -1
	OpMemoryCopy // dst memory Index, src memory Index2; args dst, src, n
	OpMemoryFill // memory Index; args dst, byte, n
	OpMemoryInit // memory Index, data segment Index2; args dst, src, n
	OpDataDrop   // data segment Index

	OpGlobalGet // global Index; result Type
	OpGlobalSet // global Index; arg value

	OpTableGet  // table Index; arg i; result Type
	OpTableSet  // table Index; args i, ref
	OpTableSize // table Index; result i32
	OpTableGrow // table Index; args init ref, delta; result old size or -1
	OpTableFill // table Index; args i, ref, n
	OpTableCopy // dst table Index, src table Index2; args dst, src, n
	OpTableInit // table Index, elem segment Index2; args dst, src, n
	OpElemDrop  // elem segment Index

	OpRefNull   // null of Type
	OpRefIsNull // result i32
	OpRefFunc   // function Index; result funcref

	OpCall         // Wasm function Index (declared in Func.Callees); args; results per signature
	OpCallIndirect // type Index (Func.Types), table Index2; args callee-index, args...

	OpTrapz  // trap with Trap if the i32 operand is zero
	OpTrapnz // trap with Trap if the i32 operand is not zero

	// Terminators.
	OpTrap    // unconditional trap with Trap
	OpJump    // Dests[0]
	OpBrif    // arg cond; Dests[0] if cond != 0 else Dests[1]
	OpBrTable // arg index; Dests[i] for i < len-1, else Dests[len-1] (default)
	OpReturn  // args are the returned values

	numOpcodes
)

// Effects describe what an instruction touches besides its operands and
// results. An instruction with no effects and no possible traps is pure: it
// may be removed when its results are unused, and moved or merged freely.
type Effects uint16

const (
	ReadsMemory  Effects = 1 << iota // linear memory contents or size, data segments
	WritesMemory                     // ... and changes them
	ReadsGlobal
	WritesGlobal
	ReadsTable // tables, elem segments
	WritesTable
	Calls      // may do anything
	Terminator // ends a block
)

// format is the textual syntax of an opcode.
type format uint8

const (
	fmtArgs         format = iota // [v =] op[.T] [syms,] args
	fmtConst                      // v = iconst.T imm
	fmtCompare                    // v = icmp.T cc a, b
	fmtLoad                       // v = load.T [checked] memN addr[+off]
	fmtStore                      // store.T [checked] memN addr[+off], value
	fmtCall                       // v, w = call fnN(args)
	fmtCallIndirect               // v = call_indirect typeN, tableM, callee(args)
	fmtCondTrap                   // trapnz v, kind
	fmtTrap                       // trap kind
	fmtJump                       // jump blockN(args)
	fmtBrif                       // brif c, blockN(args), blockM(args)
	fmtBrTable                    // br_table i, [blockA(args), ...], blockD(args)
	fmtReturn                     // return args
)

// symKind is the kind of a symbolic index operand printed by fmtArgs.
type symKind uint8

const (
	symNone symKind = iota
	symMem
	symTable
	symGlobal
	symFunc
	symData
	symElem
)

var symPrefix = [...]string{"", "mem", "table", "global", "fn", "data", "elem"}

// argRule constrains an operand's type.
type argRule uint8

const (
	argT    argRule = iota // same as the controlling type
	argI32                 // i32
	argRef                 // any reference type
	argAny                 // any type
	argConv                // conversion operand, checked by convOK
)

// resultRule gives an instruction's result types.
type resultRule uint8

const (
	resNone resultRule = iota
	resT
	resI32
	resFuncRef
	resCall // from the callee's signature
)

// typeSet is a set of Types allowed as the controlling type.
type typeSet uint16

const (
	tsNone  typeSet = 0
	tsInt           = typeSet(1<<I32 | 1<<I64)
	tsFloat         = typeSet(1<<F32 | 1<<F64)
	tsNum           = tsInt | tsFloat
	tsRef           = typeSet(1<<FuncRef | 1<<ExternRef)
	tsI64           = typeSet(1 << I64)
	tsAny           = tsNum | tsRef | typeSet(1<<V128)
)

func (s typeSet) has(t Type) bool { return s&(1<<t) != 0 }

type opInfo struct {
	name    string
	format  format
	types   typeSet // allowed controlling types; tsNone: the opcode is untyped
	args    []argRule
	varArgs bool // args are variable in number (calls, return)
	result  resultRule
	syms    [2]symKind
	traps   TrapSet
	effects Effects
}

var (
	a1   = []argRule{argT}
	a2   = []argRule{argT, argT}
	aCv  = []argRule{argConv}
	aI32 = []argRule{argI32}
	a3i  = []argRule{argI32, argI32, argI32}
)

var opInfos = [numOpcodes]opInfo{
	OpInvalid: {name: "invalid"},
	OpIconst:  {name: "iconst", format: fmtConst, types: tsInt, result: resT},
	OpFconst:  {name: "fconst", format: fmtConst, types: tsFloat, result: resT},

	OpIadd:   {name: "iadd", types: tsInt, args: a2, result: resT},
	OpIsub:   {name: "isub", types: tsInt, args: a2, result: resT},
	OpImul:   {name: "imul", types: tsInt, args: a2, result: resT},
	OpSdiv:   {name: "sdiv", types: tsInt, args: a2, result: resT, traps: traps(TrapDivByZero, TrapIntOverflow)},
	OpUdiv:   {name: "udiv", types: tsInt, args: a2, result: resT, traps: traps(TrapDivByZero)},
	OpSrem:   {name: "srem", types: tsInt, args: a2, result: resT, traps: traps(TrapDivByZero)},
	OpUrem:   {name: "urem", types: tsInt, args: a2, result: resT, traps: traps(TrapDivByZero)},
	OpBand:   {name: "band", types: tsInt, args: a2, result: resT},
	OpBor:    {name: "bor", types: tsInt, args: a2, result: resT},
	OpBxor:   {name: "bxor", types: tsInt, args: a2, result: resT},
	OpIshl:   {name: "ishl", types: tsInt, args: a2, result: resT},
	OpSshr:   {name: "sshr", types: tsInt, args: a2, result: resT},
	OpUshr:   {name: "ushr", types: tsInt, args: a2, result: resT},
	OpRotl:   {name: "rotl", types: tsInt, args: a2, result: resT},
	OpRotr:   {name: "rotr", types: tsInt, args: a2, result: resT},
	OpClz:    {name: "clz", types: tsInt, args: a1, result: resT},
	OpCtz:    {name: "ctz", types: tsInt, args: a1, result: resT},
	OpPopcnt: {name: "popcnt", types: tsInt, args: a1, result: resT},
	OpEqz:    {name: "eqz", types: tsInt, args: a1, result: resI32},
	OpIcmp:   {name: "icmp", format: fmtCompare, types: tsInt, args: a2, result: resI32},

	OpWrap:      {name: "wrap", types: 1 << I32, args: aCv, result: resT},
	OpSextend:   {name: "sextend", types: tsI64, args: aCv, result: resT},
	OpUextend:   {name: "uextend", types: tsI64, args: aCv, result: resT},
	OpSextend8:  {name: "sextend8", types: tsInt, args: a1, result: resT},
	OpSextend16: {name: "sextend16", types: tsInt, args: a1, result: resT},
	OpSextend32: {name: "sextend32", types: tsI64, args: a1, result: resT},

	OpFadd:      {name: "fadd", types: tsFloat, args: a2, result: resT},
	OpFsub:      {name: "fsub", types: tsFloat, args: a2, result: resT},
	OpFmul:      {name: "fmul", types: tsFloat, args: a2, result: resT},
	OpFdiv:      {name: "fdiv", types: tsFloat, args: a2, result: resT},
	OpFmin:      {name: "fmin", types: tsFloat, args: a2, result: resT},
	OpFmax:      {name: "fmax", types: tsFloat, args: a2, result: resT},
	OpFcopysign: {name: "fcopysign", types: tsFloat, args: a2, result: resT},
	OpFabs:      {name: "fabs", types: tsFloat, args: a1, result: resT},
	OpFneg:      {name: "fneg", types: tsFloat, args: a1, result: resT},
	OpSqrt:      {name: "sqrt", types: tsFloat, args: a1, result: resT},
	OpCeil:      {name: "ceil", types: tsFloat, args: a1, result: resT},
	OpFloor:     {name: "floor", types: tsFloat, args: a1, result: resT},
	OpFtrunc:    {name: "ftrunc", types: tsFloat, args: a1, result: resT},
	OpNearest:   {name: "nearest", types: tsFloat, args: a1, result: resT},
	OpFcmp:      {name: "fcmp", format: fmtCompare, types: tsFloat, args: a2, result: resI32},

	OpFpromote:      {name: "fpromote", types: 1 << F64, args: aCv, result: resT},
	OpFdemote:       {name: "fdemote", types: 1 << F32, args: aCv, result: resT},
	OpFcvtToSint:    {name: "fcvt_to_sint", types: tsInt, args: aCv, result: resT, traps: traps(TrapInvalidConversion, TrapIntOverflow)},
	OpFcvtToUint:    {name: "fcvt_to_uint", types: tsInt, args: aCv, result: resT, traps: traps(TrapInvalidConversion, TrapIntOverflow)},
	OpFcvtToSintSat: {name: "fcvt_to_sint_sat", types: tsInt, args: aCv, result: resT},
	OpFcvtToUintSat: {name: "fcvt_to_uint_sat", types: tsInt, args: aCv, result: resT},
	OpFcvtFromSint:  {name: "fcvt_from_sint", types: tsFloat, args: aCv, result: resT},
	OpFcvtFromUint:  {name: "fcvt_from_uint", types: tsFloat, args: aCv, result: resT},
	OpBitcast:       {name: "bitcast", types: tsNum, args: aCv, result: resT},

	OpSelect: {name: "select", types: tsAny, args: []argRule{argI32, argT, argT}, result: resT},

	OpLoad:       {name: "load", format: fmtLoad, types: tsNum, args: aI32, result: resT, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: ReadsMemory},
	OpUload8:     {name: "uload8", format: fmtLoad, types: tsInt, args: aI32, result: resT, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: ReadsMemory},
	OpSload8:     {name: "sload8", format: fmtLoad, types: tsInt, args: aI32, result: resT, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: ReadsMemory},
	OpUload16:    {name: "uload16", format: fmtLoad, types: tsInt, args: aI32, result: resT, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: ReadsMemory},
	OpSload16:    {name: "sload16", format: fmtLoad, types: tsInt, args: aI32, result: resT, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: ReadsMemory},
	OpUload32:    {name: "uload32", format: fmtLoad, types: tsI64, args: aI32, result: resT, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: ReadsMemory},
	OpSload32:    {name: "sload32", format: fmtLoad, types: tsI64, args: aI32, result: resT, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: ReadsMemory},
	OpStore:      {name: "store", format: fmtStore, types: tsNum, args: []argRule{argI32, argT}, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: WritesMemory},
	OpIstore8:    {name: "istore8", format: fmtStore, types: tsInt, args: []argRule{argI32, argT}, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: WritesMemory},
	OpIstore16:   {name: "istore16", format: fmtStore, types: tsInt, args: []argRule{argI32, argT}, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: WritesMemory},
	OpIstore32:   {name: "istore32", format: fmtStore, types: tsI64, args: []argRule{argI32, argT}, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: WritesMemory},
	OpMemorySize: {name: "memory_size", result: resI32, syms: [2]symKind{symMem}, effects: ReadsMemory},
	OpMemoryGrow: {name: "memory_grow", args: aI32, result: resI32, syms: [2]symKind{symMem}, effects: ReadsMemory | WritesMemory},
	OpMemoryCopy: {name: "memory_copy", args: a3i, syms: [2]symKind{symMem, symMem}, traps: traps(TrapOutOfBoundsMemory), effects: ReadsMemory | WritesMemory},
	OpMemoryFill: {name: "memory_fill", args: a3i, syms: [2]symKind{symMem}, traps: traps(TrapOutOfBoundsMemory), effects: WritesMemory},
	OpMemoryInit: {name: "memory_init", args: a3i, syms: [2]symKind{symMem, symData}, traps: traps(TrapOutOfBoundsMemory), effects: ReadsMemory | WritesMemory},
	OpDataDrop:   {name: "data_drop", syms: [2]symKind{symData}, effects: WritesMemory},

	OpGlobalGet: {name: "global_get", types: tsAny, result: resT, syms: [2]symKind{symGlobal}, effects: ReadsGlobal},
	OpGlobalSet: {name: "global_set", args: []argRule{argAny}, syms: [2]symKind{symGlobal}, effects: WritesGlobal},

	OpTableGet:  {name: "table_get", types: tsRef, args: aI32, result: resT, syms: [2]symKind{symTable}, traps: traps(TrapOutOfBoundsTable), effects: ReadsTable},
	OpTableSet:  {name: "table_set", args: []argRule{argI32, argRef}, syms: [2]symKind{symTable}, traps: traps(TrapOutOfBoundsTable), effects: WritesTable},
	OpTableSize: {name: "table_size", result: resI32, syms: [2]symKind{symTable}, effects: ReadsTable},
	OpTableGrow: {name: "table_grow", args: []argRule{argRef, argI32}, result: resI32, syms: [2]symKind{symTable}, effects: ReadsTable | WritesTable},
	OpTableFill: {name: "table_fill", args: []argRule{argI32, argRef, argI32}, syms: [2]symKind{symTable}, traps: traps(TrapOutOfBoundsTable), effects: WritesTable},
	OpTableCopy: {name: "table_copy", args: a3i, syms: [2]symKind{symTable, symTable}, traps: traps(TrapOutOfBoundsTable), effects: ReadsTable | WritesTable},
	OpTableInit: {name: "table_init", args: a3i, syms: [2]symKind{symTable, symElem}, traps: traps(TrapOutOfBoundsTable), effects: ReadsTable | WritesTable},
	OpElemDrop:  {name: "elem_drop", syms: [2]symKind{symElem}, effects: WritesTable},

	OpRefNull:   {name: "ref_null", types: tsRef, result: resT},
	OpRefIsNull: {name: "ref_is_null", args: []argRule{argRef}, result: resI32},
	OpRefFunc:   {name: "ref_func", result: resFuncRef, syms: [2]symKind{symFunc}},

	OpCall:         {name: "call", format: fmtCall, varArgs: true, result: resCall, traps: allTraps, effects: Calls},
	OpCallIndirect: {name: "call_indirect", format: fmtCallIndirect, varArgs: true, result: resCall, traps: allTraps, effects: Calls},

	OpTrapz:  {name: "trapz", format: fmtCondTrap, args: aI32},
	OpTrapnz: {name: "trapnz", format: fmtCondTrap, args: aI32},

	OpTrap:    {name: "trap", format: fmtTrap, effects: Terminator},
	OpJump:    {name: "jump", format: fmtJump, effects: Terminator},
	OpBrif:    {name: "brif", format: fmtBrif, args: aI32, effects: Terminator},
	OpBrTable: {name: "br_table", format: fmtBrTable, args: aI32, effects: Terminator},
	OpReturn:  {name: "return", format: fmtReturn, varArgs: true, effects: Terminator},
}

var opByName = func() map[string]Opcode {
	m := make(map[string]Opcode, numOpcodes)
	for op := Opcode(1); op < numOpcodes; op++ {
		if opInfos[op].name == "" {
			panic(fmt.Sprintf("BUG: opcode %d has no info", op))
		}
		m[opInfos[op].name] = op
	}
	return m
}()

func (op Opcode) info() *opInfo {
	if op >= numOpcodes {
		return &opInfos[OpInvalid]
	}
	return &opInfos[op]
}

func (op Opcode) String() string {
	if op < numOpcodes {
		return opInfos[op].name
	}
	return fmt.Sprintf("op(%d)", uint8(op))
}

// ParseOpcode looks an opcode up by its printed name.
func ParseOpcode(s string) (Opcode, bool) {
	op, ok := opByName[s]
	return op, ok
}

// Traps is the set of traps an instruction with this opcode may raise
// (besides OpTrap/OpTrapz/OpTrapnz, whose kind is in the instruction).
func (op Opcode) Traps() TrapSet {
	s := op.info().traps
	if op == OpTrap || op == OpTrapz || op == OpTrapnz {
		s |= allTraps
	}
	return s
}

// CanTrap reports whether the opcode may trap.
func (op Opcode) CanTrap() bool { return op.Traps() != 0 }

// Effects is the opcode's side-effect class.
func (op Opcode) Effects() Effects { return op.info().effects }

// IsTerminator reports whether the opcode ends a block.
func (op Opcode) IsTerminator() bool { return op.info().effects&Terminator != 0 }

// IsBranch reports whether the opcode transfers control to other blocks.
func (op Opcode) IsBranch() bool { return op == OpJump || op == OpBrif || op == OpBrTable }

// IsPure reports whether the opcode has no side effects and cannot trap, so
// an unused instance may be deleted and any instance moved or deduplicated.
func (op Opcode) IsPure() bool { return op.Effects() == 0 && !op.CanTrap() && op != OpInvalid }

// IsRemovableIfUnused reports whether an instance whose results are unused
// may be deleted: it writes nothing and cannot trap (reads are fine).
func (op Opcode) IsRemovableIfUnused() bool {
	const writes = WritesMemory | WritesGlobal | WritesTable | Calls | Terminator
	return op.Effects()&writes == 0 && !op.CanTrap() && op != OpInvalid
}

// IsTyped reports whether the opcode has a controlling type (printed as a
// ".T" suffix).
func (op Opcode) IsTyped() bool { return op.info().types != tsNone }

// convOK reports whether a conversion from 'from' to result type 'to' is valid.
func convOK(op Opcode, to, from Type) bool {
	switch op {
	case OpWrap:
		return from == I64 && to == I32
	case OpSextend, OpUextend:
		return from == I32 && to == I64
	case OpFpromote:
		return from == F32 && to == F64
	case OpFdemote:
		return from == F64 && to == F32
	case OpFcvtToSint, OpFcvtToUint, OpFcvtToSintSat, OpFcvtToUintSat:
		return from.IsFloat() && to.IsInt()
	case OpFcvtFromSint, OpFcvtFromUint:
		return from.IsInt() && to.IsFloat()
	case OpBitcast:
		return from.Bits() == to.Bits() && from.IsInt() != to.IsInt() && (from.IsInt() || from.IsFloat())
	}
	return false
}
