//go:build linux && amd64

package amd64

import (
	"math"
	"math/bits"
	"testing"
	"unsafe"

	"github.com/mwasm/mwasm/aot/internal/nativecall"
	"golang.org/x/sys/cpu"
)

// assemble finishes a and maps the code; entry points are label offsets.
func assemble(t *testing.T, a *Assembler) *nativecall.Code {
	t.Helper()
	code, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Relocs()) != 0 {
		t.Fatalf("executable test code has unresolved relocations %v", a.Relocs())
	}
	c, err := nativecall.Map(code)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// fn is a function entry in an Assembler under construction.
func fn(a *Assembler) Label {
	a.Align(16)
	l := a.NewLabel()
	a.Bind(l)
	return l
}

func TestExecIntegers(t *testing.T) {
	a := New()

	add := fn(a) // a + b
	a.Lea(S64, RAX, PtrIdx(RDI, RSI, 1, 0))
	a.Ret()

	sum := fn(a) // 1 + 2 + ... + n, by a loop
	{
		done, loop := a.NewLabel(), a.NewLabel()
		a.AluRR(XOR, S32, RAX, RAX)
		a.TestRR(S64, RDI, RDI)
		a.Jcc(CondE, done)
		a.Bind(loop)
		a.AluRR(ADD, S64, RAX, RDI)
		a.AluRI(SUB, S64, RDI, 1)
		a.Jcc(CondNE, loop) // backward, short form
		a.Bind(done)
		a.Ret()
	}

	divmod := fn(a) // signed a / b in rax, a % b in rdx
	a.MovRR(S64, RAX, RDI)
	a.MovRR(S64, RCX, RSI)
	a.Cqo()
	a.Idiv(S64, RCX)
	a.Ret()

	udiv32 := fn(a) // uint32(a) / uint32(b)
	a.MovRR(S32, RAX, RDI)
	a.AluRR(XOR, S32, RDX, RDX)
	a.Div(S32, RSI)
	a.Ret()

	maxs := fn(a) // signed max via cmp + cmov
	a.MovRR(S64, RAX, RDI)
	a.AluRR(CMP, S64, RDI, RSI)
	a.Cmov(CondL, S64, RAX, RSI)
	a.Ret()

	ltu := fn(a) // a < b unsigned, as 0/1 via setcc + movzx
	a.AluRR(CMP, S64, RDI, RSI)
	a.Setcc(CondB, RSI) // sil: needs the REX prefix
	a.Movzx(S32, S8, RAX, RSI)
	a.Ret()

	rotl := fn(a) // bits.RotateLeft64(a, b) via cl, plus a shr by imm
	a.MovRR(S64, RAX, RDI)
	a.MovRR(S32, RCX, RSI)
	a.ShiftCL(ROL, S64, RAX)
	a.Ret()

	mulHi := fn(a) // high 64 bits of a*b (unsigned)
	a.MovRR(S64, RAX, RDI)
	a.Mul(S64, RSI)
	a.MovRR(S64, RAX, RDX)
	a.Ret()

	imm64 := fn(a) // a + 0x123456789abcdef0 - 0x80000000 with movabs / sign-extended imm
	a.MovImm(S64, RAX, 0x123456789abcdef0)
	a.AluRR(ADD, S64, RAX, RDI)
	a.MovImm(S64, RCX, 0x80000000) // movl: zero-extends
	a.AluRR(SUB, S64, RAX, RCX)
	a.MovImm(S64, RCX, -2) // movq simm32: sign-extends
	a.ImulRR(S64, RAX, RCX)
	a.Ret()

	// Callee-saved registers and a call to a local function: uses every
	// register, so a wrong REX bit shows up as a wrong sum.
	calls := fn(a)
	helper := a.NewLabel()
	for _, r := range []Reg{RBX, RBP, R12, R13, R14, R15} {
		a.Push(r)
	}
	a.MovRR(S64, RBX, RDI)
	a.Call(helper) // forward call
	for _, r := range []Reg{R15, R14, R13, R12, RBP, RBX} {
		a.Pop(r)
	}
	a.Ret()
	a.Bind(helper) // rax = sum over 14 registers of rbx*k
	{
		regs := []Reg{RCX, RDX, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15}
		for i, r := range regs {
			a.ImulRRI(S64, r, RBX, int64(i+2))
		}
		a.MovRR(S64, RAX, RBX)
		for _, r := range regs {
			a.AluRR(ADD, S64, RAX, r)
		}
		a.Ret()
	}

	bitsFn := fn(a) // popcnt(a) if available, else bsr(a): chosen below
	if cpu.X86.HasPOPCNT {
		a.Popcnt(S64, RAX, RDI)
	} else {
		a.Bsr(S64, RAX, RDI)
	}
	a.Ret()

	c := assemble(t, a)
	at := func(l Label) uintptr { return c.Addr(a.LabelOffset(l)) }

	for _, v := range [][2]uint64{{1, 2}, {1 << 63, 1 << 63}, {^uint64(0), 5}, {0x1234, 0xffff0000}} {
		if got, want := nativecall.Call(at(add), v[0], v[1]), v[0]+v[1]; got != want {
			t.Errorf("add(%#x, %#x) = %#x, want %#x", v[0], v[1], got, want)
		}
		if got, want := nativecall.Call(at(maxs), v[0], v[1]), uint64(max(int64(v[0]), int64(v[1]))); got != want {
			t.Errorf("max(%d, %d) = %d, want %d", int64(v[0]), int64(v[1]), int64(got), int64(want))
		}
		want := uint64(0)
		if v[0] < v[1] {
			want = 1
		}
		if got := nativecall.Call(at(ltu), v[0], v[1]); got != want {
			t.Errorf("ltu(%#x, %#x) = %d, want %d", v[0], v[1], got, want)
		}
		if got, want := nativecall.Call(at(rotl), v[0], v[1]), bits.RotateLeft64(v[0], int(v[1]&63)); got != want {
			t.Errorf("rotl(%#x, %d) = %#x, want %#x", v[0], v[1], got, want)
		}
		hi, _ := bits.Mul64(v[0], v[1])
		if got := nativecall.Call(at(mulHi), v[0], v[1]); got != hi {
			t.Errorf("mulhi(%#x, %#x) = %#x, want %#x", v[0], v[1], got, hi)
		}
		if v[1] != 0 && uint32(v[1]) != 0 {
			if got, want := nativecall.Call(at(udiv32), v[0], v[1]), uint64(uint32(v[0])/uint32(v[1])); got != want {
				t.Errorf("udiv32(%#x, %#x) = %#x, want %#x", v[0], v[1], got, want)
			}
		}
	}
	for _, n := range []uint64{0, 1, 2, 10, 100000} {
		if got, want := nativecall.Call(at(sum), n), n*(n+1)/2; got != want {
			t.Errorf("sum(1..%d) = %d, want %d", n, got, want)
		}
	}
	for _, v := range [][2]int64{{7, 2}, {-7, 2}, {7, -2}, {math.MinInt64, 3}, {100, 7}} {
		var r nativecall.Regs
		r.Int[0], r.Int[1] = uint64(v[0]), uint64(v[1])
		nativecall.CallRegs(at(divmod), &r)
		if int64(r.RAX) != v[0]/v[1] || int64(r.RDX) != v[0]%v[1] {
			t.Errorf("divmod(%d, %d) = %d, %d; want %d, %d", v[0], v[1], int64(r.RAX), int64(r.RDX), v[0]/v[1], v[0]%v[1])
		}
	}
	for _, x := range []uint64{0, 1, 0xdeadbeef, 1 << 63} {
		want := (x + 0x123456789abcdef0 - 0x80000000) * uint64(0xfffffffffffffffe)
		if got := nativecall.Call(at(imm64), x); got != want {
			t.Errorf("imm64(%#x) = %#x, want %#x", x, got, want)
		}
		if got, want := nativecall.Call(at(calls), x), x*(1+2+3+4+5+6+7+8+9+10+11+12+13+14); got != want {
			t.Errorf("calls(%#x) = %#x, want %#x", x, got, want)
		}
		if x != 0 {
			want := uint64(bits.OnesCount64(x))
			if !cpu.X86.HasPOPCNT {
				want = uint64(bits.Len64(x) - 1)
			}
			if got := nativecall.Call(at(bitsFn), x); got != want {
				t.Errorf("popcnt/bsr(%#x) = %d, want %d", x, got, want)
			}
		}
	}
}

