package amd64

import (
	"encoding/binary"
	"fmt"
)

// Integer, control-flow and miscellaneous instructions. Each method appends
// one instruction (Nop and Align may append several). "dst" is the operand
// written; AT&T listings show it last.

// sizeOK records an error unless sz is one of the sizes in the bit set mask
// (S8|S16|S32|S64 are distinct bits).
func (a *Assembler) sizeOK(inst string, sz Size, mask Size) bool {
	if !sz.valid() || sz&mask == 0 {
		a.fail("%s: operand size %v not supported", inst, sz)
		return false
	}
	return true
}

// intOp returns the encoding of an integer instruction whose 8-bit form has
// opcode op8 and whose 16/32/64-bit forms have opcode op (with 66 or REX.W).
func intOp(sz Size, op8, op byte) enc {
	switch sz {
	case S8:
		return op1(op8)
	case S16:
		return op1(op).pre(0x66)
	case S64:
		return op1(op).wide(true)
	}
	return op1(op)
}

// intOp0F is intOp for a two-byte 0F opcode without an 8-bit form.
func intOp0F(sz Size, op byte) enc {
	e := op2(0x0F, op)
	switch sz {
	case S16:
		e = e.pre(0x66)
	case S64:
		e = e.wide(true)
	}
	return e
}

func fitsInt8(v int64) bool  { return v >= -128 && v <= 127 }
func fitsInt32(v int64) bool { return v >= -1<<31 && v <= 1<<31-1 }

// immLen is the immediate length of the "full" immediate forms (imm8, imm16,
// imm32 — 64-bit operations take a sign-extended imm32).
func immLen(sz Size) int {
	if sz == S64 {
		return 4
	}
	return int(sz)
}

// checkImm records an error unless v is representable as the immediate of
// an operation of size sz (sign- or zero-extended from the operation size;
// for S64 a sign-extended 32-bit value).
func (a *Assembler) checkImm(inst string, sz Size, v int64) bool {
	ok := true
	switch sz {
	case S8:
		ok = v >= -128 && v <= 255
	case S16:
		ok = v >= -1<<15 && v <= 1<<16-1
	case S32:
		ok = v >= -1<<31 && v <= 1<<32-1
	case S64:
		ok = fitsInt32(v)
	}
	if !ok {
		a.fail("%s: immediate %d does not fit a %d-bit operation", inst, v, int(sz)*8)
	}
	return ok
}

// ---- moves ----

// MovRR copies src to dst (`mov %src, %dst`). A 32-bit move zeroes the upper
// half of dst; 8- and 16-bit moves leave it unchanged.
func (a *Assembler) MovRR(sz Size, dst, src Reg) { a.regReg("mov", sz, 0x88, 0x89, src, dst) }

// Load loads sz bytes from m into dst (`mov m, %dst`); a 32-bit load
// zero-extends, 8/16-bit loads merge (use MovzxLoad/MovsxLoad to extend).
func (a *Assembler) Load(sz Size, dst Reg, m Mem) { a.regMem("mov", sz, 0x8A, 0x8B, dst, m, true) }

// Store stores the low sz bytes of src to m (`mov %src, m`).
func (a *Assembler) Store(sz Size, m Mem, src Reg) { a.regMem("mov", sz, 0x88, 0x89, src, m, false) }

// regReg emits the integer instruction `name %reg, %rm` with opcode op8
// (8-bit operands) or op (16, 32, 64), reg in ModRM.reg and rm in
// ModRM.rm, for operand sizes 8 to 64.
func (a *Assembler) regReg(name string, sz Size, op8, op byte, reg, rm Reg) {
	if !a.sizeOK(name, sz, S8|S16|S32|S64) {
		return
	}
	start := len(a.buf)
	a.emitRR(intOp(sz, op8, op).force(sz == S8 && (byteHi(uint8(reg)) || byteHi(uint8(rm)))), uint8(reg), uint8(rm), 0, 0)
	if a.listing {
		a.note(start, name+sz.suffix(), fr(reg, sz), fr(rm, sz))
	}
}

