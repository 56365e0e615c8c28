//go:build linux && amd64

package runtime

import (
	"errors"
	"math"
	"testing"

	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
)

// TestImportsBetweenInstances: B imports A's memory, global and a function;
// memory.grow in B is seen by A; B calls A's function through its import
// slot; globals initialize from imports and ref.func.
func TestImportsBetweenInstances(t *testing.T) {
	a := newBuilder()
	memModule(a, 1, 4)
	a.m.Globals = []wasmc.Global{{Type: wasmc.GlobalType{Type: i32, Mutable: true}, Init: constI32(41)}}
	a.m.Exports = append(a.m.Exports, wasmc.Export{Name: "g", Kind: wasmc.KindGlobal, Index: 0})
	// pages() returns memory 0's size in pages read through OffMemDesc.
	a.fn("pages", ft(nil, i32), func(as *Assembler, _ Label) {
		as.Load(S64, RAX, Ptr(R15, vm.OffMemDesc))
		as.Load(S64, RAX, Ptr(RAX, vm.MemDescSize))
		as.ShiftImm(SHR, S64, RAX, 16)
		as.Ret()
	})
	instA := mustInst(t, a, nil)

	b := newBuilder()
	b.m.Imports = []wasmc.Import{
		{Module: "a", Name: "mem", Kind: wasmc.KindMemory, Memory: wasmc.MemoryType{Limits: wasmc.Limits{Min: 1}}},
		{Module: "a", Name: "g", Kind: wasmc.KindGlobal, Global: wasmc.GlobalType{Type: i32, Mutable: true}},
		{Module: "a", Name: "pages", Kind: wasmc.KindFunc, Type: 0},
	}
	b.m.Types = []wasmc.FuncType{ft(nil, i32)}
	b.m.NumImportedFuncs = 1 // before fn() computes indexes
	// Global 1 = imported global 0's value + nothing (global.get 0), global 2 = ref.func 0.
	b.m.Globals = []wasmc.Global{
		{Type: wasmc.GlobalType{Type: i32}, Init: wasmc.ConstExpr{Bytes: []byte{0x23, 0x00, 0x0B}}},
		{Type: wasmc.GlobalType{Type: wasmc.FuncRef}, Init: wasmc.ConstExpr{Bytes: []byte{0xD2, 0x00, 0x0B}}},
	}
	b.m.Exports = append(b.m.Exports,
		wasmc.Export{Name: "copy_of_g", Kind: wasmc.KindGlobal, Index: 1},
		wasmc.Export{Name: "ref", Kind: wasmc.KindGlobal, Index: 2},
		wasmc.Export{Name: "g", Kind: wasmc.KindGlobal, Index: 0},
		wasmc.Export{Name: "pages_via_a", Kind: wasmc.KindFunc, Index: 0})
	b.callBuiltin("grow", vm.BuiltinMemoryGrow, rep(i32, 1), true)
	b.callBuiltin("fill", vm.BuiltinMemoryFill, rep(i32, 3), false)
	// call_a() calls import 0 the vm way: save R14/R15, switch, call, restore.
	layout := vm.NewLayout(vm.Counts{Globals: 3, ImportedFuncs: 1, Funcs: 4, Types: 4})
	b.fn("call_a", ft(nil, i32), func(as *Assembler, _ Label) {
		as.Push(RBP)
		as.MovRR(S64, RBP, RSP)
		as.Push(R14)
		as.Push(R15)
		as.Load(S64, RAX, Ptr(R15, int32(layout.ImportCode(0))))
		as.Load(S64, R15, Ptr(R15, int32(layout.ImportVMCtx(0))))
		as.Load(S64, R14, Ptr(R15, vm.OffMemBase))
		as.CallR(RAX)
		as.Pop(R15)
		as.Pop(R14)
		as.Pop(RBP)
		as.Ret()
	})
	b.m.NumImportedFuncs = 0 // instantiate() recounts from Imports
	instB := mustInst(t, b, Namespace{"a": instA})
	if got := len(instB.Module.Types); got != 4 {
		t.Fatalf("B has %d types; the layout above assumes 4", got)
	}

	memA := instA.Memory("mem")
	if r := call(t, instB, "grow", 2); r[0] != 1 {
		t.Fatalf("grow in B = %d, want 1", int32(r[0]))
	}
	if memA.Pages() != 3 {
		t.Fatalf("A's memory has %d pages after B grew it, want 3", memA.Pages())
	}
	if r := call(t, instA, "pages"); r[0] != 3 {
		t.Fatalf("A's code sees %d pages, want 3", r[0])
	}
	if r := call(t, instB, "call_a"); r[0] != 3 {
		t.Fatalf("B calling A through its import: %d pages, want 3", r[0])
	}
	if r := call(t, instB, "pages_via_a"); r[0] != 3 {
		t.Fatalf("re-exported import: %d, want 3", r[0])
	}
	call(t, instB, "fill", 3*vm.PageSize-4, 0x5A, 4)
	if got := memA.Bytes()[3*vm.PageSize-1]; got != 0x5A {
		t.Fatalf("A's memory after B's fill in the grown page: %#x, want 0x5a", got)
	}
	// Globals: shared cell, init from import, ref.func of the imported function.
	instA.Global("g").Set(99)
	if got := instB.Global("g").Get(); got != 99 {
		t.Fatalf("B's imported global = %d, want 99 (shared cell)", got)
	}
	if got := instB.Global("copy_of_g").Get(); got != 41 {
		t.Fatalf("global.get of import at instantiation = %d, want 41", got)
	}
	if got, want := instB.Global("ref").Get(), instA.Func("pages").RefAddr(); got != want || got == 0 {
		t.Fatalf("ref.func of an imported function = %#x, want A's FuncRef %#x", got, want)
	}
}

