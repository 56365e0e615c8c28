package mnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// recorder wraps a FrameIO and keeps a copy of every frame written through it.
type recorder struct {
	FrameIO
	mu     sync.Mutex
	frames [][]byte
}

func (r *recorder) WriteFrame(f []byte) error {
	r.mu.Lock()
	r.frames = append(r.frames, append([]byte(nil), f...))
	r.mu.Unlock()
	return r.FrameIO.WriteFrame(f)
}

func (r *recorder) sent() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.frames...)
}

// pair builds two stacks, 10.0.2.15 (a) and 10.0.2.2 (b), joined by a Pipe.
func pair(t *testing.T) (a, b *Stack, ra, rb *recorder) {
	t.Helper()
	da, db := Pipe()
	ra, rb = &recorder{FrameIO: da}, &recorder{FrameIO: db}
	var err error
	a, err = New(Config{
		MAC:     net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56},
		Addr:    netip.MustParsePrefix("10.0.2.15/24"),
		Gateway: netip.MustParseAddr("10.0.2.2"),
		Device:  ra,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err = New(Config{
		MAC:    net.HardwareAddr{0x52, 0x55, 0x0a, 0, 2, 2},
		MTU:    1500,
		Addr:   netip.MustParsePrefix("10.0.2.2/24"),
		Device: rb,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	return a, b, ra, rb
}

func TestHTTPBetweenStacks(t *testing.T) {
	a, b, _, _ := pair(t)
	ln, err := a.Listen("tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.URL.Query().Get("who")+" from "+r.RemoteAddr)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	client := &http.Client{
		Transport: &http.Transport{DialContext: b.DialContext},
		Timeout:   5 * time.Second,
	}
	resp, err := client.Get("http://10.0.2.15/x?who=b")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := string(body); !strings.HasPrefix(got, "hello b from 10.0.2.2:") {
		t.Fatalf("body %q", got)
	}
}

func TestTCPEcho1MiB(t *testing.T) {
	a, b, _, _ := pair(t)
	ln, err := b.Listen("tcp4", "10.0.2.2:7")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if got := ln.Addr().String(); got != "10.0.2.2:7" {
		t.Fatalf("listener addr %s", got)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()
	c, err := a.Dial("tcp", "10.0.2.2:7")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	data := make([]byte, 1<<20)
	rand.Read(data)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		if err == nil {
			err = c.(interface{ CloseWrite() error }).CloseWrite()
		}
		errc <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("echo mismatch: got %d bytes, want %d", len(got), len(data))
	}
}

func TestUDPRoundTrip(t *testing.T) {
	a, b, _, _ := pair(t)
	pc, err := a.ListenPacket("udp", ":53")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(append([]byte("re:"), buf[:n]...), from)
		}
	}()
	c, err := b.Dial("udp", "10.0.2.15:53")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	for i, msg := range []string{"one", "two", strings.Repeat("x", 1400)} {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2048)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if string(buf[:n]) != "re:"+msg {
			t.Fatalf("datagram %d: got %q", i, buf[:n])
		}
	}
}

// arpFrames returns the ARP frames (ethertype 0x0806) among frames as
// (operation, target IP) pairs.
func arpFrames(frames [][]byte) (ops []uint16, targets []netip.Addr) {
	for _, f := range frames {
		if len(f) < 42 || binary.BigEndian.Uint16(f[12:14]) != 0x0806 {
			continue
		}
		ops = append(ops, binary.BigEndian.Uint16(f[20:22]))
		targets = append(targets, netip.AddrFrom4([4]byte(f[38:42])))
	}
	return ops, targets
}

func TestARPResolution(t *testing.T) {
	a, b, ra, rb := pair(t)
	ln, err := b.Listen("tcp", ":9")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := a.Dial("tcp", "10.0.2.2:9")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()

	ops, targets := arpFrames(ra.sent())
	if len(ops) == 0 || ops[0] != 1 || targets[0] != netip.MustParseAddr("10.0.2.2") {
		t.Fatalf("a's first ARP frame: ops %v targets %v, want a request for 10.0.2.2", ops, targets)
	}
	ops, targets = arpFrames(rb.sent())
	if len(ops) == 0 || ops[0] != 2 || targets[0] != netip.MustParseAddr("10.0.2.15") {
		t.Fatalf("b's first ARP frame: ops %v targets %v, want a reply to 10.0.2.15", ops, targets)
	}
	neigh, terr := a.s.Neighbors(nicID, ipv4.ProtocolNumber)
	if terr != nil {
		t.Fatal(terr)
	}
	found := false
	for _, n := range neigh {
		if n.Addr == tcpip.AddrFrom4([4]byte{10, 0, 2, 2}) {
			found = n.LinkAddr == tcpip.LinkAddress([]byte{0x52, 0x55, 0x0a, 0, 2, 2})
		}
	}
	if !found {
		t.Fatalf("a's neighbour table lacks 10.0.2.2 -> b's MAC: %v", neigh)
	}
}

