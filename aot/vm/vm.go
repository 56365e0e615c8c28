// Package vm is the native ABI of code compiled by mwasm's AOT compiler: which
// registers hold what, how compiled Wasm functions call each other and the
// runtime's builtins, how a trap leaves compiled code, and the layout of the VM
// context (vmctx), the per-instance block of memory that compiled code reaches
// through a pinned register. The back end (aot/amd64 lowering) emits code that
// follows it; the runtimes (the in-process test runtime, the Linux target, later
// Xen) build vmctx blocks and builtins that follow it. Nothing here is executable:
// it is the contract between those parts, in one place.
//
// # Registers
//
//   - R15 holds the vmctx of the running instance. It is pinned: compiled code
//     never uses it for anything else, and it is the same on return from any call.
//   - R14 holds the base address of the instance's linear memory 0 (or 0 when it
//     has none). Pinned too. A memory never moves: its whole maximum size (plus
//     guard) is reserved when it is created and memory.grow only makes more of the
//     reservation accessible, so the base is a constant of the instance.
//   - RBP is the frame pointer: every compiled function pushes RBP and sets
//     RBP = RSP in its prologue, so a backtrace follows the RBP chain, and the
//     return address of each frame is at [RBP+8].
//
// # Calls between compiled Wasm functions
//
//   - Integer-class values (i32, i64, funcref, externref) are passed in RDI, RSI,
//     RDX, RCX, R8, R9; float-class values (f32, f64) in XMM0-XMM7; the rest on the
//     stack: 8-byte slots in parameter order, the first at [RSP] right after the
//     call instruction pushes the return address (so at [RBP+16] in the callee),
//     reserved and released by the caller. i32 and f32 values occupy the low bits;
//     the upper bits of a register or slot holding them are undefined.
//   - Results: the first two integer-class results in RAX, RDX; the first two
//     float-class results in XMM0, XMM1; every further result in an 8-byte slot of
//     a result area the caller reserves directly above its stack parameter slots
//     (the callee writes result k of those at [RBP + 16 + 8*StackParamSlots + 8*k]).
//   - Callee-saved: RBX, RBP, R12, R13 (and the pinned R14, R15). Everything else,
//     all XMM registers and the flags are clobbered by a call. RSP is 16-byte
//     aligned at every call instruction (so RSP = 8 mod 16 on entry).
//   - A call to an imported function goes through its ImportSlot: load the
//     callee's vmctx and code pointer, save R15 and R14, set R15 = callee vmctx,
//     R14 = [R15+OffMemBase], call, restore R14 and R15.
//
// # Builtins
//
// Operations too large to inline (memory.grow, memory.fill/copy/init, table
// operations, ...) call a builtin through the vmctx's builtin table: the System V
// AMD64 convention with RDI = vmctx and the operands in RSI, RDX, RCX, R8, R9 as
// listed per builtin below. Builtins preserve RBX, RBP, R12-R15. A builtin that
// must trap (out of bounds) does not return: it pops whatever it pushed, sets
// EDI = the TrapKind and jumps (not calls) to [vmctx+OffTrapFn], so the trap
// function sees the builtin's return address as the trap site: the back end
// records each builtin call that can trap in the trap table like any other
// trap site. Builtins find tables and segments through the layout offsets
// stored in the fixed part of the vmctx (OffLayoutTables, OffLayoutDatas,
// OffLayoutElems), so one builtin serves every module; they read memory 0
// through OffMemDesc. Builtins are position-independent code with no
// relocations, usable in-process and embedded in executables alike.
//
// # Traps
//
// A trap is raised by calling the trap function: EDI = the TrapKind, then
// `call [R15 + OffTrapFn]`. The trap function never returns. The return address
// it receives identifies the trap site: the back end places each trap site's
// call at a distinct address and records (return address -> Wasm offset) in the
// function's trap table, so a report can name the function and offset. Faults
// on guard pages (platforms with guard regions) are mapped the same way through
// the PC of the faulting instruction.
//
// Stack overflow: each function's prologue compares its lowest stack address with
// [R15 + OffStackLimit] and traps with TrapStackOverflow when below.
//
// # Entering compiled code
//
// The runtime never calls a Wasm function directly: the back end emits, per
// function signature, an entry trampoline with the System V signature
//
//	entry(vmctx, code uintptr, slots *uint64)
//
// that saves the callee-saved registers, stores its RSP at [vmctx+OffEntrySP],
// loads R15 and R14, loads the parameters from slots[0..n) (one 8-byte slot each,
// in order), calls code, stores the results to slots[0..m), restores and returns
// 0. The trampoline is called the System V way (RSP = 8 mod 16 on entry) on
// any stack (the runtime may call it on a stack of its own) and must not
// assume it is the outermost frame.
//
// The in-process runtime (aot/runtime) never unwinds into a trampoline: it
// calls each trampoline from an enter stub of its own that saves RBX, RBP,
// R12-R15 and the caller's RSP in a runtime block reached through
// [vmctx+OffScratch] (which every vmctx the runtime builds points at it).
// Its trap function records the kind, the return address (TrapPC) and R15 in
// that block and in [R15+OffTrapKind]/[R15+OffTrapPC], reloads the enter
// stub's RSP, restores the registers the stub saved and returns 1 from the
// stub. This works whichever instance's code traps (R15 may be another
// instance than the one entered, after a call through an import), so the
// trampolines need no particular save layout; OffEntrySP is written by the
// trampoline as specified but the in-process runtime does not rely on it.
//
// The save layout of aot/backend.Trampoline, for trap functions that do unwind
// into it: it pushes RBP (and sets RBP = RSP), then RBX, R12, R13, R14, R15,
// the slots pointer, and the previous value of [vmctx+OffEntrySP] (so entries
// may nest), and stores the resulting RSP to [vmctx+OffEntrySP]; the EntryFrame*
// constants are the offsets from that RSP. To return 1 from the trampoline: RSP
// = the saved value; pop the previous value back into [vmctx+OffEntrySP]; skip
// the slots pointer; pop R15, R14, R13, R12, RBX, RBP; EAX = 1; RET.
package vm

