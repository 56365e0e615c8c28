// Package aot is mwasm's ahead-of-time compiler driver: it turns a decoded,
// validated Wasm module (wasmc) into one blob of x86-64 machine code that
// follows the native ABI of aot/vm.
//
// Compile translates every defined function to SSA IR (aot/frontend), runs
// the pass pipeline (aot/passes), lowers it with the back end (aot/backend),
// functions in parallel on GOMAXPROCS workers; then it lays the functions
// out in index order (16-byte aligned), resolves the direct-call
// relocations between them, and appends one entry trampoline per type index
// of the module. The Object records where everything is, the trap sites and
// memory-access PC tables per function, and the vmctx layout the code was
// compiled against.
package aot

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"

	"github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/backend"
	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/aot/passes"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
)

// Options control Compile.
type Options struct {
	// BoundsChecks selects explicit bounds checks or guard regions.
	BoundsChecks frontend.BoundsMode
	// Verify runs the IR verifier after translation and after every pass.
	Verify bool
	// Workers is the number of functions compiled at once; 0 means GOMAXPROCS.
	Workers int
	// CPU selects optional instructions; nil means the compiling machine's.
	CPU *backend.CPU
}

// FuncInfo describes one compiled function in Object.Code.
type FuncInfo struct {
	Index     uint32 // in the function index space (imports first)
	Name      string
	Offset    int // in Object.Code
	Size      int
	TrapSites []backend.TrapSite // RetOff relative to Offset
	PCTable   []backend.PCEntry  // Off relative to Offset
	FrameSize int
}

// Object is a compiled module.
type Object struct {
	Code  []byte
	Funcs []FuncInfo // defined functions, in index order
	// Trampolines gives, per type index, the offset of its entry trampoline.
	Trampolines []int
	Counts      vm.Counts
	Layout      vm.Layout
}

// FuncOffset returns the code offset of function index i, if it is defined.
func (o *Object) FuncOffset(i uint32, numImported int) (int, bool) {
	k := int(i) - numImported
	if k < 0 || k >= len(o.Funcs) {
		return 0, false
	}
	return o.Funcs[k].Offset, true
}

// Counts returns the vmctx counts of module m.
func Counts(m *wasmc.Module) vm.Counts {
	return vm.Counts{
		Globals:       m.NumImportedGlobals + len(m.Globals),
		Tables:        m.NumImportedTables + len(m.Tables),
		ImportedFuncs: m.NumImportedFuncs,
		Funcs:         m.NumFuncs(),
		Types:         len(m.Types),
		Datas:         len(m.Datas),
		Elems:         len(m.Elems),
	}
}

// Compile compiles every defined function of the validated module m.
func Compile(m *wasmc.Module, opts Options) (*Object, error) {
	if m == nil {
		return nil, fmt.Errorf("aot: no module to compile")
	}
	counts := Counts(m)
	layout := vm.NewLayout(counts)
	cpu := backend.HostCPU()
	if opts.CPU != nil {
		cpu = *opts.CPU
	}
	env := &backend.Env{Layout: layout, NumImportedFuncs: m.NumImportedFuncs, NumImportedGlobals: m.NumImportedGlobals, CPU: cpu}
	n := len(m.Funcs)
	results := make([]*backend.Func, n)
	names := make([]string, n)
	errs := make([]error, n)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				idx := uint32(m.NumImportedFuncs + k)
				names[k] = frontend.FuncName(m, idx)
				results[k], errs[k] = compileOne(m, idx, env, opts)
			}
		}()
	}
	for k := 0; k < n; k++ {
		next <- k
	}
	close(next)
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("aot: function %d (%s): %w", m.NumImportedFuncs+k, names[k], err)
		}
	}
	obj := &Object{Counts: counts, Layout: layout}
	var code []byte
	align := func() {
		for len(code)%16 != 0 {
			code = append(code, 0xCC)
		}
	}
	offsets := map[string]int{}
	for k, f := range results {
		align()
		idx := uint32(m.NumImportedFuncs + k)
		obj.Funcs = append(obj.Funcs, FuncInfo{Index: idx, Name: names[k], Offset: len(code), Size: len(f.Code),
			TrapSites: f.TrapSites, PCTable: f.PCTable, FrameSize: f.FrameSize})
		offsets[backend.FuncSymbol(idx)] = len(code)
		code = append(code, f.Code...)
	}
	for k, f := range results {
		base := obj.Funcs[k].Offset
		for _, r := range f.Relocs {
			target, ok := offsets[r.Symbol]
			if !ok || r.Kind != amd64.PC32 {
				return nil, fmt.Errorf("aot: function %s: relocation %v against %q cannot be resolved (a compiler bug)", names[k], r.Kind, r.Symbol)
			}
			p := base + int(r.Offset)
			binary.LittleEndian.PutUint32(code[p:], uint32(int32(int64(target)+r.Addend-int64(p))))
		}
	}
	for ti, ft := range m.Types {
		align()
		tr, _, err := backend.Trampoline(frontend.Signature(ft), false)
		if err != nil {
			return nil, fmt.Errorf("aot: trampoline for type %d: %w", ti, err)
		}
		obj.Trampolines = append(obj.Trampolines, len(code))
		code = append(code, tr...)
	}
	obj.Code = code
	return obj, nil
}

func compileOne(m *wasmc.Module, idx uint32, env *backend.Env, opts Options) (*backend.Func, error) {
	f, err := frontend.Translate(m, idx, frontend.Options{BoundsChecks: opts.BoundsChecks})
	if err != nil {
		return nil, err
	}
	if opts.Verify {
		if err := ir.Verify(f); err != nil {
			return nil, fmt.Errorf("translation produced invalid IR: %w", err)
		}
	}
	if err := passes.Run(f, passes.Pipeline, passes.Options{Verify: opts.Verify}); err != nil {
		return nil, err
	}
	return backend.Compile(f, env)
}
