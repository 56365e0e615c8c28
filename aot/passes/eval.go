package passes

import (
	"math"
	"math/bits"

	"github.com/mwasm/mwasm/aot/ir"
)

// Eval computes a pure numeric instruction on constant operands with
// exactly Wasm's semantics. op, typ (controlling type) and cond are as in
// ir.InstData; argTypes and args give the operand types and bits (i32 and
// f32 zero-extended). It returns ok=false when the instruction would trap
// (division by zero, INT_MIN/-1, NaN or out-of-range trapping conversion) or
// is not a foldable numeric operation; the caller then leaves it alone.
//
// NaN results of arithmetic are the canonical NaN (Wasm allows any
// arithmetic NaN); fneg, fabs and fcopysign act on the bits exactly.
func Eval(op ir.Opcode, typ ir.Type, cond uint8, argTypes []ir.Type, args []uint64) (uint64, bool) {
	switch len(args) {
	case 1:
		return eval1(op, typ, argTypes[0], args[0])
	case 2:
		if op == ir.OpIcmp {
			return b2u(icmp(ir.IntCC(cond), typ, args[0], args[1])), true
		}
		if op == ir.OpFcmp {
			return b2u(fcmp(ir.FloatCC(cond), typ, args[0], args[1])), true
		}
		if typ.IsInt() {
			return ibin(op, typ, args[0], args[1])
		}
		if typ.IsFloat() {
			return fbin(op, typ, args[0], args[1])
		}
	}
	return 0, false
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// norm truncates bits to the width of t.
func norm(t ir.Type, x uint64) uint64 {
	if t == ir.I32 || t == ir.F32 {
		return uint64(uint32(x))
	}
	return x
}

func ibin(op ir.Opcode, t ir.Type, a, b uint64) (uint64, bool) {
	w := uint64(t.Bits())
	sa, sb := signExt(t, a), signExt(t, b)
	var r uint64
	switch op {
	case ir.OpIadd:
		r = a + b
	case ir.OpIsub:
		r = a - b
	case ir.OpImul:
		r = a * b
	case ir.OpSdiv:
		if b == 0 || sb == -1 && (t == ir.I32 && sa == math.MinInt32 || t == ir.I64 && sa == math.MinInt64) {
			return 0, false
		}
		r = uint64(sa / sb)
	case ir.OpUdiv:
		if b == 0 {
			return 0, false
		}
		r = a / b
	case ir.OpSrem:
		if b == 0 {
			return 0, false
		}
		if sb == -1 {
			r = 0 // INT_MIN % -1 is 0 in Wasm, not a trap
		} else {
			r = uint64(sa % sb)
		}
	case ir.OpUrem:
		if b == 0 {
			return 0, false
		}
		r = a % b
	case ir.OpBand:
		r = a & b
	case ir.OpBor:
		r = a | b
	case ir.OpBxor:
		r = a ^ b
	case ir.OpIshl:
		r = a << (b & (w - 1))
	case ir.OpSshr:
		r = uint64(sa >> (b & (w - 1)))
	case ir.OpUshr:
		r = a >> (b & (w - 1))
	case ir.OpRotl, ir.OpRotr:
		k := int(b & (w - 1))
		if op == ir.OpRotr {
			k = -k
		}
		if t == ir.I32 {
			r = uint64(bits.RotateLeft32(uint32(a), k))
		} else {
			r = bits.RotateLeft64(a, k)
		}
	default:
		return 0, false
	}
	return norm(t, r), true
}

func icmp(cc ir.IntCC, t ir.Type, a, b uint64) bool {
	sa, sb := signExt(t, a), signExt(t, b)
	switch cc {
	case ir.IntEq:
		return a == b
	case ir.IntNe:
		return a != b
	case ir.IntSLt:
		return sa < sb
	case ir.IntSLe:
		return sa <= sb
	case ir.IntSGt:
		return sa > sb
	case ir.IntSGe:
		return sa >= sb
	case ir.IntULt:
		return a < b
	case ir.IntULe:
		return a <= b
	case ir.IntUGt:
		return a > b
	case ir.IntUGe:
		return a >= b
	}
	return false
}

// f64 widens float bits of type t to a float64 (exact for f32).
func f64(t ir.Type, x uint64) float64 {
	if t == ir.F32 {
		return float64(math.Float32frombits(uint32(x)))
	}
	return math.Float64frombits(x)
}

// fbits rounds a float64 result to type t and returns its bits; NaN becomes
// the canonical NaN.
func fbits(t ir.Type, x float64) uint64 {
	if t == ir.F32 {
		if x != x {
			return 0x7fc00000
		}
		return uint64(math.Float32bits(float32(x)))
	}
	if x != x {
		return 0x7ff8000000000000
	}
	return math.Float64bits(x)
}

func fcmp(cc ir.FloatCC, t ir.Type, a, b uint64) bool {
	x, y := f64(t, a), f64(t, b)
	switch cc {
	case ir.FloatEq:
		return x == y
	case ir.FloatNe:
		return x != y
	case ir.FloatLt:
		return x < y
	case ir.FloatLe:
		return x <= y
	case ir.FloatGt:
		return x > y
	case ir.FloatGe:
		return x >= y
	}
	return false
}

func signBit(t ir.Type) uint64 {
	if t == ir.F32 {
		return 1 << 31
	}
	return 1 << 63
}

func fbin(op ir.Opcode, t ir.Type, a, b uint64) (uint64, bool) {
	x, y := f64(t, a), f64(t, b)
	if t == ir.F32 {
		// Do f32 arithmetic in float32 so each operation rounds once.
		p, q := float32(x), float32(y)
		switch op {
		case ir.OpFadd:
			return fbits(t, float64(p+q)), true
		case ir.OpFsub:
			return fbits(t, float64(p-q)), true
		case ir.OpFmul:
			return fbits(t, float64(p*q)), true
		case ir.OpFdiv:
			return fbits(t, float64(p/q)), true
		}
	}
	switch op {
	case ir.OpFadd:
		return fbits(t, x+y), true
	case ir.OpFsub:
		return fbits(t, x-y), true
	case ir.OpFmul:
		return fbits(t, x*y), true
	case ir.OpFdiv:
		return fbits(t, x/y), true
	case ir.OpFmin, ir.OpFmax:
		if x != x || y != y {
			return fbits(t, math.NaN()), true
		}
		if x == y { // includes -0 vs +0: min takes the negative, max the positive
			if op == ir.OpFmin {
				return a | b, true
			}
			return a & b, true
		}
		if (x < y) == (op == ir.OpFmin) {
			return a, true
		}
		return b, true
	case ir.OpFcopysign:
		s := signBit(t)
		return a&^s | b&s, true
	}
	return 0, false
}

func eval1(op ir.Opcode, t, at ir.Type, a uint64) (uint64, bool) {
	switch op {
	case ir.OpClz:
		if t == ir.I32 {
			return uint64(bits.LeadingZeros32(uint32(a))), true
		}
		return uint64(bits.LeadingZeros64(a)), true
	case ir.OpCtz:
		if t == ir.I32 {
			return uint64(bits.TrailingZeros32(uint32(a))), true
		}
		return uint64(bits.TrailingZeros64(a)), true
	case ir.OpPopcnt:
		return uint64(bits.OnesCount64(norm(t, a))), true
	case ir.OpEqz:
		return b2u(norm(t, a) == 0), true
	case ir.OpWrap:
		return uint64(uint32(a)), true
	case ir.OpSextend:
		return uint64(int64(int32(uint32(a)))), true
	case ir.OpUextend:
		return uint64(uint32(a)), true
	case ir.OpSextend8:
		return norm(t, uint64(int64(int8(a)))), true
	case ir.OpSextend16:
		return norm(t, uint64(int64(int16(a)))), true
	case ir.OpSextend32:
		return uint64(int64(int32(uint32(a)))), true
	case ir.OpFneg:
		return a ^ signBit(t), true
	case ir.OpFabs:
		return a &^ signBit(t), true
	case ir.OpSqrt:
		return fbits(t, math.Sqrt(f64(t, a))), true // sqrt via f64 is correctly rounded for f32
	case ir.OpCeil:
		return fbits(t, math.Ceil(f64(t, a))), true
	case ir.OpFloor:
		return fbits(t, math.Floor(f64(t, a))), true
	case ir.OpFtrunc:
		return fbits(t, math.Trunc(f64(t, a))), true
	case ir.OpNearest:
		return fbits(t, math.RoundToEven(f64(t, a))), true
	case ir.OpFpromote, ir.OpFdemote:
		return fbits(t, f64(at, a)), true
	case ir.OpBitcast:
		return a, true
	case ir.OpFcvtFromSint:
		if t == ir.F32 {
			return uint64(math.Float32bits(float32(signExt(at, a)))), true
		}
		return math.Float64bits(float64(signExt(at, a))), true
	case ir.OpFcvtFromUint:
		if t == ir.F32 {
			return uint64(math.Float32bits(float32(a))), true
		}
		return math.Float64bits(float64(a)), true
	case ir.OpFcvtToSint, ir.OpFcvtToUint, ir.OpFcvtToSintSat, ir.OpFcvtToUintSat:
		return fcvtToInt(op, t, f64(at, a))
	}
	return 0, false
}

// fcvtToInt converts x (already exact in float64) to integer type t.
// Trapping forms refuse NaN and values whose truncation is out of range;
// saturating forms clamp and map NaN to 0.
func fcvtToInt(op ir.Opcode, t ir.Type, x float64) (uint64, bool) {
	signed := op == ir.OpFcvtToSint || op == ir.OpFcvtToSintSat
	sat := op == ir.OpFcvtToSintSat || op == ir.OpFcvtToUintSat
	// Exclusive bounds lo < trunc(x) domain: x must satisfy lo < x < hi.
	var lo, hi float64
	switch {
	case signed && t == ir.I32:
		lo, hi = -2147483649, 2147483648
	case signed:
		lo, hi = -9223372036854777856, 9223372036854775808 // lo: next f64 below -2^63
	case t == ir.I32:
		lo, hi = -1, 4294967296
	default:
		lo, hi = -1, 18446744073709551616
	}
	if x != x {
		if sat {
			return 0, true
		}
		return 0, false
	}
	if !(x > lo && x < hi) {
		if !sat {
			return 0, false
		}
		if x >= hi {
			switch {
			case signed && t == ir.I32:
				return math.MaxInt32, true
			case signed:
				return math.MaxInt64, true
			case t == ir.I32:
				return math.MaxUint32, true
			default:
				return math.MaxUint64, true
			}
		}
		switch {
		case signed && t == ir.I32:
			return 0x80000000, true
		case signed:
			return 1 << 63, true
		default:
			return 0, true
		}
	}
	x = math.Trunc(x)
	if signed {
		return norm(t, uint64(int64(x))), true
	}
	return uint64(x), true
}
