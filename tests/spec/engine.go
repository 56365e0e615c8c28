// Package spec runs the official WebAssembly specification test suite (the wast2json
// output that ships inside the wazero module, internal/integration_test/spectest/{v1,v2}/
// testdata) against any engine that implements the small Engine interface below.
//
// How it works: every *.json file is a script of commands produced by wast2json from one
// .wast file. Run reads each script in order and drives the engine: "module" compiles and
// instantiates a .wasm file (the instance becomes the current one and, when the command
// carries a name, can be referred to later), "register" makes an instance's exports
// importable under a module name, "action" and "assert_return" invoke an export (or read
// an exported global) and compare typed results, "assert_trap" and "assert_exhaustion"
// expect a trap, "assert_invalid" and "assert_malformed" expect Engine.Compile to reject
// the bytes, "assert_unlinkable" expects instantiation of a valid module to fail, and
// "assert_uninstantiable" expects instantiation to trap. Text-format modules
// (module_type "text") cannot be given to a binary engine: they are counted as "text
// (n/a)" and neither passed nor failed. SIMD scripts (v2 simd_*.json) and any command
// carrying a v128 value are skipped and counted.
//
// Values cross the interface as (type, 64 bits) plus a null flag for references, with no
// engine types, so the same runner drives wazero (NewWazeroEngine, the proof that the
// runner is right) and mwasm's own AOT compiler (NewAOTEngine, aot.go; TestSpecAOT
// is the bar: every command must pass). Results are compared per the spec:
// integers and floats bit for bit, "nan:canonical" and "nan:arithmetic" by their bit
// patterns. Trap messages match when the suite's text is a substring of the engine's
// message, or when the engine's TrapKind is one the suite's text denotes.
//
// Run prints a per-file table, every failure with file, line, command, expected and got,
// a summary line exactly "spec: N passed, M failed", and the skipped counts on a line of
// their own.
package spec

import (
	"fmt"
	"math"
)

// Suite names the version of the suite a script belongs to.
type Suite string

// The two suites shipped by wazero.
//
// v1 scripts assert MVP rules that 2.0 lifted, so an engine must apply them when Reset
// says SuiteV1 (wazero gets CoreFeaturesV1). Validation: a block or function type with
// more than one result is invalid ("invalid result arity", v1 func.json:493,497 and
// type.json:53,57); more than one table is invalid ("multiple tables", imports.json:318);
// br_table labels must have identical types even after unreachable ("type mismatch",
// unreached-invalid.json:539). Instantiation: every element and data segment is
// bounds-checked before any is written, so a failing module leaves imported tables and
// memories untouched (linking.json:236,248,342,354 observe this).
const (
	SuiteV1 Suite = "v1" // WebAssembly 1.0 (MVP)
	SuiteV2 Suite = "v2" // WebAssembly 2.0
)

// Engine is what the runner needs from a Wasm implementation. It holds one store: the
// instances created since the last Reset and the names they are registered under.
//
// Every engine must provide the host module "spectest" (see SpectestModule for a Wasm
// binary of it): functions print, print_i32, print_i64, print_f32, print_f64,
// print_i32_f32, print_f64_f64 (no-ops); immutable globals global_i32 = 666,
// global_i64 = 666, global_f32 = 666.6, global_f64 = 666.6; table "table" of 10 funcref,
// max 20; memory "memory" of 1 page, max 2.
type Engine interface {
	// Reset discards every instance and registration and starts a fresh store for the
	// next script, which belongs to the given suite.
	Reset(suite Suite) error

	// Compile decodes and validates a module without instantiating it. It must return
	// an error for every malformed or invalid module and nil for every valid one.
	Compile(wasm []byte) error

	// Instantiate compiles a module and instantiates it, resolving its imports against
	// "spectest" and the registered instances. A trap while instantiating (an
	// out-of-bounds segment, a trapping start function) is returned as a *Trap; any
	// other failure (invalid module, unknown import, incompatible import type) as a
	// plain error. registerAs is non-empty when the script will register this instance
	// under that name by the very next command: engines that must bind the name at
	// instantiation may use it. The runner still calls Register.
	Instantiate(wasm []byte, registerAs string) (Instance, error)

	// Register makes the exports of inst importable by later modules under name.
	Register(name string, inst Instance) error

	// Close releases everything the engine holds.
	Close() error
}

// Instance is one instantiated module.
type Instance interface {
	// Invoke calls the exported function name. A trap (including call stack
	// exhaustion, TrapStackExhausted) is returned as a *Trap, possibly wrapped.
	Invoke(name string, args []Value) ([]Value, error)

	// Global returns the current value of the exported global name.
	Global(name string) (Value, error)
}

// ValType is the type of a Value.
type ValType byte

// Value types. V128 exists only so an engine can report it; the runner never sends one.
const (
	I32 ValType = iota + 1
	I64
	F32
	F64
	V128
	FuncRef
	ExternRef
)

func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	case FuncRef:
		return "funcref"
	case ExternRef:
		return "externref"
	}
	return fmt.Sprintf("valtype(%d)", byte(t))
}

