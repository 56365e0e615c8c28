// Package hosted runs an mwasm app on the host OS, under wazero, with the shim's own
// WASI implementation (package shim) as the app's only imports.
//
// Run compiles the module with wazero's compiler, refuses it if it imports anything
// the mwasm ABI does not provide (abi.CheckImport), instantiates a host module
// "wasi_snapshot_preview1" whose functions call a shim.WASI, and runs the command's
// _start. The platform underneath the shim is the host: stdout/stderr/stdin from the
// Config, Go's clocks, crypto/rand, and a Wait that sleeps on a channel (woken by the
// net device or stdin) with a timer for the deadline, so an idle app costs no CPU.
// Disks are host files (OpenDisk); networks are shim.NetDevice implementations
// (shim/hosted/usernet, shim/hosted/tap) handed in through Config.Net.
//
// Exit statuses: proc_exit(n) gives n; _start returning gives 0; a trap (in _start
// or the start function) gives abi.ExitTrap with a *TrapError, worded as a native
// executable words it (abi's Trap kinds, functions named after the name section,
// else the export);
// cancelling the context (Ctrl-C) stops the app, even inside poll_oneoff, and gives
// ExitInterrupted with an error wrapping the context's error.
//
// Memory: the app's linear memory is one reservation of address space for its
// maximum, made accessible as it grows (memory_linux.go), not wazero's Go slice,
// which is copied on every growth: a Go program growing its heap to 3.5 GiB took
// 43 s and 10.3 GB of RSS, and takes 2.0 s and 3.7 GB.
//
// Interruption: Run does not use wazero's WithCloseOnContextDone unless
// Config.CheckLoops asks for it, and never for modules built by Go (they carry a
// "go:buildid" custom section). That option makes the compiler call a
// termination-check trampoline at every loop header: Go's Wasm code has a loop at
// the top of nearly every function (its resumption dispatch), so it made Go apps
// 3-4x slower (apps/echo over usernet: 6 MB/s with it, 20 MB/s without), and C
// code more (a C program printing a million lines to a file: 1.16 s with it, 0.21 s
// without, wazero's own CLI, which does without too, 0.23 s: bench/STDIO-REPORT.md).
// An app is stopped at its next
// ABI call instead: once the context is done, Platform.Wait and every host
// function unwind the app with an exit error. An app that computes without ever
// calling the ABI (Go's Wasm port has no preemption; a C loop) cannot be stopped
// from outside; after stopGrace Run returns ExitInterrupted anyway and leaves it
// running on its goroutine until the process exits, which for mwasm run is at
// once. With CheckLoops, a module not built by Go stops even in a bare spin loop.
// While the app computes without calling the ABI, Go's garbage collector cannot
// stop the world (wazero's compiled code has no preemption points), so the other
// goroutines of the process wait with it if a collection starts: a property of
// wazero, with or without the check.
package hosted

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/shim"
)

// ExitInterrupted is the exit status Run returns when its context ends the run
// (128 + SIGINT, as a shell reports a Ctrl-C).
const ExitInterrupted = 130

// Run runs the WASI command module wasm with the devices and I/O of cfg and returns
// its exit status. err is nil when the app exited by itself (proc_exit or returning
// from _start), whatever the status; otherwise it says why the app did not run or
// how it ended (trap, interruption). Run does not close cfg's devices.
func Run(ctx context.Context, wasm []byte, cfg Config) (exitCode uint32, err error) {
	log := cfg.Log
	if log == nil {
		log = hclog.NewNullLogger()
	}
	name := cfg.Name
	if name == "" {
		name = "app"
	}
	rt := newRuntime(ctx, &cfg, cfg.CheckLoops && !builtByGo(wasm))
	leaked := false // the app could not be stopped: keep its runtime
	defer func() {
		if !leaked {
			rt.Close(context.Background())
		}
	}()

	cm, err := compile(ctx, rt, forWazero(wasm, cfg.IgnoreNames))
	if err != nil && cfg.CacheDir != "" && errors.Is(err, errCompile) {
		// Perhaps a bad entry of the cache (truncated, corrupted): compile afresh.
		if rt2, cm2, ok := recompile(ctx, &cfg, cfg.CheckLoops && !builtByGo(wasm), forWazero(wasm, cfg.IgnoreNames), err, log); ok {
			rt.Close(context.Background())
			rt, cm, err = rt2, cm2, nil
		}
	}
	if err != nil {
		return abi.ExitUsage, err
	}

	p := newPlatform(ctx, &cfg)
	defer p.unwatch()
	sc := shim.Config{
		Args: append([]string{name}, cfg.Args...),
		Env:  cfg.Env,
		Disk: cfg.Disk,
		Dirs: cfg.Dirs,
	}
	if cfg.Net != nil {
		if cfg.Net.Device == nil {
			return abi.ExitUsage, errors.New("hosted: Config.Net is set but has no Device")
		}
		cfg.Net.Device.SetWake(p.Wake)
		sc.Net, sc.NetIPv4, sc.NetGateway = cfg.Net.Device, cfg.Net.IPv4, cfg.Net.Gateway
	}
	mem := &appMemory{}
	w := shim.New(p, mem, sc)
	if err := instantiateWASI(ctx, rt, p, w, mem); err != nil {
		return abi.ExitUsage, err
	}
	log.Debug("running app", "name", name, "args", len(sc.Args), "env", len(w.Env()))

	// The start function (if any) runs here, and may trap or exit like _start.
	mod, err := rt.InstantiateModule(experimental.WithMemoryAllocator(ctx, memoryAllocator), cm, wazero.NewModuleConfig().WithName(name).WithStartFunctions())
	if err != nil {
		if code, serr := exitStatus(ctx, name, cm, err); serr == nil || isTrap(serr) || code == ExitInterrupted {
			return code, serr
		}
		return abi.ExitUsage, fmt.Errorf("cannot instantiate %s: %w", name, err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := mod.ExportedFunction("_start").Call(ctx)
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done:
		case <-time.After(stopGrace):
			// Busy in Wasm code without ABI calls: nothing can stop it. Do not
			// close the module or the runtime under the running code.
			leaked = true
			return ExitInterrupted, fmt.Errorf("%s was interrupted: %w (it was computing without calling the ABI and could not be stopped; it keeps running until the process exits)", name, ctx.Err())
		}
	}
	mod.Close(context.Background())
	return exitStatus(ctx, name, cm, err)
}

