package image

import (
	"encoding/binary"
	"sort"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/aot"
	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/link"
	"github.com/mwasm/mwasm/aot/vm"
)

// funcEntry is one Wasm function of the image, for the trap tables.
type funcEntry struct {
	off, size uint64 // in .text
	name      string
	fi        aot.FuncInfo
}

// traceTables builds the read-only tables the trap reporter searches: the
// functions sorted by address (24 bytes each: text offset, size, name
// offset, name length, first site, site count, all u32), the sites (8 bytes
// each: text offset of a trap call's return address or of a memory access,
// Wasm file offset) and the names.
func traceTables(funcs []funcEntry) (ftab, sites, names []byte) {
	sort.Slice(funcs, func(i, j int) bool { return funcs[i].off < funcs[j].off })
	le := binary.LittleEndian
	for _, f := range funcs {
		type site struct{ off, pos uint32 }
		var ss []site
		for _, t := range f.fi.TrapSites {
			ss = append(ss, site{uint32(f.off) + t.RetOff, t.Pos})
		}
		for _, p := range f.fi.PCTable {
			ss = append(ss, site{uint32(f.off) + p.Off, p.Pos})
		}
		e := make([]byte, 24)
		le.PutUint32(e[0:], uint32(f.off))
		le.PutUint32(e[4:], uint32(f.size))
		le.PutUint32(e[8:], uint32(len(names)))
		le.PutUint32(e[12:], uint32(len(f.name)))
		le.PutUint32(e[16:], uint32(len(sites)/8))
		le.PutUint32(e[20:], uint32(len(ss)))
		ftab = append(ftab, e...)
		names = append(names, f.name...)
		for _, s := range ss {
			sites = le.AppendUint32(sites, s.off)
			sites = le.AppendUint32(sites, s.pos)
		}
	}
	return
}

