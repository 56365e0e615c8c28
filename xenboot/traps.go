package xenboot

import (
	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/aot/vm"
)

// Exceptions that push an error code.
var hasErrorCode = map[int]bool{8: true, 10: true, 11: true, 12: true, 13: true, 14: true, 17: true, 21: true, 29: true, 30: true}

var exceptionNames = [32]string{
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS", "segment not present", "stack fault", "general protection", "page fault", "reserved",
	"x87 floating point", "alignment check", "machine check", "SIMD floating point", "virtualization", "control protection", "reserved", "reserved",
	"reserved", "reserved", "reserved", "reserved", "hypervisor injection", "VMM communication", "security", "reserved",
}

// emitTraps assembles the exception stubs (all on IST1 but the double
// fault, on IST2), the common handler and the event channel upcall.
//
// The common handler, for a page fault: an address in the stack's
// demand-paged range (above its guard page) gets a fresh frame and the
// faulting instruction runs again; a fault at an address in a linear memory's
// reservation, from compiled Wasm code, is the Wasm trap "out of bounds
// memory access" (the same report as a SIGSEGV on Linux); a fault on the
// stack's guard page is "call stack exhausted". Anything else is fatal:
//
//	mwasm: fatal: EXCEPTION (vector N) at 0xRIP in FUNCTION+0xOFF, error code 0xE, address 0xCR2
//
// and the domain crashes.
func (b *builder) emitTraps() {
	b.Fn(symExcept, false, func(a *Assembler) {
		for v := 0; v < 32; v++ {
			a.Align(16)
			if !hasErrorCode[v] {
				a.PushImm(0)
			}
			a.PushImm(int8(v))
			a.JmpSym(symExcCommon)
		}
	})
	// Frame: [RSP] vector, +8 error code, +16 RIP, +24 CS, +32 RFLAGS, +40 RSP, +48 SS.
	b.Fn(symExcCommon, false, func(a *Assembler) {
		fatal, notStack, notGuard, oob := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
		saved := []Reg{RAX, RCX, RDX, RSI, RDI, R8, R9, R10, R11}
		for _, r := range saved {
			a.Push(r)
		}
		fr := int32(8 * len(saved)) // the exception frame
		a.Cld()
		a.Load(S64, RAX, Ptr(RSP, fr))
		a.AluRI(CMP, S64, RAX, 14)
		a.Jcc(CondNE, fatal)
		a.MovFromCR(RDI, 2)
		// The stack's demand-paged range: [StackBase+guard, StackBase+size).
		a.MovAbs(RAX, StackBase+stackGuard)
		a.MovRR(S64, RCX, RDI)
		a.AluRR(SUB, S64, RCX, RAX)
		a.MovAbs(RAX, StackSize-stackGuard)
		a.AluRR(CMP, S64, RCX, RAX)
		a.Jcc(CondAE, notStack)
		// Present already (a protection fault): fatal.
		a.TestMI(S32, Ptr(RSP, fr+8), 1)
		a.Jcc(CondNE, fatal)
		a.AluRI(AND, S64, RDI, -pageSize)
		a.CallSym(symAlloc)
		a.TestRR(S64, RAX, RAX)
		stackOOM := a.NewLabel()
		a.Jcc(CondE, stackOOM)
		a.MovAbs(RSI, uint64(pteData))
		a.AluRR(OR, S64, RSI, RAX)
		a.CallSym(symMapPage)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondNE, fatal)
		for i := len(saved) - 1; i >= 0; i-- {
			a.Pop(saved[i])
		}
		a.AluRI(ADD, S64, RSP, 16)
		a.Iretq()

		a.Bind(notStack)
		// The guard page under the stack.
		a.MovAbs(RAX, StackBase)
		a.MovRR(S64, RCX, RDI)
		a.AluRR(SUB, S64, RCX, RAX)
		a.AluRI(CMP, S64, RCX, stackGuard)
		a.Jcc(CondAE, notGuard)
		a.MovImm(S32, RDI, int64(vm.TrapStackOverflow))
		a.Load(S64, RSI, Ptr(RSP, fr+16))
		a.MovRR(S64, RDX, RBP)
		a.MovImm(S32, RCX, 0)
		a.JmpSym(image.SymReport)
		a.Bind(notGuard)
		// A linear memory's reservation, from compiled code.
		for _, base := range []uint64{AppBase, ShimBase} {
			next := a.NewLabel()
			a.MovAbs(RAX, base)
			a.MovRR(S64, RCX, RDI)
			a.AluRR(SUB, S64, RCX, RAX)
			a.MovAbs(RAX, vm.GuardReservation)
			a.AluRR(CMP, S64, RCX, RAX)
			a.Jcc(CondB, oob)
			a.Bind(next)
		}
		a.Jmp(fatal)
		a.Bind(oob)
		a.Load(S64, RDI, Ptr(RSP, fr+16))
		a.CallSym(image.SymLookup)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondE, fatal)
		a.MovImm(S32, RDI, int64(vm.TrapMemoryOutOfBounds))
		a.Load(S64, RSI, Ptr(RSP, fr+16))
		a.MovRR(S64, RDX, RBP)
		a.MovImm(S32, RCX, 0)
		a.JmpSym(image.SymReport)

		a.Bind(stackOOM)
		b.Puts(a, "mwasm: out of memory growing the stack (at 0x")
		a.MovFromCR(RDI, 2)
		a.CallSym(image.SymPutHex)
		b.dieTail(a, "): give the domain more memory (memory= in its xl config, mwasm build --memory)")

		a.Bind(fatal)
		b.Puts(a, "mwasm: fatal: ")
		// The exception's name from a table of (pointer, length) pairs.
		a.Load(S64, RAX, Ptr(RSP, fr))
		a.AluRI(AND, S32, RAX, 31)
		a.ShiftImm(SHL, S32, RAX, 4)
		a.Lea(S64, RCX, SymRef("mwasm.exception_names", 0))
		a.Load(S64, RSI, PtrIdx(RCX, RAX, 1, 0))
		a.Load(S64, RDX, PtrIdx(RCX, RAX, 1, 8))
		a.CallSym(image.SymPuts)
		b.Puts(a, " (vector ")
		a.Load(S64, RDI, Ptr(RSP, fr))
		a.CallSym(image.SymPutDec)
		b.Puts(a, ") at 0x")
		a.Load(S64, RDI, Ptr(RSP, fr+16))
		a.CallSym(image.SymPutHex)
		inCode, named := a.NewLabel(), a.NewLabel()
		a.Load(S64, RDI, Ptr(RSP, fr+16))
		a.CallSym(image.SymLookup)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondNE, inCode)
		b.Puts(a, " (native code)")
		a.Jmp(named)
		a.Bind(inCode)
		b.Puts(a, " in ")
		a.MovRR(S64, RBX, RAX)
		a.Load(S32, RSI, Ptr(RBX, 8))
		a.Lea(S64, RAX, SymRef(image.SymNames, 0))
		a.AluRR(ADD, S64, RSI, RAX)
		a.Load(S32, RDX, Ptr(RBX, 12))
		a.CallSym(image.SymPuts)
		a.Bind(named)
		b.Puts(a, ", error code 0x")
		a.Load(S64, RDI, Ptr(RSP, fr+8))
		a.CallSym(image.SymPutHex)
		b.Puts(a, ", address 0x")
		a.MovFromCR(RDI, 2)
		a.CallSym(image.SymPutHex)
		b.Puts(a, "\n")
		a.JmpSym(image.SymTrapExit)
	})
	// The names table.
	var names []byte
	var rel []linkReloc
	for i, n := range exceptionNames {
		sym, ln := b.Str(n)
		rel = append(rel, linkReloc{off: uint64(16 * i), sym: sym})
		names = append(names, make([]byte, 8)...)
		names = appendU64(names, uint64(ln))
	}
	b.addTable("mwasm.exception_names", names, rel)

	// The event channel upcall: Xen raises it while vCPU 0's
	// evtchn_upcall_pending is set and interrupts are enabled, which they
	// are only in the `sti; hlt` of the wait natives. Clearing the flag is
	// all it does: the natives look at the pending bits themselves.
	b.Fn(symUpcall, false, func(a *Assembler) {
		a.StoreImm(S8, SymRef(symShared, siUpcallPending), 0)
		a.Iretq()
	})
}
