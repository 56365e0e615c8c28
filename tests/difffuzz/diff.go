//go:build linux && amd64

package difffuzz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/mwasm/mwasm/aot"
	"github.com/mwasm/mwasm/aot/frontend"
	aotrt "github.com/mwasm/mwasm/aot/runtime"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
)

// TrapClass is the kind of a trap as both engines can name it.
type TrapClass int

// Trap classes. wazero reports a call_indirect through a null slot and one
// past the table's end alike ("invalid table access"), so aot's
// TrapUndefinedElement, TrapNullReference and TrapTableOutOfBounds are one
// class.
const (
	NoTrap TrapClass = iota
	TrapUnreachable
	TrapMemory
	TrapTable
	TrapSignature
	TrapDivZero
	TrapOverflow
	TrapConversion
	TrapStack
	TrapOther
)

var trapNames = [...]string{"no trap", "unreachable", "out of bounds memory access", "table access", "indirect call type mismatch",
	"integer divide by zero", "integer overflow", "invalid conversion to integer", "stack exhausted", "other trap"}

func (c TrapClass) String() string { return trapNames[c] }

var wazeroTexts = []struct {
	text  string
	class TrapClass
}{
	{"stack overflow", TrapStack},
	{"unreachable", TrapUnreachable},
	{"out of bounds memory access", TrapMemory},
	{"invalid table access", TrapTable},
	{"indirect call type mismatch", TrapSignature},
	{"integer divide by zero", TrapDivZero},
	{"integer overflow", TrapOverflow},
	{"invalid conversion to integer", TrapConversion},
}

func wazeroClass(err error) TrapClass {
	msg := err.Error()
	for _, t := range wazeroTexts {
		if strings.Contains(msg, t.text) {
			return t.class
		}
	}
	return TrapOther
}

func aotClass(k vm.TrapKind) TrapClass {
	switch k {
	case vm.TrapUnreachable:
		return TrapUnreachable
	case vm.TrapIntegerOverflow:
		return TrapOverflow
	case vm.TrapIntegerDivByZero:
		return TrapDivZero
	case vm.TrapInvalidConversion:
		return TrapConversion
	case vm.TrapMemoryOutOfBounds:
		return TrapMemory
	case vm.TrapTableOutOfBounds, vm.TrapNullReference, vm.TrapUndefinedElement:
		return TrapTable
	case vm.TrapIndirectCallType:
		return TrapSignature
	case vm.TrapStackOverflow:
		return TrapStack
	}
	return TrapOther
}

// ErrGenerator marks a module the generator should never have produced
// (invalid per wasmc or wazero).
var ErrGenerator = errors.New("generator produced an invalid module")

// Divergence is a difference between wazero and aot.
type Divergence struct {
	What string
}

func (d *Divergence) Error() string { return "wazero and aot diverge: " + d.What }

// Stats counts what Check exercised.
type Stats struct {
	Calls, Traps int
	ByClass      [TrapOther + 1]int
	WazeroBugs   int // modules skipped as wazero compiler bugs
	Libs         int // modules linked to a library module
	RefOps       int // reference and table instructions generated
}

// WazeroCompilerBug marks a divergence in which wazero's interpreter agrees
// with aot and only wazero's optimizing compiler differs (see
// knownWazeroBugs in the tests for the patterns found so far).
type WazeroCompilerBug struct {
	What string
}

func (e *WazeroCompilerBug) Error() string {
	return "wazero's compiler diverges from both wazero's interpreter and aot: " + e.What
}

// observation is what one call shows: its trap class or results, then the
// globals and the memory.
type observation struct {
	where   string
	trap    TrapClass
	msg     string
	results []uint64
	globals []uint64
	mem     []byte
}

// Check compiles m with both engines, calls every export with each argument
// set and compares. It returns an error wrapping ErrGenerator for an invalid
// module, a *Divergence for a difference, a *WazeroCompilerBug when wazero's
// interpreter sides with aot, and any other error for a failure of the
// harness or of aot.Compile on a valid module.
func Check(m *Module, st *Stats) error {
	decode := func(b []byte) (*wasmc.Module, error) {
		wm, err := wasmc.DecodeFeatures(b, wasmc.FeaturesV2)
		if err == nil {
			err = wasmc.Validate(wm)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: wasmc: %v", ErrGenerator, err)
		}
		return wm, nil
	}
	wm, err := decode(m.Wasm)
	if err != nil {
		return err
	}
	var lm *wasmc.Module
	if m.Lib != nil {
		if lm, err = decode(m.Lib.Wasm); err != nil {
			return fmt.Errorf("library module: %w", err)
		}
	}
	z, err := runWazero(m, true)
	if err != nil {
		return err
	}
	a, err := runAOT(m, wm, lm)
	if err != nil {
		return err
	}
	d := compareTraces(m, z, a)
	if d == nil {
		st.RefOps += m.refOps
		if m.Lib != nil {
			st.Libs++
		}
		for _, o := range z[1:] {
			st.Calls++
			st.ByClass[o.trap]++
			if o.trap != NoTrap {
				st.Traps++
			}
		}
		return nil
	}
	zi, err := runWazero(m, false)
	if err != nil {
		return err
	}
	if compareTraces(m, zi, a) == nil {
		return &WazeroCompilerBug{What: d.What}
	}
	return d
}

