package amd64

// Scalar SSE/SSE2/SSE4.1 instructions. Scalar float operations take S32
// (single precision, "ss") or S64 (double precision, "sd").

func (a *Assembler) floatOK(inst string, sz Size) bool {
	if sz != S32 && sz != S64 {
		a.fail("%s: float size %v is not S32 or S64", inst, sz)
		return false
	}
	return true
}

// scalarPre is the mandatory prefix of a scalar op: F3 for ss, F2 for sd.
func scalarPre(sz Size) byte {
	if sz == S32 {
		return 0xF3
	}
	return 0xF2
}

func scalarSuffix(sz Size) string {
	if sz == S32 {
		return "ss"
	}
	return "sd"
}

func packedSuffix(sz Size) string {
	if sz == S32 {
		return "ps"
	}
	return "pd"
}

// MovToX copies a general register into the low lanes of an XMM register,
// zeroing the rest (`movd %r32, %xmm` for S32, `movq %r64, %xmm` for S64).
func (a *Assembler) MovToX(sz Size, dst XReg, src Reg) {
	if !a.floatOK("movd/movq", sz) {
		return
	}
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x6E).pre(0x66).wide(sz == S64), uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, map[Size]string{S32: "movd", S64: "movq"}[sz], fr(src, sz), fx(dst))
	}
}

// MovFromX copies the low 32 or 64 bits of an XMM register into a general
// register (`movd %xmm, %r32`, `movq %xmm, %r64`); the 32-bit form zeroes the
// upper half.
func (a *Assembler) MovFromX(sz Size, dst Reg, src XReg) {
	if !a.floatOK("movd/movq", sz) {
		return
	}
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x7E).pre(0x66).wide(sz == S64), uint8(src), uint8(dst), 0, 0)
	if a.listing {
		a.note(start, map[Size]string{S32: "movd", S64: "movq"}[sz], fx(src), fr(dst, sz))
	}
}

// Movaps copies a whole XMM register (the preferred register-to-register
// float move: no dependency on dst's old value).
func (a *Assembler) Movaps(dst, src XReg) {
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x28), uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, "movaps", fx(src), fx(dst))
	}
}

// FMov is movss/movsd between registers: replaces the low lane of dst only.
func (a *Assembler) FMov(sz Size, dst, src XReg) {
	if !a.floatOK("movs", sz) {
		return
	}
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x10).pre(scalarPre(sz)), uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, "mov"+scalarSuffix(sz), fx(src), fx(dst))
	}
}

// FLoad loads a float from m into the low lane of dst, zeroing the rest.
func (a *Assembler) FLoad(sz Size, dst XReg, m Mem) {
	if !a.floatOK("movs", sz) {
		return
	}
	start := len(a.buf)
	a.emitMem(op2(0x0F, 0x10).pre(scalarPre(sz)), uint8(dst), m, 0, 0)
	if a.listing {
		a.note(start, "mov"+scalarSuffix(sz), fmem(m), fx(dst))
	}
}

// FStore stores the low float of src to m.
func (a *Assembler) FStore(sz Size, m Mem, src XReg) {
	if !a.floatOK("movs", sz) {
		return
	}
	start := len(a.buf)
	a.emitMem(op2(0x0F, 0x11).pre(scalarPre(sz)), uint8(src), m, 0, 0)
	if a.listing {
		a.note(start, "mov"+scalarSuffix(sz), fx(src), fmem(m))
	}
}

func (a *Assembler) fopOK(op FOp, sz Size) bool {
	if op.name() == "" {
		a.fail("invalid float operation %#x", byte(op))
		return false
	}
	return a.floatOK(op.name()+"s", sz)
}

// FArith is `op %src, %dst` on the low lane: dst = dst op src (FSqrt: dst =
// sqrt(src)). minss/maxss return src when either operand is NaN or both are
// zeros: Wasm's min/max need extra code around them.
func (a *Assembler) FArith(op FOp, sz Size, dst, src XReg) {
	if !a.fopOK(op, sz) {
		return
	}
	start := len(a.buf)
	a.emitRR(op2(0x0F, byte(op)).pre(scalarPre(sz)), uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, op.name()+scalarSuffix(sz), fx(src), fx(dst))
	}
}

// FArithM is FArith with a memory source.
func (a *Assembler) FArithM(op FOp, sz Size, dst XReg, m Mem) {
	if !a.fopOK(op, sz) {
		return
	}
	start := len(a.buf)
	a.emitMem(op2(0x0F, byte(op)).pre(scalarPre(sz)), uint8(dst), m, 0, 0)
	if a.listing {
		a.note(start, op.name()+scalarSuffix(sz), fmem(m), fx(dst))
	}
}

func (a *Assembler) compare(name string, opc byte, sz Size, x, y XReg) {
	if !a.floatOK(name, sz) {
		return
	}
	start := len(a.buf)
	e := op2(0x0F, opc)
	if sz == S64 {
		e = e.pre(0x66)
	}
	a.emitRR(e, uint8(x), uint8(y), 0, 0)
	if a.listing {
		a.note(start, name+scalarSuffix(sz), fx(y), fx(x))
	}
}

// Ucomis compares x with y (`ucomis %y, %x`), setting ZF/PF/CF like an
// unsigned compare of x to y; unordered sets all three.
func (a *Assembler) Ucomis(sz Size, x, y XReg) { a.compare("ucomi", 0x2E, sz, x, y) }

