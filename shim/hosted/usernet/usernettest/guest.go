// Package usernettest gives tests a "guest": a gVisor TCP/IP stack whose network
// interface is a shim.NetDevice, exactly as an app's stack would drive /dev/net0.
// It plays the platform for the device (it calls SetWake), pumps received frames
// into the stack when woken and sends the stack's frames with SendFrame. Use it to
// test a NetDevice (usernet, TAP) natively, without Wasm.
package usernettest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/hosted/usernet/internal/ethlink"
)

const nicID tcpip.NICID = 1

// Guest is a TCP/IP stack attached to a NetDevice.
type Guest struct {
	Stack *stack.Stack
	dev   shim.NetDevice
	link  *ethlink.Endpoint

	wakeCh chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once

	// SendErrors counts frames SendFrame refused (ErrAgain or an error).
	SendErrors atomic.Uint64

	slowEvery atomic.Int64 // frames between pauses; 0: never pause
	slowPause atomic.Int64 // nanoseconds
}

// SetSlow makes the guest a slow reader, like an app busy in Wasm: after every
// `every` frames taken from the device it pauses for pause. every <= 0 turns it off.
func (g *Guest) SetSlow(every int, pause time.Duration) {
	g.slowPause.Store(int64(pause))
	g.slowEvery.Store(int64(every))
}

// New attaches a guest stack with address addr (e.g. 10.0.2.15/24) and default
// gateway gw (may be the zero Addr) to dev, and starts pumping frames. It calls
// dev.SetWake, so dev must not be in use by a platform. Close stops the guest;
// it does not close dev.
func New(dev shim.NetDevice, addr netip.Prefix, gw netip.Addr) (*Guest, error) {
	if !addr.Addr().Is4() {
		return nil, fmt.Errorf("usernettest: guest address %s is not IPv4", addr)
	}
	g := &Guest{
		dev:    dev,
		wakeCh: make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4},
	})
	g.Stack = s
	sack := tcpip.TCPSACKEnabled(true)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack)
	g.link = ethlink.New(dev.MAC(), dev.MTU(), g.send)
	if err := s.CreateNIC(nicID, g.link); err != nil {
		s.Destroy()
		return nil, fmt.Errorf("usernettest: create NIC: %s", err)
	}
	if err := s.AddProtocolAddress(nicID, tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4(addr.Addr().As4()), PrefixLen: addr.Bits()},
	}, stack.AddressProperties{}); err != nil {
		s.Destroy()
		return nil, fmt.Errorf("usernettest: add address: %s", err)
	}
	m := addr.Masked()
	subnet, _ := tcpip.NewSubnet(tcpip.AddrFrom4(m.Addr().As4()), tcpip.MaskFromBytes(net.CIDRMask(m.Bits(), 32)))
	routes := []tcpip.Route{{Destination: subnet, NIC: nicID}}
	if gw.IsValid() {
		routes = append(routes, tcpip.Route{Destination: header.IPv4EmptySubnet, Gateway: tcpip.AddrFrom4(gw.As4()), NIC: nicID})
	}
	s.SetRouteTable(routes)

	dev.SetWake(func() {
		select {
		case g.wakeCh <- struct{}{}:
		default:
		}
	})
	g.wg.Add(1)
	go g.pump()
	return g, nil
}

func (g *Guest) send(frame []byte) {
	if err := g.dev.SendFrame(frame); err != nil {
		g.SendErrors.Add(1)
	}
}

// pump moves frames from the device into the stack whenever the device wakes us.
func (g *Guest) pump() {
	defer g.wg.Done()
	buf := make([]byte, g.dev.MTU()+header.EthernetMinimumSize)
	taken := int64(0)
	for {
		for {
			n, err := g.dev.RecvFrame(buf)
			if err != nil {
				if !errors.Is(err, shim.ErrAgain) {
					// A closed device: wait for Close instead of spinning.
					<-g.done
					return
				}
				break
			}
			g.link.Deliver(buf[:n])
			if every := g.slowEvery.Load(); every > 0 {
				if taken++; taken%every == 0 {
					time.Sleep(time.Duration(g.slowPause.Load()))
				}
			}
		}
		select {
		case <-g.wakeCh:
		case <-g.done:
			return
		}
	}
}

// Close stops the pump and destroys the stack (open connections are aborted).
func (g *Guest) Close() {
	g.once.Do(func() {
		close(g.done)
		g.wg.Wait()
		g.Stack.Destroy()
	})
}

func full(ap netip.AddrPort) tcpip.FullAddress {
	var a tcpip.Address
	if ap.Addr().IsValid() && !ap.Addr().IsUnspecified() {
		a = tcpip.AddrFrom4(ap.Addr().As4())
	}
	return tcpip.FullAddress{NIC: nicID, Addr: a, Port: ap.Port()}
}

// ListenTCP listens on port of the guest's address.
func (g *Guest) ListenTCP(port uint16) (*gonet.TCPListener, error) {
	return gonet.ListenTCP(g.Stack, tcpip.FullAddress{NIC: nicID, Port: port}, ipv4.ProtocolNumber)
}

// DialTCP connects from the guest to addr.
func (g *Guest) DialTCP(ctx context.Context, addr netip.AddrPort) (*gonet.TCPConn, error) {
	return gonet.DialContextTCP(ctx, g.Stack, full(addr), ipv4.ProtocolNumber)
}

// ListenUDP binds a UDP socket to port of the guest.
func (g *Guest) ListenUDP(port uint16) (*gonet.UDPConn, error) {
	la := tcpip.FullAddress{NIC: nicID, Port: port}
	return gonet.DialUDP(g.Stack, &la, nil, ipv4.ProtocolNumber)
}

// DialUDP opens a UDP socket of the guest connected to addr.
func (g *Guest) DialUDP(addr netip.AddrPort) (*gonet.UDPConn, error) {
	ra := full(addr)
	return gonet.DialUDP(g.Stack, nil, &ra, ipv4.ProtocolNumber)
}
