package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// peer names one way of running a workload.
type peer int

const (
	peerNative peer = iota
	peerWasmtime
	peerWazero
	peerMwasm
	numPeers
)

func (p peer) String() string {
	return [...]string{"native", "wasmtime", "wazero", "mwasm"}[p]
}

// runTimeout bounds one process run (native or mwasm); the in-process
// runtimes are not interrupted (an interruption mechanism would slow them).
const runTimeout = 5 * time.Minute

// runProcess runs an executable with no arguments and returns the wall
// time from start to exit, and its standard output. A non-zero exit status
// is an error that carries the first line of standard error.
func runProcess(path string) (time.Duration, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, "", err
	}
	err := cmd.Wait()
	d := time.Since(t0)
	if err != nil {
		if msg := bytes.TrimSpace(errb.Bytes()); len(msg) > 0 {
			err = fmt.Errorf("%v: %s", err, oneLine(string(msg)))
		}
		return d, out.String(), err
	}
	return d, out.String(), nil
}

// wasmtimePeer holds modules compiled by wasmtime (Cranelift, the default
// configuration: optimise for speed, parallel compilation).
type wasmtimePeer struct {
	engine *wasmtime.Engine
	tmp    string // directory for captured standard output
}

func newWasmtimePeer(tmp string) *wasmtimePeer {
	return &wasmtimePeer{engine: wasmtime.NewEngine(), tmp: tmp}
}

// compileFresh compiles wasm on a new engine (so nothing can be cached) and
// returns the compile time alone.
func (p *wasmtimePeer) compileFresh(wasm []byte) (time.Duration, error) {
	e := wasmtime.NewEngine()
	defer e.Close()
	t0 := time.Now()
	m, err := wasmtime.NewModule(e, wasm)
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	m.Close()
	return d, nil
}

// compile compiles wasm for later runs and returns the module and the
// compile time.
func (p *wasmtimePeer) compile(wasm []byte) (*wasmtime.Module, time.Duration, error) {
	t0 := time.Now()
	m, err := wasmtime.NewModule(p.engine, wasm)
	return m, time.Since(t0), err
}

// run instantiates m with WASI (argv[0] = name, stdout to a file) and times
// the call of _start alone. proc_exit(0) counts as success.
func (p *wasmtimePeer) run(m *wasmtime.Module, name string) (time.Duration, string, error) {
	store := wasmtime.NewStore(p.engine)
	defer store.Close()
	outPath := filepath.Join(p.tmp, "wasmtime-stdout")
	wc := wasmtime.NewWasiConfig()
	wc.SetArgv([]string{name})
	if err := wc.SetStdoutFile(outPath); err != nil {
		return 0, "", err
	}
	wc.InheritStderr()
	store.SetWasi(wc)
	linker := wasmtime.NewLinker(p.engine)
	defer linker.Close()
	if err := linker.DefineWasi(); err != nil {
		return 0, "", err
	}
	inst, err := linker.Instantiate(store, m)
	if err != nil {
		return 0, "", err
	}
	start := inst.GetFunc(store, "_start")
	if start == nil {
		return 0, "", errors.New("module exports no _start function")
	}
	t0 := time.Now()
	_, err = start.Call(store)
	d := time.Since(t0)
	var werr *wasmtime.Error
	if errors.As(err, &werr) {
		if status, ok := werr.ExitStatus(); ok {
			err = nil
			if status != 0 {
				err = fmt.Errorf("exit status %d", status)
			}
		}
	}
	out, rerr := os.ReadFile(outPath)
	if err == nil {
		err = rerr
	}
	return d, string(out), err
}

// wazeroPeer holds modules compiled by wazero's optimising compiler.
type wazeroPeer struct {
	rt wazero.Runtime
}

func newWazeroPeer(ctx context.Context) *wazeroPeer {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	return &wazeroPeer{rt: rt}
}

// compileFresh compiles wasm in a new runtime (wazero caches compiled
// modules per runtime) and returns the compile time alone.
func (p *wazeroPeer) compileFresh(ctx context.Context, wasm []byte) (time.Duration, error) {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer rt.Close(ctx)
	t0 := time.Now()
	cm, err := rt.CompileModule(ctx, wasm)
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	cm.Close(ctx)
	return d, nil
}

func (p *wazeroPeer) compile(ctx context.Context, wasm []byte) (wazero.CompiledModule, time.Duration, error) {
	t0 := time.Now()
	cm, err := p.rt.CompileModule(ctx, wasm)
	return cm, time.Since(t0), err
}

// run instantiates cm (anonymously, real clocks, stdout captured) without
// running start functions, then times the call of _start alone.
func (p *wazeroPeer) run(ctx context.Context, cm wazero.CompiledModule, name string) (time.Duration, string, error) {
	var out bytes.Buffer
	cfg := wazero.NewModuleConfig().WithName("").WithArgs(name).
		WithStdout(&out).WithStderr(os.Stderr).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithStartFunctions()
	mod, err := p.rt.InstantiateModule(ctx, cm, cfg)
	if err != nil {
		return 0, "", err
	}
	defer mod.Close(ctx)
	start := mod.ExportedFunction("_start")
	if start == nil {
		return 0, "", errors.New("module exports no _start function")
	}
	t0 := time.Now()
	_, err = start.Call(ctx)
	d := time.Since(t0)
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		err = nil
		if exit.ExitCode() != 0 {
			err = fmt.Errorf("exit status %d", exit.ExitCode())
		}
	}
	return d, out.String(), err
}
