package mnet

import (
	"sync"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
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

	wmu  sync.Mutex // serialises WriteFrame and guards wbuf
	wbuf []byte

	mu         sync.Mutex
	dispatcher stack.NetworkDispatcher
	started    bool
	done       chan struct{} // closed when the read loop has stopped
	readErr    error
}

var _ stack.LinkEndpoint = (*link)(nil)

func newLink(dev FrameIO, mtu uint32, mac tcpip.LinkAddress) *link {
	return &link{
		dev:  dev,
		mtu:  mtu,
		mac:  mac,
		wbuf: make([]byte, int(mtu)+ethHeaderLen),
		done: make(chan struct{}),
	}
}

func (l *link) MTU() uint32                      { return l.mtu }
func (l *link) SetMTU(mtu uint32)                {} // fixed by the device
func (l *link) MaxHeaderLength() uint16          { return ethHeaderLen }
func (l *link) LinkAddress() tcpip.LinkAddress   { return l.mac }
func (l *link) SetLinkAddress(tcpip.LinkAddress) {}
func (l *link) Capabilities() stack.LinkEndpointCapabilities {
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
	for _, pkt := range pkts.AsSlice() {
		size := pkt.Size()
		if size > len(l.wbuf) {
			// Larger than MTU+header: the stack should never produce this.
			return n, &tcpip.ErrMessageTooLong{}
		}
		frame := l.wbuf[:size]
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
		if err := l.dev.WriteFrame(frame[:w]); err != nil {
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
	buf := make([]byte, int(l.mtu)+ethHeaderLen+4) // +4: room for a VLAN tag
	for {
		n, err := l.dev.ReadFrame(buf)
		if err != nil {
			l.mu.Lock()
			l.readErr = err
			l.mu.Unlock()
			return
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
