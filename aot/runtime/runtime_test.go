//go:build linux && amd64

package runtime

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
)

var (
	i32 = wasmc.I32
	i64 = wasmc.I64
)

func ft(params []wasmc.ValType, results ...wasmc.ValType) wasmc.FuncType {
	return wasmc.FuncType{Params: params, Results: results}
}

func rep(t wasmc.ValType, n int) []wasmc.ValType {
	var ts []wasmc.ValType
	for range n {
		ts = append(ts, t)
	}
	return ts
}

// builder makes a module whose defined functions are hand-assembled.
type builder struct {
	m    wasmc.Module
	a    *Assembler
	blob Blob
	opts InstantiateOptions
}

func newBuilder() *builder {
	return &builder{a: New(), blob: Blob{Funcs: map[uint32]int{}, Sites: map[int][2]int{}}}
}

// fn adds an exported function of type t whose body emit assembles.
func (b *builder) fn(name string, t wasmc.FuncType, emit func(a *Assembler, self Label)) uint32 {
	ti := uint32(len(b.m.Types))
	b.m.Types = append(b.m.Types, t)
	idx := uint32(b.m.NumImportedFuncs + len(b.m.Funcs))
	b.m.Funcs = append(b.m.Funcs, ti)
	b.a.Align(16)
	self := b.a.NewLabel()
	b.a.Bind(self)
	b.blob.Funcs[idx] = b.a.Len()
	emit(b.a, self)
	if name != "" {
		b.m.Exports = append(b.m.Exports, wasmc.Export{Name: name, Kind: wasmc.KindFunc, Index: idx})
	}
	return idx
}

// callBuiltin adds an exported function taking nargs i32/i64 operands that
// calls builtin k with (vmctx, operands...) and returns its RAX as i32.
func (b *builder) callBuiltin(name string, k int, params []wasmc.ValType, result bool) {
	var res []wasmc.ValType
	if result {
		res = []wasmc.ValType{i32}
	}
	b.fn(name, ft(params, res...), func(a *Assembler, _ Label) {
		a.Push(RBP)
		a.MovRR(S64, RBP, RSP)
		regs := []Reg{RDI, RSI, RDX, RCX, R8, R9}
		for i := len(params); i > 0; i-- {
			a.MovRR(S64, regs[i], regs[i-1])
		}
		a.MovRR(S64, RDI, R15)
		a.CallM(Ptr(R15, int32(vm.Builtin(k))))
		a.Pop(RBP)
		a.Ret()
	})
}

func (b *builder) instantiate(t *testing.T, imports Resolver) (*Instance, error) {
	t.Helper()
	code, err := b.a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	b.blob.Bytes = code
	for i := range b.m.Imports {
		switch b.m.Imports[i].Kind {
		case wasmc.KindFunc:
			b.m.NumImportedFuncs++
		case wasmc.KindGlobal:
			b.m.NumImportedGlobals++
		case wasmc.KindMemory:
			b.m.NumImportedMemories++
		case wasmc.KindTable:
			b.m.NumImportedTables++
		}
	}
	inst, err := InstantiateWith(&b.blob, &b.m, imports, b.opts)
	if err == nil {
		t.Cleanup(func() { inst.Close() })
	}
	return inst, err
}

func mustInst(t *testing.T, b *builder, imports Resolver) *Instance {
	t.Helper()
	inst, err := b.instantiate(t, imports)
	if err != nil {
		t.Fatalf("instantiate: %v", err)
	}
	return inst
}

func call(t *testing.T, inst *Instance, name string, args ...uint64) []uint64 {
	t.Helper()
	r, err := inst.Call(name, args...)
	if err != nil {
		t.Fatalf("%s%v: %v", name, args, err)
	}
	return r
}

func wantTrap(t *testing.T, err error, kind vm.TrapKind) *Trap {
	t.Helper()
	var tr *Trap
	if !errors.As(err, &tr) {
		t.Fatalf("got error %v, want a %q trap", err, kind)
	}
	if tr.Kind != kind || !strings.HasPrefix(tr.Error(), kind.String()) {
		t.Fatalf("got trap %q (kind %d), want %q", tr.Error(), tr.Kind, kind)
	}
	return tr
}

func constI32(v int32) wasmc.ConstExpr {
	b := []byte{0x41}
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			b = append(b, c)
			break
		}
		b = append(b, c|0x80)
	}
	return wasmc.ConstExpr{Bytes: append(b, 0x0B)}
}

