package mnet

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"time"

	"github.com/mwasm/mwasm/abi"
)

// DHCP (RFC 2131) for a device without a configured address: the client
// speaks raw frames on the device before the stack is created (DISCOVER,
// OFFER, REQUEST, ACK, broadcast both ways), then hands the device over to the
// stack through a chanDevice, whose single reader goroutine served DHCP and
// goes on serving the stack. The lease is taken for the life of the app: it
// is not renewed (an app that runs longer than its lease keeps the address;
// give a fixed one at build time where that matters).

// DHCPTimeout is how long New waits for a lease.
var DHCPTimeout = 30 * time.Second

const (
	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpAck      = 5
	dhcpNak      = 6
)

// chanDevice reads frames from its device in one goroutine and delivers them
// through a channel. It passes a vnet device's headers through (it is a
// VnetFrameIO like its device); hdr is their length, 0 on a plain device.
type chanDevice struct {
	dev    FrameIO
	hdr    int
	frames chan []byte
	err    chan error
}

func newChanDevice(dev FrameIO, mtu int) *chanDevice {
	c := &chanDevice{dev: dev, frames: make(chan []byte, 64), err: make(chan error, 1)}
	size := mtu + ethHeaderLen
	if isVnet(dev) {
		c.hdr, size = abi.VnetHdrLen, abi.VnetHdrLen+abi.VnetMaxFrame
	}
	go func() {
		buf := make([]byte, size)
		for {
			n, err := dev.ReadFrame(buf)
			if err != nil {
				c.err <- err
				return
			}
			c.frames <- append([]byte(nil), buf[:n]...)
		}
	}()
	return c
}

// VnetHeader implements VnetFrameIO.
func (c *chanDevice) VnetHeader() bool { return c.hdr > 0 }

// writePlain sends a frame built without a header (DHCP's).
func (c *chanDevice) writePlain(f []byte) error {
	if c.hdr == 0 {
		return c.dev.WriteFrame(f)
	}
	return c.dev.WriteFrame(append(make([]byte, c.hdr, c.hdr+len(f)), f...))
}

func (c *chanDevice) ReadFrame(buf []byte) (int, error) {
	select {
	case f := <-c.frames:
		return copy(buf, f), nil
	case err := <-c.err:
		c.err <- err
		return 0, err
	}
}

func (c *chanDevice) WriteFrame(f []byte) error { return c.dev.WriteFrame(f) }
func (c *chanDevice) Close() error              { return c.dev.Close() }

// lease is what the DHCP server gave.
type lease struct {
	addr    netip.Prefix
	gateway netip.Addr
	server  [4]byte
}

// dhcp gets a lease for mac over dev.
func dhcp(dev *chanDevice, mac [6]byte, xid uint32, timeout time.Duration) (lease, error) {
	deadline := time.Now().Add(timeout)
	retry := time.Second
	for time.Now().Before(deadline) {
		if err := dev.writePlain(dhcpFrame(mac, xid, dhcpDiscover, [4]byte{}, [4]byte{})); err != nil {
			return lease{}, err
		}
		offer, err := awaitDHCP(dev, xid, dhcpOffer, min(retry, time.Until(deadline)))
		retry = min(retry*2, 4*time.Second)
		if err != nil {
			if err == errNoReply {
				continue
			}
			return lease{}, err
		}
		if err := dev.writePlain(dhcpFrame(mac, xid, dhcpRequest, offer.addr.Addr().As4(), offer.server)); err != nil {
			return lease{}, err
		}
		ack, err := awaitDHCP(dev, xid, dhcpAck, min(4*time.Second, time.Until(deadline)))
		if err == nil {
			return ack, nil
		}
		if err != errNoReply && err != errNak {
			return lease{}, err
		}
	}
	return lease{}, errors.New("mnet: no DHCP server answered within " + timeout.String() + ": give the address at build time (mwasm build --net vif,ip=ADDR/BITS,gw=ADDR)")
}

var (
	errNoReply = errors.New("no reply")
	errNak     = errors.New("DHCPNAK")
)

