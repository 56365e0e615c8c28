package linuxexe

import (
	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/image"
)

// AppBase and ShimBase are the fixed addresses of the two linear memories;
// each has vm.GuardReservation bytes of address space.
const (
	AppBase  = 0x1_0000_0000
	ShimBase = 0x4_0000_0000
)

// emitNatives assembles the Linux natives of module "mwasm" (package
// shim/linux), then the planner's common ones (image.EmitReactorNatives);
// they are called like Wasm functions (R15 = shim vmctx, R14 = shim memory
// base, arguments in RDI, RSI, RDX, RCX with undefined upper halves for i32).
// It returns the symbol of every native by "module.name".
func (b *builder) emitNatives(appDesc string) map[string]string {
	syms := map[string]string{}
	def := func(mod, name string, body func(a *Assembler)) {
		s := image.NativeSym(mod, name)
		syms[mod+"."+name] = s
		b.Fn(s, false, body)
	}
	const M = "mwasm"
	enodev := func(a *Assembler, fdOff int32, fd Reg) Label {
		l := a.NewLabel()
		a.Load(S64, fd, st(fdOff))
		a.TestRR(S64, fd, fd)
		a.Jcc(CondS, l)
		return l
	}
	def(M, "console_write", func(a *Assembler) {
		zext(a, RDI, RSI, RDX)
		a.AluRR(ADD, S64, RSI, R14)
		a.JmpSym(symWriteAll)
	})
	def(M, "stdio_type", func(a *Assembler) {
		out := a.NewLabel()
		zext(a, RDI)
		a.Lea(S64, RSI, st(stStat))
		sys(a, sysFstat)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondS, out)
		a.Load(S32, RAX, st(stStat+24)) // st_mode
		a.AluRI(AND, S32, RAX, 0o170000)
		a.Bind(out)
		a.Ret()
	})
	def(M, "stdin_read", func(a *Assembler) {
		readable, again, out := a.NewLabel(), a.NewLabel(), a.NewLabel()
		zext(a, RDI, RSI)
		a.Push(RDI)
		a.Push(RSI)
		a.Lea(S64, RDI, st(stPoll))
		a.StoreImm(S32, Ptr(RDI, 0), 0)
		a.StoreImm(S32, Ptr(RDI, 4), 1) // POLLIN
		a.Lea(S64, RDX, st(stTS))
		a.StoreImm(S64, Ptr(RDX, 0), 0)
		a.StoreImm(S64, Ptr(RDX, 8), 0)
		a.MovImm(S32, RSI, 1)
		a.MovImm(S32, R10, 0)
		a.MovImm(S32, R8, 8)
		sys(a, sysPpoll)
		a.Pop(RDX)
		a.Pop(RSI)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondG, readable)
		a.Jcc(CondE, again)
		a.AluRI(CMP, S64, RAX, -eintr)
		a.Jcc(CondE, again)
		a.Jmp(out)
		a.Bind(readable)
		a.AluRR(ADD, S64, RSI, R14)
		a.MovImm(S32, RDI, 0)
		sys(a, sysRead)
		a.AluRI(CMP, S64, RAX, -eintr)
		a.Jcc(CondNE, out)
		a.Bind(again)
		a.MovImm(S64, RAX, -eagain)
		a.Bind(out)
		a.Ret()
	})
	clock := func(nr int, min1 bool) func(a *Assembler) {
		return func(a *Assembler) {
			real, ok := a.NewLabel(), a.NewLabel()
			zext(a, RDI)
			a.TestRR(S32, RDI, RDI)
			a.Jcc(CondE, real)
			a.MovImm(S32, RDI, 1) // CLOCK_MONOTONIC
			a.Bind(real)
			a.Lea(S64, RSI, st(stTS2))
			sys(a, nr)
			a.Load(S64, RAX, Ptr(RSI, 0))
			a.ImulRRI(S64, RAX, RAX, 1_000_000_000)
			a.AluRM(ADD, S64, RAX, Ptr(RSI, 8))
			if min1 {
				a.TestRR(S64, RAX, RAX)
				a.Jcc(CondNE, ok)
				a.MovImm(S32, RAX, 1)
			}
			a.Bind(ok)
			a.Ret()
		}
	}
	def(M, "clock_now", clock(sysClockGettime, false))
	def(M, "clock_res", clock(sysClockGetres, true))
	def(M, "random", func(a *Assembler) {
		loop, done, out := a.NewLabel(), a.NewLabel(), a.NewLabel()
		zext(a, RDI, RSI)
		a.AluRR(ADD, S64, RDI, R14)
		a.Bind(loop)
		a.TestRR(S64, RSI, RSI)
		a.Jcc(CondE, done)
		a.MovImm(S32, RDX, 0)
		sys(a, sysGetrandom)
		a.AluRI(CMP, S64, RAX, -eintr)
		a.Jcc(CondE, loop)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondS, out)
		a.AluRR(ADD, S64, RDI, RAX)
		a.AluRR(SUB, S64, RSI, RAX)
		a.Jmp(loop)
		a.Bind(done)
		a.MovImm(S32, RAX, 0)
		a.Bind(out)
		a.Ret()
	})
	def(M, "wait", func(a *Assembler) {
		noStdin, noNet, hasDL, poll, ret0, positive, out := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Push(RBX)
		a.Push(R12)
		a.Push(R13)
		a.MovRR(S32, R12, RSI) // watch
		a.MovRR(S64, RBX, RDI) // deadline
		a.MovImm(S32, R13, 0)  // nfds
		a.Lea(S64, R8, st(stPoll))
		a.TestRI(S32, R12, 1)
		a.Jcc(CondE, noStdin)
		a.StoreImm(S32, Ptr(R8, 0), 0)
		a.StoreImm(S32, Ptr(R8, 4), 1) // POLLIN
		a.MovImm(S32, R13, 1)
		a.Bind(noStdin)
		// net entry if watched and present
		a.TestRI(S32, R12, 6)
		a.Jcc(CondE, noNet)
		a.Load(S64, RAX, st(stNetFd))
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondS, noNet)
		a.Store(S32, PtrIdx(R8, R13, 8, 0), RAX)
		a.MovRR(S32, RCX, R12)
		a.AluRI(AND, S32, RCX, 2)
		a.ShiftImm(SHR, S32, RCX, 1) // POLLIN = 1
		a.MovRR(S32, RDX, R12)
		a.AluRI(AND, S32, RDX, 4) // POLLOUT = 4
		a.AluRR(OR, S32, RCX, RDX)
		a.Store(S32, PtrIdx(R8, R13, 8, 4), RCX)
		a.AluRI(ADD, S32, R13, 1)
		a.Bind(noNet)
		a.AluRI(CMP, S64, RBX, -1)
		a.Jcc(CondNE, hasDL)
		a.TestRR(S32, R13, R13)
		a.Jcc(CondE, ret0)
		a.MovImm(S32, RDX, 0)
		a.Jmp(poll)
		a.Bind(hasDL)
		a.MovImm(S32, RDI, 1)
		a.Lea(S64, RSI, st(stTS2))
		sys(a, sysClockGettime)
		a.Load(S64, RAX, Ptr(RSI, 0))
		a.ImulRRI(S64, RAX, RAX, 1_000_000_000)
		a.AluRM(ADD, S64, RAX, Ptr(RSI, 8))
		a.MovRR(S64, RCX, RBX)
		a.AluRR(SUB, S64, RCX, RAX)
		a.Jcc(CondG, positive)
		a.MovImm(S32, RCX, 0)
		a.Bind(positive)
		a.MovRR(S64, RAX, RCX)
		a.MovImm(S32, RDX, 0)
		a.MovImm(S32, RCX, 1_000_000_000)
		a.Div(S64, RCX)
		a.Store(S64, st(stTS), RAX)
		a.Store(S64, st(stTS+8), RDX)
		a.Lea(S64, RDX, st(stTS))
		a.Bind(poll)
		a.Lea(S64, RDI, st(stPoll))
		a.MovRR(S64, RSI, R13)
		a.MovImm(S32, R10, 0)
		a.MovImm(S32, R8, 8)
		sys(a, sysPpoll)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondLE, ret0)
		// result mask from revents
		a.MovImm(S32, RBX, 0)
		a.Lea(S64, R8, st(stPoll))
		skip1 := a.NewLabel()
		a.TestRI(S32, R12, 1)
		a.Jcc(CondE, skip1)
		a.MovzxLoad(S32, S16, RAX, Ptr(R8, 6))
		a.AluRI(ADD, S64, R8, 8)
		notReady := a.NewLabel()
		a.TestRI(S32, RAX, 0x19) // POLLIN|POLLERR|POLLHUP
		a.Jcc(CondE, notReady)
		a.AluRI(OR, S32, RBX, 1)
		a.Bind(notReady)
		a.Bind(skip1)
		a.TestRI(S32, R12, 6)
		a.Jcc(CondE, out)
		a.Load(S64, RAX, st(stNetFd))
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondS, out)
		a.MovzxLoad(S32, S16, RAX, Ptr(R8, 6))
		n1, n2 := a.NewLabel(), a.NewLabel()
		a.TestRI(S32, R12, 2)
		a.Jcc(CondE, n1)
		a.TestRI(S32, RAX, 0x19)
		a.Jcc(CondE, n1)
		a.AluRI(OR, S32, RBX, 2)
		a.Bind(n1)
		a.TestRI(S32, R12, 4)
		a.Jcc(CondE, n2)
		a.TestRI(S32, RAX, 0x1C) // POLLOUT|POLLERR|POLLHUP
		a.Jcc(CondE, n2)
		a.AluRI(OR, S32, RBX, 4)
		a.Bind(n2)
		a.Jmp(out)
		a.Bind(ret0)
		a.MovImm(S32, RBX, 0)
		a.Bind(out)
		a.MovRR(S32, RAX, RBX)
		a.Pop(R13)
		a.Pop(R12)
		a.Pop(RBX)
		a.Ret()
	})
	exit := func(a *Assembler) { sys(a, sysExitGroup) }
	def(M, "exit", exit)
	netIO := func(nr int) func(a *Assembler) {
		return func(a *Assembler) {
			out := a.NewLabel()
			zext(a, RDI, RSI)
			nodev := enodev(a, stNetFd, RAX)
			a.MovRR(S64, RDX, RSI)
			a.Lea(S64, RSI, PtrIdx(R14, RDI, 1, 0))
			a.MovRR(S64, RDI, RAX)
			sys(a, nr)
			if nr == sysWrite {
				a.TestRR(S64, RAX, RAX)
				a.Jcc(CondS, out)
				a.MovImm(S32, RAX, 0)
			}
			a.Bind(out)
			a.Ret()
			a.Bind(nodev)
			a.MovImm(S64, RAX, -errNODEV)
			a.Ret()
		}
	}
	def(M, "net_recv", netIO(sysRead))
	def(M, "net_send", netIO(sysWrite))
	diskIO := func(nr int) func(a *Assembler) {
		return func(a *Assembler) {
			loop, done, eioL, out := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
			zext(a, RSI, RDX)
			a.MovRR(S64, R10, RDI)
			a.AluRR(ADD, S64, RSI, R14)
			nodev := enodev(a, stDiskFd, RDI)
			a.Bind(loop)
			a.TestRR(S64, RDX, RDX)
			a.Jcc(CondE, done)
			sys(a, nr)
			a.AluRI(CMP, S64, RAX, -eintr)
			a.Jcc(CondE, loop)
			a.TestRR(S64, RAX, RAX)
			a.Jcc(CondS, out)
			a.Jcc(CondE, eioL)
			a.AluRR(ADD, S64, RSI, RAX)
			a.AluRR(ADD, S64, R10, RAX)
			a.AluRR(SUB, S64, RDX, RAX)
			a.Jmp(loop)
			a.Bind(done)
			a.MovImm(S32, RAX, 0)
			a.Bind(out)
			a.Ret()
			a.Bind(eioL)
			a.MovImm(S64, RAX, -eio)
			a.Ret()
			a.Bind(nodev)
			a.MovImm(S64, RAX, -errNODEV)
			a.Ret()
		}
	}
	def(M, "disk_read", diskIO(sysPread))
	def(M, "disk_write", diskIO(sysPwrite))
	def(M, "disk_sync", func(a *Assembler) {
		nodev := enodev(a, stDiskFd, RDI)
		sys(a, sysFdatasync)
		a.Ret()
		a.Bind(nodev)
		a.MovImm(S64, RAX, -errNODEV)
		a.Ret()
	})

	return b.EmitReactorNatives(AppBase, appDesc, syms, image.Natives{
		ClockNow: image.NativeSym(M, "clock_now"),
		Random:   image.NativeSym(M, "random"),
		Exit:     image.NativeSym(M, "exit"),
		WriteAll: symWriteAll,
		Sleep: func(a *Assembler) {
			a.MovRR(S64, RAX, RDI)
			a.MovImm(S32, RDX, 0)
			a.MovImm(S32, RCX, 1_000_000_000)
			a.Div(S64, RCX)
			a.Store(S64, st(stTS2), RAX)
			a.Store(S64, st(stTS2+8), RDX)
			a.Lea(S64, RDI, st(stTS2))
			a.MovImm(S32, RSI, 0)
			sys(a, sysNanosleep)
		},
	})
}
