package xenboot

import (
	"fmt"

	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/shim/reactor"
	"github.com/mwasm/mwasm/wasmc"
)

// Native is one primitive the Xen shim imports from module "mwasm", with
// the Wasm convention of aot/vm (R15 = the shim's vmctx, R14 = the shim's
// memory base; "ptr" is an offset in shim memory). The table Natives is the
// whole contract: Build checks the shim's imports against it, and the
// shim's //go:wasmimport declarations (shim/xen) are tested against it.
type Native struct {
	Name    string
	Params  []wasmc.ValType
	Results []wasmc.ValType
	Doc     string
	emit    func(b *builder, a *Assembler)
}

var (
	i32 = wasmc.ValType(wasmc.I32)
	i64 = wasmc.ValType(wasmc.I64)
)

// Natives is the native contract of the Xen shim (besides reactor.Natives,
// which the planner provides).
var Natives = []Native{
	{Name: "hypercall", Params: []wasmc.ValType{i32, i64, i64, i64, i64, i64}, Results: []wasmc.ValType{i64},
		Doc: "hypercall(op, a1..a5) -> result: hypercall op (below 128) through the hypercall page; pointer arguments are guest virtual addresses (virt)", emit: (*builder).nativeHypercall},
	{Name: "virt", Params: []wasmc.ValType{i32}, Results: []wasmc.ValType{i64},
		Doc: "virt(ptr) -> the guest virtual address of shim memory at ptr", emit: (*builder).nativeVirt},
	{Name: "pfn", Params: []wasmc.ValType{i32}, Results: []wasmc.ValType{i64},
		Doc: "pfn(ptr) -> the guest frame number of the shim page holding ptr, or -1 outside shim memory", emit: (*builder).nativePFN},
	{Name: "map_frame", Params: []wasmc.ValType{i32, i64}, Results: []wasmc.ValType{i32},
		Doc: "map_frame(ptr, gfn) -> 0 or -22: the page-aligned shim page at ptr shows frame gfn from now on (its own frame is dropped)", emit: (*builder).nativeMapFrame},
	{Name: "fence", Doc: "fence(): a full memory barrier (mfence) between shim memory accesses and another domain's", emit: (*builder).nativeFence},
	{Name: "wait", Params: []wasmc.ValType{i64, i32, i32}, Results: []wasmc.ValType{i32},
		Doc: "wait(deadline, ports ptr, max) -> n: block the vCPU until an unmasked event channel is pending or system time reaches deadline (-1: none); take up to max pending ports (u32 each, the timer's excluded) and return how many", emit: (*builder).nativeWait},
	{Name: "clock_now", Params: []wasmc.ValType{i32}, Results: []wasmc.ValType{i64},
		Doc: "clock_now(clock) -> ns: 0 the wall clock (since 1970), 1 Xen system time (monotonic)", emit: (*builder).nativeClockNow},
	{Name: "clock_res", Params: []wasmc.ValType{i32}, Results: []wasmc.ValType{i64},
		Doc: "clock_res(clock) -> 1 (ns)", emit: func(b *builder, a *Assembler) { a.MovImm(S32, RAX, 1); a.Ret() }},
	{Name: "random", Params: []wasmc.ValType{i32, i32}, Results: []wasmc.ValType{i32},
		Doc: "random(ptr, len) -> 0, -38 (ENOSYS: no RDRAND) or -5 (EIO: RDRAND kept failing)", emit: (*builder).nativeRandom},
	{Name: "console_write", Params: []wasmc.ValType{i32, i32}, Results: []wasmc.ValType{i32},
		Doc: "console_write(ptr, len) -> 0: the early console (straight into the PV console ring, waiting for room), for messages written when the shim's own console cannot be used", emit: (*builder).nativeConsoleWrite},
	{Name: "exit", Params: []wasmc.ValType{i32},
		Doc: "exit(code): print \"mwasm: exit status N\" on the console, flush it, power the domain off; does not return", emit: (*builder).nativeExit},
	{Name: "shutdown", Params: []wasmc.ValType{i32},
		Doc: "shutdown(reason): flush the console and shut the domain down with SHUTDOWN_reason (0 poweroff, 1 reboot, 3 crash); does not return", emit: func(b *builder, a *Assembler) { a.JmpSym(symShutdown) }},
}

