//go:build !wasip1

package linux_test

// The harness runs an app the way the Linux executable will, but under wazero: the
// shim reactor (built by linux.BuildShim) is instantiated under the name
// "wasi_snapshot_preview1", so the app's WASI imports bind to its exports; the
// reactor's natives (module "mwasm") and its runtime's own WASI imports (module
// "mwasm_rt") are Go host functions here, over real host files and a usernet device.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/hosted"
	"github.com/mwasm/mwasm/shim/linux"
	"github.com/mwasm/mwasm/shim/reactor"
)

// runConfig is one run of an app through the reactor.
type runConfig struct {
	Name   string
	Args   []string // after the name
	Env    []string
	Stdin  []byte // nil: no stdin
	Stdout io.Writer
	Stderr io.Writer

	Disk       *os.File // nil: no disk0; its size must be a multiple of DiskSector
	DiskSector uint32

	Net        shim.NetDevice // nil: no net0
	NetIPv4    string
	NetGateway string

	Files []byte // a files blob (memfs.Pack); nil: no trees
}

// runResult is what a run produced besides the app's own output.
type runResult struct {
	Code      uint32
	Natives   int    // native calls the reactor made
	RuntimeIO string // what the reactor's own Go runtime wrote (a panic, say)
}

var cache = wazero.NewCompilationCache()

// natives is the Go implementation of the "mwasm" natives for one run.
type natives struct {
	ctx   context.Context
	cfg   runConfig
	blob  []byte
	app   api.Memory // set once the app is instantiated
	start time.Time
	stdin []byte // what is left of cfg.Stdin
	wake  chan struct{}
	timer *time.Timer
	rtOut bytes.Buffer // runtime's fd_write
	calls int          // native calls made
}

func (n *natives) wakeUp() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// errno values as the natives return them (negated Linux errno).
const (
	negEAGAIN = -linux.EAGAIN
	negEIO    = -5
)

