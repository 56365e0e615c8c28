package linux

import (
	"fmt"

	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/link"
	"github.com/mwasm/mwasm/aot/vm"
)

// Symbols of the platform layer.
const (
	symTrap     = "mwasm!trap"
	symSignal   = "mwasm!signal"
	symBuiltins = "mwasm.builtins"
	symStack    = "mwasm.stack"
	symAlt      = "mwasm.altstack"
	symState    = "mwasm.state"
	symConfig   = "mwasm.config"
	symFtab     = "mwasm.functab"
	symSites    = "mwasm.sites"
	symNames    = "mwasm.names"
	symKinds    = "mwasm.trapkinds"
	symLookup   = "mwasm.lookup"
	symReport   = "mwasm.report"
	symWriteAll = "mwasm.write_all"
	symPuts     = "mwasm.puts"
	symPutHex   = "mwasm.puthex"
	symPutDec   = "mwasm.putdec"
	symDie      = "mwasm.die"
	symPrefix   = "mwasm.hasprefix"
	textStart   = "__text_start"
)

// The native stack Wasm code runs on (in .bss), its guard page at the bottom
// and the reserve below the stack limit for natives and the trap reporter.
const (
	stackSize    = 64 << 20
	stackGuard   = 4096
	stackReserve = 64 << 10
	altSize      = 64 << 10
	configMax    = 4 << 20
)

// Offsets in the state block (.bss).
const (
	stDiskFd      = 0
	stNetFd       = 8
	stConfigLen   = 16
	stArgc        = 24
	stArgv        = 32
	stDiskPath    = 40
	stNetSpec     = 48
	stDiskSectors = 56
	stTS          = 64
	stTS2         = 80
	stPoll        = 96
	stSlots       = 128
	stIfreq       = 256
	stateSize     = 512
)

// Linux x86-64 system calls.
const (
	sysRead         = 0
	sysWrite        = 1
	sysOpen         = 2
	sysLseek        = 8
	sysMmap         = 9
	sysMprotect     = 10
	sysRtSigaction  = 13
	sysRtSigreturn  = 15
	sysIoctl        = 16
	sysPread        = 17
	sysPwrite       = 18
	sysNanosleep    = 35
	sysGetsockopt   = 55
	sysFcntl        = 72
	sysFdatasync    = 75
	sysSigaltstack  = 131
	sysClockGettime = 228
	sysClockGetres  = 229
	sysExitGroup    = 231
	sysPpoll        = 271
	sysGetrandom    = 318
)

const (
	eintr    = 4
	ebadf    = 9
	eio      = 5
	errNODEV = 19
	eagain   = 11

	wasiEBADF = 8
	wasiEIO   = 29
)

func sys(a *Assembler, nr int) {
	a.MovImm(S32, RAX, int64(nr))
	a.Syscall()
}

func zext(a *Assembler, rs ...Reg) {
	for _, r := range rs {
		a.MovRR(S32, r, r)
	}
}

func st(off int32) Mem { return SymRef(symState, off) }

// fn assembles one function into .text under name.
func (b *builder) fn(name string, local bool, body func(a *Assembler)) {
	a := New()
	body(a)
	code, err := a.Finish()
	if err != nil {
		b.fail(fmt.Errorf("assembling %s: %w", name, err))
		return
	}
	b.l.AddFunc(link.Func{Name: name, Code: code, Relocs: a.Relocs(), Local: local})
}

// str puts s in .rodata and returns its symbol and length.
func (b *builder) str(s string) (string, int64) {
	if sym, ok := b.strs[s]; ok {
		return sym, int64(len(s))
	}
	sym := fmt.Sprintf("mwasm.str%d", len(b.strs))
	b.strs[s] = sym
	b.l.AddObject(link.Object{Name: sym, Section: link.ROData, Data: []byte(s), Align: 1, Local: true})
	return sym, int64(len(s))
}

// puts emits code writing the constant s to stderr (clobbers caller-saved
// registers).
func (b *builder) puts(a *Assembler, s string) {
	sym, n := b.str(s)
	a.Lea(S64, RSI, SymRef(sym, 0))
	a.MovImm(S32, RDX, n)
	a.CallSym(symPuts)
}

// die emits code printing "mwasm: msg" and exiting with status 2.
func (b *builder) die(a *Assembler, msg string) {
	sym, n := b.str(msg)
	a.Lea(S64, RSI, SymRef(sym, 0))
	a.MovImm(S32, RDX, n)
	a.JmpSym(symDie)
}