// regMem emits the integer instruction with opcode op8 (8-bit operands) or
// op (16, 32, 64), reg in ModRM.reg and the memory operand m: listed as
// `name m, %reg` if load (m is the source), else `name %reg, m`; operand
// sizes 8 to 64.
func (a *Assembler) regMem(name string, sz Size, op8, op byte, reg Reg, m Mem, load bool) {
	if !a.sizeOK(name, sz, S8|S16|S32|S64) {
		return
	}
	start := len(a.buf)
	a.emitMem(intOp(sz, op8, op).force(sz == S8 && byteHi(uint8(reg))), uint8(reg), m, 0, 0)
	if a.listing {
		if load {
			a.note(start, name+sz.suffix(), fmem(m), fr(reg, sz))
		} else {
			a.note(start, name+sz.suffix(), fr(reg, sz), fmem(m))
		}
	}
}

// StoreImm stores an immediate to m (`mov $imm, m`). For S64 the immediate
// is a sign-extended 32-bit value.
func (a *Assembler) StoreImm(sz Size, m Mem, imm int64) {
	if !a.sizeOK("mov", sz, S8|S16|S32|S64) || !a.checkImm("mov", sz, imm) {
		return
	}
	start := len(a.buf)
	a.emitMem(intOp(sz, 0xC6, 0xC7), 0, m, immLen(sz), imm)
	if a.listing {
		a.note(start, "mov"+sz.suffix(), fimm(immText(sz, imm)), fmem(m))
	}
}

// immText is the immediate as the instruction will see it: sign-extended
// from the operation size, so that listings show -1 rather than 0xffffffff.
func immText(sz Size, v int64) int64 {
	switch sz {
	case S8:
		return int64(int8(v))
	case S16:
		return int64(int16(v))
	case S32:
		return int64(int32(v))
	}
	return v
}

// MovImm sets dst to imm using the shortest encoding: for S64, `movl $imm32`
// when 0 <= imm < 2^32 (the 32-bit write zero-extends), `movq $simm32` when
// imm fits a sign-extended 32-bit value, movabsq otherwise. For S8/S16/S32
// the value is truncated to the size (and must fit it). MovImm does not
// touch the flags (it never turns into xor).
func (a *Assembler) MovImm(sz Size, dst Reg, imm int64) {
	if !a.sizeOK("mov", sz, S8|S16|S32|S64) {
		return
	}
	if sz != S64 && !a.checkImm("mov", sz, imm) {
		return
	}
	start := len(a.buf)
	switch {
	case sz == S8:
		a.emitOpReg(op1(0xB0).force(byteHi(uint8(dst))), uint8(dst), 1, imm)
	case sz == S16:
		a.emitOpReg(op1(0xB8).pre(0x66), uint8(dst), 2, imm)
	case sz == S32 || (imm >= 0 && imm <= 1<<32-1):
		a.emitOpReg(op1(0xB8), uint8(dst), 4, imm)
		if sz == S64 && a.listing {
			// Show the value the zero-extending movl produces.
			a.note(start, "movl", fimm(imm), fr(dst, S32))
			return
		}
		sz = S32
	case fitsInt32(imm):
		a.emitRR(op1(0xC7).wide(true), 0, uint8(dst), 4, imm)
	default:
		a.emitOpReg(op1(0xB8).wide(true), uint8(dst), 8, imm)
		if a.listing {
			a.note(start, "movabsq", fimm(imm), fr(dst, S64))
		}
		return
	}
	if a.listing {
		a.note(start, "mov"+sz.suffix(), fimm(immText(sz, imm)), fr(dst, sz))
	}
}

// MovAbs sets dst to a 64-bit immediate with the 10-byte movabsq form,
// whatever the value (for code that is patched later).
func (a *Assembler) MovAbs(dst Reg, imm uint64) {
	start := len(a.buf)
	a.emitOpReg(op1(0xB8).wide(true), uint8(dst), 8, int64(imm))
	if a.listing {
		a.note(start, "movabsq", fimm(int64(imm)), fr(dst, S64))
	}
}

// MovAbsSym sets dst to the absolute address sym+addend (movabsq with an
// ABS64 relocation).
func (a *Assembler) MovAbsSym(dst Reg, sym string, addend int64) {
	if sym == "" {
		a.fail("movabsq: empty symbol name")
		return
	}
	start := len(a.buf)
	a.emitOpReg(op1(0xB8).wide(true), uint8(dst), 8, 0)
	if len(a.buf) == start {
		return
	}
	a.relocs = append(a.relocs, Reloc{Offset: uint32(len(a.buf) - 8), Kind: ABS64, Symbol: sym, Addend: addend})
	if a.listing {
		t := "$" + sym
		if addend > 0 {
			t += "+" + hexs(addend)
		} else if addend < 0 {
			t += hexs(addend)
		}
		a.note(start, "movabsq", t, fr(dst, S64))
	}
}

