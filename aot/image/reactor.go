package image

import (
	"encoding/binary"
	"fmt"
	"github.com/mwasm/mwasm/abi/manifest"
	"github.com/mwasm/mwasm/shim/memfs"

	"github.com/mwasm/mwasm/abi"
	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/link"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/shim/reactor"
	"github.com/mwasm/mwasm/wasmc"
)

// NativeSym is the symbol of a native of import module mod ("mwasm!wait").
func NativeSym(mod, name string) string { return mod + "!" + name }

// WASI errno values the runtime stubs return.
const (
	wasiEBADF = 8
	wasiEIO   = 29
)

// Natives is what a target gives EmitReactorNatives: the symbols of its own
// natives that the runtime stubs call, with the Wasm convention of package
// aot/vm (R15 = the shim's vmctx, R14 = the shim's memory base, arguments
// in RDI, RSI, RDX, RCX, upper halves of i32 undefined).
type Natives struct {
	ClockNow string // mwasm.clock_now(clock i32) -> i64 ns
	Random   string // mwasm.random(ptr, len i32) -> i32 0 or -errno
	Exit     string // mwasm.exit(code i32): does not return
	// WriteAll(fd RDI = 1 or 2, address RSI, len RDX) -> RAX 0 or negative:
	// the console (System V convention: clobbers caller-saved registers).
	WriteAll string
	// Sleep emits code that sleeps RDI > 0 nanoseconds (clobbers
	// caller-saved registers).
	Sleep func(a *Assembler)
}

