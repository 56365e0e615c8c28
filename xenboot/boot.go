package xenboot

import (
	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/aot/link"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/shim/reactor"
)

// entry32 is the PVH entry point, hand-encoded 32-bit code (the assembler
// writes 64-bit code only). On entry (the PVH boot ABI): protected mode, paging
// off, flat 32-bit segments, interrupts off, EBX = the physical address of
// struct hvm_start_info. It loads the GDT and flat data segments, enables
// PAE, loads the boot page tables, sets EFER.LME and EFER.NXE, turns on paging
// and write protection, and jumps to 64-bit code (ESI keeps the start info).
func entry32() (code []byte, relocs []struct {
	off int
	sym string
}) {
	var c []byte
	abs := func(sym string) {
		relocs = append(relocs, struct {
			off int
			sym string
		}{len(c), sym})
		c = append(c, 0, 0, 0, 0)
	}
	c = append(c, 0xFA)             // cli
	c = append(c, 0xFC)             // cld
	c = append(c, 0x89, 0xDE)       // mov %ebx, %esi
	c = append(c, 0x0F, 0x01, 0x15) // lgdt symGDTR
	abs(symGDTR)
	c = append(c, 0xB8, 0x10, 0, 0, 0) // mov $0x10, %eax
	c = append(c, 0x8E, 0xD8)          // mov %eax, %ds
	c = append(c, 0x8E, 0xC0)          // mov %eax, %es
	c = append(c, 0x8E, 0xD0)          // mov %eax, %ss
	c = append(c, 0x31, 0xC0)          // xor %eax, %eax
	c = append(c, 0x8E, 0xE0)          // mov %eax, %fs
	c = append(c, 0x8E, 0xE8)          // mov %eax, %gs
	c = append(c, 0x0F, 0x20, 0xE0)    // mov %cr4, %eax
	c = append(c, 0x83, 0xC8, 0x20)    // or $0x20 (PAE), %eax
	c = append(c, 0x0F, 0x22, 0xE0)    // mov %eax, %cr4
	c = append(c, 0xB8)                // mov $pml4, %eax
	abs(symPML4)
	c = append(c, 0x0F, 0x22, 0xD8)             // mov %eax, %cr3
	c = append(c, 0xB9, 0x80, 0x00, 0x00, 0xC0) // mov $0xC0000080 (EFER), %ecx
	c = append(c, 0x0F, 0x32)                   // rdmsr
	c = append(c, 0x0D, 0x00, 0x09, 0x00, 0x00) // or $0x900 (LME|NXE), %eax
	c = append(c, 0x0F, 0x30)                   // wrmsr
	c = append(c, 0x0F, 0x20, 0xC0)             // mov %cr0, %eax
	c = append(c, 0x0D, 0x00, 0x00, 0x01, 0x80) // or $0x80010000 (PG|WP), %eax
	c = append(c, 0x0F, 0x22, 0xC0)             // mov %eax, %cr0
	c = append(c, 0xEA)                         // ljmp $0x08, $entry64
	abs(symEntry64)
	c = append(c, 0x08, 0x00)
	return c, relocs
}

