//go:build linux && amd64

package spec

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/mwasm/mwasm/aot"
	"github.com/mwasm/mwasm/aot/frontend"
	aotrt "github.com/mwasm/mwasm/aot/runtime"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
)

// AOTEngine runs the suite through mwasm's own compiler: wasmc decodes and
// validates (FeaturesV1 for v1 scripts), aot.Compile lowers every module to
// x86-64 with explicit bounds checks (a fault inside the Go process cannot
// become a trap), and aot/runtime instantiates it in process. The "spectest"
// module is SpectestModule compiled by the same path (once) and instantiated
// afresh for every script. For v1 scripts instantiation bounds-checks every
// segment before writing any (runtime.InstantiateOptions.CheckSegmentsFirst).
//
// Compiled modules are cached by suite and bytes, so a module compiled by
// Compile (assert_unlinkable) or by Precompile is not compiled again.
type AOTEngine struct {
	suite Suite
	host  *aotrt.Instance
	ns    aotrt.Namespace
	insts []*aotrt.Instance

	mu    sync.Mutex
	cache map[cacheKey]*aotModule
}

type cacheKey struct {
	suite Suite
	wasm  string
}

// aotModule is one compiled module (or the error that stopped it).
type aotModule struct {
	once sync.Once
	m    *wasmc.Module
	obj  *aot.Loadable
	err  error
}

// NewAOTEngine returns an engine with an empty cache.
func NewAOTEngine() *AOTEngine {
	return &AOTEngine{cache: map[cacheKey]*aotModule{}}
}

func suiteFeatures(s Suite) wasmc.Feature {
	if s == SuiteV1 {
		return wasmc.FeaturesV1
	}
	return wasmc.FeaturesV2
}

// compile decodes, validates and compiles wasm for suite s, once per
// (suite, bytes); concurrent callers of the same module wait for one
// compilation.
func (e *AOTEngine) compile(s Suite, wasm []byte) (*aotModule, error) {
	k := cacheKey{s, string(wasm)}
	e.mu.Lock()
	cm := e.cache[k]
	if cm == nil {
		cm = &aotModule{}
		e.cache[k] = cm
	}
	e.mu.Unlock()
	cm.once.Do(func() {
		m, err := wasmc.DecodeFeatures(wasm, suiteFeatures(s))
		if err == nil {
			err = wasmc.Validate(m)
		}
		if err != nil {
			cm.err = err
			return
		}
		// Workers: 1 — Precompile already runs modules in parallel, and
		// the suite's modules are small.
		obj, err := aot.Compile(m, aot.Options{BoundsChecks: frontend.BoundsExplicit, Workers: 1})
		if err != nil {
			cm.err = err
			return
		}
		cm.m, cm.obj = m, obj.Loadable()
	})
	return cm, cm.err
}

// Precompile compiles the given modules of suite s on all CPUs and keeps them
// in the cache; errors are kept too and reported when a command uses the
// module.
func (e *AOTEngine) Precompile(s Suite, wasms [][]byte) {
	work := make(chan []byte)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				e.compile(s, b)
			}
		}()
	}
	for _, b := range wasms {
		work <- b
	}
	close(work)
	wg.Wait()
}

// Reset implements Engine.
func (e *AOTEngine) Reset(suite Suite) error {
	if err := e.Close(); err != nil {
		return err
	}
	e.suite = suite
	// The spectest module uses no feature beyond v1; compile it under v2
	// so both suites share one object.
	cm, err := e.compile(SuiteV2, SpectestModule())
	if err != nil {
		return fmt.Errorf("compiling the spectest module with aot: %v", err)
	}
	host, err := aotrt.Instantiate(cm.obj, cm.m, nil)
	if err != nil {
		return fmt.Errorf("instantiating the spectest module: %v", err)
	}
	e.host = host
	e.ns = aotrt.Namespace{"spectest": host}
	return nil
}

// Compile implements Engine: decode, validate and compile.
func (e *AOTEngine) Compile(wasm []byte) error {
	_, err := e.compile(e.suite, wasm)
	return err
}