// EmitReactorNatives assembles the natives every shim reactor imports
// (package shim/reactor: app_read, app_write, app_size, config_size,
// config_read, files_size, files_read) and the stubs that serve the reactor's own Go runtime's WASI
// imports (module mwasm_rt, reactor.RuntimeImports) over the target's
// natives n. The app's memory is at appBase, described by appDesc (its
// vm.MemDesc); the blob is at SymConfig, its length at SymConfLen, the files
// blob at SymFiles (AddFiles). Every
// native is defined as NativeSym(module, name); the result maps
// "module.name" to it, with n's natives added, for PlaceShim.
func (b *Builder) EmitReactorNatives(appBase uint64, appDesc string, own map[string]string, n Natives) map[string]string {
	syms := map[string]string{}
	for k, v := range own {
		syms[k] = v
	}
	def := func(mod, name string, body func(a *Assembler)) {
		s := NativeSym(mod, name)
		syms[mod+"."+name] = s
		b.Fn(s, false, body)
	}
	const M, R = reactor.NativeModule, reactor.RuntimeModule
	ret := func(v int64) func(a *Assembler) {
		return func(a *Assembler) { a.MovImm(S32, RAX, v); a.Ret() }
	}
	zext := func(a *Assembler, rs ...Reg) {
		for _, r := range rs {
			a.MovRR(S32, r, r)
		}
	}
	// copy between app memory (at appBase) and shim memory.
	appCopy := func(toApp bool) func(a *Assembler) {
		return func(a *Assembler) {
			fail := a.NewLabel()
			zext(a, RDI, RSI, RDX)
			a.MovRR(S64, RAX, RDI)
			a.AluRR(ADD, S64, RAX, RDX)
			a.AluRM(CMP, S64, RAX, SymRef(appDesc, vm.MemDescSize))
			a.Jcc(CondA, fail)
			a.MovRR(S64, RCX, RDX)
			a.MovAbs(RAX, appBase)
			a.AluRR(ADD, S64, RAX, RDI) // app address
			a.Lea(S64, RDX, PtrIdx(R14, RSI, 1, 0))
			if toApp {
				a.MovRR(S64, RDI, RAX)
				a.MovRR(S64, RSI, RDX)
			} else {
				a.MovRR(S64, RDI, RDX)
				a.MovRR(S64, RSI, RAX)
			}
			a.RepMovsb()
			a.MovImm(S32, RAX, 0)
			a.Ret()
			a.Bind(fail)
			a.MovImm(S32, RAX, 1)
			a.Ret()
		}
	}
	def(M, "app_read", appCopy(false))
	def(M, "app_write", appCopy(true))
	def(M, "app_size", func(a *Assembler) { a.Load(S64, RAX, SymRef(appDesc, vm.MemDescSize)); a.Ret() })
	def(M, "config_size", func(a *Assembler) { a.Load(S64, RAX, SymRef(SymConfLen, 0)); a.Ret() })
	def(M, "config_read", func(a *Assembler) {
		zext(a, RDI)
		a.AluRR(ADD, S64, RDI, R14)
		a.Lea(S64, RSI, SymRef(SymConfig, 0))
		a.Load(S64, RCX, SymRef(SymConfLen, 0))
		a.RepMovsb()
		a.Ret()
	})
	def(M, "files_size", func(a *Assembler) { a.Load(S64, RAX, SymRef(SymFiles, 0)); a.Ret() })
	def(M, "files_read", func(a *Assembler) {
		zext(a, RDI)
		a.AluRR(ADD, S64, RDI, R14)
		a.Lea(S64, RSI, SymRef(SymFiles, 8))
		a.Load(S64, RCX, SymRef(SymFiles, 0))
		a.RepMovsb()
		a.Ret()
	})

	// The reactor's own Go runtime's WASI imports (WASI errno results).
	def(R, "sched_yield", ret(0))
	def(R, "proc_exit", func(a *Assembler) { a.JmpSym(n.Exit) })
	def(R, "args_get", ret(0))
	def(R, "environ_get", ret(0))
	zero2 := func(a *Assembler) {
		zext(a, RDI, RSI)
		a.StoreImm(S32, PtrIdx(R14, RDI, 1, 0), 0)
		a.StoreImm(S32, PtrIdx(R14, RSI, 1, 0), 0)
		a.MovImm(S32, RAX, 0)
		a.Ret()
	}
	def(R, "args_sizes_get", zero2)
	def(R, "environ_sizes_get", zero2)
	def(R, "clock_time_get", func(a *Assembler) {
		zext(a, RDI, RDX)
		a.Push(RDX)
		a.CallSym(n.ClockNow)
		a.Pop(RDX)
		a.Store(S64, PtrIdx(R14, RDX, 1, 0), RAX)
		a.MovImm(S32, RAX, 0)
		a.Ret()
	})
	def(R, "random_get", func(a *Assembler) {
		ok := a.NewLabel()
		a.CallSym(n.Random)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondE, ok)
		a.MovImm(S32, RAX, wasiEIO)
		a.Bind(ok)
		a.Ret()
	})
	def(R, "fd_read", ret(wasiEBADF))
	def(R, "fd_close", ret(wasiEBADF))
	def(R, "fd_prestat_get", ret(wasiEBADF))
	def(R, "fd_prestat_dir_name", ret(wasiEBADF))
	def(R, "fd_fdstat_set_flags", ret(0))
	def(R, "fd_fdstat_get", func(a *Assembler) {
		bad := a.NewLabel()
		zext(a, RDI, RSI)
		a.AluRI(CMP, S32, RDI, 2)
		a.Jcc(CondA, bad)
		a.Lea(S64, RAX, PtrIdx(R14, RSI, 1, 0))
		a.StoreImm(S64, Ptr(RAX, 0), 2) // character device
		a.StoreImm(S64, Ptr(RAX, 8), -1)
		a.StoreImm(S64, Ptr(RAX, 16), 0)
		a.MovImm(S32, RAX, 0)
		a.Ret()
		a.Bind(bad)
		a.MovImm(S32, RAX, wasiEBADF)
		a.Ret()
	})
	def(R, "fd_write", func(a *Assembler) {
		ok, bad, loop, done, fail := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
		zext(a, RDI, RSI, RDX, RCX)
		a.AluRI(CMP, S32, RDI, 1)
		a.Jcc(CondE, ok)
		a.AluRI(CMP, S32, RDI, 2)
		a.Jcc(CondNE, bad)
		a.Bind(ok)
		a.Push(RBX)
		a.Push(R12)
		a.Push(R13)
		a.Push(RCX)
		a.Push(RDI)
		a.Lea(S64, RBX, PtrIdx(R14, RSI, 1, 0))
		a.MovRR(S64, R12, RDX)
		a.MovImm(S32, R13, 0)
		a.Bind(loop)
		a.TestRR(S64, R12, R12)
		a.Jcc(CondE, done)
		a.Load(S32, RSI, Ptr(RBX, 0))
		a.Load(S32, RDX, Ptr(RBX, 4))
		a.AluRR(ADD, S64, RSI, R14)
		a.AluRR(ADD, S64, R13, RDX)
		a.Load(S64, RDI, Ptr(RSP, 0))
		a.CallSym(n.WriteAll)
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondS, fail)
		a.AluRI(ADD, S64, RBX, 8)
		a.AluRI(SUB, S64, R12, 1)
		a.Jmp(loop)
		a.Bind(done)
		a.Pop(RDI)
		a.Pop(RCX)
		a.Store(S32, PtrIdx(R14, RCX, 1, 0), R13)
		a.MovImm(S32, RAX, 0)
		a.Pop(R13)
		a.Pop(R12)
		a.Pop(RBX)
		a.Ret()
		a.Bind(fail)
		a.Pop(RDI)
		a.Pop(RCX)
		a.MovImm(S32, RAX, wasiEIO)
		a.Pop(R13)
		a.Pop(R12)
		a.Pop(RBX)
		a.Ret()
		a.Bind(bad)
		a.MovImm(S32, RAX, wasiEBADF)
		a.Ret()
	})
	// poll_oneoff: every subscription is reported as ready at once, after
	// sleeping until the earliest clock subscription's timeout (relative).
	def(R, "poll_oneoff", func(a *Assembler) {
		loop, notClock, done, noSleep := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
		zext(a, RDI, RSI, RDX, RCX)
		a.Push(RBX)
		a.Push(R12)
		a.Push(R13)
		a.Push(RCX)
		a.Lea(S64, RBX, PtrIdx(R14, RDI, 1, 0))
		a.Lea(S64, R12, PtrIdx(R14, RSI, 1, 0))
		a.MovRR(S64, R13, RDX)
		a.MovRR(S64, R8, RDX)
		a.MovImm(S64, R9, -1)
		a.Bind(loop)
		a.TestRR(S64, R8, R8)
		a.Jcc(CondE, done)
		a.MovzxLoad(S32, S8, RAX, Ptr(RBX, 8))
		a.TestRR(S32, RAX, RAX)
		a.Jcc(CondNE, notClock)
		a.Load(S64, RCX, Ptr(RBX, 24))
		a.AluRR(CMP, S64, RCX, R9)
		a.Cmov(CondB, S64, R9, RCX)
		a.Bind(notClock)
		a.Load(S64, RCX, Ptr(RBX, 0))
		a.Store(S64, Ptr(R12, 0), RCX)
		a.StoreImm(S64, Ptr(R12, 8), 0)
		a.StoreImm(S64, Ptr(R12, 16), 0)
		a.StoreImm(S64, Ptr(R12, 24), 0)
		a.Store(S8, Ptr(R12, 10), RAX)
		a.AluRI(ADD, S64, RBX, 48)
		a.AluRI(ADD, S64, R12, 32)
		a.AluRI(SUB, S64, R8, 1)
		a.Jmp(loop)
		a.Bind(done)
		a.AluRI(CMP, S64, R9, -1)
		a.Jcc(CondE, noSleep)
		a.TestRR(S64, R9, R9)
		a.Jcc(CondE, noSleep)
		a.MovRR(S64, RDI, R9)
		n.Sleep(a)
		a.Bind(noSleep)
		a.Pop(RCX)
		a.Store(S32, PtrIdx(R14, RCX, 1, 0), R13)
		a.MovImm(S32, RAX, 0)
		a.Pop(R13)
		a.Pop(R12)
		a.Pop(RBX)
		a.Ret()
	})
	return syms
}