// emitStart assembles the entry points and the start-up sequence.
func (b *builder) emitStart(app, shm *image.Module, entries []image.Entry, prefixLen int) {
	L := b.L
	appStamped := false
	code, rel := entry32()
	at := L.Append(link.Text, code, 16)
	L.Define(link.Symbol{Name: symEntry32, Section: link.Text, Offset: at, Size: uint64(len(code)), Kind: link.SymFunc})
	for _, r := range rel {
		L.AddReloc(link.Reloc{Section: link.Text, Offset: at + uint64(r.off), Kind: link.ABS32, Symbol: r.sym})
	}

	b.Fn(symEntry64, false, func(a *Assembler) {
		a.MovRR(S32, RSI, RSI) // the start info's address, zero-extended
		a.Rdtsc()
		a.ShiftImm(SHL, S64, RDX, 32)
		a.AluRR(OR, S64, RAX, RDX)
		a.MovRR(S64, RDI, RAX)
		a.Lea(S64, RSP, SymRef(symBootStack, bootStackSize))
		a.MovImm(S32, RBP, 0)
		a.Store(S64, st(xsStartInfo), RSI)
		a.Store(S64, st(xsTSCEntry), RDI)
		// FPU and SSE: CR0.EM off, MP and NE on; CR4.OSFXSR and OSXMMEXCPT.
		a.MovFromCR(RAX, 0)
		a.AluRI(AND, S64, RAX, ^int64(1<<2))
		a.AluRI(OR, S64, RAX, 1<<1|1<<5)
		a.MovToCR(0, RAX)
		a.MovFromCR(RAX, 4)
		a.AluRI(OR, S64, RAX, 1<<9|1<<10)
		a.MovToCR(4, RAX)
		a.Ldmxcsr(SymRef(symMXCSR, 0))
		b.findXen(a)
		b.startXen(a)
		b.readStartInfo(a, prefixLen)
		b.buildPageTables(a)
		b.checkCPU(a)
		// The stack: its top mapped now, the rest on first touch.
		a.MovAbs(RDI, StackBase+StackSize-stackInitial)
		a.MovImm(S32, RSI, stackInitial)
		a.CallSym(symCommit)
		a.TestRR(S64, RAX, RAX)
		noMem := a.NewLabel()
		a.Jcc(CondNE, noMem)
		a.MovAbs(RSP, StackBase+StackSize)
		// Linear memories: the initial pages, then the active data segments.
		for _, md := range []*image.Module{shm, app} {
			if !md.HasMemory() {
				continue
			}
			if md.Init > 0 {
				a.MovAbs(RDI, md.Base)
				a.MovAbs(RSI, md.Init)
				a.CallSym(symCommit)
				a.TestRR(S64, RAX, RAX)
				a.Jcc(CondNE, noMem)
			}
			for _, c := range md.Copies {
				image.EmitCopy(a, c)
			}
		}
		// The stack limit every vmctx checks: half of the frames left now,
		// between 256 KiB and the whole reservation (the stack is mapped on
		// demand, so its limit must be memory the domain has).
		a.Load(S64, RAX, st(xsFreeCount))
		a.ShiftImm(SHL, S64, RAX, 11) // frames * 4096 / 2
		a.AluRI(AND, S64, RAX, -pageSize)
		a.MovImm(S32, RCX, 256<<10)
		a.AluRR(CMP, S64, RAX, RCX)
		a.Cmov(CondB, S64, RAX, RCX)
		a.MovImm(S32, RCX, StackSize-stackGuard-stackReserve)
		a.AluRR(CMP, S64, RAX, RCX)
		a.Cmov(CondA, S64, RAX, RCX)
		a.MovAbs(RCX, StackBase+StackSize)
		a.AluRR(SUB, S64, RCX, RAX)
		for _, md := range []*image.Module{shm, app} {
			a.Store(S64, SymRef(md.VMCtxSym, vm.OffStackLimit), RCX)
		}
		// Run: the shim's start and _initialize, then the app's start and _start.
		stamp := func(off int32) {
			a.Rdtsc()
			a.ShiftImm(SHL, S64, RDX, 32)
			a.AluRR(OR, S64, RAX, RDX)
			a.Store(S64, st(off), RAX)
		}
		stamp(xsTSCShim)
		for _, e := range entries {
			if e.VMCtx == app.VMCtxSym && !appStamped {
				appStamped = true
				stamp(xsTSCApp)
				if b.o.BootTrace {
					b.bootTrace(a)
				}
			}
			a.Lea(S64, RDI, SymRef(e.VMCtx, 0))
			a.Lea(S64, RSI, SymRef(e.Func, 0))
			a.Lea(S64, RDX, SymRef(symSlots, 0))
			a.CallSym(e.Tramp)
		}
		a.MovImm(S32, RDI, 0)
		a.JmpSym(image.NativeSym(reactor.NativeModule, "exit"))
		a.Bind(noMem)
		b.outOfMemory(a)
	})
}

// bootTrace emits the boot trace line (Options.BootTrace).
func (b *builder) bootTrace(a *Assembler) {
	us := func(off int32) {
		a.Load(S64, RDI, st(off))
		a.AluRM(SUB, S64, RDI, st(xsTSCEntry))
		a.CallSym("xen!tsc_ns")
		a.MovImm(S32, RCX, 1000)
		a.MovImm(S32, RDX, 0)
		a.Div(S64, RCX)
		a.MovRR(S64, RDI, RAX)
		a.CallSym(image.SymPutDec)
	}
	b.Puts(a, "mwasm: boot: shim entered at ")
	us(xsTSCShim)
	b.Puts(a, " us, app entered at ")
	us(xsTSCApp)
	b.Puts(a, " us after the PVH entry\n")
}