func runWazero(m *Module, compiler bool) ([]observation, error) {
	ctx := context.Background()
	cfg := wazero.NewRuntimeConfigInterpreter()
	if compiler {
		cfg = wazero.NewRuntimeConfigCompiler()
	}
	rt := wazero.NewRuntimeWithConfig(ctx, cfg.WithCoreFeatures(api.CoreFeaturesV2))
	defer rt.Close(ctx)
	if m.Lib != nil {
		lcm, err := rt.CompileModule(ctx, m.Lib.Wasm)
		if err != nil {
			return nil, fmt.Errorf("%w: wazero: library: %v", ErrGenerator, err)
		}
		if _, err := rt.InstantiateModule(ctx, lcm, wazero.NewModuleConfig().WithName("lib").WithStartFunctions()); err != nil {
			return nil, fmt.Errorf("%w: wazero instantiate library: %v", ErrGenerator, err)
		}
	}
	cm, err := rt.CompileModule(ctx, m.Wasm)
	if err != nil {
		return nil, fmt.Errorf("%w: wazero: %v", ErrGenerator, err)
	}
	mod, err := rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("%w: wazero instantiate: %v", ErrGenerator, err)
	}
	state := func(o observation) observation {
		for i := range m.Globals {
			o.globals = append(o.globals, mod.ExportedGlobal(fmt.Sprintf("g%d", i)).Get())
		}
		mem := mod.ExportedMemory("mem")
		b, _ := mem.Read(0, mem.Size())
		o.mem = append([]byte(nil), b...)
		return o
	}
	obs := []observation{state(observation{where: "instantiation"})}
	fuel := mod.ExportedGlobal("fuel").(api.MutableGlobal)
	for i, ft := range m.Funcs {
		name := fmt.Sprintf("f%d", i)
		fn := mod.ExportedFunction(name)
		for _, args := range m.Args[i] {
			fuel.Set(uint64(m.Fuel))
			res, err := fn.Call(ctx, args...)
			o := observation{where: name + fmtArgs(ft.params, args), results: res}
			if err != nil {
				o.trap, o.msg, o.results = wazeroClass(err), err.Error(), nil
			}
			obs = append(obs, state(o))
		}
	}
	return obs, nil
}

func runAOT(m *Module, wm, lm *wasmc.Module) ([]observation, error) {
	opts := aot.Options{BoundsChecks: frontend.BoundsExplicit, Workers: 1}
	var imports aotrt.Resolver
	if lm != nil {
		lobj, err := aot.Compile(lm, opts)
		if err != nil {
			return nil, fmt.Errorf("aot.Compile rejects a valid library module: %v", err)
		}
		lib, err := aotrt.Instantiate(lobj.Loadable(), lm, nil)
		if err != nil {
			return nil, &Divergence{What: fmt.Sprintf("aot fails to instantiate the library (wazero does): %v", err)}
		}
		// Closed after the main instance (deferred first, runs last).
		defer lib.Close()
		imports = aotrt.Namespace{"lib": lib}
	}
	obj, err := aot.Compile(wm, opts)
	if err != nil {
		return nil, fmt.Errorf("aot.Compile rejects a valid module: %v", err)
	}
	inst, err := aotrt.Instantiate(obj.Loadable(), wm, imports)
	if err != nil {
		return nil, &Divergence{What: fmt.Sprintf("aot fails to instantiate (wazero does): %v", err)}
	}
	defer inst.Close()
	state := func(o observation) observation {
		for i := range m.Globals {
			o.globals = append(o.globals, inst.Global(fmt.Sprintf("g%d", i)).Get())
		}
		o.mem = append([]byte(nil), inst.Memory("mem").Bytes()...)
		return o
	}
	obs := []observation{state(observation{where: "instantiation"})}
	fuel := inst.Global("fuel")
	for i, ft := range m.Funcs {
		name := fmt.Sprintf("f%d", i)
		fn := inst.Func(name)
		for _, args := range m.Args[i] {
			fuel.Set(uint64(m.Fuel))
			res, err := fn.Call(args...)
			o := observation{where: name + fmtArgs(ft.params, args), results: res}
			if err != nil {
				var tr *aotrt.Trap
				if !errors.As(err, &tr) {
					return nil, fmt.Errorf("aot call %s: %v", o.where, err)
				}
				o.trap, o.msg, o.results = aotClass(tr.Kind), err.Error(), nil
			}
			obs = append(obs, state(o))
		}
	}
	return obs, nil
}

