package tap_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/hosted/tap"
	"github.com/mwasm/mwasm/shim/hosted/usernet/usernettest"
)

func TestParseSpec(t *testing.T) {
	o, err := tap.ParseSpec("tap,ifname=tap0,ip=192.168.77.2/24,gw=192.168.77.1,mac=52:54:00:aa:bb:cc")
	if err != nil {
		t.Fatal(err)
	}
	want := tap.Options{
		IfName:  "tap0",
		IPv4:    netip.MustParsePrefix("192.168.77.2/24"),
		Gateway: netip.MustParseAddr("192.168.77.1"),
		MAC:     [6]byte{0x52, 0x54, 0, 0xaa, 0xbb, 0xcc},
	}
	if o != want {
		t.Fatalf("ParseSpec = %+v, want %+v", o, want)
	}
	o, err = tap.ParseSpec("tap,ifname=t1")
	if err != nil || o.IfName != "t1" || o.IPv4.IsValid() || o.Gateway.IsValid() || o.MAC != ([6]byte{}) {
		t.Fatalf("ParseSpec(tap,ifname=t1) = %+v, %v", o, err)
	}
	bad := []struct{ spec, want string }{
		{"user", `must start with "tap"`},
		{"tap", `names no interface`},
		{"tap,ifname=", `bad interface name ""`},
		{"tap,ifname=a/b", `bad interface name "a/b"`},
		{"tap,ifname=waytoolonginterfacename", `bad interface name`},
		{"tap,ifname=tap0,ip=192.168.77.2", `bad ip "192.168.77.2"`},
		{"tap,ifname=tap0,ip=fe80::1/64", `bad ip`},
		{"tap,ifname=tap0,ip=10.0.0.2/24,gw=10.0.1.1", `gw 10.0.1.1 is outside ip 10.0.0.2/24`},
		{"tap,ifname=tap0,gw=10.0.1.1", `gw=10.0.1.1 given without ip=`},
		{"tap,ifname=tap0,gw=x", `bad gw "x"`},
		{"tap,ifname=tap0,mac=1:2", `bad mac "1:2"`},
		{"tap,ifname=tap0,mac=ff:ff:ff:ff:ff:ff", `multicast`},
		{"tap,ifname=tap0,vhost=on", `unknown option "vhost"`},
		{"tap,ifname", `"ifname" is not key=value`},
	}
	for _, b := range bad {
		_, err := tap.ParseSpec(b.spec)
		if err == nil || !strings.Contains(err.Error(), b.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseSpec(%q) = %v, want one line containing %q", b.spec, err, b.want)
		}
	}
}

// needTAP skips unless the test can create TAP interfaces.
func needTAP(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: creating a TAP interface needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipping: the ip command (iproute2) is not installed")
	}
	if _, err := os.Stat(tap.TunPath); err != nil {
		t.Skipf("skipping: %v", err)
	}
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// makeTAP creates a persistent TAP interface with hostAddr on the host side, up,
// and deletes it at cleanup.
func makeTAP(t *testing.T, hostAddr string) string {
	t.Helper()
	needTAP(t)
	name := fmt.Sprintf("mwt%d%s", os.Getpid()%100000, strings.ToLower(t.Name()[4:6]))
	if out, err := exec.Command("ip", "tuntap", "add", "dev", name, "mode", "tap").CombinedOutput(); err != nil {
		t.Skipf("skipping: cannot create a TAP interface here: ip tuntap add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", name).Run() })
	ipCmd(t, "addr", "add", hostAddr, "dev", name)
	ipCmd(t, "link", "set", name, "up")
	return name
}

func arpRequest(srcMAC [6]byte, src, target netip.Addr) []byte {
	f := make([]byte, 42)
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:12], srcMAC[:])
	f[12], f[13] = 0x08, 0x06
	copy(f[14:22], []byte{0, 1, 8, 0, 6, 4, 0, 1})
	copy(f[22:28], srcMAC[:])
	s4, t4 := src.As4(), target.As4()
	copy(f[28:32], s4[:])
	copy(f[38:42], t4[:])
	return f
}