func memModule(b *builder, min, max uint32) {
	b.m.Memories = []wasmc.MemoryType{{Limits: wasmc.Limits{Min: min, Max: max, HasMax: true}}}
	b.m.Exports = append(b.m.Exports, wasmc.Export{Name: "mem", Kind: wasmc.KindMemory})
	b.callBuiltin("fill", vm.BuiltinMemoryFill, rep(i32, 3), false)
	b.callBuiltin("copy", vm.BuiltinMemoryCopy, rep(i32, 3), false)
	b.callBuiltin("init", vm.BuiltinMemoryInit, rep(i32, 4), false)
	b.callBuiltin("drop", vm.BuiltinDataDrop, rep(i32, 1), false)
	b.callBuiltin("grow", vm.BuiltinMemoryGrow, rep(i32, 1), true)
}

func TestMemoryBuiltins(t *testing.T) {
	b := newBuilder()
	memModule(b, 1, 3)
	b.m.Datas = []wasmc.Data{{Mode: wasmc.ModePassive, Init: []byte("hello, world")}}
	inst := mustInst(t, b, nil)
	mem := inst.Memory("mem")
	model := make([]byte, vm.PageSize)

	check := func(what string) {
		t.Helper()
		if !bytes.Equal(mem.Bytes()[:len(model)], model) {
			t.Fatalf("%s: memory differs from the model", what)
		}
	}
	call(t, inst, "fill", 100, 0x1AB, 50) // value truncated to a byte
	for i := 100; i < 150; i++ {
		model[i] = 0xAB
	}
	check("fill")
	for i := range 40 {
		model[200+i] = byte(i + 1)
	}
	copy(mem.Bytes()[200:], model[200:240])
	// Overlapping copies both ways, then a disjoint one.
	for _, c := range [][3]int{{205, 200, 30}, {200, 210, 30}, {1000, 200, 40}, {0, 0, 0}} {
		call(t, inst, "copy", uint64(c[0]), uint64(c[1]), uint64(c[2]))
		copy(model[c[0]:c[0]+c[2]], model[c[1]:c[1]+c[2]])
		check("copy")
	}
	call(t, inst, "init", 0, 65530, 7, 5)
	copy(model[65530:], "world")
	check("init")

	// Out of bounds: trap, nothing written.
	_, err := inst.Call("fill", 65530, 1, 7)
	wantTrap(t, err, vm.TrapMemoryOutOfBounds)
	_, err = inst.Call("copy", 0, 65535, 2)
	wantTrap(t, err, vm.TrapMemoryOutOfBounds)
	_, err = inst.Call("copy", 0xFFFFFFFF, 0, 2)
	wantTrap(t, err, vm.TrapMemoryOutOfBounds)
	_, err = inst.Call("init", 0, 0, 10, 3)
	wantTrap(t, err, vm.TrapMemoryOutOfBounds)
	check("after traps")
	call(t, inst, "fill", 65536, 9, 0) // n = 0 at the end is in bounds

	call(t, inst, "drop", 0)
	call(t, inst, "init", 0, 0, 0, 0)
	_, err = inst.Call("init", 0, 0, 0, 1)
	wantTrap(t, err, vm.TrapMemoryOutOfBounds)

	// Grow: old size, then -1 past the maximum; the new page is usable.
	if r := call(t, inst, "grow", 1); r[0] != 1 || mem.Pages() != 2 {
		t.Fatalf("grow(1) = %d, pages %d; want 1, 2", int32(r[0]), mem.Pages())
	}
	if r := call(t, inst, "grow", 0); r[0] != 2 {
		t.Fatalf("grow(0) = %d, want 2", int32(r[0]))
	}
	if r := call(t, inst, "grow", 2); int32(r[0]) != -1 || mem.Pages() != 2 {
		t.Fatalf("grow(2) past max = %d (pages %d), want -1", int32(r[0]), mem.Pages())
	}
	call(t, inst, "fill", 2*vm.PageSize-10, 7, 10)
	if got := mem.Bytes()[2*vm.PageSize-1]; got != 7 {
		t.Fatalf("byte in the grown page = %d, want 7", got)
	}
	_, err = inst.Call("fill", 2*vm.PageSize-10, 7, 11)
	wantTrap(t, err, vm.TrapMemoryOutOfBounds)
}

