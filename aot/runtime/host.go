package runtime

import (
	"fmt"
	"math"

	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
)

// HostModule is a module made in Go: functions that are native no-op stubs,
// globals, tables and memories, exported by name.
type HostModule struct {
	Name    string
	exports map[string]Extern
	ar      arena
	vmctx   []byte // minimal vmctx the host functions run with
	mems    []*Memory
	tables  []*Table
}

// NewHostModule returns an empty host module.
func NewHostModule(name string) (*HostModule, error) {
	p, err := getProcess()
	if err != nil {
		return nil, err
	}
	h := &HostModule{Name: name, exports: map[string]Extern{}}
	h.vmctx = h.ar.alloc(vm.FixedSize)
	initFixed(p, h.vmctx, vm.NewLayout(vm.Counts{}))
	return h, nil
}

// Export implements Exporter.
func (h *HostModule) Export(name string) Extern { return h.exports[name] }

// AddNopFunc exports a function of type ft that does nothing and returns
// zero results (ft must have none).
func (h *HostModule) AddNopFunc(name string, ft wasmc.FuncType) error {
	if len(ft.Results) != 0 {
		return fmt.Errorf("runtime: host function %s.%s: a no-op function cannot return %v", h.Name, name, ft.Results)
	}
	p, err := getProcess()
	if err != nil {
		return err
	}
	entry, err := p.entryFor(ft)
	if err != nil {
		return err
	}
	f := &Func{Type: ft, Name: h.Name + "." + name, ref: h.ar.alloc(vm.FuncRefSize), entry: entry}
	put64(f.ref, vm.FuncRefCode, uint64(p.hostNop))
	put64(f.ref, vm.FuncRefVMCtx, addr(h.vmctx))
	put64(f.ref, vm.FuncRefTypeID, TypeID(ft))
	h.exports[name] = f
	return nil
}

// AddGlobal exports a global with the raw value v.
func (h *HostModule) AddGlobal(name string, t wasmc.GlobalType, v uint64) {
	g := &Global{Type: t, cell: h.ar.alloc(8)}
	g.Set(v)
	h.exports[name] = g
}

// AddTable exports a new table of type t (all elements null).
func (h *HostModule) AddTable(name string, t wasmc.TableType) error {
	tab, err := newTable(t, &h.ar)
	if err != nil {
		return err
	}
	h.tables = append(h.tables, tab)
	h.exports[name] = tab
	return nil
}

// AddMemory exports a new memory of type t (explicitly bounds-checked).
func (h *HostModule) AddMemory(name string, t wasmc.MemoryType) error {
	m, err := newMemory(t, false, &h.ar)
	if err != nil {
		return err
	}
	h.mems = append(h.mems, m)
	h.exports[name] = m
	return nil
}

// Close unmaps the module's memories, tables and native data.
func (h *HostModule) Close() error {
	for _, m := range h.mems {
		m.close()
	}
	for _, t := range h.tables {
		t.close()
	}
	h.ar.free()
	return nil
}

// SpecTest returns a fresh "spectest" module as the Wasm spec test suite
// expects it: print functions (no-ops), global_i32/i64 = 666,
// global_f32/f64 = 666.6, table (10 funcref, max 20), memory (1 page, max 2).
func SpecTest() (*HostModule, error) {
	h, err := NewHostModule("spectest")
	if err != nil {
		return nil, err
	}
	I32, I64, F32, F64 := wasmc.I32, wasmc.I64, wasmc.F32, wasmc.F64
	for name, params := range map[string][]wasmc.ValType{
		"print": nil, "print_i32": {I32}, "print_i64": {I64}, "print_f32": {F32},
		"print_f64": {F64}, "print_i32_f32": {I32, F32}, "print_f64_f64": {F64, F64},
	} {
		if err := h.AddNopFunc(name, wasmc.FuncType{Params: params}); err != nil {
			return nil, err
		}
	}
	h.AddGlobal("global_i32", wasmc.GlobalType{Type: I32}, 666)
	h.AddGlobal("global_i64", wasmc.GlobalType{Type: I64}, 666)
	h.AddGlobal("global_f32", wasmc.GlobalType{Type: F32}, uint64(math.Float32bits(666.6)))
	h.AddGlobal("global_f64", wasmc.GlobalType{Type: F64}, math.Float64bits(666.6))
	if err := h.AddTable("table", wasmc.TableType{Elem: wasmc.FuncRef, Limits: wasmc.Limits{Min: 10, Max: 20, HasMax: true}}); err != nil {
		return nil, err
	}
	if err := h.AddMemory("memory", wasmc.MemoryType{Limits: wasmc.Limits{Min: 1, Max: 2, HasMax: true}}); err != nil {
		return nil, err
	}
	return h, nil
}

// initFixed fills the fixed part of a vmctx (everything but memory 0).
func initFixed(p *process, vmctx []byte, l vm.Layout) {
	put64(vmctx, vm.OffStackLimit, p.stackLimit())
	put64(vmctx, vm.OffTrapFn, uint64(p.trapFn))
	put64(vmctx, vm.OffScratch, p.stateAddr())
	for i, b := range p.builtins {
		put64(vmctx, vm.Builtin(i), uint64(b))
	}
	put64(vmctx, vm.OffLayoutTables, uint64(l.Tables))
	put64(vmctx, vm.OffLayoutDatas, uint64(l.Datas))
	put64(vmctx, vm.OffLayoutElems, uint64(l.Elems))
}