// extend is the common part of Movzx/Movsx: opcode and listing mnemonic.
func (a *Assembler) extendEnc(signed bool, dstSz, srcSz Size) (e enc, mnem string, ok bool) {
	name := "movzx"
	if signed {
		name = "movsx"
	}
	if !a.sizeOK(name, dstSz, S16|S32|S64) || !a.sizeOK(name, srcSz, S8|S16|S32) || srcSz >= dstSz {
		if a.err == nil {
			a.fail("%s: cannot extend %v to %v", name, srcSz, dstSz)
		}
		return e, "", false
	}
	switch {
	case srcSz == S32 && !signed:
		// A 32-bit mov zero-extends: there is no movzx from 32 bits.
		return op1(0x8B), "movl", true
	case srcSz == S32:
		return op1(0x63).wide(true), "movslq", true
	}
	op := byte(0xB6)
	if signed {
		op = 0xBE
	}
	if srcSz == S16 {
		op++
	}
	mnem = "movz"
	if signed {
		mnem = "movs"
	}
	return intOp0F(dstSz, op), mnem + srcSz.suffix() + dstSz.suffix(), true
}

func (a *Assembler) extendRR(signed bool, dstSz, srcSz Size, dst, src Reg) {
	e, mnem, ok := a.extendEnc(signed, dstSz, srcSz)
	if !ok {
		return
	}
	if mnem == "movl" {
		// Use the canonical 0x89 register form, as MovRR does.
		a.MovRR(S32, dst, src)
		return
	}
	start := len(a.buf)
	a.emitRR(e.force(srcSz == S8 && byteHi(uint8(src))), uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, mnem, fr(src, srcSz), fr(dst, dstSz))
	}
}

func (a *Assembler) extendRM(signed bool, dstSz, srcSz Size, dst Reg, m Mem) {
	e, mnem, ok := a.extendEnc(signed, dstSz, srcSz)
	if !ok {
		return
	}
	start := len(a.buf)
	a.emitMem(e, uint8(dst), m, 0, 0)
	if a.listing {
		if mnem == "movl" {
			dstSz = S32
		}
		a.note(start, mnem, fmem(m), fr(dst, dstSz))
	}
}

// Movzx zero-extends the low srcSz bytes of src into dst (movzbl, movzwq,
// ...). srcSz S32 with dstSz S64 emits `movl`, which zero-extends.
func (a *Assembler) Movzx(dstSz, srcSz Size, dst, src Reg) { a.extendRR(false, dstSz, srcSz, dst, src) }

// Movsx sign-extends the low srcSz bytes of src into dst (movsbl, movswq,
// movslq = movsxd).
func (a *Assembler) Movsx(dstSz, srcSz Size, dst, src Reg) { a.extendRR(true, dstSz, srcSz, dst, src) }

// MovzxLoad loads srcSz bytes from m zero-extended to dstSz.
func (a *Assembler) MovzxLoad(dstSz, srcSz Size, dst Reg, m Mem) {
	a.extendRM(false, dstSz, srcSz, dst, m)
}

// MovsxLoad loads srcSz bytes from m sign-extended to dstSz.
func (a *Assembler) MovsxLoad(dstSz, srcSz Size, dst Reg, m Mem) {
	a.extendRM(true, dstSz, srcSz, dst, m)
}

// Lea computes the address of m into dst (S32 truncates, S64 full).
func (a *Assembler) Lea(sz Size, dst Reg, m Mem) {
	if !a.sizeOK("lea", sz, S16|S32|S64) {
		return
	}
	start := len(a.buf)
	a.emitMem(intOp(sz, 0, 0x8D), uint8(dst), m, 0, 0)
	if a.listing {
		a.note(start, "lea"+sz.suffix(), fmem(m), fr(dst, sz))
	}
}

// ---- two-operand ALU ----

// AluRR is `op %src, %dst` (dst = dst op src; CMP only sets flags).
func (a *Assembler) AluRR(op AluOp, sz Size, dst, src Reg) {
	if op > 7 {
		a.badOp(op.String())
		return
	}
	base := byte(op) * 8
	a.regReg(op.String(), sz, base, base+1, src, dst)
}

func (a *Assembler) badOp(name string) {
	if a.err == nil {
		a.fail("invalid operation %s", name)
	}
}