// emitNatives assembles Natives, then the planner's common natives and
// runtime stubs; it returns every native's symbol by "module.name".
func (b *builder) emitNatives() map[string]string {
	syms := map[string]string{}
	for _, n := range Natives {
		s := image.NativeSym(reactor.NativeModule, n.Name)
		syms[reactor.NativeModule+"."+n.Name] = s
		emit := n.emit
		b.Fn(s, false, func(a *Assembler) { emit(b, a) })
	}
	return b.EmitReactorNatives(AppBase, "app.memdesc", syms, image.Natives{
		ClockNow: image.NativeSym(reactor.NativeModule, "clock_now"),
		Random:   image.NativeSym(reactor.NativeModule, "random"),
		Exit:     image.NativeSym(reactor.NativeModule, "exit"),
		WriteAll: "xen!write_all",
		Sleep: func(a *Assembler) {
			a.Push(RDI)
			a.Push(RDI)
			a.CallSym(symMonotonic)
			a.Pop(RDI)
			a.Pop(RDI)
			a.AluRR(ADD, S64, RDI, RAX)
			a.CallSym(symSleep)
		},
	})
}

// checkNatives refuses a shim whose imports from module "mwasm" differ from
// Natives and reactor.Natives in name or type.
func checkNatives(sm *wasmc.Module) error {
	want := map[string]wasmc.FuncType{}
	for _, n := range Natives {
		want[n.Name] = wasmc.FuncType{Params: n.Params, Results: n.Results}
	}
	for _, n := range reactor.Natives {
		ft := wasmc.FuncType{}
		for _, t := range n.Params {
			ft.Params = append(ft.Params, wasmc.ValType(t))
		}
		for _, t := range n.Results {
			ft.Results = append(ft.Results, wasmc.ValType(t))
		}
		want[n.Name] = ft
	}
	for _, im := range sm.Imports {
		if im.Kind != wasmc.KindFunc || im.Module != reactor.NativeModule {
			continue
		}
		ft, ok := want[im.Name]
		if !ok {
			return fmt.Errorf("the shim imports %s.%s, which the Xen boot layer does not provide (shim and mwasm are out of step: rebuild both from one checkout)", im.Module, im.Name)
		}
		if image.SigKey(ft) != image.SigKey(sm.Types[im.Type]) {
			return fmt.Errorf("the shim imports %s.%s as %v, but the Xen boot layer provides %v (shim and mwasm are out of step)", im.Module, im.Name, sm.Types[im.Type], ft)
		}
	}
	return nil
}

func zext(a *Assembler, rs ...Reg) {
	for _, r := range rs {
		a.MovRR(S32, r, r)
	}
}

func (b *builder) nativeHypercall(a *Assembler) {
	bad := a.NewLabel()
	zext(a, RDI)
	a.AluRI(CMP, S32, RDI, 127)
	a.Jcc(CondA, bad)
	a.ShiftImm(SHL, S32, RDI, 5)
	a.Lea(S64, RAX, SymRef(symHcPage, 0))
	a.AluRR(ADD, S64, RAX, RDI)
	a.MovRR(S64, RDI, RSI)
	a.MovRR(S64, RSI, RDX)
	a.MovRR(S64, RDX, RCX)
	a.MovRR(S64, R10, R8)
	a.MovRR(S64, R8, R9)
	a.CallR(RAX)
	a.Ret()
	a.Bind(bad)
	a.MovImm(S64, RAX, -38) // -ENOSYS
	a.Ret()
}

func (b *builder) nativeVirt(a *Assembler) {
	zext(a, RDI)
	a.Lea(S64, RAX, PtrIdx(R14, RDI, 1, 0))
	a.Ret()
}

// shimPTE emits: RDI = shim offset (zero-extended) -> RAX = its PTE's
// address, jumping to bad when it lies outside shim memory or is unmapped.
func shimPTE(a *Assembler, bad Label) {
	zext(a, RDI)
	a.AluRM(CMP, S64, RDI, SymRef("shim.memdesc", vm.MemDescSize))
	a.Jcc(CondAE, bad)
	a.AluRR(ADD, S64, RDI, R14)
	a.CallSym(symPTE)
	a.TestRR(S64, RAX, RAX)
	a.Jcc(CondE, bad)
}

