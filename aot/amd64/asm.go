// Package amd64 is mwasm's x86-64 machine-code encoder: the layer the AOT
// compiler's back end emits instructions through. It needs no external
// assembler.
//
// An Assembler appends the encoding of one instruction per method call to a
// byte buffer. Methods are named after the instruction form, not the
// mnemonic spelling, and take the operand size as a parameter (S8..S64), so a
// back end can pick them from tables: AluRR(ADD, S64, dst, src) is
// `addq %src, %dst`. Operands are registers (Reg for RAX..R15, XReg for
// XMM0..XMM15), immediates, and memory operands (Mem): base + index*scale +
// disp32, or RIP-relative to a Label (code or constant pool) or to an
// external symbol (which produces a relocation).
//
// Encoding: every instruction is built by one of two routines (emitRR for a
// register in ModRM.rm, emitMem for a memory operand) which write, in this
// order: legacy/mandatory prefixes (66, F2, F3), a REX prefix when any of
// W/R/X/B is needed or an 8-bit operand names SPL/BPL/SIL/DIL, the opcode
// bytes, ModRM, SIB, displacement and immediate. The memory encoder handles
// the irregular cases of the ModRM table: RSP/R12 as base need a SIB byte,
// RBP/R13 as base cannot use mod=00 and get a zero disp8, RSP cannot be an
// index, and the shortest of no/disp8/disp32 displacement is chosen.
// Immediates use the sign-extended imm8 forms when the value fits, and the
// accumulator short forms where they are shorter. MovImm picks the shortest
// of `movl imm32` (zero-extends), `movq simm32` (sign-extends) and movabsq.
//
// Labels: NewLabel creates one, Bind places it at the current offset. Jumps
// to an already-bound label that is close use the 2-byte rel8 form; other
// jumps use rel32 and are patched by Finish (JmpShort/JccShort force rel8
// for forward jumps the caller knows are short; Finish reports if not).
// Constants (Const32/Const64/Const128/Const) go to a deduplicated pool that
// Finish appends after the code, aligned; they are referenced RIP-relative.
// References to other functions or data are left as relocations (Reloc, ELF
// RELA style: the bytes are zero and the addend is in the Reloc) for the
// linker.
//
// Errors (an invalid register, size or memory operand, an unbound label, a
// short jump out of range) never panic: the first one is kept and returned by
// Finish, naming the instruction and offset.
//
// For tests and debugging, EnableListing records an AT&T-syntax text line for
// every instruction (the syntax of `objdump -M suffix`); testdata/encode.golden
// is that listing, checked against objdump.
package amd64

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Label is a position in the code, created by NewLabel and placed by Bind.
type Label int32

// RelocKind is the kind of a relocation.
type RelocKind uint8

// Relocation kinds (the ELF x86-64 equivalents are R_X86_64_PC32 and
// R_X86_64_64).
const (
	// PC32: write the 32-bit value S + A - P at Offset, where S is the
	// symbol's address, A the addend and P the address of the field itself.
	PC32 RelocKind = iota + 1
	// ABS64: write the 64-bit value S + A at Offset.
	ABS64
)

func (k RelocKind) String() string {
	switch k {
	case PC32:
		return "PC32"
	case ABS64:
		return "ABS64"
	}
	return fmt.Sprintf("RelocKind(%d)", int(k))
}

// Reloc is a place in the code the linker must patch with a symbol's
// address. The bytes at Offset are zero; the full addend is in Addend (for
// PC32 it already includes the distance from the field to the end of the
// instruction, typically -4).
type Reloc struct {
	Offset uint32
	Kind   RelocKind
	Symbol string
	Addend int64
}

type ripKind uint8

const (
	ripNone ripKind = iota
	ripLabel
	ripSym
)

