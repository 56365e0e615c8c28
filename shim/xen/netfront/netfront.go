// Package netfront is the Xen network frontend of the shim: /dev/net0 on Xen,
// a shim.NetDevice over a vif's two shared rings (xen/include/public/io/
// netif.h). The backend (netback in dom0) copies received frames into pages
// the frontend granted it and reads frames to send from pages granted
// read-only.
//
// What the frontend asks for, and why: request-rx-copy (the only receive mode
// of today's netback: it copies each frame into a posted page);
// feature-rx-notify (the frontend keeps receive requests posted and wants to
// be told when responses arrive); feature-no-csum-offload (the frontend's
// stack computes and checks checksums itself, so netback must hand it
// frames whose checksums are filled in; a frame still marked csum_blank has
// its TCP/UDP checksum completed here). It asks for no scatter-gather, GSO
// or multi-queue: one frame, at most MTU+14 bytes, fits one page.
//
// Buffers: 128 receive pages and 128 transmit pages, each granted once for
// the life of the domain (a page never changes owner, so no wrong page is
// ever granted). Notifications are suppressed the ring protocol's way: a
// push notifies only when the backend asked (req_event), and the frontend
// asks for a notification (rsp_event) only when it found nothing to do.
//
// Everything the backend writes is checked: indexes (no more responses than
// requests in flight), response ids (known, in flight), lengths and offsets
// (inside the page). Anything impossible kills the device: one console line,
// and every later call fails with an I/O error; nothing is read or written
// outside a ring or buffer. A backend that moves to Closing or Closed kills
// it the same way.
package netfront

import (
	"errors"
	"strconv"

	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/xen/front"
	"github.com/mwasm/mwasm/shim/xen/xenstore"
)

// Ring entries (the union of request and response).
const (
	txEntry = 12 // netif_tx_request {gref u32, offset u16, flags u16, id u16, size u16}
	rxEntry = 8  // netif_rx_request {id u16, pad u16, gref u32}; response {id, offset, flags u16, status s16}

	nTx = 128
	nRx = 128

	rxMoreData  = 1 << 2
	rxExtraInfo = 1 << 3
	rxCsumBlank = 1 << 1
	rspNull     = 1
)

