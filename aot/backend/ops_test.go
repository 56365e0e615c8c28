//go:build linux && amd64

package backend

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/vm"
)

// An opCase is one IR instruction checked against a Go reference on edge
// values: ref returns the expected result bits or a trap kind.
type opCase struct {
	inst   string   // e.g. "sdiv.i32"; the function computes inst args
	params []string // operand types
	result string
	ref    func(a []uint64) (uint64, vm.TrapKind)
}

var (
	i32Edges = []uint64{0, 1, 2, 3, 7, 31, 32, 33, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 0x12345678, 0xDEADBEEF}
	i64Edges = []uint64{0, 1, 2, 63, 64, 65, 0x7FFFFFFFFFFFFFFF, 1 << 63, 1<<63 + 1, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFE, 0x123456789ABCDEF0, 0xFFFFFFFF, 0x100000000}
	f32Vals  = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3.7, -3.7, 1e10, -1e10, 2147483520, -2147483648, 2147483648, 4294967040, 4294967296, 9.2233715e18, -9.2233715e18, 1.8446743e19, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.MaxFloat32, math.SmallestNonzeroFloat32}
	f64Vals  = []float64{0, math.Copysign(0, -1), 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3.7, -3.7, 1e10, -1e10, 2147483647, 2147483647.9, -2147483648, -2147483648.9, -2147483649, 2147483648, 4294967295.9, 4294967296, -0.9, 9223372036854774784, 9223372036854775808, -9223372036854775808, -9223372036854777856, 18446744073709549568, 18446744073709551616, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, math.SmallestNonzeroFloat64}
)

func f32s() []uint64 {
	var out []uint64
	for _, f := range f32Vals {
		out = append(out, uint64(math.Float32bits(f)))
	}
	return out
}
func f64s() []uint64 {
	var out []uint64
	for _, f := range f64Vals {
		out = append(out, math.Float64bits(f))
	}
	return out
}

func edges(t string) []uint64 {
	switch t {
	case "i32":
		return i32Edges
	case "i64":
		return i64Edges
	case "f32":
		return f32s()
	}
	return f64s()
}

func ok(v uint64) (uint64, vm.TrapKind) { return v, 0 }
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
func trap(k vm.TrapKind) (uint64, vm.TrapKind) { return 0, k }
func F32(u uint64) float32                     { return math.Float32frombits(uint32(u)) }
func F64(u uint64) float64                     { return math.Float64frombits(u) }
func U32f(f float32) uint64                    { return uint64(math.Float32bits(f)) }
func U64f(f float64) uint64                    { return math.Float64bits(f) }

