package usernet

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	ap := netip.MustParseAddrPort
	good := []struct {
		spec string
		fwds []Forward
		mac  [6]byte
		mtu  int
		rest bool
	}{
		{spec: "user"},
		{spec: "user,hostfwd=tcp:127.0.0.1:8080-:80", fwds: []Forward{{"tcp", ap("127.0.0.1:8080"), ap("10.0.2.15:80")}}},
		{spec: "user,hostfwd=::8080-:80", fwds: []Forward{{"tcp", ap("127.0.0.1:8080"), ap("10.0.2.15:80")}}},
		{spec: "user,hostfwd=udp::5353-:53,hostfwd=tcp:0.0.0.0:0-10.0.2.20:22",
			fwds: []Forward{{"udp", ap("127.0.0.1:5353"), ap("10.0.2.15:53")}, {"tcp", ap("0.0.0.0:0"), ap("10.0.2.20:22")}}},
		{spec: "user,mac=52:54:00:aa:bb:cc,mtu=9000,restrict=on", mac: [6]byte{0x52, 0x54, 0, 0xaa, 0xbb, 0xcc}, mtu: 9000, rest: true},
	}
	for _, g := range good {
		o, err := ParseSpec(g.spec)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", g.spec, err)
			continue
		}
		if len(o.Forwards) != len(g.fwds) {
			t.Errorf("ParseSpec(%q): %d forwards, want %d", g.spec, len(o.Forwards), len(g.fwds))
			continue
		}
		for i := range g.fwds {
			if o.Forwards[i] != g.fwds[i] {
				t.Errorf("ParseSpec(%q): forward %d = %v, want %v", g.spec, i, o.Forwards[i], g.fwds[i])
			}
		}
		if o.GuestMAC != g.mac || o.MTU != g.mtu || o.Restrict != g.rest {
			t.Errorf("ParseSpec(%q) = mac %x mtu %d restrict %v, want %x %d %v", g.spec, o.GuestMAC, o.MTU, o.Restrict, g.mac, g.mtu, g.rest)
		}
	}
	if s := (Forward{"udp", ap("127.0.0.1:5353"), ap("10.0.2.15:53")}).String(); s != "udp:127.0.0.1:5353-10.0.2.15:53" {
		t.Errorf("Forward.String() = %q", s)
	}

	bad := []struct{ spec, want string }{
		{"", `must start with "user"`},
		{"tap,ifname=tap0", `must start with "user"`},
		{"user,hostfwd", `"hostfwd" is not key=value`},
		{"user,bogus=1", `unknown option "bogus"`},
		{"user,hostfwd=sctp::1-:2", `unknown protocol "sctp"`},
		{"user,hostfwd=tcp", `missing ':' after the protocol`},
		{"user,hostfwd=tcp::8080", `missing '-'`},
		{"user,hostfwd=tcp:8080-:80", `host side: "8080" has no ':'`},
		{"user,hostfwd=tcp:localhost:8080-:80", `bad address "localhost"`},
		{"user,hostfwd=tcp:::1:8080-:80", `bad address "::1"`},
		{"user,hostfwd=tcp::99999-:80", `bad port "99999"`},
		{"user,hostfwd=tcp::80-:0", `guest side: bad port "0" (want 1 to 65535)`},
		{"user,hostfwd=tcp::80-:x", `bad port "x"`},
		{"user,hostfwd=tcp::80-192.168.1.1:80", `guest address 192.168.1.1 is not a guest address`},
		{"user,hostfwd=tcp::80-10.0.2.2:80", `guest address 10.0.2.2 is not a guest address`},
		{"user,mac=zz", `bad mac "zz"`},
		{"user,mac=01:00:5e:00:00:01", `multicast`},
		{"user,mtu=10", `bad mtu "10"`},
		{"user,restrict=maybe", `bad restrict "maybe"`},
	}
	for _, b := range bad {
		_, err := ParseSpec(b.spec)
		if err == nil {
			t.Errorf("ParseSpec(%q) succeeded, want error containing %q", b.spec, b.want)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, b.want) {
			t.Errorf("ParseSpec(%q) = %q, want it to contain %q", b.spec, msg, b.want)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("ParseSpec(%q) error has several lines: %q", b.spec, msg)
		}
		if strings.Contains(b.spec, "hostfwd=") && !strings.Contains(msg, "want hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport") {
			t.Errorf("ParseSpec(%q) = %q, want the expected form in it", b.spec, msg)
		}
	}
}