// AluRM is `op m, %dst` (dst = dst op [m]).
func (a *Assembler) AluRM(op AluOp, sz Size, dst Reg, m Mem) {
	if op > 7 {
		a.badOp(op.String())
		return
	}
	base := byte(op) * 8
	a.regMem(op.String(), sz, base+2, base+3, dst, m, true)
}

// AluMR is `op %src, m` ([m] = [m] op src).
func (a *Assembler) AluMR(op AluOp, sz Size, m Mem, src Reg) {
	if op > 7 {
		a.badOp(op.String())
		return
	}
	base := byte(op) * 8
	a.regMem(op.String(), sz, base, base+1, src, m, false)
}

// aluImmEnc picks the immediate form: 0x83 with a sign-extended imm8 when
// the value fits, else 0x81 (0x80 for bytes) with a full immediate.
func aluImmEnc(sz Size, imm int64) (e enc, n int) {
	switch {
	case sz == S8:
		return op1(0x80), 1
	case fitsInt8(immText(sz, imm)):
		return intOp(sz, 0, 0x83), 1
	}
	return intOp(sz, 0, 0x81), immLen(sz)
}

// AluRI is `op $imm, %dst`. For S64 imm is a sign-extended 32-bit value.
func (a *Assembler) AluRI(op AluOp, sz Size, dst Reg, imm int64) {
	if op > 7 || !a.sizeOK(op.String(), sz, S8|S16|S32|S64) {
		a.badOp(op.String())
		return
	}
	if !a.checkImm(op.String(), sz, imm) {
		return
	}
	start := len(a.buf)
	e, n := aluImmEnc(sz, imm)
	if dst == RAX && (n > 1 || sz == S8) {
		// Accumulator short form: op $imm, %al/%ax/%eax/%rax.
		base := byte(op) * 8
		e2 := intOp(sz, base+4, base+5)
		a.head(e2, 0)
		a.imm(n, imm)
	} else {
		a.emitRR(e.force(sz == S8 && byteHi(uint8(dst))), uint8(op), uint8(dst), n, imm)
	}
	if a.listing {
		a.note(start, op.String()+sz.suffix(), fimm(immText(sz, imm)), fr(dst, sz))
	}
}

// AluMI is `op $imm, m`.
func (a *Assembler) AluMI(op AluOp, sz Size, m Mem, imm int64) {
	if op > 7 || !a.sizeOK(op.String(), sz, S8|S16|S32|S64) {
		a.badOp(op.String())
		return
	}
	if !a.checkImm(op.String(), sz, imm) {
		return
	}
	start := len(a.buf)
	e, n := aluImmEnc(sz, imm)
	a.emitMem(e, uint8(op), m, n, imm)
	if a.listing {
		a.note(start, op.String()+sz.suffix(), fimm(immText(sz, imm)), fmem(m))
	}
}

// TestRR is `test %b, %a` (flags of a & b).
func (a *Assembler) TestRR(sz Size, x, y Reg) { a.regReg("test", sz, 0x84, 0x85, y, x) }

// TestMR is `test %r, m`.
func (a *Assembler) TestMR(sz Size, m Mem, r Reg) { a.regMem("test", sz, 0x84, 0x85, r, m, false) }

// TestRI is `test $imm, %r`. There is no imm8 form: to test low bits of a
// wide register, pass S8 (testb).
func (a *Assembler) TestRI(sz Size, r Reg, imm int64) {
	if !a.sizeOK("test", sz, S8|S16|S32|S64) || !a.checkImm("test", sz, imm) {
		return
	}
	start := len(a.buf)
	if r == RAX {
		a.head(intOp(sz, 0xA8, 0xA9), 0)
		a.imm(immLen(sz), imm)
	} else {
		a.emitRR(intOp(sz, 0xF6, 0xF7).force(sz == S8 && byteHi(uint8(r))), 0, uint8(r), immLen(sz), imm)
	}
	if a.listing {
		a.note(start, "test"+sz.suffix(), fimm(immText(sz, imm)), fr(r, sz))
	}
}

// TestMI is `test $imm, m`.
func (a *Assembler) TestMI(sz Size, m Mem, imm int64) {
	if !a.sizeOK("test", sz, S8|S16|S32|S64) || !a.checkImm("test", sz, imm) {
		return
	}
	start := len(a.buf)
	a.emitMem(intOp(sz, 0xF6, 0xF7), 0, m, immLen(sz), imm)
	if a.listing {
		a.note(start, "test"+sz.suffix(), fimm(immText(sz, imm)), fmem(m))
	}
}

