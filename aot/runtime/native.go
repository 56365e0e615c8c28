package runtime

import (
	"fmt"
	"sync"
	"unsafe"

	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/internal/nativecall"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
	"golang.org/x/sys/unix"
)

// Offsets in the process-wide state block (the enter stub and the trap
// function hard-code them; every vmctx's OffScratch points at the block).
const (
	stSavedSP   = 0  // Go stack pointer saved by the enter stub
	stTrapKind  = 8  // vm.TrapKind of the last trap
	stTrapPC    = 16 // return address of the trap call
	stTrapVMCtx = 24 // R15 at the trap
	stTrapRBP   = 32 // RBP at the trap (for a backtrace)
	stStackTop  = 40 // top of the native stack (16-aligned)
	stSlots     = 64 // argument/result slots of the current call
	stateSize   = 64 << 10
	maxSlots    = (stateSize - stSlots) / 8
)

// Native stack for calls into Wasm.
const (
	// StackSize is the size of the native stack Wasm code runs on.
	StackSize = 8 << 20
	// StackReserve is the part of the stack below OffStackLimit, kept for
	// the trap function, builtins and host functions.
	StackReserve = 64 << 10
	guardPage    = 4096
)

// process holds the runtime's process-wide native code and state.
type process struct {
	mu       sync.Mutex // serializes calls into Wasm (one state block, one stack)
	code     *nativecall.Code
	builtins [vm.NumBuiltins]uintptr
	enter    uintptr
	trapFn   uintptr
	hostNop  uintptr // a host function that returns at once
	state    []byte  // mmap'd state block
	stack    []byte  // mmap'd native stack, guard page first

	entryMu sync.Mutex
	entries map[string]*nativecall.Code // own entry trampolines by signature
}

var (
	procOnce sync.Once
	proc     *process
	procErr  error
)

func getProcess() (*process, error) {
	procOnce.Do(func() { proc, procErr = newProcess() })
	return proc, procErr
}

func (p *process) stateAddr() uint64 { return uint64(uintptr(unsafe.Pointer(&p.state[0]))) }
func (p *process) stackLimit() uint64 {
	return uint64(uintptr(unsafe.Pointer(&p.stack[0]))) + guardPage + StackReserve
}

func newProcess() (*process, error) {
	p := &process{entries: map[string]*nativecall.Code{}}
	b, err := BuildBuiltins()
	if err != nil {
		return nil, err
	}
	a := New()
	// The builtins first, so their offsets stay valid in the combined blob.
	for i := 0; i < len(b.Code); i++ {
		a.Nop(1) // placeholder bytes, replaced below
	}
	a.Align(16)
	enterOff := a.Len()
	emitEnter(a)
	a.Align(16)
	trapOff := a.Len()
	emitTrapFn(a)
	a.Align(16)
	nopOff := a.Len()
	a.Ret()
	code, err := a.Finish()
	if err != nil {
		return nil, fmt.Errorf("runtime: assembling the enter stub and trap function: %w", err)
	}
	copy(code, b.Code)
	if p.code, err = nativecall.Map(code); err != nil {
		return nil, err
	}
	for i, off := range b.Offsets {
		p.builtins[i] = p.code.Addr(off)
	}
	p.enter, p.trapFn, p.hostNop = p.code.Addr(enterOff), p.code.Addr(trapOff), p.code.Addr(nopOff)
	if p.state, err = unix.Mmap(-1, 0, stateSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON); err != nil {
		return nil, fmt.Errorf("runtime: mmap state block: %w", err)
	}
	if p.stack, err = unix.Mmap(-1, 0, StackSize+guardPage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE); err != nil {
		return nil, fmt.Errorf("runtime: mmap native stack: %w", err)
	}
	if err := unix.Mprotect(p.stack[:guardPage], unix.PROT_NONE); err != nil {
		return nil, fmt.Errorf("runtime: guard page of the native stack: %w", err)
	}
	top := uint64(uintptr(unsafe.Pointer(&p.stack[0]))) + uint64(len(p.stack))
	put64(p.state, stStackTop, top&^15)
	return p, nil
}

// emitEnter: enter(state RDI, trampoline RSI, vmctx RDX, code RCX, slots R8)
// -> RAX: 0 when the trampoline returned, 1 after a trap.
func emitEnter(a *Assembler) {
	for _, r := range []Reg{RBP, RBX, R12, R13, R14, R15} {
		a.Push(r)
	}
	a.Store(S64, Ptr(RDI, stSavedSP), RSP)
	a.MovRR(S64, RBX, RDI)
	a.Load(S64, RSP, Ptr(RDI, stStackTop))
	a.MovRR(S64, RAX, RSI)
	a.MovRR(S64, RDI, RDX)
	a.MovRR(S64, RSI, RCX)
	a.MovRR(S64, RDX, R8)
	a.CallR(RAX)
	a.Load(S64, RSP, Ptr(RBX, stSavedSP))
	emitRestore(a)
}

// emitRestore pops what emitEnter pushed and returns.
func emitRestore(a *Assembler) {
	for _, r := range []Reg{R15, R14, R13, R12, RBX, RBP} {
		a.Pop(r)
	}
	a.Ret()
}