// nativeFuncs returns the implementation of every native, by name.
func (n *natives) nativeFuncs() map[string]api.GoModuleFunc {
	i32 := func(v uint64) uint32 { return uint32(v) }
	neg := func(v int32) uint64 { return uint64(uint32(v)) }
	return map[string]api.GoModuleFunc{
		"app_read": func(_ context.Context, m api.Module, s []uint64) {
			v, ok := n.app.Read(i32(s[0]), i32(s[2]))
			if !ok || !m.Memory().Write(i32(s[1]), v) {
				s[0] = 1
				return
			}
			s[0] = 0
		},
		"app_write": func(_ context.Context, m api.Module, s []uint64) {
			v, ok := m.Memory().Read(i32(s[1]), i32(s[2]))
			if !ok || !n.app.Write(i32(s[0]), v) {
				s[0] = 1
				return
			}
			s[0] = 0
		},
		"app_size": func(_ context.Context, _ api.Module, s []uint64) {
			s[0] = uint64(n.app.Size())
		},
		"config_size": func(_ context.Context, _ api.Module, s []uint64) {
			s[0] = uint64(len(n.blob))
		},
		"config_read": func(_ context.Context, m api.Module, s []uint64) {
			if !m.Memory().Write(i32(s[0]), n.blob) {
				panic("config_read: reactor pointer out of bounds")
			}
		},
		"files_size": func(_ context.Context, _ api.Module, s []uint64) {
			s[0] = uint64(len(n.cfg.Files))
		},
		"files_read": func(_ context.Context, m api.Module, s []uint64) {
			if !m.Memory().Write(i32(s[0]), n.cfg.Files) {
				panic("files_read: reactor pointer out of bounds")
			}
		},
		"console_write": func(_ context.Context, m api.Module, s []uint64) {
			b, ok := m.Memory().Read(i32(s[1]), i32(s[2]))
			if !ok {
				panic("console_write: reactor pointer out of bounds")
			}
			w := n.cfg.Stdout
			if i32(s[0]) == 2 {
				w = n.cfg.Stderr
			}
			if _, err := w.Write(b); err != nil {
				s[0] = neg(negEIO)
				return
			}
			s[0] = 0
		},
		"stdio_type": func(_ context.Context, _ api.Module, s []uint64) {
			// As the host would answer for what runConfig gives: no stdin reads
			// as /dev/null (a character device), a Go buffer as a pipe.
			const sIFCHR, sIFIFO = 0o020000, 0o010000
			mode := uint64(sIFIFO)
			if i32(s[0]) == 0 && n.cfg.Stdin == nil {
				mode = sIFCHR
			}
			s[0] = mode
		},
		"stdin_read": func(_ context.Context, m api.Module, s []uint64) {
			if len(n.stdin) == 0 {
				s[0] = 0 // end of file
				return
			}
			k := min(int(i32(s[1])), len(n.stdin))
			m.Memory().Write(i32(s[0]), n.stdin[:k])
			n.stdin = n.stdin[k:]
			s[0] = uint64(k)
		},
		"clock_now": func(_ context.Context, _ api.Module, s []uint64) {
			s[0] = n.now(i32(s[0]))
		},
		"clock_res": func(_ context.Context, _ api.Module, s []uint64) { s[0] = 1 },
		"random": func(_ context.Context, m api.Module, s []uint64) {
			b := make([]byte, i32(s[1]))
			rand.Read(b)
			m.Memory().Write(i32(s[0]), b)
			s[0] = 0
		},
		"wait": func(_ context.Context, _ api.Module, s []uint64) {
			s[0] = uint64(n.waitNative(s[0], i32(s[1])))
		},
		"exit": func(_ context.Context, _ api.Module, s []uint64) {
			panic(sys.NewExitError(i32(s[0])))
		},
		"net_recv": func(_ context.Context, m api.Module, s []uint64) {
			buf := make([]byte, i32(s[1]))
			k, err := n.cfg.Net.RecvFrame(buf)
			switch {
			case err == shim.ErrAgain:
				s[0] = neg(negEAGAIN)
			case err != nil:
				s[0] = neg(negEIO)
			default:
				m.Memory().Write(i32(s[0]), buf[:k])
				s[0] = uint64(k)
			}
		},
		"net_send": func(_ context.Context, m api.Module, s []uint64) {
			b, _ := m.Memory().Read(i32(s[0]), i32(s[1]))
			switch err := n.cfg.Net.SendFrame(bytes.Clone(b)); {
			case err == shim.ErrAgain:
				s[0] = neg(negEAGAIN)
			case err != nil:
				s[0] = neg(negEIO)
			default:
				s[0] = 0
			}
		},
		"disk_read": func(_ context.Context, m api.Module, s []uint64) {
			b := make([]byte, i32(s[2]))
			if _, err := n.cfg.Disk.ReadAt(b, int64(s[0])); err != nil {
				s[0] = neg(negEIO)
				return
			}
			m.Memory().Write(i32(s[1]), b)
			s[0] = 0
		},
		"disk_write": func(_ context.Context, m api.Module, s []uint64) {
			b, _ := m.Memory().Read(i32(s[1]), i32(s[2]))
			if _, err := n.cfg.Disk.WriteAt(b, int64(s[0])); err != nil {
				s[0] = neg(negEIO)
				return
			}
			s[0] = 0
		},
		"disk_sync": func(_ context.Context, _ api.Module, s []uint64) {
			if err := syscall.Fdatasync(int(n.cfg.Disk.Fd())); err != nil {
				s[0] = neg(negEIO)
				return
			}
			s[0] = 0
		},
	}
}

func (n *natives) now(clock uint32) uint64 {
	if clock == 0 {
		return uint64(time.Now().UnixNano())
	}
	return uint64(time.Since(n.start))
}

// ready returns the watched conditions that hold now.
func (n *natives) ready(watch uint32) uint32 {
	var r uint32
	if watch&linux.WatchStdin != 0 && n.cfg.Stdin != nil {
		r |= linux.WatchStdin // the whole input is there, or its end
	}
	if watch&linux.WatchNetRx != 0 && n.cfg.Net != nil && n.cfg.Net.Readable() {
		r |= linux.WatchNetRx
	}
	if watch&linux.WatchNetTx != 0 && n.cfg.Net != nil && n.cfg.Net.Writable() {
		r |= linux.WatchNetTx
	}
	return r
}

// waitNative is the wait native: the Go equivalent of ppoll on the watched fds.
func (n *natives) waitNative(deadline uint64, watch uint32) uint32 {
	if r := n.ready(watch); r != 0 {
		return r
	}
	var timeout <-chan time.Time
	if deadline != shim.NoDeadline {
		now := n.now(1)
		if deadline <= now {
			return 0
		}
		if n.timer == nil {
			n.timer = time.NewTimer(time.Duration(deadline - now))
		} else {
			n.timer.Reset(time.Duration(deadline - now))
		}
		defer n.timer.Stop()
		timeout = n.timer.C
	} else if watch == 0 {
		panic("wait: nothing to watch and no deadline")
	}
	select {
	case <-n.wake:
		return n.ready(watch)
	case <-timeout:
		return 0
	case <-n.ctx.Done():
		panic(sys.NewExitError(sys.ExitCodeContextCanceled))
	}
}