// ---- multiply, divide, unary ----

// ImulRR is `imul %src, %dst` (dst = dst * src, low half).
func (a *Assembler) ImulRR(sz Size, dst, src Reg) {
	if !a.sizeOK("imul", sz, S16|S32|S64) {
		return
	}
	start := len(a.buf)
	a.emitRR(intOp0F(sz, 0xAF), uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, "imul"+sz.suffix(), fr(src, sz), fr(dst, sz))
	}
}

// ImulRM is `imul m, %dst`.
func (a *Assembler) ImulRM(sz Size, dst Reg, m Mem) {
	if !a.sizeOK("imul", sz, S16|S32|S64) {
		return
	}
	start := len(a.buf)
	a.emitMem(intOp0F(sz, 0xAF), uint8(dst), m, 0, 0)
	if a.listing {
		a.note(start, "imul"+sz.suffix(), fmem(m), fr(dst, sz))
	}
}

// ImulRRI is `imul $imm, %src, %dst` (dst = src * imm).
func (a *Assembler) ImulRRI(sz Size, dst, src Reg, imm int64) {
	if !a.sizeOK("imul", sz, S16|S32|S64) || !a.checkImm("imul", sz, imm) {
		return
	}
	start := len(a.buf)
	if fitsInt8(immText(sz, imm)) {
		a.emitRR(intOp(sz, 0, 0x6B), uint8(dst), uint8(src), 1, imm)
	} else {
		a.emitRR(intOp(sz, 0, 0x69), uint8(dst), uint8(src), immLen(sz), imm)
	}
	if a.listing {
		a.note(start, "imul"+sz.suffix(), fimm(immText(sz, imm)), fr(src, sz), fr(dst, sz))
	}
}

// unary emits the F6/F7 group (not, neg, mul, imul, div, idiv).
func (a *Assembler) unary(name string, digit uint8, sz Size, r Reg) {
	if !a.sizeOK(name, sz, S8|S16|S32|S64) {
		return
	}
	start := len(a.buf)
	a.emitRR(intOp(sz, 0xF6, 0xF7).force(sz == S8 && byteHi(uint8(r))), digit, uint8(r), 0, 0)
	if a.listing {
		a.note(start, name+sz.suffix(), fr(r, sz))
	}
}

// Not is `not %r`.
func (a *Assembler) Not(sz Size, r Reg) { a.unary("not", 2, sz, r) }

// Neg is `neg %r`.
func (a *Assembler) Neg(sz Size, r Reg) { a.unary("neg", 3, sz, r) }

// Mul is the unsigned widening multiply `mul %src`: rdx:rax = rax * src.
func (a *Assembler) Mul(sz Size, src Reg) { a.unary("mul", 4, sz, src) }

// Div is the unsigned divide `div %src`: rax = rdx:rax / src, rdx = remainder.
// Zero rdx first. Faults (#DE) on division by zero or overflow.
func (a *Assembler) Div(sz Size, src Reg) { a.unary("div", 6, sz, src) }

// Idiv is the signed divide `idiv %src`: rax = rdx:rax / src, rdx =
// remainder. Sign-extend rax into rdx first (Cqo/Cdq). Faults on division by
// zero and on MinInt / -1.
func (a *Assembler) Idiv(sz Size, src Reg) { a.unary("idiv", 7, sz, src) }

func (a *Assembler) fixed(text string, b ...byte) {
	start := len(a.buf)
	if a.finished {
		a.fail("instruction emitted after Finish")
		return
	}
	a.buf = append(a.buf, b...)
	if a.listing {
		a.note(start, text)
	}
}

// Cqo sign-extends rax into rdx:rax (AT&T cqto), before a 64-bit Idiv.
func (a *Assembler) Cqo() { a.fixed("cqto", 0x48, 0x99) }

// Cdq sign-extends eax into edx:eax (AT&T cltd), before a 32-bit Idiv.
func (a *Assembler) Cdq() { a.fixed("cltd", 0x99) }

// Cdqe sign-extends eax into rax (AT&T cltq).
func (a *Assembler) Cdqe() { a.fixed("cltq", 0x48, 0x98) }

// ---- shifts ----

func (a *Assembler) shiftOK(op ShiftOp, sz Size) bool {
	switch op {
	case ROL, ROR, SHL, SHR, SAR:
	default:
		a.fail("invalid shift operation %d", op)
		return false
	}
	return a.sizeOK(op.String(), sz, S8|S16|S32|S64)
}