var heapSink []uint64

func TestExecMemory(t *testing.T) {
	a := New()

	// memory(buf, i, v): store v's low byte through %sil at byte i*8+3 of
	// buf and its low 16 bits at byte i*8+4 (R13 as base: mod=01 with disp8;
	// R12 as index), load both back sign- and zero-extended, return the sum.
	entry := fn(a)
	a.MovRR(S64, RAX, RDX)
	a.Push(R12)
	a.Push(R13)
	a.MovRR(S64, R13, RDI)
	a.MovRR(S64, R12, RSI)
	a.MovRR(S8, RSI, RAX)                     // %sil <- %al
	a.Store(S8, PtrIdx(R13, R12, 8, 3), RSI)  // r13 base: needs mod=01
	a.Store(S16, PtrIdx(RDI, R12, 8, 4), RAX) // 16-bit store
	a.MovsxLoad(S64, S8, RCX, PtrIdx(R13, R12, 8, 3))
	a.MovzxLoad(S64, S16, RDX, PtrIdx(R13, R12, 8, 4))
	a.Lea(S64, RAX, PtrIdx(RCX, RDX, 1, 0))
	a.Pop(R13)
	a.Pop(R12)
	a.Ret()

	// Stack addressing through rsp (SIB) and rbp (disp8 0).
	stack := fn(a)
	a.Push(RBP)
	a.MovRR(S64, RBP, RSP)
	a.AluRI(SUB, S64, RSP, 32)
	a.Store(S64, Ptr(RSP, 0), RDI)
	a.Store(S64, Ptr(RSP, 8), RSI)
	a.Load(S64, RAX, Ptr(RSP, 0))
	a.AluRM(ADD, S64, RAX, Ptr(RSP, 8))
	a.Store(S64, Ptr(RBP, -8), RAX)
	a.AluMI(XOR, S64, Ptr(RBP, -8), 0x55)
	a.Load(S64, RAX, Ptr(RBP, -8))
	a.MovRR(S64, RSP, RBP)
	a.Pop(RBP)
	a.Ret()

	c := assemble(t, a)
	// The buffer must not live on the goroutine stack: the trampoline's big
	// frame can move the stack, leaving a uintptr to the old copy.
	buf := make([]uint64, 16)
	heapSink = buf
	base := uint64(uintptr(unsafe.Pointer(&buf[0])))
	for _, v := range []uint64{0x1280, 0x00ff, 0x7f01, 0xffff} {
		for i := range buf {
			buf[i] = 0
		}
		got := nativecall.Call(c.Addr(a.LabelOffset(entry)), base, 5, v)
		want := uint64(int64(int8(v)) + int64(uint16(v)))
		if got != want {
			t.Errorf("memory(%#x) = %#x, want %#x", v, got, want)
		}
		if wantWord := uint64(uint8(v))<<24 | uint64(uint16(v))<<32; buf[5] != wantWord {
			t.Errorf("memory(%#x): buf[5] = %#x, want %#x", v, buf[5], wantWord)
		}
	}
	for _, v := range [][2]uint64{{1, 2}, {1 << 60, 3}} {
		if got, want := nativecall.Call(c.Addr(a.LabelOffset(stack)), v[0], v[1]), (v[0]+v[1])^0x55; got != want {
			t.Errorf("stack(%d, %d) = %d, want %d", v[0], v[1], got, want)
		}
	}
}