func TestLinkErrors(t *testing.T) {
	st, err := SpecTest()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ns := Namespace{"spectest": st}
	for _, c := range []struct {
		name string
		imp  wasmc.Import
		msg  string
	}{
		{"missing name", wasmc.Import{Module: "spectest", Name: "nope", Kind: wasmc.KindFunc}, "unknown import"},
		{"missing module", wasmc.Import{Module: "x", Name: "print", Kind: wasmc.KindFunc}, "unknown import"},
		{"func type", wasmc.Import{Module: "spectest", Name: "print_i32", Kind: wasmc.KindFunc, Type: 0}, "incompatible import type"},
		{"kind", wasmc.Import{Module: "spectest", Name: "print", Kind: wasmc.KindGlobal, Global: wasmc.GlobalType{Type: i32}}, "incompatible import type"},
		{"global mut", wasmc.Import{Module: "spectest", Name: "global_i32", Kind: wasmc.KindGlobal, Global: wasmc.GlobalType{Type: i32, Mutable: true}}, "incompatible import type"},
		{"global type", wasmc.Import{Module: "spectest", Name: "global_i32", Kind: wasmc.KindGlobal, Global: wasmc.GlobalType{Type: i64}}, "incompatible import type"},
		{"memory min", wasmc.Import{Module: "spectest", Name: "memory", Kind: wasmc.KindMemory, Memory: wasmc.MemoryType{Limits: wasmc.Limits{Min: 2}}}, "incompatible import type"},
		{"memory max", wasmc.Import{Module: "spectest", Name: "memory", Kind: wasmc.KindMemory, Memory: wasmc.MemoryType{Limits: wasmc.Limits{Min: 1, Max: 1, HasMax: true}}}, "incompatible import type"},
		{"table max", wasmc.Import{Module: "spectest", Name: "table", Kind: wasmc.KindTable, Table: wasmc.TableType{Elem: wasmc.FuncRef, Limits: wasmc.Limits{Min: 10, Max: 15, HasMax: true}}}, "incompatible import type"},
		{"table elem", wasmc.Import{Module: "spectest", Name: "table", Kind: wasmc.KindTable, Table: wasmc.TableType{Elem: wasmc.ExternRef, Limits: wasmc.Limits{Min: 10}}}, "incompatible import type"},
		{"ok memory", wasmc.Import{Module: "spectest", Name: "memory", Kind: wasmc.KindMemory, Memory: wasmc.MemoryType{Limits: wasmc.Limits{Min: 1, Max: 3, HasMax: true}}}, ""},
		{"ok func", wasmc.Import{Module: "spectest", Name: "print_i32", Kind: wasmc.KindFunc, Type: 1}, ""},
	} {
		b := newBuilder()
		b.m.Types = []wasmc.FuncType{ft([]wasmc.ValType{i64}), ft([]wasmc.ValType{i32})}
		b.m.Imports = []wasmc.Import{c.imp}
		_, err := b.instantiate(t, ns)
		var le *LinkError
		switch {
		case c.msg == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.msg != "" && (!errors.As(err, &le) || le.Msg != c.msg):
			t.Errorf("%s: got %v, want %q", c.name, err, c.msg)
		}
	}
}

