package xenboot

import (
	"encoding/binary"

	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/aot/link"
)

func st(off int32) Mem { return SymRef(symState, off) }

// hc emits a call to hypercall nr (arguments in RDI, RSI, RDX, R10, R8;
// result in RAX; caller-saved registers are clobbered).
func hc(a *Assembler, nr int) { a.CallSym(hcSym(nr)) }

// die emits code printing "mwasm: msg" on the console and crashing the domain.
func (b *builder) die(a *Assembler, msg string) { b.dieWith(a, symDie, msg) }

// dieTail is die for the end of a line begun with Puts: msg, a newline, crash.
func (b *builder) dieTail(a *Assembler, msg string) { b.dieWith(a, symDieTail, msg) }

func (b *builder) dieWith(a *Assembler, sym, msg string) {
	s, n := b.Str(msg)
	a.Lea(S64, RSI, SymRef(s, 0))
	a.MovImm(S32, RDX, n)
	a.JmpSym(sym)
}

// emitSystem adds the static system structures (page tables, descriptor
// tables, stacks, the hypercall page) and the boot layer's routines.
func (b *builder) emitSystem() {
	L := b.L
	// The hypercall page: filled by Xen when its physical address is written
	// to the MSR Xen's CPUID leaves name; 32 bytes per hypercall.
	hcAt := L.Append(link.Text, make([]byte, pageSize), pageSize)
	L.Define(link.Symbol{Name: symHcPage, Section: link.Text, Offset: hcAt, Size: pageSize, Kind: link.SymObject, Local: true})
	for _, nr := range []int{hcSetTimerOp, hcMemoryOp, hcConsoleIO, hcGrantTable, hcVcpuOp, hcSchedOp, hcEvtchnOp, hcHvmOp} {
		L.Define(link.Symbol{Name: hcSym(nr), Section: link.Text, Offset: hcAt + uint64(32*nr), Size: 32, Kind: link.SymFunc, Local: true})
	}

	// Boot page tables: PML4[0] -> PDPT, PDPT[0..3] -> four page directories
	// mapping the first 4 GiB with 2 MiB pages, read-write and executable
	// until the start-up code rebuilds the image's part with 4 KiB pages.
	L.AddObject(link.Object{Name: symPML4, Section: link.Data, Data: make([]byte, pageSize), Align: pageSize, Local: true,
		Relocs: []link.Reloc{{Offset: 0, Kind: link.ABS64, Symbol: symPDPT, Addend: pteTab}}})
	var pdptRel []link.Reloc
	for i := 0; i < 4; i++ {
		pdptRel = append(pdptRel, link.Reloc{Offset: uint64(8 * i), Kind: link.ABS64, Symbol: symPD, Addend: int64(i*pageSize + pteTab)})
	}
	L.AddObject(link.Object{Name: symPDPT, Section: link.Data, Data: make([]byte, pageSize), Align: pageSize, Local: true, Relocs: pdptRel})
	pd := make([]byte, 4*pageSize)
	for i := 0; i < 2048; i++ {
		binary.LittleEndian.PutUint64(pd[8*i:], uint64(i)<<21|pteP|pteRW|ptePS)
	}
	L.AddObject(link.Object{Name: symPD, Section: link.Data, Data: pd, Align: pageSize, Local: true})

	// GDT: null, 0x08 64-bit code, 0x10 flat data, 0x18 the TSS (16 bytes,
	// filled at start-up: its base is split across the descriptor).
	gdt := make([]byte, 0x28)
	binary.LittleEndian.PutUint64(gdt[0x08:], 0x00AF9A000000FFFF)
	binary.LittleEndian.PutUint64(gdt[0x10:], 0x00CF92000000FFFF)
	L.AddObject(link.Object{Name: symGDT, Section: link.Data, Data: gdt, Align: 16, Local: true})
	gdtr := make([]byte, 10)
	binary.LittleEndian.PutUint16(gdtr, uint16(len(gdt)-1))
	L.AddObject(link.Object{Name: symGDTR, Section: link.Data, Data: gdtr, Align: 16, Local: true,
		Relocs: []link.Reloc{{Offset: 2, Kind: link.ABS64, Symbol: symGDT}}})
	// 64-bit TSS: only the interrupt stack table is used (IST1: every
	// exception, IST2: double fault); no I/O bitmap.
	tss := make([]byte, 104)
	binary.LittleEndian.PutUint16(tss[102:], 104)
	L.AddObject(link.Object{Name: symTSS, Section: link.Data, Data: tss, Align: 16, Local: true,
		Relocs: []link.Reloc{
			{Offset: 36, Kind: link.ABS64, Symbol: symIST1, Addend: istSize},
			{Offset: 44, Kind: link.ABS64, Symbol: symIST2, Addend: istSize}}})
	L.AddObject(link.Object{Name: symIDT, Section: link.BSS, Size: 256 * 16, Align: pageSize, Local: true})
	idtr := make([]byte, 10)
	binary.LittleEndian.PutUint16(idtr, 256*16-1)
	L.AddObject(link.Object{Name: symIDTR, Section: link.Data, Data: idtr, Align: 16, Local: true,
		Relocs: []link.Reloc{{Offset: 2, Kind: link.ABS64, Symbol: symIDT}}})
	mx := make([]byte, 4)
	binary.LittleEndian.PutUint32(mx, 0x1F80) // every SSE exception masked, round to nearest
	L.AddObject(link.Object{Name: symMXCSR, Section: link.ROData, Data: mx, Align: 4, Local: true})

	L.AddObject(link.Object{Name: symState, Section: link.BSS, Size: stateSize, Align: 64, Local: true})
	L.AddObject(link.Object{Name: symShared, Section: link.BSS, Size: pageSize, Align: pageSize, Local: true})
	L.AddObject(link.Object{Name: symBootStack, Section: link.BSS, Size: bootStackSize, Align: pageSize, Local: true})
	L.AddObject(link.Object{Name: symIST1, Section: link.BSS, Size: istSize, Align: pageSize, Local: true})
	L.AddObject(link.Object{Name: symIST2, Section: link.BSS, Size: istSize, Align: pageSize, Local: true})
	L.AddObject(link.Object{Name: symSlots, Section: link.BSS, Size: 256, Align: 64, Local: true})

	b.emitConsole()
	b.emitClock()
	b.emitMMU()
	b.emitTraps()
	b.emitNoXen()
}

