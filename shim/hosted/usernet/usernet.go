// Package usernet is the hosted user-mode network of `mwasm run`: a virtual
// Ethernet segment between the app (the guest) and the host, in the spirit of
// QEMU's `-netdev user,hostfwd=...`. It needs no root and no TAP device.
//
// # How it works
//
// The Device is a shim.NetDevice. Its other end is a small TCP/IP stack of the
// host's own (gVisor's pkg/tcpip) that plays the gateway 10.0.2.2 on 10.0.2.0/24 with
// MAC 52:55:0a:00:02:02. The app is 10.0.2.15 with MAC 52:54:00:12:34:56 unless told
// otherwise.
//
//   - Frames the app writes (SendFrame) are handed to the gateway stack at once, on
//     the caller's goroutine; SendFrame never returns ErrAgain.
//   - Frames the gateway stack emits wait in a bounded FIFO for RecvFrame
//     (Options.QueueLen, 16384 by default). When it is full the newest frame is
//     dropped (tail drop, as a NIC ring does); TCP retransmits, UDP is lossy anyway.
//     The bound is far above what TCP windows let in flight to a busy guest (about
//     700 full frames per connection with gVisor's 1 MB default receive buffer),
//     because every drop costs a retransmission, a timeout under load; the ring
//     grows only as frames actually wait. Every enqueued frame calls the wake
//     function.
//   - Checksum offload: frames cross no wire, so the gateway stack does not verify
//     the IPv4/TCP/UDP checksums of frames from the guest, and the Device tells the
//     shim so (ChecksumOffload), which sets MWASM_NET0_OFFLOAD=csum for the app: an
//     mnet app then neither computes nor verifies checksums. Frames to the guest
//     always carry correct checksums, for guest stacks that do verify.
//   - ARP for 10.0.2.2 and ICMP echo to 10.0.2.2 are answered by the gateway stack.
//     The gateway knows the guest's MAC from the start (a static neighbour entry), so
//     the first forwarded connection needs no ARP round trip.
//
// Host to guest (hostfwd): every forward opens a real OS listener when New is
// called. Each accepted TCP connection is dialed to the guest port through the
// gateway stack and the two are spliced both ways, passing half-closes (FIN) along;
// if the guest refuses (RST) or does not answer within DialTimeout the host
// connection is closed. Each UDP datagram from a host peer is sent to the guest port
// from a gateway UDP socket kept per peer, so replies return to that peer; a peer
// idle for UDPIdleTimeout is forgotten.
//
// Guest to host: TCP and UDP from the guest to 10.0.2.2:PORT are relayed to
// 127.0.0.1:PORT on the host (as QEMU does). Unless Options.Restrict is set, TCP and
// UDP to addresses outside 10.0.2.0/24 are relayed to that address through host
// sockets (a socket-level NAT: the host's routing and firewall apply). Not
// supported: ICMP to anything but 10.0.2.2, DNS at 10.0.2.3, DHCP, IPv6, and
// other addresses inside 10.0.2.0/24 (connections to them are refused).
package usernet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"gvisor.dev/gvisor/pkg/tcpip"
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

// initialQueueLen is the guest queue's first ring size; it grows up to QueueLen.
const initialQueueLen = 256

// ErrClosed is returned by SendFrame and RecvFrame after Close.
var ErrClosed = errors.New("usernet: device closed")

const nicID tcpip.NICID = 1

// Device is the app's side of the user-mode network. It implements shim.NetDevice.
type Device struct {
	opts  Options
	log   hclog.Logger
	stack *stack.Stack
	link  *ethlink.Endpoint
	wake  atomic.Pointer[func()]

	mu      sync.Mutex
	q       [][]byte // ring of frames for the guest
	head, n int
	closed  bool
	dropped uint64
	conns   map[io.Closer]struct{} // live relays, closed by Close

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	listeners []io.Closer
	fwds      []Forward
}

var (
	_ shim.NetDevice         = (*Device)(nil)
	_ shim.ChecksumOffloader = (*Device)(nil)
)