// outOfMemory emits the message for a domain too small to start the image.
func (b *builder) outOfMemory(a *Assembler) {
	b.Puts(a, "mwasm: out of memory while starting: the domain has ")
	a.Load(S64, RDI, st(xsRAM))
	a.ShiftImm(SHR, S64, RDI, 20)
	a.CallSym(image.SymPutDec)
	b.Puts(a, " MiB of RAM, this image needs at least ")
	a.Load(S64, RDI, SymRef(symMinMiB, 0))
	a.CallSym(image.SymPutDec)
	b.dieTail(a, " MiB: raise memory= in its xl config (mwasm build --memory)")
}

// findXen looks for Xen's CPUID leaves (0x40000000 + 0x100*i: "XenVMMXenVMM")
// and, without them, says on COM1 that the image needs Xen and leaves.
func (b *builder) findXen(a *Assembler) {
	loop, found, next := a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.MovImm(S32, R12, 0x40000000)
	a.Bind(loop)
	a.MovRR(S32, RAX, R12)
	a.MovImm(S32, RCX, 0)
	a.Cpuid()
	a.AluRI(CMP, S32, RBX, 0x566e6558) // "XenV"
	a.Jcc(CondNE, next)
	a.AluRI(CMP, S32, RCX, 0x65584d4d) // "MMXe"
	a.Jcc(CondNE, next)
	a.AluRI(CMP, S32, RDX, 0x4d4d566e) // "nVMM"
	a.Jcc(CondE, found)
	a.Bind(next)
	a.AluRI(ADD, S32, R12, 0x100)
	a.AluRI(CMP, S32, R12, 0x40010000)
	a.Jcc(CondB, loop)
	a.JmpSym(symNoXen)
	a.Bind(found)
	a.Store(S32, st(xsCPUIDBase), R12)
}

