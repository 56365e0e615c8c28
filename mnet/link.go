package mnet

import (
	"encoding/binary"
	"sync"

	"github.com/mwasm/mwasm/abi"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// FrameIO moves whole Ethernet frames (14-byte header included, no FCS).
//
// ReadFrame blocks until a frame arrives and copies it into buf, returning its
// length; a frame longer than buf is truncated. It returns an error once the device
// is closed or broken, after which the link stops reading. WriteFrame sends one
// frame; it may block while the device has no room, and it may drop the frame
// (returning nil) like a real NIC would. Both may be called from different
// goroutines at once; WriteFrame is never called concurrently with itself.
type FrameIO interface {
	ReadFrame(buf []byte) (int, error)
	WriteFrame(frame []byte) error
	Close() error
}

const ethHeaderLen = header.EthernetMinimumSize // 14

// VnetFrameIO is a FrameIO whose frames each begin with a virtio-net header
// (abi.VnetHdrLen bytes) when VnetHeader reports true: /dev/net0v, where the
// platform does offloads (Xen). The stack then sends TCP segments of up to
// 64 KiB with partial checksums (gVisor's host GSO: the device or its peer
// cuts them) and takes large received segments whole, one packet where a
// plain device would carry 45: per packet, the stack costs far more than per
// byte.
type VnetFrameIO interface {
	FrameIO
	VnetHeader() bool
}

func isVnet(dev FrameIO) bool {
	v, ok := dev.(VnetFrameIO)
	return ok && v.VnetHeader()
}

// vnetGSOMax is the largest TCP segment handed to a /dev/net0v device: an
// IPv4 packet's most (gVisor keeps its payload 121 bytes below it).
const vnetGSOMax = 65535

// link is the gVisor LinkEndpoint over a FrameIO: it adds and strips the Ethernet
// header itself (so no ethernet.Endpoint wrapper is needed), writes each outgoing
// packet synchronously from the caller's goroutine, and runs exactly one goroutine
// that reads incoming frames and hands them to the stack.
type link struct {
	dev FrameIO
	mtu uint32 // IP MTU
	mac tcpip.LinkAddress

	// csumOffload: the device does not need (TX) and has already checked (RX)
	// transport checksums, so the stack neither computes nor verifies them.
	csumOffload bool

	// vnet: dev is a VnetFrameIO with headers (frames read and written
	// begin with one).
	vnet bool

	wmu  sync.Mutex // serialises WriteFrame and guards wbuf
	wbuf []byte

	mu         sync.Mutex
	dispatcher stack.NetworkDispatcher
	started    bool
	done       chan struct{} // closed when the read loop has stopped
	readErr    error
}

var (
	_ stack.LinkEndpoint = (*link)(nil)
	_ stack.GSOEndpoint  = (*link)(nil)
)

func newLink(dev FrameIO, mtu uint32, mac tcpip.LinkAddress) *link {
	l := &link{
		dev:  dev,
		mtu:  mtu,
		mac:  mac,
		vnet: isVnet(dev),
		done: make(chan struct{}),
	}
	if l.vnet {
		l.wbuf = make([]byte, abi.VnetHdrLen+abi.VnetMaxFrame)
	} else {
		l.wbuf = make([]byte, int(mtu)+ethHeaderLen)
	}
	return l
}

// GSOMaxSize and SupportedGSO make the link a GSOEndpoint: host GSO on a
// vnet device, none otherwise.
func (l *link) GSOMaxSize() uint32 {
	if l.vnet {
		return vnetGSOMax
	}
	return 0
}

func (l *link) SupportedGSO() stack.SupportedGSO {
	if l.vnet {
		return stack.HostGSOSupported
	}
	return stack.GSONotSupported
}

func (l *link) MTU() uint32                      { return l.mtu }
func (l *link) SetMTU(mtu uint32)                {} // fixed by the device
func (l *link) MaxHeaderLength() uint16          { return ethHeaderLen }
func (l *link) LinkAddress() tcpip.LinkAddress   { return l.mac }
func (l *link) SetLinkAddress(tcpip.LinkAddress) {}
func (l *link) Capabilities() stack.LinkEndpointCapabilities {
	if l.vnet {
		// Received checksums are checked in readLoop where the device did not.
		return stack.CapabilityResolutionRequired | stack.CapabilityRXChecksumOffload
	}
	if l.csumOffload {
		return stack.CapabilityResolutionRequired | stack.CapabilityRXChecksumOffload | stack.CapabilityTXChecksumOffload
	}
	return stack.CapabilityResolutionRequired
}
func (l *link) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }
func (l *link) Wait()                                   {}
func (l *link) Close()                                  {}
func (l *link) SetOnCloseAction(func())                 {}

