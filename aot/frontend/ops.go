package frontend

// This file maps Wasm instructions to IR opcodes. The Wasm opcodes
// themselves, and the reading of instructions and their immediates, come
// from wasmc (wasmc.Op*, wasmc.InstrReader).

import (
	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/wasmc"
)

type numKind uint8

const (
	numNone numKind = iota
	numUnary
	numBinary
	numIcmp
	numFcmp
)

// numOp says how a plain numeric Wasm instruction maps to IR: the opcode,
// its controlling type (the result type, or the operand type for eqz and
// comparisons), and the condition of comparisons.
type numOp struct {
	kind numKind
	op   ir.Opcode
	t    ir.Type
	cond uint8
}

// numOps is indexed by the Wasm opcode byte; satOps by the 0xFC sub-opcode.
var numOps [256]numOp
var satOps [8]numOp

// memOp describes a load or store, indexed by opcode-wasmc.OpI32Load.
type memOp struct {
	op    ir.Opcode
	t     ir.Type
	store bool
}

var memOps = [wasmc.OpI64Store32 - wasmc.OpI32Load + 1]memOp{
	{ir.OpLoad, ir.I32, false}, {ir.OpLoad, ir.I64, false}, {ir.OpLoad, ir.F32, false}, {ir.OpLoad, ir.F64, false},
	{ir.OpSload8, ir.I32, false}, {ir.OpUload8, ir.I32, false}, {ir.OpSload16, ir.I32, false}, {ir.OpUload16, ir.I32, false},
	{ir.OpSload8, ir.I64, false}, {ir.OpUload8, ir.I64, false}, {ir.OpSload16, ir.I64, false}, {ir.OpUload16, ir.I64, false},
	{ir.OpSload32, ir.I64, false}, {ir.OpUload32, ir.I64, false},
	{ir.OpStore, ir.I32, true}, {ir.OpStore, ir.I64, true}, {ir.OpStore, ir.F32, true}, {ir.OpStore, ir.F64, true},
	{ir.OpIstore8, ir.I32, true}, {ir.OpIstore16, ir.I32, true},
	{ir.OpIstore8, ir.I64, true}, {ir.OpIstore16, ir.I64, true}, {ir.OpIstore32, ir.I64, true},
}

