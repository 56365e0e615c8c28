// Package netfront is the Xen network frontend of the shim: /dev/net0 and
// /dev/net0v on Xen, a shim.VnetDevice over a vif's two shared rings
// (xen/include/public/io/netif.h). The backend (netback in dom0) copies
// received packets into pages the frontend granted it and reads packets to
// send from pages granted read-only.
//
// What the frontend asks for, and why: request-rx-copy (the only receive mode
// of today's netback: it copies each packet into posted pages);
// feature-rx-notify (the frontend keeps receive requests posted and wants to
// be told when responses arrive); feature-sg and feature-gso-tcpv4 (netback
// may hand over a TCP segment of up to 64 KiB in several slots, as dom0's
// stack built it: one packet for the app's stack to take instead of 45); and
// checksum offload (feature-no-csum-offload 0: a packet from dom0 itself may
// arrive with a partial checksum, NETRXF_csum_blank). Under TCG the app's
// TCP/IP stack costs far more per packet than per byte, which is why large
// segments pay: see bench/XEN-REPORT.md. No multi-queue, no IPv6 offloads.
//
// The two faces: /dev/net0 gets plain frames of at most MTU+14 bytes, so a
// large received segment is cut here into MTU-sized ones and every partial
// checksum completed (the app may have its own stack that knows no offload);
// /dev/net0v gets each packet whole with its virtio-net header (gso_size,
// NEEDS_CSUM, DATA_VALID), and may send large TCP segments and partial
// checksums, which go to netback as one GSO packet (NETTXF_extra_info) when
// the backend offers feature-gso-tcpv4 and feature-sg, and are cut and
// checksummed here when it does not.
//
// Buffers: 128 receive pages, as many requests in flight in the 256-slot
// ring; the request in ring slot i has id i mod 256 and page i mod 128, so a
// response, or an extra-info slot (which carries no id: netif.h requires GSO
// frontends to find the request by its slot), names its page by its slot,
// and the page re-posted is always the one just consumed. 128 transmit
// pages. (256 receive pages made blkfront's I/O in the same domain 2-3x
// slower on Xen under QEMU, in an A/B of diskbench images in one boot, a
// scratch run not kept as a benchmark; not explained.) Every
// page is granted once for the life of the domain (a page never changes
// owner, so no wrong page is ever granted). Notifications are suppressed the
// ring protocol's way: a push notifies only when the backend asked
// (req_event), and the frontend asks for a notification (rsp_event) only when
// it found nothing to do.
//
// Everything the backend writes is checked: indexes (no more responses than
// requests in flight), response ids (the slot's own), lengths and offsets
// (inside the page), a packet's slots (at most 20) and size (at most 64 KiB).
// Anything impossible kills the device: one console line, and every later
// call fails with an I/O error; nothing is read or written outside a ring or
// buffer. A backend that moves to Closing or Closed kills it the same way.
package netfront

import (
	"errors"
	"strconv"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/xen/front"
	"github.com/mwasm/mwasm/shim/xen/xenstore"
)

// Ring entries (the union of request and response).
const (
	txEntry = 12 // netif_tx_request {gref u32, offset u16, flags u16, id u16, size u16}
	rxEntry = 8  // netif_rx_request {id u16, pad u16, gref u32}; response {id, offset, flags u16, status s16}

	nTx = 128 // transmit pages (a 64 KiB packet takes 17)
	nRx = 128 // receive pages, and requests in flight

	maxRxSlots = 20 // slots of one received packet, extras included (netback: 18 at most)

	txCsumBlank     = 1 << 0
	txDataValidated = 1 << 1
	txMoreData      = 1 << 2
	txExtraInfo     = 1 << 3

	rxDataValidated = 1 << 0
	rxCsumBlank     = 1 << 1
	rxMoreData      = 1 << 2
	rxExtraInfo     = 1 << 3

	extraGSO  = 1 // netif_extra_info type
	extraMore = 1 // its flags
	gsoTCPv4  = 1 // XEN_NETIF_GSO_TYPE_TCPV4

	rspNull = 1
)

