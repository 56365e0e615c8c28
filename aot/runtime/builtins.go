package runtime

import (
	"fmt"

	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/vm"
)

// Builtins is the machine code of the builtins of aot/vm, one
// position-independent blob without relocations: Offsets[b] is the offset of
// builtin b (vm.BuiltinMemoryGrow ...). It is what an executable writer
// embeds; the in-process runtime maps it once per process.
type Builtins struct {
	Code    []byte
	Offsets [vm.NumBuiltins]int
	// Relocs are the relocations the commit step of BuildBuiltinsWith
	// emitted (a call to a routine of the image); none for BuildBuiltins.
	Relocs []Reloc
}

// Linux system call numbers and mprotect flags used by memory.grow.
const (
	sysMprotect = 10
	protRW      = 3 // PROT_READ|PROT_WRITE
)

// BuildBuiltins assembles the builtins for Linux x86-64 (memory.grow uses the
// mprotect system call).
func BuildBuiltins() (*Builtins, error) {
	return BuildBuiltinsWith(func(a *Assembler) {
		a.MovImm(S32, RDX, protRW)
		a.MovImm(S32, RAX, sysMprotect)
		a.Syscall() // clobbers RCX, R11; RSI, R8, R9 survive
	})
}

// BuildBuiltinsWith assembles the builtins with commit as memory.grow's
// "commit pages" step: it is entered with RDI = the address of the first new
// byte and RSI = the number of new bytes (a multiple of 64 KiB, never 0),
// must leave RAX = 0 when the range is now accessible (read-write, zero)
// and anything else when it could not be, and may clobber RAX, RCX, RDX,
// RDI, R10 and R11 only.
func BuildBuiltinsWith(commit func(a *Assembler)) (*Builtins, error) {
	a := New()
	var b Builtins
	start := func(k int) { a.Align(16); b.Offsets[k] = a.Len() }
	// trap jumps to the trap function with EDI = kind; the vmctx is still in
	// RDI and nothing is pushed, so [RSP] is the builtin's return address.
	trap := func(l Label, kind vm.TrapKind) {
		a.Bind(l)
		a.MovRR(S64, RAX, RDI)
		a.MovImm(S32, RDI, int64(kind))
		a.JmpM(Ptr(RAX, vm.OffTrapFn))
	}
	// tableDesc loads table idx's *TableDesc: dst = [vmctx + [vmctx+OffLayoutTables] + 8*idx].
	tableDesc := func(dst, idx, tmp Reg) {
		a.Load(S64, tmp, Ptr(RDI, vm.OffLayoutTables))
		a.AluRR(ADD, S64, tmp, RDI)
		a.Load(S64, dst, PtrIdx(tmp, idx, 8, 0))
	}
	// segPair sets dst to the address of segment idx's (address, length)
	// pair; idx is clobbered.
	segPair := func(dst, idx Reg, layoutOff int32) {
		a.Load(S64, dst, Ptr(RDI, layoutOff))
		a.AluRR(ADD, S64, dst, RDI)
		a.ShiftImm(SHL, S64, idx, 4)
		a.AluRR(ADD, S64, dst, idx)
	}
	zext := func(rs ...Reg) {
		for _, r := range rs {
			a.MovRR(S32, r, r)
		}
	}

	// memory.grow(vmctx, delta) -> old pages or -1.
	start(vm.BuiltinMemoryGrow)
	{
		fail, done := a.NewLabel(), a.NewLabel()
		zext(RSI)
		a.Load(S64, R8, Ptr(RDI, vm.OffMemDesc))
		a.TestRR(S64, R8, R8)
		a.Jcc(CondE, fail)
		a.Load(S64, RAX, Ptr(R8, vm.MemDescSize))
		a.ShiftImm(SHR, S64, RAX, 16)
		a.Load(S64, RCX, Ptr(R8, vm.MemDescMaxPages))
		a.AluRR(SUB, S64, RCX, RAX)
		a.AluRR(CMP, S64, RSI, RCX)
		a.Jcc(CondA, fail)
		a.TestRR(S64, RSI, RSI)
		a.Jcc(CondE, done)
		a.MovRR(S64, R9, RAX)
		a.Load(S64, RDI, Ptr(R8, vm.MemDescBase))
		a.AluRM(ADD, S64, RDI, Ptr(R8, vm.MemDescSize))
		a.ShiftImm(SHL, S64, RSI, 16)
		commit(a)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondNE, fail)
		a.AluMR(ADD, S64, Ptr(R8, vm.MemDescSize), RSI)
		a.MovRR(S64, RAX, R9)
		a.Bind(done)
		a.Ret()
		a.Bind(fail)
		a.MovImm(S32, RAX, -1)
		a.Ret()
	}

	// memory.fill(vmctx, dst, value, n)
	start(vm.BuiltinMemoryFill)
	{
		oob := a.NewLabel()
		zext(RSI, RCX)
		a.Load(S64, R8, Ptr(RDI, vm.OffMemDesc))
		a.Lea(S64, RAX, PtrIdx(RSI, RCX, 1, 0))
		a.AluRM(CMP, S64, RAX, Ptr(R8, vm.MemDescSize))
		a.Jcc(CondA, oob)
		a.Load(S64, RDI, Ptr(R8, vm.MemDescBase))
		a.AluRR(ADD, S64, RDI, RSI)
		a.MovRR(S32, RAX, RDX)
		a.RepStosb()
		a.Ret()
		trap(oob, vm.TrapMemoryOutOfBounds)
	}

	// memory.copy(vmctx, dst, src, n): memmove semantics.
	start(vm.BuiltinMemoryCopy)
	{
		oob, fwd := a.NewLabel(), a.NewLabel()
		zext(RSI, RDX, RCX)
		a.Load(S64, R8, Ptr(RDI, vm.OffMemDesc))
		a.Load(S64, R9, Ptr(R8, vm.MemDescSize))
		a.Lea(S64, RAX, PtrIdx(RSI, RCX, 1, 0))
		a.AluRR(CMP, S64, RAX, R9)
		a.Jcc(CondA, oob)
		a.Lea(S64, RAX, PtrIdx(RDX, RCX, 1, 0))
		a.AluRR(CMP, S64, RAX, R9)
		a.Jcc(CondA, oob)
		a.Load(S64, RAX, Ptr(R8, vm.MemDescBase))
		a.Lea(S64, RDI, PtrIdx(RAX, RSI, 1, 0))
		a.Lea(S64, RSI, PtrIdx(RAX, RDX, 1, 0))
		emitMove(a, fwd, 1)
		trap(oob, vm.TrapMemoryOutOfBounds)
	}

	// memory.init(vmctx, segment, dst, src, n)
	start(vm.BuiltinMemoryInit)
	{
		oob := a.NewLabel()
		zext(RSI, RDX, RCX, R8)
		segPair(RAX, RSI, vm.OffLayoutDatas)
		a.Load(S64, R9, Ptr(RAX, 8))
		a.Load(S64, R10, Ptr(RAX, 0))
		a.Lea(S64, R11, PtrIdx(RCX, R8, 1, 0))
		a.AluRR(CMP, S64, R11, R9)
		a.Jcc(CondA, oob)
		a.Load(S64, R9, Ptr(RDI, vm.OffMemDesc))
		a.Lea(S64, R11, PtrIdx(RDX, R8, 1, 0))
		a.AluRM(CMP, S64, R11, Ptr(R9, vm.MemDescSize))
		a.Jcc(CondA, oob)
		a.Lea(S64, RSI, PtrIdx(R10, RCX, 1, 0))
		a.Load(S64, RDI, Ptr(R9, vm.MemDescBase))
		a.AluRR(ADD, S64, RDI, RDX)
		a.MovRR(S64, RCX, R8)
		a.RepMovsb()
		a.Ret()
		trap(oob, vm.TrapMemoryOutOfBounds)
	}

	// data.drop(vmctx, segment) and elem.drop(vmctx, segment)
	for _, d := range []struct {
		b   int
		off int32
	}{{vm.BuiltinDataDrop, vm.OffLayoutDatas}, {vm.BuiltinElemDrop, vm.OffLayoutElems}} {
		start(d.b)
		zext(RSI)
		segPair(RAX, RSI, d.off)
		a.StoreImm(S64, Ptr(RAX, 8), 0)
		a.Ret()
	}

	// table.grow(vmctx, table, delta, init) -> old length or -1
	start(vm.BuiltinTableGrow)
	{
		fail := a.NewLabel()
		zext(RSI, RDX)
		tableDesc(R8, RSI, RAX)
		a.Load(S64, RAX, Ptr(R8, vm.TableDescLen))
		a.Load(S64, R9, Ptr(R8, vm.TableDescMax))
		a.AluRR(SUB, S64, R9, RAX)
		a.AluRR(CMP, S64, RDX, R9)
		a.Jcc(CondA, fail)
		a.MovRR(S64, R10, RAX)
		a.Load(S64, R11, Ptr(R8, vm.TableDescBase))
		a.Lea(S64, RDI, PtrIdx(R11, RAX, 8, 0))
		a.MovRR(S64, RAX, RCX)
		a.MovRR(S64, RCX, RDX)
		a.RepStosq()
		a.AluMR(ADD, S64, Ptr(R8, vm.TableDescLen), RDX)
		a.MovRR(S64, RAX, R10)
		a.Ret()
		a.Bind(fail)
		a.MovImm(S32, RAX, -1)
		a.Ret()
	}

	// table.fill(vmctx, table, dst, value, n)
	start(vm.BuiltinTableFill)
	{
		oob := a.NewLabel()
		zext(RSI, RDX, R8)
		tableDesc(R9, RSI, RAX)
		a.Lea(S64, RAX, PtrIdx(RDX, R8, 1, 0))
		a.AluRM(CMP, S64, RAX, Ptr(R9, vm.TableDescLen))
		a.Jcc(CondA, oob)
		a.Load(S64, R10, Ptr(R9, vm.TableDescBase))
		a.Lea(S64, RDI, PtrIdx(R10, RDX, 8, 0))
		a.MovRR(S64, RAX, RCX)
		a.MovRR(S64, RCX, R8)
		a.RepStosq()
		a.Ret()
		trap(oob, vm.TrapTableOutOfBounds)
	}

	// table.copy(vmctx, dstTable, srcTable, dst, src, n)
	start(vm.BuiltinTableCopy)
	{
		oob, fwd := a.NewLabel(), a.NewLabel()
		zext(RSI, RDX, RCX, R8, R9)
		a.Load(S64, RAX, Ptr(RDI, vm.OffLayoutTables))
		a.AluRR(ADD, S64, RAX, RDI)
		a.Load(S64, R10, PtrIdx(RAX, RSI, 8, 0))
		a.Load(S64, R11, PtrIdx(RAX, RDX, 8, 0))
		a.Lea(S64, RAX, PtrIdx(RCX, R9, 1, 0))
		a.AluRM(CMP, S64, RAX, Ptr(R10, vm.TableDescLen))
		a.Jcc(CondA, oob)
		a.Lea(S64, RAX, PtrIdx(R8, R9, 1, 0))
		a.AluRM(CMP, S64, RAX, Ptr(R11, vm.TableDescLen))
		a.Jcc(CondA, oob)
		a.Load(S64, RAX, Ptr(R10, vm.TableDescBase))
		a.Lea(S64, RDI, PtrIdx(RAX, RCX, 8, 0))
		a.Load(S64, RAX, Ptr(R11, vm.TableDescBase))
		a.Lea(S64, RSI, PtrIdx(RAX, R8, 8, 0))
		a.MovRR(S64, RCX, R9)
		emitMove(a, fwd, 8)
		trap(oob, vm.TrapTableOutOfBounds)
	}

	// table.init(vmctx, table, segment, dst, src, n)
	start(vm.BuiltinTableInit)
	{
		oob := a.NewLabel()
		zext(RSI, RDX, RCX, R8, R9)
		tableDesc(R10, RSI, RAX)
		segPair(RAX, RDX, vm.OffLayoutElems)
		a.Load(S64, RSI, Ptr(RAX, 8))
		a.Load(S64, R11, Ptr(RAX, 0))
		a.Lea(S64, RAX, PtrIdx(R8, R9, 1, 0))
		a.AluRR(CMP, S64, RAX, RSI)
		a.Jcc(CondA, oob)
		a.Lea(S64, RAX, PtrIdx(RCX, R9, 1, 0))
		a.AluRM(CMP, S64, RAX, Ptr(R10, vm.TableDescLen))
		a.Jcc(CondA, oob)
		a.Lea(S64, RSI, PtrIdx(R11, R8, 8, 0))
		a.Load(S64, RAX, Ptr(R10, vm.TableDescBase))
		a.Lea(S64, RDI, PtrIdx(RAX, RCX, 8, 0))
		a.MovRR(S64, RCX, R9)
		a.RepMovsq()
		a.Ret()
		trap(oob, vm.TrapTableOutOfBounds)
	}

	code, err := a.Finish()
	if err != nil {
		return nil, fmt.Errorf("runtime: assembling builtins: %w", err)
	}
	b.Code = code
	b.Relocs = a.Relocs()
	return &b, nil
}

// emitMove copies RCX units of size unit (1 or 8) from RSI to RDI with
// memmove semantics and returns: forward unless the destination starts inside
// the source, then backward with the direction flag set (and cleared again).
func emitMove(a *Assembler, fwd Label, unit uint8) {
	a.AluRR(CMP, S64, RDI, RSI)
	a.Jcc(CondBE, fwd)
	a.Lea(S64, RAX, PtrIdx(RSI, RCX, unit, 0))
	a.AluRR(CMP, S64, RDI, RAX)
	a.Jcc(CondAE, fwd)
	a.Lea(S64, RSI, PtrIdx(RSI, RCX, unit, -int32(unit)))
	a.Lea(S64, RDI, PtrIdx(RDI, RCX, unit, -int32(unit)))
	a.Std()
	if unit == 1 {
		a.RepMovsb()
	} else {
		a.RepMovsq()
	}
	a.Cld()
	a.Ret()
	a.Bind(fwd)
	if unit == 1 {
		a.RepMovsb()
	} else {
		a.RepMovsq()
	}
	a.Ret()
}
