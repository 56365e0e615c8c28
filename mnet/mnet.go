// Package mnet gives Go apps running under mwasm real TCP and UDP sockets
// (net.Listener, net.Conn, net.PacketConn) over the raw Ethernet device /dev/net0.
//
// mwasm's ABI has no sockets: the image has a network card, /dev/net0, which
// carries one Ethernet frame per fd_read/fd_write (see abi/README.md). The TCP/IP
// stack is therefore a library linked into the app, the MirageOS way: mnet runs
// gVisor's netstack (gvisor.dev/gvisor/pkg/tcpip: IPv4, ARP, TCP, UDP) inside the
// app and adapts it to the device and to the net package's interfaces.
//
// Typical use, with the stack configured from the environment the shim sets
// (MWASM_NET0_MAC, MWASM_NET0_MTU, MWASM_NET0_IPV4, MWASM_NET0_GATEWAY; without
// MWASM_NET0_IPV4 the address and gateway come from DHCP, dhcp.go; and
// MWASM_NET0_OFFLOAD=csum on the hosted user-mode network, where frames cross no
// wire and the stack skips computing and verifying checksums):
//
//	ln, err := mnet.Listen("tcp", ":80")
//	http.Serve(ln, handler)
//
// and for clients mnet.Dial / mnet.DialContext (usable as an http.Transport's
// DialContext) and mnet.ListenPacket("udp", ":53"). Only IPv4 literals are
// accepted as addresses: there is no DNS resolver.
//
// How it works: the device is opened non-blocking and handed to os.NewFile, so Go's
// own netpoller (runtime/netpoll_wasip1.go) parks a reading goroutine on a
// poll_oneoff FD_READ subscription until a frame arrives. One goroutine per stack
// reads frames and delivers them into the stack; outgoing frames are written
// synchronously by whichever goroutine produced them. There is no goroutine per
// packet or per connection beyond what gVisor itself uses.
//
// Frame I/O is the small FrameIO interface: the /dev/net0 implementation exists only
// for GOOS=wasip1 (OpenDevice), and Pipe gives a connected in-memory pair so that
// two stacks can talk to each other in ordinary native tests (New with
// Config.Device).
package mnet

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/mwasm/mwasm/abi"
)

// Config describes one network interface.
type Config struct {
	MAC     net.HardwareAddr // 6 bytes, unicast
	MTU     int              // IP MTU (a frame is at most MTU+14 bytes); 0 means 1500
	Addr    netip.Prefix     // the interface's IPv4 address and prefix, e.g. 10.0.2.15/24
	Gateway netip.Addr       // default route; the zero Addr means none (on-link only)
	Device  FrameIO          // nil: OpenDevice() (/dev/net0)

	// ChecksumOffload: the device needs no IPv4/TCP/UDP checksums on the frames
	// it is given and delivers only frames with correct ones, so the stack
	// neither computes nor verifies them. ConfigFromEnv sets it when the shim
	// says so (MWASM_NET0_OFFLOAD=csum, only for the hosted user-mode network);
	// never set it for a device on a real wire (TAP, Xen).
	ChecksumOffload bool
}

// Stack is one TCP/IP stack bound to one network device.
type Stack struct {
	host bool // the host's own network (an app built natively: Host)
	s    *stack.Stack
	link *link
	addr netip.Prefix
	gw   netip.Addr
}

const nicID tcpip.NICID = 1

// ErrNoDevice is returned (wrapped) when the app has no network device.
var ErrNoDevice = errors.New("mnet: no network device: run with --net user,... (see mwasm run --help)")

// ConfigFromEnv builds a Config from the environment variables the shim sets when
// the image has /dev/net0. Device is left nil (New opens /dev/net0).
func ConfigFromEnv() (Config, error) {
	var c Config
	macStr, ok := os.LookupEnv(abi.EnvNet0MAC)
	if !ok {
		return c, ErrNoDevice
	}
	mac, err := net.ParseMAC(macStr)
	if err != nil || len(mac) != 6 {
		return c, envError(abi.EnvNet0MAC, macStr, "a MAC address like 52:54:00:12:34:56")
	}
	c.MAC = mac
	if s := os.Getenv(abi.EnvNet0MTU); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 68 || n > 65535 {
			return c, envError(abi.EnvNet0MTU, s, "an integer from 68 to 65535")
		}
		c.MTU = n
	}
	switch s := os.Getenv(abi.EnvNet0Offload); s {
	case "":
	case "csum":
		c.ChecksumOffload = true
	default:
		return c, envError(abi.EnvNet0Offload, s, `"csum" or nothing`)
	}
	// No address: New asks DHCP.
	if s := os.Getenv(abi.EnvNet0IPv4); s != "" {
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().Is4() {
			return c, envError(abi.EnvNet0IPv4, s, "an IPv4 address with prefix length like 10.0.2.15/24")
		}
		c.Addr = p
	}
	if s := os.Getenv(abi.EnvNet0Gateway); s != "" {
		g, err := netip.ParseAddr(s)
		if err != nil || !g.Is4() {
			return c, envError(abi.EnvNet0Gateway, s, "an IPv4 address like 10.0.2.2")
		}
		c.Gateway = g
	}
	return c, nil
}

