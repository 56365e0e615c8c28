package passes

import (
	"math"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/ir"
)

func f32b(x float32) uint64 { return uint64(math.Float32bits(x)) }
func f64b(x float64) uint64 { return math.Float64bits(x) }

const (
	negZero64 = 1 << 63
	negZero32 = 1 << 31
	nan32     = 0x7fc00000
	nan64     = 0x7ff8000000000000
)

func TestEvalWasmEdgeCases(t *testing.T) {
	I32, I64, F32, F64 := ir.I32, ir.I64, ir.F32, ir.F64
	type tc struct {
		name  string
		op    ir.Opcode
		typ   ir.Type
		cond  uint8
		at    []ir.Type
		args  []uint64
		want  uint64
		folds bool
	}
	cases := []tc{
		{"i32 INT_MIN/-1 traps", ir.OpSdiv, I32, 0, []ir.Type{I32, I32}, []uint64{0x80000000, 0xffffffff}, 0, false},
		{"i64 INT_MIN/-1 traps", ir.OpSdiv, I64, 0, []ir.Type{I64, I64}, []uint64{1 << 63, math.MaxUint64}, 0, false},
		{"i32 div by zero traps", ir.OpUdiv, I32, 0, []ir.Type{I32, I32}, []uint64{5, 0}, 0, false},
		{"i32 rem by zero traps", ir.OpSrem, I32, 0, []ir.Type{I32, I32}, []uint64{5, 0}, 0, false},
		{"i64 INT_MIN%-1 = 0", ir.OpSrem, I64, 0, []ir.Type{I64, I64}, []uint64{1 << 63, math.MaxUint64}, 0, true},
		{"i32 -7/2 truncates", ir.OpSdiv, I32, 0, []ir.Type{I32, I32}, []uint64{0xfffffff9, 2}, 0xfffffffd, true},
		{"i32 -7%2 sign of dividend", ir.OpSrem, I32, 0, []ir.Type{I32, I32}, []uint64{0xfffffff9, 2}, 0xffffffff, true},
		{"i32 shl masks 32", ir.OpIshl, I32, 0, []ir.Type{I32, I32}, []uint64{1, 32}, 1, true},
		{"i64 shl masks 65", ir.OpIshl, I64, 0, []ir.Type{I64, I64}, []uint64{1, 65}, 2, true},
		{"i32 sshr sign", ir.OpSshr, I32, 0, []ir.Type{I32, I32}, []uint64{0x80000000, 31}, 0xffffffff, true},
		{"i32 ushr masks", ir.OpUshr, I32, 0, []ir.Type{I32, I32}, []uint64{0x80000000, 63}, 1, true},
		{"i64 rotl", ir.OpRotl, I64, 0, []ir.Type{I64, I64}, []uint64{0x8000000000000001, 65}, 3, true},
		{"i32 rotr masks", ir.OpRotr, I32, 0, []ir.Type{I32, I32}, []uint64{1, 33}, 0x80000000, true},
		{"i32 add wraps", ir.OpIadd, I32, 0, []ir.Type{I32, I32}, []uint64{0xffffffff, 2}, 1, true},
		{"i32 mul wraps", ir.OpImul, I32, 0, []ir.Type{I32, I32}, []uint64{0x10000, 0x10000}, 0, true},
		{"i64 clz 0", ir.OpClz, I64, 0, []ir.Type{I64}, []uint64{0}, 64, true},
		{"i32 ctz 0", ir.OpCtz, I32, 0, []ir.Type{I32}, []uint64{0}, 32, true},
		{"i64 popcnt", ir.OpPopcnt, I64, 0, []ir.Type{I64}, []uint64{math.MaxUint64}, 64, true},
		{"i32 extend8_s", ir.OpSextend8, I32, 0, []ir.Type{I32}, []uint64{0x80}, 0xffffff80, true},
		{"i64 extend16_s", ir.OpSextend16, I64, 0, []ir.Type{I64}, []uint64{0x12348000}, 0xffffffffffff8000, true},
		{"i64 extend32_s", ir.OpSextend32, I64, 0, []ir.Type{I64}, []uint64{0x80000000}, 0xffffffff80000000, true},
		{"i64.extend_i32_s", ir.OpSextend, I64, 0, []ir.Type{I32}, []uint64{0xffffffff}, math.MaxUint64, true},
		{"icmp slt signed", ir.OpIcmp, I32, uint8(ir.IntSLt), []ir.Type{I32, I32}, []uint64{0xffffffff, 0}, 1, true},
		{"icmp ult unsigned", ir.OpIcmp, I32, uint8(ir.IntULt), []ir.Type{I32, I32}, []uint64{0xffffffff, 0}, 0, true},

		{"f64 min(-0,+0)", ir.OpFmin, F64, 0, []ir.Type{F64, F64}, []uint64{negZero64, 0}, negZero64, true},
		{"f64 min(+0,-0)", ir.OpFmin, F64, 0, []ir.Type{F64, F64}, []uint64{0, negZero64}, negZero64, true},
		{"f32 max(-0,+0)", ir.OpFmax, F32, 0, []ir.Type{F32, F32}, []uint64{negZero32, 0}, 0, true},
		{"f32 max(+0,-0)", ir.OpFmax, F32, 0, []ir.Type{F32, F32}, []uint64{0, negZero32}, 0, true},
		{"f64 min(NaN,1)", ir.OpFmin, F64, 0, []ir.Type{F64, F64}, []uint64{nan64 | 5, f64b(1)}, nan64, true},
		{"f64 max(1,NaN)", ir.OpFmax, F64, 0, []ir.Type{F64, F64}, []uint64{f64b(1), nan64}, nan64, true},
		{"f32 max(-inf,NaN)", ir.OpFmax, F32, 0, []ir.Type{F32, F32}, []uint64{f32b(float32(math.Inf(-1))), nan32}, nan32, true},
		{"f32 min(1,2)", ir.OpFmin, F32, 0, []ir.Type{F32, F32}, []uint64{f32b(1), f32b(2)}, f32b(1), true},
		{"f32 add rounds in f32", ir.OpFadd, F32, 0, []ir.Type{F32, F32}, []uint64{f32b(16777216), f32b(1)}, f32b(16777216), true},
		{"f32 neg NaN keeps payload", ir.OpFneg, F32, 0, []ir.Type{F32}, []uint64{0x7fa00001}, 0xffa00001, true},
		{"f64 abs -0", ir.OpFabs, F64, 0, []ir.Type{F64}, []uint64{negZero64}, 0, true},
		{"f32 copysign", ir.OpFcopysign, F32, 0, []ir.Type{F32, F32}, []uint64{f32b(2), negZero32}, f32b(-2), true},
		{"f64 nearest 0.5", ir.OpNearest, F64, 0, []ir.Type{F64}, []uint64{f64b(0.5)}, 0, true},
		{"f64 nearest -0.5 is -0", ir.OpNearest, F64, 0, []ir.Type{F64}, []uint64{f64b(-0.5)}, negZero64, true},
		{"f32 ceil -0.5 is -0", ir.OpCeil, F32, 0, []ir.Type{F32}, []uint64{f32b(-0.5)}, negZero32, true},
		{"f32 sqrt 2", ir.OpSqrt, F32, 0, []ir.Type{F32}, []uint64{f32b(2)}, f32b(float32(math.Sqrt(2))), true},
		{"fcmp NaN ne", ir.OpFcmp, F64, uint8(ir.FloatNe), []ir.Type{F64, F64}, []uint64{nan64, nan64}, 1, true},
		{"fcmp NaN eq", ir.OpFcmp, F64, uint8(ir.FloatEq), []ir.Type{F64, F64}, []uint64{nan64, nan64}, 0, true},
		{"fcmp -0 eq +0", ir.OpFcmp, F32, uint8(ir.FloatEq), []ir.Type{F32, F32}, []uint64{negZero32, 0}, 1, true},

		{"trunc NaN traps", ir.OpFcvtToSint, I32, 0, []ir.Type{F64}, []uint64{nan64}, 0, false},
		{"trunc 2^31 traps", ir.OpFcvtToSint, I32, 0, []ir.Type{F64}, []uint64{f64b(2147483648)}, 0, false},
		{"trunc -2^31-1 traps", ir.OpFcvtToSint, I32, 0, []ir.Type{F64}, []uint64{f64b(-2147483649)}, 0, false},
		{"trunc -2^31-0.9 ok", ir.OpFcvtToSint, I32, 0, []ir.Type{F64}, []uint64{f64b(-2147483648.9)}, 0x80000000, true},
		{"trunc_u -0.9 is 0", ir.OpFcvtToUint, I32, 0, []ir.Type{F32}, []uint64{f32b(-0.9)}, 0, true},
		{"trunc_u -1 traps", ir.OpFcvtToUint, I32, 0, []ir.Type{F32}, []uint64{f32b(-1)}, 0, false},
		{"trunc_u i64 2^64 traps", ir.OpFcvtToUint, I64, 0, []ir.Type{F64}, []uint64{f64b(18446744073709551616)}, 0, false},
		{"trunc i64 -2^63 ok", ir.OpFcvtToSint, I64, 0, []ir.Type{F32}, []uint64{f32b(-9223372036854775808)}, 1 << 63, true},
		{"trunc i64 2^63 traps", ir.OpFcvtToSint, I64, 0, []ir.Type{F32}, []uint64{f32b(9223372036854775808)}, 0, false},
		{"sat NaN is 0", ir.OpFcvtToSintSat, I32, 0, []ir.Type{F32}, []uint64{nan32}, 0, true},
		{"sat +inf", ir.OpFcvtToUintSat, I64, 0, []ir.Type{F64}, []uint64{f64b(math.Inf(1))}, math.MaxUint64, true},
		{"sat -inf signed", ir.OpFcvtToSintSat, I32, 0, []ir.Type{F64}, []uint64{f64b(math.Inf(-1))}, 0x80000000, true},
		{"sat i64 -1e30", ir.OpFcvtToSintSat, I64, 0, []ir.Type{F64}, []uint64{f64b(-1e30)}, 1 << 63, true},
		{"convert u64 max to f32", ir.OpFcvtFromUint, F32, 0, []ir.Type{I64}, []uint64{math.MaxUint64}, f32b(18446744073709551616), true},
		{"convert i32 -1 to f64", ir.OpFcvtFromSint, F64, 0, []ir.Type{I32}, []uint64{0xffffffff}, f64b(-1), true},
		{"convert u32 max to f64", ir.OpFcvtFromUint, F64, 0, []ir.Type{I32}, []uint64{0xffffffff}, f64b(4294967295), true},
		{"demote rounds", ir.OpFdemote, F32, 0, []ir.Type{F64}, []uint64{f64b(1 + 1.0/(1<<24))}, f32b(1), true},
		{"promote NaN", ir.OpFpromote, F64, 0, []ir.Type{F32}, []uint64{nan32}, nan64, true},
		{"reinterpret keeps bits", ir.OpBitcast, F32, 0, []ir.Type{I32}, []uint64{0x7fa00001}, 0x7fa00001, true},
	}
	for _, c := range cases {
		got, ok := Eval(c.op, c.typ, c.cond, c.at, c.args)
		if ok != c.folds {
			t.Errorf("%s: folds=%v, want %v", c.name, ok, c.folds)
			continue
		}
		if ok && got != c.want {
			t.Errorf("%s: got %#x, want %#x", c.name, got, c.want)
		}
	}
}

