package image

import (
	"fmt"

	"github.com/mwasm/mwasm/aot"
	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/aot/link"
	"github.com/mwasm/mwasm/aot/runtime"
	"github.com/mwasm/mwasm/wasmc"
)

// Symbols every image has. The planner defines the first group; a target
// defines the second (see the package comment).
const (
	SymTrap     = "mwasm!trap"       // the trap function of every vmctx
	SymBuiltins = "mwasm.builtins"   // the builtins blob (aot/runtime.Builtins)
	SymReport   = "mwasm.report"     // report(kind EDI, pc RSI, rbp RDX, adjust RCX)
	SymLookup   = "mwasm.lookup"     // lookup(pc RDI) -> RAX function-table entry or 0
	SymPutHex   = "mwasm.puthex"     // puthex(RDI): print an unsigned number in hex
	SymPutDec   = "mwasm.putdec"     // putdec(RDI): print it in decimal
	SymFtab     = "mwasm.functab"    // the function table of the reporter
	SymSites    = "mwasm.sites"      // trap sites and memory-access PCs
	SymNames    = "mwasm.names"      // function names
	SymKinds    = "mwasm.trapkinds"  // trap kind messages
	SymConfig   = "mwasm.config"     // the configuration blob (ConfigMax bytes of .bss)
	SymConfLen  = "mwasm.config_len" // its length in bytes (u64 in .bss)
	SymPrefix   = "mwasm.config_prefix"
	SymFiles    = "mwasm.files" // u64 length, then the files blob (.rodata; AddFiles)
	TextStart   = "__text_start"

	// Defined by the target:
	SymPuts     = "mwasm.puts"      // puts(ptr RSI, len RDX): write to the console (clobbers caller-saved)
	SymTrapExit = "mwasm.trap_exit" // end the run after a trap report; does not return
)

// Stack describes the native stack Wasm code runs on: where it is (the
// symbol Sym, or the fixed address Base when Sym is empty), its size, the
// guard at its bottom (never accessible) and the reserve above the guard that
// compiled code leaves to natives and the trap reporter (every vmctx's stack
// limit is its bottom + Guard + Reserve).
type Stack struct {
	Sym                  string
	Base                 uint64
	Size, Guard, Reserve int64
}

// addr emits code putting the stack's address + off into r.
func (s Stack) addr(a *Assembler, r Reg, off int64) {
	if s.Sym != "" {
		a.Lea(S64, r, SymRef(s.Sym, int32(off)))
		return
	}
	a.MovAbs(r, s.Base+uint64(off))
}

// Config is what a target tells the planner.
type Config struct {
	Link  link.Config
	Stack Stack
	// Commit is memory.grow's "commit pages" step (runtime.BuildBuiltinsWith);
	// nil: Linux's mprotect.
	Commit func(a *Assembler)
}

// Builder is one image being planned: the linker that will write it, the
// builtins it embeds, and the state of static instantiation.
type Builder struct {
	L        *link.Linker
	Builtins *runtime.Builtins
	stack    Stack
	types    typeIDs
	funcs    []funcEntry
	strs     map[string]string
	taken    map[string]bool
	err      error
}

// NewBuilder starts an image: a linker with the builtins in .text.
func NewBuilder(c Config) (*Builder, error) {
	var bi *runtime.Builtins
	var err error
	if c.Commit != nil {
		bi, err = runtime.BuildBuiltinsWith(c.Commit)
	} else {
		bi, err = runtime.BuildBuiltins()
	}
	if err != nil {
		return nil, err
	}
	b := &Builder{L: link.New(c.Link), Builtins: bi, stack: c.Stack, types: typeIDs{}, strs: map[string]string{}, taken: map[string]bool{}}
	b.L.AddFunc(link.Func{Name: SymBuiltins, Code: bi.Code, Relocs: bi.Relocs, Local: true})
	return b, nil
}

// Fail records the first error of the build; Err returns it.
func (b *Builder) Fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// Err is the first error recorded while building.
func (b *Builder) Err() error { return b.err }

// SymTaken reports whether s was already claimed (and claims it).
func (b *Builder) SymTaken(s string) bool {
	if b.taken[s] {
		return true
	}
	b.taken[s] = true
	return false
}

// TypeID is the canonical signature id of ft in this image.
func (b *Builder) TypeID(ft wasmc.FuncType) uint64 { return b.types.id(ft) }

// Fn assembles one function into .text under name.
func (b *Builder) Fn(name string, local bool, body func(a *Assembler)) {
	a := New()
	body(a)
	code, err := a.Finish()
	if err != nil {
		b.Fail(fmt.Errorf("assembling %s: %w", name, err))
		return
	}
	b.L.AddFunc(link.Func{Name: name, Code: code, Relocs: a.Relocs(), Local: local})
}

// Str puts s in .rodata (once) and returns its symbol and length.
func (b *Builder) Str(s string) (string, int64) {
	if sym, ok := b.strs[s]; ok {
		return sym, int64(len(s))
	}
	sym := fmt.Sprintf("mwasm.str%d", len(b.strs))
	b.strs[s] = sym
	b.L.AddObject(link.Object{Name: sym, Section: link.ROData, Data: []byte(s), Align: 1, Local: true})
	return sym, int64(len(s))
}

// Puts emits code writing the constant s to the console (clobbers
// caller-saved registers).
func (b *Builder) Puts(a *Assembler, s string) {
	sym, n := b.Str(s)
	a.Lea(S64, RSI, SymRef(sym, 0))
	a.MovImm(S32, RDX, n)
	a.CallSym(SymPuts)
}

// CompileOptions are the options every module of an image is compiled with:
// guard regions instead of explicit bounds checks (every target reserves
// vm.GuardReservation of address space per memory).
var CompileOptions = aot.Options{BoundsChecks: frontend.BoundsGuard}

// Decode decodes and validates a module of the image (name: "the app").
func Decode(name string, wasm []byte) (*wasmc.Module, error) {
	m, err := wasmc.Decode(wasm)
	if err == nil {
		err = wasmc.Validate(m)
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid WebAssembly module: %v", name, err)
	}
	return m, nil
}

func compile(name string, m *wasmc.Module, opts aot.Options) (*aot.Object, error) {
	obj, err := aot.Compile(m, opts)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %v", name, err)
	}
	return obj, nil
}