func (l *link) IsAttached() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dispatcher != nil
}

// Attach starts the read loop the first time the stack attaches a dispatcher.
func (l *link) Attach(d stack.NetworkDispatcher) {
	l.mu.Lock()
	l.dispatcher = d
	start := d != nil && !l.started
	if start {
		l.started = true
	}
	l.mu.Unlock()
	if start {
		go l.readLoop()
	}
}

func (l *link) AddHeader(pkt *stack.PacketBuffer) {
	eth := header.Ethernet(pkt.LinkHeader().Push(ethHeaderLen))
	eth.Encode(&header.EthernetFields{
		SrcAddr: pkt.EgressRoute.LocalLinkAddress,
		DstAddr: pkt.EgressRoute.RemoteLinkAddress,
		Type:    pkt.NetworkProtocolNumber,
	})
}

func (l *link) ParseHeader(pkt *stack.PacketBuffer) bool {
	hdr, ok := pkt.LinkHeader().Consume(ethHeaderLen)
	if ok {
		pkt.NetworkProtocolNumber = header.Ethernet(hdr).Type()
	}
	return ok
}

// WritePackets copies each packet into one contiguous frame and writes it. The
// caller keeps ownership of the packets.
func (l *link) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	n := 0
	hl := 0
	if l.vnet {
		hl = abi.VnetHdrLen
	}
	for _, pkt := range pkts.AsSlice() {
		size := pkt.Size()
		if hl+size > len(l.wbuf) {
			// Larger than MTU+header: the stack should never produce this.
			return n, &tcpip.ErrMessageTooLong{}
		}
		if l.vnet {
			putVnetHeader(l.wbuf[:hl], pkt)
		}
		frame := l.wbuf[hl : hl+size]
		vl, off := pkt.AsViewList()
		w := 0
		for v := vl.Front(); v != nil && w < size; v = v.Next() {
			s := v.AsSlice()
			if off >= len(s) {
				off -= len(s)
				continue
			}
			w += copy(frame[w:], s[off:])
			off = 0
		}
		if err := l.dev.WriteFrame(l.wbuf[:hl+w]); err != nil {
			if n == 0 {
				return 0, &tcpip.ErrClosedForSend{}
			}
			return n, nil
		}
		n++
	}
	return n, nil
}

// readLoop delivers incoming frames to the stack until the device fails or closes.
func (l *link) readLoop() {
	defer close(l.done)
	size := int(l.mtu) + ethHeaderLen + 4 // +4: room for a VLAN tag
	if l.vnet {
		size = abi.VnetHdrLen + abi.VnetMaxFrame
	}
	rbuf := make([]byte, size)
	for {
		n, err := l.dev.ReadFrame(rbuf)
		if err != nil {
			l.mu.Lock()
			l.readErr = err
			l.mu.Unlock()
			return
		}
		buf := rbuf
		if l.vnet {
			if n < abi.VnetHdrLen || !vnetChecked(rbuf[:n]) {
				continue // a wrong checksum: dropped, as the stack would
			}
			buf, n = rbuf[abi.VnetHdrLen:], n-abi.VnetHdrLen
		}
		if n < ethHeaderLen {
			continue // runt
		}
		eth := header.Ethernet(buf[:ethHeaderLen])
		dst := eth.DestinationAddress()
		var typ tcpip.PacketType
		switch {
		case dst == l.mac:
			typ = tcpip.PacketHost
		case dst == header.EthernetBroadcastAddress:
			typ = tcpip.PacketBroadcast
		case header.IsMulticastEthernetAddress(dst):
			typ = tcpip.PacketMulticast
		default:
			continue // for another host
		}
		l.mu.Lock()
		d := l.dispatcher
		l.mu.Unlock()
		if d == nil {
			continue
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{
			Payload: buffer.MakeWithData(buf[:n]),
		})
		if l.ParseHeader(pkt) {
			pkt.PktType = typ
			d.DeliverNetworkPacket(pkt.NetworkProtocolNumber, pkt)
		}
		pkt.DecRef()
	}
}