func TestOffLinkGoesViaGateway(t *testing.T) {
	a, _, ra, _ := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := a.DialContext(ctx, "tcp", "192.0.2.1:80")
	if err == nil {
		t.Fatal("dial to an unreachable host succeeded")
	}
	_, targets := arpFrames(ra.sent())
	if len(targets) == 0 || targets[0] != netip.MustParseAddr("10.0.2.2") {
		t.Fatalf("ARP targets %v: want the gateway 10.0.2.2", targets)
	}
	for _, tg := range targets {
		if tg == netip.MustParseAddr("192.0.2.1") {
			t.Fatal("stack ARPed for an off-link address instead of the gateway")
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	a, _, _, _ := pair(t)
	_, err := a.Dial("tcp", "10.0.2.2:1234")
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("dial to a closed port: err = %v, want connection refused", err)
	}
}

func TestBadAddresses(t *testing.T) {
	a, _, _, _ := pair(t)
	cases := []struct{ network, addr, want string }{
		{"tcp", "example.com:80", "no DNS"},
		{"tcp", "10.0.2.2", "host:port"},
		{"tcp", "10.0.2.2:99999", "port"},
		{"tcp", ":80", "host address is required"},
		{"tcp", "[::1]:80", "only IPv4"},
		{"unix", "/x", "unsupported network"},
	}
	for _, c := range cases {
		_, err := a.Dial(c.network, c.addr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Dial(%q, %q) = %v, want error containing %q", c.network, c.addr, err, c.want)
		}
	}
	if _, err := a.Listen("udp", ":1"); err == nil || !strings.Contains(err.Error(), "unsupported network") {
		t.Errorf("Listen(udp) = %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("MWASM_NET0_MAC", "52:54:00:12:34:56")
	t.Setenv("MWASM_NET0_MTU", "1400")
	t.Setenv("MWASM_NET0_IPV4", "10.0.2.15/24")
	t.Setenv("MWASM_NET0_GATEWAY", "10.0.2.2")
	c, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.MAC.String() != "52:54:00:12:34:56" || c.MTU != 1400 || c.Addr.String() != "10.0.2.15/24" || c.Gateway.String() != "10.0.2.2" {
		t.Fatalf("config %+v", c)
	}
	for _, bad := range []struct{ name, val string }{
		{"MWASM_NET0_MTU", "huge"},
		{"MWASM_NET0_IPV4", "10.0.2.15"},
		{"MWASM_NET0_GATEWAY", "gw"},
		{"MWASM_NET0_MAC", "52:54"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			t.Setenv(bad.name, bad.val)
			_, err := ConfigFromEnv()
			if err == nil || !strings.Contains(err.Error(), bad.name) || !strings.Contains(err.Error(), "malformed") {
				t.Fatalf("%s=%q: err = %v", bad.name, bad.val, err)
			}
		})
	}
}

func TestNoDevice(t *testing.T) {
	// t.Setenv registers the restore; Unsetenv then makes the variable absent.
	t.Setenv("MWASM_NET0_MAC", "")
	os.Unsetenv("MWASM_NET0_MAC")
	if _, err := ConfigFromEnv(); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("err = %v, want ErrNoDevice", err)
	}
	// Built natively, an app without the shim's device runs on the host's
	// network: the package-level Listen is a real host listener.
	ln, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("package-level Listen on the host: %v", err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dialing the host listener: %v", err)
	}
	c.Close()
	if !strings.Contains(ErrNoDevice.Error(), "--net user") {
		t.Fatalf("ErrNoDevice does not say how to fix it: %v", ErrNoDevice)
	}
	// Outside wasip1 there is no /dev/net0.
	_, err = New(Config{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Addr: netip.MustParsePrefix("10.0.2.15/24")})
	if !errors.Is(err, ErrNoDevice) {
		t.Fatalf("New without a device: err = %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	d1, _ := Pipe()
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{MAC: net.HardwareAddr{1, 0, 0, 0, 0, 1}, Addr: netip.MustParsePrefix("10.0.2.15/24"), Device: d1}, "unicast"},
		{Config{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, MTU: 20, Addr: netip.MustParsePrefix("10.0.2.15/24"), Device: d1}, "MTU"},
		{Config{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Addr: netip.MustParsePrefix("::1/64"), Device: d1}, "Addr"},
	}
	for _, c := range cases {
		if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want error containing %q", c.cfg, err, c.want)
		}
	}
}