// Offsets in aot/backend.Trampoline's frame, from the RSP it stores at
// [vmctx+OffEntrySP].
const (
	EntryFramePrevSP = 0
	EntryFrameSlots  = 8
	EntryFrameR15    = 16
	EntryFrameR14    = 24
	EntryFrameR13    = 32
	EntryFrameR12    = 40
	EntryFrameRBX    = 48
	EntryFrameRBP    = 56
	EntryFrameRet    = 64
)

// TrapKind says why Wasm code trapped. The numbering is part of the ABI.
type TrapKind uint32

const (
	TrapUnreachable       TrapKind = 1
	TrapIntegerOverflow   TrapKind = 2
	TrapIntegerDivByZero  TrapKind = 3
	TrapInvalidConversion TrapKind = 4
	TrapMemoryOutOfBounds TrapKind = 5
	TrapTableOutOfBounds  TrapKind = 6
	TrapIndirectCallType  TrapKind = 7 // call_indirect signature mismatch
	TrapNullReference     TrapKind = 8 // call_indirect through a null entry
	TrapStackOverflow     TrapKind = 9
	TrapUndefinedElement  TrapKind = 10 // call_indirect with an index past the table's end
)

// String gives the message the Wasm spec test suite uses for the trap.
func (k TrapKind) String() string {
	switch k {
	case TrapUnreachable:
		return "unreachable"
	case TrapIntegerOverflow:
		return "integer overflow"
	case TrapIntegerDivByZero:
		return "integer divide by zero"
	case TrapInvalidConversion:
		return "invalid conversion to integer"
	case TrapMemoryOutOfBounds:
		return "out of bounds memory access"
	case TrapTableOutOfBounds:
		return "out of bounds table access"
	case TrapIndirectCallType:
		return "indirect call type mismatch"
	case TrapNullReference:
		return "uninitialized element"
	case TrapStackOverflow:
		return "call stack exhausted"
	case TrapUndefinedElement:
		return "undefined element"
	}
	return "unknown trap"
}

