package runtime

import (
	"fmt"
	"sync"

	"github.com/mwasm/mwasm/aot/internal/nativecall"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
)

// Object is what Instantiate needs from compiled code. aot.Object provides
// it; Blob is a hand-made one for tests.
type Object interface {
	// Code is the linked, position-independent code of the module.
	Code() []byte
	// FuncOffset is the offset in Code of function funcIndex (an index in
	// the function index space naming a defined function).
	FuncOffset(funcIndex uint32) int
	// EntryOffset is the offset of the entry trampoline for the signature
	// of type typeIndex, or -1 (the runtime then builds its own).
	EntryOffset(typeIndex uint32) int
	// TrapSite maps the offset of a trap call's return address to the
	// function index and Wasm byte offset of the trapping instruction.
	TrapSite(off int) (funcIndex uint32, wasmOffset int, ok bool)
	// GuardRegions says the code relies on guard regions instead of
	// explicit bounds checks.
	GuardRegions() bool
}

// Blob is an Object made by hand (tests, hand-assembled code).
type Blob struct {
	Bytes   []byte
	Funcs   map[uint32]int // function index -> offset
	Entries map[uint32]int // type index -> trampoline offset
	Sites   map[int][2]int // return address offset -> {funcIndex, wasmOffset}
	Guard   bool
}

func (b *Blob) Code() []byte            { return b.Bytes }
func (b *Blob) FuncOffset(f uint32) int { return b.Funcs[f] }
func (b *Blob) GuardRegions() bool      { return b.Guard }
func (b *Blob) EntryOffset(t uint32) int {
	if off, ok := b.Entries[t]; ok {
		return off
	}
	return -1
}
func (b *Blob) TrapSite(off int) (uint32, int, bool) {
	s, ok := b.Sites[off]
	return uint32(s[0]), s[1], ok
}

// Instance is an instantiated module.
type Instance struct {
	Module  *wasmc.Module
	obj     Object
	code    *nativecall.Code
	vmctx   []byte
	layout  vm.Layout
	ar      arena
	funcs   []*Func
	tables  []*Table
	mem     *Memory
	ownMem  bool
	globals []*Global
	ownTabs []*Table
	exports map[string]Extern
	elems   [][]byte // evaluated element segments
}

// code ranges of live instances, for mapping a trap PC to its instance.
var codeRanges struct {
	sync.Mutex
	list []*Instance
}

func (inst *Instance) codeRange() (uint64, uint64) {
	base := uint64(inst.code.Addr(0))
	return base, base + uint64(len(inst.obj.Code()))
}

// LinkError is an instantiation failure caused by the imports. Its message
// begins with the spec suite's wording: "unknown import" or "incompatible
// import type".
type LinkError struct {
	Module, Name string
	Msg          string // "unknown import" or "incompatible import type"
	Detail       string
}