const (
	bootStackSize = 16 << 10
	istSize       = 16 << 10
)

// emitConsole assembles the boot layer's console (the PV console ring,
// written from native code: trap reports, boot errors, the exit status),
// the flush before shutdown, shutdown and die, and the planner's hooks.
func (b *builder) emitConsole() {
	// notify(): EVTCHNOP_send on the console's event channel.
	notify := func(a *Assembler) {
		a.Load(S32, RAX, st(xsConsPort))
		a.Store(S32, st(xsTmp), RAX)
		a.MovImm(S32, RDI, evtchnSend)
		a.Lea(S64, RSI, st(xsTmp))
		hc(a, hcEvtchnOp)
	}
	yield := func(a *Assembler) {
		a.MovImm(S32, RDI, schedYield)
		a.MovImm(S32, RSI, 0)
		hc(a, hcSchedOp)
	}
	// console_write(buf RSI, len RDX): copy into the ring as room allows,
	// notifying the backend after each part; when the ring stays full for
	// 100000 yields (the backend is gone) the rest is dropped.
	b.Fn(symConsWrite, false, func(a *Assembler) {
		loop, full, done, copyL, copied := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Push(RBX)
		a.Push(R12)
		a.Push(R13)
		a.Push(RBP)
		a.Load(S64, RBX, st(xsConsRing))
		a.TestRR(S64, RBX, RBX)
		a.Jcc(CondE, done)
		a.MovRR(S64, R12, RSI)
		a.MovRR(S64, R13, RDX)
		a.MovImm(S32, RBP, 100000)
		a.Bind(loop)
		a.TestRR(S64, R13, R13)
		a.Jcc(CondE, done)
		a.Load(S32, RCX, Ptr(RBX, consOutProd))
		a.Load(S32, RAX, Ptr(RBX, consOutCons))
		a.MovRR(S32, RDX, RCX)
		a.AluRR(SUB, S32, RDX, RAX) // bytes in the ring
		a.AluRI(CMP, S32, RDX, consOutSize)
		a.Jcc(CondAE, full)
		a.MovImm(S32, RAX, consOutSize)
		a.AluRR(SUB, S32, RAX, RDX) // room
		a.AluRR(CMP, S64, RAX, R13)
		a.Cmov(CondA, S64, RAX, R13) // n = min(room, len)
		a.MovImm(S32, RDX, 0)
		a.Bind(copyL)
		a.AluRR(CMP, S64, RDX, RAX)
		a.Jcc(CondAE, copied)
		a.MovzxLoad(S32, S8, RSI, PtrIdx(R12, RDX, 1, 0))
		a.Lea(S32, RDI, PtrIdx(RCX, RDX, 1, 0))
		a.AluRI(AND, S32, RDI, consOutSize-1)
		a.Store(S8, PtrIdx(RBX, RDI, 1, consOut), RSI)
		a.AluRI(ADD, S64, RDX, 1)
		a.Jmp(copyL)
		a.Bind(copied)
		a.AluRR(ADD, S32, RCX, RAX)
		a.Store(S32, Ptr(RBX, consOutProd), RCX) // after the bytes (x86 keeps stores in order)
		a.AluRR(ADD, S64, R12, RAX)
		a.AluRR(SUB, S64, R13, RAX)
		notify(a)
		a.Jmp(loop)
		a.Bind(full)
		notify(a)
		yield(a)
		a.AluRI(SUB, S32, RBP, 1)
		a.Jcc(CondNE, loop)
		a.Bind(done)
		a.Pop(RBP)
		a.Pop(R13)
		a.Pop(R12)
		a.Pop(RBX)
		a.Ret()
	})
	// console_flush(): yield until the backend has read everything (at most
	// 100000 times).
	b.Fn(symFlush, false, func(a *Assembler) {
		loop, done := a.NewLabel(), a.NewLabel()
		a.Push(RBX)
		a.Push(R12)
		a.Load(S64, RBX, st(xsConsRing))
		a.TestRR(S64, RBX, RBX)
		a.Jcc(CondE, done)
		a.MovImm(S32, R12, 100000)
		a.Bind(loop)
		a.Load(S32, RAX, Ptr(RBX, consOutCons))
		a.AluRM(CMP, S32, RAX, Ptr(RBX, consOutProd))
		a.Jcc(CondE, done)
		notify(a)
		yield(a)
		a.AluRI(SUB, S32, R12, 1)
		a.Jcc(CondNE, loop)
		a.Bind(done)
		a.Pop(R12)
		a.Pop(RBX)
		a.Ret()
	})
	// shutdown(reason EDI): flush the console, SCHEDOP_shutdown. A domain
	// being shut down is not scheduled again; should the call return, halt.
	b.Fn(symShutdown, false, func(a *Assembler) {
		halt := a.NewLabel()
		a.Cli()
		a.Push(RDI)
		a.Push(RDI)
		a.CallSym(symFlush)
		a.Pop(RAX)
		a.Pop(RAX)
		a.Store(S32, st(xsTmp), RAX)
		a.MovImm(S32, RDI, schedShutdown)
		a.Lea(S64, RSI, st(xsTmp))
		hc(a, hcSchedOp)
		a.Bind(halt)
		a.Cli()
		a.Hlt()
		a.Jmp(halt)
	})
	b.Fn(image.SymPuts, true, func(a *Assembler) { a.JmpSym(symConsWrite) })
	// write_all(fd RDI, buf RSI, len RDX) -> 0: the runtime stubs' console
	// (stdout and stderr are one console on Xen).
	b.Fn("xen!write_all", true, func(a *Assembler) {
		a.CallSym(symConsWrite)
		a.MovImm(S32, RAX, 0)
		a.Ret()
	})
	b.Fn(image.SymTrapExit, true, func(a *Assembler) {
		a.MovImm(S32, RDI, shutdownCrash)
		a.JmpSym(symShutdown)
	})
	// die(msg RSI, len RDX): "mwasm: msg\n", then crash.
	b.Fn(symDie, true, func(a *Assembler) {
		a.Push(RSI)
		a.Push(RDX)
		b.Puts(a, "mwasm: ")
		a.Pop(RDX)
		a.Pop(RSI)
		a.JmpSym(symDieTail)
	})
	b.Fn(symDieTail, true, func(a *Assembler) {
		a.CallSym(symConsWrite)
		b.Puts(a, "\n")
		a.MovImm(S32, RDI, shutdownCrash)
		a.JmpSym(symShutdown)
	})
}

