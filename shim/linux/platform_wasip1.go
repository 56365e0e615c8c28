//go:build wasip1

package linux

import (
	"io"
	"strconv"
	"unsafe"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/reactor"
)

//go:wasmimport mwasm console_write
func consoleWrite(fd int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport mwasm stdio_type
func stdioType(fd int32) int32

//go:wasmimport mwasm stdin_read
func stdinRead(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport mwasm clock_now
func clockNow(clock uint32) uint64

//go:wasmimport mwasm clock_res
func clockRes(clock uint32) uint64

//go:wasmimport mwasm random
func random(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport mwasm wait
func wait(deadline uint64, watch uint32) uint32

//go:wasmimport mwasm exit
func exit(code uint32)

//go:wasmimport mwasm net_recv
func netRecv(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport mwasm net_send
func netSend(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport mwasm disk_read
func diskRead(off int64, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport mwasm disk_write
func diskWrite(off int64, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport mwasm disk_sync
func diskSync() int32

func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// Init reads the configuration blob, builds the platform and its devices, and makes
// the reactor's exports serve the app. The reactor's main package calls it from an
// init function. A bad blob ends the run with abi.ExitUsage and a message on stderr.
func Init() {
	c, err := reactor.ReadConfig()
	if err != nil {
		fatal(err.Error())
	}
	p := &Platform{}
	sc := shim.Config{Args: c.Args, Env: c.Env}
	if c.Stdin {
		p.stdin = &stdin{buf: make([]byte, 0, stdinAhead)}
	}
	if c.Net != nil {
		p.net = &netDev{facts: *c.Net, pending: make([]byte, 0, int(c.Net.MTU)+14)}
		sc.Net, sc.NetIPv4, sc.NetGateway = p.net, c.Net.IPv4, c.Net.Gateway
	}
	if c.Disk != nil {
		sc.Disk = &disk{sectorSize: int(c.Disk.SectorSize), sectors: c.Disk.Sectors}
	}
	dirs, err := reactor.ReadFiles(func() uint64 { return p.Now(shim.ClockRealtime) })
	if err != nil {
		fatal(err.Error())
	}
	sc.Dirs = dirs
	reactor.Serve(p, sc)
}

func fatal(msg string) {
	b := []byte("mwasm shim: " + msg + "\n")
	consoleWrite(2, ptr(b), uint32(len(b)))
	exit(abi.ExitUsage)
	panic("BUG: the exit native returned")
}

// errnoError is a host errno reported by a native.
type errnoError int32

func (e errnoError) Error() string { return "host errno " + strconv.Itoa(int(e)) }

// Platform is shim.Platform over the Linux natives.
type Platform struct {
	stdin *stdin  // nil: no stdin
	net   *netDev // nil: no net0
}

func (p *Platform) Console(fd int, b []byte) error {
	if r := consoleWrite(int32(fd), ptr(b), uint32(len(b))); r < 0 {
		return errnoError(-r)
	}
	return nil
}

// StdioType implements shim.StdioTyper: the type of the host file behind fd.
func (p *Platform) StdioType(fd int) uint8 {
	m := stdioType(int32(fd))
	if m < 0 {
		return shim.FiletypeCharacter // not examinable: as a closed fd made /dev/null
	}
	return shim.FiletypeOfMode(uint32(m))
}

func (p *Platform) Stdin() shim.Stdin {
	if p.stdin == nil {
		return nil
	}
	return p.stdin
}

func (p *Platform) Now(c shim.Clock) uint64        { return clockNow(uint32(c)) }
func (p *Platform) Resolution(c shim.Clock) uint64 { return max(clockRes(uint32(c)), 1) }

func (p *Platform) Random(b []byte) error {
	if r := random(ptr(b), uint32(len(b))); r < 0 {
		return errnoError(-r)
	}
	return nil
}

// Wait sleeps in the wait native, watching only the host fds whose readiness the
// shim cannot see yet (see the package comment), then takes in what became ready.
func (p *Platform) Wait(deadline uint64) {
	var watch uint32
	if p.stdin != nil && p.stdin.wantsMore() {
		watch |= WatchStdin
	}
	if p.net != nil {
		if len(p.net.pending) == 0 {
			watch |= WatchNetRx
		}
		if p.net.txBlocked {
			watch |= WatchNetTx
		}
	}
	if watch == 0 && deadline == shim.NoDeadline {
		fatal("the app waits for an event that cannot happen (no device to wait for and no deadline)")
	}
	ready := wait(deadline, watch)
	if ready&WatchStdin != 0 {
		p.stdin.fill()
	}
	if ready&WatchNetTx != 0 {
		p.net.txBlocked = false
	}
}

func (p *Platform) Exit(code uint32) {
	exit(code)
	panic("BUG: the exit native returned")
}

// stdinAhead is how much of stdin is read ahead.
const stdinAhead = 64 << 10

// stdin is shim.Stdin over stdin_read, with a read-ahead buffer.
type stdin struct {
	buf []byte // read ahead, not yet given to the app
	eof bool
	err error // a host read error, reported once buf is drained
}

func (s *stdin) wantsMore() bool { return !s.eof && s.err == nil && len(s.buf) < cap(s.buf) }

// fill reads what the host has, without blocking, into the free part of buf.
func (s *stdin) fill() {
	if !s.wantsMore() {
		return
	}
	free := s.buf[len(s.buf):cap(s.buf)]
	switch r := stdinRead(ptr(free), uint32(len(free))); {
	case r > 0:
		s.buf = s.buf[:len(s.buf)+int(r)]
	case r == 0:
		s.eof = true
	case r == -EAGAIN:
	default:
		s.err = errnoError(-r)
	}
}

func (s *stdin) Read(b []byte) (int, error) {
	if len(s.buf) == 0 {
		s.fill()
	}
	if len(s.buf) > 0 {
		n := copy(b, s.buf)
		s.buf = s.buf[:copy(s.buf, s.buf[n:])]
		return n, nil
	}
	switch {
	case s.err != nil:
		return 0, s.err
	case s.eof:
		return 0, io.EOF
	}
	return 0, shim.ErrAgain
}

func (s *stdin) Poll() (int, bool) {
	if len(s.buf) == 0 {
		s.fill()
	}
	return len(s.buf), s.eof || s.err != nil
}

// netDev is shim.NetDevice over net_recv and net_send, with a one-frame read-ahead
// (Readable has to look).
type netDev struct {
	facts     reactor.NetFacts
	pending   []byte // a received frame not yet given to the app (empty: none)
	txBlocked bool   // the last send met -EAGAIN; cleared when wait reports WatchNetTx
}

func (n *netDev) SetWake(func()) {} // readiness comes through the wait native
func (n *netDev) MAC() [6]byte   { return n.facts.MAC }
func (n *netDev) MTU() int       { return int(n.facts.MTU) }
func (n *netDev) Close() error   { return nil }

func (n *netDev) RecvFrame(buf []byte) (int, error) {
	if len(n.pending) > 0 {
		k := copy(buf, n.pending)
		n.pending = n.pending[:0]
		return k, nil
	}
	r := netRecv(ptr(buf), uint32(len(buf)))
	if r < 0 {
		return 0, netErr(r)
	}
	return int(r), nil
}

func (n *netDev) SendFrame(frame []byte) error {
	r := netSend(ptr(frame), uint32(len(frame)))
	if r == -EAGAIN {
		n.txBlocked = true
	}
	if r < 0 {
		return netErr(r)
	}
	return nil
}

func (n *netDev) Readable() bool {
	if len(n.pending) > 0 {
		return true
	}
	full := n.pending[:cap(n.pending)]
	r := netRecv(ptr(full), uint32(len(full)))
	if r > 0 {
		n.pending = full[:r]
	}
	// A host error counts as readable too, so that the app's fd_read reports it
	// (EIO) instead of waiting on an fd that will stay "ready".
	return r != -EAGAIN
}

func (n *netDev) Writable() bool { return !n.txBlocked }

func netErr(r int32) error {
	if r == -EAGAIN {
		return shim.ErrAgain
	}
	return errnoError(-r)
}

// disk is shim.BlockDevice over disk_read, disk_write and disk_sync.
type disk struct {
	sectorSize int
	sectors    uint64
}

func (d *disk) SectorSize() int { return d.sectorSize }
func (d *disk) Sectors() uint64 { return d.sectors }
func (d *disk) Close() error    { return nil }

func (d *disk) ReadAt(p []byte, off int64) error {
	return diskErr(diskRead(off, ptr(p), uint32(len(p))))
}

func (d *disk) WriteAt(p []byte, off int64) error {
	return diskErr(diskWrite(off, ptr(p), uint32(len(p))))
}

func (d *disk) Sync() error { return diskErr(diskSync()) }

func diskErr(r int32) error {
	if r < 0 {
		return errnoError(-r)
	}
	return nil
}