func init() {
	un := func(wop int, op ir.Opcode, t ir.Type) { numOps[wop] = numOp{kind: numUnary, op: op, t: t} }
	bin := func(wop int, op ir.Opcode, t ir.Type) { numOps[wop] = numOp{kind: numBinary, op: op, t: t} }
	icmps := []ir.IntCC{ir.IntEq, ir.IntNe, ir.IntSLt, ir.IntULt, ir.IntSGt, ir.IntUGt, ir.IntSLe, ir.IntULe, ir.IntSGe, ir.IntUGe}
	fcmps := []ir.FloatCC{ir.FloatEq, ir.FloatNe, ir.FloatLt, ir.FloatGt, ir.FloatLe, ir.FloatGe}
	for i, cc := range icmps {
		numOps[0x46+i] = numOp{kind: numIcmp, op: ir.OpIcmp, t: ir.I32, cond: uint8(cc)}
		numOps[0x51+i] = numOp{kind: numIcmp, op: ir.OpIcmp, t: ir.I64, cond: uint8(cc)}
	}
	for i, cc := range fcmps {
		numOps[0x5B+i] = numOp{kind: numFcmp, op: ir.OpFcmp, t: ir.F32, cond: uint8(cc)}
		numOps[0x61+i] = numOp{kind: numFcmp, op: ir.OpFcmp, t: ir.F64, cond: uint8(cc)}
	}
	un(0x45, ir.OpEqz, ir.I32)
	un(0x50, ir.OpEqz, ir.I64)
	iun := []ir.Opcode{ir.OpClz, ir.OpCtz, ir.OpPopcnt}
	ibin := []ir.Opcode{ir.OpIadd, ir.OpIsub, ir.OpImul, ir.OpSdiv, ir.OpUdiv, ir.OpSrem, ir.OpUrem,
		ir.OpBand, ir.OpBor, ir.OpBxor, ir.OpIshl, ir.OpSshr, ir.OpUshr, ir.OpRotl, ir.OpRotr}
	fun := []ir.Opcode{ir.OpFabs, ir.OpFneg, ir.OpCeil, ir.OpFloor, ir.OpFtrunc, ir.OpNearest, ir.OpSqrt}
	fbin := []ir.Opcode{ir.OpFadd, ir.OpFsub, ir.OpFmul, ir.OpFdiv, ir.OpFmin, ir.OpFmax, ir.OpFcopysign}
	for i, op := range iun {
		un(0x67+i, op, ir.I32)
		un(0x79+i, op, ir.I64)
	}
	for i, op := range ibin {
		bin(0x6A+i, op, ir.I32)
		bin(0x7C+i, op, ir.I64)
	}
	for i, op := range fun {
		un(0x8B+i, op, ir.F32)
		un(0x99+i, op, ir.F64)
	}
	for i, op := range fbin {
		bin(0x92+i, op, ir.F32)
		bin(0xA0+i, op, ir.F64)
	}
	un(0xA7, ir.OpWrap, ir.I32)
	un(0xA8, ir.OpFcvtToSint, ir.I32)
	un(0xA9, ir.OpFcvtToUint, ir.I32)
	un(0xAA, ir.OpFcvtToSint, ir.I32)
	un(0xAB, ir.OpFcvtToUint, ir.I32)
	un(0xAC, ir.OpSextend, ir.I64)
	un(0xAD, ir.OpUextend, ir.I64)
	un(0xAE, ir.OpFcvtToSint, ir.I64)
	un(0xAF, ir.OpFcvtToUint, ir.I64)
	un(0xB0, ir.OpFcvtToSint, ir.I64)
	un(0xB1, ir.OpFcvtToUint, ir.I64)
	un(0xB2, ir.OpFcvtFromSint, ir.F32)
	un(0xB3, ir.OpFcvtFromUint, ir.F32)
	un(0xB4, ir.OpFcvtFromSint, ir.F32)
	un(0xB5, ir.OpFcvtFromUint, ir.F32)
	un(0xB6, ir.OpFdemote, ir.F32)
	un(0xB7, ir.OpFcvtFromSint, ir.F64)
	un(0xB8, ir.OpFcvtFromUint, ir.F64)
	un(0xB9, ir.OpFcvtFromSint, ir.F64)
	un(0xBA, ir.OpFcvtFromUint, ir.F64)
	un(0xBB, ir.OpFpromote, ir.F64)
	un(0xBC, ir.OpBitcast, ir.I32)
	un(0xBD, ir.OpBitcast, ir.I64)
	un(0xBE, ir.OpBitcast, ir.F32)
	un(0xBF, ir.OpBitcast, ir.F64)
	un(0xC0, ir.OpSextend8, ir.I32)
	un(0xC1, ir.OpSextend16, ir.I32)
	un(0xC2, ir.OpSextend8, ir.I64)
	un(0xC3, ir.OpSextend16, ir.I64)
	un(0xC4, ir.OpSextend32, ir.I64)
	sat := []struct {
		op ir.Opcode
		t  ir.Type
	}{
		{ir.OpFcvtToSintSat, ir.I32}, {ir.OpFcvtToUintSat, ir.I32}, {ir.OpFcvtToSintSat, ir.I32}, {ir.OpFcvtToUintSat, ir.I32},
		{ir.OpFcvtToSintSat, ir.I64}, {ir.OpFcvtToUintSat, ir.I64}, {ir.OpFcvtToSintSat, ir.I64}, {ir.OpFcvtToUintSat, ir.I64},
	}
	for i, s := range sat {
		satOps[i] = numOp{kind: numUnary, op: s.op, t: s.t}
	}
}
