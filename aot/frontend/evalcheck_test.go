package frontend

import (
	"math"
	"math/rand"
	"testing"

	"github.com/mwasm/mwasm/aot/frontend/internal/irinterp"
	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/aot/passes"
)

// operandType is the operand type of a plain numeric Wasm instruction.
func operandType(op int) ir.Type {
	switch {
	case op == 0x45, op >= 0x46 && op <= 0x4f, op >= 0x67 && op <= 0x78:
		return ir.I32
	case op == 0x50, op >= 0x51 && op <= 0x5a, op >= 0x79 && op <= 0x8a:
		return ir.I64
	case op >= 0x5b && op <= 0x60, op >= 0x8b && op <= 0x98:
		return ir.F32
	case op >= 0x61 && op <= 0x66, op >= 0x99 && op <= 0xa6:
		return ir.F64
	}
	conv := map[int]ir.Type{0xa7: ir.I64, 0xa8: ir.F32, 0xa9: ir.F32, 0xaa: ir.F64, 0xab: ir.F64, 0xac: ir.I32, 0xad: ir.I32,
		0xae: ir.F32, 0xaf: ir.F32, 0xb0: ir.F64, 0xb1: ir.F64, 0xb2: ir.I32, 0xb3: ir.I32, 0xb4: ir.I64, 0xb5: ir.I64,
		0xb6: ir.F64, 0xb7: ir.I32, 0xb8: ir.I32, 0xb9: ir.I64, 0xba: ir.I64, 0xbb: ir.F32, 0xbc: ir.F32, 0xbd: ir.F64,
		0xbe: ir.I32, 0xbf: ir.I64, 0xc0: ir.I32, 0xc1: ir.I32, 0xc2: ir.I64, 0xc3: ir.I64, 0xc4: ir.I64}
	return conv[op]
}

func interestingBits(t ir.Type, rng *rand.Rand) []uint64 {
	var vs []uint64
	switch t {
	case ir.I32:
		vs = []uint64{0, 1, 2, 31, 32, 33, 0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0xfffffffe, 0x12345678}
	case ir.I64:
		vs = []uint64{0, 1, 2, 63, 64, 65, 0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff, 0xfffffffffffffffe, 0x80000000, 0xffffffff, 0x123456789abcdef0}
	case ir.F32:
		for _, f := range []float32{0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3.4028235e38, 1e-45, 2147483520, 2147483648, -2147483648, -2147483904,
			4294967040, 4294967296, 9.223371e18, 9.223372e18, 1.8446743e19, -0.99999994, float32(math.Inf(1)), float32(math.Inf(-1))} {
			vs = append(vs, uint64(math.Float32bits(f)))
		}
		vs = append(vs, 0x80000000, 0x7fc00000, 0xffc00000, 0x7fa00000, 0x7f800001, 0x00000001)
	case ir.F64:
		for _, f := range []float64{0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, math.MaxFloat64, 5e-324, 2147483647.9, 2147483648, -2147483648.9, -2147483649,
			4294967295.9, 4294967296, 9.223372036854775e18, 9.223372036854776e18, 1.8446744073709552e19, -0.9999999999999999, math.Inf(1), math.Inf(-1), 1e300, 16777217} {
			vs = append(vs, math.Float64bits(f))
		}
		vs = append(vs, 0x8000000000000000, 0x7ff8000000000000, 0xfff8000000000000, 0x7ff4000000000000, 0x7ff0000000000001)
	}
	for i := 0; i < 12; i++ {
		x := rng.Uint64()
		if t == ir.I32 || t == ir.F32 {
			x = uint64(uint32(x))
		}
		vs = append(vs, x)
	}
	return vs
}

func isNaNBits(t ir.Type, x uint64) bool {
	if t == ir.F32 {
		return x&0x7f800000 == 0x7f800000 && x&0x7fffff != 0
	}
	if t == ir.F64 {
		return x&0x7ff0000000000000 == 0x7ff0000000000000 && x&0xfffffffffffff != 0
	}
	return false
}

// TestEvalAgreesWithInterp checks the passes' constant evaluator (used by
// constfold) against irinterp on edge values for every numeric opcode:
// whenever Eval folds, the interpreter must not trap and must agree (a NaN
// result of arithmetic may be any NaN allowed by Wasm's NaN rules; Eval's
// canonical NaN always is).
func TestEvalAgreesWithInterp(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	type entry struct {
		wop  int
		n    numOp
		from ir.Type
	}
	var ops []entry
	for wop, n := range numOps {
		if n.kind != numNone {
			ops = append(ops, entry{wop, n, operandType(wop)})
		}
	}
	for i, n := range satOps {
		from := ir.F32
		if i == 2 || i == 3 || i == 6 || i == 7 {
			from = ir.F64
		}
		ops = append(ops, entry{0xfc00 + i, n, from})
	}
	checked, folded := 0, 0
	for _, e := range ops {
		if e.from == ir.InvalidType {
			t.Fatalf("no operand type for opcode %#x", e.wop)
		}
		vals := interestingBits(e.from, rng)
		ctl := e.n.t
		if e.n.op == ir.OpEqz || e.n.kind == numIcmp || e.n.kind == numFcmp {
			ctl = e.from
		}
		resT := ctl
		if e.n.kind == numIcmp || e.n.kind == numFcmp || e.n.op == ir.OpEqz {
			resT = ir.I32
		}
		var argSets [][]uint64
		if e.n.kind == numUnary {
			for _, x := range vals {
				argSets = append(argSets, []uint64{x})
			}
		} else {
			for _, x := range vals {
				for _, y := range vals {
					argSets = append(argSets, []uint64{x, y})
				}
			}
		}
		for _, args := range argSets {
			ats := make([]ir.Type, len(args))
			for i := range ats {
				ats[i] = e.from
			}
			checked++
			want, trap := irinterp.Eval(e.n.op, ctl, e.n.cond, ats, args)
			got, ok := passes.Eval(e.n.op, ctl, e.n.cond, ats, args)
			if !ok {
				continue
			}
			folded++
			if trap != ir.TrapNone {
				t.Errorf("opcode %#x (%s.%s) %#x: passes.Eval folds to %#x, but it traps (%s)", e.wop, e.n.op, ctl, args, got, trap)
				continue
			}
			if got == want {
				continue
			}
			bitExact := e.n.op == ir.OpFneg || e.n.op == ir.OpFabs || e.n.op == ir.OpFcopysign || e.n.op == ir.OpBitcast
			if !bitExact && isNaNBits(resT, got) && isNaNBits(resT, want) {
				canon := got&^(1<<63) == 0x7ff8000000000000 || uint32(got)&0x7fffffff == 0x7fc00000
				if canon {
					continue
				}
			}
			t.Errorf("opcode %#x (%s.%s) %#x: passes.Eval = %#x, irinterp = %#x", e.wop, e.n.op, ctl, args, got, want)
		}
	}
	t.Logf("%d evaluations compared, %d folded by passes.Eval", checked, folded)
	if folded < checked/2 {
		t.Errorf("passes.Eval folded only %d of %d evaluations", folded, checked)
	}
}