func (b *builder) nativePFN(a *Assembler) {
	bad := a.NewLabel()
	shimPTE(a, bad)
	a.Load(S64, RAX, Ptr(RAX, 0))
	a.TestRI(S32, RAX, pteP)
	a.Jcc(CondE, bad)
	a.MovAbs(RCX, pteAddr)
	a.AluRR(AND, S64, RAX, RCX)
	a.ShiftImm(SHR, S64, RAX, 12)
	a.Ret()
	a.Bind(bad)
	a.MovImm(S64, RAX, -1)
	a.Ret()
}

func (b *builder) nativeMapFrame(a *Assembler) {
	bad := a.NewLabel()
	a.TestRI(S32, RDI, pageSize-1)
	a.Jcc(CondNE, bad)
	shimPTE(a, bad)
	a.ShiftImm(SHL, S64, RSI, 12)
	a.MovAbs(RCX, pteAddr)
	a.AluRR(AND, S64, RSI, RCX)
	a.MovAbs(RCX, uint64(pteData))
	a.AluRR(OR, S64, RSI, RCX)
	a.Store(S64, Ptr(RAX, 0), RSI)
	a.Invlpg(Ptr(RDI, 0))
	a.MovImm(S32, RAX, 0)
	a.Ret()
	a.Bind(bad)
	a.MovImm(S64, RAX, -22) // -EINVAL
	a.Ret()
}

func (b *builder) nativeFence(a *Assembler) {
	a.Mfence()
	a.Ret()
}

// nativeWait: see Natives. Wasm code runs with interrupts disabled; they are
// enabled only for `sti; hlt`, which cannot lose a wake-up (sti takes
// effect after hlt has begun), and the upcall handler only clears
// evtchn_upcall_pending, so an event that arrives while the bits are being
// scanned raises the upcall again at the hlt.
func (b *builder) nativeWait(a *Assembler) {
	loop, words, bits, next, skip, full, noDL, done := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Push(RBX)
	a.Push(R12)
	a.Push(R13)
	a.Push(RBP)
	a.Push(R15)
	a.Push(R15)
	a.MovRR(S64, RBX, RDI) // deadline
	zext(a, RSI, RDX)
	a.Lea(S64, R12, PtrIdx(R14, RSI, 1, 0)) // ports
	a.MovRR(S32, R13, RDX)                  // max
	a.AluRI(CMP, S64, RBX, -1)
	a.Jcc(CondE, loop)
	a.MovRR(S64, RDI, RBX)
	a.TestRR(S64, RDI, RDI)
	a.Jcc(CondNE, noDL)
	a.MovImm(S32, RDI, 1) // 0 would cancel the timer
	a.Bind(noDL)
	hc(a, hcSetTimerOp)
	a.Bind(loop)
	a.Cli()
	a.StoreImm(S8, SymRef(symShared, siUpcallPending), 0)
	a.MovImm(S32, RAX, 0)
	a.XchgRM(S64, RAX, SymRef(symShared, siPendingSel))
	a.MovImm(S32, RBP, 0) // ports taken
	a.MovImm(S32, R15, 0) // word index
	a.Lea(S64, R9, SymRef(symShared, 0))
	a.Bind(words)
	a.Load(S64, RAX, PtrIdx(R9, R15, 8, siMask))
	a.Not(S64, RAX)
	a.AluRM(AND, S64, RAX, PtrIdx(R9, R15, 8, siPending))
	a.Bind(bits)
	a.TestRR(S64, RAX, RAX)
	a.Jcc(CondE, next)
	a.Bsf(S64, RCX, RAX)
	a.Lea(S64, RDX, PtrIdx(R9, R15, 8, siPending))
	a.LockBtr(Ptr(RDX, 0), RCX)
	a.Lea(S64, RDX, Ptr(RAX, -1))
	a.AluRR(AND, S64, RAX, RDX) // drop the lowest bit
	a.MovRR(S32, RDX, R15)
	a.ShiftImm(SHL, S32, RDX, 6)
	a.AluRR(ADD, S32, RDX, RCX) // port
	a.AluRM(CMP, S32, RDX, st(xsTimerPort))
	a.Jcc(CondE, skip)
	a.AluRR(CMP, S32, RBP, R13)
	a.Jcc(CondAE, full)
	a.Store(S32, PtrIdx(R12, RBP, 4, 0), RDX)
	a.AluRI(ADD, S32, RBP, 1)
	a.Bind(skip)
	a.Jmp(bits)
	a.Bind(full)
	// No room: put the bit back for the next wait.
	a.Lea(S64, RDX, PtrIdx(R9, R15, 8, siPending))
	a.LockBts(Ptr(RDX, 0), RCX)
	a.Jmp(bits)
	a.Bind(next)
	a.AluRI(ADD, S32, R15, 1)
	a.AluRI(CMP, S32, R15, evtchnWords)
	a.Jcc(CondB, words)
	a.TestRR(S32, RBP, RBP)
	a.Jcc(CondNE, done)
	blockL := a.NewLabel()
	a.AluRI(CMP, S64, RBX, -1)
	a.Jcc(CondE, blockL)
	a.CallSym(symMonotonic)
	a.AluRR(CMP, S64, RAX, RBX)
	a.Jcc(CondAE, done)
	a.Bind(blockL)
	a.Sti()
	a.Hlt()
	a.Cli()
	a.Jmp(loop)
	a.Bind(done)
	a.MovRR(S32, RAX, RBP)
	a.Pop(R15)
	a.Pop(R15)
	a.Pop(RBP)
	a.Pop(R13)
	a.Pop(R12)
	a.Pop(RBX)
	a.Ret()
}