func intCases() []opCase {
	var cs []opCase
	for _, w := range []int{32, 64} {
		ty := fmt.Sprintf("i%d", w)
		mask := uint64(1)<<w - 1
		if w == 64 {
			mask = ^uint64(0)
		}
		sx := func(v uint64) int64 {
			if w == 32 {
				return int64(int32(v))
			}
			return int64(v)
		}
		minInt := uint64(1) << (w - 1)
		bin := func(name string, f func(a, b uint64) (uint64, vm.TrapKind)) {
			cs = append(cs, opCase{name + "." + ty, []string{ty, ty}, ty, func(a []uint64) (uint64, vm.TrapKind) {
				r, k := f(a[0], a[1])
				return r & mask, k
			}})
		}
		bin("iadd", func(a, b uint64) (uint64, vm.TrapKind) { return ok(a + b) })
		bin("isub", func(a, b uint64) (uint64, vm.TrapKind) { return ok(a - b) })
		bin("imul", func(a, b uint64) (uint64, vm.TrapKind) { return ok(a * b) })
		bin("band", func(a, b uint64) (uint64, vm.TrapKind) { return ok(a & b) })
		bin("bor", func(a, b uint64) (uint64, vm.TrapKind) { return ok(a | b) })
		bin("bxor", func(a, b uint64) (uint64, vm.TrapKind) { return ok(a ^ b) })
		bin("ishl", func(a, b uint64) (uint64, vm.TrapKind) { return ok(a << (b % uint64(w))) })
		bin("ushr", func(a, b uint64) (uint64, vm.TrapKind) { return ok(a >> (b % uint64(w))) })
		bin("sshr", func(a, b uint64) (uint64, vm.TrapKind) { return ok(uint64(sx(a) >> (b % uint64(w)))) })
		bin("rotl", func(a, b uint64) (uint64, vm.TrapKind) {
			if w == 32 {
				return ok(uint64(bits.RotateLeft32(uint32(a), int(b%32))))
			}
			return ok(bits.RotateLeft64(a, int(b%64)))
		})
		bin("rotr", func(a, b uint64) (uint64, vm.TrapKind) {
			if w == 32 {
				return ok(uint64(bits.RotateLeft32(uint32(a), -int(b%32))))
			}
			return ok(bits.RotateLeft64(a, -int(b%64)))
		})
		bin("udiv", func(a, b uint64) (uint64, vm.TrapKind) {
			if b == 0 {
				return trap(vm.TrapIntegerDivByZero)
			}
			return ok(a / b)
		})
		bin("urem", func(a, b uint64) (uint64, vm.TrapKind) {
			if b == 0 {
				return trap(vm.TrapIntegerDivByZero)
			}
			return ok(a % b)
		})
		bin("sdiv", func(a, b uint64) (uint64, vm.TrapKind) {
			if b == 0 {
				return trap(vm.TrapIntegerDivByZero)
			}
			if a == minInt && b == mask {
				return trap(vm.TrapIntegerOverflow)
			}
			return ok(uint64(sx(a) / sx(b)))
		})
		bin("srem", func(a, b uint64) (uint64, vm.TrapKind) {
			if b == 0 {
				return trap(vm.TrapIntegerDivByZero)
			}
			if sx(b) == -1 {
				return ok(0)
			}
			return ok(uint64(sx(a) % sx(b)))
		})
		for _, cc := range []string{"eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"} {
			cc := cc
			cs = append(cs, opCase{"icmp." + ty + " " + cc, []string{ty, ty}, "i32", func(a []uint64) (uint64, vm.TrapKind) {
				x, y := a[0], a[1]
				sxv, syv := sx(x), sx(y)
				r := map[string]bool{"eq": x == y, "ne": x != y, "slt": sxv < syv, "sle": sxv <= syv, "sgt": sxv > syv, "sge": sxv >= syv, "ult": x < y, "ule": x <= y, "ugt": x > y, "uge": x >= y}[cc]
				return ok(b2u(r))
			}})
		}
		un := func(name, res string, f func(a uint64) uint64) {
			cs = append(cs, opCase{name + "." + res, []string{ty}, res, func(a []uint64) (uint64, vm.TrapKind) { return ok(f(a[0])) }})
		}
		un("clz", ty, func(a uint64) uint64 { return uint64(bits.LeadingZeros64(a) - (64 - w)) })
		un("ctz", ty, func(a uint64) uint64 {
			if a == 0 {
				return uint64(w)
			}
			return uint64(bits.TrailingZeros64(a))
		})
		un("popcnt", ty, func(a uint64) uint64 { return uint64(bits.OnesCount64(a)) })
		cs = append(cs, opCase{"eqz." + ty, []string{ty}, "i32", func(a []uint64) (uint64, vm.TrapKind) { return ok(b2u(a[0] == 0)) }})
		un("sextend8", ty, func(a uint64) uint64 { return uint64(int64(int8(a))) & mask })
		un("sextend16", ty, func(a uint64) uint64 { return uint64(int64(int16(a))) & mask })
	}
	cs = append(cs,
		opCase{"sextend32.i64", []string{"i64"}, "i64", func(a []uint64) (uint64, vm.TrapKind) { return ok(uint64(int64(int32(a[0])))) }},
		opCase{"wrap.i32", []string{"i64"}, "i32", func(a []uint64) (uint64, vm.TrapKind) { return ok(a[0] & 0xFFFFFFFF) }},
		opCase{"sextend.i64", []string{"i32"}, "i64", func(a []uint64) (uint64, vm.TrapKind) { return ok(uint64(int64(int32(a[0])))) }},
		opCase{"uextend.i64", []string{"i32"}, "i64", func(a []uint64) (uint64, vm.TrapKind) { return ok(a[0] & 0xFFFFFFFF) }},
	)
	return cs
}

