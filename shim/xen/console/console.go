// Package console is the Xen PV console ring (xen/include/public/io/console.h):
// one shared page, an input ring of 1024 bytes and an output ring of 2048, each
// with a consumer and a producer index that only grow (the position in the ring
// is the index modulo its size). The backend (xenconsoled in dom0) reads the
// output ring and logs it, and writes what a user types into the input ring; each
// side notifies the other through one event channel.
//
// Write never drops output: it fills the ring as far as there is room,
// publishes the new producer index, notifies the backend, and when bytes are
// left it waits (the wait function blocks the vCPU until an event arrives: the
// backend notifies after it has read) and goes on. Long lines and bursts are
// copied whole, in order. The page is read and written through atomic loads and
// stores of the indexes, so that the bytes are in the ring before the producer
// index that publishes them (and, on the input side, read after the index that
// published them).
package console

import (
	"sync/atomic"
	"unsafe"
)

// Layout of struct xencons_interface.
const (
	inOff   = 0
	inSize  = 1024
	outOff  = 1024
	outSize = 2048
	inCons  = 3072
	inProd  = 3076
	outCons = 3080
	outProd = 3084
	// PageSize is the size of the shared page.
	PageSize = 4096
)

// Console is the front end of one console ring.
type Console struct {
	page   []byte
	notify func()
	wait   func()
}

// New returns the console of the page (at least PageSize bytes, 4-byte
// aligned), notifying the backend with notify and waiting for it with wait.
func New(page []byte, notify, wait func()) *Console {
	if len(page) < PageSize {
		panic("BUG: console page shorter than a page")
	}
	return &Console{page: page[:PageSize], notify: notify, wait: wait}
}

func (c *Console) idx(off int) *uint32 { return (*uint32)(unsafe.Pointer(&c.page[off])) }

// Write puts all of p in the output ring, waiting for room as needed.
func (c *Console) Write(p []byte) {
	for len(p) > 0 {
		prod := atomic.LoadUint32(c.idx(outProd))
		cons := atomic.LoadUint32(c.idx(outCons))
		used := prod - cons
		if used > outSize {
			// The backend wrote nonsense; start over from its consumer index
			// rather than write outside the ring.
			prod, used = cons, 0
		}
		room := outSize - used
		if room == 0 {
			c.notify()
			c.wait()
			continue
		}
		n := min(uint32(len(p)), room)
		for i := uint32(0); i < n; i++ {
			c.page[outOff+int((prod+i)%outSize)] = p[i]
		}
		atomic.StoreUint32(c.idx(outProd), prod+n)
		c.notify()
		p = p[n:]
	}
}

// Pending is how many written bytes the backend has not read yet.
func (c *Console) Pending() int {
	used := atomic.LoadUint32(c.idx(outProd)) - atomic.LoadUint32(c.idx(outCons))
	if used > outSize {
		return 0
	}
	return int(used)
}

// Read copies typed input into p without waiting and returns how much.
func (c *Console) Read(p []byte) int {
	cons := atomic.LoadUint32(c.idx(inCons))
	prod := atomic.LoadUint32(c.idx(inProd))
	avail := prod - cons
	if avail > inSize {
		avail = 0 // nonsense from the backend: take nothing
		atomic.StoreUint32(c.idx(inCons), prod)
	}
	n := min(uint32(len(p)), avail)
	for i := uint32(0); i < n; i++ {
		p[i] = c.page[inOff+int((cons+i)%inSize)]
	}
	if n > 0 {
		atomic.StoreUint32(c.idx(inCons), cons+n)
		c.notify()
	}
	return int(n)
}