func (b *builder) nativeClockNow(a *Assembler) {
	a.TestRR(S32, RDI, RDI)
	wall := a.NewLabel()
	a.Jcc(CondE, wall)
	a.JmpSym(symMonotonic)
	a.Bind(wall)
	a.JmpSym(symWallclock)
}

func (b *builder) nativeRandom(a *Assembler) {
	loop, tail, tailLoop, done, retry, got, nosys, eio := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
	zext(a, RDI, RSI)
	a.AluMI(CMP, S32, st(xsHasRdrand), 0)
	a.Jcc(CondE, nosys)
	a.AluRR(ADD, S64, RDI, R14)
	a.Bind(loop)
	a.TestRR(S64, RSI, RSI)
	a.Jcc(CondE, done)
	a.MovImm(S32, RCX, 10) // tries per word, as Intel advises
	a.Bind(retry)
	a.Rdrand(RAX)
	a.Jcc(CondB, got) // CF set: a number
	a.AluRI(SUB, S32, RCX, 1)
	a.Jcc(CondNE, retry)
	a.Jmp(eio)
	a.Bind(got)
	a.AluRI(CMP, S64, RSI, 8)
	a.Jcc(CondB, tail)
	a.Store(S64, Ptr(RDI, 0), RAX)
	a.AluRI(ADD, S64, RDI, 8)
	a.AluRI(SUB, S64, RSI, 8)
	a.Jmp(loop)
	a.Bind(tail)
	a.Bind(tailLoop)
	a.Store(S8, Ptr(RDI, 0), RAX)
	a.ShiftImm(SHR, S64, RAX, 8)
	a.AluRI(ADD, S64, RDI, 1)
	a.AluRI(SUB, S64, RSI, 1)
	a.Jcc(CondNE, tailLoop)
	a.Bind(done)
	a.MovImm(S32, RAX, 0)
	a.Ret()
	a.Bind(nosys)
	a.MovImm(S64, RAX, -38)
	a.Ret()
	a.Bind(eio)
	a.MovImm(S64, RAX, -5)
	a.Ret()
}

func (b *builder) nativeConsoleWrite(a *Assembler) {
	zext(a, RDI, RSI)
	a.MovRR(S64, RDX, RSI)
	a.Lea(S64, RSI, PtrIdx(R14, RDI, 1, 0))
	a.CallSym(symConsWrite)
	a.MovImm(S32, RAX, 0)
	a.Ret()
}

func (b *builder) nativeExit(a *Assembler) {
	zext(a, RDI)
	a.Push(RDI)
	a.Push(RDI)
	b.Puts(a, "mwasm: exit status ")
	a.Load(S64, RDI, Ptr(RSP, 0))
	a.CallSym(image.SymPutDec)
	b.Puts(a, "\n")
	a.MovImm(S32, RDI, shutdownPoweroff)
	a.JmpSym(symShutdown)
}
