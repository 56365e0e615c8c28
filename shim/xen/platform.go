package xen

import (
	"errors"
	"unsafe"

	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/xen/blkfront"
	"github.com/mwasm/mwasm/shim/xen/console"
	"github.com/mwasm/mwasm/shim/xen/front"
	"github.com/mwasm/mwasm/shim/xen/gnttab"
	"github.com/mwasm/mwasm/shim/xen/hv"
	"github.com/mwasm/mwasm/shim/xen/netfront"
	"github.com/mwasm/mwasm/shim/xen/xenstore"
)

// Machine is what the Xen platform needs of the boot layer: its natives
// (natives_wasip1.go, the only file that binds them) or, in tests, a fake
// (xenfake.Hypervisor).
type Machine interface {
	hv.Machine
	// PFN is the guest frame number of the shim page holding p.
	PFN(p unsafe.Pointer) (uint64, bool)
	// MapFrame makes the page-aligned page of shim memory show frame gfn.
	MapFrame(page []byte, gfn uint64) error
	// Fence is a full memory barrier.
	Fence()
	// Wait blocks until an event channel is pending or the monotonic clock
	// reaches deadline (shim.NoDeadline: none), takes pending ports into
	// ports and returns how many it took.
	Wait(deadline uint64, ports []uint32) int
	// Now and Resolution are the clocks (shim.ClockRealtime, ClockMonotonic).
	Now(c shim.Clock) uint64
	Resolution(c shim.Clock) uint64
	// Random fills p with entropy (RDRAND).
	Random(p []byte) error
	// EarlyConsole writes to the console ring from native code.
	EarlyConsole(p []byte)
	// Exit prints the exit status, flushes the console and powers off.
	Exit(code uint32)
	// Shutdown flushes the console and shuts the domain down with reason.
	Shutdown(reason uint32)
}

// Platform is shim.Platform on Xen: the PV console, the clocks and timers of
// the boot layer, and xenstore for the toolstack's requests (control/shutdown).
type Platform struct {
	m     Machine
	hv    *hv.HV
	cons  *console.Console
	store *xenstore.Client

	consPort, storePort uint32
	handlers            map[uint32]func()
	ports               [64]uint32
	pages               [][]byte // shared pages: kept reachable
	grants              *gnttab.Table
	maxGrantFrames      uint32
}

// NewPage returns a page-aligned, zeroed page of shim memory.
func NewPage() []byte {
	b := make([]byte, 2*4096)
	off := int((4096 - uintptr(unsafe.Pointer(&b[0]))%4096) % 4096)
	return b[off : off+4096 : off+4096]
}

// Start brings the platform up: the console ring and the store ring mapped
// into shim pages, their event channels unmasked, a watch on
// control/shutdown.
func Start(m Machine) (*Platform, error) {
	p := &Platform{m: m, hv: hv.New(m), handlers: map[uint32]func(){}}
	page, port, err := p.ring(hv.ParamConsolePFN, hv.ParamConsoleEvtchn, "console")
	if err != nil {
		return nil, err
	}
	p.consPort = port
	p.cons = console.New(page, p.notifier(port), p.block)
	p.handlers[port] = func() {} // room in the ring: the writer loops
	page, port, err = p.ring(hv.ParamStorePFN, hv.ParamStoreEvtchn, "xenstore")
	if err != nil {
		return nil, err
	}
	p.storePort = port
	p.store = xenstore.New(page, p.notifier(port), p.block)
	p.handlers[port] = p.store.Poll
	if err := p.store.Watch("control/shutdown", "mwasm-shutdown", p.shutdownRequest); err != nil {
		return nil, &Error{"cannot watch control/shutdown in xenstore: " + err.Error()}
	}
	return p, nil
}

// ring maps the ring page an HVM parameter names into a new shim page and
// unmasks its event channel.
func (p *Platform) ring(pfnParam, evtParam uint32, what string) ([]byte, uint32, error) {
	pfn, err := p.hv.Param(pfnParam)
	if err != nil || pfn == 0 {
		return nil, 0, &Error{"the domain has no " + what + " page (HVM parameter " + utoa(uint64(pfnParam)) + ")"}
	}
	evt, err := p.hv.Param(evtParam)
	if err != nil {
		return nil, 0, &Error{"the domain has no " + what + " event channel"}
	}
	page := NewPage()
	if err := p.m.MapFrame(page, pfn); err != nil {
		return nil, 0, &Error{"cannot map the " + what + " page: " + err.Error()}
	}
	p.pages = append(p.pages, page)
	if err := p.hv.Unmask(uint32(evt)); err != nil {
		return nil, 0, &Error{"cannot unmask the " + what + " event channel: " + err.Error()}
	}
	return page, uint32(evt), nil
}

func (p *Platform) notifier(port uint32) func() { return func() { p.hv.Notify(port) } }

// Error is a platform failure with its message.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// block waits for the next event and handles it (the drivers' wait).
func (p *Platform) block() { p.Wait(shim.NoDeadline) }