// Device is one vif.
type Device struct {
	env  front.Env
	dev  *front.Device
	mac  [6]byte
	mtu  int
	port uint32

	tx, rx           *front.Ring
	txPages, rxPages [][]byte
	txRefs, rxRefs   []uint32
	txFree           []uint16
	txBusy           [nTx]bool
	rxPosted         [nRx]bool
	dead             error
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
	d := &Device{env: env, dev: d0, mtu: 1500}
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
	dom := d0.BackendID
	txPage, rxPage := env.NewPage(), env.NewPage()
	d.tx, d.rx = front.NewRing(txPage, txEntry, env.Fence), front.NewRing(rxPage, rxEntry, env.Fence)
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
		d.post(uint16(i))
	}
	d.rx.Push()
	if d.port, err = env.AllocPort(dom); err != nil {
		return nil, errors.New("allocating net0's event channel: " + err.Error())
	}
	env.Handle(d.port, func() {}) // readiness is read off the rings
	p := d0.Path + "/"
	err = st.Transaction(func(tx *xenstore.Tx) error {
		for _, kv := range [][2]string{
			{"tx-ring-ref", strconv.Itoa(int(txRef))}, {"rx-ring-ref", strconv.Itoa(int(rxRef))},
			{"event-channel", strconv.Itoa(int(d.port))}, {"request-rx-copy", "1"},
			{"feature-rx-notify", "1"}, {"feature-no-csum-offload", "1"}, {"feature-sg", "0"},
			{"feature-gso-tcpv4", "0"}, {"feature-gso-tcpv6", "0"}, {"feature-ipv6-csum-offload", "0"},
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

// post queues receive request id.
func (d *Device) post(id uint16) {
	r := d.rx.Req(d.rx.ReqProdPvt)
	put16(r[0:], id)
	put16(r[2:], 0)
	put32(r[4:], d.rxRefs[id])
	d.rx.ReqProdPvt++
	d.rxPosted[id] = true
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

// RecvFrame takes the next received frame.
func (d *Device) RecvFrame(buf []byte) (int, error) {
	for {
		if d.dead != nil {
			return 0, d.dead
		}
		n, err := d.rx.Responses()
		if err != nil {
			d.kill("receive ring: " + err.Error())
			continue
		}
		if n == 0 {
			return 0, shim.ErrAgain
		}
		rsp := d.rx.Rsp(d.rx.RspCons)
		id, off, flags, status := le16(rsp[0:]), le16(rsp[2:]), le16(rsp[4:]), int16(le16(rsp[6:]))
		if id >= nRx || !d.rxPosted[id] {
			d.kill("a receive response for buffer " + strconv.Itoa(int(id)) + ", which is not posted")
			continue
		}
		d.rx.RspCons++
		d.rxPosted[id] = false
		ok := status > 0 && flags&(rxMoreData|rxExtraInfo) == 0 && int(off)+int(status) <= front.PageSize
		k := 0
		if ok {
			k = copy(buf, d.rxPages[id][off:int(off)+int(status)])
			if flags&rxCsumBlank != 0 {
				fixChecksum(buf[:k])
			}
		}
		d.post(id)
		if d.rx.Push() {
			d.env.Notify(d.port)
		}
		if ok {
			return k, nil
		}
		if status > 0 && int(off)+int(status) > front.PageSize {
			d.kill("a receive response of " + strconv.Itoa(int(status)) + " bytes at offset " + strconv.Itoa(int(off)) + ", beyond its page")
		}
		// An error or a multi-slot frame (never asked for): dropped.
	}
}

// Readable reports whether RecvFrame has a frame (or an error) to return.
func (d *Device) Readable() bool {
	if d.dead != nil {
		return true
	}
	n, err := d.rx.FinalCheck()
	if err != nil {
		d.kill("receive ring: " + err.Error())
		return true
	}
	return n > 0
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

// SendFrame queues one frame for the backend.
func (d *Device) SendFrame(frame []byte) error {
	if d.dead != nil {
		return d.dead
	}
	if len(frame) > d.mtu+14 || len(frame) > front.PageSize {
		return errors.New("net0: a frame of " + strconv.Itoa(len(frame)) + " bytes is longer than the MTU allows")
	}
	d.reclaim()
	if len(d.txFree) == 0 || d.tx.Free() == 0 {
		return shim.ErrAgain
	}
	id := d.txFree[len(d.txFree)-1]
	d.txFree = d.txFree[:len(d.txFree)-1]
	d.txBusy[id] = true
	copy(d.txPages[id], frame)
	r := d.tx.Req(d.tx.ReqProdPvt)
	put32(r[0:], d.txRefs[id])
	put16(r[4:], 0)
	put16(r[6:], 0)
	put16(r[8:], id)
	put16(r[10:], uint16(len(frame)))
	d.tx.ReqProdPvt++
	if d.tx.Push() {
		d.env.Notify(d.port)
	}
	return nil
}

// Writable reports whether SendFrame would take a frame now; when not, it
// asks the backend to notify when a buffer comes back.
func (d *Device) Writable() bool {
	if d.dead != nil {
		return true
	}
	d.reclaim()
	if len(d.txFree) > 0 && d.tx.Free() > 0 {
		return true
	}
	if _, err := d.tx.FinalCheck(); err != nil {
		d.kill("transmit ring: " + err.Error())
		return true
	}
	d.reclaim()
	return len(d.txFree) > 0 && d.tx.Free() > 0
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func put16(b []byte, v uint16) {
	b[0], b[1] = byte(v), byte(v>>8)
}
func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// fixChecksum completes the TCP or UDP checksum of an IPv4 frame whose
// checksum field the sender left to offload hardware (NETRXF_csum_blank).
func fixChecksum(f []byte) {
	if len(f) < 14+20 || f[12] != 0x08 || f[13] != 0x00 {
		return
	}
	ip := f[14:]
	ihl := int(ip[0]&15) * 4
	total := int(ip[2])<<8 | int(ip[3])
	if ip[0]>>4 != 4 || ihl < 20 || total < ihl || total > len(ip) || ip[6]&0x3f != 0 || ip[7] != 0 {
		return // not IPv4, malformed, or a fragment
	}
	l4 := ip[ihl:total]
	var at int
	switch ip[9] {
	case 6:
		at = 16
	case 17:
		at = 6
	default:
		return
	}
	if len(l4) < at+2 {
		return
	}
	l4[at], l4[at+1] = 0, 0
	sum := uint32(0)
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(ip[12:20]) // source and destination
	sum += uint32(ip[9]) + uint32(len(l4))
	add(l4)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	c := ^uint16(sum)
	if c == 0 && ip[9] == 17 {
		c = 0xffff
	}
	l4[at], l4[at+1] = byte(c>>8), byte(c)
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