func TestCheckOrder(t *testing.T) {
	nop := func(*ir.Func) bool { return false }
	if err := CheckOrder(Pipeline); err != nil {
		t.Fatalf("default pipeline: %v", err)
	}
	bad := []Pass{{Name: "dce", Run: nop, After: []string{"constfold"}}, {Name: "constfold", Run: nop}}
	if err := CheckOrder(bad); err == nil || !strings.Contains(err.Error(), `"dce" must run after "constfold"`) {
		t.Errorf("After violation: %v", err)
	}
	bad = []Pass{{Name: "b", Run: nop}, {Name: "a", Run: nop, Before: []string{"b"}}}
	if err := CheckOrder(bad); err == nil || !strings.Contains(err.Error(), `"a" must run before "b"`) {
		t.Errorf("Before violation: %v", err)
	}
	dup := []Pass{{Name: "a", Run: nop}, {Name: "a", Run: nop}}
	if err := CheckOrder(dup); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate: %v", err)
	}
}

// A pass that breaks the IR is named by the verifier switch.
func TestRunVerifiesBetweenPasses(t *testing.T) {
	f, err := ir.Parse("func %f(i32) -> i32 {\nblock0(v0: i32):\n    v1 = iadd.i32 v0, v0\n    return v1\n}\n")
	if err != nil {
		t.Fatal(err)
	}
	breaker := Pass{Name: "breaker", Run: func(f *ir.Func) bool {
		f.RemoveInst(f.Blocks[0].Insts[0]) // leaves "return v1" without a definition
		return true
	}}
	err = Run(f, []Pass{breaker}, Options{Verify: true})
	if err == nil || !strings.Contains(err.Error(), `after pass "breaker"`) || !strings.Contains(err.Error(), "v1 is the result of a removed instruction") {
		t.Errorf("got %v", err)
	}
}
