// Package front holds what every Xen split-driver frontend of the shim shares
// (netfront, blkfront): Env, what a frontend needs of the platform; Ring, the
// front end of a shared request/response ring (xen/include/public/io/ring.h),
// with every index the backend writes checked; and the xenbus handshake
// (Connect): find the device in xenstore, publish the frontend's facts, and
// follow the backend's state to Connected.
package front

import (
	"errors"
	"strconv"
	"sync/atomic"
	"unsafe"

	"github.com/mwasm/mwasm/shim/xen/xenstore"
)

// Env is what a frontend needs of the platform. The Xen platform implements
// it over the natives; xenfake.Env in tests.
type Env interface {
	Store() *xenstore.Client
	// NewPage returns a zeroed, page-aligned 4096-byte page of shim memory.
	NewPage() []byte
	// Grant lets domain dom access page (read-only when ro); the grant stays
	// for the life of the domain.
	Grant(dom uint16, page []byte, ro bool) (ref uint32, err error)
	// AllocPort allocates an event channel that domain dom can bind.
	AllocPort(dom uint16) (uint32, error)
	Notify(port uint32)
	// Handle runs fn whenever port fires (from Wait).
	Handle(port uint32, fn func())
	// Wait blocks until an event or the monotonic deadline (^0: none).
	Wait(deadline uint64)
	Now() uint64 // monotonic ns
	Fence()      // a full memory barrier
	Log(msg string)
}

// Xenbus states (io/xenbus.h).
const (
	StateUnknown      = 0
	StateInitialising = 1
	StateInitWait     = 2
	StateInitialised  = 3
	StateConnected    = 4
	StateClosing      = 5
	StateClosed       = 6
)

// Ring layout: a 64-byte header (req_prod, req_event, rsp_prod, rsp_event
// and padding), then the entries; their number is the largest power of two
// that fits in the page.
const (
	PageSize   = 4096
	ringHeader = 64
	offReqProd = 0
	offReqEvt  = 4
	offRspProd = 8
	offRspEvt  = 12
)

// ErrBroken is a backend that wrote an impossible index.
var ErrBroken = errors.New("the backend wrote an impossible ring index")

// Ring is the front end of a shared ring.
type Ring struct {
	page  []byte
	ent   int
	Size  uint32 // entries
	fence func()

	ReqProdPvt uint32 // requests produced, not yet pushed
	RspCons    uint32 // responses consumed
}

// NewRing lays a ring of entSize-byte entries out in page (zeroing it).
func NewRing(page []byte, entSize int, fence func()) *Ring {
	for i := range page[:PageSize] {
		page[i] = 0
	}
	n := uint32(1)
	for int(n*2)*entSize <= PageSize-ringHeader {
		n *= 2
	}
	r := &Ring{page: page[:PageSize], ent: entSize, Size: n, fence: fence}
	r.store(offReqEvt, 1)
	r.store(offRspEvt, 1)
	return r
}

func (r *Ring) idx(off int) *uint32     { return (*uint32)(unsafe.Pointer(&r.page[off])) }
func (r *Ring) load(off int) uint32     { return atomic.LoadUint32(r.idx(off)) }
func (r *Ring) store(off int, v uint32) { atomic.StoreUint32(r.idx(off), v) }
func (r *Ring) slot(i uint32) []byte {
	o := ringHeader + int(i%r.Size)*r.ent
	return r.page[o : o+r.ent]
}
func (r *Ring) Req(i uint32) []byte { return r.slot(i) }
func (r *Ring) Rsp(i uint32) []byte { return r.slot(i) }
func (r *Ring) Free() uint32        { return r.Size - (r.ReqProdPvt - r.RspCons) }
func (r *Ring) Outstanding() uint32 { return r.ReqProdPvt - r.RspCons }