// Mem is a memory operand. The zero value with Scale == 0 means [Base+Disp]
// without an index. Build RIP-relative operands with LabelRef and SymRef.
// Absolute addresses without a base register are not supported.
type Mem struct {
	Base  Reg
	Index Reg   // used only when Scale != 0; RSP cannot be an index
	Scale uint8 // 0 (no index), 1, 2, 4 or 8
	Disp  int32 // displacement; for RIP-relative operands, the offset from the target

	rip   ripKind
	label Label
	sym   string
}

// Ptr is the memory operand [base+disp].
func Ptr(base Reg, disp int32) Mem { return Mem{Base: base, Disp: disp} }

// PtrIdx is the memory operand [base+index*scale+disp].
func PtrIdx(base, index Reg, scale uint8, disp int32) Mem {
	return Mem{Base: base, Index: index, Scale: scale, Disp: disp}
}

// LabelRef is the RIP-relative memory operand [label+disp].
func LabelRef(l Label, disp int32) Mem { return Mem{rip: ripLabel, label: l, Disp: disp} }

// SymRef is the RIP-relative memory operand [sym+addend]; using it records a
// PC32 relocation.
func SymRef(sym string, addend int32) Mem { return Mem{rip: ripSym, sym: sym, Disp: addend} }

// Line is one entry of the listing: an instruction (or a constant-pool
// datum, Data set) with its offset and length in the code.
type Line struct {
	Off, Len int
	Text     string
	Data     bool
}

type fixup struct {
	at, end int32 // position of the rel field and end of the instruction
	label   Label
	short   bool // rel8 rather than rel32
	inst    string
}

type poolEntry struct {
	data  []byte
	align int
	label Label
}

// Assembler accumulates machine code. The zero value is not ready; use New.
type Assembler struct {
	buf      []byte
	labels   []int32 // offset of each label, -1 while unbound
	fixups   []fixup
	relocs   []Reloc
	pool     []poolEntry
	poolIdx  map[string]int
	err      error
	finished bool
	codeLen  int

	listing bool
	lines   []Line
}

// New returns an empty Assembler.
func New() *Assembler {
	return &Assembler{buf: make([]byte, 0, 256)}
}

// EnableListing makes the Assembler record a text line per instruction
// (see Listing). It costs time and memory: meant for tests and debugging.
func (a *Assembler) EnableListing() { a.listing = true }

// Listing returns the recorded lines (EnableListing must have been called
// before emitting).
func (a *Assembler) Listing() []Line { return a.lines }

// Len returns the number of bytes emitted so far.
func (a *Assembler) Len() int { return len(a.buf) }

// CodeLen returns the length of the code without the constant pool (valid
// after Finish; before it, the same as Len).
func (a *Assembler) CodeLen() int {
	if a.finished {
		return a.codeLen
	}
	return len(a.buf)
}

// Relocs returns the relocations recorded so far.
func (a *Assembler) Relocs() []Reloc { return a.relocs }

// Err returns the first error recorded, if any.
func (a *Assembler) Err() error { return a.err }

func (a *Assembler) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf("amd64: at code offset %#x: "+format+"; this is a compiler bug in the caller", append([]any{len(a.buf)}, args...)...)
	}
}

// NewLabel creates an unbound label.
func (a *Assembler) NewLabel() Label {
	a.labels = append(a.labels, -1)
	return Label(len(a.labels) - 1)
}

// Bind places l at the current offset. A label can be bound once.
func (a *Assembler) Bind(l Label) {
	if !a.labelOK(l, "bind") {
		return
	}
	if a.labels[l] >= 0 {
		a.fail("label .L%d bound twice (first at %#x)", l, a.labels[l])
		return
	}
	a.labels[l] = int32(len(a.buf))
}

// LabelOffset returns the offset of a bound label, or -1.
func (a *Assembler) LabelOffset(l Label) int {
	if l < 0 || int(l) >= len(a.labels) {
		return -1
	}
	return int(a.labels[l])
}

func (a *Assembler) labelOK(l Label, what string) bool {
	if l < 0 || int(l) >= len(a.labels) {
		a.fail("%s: label %d was not created by NewLabel", what, l)
		return false
	}
	return true
}