// EmitTrapReporter adds, once every module is placed, the trap tables and the
// code that reports a trap:
//
//	mwasm: trap: KIND in app!FUNC+0xOFF (wasm offset 0xPOS)
//	    at app!CALLER+0xOFF
//	    ...
//
// through the target's SymPuts, then ends the run through its SymTrapExit.
// It defines SymTrap (the trap function of every vmctx: EDI = kind, [RSP] =
// the trap site), SymReport (for the target's fault handler: EDI = kind, RSI
// = pc, RDX = rbp, RCX = 1 when pc is a return address, 0 for a faulting
// instruction), SymLookup, SymPutHex and SymPutDec. The function is found
// in a table sorted by address, the Wasm offset in the trap sites and
// memory-access PC tables of aot.Object, and the backtrace by walking the RBP
// chain (at most 64 frames) while it stays inside the image's native stack.
func (b *Builder) EmitTrapReporter() {
	L := b.L
	ftab, sites, names := traceTables(b.funcs)
	L.AddObject(link.Object{Name: SymFtab, Section: link.ROData, Data: ftab, Local: true})
	L.AddObject(link.Object{Name: SymSites, Section: link.ROData, Data: append(sites, 0, 0, 0, 0), Local: true})
	L.AddObject(link.Object{Name: SymNames, Section: link.ROData, Data: append(names, 0), Align: 1, Local: true})
	var kinds []byte
	var krel []link.Reloc
	for k := 0; k <= int(vm.TrapUndefinedElement); k++ {
		s := trapWording(vm.TrapKind(k))
		sym, n := b.Str(s)
		krel = append(krel, link.Reloc{Offset: uint64(16 * k), Kind: link.ABS64, Symbol: sym})
		kinds = binary.LittleEndian.AppendUint64(kinds, 0)
		kinds = binary.LittleEndian.AppendUint64(kinds, uint64(n))
	}
	L.AddObject(link.Object{Name: SymKinds, Section: link.ROData, Data: kinds, Relocs: krel, Local: true})
	numFuncs := len(b.funcs)

	digits, _ := b.Str("0123456789abcdef")
	// puthex(RDI), putdec(RDI): print an unsigned number.
	number := func(name string, hex bool) {
		b.Fn(name, true, func(a *Assembler) {
			loop := a.NewLabel()
			a.AluRI(SUB, S64, RSP, 40)
			a.Lea(S64, RCX, Ptr(RSP, 32))
			a.MovRR(S64, RAX, RDI)
			a.Lea(S64, R9, SymRef(digits, 0))
			a.MovImm(S32, R8, 10)
			a.Bind(loop)
			a.AluRI(SUB, S64, RCX, 1)
			if hex {
				a.MovRR(S32, RDX, RAX)
				a.AluRI(AND, S32, RDX, 15)
				a.ShiftImm(SHR, S64, RAX, 4)
			} else {
				a.MovImm(S32, RDX, 0)
				a.Div(S64, R8)
			}
			a.MovzxLoad(S32, S8, RDX, PtrIdx(R9, RDX, 1, 0))
			a.Store(S8, Ptr(RCX, 0), RDX)
			a.TestRR(S64, RAX, RAX)
			a.Jcc(CondNE, loop)
			a.MovRR(S64, RSI, RCX)
			a.Lea(S64, RDX, Ptr(RSP, 32))
			a.AluRR(SUB, S64, RDX, RCX)
			a.CallSym(SymPuts)
			a.AluRI(ADD, S64, RSP, 40)
			a.Ret()
		})
	}
	number(SymPutHex, true)
	number(SymPutDec, false)
	// lookup(pc RDI) -> RAX = function table entry or 0.
	b.Fn(SymLookup, true, func(a *Assembler) {
		loop, nf, found := a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Lea(S64, RSI, SymRef(TextStart, 0))
		a.MovRR(S64, RCX, RDI)
		a.AluRR(SUB, S64, RCX, RSI)
		a.MovRR(S64, RAX, RCX)
		a.ShiftImm(SHR, S64, RAX, 32)
		a.Jcc(CondNE, nf)
		a.Lea(S64, RAX, SymRef(SymFtab, 0))
		a.MovImm(S32, RDX, int64(numFuncs))
		a.Bind(loop)
		a.TestRR(S32, RDX, RDX)
		a.Jcc(CondE, nf)
		a.MovRR(S32, R8, RCX)
		a.AluRM(SUB, S32, R8, Ptr(RAX, 0))
		a.AluRM(CMP, S32, R8, Ptr(RAX, 4))
		a.Jcc(CondB, found)
		a.AluRI(ADD, S64, RAX, 24)
		a.AluRI(SUB, S32, RDX, 1)
		a.Jmp(loop)
		a.Bind(nf)
		a.MovImm(S32, RAX, 0)
		a.Bind(found)
		a.Ret()
	})
	// putname(entry R15), putoff(pc R13, entry R15): parts of a report line.
	putName := func(a *Assembler) {
		a.Load(S32, RSI, Ptr(R15, 8))
		a.Lea(S64, RAX, SymRef(SymNames, 0))
		a.AluRR(ADD, S64, RSI, RAX)
		a.Load(S32, RDX, Ptr(R15, 12))
		a.CallSym(SymPuts)
		b.Puts(a, "+0x")
		a.Lea(S64, RAX, SymRef(TextStart, 0))
		a.MovRR(S64, RDI, R13)
		a.AluRR(SUB, S64, RDI, RAX)
		a.MovRR(S64, R14, RDI) // text offset of pc
		a.Load(S32, RAX, Ptr(R15, 0))
		a.AluRR(SUB, S64, RDI, RAX)
		a.CallSym(SymPutHex)
	}
	st := b.stack
	// report(kind EDI, pc RSI, rbp RDX, adjust RCX: 1 when pc is a return
	// address, 0 for a faulting instruction): print the trap and a backtrace.
	b.Fn(SymReport, true, func(a *Assembler) {
		okKind, native, bt, siteLoop, site, nosite, btLoop, done := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Cld()
		a.MovRR(S32, R12, RDI)
		a.MovRR(S64, R13, RSI)
		a.MovRR(S64, RBX, RDX)
		a.MovRR(S64, RBP, RCX)
		b.Puts(a, "mwasm: trap: ")
		a.MovRR(S32, RAX, R12)
		a.AluRI(CMP, S32, RAX, int64(vm.TrapUndefinedElement))
		a.Jcc(CondBE, okKind)
		a.MovImm(S32, RAX, 0)
		a.Bind(okKind)
		a.ShiftImm(SHL, S32, RAX, 4)
		a.Lea(S64, RCX, SymRef(SymKinds, 0))
		a.Load(S64, RSI, PtrIdx(RCX, RAX, 1, 0))
		a.Load(S64, RDX, PtrIdx(RCX, RAX, 1, 8))
		a.CallSym(SymPuts)
		b.Puts(a, " in ")
		a.MovRR(S64, RDI, R13)
		a.AluRR(SUB, S64, RDI, RBP)
		a.CallSym(SymLookup)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondE, native)
		a.MovRR(S64, R15, RAX)
		putName(a)
		a.Load(S32, RCX, Ptr(R15, 20))
		a.Load(S32, RAX, Ptr(R15, 16))
		a.Lea(S64, RSI, SymRef(SymSites, 0))
		a.Lea(S64, RSI, PtrIdx(RSI, RAX, 8, 0))
		a.Bind(siteLoop)
		a.TestRR(S32, RCX, RCX)
		a.Jcc(CondE, nosite)
		a.AluRM(CMP, S32, R14, Ptr(RSI, 0))
		a.Jcc(CondE, site)
		a.AluRI(ADD, S64, RSI, 8)
		a.AluRI(SUB, S32, RCX, 1)
		a.Jmp(siteLoop)
		a.Bind(site)
		a.Load(S32, RDI, Ptr(RSI, 4))
		a.Push(RDI)
		a.Push(RDI)
		b.Puts(a, " (wasm offset 0x")
		a.Pop(RDI)
		a.Pop(RDI)
		a.CallSym(SymPutHex)
		b.Puts(a, ")")
		a.Bind(nosite)
		b.Puts(a, "\n")
		a.Jmp(bt)
		a.Bind(native)
		b.Puts(a, "native code at 0x")
		a.MovRR(S64, RDI, R13)
		a.CallSym(SymPutHex)
		b.Puts(a, "\n")
		a.Bind(bt)
		a.MovImm(S32, R12, 64)
		a.Bind(btLoop)
		st.addr(a, RAX, 0)
		a.AluRR(CMP, S64, RBX, RAX)
		a.Jcc(CondB, done)
		st.addr(a, RAX, st.Size-16)
		a.AluRR(CMP, S64, RBX, RAX)
		a.Jcc(CondAE, done)
		a.Load(S64, R13, Ptr(RBX, 8))
		a.Lea(S64, RDI, Ptr(R13, -1)) // a return address: look up the call
		a.CallSym(SymLookup)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondE, done)
		a.MovRR(S64, R15, RAX)
		b.Puts(a, "    at ")
		putName(a)
		b.Puts(a, "\n")
		a.Load(S64, RBX, Ptr(RBX, 0))
		a.AluRI(SUB, S32, R12, 1)
		a.Jcc(CondNE, btLoop)
		a.Bind(done)
		a.JmpSym(SymTrapExit)
	})
	// The trap function of every vmctx: EDI = kind, [RSP] = trap site.
	b.Fn(SymTrap, false, func(a *Assembler) {
		a.Load(S64, RSI, Ptr(RSP, 0))
		a.MovRR(S64, RDX, RBP)
		a.MovImm(S32, RCX, 1) // a return address: it may lie just past the function
		a.JmpSym(SymReport)
	})
}

// trapWording is what the report calls a trap: the words every home uses (abi's
// Trap constants), which are coarser than vm.TrapKind's spec-test messages.
func trapWording(k vm.TrapKind) string {
	switch k {
	case vm.TrapUnreachable:
		return abi.TrapUnreachable
	case vm.TrapIntegerOverflow:
		return abi.TrapIntegerOverflow
	case vm.TrapIntegerDivByZero:
		return abi.TrapIntegerDivByZero
	case vm.TrapInvalidConversion:
		return abi.TrapInvalidConversion
	case vm.TrapMemoryOutOfBounds:
		return abi.TrapMemoryOutOfBounds
	case vm.TrapTableOutOfBounds, vm.TrapNullReference, vm.TrapUndefinedElement:
		return abi.TrapTable
	case vm.TrapIndirectCallType:
		return abi.TrapIndirectCallType
	case vm.TrapStackOverflow:
		return abi.TrapStackExhausted
	}
	return "unknown trap"
}
