package xenfake

import (
	"bytes"
	"encoding/binary"
	"unsafe"

	"github.com/mwasm/mwasm/shim"
)

// Hypercall and sub-operation numbers the fake understands (public headers).
const (
	hcMemoryOp = 12
	hcSchedOp  = 29
	hcEvtchnOp = 32
	hcHvmOp    = 34

	evtchnSend   = 4
	evtchnUnmask = 9
	hvmGetParam  = 1
)

// The fake domain's HVM parameters.
const (
	StorePFN    = 0xFEFFC
	StorePort   = 1
	ConsolePFN  = 0xFEFFD
	ConsolePort = 2
)

// Exit and Shutdown are what the fake's Exit and Shutdown natives panic
// with (the real ones never return): tests recover them.
type (
	Exit     struct{ Code uint32 }
	Shutdown struct{ Reason uint32 }
)

// Hypervisor is a fake of the boot layer's natives and of Xen behind them,
// for the Xen platform's host tests: it answers the hypercalls the platform
// makes (by decoding the argument structures at the addresses passed), maps
// the console and store pages to a ConsoleBackend and a Store when the
// platform maps their frames, and delivers the backends' notifications
// through Wait.
type Hypervisor struct {
	Params   map[uint32]uint64
	Console  *ConsoleBackend
	Store    *Store
	Unmasked map[uint32]bool
	Early    bytes.Buffer // what went to the early console
	Clock    uint64       // the monotonic clock, ns; Wait advances it to the deadline
	Waits    int

	pending []uint32
	ptrs    map[uint64]unsafe.Pointer
}

// NewHypervisor returns a fake with a console and a store.
func NewHypervisor() *Hypervisor {
	return &Hypervisor{
		Params:   map[uint32]uint64{1: StorePFN, 2: StorePort, 17: ConsolePFN, 18: ConsolePort},
		Unmasked: map[uint32]bool{},
		Clock:    1_000_000_000,
		ptrs:     map[uint64]unsafe.Pointer{},
	}
}

// mem is the n bytes at a "guest virtual address" Virt handed out.
func (h *Hypervisor) mem(addr uint64, n int) []byte {
	p, ok := h.ptrs[addr]
	if !ok {
		panic("xenfake: a hypercall argument that Virt did not give")
	}
	return unsafe.Slice((*byte)(p), n)
}

// Hypercall decodes and serves a hypercall.
func (h *Hypervisor) Hypercall(op uint32, a1, a2, a3, a4, a5 uint64) int64 {
	le := binary.LittleEndian
	switch op {
	case hcEvtchnOp:
		port := le.Uint32(h.mem(a2, 4))
		switch a1 {
		case evtchnSend:
			h.notified(port)
			return 0
		case evtchnUnmask:
			h.Unmasked[port] = true
			return 0
		}
	case hcHvmOp:
		if a1 == hvmGetParam {
			b := h.mem(a2, 16)
			v, ok := h.Params[le.Uint32(b[4:])]
			if !ok {
				return -22
			}
			le.PutUint64(b[8:], v)
			return 0
		}
	}
	return -38 // ENOSYS
}

// notified runs the backend of port, as if its domain had been scheduled.
func (h *Hypervisor) notified(port uint32) {
	switch port {
	case StorePort:
		if h.Store != nil {
			h.Store.Step()
			if h.Store.Pending() || h.storeHasReplies() {
				h.raise(StorePort)
			}
		}
	case ConsolePort:
		if h.Console != nil && h.Console.Drain() {
			h.raise(ConsolePort)
		}
	}
}

func (h *Hypervisor) storeHasReplies() bool {
	le := binary.LittleEndian
	return le.Uint32(h.Store.Page[xsRspCons:]) != le.Uint32(h.Store.Page[xsRspProd:])
}

func (h *Hypervisor) raise(port uint32) {
	for _, p := range h.pending {
		if p == port {
			return
		}
	}
	h.pending = append(h.pending, port)
}

// Raise makes port pending, as another domain's notification would.
func (h *Hypervisor) Raise(port uint32) { h.raise(port) }

// Virt hands out the pointer's address and remembers the pointer, so that
// Hypercall can read the structure it points to.
func (h *Hypervisor) Virt(p unsafe.Pointer) uint64 {
	a := uint64(uintptr(p))
	h.ptrs[a] = p
	return a
}

func (h *Hypervisor) PFN(p unsafe.Pointer) (uint64, bool) { return uint64(uintptr(p)) >> 12, true }

// MapFrame attaches the console and store backends to the pages the
// platform maps their frames at.
func (h *Hypervisor) MapFrame(page []byte, gfn uint64) error {
	switch gfn {
	case ConsolePFN:
		h.Console = &ConsoleBackend{Page: page}
	case StorePFN:
		h.Store = NewStore(page, "/local/domain/1")
	}
	return nil
}

func (h *Hypervisor) Fence() {}

// Wait returns the pending ports; with none, it lets the store write out
// what is queued, and otherwise advances the clock to the deadline.
func (h *Hypervisor) Wait(deadline uint64, ports []uint32) int {
	h.Waits++
	if h.Waits > 1_000_000 {
		panic("xenfake: the platform waits for ever (a million waits)")
	}
	if len(h.pending) == 0 && h.Store != nil {
		h.Store.Flush()
		if h.storeHasReplies() {
			h.raise(StorePort)
		}
	}
	if len(h.pending) == 0 && h.Console != nil && h.Console.Drain() {
		h.raise(ConsolePort)
	}
	if len(h.pending) == 0 && deadline != ^uint64(0) && deadline > h.Clock {
		h.Clock = deadline
	}
	n := copy(ports, h.pending)
	h.pending = h.pending[n:]
	return n
}

func (h *Hypervisor) Now(c shim.Clock) uint64 {
	if c == shim.ClockRealtime {
		return 1_700_000_000_000_000_000 + h.Clock
	}
	return h.Clock
}

func (h *Hypervisor) Resolution(shim.Clock) uint64 { return 1 }

func (h *Hypervisor) Random(p []byte) error {
	for i := range p {
		p[i] = byte(i*7 + 1)
	}
	return nil
}

func (h *Hypervisor) EarlyConsole(p []byte)  { h.Early.Write(p) }
func (h *Hypervisor) Exit(code uint32)       { panic(Exit{code}) }
func (h *Hypervisor) Shutdown(reason uint32) { panic(Shutdown{reason}) }

// ConsoleBackend is a fake xenconsoled: Drain reads the output ring.
type ConsoleBackend struct {
	Page []byte
	Out  bytes.Buffer
	// Chunk, when positive, is the most bytes read per Drain (a slow backend).
	Chunk int
}

// Layout of struct xencons_interface (io/console.h).
const (
	consOut     = 1024
	consOutSize = 2048
	consOutCons = 3080
	consOutProd = 3084
)

// Drain reads what the ring holds (up to Chunk) and reports whether it read anything.
func (c *ConsoleBackend) Drain() bool {
	le := binary.LittleEndian
	cons, prod := le.Uint32(c.Page[consOutCons:]), le.Uint32(c.Page[consOutProd:])
	n := 0
	for cons != prod && (c.Chunk <= 0 || n < c.Chunk) {
		c.Out.WriteByte(c.Page[consOut+int(cons%consOutSize)])
		cons++
		n++
	}
	le.PutUint32(c.Page[consOutCons:], cons)
	return n > 0
}