// wasmMin/Max follow Wasm: NaN if either is NaN, -0 < +0.
func wasmMin(a, b float64) float64 {
	if a != a || b != b {
		return math.NaN()
	}
	if a == 0 && b == 0 {
		if math.Signbit(a) {
			return a
		}
		return b
	}
	return math.Min(a, b)
}
func wasmMax(a, b float64) float64 {
	if a != a || b != b {
		return math.NaN()
	}
	if a == 0 && b == 0 {
		if math.Signbit(a) {
			return b
		}
		return a
	}
	return math.Max(a, b)
}

func floatCases() []opCase {
	var cs []opCase
	for _, w := range []int{32, 64} {
		ty := fmt.Sprintf("f%d", w)
		get := func(u uint64) float64 {
			if w == 32 {
				return float64(F32(u))
			}
			return F64(u)
		}
		put := func(f float64) uint64 {
			if w == 32 {
				return U32f(float32(f))
			}
			return U64f(f)
		}
		bin := func(name string, f func(a, b float64) float64) {
			cs = append(cs, opCase{name + "." + ty, []string{ty, ty}, ty, func(a []uint64) (uint64, vm.TrapKind) {
				return ok(put(f(get(a[0]), get(a[1]))))
			}})
		}
		// f32 arithmetic in float64 then rounded is exact for + - * / sqrt.
		bin("fadd", func(a, b float64) float64 { return a + b })
		bin("fsub", func(a, b float64) float64 { return a - b })
		bin("fmul", func(a, b float64) float64 { return a * b })
		bin("fdiv", func(a, b float64) float64 { return a / b })
		bin("fmin", wasmMin)
		bin("fmax", wasmMax)
		cs = append(cs, opCase{"fcopysign." + ty, []string{ty, ty}, ty, func(a []uint64) (uint64, vm.TrapKind) {
			s := uint64(1) << (w - 1)
			return ok(a[0]&^s | a[1]&s)
		}})
		un := func(name string, f func(a uint64) uint64) {
			cs = append(cs, opCase{name + "." + ty, []string{ty}, ty, func(a []uint64) (uint64, vm.TrapKind) { return ok(f(a[0])) }})
		}
		s := uint64(1) << (w - 1)
		un("fabs", func(a uint64) uint64 { return a &^ s })
		un("fneg", func(a uint64) uint64 { return a ^ s })
		un("sqrt", func(a uint64) uint64 { return put(math.Sqrt(get(a))) })
		un("ceil", func(a uint64) uint64 { return put(math.Ceil(get(a))) })
		un("floor", func(a uint64) uint64 { return put(math.Floor(get(a))) })
		un("ftrunc", func(a uint64) uint64 { return put(math.Trunc(get(a))) })
		un("nearest", func(a uint64) uint64 { return put(math.RoundToEven(get(a))) })
		for _, cc := range []string{"eq", "ne", "lt", "le", "gt", "ge"} {
			cc := cc
			cs = append(cs, opCase{"fcmp." + ty + " " + cc, []string{ty, ty}, "i32", func(a []uint64) (uint64, vm.TrapKind) {
				x, y := get(a[0]), get(a[1])
				return ok(b2u(map[string]bool{"eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y}[cc]))
			}})
		}
		// Float to int.
		for _, iw := range []int{32, 64} {
			it := fmt.Sprintf("i%d", iw)
			for _, signed := range []bool{true, false} {
				for _, sat := range []bool{false, true} {
					name := "fcvt_to_uint"
					if signed {
						name = "fcvt_to_sint"
					}
					if sat {
						name += "_sat"
					}
					signed, sat, iw := signed, sat, iw
					cs = append(cs, opCase{name + "." + it, []string{ty}, it, func(a []uint64) (uint64, vm.TrapKind) {
						return refTrunc(get(a[0]), iw, signed, sat)
					}})
				}
			}
			for _, signed := range []bool{true, false} {
				name := "fcvt_from_uint"
				if signed {
					name = "fcvt_from_sint"
				}
				signed, iw := signed, iw
				cs = append(cs, opCase{name + "." + ty, []string{it}, ty, func(a []uint64) (uint64, vm.TrapKind) {
					v := a[0]
					if iw == 32 {
						v &= 0xFFFFFFFF
					}
					switch {
					case signed && iw == 32 && w == 32:
						return ok(U32f(float32(int32(v))))
					case signed && iw == 32:
						return ok(U64f(float64(int32(v))))
					case signed && w == 32:
						return ok(U32f(float32(int64(v))))
					case signed:
						return ok(U64f(float64(int64(v))))
					case w == 32:
						return ok(U32f(float32(v)))
					}
					return ok(U64f(float64(v)))
				}})
			}
		}
	}
	cs = append(cs,
		opCase{"fpromote.f64", []string{"f32"}, "f64", func(a []uint64) (uint64, vm.TrapKind) { return ok(U64f(float64(F32(a[0])))) }},
		opCase{"fdemote.f32", []string{"f64"}, "f32", func(a []uint64) (uint64, vm.TrapKind) { return ok(U32f(float32(F64(a[0])))) }},
		opCase{"bitcast.i32", []string{"f32"}, "i32", func(a []uint64) (uint64, vm.TrapKind) { return ok(a[0] & 0xFFFFFFFF) }},
		opCase{"bitcast.f32", []string{"i32"}, "f32", func(a []uint64) (uint64, vm.TrapKind) { return ok(a[0] & 0xFFFFFFFF) }},
		opCase{"bitcast.i64", []string{"f64"}, "i64", func(a []uint64) (uint64, vm.TrapKind) { return ok(a[0]) }},
		opCase{"bitcast.f64", []string{"i64"}, "f64", func(a []uint64) (uint64, vm.TrapKind) { return ok(a[0]) }},
	)
	return cs
}

func refTrunc(x float64, w int, signed, sat bool) (uint64, vm.TrapKind) {
	mask := uint64(1)<<w - 1
	if w == 64 {
		mask = ^uint64(0)
	}
	t := math.Trunc(x)
	var lo, hi float64 // valid: lo <= t < hi
	if signed {
		lo, hi = -math.Ldexp(1, w-1), math.Ldexp(1, w-1)
	} else {
		lo, hi = 0, math.Ldexp(1, w)
	}
	switch {
	case x != x:
		if sat {
			return ok(0)
		}
		return trap(vm.TrapInvalidConversion)
	case t < lo:
		if sat {
			return ok(uint64(int64(lo)) & mask)
		}
		return trap(vm.TrapIntegerOverflow)
	case t >= hi:
		if sat {
			if signed {
				return ok(uint64(1)<<(w-1) - 1)
			}
			return ok(mask)
		}
		return trap(vm.TrapIntegerOverflow)
	}
	if signed {
		return ok(uint64(int64(t)) & mask)
	}
	if t >= math.Ldexp(1, 63) {
		return ok(uint64(t-math.Ldexp(1, 63)) | 1<<63)
	}
	return ok(uint64(int64(t)) & mask)
}

func isNaNBits(ty string, v uint64) bool {
	switch ty {
	case "f32":
		f := F32(v)
		return f != f
	case "f64":
		f := F64(v)
		return f != f
	}
	return false
}

// opFuncs writes, per case, a function computing the instruction on its
// parameters, and variants with the last operand as a constant.
func opFunc(name string, c opCase, consts []uint64) string {
	var b strings.Builder
	var ps []string
	for i, p := range c.params {
		if consts != nil && consts[i] != noConst {
			continue
		}
		ps = append(ps, p)
		_ = i
	}
	fmt.Fprintf(&b, "func %%%s(%s) -> %s {\nblock0(", name, strings.Join(ps, ", "), c.result)
	n := 0
	var args []string
	var pre []string
	for i, p := range c.params {
		if consts != nil && consts[i] != noConst {
			kind := "iconst"
			if p[0] == 'f' {
				kind = "fconst"
			}
			v := fmt.Sprintf("v%d", 10+i)
			pre = append(pre, fmt.Sprintf("    %s = %s.%s %s", v, kind, p, constText(p, consts[i])))
			args = append(args, v)
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "v%d: %s", i, p)
		args = append(args, fmt.Sprintf("v%d", i))
		n++
	}
	b.WriteString("):\n")
	for _, l := range pre {
		b.WriteString(l + "\n")
	}
	op := c.inst
	fmt.Fprintf(&b, "    v20 = %s %s\n    return v20\n}\n", op, strings.Join(args, ", "))
	return b.String()
}

const noConst = 0xA5A5A5A5A5A5A5A5

func constText(ty string, v uint64) string {
	switch ty {
	case "i32":
		return fmt.Sprint(int32(v))
	case "i64":
		return fmt.Sprint(int64(v))
	case "f32":
		x := F32(v)
		switch {
		case x != x:
			return fmt.Sprintf("nan:0x%08x", uint32(v))
		case math.IsInf(float64(x), 0):
			return map[bool]string{true: "inf", false: "-inf"}[x > 0]
		}
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	}
	x := F64(v)
	switch {
	case x != x:
		return fmt.Sprintf("nan:0x%016x", v)
	case math.IsInf(x, 0):
		return map[bool]string{true: "inf", false: "-inf"}[x > 0]
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

func runOpCases(t *testing.T, cpu CPU, cs []opCase) {
	// Register-operand variants: all cases in one module.
	var texts []string
	for i, c := range cs {
		texts = append(texts, opFunc(fmt.Sprintf("op%d", i), c, nil))
	}
	m := newTestModule(t, cpu, strings.Join(texts, "\n"))
	checked := 0
	for i, c := range cs {
		inputs := [][]uint64{{}}
		for _, p := range c.params {
			var next [][]uint64
			for _, in := range inputs {
				for _, e := range edges(p) {
					next = append(next, append(append([]uint64{}, in...), e))
				}
			}
			inputs = next
		}
		for _, in := range inputs {
			want, wk := c.ref(in)
			got, gk := m.call(fmt.Sprintf("op%d", i), in...)
			checked++
			if gk != wk {
				t.Errorf("%s %x: trap %v, want %v", c.inst, in, gk, wk)
				continue
			}
			if wk != 0 {
				continue
			}
			g := got[0]
			switch c.result {
			case "i32", "f32":
				g &= 0xFFFFFFFF
			}
			if g != want && !(isNaNBits(c.result, g) && isNaNBits(c.result, want)) {
				t.Errorf("%s %x = %#x, want %#x", c.inst, in, g, want)
			}
		}
	}
	t.Logf("%d cases, %d executions", len(cs), checked)
}

func TestIntOps(t *testing.T)   { runOpCases(t, HostCPU(), intCases()) }
func TestFloatOps(t *testing.T) { runOpCases(t, HostCPU(), floatCases()) }

// TestIntOpsNoLZCNT checks the bsr/bsf fall-backs.
func TestIntOpsNoLZCNT(t *testing.T) {
	var cs []opCase
	for _, c := range intCases() {
		if strings.HasPrefix(c.inst, "clz") || strings.HasPrefix(c.inst, "ctz") {
			cs = append(cs, c)
		}
	}
	runOpCases(t, CPU{}, cs)
}

// TestConstOperands compiles each binary case with its second operand as a
// constant (immediate forms, power-of-two division, constant shifts).
func TestConstOperands(t *testing.T) {
	var cs []opCase
	for _, c := range append(intCases(), floatCases()...) {
		if len(c.params) == 2 {
			cs = append(cs, c)
		}
	}
	for _, k := range []int{0, 1} {
		var texts []string
		type run struct {
			ci int
			cv uint64
		}
		var runs []run
		for i, c := range cs {
			for _, cv := range edges(c.params[k]) {
				consts := []uint64{noConst, noConst}
				consts[k] = cv
				texts = append(texts, opFunc(fmt.Sprintf("c%d_%d", len(runs), i), c, consts))
				runs = append(runs, run{i, cv})
			}
		}
		m := newTestModule(t, HostCPU(), strings.Join(texts, "\n"))
		for ri, r := range runs {
			c := cs[r.ci]
			for _, e := range edges(c.params[1-k]) {
				in := []uint64{e, e}
				in[k] = r.cv
				want, wk := c.ref(in)
				got, gk := m.call(fmt.Sprintf("c%d_%d", ri, r.ci), e)
				if gk != wk {
					t.Errorf("%s %x (const operand %d): trap %v, want %v", c.inst, in, k, gk, wk)
					continue
				}
				if wk != 0 {
					continue
				}
				g := got[0]
				if c.result == "i32" || c.result == "f32" {
					g &= 0xFFFFFFFF
				}
				if g != want && !(isNaNBits(c.result, g) && isNaNBits(c.result, want)) {
					t.Errorf("%s %x (const operand %d) = %#x, want %#x", c.inst, in, k, g, want)
				}
			}
		}
	}
}