// PlaceShim places the shim reactor, binding each of its imports to the
// native natives["module.name"]; an import the target does not provide is
// an error naming it.
func (b *Builder) PlaceShim(shm *Module, natives map[string]string, target string) error {
	sm := shm.M
	if len(sm.Memories) != 1 {
		return fmt.Errorf("the shim has no memory of its own; rebuild it with its BuildShim")
	}
	L := b.L
	return b.Place(shm, func(im *wasmc.Import) (Binding, error) {
		s, ok := natives[im.Module+"."+im.Name]
		if !ok {
			return Binding{}, fmt.Errorf("the shim imports %s.%s, which the %s platform layer does not provide (shim and mwasm are out of step)", im.Module, im.Name, target)
		}
		ref := "mwasm.ref." + im.Module + "." + im.Name
		if !b.SymTaken(ref) {
			rec := make([]byte, vm.FuncRefSize)
			binary.LittleEndian.PutUint64(rec[vm.FuncRefTypeID:], b.TypeID(sm.Types[im.Type]))
			L.AddObject(link.Object{Name: ref, Section: link.Data, Data: rec, Local: true, Relocs: []link.Reloc{
				{Offset: vm.FuncRefCode, Kind: link.ABS64, Symbol: s},
				{Offset: vm.FuncRefVMCtx, Kind: link.ABS64, Symbol: shm.VMCtxSym}}})
		}
		return Binding{Code: s, VMCtx: shm.VMCtxSym, Ref: ref, TypeKey: SigKey(sm.Types[im.Type])}, nil
	})
}

