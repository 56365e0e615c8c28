// Package hv is the shim's side of the Xen hypercall interface: the few
// operations the Xen platform and its drivers make (event channels, HVM
// parameters, memory map operations, grant table set-up, shutdown), each
// encoded from the public headers' structures (xen/include/public:
// event_channel.h, hvm/hvm_op.h, hvm/params.h, memory.h, grant_table.h,
// sched.h) into a small buffer in shim memory and passed to Machine.Hypercall
// by its guest virtual address (Machine.Virt), as an HVM guest must.
//
// Machine is implemented by the boot layer's natives (shim/xen, the only
// file with //go:wasmimport) and, in host tests, by xenfake.Hypervisor,
// which decodes the same buffers.
package hv

import (
	"strconv"
	"unsafe"
)

// Machine is the raw interface to the hypervisor.
type Machine interface {
	// Hypercall makes hypercall op with up to five arguments.
	Hypercall(op uint32, a1, a2, a3, a4, a5 uint64) int64
	// Virt is the guest virtual address of p (a pointer into the shim's memory).
	Virt(p unsafe.Pointer) uint64
}

// Hypercall numbers.
const (
	HcMemoryOp   = 12
	HcGrantTable = 20
	HcSchedOp    = 29
	HcEvtchnOp   = 32
	HcHvmOp      = 34
)

// Sub-operations.
const (
	EvtchnClose        = 3
	EvtchnSend         = 4
	EvtchnAllocUnbound = 6
	EvtchnUnmask       = 9

	HvmSetParam = 0
	HvmGetParam = 1

	MemAddToPhysmap = 7

	GnttabSetupTable = 2
	GnttabQuerySize  = 6

	SchedShutdown = 2

	DomidSelf = 0x7FF0

	MapspaceGrantTable = 1
)

// HVM parameters.
const (
	ParamStorePFN      = 1
	ParamStoreEvtchn   = 2
	ParamConsolePFN    = 17
	ParamConsoleEvtchn = 18
)

// Shutdown reasons.
const (
	ShutdownPoweroff = 0
	ShutdownReboot   = 1
	ShutdownCrash    = 3
)

// Errno is a negative hypercall result.
type Errno int64

func (e Errno) Error() string { return "hypercall failed: errno " + strconv.FormatInt(int64(-e), 10) }

func check(r int64) error {
	if r < 0 {
		return Errno(r)
	}
	return nil
}

// HV makes hypercalls over a Machine. Its scratch buffer holds the argument
// structures; HV is not safe for concurrent use (the shim is single-threaded).
type HV struct {
	m   Machine
	buf [64]byte
}

// New returns an HV over m.
func New(m Machine) *HV { return &HV{m: m} }

func (h *HV) clear() {
	for i := range h.buf {
		h.buf[i] = 0
	}
}

func (h *HV) arg() uint64 { return h.m.Virt(unsafe.Pointer(&h.buf[0])) }

func (h *HV) put16(off int, v uint16) { h.buf[off], h.buf[off+1] = byte(v), byte(v>>8) }
func (h *HV) put32(off int, v uint32) {
	h.put16(off, uint16(v))
	h.put16(off+2, uint16(v>>16))
}
func (h *HV) put64(off int, v uint64) {
	h.put32(off, uint32(v))
	h.put32(off+4, uint32(v>>32))
}
func (h *HV) get32(off int) uint32 {
	return uint32(h.buf[off]) | uint32(h.buf[off+1])<<8 | uint32(h.buf[off+2])<<16 | uint32(h.buf[off+3])<<24
}
func (h *HV) get64(off int) uint64 { return uint64(h.get32(off)) | uint64(h.get32(off+4))<<32 }

// Notify sends an event on port (EVTCHNOP_send).
func (h *HV) Notify(port uint32) error {
	h.clear()
	h.put32(0, port)
	return check(h.m.Hypercall(HcEvtchnOp, EvtchnSend, h.arg(), 0, 0, 0))
}

// Unmask unmasks port (EVTCHNOP_unmask; Xen raises the upcall again if the
// port is pending).
func (h *HV) Unmask(port uint32) error {
	h.clear()
	h.put32(0, port)
	return check(h.m.Hypercall(HcEvtchnOp, EvtchnUnmask, h.arg(), 0, 0, 0))
}

// AllocUnbound allocates a port that domain remote can bind to
// (struct evtchn_alloc_unbound: dom, remote_dom, port).
func (h *HV) AllocUnbound(remote uint16) (uint32, error) {
	h.clear()
	h.put16(0, DomidSelf)
	h.put16(2, remote)
	if err := check(h.m.Hypercall(HcEvtchnOp, EvtchnAllocUnbound, h.arg(), 0, 0, 0)); err != nil {
		return 0, err
	}
	return h.get32(4), nil
}

// Close closes port.
func (h *HV) Close(port uint32) error {
	h.clear()
	h.put32(0, port)
	return check(h.m.Hypercall(HcEvtchnOp, EvtchnClose, h.arg(), 0, 0, 0))
}

// Param reads an HVM parameter of this domain (struct xen_hvm_param: domid,
// pad, index, value).
func (h *HV) Param(index uint32) (uint64, error) {
	h.clear()
	h.put16(0, DomidSelf)
	h.put32(4, index)
	if err := check(h.m.Hypercall(HcHvmOp, HvmGetParam, h.arg(), 0, 0, 0)); err != nil {
		return 0, err
	}
	return h.get64(8), nil
}

// AddToPhysmap maps frame idx of space at guest frame gpfn
// (struct xen_add_to_physmap: domid, size, space, idx, gpfn).
func (h *HV) AddToPhysmap(space uint32, idx, gpfn uint64) error {
	h.clear()
	h.put16(0, DomidSelf)
	h.put32(4, space)
	h.put64(8, idx)
	h.put64(16, gpfn)
	return check(h.m.Hypercall(HcMemoryOp, MemAddToPhysmap, h.arg(), 0, 0, 0))
}

// GrantFrames asks how many grant-table frames this domain has and may have
// (GNTTABOP_query_size: dom, nr_frames, max_nr_frames, status).
func (h *HV) GrantFrames() (cur, max uint32, err error) {
	h.clear()
	h.put16(0, DomidSelf)
	if err := check(h.m.Hypercall(HcGrantTable, GnttabQuerySize, h.arg(), 1, 0, 0)); err != nil {
		return 0, 0, err
	}
	if st := int16(h.get32(12)); st != 0 {
		return 0, 0, Errno(int64(st))
	}
	return h.get32(4), h.get32(8), nil
}