// startXen installs the hypercall page, maps shared_info, finds the console,
// masks every event channel, binds the timer's, and sets up the descriptor
// tables and the event callback vector.
func (b *builder) startXen(a *Assembler) {
	fail := a.NewLabel()
	// Hypercall page: CPUID base+2 gives the MSR in EBX.
	a.Lea(S32, RAX, Ptr(R12, 2))
	a.MovImm(S32, RCX, 0)
	a.Cpuid()
	a.MovRR(S32, RCX, RBX)
	a.Lea(S64, RAX, SymRef(symHcPage, 0))
	a.MovRR(S64, RDX, RAX)
	a.ShiftImm(SHR, S64, RDX, 32)
	a.Wrmsr()
	// Console: HVMOP_get_param of CONSOLE_PFN and CONSOLE_EVTCHN.
	param := func(idx int64) {
		a.StoreImm(S16, st(xsTmp), domidSelf)
		a.StoreImm(S16, st(xsTmp+2), 0)
		a.StoreImm(S32, st(xsTmp+4), idx)
		a.StoreImm(S64, st(xsTmp+8), 0)
		a.MovImm(S32, RDI, hvmGetParam)
		a.Lea(S64, RSI, st(xsTmp))
		hc(a, hcHvmOp)
	}
	param(hvmParamConsolePFN)
	a.TestRR(S64, RAX, RAX)
	a.Jcc(CondNE, fail)
	a.Load(S64, RAX, st(xsTmp+8))
	a.ShiftImm(SHL, S64, RAX, 12)
	a.Store(S64, st(xsConsRing), RAX)
	param(hvmParamConsoleEvt)
	a.Load(S64, RAX, st(xsTmp+8))
	a.Store(S32, st(xsConsPort), RAX)
	// shared_info at our page: XENMEM_add_to_physmap(XENMAPSPACE_shared_info).
	a.StoreImm(S16, st(xsTmp), domidSelf)
	a.StoreImm(S16, st(xsTmp+2), 0)
	a.StoreImm(S32, st(xsTmp+4), mapspaceSharedInfo)
	a.StoreImm(S64, st(xsTmp+8), 0)
	a.Lea(S64, RAX, SymRef(symShared, 0))
	a.ShiftImm(SHR, S64, RAX, 12)
	a.Store(S64, st(xsTmp+16), RAX)
	a.MovImm(S32, RDI, xenmemAddToPhysmap)
	a.Lea(S64, RSI, st(xsTmp))
	hc(a, hcMemoryOp)
	a.TestRR(S64, RAX, RAX)
	noShared := a.NewLabel()
	a.Jcc(CondNE, noShared)
	// Every event channel masked; the shim unmasks those it binds.
	for w := int32(0); w < evtchnWords; w++ {
		a.StoreImm(S64, SymRef(symShared, siMask+8*w), -1)
	}
	// The timer's event channel (VIRQ_TIMER), unmasked; no periodic timer.
	a.StoreImm(S32, st(xsTmp), virqTimer)
	a.StoreImm(S32, st(xsTmp+4), 0)
	a.StoreImm(S32, st(xsTmp+8), 0)
	a.MovImm(S32, RDI, evtchnBindVirq)
	a.Lea(S64, RSI, st(xsTmp))
	hc(a, hcEvtchnOp)
	a.TestRR(S64, RAX, RAX)
	noTimer := a.NewLabel()
	a.Jcc(CondNE, noTimer)
	a.Load(S32, RCX, st(xsTmp+8))
	a.Store(S32, st(xsTimerPort), RCX)
	a.Lea(S64, RDX, SymRef(symShared, siMask))
	a.LockBtr(Ptr(RDX, 0), RCX)
	a.MovImm(S32, RDI, vcpuStopPeriodicTimer)
	a.MovImm(S32, RSI, 0)
	a.MovImm(S32, RDX, 0)
	hc(a, hcVcpuOp)
	// Descriptor tables: the TSS descriptor, then GDT, TR and IDT.
	a.Lea(S64, RAX, SymRef(symTSS, 0))
	a.MovRR(S64, RCX, RAX)
	a.AluRI(AND, S32, RCX, 0xFFFFFF) // base 23:0 -> bits 16..39
	a.ShiftImm(SHL, S64, RCX, 16)
	a.AluRI(OR, S64, RCX, 103) // limit
	a.MovAbs(RDX, 0x89<<40)    // present, 64-bit available TSS
	a.AluRR(OR, S64, RCX, RDX)
	a.MovRR(S64, RDX, RAX)
	a.ShiftImm(SHR, S64, RDX, 24)
	a.AluRI(AND, S32, RDX, 0xFF)
	a.ShiftImm(SHL, S64, RDX, 56)
	a.AluRR(OR, S64, RCX, RDX)
	a.Store(S64, SymRef(symGDT, 0x18), RCX)
	a.ShiftImm(SHR, S64, RAX, 32)
	a.Store(S64, SymRef(symGDT, 0x20), RAX)
	a.Lgdt(SymRef(symGDTR, 0))
	a.MovImm(S32, RAX, 0x18)
	a.Ltr(RAX)
	// IDT: the 32 exception stubs (IST1; the double fault IST2) and the upcall.
	gate := func(vector int32, handler Reg, ist int64) {
		// low: offset 15:0 | selector 0x08 << 16 | IST << 32 | 0x8E << 40 | offset 31:16 << 48
		a.MovRR(S64, RCX, handler)
		a.AluRI(AND, S32, RCX, 0xFFFF)
		a.MovAbs(RDX, 0x08<<16|uint64(ist)<<32|0x8E<<40)
		a.AluRR(OR, S64, RCX, RDX)
		a.MovRR(S64, RDX, handler)
		a.ShiftImm(SHR, S64, RDX, 16)
		a.AluRI(AND, S32, RDX, 0xFFFF)
		a.ShiftImm(SHL, S64, RDX, 48)
		a.AluRR(OR, S64, RCX, RDX)
		a.Store(S64, SymRef(symIDT, 16*vector), RCX)
		a.MovRR(S64, RDX, handler)
		a.ShiftImm(SHR, S64, RDX, 32)
		a.Store(S64, SymRef(symIDT, 16*vector+8), RDX)
	}
	for v := int32(0); v < 32; v++ {
		ist := int64(1)
		if v == 8 {
			ist = 2
		}
		a.Lea(S64, RAX, SymRef(symExcept, 16*v))
		gate(v, RAX, ist)
	}
	a.Lea(S64, RAX, SymRef(symUpcall, 0))
	gate(callbackVector, RAX, 0)
	a.Lidt(SymRef(symIDTR, 0))
	// Event delivery: HVM_PARAM_CALLBACK_IRQ = vector callback (type 2 << 56).
	a.StoreImm(S16, st(xsTmp), domidSelf)
	a.StoreImm(S16, st(xsTmp+2), 0)
	a.StoreImm(S32, st(xsTmp+4), hvmParamCallbackIRQ)
	a.MovAbs(RAX, 2<<56|callbackVector)
	a.Store(S64, st(xsTmp+8), RAX)
	a.MovImm(S32, RDI, hvmSetParam)
	a.Lea(S64, RSI, st(xsTmp))
	hc(a, hcHvmOp)
	a.TestRR(S64, RAX, RAX)
	noCallback := a.NewLabel()
	a.Jcc(CondNE, noCallback)
	// RDRAND (CPUID 1: ECX bit 30).
	a.MovImm(S32, RAX, 1)
	a.MovImm(S32, RCX, 0)
	a.Cpuid()
	a.ShiftImm(SHR, S32, RCX, 30)
	a.AluRI(AND, S32, RCX, 1)
	a.Store(S32, st(xsHasRdrand), RCX)
	done := a.NewLabel()
	a.Jmp(done)
	a.Bind(fail)
	// No console: nothing can be said; crash.
	a.MovImm(S32, RDI, shutdownCrash)
	a.JmpSym(symShutdown)
	a.Bind(noShared)
	b.die(a, "cannot map shared_info (XENMEM_add_to_physmap failed)")
	a.Bind(noTimer)
	b.die(a, "cannot bind the timer's event channel (EVTCHNOP_bind_virq failed)")
	a.Bind(noCallback)
	b.die(a, "cannot set the event callback vector (HVM_PARAM_CALLBACK_IRQ)")
	a.Bind(done)
}