// stopGrace is how long Run waits, after its context is done, for the app to reach
// an ABI call (where it is stopped) before giving up on it. Short: an app waiting
// in the ABI stops at once, and one computing is ended with the process, as a
// native executable is at once by the signal (it was 2 s: a CPU-bound Go app took
// 2 s to stop on SIGTERM).
const stopGrace = 100 * time.Millisecond

// isTrap reports whether err (from exitStatus) is the app's trap.
func isTrap(err error) bool {
	var te *TrapError
	return errors.As(err, &te)
}

// exitStatus interprets the result of calling _start (or the start function).
func exitStatus(ctx context.Context, name string, cm wazero.CompiledModule, err error) (uint32, error) {
	if err == nil {
		return abi.ExitOK, nil
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch code := exit.ExitCode(); {
		case ctx.Err() != nil && (code == sys.ExitCodeContextCanceled || code == sys.ExitCodeDeadlineExceeded):
			return ExitInterrupted, fmt.Errorf("%s was interrupted: %w", name, ctx.Err())
		default:
			return code, nil
		}
	}
	if ctx.Err() != nil {
		return ExitInterrupted, fmt.Errorf("%s was interrupted: %w (%v)", name, ctx.Err(), err)
	}
	if te, ok := trapError(err, cm); ok {
		return abi.ExitTrap, te
	}
	return abi.ExitTrap, fmt.Errorf("%s trapped: %w", name, err)
}

// newRuntime makes the runtime of one run; checkLoops turns on wazero's termination
// check at every loop header (see the package comment).
func newRuntime(ctx context.Context, cfg *Config, checkLoops bool) wazero.Runtime {
	return newRuntimeWith(ctx, runtimeCache(cfg, cfg.CacheDir), checkLoops)
}

func newRuntimeWith(ctx context.Context, cache wazero.CompilationCache, checkLoops bool) wazero.Runtime {
	rc := wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(checkLoops).WithMemoryLimitPages(abi.MaxMemoryPages)
	if cache != nil {
		rc = rc.WithCompilationCache(cache)
	}
	return wazero.NewRuntimeWithConfig(ctx, rc)
}

// runtimeCache is the compilation cache of a run: the directory dir if given
// (a cache that cannot be set up there is none, and the run compiles), else
// cfg.CompilationCache.
func runtimeCache(cfg *Config, dir string) wazero.CompilationCache {
	if dir == "" {
		return cfg.CompilationCache
	}
	c, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		if cfg.Log != nil {
			cfg.Log.Warn("running without a compilation cache", "reason", err)
		}
		return nil
	}
	return c
}

// recompile is called when the module did not compile with cfg.CacheDir, whose
// entry for it may be bad: wazero then fails as if the module were (e.g.
// "compilationcache: error reading executable ... unexpected EOF"). It compiles the
// module into a fresh cache beside it; if that works, the entry was bad, and the
// fresh one replaces it (wazero names entries by a key of its own, so the fresh
// cache holds exactly the file to replace). ok is false if the module does not
// compile anyway: the first error stands.
func recompile(ctx context.Context, cfg *Config, checkLoops bool, wasm []byte, first error, log hclog.Logger) (wazero.Runtime, wazero.CompiledModule, bool) {
	fresh, err := os.MkdirTemp(cfg.CacheDir, ".fresh-")
	if err != nil {
		return nil, nil, false
	}
	defer os.RemoveAll(fresh)
	rt := newRuntimeWith(ctx, runtimeCache(cfg, fresh), checkLoops)
	cm, err := compile(ctx, rt, wasm)
	if err != nil {
		rt.Close(context.Background())
		return nil, nil, false
	}
	filepath.WalkDir(fresh, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(fresh, path)
		dst := filepath.Join(cfg.CacheDir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
			err = os.Rename(path, dst)
		}
		log.Warn("discarded a bad entry of the compilation cache and compiled the app again", "entry", dst, "reason", oneLine(errors.Unwrap(first).Error()))
		return nil
	})
	return rt, cm, true
}

