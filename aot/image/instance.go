package image

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/aot"
	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/link"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
)

// Binding says what an imported function resolves to: a code symbol (+addend),
// the vmctx symbol of the callee, and the symbol (+addend) of its FuncRef
// record. TypeKey is the provider's signature (SigKey): Place refuses an
// import whose own type differs.
type Binding struct {
	Code    string
	CodeAdd int64
	VMCtx   string
	Ref     string
	RefAdd  int64
	TypeKey string
}

// Module is one module instantiated statically into the image. Name, M, Obj
// and Base are the caller's; Place fills in the rest.
type Module struct {
	Name string // "app" or "shim": the prefix of its symbols
	M    *wasmc.Module
	Obj  *aot.Object
	Base uint64 // virtual address of linear memory 0

	TextAt uint64 // offset of the code blob in .text

	VMCtxSym, RefsSym, MemDescSym string
	FuncSyms                      []string // symbol of each defined function (index - imported)

	Copies   []MemCopy // active data segments, applied at start-up
	Init     uint64    // initial memory size in bytes (0: no memory)
	MaxPages uint64    // maximum memory size in 64 KiB pages
}

// MemCopy is one active data segment: N bytes from .rodata offset Src to the
// virtual address Dst, copied at start-up.
type MemCopy struct {
	Dst uint64
	Src uint64
	N   uint64
}

// EmitCopy emits the start-up copy of c from .rodata into linear memory:
// 8 bytes at a time, then the rest (rep movsb is one byte per step, slow
// under emulation). Clobbers RSI, RDI and RCX.
func EmitCopy(a *Assembler, c MemCopy) {
	a.Lea(S64, RSI, SymRef("__rodata_start", int32(c.Src)))
	a.MovAbs(RDI, c.Dst)
	if c.N >= 8 {
		a.MovAbs(RCX, c.N/8)
		a.RepMovsq()
	}
	if c.N%8 != 0 {
		a.MovImm(S32, RCX, int64(c.N%8))
		a.RepMovsb()
	}
}

// HasMemory reports whether the module defines a linear memory.
func (md *Module) HasMemory() bool { return len(md.M.Memories) == 1 }

// value is a constant-expression result: a plain value, or the address of
// function ref's FuncRef record (ref >= 0).
type value struct {
	v   uint64
	ref int
}

// typeIDs gives canonical signature ids shared by all modules of the image.
type typeIDs map[string]uint64

// SigKey is a function type as a string: equal for structurally equal types.
func SigKey(ft wasmc.FuncType) string {
	b := make([]byte, 0, len(ft.Params)+len(ft.Results)+1)
	for _, t := range ft.Params {
		b = append(b, byte(t))
	}
	b = append(b, 0)
	for _, t := range ft.Results {
		b = append(b, byte(t))
	}
	return string(b)
}

func (ids typeIDs) id(ft wasmc.FuncType) uint64 {
	k := SigKey(ft)
	if v, ok := ids[k]; ok {
		return v
	}
	v := uint64(len(ids) + 1)
	ids[k] = v
	return v
}

// tableCapacity is the element capacity of a table: table.grow beyond it
// fails with -1, as the spec allows.
func tableCapacity(l wasmc.Limits) uint64 {
	c := uint64(l.Min) + 1024
	if l.HasMax && uint64(l.Max) < c {
		c = uint64(l.Max)
	}
	if c > uint64(l.Min)+1<<20 {
		c = uint64(l.Min) + 1<<20
	}
	return c
}