// TestZeroPageMemory: a memory may start with 0 pages (spec align.wast,
// memory.wast); committing nothing must not fail (mprotect rejects an empty
// range), and memory.grow(0) and a later growth work.
func TestZeroPageMemory(t *testing.T) {
	b := newBuilder()
	memModule(b, 0, 2)
	inst := mustInst(t, b, nil)
	mem := inst.Memory("mem")
	if mem.Pages() != 0 || len(mem.Bytes()) != 0 {
		t.Fatalf("pages %d, %d bytes; want an empty memory", mem.Pages(), len(mem.Bytes()))
	}
	if g := mem.Grow(0); g != 0 {
		t.Fatalf("Grow(0) = %d, want 0", g)
	}
	if r := call(t, inst, "grow", 0); r[0] != 0 {
		t.Fatalf("memory.grow(0) = %d, want 0", int32(r[0]))
	}
	call(t, inst, "fill", 0, 1, 0)
	_, err := inst.Call("fill", 0, 1, 1)
	wantTrap(t, err, vm.TrapMemoryOutOfBounds)
	if r := call(t, inst, "grow", 1); r[0] != 0 || mem.Pages() != 1 {
		t.Fatalf("memory.grow(1) = %d, pages %d; want 0, 1", int32(r[0]), mem.Pages())
	}
	call(t, inst, "fill", vm.PageSize-1, 5, 1)
	if mem.Bytes()[vm.PageSize-1] != 5 {
		t.Fatal("the grown page is not writable")
	}
}

func TestTableBuiltins(t *testing.T) {
	b := newBuilder()
	f0 := b.fn("f0", ft(nil), func(a *Assembler, _ Label) { a.Ret() })
	f1 := b.fn("f1", ft(nil), func(a *Assembler, _ Label) { a.Ret() })
	b.m.Tables = []wasmc.TableType{{Elem: wasmc.FuncRef, Limits: wasmc.Limits{Min: 4, Max: 8, HasMax: true}}}
	b.m.Exports = append(b.m.Exports, wasmc.Export{Name: "tab", Kind: wasmc.KindTable})
	b.m.Elems = []wasmc.Elem{{Mode: wasmc.ModePassive, Type: wasmc.FuncRef, Funcs: []uint32{f1, f0, f1}}}
	b.callBuiltin("grow", vm.BuiltinTableGrow, []wasmc.ValType{i32, i32, i64}, true)
	b.callBuiltin("fill", vm.BuiltinTableFill, []wasmc.ValType{i32, i32, i64, i32}, false)
	b.callBuiltin("copy", vm.BuiltinTableCopy, rep(i32, 5), false)
	b.callBuiltin("init", vm.BuiltinTableInit, rep(i32, 5), false)
	b.callBuiltin("drop", vm.BuiltinElemDrop, rep(i32, 1), false)
	inst := mustInst(t, b, nil)
	tab := inst.Table("tab")
	r0, r1 := inst.Func("f0").RefAddr(), inst.Func("f1").RefAddr()
	model := make([]uint64, 4)
	check := func(what string) {
		t.Helper()
		if tab.Len() != uint32(len(model)) {
			t.Fatalf("%s: length %d, want %d", what, tab.Len(), len(model))
		}
		for i, w := range model {
			if g, _ := tab.Get(uint32(i)); g != w {
				t.Fatalf("%s: element %d = %#x, want %#x", what, i, g, w)
			}
		}
	}
	call(t, inst, "init", 0, 0, 1, 0, 3)
	copy(model[1:], []uint64{r1, r0, r1})
	check("init")
	call(t, inst, "copy", 0, 0, 0, 1, 3) // overlapping, backward source
	copy(model[0:3], model[1:4])
	check("copy down")
	call(t, inst, "copy", 0, 0, 1, 0, 3)
	copy(model[1:4], model[0:3])
	check("copy up")
	call(t, inst, "fill", 0, 2, r0, 2)
	model[2], model[3] = r0, r0
	check("fill")
	if r := call(t, inst, "grow", 0, 3, r1); r[0] != 4 {
		t.Fatalf("grow = %d, want 4", int32(r[0]))
	}
	model = append(model, r1, r1, r1)
	check("grow")
	if r := call(t, inst, "grow", 0, 2, 0); int32(r[0]) != -1 {
		t.Fatalf("grow past max = %d, want -1", int32(r[0]))
	}
	check("grow past max")
	for _, c := range []struct {
		name string
		args []uint64
	}{
		{"fill", []uint64{0, 6, r0, 2}},
		{"copy", []uint64{0, 0, 5, 0, 3}},
		{"copy", []uint64{0, 0, 0, 5, 3}},
		{"init", []uint64{0, 0, 0, 1, 3}},
		{"init", []uint64{0, 0, 6, 0, 2}},
	} {
		_, err := inst.Call(c.name, c.args...)
		wantTrap(t, err, vm.TrapTableOutOfBounds)
	}
	check("after traps")
	call(t, inst, "drop", 0)
	_, err := inst.Call("init", 0, 0, 0, 0, 1)
	wantTrap(t, err, vm.TrapTableOutOfBounds)
	call(t, inst, "init", 0, 0, 0, 0, 0)
}

