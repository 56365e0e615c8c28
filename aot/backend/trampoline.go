package backend

import (
	"fmt"

	"github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/aot/vm"
)

// Trampoline returns the entry trampoline for functions of signature sig:
//
//	entry(vmctx, code uintptr, slots *uint64) uint64
//
// called with the System V convention. It pushes RBP, RBX, R12, R13, R14,
// R15, the slots pointer and the previous [vmctx+OffEntrySP], stores RSP to
// [vmctx+OffEntrySP] (the layout at that address is vm.EntryFrame*), loads
// R15 = vmctx and R14 = [vmctx+OffMemBase], passes slots[0..n) as the
// parameters (one 8-byte slot each), calls code, writes the results to
// slots[0..m) (i32 and f32 zero-extended to 64 bits), restores
// [vmctx+OffEntrySP] and the registers and returns 0. A trap returns 1
// through the trap function instead (see aot/vm).
func Trampoline(sig ir.Signature, listing bool) (code []byte, lines []amd64.Line, err error) {
	for _, t := range append(append([]ir.Type{}, sig.Params...), sig.Results...) {
		if t == ir.V128 || t == ir.InvalidType {
			return nil, nil, fmt.Errorf("backend: trampoline for %v: type %v is not supported", sig, t)
		}
	}
	a := amd64.New()
	if listing {
		a.EnableListing()
	}
	pl, nStack := assign(sig.Params)
	rl, nArea := assignResults(sig.Results)
	a.Push(amd64.RBP)
	a.MovRR(amd64.S64, amd64.RBP, amd64.RSP)
	for _, r := range []amd64.Reg{amd64.RBX, amd64.R12, amd64.R13, amd64.R14, amd64.R15, amd64.RDX} {
		a.Push(r)
	}
	a.Load(amd64.S64, amd64.RAX, amd64.Ptr(amd64.RDI, vm.OffEntrySP))
	a.Push(amd64.RAX)
	a.Store(amd64.S64, amd64.Ptr(amd64.RDI, vm.OffEntrySP), amd64.RSP)
	a.MovRR(amd64.S64, amd64.R15, amd64.RDI)
	a.Load(amd64.S64, amd64.R14, amd64.Ptr(amd64.R15, vm.OffMemBase))
	a.MovRR(amd64.S64, amd64.RAX, amd64.RSI)
	a.MovRR(amd64.S64, amd64.R11, amd64.RDX)
	// 7 pushes after RBP: RSP = 8 mod 16 here.
	n := int32(8 * (nStack + nArea))
	if (56+n)%16 != 0 {
		n += 8
	}
	a.AluRI(amd64.SUB, amd64.S64, amd64.RSP, int64(n))
	for i, l := range pl {
		if l.stack >= 0 {
			a.Load(amd64.S64, amd64.RCX, amd64.Ptr(amd64.R11, int32(8*i)))
			a.Store(amd64.S64, amd64.Ptr(amd64.RSP, int32(8*l.stack)), amd64.RCX)
		}
	}
	for i, l := range pl {
		switch {
		case l.stack >= 0:
		case l.float:
			a.FLoad(amd64.S64, l.xreg, amd64.Ptr(amd64.R11, int32(8*i)))
		default:
			a.Load(amd64.S64, l.reg, amd64.Ptr(amd64.R11, int32(8*i)))
		}
	}
	a.CallR(amd64.RAX)
	a.Load(amd64.S64, amd64.R11, amd64.Ptr(amd64.RBP, -48))
	for i, l := range rl {
		t := sig.Results[i]
		slot := amd64.Ptr(amd64.R11, int32(8*i))
		switch {
		case l.stack >= 0:
			a.Load(intSize(t), amd64.RCX, amd64.Ptr(amd64.RSP, int32(8*(nStack+l.stack))))
			a.Store(amd64.S64, slot, amd64.RCX)
		case l.float:
			a.MovFromX(intSize(t), amd64.RCX, l.xreg)
			a.Store(amd64.S64, slot, amd64.RCX)
		default:
			if t == ir.I32 {
				a.MovRR(amd64.S32, l.reg, l.reg)
			}
			a.Store(amd64.S64, slot, l.reg)
		}
	}
	a.Lea(amd64.S64, amd64.RSP, amd64.Ptr(amd64.RBP, -56))
	a.Pop(amd64.RAX)
	a.Store(amd64.S64, amd64.Ptr(amd64.R15, vm.OffEntrySP), amd64.RAX)
	a.Pop(amd64.RDX)
	for _, r := range []amd64.Reg{amd64.R15, amd64.R14, amd64.R13, amd64.R12, amd64.RBX, amd64.RBP} {
		a.Pop(r)
	}
	a.AluRR(amd64.XOR, amd64.S32, amd64.RAX, amd64.RAX)
	a.Ret()
	code, err = a.Finish()
	if err != nil {
		return nil, nil, err
	}
	return append([]byte(nil), code...), a.Listing(), nil
}