func (e *LinkError) Error() string {
	s := fmt.Sprintf("%s %q.%q", e.Msg, e.Module, e.Name)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func funcName(m *wasmc.Module, i uint32) string {
	if m.Names != nil {
		if n, ok := m.Names.Funcs[i]; ok && n != "" {
			return n
		}
	}
	return fmt.Sprintf("func[%d]", i)
}

func limitsMatch(curMin uint32, have wasmc.Limits, want wasmc.Limits) bool {
	if curMin < want.Min {
		return false
	}
	if want.HasMax {
		return have.HasMax && have.Max <= want.Max
	}
	return true
}

// Instantiate instantiates module m, compiled to obj, taking its imports
// from imports (nil when it has none). It applies the active segments in
// order and runs the start function. A segment out of bounds or a trap in the
// start function fails with a *Trap; the segments applied before stay
// applied (Wasm 2.0).
func Instantiate(obj Object, m *wasmc.Module, imports Resolver) (*Instance, error) {
	return InstantiateWith(obj, m, imports, InstantiateOptions{})
}

// InstantiateOptions select instantiation rules of older Wasm versions.
type InstantiateOptions struct {
	// CheckSegmentsFirst applies the rule of Wasm 1.0: every active element
	// and data segment is bounds-checked before any is written, so a module
	// that fails to instantiate leaves imported tables and memories
	// untouched. Wasm 2.0 writes segment by segment and stops at the first
	// one out of bounds.
	CheckSegmentsFirst bool
}

// InstantiateWith is Instantiate with options.
func InstantiateWith(obj Object, m *wasmc.Module, imports Resolver, opts InstantiateOptions) (*Instance, error) {
	p, err := getProcess()
	if err != nil {
		return nil, err
	}
	if len(m.Memories)+m.NumImportedMemories > 1 {
		return nil, fmt.Errorf("runtime: module has %d memories; only one is supported", len(m.Memories)+m.NumImportedMemories)
	}
	inst := &Instance{Module: m, obj: obj, exports: map[string]Extern{}}
	inst.layout = vm.NewLayout(vm.Counts{
		Globals: m.NumImportedGlobals + len(m.Globals), Tables: m.NumImportedTables + len(m.Tables),
		ImportedFuncs: m.NumImportedFuncs, Funcs: m.NumFuncs(), Types: len(m.Types),
		Datas: len(m.Datas), Elems: len(m.Elems),
	})
	l := inst.layout
	ok := false
	defer func() {
		if !ok && inst.code == nil {
			inst.Close()
		}
	}()
	inst.vmctx = inst.ar.alloc(l.Size)
	initFixed(p, inst.vmctx, l)
	vmctx := addr(inst.vmctx)

	// Resolve imports.
	for i := range m.Imports {
		im := &m.Imports[i]
		var ext Extern
		if imports != nil {
			ext = imports.Resolve(im.Module, im.Name)
		}
		if ext == nil {
			return nil, &LinkError{Module: im.Module, Name: im.Name, Msg: "unknown import"}
		}
		bad := func(format string, args ...any) error {
			return &LinkError{Module: im.Module, Name: im.Name, Msg: "incompatible import type", Detail: fmt.Sprintf(format, args...)}
		}
		if ext.Kind() != im.Kind {
			return nil, bad("want a %v, got a %v", im.Kind, ext.Kind())
		}
		switch im.Kind {
		case wasmc.KindFunc:
			f := ext.(*Func)
			want := m.Types[im.Type]
			if sigKey(f.Type) != sigKey(want) {
				return nil, bad("want func %v, got %v", want, f.Type)
			}
			k := len(inst.funcs)
			put64(inst.vmctx, l.ImportCode(k), f.Code())
			put64(inst.vmctx, l.ImportVMCtx(k), f.VMCtx())
			put64(inst.vmctx, l.FuncRef(k), f.RefAddr())
			inst.funcs = append(inst.funcs, f)
		case wasmc.KindTable:
			t := ext.(*Table)
			if t.Type.Elem != im.Table.Elem || !limitsMatch(t.Len(), t.Type.Limits, im.Table.Limits) {
				return nil, bad("want table %v %+v, got %v %+v (length %d)", im.Table.Elem, im.Table.Limits, t.Type.Elem, t.Type.Limits, t.Len())
			}
			put64(inst.vmctx, l.Table(len(inst.tables)), t.DescAddr())
			inst.tables = append(inst.tables, t)
		case wasmc.KindMemory:
			mem := ext.(*Memory)
			if !limitsMatch(mem.Pages(), mem.Type.Limits, im.Memory.Limits) {
				return nil, bad("want memory %+v, got %+v (%d pages)", im.Memory.Limits, mem.Type.Limits, mem.Pages())
			}
			inst.mem = mem
		case wasmc.KindGlobal:
			g := ext.(*Global)
			if g.Type != im.Global {
				return nil, bad("want global %v (mutable %v), got %v (mutable %v)", im.Global.Type, im.Global.Mutable, g.Type.Type, g.Type.Mutable)
			}
			put64(inst.vmctx, l.Global(len(inst.globals)), g.CellAddr())
			inst.globals = append(inst.globals, g)
		}
	}

	// Code.
	code := obj.Code()
	if len(code) == 0 && len(m.Funcs) > 0 {
		return nil, fmt.Errorf("runtime: the object has no code for %d functions", len(m.Funcs))
	}
	if len(code) > 0 {
		c, err := nativecall.Map(code)
		if err != nil {
			return nil, err
		}
		defer func() {
			if !ok && inst.code == nil {
				c.Close()
			}
		}()
		cb := uint64(c.Addr(0))
		// Type ids.
		for ti := range m.Types {
			put64(inst.vmctx, l.TypeID(ti), TypeID(m.Types[ti]))
		}
		// Defined functions and their FuncRefs.
		for i := range m.Funcs {
			fi := uint32(m.NumImportedFuncs + i)
			ti := m.Funcs[i]
			ft := m.Types[ti]
			off := obj.FuncOffset(fi)
			if off < 0 || off >= len(code) {
				c.Close()
				return nil, fmt.Errorf("runtime: function %d at offset %d is outside the %d-byte code", fi, off, len(code))
			}
			var entry uintptr
			if eo := obj.EntryOffset(ti); eo >= 0 && eo < len(code) {
				entry = c.Addr(eo)
			} else if entry, err = p.entryFor(ft); err != nil {
				c.Close()
				return nil, err
			}
			f := &Func{Type: ft, Name: funcName(m, fi), ref: inst.ar.alloc(vm.FuncRefSize), entry: entry}
			put64(f.ref, vm.FuncRefCode, cb+uint64(off))
			put64(f.ref, vm.FuncRefVMCtx, vmctx)
			put64(f.ref, vm.FuncRefTypeID, TypeID(ft))
			put64(inst.vmctx, l.FuncRef(int(fi)), f.RefAddr())
			inst.funcs = append(inst.funcs, f)
		}
		inst.code = c
	} else {
		for ti := range m.Types {
			put64(inst.vmctx, l.TypeID(ti), TypeID(m.Types[ti]))
		}
	}

	// Memory.
	if len(m.Memories) == 1 {
		mem, err := newMemory(m.Memories[0], obj.GuardRegions(), &inst.ar)
		if err != nil {
			return nil, err
		}
		inst.mem, inst.ownMem = mem, true
	}
	if inst.mem != nil {
		put64(inst.vmctx, vm.OffMemBase, inst.mem.Base())
		put64(inst.vmctx, vm.OffMemDesc, inst.mem.DescAddr())
	}

	// Tables.
	for _, tt := range m.Tables {
		t, err := newTable(tt, &inst.ar)
		if err != nil {
			return nil, err
		}
		put64(inst.vmctx, l.Table(len(inst.tables)), t.DescAddr())
		inst.tables = append(inst.tables, t)
		inst.ownTabs = append(inst.ownTabs, t)
	}

	// Globals.
	for i := range m.Globals {
		gi := len(inst.globals)
		v, err := inst.eval(m.Globals[i].Init)
		if err != nil {
			return nil, fmt.Errorf("runtime: global %d: %w", gi, err)
		}
		cell := inst.vmctx[l.Global(gi) : l.Global(gi)+8 : l.Global(gi)+8]
		g := &Global{Type: m.Globals[i].Type, cell: cell}
		g.Set(v)
		inst.globals = append(inst.globals, g)
	}

	// Segments: contents into native memory.
	for i := range m.Elems {
		e := &m.Elems[i]
		n := e.Len()
		arr := inst.ar.alloc(8 * n)
		for k := 0; k < n; k++ {
			var v uint64
			if e.UsesExprs {
				if v, err = inst.eval(e.Exprs[k]); err != nil {
					return nil, fmt.Errorf("runtime: element segment %d, element %d: %w", i, k, err)
				}
			} else {
				if int(e.Funcs[k]) >= len(inst.funcs) {
					return nil, fmt.Errorf("runtime: element segment %d names function %d of %d", i, e.Funcs[k], len(inst.funcs))
				}
				v = inst.funcs[e.Funcs[k]].RefAddr()
			}
			put64(arr, 8*k, v)
		}
		inst.elems = append(inst.elems, arr)
		put64(inst.vmctx, l.Elem(i), addr(arr))
		put64(inst.vmctx, l.Elem(i)+8, uint64(n))
	}
	for i := range m.Datas {
		d := &m.Datas[i]
		buf := inst.ar.alloc(len(d.Init))
		copy(buf, d.Init)
		put64(inst.vmctx, l.Data(i), addr(buf))
		put64(inst.vmctx, l.Data(i)+8, uint64(len(d.Init)))
	}

	// Exports.
	for _, ex := range m.Exports {
		var e Extern
		switch ex.Kind {
		case wasmc.KindFunc:
			if int(ex.Index) < len(inst.funcs) {
				e = inst.funcs[ex.Index]
			}
		case wasmc.KindTable:
			if int(ex.Index) < len(inst.tables) {
				e = inst.tables[ex.Index]
			}
		case wasmc.KindMemory:
			if ex.Index == 0 && inst.mem != nil {
				e = inst.mem
			}
		case wasmc.KindGlobal:
			if int(ex.Index) < len(inst.globals) {
				e = inst.globals[ex.Index]
			}
		}
		if e == nil {
			return nil, fmt.Errorf("runtime: export %q names a missing %v %d", ex.Name, ex.Kind, ex.Index)
		}
		inst.exports[ex.Name] = e
	}

	if inst.code != nil {
		codeRanges.Lock()
		codeRanges.list = append(codeRanges.list, inst)
		codeRanges.Unlock()
	}

	// From here on a failure leaves the instance's code mapped: tables of
	// other instances may already hold its functions.
	if opts.CheckSegmentsFirst {
		if err := inst.checkSegments(); err != nil {
			return nil, err
		}
	}
	for i := range m.Elems {
		e := &m.Elems[i]
		switch e.Mode {
		case wasmc.ModeActive:
			off, err := inst.eval(e.OffsetExpr)
			if err != nil {
				return nil, fmt.Errorf("runtime: element segment %d offset: %w", i, err)
			}
			if int(e.Table) >= len(inst.tables) {
				return nil, fmt.Errorf("runtime: element segment %d names table %d of %d", i, e.Table, len(inst.tables))
			}
			t := inst.tables[e.Table]
			n := uint64(e.Len())
			if uint64(uint32(off))+n > uint64(t.Len()) {
				return nil, &Trap{Kind: vm.TrapTableOutOfBounds, Func: "", WasmOffset: e.Offset}
			}
			for k := uint64(0); k < n; k++ {
				t.Set(uint32(off)+uint32(k), get64(inst.elems[i], 8*int(k)))
			}
			put64(inst.vmctx, l.Elem(i)+8, 0)
		case wasmc.ModeDeclarative:
			put64(inst.vmctx, l.Elem(i)+8, 0)
		}
	}
	for i := range m.Datas {
		d := &m.Datas[i]
		if d.Mode != wasmc.ModeActive {
			continue
		}
		off, err := inst.eval(d.OffsetExpr)
		if err != nil {
			return nil, fmt.Errorf("runtime: data segment %d offset: %w", i, err)
		}
		if inst.mem == nil {
			return nil, fmt.Errorf("runtime: data segment %d but no memory", i)
		}
		mb := inst.mem.Bytes()
		if uint64(uint32(off))+uint64(len(d.Init)) > uint64(len(mb)) {
			return nil, &Trap{Kind: vm.TrapMemoryOutOfBounds, WasmOffset: d.Offset}
		}
		copy(mb[uint32(off):], d.Init)
		put64(inst.vmctx, l.Data(i)+8, 0)
	}
	if m.HasStart {
		if int(m.Start) >= len(inst.funcs) {
			return nil, fmt.Errorf("runtime: start function %d of %d", m.Start, len(inst.funcs))
		}
		if _, err := inst.funcs[m.Start].Call(); err != nil {
			return nil, err
		}
	}
	ok = true
	return inst, nil
}

// checkSegments bounds-checks every active element and data segment
// without writing any (the Wasm 1.0 instantiation rule).
func (inst *Instance) checkSegments() error {
	m := inst.Module
	for i := range m.Elems {
		e := &m.Elems[i]
		if e.Mode != wasmc.ModeActive {
			continue
		}
		off, err := inst.eval(e.OffsetExpr)
		if err != nil {
			return fmt.Errorf("runtime: element segment %d offset: %w", i, err)
		}
		if int(e.Table) >= len(inst.tables) {
			return fmt.Errorf("runtime: element segment %d names table %d of %d", i, e.Table, len(inst.tables))
		}
		if uint64(uint32(off))+uint64(e.Len()) > uint64(inst.tables[e.Table].Len()) {
			return &Trap{Kind: vm.TrapTableOutOfBounds, WasmOffset: e.Offset}
		}
	}
	for i := range m.Datas {
		d := &m.Datas[i]
		if d.Mode != wasmc.ModeActive {
			continue
		}
		off, err := inst.eval(d.OffsetExpr)
		if err != nil {
			return fmt.Errorf("runtime: data segment %d offset: %w", i, err)
		}
		if inst.mem == nil {
			return fmt.Errorf("runtime: data segment %d but no memory", i)
		}
		if uint64(uint32(off))+uint64(len(d.Init)) > uint64(len(inst.mem.Bytes())) {
			return &Trap{Kind: vm.TrapMemoryOutOfBounds, WasmOffset: d.Offset}
		}
	}
	return nil
}

// eval evaluates a constant expression of the module.
func (inst *Instance) eval(e wasmc.ConstExpr) (uint64, error) {
	r := wasmc.NewConstExprReader(e)
	var ins wasmc.Instr
	var stack []uint64
	for !r.EOF() {
		if err := r.Next(&ins); err != nil {
			return 0, err
		}
		switch ins.Op {
		case wasmc.OpEnd:
			if len(stack) != 1 {
				return 0, fmt.Errorf("constant expression at offset %d leaves %d values", e.Offset, len(stack))
			}
			return stack[0], nil
		case wasmc.OpI32Const:
			stack = append(stack, uint64(uint32(ins.Imm)))
		case wasmc.OpI64Const, wasmc.OpF32Const, wasmc.OpF64Const:
			stack = append(stack, ins.Imm)
		case wasmc.OpRefNull:
			stack = append(stack, 0)
		case wasmc.OpRefFunc:
			if int64(ins.A) >= int64(len(inst.funcs)) {
				return 0, fmt.Errorf("ref.func %d: no such function", ins.A)
			}
			stack = append(stack, inst.funcs[ins.A].RefAddr())
		case wasmc.OpGlobalGet:
			if int64(ins.A) >= int64(len(inst.globals)) {
				return 0, fmt.Errorf("global.get %d: global not initialized yet", ins.A)
			}
			stack = append(stack, inst.globals[ins.A].Get())
		default:
			return 0, fmt.Errorf("opcode %#x at offset %d is not allowed in a constant expression", ins.Op, ins.Offset)
		}
	}
	return 0, fmt.Errorf("constant expression at offset %d has no end", e.Offset)
}

// Export implements Exporter.
func (inst *Instance) Export(name string) Extern { return inst.exports[name] }

// Func, Global, Memory and Table return the export name of that kind, or nil.
func (inst *Instance) Func(name string) *Func     { f, _ := inst.exports[name].(*Func); return f }
func (inst *Instance) Global(name string) *Global { g, _ := inst.exports[name].(*Global); return g }
func (inst *Instance) Memory(name string) *Memory { m, _ := inst.exports[name].(*Memory); return m }
func (inst *Instance) Table(name string) *Table   { t, _ := inst.exports[name].(*Table); return t }

// VMCtx is the address of the instance's vmctx.
func (inst *Instance) VMCtx() uint64 { return addr(inst.vmctx) }

// Close unmaps the instance's code, vmctx, memory and tables. Only close an
// instance whose exports no other live instance uses.
func (inst *Instance) Close() error {
	if inst.code != nil {
		codeRanges.Lock()
		for i, x := range codeRanges.list {
			if x == inst {
				codeRanges.list = append(codeRanges.list[:i], codeRanges.list[i+1:]...)
				break
			}
		}
		codeRanges.Unlock()
		inst.code.Close()
		inst.code = nil
	}
	if inst.ownMem && inst.mem != nil {
		inst.mem.close()
	}
	for _, t := range inst.ownTabs {
		t.close()
	}
	inst.ar.free()
	return nil
}