// Instantiate implements Engine.
func (e *AOTEngine) Instantiate(wasm []byte, _ string) (Instance, error) {
	if e.ns == nil {
		return nil, errors.New("aot engine used before Reset")
	}
	cm, err := e.compile(e.suite, wasm)
	if err != nil {
		return nil, err
	}
	inst, err := aotrt.InstantiateWith(cm.obj, cm.m, e.ns, aotrt.InstantiateOptions{CheckSegmentsFirst: e.suite == SuiteV1})
	if err != nil {
		return nil, aotError(err, cm.m)
	}
	e.insts = append(e.insts, inst)
	return &aotInstance{inst: inst}, nil
}

// Register implements Engine.
func (e *AOTEngine) Register(name string, inst Instance) error {
	ai, ok := inst.(*aotInstance)
	if !ok {
		return fmt.Errorf("aot engine: instance %T is not from this engine", inst)
	}
	e.ns[name] = ai.inst
	return nil
}

// Close implements Engine: it releases the instances of the current store
// (the compiled-module cache stays).
func (e *AOTEngine) Close() error {
	for _, inst := range e.insts {
		inst.Close()
	}
	if e.host != nil {
		e.host.Close()
	}
	e.insts, e.host, e.ns = nil, nil, nil
	return nil
}

type aotInstance struct {
	inst *aotrt.Instance
}

func (i *aotInstance) Invoke(name string, args []Value) ([]Value, error) {
	f := i.inst.Func(name)
	if f == nil {
		return nil, fmt.Errorf("no exported function %q", name)
	}
	if len(args) != len(f.Type.Params) {
		return nil, fmt.Errorf("function %q takes %d arguments, got %d", name, len(f.Type.Params), len(args))
	}
	raw := make([]uint64, len(args))
	for k, a := range args {
		if want := fromWasmc(f.Type.Params[k]); want != a.Type {
			return nil, fmt.Errorf("function %q argument %d is %v, got %v", name, k, want, a.Type)
		}
		raw[k] = toAOT(a)
	}
	res, err := f.Call(raw...)
	if err != nil {
		return nil, aotError(err, i.inst.Module)
	}
	out := make([]Value, len(res))
	for k, r := range res {
		out[k] = fromAOT(f.Type.Results[k], r)
	}
	return out, nil
}

func (i *aotInstance) Global(name string) (Value, error) {
	g := i.inst.Global(name)
	if g == nil {
		return Value{}, fmt.Errorf("no exported global %q", name)
	}
	return fromAOT(g.Type.Type, g.Get()), nil
}

func fromWasmc(t wasmc.ValType) ValType {
	switch t {
	case wasmc.I32:
		return I32
	case wasmc.I64:
		return I64
	case wasmc.F32:
		return F32
	case wasmc.F64:
		return F64
	case wasmc.FuncRef:
		return FuncRef
	case wasmc.ExternRef:
		return ExternRef
	}
	return V128
}

// toAOT and fromAOT convert values for the runtime, which uses the raw encoding
// of RawBits (a funcref is the address of a vm.FuncRef).
func toAOT(v Value) uint64 { return v.RawBits() }

func fromAOT(t wasmc.ValType, raw uint64) Value { return ValueFromRawBits(fromWasmc(t), raw) }

// aotError turns a *runtime.Trap into a *Trap with the suite's kind; other
// errors (link errors) pass through.
func aotError(err error, m *wasmc.Module) error {
	var tr *aotrt.Trap
	if !errors.As(err, &tr) {
		return err
	}
	return &Trap{Kind: trapKind(tr), Message: tr.Error()}
}

func trapKind(tr *aotrt.Trap) TrapKind {
	switch tr.Kind {
	case vm.TrapUnreachable:
		return TrapUnreachable
	case vm.TrapIntegerOverflow:
		return TrapIntegerOverflow
	case vm.TrapIntegerDivByZero:
		return TrapIntegerDivideByZero
	case vm.TrapInvalidConversion:
		return TrapInvalidConversion
	case vm.TrapMemoryOutOfBounds:
		return TrapMemoryOutOfBounds
	case vm.TrapTableOutOfBounds:
		return TrapTableOutOfBounds
	case vm.TrapIndirectCallType:
		return TrapIndirectCallTypeMismatch
	case vm.TrapNullReference:
		return TrapUninitializedElement
	case vm.TrapUndefinedElement:
		return TrapUndefinedElement
	case vm.TrapStackOverflow:
		return TrapStackExhausted
	}
	return TrapOther
}