// emitClock assembles the clocks: Xen system time from vCPU 0's
// vcpu_time_info in shared_info (pvclock: the TSC scaled by Xen's factors,
// read under its version counter), and the wall clock (shared_info's, plus
// system time).
func (b *builder) emitClock() {
	// monotonic() -> RAX ns; clobbers RCX, RDX, R8-R10.
	b.Fn(symMonotonic, false, func(a *Assembler) {
		retry, neg, scaled := a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Lea(S64, R8, SymRef(symShared, siTime))
		a.Bind(retry)
		a.Load(S32, R9, Ptr(R8, 0)) // version: odd while Xen updates
		a.TestRI(S32, R9, 1)
		a.Jcc(CondNE, retry)
		a.Lfence()
		a.Rdtsc()
		a.ShiftImm(SHL, S64, RDX, 32)
		a.AluRR(OR, S64, RAX, RDX)
		a.AluRM(SUB, S64, RAX, Ptr(R8, 8)) // - tsc_timestamp
		a.MovsxLoad(S64, S8, RCX, Ptr(R8, 28))
		a.TestRR(S64, RCX, RCX)
		a.Jcc(CondS, neg)
		a.ShiftCL(SHL, S64, RAX)
		a.Jmp(scaled)
		a.Bind(neg)
		a.Neg(S64, RCX)
		a.ShiftCL(SHR, S64, RAX)
		a.Bind(scaled)
		a.Load(S32, R10, Ptr(R8, 24)) // tsc_to_system_mul (32.32 fixed point)
		a.Mul(S64, R10)               // RDX:RAX
		a.ShiftImm(SHR, S64, RAX, 32)
		a.ShiftImm(SHL, S64, RDX, 32)
		a.AluRR(OR, S64, RAX, RDX)
		a.AluRM(ADD, S64, RAX, Ptr(R8, 16)) // + system_time
		a.Lfence()
		a.AluRM(CMP, S32, R9, Ptr(R8, 0))
		a.Jcc(CondNE, retry)
		a.Ret()
	})
	// tsc_ns(delta RDI) -> RAX: a TSC interval in ns, with vCPU 0's pvclock
	// factors; clobbers RCX, RDX, R8.
	b.Fn("xen!tsc_ns", true, func(a *Assembler) {
		neg, scaled := a.NewLabel(), a.NewLabel()
		a.Lea(S64, R8, SymRef(symShared, siTime))
		a.MovRR(S64, RAX, RDI)
		a.MovsxLoad(S64, S8, RCX, Ptr(R8, 28))
		a.TestRR(S64, RCX, RCX)
		a.Jcc(CondS, neg)
		a.ShiftCL(SHL, S64, RAX)
		a.Jmp(scaled)
		a.Bind(neg)
		a.Neg(S64, RCX)
		a.ShiftCL(SHR, S64, RAX)
		a.Bind(scaled)
		a.Load(S32, RCX, Ptr(R8, 24))
		a.Mul(S64, RCX)
		a.ShiftImm(SHR, S64, RAX, 32)
		a.ShiftImm(SHL, S64, RDX, 32)
		a.AluRR(OR, S64, RAX, RDX)
		a.Ret()
	})
	// wallclock() -> RAX ns since 1970; clobbers RCX, RDX, R8-R11.
	b.Fn(symWallclock, false, func(a *Assembler) {
		retry := a.NewLabel()
		a.Lea(S64, R11, SymRef(symShared, 0))
		a.Bind(retry)
		a.Load(S32, RCX, Ptr(R11, siWcVersion))
		a.TestRI(S32, RCX, 1)
		a.Jcc(CondNE, retry)
		a.Lfence()
		a.Load(S32, RAX, Ptr(R11, siWcSecHi))
		a.ShiftImm(SHL, S64, RAX, 32)
		a.Load(S32, RDX, Ptr(R11, siWcSec))
		a.AluRR(OR, S64, RAX, RDX)
		a.ImulRRI(S64, RAX, RAX, 1_000_000_000)
		a.Load(S32, RDX, Ptr(R11, siWcNsec))
		a.AluRR(ADD, S64, RAX, RDX)
		a.Lfence()
		a.AluRM(CMP, S32, RCX, Ptr(R11, siWcVersion))
		a.Jcc(CondNE, retry)
		a.Push(RAX)
		a.Push(RAX)
		a.CallSym(symMonotonic)
		a.Pop(RCX)
		a.Pop(RCX)
		a.AluRR(ADD, S64, RAX, RCX)
		a.Ret()
	})
	// sleep_until(deadline RDI): halt until Xen system time reaches
	// deadline, without taking any event channel's pending bit (they stay
	// for the shim's next wait). Clobbers caller-saved registers.
	b.Fn(symSleep, false, func(a *Assembler) {
		loop, done := a.NewLabel(), a.NewLabel()
		a.Push(RBX)
		a.Push(RBX)
		a.MovRR(S64, RBX, RDI)
		a.Bind(loop)
		a.Cli()
		a.StoreImm(S8, SymRef(symShared, siUpcallPending), 0)
		a.CallSym(symMonotonic)
		a.AluRR(CMP, S64, RAX, RBX)
		a.Jcc(CondAE, done)
		a.MovRR(S64, RDI, RBX)
		hc(a, hcSetTimerOp)
		a.Sti()
		a.Hlt()
		a.Cli()
		a.Jmp(loop)
		a.Bind(done)
		a.Pop(RBX)
		a.Pop(RBX)
		a.Ret()
	})
}

// linkReloc is an ABS64 relocation inside a table.
type linkReloc struct {
	off uint64
	sym string
}

// addTable puts a read-only table with ABS64 relocations in .rodata.
func (b *builder) addTable(name string, data []byte, rel []linkReloc) {
	var rs []link.Reloc
	for _, r := range rel {
		rs = append(rs, link.Reloc{Offset: r.off, Kind: link.ABS64, Symbol: r.sym})
	}
	b.L.AddObject(link.Object{Name: name, Section: link.ROData, Data: data, Relocs: rs, Align: 8, Local: true})
}

func appendU64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