// Value is a typed Wasm value.
//
// Bits holds i32 and f32 in the low 32 bits (upper bits zero), i64 and f64 in all 64.
// For externref, Null tells a null reference and Bits is the host value the script
// gave (ref.extern 0 is a non-null reference with Bits 0). For funcref, Null tells a
// null reference and Bits is an engine-defined identity (never compared by the runner).
type Value struct {
	Type ValType
	Bits uint64
	Null bool
}

// ValueI32 and the others build Values.
func ValueI32(v int32) Value     { return Value{Type: I32, Bits: uint64(uint32(v))} }
func ValueI64(v int64) Value     { return Value{Type: I64, Bits: uint64(v)} }
func ValueF32(v float32) Value   { return Value{Type: F32, Bits: uint64(math.Float32bits(v))} }
func ValueF64(v float64) Value   { return Value{Type: F64, Bits: math.Float64bits(v)} }
func ValueExtern(v uint64) Value { return Value{Type: ExternRef, Bits: v} }
func ValueNull(t ValType) Value  { return Value{Type: t, Null: true} }

func (v Value) String() string {
	switch v.Type {
	case I32:
		return fmt.Sprintf("i32:%d", int32(uint32(v.Bits)))
	case I64:
		return fmt.Sprintf("i64:%d", int64(v.Bits))
	case F32:
		return fmt.Sprintf("f32:%v(%#08x)", math.Float32frombits(uint32(v.Bits)), uint32(v.Bits))
	case F64:
		return fmt.Sprintf("f64:%v(%#016x)", math.Float64frombits(v.Bits), v.Bits)
	case FuncRef, ExternRef:
		if v.Null {
			return v.Type.String() + ":null"
		}
		if v.Type == FuncRef {
			return "funcref:non-null"
		}
		return fmt.Sprintf("externref:%d", v.Bits)
	}
	return fmt.Sprintf("%v:%#x", v.Type, v.Bits)
}

// TrapKind classifies a trap in the suite's terms. Engines that know the precise kind
// should report it; the message is matched first anyway.
type TrapKind int

// Trap kinds.
const (
	TrapOther                    TrapKind = iota
	TrapUnreachable                       // "unreachable"
	TrapMemoryOutOfBounds                 // "out of bounds memory access"
	TrapTableOutOfBounds                  // "out of bounds table access" (table.get/set/fill/copy/init, element segments)
	TrapUndefinedElement                  // "undefined element": call_indirect index >= table size
	TrapUninitializedElement              // "uninitialized element": call_indirect of a null entry
	TrapTableAccess                       // any of the three above, for engines that do not tell them apart
	TrapIndirectCallTypeMismatch          // "indirect call type mismatch"
	TrapIntegerDivideByZero               // "integer divide by zero"
	TrapIntegerOverflow                   // "integer overflow"
	TrapInvalidConversion                 // "invalid conversion to integer"
	TrapNullReference                     // "null reference" and friends
	TrapStackExhausted                    // "call stack exhausted" (assert_exhaustion)
)

var trapKindNames = map[TrapKind]string{
	TrapOther:                    "other",
	TrapUnreachable:              "unreachable",
	TrapMemoryOutOfBounds:        "out of bounds memory access",
	TrapTableOutOfBounds:         "out of bounds table access",
	TrapUndefinedElement:         "undefined element",
	TrapUninitializedElement:     "uninitialized element",
	TrapTableAccess:              "table access",
	TrapIndirectCallTypeMismatch: "indirect call type mismatch",
	TrapIntegerDivideByZero:      "integer divide by zero",
	TrapIntegerOverflow:          "integer overflow",
	TrapInvalidConversion:        "invalid conversion to integer",
	TrapNullReference:            "null reference",
	TrapStackExhausted:           "call stack exhausted",
}

func (k TrapKind) String() string {
	if s, ok := trapKindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("trapkind(%d)", int(k))
}

// Trap is the error an engine returns when Wasm code traps or exhausts the stack.
type Trap struct {
	Kind    TrapKind
	Message string // the engine's own text
}

func (t *Trap) Error() string {
	return fmt.Sprintf("trap (%v): %s", t.Kind, t.Message)
}

// RawBits encodes v the way engines pass values as 64-bit words: i32 and f32 in the
// low bits; a null reference is 0; a non-null externref holding the script's host
// value n is n+1 (so that ref.extern 0 is not null); a funcref is the engine's own
// non-zero word.
func (v Value) RawBits() uint64 {
	switch v.Type {
	case I32, F32:
		return uint64(uint32(v.Bits))
	case ExternRef, FuncRef:
		if v.Null {
			return 0
		}
		if v.Type == ExternRef {
			return v.Bits + 1
		}
	}
	return v.Bits
}

// ValueFromRawBits decodes a word in RawBits's encoding as a value of type t.
func ValueFromRawBits(t ValType, raw uint64) Value {
	switch t {
	case I32, F32:
		return Value{Type: t, Bits: uint64(uint32(raw))}
	case ExternRef:
		if raw == 0 {
			return ValueNull(ExternRef)
		}
		return Value{Type: ExternRef, Bits: raw - 1}
	case FuncRef:
		if raw == 0 {
			return ValueNull(FuncRef)
		}
	}
	return Value{Type: t, Bits: raw}
}