// Device is one vif.
type Device struct {
	env  front.Env
	dev  *front.Device
	mac  [6]byte
	mtu  int
	port uint32

	backGSO bool // the backend takes GSO packets (feature-gso-tcpv4 and feature-sg)

	tx, rx  *front.Ring
	txPages [][]byte
	txRefs  []uint32
	txFree  []uint16
	txBusy  [nTx]bool
	txWant  int      // slots the last refused send needed (Writable waits for them)
	rxPages [][]byte // rxPages[i] is posted in receive ring slots i mod nRx
	rxRefs  []uint32
	rxMask  uint32
	extra   [maxRxSlots]bool // slot kinds of the packet being fetched
	dead    error
	seg     []byte // scratch for software segmentation on transmit

	// The received packet being delivered.
	pkt    []byte
	pktLen int
	pktRx  uint16 // NETRXF_* of its first slot
	pktGSO int    // gso size, 0 if none
	have   bool
	segOff int // payload bytes already delivered as plain segments
}

// ErrDead is returned once the device died.
type ErrDead struct{ Msg string }

func (e *ErrDead) Error() string { return "net0: " + e.Msg }

// Start connects the first vif of the domain. It returns front.ErrNoDevice
// when the domain has none.
func Start(env front.Env) (*Device, error) {
	d0, err := front.Find(env, "vif")
	if err != nil {
		return nil, err
	}
	st := env.Store()
	d := &Device{env: env, dev: d0, mtu: 1500, txWant: 1}
	macStr, err := st.Read(d0.Path + "/mac")
	if err != nil {
		return nil, errors.New(d0.Path + "/mac: " + err.Error())
	}
	mac, ok := parseMAC(macStr)
	if !ok {
		return nil, errors.New(d0.Path + "/mac is " + strconv.Quote(macStr) + ", not a MAC address")
	}
	d.mac = mac
	if v, err := st.Read(d0.Backend + "/mtu"); err == nil {
		if n, err := strconv.Atoi(v); err == nil && n >= 576 && n <= 4096-14 {
			d.mtu = n
		}
	}
	if err := d0.WaitBackend(env, front.StateInitWait, 20_000_000_000); err != nil {
		return nil, err
	}
	on := func(key string) bool { v, err := st.Read(d0.Backend + "/" + key); return err == nil && v == "1" }
	d.backGSO = on("feature-gso-tcpv4") && on("feature-sg")
	dom := d0.BackendID
	txPage, rxPage := env.NewPage(), env.NewPage()
	d.tx, d.rx = front.NewRing(txPage, txEntry, env.Fence), front.NewRing(rxPage, rxEntry, env.Fence)
	d.rxMask = d.rx.Size - 1
	txRef, err := env.Grant(dom, txPage, false)
	if err != nil {
		return nil, err
	}
	rxRef, err := env.Grant(dom, rxPage, false)
	if err != nil {
		return nil, err
	}
	for i := 0; i < nTx; i++ {
		p := env.NewPage()
		ref, err := env.Grant(dom, p, true)
		if err != nil {
			return nil, err
		}
		d.txPages, d.txRefs = append(d.txPages, p), append(d.txRefs, ref)
		d.txFree = append(d.txFree, uint16(nTx-1-i))
	}
	for i := 0; i < nRx; i++ {
		p := env.NewPage()
		ref, err := env.Grant(dom, p, false)
		if err != nil {
			return nil, err
		}
		d.rxPages, d.rxRefs = append(d.rxPages, p), append(d.rxRefs, ref)
		d.post()
	}
	d.rx.Push()
	d.pkt = make([]byte, abi.VnetMaxFrame)
	if d.port, err = env.AllocPort(dom); err != nil {
		return nil, errors.New("allocating net0's event channel: " + err.Error())
	}
	env.Handle(d.port, func() {}) // readiness is read off the rings
	p := d0.Path + "/"
	err = st.Transaction(func(tx *xenstore.Tx) error {
		for _, kv := range [][2]string{
			{"tx-ring-ref", strconv.Itoa(int(txRef))}, {"rx-ring-ref", strconv.Itoa(int(rxRef))},
			{"event-channel", strconv.Itoa(int(d.port))}, {"request-rx-copy", "1"},
			{"feature-rx-notify", "1"}, {"feature-no-csum-offload", "0"}, {"feature-sg", "1"},
			{"feature-gso-tcpv4", "1"}, {"feature-gso-tcpv6", "0"}, {"feature-ipv6-csum-offload", "0"},
		} {
			if err := tx.Write(p+kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, errors.New("publishing net0's rings in xenstore: " + err.Error())
	}
	if err := d0.SetState(env, front.StateConnected); err != nil {
		return nil, err
	}
	if err := d0.WaitBackend(env, front.StateConnected, 20_000_000_000); err != nil {
		return nil, err
	}
	if err := d0.Watch(env, func(s int) {
		if s >= front.StateClosing {
			d.kill("the backend closed the device (state " + strconv.Itoa(s) + ")")
		}
	}); err != nil {
		return nil, err
	}
	env.Notify(d.port)
	return d, nil
}

// post queues the next receive request: slot i has id i mod the ring size
// and page i mod nRx; with nRx requests in flight, the page is the one
// whose response was just consumed.
func (d *Device) post() {
	i := d.rx.ReqProdPvt
	r := d.rx.Req(i)
	put16(r[0:], uint16(i&d.rxMask))
	put16(r[2:], 0)
	put32(r[4:], d.rxRefs[i%nRx])
	d.rx.ReqProdPvt++
}

func (d *Device) kill(msg string) {
	if d.dead != nil {
		return
	}
	d.dead = &ErrDead{msg}
	d.env.Log("mwasm: net0: " + msg + ": the device is dead")
}

func (d *Device) SetWake(func()) {}
func (d *Device) MAC() [6]byte   { return d.mac }
func (d *Device) MTU() int       { return d.mtu }
func (d *Device) Close() error   { return nil }

// extent returns how many of the n published responses the next packet takes
// (first slot, its extra-info slots, the rest of its fragments), or false
// when it is not all published yet (or is impossible: the device dies).
func (d *Device) extent(n uint32) (int, bool) {
	i, extra, more := 0, false, true
	for extra || more {
		if i == int(n) {
			return 0, false
		}
		if i == maxRxSlots {
			d.kill("a received packet of more than " + strconv.Itoa(maxRxSlots) + " slots")
			return 0, false
		}
		rsp := d.rx.Rsp(d.rx.RspCons + uint32(i))
		d.extra[i] = extra
		i++
		if extra {
			extra = rsp[1]&extraMore != 0
			continue
		}
		flags := le16(rsp[4:])
		more = flags&rxMoreData != 0
		if i == 1 {
			extra = flags&rxExtraInfo != 0
		}
	}
	return i, true
}

// fetch makes the next complete received packet the one being delivered.
func (d *Device) fetch() bool {
	for !d.have && d.dead == nil {
		n, err := d.rx.Responses()
		if err != nil {
			d.kill("receive ring: " + err.Error())
			return false
		}
		slots, ok := d.extent(n)
		if !ok {
			return false
		}
		total, gso, drop := 0, 0, false
		for k := 0; k < slots && d.dead == nil; k++ {
			idx := d.rx.RspCons
			rsp := d.rx.Rsp(idx)
			if d.extra[k] {
				if rsp[0] == extraGSO {
					gso = int(le16(rsp[2:]))
					drop = drop || rsp[4] != gsoTCPv4 || gso == 0
				}
			} else {
				id, off, status := le16(rsp[0:]), int(le16(rsp[2:])), int(int16(le16(rsp[6:])))
				switch {
				case uint32(id) != idx&d.rxMask:
					d.kill("a receive response with id " + strconv.Itoa(int(id)) + " in ring slot " + strconv.Itoa(int(idx&d.rxMask)) + ", whose request had id " + strconv.Itoa(int(idx&d.rxMask)))
				case status < 0:
					drop = true // the backend's error for this packet
				case off+status > front.PageSize:
					d.kill("a receive response of " + strconv.Itoa(status) + " bytes at offset " + strconv.Itoa(off) + ", beyond its page")
				case total+status > len(d.pkt):
					d.kill("a received packet of more than " + strconv.Itoa(len(d.pkt)) + " bytes")
				default:
					if k == 0 {
						d.pktRx = le16(rsp[4:])
					}
					total += copy(d.pkt[total:], d.rxPages[idx%nRx][off:off+status])
				}
			}
			d.rx.RspCons++
			d.post()
		}
		if d.rx.Push() {
			d.env.Notify(d.port)
		}
		if d.dead != nil || drop || total < 14 {
			continue
		}
		d.pktLen, d.pktGSO, d.segOff, d.have = total, 0, 0, true
		if gso > 0 && total > d.mtu+14 {
			d.pktGSO = gso
		}
	}
	return d.have
}

// next makes sure a received packet is there to deliver: nil, the device's
// death, or ErrAgain.
func (d *Device) next() error {
	if d.dead == nil && d.fetch() {
		return nil
	}
	if d.dead != nil {
		return d.dead
	}
	return shim.ErrAgain
}

// RecvFrame takes the next received frame, at most MTU+14 bytes: a large
// segment is delivered cut into MTU-sized ones, every checksum complete.
func (d *Device) RecvFrame(buf []byte) (int, error) {
	if err := d.next(); err != nil {
		return 0, err
	}
	if d.pktGSO > 0 {
		return d.nextSegment(buf), nil
	}
	d.have = false
	k := copy(buf, d.pkt[:d.pktLen])
	if d.pktRx&rxCsumBlank != 0 {
		fixChecksum(buf[:k])
	}
	return k, nil
}

// nextSegment writes the next MTU-sized piece of the large segment being
// delivered into buf (truncated to it) and returns its length.
func (d *Device) nextSegment(buf []byte) int {
	p := d.pkt[:d.pktLen]
	h, ok := tcpHeaders(p)
	if !ok {
		d.have = false // not an IPv4 TCP segment: nothing to cut it by
		return 0
	}
	mss := min(d.pktGSO, d.mtu-(h-14))
	if mss <= 0 {
		d.have = false
		return 0
	}
	payload := p[h:]
	i := d.segOff / mss
	n := min(mss, len(payload)-d.segOff)
	last := d.segOff+n == len(payload)
	f := d.seg[:0]
	f = append(append(f, p[:h]...), payload[d.segOff:d.segOff+n]...)
	d.seg = f
	shapeSegment(f, h, i, d.segOff, i == 0, last)
	d.segOff += n
	if last {
		d.have = false
	}
	return copy(buf, f)
}

// RecvVnet takes the next received packet whole, with its virtio-net header.
func (d *Device) RecvVnet(buf []byte) (int, error) {
	if len(buf) < abi.VnetHdrLen {
		return 0, shim.ErrBadVnet
	}
	hdr := buf[:abi.VnetHdrLen]
	clear(hdr)
	if d.have && d.segOff > 0 {
		// The rest of a segment a /dev/net0 reader began: more plain pieces.
		hdr[0] = abi.VnetFlagDataValid
		return abi.VnetHdrLen + d.nextSegment(buf[abi.VnetHdrLen:]), nil
	}
	if err := d.next(); err != nil {
		return 0, err
	}
	d.have = false
	p := d.pkt[:d.pktLen]
	h, isTCP := tcpHeaders(p)
	switch {
	case d.pktRx&rxCsumBlank != 0:
		if start, off, ok := l4Checksum(p); ok {
			hdr[0] = abi.VnetFlagNeedsCsum
			put16(hdr[6:], uint16(start))
			put16(hdr[8:], uint16(off))
		} else {
			fixChecksum(p)
		}
	case d.pktRx&rxDataValidated != 0:
		hdr[0] = abi.VnetFlagDataValid
	}
	if d.pktGSO > 0 && isTCP {
		hdr[1] = abi.VnetGSOTCPv4
		put16(hdr[2:], uint16(h))
		put16(hdr[4:], uint16(d.pktGSO))
	}
	return abi.VnetHdrLen + copy(buf[abi.VnetHdrLen:], p), nil
}

// Readable reports whether a receive would return a frame (or an error).
func (d *Device) Readable() bool {
	if d.dead != nil || d.fetch() || d.dead != nil {
		return true
	}
	d.rx.AwaitNext()
	return d.fetch() || d.dead != nil
}

// reclaim frees the transmit buffers the backend is done with.
func (d *Device) reclaim() {
	for d.dead == nil {
		n, err := d.tx.Responses()
		if err != nil {
			d.kill("transmit ring: " + err.Error())
			return
		}
		if n == 0 {
			return
		}
		rsp := d.tx.Rsp(d.tx.RspCons)
		d.tx.RspCons++
		id, status := le16(rsp[0:]), int16(le16(rsp[2:]))
		if status == rspNull {
			continue
		}
		if id >= nTx || !d.txBusy[id] {
			d.kill("a transmit response for buffer " + strconv.Itoa(int(id)) + ", which is not in flight")
			return
		}
		d.txBusy[id] = false
		d.txFree = append(d.txFree, id)
	}
}

// room reports whether pages transmit pages and slots ring slots are free,
// remembering the need for Writable when not.
func (d *Device) room(pages, slots int) bool {
	d.reclaim()
	if len(d.txFree) >= pages && int(d.tx.Free()) >= slots {
		d.txWant = 1
		return true
	}
	d.txWant = max(pages, slots)
	return false
}

// SendFrame queues one plain frame for the backend.
func (d *Device) SendFrame(frame []byte) error {
	if d.dead != nil {
		return d.dead
	}
	if len(frame) > d.mtu+14 {
		return errors.New("net0: a frame of " + strconv.Itoa(len(frame)) + " bytes is longer than the MTU allows")
	}
	n := pagesFor(len(frame))
	if !d.room(n, n) {
		return shim.ErrAgain
	}
	d.queue(frame, 0, 0)
	return nil
}

func pagesFor(n int) int { return (n + front.PageSize - 1) / front.PageSize }

// queue puts frame on the ring over as many pages as it takes (room was
// checked), with flags on its first slot and, if gso > 0, a GSO extra slot.
func (d *Device) queue(frame []byte, flags uint16, gso int) {
	n := pagesFor(len(frame))
	for k := 0; k < n; k++ {
		id := d.txFree[len(d.txFree)-1]
		d.txFree = d.txFree[:len(d.txFree)-1]
		d.txBusy[id] = true
		chunk := frame[k*front.PageSize : min(len(frame), (k+1)*front.PageSize)]
		copy(d.txPages[id], chunk)
		f, size := uint16(0), len(chunk)
		if k == 0 {
			f, size = flags, len(frame) // the first slot's size is the packet's
			if gso > 0 {
				f |= txExtraInfo
			}
		}
		if k < n-1 {
			f |= txMoreData
		}
		r := d.tx.Req(d.tx.ReqProdPvt)
		d.tx.ReqProdPvt++
		put32(r[0:], d.txRefs[id])
		put16(r[4:], 0)
		put16(r[6:], f)
		put16(r[8:], id)
		put16(r[10:], uint16(size))
		if k == 0 && gso > 0 {
			e := d.tx.Req(d.tx.ReqProdPvt)
			d.tx.ReqProdPvt++
			clear(e)
			e[0] = extraGSO
			put16(e[2:], uint16(gso))
			e[4] = gsoTCPv4
		}
	}
	if d.tx.Push() {
		d.env.Notify(d.port)
	}
}

func badVnet(why string) error { return &vnetError{why} }

type vnetError struct{ why string }

func (e *vnetError) Error() string { return "net0v: " + e.why }
func (e *vnetError) Unwrap() error { return shim.ErrBadVnet }

// SendVnet queues a frame given with its virtio-net header. It may complete
// the frame's checksum in place.
func (d *Device) SendVnet(pkt []byte) error {
	if d.dead != nil {
		return d.dead
	}
	if len(pkt) < abi.VnetHdrLen+14 {
		return badVnet("a write shorter than the header and an Ethernet header")
	}
	hdr, f := pkt[:abi.VnetHdrLen], pkt[abi.VnetHdrLen:]
	flags, gtype, mss := hdr[0], hdr[1], int(le16(hdr[4:]))
	start, off := int(le16(hdr[6:])), int(le16(hdr[8:]))
	if flags&^(abi.VnetFlagNeedsCsum|abi.VnetFlagDataValid) != 0 {
		return badVnet("unknown flags " + strconv.Itoa(int(flags)))
	}
	if flags&abi.VnetFlagNeedsCsum != 0 && (start < 14 || start+off+2 > len(f)) {
		return badVnet("the checksum at " + strconv.Itoa(start) + "+" + strconv.Itoa(off) + " is outside the " + strconv.Itoa(len(f)) + "-byte frame")
	}
	if len(f) > abi.VnetMaxFrame {
		return badVnet("a frame of " + strconv.Itoa(len(f)) + " bytes")
	}
	switch gtype {
	case abi.VnetGSONone:
		if len(f) > d.mtu+14 {
			return badVnet("a frame of " + strconv.Itoa(len(f)) + " bytes without GSO is longer than the MTU allows")
		}
	case abi.VnetGSOTCPv4:
		if _, ok := tcpHeaders(f); !ok || mss == 0 {
			return badVnet("GSO TCPv4 on a frame that is not an IPv4 TCP segment, or gso_size 0")
		}
	default:
		return badVnet("unknown GSO type " + strconv.Itoa(int(gtype)))
	}
	big := gtype == abi.VnetGSOTCPv4 && len(f) > d.mtu+14
	if big && !d.backGSO {
		return d.sendCut(f, mss)
	}
	var txf uint16
	if flags&abi.VnetFlagNeedsCsum != 0 {
		if s, o, ok := l4Checksum(f); ok && s == start && o == off {
			txf = txCsumBlank | txDataValidated // netback completes it
		} else {
			completeChecksum(f, start, off)
		}
	}
	gso := 0
	if big {
		gso = mss
	}
	n := pagesFor(len(f))
	slots := n
	if gso > 0 {
		slots++
	}
	if !d.room(n, slots) {
		return shim.ErrAgain
	}
	d.queue(f, txf, gso)
	return nil
}

// sendCut sends a large TCP segment cut into MTU-sized ones, for a backend
// without GSO: all of them, or (no room) none.
func (d *Device) sendCut(f []byte, mss int) error {
	h, _ := tcpHeaders(f)
	mss = min(mss, d.mtu-(h-14))
	if mss <= 0 {
		return badVnet("headers longer than the MTU")
	}
	payload := len(f) - h
	segs := max(1, (payload+mss-1)/mss)
	if !d.room(segs, segs) {
		return shim.ErrAgain
	}
	for i, at := 0, 0; i < segs; i, at = i+1, at+mss {
		n := min(mss, payload-at)
		s := append(append(d.seg[:0], f[:h]...), f[h+at:h+at+n]...)
		d.seg = s
		shapeSegment(s, h, i, at, i == 0, i == segs-1)
		d.queue(s, 0, 0)
	}
	return nil
}

// Writable reports whether a send of the size last refused (one frame if
// none was) would be taken now; when not, it asks the backend to notify when
// a buffer comes back.
func (d *Device) Writable() bool {
	if d.dead != nil {
		return true
	}
	want := d.txWant
	ok := func() bool { d.reclaim(); return len(d.txFree) >= want && int(d.tx.Free()) >= want }
	if ok() {
		return true
	}
	if _, err := d.tx.FinalCheck(); err != nil {
		d.kill("transmit ring: " + err.Error())
		return true
	}
	return ok() || d.dead != nil
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func put16(b []byte, v uint16) {
	b[0], b[1] = byte(v), byte(v>>8)
}
func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// fixChecksum recomputes the TCP or UDP checksum of an IPv4 frame (one whose
// checksum field the sender left to offload hardware: NETRXF_csum_blank).
func fixChecksum(f []byte) {
	start, off, ok := l4Checksum(f)
	if !ok {
		return
	}
	_, total, _ := ipv4(f)
	l4 := f[start : 14+total]
	l4[off], l4[off+1] = 0, 0
	s := sum(0, f[14+12:14+20]) // source and destination
	s += uint32(f[14+9]) + uint32(len(l4))
	c := ^fold(sum(s, l4))
	if c == 0 && f[14+9] == 17 {
		c = 0xffff
	}
	l4[off], l4[off+1] = byte(c>>8), byte(c)
}

// parseMAC reads "00:16:3e:01:02:03" (the net package is kept out of the shim).
func parseMAC(s string) (m [6]byte, ok bool) {
	if len(s) != 17 {
		return m, false
	}
	for i := 0; i < 6; i++ {
		v, err := strconv.ParseUint(s[3*i:3*i+2], 16, 8)
		if err != nil || (i < 5 && s[3*i+2] != ':') {
			return m, false
		}
		m[i] = byte(v)
	}
	return m, true
}