// emitTrapFn: called by compiled code with EDI = kind and R15 = its vmctx.
func emitTrapFn(a *Assembler) {
	a.Cld()
	a.Load(S64, RAX, Ptr(R15, vm.OffScratch))
	a.MovRR(S32, RDI, RDI)
	a.Store(S64, Ptr(RAX, stTrapKind), RDI)
	a.Store(S64, Ptr(R15, vm.OffTrapKind), RDI)
	a.Load(S64, RCX, Ptr(RSP, 0))
	a.Store(S64, Ptr(RAX, stTrapPC), RCX)
	a.Store(S64, Ptr(R15, vm.OffTrapPC), RCX)
	a.Store(S64, Ptr(RAX, stTrapVMCtx), R15)
	a.Store(S64, Ptr(RAX, stTrapRBP), RBP)
	a.Load(S64, RSP, Ptr(RAX, stSavedSP))
	a.MovImm(S32, RAX, 1)
	for _, r := range []Reg{R15, R14, R13, R12, RBX, RBP} {
		a.Pop(r)
	}
	a.Ret()
}

func isFloat(t wasmc.ValType) bool { return t == wasmc.F32 || t == wasmc.F64 }

var intArgRegs = []Reg{RDI, RSI, RDX, RCX, R8, R9}

// BuildEntry assembles the entry trampoline entry(vmctx, code, slots) of
// aot/vm for signature ft: parameters from slots[0..n), results to
// slots[0..m), RAX = 0.
func BuildEntry(ft wasmc.FuncType) ([]byte, error) {
	a := New()
	a.Push(RBP)
	a.MovRR(S64, RBP, RSP)
	for _, r := range []Reg{RBX, R12, R13, R14, R15} {
		a.Push(r)
	}
	a.Push(RDX) // slots at [RBP-48]; RSP is now 16-aligned
	a.Store(S64, Ptr(RDI, vm.OffEntrySP), RSP)
	a.MovRR(S64, R15, RDI)
	a.Load(S64, R14, Ptr(R15, vm.OffMemBase))
	a.MovRR(S64, R11, RSI)
	a.MovRR(S64, R10, RDX)
	// Classify parameters.
	type loc struct {
		reg   Reg
		x     XReg
		float bool
		stack int // slot index on the stack, or -1
	}
	place := func(ts []wasmc.ValType, intRegs []Reg, nFloat int) ([]loc, int) {
		var ls []loc
		ni, nf, ns := 0, 0, 0
		for _, t := range ts {
			l := loc{stack: -1, float: isFloat(t)}
			switch {
			case l.float && nf < nFloat:
				l.x = XReg(nf)
				nf++
			case !l.float && ni < len(intRegs):
				l.reg = intRegs[ni]
				ni++
			default:
				l.stack = ns
				ns++
			}
			ls = append(ls, l)
		}
		return ls, ns
	}
	params, nsp := place(ft.Params, intArgRegs, 8)
	results, nsr := place(ft.Results, []Reg{RAX, RDX}, 2)
	area := 8 * (nsp + nsr)
	area = (area + 15) &^ 15
	if area > 0 {
		a.AluRI(SUB, S64, RSP, int64(area))
	}
	for i, l := range params {
		src := Ptr(R10, int32(8*i))
		switch {
		case l.stack >= 0:
			a.Load(S64, RAX, src)
			a.Store(S64, Ptr(RSP, int32(8*l.stack)), RAX)
		case l.float:
			a.FLoad(S64, l.x, src)
		}
	}
	for i, l := range params { // registers last: RDX and RCX are sources of nothing
		if l.stack < 0 && !l.float {
			a.Load(S64, l.reg, Ptr(R10, int32(8*i)))
		}
	}
	a.CallR(R11)
	a.Load(S64, R10, Ptr(RBP, -48))
	for i, l := range results {
		dst := Ptr(R10, int32(8*i))
		switch {
		case l.stack >= 0:
			a.Load(S64, RCX, Ptr(RSP, int32(8*(nsp+l.stack))))
			a.Store(S64, dst, RCX)
		case l.float:
			a.FStore(S64, dst, l.x)
		default:
			a.Store(S64, dst, l.reg)
		}
	}
	a.Lea(S64, RSP, Ptr(RBP, -40))
	for _, r := range []Reg{R15, R14, R13, R12, RBX, RBP} {
		a.Pop(r)
	}
	a.MovImm(S32, RAX, 0)
	a.Ret()
	return a.Finish()
}

// entryFor returns the runtime's own entry trampoline for ft (built once).
func (p *process) entryFor(ft wasmc.FuncType) (uintptr, error) {
	key := sigKey(ft)
	p.entryMu.Lock()
	defer p.entryMu.Unlock()
	if c, ok := p.entries[key]; ok {
		return c.Addr(0), nil
	}
	code, err := BuildEntry(ft)
	if err != nil {
		return 0, fmt.Errorf("runtime: entry trampoline for %v: %w", ft, err)
	}
	c, err := nativecall.Map(code)
	if err != nil {
		return 0, err
	}
	p.entries[key] = c
	return c.Addr(0), nil
}

func put64(b []byte, off int, v uint64) { *(*uint64)(unsafe.Pointer(&b[off])) = v }
func get64(b []byte, off int) uint64    { return *(*uint64)(unsafe.Pointer(&b[off])) }