// Place puts module md into the image: code, symbols, vmctx, FuncRef
// records, memory descriptor, tables, segments. imports resolves each
// imported function. The vmctx's trap function is SymTrap, its builtins the
// image's (Builder.Builtins), its stack limit Builder.StackLimit.
func (b *Builder) Place(md *Module, imports func(im *wasmc.Import) (Binding, error)) error {
	m, obj, l := md.M, md.Obj, md.Obj.Layout
	L := b.L
	pre := md.Name
	md.VMCtxSym = pre + ".vmctx"
	md.RefsSym = pre + ".funcrefs"
	md.MemDescSym = pre + ".memdesc"

	if m.NumImportedTables > 0 || m.NumImportedGlobals > 0 || m.NumImportedMemories > 0 {
		return fmt.Errorf("%s imports a table, memory or global; mwasm binds only function imports (rebuild the module without them)", pre)
	}
	if len(m.Memories) > 1 {
		return fmt.Errorf("%s has %d memories; mwasm supports one", pre, len(m.Memories))
	}

	// Code: one blob, one symbol per function.
	md.TextAt = L.Append(link.Text, obj.Code, 16)
	seen := map[string]bool{}
	md.FuncSyms = make([]string, len(obj.Funcs))
	exported := exportNames(m)
	for k, f := range obj.Funcs {
		name := ""
		if m.Names != nil {
			name = m.Names.Funcs[f.Index]
		}
		if name == "" {
			name = exported[f.Index] // as mwasm run's trap reports name it
		}
		sym := link.FuncSymbol(pre, name, f.Index)
		if seen[sym] {
			sym += "#" + strconv.Itoa(int(f.Index))
		}
		seen[sym] = true
		md.FuncSyms[k] = sym
		L.Define(link.Symbol{Name: sym, Section: link.Text, Offset: md.TextAt + uint64(f.Offset), Size: uint64(f.Size), Kind: link.SymFunc})
		b.funcs = append(b.funcs, funcEntry{off: md.TextAt + uint64(f.Offset), size: uint64(f.Size), name: sym, fi: f})
	}
	for ti, off := range obj.Trampolines {
		L.Define(link.Symbol{Name: pre + ".entry" + strconv.Itoa(ti), Section: link.Text, Offset: md.TextAt + uint64(off), Kind: link.SymNoType, Local: true})
	}

	nf := m.NumFuncs()
	// FuncRef records of defined functions (imports point at the exporter's).
	refs := make([]byte, vm.FuncRefSize*nf)
	var refRelocs []link.Reloc
	vmctx := make([]byte, l.Size)
	var vr []link.Reloc
	ptr := func(off int, sym string, add int64) {
		vr = append(vr, link.Reloc{Offset: uint64(off), Kind: link.ABS64, Symbol: sym, Addend: add})
	}
	put := func(off int, v uint64) { binary.LittleEndian.PutUint64(vmctx[off:], v) }

	for ti := range m.Types {
		put(l.TypeID(ti), b.types.id(m.Types[ti]))
	}
	k := 0
	for i := range m.Imports {
		im := &m.Imports[i]
		if im.Kind != wasmc.KindFunc {
			continue
		}
		bd, err := imports(im)
		if err != nil {
			return err
		}
		if bd.TypeKey != SigKey(m.Types[im.Type]) {
			return fmt.Errorf("%s imports %s.%s with type %v, but what provides it has another type", pre, im.Module, im.Name, m.Types[im.Type])
		}
		ptr(l.ImportCode(k), bd.Code, bd.CodeAdd)
		ptr(l.ImportVMCtx(k), bd.VMCtx, 0)
		ptr(l.FuncRef(k), bd.Ref, bd.RefAdd)
		k++
	}
	for i := range m.Funcs {
		fi := m.NumImportedFuncs + i
		ft := m.Types[m.Funcs[i]]
		r := vm.FuncRefSize * fi
		refRelocs = append(refRelocs,
			link.Reloc{Offset: uint64(r + vm.FuncRefCode), Kind: link.ABS64, Symbol: md.FuncSyms[i]},
			link.Reloc{Offset: uint64(r + vm.FuncRefVMCtx), Kind: link.ABS64, Symbol: md.VMCtxSym})
		binary.LittleEndian.PutUint64(refs[r+vm.FuncRefTypeID:], b.types.id(ft))
		ptr(l.FuncRef(fi), md.RefsSym, int64(r))
	}
	// A function's FuncRef, for ref.func and tables: the vmctx slot's target.
	refOf := func(fi int) (string, int64, error) {
		if fi < 0 || fi >= nf {
			return "", 0, fmt.Errorf("%s: function %d does not exist", pre, fi)
		}
		if fi >= m.NumImportedFuncs {
			return md.RefsSym, int64(vm.FuncRefSize * fi), nil
		}
		// Imported: find its binding again (cheap: imports are few).
		kk := 0
		for i := range m.Imports {
			if m.Imports[i].Kind != wasmc.KindFunc {
				continue
			}
			if kk == fi {
				bd, err := imports(&m.Imports[i])
				return bd.Ref, bd.RefAdd, err
			}
			kk++
		}
		return "", 0, fmt.Errorf("%s: import %d not found", pre, fi)
	}

	// Fixed part: trap function, builtins, layout offsets, stack limit.
	ptr(vm.OffTrapFn, SymTrap, 0)
	for bi := 0; bi < vm.NumBuiltins; bi++ {
		ptr(vm.Builtin(bi), SymBuiltins, int64(b.Builtins.Offsets[bi]))
	}
	if b.stack.Sym != "" {
		ptr(vm.OffStackLimit, b.stack.Sym, b.stack.Guard+b.stack.Reserve)
	} else {
		put(vm.OffStackLimit, b.stack.Base+uint64(b.stack.Guard+b.stack.Reserve))
	}
	put(vm.OffLayoutTables, uint64(l.Tables))
	put(vm.OffLayoutDatas, uint64(l.Datas))
	put(vm.OffLayoutElems, uint64(l.Elems))

	// Memory.
	if len(m.Memories) == 1 {
		lim := m.Memories[0].Limits
		md.MaxPages = abi.MaxMemoryPages // the limit of every home
		if lim.HasMax {
			md.MaxPages = min(uint64(lim.Max), abi.MaxMemoryPages)
		}
		if uint64(lim.Min) > md.MaxPages {
			return fmt.Errorf("%s's memory starts at %d pages; mwasm supports at most %d", pre, lim.Min, abi.MaxMemoryPages)
		}
		md.Init = uint64(lim.Min) * vm.PageSize
		desc := make([]byte, 32)
		binary.LittleEndian.PutUint64(desc[vm.MemDescBase:], md.Base)
		binary.LittleEndian.PutUint64(desc[vm.MemDescSize:], md.Init)
		binary.LittleEndian.PutUint64(desc[vm.MemDescMaxPages:], md.MaxPages)
		binary.LittleEndian.PutUint64(desc[24:], vm.GuardReservation)
		L.AddObject(link.Object{Name: md.MemDescSym, Section: link.Data, Data: desc})
		put(vm.OffMemBase, md.Base)
		ptr(vm.OffMemDesc, md.MemDescSym, 0)
	}

	// Globals.
	globals := make([]value, 0, len(m.Globals))
	for i := range m.Globals {
		v, err := evalConst(m, m.Globals[i].Init, globals)
		if err != nil {
			return fmt.Errorf("%s: global %d: %v", pre, i, err)
		}
		globals = append(globals, v)
		if v.ref >= 0 {
			s, a, err := refOf(v.ref)
			if err != nil {
				return err
			}
			ptr(l.Global(i), s, a)
		} else {
			put(l.Global(i), v.v)
		}
	}

	// Tables: descriptor + element array (capacity-sized) each.
	type tbl struct {
		elems  []byte
		relocs []link.Reloc
		n      uint64
	}
	tables := make([]*tbl, len(m.Tables))
	for i, tt := range m.Tables {
		c := tableCapacity(tt.Limits)
		tables[i] = &tbl{elems: make([]byte, 8*c), n: uint64(tt.Limits.Min)}
	}
	elemValue := func(e *wasmc.Elem, j int) (value, error) {
		if e.UsesExprs {
			return evalConst(m, e.Exprs[j], globals)
		}
		return value{ref: int(e.Funcs[j])}, nil
	}
	// Element segments: active ones applied now (then dropped), passive kept.
	for i := range m.Elems {
		e := &m.Elems[i]
		switch e.Mode {
		case wasmc.ModeActive:
			off, err := evalConst(m, e.OffsetExpr, globals)
			if err != nil {
				return fmt.Errorf("%s: element segment %d offset: %v", pre, i, err)
			}
			if int(e.Table) >= len(tables) {
				return fmt.Errorf("%s: element segment %d names table %d of %d", pre, i, e.Table, len(tables))
			}
			t := tables[e.Table]
			if uint64(uint32(off.v))+uint64(e.Len()) > t.n {
				return fmt.Errorf("%s: element segment %d (at file offset %#x) is out of bounds of its table: instantiation would trap", pre, i, e.Offset)
			}
			for j := 0; j < e.Len(); j++ {
				v, err := elemValue(e, j)
				if err != nil {
					return fmt.Errorf("%s: element segment %d: %v", pre, i, err)
				}
				at := 8 * (uint64(uint32(off.v)) + uint64(j))
				if v.ref >= 0 {
					s, a, err := refOf(v.ref)
					if err != nil {
						return err
					}
					t.relocs = append(t.relocs, link.Reloc{Offset: at, Kind: link.ABS64, Symbol: s, Addend: a})
				} else {
					binary.LittleEndian.PutUint64(t.elems[at:], v.v)
				}
			}
		case wasmc.ModePassive:
			arr := make([]byte, 8*e.Len())
			var rs []link.Reloc
			for j := 0; j < e.Len(); j++ {
				v, err := elemValue(e, j)
				if err != nil {
					return fmt.Errorf("%s: element segment %d: %v", pre, i, err)
				}
				if v.ref >= 0 {
					s, a, err := refOf(v.ref)
					if err != nil {
						return err
					}
					rs = append(rs, link.Reloc{Offset: uint64(8 * j), Kind: link.ABS64, Symbol: s, Addend: a})
				} else {
					binary.LittleEndian.PutUint64(arr[8*j:], v.v)
				}
			}
			sym := fmt.Sprintf("%s.elem%d", pre, i)
			L.AddObject(link.Object{Name: sym, Section: link.ROData, Data: arr, Relocs: rs, Local: true})
			ptr(l.Elem(i), sym, 0)
			put(l.Elem(i)+8, uint64(e.Len()))
		}
	}
	for i, t := range tables {
		sym := fmt.Sprintf("%s.table%d", pre, i)
		L.AddObject(link.Object{Name: sym + ".elems", Section: link.Data, Data: t.elems, Relocs: t.relocs, Local: true})
		desc := make([]byte, 24)
		binary.LittleEndian.PutUint64(desc[vm.TableDescLen:], t.n)
		binary.LittleEndian.PutUint64(desc[vm.TableDescMax:], uint64(len(t.elems)/8))
		L.AddObject(link.Object{Name: sym, Section: link.Data, Data: desc, Local: true,
			Relocs: []link.Reloc{{Offset: vm.TableDescBase, Kind: link.ABS64, Symbol: sym + ".elems"}}})
		ptr(l.Table(i), sym, 0)
	}

	// Data segments: active ones become the memory's initial image, copied
	// at start-up (and dropped); passive ones are kept in .rodata for
	// memory.init.
	var active []segment
	for i := range m.Datas {
		d := &m.Datas[i]
		switch d.Mode {
		case wasmc.ModeActive:
			if len(d.Init) == 0 {
				continue
			}
			o, err := evalConst(m, d.OffsetExpr, globals)
			if err != nil {
				return fmt.Errorf("%s: data segment %d offset: %v", pre, i, err)
			}
			if len(m.Memories) == 0 || uint64(uint32(o.v))+uint64(len(d.Init)) > md.Init {
				return fmt.Errorf("%s: data segment %d (at file offset %#x) is out of bounds of memory 0: instantiation would trap", pre, i, d.Offset)
			}
			active = append(active, segment{uint64(uint32(o.v)), d.Init})
		case wasmc.ModePassive:
			off := L.Append(link.ROData, d.Init, 8)
			ptr(l.Data(i), "__rodata_start", int64(off))
			put(l.Data(i)+8, uint64(len(d.Init)))
		}
	}
	for _, r := range initialImage(active) {
		off := L.Append(link.ROData, r.data, 8)
		md.Copies = append(md.Copies, MemCopy{Dst: md.Base + r.off, Src: off, N: uint64(len(r.data))})
	}

	L.AddObject(link.Object{Name: md.RefsSym, Section: link.Data, Data: refs, Relocs: refRelocs, Align: 16})
	L.AddObject(link.Object{Name: md.VMCtxSym, Section: link.Data, Data: vmctx, Relocs: vr, Align: 64})
	return nil
}

