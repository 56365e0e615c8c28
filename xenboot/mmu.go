package xenboot

import (
	. "github.com/mwasm/mwasm/aot/amd64"
)

// commitHook is memory.grow's "commit pages" step (runtime.BuildBuiltinsWith):
// RDI = the first new byte, RSI = the length; RAX = 0 when committed.
// xen!commit keeps RSI, R8 and R9 as the builtin needs.
func commitHook(a *Assembler) { a.CallSym(symCommit) }

// emitMMU assembles the frame allocator and the page-table routines.
//
// Frames come from one range of RAM above the image (and above what Xen put
// after it: start info, command line, memory map), found at start-up in the
// memory map, below 4 GiB so that the identity map reaches every frame. A
// frame given back (none today) goes on a list threaded through the frames.
// Every frame handed out is zeroed.
func (b *builder) emitMMU() {
	// alloc_frame() -> RAX = physical address of a zeroed frame, or 0.
	// Preserves every other register.
	b.Fn(symAlloc, false, func(a *Assembler) {
		fresh, got, none, out := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Push(RCX)
		a.Push(RDI)
		a.Push(RDX)
		a.Load(S64, RAX, st(xsFreeList))
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondE, fresh)
		a.Load(S64, RCX, Ptr(RAX, 0))
		a.Store(S64, st(xsFreeList), RCX)
		a.Jmp(got)
		a.Bind(fresh)
		a.Load(S64, RAX, st(xsFreeNext))
		a.AluRM(CMP, S64, RAX, st(xsFreeEnd))
		a.Jcc(CondAE, none)
		a.Lea(S64, RCX, Ptr(RAX, pageSize))
		a.Store(S64, st(xsFreeNext), RCX)
		a.Bind(got)
		a.AluMI(SUB, S64, st(xsFreeCount), 1)
		a.MovRR(S64, RDX, RAX)
		a.MovRR(S64, RDI, RAX)
		a.MovImm(S32, RAX, 0)
		a.MovImm(S32, RCX, pageSize/8)
		a.RepStosq()
		a.MovRR(S64, RAX, RDX)
		a.Jmp(out)
		a.Bind(none)
		a.MovImm(S32, RAX, 0)
		a.Bind(out)
		a.Pop(RDX)
		a.Pop(RDI)
		a.Pop(RCX)
		a.Ret()
	})
	// walk(create): RDI = va -> RAX = address of va's PTE (allocating the
	// tables on the way when create), or 0. Preserves every other register.
	walk := func(create bool) func(a *Assembler) {
		return func(a *Assembler) {
			fail, out := a.NewLabel(), a.NewLabel()
			a.Push(RBX)
			a.Push(RCX)
			a.Push(RDX)
			a.Lea(S64, RBX, SymRef(symPML4, 0))
			for _, shift := range []uint8{39, 30, 21} {
				present, next := a.NewLabel(), a.NewLabel()
				a.MovRR(S64, RCX, RDI)
				a.ShiftImm(SHR, S64, RCX, shift)
				a.AluRI(AND, S32, RCX, 511)
				a.Load(S64, RDX, PtrIdx(RBX, RCX, 8, 0))
				a.TestRI(S32, RDX, pteP)
				a.Jcc(CondNE, present)
				if !create {
					a.Jmp(fail)
				} else {
					a.CallSym(symAlloc)
					a.TestRR(S64, RAX, RAX)
					a.Jcc(CondE, fail)
					a.Lea(S64, RDX, Ptr(RAX, pteTab))
					a.Store(S64, PtrIdx(RBX, RCX, 8, 0), RDX)
				}
				a.Bind(present)
				a.TestRI(S32, RDX, ptePS)
				a.Jcc(CondNE, fail) // a large page: not ours to split here
				a.Bind(next)
				a.MovAbs(RAX, pteAddr)
				a.AluRR(AND, S64, RDX, RAX)
				a.MovRR(S64, RBX, RDX)
			}
			a.MovRR(S64, RCX, RDI)
			a.ShiftImm(SHR, S64, RCX, 12)
			a.AluRI(AND, S32, RCX, 511)
			a.Lea(S64, RAX, PtrIdx(RBX, RCX, 8, 0))
			a.Jmp(out)
			a.Bind(fail)
			a.MovImm(S32, RAX, 0)
			a.Bind(out)
			a.Pop(RDX)
			a.Pop(RCX)
			a.Pop(RBX)
			a.Ret()
		}
	}
	b.Fn(symPTE, false, walk(false))
	b.Fn("xen!pte_make", true, walk(true))
	// map_page(va RDI, pte RSI) -> RAX 0, or 1 when a table could not be
	// allocated. Preserves every other register.
	b.Fn(symMapPage, false, func(a *Assembler) {
		fail := a.NewLabel()
		a.CallSym("xen!pte_make")
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondE, fail)
		a.Store(S64, Ptr(RAX, 0), RSI)
		a.Invlpg(Ptr(RDI, 0))
		a.MovImm(S32, RAX, 0)
		a.Ret()
		a.Bind(fail)
		a.MovImm(S32, RAX, 1)
		a.Ret()
	})
	// commit(va RDI, len RSI) -> RAX 0, or 1 when the frames would not
	// suffice (checked first, tables included, so that a failure maps
	// nothing and the pages past the memory's size stay guard pages).
	// Preserves every register but RAX (and the flags).
	b.Fn(symCommit, false, func(a *Assembler) {
		loop, done, short := a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Push(RBX)
		a.Push(R12)
		a.Push(RSI)
		a.Push(RDI)
		a.Push(RCX)
		a.Push(RDX)
		// frames needed: one per page, one table per 2 MiB, 3 more tables.
		a.MovRR(S64, RAX, RSI)
		a.ShiftImm(SHR, S64, RAX, 12)
		a.MovRR(S64, RCX, RSI)
		a.ShiftImm(SHR, S64, RCX, 21)
		a.AluRR(ADD, S64, RAX, RCX)
		a.AluRI(ADD, S64, RAX, 4)
		a.AluRM(CMP, S64, RAX, st(xsFreeCount))
		a.Jcc(CondA, short)
		a.MovRR(S64, RBX, RDI)
		a.Lea(S64, R12, PtrIdx(RDI, RSI, 1, 0))
		a.Bind(loop)
		a.AluRR(CMP, S64, RBX, R12)
		a.Jcc(CondAE, done)
		a.CallSym(symAlloc)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondE, short)
		a.MovAbs(RSI, uint64(pteData))
		a.AluRR(OR, S64, RSI, RAX)
		a.MovRR(S64, RDI, RBX)
		a.CallSym(symMapPage)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondNE, short)
		a.AluRI(ADD, S64, RBX, pageSize)
		a.Jmp(loop)
		a.Bind(done)
		a.MovImm(S32, RAX, 0)
		pop := func() {
			a.Pop(RDX)
			a.Pop(RCX)
			a.Pop(RDI)
			a.Pop(RSI)
			a.Pop(R12)
			a.Pop(RBX)
			a.Ret()
		}
		pop()
		a.Bind(short)
		a.MovImm(S32, RAX, 1)
		pop()
	})
}