// runtimeFuncs is a minimal WASI for the reactor's own Go runtime: no args, no
// environment, no preopens, clocks, entropy, sleeping and writes to its console.
func (n *natives) runtimeFuncs() map[string]struct {
	params, results []api.ValueType
	fn              api.GoModuleFunc
} {
	type f = struct {
		params, results []api.ValueType
		fn              api.GoModuleFunc
	}
	I, L := api.ValueTypeI32, api.ValueTypeI64
	le := binary.LittleEndian
	zero2 := func(_ context.Context, m api.Module, s []uint64) {
		m.Memory().WriteUint32Le(uint32(s[0]), 0)
		m.Memory().WriteUint32Le(uint32(s[1]), 0)
		s[0] = 0
	}
	ok := func(_ context.Context, _ api.Module, s []uint64) { s[0] = 0 }
	ebadf := func(_ context.Context, _ api.Module, s []uint64) { s[0] = uint64(abi.EBADF) }
	return map[string]f{
		"args_get":          {[]api.ValueType{I, I}, []api.ValueType{I}, ok},
		"args_sizes_get":    {[]api.ValueType{I, I}, []api.ValueType{I}, zero2},
		"environ_get":       {[]api.ValueType{I, I}, []api.ValueType{I}, ok},
		"environ_sizes_get": {[]api.ValueType{I, I}, []api.ValueType{I}, zero2},
		"clock_time_get": {[]api.ValueType{I, L, I}, []api.ValueType{I}, func(_ context.Context, m api.Module, s []uint64) {
			m.Memory().WriteUint64Le(uint32(s[2]), n.now(uint32(s[0])))
			s[0] = 0
		}},
		"random_get": {[]api.ValueType{I, I}, []api.ValueType{I}, func(_ context.Context, m api.Module, s []uint64) {
			b := make([]byte, uint32(s[1]))
			rand.Read(b)
			m.Memory().Write(uint32(s[0]), b)
			s[0] = 0
		}},
		"poll_oneoff": {[]api.ValueType{I, I, I, I}, []api.ValueType{I}, func(_ context.Context, m api.Module, s []uint64) {
			// Clock subscriptions (relative) sleep for the shortest; every
			// subscription is reported as an event.
			in, out, nsubs := uint32(s[0]), uint32(s[1]), uint32(s[2])
			raw, _ := m.Memory().Read(in, nsubs*48)
			sleep := time.Duration(-1)
			for i := uint32(0); i < nsubs; i++ {
				r := raw[i*48:]
				if r[8] == 0 {
					d := time.Duration(le.Uint64(r[24:]))
					if sleep < 0 || d < sleep {
						sleep = d
					}
				}
				ev := make([]byte, 32)
				copy(ev, r[:8])
				ev[10] = r[8]
				m.Memory().Write(out+i*32, ev)
			}
			if sleep > 0 {
				time.Sleep(sleep)
			}
			m.Memory().WriteUint32Le(uint32(s[3]), nsubs)
			s[0] = 0
		}},
		"sched_yield": {nil, []api.ValueType{I}, ok},
		"proc_exit": {[]api.ValueType{I}, nil, func(_ context.Context, _ api.Module, s []uint64) {
			fmt.Fprintf(&n.rtOut, "[reactor runtime called proc_exit(%d)]\n", uint32(s[0]))
			panic(sys.NewExitError(uint32(s[0])))
		}},
		"fd_write": {[]api.ValueType{I, I, I, I}, []api.ValueType{I}, func(_ context.Context, m api.Module, s []uint64) {
			iovs, _ := m.Memory().Read(uint32(s[1]), uint32(s[2])*8)
			total := 0
			for i := 0; i+8 <= len(iovs); i += 8 {
				b, _ := m.Memory().Read(le.Uint32(iovs[i:]), le.Uint32(iovs[i+4:]))
				n.rtOut.Write(b)
				total += len(b)
			}
			m.Memory().WriteUint32Le(uint32(s[3]), uint32(total))
			s[0] = 0
		}},
		"fd_close": {[]api.ValueType{I}, []api.ValueType{I}, ebadf},
		"fd_read":  {[]api.ValueType{I, I, I, I}, []api.ValueType{I}, ebadf},
		"fd_fdstat_get": {[]api.ValueType{I, I}, []api.ValueType{I}, func(_ context.Context, m api.Module, s []uint64) {
			if uint32(s[0]) > 2 {
				s[0] = uint64(abi.EBADF)
				return
			}
			st := make([]byte, 24)
			st[0] = 2 // character device
			le.PutUint64(st[8:], ^uint64(0))
			m.Memory().Write(uint32(s[1]), st)
			s[0] = 0
		}},
		"fd_fdstat_set_flags": {[]api.ValueType{I, I}, []api.ValueType{I}, ok},
		"fd_prestat_get":      {[]api.ValueType{I, I}, []api.ValueType{I}, ebadf},
		"fd_prestat_dir_name": {[]api.ValueType{I, I, I}, []api.ValueType{I}, ebadf},
	}
}