// readStartInfo checks hvm_start_info, puts the configuration blob together
// (the build-time prefix and the command line as an arg-line record) and
// finds the free RAM range in the memory map.
func (b *builder) readStartInfo(a *Assembler, prefixLen int) {
	badMagic, askXen, mapDone, noRAM := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Load(S64, RBX, st(xsStartInfo))
	a.AluMI(CMP, S32, Ptr(RBX, 0), startInfoMagic)
	a.Jcc(CondNE, badMagic)
	// The blob: the prefix, then the command line (record 4) if any.
	a.Lea(S64, RDI, SymRef(image.SymConfig, 0))
	a.Lea(S64, RSI, SymRef(image.SymPrefix, 0))
	a.MovImm(S32, RCX, int64(prefixLen))
	a.RepMovsb()
	noCmd, cmdLoop, cmdEnd := a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Load(S64, RSI, Ptr(RBX, 24)) // cmdline_paddr
	a.TestRR(S64, RSI, RSI)
	a.Jcc(CondE, noCmd)
	a.StoreImm(S32, Ptr(RDI, 0), reactor.TagArgLine)
	a.MovImm(S32, RCX, 0)
	a.Bind(cmdLoop)
	a.MovzxLoad(S32, S8, RAX, PtrIdx(RSI, RCX, 1, 0))
	a.TestRR(S32, RAX, RAX)
	a.Jcc(CondE, cmdEnd)
	a.AluRI(CMP, S32, RCX, cmdlineMax)
	a.Jcc(CondAE, cmdEnd) // a longer command line is cut
	a.Store(S8, PtrIdx(RDI, RCX, 1, 8), RAX)
	a.AluRI(ADD, S32, RCX, 1)
	a.Jmp(cmdLoop)
	a.Bind(cmdEnd)
	a.Store(S32, Ptr(RDI, 4), RCX)
	a.Lea(S64, RDI, PtrIdx(RDI, RCX, 1, 8))
	a.Bind(noCmd)
	a.Lea(S64, RAX, SymRef(image.SymConfig, 0))
	a.AluRR(SUB, S64, RDI, RAX)
	a.Store(S64, SymRef(image.SymConfLen, 0), RDI)

	// Memory map: hvm_start_info's (version >= 1), else XENMEM_memory_map
	// (e820 entries, 20 bytes each). R13 = the entry stride, R12 = count.
	a.AluMI(CMP, S32, Ptr(RBX, 4), 1)
	a.Jcc(CondB, askXen)
	a.Load(S32, R12, Ptr(RBX, 48)) // memmap_entries
	a.TestRR(S32, R12, R12)
	a.Jcc(CondE, askXen)
	a.AluRI(CMP, S32, R12, memmapMax)
	clamp := a.NewLabel()
	a.Jcc(CondBE, clamp)
	a.MovImm(S32, R12, memmapMax)
	a.Bind(clamp)
	a.Load(S64, RSI, Ptr(RBX, 40)) // memmap_paddr
	a.Lea(S64, RDI, st(xsMemmap))
	a.ImulRRI(S32, RCX, R12, 24)
	a.RepMovsb()
	a.MovImm(S32, R13, 24)
	a.Jmp(mapDone)
	a.Bind(askXen)
	a.StoreImm(S32, st(xsTmp), memmapMax)
	a.Lea(S64, RAX, st(xsMemmap))
	a.Store(S64, st(xsTmp+8), RAX)
	a.MovImm(S32, RDI, xenmemMemoryMap)
	a.Lea(S64, RSI, st(xsTmp))
	hc(a, hcMemoryOp)
	a.TestRR(S64, RAX, RAX)
	a.Jcc(CondNE, noRAM)
	a.Load(S32, R12, st(xsTmp))
	a.MovImm(S32, R13, 20)
	a.Bind(mapDone)

	// The highest byte of what lies above the image: start info, command
	// line, memory map (Xen's domain builder puts them right after it).
	a.Lea(S64, R8, SymRef("__image_end", 0))
	raise := func(addr, n Reg) { // R8 = max(R8, addr+n)
		a.Lea(S64, RAX, PtrIdx(addr, n, 1, 0))
		a.AluRR(CMP, S64, RAX, R8)
		a.Cmov(CondA, S64, R8, RAX)
	}
	a.MovImm(S32, RCX, 64)
	raise(RBX, RCX)
	{
		l, e := a.NewLabel(), a.NewLabel()
		a.Load(S64, RSI, Ptr(RBX, 24))
		a.TestRR(S64, RSI, RSI)
		a.Jcc(CondE, e)
		a.MovImm(S32, RCX, 0)
		a.Bind(l)
		a.AluRI(ADD, S64, RCX, 1)
		a.MovzxLoad(S32, S8, RAX, PtrIdx(RSI, RCX, 1, -1))
		a.TestRR(S32, RAX, RAX)
		a.Jcc(CondNE, l)
		raise(RSI, RCX)
		a.Bind(e)
	}
	{
		e := a.NewLabel()
		a.AluMI(CMP, S32, Ptr(RBX, 4), 1)
		a.Jcc(CondB, e)
		a.Load(S64, RSI, Ptr(RBX, 40))
		a.Load(S32, RCX, Ptr(RBX, 48))
		a.ImulRRI(S64, RCX, RCX, 24)
		raise(RSI, RCX)
		a.Bind(e)
	}
	a.AluRI(ADD, S64, R8, pageSize-1)
	a.AluRI(AND, S64, R8, -pageSize)
	// The RAM entry holding the image gives the free range [R8, its end),
	// cut at 4 GiB (the identity map's end); xsRAM is all RAM.
	loop, next, found := a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Lea(S64, RSI, st(xsMemmap))
	a.MovImm(S32, R9, 0)  // index
	a.MovImm(S32, R10, 0) // free range end
	a.MovImm(S32, R11, 0) // RAM total
	a.Bind(loop)
	a.AluRR(CMP, S32, R9, R12)
	a.Jcc(CondAE, found)
	a.AluMI(CMP, S32, Ptr(RSI, 16), memmapRAM)
	a.Jcc(CondNE, next)
	a.Load(S64, RAX, Ptr(RSI, 0)) // addr
	a.Load(S64, RDX, Ptr(RSI, 8)) // size
	a.AluRR(ADD, S64, R11, RDX)
	a.AluRR(ADD, S64, RDX, RAX) // end
	a.AluRI(CMP, S64, RAX, ImageBase)
	a.Jcc(CondA, next)
	a.AluRR(CMP, S64, RDX, R8)
	a.Jcc(CondBE, next)
	a.MovRR(S64, R10, RDX)
	a.Bind(next)
	a.AluRR(ADD, S64, RSI, R13)
	a.AluRI(ADD, S32, R9, 1)
	a.Jmp(loop)
	a.Bind(found)
	a.Store(S64, st(xsRAM), R11)
	a.TestRR(S64, R10, R10)
	a.Jcc(CondE, noRAM)
	a.MovImm(S64, RAX, 1)
	a.ShiftImm(SHL, S64, RAX, 32)
	a.AluRR(CMP, S64, R10, RAX)
	a.Cmov(CondA, S64, R10, RAX)
	a.AluRI(AND, S64, R10, -pageSize)
	a.Store(S64, st(xsFreeNext), R8)
	a.Store(S64, st(xsFreeEnd), R10)
	a.AluRR(SUB, S64, R10, R8)
	a.ShiftImm(SHR, S64, R10, 12)
	a.Store(S64, st(xsFreeCount), R10)
	a.StoreImm(S64, st(xsFreeList), 0)
	ok := a.NewLabel()
	a.Jmp(ok)
	a.Bind(badMagic)
	b.die(a, "the boot loader passed no hvm_start_info (bad magic): boot this image as a Xen PVH guest (type = \"pvh\")")
	a.Bind(noRAM)
	b.die(a, "no RAM above the image in the memory map")
	a.Bind(ok)
}