// ShiftCL is `op %cl, %r` (the count is cl, masked by the CPU to 5 or 6 bits).
func (a *Assembler) ShiftCL(op ShiftOp, sz Size, r Reg) {
	if !a.shiftOK(op, sz) {
		return
	}
	start := len(a.buf)
	a.emitRR(intOp(sz, 0xD2, 0xD3).force(sz == S8 && byteHi(uint8(r))), uint8(op), uint8(r), 0, 0)
	if a.listing {
		a.note(start, op.String()+sz.suffix(), "%cl", fr(r, sz))
	}
}

// ShiftImm is `op $n, %r`; n == 1 uses the short D1 form.
func (a *Assembler) ShiftImm(op ShiftOp, sz Size, r Reg, n uint8) {
	if !a.shiftOK(op, sz) {
		return
	}
	start := len(a.buf)
	force := sz == S8 && byteHi(uint8(r))
	if n == 1 {
		a.emitRR(intOp(sz, 0xD0, 0xD1).force(force), uint8(op), uint8(r), 0, 0)
		if a.listing {
			a.note(start, op.String()+sz.suffix(), fr(r, sz))
		}
		return
	}
	a.emitRR(intOp(sz, 0xC0, 0xC1).force(force), uint8(op), uint8(r), 1, int64(n))
	if a.listing {
		a.note(start, op.String()+sz.suffix(), fimm(int64(n)), fr(r, sz))
	}
}

// ---- bit scans and counts ----

func (a *Assembler) bitOp(name string, pre byte, op byte, sz Size, dst, src Reg) {
	if !a.sizeOK(name, sz, S16|S32|S64) {
		return
	}
	start := len(a.buf)
	e := intOp0F(sz, op)
	if pre != 0 {
		// The mandatory F3 follows any 66 operand-size prefix.
		if e.p1 != 0 {
			e.p2 = pre
		} else {
			e.p1 = pre
		}
	}
	a.emitRR(e, uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, name+sz.suffix(), fr(src, sz), fr(dst, sz))
	}
}

// Lzcnt counts leading zeros (ABM/LZCNT; on CPUs without it this decodes as
// bsr, so callers must check CPUID first).
func (a *Assembler) Lzcnt(sz Size, dst, src Reg) { a.bitOp("lzcnt", 0xF3, 0xBD, sz, dst, src) }

// Tzcnt counts trailing zeros (BMI1; without it, decodes as bsf).
func (a *Assembler) Tzcnt(sz Size, dst, src Reg) { a.bitOp("tzcnt", 0xF3, 0xBC, sz, dst, src) }

// Popcnt counts set bits (POPCNT).
func (a *Assembler) Popcnt(sz Size, dst, src Reg) { a.bitOp("popcnt", 0xF3, 0xB8, sz, dst, src) }

// Bsr is the index of the highest set bit; dst is undefined and ZF set when
// src is zero.
func (a *Assembler) Bsr(sz Size, dst, src Reg) { a.bitOp("bsr", 0, 0xBD, sz, dst, src) }

// Bsf is the index of the lowest set bit; dst is undefined and ZF set when
// src is zero.
func (a *Assembler) Bsf(sz Size, dst, src Reg) { a.bitOp("bsf", 0, 0xBC, sz, dst, src) }

// ---- conditions ----

func (a *Assembler) condOK(c Cond) bool {
	if c > 15 {
		a.fail("invalid condition code %d", c)
		return false
	}
	return true
}

// Setcc sets the low byte of dst to 1 if c holds, else 0 (upper bits kept:
// zero-extend afterwards or clear dst before the flag-setting instruction).
func (a *Assembler) Setcc(c Cond, dst Reg) {
	if !a.condOK(c) {
		return
	}
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x90|byte(c)).force(byteHi(uint8(dst))), 0, uint8(dst), 0, 0)
	if a.listing {
		a.note(start, "set"+c.String(), fr(dst, S8))
	}
}

// Cmov is `cmovcc %src, %dst`: dst = src if c holds. The 32-bit form
// zero-extends dst even when the condition is false.
func (a *Assembler) Cmov(c Cond, sz Size, dst, src Reg) {
	if !a.condOK(c) || !a.sizeOK("cmov", sz, S16|S32|S64) {
		return
	}
	start := len(a.buf)
	a.emitRR(intOp0F(sz, 0x40|byte(c)), uint8(dst), uint8(src), 0, 0)
	if a.listing {
		a.note(start, "cmov"+c.String()+sz.suffix(), fr(src, sz), fr(dst, sz))
	}
}

