package ir

import (
	"fmt"
	"slices"
	"strings"
)

// Type is the type of an SSA value.
type Type uint8

const (
	InvalidType Type = iota
	I32
	I64
	F32
	F64
	V128      // reserved for SIMD; no opcode produces it yet
	FuncRef   // Wasm funcref (nullable)
	ExternRef // Wasm externref (nullable)
	numTypes
)

var typeNames = [numTypes]string{"invalid", "i32", "i64", "f32", "f64", "v128", "funcref", "externref"}

func (t Type) String() string {
	if t < numTypes {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// IsInt reports whether t is i32 or i64.
func (t Type) IsInt() bool { return t == I32 || t == I64 }

// IsFloat reports whether t is f32 or f64.
func (t Type) IsFloat() bool { return t == F32 || t == F64 }

// IsRef reports whether t is a reference type.
func (t Type) IsRef() bool { return t == FuncRef || t == ExternRef }

// Bits is the width of a numeric type in bits (0 for reference types).
func (t Type) Bits() int {
	switch t {
	case I32, F32:
		return 32
	case I64, F64:
		return 64
	case V128:
		return 128
	}
	return 0
}

// ParseType parses a type name such as "i32".
func ParseType(s string) (Type, bool) {
	for i, n := range typeNames {
		if i != 0 && n == s {
			return Type(i), true
		}
	}
	return InvalidType, false
}

// Signature is a function type: parameter and result types.
type Signature struct {
	Params  []Type
	Results []Type
}

// Equal reports whether two signatures are identical.
func (s Signature) Equal(o Signature) bool {
	return slices.Equal(s.Params, o.Params) && slices.Equal(s.Results, o.Results)
}

// String prints "(i32, i64) -> f32", "(i32) -> (i32, i64)" or, without
// results, "(i32)".
func (s Signature) String() string {
	var b strings.Builder
	b.WriteString("(")
	writeTypes(&b, s.Params)
	b.WriteString(")")
	if len(s.Results) == 0 {
		return b.String()
	}
	b.WriteString(" -> ")
	if len(s.Results) == 1 {
		b.WriteString(s.Results[0].String())
	} else {
		b.WriteString("(")
		writeTypes(&b, s.Results)
		b.WriteString(")")
	}
	return b.String()
}

func writeTypes(b *strings.Builder, ts []Type) {
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.String())
	}
}

// TrapKind says why Wasm code trapped.
type TrapKind uint8

const (
	TrapNone TrapKind = iota
	TrapUnreachable
	TrapIntOverflow
	TrapDivByZero
	TrapInvalidConversion
	TrapOutOfBoundsMemory
	TrapOutOfBoundsTable
	TrapIndirectCallTypeMismatch
	TrapNullReference // call_indirect through a null table entry ("uninitialized element")
	TrapStackOverflow
	TrapUndefinedElement // call_indirect with an index past the table's end ("undefined element")
	numTrapKinds
)

var trapNames = [numTrapKinds]string{
	"none", "unreachable", "int_overflow", "div_by_zero", "invalid_conversion",
	"oob_memory", "oob_table", "indirect_call_type_mismatch", "null_reference", "stack_overflow",
	"undefined_element",
}

// Message is the Wasm spec's wording for the trap (as used in assert_trap).
func (k TrapKind) Message() string {
	switch k {
	case TrapUnreachable:
		return "unreachable"
	case TrapIntOverflow:
		return "integer overflow"
	case TrapDivByZero:
		return "integer divide by zero"
	case TrapInvalidConversion:
		return "invalid conversion to integer"
	case TrapOutOfBoundsMemory:
		return "out of bounds memory access"
	case TrapOutOfBoundsTable:
		return "out of bounds table access"
	case TrapIndirectCallTypeMismatch:
		return "indirect call type mismatch"
	case TrapNullReference:
		return "uninitialized element"
	case TrapStackOverflow:
		return "call stack exhausted"
	case TrapUndefinedElement:
		return "undefined element"
	}
	return "no trap"
}

func (k TrapKind) String() string {
	if k < numTrapKinds {
		return trapNames[k]
	}
	return fmt.Sprintf("trap(%d)", uint8(k))
}

// ParseTrapKind parses a trap kind name as printed by String.
func ParseTrapKind(s string) (TrapKind, bool) {
	for i, n := range trapNames {
		if i != 0 && n == s {
			return TrapKind(i), true
		}
	}
	return TrapNone, false
}

// TrapSet is a set of TrapKinds.
type TrapSet uint16

// Has reports whether k is in the set.
func (s TrapSet) Has(k TrapKind) bool { return s&(1<<k) != 0 }

func traps(ks ...TrapKind) TrapSet {
	var s TrapSet
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

// allTraps is what a call may raise: anything its callee can.
const allTraps = TrapSet(1<<numTrapKinds-1) &^ 1

// IntCC is the condition of an icmp.
type IntCC uint8

const (
	IntEq IntCC = iota
	IntNe
	IntSLt
	IntSLe
	IntSGt
	IntSGe
	IntULt
	IntULe
	IntUGt
	IntUGe
	numIntCC
)

var intCCNames = [numIntCC]string{"eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"}

func (c IntCC) String() string {
	if c < numIntCC {
		return intCCNames[c]
	}
	return fmt.Sprintf("intcc(%d)", uint8(c))
}

// Inverse is the condition that holds exactly when c does not.
func (c IntCC) Inverse() IntCC {
	return [numIntCC]IntCC{IntNe, IntEq, IntSGe, IntSGt, IntSLe, IntSLt, IntUGe, IntUGt, IntULe, IntULt}[c]
}

// Swap is the condition with operands exchanged (a < b  <=>  b > a).
func (c IntCC) Swap() IntCC {
	return [numIntCC]IntCC{IntEq, IntNe, IntSGt, IntSGe, IntSLt, IntSLe, IntUGt, IntUGe, IntULt, IntULe}[c]
}

// FloatCC is the condition of an fcmp. Wasm's comparisons are ordered except
// ne, which is true when either operand is NaN.
type FloatCC uint8

const (
	FloatEq FloatCC = iota // ordered and equal
	FloatNe                // unordered or not equal
	FloatLt
	FloatLe
	FloatGt
	FloatGe
	numFloatCC
)

var floatCCNames = [numFloatCC]string{"eq", "ne", "lt", "le", "gt", "ge"}

func (c FloatCC) String() string {
	if c < numFloatCC {
		return floatCCNames[c]
	}
	return fmt.Sprintf("floatcc(%d)", uint8(c))
}

// MemFlags qualify a memory access.
type MemFlags uint8

const (
	// MemChecked: the access needs an explicit bounds check (no guard region
	// covers it). Without it the back end relies on guard pages and a fault
	// handler; the access still traps with TrapOutOfBoundsMemory.
	MemChecked MemFlags = 1 << iota
)
