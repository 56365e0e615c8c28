package usernet

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

func fullAddr(ap netip.AddrPort) tcpip.FullAddress {
	return tcpip.FullAddress{NIC: nicID, Addr: tcpip.AddrFrom4(ap.Addr().As4()), Port: ap.Port()}
}

// serveTCP accepts host connections for one TCP forward.
func (d *Device) serveTCP(l net.Listener, f Forward) {
	for {
		hc, err := l.Accept()
		if err != nil {
			if d.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				d.log.Warn("hostfwd accept failed", "forward", f.String(), "error", err)
			}
			return
		}
		if !d.track(hc) {
			return
		}
		if !d.start(func() { d.forwardTCP(hc, f) }) {
			hc.Close()
			return
		}
	}
}

// forwardTCP dials the guest for one accepted host connection and splices them.
func (d *Device) forwardTCP(hc net.Conn, f Forward) {
	ctx, cancel := context.WithTimeout(d.ctx, d.opts.DialTimeout)
	gc, err := gonet.DialContextTCP(ctx, d.stack, fullAddr(f.Guest), ipv4.ProtocolNumber)
	cancel()
	if err != nil {
		d.log.Debug("hostfwd: guest did not accept", "forward", f.String(), "peer", hc.RemoteAddr().String(), "error", err)
		hc.Close()
		d.untrack(hc)
		return
	}
	if !d.track(gc) {
		hc.Close()
		return
	}
	d.splice(hc.(*net.TCPConn), gc)
}

// halfConn is a stream connection whose sending half can be shut down on its own.
type halfConn interface {
	net.Conn
	CloseWrite() error
}

// splice copies a to b and b to a until both directions end. A clean end of one
// direction (EOF) is passed on as a half-close; an error in either direction
// closes both connections. Both are closed and untracked on return.
func (d *Device) splice(a, b halfConn) {
	var wg sync.WaitGroup
	var once sync.Once
	abort := func() { once.Do(func() { a.Close(); b.Close() }) }
	pipe := func(dst, src halfConn) {
		defer wg.Done()
		buf := make([]byte, 64<<10)
		if _, err := io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, buf); err != nil {
			abort()
			return
		}
		dst.CloseWrite()
	}
	wg.Add(2)
	go pipe(a, b)
	pipe(b, a)
	wg.Wait()
	abort()
	d.untrack(a, b)
}

// udpFlow is one UDP conversation relayed between two datagram sockets.
type udpFlow struct {
	last atomic.Int64 // unix nanoseconds of the last datagram either way
}

func (u *udpFlow) touch() { u.last.Store(time.Now().UnixNano()) }

// idle reports whether the flow has been quiet for at least t.
func (u *udpFlow) idle(t time.Duration) bool {
	return time.Since(time.Unix(0, u.last.Load())) >= t
}

// pump reads datagrams from src with read deadlines of one idle timeout and hands
// them to send, until src fails or the flow has been idle for the timeout.
func (d *Device) pump(u *udpFlow, src net.Conn, send func([]byte) error) {
	buf := make([]byte, 65535)
	for {
		src.SetReadDeadline(time.Now().Add(d.opts.UDPIdleTimeout))
		n, err := src.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err) {
				if !u.idle(d.opts.UDPIdleTimeout) {
					continue
				}
			}
			return
		}
		u.touch()
		if err := send(buf[:n]); err != nil && !isTemporary(err) {
			return
		}
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// isTemporary tells write errors that do not end a UDP flow (e.g. ICMP port
// unreachable reported as ECONNREFUSED on a connected socket).
func isTemporary(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) {
		return !errors.Is(err, net.ErrClosed)
	}
	return false
}

