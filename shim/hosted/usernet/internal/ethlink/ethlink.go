// Package ethlink is a gVisor link endpoint that speaks whole Ethernet frames as
// byte slices: frames the stack sends go to an output function, and frames from
// outside enter the stack through Deliver. It is the glue between a gVisor stack
// and anything that moves frames (the usernet Device, a shim.NetDevice in tests).
//
// It does the Ethernet framing itself (14-byte header, no VLAN, no FCS), asks the
// stack for ARP resolution, and filters inbound frames by destination MAC the way a
// NIC would (own address, broadcast, multicast).
package ethlink

import (
	"sync"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// Endpoint implements stack.LinkEndpoint over byte-slice Ethernet frames.
type Endpoint struct {
	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
	mac        tcpip.LinkAddress
	mtu        uint32

	// RXChecksumOffload, set before the endpoint is attached, tells the stack that
	// inbound frames need no IP/TCP/UDP checksum verification (they crossed no
	// wire). Outbound checksums are always computed.
	RXChecksumOffload bool

	// out receives each outbound frame; the slice is freshly allocated and
	// owned by out from then on. It must not block for long and must not call
	// back into the same stack synchronously.
	out func(frame []byte)
}

var _ stack.LinkEndpoint = (*Endpoint)(nil)

// New returns an endpoint with the given MAC and IP MTU whose outbound frames go to out.
func New(mac [6]byte, mtu int, out func(frame []byte)) *Endpoint {
	return &Endpoint{mac: tcpip.LinkAddress(mac[:]), mtu: uint32(mtu), out: out}
}

// Deliver hands one inbound Ethernet frame to the stack. The frame is copied, so
// the caller may reuse it. Frames that are too short or not addressed to this
// endpoint are dropped; Deliver reports whether the frame was passed up.
func (e *Endpoint) Deliver(frame []byte) bool {
	if len(frame) < header.EthernetMinimumSize {
		return false
	}
	e.mu.RLock()
	d, mac := e.dispatcher, e.mac
	e.mu.RUnlock()
	if d == nil {
		return false
	}
	eth := header.Ethernet(frame)
	dst := eth.DestinationAddress()
	var kind tcpip.PacketType
	switch {
	case dst == mac:
		kind = tcpip.PacketHost
	case dst == header.EthernetBroadcastAddress:
		kind = tcpip.PacketBroadcast
	case header.IsMulticastEthernetAddress(dst):
		kind = tcpip.PacketMulticast
	default:
		return false
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
	defer pkt.DecRef()
	if _, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize); !ok {
		return false
	}
	pkt.PktType = kind
	d.DeliverNetworkPacket(eth.Type(), pkt)
	return true
}

// WritePackets implements stack.LinkWriter: each packet becomes one frame for out.
func (e *Endpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	n := 0
	for _, pkt := range pkts.AsSlice() {
		frame := make([]byte, 0, pkt.Size())
		for _, s := range pkt.AsSlices() {
			frame = append(frame, s...)
		}
		e.out(frame)
		n++
	}
	return n, nil
}

// AddHeader implements stack.LinkEndpoint: it prepends the Ethernet header.
func (e *Endpoint) AddHeader(pkt *stack.PacketBuffer) {
	src := pkt.EgressRoute.LocalLinkAddress
	if src == "" {
		src = e.LinkAddress()
	}
	eth := header.Ethernet(pkt.LinkHeader().Push(header.EthernetMinimumSize))
	eth.Encode(&header.EthernetFields{
		SrcAddr: src,
		DstAddr: pkt.EgressRoute.RemoteLinkAddress,
		Type:    pkt.NetworkProtocolNumber,
	})
}

// ParseHeader implements stack.LinkEndpoint.
func (*Endpoint) ParseHeader(pkt *stack.PacketBuffer) bool {
	_, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	return ok
}

// Attach implements stack.LinkEndpoint.
func (e *Endpoint) Attach(d stack.NetworkDispatcher) {
	e.mu.Lock()
	e.dispatcher = d
	e.mu.Unlock()
}

// IsAttached implements stack.LinkEndpoint.
func (e *Endpoint) IsAttached() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.dispatcher != nil
}

// MTU implements stack.LinkEndpoint (the IP MTU).
func (e *Endpoint) MTU() uint32 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.mtu
}

// SetMTU implements stack.LinkEndpoint.
func (e *Endpoint) SetMTU(mtu uint32) {
	e.mu.Lock()
	e.mtu = mtu
	e.mu.Unlock()
}

// LinkAddress implements stack.LinkEndpoint.
func (e *Endpoint) LinkAddress() tcpip.LinkAddress {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.mac
}

// SetLinkAddress implements stack.LinkEndpoint.
func (e *Endpoint) SetLinkAddress(a tcpip.LinkAddress) {
	e.mu.Lock()
	e.mac = a
	e.mu.Unlock()
}

// Capabilities implements stack.LinkEndpoint: Ethernet needs ARP.
func (e *Endpoint) Capabilities() stack.LinkEndpointCapabilities {
	if e.RXChecksumOffload {
		return stack.CapabilityResolutionRequired | stack.CapabilityRXChecksumOffload
	}
	return stack.CapabilityResolutionRequired
}

// MaxHeaderLength implements stack.LinkEndpoint.
func (*Endpoint) MaxHeaderLength() uint16 { return header.EthernetMinimumSize }

// ARPHardwareType implements stack.LinkEndpoint.
func (*Endpoint) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }

// Wait implements stack.LinkEndpoint; the endpoint owns no goroutines.
func (*Endpoint) Wait() {}

// Close implements stack.LinkEndpoint.
func (*Endpoint) Close() {}

// SetOnCloseAction implements stack.LinkEndpoint.
func (*Endpoint) SetOnCloseAction(func()) {}