// tcpChecksums counts the TCP segments among frames whose checksum is right and wrong.
func tcpChecksums(frames [][]byte) (good, bad int) {
	for _, f := range frames {
		if len(f) < 14+header.IPv4MinimumSize || binary.BigEndian.Uint16(f[12:14]) != 0x0800 {
			continue
		}
		ip := header.IPv4(f[14:])
		if ip.Protocol() != uint8(header.TCPProtocolNumber) || int(ip.TotalLength()) > len(f)-14 {
			continue
		}
		tcp := header.TCP(ip.Payload())
		xsum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), uint16(len(tcp)))
		if checksum.Checksum(tcp, xsum) == 0xffff {
			good++
		} else {
			bad++
		}
	}
	return good, bad
}

// echoOnce dials b from a, echoes data through b and checks it comes back.
func echoOnce(t *testing.T, a, b *Stack, data []byte) {
	t.Helper()
	ln, err := b.Listen("tcp", ":7")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()
	c, err := a.Dial("tcp", "10.0.2.2:7")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		c.Write(data)
		c.(interface{ CloseWrite() error }).CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("echo: %d bytes back (want %d), err %v", len(got), len(data), err)
	}
}

// TestChecksumOffload: with Config.ChecksumOffload the stack leaves TCP checksums
// unset (and does not verify them), without it every segment has a right one.
func TestChecksumOffload(t *testing.T) {
	data := make([]byte, 64<<10)
	rand.Read(data)
	for _, offload := range []bool{false, true} {
		da, db := Pipe()
		ra, rb := &recorder{FrameIO: da}, &recorder{FrameIO: db}
		a, err := New(Config{MAC: net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56}, Addr: netip.MustParsePrefix("10.0.2.15/24"), Device: ra, ChecksumOffload: offload})
		if err != nil {
			t.Fatal(err)
		}
		b, err := New(Config{MAC: net.HardwareAddr{0x52, 0x55, 0x0a, 0, 2, 2}, Addr: netip.MustParsePrefix("10.0.2.2/24"), Device: rb, ChecksumOffload: offload})
		if err != nil {
			t.Fatal(err)
		}
		echoOnce(t, a, b, data)
		a.Close()
		b.Close()
		good, bad := tcpChecksums(append(ra.sent(), rb.sent()...))
		switch {
		case good+bad < 40:
			t.Errorf("offload %v: only %d TCP segments recorded", offload, good+bad)
		case !offload && bad != 0:
			t.Errorf("without offload: %d of %d TCP segments have a wrong checksum", bad, good+bad)
		case offload && good > bad/10:
			t.Errorf("with offload: %d of %d TCP segments have a computed checksum", good, good+bad)
		}
	}
}

func TestConfigFromEnvOffload(t *testing.T) {
	t.Setenv("MWASM_NET0_MAC", "52:54:00:12:34:56")
	t.Setenv("MWASM_NET0_IPV4", "10.0.2.15/24")
	t.Setenv("MWASM_NET0_OFFLOAD", "")
	os.Unsetenv("MWASM_NET0_OFFLOAD")
	if c, err := ConfigFromEnv(); err != nil || c.ChecksumOffload {
		t.Fatalf("without MWASM_NET0_OFFLOAD: offload %v, err %v", c.ChecksumOffload, err)
	}
	t.Setenv("MWASM_NET0_OFFLOAD", "csum")
	if c, err := ConfigFromEnv(); err != nil || !c.ChecksumOffload {
		t.Fatalf("MWASM_NET0_OFFLOAD=csum: offload %v, err %v", c.ChecksumOffload, err)
	}
	t.Setenv("MWASM_NET0_OFFLOAD", "tso")
	if _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "MWASM_NET0_OFFLOAD") {
		t.Fatalf("MWASM_NET0_OFFLOAD=tso: err %v", err)
	}
}