// Fixed offsets in every vmctx (bytes). The variable parts follow at offsets
// given by a Layout.
const (
	OffMemBase    = 0  // uint64: base of memory 0 (also pinned in R14)
	OffMemDesc    = 8  // *MemDesc of memory 0 (shared with importers)
	OffStackLimit = 16 // uint64: lowest RSP compiled code may use
	OffTrapFn     = 24 // uint64: the trap function (see Traps)
	OffEntrySP    = 32 // uint64: RSP saved by the entry trampoline
	OffTrapKind   = 40 // uint64: set by the in-process trap function
	OffTrapPC     = 48 // uint64: return address of the trap call
	OffScratch    = 56 // uint64: free for the runtime
	OffBuiltins   = 64 // [NumBuiltins]uint64: builtin function pointers

	// The module's Layout offsets, stored in the vmctx so that builtins can
	// find table i's slot at [vmctx + [vmctx+OffLayoutTables] + 8*i] and
	// segment i's pair at [vmctx + [vmctx+OffLayoutDatas/Elems] + 16*i].
	OffLayoutTables = OffBuiltins + 8*NumBuiltins // uint64: Layout.Tables
	OffLayoutDatas  = OffLayoutTables + 8         // uint64: Layout.Datas
	OffLayoutElems  = OffLayoutTables + 16        // uint64: Layout.Elems

	fixedEnd = OffLayoutTables + 24
)

// FixedSize is the size of the fixed part of every vmctx; a vmctx of a module
// with no globals, tables, functions, types or segments has this size.
const FixedSize = fixedEnd

// MemDesc describes a linear memory. It is shared by every instance that imports
// the memory, so that memory.grow in one is seen by all.
type MemDesc struct {
	Base     uint64 // never changes
	Size     uint64 // current size in bytes (a multiple of 64 KiB)
	MaxPages uint64 // maximum size in pages (65536 when unbounded)
	Reserved uint64 // bytes of address space reserved at Base (>= max size, plus guard)
}

// MemDesc field offsets.
const (
	MemDescBase     = 0
	MemDescSize     = 8
	MemDescMaxPages = 16
)

// TableDesc describes a table; each element is 8 bytes: a *FuncRef for funcref
// tables (0 = null) or an opaque externref value (0 = null). Shared by importers.
type TableDesc struct {
	Base uint64 // address of the element array; may move when the table grows
	Len  uint64 // current number of elements
	Max  uint64 // maximum number of elements (0xFFFFFFFF when unbounded); a
	// runtime may store a smaller effective maximum (its capacity), so that
	// table.grow beyond it fails with -1 as the spec allows
}

// TableDesc field offsets.
const (
	TableDescBase = 0
	TableDescLen  = 8
	TableDescMax  = 16
)

// FuncRef is what a funcref value points to: one per function per instance,
// so ref.func of the same function always yields the same pointer.
type FuncRef struct {
	Code   uint64 // entry address of the compiled function
	VMCtx  uint64 // the instance it belongs to
	TypeID uint64 // canonical signature id (equal for structurally equal types)
}

// FuncRef field offsets.
const (
	FuncRefCode   = 0
	FuncRefVMCtx  = 8
	FuncRefTypeID = 16
	FuncRefSize   = 24
)