// shutdownRequest handles a write to control/shutdown by the toolstack
// (xl shutdown, xl reboot): acknowledge it by clearing the node, as the
// xenbus protocol asks, then shut down the same way.
func (p *Platform) shutdownRequest(path string) {
	v, err := p.store.Read(path)
	if err != nil || v == "" {
		return
	}
	reason := uint32(hv.ShutdownPoweroff)
	switch v {
	case "poweroff", "halt":
	case "reboot":
		reason = hv.ShutdownReboot
	default:
		p.cons.Write([]byte("mwasm: control/shutdown = " + v + " is not supported (only poweroff, halt and reboot); ignored\n"))
		p.store.Write(path, "")
		return
	}
	p.store.Write(path, "")
	p.cons.Write([]byte("mwasm: shutting down (control/shutdown = " + v + ")\n"))
	p.m.Shutdown(reason)
}

// The platform as the frontends' environment (front.Env).

func (p *Platform) Store() *xenstore.Client { return p.store }

// NewPage gives each shared page an allocation of its own. (Carving them
// from 64 KiB slabs, which halves their memory, made blkfront's I/O 2-3x
// slower on Xen under QEMU in an A/B of diskbench images in one boot, a
// scratch run not kept as a benchmark; not explained.)
func (p *Platform) NewPage() []byte {
	pg := NewPage()
	p.pages = append(p.pages, pg)
	return pg
}

func (p *Platform) Grant(dom uint16, page []byte, ro bool) (uint32, error) {
	if p.grants == nil {
		p.grants = gnttab.New(p)
	}
	return p.grants.Grant(dom, page, ro)
}

// PFN, MapTableFrame and MaxFrames make the platform the grant table's Mapper.
func (p *Platform) PFN(page []byte) (uint64, bool) { return p.m.PFN(unsafe.Pointer(&page[0])) }

func (p *Platform) MapTableFrame(idx uint32, page []byte) error {
	gfn, ok := p.PFN(page)
	if !ok {
		return &Error{"the grant table's page has no frame"}
	}
	return p.hv.AddToPhysmap(hv.MapspaceGrantTable, uint64(idx), gfn)
}

func (p *Platform) MaxFrames() uint32 {
	if p.maxGrantFrames == 0 {
		p.maxGrantFrames = 4
		if _, max, err := p.hv.GrantFrames(); err == nil && max > 0 {
			p.maxGrantFrames = max
		}
	}
	return p.maxGrantFrames
}

func (p *Platform) AllocPort(dom uint16) (uint32, error) {
	port, err := p.hv.AllocUnbound(dom)
	if err != nil {
		return 0, err
	}
	return port, p.hv.Unmask(port)
}

func (p *Platform) Notify(port uint32)            { p.hv.Notify(port) }
func (p *Platform) Handle(port uint32, fn func()) { p.handlers[port] = fn }
func (p *Platform) Fence()                        { p.m.Fence() }
func (p *Platform) Log(msg string)                { p.cons.Write([]byte(msg + "\n")) }
func (p *Platform) NowMono() uint64               { return p.m.Now(shim.ClockMonotonic) }

func (p *Platform) Console(fd int, b []byte) error {
	p.cons.Write(b)
	return nil
}

func (p *Platform) Stdin() shim.Stdin { return nil }

func (p *Platform) Now(c shim.Clock) uint64        { return p.m.Now(c) }
func (p *Platform) Resolution(c shim.Clock) uint64 { return max(p.m.Resolution(c), 1) }
func (p *Platform) Random(b []byte) error          { return p.m.Random(b) }

// Wait blocks the vCPU until an event or the deadline, then runs the
// handlers of the ports that fired.
func (p *Platform) Wait(deadline uint64) {
	n := p.m.Wait(deadline, p.ports[:])
	for _, port := range p.ports[:n] {
		if h := p.handlers[port]; h != nil {
			h()
		}
	}
}

func (p *Platform) Exit(code uint32) {
	p.m.Exit(code)
	panic("BUG: the exit native returned")
}

func utoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// env is the platform as front.Env (its Now is the monotonic clock; the
// platform's own Now takes a clock).
type env struct{ *Platform }

func (e env) Now() uint64 { return e.NowMono() }

// Devices starts the frontends of the devices the image declares and returns
// the shim configuration's device part. A device the domain lacks, or one
// that will not connect, is an error saying what to do.
func (p *Platform) Devices(declared []string, ipv4, gateway string) (shim.Config, error) {
	var c shim.Config
	for _, d := range declared {
		switch d {
		case "net0":
			n, err := netfront.Start(env{p})
			if errors.Is(err, front.ErrNoDevice) {
				return c, &Error{"this image declares net0, but the domain has no network interface: add a vif = [...] line to its xl config (mwasm build --net vif writes one)"}
			}
			if err != nil {
				return c, &Error{"net0: " + err.Error()}
			}
			c.Net, c.NetIPv4, c.NetGateway = n, ipv4, gateway
		case "disk0":
			b, err := blkfront.Start(env{p})
			if errors.Is(err, front.ErrNoDevice) {
				return c, &Error{"this image declares disk0, but the domain has no disk: add a disk = [...] line to its xl config (mwasm build --disk writes one)"}
			}
			if err != nil {
				return c, &Error{"disk0: " + err.Error()}
			}
			c.Disk = b
		}
	}
	return c, nil
}