// TestSegmentsInOrder: active segments apply in order; an out-of-bounds one
// fails instantiation with a trap, and the earlier writes into the imported
// memory and table stay.
func TestSegmentsInOrder(t *testing.T) {
	st, err := SpecTest()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ns := Namespace{"spectest": st}
	mk := func(dataOff, elemOff int32) *builder {
		b := newBuilder()
		b.m.Imports = []wasmc.Import{
			{Module: "spectest", Name: "memory", Kind: wasmc.KindMemory, Memory: wasmc.MemoryType{Limits: wasmc.Limits{Min: 1}}},
			{Module: "spectest", Name: "table", Kind: wasmc.KindTable, Table: wasmc.TableType{Elem: wasmc.FuncRef, Limits: wasmc.Limits{Min: 10}}},
		}
		f := b.fn("f", ft(nil), func(a *Assembler, _ Label) { a.Ret() })
		b.m.Elems = []wasmc.Elem{
			{Mode: wasmc.ModeActive, OffsetExpr: constI32(1), Type: wasmc.FuncRef, Funcs: []uint32{f, f}},
			{Mode: wasmc.ModeActive, OffsetExpr: constI32(elemOff), Type: wasmc.FuncRef, Funcs: []uint32{f}},
		}
		b.m.Datas = []wasmc.Data{
			{Mode: wasmc.ModeActive, OffsetExpr: constI32(100), Init: []byte("first")},
			{Mode: wasmc.ModeActive, OffsetExpr: constI32(dataOff), Init: []byte("second")},
		}
		return b
	}
	tab := st.Export("table").(*Table)
	mem := st.Export("memory").(*Memory)

	// Table segment out of bounds: the first elem segment stays, no data.
	_, err = mk(200, 10).instantiate(t, ns)
	wantTrap(t, err, vm.TrapTableOutOfBounds)
	if v, _ := tab.Get(1); v == 0 {
		t.Fatal("the first element segment was not kept after the failure")
	}
	if string(mem.Bytes()[100:105]) == "first" {
		t.Fatal("data segments were applied although an element segment failed first")
	}
	// Data segment out of bounds: the first data segment stays.
	_, err = mk(65536-5, 0).instantiate(t, ns)
	wantTrap(t, err, vm.TrapMemoryOutOfBounds)
	if got := string(mem.Bytes()[100:105]); got != "first" {
		t.Fatalf("memory[100:105] = %q, want the first segment kept", got)
	}
	// All in bounds (data exactly at the end).
	inst, err := mk(65536-6, 9).instantiate(t, ns)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(mem.Bytes()[65530:]); got != "second" {
		t.Fatalf("last bytes = %q, want second", got)
	}
	if v, _ := tab.Get(9); v != inst.Func("f").RefAddr() {
		t.Fatalf("table[9] = %#x, want f's FuncRef %#x", v, inst.Func("f").RefAddr())
	}
	// A FuncRef record holds code, vmctx and the canonical type id.
	f := inst.Func("f")
	if f.VMCtx() != inst.VMCtx() || get64(f.ref, vm.FuncRefTypeID) != TypeID(ft(nil)) {
		t.Fatal("FuncRef record has the wrong vmctx or type id")
	}
}

