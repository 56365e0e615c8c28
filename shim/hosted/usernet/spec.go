package usernet

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The fixed addresses of the user-mode network (the same as QEMU's defaults).
var (
	Network   = netip.MustParsePrefix("10.0.2.0/24")
	GatewayIP = netip.MustParseAddr("10.0.2.2")  // the host side; answers ARP and ping
	GuestIP   = netip.MustParseAddr("10.0.2.15") // the app
	// GuestPrefix is the address and prefix the app is told to use.
	GuestPrefix = netip.PrefixFrom(GuestIP, Network.Bits())
	// DefaultHostAddr is the host address a hostfwd listens on when the spec leaves it
	// empty. QEMU listens on every address; we listen on loopback only, so that an
	// app under `mwasm run` is not reachable from the network unless asked for.
	DefaultHostAddr = netip.MustParseAddr("127.0.0.1")
)

// DefaultGuestMAC is the app's MAC unless Options.GuestMAC says otherwise (QEMU's default).
var DefaultGuestMAC = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

// GatewayMAC is the MAC of the host side (10.0.2.2), like QEMU's 52:55:0a:00:02:02.
var GatewayMAC = [6]byte{0x52, 0x55, 0x0a, 0x00, 0x02, 0x02}

// Defaults used for zero Options fields.
const (
	DefaultMTU            = 1500
	DefaultQueueLen       = 16384
	DefaultDialTimeout    = 10 * time.Second
	DefaultUDPIdleTimeout = 60 * time.Second
)

// Forward is one host-to-guest port forward (QEMU's hostfwd).
type Forward struct {
	Proto string         // "tcp" or "udp"
	Host  netip.AddrPort // where the host listens; port 0 = any free port
	Guest netip.AddrPort // where the guest is dialed
}

// String gives the forward in hostfwd syntax, e.g. "tcp:127.0.0.1:8080-10.0.2.15:80".
func (f Forward) String() string {
	return fmt.Sprintf("%s:%s:%d-%s:%d", f.Proto, f.Host.Addr(), f.Host.Port(), f.Guest.Addr(), f.Guest.Port())
}

// Options configure a Device. The zero value is a valid network with no forwards.
type Options struct {
	Forwards []Forward
	GuestMAC [6]byte // zero: DefaultGuestMAC
	MTU      int     // IP MTU; zero: DefaultMTU

	// Restrict limits guest-initiated connections to the gateway 10.0.2.2 (which
	// reaches the host's loopback). When false (QEMU's default, restrict=off), TCP
	// and UDP to addresses outside 10.0.2.0/24 are also relayed through host
	// sockets, so the app can reach whatever the host can.
	Restrict bool

	QueueLen       int           // frames waiting for the guest; zero: DefaultQueueLen
	DialTimeout    time.Duration // connecting to guest or host; zero: DefaultDialTimeout
	UDPIdleTimeout time.Duration // forget a UDP flow after this long; zero: DefaultUDPIdleTimeout
}

const specForm = "user[,hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport]...[,mac=52:54:00:12:34:56][,mtu=1500][,restrict=on|off]"
const hostfwdForm = "hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport"

// ParseSpec parses the value of the --net flag for the user-mode network, in QEMU's
// -netdev syntax:
//
//	user[,hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport]...[,mac=MAC][,mtu=N][,restrict=on|off]
//
// An empty proto means tcp, an empty hostaddr means 127.0.0.1 (QEMU: every
// address), an empty guestaddr means 10.0.2.15. hostport 0 asks for any free port
// (see Device.Forwards). mac, mtu and restrict are extensions of ours (QEMU sets the
// MAC on -device).
func ParseSpec(s string) (Options, error) {
	var o Options
	parts := strings.Split(s, ",")
	if parts[0] != "user" {
		return o, fmt.Errorf("usernet: spec %q must start with \"user\" (want %s)", s, specForm)
	}
	for _, p := range parts[1:] {
		key, val, ok := strings.Cut(p, "=")
		if !ok {
			return o, fmt.Errorf("usernet: option %q is not key=value (want %s)", p, specForm)
		}
		switch key {
		case "hostfwd":
			f, err := parseHostfwd(val)
			if err != nil {
				return o, err
			}
			o.Forwards = append(o.Forwards, f)
		case "mac":
			hw, err := net.ParseMAC(val)
			if err != nil || len(hw) != 6 {
				return o, fmt.Errorf("usernet: bad mac %q (want six hex bytes like 52:54:00:12:34:56)", val)
			}
			if hw[0]&1 != 0 {
				return o, fmt.Errorf("usernet: mac %q is a multicast address (the low bit of the first byte must be 0)", val)
			}
			copy(o.GuestMAC[:], hw)
		case "mtu":
			n, err := strconv.Atoi(val)
			if err != nil || n < 576 || n > 65000 {
				return o, fmt.Errorf("usernet: bad mtu %q (want a number from 576 to 65000)", val)
			}
			o.MTU = n
		case "restrict":
			switch val {
			case "on", "yes", "y":
				o.Restrict = true
			case "off", "no", "n":
				o.Restrict = false
			default:
				return o, fmt.Errorf("usernet: bad restrict %q (want on or off)", val)
			}
		default:
			return o, fmt.Errorf("usernet: unknown option %q (want %s)", key, specForm)
		}
	}
	return o, nil
}

// parseHostfwd parses "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport".
func parseHostfwd(v string) (Forward, error) {
	bad := func(what string, args ...any) error {
		return fmt.Errorf("usernet: hostfwd %q: %s (want %s)", v, fmt.Sprintf(what, args...), hostfwdForm)
	}
	var f Forward
	proto, rest, ok := strings.Cut(v, ":")
	if !ok {
		return f, bad("missing ':' after the protocol")
	}
	switch proto {
	case "", "tcp":
		f.Proto = "tcp"
	case "udp":
		f.Proto = "udp"
	default:
		return f, bad("unknown protocol %q", proto)
	}
	host, guest, ok := strings.Cut(rest, "-")
	if !ok {
		return f, bad("missing '-' between the host and the guest side")
	}
	hostAddr, hostPort, err := splitAddrPort(host, DefaultHostAddr, true)
	if err != nil {
		return f, bad("host side: %v", err)
	}
	guestAddr, guestPort, err := splitAddrPort(guest, GuestIP, false)
	if err != nil {
		return f, bad("guest side: %v", err)
	}
	if !Network.Contains(guestAddr) || guestAddr == GatewayIP || guestAddr == Network.Addr() {
		return f, bad("guest address %s is not a guest address in %s", guestAddr, Network)
	}
	f.Host = netip.AddrPortFrom(hostAddr, hostPort)
	f.Guest = netip.AddrPortFrom(guestAddr, guestPort)
	return f, nil
}

func splitAddrPort(s string, def netip.Addr, zeroOK bool) (netip.Addr, uint16, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.Addr{}, 0, fmt.Errorf("%q has no ':' before the port", s)
	}
	as, ps := s[:i], s[i+1:]
	addr := def
	if as != "" {
		a, err := netip.ParseAddr(as)
		if err != nil || !a.Is4() {
			return netip.Addr{}, 0, fmt.Errorf("bad address %q (want an IPv4 address or nothing)", as)
		}
		addr = a
	}
	p, err := strconv.ParseUint(ps, 10, 16)
	if err != nil || (p == 0 && !zeroOK) {
		min := 1
		if zeroOK {
			min = 0
		}
		return netip.Addr{}, 0, fmt.Errorf("bad port %q (want %d to 65535)", ps, min)
	}
	return addr, uint16(p), nil
}