func TestARPReplyFromKernel(t *testing.T) {
	name := makeTAP(t, "192.168.231.1/24")
	dev, err := tap.Open(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if dev.MTU() != 1500 || dev.MAC() != tap.DefaultMAC {
		t.Fatalf("MTU, MAC = %d, %x", dev.MTU(), dev.MAC())
	}
	wakes := make(chan struct{}, 1)
	dev.SetWake(func() {
		select {
		case wakes <- struct{}{}:
		default:
		}
	})
	me, host := netip.MustParseAddr("192.168.231.2"), netip.MustParseAddr("192.168.231.1")
	if !dev.Writable() {
		t.Fatal("a fresh TAP device is not writable")
	}
	if err := dev.SendFrame(arpRequest(dev.MAC(), me, host)); err != nil {
		t.Fatal(err)
	}
	// Right after attach the kernel drops what it sends until its link watcher has
	// activated the interface's queue (up to a second), so ask again as a stack would.
	resend := time.NewTicker(200 * time.Millisecond)
	defer resend.Stop()
	buf := make([]byte, 2048)
	deadline := time.After(5 * time.Second)
	for {
		n, err := dev.RecvFrame(buf)
		if errors.Is(err, shim.ErrAgain) {
			if dev.Readable() {
				t.Fatal("Readable() but RecvFrame says ErrAgain")
			}
			select {
			case <-wakes:
				continue
			case <-resend.C:
				if err := dev.SendFrame(arpRequest(dev.MAC(), me, host)); err != nil {
					t.Fatal(err)
				}
				continue
			case <-deadline:
				t.Fatal("no ARP reply from the kernel within 5 s")
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		f := buf[:n]
		mac := dev.MAC()
		// Skip the kernel's IPv6 chatter; wait for an ARP reply to us.
		if n >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 && bytes.Equal(f[0:6], mac[:]) {
			h4, m4 := host.As4(), me.As4()
			if !bytes.Equal(f[28:32], h4[:]) || !bytes.Equal(f[38:42], m4[:]) {
				t.Fatalf("ARP reply has the wrong addresses: % x", f)
			}
			ifi, err := net.InterfaceByName(name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f[22:28], ifi.HardwareAddr) {
				t.Fatalf("ARP reply gives MAC % x, want the interface's % x", f[22:28], ifi.HardwareAddr)
			}
			return
		}
	}
}

// TestGuestTCPOverTAP runs a guest stack on the TAP device and talks TCP with a
// host socket on the interface's address.
func TestGuestTCPOverTAP(t *testing.T) {
	name := makeTAP(t, "192.168.232.1/24")
	opts, err := tap.ParseSpec("tap,ifname=" + name + ",ip=192.168.232.2/24,gw=192.168.232.1")
	if err != nil {
		t.Fatal(err)
	}
	dev, err := tap.OpenOptions(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	g, err := usernettest.New(dev, opts.IPv4, opts.Gateway)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	l, err := net.Listen("tcp4", "192.168.232.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	data := make([]byte, 256<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	c, err := g.DialTCP(ctx, netip.AddrPortFrom(opts.Gateway, port))
	if err != nil {
		t.Fatalf("guest dial over TAP: %v", err)
	}
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case b := <-got:
		if !bytes.Equal(b, data) {
			t.Fatalf("host received %d bytes, want the %d sent", len(b), len(data))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("host did not receive the data within 10 s")
	}
}

func TestOpenErrors(t *testing.T) {
	name := makeTAP(t, "192.168.233.1/24")
	dev, err := tap.Open(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	// A second attach to the same interface is refused while the first holds it.
	if d2, err := tap.Open(name, nil); err == nil {
		d2.Close()
		t.Fatal("second Open of the same interface succeeded")
	} else if !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second Open: %v", err)
	}
	// An existing interface that is not a TAP.
	if d3, err := tap.Open("lo", nil); err == nil {
		d3.Close()
		t.Fatal("Open(lo) succeeded")
	} else if !strings.Contains(err.Error(), "not a TAP interface") {
		t.Fatalf("Open(lo): %v", err)
	}
	if _, err := tap.Open("bad/name", nil); err == nil || !strings.Contains(err.Error(), "bad interface name") {
		t.Fatalf("Open(bad/name): %v", err)
	}
	// After Close the device reports ErrClosed and the interface can be attached again.
	dev.Close()
	if _, err := dev.RecvFrame(make([]byte, 100)); !errors.Is(err, tap.ErrClosed) {
		t.Fatalf("RecvFrame after Close: %v", err)
	}
	d4, err := tap.Open(name, nil)
	if err != nil {
		t.Fatalf("re-Open after Close: %v", err)
	}
	d4.Close()
}