// Const returns a RIP-relative operand for data placed in the constant pool
// at the given alignment (a power of two up to 64). Equal data at equal
// alignment share one pool entry.
func (a *Assembler) Const(data []byte, align int) Mem {
	if align <= 0 || align > 64 || align&(align-1) != 0 {
		a.fail("constant pool alignment %d is not a power of two in 1..64", align)
		align = 1
	}
	key := fmt.Sprintf("%d:%x", align, data)
	if a.poolIdx == nil {
		a.poolIdx = map[string]int{}
	}
	if i, ok := a.poolIdx[key]; ok {
		return LabelRef(a.pool[i].label, 0)
	}
	l := a.NewLabel()
	a.poolIdx[key] = len(a.pool)
	a.pool = append(a.pool, poolEntry{data: append([]byte(nil), data...), align: align, label: l})
	return LabelRef(l, 0)
}

// Const32 is Const of a 4-byte little-endian value, 4-aligned.
func (a *Assembler) Const32(v uint32) Mem {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return a.Const(b[:], 4)
}

// Const64 is Const of an 8-byte little-endian value, 8-aligned.
func (a *Assembler) Const64(v uint64) Mem {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	return a.Const(b[:], 8)
}

// Const128 is Const of a 16-byte value (lo first), 16-aligned, as the packed
// SSE logic instructions need for their memory operand.
func (a *Assembler) Const128(lo, hi uint64) Mem {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], lo)
	binary.LittleEndian.PutUint64(b[8:], hi)
	return a.Const(b[:], 16)
}

// Finish appends the constant pool, patches label references and returns the
// code. The returned slice is owned by the Assembler until it is discarded.
// No instruction may be emitted after Finish.
func (a *Assembler) Finish() ([]byte, error) {
	if a.finished {
		return a.buf, a.err
	}
	a.codeLen = len(a.buf)
	for _, p := range a.pool {
		for len(a.buf)%p.align != 0 {
			a.buf = append(a.buf, 0xCC)
		}
		a.labels[p.label] = int32(len(a.buf))
		if a.listing {
			a.lines = append(a.lines, Line{Off: len(a.buf), Len: len(p.data), Text: dataText(p.data), Data: true})
		}
		a.buf = append(a.buf, p.data...)
	}
	a.finished = true
	if a.err != nil {
		return nil, a.err
	}
	for _, f := range a.fixups {
		target := a.labels[f.label]
		if target < 0 {
			return nil, fmt.Errorf("amd64: %s at code offset %#x refers to label .L%d, which was never bound; bind every label the code jumps to", f.inst, f.at, f.label)
		}
		rel := int64(target) - int64(f.end)
		if f.short {
			if rel < -128 || rel > 127 {
				return nil, fmt.Errorf("amd64: short %s at code offset %#x cannot reach .L%d (distance %d); use the rel32 form", f.inst, f.at, f.label, rel)
			}
			a.buf[f.at] = byte(int8(rel))
			continue
		}
		binary.LittleEndian.PutUint32(a.buf[f.at:], uint32(int32(rel)))
	}
	return a.buf, nil
}

func dataText(d []byte) string {
	switch len(d) {
	case 4:
		return fmt.Sprintf(".long 0x%x", binary.LittleEndian.Uint32(d))
	case 8:
		return fmt.Sprintf(".quad 0x%x", binary.LittleEndian.Uint64(d))
	case 16:
		return fmt.Sprintf(".quad 0x%x, 0x%x", binary.LittleEndian.Uint64(d), binary.LittleEndian.Uint64(d[8:]))
	}
	parts := make([]string, len(d))
	for i, b := range d {
		parts[i] = fmt.Sprintf("0x%02x", b)
	}
	return ".byte " + strings.Join(parts, ", ")
}

// ---- core encoding ----