// CmovLoad is `cmovcc m, %dst`. The load happens (and may fault) whatever
// the condition.
func (a *Assembler) CmovLoad(c Cond, sz Size, dst Reg, m Mem) {
	if !a.condOK(c) || !a.sizeOK("cmov", sz, S16|S32|S64) {
		return
	}
	start := len(a.buf)
	a.emitMem(intOp0F(sz, 0x40|byte(c)), uint8(dst), m, 0, 0)
	if a.listing {
		a.note(start, "cmov"+c.String()+sz.suffix(), fmem(m), fr(dst, sz))
	}
}

// ---- control flow ----

// branch emits a jump to l. short8/long are the opcode bytes of the rel8 and
// rel32 forms; forceShort makes a forward reference rel8.
func (a *Assembler) branch(name string, short8 byte, long enc, l Label, forceShort bool) {
	if !a.labelOK(l, name) {
		return
	}
	if a.finished {
		a.fail("instruction emitted after Finish")
		return
	}
	start := len(a.buf)
	target := a.labels[l]
	switch {
	case target >= 0 && short8 != 0 && int64(target)-int64(start+2) >= -128:
		// Bound (backward) and close: rel8. A bound label is never ahead,
		// so the distance is <= 0.
		a.buf = append(a.buf, short8, byte(int8(int64(target)-int64(start+2))))
	case target < 0 && forceShort:
		a.buf = append(a.buf, short8, 0)
		a.fixups = append(a.fixups, fixup{at: int32(start + 1), end: int32(start + 2), label: l, short: true, inst: name})
	default:
		if target >= 0 && forceShort {
			a.fail("short %s to .L%d: target out of rel8 range", name, l)
			return
		}
		a.head(long, 0)
		at := len(a.buf)
		if target >= 0 {
			// Backward: the displacement is known now.
			a.buf = binary.LittleEndian.AppendUint32(a.buf, uint32(target-int32(at+4)))
		} else {
			a.buf = append(a.buf, 0, 0, 0, 0)
			a.fixups = append(a.fixups, fixup{at: int32(at), end: int32(at + 4), label: l, inst: name})
		}
		if name == "jmp" {
			name = "jmpq" // the rel32 form, as objdump -M suffix spells it
		}
	}
	if a.listing {
		a.note(start, name, flabel(l))
	}
}

// Jmp jumps to l: rel8 when l is bound and within reach, rel32 otherwise.
func (a *Assembler) Jmp(l Label) { a.branch("jmp", 0xEB, op1(0xE9), l, false) }

// JmpShort jumps to l with the 2-byte rel8 form; Finish fails if l ends up
// more than 127 bytes ahead (or 128 behind).
func (a *Assembler) JmpShort(l Label) { a.branch("jmp", 0xEB, op1(0xE9), l, true) }

var jccNames = [16]string{"jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja", "js", "jns", "jp", "jnp", "jl", "jge", "jle", "jg"}

// Jcc jumps to l if c holds: rel8 when l is bound and within reach, rel32
// otherwise.
func (a *Assembler) Jcc(c Cond, l Label) {
	if a.condOK(c) {
		a.branch(jccNames[c], 0x70|byte(c), op2(0x0F, 0x80|byte(c)), l, false)
	}
}

// JccShort is Jcc forced to the rel8 form (see JmpShort).
func (a *Assembler) JccShort(c Cond, l Label) {
	if a.condOK(c) {
		a.branch(jccNames[c], 0x70|byte(c), op2(0x0F, 0x80|byte(c)), l, true)
	}
}

// Call calls the code at label l (rel32).
func (a *Assembler) Call(l Label) { a.branch("callq", 0, op1(0xE8), l, false) }

func (a *Assembler) relSym(name string, op byte, sym string, addend int64) {
	if sym == "" {
		a.fail("%s: empty symbol name", name)
		return
	}
	if a.finished {
		a.fail("instruction emitted after Finish")
		return
	}
	start := len(a.buf)
	a.buf = append(a.buf, op, 0, 0, 0, 0)
	a.relocs = append(a.relocs, Reloc{Offset: uint32(start + 1), Kind: PC32, Symbol: sym, Addend: addend - 4})
	if a.listing {
		t := sym
		if addend > 0 {
			t += "+" + hexs(addend)
		} else if addend < 0 {
			t += hexs(addend)
		}
		a.note(start, name, t)
	}
}