// buildPageTables replaces the boot identity map's 2 MiB pages that cover
// the image by 4 KiB page tables with the image's own permissions (.text
// read-execute, the headers and .rodata read-only, .data and .bss read-write,
// all but .text no-execute; page 0 not present), makes the rest of the
// identity map no-execute, and reloads CR3.
func (b *builder) buildPageTables(a *Assembler) {
	oom := a.NewLabel()
	region, page, ro, rx, set, done, nx, nxDone := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Lea(S64, R12, SymRef("__image_end", 0))
	a.AluRI(ADD, S64, R12, 2<<20-1)
	a.ShiftImm(SHR, S64, R12, 21) // 2 MiB regions to split
	a.MovImm(S32, R13, 0)         // region index
	a.Bind(region)
	a.AluRR(CMP, S64, R13, R12)
	a.Jcc(CondAE, done)
	a.CallSym(symAlloc)
	a.TestRR(S64, RAX, RAX)
	a.Jcc(CondE, oom)
	a.MovRR(S64, RBX, RAX) // the new page table
	a.MovImm(S32, RCX, 0)  // entry
	a.Bind(page)
	a.MovRR(S64, RDX, R13)
	a.ShiftImm(SHL, S64, RDX, 21)
	a.MovRR(S64, RSI, RCX)
	a.ShiftImm(SHL, S64, RSI, 12)
	a.AluRR(ADD, S64, RDX, RSI) // physical address of the page
	a.MovImm(S32, RDI, 0)
	a.TestRR(S64, RDX, RDX)
	a.Jcc(CondE, set) // page 0: not present
	a.Lea(S64, RAX, SymRef("__image_start", 0))
	a.AluRR(CMP, S64, RDX, RAX)
	a.Jcc(CondB, nx)
	a.Lea(S64, RAX, SymRef("__text_start", 0))
	a.AluRR(CMP, S64, RDX, RAX)
	a.Jcc(CondB, ro)
	a.Lea(S64, RAX, SymRef("__data_start", 0))
	a.AluRR(CMP, S64, RDX, RAX)
	a.Jcc(CondB, rx)
	a.Bind(nx) // below the image, .data, .bss and beyond: read-write, no-execute
	a.MovAbs(RDI, uint64(pteData))
	a.AluRR(OR, S64, RDI, RDX)
	a.Jmp(set)
	a.Bind(ro)
	a.MovAbs(RDI, pteP|pteNX)
	a.AluRR(OR, S64, RDI, RDX)
	a.Jmp(set)
	a.Bind(rx)
	a.Lea(S64, RDI, Ptr(RDX, pteP))
	a.Bind(set)
	a.Store(S64, PtrIdx(RBX, RCX, 8, 0), RDI)
	a.AluRI(ADD, S32, RCX, 1)
	a.AluRI(CMP, S32, RCX, 512)
	a.Jcc(CondB, page)
	a.AluRI(OR, S64, RBX, pteTab)
	a.Lea(S64, RAX, SymRef(symPD, 0))
	a.Store(S64, PtrIdx(RAX, R13, 8, 0), RBX)
	a.AluRI(ADD, S64, R13, 1)
	a.Jmp(region)
	a.Bind(done)
	// The rest of the identity map: no-execute.
	a.Lea(S64, RAX, SymRef(symPD, 0))
	a.MovAbs(RDX, pteNX)
	a.Bind(nxDone)
	a.AluRI(CMP, S64, R13, 2048)
	end := a.NewLabel()
	a.Jcc(CondAE, end)
	a.AluMR(OR, S64, PtrIdx(RAX, R13, 8, 0), RDX)
	a.AluRI(ADD, S64, R13, 1)
	a.Jmp(nxDone)
	a.Bind(end)
	a.MovFromCR(RAX, 3)
	a.MovToCR(3, RAX)
	ok := a.NewLabel()
	a.Jmp(ok)
	a.Bind(oom)
	b.outOfMemory(a)
	a.Bind(ok)
}

