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
	SentFlags  []uint16 // NETTXF_* of each sent packet's first slot
	SentGSO    []int    // its GSO size (0: none)
	inject     []rxPacket
	port       uint32
	tx, rx     *ring
	Connected  bool
	RxCsum     bool // mark delivered frames csum_blank (their checksum blanked)
	HoldTx     bool // leave transmit requests unanswered (the ring fills)
	BadRxID    bool // answer a receive request with an id never posted
	BadRspProd bool // move rsp_prod far past the requests
	BadLen     bool // a receive response longer than its page
	Features   map[string]string
	// RxSlot is the most bytes put in one receive slot (default a page):
	// smaller makes every injected packet take several slots.
	RxSlot int
}

type rxPacket struct {
	data  []byte
	flags uint16
	gso   int
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
	t[n.Back+"/feature-sg"] = "1"
	t[n.Back+"/feature-gso-tcpv4"] = "1"
	e.AddBackend(n.tick)
	return n
}

// Inject queues a frame for the frontend.
func (n *Netback) Inject(frame []byte) { n.InjectGSO(frame, 0, 0) }

// InjectGSO queues a packet with NETRXF_* flags and, if gso > 0, a GSO
// extra-info slot of that size.
func (n *Netback) InjectGSO(frame []byte, flags uint16, gso int) {
	n.inject = append(n.inject, rxPacket{append([]byte(nil), frame...), flags, gso})
}

// NoGSO takes the backend's feature-sg and feature-gso-tcpv4 away (before
// the frontend starts).
func (n *Netback) NoGSO() {
	delete(n.env.St.Tree, n.Back+"/feature-sg")
	delete(n.env.St.Tree, n.Back+"/feature-gso-tcpv4")
}

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
		// One packet: its first slot, extras, the rest of its slots.
		first := n.tx.slot(n.tx.reqCons)
		flags, total := le.Uint16(first[6:]), int(le.Uint16(first[10:]))
		var pkt []byte
		gso, more, extra, k := 0, true, false, 0
		for more || extra {
			r := n.tx.slot(n.tx.reqCons)
			n.tx.reqCons++
			s := n.tx.slot(n.tx.rspProdPvt)
			n.tx.rspProdPvt++
			if extra {
				if r[0] == 1 {
					gso = int(le.Uint16(r[2:]))
				}
				extra = r[1]&1 != 0
				le.PutUint16(s[0:], 0)
				le.PutUint16(s[2:], 1) // NETIF_RSP_NULL
				continue
			}
			gref, off, f, id, size := le.Uint32(r[0:]), le.Uint16(r[4:]), le.Uint16(r[6:]), le.Uint16(r[8:]), int(le.Uint16(r[10:]))
			if k == 0 {
				extra = f&8 != 0
				size = min(size, 4096-int(off)) // the first slot's size is the packet's
			}
			more = f&4 != 0
			k++
			pg := e.Page(gref, 0, false)
			pkt = append(pkt, pg[off:int(off)+size]...)
			le.PutUint16(s[0:], id)
			le.PutUint16(s[2:], 0)
		}
		if len(pkt) > total {
			pkt = pkt[:total]
		}
		n.Sent = append(n.Sent, pkt)
		n.SentFlags = append(n.SentFlags, flags)
		n.SentGSO = append(n.SentGSO, gso)
	}
	n.tx.pushResponses()
	raise = raise || n.tx.wantsNotify(old)
	old = n.rx.rspProdPvt
	slot := n.RxSlot
	if slot <= 0 {
		slot = 4096
	}
	for len(n.inject) > 0 {
		p := n.inject[0]
		slots := max(1, (len(p.data)+slot-1)/slot)
		if p.gso > 0 {
			slots++
		}
		if int(n.rx.requests()) < slots {
			break
		}
		n.inject = n.inject[1:]
		for k, at := 0, 0; at < len(p.data) || k == 0 || (k == 1 && p.gso > 0); k++ {
			r := n.rx.slot(n.rx.reqCons)
			n.rx.reqCons++
			s := n.rx.slot(n.rx.rspProdPvt)
			n.rx.rspProdPvt++
			if k == 1 && p.gso > 0 {
				clear(s)
				s[0] = 1 // XEN_NETIF_EXTRA_TYPE_GSO
				le.PutUint16(s[2:], uint16(p.gso))
				s[4] = 1 // TCPv4
				continue
			}
			id, gref := le.Uint16(r[0:]), le.Uint32(r[4:])
			pg := e.Page(gref, 0, true)
			chunk := p.data[at:min(len(p.data), at+slot)]
			at += len(chunk)
			copy(pg, chunk)
			flags := uint16(0)
			if k == 0 {
				flags = p.flags
				if n.RxCsum {
					flags |= 2 | 1 // csum_blank | data_validated
				}
				if p.gso > 0 {
					flags |= 8 // extra_info
				}
			}
			if at < len(p.data) {
				flags |= 4 // more_data
			}
			size := uint16(len(chunk))
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
		}
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