// serveUDP relays datagrams for one UDP forward, one gateway socket per host peer.
func (d *Device) serveUDP(pc net.PacketConn, f Forward) {
	type peer struct {
		flow udpFlow
		gc   *gonet.UDPConn
	}
	var mu sync.Mutex
	peers := map[netip.AddrPort]*peer{}
	buf := make([]byte, 65535)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if d.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				d.log.Warn("hostfwd read failed", "forward", f.String(), "error", err)
			}
			break
		}
		from := addr.(*net.UDPAddr).AddrPort()
		mu.Lock()
		p := peers[from]
		mu.Unlock()
		if p == nil {
			ga := fullAddr(f.Guest)
			gc, err := gonet.DialUDP(d.stack, nil, &ga, ipv4.ProtocolNumber)
			if err != nil {
				d.log.Warn("hostfwd: cannot open a gateway UDP socket", "forward", f.String(), "error", err)
				continue
			}
			if !d.track(gc) {
				break
			}
			p = &peer{gc: gc}
			p.flow.touch()
			mu.Lock()
			peers[from] = p
			mu.Unlock()
			ok := d.start(func() {
				d.pump(&p.flow, gc, func(b []byte) error {
					_, err := pc.WriteTo(b, net.UDPAddrFromAddrPort(from))
					return err
				})
				mu.Lock()
				if peers[from] == p {
					delete(peers, from)
				}
				mu.Unlock()
				gc.Close()
				d.untrack(gc)
			})
			if !ok {
				break
			}
		}
		p.flow.touch()
		p.gc.Write(buf[:n])
	}
	mu.Lock()
	for _, p := range peers {
		p.gc.Close()
	}
	mu.Unlock()
}

// target maps a destination the guest asked for to a host address, or reports
// that the connection must be refused.
func (d *Device) target(addr tcpip.Address, port uint16) (netip.AddrPort, bool) {
	a := netip.AddrFrom4(addr.As4())
	switch {
	case a == GatewayIP:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port), true
	case Network.Contains(a), d.opts.Restrict, !a.IsGlobalUnicast():
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, port), true
}

// guestTCP handles a SYN from the guest (gVisor calls it on its own goroutine).
func (d *Device) guestTCP(r *tcp.ForwarderRequest) {
	id := r.ID()
	to, ok := d.target(id.LocalAddress, id.LocalPort)
	if !ok || !d.enter() {
		r.Complete(true)
		return
	}
	defer d.wg.Done()
	ctx, cancel := context.WithTimeout(d.ctx, d.opts.DialTimeout)
	var dialer net.Dialer
	c, err := dialer.DialContext(ctx, "tcp4", to.String())
	cancel()
	if err != nil {
		d.log.Debug("guest connection refused", "to", to.String(), "error", err)
		r.Complete(true)
		return
	}
	hc := c.(*net.TCPConn)
	var wq waiter.Queue
	ep, terr := r.CreateEndpoint(&wq)
	r.Complete(false)
	if terr != nil {
		hc.Close()
		return
	}
	gc := gonet.NewTCPConn(&wq, ep)
	if !d.track(hc, gc) {
		return
	}
	d.splice(hc, gc)
}

// guestUDP handles the first datagram of a new flow from the guest.
func (d *Device) guestUDP(r *udp.ForwarderRequest) bool {
	id := r.ID()
	to, ok := d.target(id.LocalAddress, id.LocalPort)
	if !ok {
		return false
	}
	hc, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(to))
	if err != nil {
		d.log.Debug("guest UDP flow refused", "to", to.String(), "error", err)
		return false
	}
	var wq waiter.Queue
	ep, terr := r.CreateEndpoint(&wq)
	if terr != nil {
		hc.Close()
		return false
	}
	gc := gonet.NewUDPConn(&wq, ep)
	if !d.track(hc, gc) {
		return true
	}
	u := &udpFlow{}
	u.touch()
	var once sync.Once
	end := func() {
		once.Do(func() {
			hc.Close()
			gc.Close()
			d.untrack(hc, gc)
		})
	}
	started := d.start(func() {
		defer end()
		d.pump(u, gc, func(b []byte) error { _, err := hc.Write(b); return err })
	})
	if started {
		started = d.start(func() {
			defer end()
			d.pump(u, hc, func(b []byte) error { _, err := gc.Write(b); return err })
		})
	}
	if !started {
		end()
	}
	return true
}