// checkCPU refuses, with a console line, a CPU without what the code uses.
func (b *builder) checkCPU(a *Assembler) {
	ok := a.NewLabel()
	a.MovImm(S32, RAX, 1)
	a.MovImm(S32, RCX, 0)
	a.Cpuid()
	a.AluRI(AND, S32, RCX, 1<<19|1<<23) // SSE4.1, POPCNT
	a.AluRI(CMP, S32, RCX, 1<<19|1<<23)
	a.Jcc(CondE, ok)
	b.die(a, "this CPU lacks SSE4.1 or POPCNT, which mwasm's code needs (x86-64-v2)")
	a.Bind(ok)
}

// emitNoXen assembles the path of a PVH boot without Xen (QEMU -kernel,
// Firecracker): a line on COM1, then the ways out a machine may offer —
// isa-debug-exit (QEMU exits with status 3), ACPI S5 on the PM1a control
// ports of QEMU's pc and q35 machines — and at last a halt with interrupts off.
func (b *builder) emitNoXen() {
	b.Fn(symNoXen, false, func(a *Assembler) {
		msg := "mwasm: this image is a Xen PVH guest and needs Xen: start it with xl create (its .xl config is beside it)\r\n"
		sym, n := b.Str(msg)
		loop, wait, halt := a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Lea(S64, RSI, SymRef(sym, 0))
		a.MovImm(S32, RCX, n)
		a.Bind(loop)
		a.MovImm(S32, R8, 100000)
		a.Bind(wait) // until the transmitter is empty (LSR bit 5), or give up
		a.MovImm(S32, RDX, 0x3FD)
		a.InB()
		a.TestRI(S32, RAX, 0x20)
		ready := a.NewLabel()
		a.Jcc(CondNE, ready)
		a.AluRI(SUB, S32, R8, 1)
		a.Jcc(CondNE, wait)
		a.Bind(ready)
		a.MovzxLoad(S32, S8, RAX, Ptr(RSI, 0))
		a.MovImm(S32, RDX, 0x3F8)
		a.OutB()
		a.AluRI(ADD, S64, RSI, 1)
		a.AluRI(SUB, S32, RCX, 1)
		a.Jcc(CondNE, loop)
		a.MovImm(S32, RAX, 1)
		a.MovImm(S32, RDX, 0xF4)
		a.OutB()
		for _, p := range []int64{0x604, 0xB004} {
			a.MovImm(S32, RAX, 0x2000)
			a.MovImm(S32, RDX, p)
			a.OutW()
		}
		a.Bind(halt)
		a.Cli()
		a.Hlt()
		a.Jmp(halt)
	})
}

// addNotes writes the Xen ELF notes (xen/include/public/elfnote.h): the PVH
// entry point above all.
func (b *builder) addNotes() {
	L := b.L
	sec := L.NoteSection(".note.Xen")
	for _, n := range []struct {
		typ  uint32
		desc string
	}{{6, "mwasm"}, {7, b.o.Compiler}, {5, "xen-3.0"}, {8, "generic"}} {
		L.AddNote(sec, "Xen", n.typ, append([]byte(n.desc), 0))
	}
	off := L.AddNote(sec, "Xen", 18, make([]byte, 4)) // XEN_ELFNOTE_PHYS32_ENTRY
	L.AddReloc(link.Reloc{Section: sec, Offset: off, Kind: link.ABS32, Symbol: symEntry32})
}