func awaitDHCP(dev *chanDevice, xid uint32, want byte, wait time.Duration) (lease, error) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case f := <-dev.frames:
			if len(f) < dev.hdr {
				continue
			}
			typ, l, ok := parseDHCP(f[dev.hdr:], xid)
			if !ok {
				continue // someone else's traffic
			}
			if typ == dhcpNak {
				return lease{}, errNak
			}
			if typ == want {
				return l, nil
			}
		case err := <-dev.err:
			dev.err <- err
			return lease{}, err
		case <-t.C:
			return lease{}, errNoReply
		}
	}
}

// dhcpFrame builds a broadcast DHCP message (Ethernet, IPv4, UDP 68 -> 67).
func dhcpFrame(mac [6]byte, xid uint32, typ byte, reqIP, server [4]byte) []byte {
	opts := []byte{99, 130, 83, 99, 53, 1, typ, 55, 3, 1, 3, 51}
	if typ == dhcpRequest {
		opts = append(opts, 50, 4, reqIP[0], reqIP[1], reqIP[2], reqIP[3], 54, 4, server[0], server[1], server[2], server[3])
	}
	opts = append(opts, 255)
	bootp := make([]byte, 236, 300)
	bootp[0], bootp[1], bootp[2] = 1, 1, 6 // BOOTREQUEST, Ethernet, 6-byte addresses
	binary.BigEndian.PutUint32(bootp[4:], xid)
	binary.BigEndian.PutUint16(bootp[10:], 0x8000) // broadcast replies
	copy(bootp[28:], mac[:])
	bootp = append(bootp, opts...)
	for len(bootp) < 300 {
		bootp = append(bootp, 0)
	}
	f := make([]byte, 14+20+8+len(bootp))
	copy(f[0:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:], mac[:])
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(bootp)))
	ip[8], ip[9] = 64, 17
	copy(ip[16:], []byte{255, 255, 255, 255})
	binary.BigEndian.PutUint16(ip[10:], ipChecksum(ip[:20]))
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], 68)
	binary.BigEndian.PutUint16(udp[2:], 67)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(bootp))) // checksum 0: none (IPv4 allows it)
	copy(udp[8:], bootp)
	return f
}

func ipChecksum(h []byte) uint16 {
	s := uint32(0)
	for i := 0; i+1 < len(h); i += 2 {
		s += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// parseDHCP reads a DHCP reply to xid out of an Ethernet frame.
func parseDHCP(f []byte, xid uint32) (typ byte, l lease, ok bool) {
	if len(f) < 14+20+8+240 || f[12] != 0x08 || f[13] != 0x00 {
		return
	}
	ip := f[14:]
	ihl := int(ip[0]&15) * 4
	if ip[0]>>4 != 4 || ip[9] != 17 || ihl < 20 || len(ip) < ihl+8+240 {
		return
	}
	udp := ip[ihl:]
	if binary.BigEndian.Uint16(udp[2:]) != 68 {
		return
	}
	b := udp[8:]
	if b[0] != 2 || binary.BigEndian.Uint32(b[4:]) != xid || string(b[236:240]) != "\x63\x82\x53\x63" {
		return
	}
	var yi [4]byte
	copy(yi[:], b[16:20])
	bits := 24
	for o := b[240:]; len(o) > 0; {
		code := o[0]
		if code == 255 {
			break
		}
		if code == 0 {
			o = o[1:]
			continue
		}
		if len(o) < 2 || len(o) < 2+int(o[1]) {
			break
		}
		v := o[2 : 2+int(o[1])]
		switch {
		case code == 53 && len(v) == 1:
			typ = v[0]
		case code == 1 && len(v) == 4:
			m := binary.BigEndian.Uint32(v)
			bits = 0
			for m&0x80000000 != 0 {
				bits++
				m <<= 1
			}
		case code == 3 && len(v) >= 4:
			l.gateway = netip.AddrFrom4([4]byte(v[:4]))
		case code == 54 && len(v) == 4:
			copy(l.server[:], v)
		}
		o = o[2+len(v):]
	}
	if typ == 0 {
		return
	}
	l.addr = netip.PrefixFrom(netip.AddrFrom4(yi), bits)
	return typ, l, true
}
