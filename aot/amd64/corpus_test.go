package amd64

// The corpus: one Assembler exercising every method over many operand
// combinations, including the encoding corner cases. Its listing is the
// golden file and the input of the objdump cross-check.

var allRegs = []Reg{RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15}

var allXRegs = []XReg{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15}

// regPairs gives every register in both positions with varied partners
// (low/high halves, so that REX.R and REX.B are exercised separately).
func regPairs() [][2]Reg {
	var p [][2]Reg
	for i, r := range allRegs {
		p = append(p, [2]Reg{r, allRegs[(i+5)%16]}, [2]Reg{allRegs[(i+11)%16], r})
	}
	return p
}

func xPairs() [][2]XReg {
	var p [][2]XReg
	for i, x := range allXRegs {
		p = append(p, [2]XReg{x, allXRegs[(i+9)%16]})
	}
	return p
}

// someRegs is a subset with every encoding class: low/high, RSP/R12 (SIB),
// RBP/R13 (mod=00 special), SPL..DIL for byte ops.
var someRegs = []Reg{RAX, RCX, RSP, RBP, RSI, RDI, R8, R12, R13, R15}

var sizes = []Size{S8, S16, S32, S64}

// memSmall is a set of memory operands covering each ModRM/SIB special case.
func memSmall(data Label) []Mem {
	return []Mem{
		Ptr(RAX, 0),
		Ptr(RSP, 0),
		Ptr(RBP, 0),
		Ptr(R12, 0x10),
		Ptr(R13, 0),
		Ptr(R15, -8),
		Ptr(RDI, 0x1000),
		PtrIdx(RAX, RCX, 4, 0),
		PtrIdx(R13, R12, 8, -0x20),
		PtrIdx(RSP, RBP, 2, 0x7f),
		PtrIdx(RBP, R13, 1, 0x80),
		PtrIdx(R9, R14, 8, 0),
		LabelRef(data, 0),
		SymRef("ext_data", 4),
	}
}

// memAll is the exhaustive set used with one instruction (movq load).
func memAll(data Label) []Mem {
	var ms []Mem
	for _, b := range allRegs {
		for _, d := range []int32{0, 8, -0x80, 0x7f, 0x80, -0x81, 0x12345678, -0x80000000} {
			ms = append(ms, Ptr(b, d))
		}
	}
	for _, b := range []Reg{RAX, RSP, RBP, R12, R13, R15} {
		for _, i := range []Reg{RCX, RBP, R12, R13, R8, R15, RAX} {
			for _, s := range []uint8{1, 2, 4, 8} {
				ms = append(ms, PtrIdx(b, i, s, 0))
				if s == 1 {
					ms = append(ms, PtrIdx(b, i, s, 0x10), PtrIdx(b, i, s, 0x1000))
				}
			}
		}
	}
	ms = append(ms, LabelRef(data, 0), LabelRef(data, 4), LabelRef(data, -4), SymRef("ext_data", 0), SymRef("ext_data", 8), SymRef("ext_data", -8))
	return ms
}

func immsFor(sz Size) []int64 {
	switch sz {
	case S8:
		return []int64{0, 1, -1, 0x7f, -0x80, 0xff}
	case S16:
		return []int64{0, 1, -1, 0x7f, 0x80, -0x81, 0x7fff, -0x8000, 0xffff}
	case S32:
		return []int64{0, 1, -1, 0x7f, 0x80, -0x80, -0x81, 0x12345678, 0x7fffffff, -0x80000000, 0xffffffff}
	}
	return []int64{0, 1, -1, 0x7f, 0x80, -0x80, -0x81, 0x12345678, 0x7fffffff, -0x80000000}
}

var conds = []Cond{CondO, CondNO, CondB, CondAE, CondE, CondNE, CondBE, CondA, CondS, CondNS, CondP, CondNP, CondL, CondGE, CondLE, CondG}