// enc describes the fixed part of an instruction: prefixes and opcode.
type enc struct {
	p1, p2 byte // legacy/mandatory prefixes, 0 for none (p1 first)
	w      bool // REX.W
	rex    bool // force a REX prefix (8-bit access to SPL/BPL/SIL/DIL)
	op     [3]byte
	n      int // number of opcode bytes
}

func op1(b byte) enc           { return enc{op: [3]byte{b}, n: 1} }
func op2(b0, b1 byte) enc      { return enc{op: [3]byte{b0, b1}, n: 2} }
func op3(b0, b1, b2 byte) enc  { return enc{op: [3]byte{b0, b1, b2}, n: 3} }
func (e enc) pre(p byte) enc   { e.p1 = p; return e }
func (e enc) pre2(p byte) enc  { e.p2 = p; return e }
func (e enc) wide(w bool) enc  { e.w = w; return e }
func (e enc) force(f bool) enc { e.rex = e.rex || f; return e }

// byteHi reports whether r, used as an 8-bit register, needs a REX prefix to
// mean SPL/BPL/SIL/DIL rather than AH/CH/DH/BH.
func byteHi(r uint8) bool { return r >= 4 && r < 8 }

func (a *Assembler) head(e enc, rex byte) {
	if a.finished {
		a.fail("instruction emitted after Finish")
	}
	if e.p1 != 0 {
		a.buf = append(a.buf, e.p1)
	}
	if e.p2 != 0 {
		a.buf = append(a.buf, e.p2)
	}
	if e.w {
		rex |= 8
	}
	if rex != 0 || e.rex {
		a.buf = append(a.buf, 0x40|rex)
	}
	a.buf = append(a.buf, e.op[:e.n]...)
}

func (a *Assembler) imm(n int, v int64) {
	switch n {
	case 0:
	case 1:
		a.buf = append(a.buf, byte(v))
	case 2:
		a.buf = binary.LittleEndian.AppendUint16(a.buf, uint16(v))
	case 4:
		a.buf = binary.LittleEndian.AppendUint32(a.buf, uint32(v))
	case 8:
		a.buf = binary.LittleEndian.AppendUint64(a.buf, uint64(v))
	}
}

// emitRR emits an instruction whose ModRM has mod=11: reg in ModRM.reg
// (a register number or an opcode extension /digit) and rm in ModRM.rm.
func (a *Assembler) emitRR(e enc, reg, rm uint8, immLen int, imm int64) {
	if reg >= 16 || rm >= 16 {
		a.fail("register number out of range (reg=%d, rm=%d)", reg, rm)
		return
	}
	a.head(e, (reg>>3)<<2|rm>>3)
	a.buf = append(a.buf, 0xC0|(reg&7)<<3|rm&7)
	a.imm(immLen, imm)
}

// emitOpReg emits an instruction that encodes its register in the low three
// bits of the last opcode byte (push, pop, mov r, imm).
func (a *Assembler) emitOpReg(e enc, r uint8, immLen int, imm int64) {
	if r >= 16 {
		a.fail("register number %d out of range", r)
		return
	}
	e.op[e.n-1] |= r & 7
	a.head(e, r>>3)
	a.imm(immLen, imm)
}

func (a *Assembler) checkMem(m Mem) bool {
	switch m.rip {
	case ripLabel:
		return a.labelOK(m.label, "memory operand")
	case ripSym:
		if m.sym == "" {
			a.fail("memory operand refers to an empty symbol name")
			return false
		}
		return true
	}
	if m.Base >= 16 {
		a.fail("memory operand base register %d out of range", m.Base)
		return false
	}
	switch m.Scale {
	case 0:
	case 1, 2, 4, 8:
		if m.Index >= 16 {
			a.fail("memory operand index register %d out of range", m.Index)
			return false
		}
		if m.Index == RSP {
			a.fail("rsp cannot be an index register")
			return false
		}
	default:
		a.fail("memory operand scale %d is not 1, 2, 4 or 8", m.Scale)
		return false
	}
	return true
}