// helpers: output, lookup, report, trap function, signal handler.
func (b *builder) emitHelpers(numFuncs int) {
	// write_all(fd RDI, ptr RSI, len RDX) -> 0 or -errno.
	b.fn(symWriteAll, true, func(a *Assembler) {
		loop, done, eioL, ret := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Bind(loop)
		a.TestRR(S64, RDX, RDX)
		a.Jcc(CondE, done)
		sys(a, sysWrite)
		a.AluRI(CMP, S64, RAX, -eintr)
		a.Jcc(CondE, loop)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondS, ret)
		a.Jcc(CondE, eioL)
		a.AluRR(ADD, S64, RSI, RAX)
		a.AluRR(SUB, S64, RDX, RAX)
		a.Jmp(loop)
		a.Bind(done)
		a.MovImm(S32, RAX, 0)
		a.Bind(ret)
		a.Ret()
		a.Bind(eioL)
		a.MovImm(S64, RAX, -eio)
		a.Ret()
	})
	b.fn(symPuts, true, func(a *Assembler) {
		a.MovImm(S32, RDI, 2)
		a.JmpSym(symWriteAll)
	})
	digits, _ := b.str("0123456789abcdef")
	// puthex(RDI), putdec(RDI): print an unsigned number.
	number := func(name string, hex bool) {
		b.fn(name, true, func(a *Assembler) {
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
			a.CallSym(symPuts)
			a.AluRI(ADD, S64, RSP, 40)
			a.Ret()
		})
	}
	number(symPutHex, true)
	number(symPutDec, false)
	// die(msg RSI, len RDX): "mwasm: msg\n", exit 2.
	b.fn(symDie, true, func(a *Assembler) {
		a.Push(RSI)
		a.Push(RDX)
		b.puts(a, "mwasm: ")
		a.Pop(RDX)
		a.Pop(RSI)
		a.CallSym(symPuts)
		b.puts(a, "\n")
		a.MovImm(S32, RDI, 2)
		sys(a, sysExitGroup)
	})
	// hasprefix(str RDI, prefix RSI, len RDX) -> EAX 1 or 0.
	b.fn(symPrefix, true, func(a *Assembler) {
		loop, yes, no := a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Bind(loop)
		a.TestRR(S64, RDX, RDX)
		a.Jcc(CondE, yes)
		a.MovzxLoad(S32, S8, RAX, Ptr(RDI, 0))
		a.AluRM(CMP, S8, RAX, Ptr(RSI, 0))
		a.Jcc(CondNE, no)
		a.AluRI(ADD, S64, RDI, 1)
		a.AluRI(ADD, S64, RSI, 1)
		a.AluRI(SUB, S64, RDX, 1)
		a.Jmp(loop)
		a.Bind(yes)
		a.MovImm(S32, RAX, 1)
		a.Ret()
		a.Bind(no)
		a.MovImm(S32, RAX, 0)
		a.Ret()
	})
	// lookup(pc RDI) -> RAX = function table entry or 0.
	b.fn(symLookup, true, func(a *Assembler) {
		loop, nf, found := a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Lea(S64, RSI, SymRef(textStart, 0))
		a.MovRR(S64, RCX, RDI)
		a.AluRR(SUB, S64, RCX, RSI)
		a.MovRR(S64, RAX, RCX)
		a.ShiftImm(SHR, S64, RAX, 32)
		a.Jcc(CondNE, nf)
		a.Lea(S64, RAX, SymRef(symFtab, 0))
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
		a.Lea(S64, RAX, SymRef(symNames, 0))
		a.AluRR(ADD, S64, RSI, RAX)
		a.Load(S32, RDX, Ptr(R15, 12))
		a.CallSym(symPuts)
		b.puts(a, "+0x")
		a.Lea(S64, RAX, SymRef(textStart, 0))
		a.MovRR(S64, RDI, R13)
		a.AluRR(SUB, S64, RDI, RAX)
		a.MovRR(S64, R14, RDI) // text offset of pc
		a.Load(S32, RAX, Ptr(R15, 0))
		a.AluRR(SUB, S64, RDI, RAX)
		a.CallSym(symPutHex)
	}
	// report(kind EDI, pc RSI, rbp RDX, adjust RCX: 1 when pc is a return
	// address, 0 for a faulting instruction): print the trap and a backtrace, exit 134.
	b.fn(symReport, true, func(a *Assembler) {
		okKind, native, bt, siteLoop, site, nosite, btLoop, done := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Cld()
		a.MovRR(S32, R12, RDI)
		a.MovRR(S64, R13, RSI)
		a.MovRR(S64, RBX, RDX)
		a.MovRR(S64, RBP, RCX)
		b.puts(a, "mwasm: trap: ")
		a.MovRR(S32, RAX, R12)
		a.AluRI(CMP, S32, RAX, int64(vm.TrapUndefinedElement))
		a.Jcc(CondBE, okKind)
		a.MovImm(S32, RAX, 0)
		a.Bind(okKind)
		a.ShiftImm(SHL, S32, RAX, 4)
		a.Lea(S64, RCX, SymRef(symKinds, 0))
		a.Load(S64, RSI, PtrIdx(RCX, RAX, 1, 0))
		a.Load(S64, RDX, PtrIdx(RCX, RAX, 1, 8))
		a.CallSym(symPuts)
		b.puts(a, " in ")
		a.MovRR(S64, RDI, R13)
		a.AluRR(SUB, S64, RDI, RBP)
		a.CallSym(symLookup)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondE, native)
		a.MovRR(S64, R15, RAX)
		putName(a)
		a.Load(S32, RCX, Ptr(R15, 20))
		a.Load(S32, RAX, Ptr(R15, 16))
		a.Lea(S64, RSI, SymRef(symSites, 0))
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
		b.puts(a, " (wasm offset 0x")
		a.Pop(RDI)
		a.Pop(RDI)
		a.CallSym(symPutHex)
		b.puts(a, ")")
		a.Bind(nosite)
		b.puts(a, "\n")
		a.Jmp(bt)
		a.Bind(native)
		b.puts(a, "native code at 0x")
		a.MovRR(S64, RDI, R13)
		a.CallSym(symPutHex)
		b.puts(a, "\n")
		a.Bind(bt)
		a.MovImm(S32, R12, 64)
		a.Bind(btLoop)
		a.Lea(S64, RAX, SymRef(symStack, 0))
		a.AluRR(CMP, S64, RBX, RAX)
		a.Jcc(CondB, done)
		a.Lea(S64, RAX, SymRef(symStack, stackSize-16))
		a.AluRR(CMP, S64, RBX, RAX)
		a.Jcc(CondAE, done)
		a.Load(S64, R13, Ptr(RBX, 8))
		a.Lea(S64, RDI, Ptr(R13, -1)) // a return address: look up the call
		a.CallSym(symLookup)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondE, done)
		a.MovRR(S64, R15, RAX)
		b.puts(a, "    at ")
		putName(a)
		b.puts(a, "\n")
		a.Load(S64, RBX, Ptr(RBX, 0))
		a.AluRI(SUB, S32, R12, 1)
		a.Jcc(CondNE, btLoop)
		a.Bind(done)
		a.MovImm(S32, RDI, 134)
		sys(a, sysExitGroup)
	})
	// The trap function of every vmctx: EDI = kind, [RSP] = trap site.
	b.fn(symTrap, false, func(a *Assembler) {
		a.Load(S64, RSI, Ptr(RSP, 0))
		a.MovRR(S64, RDX, RBP)
		a.MovImm(S32, RCX, 1) // a return address: it may lie just past the function
		a.JmpSym(symReport)
	})
	// signal(sig RDI, info RSI, ucontext RDX), on the alternate stack.
	b.fn(symSignal, false, func(a *Assembler) {
		overflow, fatal := a.NewLabel(), a.NewLabel()
		a.Cld()
		a.MovRR(S64, R12, RDI)
		a.Load(S64, R13, Ptr(RDX, 168)) // uc_mcontext.gregs[REG_RIP]
		a.Load(S64, RBX, Ptr(RDX, 120)) // gregs[REG_RBP]
		a.Load(S64, R15, Ptr(RSI, 16))  // si_addr
		a.Lea(S64, RAX, SymRef(symStack, 0))
		a.MovRR(S64, RCX, R15)
		a.AluRR(SUB, S64, RCX, RAX)
		a.AluRI(CMP, S64, RCX, stackGuard)
		a.Jcc(CondB, overflow)
		a.MovRR(S64, RDI, R13)
		a.CallSym(symLookup)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondE, fatal)
		a.MovImm(S32, RDI, int64(vm.TrapMemoryOutOfBounds))
		a.MovRR(S64, RSI, R13)
		a.MovRR(S64, RDX, RBX)
		a.MovImm(S32, RCX, 0)
		a.JmpSym(symReport)
		a.Bind(overflow)
		a.MovImm(S32, RDI, int64(vm.TrapStackOverflow))
		a.MovRR(S64, RSI, R13)
		a.MovRR(S64, RDX, RBX)
		a.MovImm(S32, RCX, 0)
		a.JmpSym(symReport)
		a.Bind(fatal)
		b.puts(a, "mwasm: fatal signal ")
		a.MovRR(S64, RDI, R12)
		a.CallSym(symPutDec)
		b.puts(a, " at pc 0x")
		a.MovRR(S64, RDI, R13)
		a.CallSym(symPutHex)
		b.puts(a, ", address 0x")
		a.MovRR(S64, RDI, R15)
		a.CallSym(symPutHex)
		b.puts(a, " (outside compiled Wasm code: a bug in mwasm)\n")
		a.MovImm(S32, RDI, 134)
		sys(a, sysExitGroup)
	})
	b.fn("mwasm.restorer", true, func(a *Assembler) { sys(a, sysRtSigreturn) })
}
