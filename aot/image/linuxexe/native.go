package linuxexe

import (
	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/aot/vm"
)

// Symbols of the Linux platform layer (image.Sym* are the planner's).
const (
	symSignal     = "mwasm!signal"
	symSigDefault = "mwasm.sigdefault" // a struct sigaction of SIG_DFL
	symStack      = "mwasm.stack"
	symAlt        = "mwasm.altstack"
	symState      = "mwasm.state"
	symWriteAll   = "mwasm.write_all"
	symDie        = "mwasm.die"
	symPrefix     = "mwasm.hasprefix"
)

// The native stack Wasm code runs on (in .bss), its guard page at the bottom
// and the reserve below the stack limit for natives and the trap reporter.
const (
	stackSize    = 64 << 20
	stackGuard   = 4096
	stackReserve = 64 << 10
	altSize      = 64 << 10
	configMax    = 4 << 20 // the configuration blob: build-time prefix, argv, disk facts
)

// Offsets in the state block (.bss).
const (
	stDiskFd      = 0
	stNetFd       = 8
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
	stStat        = 320 // a struct stat (144 bytes) for stdio_type
	stateSize     = 512
)

// Linux x86-64 system calls.
const (
	sysRead         = 0
	sysWrite        = 1
	sysOpen         = 2
	sysFstat        = 5
	sysLseek        = 8
	sysMmap         = 9
	sysMprotect     = 10
	sysRtSigaction  = 13
	sysRtSigreturn  = 15
	sysIoctl        = 16
	sysPread        = 17
	sysPwrite       = 18
	sysNanosleep    = 35
	sysGetpid       = 39
	sysGetsockopt   = 55
	sysKill         = 62
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

// die emits code printing "mwasm: msg" and exiting with status 2.
func (b *builder) die(a *Assembler, msg string) {
	sym, n := b.Str(msg)
	a.Lea(S64, RSI, SymRef(sym, 0))
	a.MovImm(S32, RDX, n)
	a.JmpSym(symDie)
}

// emitHelpers assembles the Linux helpers: write_all, puts and trap_exit
// (the reporter's hooks), die, hasprefix, the signal handler and its restorer.
func (b *builder) emitHelpers() {
	// write_all(fd RDI, ptr RSI, len RDX) -> 0 or -errno.
	b.Fn(symWriteAll, true, func(a *Assembler) {
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
	b.Fn(image.SymPuts, true, func(a *Assembler) {
		a.MovImm(S32, RDI, 2)
		a.JmpSym(symWriteAll)
	})
	b.Fn(image.SymTrapExit, true, func(a *Assembler) {
		a.MovImm(S32, RDI, 134)
		sys(a, sysExitGroup)
	})
	// die(msg RSI, len RDX): "mwasm: msg\n", exit 2.
	b.Fn(symDie, true, func(a *Assembler) {
		a.Push(RSI)
		a.Push(RDX)
		b.Puts(a, "mwasm: ")
		a.Pop(RDX)
		a.Pop(RSI)
		a.CallSym(image.SymPuts)
		b.Puts(a, "\n")
		a.MovImm(S32, RDI, 2)
		sys(a, sysExitGroup)
	})
	// hasprefix(str RDI, prefix RSI, len RDX) -> EAX 1 or 0.
	b.Fn(symPrefix, true, func(a *Assembler) {
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
	// signal(sig RDI, info RSI, ucontext RDX), on the alternate stack.
	b.Fn(symSignal, false, func(a *Assembler) {
		overflow, fatal, fault := a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Cld()
		// si_code > 0: the kernel's, a fault of this code. Otherwise another
		// process sent the signal (kill: SI_USER, sigqueue, tgkill): it is no
		// trap. Restore the default action, send it again and return: when
		// the handler's mask is lifted, the signal ends the process as it
		// would without a handler (status 128+N in a shell).
		a.Load(S32, RAX, Ptr(RSI, 8)) // si_code
		a.TestRR(S32, RAX, RAX)
		a.Jcc(CondG, fault)
		a.MovRR(S64, R12, RDI)
		a.Lea(S64, RSI, SymRef(symSigDefault, 0))
		a.MovImm(S32, RDX, 0)
		a.MovImm(S32, R10, 8)
		sys(a, sysRtSigaction)
		sys(a, sysGetpid)
		a.MovRR(S64, RDI, RAX)
		a.MovRR(S64, RSI, R12)
		sys(a, sysKill)
		a.Ret()
		a.Bind(fault)
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
		a.CallSym(image.SymLookup)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondE, fatal)
		a.MovImm(S32, RDI, int64(vm.TrapMemoryOutOfBounds))
		a.MovRR(S64, RSI, R13)
		a.MovRR(S64, RDX, RBX)
		a.MovImm(S32, RCX, 0)
		a.JmpSym(image.SymReport)
		a.Bind(overflow)
		a.MovImm(S32, RDI, int64(vm.TrapStackOverflow))
		a.MovRR(S64, RSI, R13)
		a.MovRR(S64, RDX, RBX)
		a.MovImm(S32, RCX, 0)
		a.JmpSym(image.SymReport)
		a.Bind(fatal)
		b.Puts(a, "mwasm: fatal signal ")
		a.MovRR(S64, RDI, R12)
		a.CallSym(image.SymPutDec)
		b.Puts(a, " at pc 0x")
		a.MovRR(S64, RDI, R13)
		a.CallSym(image.SymPutHex)
		b.Puts(a, ", address 0x")
		a.MovRR(S64, RDI, R15)
		a.CallSym(image.SymPutHex)
		b.Puts(a, " (outside compiled Wasm code: a bug in mwasm)\n")
		a.MovImm(S32, RDI, 134)
		sys(a, sysExitGroup)
	})
	b.Fn("mwasm.restorer", true, func(a *Assembler) { sys(a, sysRtSigreturn) })
}