// Push publishes the requests produced and reports whether the backend asked
// to be notified of them (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY).
func (r *Ring) Push() bool {
	old := r.load(offReqProd)
	r.store(offReqProd, r.ReqProdPvt) // the requests' bytes are written before (x86 keeps stores in order)
	r.fence()                         // the index before we read req_event
	evt := r.load(offReqEvt)
	return r.ReqProdPvt-evt < r.ReqProdPvt-old
}

// Responses is how many responses wait to be consumed, checked against the
// requests in flight (a backend may not answer more than was asked).
func (r *Ring) Responses() (uint32, error) {
	n := r.load(offRspProd) - r.RspCons
	if n > r.Outstanding() {
		return 0, ErrBroken
	}
	return n, nil
}

// FinalCheck asks to be notified of the next response and checks once more
// (RING_FINAL_CHECK_FOR_RESPONSES): no response is missed between a check
// that found none and the wait that follows.
func (r *Ring) FinalCheck() (uint32, error) {
	if n, err := r.Responses(); n > 0 || err != nil {
		return n, err
	}
	r.store(offRspEvt, r.RspCons+1)
	r.fence()
	return r.Responses()
}

// AwaitNext asks to be notified of the next response beyond those already
// published (a partly published multi-slot packet waits for its rest).
func (r *Ring) AwaitNext() {
	r.store(offRspEvt, r.load(offRspProd)+1)
	r.fence()
}

// Device is a frontend's place in xenstore.
type Device struct {
	Path      string // the frontend's directory, e.g. "device/vif/0"
	Backend   string // the backend's directory
	BackendID uint16 // the backend's domain
}

// Find looks up the first device of kind ("vif", "vbd") and its backend.
func Find(env Env, kind string) (*Device, error) {
	st := env.Store()
	ids, err := st.Directory("device/" + kind)
	if err != nil || len(ids) == 0 {
		return nil, ErrNoDevice
	}
	d := &Device{Path: "device/" + kind + "/" + ids[0]}
	if d.Backend, err = st.Read(d.Path + "/backend"); err != nil {
		return nil, errors.New(d.Path + "/backend: " + err.Error())
	}
	id, err := st.Read(d.Path + "/backend-id")
	if err != nil {
		return nil, errors.New(d.Path + "/backend-id: " + err.Error())
	}
	n, perr := strconv.ParseUint(id, 10, 16)
	if perr != nil {
		return nil, errors.New(d.Path + "/backend-id is " + strconv.Quote(id) + ", not a domain id")
	}
	d.BackendID = uint16(n)
	return d, nil
}

// ErrNoDevice is a domain without the device.
var ErrNoDevice = errors.New("no such device in xenstore")

// BackendState reads the backend's state.
func (d *Device) BackendState(env Env) int {
	v, err := env.Store().Read(d.Backend + "/state")
	if err != nil {
		return StateUnknown
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return StateUnknown
	}
	return n
}

// Watch calls fn with the backend's state whenever it changes.
func (d *Device) Watch(env Env, fn func(state int)) error {
	return env.Store().Watch(d.Backend+"/state", "mwasm-"+d.Path, func(string) { fn(d.BackendState(env)) })
}

// WaitBackend waits (at most timeout ns) until the backend reaches state want
// and returns it, or returns an error if it reaches Closing or Closed, or
// time runs out.
func (d *Device) WaitBackend(env Env, want int, timeout uint64) error {
	deadline := env.Now() + timeout
	for {
		s := d.BackendState(env)
		switch {
		case s == want:
			return nil
		case s >= StateClosing:
			return errors.New("the backend " + d.Backend + " is closing (state " + strconv.Itoa(s) + ")")
		case env.Now() >= deadline:
			return errors.New("the backend " + d.Backend + " did not reach state " + strconv.Itoa(want) + " (it is in state " + strconv.Itoa(s) + ")")
		}
		env.Wait(min(deadline, env.Now()+50_000_000))
	}
}

// SetState writes the frontend's state.
func (d *Device) SetState(env Env, s int) error {
	return env.Store().Write(d.Path+"/state", strconv.Itoa(s))
}
