package linux

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/abi/manifest"
	"github.com/mwasm/mwasm/aot"
	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/aot/link"
	"github.com/mwasm/mwasm/aot/runtime"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/shim/reactor"
	"github.com/mwasm/mwasm/wasmc"
)

// Options describe one executable.
type Options struct {
	Name string   // the app's name: argv[0] and the manifest's app name
	App  []byte   // the app module (a WASI command)
	Shim []byte   // the Linux shim reactor (shim/linux.BuildShim)
	Env  []string // KEY=VALUE entries: the app's whole environment

	Disk       bool // declare disk0 (MWASM_DISK0=FILE at run time)
	SectorSize int  // of disk0; 0 means 512

	Net        bool   // declare net0 (MWASM_NET0=tap:IFNAME or fd:N at run time)
	NetIfname  string // default TAP interface when MWASM_NET0 is unset
	NetMAC     []byte // 6 bytes; nil means 52:54:00:12:34:56
	NetMTU     int    // 0 means 1500
	NetIPv4    string // CIDR, optional
	NetGateway string // optional

	Compiler string // "mwasm VERSION" for the manifest

	// AppModule, when set, is App already decoded and validated (as a loader
	// that checked its imports has it); Build then does not decode App again.
	AppModule *wasmc.Module
	// Cache, when set, holds compiled shims: Build compiles the shim only when
	// the cache has no valid entry for it (see Cache).
	Cache *Cache
}

// Result is a built executable.
type Result struct {
	ELF      []byte
	Manifest *manifest.Manifest
	AppCode  int // bytes of app machine code
	ShimCode int
	Timings  Timings
}

type builder struct {
	l        *link.Linker
	types    typeIDs
	builtins *runtime.Builtins
	funcs    []funcEntry
	strs     map[string]string
	taken    map[string]bool
	err      error
}

func (b *builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// symTaken reports whether s was already claimed (and claims it).
func (b *builder) symTaken(s string) bool {
	if b.taken[s] {
		return true
	}
	b.taken[s] = true
	return false
}

// compileOptions are the options every module of an executable is compiled with.
var compileOptions = aot.Options{BoundsChecks: frontend.BoundsGuard}

func decode(name string, wasm []byte) (*wasmc.Module, error) {
	m, err := wasmc.Decode(wasm)
	if err == nil {
		err = wasmc.Validate(m)
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid WebAssembly module: %v", name, err)
	}
	return m, nil
}

func compile(name string, m *wasmc.Module) (*aot.Object, error) {
	obj, err := aot.Compile(m, compileOptions)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %v", name, err)
	}
	return obj, nil
}