func envError(name, val, want string) error {
	return errors.New("mnet: environment variable " + name + "=" + strconv.Quote(val) +
		" is malformed: want " + want + " (it is set by the shim; see abi/README.md)")
}

// New creates a stack for cfg and starts reading frames from its device.
func New(cfg Config) (*Stack, error) {
	if len(cfg.MAC) != 6 || cfg.MAC[0]&1 != 0 {
		return nil, errors.New("mnet: Config.MAC " + strconv.Quote(cfg.MAC.String()) + " is not a 6-byte unicast MAC address")
	}
	if cfg.MTU == 0 {
		cfg.MTU = 1500
	}
	if cfg.MTU < 68 || cfg.MTU > 65535 {
		return nil, errors.New("mnet: Config.MTU " + strconv.Itoa(cfg.MTU) + " is out of range (68..65535)")
	}
	if cfg.Addr.IsValid() && !cfg.Addr.Addr().Is4() {
		return nil, errors.New("mnet: Config.Addr must be an IPv4 prefix like 10.0.2.15/24")
	}
	if cfg.Gateway.IsValid() && !cfg.Gateway.Is4() {
		return nil, errors.New("mnet: Config.Gateway must be an IPv4 address")
	}
	dev := cfg.Device
	if dev == nil {
		var err error
		if dev, err = OpenDevice(); err != nil {
			return nil, err
		}
	}
	if !cfg.Addr.IsValid() {
		// No address given: DHCP on the raw device, which then goes on as
		// the stack's device (dhcp.go).
		var mac [6]byte
		copy(mac[:], cfg.MAC)
		cd := newChanDevice(dev, cfg.MTU)
		xid := binary.BigEndian.Uint32(mac[2:]) ^ uint32(time.Now().UnixNano())
		l, err := dhcp(cd, mac, xid, DHCPTimeout)
		if err != nil {
			dev.Close()
			return nil, err
		}
		cfg.Addr = l.addr
		if !cfg.Gateway.IsValid() {
			cfg.Gateway = l.gateway
		}
		dev = cd
	}

	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
	})
	// Let TCP grow its windows with the bandwidth-delay product; SACK helps with
	// drops on a lossy user-mode network.
	sack := tcpip.TCPSACKEnabled(true)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack)
	// No RACK loss detection: it walks the whole send queue on every ACK, which
	// under Wasm cost more than anything else in TCP's receive path; SACK and
	// duplicate ACKs still drive fast retransmit.
	rec := tcpip.TCPRecovery(0)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &rec)

	l := newLink(dev, uint32(cfg.MTU), tcpip.LinkAddress(cfg.MAC))
	l.csumOffload = cfg.ChecksumOffload
	if err := s.CreateNIC(nicID, l); err != nil {
		dev.Close()
		return nil, errors.New("mnet: creating NIC: " + err.String())
	}
	local := tcpip.AddrFrom4(cfg.Addr.Addr().As4())
	pa := tcpip.ProtocolAddress{
		Protocol: ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{
			Address:   local,
			PrefixLen: cfg.Addr.Bits(),
		},
	}
	if err := s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
		s.Close()
		dev.Close()
		return nil, errors.New("mnet: adding address " + cfg.Addr.String() + ": " + err.String())
	}
	routes := []tcpip.Route{{Destination: pa.AddressWithPrefix.Subnet(), NIC: nicID}}
	if cfg.Gateway.IsValid() {
		routes = append(routes, tcpip.Route{
			Destination: header.IPv4EmptySubnet,
			Gateway:     tcpip.AddrFrom4(cfg.Gateway.As4()),
			NIC:         nicID,
		})
	}
	s.SetRouteTable(routes)
	return &Stack{s: s, link: l, addr: cfg.Addr, gw: cfg.Gateway}, nil
}

// Addr returns the interface's IPv4 address and prefix.
func (st *Stack) Addr() netip.Prefix { return st.addr }

// Gateway returns the default gateway (the zero Addr if none).
func (st *Stack) Gateway() netip.Addr { return st.gw }

// Close closes the device and shuts the stack down; all its connections fail.
func (st *Stack) Close() error {
	if st.host {
		return nil
	}
	err := st.link.dev.Close()
	st.s.Close()
	<-st.link.done
	st.s.Wait()
	return err
}

// parseAddr parses "host:port" where host is empty, an IPv4 literal, or 0.0.0.0.
func parseAddr(op, network, addr string, needHost bool) (tcpip.FullAddress, error) {
	var fa tcpip.FullAddress
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return fa, addrError(op, network, addr, "want host:port, e.g. 10.0.2.2:80 or :80")
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return fa, addrError(op, network, addr, "the port must be a number from 0 to 65535")
	}
	fa.Port = uint16(port)
	if host == "" {
		if needHost {
			return fa, addrError(op, network, addr, "a host address is required")
		}
		return fa, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fa, addrError(op, network, addr, "the host must be an IPv4 address (mnet has no DNS resolver)")
	}
	ip = ip.Unmap()
	if !ip.Is4() {
		return fa, addrError(op, network, addr, "only IPv4 is supported")
	}
	if !ip.IsUnspecified() {
		fa.Addr = tcpip.AddrFrom4(ip.As4())
	} else if needHost {
		return fa, addrError(op, network, addr, "cannot connect to 0.0.0.0")
	}
	return fa, nil
}