// putVnetHeader writes the virtio-net header of pkt into h: a partial
// checksum for every TCP segment (host GSO asks for one), GSO when the
// segment carries more than one MSS.
func putVnetHeader(h []byte, pkt *stack.PacketBuffer) {
	clear(h)
	g := pkt.GSOOptions
	if g.Type == stack.GSONone {
		return
	}
	if g.NeedsCsum {
		h[0] = abi.VnetFlagNeedsCsum
		binary.LittleEndian.PutUint16(h[6:], uint16(ethHeaderLen+len(pkt.NetworkHeader().Slice())))
		binary.LittleEndian.PutUint16(h[8:], g.CsumOffset)
	}
	if g.Type == stack.GSOTCPv4 && pkt.Data().Size() > int(g.MSS) {
		h[1] = abi.VnetGSOTCPv4
		binary.LittleEndian.PutUint16(h[2:], uint16(pkt.HeaderSize()))
		binary.LittleEndian.PutUint16(h[4:], g.MSS)
	}
}

// vnetChecked checks what the device did not of a received header and frame:
// the IPv4 header checksum always (no device vouches for it), the TCP or UDP
// checksum unless the header says the device checked it (DATA_VALID) or the
// frame comes from a stack that left it partial (NEEDS_CSUM: it never
// crossed a wire).
func vnetChecked(b []byte) bool {
	flags, f := b[0], b[abi.VnetHdrLen:]
	if len(f) < ethHeaderLen+header.IPv4MinimumSize || header.Ethernet(f).Type() != header.IPv4ProtocolNumber {
		return true // not IPv4: the stack checks what it takes
	}
	ip := header.IPv4(f[ethHeaderLen:])
	if !ip.IsValid(len(ip)) || !ip.IsChecksumValid() {
		return false
	}
	if flags&(abi.VnetFlagNeedsCsum|abi.VnetFlagDataValid) != 0 {
		return true
	}
	if ip.More() || ip.FragmentOffset() != 0 {
		// A fragment's transport checksum covers the whole datagram, which
		// only the stack reassembles, and the stack believes the device
		// checked it: a damaged fragmented UDP datagram goes through
		// unchecked (TCP never fragments: gVisor sets DF).
		return true
	}
	l4 := ip[ip.HeaderLength():ip.TotalLength()]
	var ok bool
	switch ip.TransportProtocol() {
	case header.TCPProtocolNumber:
		if len(l4) < header.TCPMinimumSize {
			return false
		}
		ok = checksumOK(ip, l4, header.TCPProtocolNumber)
	case header.UDPProtocolNumber:
		if len(l4) < header.UDPMinimumSize {
			return false
		}
		ok = header.UDP(l4).Checksum() == 0 || checksumOK(ip, l4, header.UDPProtocolNumber)
	default:
		ok = true // ICMP and the rest carry their own checks, which the stack makes
	}
	return ok
}

func checksumOK(ip header.IPv4, l4 []byte, proto tcpip.TransportProtocolNumber) bool {
	x := header.PseudoHeaderChecksum(proto, ip.SourceAddress(), ip.DestinationAddress(), uint16(len(l4)))
	return checksum.Checksum(l4, x) == 0xffff
}