// New builds the network and opens every hostfwd listener. A listener that cannot
// be opened fails New as a whole (nothing stays open) with an error naming the forward.
func New(opts Options, log hclog.Logger) (*Device, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if opts.GuestMAC == ([6]byte{}) {
		opts.GuestMAC = DefaultGuestMAC
	}
	if opts.MTU == 0 {
		opts.MTU = DefaultMTU
	}
	if opts.MTU < 576 || opts.MTU > 65000 {
		return nil, fmt.Errorf("usernet: MTU %d out of range (want 576 to 65000)", opts.MTU)
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = DefaultQueueLen
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.UDPIdleTimeout <= 0 {
		opts.UDPIdleTimeout = DefaultUDPIdleTimeout
	}
	d := &Device{
		opts:  opts,
		log:   log,
		q:     make([][]byte, min(opts.QueueLen, initialQueueLen)),
		conns: make(map[io.Closer]struct{}),
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	if err := d.initStack(); err != nil {
		d.cancel()
		return nil, err
	}
	for _, f := range opts.Forwards {
		if err := d.listen(f); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

func (d *Device) initStack() error {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4},
	})
	d.stack = s
	sack := tcpip.TCPSACKEnabled(true)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack)
	mod := tcpip.TCPModerateReceiveBufferOption(true)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &mod)
	// No RACK: it walks the send queue on every ACK, and this link neither
	// reorders nor (normally) loses frames; SACK still drives fast retransmit.
	rec := tcpip.TCPRecovery(0)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &rec)

	d.link = ethlink.New(GatewayMAC, d.opts.MTU, d.enqueue)
	// Frames from the guest crossed no wire: skip verifying their checksums (an
	// mnet guest told ChecksumOffload leaves them unset). Frames to the guest
	// keep correct checksums, which any guest stack may verify.
	d.link.RXChecksumOffload = true
	fail := func(what string, err tcpip.Error) error {
		s.Destroy()
		return fmt.Errorf("usernet: %s: %s", what, err)
	}
	if err := s.CreateNIC(nicID, d.link); err != nil {
		return fail("create NIC", err)
	}
	gw := tcpip.AddrFrom4(GatewayIP.As4())
	if err := s.AddProtocolAddress(nicID, tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: gw, PrefixLen: Network.Bits()},
	}, stack.AddressProperties{}); err != nil {
		return fail("add gateway address", err)
	}
	// Promiscuous: accept packets for any destination (the guest's outbound
	// connections); spoofing: answer from those addresses.
	if err := s.SetPromiscuousMode(nicID, true); err != nil {
		return fail("promiscuous mode", err)
	}
	if err := s.SetSpoofing(nicID, true); err != nil {
		return fail("spoofing", err)
	}
	subnet, _ := tcpip.NewSubnet(tcpip.AddrFrom4(Network.Addr().As4()), tcpip.MaskFromBytes(net.CIDRMask(Network.Bits(), 32)))
	s.SetRouteTable([]tcpip.Route{{Destination: subnet, NIC: nicID}})
	if err := s.AddStaticNeighbor(nicID, ipv4.ProtocolNumber, tcpip.AddrFrom4(GuestIP.As4()), tcpip.LinkAddress(d.opts.GuestMAC[:])); err != nil {
		return fail("static neighbour", err)
	}
	tf := tcp.NewForwarder(s, 0, 256, d.guestTCP)
	s.SetTransportProtocolHandler(tcp.ProtocolNumber, tf.HandlePacket)
	uf := udp.NewForwarder(s, d.guestUDP)
	s.SetTransportProtocolHandler(udp.ProtocolNumber, uf.HandlePacket)
	return nil
}

// Forwards returns the forwards as actually opened: a host port 0 in Options is
// replaced by the port the OS picked. The order is that of Options.Forwards.
func (d *Device) Forwards() []Forward {
	return append([]Forward(nil), d.fwds...)
}

// Dropped returns how many frames for the guest were dropped because the queue was full.
func (d *Device) Dropped() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dropped
}

// SetWake implements shim.NetDevice.
func (d *Device) SetWake(wake func()) {
	d.wake.Store(&wake)
	if d.Readable() {
		wake()
	}
}

// MAC implements shim.NetDevice: the guest's MAC.
func (d *Device) MAC() [6]byte { return d.opts.GuestMAC }

// MTU implements shim.NetDevice.
func (d *Device) MTU() int { return d.opts.MTU }

// enqueue is the link endpoint's output: a frame from the gateway to the guest.
func (d *Device) enqueue(frame []byte) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	if d.n == len(d.q) {
		if len(d.q) == d.opts.QueueLen {
			d.dropped++
			d.mu.Unlock()
			return
		}
		d.grow()
	}
	d.q[(d.head+d.n)%len(d.q)] = frame
	d.n++
	d.mu.Unlock()
	if w := d.wake.Load(); w != nil {
		(*w)()
	}
}

// grow doubles the ring (up to QueueLen), keeping the frames in order. d.mu is held.
func (d *Device) grow() {
	q := make([][]byte, min(2*len(d.q), d.opts.QueueLen))
	for i := 0; i < d.n; i++ {
		q[i] = d.q[(d.head+i)%len(d.q)]
	}
	d.q, d.head = q, 0
}

