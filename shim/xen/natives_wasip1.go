//go:build wasip1

package xen

import (
	"unsafe"

	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/reactor"
	"github.com/mwasm/mwasm/shim/xen/hv"
)

// The natives of the Xen boot layer (xenboot.Natives is the contract; a test
// checks these declarations against it).

//go:wasmimport mwasm hypercall
func hypercall(op uint32, a1, a2, a3, a4, a5 uint64) int64

//go:wasmimport mwasm virt
func virt(ptr unsafe.Pointer) uint64

//go:wasmimport mwasm pfn
func pfn(ptr unsafe.Pointer) int64

//go:wasmimport mwasm map_frame
func mapFrame(ptr unsafe.Pointer, gfn uint64) int32

//go:wasmimport mwasm fence
func fence()

//go:wasmimport mwasm wait
func wait(deadline uint64, ports unsafe.Pointer, max uint32) uint32

//go:wasmimport mwasm clock_now
func clockNow(clock uint32) uint64

//go:wasmimport mwasm clock_res
func clockRes(clock uint32) uint64

//go:wasmimport mwasm random
func random(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport mwasm console_write
func consoleWrite(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport mwasm exit
func exit(code uint32)

//go:wasmimport mwasm shutdown
func shutdown(reason uint32)

// natives is Machine over the natives.
type natives struct{}

func (natives) Hypercall(op uint32, a1, a2, a3, a4, a5 uint64) int64 {
	return hypercall(op, a1, a2, a3, a4, a5)
}
func (natives) Virt(p unsafe.Pointer) uint64 { return virt(p) }
func (natives) PFN(p unsafe.Pointer) (uint64, bool) {
	r := pfn(p)
	return uint64(r), r >= 0
}
func (natives) MapFrame(page []byte, gfn uint64) error {
	if mapFrame(unsafe.Pointer(unsafe.SliceData(page)), gfn) != 0 {
		return &Error{"map_frame refused the page"}
	}
	return nil
}
func (natives) Fence() { fence() }
func (natives) Wait(deadline uint64, ports []uint32) int {
	return int(wait(deadline, unsafe.Pointer(unsafe.SliceData(ports)), uint32(len(ports))))
}
func (natives) Now(c shim.Clock) uint64        { return clockNow(uint32(c)) }
func (natives) Resolution(c shim.Clock) uint64 { return clockRes(uint32(c)) }
func (natives) Random(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if r := random(unsafe.Pointer(unsafe.SliceData(p)), uint32(len(p))); r < 0 {
		return hv.Errno(r)
	}
	return nil
}
func (natives) EarlyConsole(p []byte) {
	if len(p) > 0 {
		consoleWrite(unsafe.Pointer(unsafe.SliceData(p)), uint32(len(p)))
	}
}
func (natives) Exit(code uint32)       { exit(code) }
func (natives) Shutdown(reason uint32) { shutdown(reason) }

// Init reads the configuration blob, starts the platform and makes the
// reactor's exports serve the app. The reactor's main package calls it from
// an init function. A failure is a console line and a crashed domain.
func Init() {
	c, err := reactor.ReadConfig()
	if err != nil {
		fatal(err.Error())
	}
	p, err := Start(natives{})
	if err != nil {
		fatal(err.Error())
	}
	sc, err := p.Devices(c.Declared, c.DeclaredIPv4, c.DeclaredGateway)
	if err != nil {
		fatal(err.Error())
	}
	sc.Args, sc.Env = c.Args, c.Env
	if sc.Dirs, err = reactor.ReadFiles(func() uint64 { return p.Now(shim.ClockRealtime) }); err != nil {
		fatal(err.Error())
	}
	reactor.Serve(p, sc)
}

func fatal(msg string) {
	natives{}.EarlyConsole([]byte("mwasm: " + msg + "\n"))
	shutdown(hv.ShutdownCrash)
	panic("BUG: the shutdown native returned")
}