// Builtin indexes in the builtin table at OffBuiltins. Arguments after the vmctx
// are listed; all are zero-extended to 64 bits. Results in RAX.
const (
	BuiltinMemoryGrow = iota // (deltaPages) -> old size in pages, or -1 (as i32)
	BuiltinMemoryFill        // (dst, value, n)                  traps if out of bounds
	BuiltinMemoryCopy        // (dst, src, n)                    traps if out of bounds
	BuiltinMemoryInit        // (segment, dst, src, n)           traps if out of bounds
	BuiltinDataDrop          // (segment)
	BuiltinTableGrow         // (table, delta, init) -> old size, or -1 (as i32)
	BuiltinTableFill         // (table, dst, value, n)           traps if out of bounds
	BuiltinTableCopy         // (dstTable, srcTable, dst, src, n) traps if out of bounds
	BuiltinTableInit         // (table, segment, dst, src, n)    traps if out of bounds
	BuiltinElemDrop          // (segment)
	NumBuiltins
)

// Layout gives the offsets of the variable parts of one module's vmctx. Every
// slot is 8 bytes.
//
//   - Globals: one slot per global in the module's global index space. A defined
//     global's slot holds its value (i32/f32 in the low bits); an imported
//     global's slot holds a pointer to the exporter's slot (the value lives there).
//   - Tables: one slot per table, holding a *TableDesc.
//   - Imports: two slots per imported function: code address, callee vmctx.
//   - FuncRefs: one slot per function (imported and defined), holding the
//     *FuncRef for ref.func and for tables.
//   - TypeIDs: one slot per type index, holding its canonical signature id.
//   - Datas: two slots per data segment: address, length (length 0 once dropped).
//   - Elems: two slots per element segment: address of an array of 8-byte
//     elements, length (0 once dropped).
type Layout struct {
	Globals, Tables, Imports, FuncRefs, TypeIDs, Datas, Elems int
	Size                                                      int // total vmctx size in bytes
}

// Counts is what a Layout depends on.
type Counts struct {
	Globals, Tables, ImportedFuncs, Funcs, Types, Datas, Elems int
}

// NewLayout lays out a vmctx for a module with the given counts. Funcs counts
// imported and defined functions together.
func NewLayout(c Counts) Layout {
	var l Layout
	off := fixedEnd
	next := func(slots int) int { o := off; off += 8 * slots; return o }
	l.Globals = next(c.Globals)
	l.Tables = next(c.Tables)
	l.Imports = next(2 * c.ImportedFuncs)
	l.FuncRefs = next(c.Funcs)
	l.TypeIDs = next(c.Types)
	l.Datas = next(2 * c.Datas)
	l.Elems = next(2 * c.Elems)
	l.Size = off
	return l
}

// Global returns the offset of global i's slot.
func (l Layout) Global(i int) int { return l.Globals + 8*i }

// Table returns the offset of table i's *TableDesc slot.
func (l Layout) Table(i int) int { return l.Tables + 8*i }

// ImportCode and ImportVMCtx return the offsets of imported function i's slots.
func (l Layout) ImportCode(i int) int  { return l.Imports + 16*i }
func (l Layout) ImportVMCtx(i int) int { return l.Imports + 16*i + 8 }

// FuncRef returns the offset of function i's *FuncRef slot.
func (l Layout) FuncRef(i int) int { return l.FuncRefs + 8*i }

// TypeID returns the offset of type i's canonical id slot.
func (l Layout) TypeID(i int) int { return l.TypeIDs + 8*i }

// Data and Elem return the offsets of segment i's (address, length) pair.
func (l Layout) Data(i int) int { return l.Datas + 16*i }
func (l Layout) Elem(i int) int { return l.Elems + 16*i }

// Builtin returns the offset of builtin b's function pointer.
func Builtin(b int) int { return OffBuiltins + 8*b }

// Guard-region sizing: a memory reserves GuardReservation bytes of address space,
// enough that any i32 address plus any u32 offset plus an 8-byte access lands in
// the reservation, so compiled code needs no explicit bounds check.
const (
	PageSize         = 65536
	GuardReservation = 8 << 30 // 8 GiB
)