// oneLine keeps a message on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// builtByGo reports whether wasm carries the custom section "go:buildid" that Go's
// linker writes. It only walks the section headers; anything malformed gives false.
func builtByGo(wasm []byte) bool {
	const id = "go:buildid"
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return false
	}
	for p := wasm[8:]; len(p) > 0; {
		kind := p[0]
		size, n := uleb32(p[1:])
		if n == 0 || uint64(size) > uint64(len(p)-1-n) {
			return false
		}
		body := p[1+n : 1+n+int(size)]
		p = p[1+n+int(size):]
		if kind != 0 {
			continue
		}
		l, m := uleb32(body)
		if m > 0 && uint64(l) <= uint64(len(body)-m) && string(body[m:m+int(l)]) == id {
			return true
		}
	}
	return false
}

// uleb32 decodes an unsigned LEB128 number of at most 5 bytes; n == 0 if malformed.
func uleb32(b []byte) (v uint32, n int) {
	for i := 0; i < 5 && i < len(b); i++ {
		v |= uint32(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// compile compiles wasm and checks that it is a runnable mwasm command.
func compile(ctx context.Context, rt wazero.Runtime, wasm []byte) (wazero.CompiledModule, error) {
	cm, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("invalid Wasm module: %w", compileError{err})
	}
	if err := Check(cm); err != nil {
		return nil, err
	}
	return cm, nil
}

// errCompile marks an error of wazero's CompileModule (errors.Is).
var errCompile = errors.New("wazero could not compile the module")

type compileError struct{ error }

func (e compileError) Is(target error) bool { return target == errCompile }
func (e compileError) Unwrap() error        { return e.error }

// CheckImports compiles wasm and reports, without running it, whether Run would
// accept it: every import is provided by the mwasm ABI and the module is a command.
func CheckImports(ctx context.Context, wasm []byte) error {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer rt.Close(context.Background())
	_, err := compile(ctx, rt, wasm)
	return err
}

// Check reports whether a compiled module can run under the mwasm ABI: it imports
// only functions of the ABI with their exact signatures (abi.CheckImport, whose
// *abi.ImportError it returns otherwise), no memory, and it exports a _start function
// of type () -> ().
func Check(cm wazero.CompiledModule) error {
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		// abi.CheckImport is the one judge of imports (the same message in every
		// loader); shim.Provided implements exactly abi.Functions (a shim test checks).
		if err := abi.CheckImport(mod, name, shim.ABITypes(def.ParamTypes()), shim.ABITypes(def.ResultTypes())); err != nil {
			return err
		}
		if _, ok := shim.Lookup(name); !ok {
			return fmt.Errorf("BUG: the mwasm ABI lists %s.%s but package shim does not implement it", mod, name)
		}
	}
	for _, m := range cm.ImportedMemories() {
		mod, name, _ := m.Import()
		return fmt.Errorf("module imports its memory (%s.%s), which the mwasm ABI does not provide: the app must define and export its own memory", mod, name)
	}
	exports := cm.ExportedFunctions()
	var sig *abi.FuncSig
	if start, ok := exports["_start"]; ok {
		sig = &abi.FuncSig{Params: shim.ABITypes(start.ParamTypes()), Results: shim.ABITypes(start.ResultTypes())}
	}
	_, reactor := exports["_initialize"]
	return abi.CheckCommand(sig, reactor)
}

// instantiateWASI defines the host module wasi_snapshot_preview1 over w.
func instantiateWASI(ctx context.Context, rt wazero.Runtime, p *platform, w *shim.WASI, mem *appMemory) error {
	b := rt.NewHostModuleBuilder(abi.Module)
	for i := range shim.Provided {
		f := &shim.Provided[i]
		invoke := f.Invoke
		hasResult := len(f.Results) > 0
		fn := api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			if p.stopped.Load() {
				panic(errInterrupted) // the run's context is done: unwind the app
			}
			mem.m = m.Memory()
			r := invoke(w, stack)
			if hasResult {
				stack[0] = r
			}
		})
		b.NewFunctionBuilder().WithGoModuleFunction(fn, f.Params, f.Results).Export(f.Name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("BUG: cannot instantiate the WASI host module: %w", err)
	}
	return nil
}

// appMemory is shim.Memory over the calling module's wazero memory.
type appMemory struct{ m api.Memory }

func (a *appMemory) Read(off uint32, dst []byte) bool {
	if a.m == nil {
		return len(dst) == 0
	}
	v, ok := a.m.Read(off, uint32(len(dst)))
	if !ok {
		return false
	}
	copy(dst, v)
	return true
}

func (a *appMemory) Write(off uint32, src []byte) bool {
	if a.m == nil {
		return len(src) == 0
	}
	return a.m.Write(off, src)
}