// Export returns the function index exported under name, or -1.
func Export(m *wasmc.Module, name string) int {
	for _, e := range m.Exports {
		if e.Kind == wasmc.KindFunc && e.Name == name {
			return int(e.Index)
		}
	}
	return -1
}

// FuncType returns the type of function index fi and its type index.
func FuncType(m *wasmc.Module, fi int) (wasmc.FuncType, uint32) {
	if fi < m.NumImportedFuncs {
		k := 0
		for i := range m.Imports {
			if m.Imports[i].Kind == wasmc.KindFunc {
				if k == fi {
					return m.Types[m.Imports[i].Type], m.Imports[i].Type
				}
				k++
			}
		}
	}
	ti := m.Funcs[fi-m.NumImportedFuncs]
	return m.Types[ti], ti
}

// evalConst evaluates a constant expression at build time.
func evalConst(m *wasmc.Module, e wasmc.ConstExpr, globals []value) (value, error) {
	r := wasmc.NewConstExprReader(e)
	var ins wasmc.Instr
	var stack []value
	for !r.EOF() {
		if err := r.Next(&ins); err != nil {
			return value{}, err
		}
		switch ins.Op {
		case wasmc.OpEnd:
			if len(stack) != 1 {
				return value{}, fmt.Errorf("constant expression at offset %d leaves %d values", e.Offset, len(stack))
			}
			return stack[0], nil
		case wasmc.OpI32Const:
			stack = append(stack, value{v: uint64(uint32(ins.Imm)), ref: -1})
		case wasmc.OpI64Const, wasmc.OpF32Const, wasmc.OpF64Const:
			stack = append(stack, value{v: ins.Imm, ref: -1})
		case wasmc.OpRefNull:
			stack = append(stack, value{ref: -1})
		case wasmc.OpRefFunc:
			if int64(ins.A) >= int64(m.NumFuncs()) {
				return value{}, fmt.Errorf("ref.func %d: no such function", ins.A)
			}
			stack = append(stack, value{ref: int(ins.A)})
		case wasmc.OpGlobalGet:
			if int64(ins.A) >= int64(len(globals)) {
				return value{}, fmt.Errorf("global.get %d: global not initialized yet", ins.A)
			}
			stack = append(stack, globals[ins.A])
		default:
			return value{}, fmt.Errorf("opcode %#x at offset %d is not allowed in a constant expression", ins.Op, ins.Offset)
		}
	}
	return value{}, fmt.Errorf("constant expression at offset %d has no end", e.Offset)
}