func TestTrapSiteAndStackOverflow(t *testing.T) {
	b := newBuilder()
	var site int
	b.fn("boom", ft(nil, i32), func(a *Assembler, _ Label) {
		a.Push(RBP)
		a.MovRR(S64, RBP, RSP)
		a.MovImm(S32, RDI, int64(vm.TrapIntegerDivByZero))
		a.CallM(Ptr(R15, vm.OffTrapFn))
		site = a.Len()
		a.Ud2()
	})
	b.blob.Sites[site] = [2]int{0, 0x42}
	b.m.Names = &wasmc.Names{Funcs: map[uint32]string{0: "boom_fn"}}
	// rec(n): n == 0 ? 7 : rec(n-1), with the stack-limit prologue.
	b.fn("rec", ft([]wasmc.ValType{i64}, i64), func(a *Assembler, self Label) {
		over, base := a.NewLabel(), a.NewLabel()
		a.Push(RBP)
		a.MovRR(S64, RBP, RSP)
		a.AluRM(CMP, S64, RSP, Ptr(R15, vm.OffStackLimit))
		a.Jcc(CondB, over)
		a.TestRR(S64, RDI, RDI)
		a.Jcc(CondE, base)
		a.AluRI(SUB, S64, RDI, 1)
		a.AluRI(SUB, S64, RSP, 16)
		a.Call(self)
		a.MovRR(S64, RSP, RBP)
		a.Pop(RBP)
		a.Ret()
		a.Bind(base)
		a.MovImm(S32, RAX, 7)
		a.Pop(RBP)
		a.Ret()
		a.Bind(over)
		a.MovImm(S32, RDI, int64(vm.TrapStackOverflow))
		a.CallM(Ptr(R15, vm.OffTrapFn))
	})
	inst := mustInst(t, b, nil)
	_, err := inst.Call("boom")
	tr := wantTrap(t, err, vm.TrapIntegerDivByZero)
	if tr.Func != "boom_fn" || tr.WasmOffset != 0x42 {
		t.Fatalf("trap site: func %q offset %#x, want boom_fn 0x42", tr.Func, tr.WasmOffset)
	}
	if r := call(t, inst, "rec", 1000); r[0] != 7 {
		t.Fatalf("rec(1000) = %d, want 7", r[0])
	}
	_, err = inst.Call("rec", 1<<40)
	wantTrap(t, err, vm.TrapStackOverflow)
	// The runtime is usable after a trap, repeatedly.
	for range 3 {
		if r := call(t, inst, "rec", 10); r[0] != 7 {
			t.Fatalf("rec(10) after a trap = %d, want 7", r[0])
		}
		_, err = inst.Call("boom")
		wantTrap(t, err, vm.TrapIntegerDivByZero)
	}
}

// TestEntryTrampoline checks BuildEntry with stack parameters, float
// parameters and stack results: f(i64 x8, f64 x9) returns
// (sum of ints, f64 arg 9, i64 arg 8, i64 arg 7, f64 arg 1).
func TestEntryTrampoline(t *testing.T) {
	params := append(rep(i64, 8), rep(wasmc.F64, 9)...)
	results := []wasmc.ValType{i64, wasmc.F64, i64, i64, wasmc.F64}
	b := newBuilder()
	b.fn("f", ft(params, results...), func(a *Assembler, _ Label) {
		a.Push(RBP)
		a.MovRR(S64, RBP, RSP)
		// Stack params: i64 #7, #8 at [rbp+16], [rbp+24]; f64 #9 at [rbp+32].
		// Results: 0 RAX, 1 XMM0, 2 RDX, 3 the stack slot after the three
		// parameter slots ([rbp+40]), 4 XMM1.
		a.MovRR(S64, RAX, RDI)
		for _, r := range []Reg{RSI, RDX, RCX, R8, R9} {
			a.AluRR(ADD, S64, RAX, r)
		}
		a.AluRM(ADD, S64, RAX, Ptr(RBP, 16))
		a.AluRM(ADD, S64, RAX, Ptr(RBP, 24))
		a.Load(S64, RDX, Ptr(RBP, 24))
		a.Load(S64, R10, Ptr(RBP, 16))
		a.Store(S64, Ptr(RBP, 40), R10)
		a.Movaps(X1, X0)
		a.FLoad(S64, X0, Ptr(RBP, 32))
		a.Pop(RBP)
		a.Ret()
	})
	inst := mustInst(t, b, nil)
	args := []uint64{1, 2, 3, 4, 5, 6, 70, 800, 11, 12, 13, 14, 15, 16, 17, 18, 99}
	r := call(t, inst, "f", args...)
	want := []uint64{891, 99, 800, 70, 11}
	for i := range want {
		if r[i] != want[i] {
			t.Fatalf("results %v, want %v", r, want)
		}
	}
}