// shimBuild holds the reactor, built once per test binary.
var shimBuild struct {
	once sync.Once
	wasm []byte
	err  error
}

func shimWasm(dir string) ([]byte, error) {
	shimBuild.once.Do(func() {
		shimBuild.wasm, shimBuild.err = linux.BuildShim(context.Background(), dir)
	})
	return shimBuild.wasm, shimBuild.err
}

// runReactor runs the WASI command app through the reactor shim under wazero.
func runReactor(ctx context.Context, shimMod, app []byte, cfg runConfig) (runResult, error) {
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	n := &natives{ctx: ctx, cfg: cfg, start: time.Now(), stdin: cfg.Stdin, wake: make(chan struct{}, 1)}
	rc := reactor.Config{Args: append([]string{cfg.Name}, cfg.Args...), Env: cfg.Env, Stdin: cfg.Stdin != nil}
	if cfg.Net != nil {
		cfg.Net.SetWake(n.wakeUp)
		rc.Net = &reactor.NetFacts{MAC: cfg.Net.MAC(), MTU: uint32(cfg.Net.MTU()), IPv4: cfg.NetIPv4, Gateway: cfg.NetGateway}
	}
	if cfg.Disk != nil {
		st, err := cfg.Disk.Stat()
		if err != nil {
			return runResult{}, err
		}
		rc.Disk = &reactor.DiskFacts{SectorSize: cfg.DiskSector, Sectors: uint64(st.Size()) / uint64(cfg.DiskSector)}
	}
	n.blob = reactor.Encode(rc)

	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache).WithCloseOnContextDone(true))
	defer rt.Close(context.Background())

	// Module "mwasm": exactly the documented natives, with their documented types.
	impl := n.nativeFuncs()
	b := rt.NewHostModuleBuilder(reactor.NativeModule)
	for _, nat := range append(append([]reactor.Native(nil), reactor.Natives...), linux.Natives...) {
		fn, ok := impl[nat.Name]
		if !ok {
			return runResult{}, fmt.Errorf("harness: no implementation of native %s", nat)
		}
		delete(impl, nat.Name)
		counted := func(ctx context.Context, m api.Module, s []uint64) {
			n.calls++
			fn(ctx, m, s)
		}
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(counted), nat.Params, nat.Results).Export(nat.Name)
	}
	if len(impl) > 0 {
		return runResult{}, fmt.Errorf("harness: implements natives the documentation does not list: %v", impl)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return runResult{}, err
	}
	b = rt.NewHostModuleBuilder(reactor.RuntimeModule)
	for name, f := range n.runtimeFuncs() {
		b.NewFunctionBuilder().WithGoModuleFunction(f.fn, f.params, f.results).Export(name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return runResult{}, err
	}

	scm, err := rt.CompileModule(ctx, shimMod)
	if err != nil {
		return runResult{}, fmt.Errorf("compile shim: %w", err)
	}
	sm, err := rt.InstantiateModule(ctx, scm, wazero.NewModuleConfig().WithName(abi.Module).WithStartFunctions("_initialize"))
	if err != nil {
		return runResult{RuntimeIO: n.rtOut.String()}, fmt.Errorf("instantiate shim: %w", err)
	}
	defer sm.Close(context.Background())

	acm, err := rt.CompileModule(ctx, app)
	if err != nil {
		return runResult{}, fmt.Errorf("compile app: %w", err)
	}
	if err := hosted.Check(acm); err != nil {
		return runResult{}, err
	}
	am, err := rt.InstantiateModule(ctx, acm, wazero.NewModuleConfig().WithName(cfg.Name).WithStartFunctions())
	if err != nil {
		return runResult{}, fmt.Errorf("instantiate app: %w", err)
	}
	defer am.Close(context.Background())
	n.app = am.Memory()
	_, err = am.ExportedFunction("_start").Call(ctx)
	res := runResult{RuntimeIO: n.rtOut.String(), Natives: n.calls}
	if err == nil {
		return res, nil
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		res.Code = exit.ExitCode()
		return res, nil
	}
	res.Code = abi.ExitTrap
	return res, err
}