// PlaceApp places the app, binding each of its imports to the shim's export
// of the same name (the ABI, module abi.Module). An app without a memory gets
// an empty descriptor at its MemDescSym, so app_size reads 0.
func (b *Builder) PlaceApp(app, shm *Module) error {
	sm := shm.M
	err := b.Place(app, func(im *wasmc.Import) (Binding, error) {
		fi := -1
		if im.Module == abi.Module {
			fi = Export(sm, im.Name)
		}
		if fi < sm.NumImportedFuncs {
			return Binding{}, fmt.Errorf("the app imports %s.%s, which mwasm does not provide (the ABI is %s; see abi/README.md)", im.Module, im.Name, abi.Module)
		}
		ft, _ := FuncType(sm, fi)
		return Binding{Code: shm.FuncSyms[fi-sm.NumImportedFuncs], VMCtx: shm.VMCtxSym, Ref: shm.RefsSym, RefAdd: int64(vm.FuncRefSize * fi), TypeKey: SigKey(ft)}, nil
	})
	if err == nil && !app.HasMemory() {
		b.L.AddObject(link.Object{Name: app.MemDescSym, Section: link.Data, Data: make([]byte, 32)})
	}
	return err
}

// Entry is one call the start-up code makes: the entry trampoline Tramp
// (System V: entry(vmctx RDI, code RSI, slots RDX)) with VMCtx and Func.
type Entry struct {
	VMCtx, Func, Tramp string
}

// Entries lists the calls that start the image, in order: the shim's start
// function, its _initialize, the app's start function and its _start.
func Entries(app, shm *Module) ([]Entry, error) {
	var es []Entry
	add := func(md *Module, fi int) {
		_, ti := FuncType(md.M, fi)
		es = append(es, Entry{VMCtx: md.VMCtxSym, Func: md.FuncSyms[fi-md.M.NumImportedFuncs], Tramp: fmt.Sprintf("%s.entry%d", md.Name, ti)})
	}
	sm, am := shm.M, app.M
	if sm.HasStart {
		add(shm, int(sm.Start))
	}
	fi := Export(sm, "_initialize")
	if fi < sm.NumImportedFuncs {
		return nil, fmt.Errorf("the shim exports no _initialize function; rebuild it with its BuildShim")
	}
	add(shm, fi)
	if am.HasStart {
		add(app, int(am.Start))
	}
	fi = Export(am, "_start")
	if fi < am.NumImportedFuncs {
		return nil, fmt.Errorf("the app exports no _start function: it is not a WASI command (build it with GOOS=wasip1 GOARCH=wasm, or clang --target=wasm32-wasi)")
	}
	add(app, fi)
	return es, nil
}

// AddConfigPrefix puts the build-time part of the configuration blob in
// .rodata as SymPrefix (the target copies it to SymConfig, max bytes of
// .bss, at start-up and appends what only start-up knows) and returns its
// length. The prefix may take at most half of max.
func (b *Builder) AddConfigPrefix(c reactor.Config, max int) (int, error) {
	prefix := reactor.Encode(c)
	if len(prefix) > max/2 {
		return 0, fmt.Errorf("the arguments and environment given at build time are too large (%d bytes; at most %d)", len(prefix), max/2)
	}
	b.L.AddObject(link.Object{Name: SymPrefix, Section: link.ROData, Data: prefix, Local: true})
	b.L.AddObject(link.Object{Name: SymConfig, Section: link.BSS, Size: uint64(max), Align: 64, Local: true})
	b.L.AddObject(link.Object{Name: SymConfLen, Section: link.BSS, Size: 8, Align: 8, Local: true})
	return len(prefix), nil
}

// Files are the directory trees an image carries (mwasm build --dir): the
// files blob (package shim/memfs; nil when none) and, for the manifest, what
// each tree holds.
type Files struct {
	Blob  []byte
	Trees []manifest.Tree
}

// MaxFiles bounds the files blob of an image (memfs.MaxBlob).
const MaxFiles = memfs.MaxBlob

// AddFiles puts the files blob in .rodata as SymFiles, after its length, for
// files_size and files_read. Every image calls it once (and lists f.Trees in
// its manifest).
func (b *Builder) AddFiles(f Files) error {
	if len(f.Blob) > MaxFiles {
		return fmt.Errorf("the directory trees given with --dir pack to %d MiB; an image carries at most %d MiB (the shim copies them into its 32-bit memory): leave the large files out, or give them on a disk", len(f.Blob)>>20, MaxFiles>>20)
	}
	data := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+len(f.Blob)), uint64(len(f.Blob)))
	b.L.AddObject(link.Object{Name: SymFiles, Section: link.ROData, Data: append(data, f.Blob...), Align: 8, Local: true})
	return nil
}