// emitMem emits an instruction with a memory operand in ModRM.rm.
func (a *Assembler) emitMem(e enc, reg uint8, m Mem, immLen int, imm int64) {
	if reg >= 16 {
		a.fail("register number %d out of range", reg)
		return
	}
	if !a.checkMem(m) {
		return
	}
	rex := (reg >> 3) << 2
	if m.rip != ripNone {
		a.head(e, rex)
		a.buf = append(a.buf, (reg&7)<<3|5)
		at := len(a.buf)
		a.buf = append(a.buf, 0, 0, 0, 0)
		a.imm(immLen, imm)
		end := len(a.buf)
		if m.rip == ripLabel {
			// The field holds target+disp-end; fold disp into the field
			// by shifting the end the fixup measures from.
			a.fixups = append(a.fixups, fixup{at: int32(at), end: int32(end) - m.Disp, label: m.label, inst: "RIP-relative operand"})
		} else {
			a.relocs = append(a.relocs, Reloc{Offset: uint32(at), Kind: PC32, Symbol: m.sym, Addend: int64(m.Disp) - int64(end-at)})
		}
		return
	}
	base := uint8(m.Base)
	rex |= base >> 3
	index := uint8(4) // "no index" in SIB
	if m.Scale != 0 {
		index = uint8(m.Index)
		rex |= (index >> 3) << 1
	}
	needSIB := m.Scale != 0 || base&7 == 4
	var mod uint8
	switch {
	case m.Disp == 0 && base&7 != 5:
		mod = 0
	case m.Disp >= -128 && m.Disp <= 127:
		mod = 1
	default:
		mod = 2
	}
	a.head(e, rex)
	if needSIB {
		var ss uint8
		switch m.Scale {
		case 2:
			ss = 1
		case 4:
			ss = 2
		case 8:
			ss = 3
		}
		a.buf = append(a.buf, mod<<6|(reg&7)<<3|4, ss<<6|(index&7)<<3|base&7)
	} else {
		a.buf = append(a.buf, mod<<6|(reg&7)<<3|base&7)
	}
	switch mod {
	case 1:
		a.buf = append(a.buf, byte(int8(m.Disp)))
	case 2:
		a.buf = binary.LittleEndian.AppendUint32(a.buf, uint32(m.Disp))
	}
	a.imm(immLen, imm)
}

// ---- listing ----

func (a *Assembler) note(start int, mnem string, ops ...string) {
	if len(a.buf) == start {
		return // nothing emitted (error)
	}
	t := mnem
	if len(ops) > 0 {
		t += " " + strings.Join(ops, ", ")
	}
	a.lines = append(a.lines, Line{Off: start, Len: len(a.buf) - start, Text: t})
}

func fr(r Reg, s Size) string { return "%" + r.Name(s) }
func fx(x XReg) string        { return "%" + x.String() }

func hexs(v int64) string {
	if v < 0 {
		return fmt.Sprintf("-0x%x", uint64(-v))
	}
	return fmt.Sprintf("0x%x", v)
}

func fimm(v int64) string { return "$" + hexs(v) }

func flabel(l Label) string { return fmt.Sprintf(".L%d", l) }

func fmem(m Mem) string {
	switch m.rip {
	case ripLabel, ripSym:
		name := m.sym
		if m.rip == ripLabel {
			name = flabel(m.label)
		}
		if m.Disp > 0 {
			name += "+" + hexs(int64(m.Disp))
		} else if m.Disp < 0 {
			name += hexs(int64(m.Disp))
		}
		return name + "(%rip)"
	}
	var s string
	if m.Disp != 0 || m.Base&7 == 5 {
		s = hexs(int64(m.Disp))
	}
	if m.Scale == 0 {
		return s + "(" + fr(m.Base, S64) + ")"
	}
	return fmt.Sprintf("%s(%s,%s,%d)", s, fr(m.Base, S64), fr(m.Index, S64), m.Scale)
}
