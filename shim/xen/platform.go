package xen

import (
	"unsafe"

	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/xen/console"
	"github.com/mwasm/mwasm/shim/xen/hv"
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