// Build compiles the app and the shim and links them with the platform layer
// into a static x86-64 Linux executable.
func Build(o Options) (*Result, error) {
	if o.Name == "" {
		o.Name = "app"
	}
	if o.SectorSize == 0 {
		o.SectorSize = 512
	}
	if o.SectorSize < 512 || o.SectorSize > 65536 || o.SectorSize&(o.SectorSize-1) != 0 {
		return nil, fmt.Errorf("sector size %d is not a power of two from 512 to 65536", o.SectorSize)
	}
	if o.NetMAC == nil {
		o.NetMAC = []byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}
	}
	if o.NetMTU == 0 {
		o.NetMTU = 1500
	}
	if len(o.NetIfname) > 15 {
		return nil, fmt.Errorf("TAP interface name %q is longer than 15 bytes", o.NetIfname)
	}
	for _, e := range o.Env {
		if !strings.Contains(e, "=") || strings.IndexByte(e, 0) >= 0 {
			return nil, fmt.Errorf("environment entry %q is not KEY=VALUE", e)
		}
	}
	var tm Timings
	am, aobj, err := compileApp(o, &tm)
	if err != nil {
		return nil, err
	}
	sm, sobj, err := compileShim(o, &tm)
	if err != nil {
		return nil, err
	}
	linkStart := time.Now()
	bi, err := runtime.BuildBuiltins()
	if err != nil {
		return nil, err
	}
	b := &builder{l: link.New(link.Config{}), types: typeIDs{}, builtins: bi, strs: map[string]string{}, taken: map[string]bool{}}
	L := b.l
	builtinsAt := L.Append(link.Text, bi.Code, 16)
	L.Define(link.Symbol{Name: symBuiltins, Section: link.Text, Offset: builtinsAt, Size: uint64(len(bi.Code)), Kind: link.SymFunc, Local: true})

	app := &module{name: "app", m: am, obj: aobj, base: AppBase}
	shm := &module{name: "shim", m: sm, obj: sobj, base: ShimBase}
	if len(sm.Memories) != 1 {
		return nil, fmt.Errorf("the shim has no memory of its own; rebuild it with shim/linux.BuildShim")
	}

	natives := b.emitNatives("app.memdesc")
	if err := b.place(shm, func(im *wasmc.Import) (binding, error) {
		s, ok := natives[im.Module+"."+im.Name]
		if !ok {
			return binding{}, fmt.Errorf("the shim imports %s.%s, which the Linux platform layer does not provide (shim and mwasm are out of step)", im.Module, im.Name)
		}
		key := sigKey(sm.Types[im.Type])
		ref := "mwasm.ref." + im.Module + "." + im.Name
		if !b.symTaken(ref) {
			rec := make([]byte, vm.FuncRefSize)
			binary.LittleEndian.PutUint64(rec[vm.FuncRefTypeID:], b.types.id(sm.Types[im.Type]))
			L.AddObject(link.Object{Name: ref, Section: link.Data, Data: rec, Local: true, Relocs: []link.Reloc{
				{Offset: vm.FuncRefCode, Kind: link.ABS64, Symbol: s},
				{Offset: vm.FuncRefVMCtx, Kind: link.ABS64, Symbol: "shim.vmctx"}}})
		}
		return binding{code: s, vmctx: "shim.vmctx", ref: ref, typeKeyStr: key}, nil
	}); err != nil {
		return nil, err
	}
	if err := b.place(app, func(im *wasmc.Import) (binding, error) {
		fi := -1
		if im.Module == abi.Module {
			fi = export(sm, im.Name)
		}
		if fi < sm.NumImportedFuncs {
			return binding{}, fmt.Errorf("the app imports %s.%s, which mwasm does not provide (the ABI is %s; see abi/README.md)", im.Module, im.Name, abi.Module)
		}
		ft, _ := funcType(sm, fi)
		return binding{code: shm.funcSyms[fi-sm.NumImportedFuncs], vmctx: "shim.vmctx", ref: "shim.funcrefs", refAdd: int64(vm.FuncRefSize * fi), typeKeyStr: sigKey(ft)}, nil
	}); err != nil {
		return nil, err
	}
	if len(am.Memories) == 0 {
		L.AddObject(link.Object{Name: "app.memdesc", Section: link.Data, Data: make([]byte, 32)})
	}

	// Trap tables.
	ftab, sites, names := traceTables(b.funcs)
	L.AddObject(link.Object{Name: symFtab, Section: link.ROData, Data: ftab, Local: true})
	L.AddObject(link.Object{Name: symSites, Section: link.ROData, Data: append(sites, 0, 0, 0, 0), Local: true})
	L.AddObject(link.Object{Name: symNames, Section: link.ROData, Data: append(names, 0), Align: 1, Local: true})
	var kinds []byte
	var krel []link.Reloc
	for k := 0; k <= int(vm.TrapUndefinedElement); k++ {
		s := "unknown trap"
		if k > 0 {
			s = vm.TrapKind(k).String()
		}
		sym, n := b.str(s)
		krel = append(krel, link.Reloc{Offset: uint64(16 * k), Kind: link.ABS64, Symbol: sym})
		kinds = binary.LittleEndian.AppendUint64(kinds, 0)
		kinds = binary.LittleEndian.AppendUint64(kinds, uint64(n))
	}
	L.AddObject(link.Object{Name: symKinds, Section: link.ROData, Data: kinds, Relocs: krel, Local: true})
	b.emitHelpers(len(b.funcs))

	// Configuration blob prefix.
	rc := reactor.Config{Args: []string{o.Name}, Env: o.Env, Stdin: true}
	if o.Net {
		var mac [6]byte
		copy(mac[:], o.NetMAC)
		rc.Net = &reactor.NetFacts{MAC: mac, MTU: uint32(o.NetMTU), IPv4: o.NetIPv4, Gateway: o.NetGateway}
	}
	prefix := reactor.Encode(rc)
	if len(prefix) > configMax/2 {
		return nil, fmt.Errorf("the environment given at build time is too large (%d bytes)", len(prefix))
	}
	L.AddObject(link.Object{Name: "mwasm.config_prefix", Section: link.ROData, Data: prefix, Local: true})

	// .bss and static system structures.
	L.AddObject(link.Object{Name: symState, Section: link.BSS, Size: stateSize, Align: 64, Local: true})
	L.AddObject(link.Object{Name: symConfig, Section: link.BSS, Size: configMax, Align: 64, Local: true})
	L.AddObject(link.Object{Name: symStack, Section: link.BSS, Size: stackSize, Align: 4096, Local: true})
	L.AddObject(link.Object{Name: symAlt, Section: link.BSS, Size: altSize, Align: 4096, Local: true})
	ss := make([]byte, 24)
	binary.LittleEndian.PutUint64(ss[16:], altSize)
	L.AddObject(link.Object{Name: "mwasm.sigaltstack", Section: link.Data, Data: ss, Local: true,
		Relocs: []link.Reloc{{Offset: 0, Kind: link.ABS64, Symbol: symAlt}}})
	sa := make([]byte, 32)
	binary.LittleEndian.PutUint64(sa[8:], 4|0x08000000|0x04000000) // SA_SIGINFO|SA_ONSTACK|SA_RESTORER
	L.AddObject(link.Object{Name: "mwasm.sigaction", Section: link.Data, Data: sa, Local: true,
		Relocs: []link.Reloc{{Offset: 0, Kind: link.ABS64, Symbol: symSignal}, {Offset: 16, Kind: link.ABS64, Symbol: "mwasm.restorer"}}})

	// Entry points to call at start-up.
	type call struct {
		md *module
		fi int
	}
	var calls []call
	if sm.HasStart {
		calls = append(calls, call{shm, int(sm.Start)})
	}
	fi := export(sm, "_initialize")
	if fi < sm.NumImportedFuncs {
		return nil, fmt.Errorf("the shim exports no _initialize function; rebuild it with shim/linux.BuildShim")
	}
	calls = append(calls, call{shm, fi})
	if am.HasStart {
		calls = append(calls, call{app, int(am.Start)})
	}
	fi = export(am, "_start")
	if fi < am.NumImportedFuncs {
		return nil, fmt.Errorf("the app exports no _start function: it is not a WASI command (build it with GOOS=wasip1 GOARCH=wasm, or clang --target=wasm32-wasi)")
	}
	calls = append(calls, call{app, fi})

	b.fn("_start", false, func(a *Assembler) {
		a.MovRR(S64, R12, RSP)
		a.Lea(S64, RSP, SymRef(symStack, stackSize))
		a.MovImm(S32, RBP, 0)
		a.Cld()
		// fds 0-2 first: one that is closed gets /dev/null, so that the disk
		// or TAP opened below never takes its number (and the app's output
		// never lands in a disk image).
		for fd := int64(0); fd <= 2; fd++ {
			open, okFd := a.NewLabel(), a.NewLabel()
			a.MovImm(S32, RDI, fd)
			a.MovImm(S32, RSI, 1) // F_GETFD
			sys(a, sysFcntl)
			a.AluRI(CMP, S64, RAX, -ebadf)
			a.Jcc(CondE, open)
			a.Jmp(okFd)
			a.Bind(open)
			null, _ := b.str("/dev/null\x00")
			a.Lea(S64, RDI, SymRef(null, 0))
			a.MovImm(S32, RSI, 2) // O_RDWR
			a.MovImm(S32, RDX, 0)
			sys(a, sysOpen)
			a.AluRI(CMP, S64, RAX, fd)
			a.Jcc(CondE, okFd)
			b.die(a, "fd 0, 1 or 2 is closed and /dev/null cannot be opened in its place: start the executable with its standard descriptors open")
			a.Bind(okFd)
		}
		a.StoreImm(S64, st(stDiskFd), -1)
		a.StoreImm(S64, st(stNetFd), -1)
		a.Load(S64, RAX, Ptr(R12, 0))
		a.Store(S64, st(stArgc), RAX)
		a.Lea(S64, RAX, Ptr(R12, 8))
		a.Store(S64, st(stArgv), RAX)
		// Stack guard page, alternate signal stack, fault handlers.
		a.Lea(S64, RDI, SymRef(symStack, 0))
		a.MovImm(S32, RSI, stackGuard)
		a.MovImm(S32, RDX, 0)
		sys(a, sysMprotect)
		a.Lea(S64, RDI, SymRef("mwasm.sigaltstack", 0))
		a.MovImm(S32, RSI, 0)
		sys(a, sysSigaltstack)
		for _, sig := range []int{11, 7, 4, 8} { // SIGSEGV, SIGBUS, SIGILL, SIGFPE
			a.MovImm(S32, RDI, int64(sig))
			a.Lea(S64, RSI, SymRef("mwasm.sigaction", 0))
			a.MovImm(S32, RDX, 0)
			a.MovImm(S32, R10, 8)
			sys(a, sysRtSigaction)
		}
		// Linear memories: reserve, make the initial size accessible, copy
		// the active data segments.
		for _, md := range []*module{shm, app} {
			if len(md.m.Memories) == 0 {
				continue
			}
			bad := a.NewLabel()
			okL := a.NewLabel()
			a.MovAbs(RDI, md.base)
			a.MovAbs(RSI, vm.GuardReservation)
			a.MovImm(S32, RDX, 0)
			a.MovImm(S32, R10, 0x2|0x20|0x4000|0x100000) // PRIVATE|ANONYMOUS|NORESERVE|FIXED_NOREPLACE
			a.MovImm(S64, R8, -1)
			a.MovImm(S32, R9, 0)
			sys(a, sysMmap)
			a.MovAbs(RCX, md.base)
			a.AluRR(CMP, S64, RAX, RCX)
			a.Jcc(CondNE, bad)
			if md.init > 0 {
				a.MovAbs(RDI, md.base)
				a.MovAbs(RSI, md.init)
				a.MovImm(S32, RDX, 3)
				sys(a, sysMprotect)
				a.TestRR(S64, RAX, RAX)
				a.Jcc(CondNE, bad)
			}
			for _, c := range md.copies {
				a.Lea(S64, RSI, SymRef("__rodata_start", int32(c.src)))
				a.MovAbs(RDI, c.dst)
				a.MovAbs(RCX, c.n)
				a.RepMovsb()
			}
			a.Jmp(okL)
			a.Bind(bad)
			b.die(a, fmt.Sprintf("cannot reserve the %s's linear memory at %#x (8 GiB of address space): check ulimit -v", md.name, md.base))
			a.Bind(okL)
		}
		// Environment: MWASM_DISK0 and MWASM_NET0.
		envLoop, envNext, envDone := a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Load(S64, RAX, st(stArgc))
		a.Lea(S64, RBX, PtrIdx(R12, RAX, 8, 16))
		a.Bind(envLoop)
		a.Load(S64, RDI, Ptr(RBX, 0))
		a.TestRR(S64, RDI, RDI)
		a.Jcc(CondE, envDone)
		for _, v := range []struct {
			name string
			off  int32
		}{{"MWASM_DISK0=", stDiskPath}, {"MWASM_NET0=", stNetSpec}} {
			no := a.NewLabel()
			sym, n := b.str(v.name)
			a.Load(S64, RDI, Ptr(RBX, 0))
			a.Lea(S64, RSI, SymRef(sym, 0))
			a.MovImm(S32, RDX, n)
			a.CallSym(symPrefix)
			a.TestRR(S32, RAX, RAX)
			a.Jcc(CondE, no)
			a.Load(S64, RAX, Ptr(RBX, 0))
			a.AluRI(ADD, S64, RAX, n)
			a.Store(S64, st(v.off), RAX)
			a.Bind(no)
		}
		a.Bind(envNext)
		a.AluRI(ADD, S64, RBX, 8)
		a.Jmp(envLoop)
		a.Bind(envDone)
		// disk0
		{
			okL, dieL := a.NewLabel(), a.NewLabel()
			a.Load(S64, RDI, st(stDiskPath))
			a.TestRR(S64, RDI, RDI)
			if !o.Disk {
				a.Jcc(CondE, okL)
				b.die(a, "MWASM_DISK0 is set, but this executable declares no disk0: rebuild it with mwasm build --disk, or unset MWASM_DISK0")
			} else {
				openFail, sizeBad := a.NewLabel(), a.NewLabel()
				a.Jcc(CondE, dieL)
				a.MovImm(S32, RSI, 2|0x80000) // O_RDWR|O_CLOEXEC
				a.MovImm(S32, RDX, 0)
				sys(a, sysOpen)
				a.TestRR(S64, RAX, RAX)
				a.Jcc(CondS, openFail)
				a.Store(S64, st(stDiskFd), RAX)
				a.MovRR(S64, RDI, RAX)
				a.MovImm(S32, RSI, 0)
				a.MovImm(S32, RDX, 2) // SEEK_END
				sys(a, sysLseek)
				a.TestRR(S64, RAX, RAX)
				a.Jcc(CondS, openFail)
				a.TestRI(S64, RAX, int64(o.SectorSize-1))
				a.Jcc(CondNE, sizeBad)
				a.ShiftImm(SHR, S64, RAX, uint8(bits.TrailingZeros(uint(o.SectorSize))))
				a.Store(S64, st(stDiskSectors), RAX)
				a.Jmp(okL)
				a.Bind(openFail)
				b.die(a, "MWASM_DISK0: cannot open the disk image read-write: check the path and its permissions")
				a.Bind(sizeBad)
				b.die(a, fmt.Sprintf("MWASM_DISK0: the disk image's size is not a multiple of the sector size (%d bytes): resize it", o.SectorSize))
				a.Bind(dieL)
				b.die(a, "this executable declares disk0: set MWASM_DISK0=FILE to a disk image")
			}
			a.Bind(okL)
		}
		// net0
		{
			okL := a.NewLabel()
			a.Load(S64, RDI, st(stNetSpec))
			a.TestRR(S64, RDI, RDI)
			if !o.Net {
				a.Jcc(CondE, okL)
				b.die(a, "MWASM_NET0 is set, but this executable declares no net0: rebuild it with mwasm build --net user (or --net tap,ifname=NAME), or unset MWASM_NET0")
			} else {
				have, badSpec, tunFail, copyLoop, copyDone := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
				a.Jcc(CondNE, have)
				if o.NetIfname != "" {
					sym, _ := b.str("tap:" + o.NetIfname + "\x00")
					a.Lea(S64, RDI, SymRef(sym, 0))
					a.Store(S64, st(stNetSpec), RDI)
					a.Jmp(have)
				} else {
					b.die(a, "this executable declares net0: run it with mwasm exec --net user,... (or --net tap,ifname=NAME), or set MWASM_NET0=tap:IFNAME or MWASM_NET0=fd:N")
				}
				a.Bind(have)
				// fd:N: an inherited SOCK_SEQPACKET socket, one frame per packet.
				{
					notFd, digits, digitsDone, badFd, fdFail := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
					fdp, fdn := b.str("fd:")
					a.Lea(S64, RSI, SymRef(fdp, 0))
					a.MovImm(S32, RDX, fdn)
					a.CallSym(symPrefix)
					a.TestRR(S32, RAX, RAX)
					a.Jcc(CondE, notFd)
					a.Load(S64, RSI, st(stNetSpec))
					a.AluRI(ADD, S64, RSI, fdn)
					a.MovImm(S32, RAX, 0)
					a.MovImm(S32, RCX, 0)
					a.Bind(digits)
					a.MovzxLoad(S32, S8, RDX, PtrIdx(RSI, RCX, 1, 0))
					a.TestRR(S32, RDX, RDX)
					a.Jcc(CondE, digitsDone)
					a.AluRI(SUB, S32, RDX, '0')
					a.AluRI(CMP, S32, RDX, 9)
					a.Jcc(CondA, badFd)
					a.ImulRRI(S64, RAX, RAX, 10)
					a.AluRR(ADD, S64, RAX, RDX)
					a.AluRI(CMP, S64, RAX, 1<<20)
					a.Jcc(CondA, badFd)
					a.AluRI(ADD, S32, RCX, 1)
					a.Jmp(digits)
					a.Bind(digitsDone)
					a.TestRR(S32, RCX, RCX)
					a.Jcc(CondE, badFd)
					a.Store(S64, st(stNetFd), RAX)
					// getsockopt(fd, SOL_SOCKET, SO_TYPE): must be SOCK_SEQPACKET (5).
					a.MovRR(S64, RDI, RAX)
					a.MovImm(S32, RSI, 1) // SOL_SOCKET
					a.MovImm(S32, RDX, 3) // SO_TYPE
					a.Lea(S64, R10, st(stIfreq))
					a.StoreImm(S32, Ptr(R10, 0), 0)
					a.Lea(S64, R8, st(stIfreq+8))
					a.StoreImm(S32, Ptr(R8, 0), 4)
					sys(a, sysGetsockopt)
					a.TestRR(S64, RAX, RAX)
					a.Jcc(CondNE, fdFail)
					a.Load(S32, RAX, st(stIfreq))
					a.AluRI(CMP, S32, RAX, 5)
					a.Jcc(CondNE, fdFail)
					// fcntl(fd, F_SETFL, flags|O_NONBLOCK): net_recv/net_send never block.
					a.Load(S64, RDI, st(stNetFd))
					a.MovImm(S32, RSI, 3) // F_GETFL
					sys(a, sysFcntl)
					a.TestRR(S64, RAX, RAX)
					a.Jcc(CondS, fdFail)
					a.MovRR(S64, RDX, RAX)
					a.AluRI(OR, S32, RDX, 0x800) // O_NONBLOCK
					a.Load(S64, RDI, st(stNetFd))
					a.MovImm(S32, RSI, 4) // F_SETFL
					sys(a, sysFcntl)
					a.TestRR(S64, RAX, RAX)
					a.Jcc(CondS, fdFail)
					a.Jmp(okL)
					a.Bind(badFd)
					b.die(a, "MWASM_NET0=fd:N: N must be a file descriptor number (decimal)")
					a.Bind(fdFail)
					b.die(a, "MWASM_NET0=fd:N: N is not an open SOCK_SEQPACKET socket: pass one end of socketpair(AF_UNIX, SOCK_SEQPACKET) as fd N (mwasm exec --net user does this)")
					a.Bind(notFd)
					a.Load(S64, RDI, st(stNetSpec))
				}
				sym, n := b.str("tap:")
				a.Lea(S64, RSI, SymRef(sym, 0))
				a.MovImm(S32, RDX, n)
				a.CallSym(symPrefix)
				a.TestRR(S32, RAX, RAX)
				a.Jcc(CondE, badSpec)
				a.Load(S64, RSI, st(stNetSpec))
				a.AluRI(ADD, S64, RSI, 4)
				a.Lea(S64, RDI, st(stIfreq))
				a.MovImm(S32, RCX, 0)
				a.Bind(copyLoop)
				a.MovzxLoad(S32, S8, RAX, PtrIdx(RSI, RCX, 1, 0))
				a.TestRR(S32, RAX, RAX)
				a.Jcc(CondE, copyDone)
				a.AluRI(CMP, S32, RCX, 15)
				a.Jcc(CondAE, badSpec)
				a.Store(S8, PtrIdx(RDI, RCX, 1, 0), RAX)
				a.AluRI(ADD, S32, RCX, 1)
				a.Jmp(copyLoop)
				a.Bind(copyDone)
				a.TestRR(S32, RCX, RCX)
				a.Jcc(CondE, badSpec)
				a.StoreImm(S16, Ptr(RDI, 16), 0x1002) // IFF_TAP|IFF_NO_PI
				tun, _ := b.str("/dev/net/tun\x00")
				a.Lea(S64, RDI, SymRef(tun, 0))
				a.MovImm(S32, RSI, 2|0x800|0x80000) // O_RDWR|O_NONBLOCK|O_CLOEXEC
				a.MovImm(S32, RDX, 0)
				sys(a, sysOpen)
				a.TestRR(S64, RAX, RAX)
				a.Jcc(CondS, tunFail)
				a.Store(S64, st(stNetFd), RAX)
				a.MovRR(S64, RDI, RAX)
				a.MovImm(S32, RSI, 0x400454ca) // TUNSETIFF
				a.Lea(S64, RDX, st(stIfreq))
				sys(a, sysIoctl)
				a.TestRR(S64, RAX, RAX)
				a.Jcc(CondS, tunFail)
				a.Jmp(okL)
				a.Bind(badSpec)
				b.die(a, "MWASM_NET0 must be tap:IFNAME (an interface name of 1 to 15 bytes) or fd:N (an inherited SOCK_SEQPACKET socket)")
				a.Bind(tunFail)
				b.die(a, "MWASM_NET0: cannot attach the TAP interface through /dev/net/tun (it needs CAP_NET_ADMIN or a TAP device owned by you)")
			}
			a.Bind(okL)
		}
		// Configuration blob: the build-time prefix, then argv[1:], then disk facts.
		a.Lea(S64, RDI, SymRef(symConfig, 0))
		a.Lea(S64, RSI, SymRef("mwasm.config_prefix", 0))
		a.MovImm(S32, RCX, int64(len(prefix)))
		a.RepMovsb()
		argLoop, argDone, strl, strDone, tooLong := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
		a.Load(S64, RBX, st(stArgv))
		a.Load(S64, R13, st(stArgc))
		a.MovImm(S32, R12, 1)
		a.Bind(argLoop)
		a.AluRR(CMP, S64, R12, R13)
		a.Jcc(CondAE, argDone)
		a.Load(S64, RSI, PtrIdx(RBX, R12, 8, 0))
		a.MovRR(S64, RCX, RSI)
		a.Bind(strl)
		a.MovzxLoad(S32, S8, RAX, Ptr(RCX, 0))
		a.TestRR(S32, RAX, RAX)
		a.Jcc(CondE, strDone)
		a.AluRI(ADD, S64, RCX, 1)
		a.Jmp(strl)
		a.Bind(strDone)
		a.AluRR(SUB, S64, RCX, RSI)
		a.Lea(S64, RAX, PtrIdx(RDI, RCX, 1, 8+28))
		a.Lea(S64, RDX, SymRef(symConfig, configMax))
		a.AluRR(CMP, S64, RAX, RDX)
		a.Jcc(CondA, tooLong)
		a.StoreImm(S32, Ptr(RDI, 0), 1)
		a.Store(S32, Ptr(RDI, 4), RCX)
		a.AluRI(ADD, S64, RDI, 8)
		a.RepMovsb()
		a.AluRI(ADD, S64, R12, 1)
		a.Jmp(argLoop)
		a.Bind(tooLong)
		b.die(a, fmt.Sprintf("the arguments are too long (more than %d bytes)", configMax/2))
		a.Bind(argDone)
		if o.Disk {
			a.StoreImm(S32, Ptr(RDI, 0), 32)
			a.StoreImm(S32, Ptr(RDI, 4), 4)
			a.StoreImm(S32, Ptr(RDI, 8), int64(o.SectorSize))
			a.StoreImm(S32, Ptr(RDI, 12), 33)
			a.StoreImm(S32, Ptr(RDI, 16), 8)
			a.Load(S64, RAX, st(stDiskSectors))
			a.Store(S64, Ptr(RDI, 20), RAX)
			a.AluRI(ADD, S64, RDI, 28)
		}
		a.Lea(S64, RAX, SymRef(symConfig, 0))
		a.AluRR(SUB, S64, RDI, RAX)
		a.Store(S64, st(stConfigLen), RDI)
		// Run: the shim's start and _initialize, then the app's start and _start.
		for _, c := range calls {
			_, ti := funcType(c.md.m, c.fi)
			a.Lea(S64, RDI, SymRef(c.md.vmctxSym, 0))
			a.Lea(S64, RSI, SymRef(c.md.funcSyms[c.fi-c.md.m.NumImportedFuncs], 0))
			a.Lea(S64, RDX, st(stSlots))
			a.CallSym(fmt.Sprintf("%s.entry%d", c.md.name, ti))
		}
		a.MovImm(S32, RDI, 0)
		sys(a, sysExitGroup)
	})
	if b.err != nil {
		return nil, b.err
	}

	// Manifest.
	sum := sha256.Sum256(o.App)
	man := &manifest.Manifest{
		Version: manifest.FormatVersion,
		App:     manifest.App{Name: o.Name, WasmSHA256: hex.EncodeToString(sum[:]), WasmSize: int64(len(o.App))},
		Target:  manifest.TargetLinux,
		Devices: []manifest.Device{},
		Sizes: []manifest.Module{
			{Module: "app", Code: uint64(len(aobj.Code)), Data: dataSize(am)},
			{Module: "shim", Code: uint64(len(sobj.Code)), Data: dataSize(sm)},
		},
		Compiler: o.Compiler,
	}
	if man.Compiler == "" {
		man.Compiler = "mwasm 0.0.0-dev"
	}
	if o.Net {
		man.Devices = append(man.Devices, manifest.Device{Name: abi.NetDev, Kind: manifest.KindNet, MAC: macString(o.NetMAC), MTU: o.NetMTU, IPv4: o.NetIPv4, Gateway: o.NetGateway})
	}
	if o.Disk {
		man.Devices = append(man.Devices, manifest.Device{Name: abi.DiskDev, Kind: manifest.KindBlock, SectorSize: o.SectorSize})
	}
	js, err := manifest.Marshal(man)
	if err != nil {
		return nil, fmt.Errorf("manifest: %v", err)
	}
	L.AddNote(L.NoteSection(manifest.NoteSection), manifest.NoteName, manifest.NoteType, js)

	im, err := L.Link()
	if err != nil {
		return nil, err
	}
	tm.Link = time.Since(linkStart)
	return &Result{ELF: im.ELF, Manifest: man, AppCode: len(aobj.Code), ShimCode: len(sobj.Code), Timings: tm}, nil
}

func dataSize(m *wasmc.Module) uint64 {
	var n uint64
	for _, d := range m.Datas {
		n += uint64(len(d.Init))
	}
	return n
}

func macString(b []byte) string {
	s := make([]string, len(b))
	for i, x := range b {
		s[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(s, ":")
}
