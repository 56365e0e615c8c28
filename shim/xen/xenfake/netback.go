package xenfake

import (
	"encoding/binary"
	"strconv"
)

// Netback is a fake netback for one vif of the Env's domain: it completes the
// xenbus handshake, takes transmitted frames (Sent) and delivers injected
// ones into posted receive buffers. The knobs make it hostile.
type Netback struct {
	env        *Env
	Front      string
	Back       string
	Sent       [][]byte
	inject     [][]byte
	port       uint32
	tx, rx     *ring
	Connected  bool
	RxCsum     bool // mark delivered frames csum_blank (their checksum blanked)
	HoldTx     bool // leave transmit requests unanswered (the ring fills)
	BadRxID    bool // answer a receive request with an id never posted
	BadRspProd bool // move rsp_prod far past the requests
	BadLen     bool // a receive response longer than its page
	Features   map[string]string
}

// NewNetback puts a vif with mac in the store, its backend waiting (InitWait).
func NewNetback(e *Env, mac string) *Netback {
	n := &Netback{env: e, Front: "/local/domain/1/device/vif/0", Back: "/local/domain/0/backend/vif/1/0", Features: map[string]string{}}
	t := e.St.Tree
	t[n.Front+"/backend"] = n.Back
	t[n.Front+"/backend-id"] = "0"
	t[n.Front+"/mac"] = mac
	t[n.Front+"/state"] = "1"
	t[n.Back+"/state"] = "2"
	e.AddBackend(n.tick)
	return n
}

// Inject queues a frame for the frontend.
func (n *Netback) Inject(frame []byte) { n.inject = append(n.inject, append([]byte(nil), frame...)) }

// Pending is how many injected frames wait for a receive buffer.
func (n *Netback) Pending() int { return len(n.inject) }

// Close moves the backend to Closing, as when dom0 takes the vif away.
func (n *Netback) Close() { n.env.St.Set(n.Back+"/state", "5") }

func (n *Netback) num(key string) uint32 {
	v, _ := strconv.Atoi(n.env.St.Tree[n.Front+"/"+key])
	return uint32(v)
}

func (n *Netback) tick() {
	le := binary.LittleEndian
	e := n.env
	if !n.Connected {
		if e.St.Tree[n.Front+"/state"] != "4" {
			return
		}
		for k, v := range n.Features {
			e.St.Tree[n.Front+"/"+k] = v
		}
		n.tx = newBackRing(e.Page(n.num("tx-ring-ref"), 0, true), 12)
		n.rx = newBackRing(e.Page(n.num("rx-ring-ref"), 0, true), 8)
		n.port = n.num("event-channel")
		n.Connected = true
		e.St.Set(n.Back+"/state", "4")
		return
	}
	raise := false
	old := n.tx.rspProdPvt
	for !n.HoldTx && n.tx.requests() > 0 {
		r := n.tx.slot(n.tx.reqCons)
		gref, off, id, size := le.Uint32(r[0:]), le.Uint16(r[4:]), le.Uint16(r[8:]), le.Uint16(r[10:])
		pg := e.Page(gref, 0, false)
		n.Sent = append(n.Sent, append([]byte(nil), pg[off:int(off)+int(size)]...))
		n.tx.reqCons++
		s := n.tx.slot(n.tx.rspProdPvt)
		le.PutUint16(s[0:], id)
		le.PutUint16(s[2:], 0)
		n.tx.rspProdPvt++
	}
	n.tx.pushResponses()
	raise = raise || n.tx.wantsNotify(old)
	old = n.rx.rspProdPvt
	for len(n.inject) > 0 && n.rx.requests() > 0 {
		r := n.rx.slot(n.rx.reqCons)
		id, gref := le.Uint16(r[0:]), le.Uint32(r[4:])
		pg := e.Page(gref, 0, true)
		f := n.inject[0]
		n.inject = n.inject[1:]
		copy(pg, f)
		n.rx.reqCons++
		s := n.rx.slot(n.rx.rspProdPvt)
		flags := uint16(0)
		if n.RxCsum {
			flags = 2 | 1 // csum_blank | data_validated
		}
		size := uint16(len(f))
		if n.BadRxID {
			id = 999
		}
		if n.BadLen {
			size = 4000
			le.PutUint16(s[2:], 1000)
		} else {
			le.PutUint16(s[2:], 0)
		}
		le.PutUint16(s[0:], id)
		le.PutUint16(s[4:], flags)
		le.PutUint16(s[6:], size)
		n.rx.rspProdPvt++
	}
	if n.BadRspProd {
		n.rx.rspProdPvt += 1000
	}
	n.rx.pushResponses()
	raise = raise || n.rx.wantsNotify(old) || n.BadRspProd
	if raise {
		e.Raise(n.port)
	}
}