func TestExecFloat(t *testing.T) {
	a := New()

	hypot := fn(a) // sqrt(x*x + y*y)
	a.FArith(FMul, S64, X0, X0)
	a.FArith(FMul, S64, X1, X1)
	a.FArith(FAdd, S64, X0, X1)
	a.FArith(FSqrt, S64, X0, X0)
	a.Ret()

	poly := fn(a) // (x - 1.0) / 2 via the constant pool and cvtsi2sd
	a.FArithM(FSub, S64, X0, a.Const64(math.Float64bits(1)))
	a.MovImm(S32, RAX, 2)
	a.Logic(LXor, S64, X9, X9)
	a.CvtIntToF(S64, S32, X9, RAX)
	a.FArith(FDiv, S64, X0, X9)
	a.Ret()

	abs := fn(a) // andpd with ^sign
	a.LogicM(LAnd, S64, X0, a.Const128(0x7fffffffffffffff, 0x7fffffffffffffff))
	a.Ret()
	neg := fn(a) // xorpd with sign
	a.LogicM(LXor, S64, X0, a.Const128(1<<63, 1<<63))
	a.Ret()
	copysign := fn(a)                  // (x & ^sign) | (y & sign), with andnpd
	a.FLoad(S64, X2, a.Const64(1<<63)) // X2 = sign mask (low lane)
	a.Movaps(X3, X2)
	a.Logic(LAndN, S64, X2, X0) // X2 = ^sign & x
	a.Logic(LAnd, S64, X3, X1)  // X3 = sign & y
	a.Logic(LOr, S64, X2, X3)
	a.Movaps(X0, X2)
	a.Ret()

	rounds := map[RoundMode]Label{}
	for _, m := range []RoundMode{RoundNearest, RoundFloor, RoundCeil, RoundTrunc} {
		rounds[m] = fn(a)
		a.Round(S64, m, X0, X0)
		a.Ret()
	}

	trunc := fn(a) // int64(x) via cvttsd2si, and via f32 roundtrip
	a.CvtFToIntTrunc(S64, S64, RAX, X0)
	a.Ret()

	f32 := fn(a) // float64(float32(x) * 3) through movd and cvtss2sd
	a.CvtF64ToF32(X0, X0)
	a.MovImm(S32, RCX, int64(math.Float32bits(3)))
	a.MovToX(S32, X3, RCX)
	a.FArith(FMul, S32, X0, X3)
	a.CvtF32ToF64(X0, X0)
	a.Ret()

	less := fn(a) // x < y (ordered) as 0/1
	a.AluRR(XOR, S32, RAX, RAX)
	a.Ucomis(S64, X1, X0) // flags of y vs x: y > x  <=> "above"
	a.Setcc(CondA, RAX)
	a.Ret()

	bitsOf := fn(a) // the bits of x through movq
	a.MovFromX(S64, RAX, X0)
	a.Ret()

	c := assemble(t, a)
	at := func(l Label) uintptr { return c.Addr(a.LabelOffset(l)) }
	vals := []float64{0, 1.5, -2.5, 3.7, -0.0, 1e300, math.Inf(-1), 0.49999999999999994, 2.5, -7.5}
	for _, x := range vals {
		y := 2.25
		if got, want := nativecall.CallFloat(at(hypot), x, y), math.Sqrt(x*x+y*y); got != want {
			t.Errorf("hypot(%v, %v) = %v, want %v", x, y, got, want)
		}
		if got, want := nativecall.CallFloat(at(poly), x), (x-1)/2; got != want {
			t.Errorf("poly(%v) = %v, want %v", x, got, want)
		}
		if got, want := nativecall.CallFloat(at(abs), x), math.Abs(x); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("abs(%v) = %v, want %v", x, got, want)
		}
		if got, want := nativecall.CallFloat(at(neg), x), -x; math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("neg(%v) = %v, want %v", x, got, want)
		}
		for _, s := range []float64{1, -1} {
			if got, want := nativecall.CallFloat(at(copysign), x, s), math.Copysign(x, s); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("copysign(%v, %v) = %v, want %v", x, s, got, want)
			}
		}
		for m, want := range map[RoundMode]float64{RoundNearest: math.RoundToEven(x), RoundFloor: math.Floor(x), RoundCeil: math.Ceil(x), RoundTrunc: math.Trunc(x)} {
			if got := nativecall.CallFloat(at(rounds[m]), x); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("round mode %#x (%v) = %v, want %v", m, x, got, want)
			}
		}
		if math.Abs(x) < 1e18 {
			var r nativecall.Regs
			r.Float[0] = math.Float64bits(x)
			nativecall.CallRegs(at(trunc), &r)
			if int64(r.RAX) != int64(x) {
				t.Errorf("trunc(%v) = %d, want %d", x, int64(r.RAX), int64(x))
			}
		}
		if got, want := nativecall.CallFloat(at(f32), x), float64(float32(x)*3); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("f32(%v) = %v, want %v", x, got, want)
		}
		var r nativecall.Regs
		r.Float[0], r.Float[1] = math.Float64bits(x), math.Float64bits(1.5)
		nativecall.CallRegs(at(less), &r)
		if want := x < 1.5; (r.RAX == 1) != want || r.RAX > 1 {
			t.Errorf("less(%v, 1.5) = %d, want %v", x, r.RAX, want)
		}
		r = nativecall.Regs{}
		r.Float[0] = math.Float64bits(x)
		nativecall.CallRegs(at(bitsOf), &r)
		if r.RAX != math.Float64bits(x) {
			t.Errorf("bits(%v) = %#x, want %#x", x, r.RAX, math.Float64bits(x))
		}
	}
	// NaN is unordered: less must be false.
	var r nativecall.Regs
	r.Float[0], r.Float[1] = math.Float64bits(math.NaN()), math.Float64bits(1.5)
	nativecall.CallRegs(at(less), &r)
	if r.RAX != 0 {
		t.Errorf("less(NaN, 1.5) = %d, want 0", r.RAX)
	}
}