// compareTraces returns the first difference between z (wazero) and a
// (aot), or nil.
func compareTraces(m *Module, z, a []observation) *Divergence {
	fidx := make([]int, 0, len(z))
	fidx = append(fidx, -1)
	for i := range m.Funcs {
		for range m.Args[i] {
			fidx = append(fidx, i)
		}
	}
	for k := range z {
		zo, ao := z[k], a[k]
		where := zo.where
		if zo.trap != ao.trap {
			return &Divergence{What: fmt.Sprintf("%s: wazero %s (%s), aot %s (%s)", where, zo.trap, firstLine(zo.msg), ao.trap, ao.msg)}
		}
		if f := fidx[k]; f >= 0 && zo.trap == NoTrap {
			for i, t := range m.Funcs[f].results {
				if !sameBits(t, zo.results[i], ao.results[i]) {
					return &Divergence{What: fmt.Sprintf("%s: result %d (%s): wazero %s, aot %s", where, i, typeName(t), fmtVal(t, zo.results[i]), fmtVal(t, ao.results[i]))}
				}
			}
		}
		for i, t := range m.Globals {
			if !sameBits(t, zo.globals[i], ao.globals[i]) {
				return &Divergence{What: fmt.Sprintf("after %s: global g%d (%s): wazero %s, aot %s", where, i, typeName(t), fmtVal(t, zo.globals[i]), fmtVal(t, ao.globals[i]))}
			}
		}
		if len(zo.mem) != len(ao.mem) {
			return &Divergence{What: fmt.Sprintf("after %s: memory size: wazero %d bytes, aot %d", where, len(zo.mem), len(ao.mem))}
		}
		if !bytes.Equal(zo.mem, ao.mem) {
			i := 0
			for zo.mem[i] == ao.mem[i] {
				i++
			}
			return &Divergence{What: fmt.Sprintf("after %s: memory differs first at %#x: wazero %#02x, aot %#02x", where, i, zo.mem[i], ao.mem[i])}
		}
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// sameBits compares two raw values of type t: integers bit for bit, floats
// bit for bit unless both are NaN (the spec leaves NaN bits of arithmetic
// results open; the generator canonicalizes NaNs before their bits become
// observable elsewhere).
func sameBits(t byte, a, b uint64) bool {
	switch t {
	case tFuncref:
		// Function references are engine addresses: only null is comparable
		// (identity is observed inside the module through call_indirect).
		return (a == 0) == (b == 0)
	case tI32:
		return uint32(a) == uint32(b)
	case tF32:
		fa, fb := math.Float32frombits(uint32(a)), math.Float32frombits(uint32(b))
		if fa != fa && fb != fb {
			return true
		}
		return uint32(a) == uint32(b)
	case tF64:
		fa, fb := math.Float64frombits(a), math.Float64frombits(b)
		if fa != fa && fb != fb {
			return true
		}
	}
	return a == b
}

func typeName(t byte) string {
	switch t {
	case tI32:
		return "i32"
	case tI64:
		return "i64"
	case tF32:
		return "f32"
	case tFuncref:
		return "funcref"
	case tExternref:
		return "externref"
	}
	return "f64"
}

func fmtVal(t byte, v uint64) string {
	switch t {
	case tI32:
		return fmt.Sprintf("%#x", uint32(v))
	case tF32:
		return fmt.Sprintf("%v (%#x)", math.Float32frombits(uint32(v)), uint32(v))
	case tF64:
		return fmt.Sprintf("%v (%#x)", math.Float64frombits(v), v)
	}
	return fmt.Sprintf("%#x", v)
}

func fmtArgs(ts []byte, args []uint64) string {
	var sb strings.Builder
	sb.WriteByte('(')
	for k, a := range args {
		if k > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(fmtVal(ts[k], a))
	}
	sb.WriteByte(')')
	return sb.String()
}