func addrError(op, network, addr, why string) error {
	return &net.OpError{Op: op, Net: network, Err: errors.New("address " + strconv.Quote(addr) + ": " + why)}
}

func networkError(op, network string) error {
	return &net.OpError{Op: op, Net: network, Err: errors.New("unsupported network " + strconv.Quote(network) + " (mnet supports tcp, tcp4, udp, udp4)")}
}

// Listen announces on the local address: network "tcp" or "tcp4", addr like ":80"
// or "10.0.2.15:80".
func (st *Stack) Listen(network, addr string) (net.Listener, error) {
	if st.host {
		return net.Listen(network, addr)
	}
	if network != "tcp" && network != "tcp4" {
		return nil, networkError("listen", network)
	}
	fa, err := parseAddr("listen", network, addr, false)
	if err != nil {
		return nil, err
	}
	return gonet.ListenTCP(st.s, fa, ipv4.ProtocolNumber)
}

// ListenPacket opens a UDP socket bound to the local address: network "udp" or
// "udp4", addr like ":53". The returned conn is a *gonet.UDPConn.
func (st *Stack) ListenPacket(network, addr string) (net.PacketConn, error) {
	if st.host {
		return net.ListenPacket(network, addr)
	}
	if network != "udp" && network != "udp4" {
		return nil, networkError("listen", network)
	}
	fa, err := parseAddr("listen", network, addr, false)
	if err != nil {
		return nil, err
	}
	return gonet.DialUDP(st.s, &fa, nil, ipv4.ProtocolNumber)
}

// Dial connects to addr ("10.0.2.2:80") over "tcp"/"tcp4" or "udp"/"udp4".
func (st *Stack) Dial(network, addr string) (net.Conn, error) {
	return st.DialContext(context.Background(), network, addr)
}

// DialContext is Dial with a context that bounds connection setup; it has the
// signature of http.Transport's DialContext field.
func (st *Stack) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if st.host {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	switch network {
	case "tcp", "tcp4":
		fa, err := parseAddr("dial", network, addr, true)
		if err != nil {
			return nil, err
		}
		return gonet.DialContextTCP(ctx, st.s, fa, ipv4.ProtocolNumber)
	case "udp", "udp4":
		fa, err := parseAddr("dial", network, addr, true)
		if err != nil {
			return nil, err
		}
		return gonet.DialUDP(st.s, nil, &fa, ipv4.ProtocolNumber)
	}
	return nil, networkError("dial", network)
}

var (
	defaultOnce  sync.Once
	defaultStack *Stack
	defaultErr   error
)

// Default returns the process-wide stack configured from the environment
// (ConfigFromEnv) over /dev/net0, creating it on first use. An app built
// natively (not GOOS=wasip1) and started without the shim's MWASM_NET0_MAC
// gets Host instead: the same source then runs on the host's own network (the
// Linux guest of bench/cmd/xenbench is such a run).
func Default() (*Stack, error) {
	defaultOnce.Do(func() {
		cfg, err := ConfigFromEnv()
		if errors.Is(err, ErrNoDevice) && hostFallback {
			defaultStack, defaultErr = Host(), nil
			return
		}
		if err != nil {
			defaultErr = err
			return
		}
		defaultStack, defaultErr = New(cfg)
	})
	return defaultStack, defaultErr
}

// Listen is Default().Listen.
func Listen(network, addr string) (net.Listener, error) {
	st, err := Default()
	if err != nil {
		return nil, err
	}
	return st.Listen(network, addr)
}

// ListenPacket is Default().ListenPacket.
func ListenPacket(network, addr string) (net.PacketConn, error) {
	st, err := Default()
	if err != nil {
		return nil, err
	}
	return st.ListenPacket(network, addr)
}

// Dial is Default().Dial.
func Dial(network, addr string) (net.Conn, error) {
	st, err := Default()
	if err != nil {
		return nil, err
	}
	return st.Dial(network, addr)
}

// DialContext is Default().DialContext.
func DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	st, err := Default()
	if err != nil {
		return nil, err
	}
	return st.DialContext(ctx, network, addr)
}

// Host is a Stack over the host's own network (the net package), for an app
// built natively: Listen, ListenPacket and Dial are the net package's, Addr
// the first IPv4 address of a non-loopback interface that is up.
func Host() *Stack {
	st := &Stack{host: true}
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		as, _ := i.Addrs()
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				ip, _ := netip.AddrFromSlice(n.IP.To4())
				bits, _ := n.Mask.Size()
				st.addr = netip.PrefixFrom(ip, bits)
				return st
			}
		}
	}
	return st
}