// Comis is Ucomis that also signals on quiet NaNs.
func (a *Assembler) Comis(sz Size, x, y XReg) { a.compare("comi", 0x2F, sz, x, y) }

// UcomisM compares x with a float in memory.
func (a *Assembler) UcomisM(sz Size, x XReg, m Mem) {
	if !a.floatOK("ucomi", sz) {
		return
	}
	start := len(a.buf)
	e := op2(0x0F, 0x2E)
	if sz == S64 {
		e = e.pre(0x66)
	}
	a.emitMem(e, uint8(x), m, 0, 0)
	if a.listing {
		a.note(start, "ucomi"+scalarSuffix(sz), fmem(m), fx(x))
	}
}

// CvtIntToF converts the signed integer in src (isz S32 or S64) to a float
// of size fsz in dst's low lane (cvtsi2ss/cvtsi2sd). It merges into dst: a
// back end should clear dst first (xorps) to break the dependency.
func (a *Assembler) CvtIntToF(fsz, isz Size, dst XReg, src Reg) {
	if !a.floatOK("cvtsi2s", fsz) || !a.floatOK("cvtsi2s", isz) {
		return
	}
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x2A).pre(scalarPre(fsz)).wide(isz == S64), uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, "cvtsi2"+scalarSuffix(fsz)+isz.suffix(), fr(src, isz), fx(dst))
	}
}

// CvtIntToFM is CvtIntToF with the integer loaded from m.
func (a *Assembler) CvtIntToFM(fsz, isz Size, dst XReg, m Mem) {
	if !a.floatOK("cvtsi2s", fsz) || !a.floatOK("cvtsi2s", isz) {
		return
	}
	start := len(a.buf)
	a.emitMem(op2(0x0F, 0x2A).pre(scalarPre(fsz)).wide(isz == S64), uint8(dst), m, 0, 0)
	if a.listing {
		a.note(start, "cvtsi2"+scalarSuffix(fsz)+isz.suffix(), fmem(m), fx(dst))
	}
}

// CvtFToIntTrunc converts the float (fsz) in src to a signed integer (isz)
// rounding toward zero (cvttss2si/cvttsd2si). Out-of-range and NaN inputs
// give the "integer indefinite" value 1<<(isz*8-1).
func (a *Assembler) CvtFToIntTrunc(isz, fsz Size, dst Reg, src XReg) {
	if !a.floatOK("cvtts2si", fsz) || !a.floatOK("cvtts2si", isz) {
		return
	}
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x2C).pre(scalarPre(fsz)).wide(isz == S64), uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, "cvtt"+scalarSuffix(fsz)+"2si", fx(src), fr(dst, isz))
	}
}

// CvtF32ToF64 is cvtss2sd (merges into dst's upper lanes).
func (a *Assembler) CvtF32ToF64(dst, src XReg) {
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x5A).pre(0xF3), uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, "cvtss2sd", fx(src), fx(dst))
	}
}

// CvtF64ToF32 is cvtsd2ss (rounds by MXCSR, nearest-even by default).
func (a *Assembler) CvtF64ToF32(dst, src XReg) {
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x5A).pre(0xF2), uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, "cvtsd2ss", fx(src), fx(dst))
	}
}

// Round rounds the float in src to an integral value by mode into dst
// (SSE4.1 roundss/roundsd).
func (a *Assembler) Round(sz Size, mode RoundMode, dst, src XReg) {
	if !a.floatOK("rounds", sz) {
		return
	}
	if mode > 0xF {
		a.fail("rounds: invalid rounding mode %#x", byte(mode))
		return
	}
	op := byte(0x0A)
	if sz == S64 {
		op = 0x0B
	}
	start := len(a.buf)
	a.emitRR(op3(0x0F, 0x3A, op).pre(0x66), uint8(dst), uint8(src), 1, int64(mode))
	if a.listing {
		a.note(start, "round"+scalarSuffix(sz), fimm(int64(mode)), fx(src), fx(dst))
	}
}

func (a *Assembler) logicEnc(op LogicOp, sz Size) (enc, bool) {
	if op.name() == "" {
		a.fail("invalid logic operation %#x", byte(op))
		return enc{}, false
	}
	if !a.floatOK(op.name()+"p", sz) {
		return enc{}, false
	}
	e := op2(0x0F, byte(op))
	if sz == S64 {
		e = e.pre(0x66)
	}
	return e, true
}

// Logic is a packed bitwise op on whole XMM registers: andps/andpd,
// andnps/andnpd (dst = ^dst & src), orps/orpd, xorps/xorpd. With a sign
// mask from the constant pool these give abs (and with ^sign), neg (xor
// sign) and copysign; `Logic(LXor, S32, x, x)` zeroes x.
func (a *Assembler) Logic(op LogicOp, sz Size, dst, src XReg) {
	e, ok := a.logicEnc(op, sz)
	if !ok {
		return
	}
	start := len(a.buf)
	a.emitRR(e, uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, op.name()+packedSuffix(sz), fx(src), fx(dst))
	}
}

// LogicM is Logic with a 16-byte memory operand, which must be 16-aligned
// (Const128 is).
func (a *Assembler) LogicM(op LogicOp, sz Size, dst XReg, m Mem) {
	e, ok := a.logicEnc(op, sz)
	if !ok {
		return
	}
	start := len(a.buf)
	a.emitMem(e, uint8(dst), m, 0, 0)
	if a.listing {
		a.note(start, op.name()+packedSuffix(sz), fmem(m), fx(dst))
	}
}
