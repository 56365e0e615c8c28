package amd64

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
)

func finish(t *testing.T, a *Assembler) []byte {
	t.Helper()
	code, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestMovImmPicksShortestForm(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want string
	}{
		{0, "b800000000"},                     // movl $0, %eax
		{0xffffffff, "b8ffffffff"},            // movl zero-extends
		{-1, "48c7c0ffffffff"},                // movq $-1 sign-extends
		{-0x80000000, "48c7c000000080"},       // smallest simm32
		{0x100000000, "48b80000000001000000"}, // needs movabs
		{-0x80000001, "48b8ffffff7fffffffff"},
	} {
		a := New()
		a.MovImm(S64, RAX, c.v)
		if got := hex.EncodeToString(finish(t, a)); got != c.want {
			t.Errorf("MovImm(S64, rax, %#x) = %s, want %s", c.v, got, c.want)
		}
	}
}

func TestBranchForms(t *testing.T) {
	a := New()
	back := a.NewLabel()
	fwd := a.NewLabel()
	a.Bind(back)
	a.Jcc(CondE, back) // 2 bytes, rel8 -2
	a.Jmp(fwd)         // forward: rel32
	a.Nop(200)
	a.Jmp(back) // too far back for rel8
	a.Bind(fwd)
	a.Ret()
	code := finish(t, a)
	if !bytes.Equal(code[:2], []byte{0x74, 0xFE}) {
		t.Errorf("short backward je = % x, want 74 fe", code[:2])
	}
	if code[2] != 0xE9 || int32(binary.LittleEndian.Uint32(code[3:])) != int32(len(code)-1-7) {
		t.Errorf("forward jmp = % x, want e9 rel32 to %d", code[2:7], len(code)-1)
	}
	j := 7 + 200
	if code[j] != 0xE9 || int32(binary.LittleEndian.Uint32(code[j+1:])) != int32(0-(j+5)) {
		t.Errorf("far backward jmp = % x", code[j:j+5])
	}
}

func TestShortJumpOutOfRange(t *testing.T) {
	a := New()
	l := a.NewLabel()
	a.JmpShort(l)
	a.Nop(128)
	a.Bind(l)
	if _, err := a.Finish(); err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("Finish = %v, want an out-of-range error", err)
	}
	a = New()
	l = a.NewLabel()
	a.JmpShort(l)
	a.Nop(127)
	a.Bind(l)
	if code, err := a.Finish(); err != nil || code[1] != 127 {
		t.Fatalf("127-byte short jump: err %v, rel %d", err, code[1])
	}
}

func TestUnboundLabel(t *testing.T) {
	a := New()
	l := a.NewLabel()
	a.Jcc(CondNE, l)
	_, err := a.Finish()
	if err == nil || !strings.Contains(err.Error(), "never bound") {
		t.Fatalf("Finish = %v, want an unbound-label error", err)
	}
}

func TestRelocs(t *testing.T) {
	a := New()
	a.Nop(3)
	a.CallSym("f")                                // e8 at 3, field at 4
	a.AluMI(CMP, S32, SymRef("g", 8), 0x12345678) // 81 3d disp32 imm32
	a.StoreImm(S8, SymRef("h", 0), 7)             // c6 05 disp32 imm8
	a.MovAbsSym(R9, "t", -16)
	a.JmpSym("f")
	code := finish(t, a)
	want := []Reloc{
		{Offset: 4, Kind: PC32, Symbol: "f", Addend: -4},
		{Offset: 10, Kind: PC32, Symbol: "g", Addend: 8 - 8},
		{Offset: 20, Kind: PC32, Symbol: "h", Addend: -5},
		{Offset: 27, Kind: ABS64, Symbol: "t", Addend: -16},
		{Offset: 36, Kind: PC32, Symbol: "f", Addend: -4},
	}
	got := a.Relocs()
	if len(got) != len(want) {
		t.Fatalf("relocs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("reloc %d = %+v, want %+v", i, got[i], want[i])
		}
		n := 4
		if want[i].Kind == ABS64 {
			n = 8
		}
		if f := code[want[i].Offset : int(want[i].Offset)+n]; !bytes.Equal(f, make([]byte, n)) {
			t.Errorf("reloc %d field = % x, want zeros", i, f)
		}
	}
	if len(code) != 40 {
		t.Errorf("code length %d, want 40", len(code))
	}
}