// RecvFrame implements shim.NetDevice.
func (d *Device) RecvFrame(buf []byte) (int, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return 0, ErrClosed
	}
	if d.n == 0 {
		d.mu.Unlock()
		return 0, shim.ErrAgain
	}
	f := d.q[d.head]
	d.q[d.head] = nil
	d.head = (d.head + 1) % len(d.q)
	d.n--
	d.mu.Unlock()
	return copy(buf, f), nil
}

// SendFrame implements shim.NetDevice. The frame is copied before SendFrame returns.
func (d *Device) SendFrame(frame []byte) error {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if len(frame) < header.EthernetMinimumSize || len(frame) > d.opts.MTU+header.EthernetMinimumSize {
		return fmt.Errorf("usernet: frame of %d bytes (want %d to %d)", len(frame), header.EthernetMinimumSize, d.opts.MTU+header.EthernetMinimumSize)
	}
	d.link.Deliver(frame)
	return nil
}

// ChecksumOffload implements shim.ChecksumOffloader: frames from the guest cross no
// wire and their checksums are not verified (an app may leave them unset), and
// frames to the guest always carry correct checksums.
func (d *Device) ChecksumOffload() bool { return true }

// Readable implements shim.NetDevice.
func (d *Device) Readable() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n > 0 && !d.closed
}

// Writable implements shim.NetDevice: always true (SendFrame never blocks).
func (d *Device) Writable() bool { return true }

// Close stops the listeners and every relay, waits for their goroutines and tears
// the gateway stack down. It is safe to call more than once.
func (d *Device) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	conns := d.conns
	d.conns = map[io.Closer]struct{}{}
	for i := range d.q {
		d.q[i] = nil
	}
	d.n = 0
	d.mu.Unlock()

	d.cancel()
	for _, l := range d.listeners {
		l.Close()
	}
	for c := range conns {
		c.Close()
	}
	d.wg.Wait()
	d.stack.Destroy()
	return nil
}

// start runs fn on a tracked goroutine unless the device is closed.
func (d *Device) start(fn func()) bool {
	if !d.enter() {
		return false
	}
	go func() {
		defer d.wg.Done()
		fn()
	}()
	return true
}

// enter registers one more tracked goroutine (the caller's); false after Close.
func (d *Device) enter() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.wg.Add(1)
	return true
}

// track registers c to be closed by Close; false (and c closed) after Close.
func (d *Device) track(cs ...io.Closer) bool {
	d.mu.Lock()
	if !d.closed {
		for _, c := range cs {
			d.conns[c] = struct{}{}
		}
		d.mu.Unlock()
		return true
	}
	d.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
	return false
}

func (d *Device) untrack(cs ...io.Closer) {
	d.mu.Lock()
	for _, c := range cs {
		delete(d.conns, c)
	}
	d.mu.Unlock()
}

// listen opens the host side of one forward.
func (d *Device) listen(f Forward) error {
	addr := f.Host.String()
	var err error
	switch f.Proto {
	case "tcp":
		var l net.Listener
		l, err = net.Listen("tcp4", addr)
		if err == nil {
			d.listeners = append(d.listeners, l)
			f.Host = l.Addr().(*net.TCPAddr).AddrPort()
			f.Host = netip.AddrPortFrom(f.Host.Addr().Unmap(), f.Host.Port())
			d.fwds = append(d.fwds, f)
			d.start(func() { d.serveTCP(l, f) })
		}
	case "udp":
		var pc net.PacketConn
		pc, err = net.ListenPacket("udp4", addr)
		if err == nil {
			d.listeners = append(d.listeners, pc)
			f.Host = pc.LocalAddr().(*net.UDPAddr).AddrPort()
			f.Host = netip.AddrPortFrom(f.Host.Addr().Unmap(), f.Host.Port())
			d.fwds = append(d.fwds, f)
			d.start(func() { d.serveUDP(pc, f) })
		}
	default:
		return fmt.Errorf("usernet: hostfwd %s: unknown protocol %q (want tcp or udp)", f, f.Proto)
	}
	if err != nil {
		what := fmt.Sprintf("usernet: hostfwd %s:%s", f.Proto, addr)
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			return fmt.Errorf("%s: address already in use; pick another host port", what)
		case errors.Is(err, syscall.EADDRNOTAVAIL):
			return fmt.Errorf("%s: the host has no address %s; use 127.0.0.1 or one of the host's addresses", what, f.Host.Addr())
		case errors.Is(err, syscall.EACCES):
			return fmt.Errorf("%s: permission denied; ports below 1024 need root, pick a higher host port", what)
		}
		return fmt.Errorf("%s: %v", what, err)
	}
	d.log.Debug("hostfwd listening", "forward", f.String())
	return nil
}
