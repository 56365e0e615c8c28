package xenfake

import (
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/mwasm/mwasm/shim/xen/xenstore"
)

// Env is a fake of what a frontend needs of the platform (front.Env): a
// xenstore (a Store behind a real client), a grant table, event channels and
// a clock, with backends (Netback, Blkback) stepped whenever the frontend
// waits or notifies. Everything runs on the test's goroutine.
type Env struct {
	St     *Store
	client *xenstore.Client
	Grants map[uint32]Grant
	Logs   []string
	Clock  uint64
	Waits  int

	nextRef, nextPort uint32
	handlers          map[uint32]func()
	ticks             []func()
	pending           []uint32
}

// Grant is one grant the frontend made.
type Grant struct {
	Dom  uint16
	Page []byte
	RO   bool
}

// NewEnv returns an environment for domain 1 with an empty store.
func NewEnv() *Env {
	e := &Env{Grants: map[uint32]Grant{}, nextRef: 8, nextPort: 10, handlers: map[uint32]func(){}, Clock: 1e9}
	page := make([]byte, 4096)
	e.St = NewStore(page, "/local/domain/1")
	e.client = xenstore.New(page, func() {}, e.step)
	return e
}

func (e *Env) Store() *xenstore.Client { return e.client }
func (e *Env) NewPage() []byte         { return make([]byte, 4096) }
func (e *Env) Fence()                  {}
func (e *Env) Now() uint64             { return e.Clock }
func (e *Env) Log(msg string)          { e.Logs = append(e.Logs, msg) }

func (e *Env) Grant(dom uint16, page []byte, ro bool) (uint32, error) {
	if len(page) != 4096 {
		return 0, errors.New("xenfake: granting a slice that is not a page")
	}
	r := e.nextRef
	e.nextRef++
	e.Grants[r] = Grant{dom, page, ro}
	return r, nil
}

// Page is the page of grant ref, checked to be granted to dom (writable unless ro).
func (e *Env) Page(ref uint32, dom uint16, write bool) []byte {
	g, ok := e.Grants[ref]
	if !ok || g.Dom != dom || (write && g.RO) {
		panic("xenfake: the backend used grant " + strconv.Itoa(int(ref)) + " it was not given")
	}
	return g.Page
}

func (e *Env) AllocPort(dom uint16) (uint32, error) {
	p := e.nextPort
	e.nextPort++
	return p, nil
}

func (e *Env) Handle(port uint32, fn func()) { e.handlers[port] = fn }

// Notify: the backends look at their rings.
func (e *Env) Notify(port uint32) { e.tick() }

// Raise makes port pending for the frontend.
func (e *Env) Raise(port uint32) { e.pending = append(e.pending, port) }

// AddBackend registers a backend's step function.
func (e *Env) AddBackend(tick func()) { e.ticks = append(e.ticks, tick) }

func (e *Env) tick() {
	for _, t := range e.ticks {
		t()
	}
}

// step is the store client's wait: the store and the backends run.
func (e *Env) step() {
	e.St.Step()
	e.tick()
	e.St.Flush()
}

// Wait runs the store and the backends, delivers pending events, and
// advances the clock to the deadline when nothing happened.
func (e *Env) Wait(deadline uint64) {
	e.Waits++
	if e.Waits > 200000 {
		panic("xenfake: the frontend waits for ever")
	}
	e.step()
	le := binary.LittleEndian
	busy := len(e.pending) > 0 || le.Uint32(e.St.Page[xsRspCons:]) != le.Uint32(e.St.Page[xsRspProd:])
	for _, p := range e.pending {
		if h := e.handlers[p]; h != nil {
			h()
		}
	}
	e.pending = e.pending[:0]
	e.client.Poll()
	if !busy && deadline != ^uint64(0) && deadline > e.Clock {
		e.Clock = deadline
	} else {
		e.Clock += 1000
	}
}

// ring is the backend's side of a shared ring (io/ring.h).
type ring struct {
	page       []byte
	ent        int
	size       uint32
	reqCons    uint32
	rspProdPvt uint32
}

func newBackRing(page []byte, ent int) *ring {
	n := uint32(1)
	for int(n*2)*ent <= 4096-64 {
		n *= 2
	}
	return &ring{page: page, ent: ent, size: n}
}

func (r *ring) u32(off int) uint32    { return binary.LittleEndian.Uint32(r.page[off:]) }
func (r *ring) put(off int, v uint32) { binary.LittleEndian.PutUint32(r.page[off:], v) }
func (r *ring) slot(i uint32) []byte  { o := 64 + int(i%r.size)*r.ent; return r.page[o : o+r.ent] }
func (r *ring) requests() uint32      { return r.u32(0) - r.reqCons }
func (r *ring) pushResponses()        { r.put(8, r.rspProdPvt) }
func (r *ring) wantsNotify(old uint32) bool {
	evt := r.u32(12)
	return r.rspProdPvt-evt < r.rspProdPvt-old
}