// segment is bytes at an offset of linear memory.
type segment struct {
	off  uint64
	data []byte
}

// initialImage turns the active data segments, applied in order (a later
// one overwrites an earlier one where they overlap, as instantiation does),
// into a few runs of bytes to copy at start-up: the segments' extent as one
// image, split where at least zeroRun zero bytes lie between data (the memory
// is zero already). A toolchain may emit one segment per symbol (Go: tens
// of thousands); copying them one by one would make the start-up code as
// long as the data. Segments spread wider than maxImage are kept as they are.
func initialImage(segs []segment) []segment {
	const zeroRun, maxImage = 4096, 256 << 20
	if len(segs) == 0 {
		return nil
	}
	lo, hi := segs[0].off, segs[0].off
	for _, s := range segs {
		lo = min(lo, s.off)
		hi = max(hi, s.off+uint64(len(s.data)))
	}
	if hi-lo > maxImage {
		return segs
	}
	img := make([]byte, hi-lo)
	for _, s := range segs {
		copy(img[s.off-lo:], s.data)
	}
	var runs []segment
	start, zeros := -1, 0
	for i, b := range img {
		if b != 0 {
			if start < 0 {
				start = i
			}
			zeros = 0
			continue
		}
		zeros++
		if start >= 0 && zeros == zeroRun {
			runs = append(runs, segment{lo + uint64(start), img[start : i-zeroRun+1]})
			start = -1
		}
	}
	if start >= 0 {
		end := len(img) - zeros
		runs = append(runs, segment{lo + uint64(start), img[start:end]})
	}
	return runs
}

// exportNames maps each exported function to its export name (the least, when it
// has several): the name of a function the name section does not name.
func exportNames(m *wasmc.Module) map[uint32]string {
	names := map[uint32]string{}
	for _, e := range m.Exports {
		if old, ok := names[e.Index]; e.Kind == wasmc.KindFunc && (!ok || e.Name < old) {
			names[e.Index] = e.Name
		}
	}
	return names
}
