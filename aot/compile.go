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
	// BoundsChecks is the bounds mode the code was compiled with.
	BoundsChecks frontend.BoundsMode
}

// Loadable is the view of an Object that aot/runtime.Instantiate takes (it
// implements runtime.Object; package aot does not import the runtime).
type Loadable struct {
	obj   *Object
	sites map[int][2]int // return-address offset -> {function index, Wasm offset}
}

// Loadable returns the Object as aot/runtime loads it.
func (o *Object) Loadable() *Loadable {
	l := &Loadable{obj: o, sites: map[int][2]int{}}
	for _, f := range o.Funcs {
		for _, s := range f.TrapSites {
			l.sites[f.Offset+int(s.RetOff)] = [2]int{int(f.Index), int(s.Pos)}
		}
	}
	return l
}

// Code is the linked code of the module.
func (l *Loadable) Code() []byte { return l.obj.Code }

// FuncOffset is the offset of defined function funcIndex, or -1.
func (l *Loadable) FuncOffset(funcIndex uint32) int {
	if len(l.obj.Funcs) == 0 {
		return -1
	}
	k := int(funcIndex) - int(l.obj.Funcs[0].Index)
	if k < 0 || k >= len(l.obj.Funcs) {
		return -1
	}
	return l.obj.Funcs[k].Offset
}

// EntryOffset is the offset of the entry trampoline of type typeIndex, or -1.
func (l *Loadable) EntryOffset(typeIndex uint32) int {
	if int(typeIndex) >= len(l.obj.Trampolines) {
		return -1
	}
	return l.obj.Trampolines[typeIndex]
}

// TrapSite maps a trap call's return-address offset to the trapping
// function and the Wasm byte offset of the trapping instruction.
func (l *Loadable) TrapSite(off int) (uint32, int, bool) {
	s, ok := l.sites[off]
	return uint32(s[0]), s[1], ok
}

// GuardRegions says the code relies on guard regions for memory bounds.
func (l *Loadable) GuardRegions() bool { return l.obj.BoundsChecks == frontend.BoundsGuard }

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
	obj := &Object{Counts: counts, Layout: layout, BoundsChecks: opts.BoundsChecks}
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