func TestConstPool(t *testing.T) {
	a := New()
	m1 := a.Const64(42)
	m2 := a.Const64(42)
	m3 := a.Const128(1, 2)
	if m1 != m2 {
		t.Errorf("equal constants not shared: %v vs %v", m1, m2)
	}
	a.FLoad(S64, X0, m1) // f2 0f 10 05 rel32: 8 bytes
	a.LogicM(LAnd, S64, X1, m3)
	a.Ret()
	code := finish(t, a)
	if a.CodeLen() != 8+8+1 {
		t.Fatalf("CodeLen = %d, want 17", a.CodeLen())
	}
	off1, off3 := a.LabelOffset(m1.label), a.LabelOffset(m3.label)
	if off1%8 != 0 || off3%16 != 0 || off1 < a.CodeLen() || off3 < a.CodeLen() {
		t.Fatalf("pool offsets %d, %d not aligned or inside code", off1, off3)
	}
	if binary.LittleEndian.Uint64(code[off1:]) != 42 || binary.LittleEndian.Uint64(code[off3+8:]) != 2 {
		t.Errorf("pool contents wrong: % x", code[a.CodeLen():])
	}
	if rel := int32(binary.LittleEndian.Uint32(code[4:])); int(rel) != off1-8 {
		t.Errorf("RIP displacement %d, want %d", rel, off1-8)
	}
}

// Bad operands must give an error from Finish, never a panic.
func TestInvalidOperands(t *testing.T) {
	cases := map[string]func(a *Assembler){
		"rsp index":      func(a *Assembler) { a.Load(S64, RAX, PtrIdx(RAX, RSP, 2, 0)) },
		"scale 3":        func(a *Assembler) { a.Load(S64, RAX, PtrIdx(RAX, RCX, 3, 0)) },
		"bad register":   func(a *Assembler) { a.MovRR(S64, Reg(16), RAX) },
		"bad size":       func(a *Assembler) { a.AluRR(ADD, Size(3), RAX, RCX) },
		"imul 8-bit":     func(a *Assembler) { a.ImulRR(S8, RAX, RCX) },
		"imm too big":    func(a *Assembler) { a.AluRI(ADD, S64, RAX, 1<<40) },
		"imm8 too big":   func(a *Assembler) { a.MovImm(S8, RAX, 300) },
		"float size":     func(a *Assembler) { a.FArith(FAdd, S16, X0, X1) },
		"bad fop":        func(a *Assembler) { a.FArith(FOp(1), S64, X0, X1) },
		"bad cond":       func(a *Assembler) { a.Setcc(Cond(16), RAX) },
		"bad label":      func(a *Assembler) { a.Jmp(Label(7)) },
		"double bind":    func(a *Assembler) { l := a.NewLabel(); a.Bind(l); a.Bind(l) },
		"movzx 32 to 16": func(a *Assembler) { a.Movzx(S16, S32, RAX, RCX) },
		"bad shift":      func(a *Assembler) { a.ShiftCL(ShiftOp(2), S64, RAX) },
		"empty symbol":   func(a *Assembler) { a.CallSym("") },
		"bad alignment":  func(a *Assembler) { a.Align(3) },
	}
	for name, f := range cases {
		a := New()
		f(a)
		if _, err := a.Finish(); err == nil {
			t.Errorf("%s: Finish succeeded, want an error", name)
		} else if !strings.HasPrefix(err.Error(), "amd64: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
}

func TestEmitAfterFinish(t *testing.T) {
	a := New()
	a.Ret()
	finish(t, a)
	a.Ret()
	if a.Err() == nil {
		t.Fatal("emitting after Finish recorded no error")
	}
}

// BenchmarkEncode measures encoding throughput without the listing.
func BenchmarkEncode(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for i := 0; i < b.N; i++ {
		a := New()
		top := a.NewLabel()
		a.Bind(top)
		for j := 0; j < 1000; j++ {
			a.AluRR(ADD, S64, R11, RAX)
			a.Load(S32, RCX, PtrIdx(R13, RDX, 4, 16))
			a.AluRI(CMP, S64, RCX, 100)
			a.Jcc(CondL, top)
			a.FArith(FMul, S64, X3, X9)
		}
		code, err := a.Finish()
		if err != nil {
			b.Fatal(err)
		}
		n = len(code)
	}
	b.SetBytes(int64(n))
}