// CallSym calls the external symbol sym (rel32 with a PC32 relocation).
func (a *Assembler) CallSym(sym string) { a.relSym("callq", 0xE8, sym, 0) }

// JmpSym jumps to the external symbol sym (a tail call; PC32 relocation).
func (a *Assembler) JmpSym(sym string) { a.relSym("jmpq", 0xE9, sym, 0) }

// CallR calls the address in r (`call *%r`).
func (a *Assembler) CallR(r Reg) { a.indirectR("callq", 2, r) }

// CallM calls the address loaded from m (`call *m`).
func (a *Assembler) CallM(m Mem) { a.indirectM("callq", 2, m) }

// JmpR jumps to the address in r.
func (a *Assembler) JmpR(r Reg) { a.indirectR("jmpq", 4, r) }

// JmpM jumps to the address loaded from m (jump tables).
func (a *Assembler) JmpM(m Mem) { a.indirectM("jmpq", 4, m) }

// indirectR emits FF /digit with register operand r (an indirect call or
// jump: `name *%r`).
func (a *Assembler) indirectR(name string, digit uint8, r Reg) {
	start := len(a.buf)
	a.emitRR(op1(0xFF), digit, uint8(r), 0, 0)
	if a.listing {
		a.note(start, name, "*"+fr(r, S64))
	}
}

// indirectM emits FF /digit with memory operand m (`name *m`).
func (a *Assembler) indirectM(name string, digit uint8, m Mem) {
	start := len(a.buf)
	a.emitMem(op1(0xFF), digit, m, 0, 0)
	if a.listing {
		a.note(start, name, "*"+fmem(m))
	}
}

// Ret returns.
func (a *Assembler) Ret() { a.fixed("retq", 0xC3) }

// Push pushes a 64-bit register.
func (a *Assembler) Push(r Reg) {
	start := len(a.buf)
	a.emitOpReg(op1(0x50), uint8(r), 0, 0)
	if a.listing {
		a.note(start, "pushq", fr(r, S64))
	}
}

// Pop pops a 64-bit register.
func (a *Assembler) Pop(r Reg) {
	start := len(a.buf)
	a.emitOpReg(op1(0x58), uint8(r), 0, 0)
	if a.listing {
		a.note(start, "popq", fr(r, S64))
	}
}

// Ud2 raises #UD (an invalid-opcode trap).
func (a *Assembler) Ud2() { a.fixed("ud2", 0x0F, 0x0B) }

// Int3 raises #BP (a breakpoint trap).
func (a *Assembler) Int3() { a.fixed("int3", 0xCC) }

// The recommended multi-byte NOPs (Intel SDM Vol. 2B, NOP), by length.
var nops = [10][]byte{
	1: {0x90},
	2: {0x66, 0x90},
	3: {0x0F, 0x1F, 0x00},
	4: {0x0F, 0x1F, 0x40, 0x00},
	5: {0x0F, 0x1F, 0x44, 0x00, 0x00},
	6: {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00},
	7: {0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00},
	8: {0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	9: {0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
}

var nopText = [10]string{
	1: "nop",
	2: "xchgw %ax, %ax",
	3: "nopl (%rax)",
	4: "nopl 0x0(%rax)",
	5: "nopl 0x0(%rax,%rax,1)",
	6: "nopw 0x0(%rax,%rax,1)",
	7: "nopl 0x0(%rax)",
	8: "nopl 0x0(%rax,%rax,1)",
	9: "nopw 0x0(%rax,%rax,1)",
}

// Nop emits n bytes of no-ops using the fewest instructions (at most 9
// bytes each).
func (a *Assembler) Nop(n int) {
	if n < 0 {
		a.fail("nop: negative length %d", n)
		return
	}
	for n > 0 {
		k := min(n, 9)
		a.fixed(nopText[k], nops[k]...)
		n -= k
	}
}

// Align pads with no-ops up to a multiple of n (a power of two).
func (a *Assembler) Align(n int) {
	if n <= 0 || n&(n-1) != 0 {
		a.fail("align: %d is not a power of two", n)
		return
	}
	a.Nop((n - len(a.buf)%n) % n)
}

// String describes the Assembler's state (for debugging).
func (a *Assembler) String() string {
	return fmt.Sprintf("amd64.Assembler{%d bytes, %d labels, %d relocs}", len(a.buf), len(a.labels), len(a.relocs))
}