// buildCorpus emits the whole corpus with the listing enabled.
func buildCorpus() *Assembler {
	a := New()
	a.EnableListing()
	top := a.NewLabel()
	fwd := a.NewLabel()
	a.Bind(top)

	// Constant pool entries (and a data label through the pool).
	one32 := a.Const32(0x3f800000)
	one64 := a.Const64(0x3ff0000000000000)
	sign32 := a.Const128(0x8000000080000000, 0x8000000080000000)
	sign64 := a.Const128(0x8000000000000000, 0x8000000000000000)
	data := one64.label

	// --- moves ---
	for _, sz := range sizes {
		for _, d := range allRegs {
			for _, s := range allRegs {
				if sz == S8 || d == s || d == RAX || s == R15 || d == (s+5)%16 {
					a.MovRR(sz, d, s)
				}
			}
		}
	}
	for _, m := range memAll(data) {
		a.Load(S64, RDX, m)
	}
	for _, sz := range sizes {
		for _, r := range someRegs {
			for _, m := range memSmall(data) {
				if r == RCX || m.Base == RAX || m.rip != ripNone {
					a.Load(sz, r, m)
					a.Store(sz, m, r)
				}
			}
			a.Load(sz, r, Ptr(r, 0x20))
			if r != RSP {
				a.Store(sz, PtrIdx(R11, r, 4, 0), allRegs[(int(r)+3)%16])
			}
		}
		for _, m := range memSmall(data) {
			for _, v := range immsFor(sz) {
				if m.Base == RAX || v == -1 {
					a.StoreImm(sz, m, v)
				}
			}
		}
	}
	for _, r := range allRegs {
		for _, v := range []int64{0, 1, -1, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, -0x80000000, -0x80000001, 0x123456789abcdef0, -1 << 63} {
			a.MovImm(S64, r, v)
		}
		for _, sz := range []Size{S8, S16, S32} {
			for _, v := range immsFor(sz) {
				if v == -1 || v == 0x7f || r == RCX || r == R13 {
					a.MovImm(sz, r, v)
				}
			}
		}
		a.MovAbs(r, 5)
		a.MovAbsSym(r, "ext_table", 0)
	}
	a.MovAbsSym(RAX, "ext_table", 16)
	a.MovAbsSym(RAX, "ext_table", -16)
	for _, signed := range []bool{false, true} {
		for _, ext := range [][2]Size{{S16, S8}, {S32, S8}, {S64, S8}, {S32, S16}, {S64, S16}, {S64, S32}} {
			for _, p := range regPairs() {
				if signed {
					a.Movsx(ext[0], ext[1], p[0], p[1])
				} else {
					a.Movzx(ext[0], ext[1], p[0], p[1])
				}
			}
			for _, m := range memSmall(data) {
				if signed {
					a.MovsxLoad(ext[0], ext[1], R10, m)
				} else {
					a.MovzxLoad(ext[0], ext[1], RSI, m)
				}
			}
		}
	}
	for _, sz := range []Size{S16, S32, S64} {
		for _, m := range memSmall(data) {
			a.Lea(sz, RAX, m)
			a.Lea(sz, R14, m)
		}
	}

	// --- ALU ---
	for _, d := range allRegs {
		for _, s := range allRegs {
			a.AluRR(ADD, S64, d, s)
		}
	}
	for op := ADD; op <= CMP; op++ {
		for _, sz := range sizes {
			for _, p := range regPairs() {
				if sz == S32 || p[0] == RSP || p[1] == R12 || p[0] == RSI || p[1] == RDI {
					a.AluRR(op, sz, p[0], p[1])
				}
			}
			for _, m := range memSmall(data) {
				a.AluRM(op, sz, RBX, m)
				a.AluMR(op, sz, m, R11)
			}
			for _, r := range someRegs {
				for _, v := range immsFor(sz) {
					if r == RAX || r == R13 || r == RSI || v == -0x81 || v == 0x7f {
						a.AluRI(op, sz, r, v)
					}
				}
			}
			for _, m := range memSmall(data) {
				a.AluMI(op, sz, m, 1)
				a.AluMI(op, sz, m, immsFor(sz)[len(immsFor(sz))-1])
			}
		}
	}
	for _, sz := range sizes {
		for _, p := range regPairs() {
			a.TestRR(sz, p[0], p[1])
		}
		for _, m := range memSmall(data) {
			a.TestMR(sz, m, RDI)
			a.TestMI(sz, m, 1)
		}
		for _, r := range someRegs {
			for _, v := range immsFor(sz) {
				if r == RAX || r == RDI || v == -1 || v == 0x80 {
					a.TestRI(sz, r, v)
				}
			}
		}
	}

	// --- multiply, divide, unary ---
	for _, sz := range []Size{S16, S32, S64} {
		for _, p := range regPairs() {
			a.ImulRR(sz, p[0], p[1])
			a.ImulRRI(sz, p[0], p[1], 3)
			a.ImulRRI(sz, p[1], p[0], 1000)
		}
		for _, m := range memSmall(data) {
			a.ImulRM(sz, R8, m)
		}
		a.ImulRRI(sz, RAX, RCX, -1)
		a.ImulRRI(sz, RAX, RCX, -0x80)
		a.ImulRRI(sz, RAX, RCX, -0x81)
	}
	for _, sz := range sizes {
		for _, r := range allRegs {
			a.Not(sz, r)
			a.Neg(sz, r)
			a.Mul(sz, r)
			a.Div(sz, r)
			a.Idiv(sz, r)
		}
	}
	a.Cqo()
	a.Cdq()
	a.Cdqe()

	// --- shifts ---
	for _, op := range []ShiftOp{ROL, ROR, SHL, SHR, SAR} {
		for _, sz := range sizes {
			for _, r := range allRegs {
				a.ShiftCL(op, sz, r)
				a.ShiftImm(op, sz, r, 1)
				a.ShiftImm(op, sz, r, uint8(sz)*8-1)
			}
			a.ShiftImm(op, sz, R9, 3)
		}
	}

	// --- bit counts ---
	for _, sz := range []Size{S16, S32, S64} {
		for _, p := range regPairs() {
			a.Lzcnt(sz, p[0], p[1])
			a.Tzcnt(sz, p[0], p[1])
			a.Popcnt(sz, p[0], p[1])
			a.Bsr(sz, p[0], p[1])
			a.Bsf(sz, p[0], p[1])
		}
	}

	// --- conditions ---
	for _, c := range conds {
		for _, r := range allRegs {
			a.Setcc(c, r)
		}
		for _, sz := range []Size{S16, S32, S64} {
			for _, p := range regPairs()[:6] {
				a.Cmov(c, sz, p[0], p[1])
			}
			a.CmovLoad(c, sz, R12, Ptr(RBP, -0x10))
		}
	}
	for _, m := range memSmall(data) {
		a.CmovLoad(CondL, S64, RAX, m)
	}

	// --- control flow ---
	near := a.NewLabel()
	a.Bind(near)
	for _, c := range conds {
		a.Jcc(c, near) // bound and close: rel8
		a.Jcc(c, top)  // bound and far: rel32
		a.Jcc(c, fwd)  // forward: rel32
	}
	a.Jmp(near)
	a.Jmp(top)
	a.Jmp(fwd)
	fwdNear := a.NewLabel()
	for _, c := range conds {
		a.JccShort(c, fwdNear)
	}
	a.JmpShort(fwdNear)
	a.Call(fwdNear)
	a.Bind(fwdNear)
	a.Call(top)
	a.Call(fwd)
	a.CallSym("ext_func")
	a.JmpSym("ext_func")
	for _, r := range allRegs {
		a.CallR(r)
		a.JmpR(r)
		a.Push(r)
		a.Pop(r)
	}
	for _, m := range memSmall(data) {
		a.CallM(m)
		a.JmpM(m)
	}
	a.JmpM(PtrIdx(RAX, RCX, 8, 0))
	a.Ret()
	a.Ud2()
	a.Int3()
	for n := 1; n <= 9; n++ {
		a.Nop(n)
	}
	a.Nop(12)
	a.Int3()
	a.Align(16)

	// --- SSE ---
	for _, sz := range []Size{S32, S64} {
		for _, r := range allRegs {
			x := allXRegs[(int(r)+7)%16]
			a.MovToX(sz, x, r)
			a.MovFromX(sz, r, x)
			a.CvtIntToF(S32, sz, x, r)
			a.CvtIntToF(S64, sz, x, r)
			a.CvtFToIntTrunc(sz, S32, r, x)
			a.CvtFToIntTrunc(sz, S64, r, x)
		}
		for _, m := range memSmall(data) {
			a.CvtIntToFM(S64, sz, X3, m)
			a.CvtIntToFM(S32, sz, X12, m)
		}
	}
	for _, d := range allXRegs {
		for _, s := range allXRegs {
			if d == s || d == X0 || s == X15 || d == (s+5)%16 {
				a.Movaps(d, s)
			}
		}
	}
	for _, sz := range []Size{S32, S64} {
		for _, p := range xPairs() {
			a.FMov(sz, p[0], p[1])
			for _, op := range []FOp{FAdd, FSub, FMul, FDiv, FSqrt, FMin, FMax} {
				a.FArith(op, sz, p[0], p[1])
			}
			a.Ucomis(sz, p[0], p[1])
			a.Comis(sz, p[0], p[1])
			for _, mode := range []RoundMode{RoundNearest, RoundFloor, RoundCeil, RoundTrunc} {
				a.Round(sz, mode, p[0], p[1])
			}
			for _, op := range []LogicOp{LAnd, LAndN, LOr, LXor} {
				a.Logic(op, sz, p[0], p[1])
			}
		}
		for _, m := range memSmall(data) {
			a.FLoad(sz, X0, m)
			a.FLoad(sz, X9, m)
			a.FStore(sz, m, X1)
			a.FStore(sz, m, X14)
			a.FArithM(FAdd, sz, X8, m)
			a.FArithM(FDiv, sz, X2, m)
			a.UcomisM(sz, X5, m)
			a.LogicM(LAnd, sz, X11, m)
		}
		for _, op := range []FOp{FAdd, FSub, FMul, FDiv, FSqrt, FMin, FMax} {
			a.FArithM(op, sz, X6, Ptr(R13, 0))
		}
		for _, op := range []LogicOp{LAnd, LAndN, LOr, LXor} {
			a.LogicM(op, sz, X7, sign64)
			a.LogicM(op, sz, X15, sign32)
		}
	}
	for _, p := range xPairs() {
		a.CvtF32ToF64(p[0], p[1])
		a.CvtF64ToF32(p[0], p[1])
	}
	a.FLoad(S32, X4, one32)
	a.FLoad(S64, X4, one64)
	// Constants used directly (RIP-relative displacement into the pool).
	a.AluRM(ADD, S64, RAX, one64)
	a.AluMI(CMP, S32, one32, 0x1234)

	a.Bind(fwd)
	a.Ret()
	// System and string instructions (appended last so that nothing above moves).
	a.Syscall()
	a.RepMovsb()
	a.RepMovsq()
	a.RepStosb()
	a.RepStosq()
	a.Std()
	a.Cld()
	// Privileged and system instructions (guest boot code and natives).
	a.Cli()
	a.Sti()
	a.Hlt()
	a.Cpuid()
	a.Rdmsr()
	a.Wrmsr()
	a.Rdtsc()
	a.Lfence()
	a.Mfence()
	a.Pause()
	a.Iretq()
	a.OutB()
	a.OutW()
	a.InB()
	a.PushImm(0)
	a.PushImm(31)
	a.PushImm(-8)
	for _, m := range []Mem{Ptr(RAX, 0), Ptr(R12, 8), PtrIdx(RBX, RCX, 8, -16), one64} {
		a.Lidt(m)
		a.Lgdt(m)
		a.Invlpg(m)
		a.Ldmxcsr(m)
		a.LockBtr(m, RAX)
		a.LockBts(m, R9)
		a.XchgRM(S64, RDX, m)
		a.XchgRM(S32, R10, m)
		a.XchgRM(S8, RSI, m)
	}
	for _, r := range []Reg{RAX, RBX, R9, R15} {
		a.Ltr(r)
		a.Rdrand(r)
		for _, cr := range []int{0, 2, 3, 4, 8} {
			a.MovToCR(cr, r)
			a.MovFromCR(r, cr)
		}
	}
	return a
}
