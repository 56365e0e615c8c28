package linuxexe

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/abi/manifest"
	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/aot/link"
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

	Files image.Files // directory trees packed into the executable (--dir)

	Compiler string // "mwasm VERSION" for the manifest

	// AppModule, when set, is App already decoded and validated (as a loader
	// that checked its imports has it); Build then does not decode App again.
	AppModule *wasmc.Module
	// Cache, when set, holds compiled shims: Build compiles the shim only when
	// the cache has no valid entry for it (see Cache).
	Cache *image.Cache
}

// Result is a built executable.
type Result struct {
	ELF      []byte
	Manifest *manifest.Manifest
	AppCode  int // bytes of app machine code
	ShimCode int
	Timings  image.Timings
}

// builder is the image planner with the Linux platform layer's helpers.
type builder struct {
	*image.Builder
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
	var tm image.Timings
	am, aobj, err := image.CompileApp(o.App, o.AppModule, image.CompileOptions, &tm)
	if err != nil {
		return nil, err
	}
	sm, sobj, err := image.CompileShim(o.Shim, o.Cache, image.CompileOptions, &tm)
	if err != nil {
		return nil, err
	}
	linkStart := time.Now()
	ib, err := image.NewBuilder(image.Config{Stack: image.Stack{Sym: symStack, Size: stackSize, Guard: stackGuard, Reserve: stackReserve}})
	if err != nil {
		return nil, err
	}
	b := &builder{ib}
	L := b.L

	app := &image.Module{Name: "app", M: am, Obj: aobj, Base: AppBase}
	shm := &image.Module{Name: "shim", M: sm, Obj: sobj, Base: ShimBase}
	natives := b.emitNatives("app.memdesc")
	if err := b.PlaceShim(shm, natives, "Linux"); err != nil {
		return nil, err
	}
	if err := b.PlaceApp(app, shm); err != nil {
		return nil, err
	}
	b.EmitTrapReporter()
	b.emitHelpers()

	// Configuration blob prefix.
	rc := reactor.Config{Args: []string{o.Name}, Env: o.Env, Stdin: true}
	if o.Net {
		var mac [6]byte
		copy(mac[:], o.NetMAC)
		rc.Net = &reactor.NetFacts{MAC: mac, MTU: uint32(o.NetMTU), IPv4: o.NetIPv4, Gateway: o.NetGateway}
	}
	prefixLen, err := b.AddConfigPrefix(rc, configMax)
	if err != nil {
		return nil, err
	}
	if err := b.AddFiles(o.Files); err != nil {
		return nil, err
	}

	// .bss and static system structures.
	L.AddObject(link.Object{Name: symState, Section: link.BSS, Size: stateSize, Align: 64, Local: true})
	L.AddObject(link.Object{Name: symStack, Section: link.BSS, Size: stackSize, Align: 4096, Local: true})
	L.AddObject(link.Object{Name: symAlt, Section: link.BSS, Size: altSize, Align: 4096, Local: true})
	ss := make([]byte, 24)
	binary.LittleEndian.PutUint64(ss[16:], altSize)
	L.AddObject(link.Object{Name: "mwasm.sigaltstack", Section: link.Data, Data: ss, Local: true,
		Relocs: []link.Reloc{{Offset: 0, Kind: link.ABS64, Symbol: symAlt}}})
	sa := make([]byte, 32)
	binary.LittleEndian.PutUint64(sa[8:], 4|0x08000000|0x04000000) // SA_SIGINFO|SA_ONSTACK|SA_RESTORER
	// SIG_DFL, no flags: what the handler restores for a signal sent by a process.
	L.AddObject(link.Object{Name: symSigDefault, Section: link.BSS, Size: 32, Align: 8, Local: true})
	L.AddObject(link.Object{Name: "mwasm.sigaction", Section: link.Data, Data: sa, Local: true,
		Relocs: []link.Reloc{{Offset: 0, Kind: link.ABS64, Symbol: symSignal}, {Offset: 16, Kind: link.ABS64, Symbol: "mwasm.restorer"}}})

	// Entry points to call at start-up.
	entries, err := image.Entries(app, shm)
	if err != nil {
		return nil, err
	}

	b.Fn("_start", false, func(a *Assembler) {
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
			null, _ := b.Str("/dev/null\x00")
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
		for _, md := range []*image.Module{shm, app} {
			if !md.HasMemory() {
				continue
			}
			bad := a.NewLabel()
			okL := a.NewLabel()
			a.MovAbs(RDI, md.Base)
			a.MovAbs(RSI, vm.GuardReservation)
			a.MovImm(S32, RDX, 0)
			a.MovImm(S32, R10, 0x2|0x20|0x4000|0x100000) // PRIVATE|ANONYMOUS|NORESERVE|FIXED_NOREPLACE
			a.MovImm(S64, R8, -1)
			a.MovImm(S32, R9, 0)
			sys(a, sysMmap)
			a.MovAbs(RCX, md.Base)
			a.AluRR(CMP, S64, RAX, RCX)
			a.Jcc(CondNE, bad)
			if md.Init > 0 {
				a.MovAbs(RDI, md.Base)
				a.MovAbs(RSI, md.Init)
				a.MovImm(S32, RDX, 3)
				sys(a, sysMprotect)
				a.TestRR(S64, RAX, RAX)
				a.Jcc(CondNE, bad)
			}
			for _, c := range md.Copies {
				image.EmitCopy(a, c)
			}
			a.Jmp(okL)
			a.Bind(bad)
			b.die(a, fmt.Sprintf("cannot reserve the %s's linear memory at %#x (8 GiB of address space): check ulimit -v", md.Name, md.Base))
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
			sym, n := b.Str(v.name)
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
					sym, _ := b.Str("tap:" + o.NetIfname + "\x00")
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
					fdp, fdn := b.Str("fd:")
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
				sym, n := b.Str("tap:")
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
				tun, _ := b.Str("/dev/net/tun\x00")
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
		a.Lea(S64, RDI, SymRef(image.SymConfig, 0))
		a.Lea(S64, RSI, SymRef(image.SymPrefix, 0))
		a.MovImm(S32, RCX, int64(prefixLen))
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
		a.Lea(S64, RDX, SymRef(image.SymConfig, configMax))
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
		a.Lea(S64, RAX, SymRef(image.SymConfig, 0))
		a.AluRR(SUB, S64, RDI, RAX)
		a.Store(S64, SymRef(image.SymConfLen, 0), RDI)
		// Run: the shim's start and _initialize, then the app's start and _start.
		for _, e := range entries {
			a.Lea(S64, RDI, SymRef(e.VMCtx, 0))
			a.Lea(S64, RSI, SymRef(e.Func, 0))
			a.Lea(S64, RDX, st(stSlots))
			a.CallSym(e.Tramp)
		}
		a.MovImm(S32, RDI, 0)
		sys(a, sysExitGroup)
	})
	if err := b.Err(); err != nil {
		return nil, err
	}

	// Manifest.
	man := image.NewManifest(manifest.TargetLinux, o.Name, o.App, app, shm, o.Compiler)
	if o.Net {
		man.Devices = append(man.Devices, manifest.Device{Name: abi.NetDev, Kind: manifest.KindNet, MAC: image.MACString(o.NetMAC), MTU: o.NetMTU, IPv4: o.NetIPv4, Gateway: o.NetGateway})
	}
	if o.Disk {
		man.Devices = append(man.Devices, manifest.Device{Name: abi.DiskDev, Kind: manifest.KindBlock, SectorSize: o.SectorSize})
	}
	man.Files = o.Files.Trees
	if err := b.AddManifest(man); err != nil {
		return nil, err
	}

	im, err := L.Link()
	if err != nil {
		return nil, err
	}
	tm.Link = time.Since(linkStart)
	return &Result{ELF: im.ELF, Manifest: man, AppCode: len(aobj.Code), ShimCode: len(sobj.Code), Timings: tm}, nil
}