// TestSegmentsCheckedFirst: with CheckSegmentsFirst (Wasm 1.0), a module
// with any segment out of bounds writes none, so imported tables and
// memories stay untouched (v1 linking.wast); without it the segments before
// the failing one stay written (TestSegmentsInOrder).
func TestSegmentsCheckedFirst(t *testing.T) {
	st, err := SpecTest()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ns := Namespace{"spectest": st}
	tab := st.Export("table").(*Table)
	mem := st.Export("memory").(*Memory)
	mk := func(dataOff, elemOff int32) *builder {
		b := newBuilder()
		b.opts.CheckSegmentsFirst = true
		b.m.Imports = []wasmc.Import{
			{Module: "spectest", Name: "memory", Kind: wasmc.KindMemory, Memory: wasmc.MemoryType{Limits: wasmc.Limits{Min: 1}}},
			{Module: "spectest", Name: "table", Kind: wasmc.KindTable, Table: wasmc.TableType{Elem: wasmc.FuncRef, Limits: wasmc.Limits{Min: 10}}},
		}
		f := b.fn("f", ft(nil), func(a *Assembler, _ Label) { a.Ret() })
		b.m.Elems = []wasmc.Elem{
			{Mode: wasmc.ModeActive, OffsetExpr: constI32(1), Type: wasmc.FuncRef, Funcs: []uint32{f}},
			{Mode: wasmc.ModeActive, OffsetExpr: constI32(elemOff), Type: wasmc.FuncRef, Funcs: []uint32{f}},
		}
		b.m.Datas = []wasmc.Data{
			{Mode: wasmc.ModeActive, OffsetExpr: constI32(100), Init: []byte("first")},
			{Mode: wasmc.ModeActive, OffsetExpr: constI32(dataOff), Init: []byte("second")},
		}
		return b
	}
	untouched := func(what string) {
		t.Helper()
		if v, _ := tab.Get(1); v != 0 {
			t.Fatalf("%s: table[1] was written", what)
		}
		if string(mem.Bytes()[100:105]) == "first" {
			t.Fatalf("%s: memory[100:105] was written", what)
		}
	}
	// The last data segment is out of bounds: no element, no data written.
	_, err = mk(65536-5, 2).instantiate(t, ns)
	wantTrap(t, err, vm.TrapMemoryOutOfBounds)
	untouched("data segment out of bounds")
	// The second element segment is out of bounds.
	_, err = mk(0, 10).instantiate(t, ns)
	wantTrap(t, err, vm.TrapTableOutOfBounds)
	untouched("element segment out of bounds")
	// All in bounds: everything written.
	if _, err := mk(65536-6, 9).instantiate(t, ns); err != nil {
		t.Fatal(err)
	}
	if v, _ := tab.Get(1); v == 0 || string(mem.Bytes()[100:105]) != "first" || string(mem.Bytes()[65530:]) != "second" {
		t.Fatal("segments in bounds were not written")
	}
}

func TestSpecTestModule(t *testing.T) {
	st, err := SpecTest()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if g := st.Export("global_f64").(*Global); math.Float64frombits(g.Get()) != 666.6 {
		t.Fatalf("global_f64 = %v", math.Float64frombits(g.Get()))
	}
	if g := st.Export("global_i32").(*Global); g.Get() != 666 {
		t.Fatalf("global_i32 = %d", g.Get())
	}
	if tab := st.Export("table").(*Table); tab.Len() != 10 {
		t.Fatalf("table length %d", tab.Len())
	}
	// The print functions are callable no-ops.
	f := st.Export("print_f64_f64").(*Func)
	if r, err := f.Call(1, 2); err != nil || len(r) != 0 {
		t.Fatalf("print_f64_f64 = %v, %v", r, err)
	}
	if TypeID(ft([]wasmc.ValType{i32})) != TypeID(ft([]wasmc.ValType{i32})) || TypeID(ft([]wasmc.ValType{i32})) == TypeID(ft([]wasmc.ValType{i64})) {
		t.Fatal("type ids are not canonical")
	}
}
