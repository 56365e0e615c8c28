package mnet

import (
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// dhcpServer answers DISCOVER with an OFFER of 10.0.9.50/24 (router 10.0.9.1)
// and REQUEST with an ACK, then returns.
func dhcpServer(t *testing.T, dev FrameIO, done chan<- struct{}) {
	defer close(done)
	buf := make([]byte, 1600)
	for {
		n, err := dev.ReadFrame(buf)
		if err != nil {
			return
		}
		f := buf[:n]
		if len(f) < 14+20+8+240 || f[14+9] != 17 || binary.BigEndian.Uint16(f[14+20+2:]) != 67 {
			continue
		}
		req := f[14+20+8:]
		xid := binary.BigEndian.Uint32(req[4:])
		typ := byte(0)
		for o := req[240:]; len(o) >= 2 && o[0] != 255; o = o[2+int(o[1]):] {
			if o[0] == 53 {
				typ = o[2]
			}
		}
		reply := byte(2)
		if typ == 3 {
			reply = 5
		}
		// Build the reply from the client's own frame layout (dhcpFrame), turned round.
		var mac [6]byte
		copy(mac[:], req[28:34])
		out := dhcpFrame(mac, xid, reply, [4]byte{}, [4]byte{})
		b := out[14+20+8:]
		b[0] = 2
		copy(b[16:], []byte{10, 0, 9, 50})
		opts := []byte{99, 130, 83, 99, 53, 1, reply, 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 9, 1, 54, 4, 10, 0, 9, 1, 255}
		copy(b[236:], opts)
		binary.BigEndian.PutUint16(out[14+20:], 67)
		binary.BigEndian.PutUint16(out[14+20+2:], 68)
		if err := dev.WriteFrame(out); err != nil {
			t.Error(err)
			return
		}
		if reply == 5 {
			return
		}
	}
}

func TestDHCP(t *testing.T) {
	da, db := Pipe()
	done := make(chan struct{})
	go dhcpServer(t, db, done)
	a, err := New(Config{MAC: net.HardwareAddr{0x52, 0x54, 0, 1, 2, 3}, Device: da})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	<-done
	if a.Addr() != netip.MustParsePrefix("10.0.9.50/24") || a.gw != netip.MustParseAddr("10.0.9.1") {
		t.Fatalf("DHCP gave %v via %v", a.Addr(), a.gw)
	}
	// The device went on to the stack: a server on it answers another stack.
	b, err := New(Config{MAC: net.HardwareAddr{0x52, 0x54, 0, 9, 9, 9}, Addr: netip.MustParsePrefix("10.0.9.1/24"), Device: db})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ln, err := a.Listen("tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "leased") }))
	cl := &http.Client{Transport: &http.Transport{DialContext: b.DialContext}, Timeout: 5 * time.Second}
	resp, err := cl.Get("http://10.0.9.50/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "leased" {
		t.Fatalf("body %q", body)
	}
}

func TestDHCPNoServer(t *testing.T) {
	old := DHCPTimeout
	DHCPTimeout = 1500 * time.Millisecond
	defer func() { DHCPTimeout = old }()
	da, _ := Pipe()
	_, err := New(Config{MAC: net.HardwareAddr{0x52, 0x54, 0, 1, 2, 3}, Device: da})
	if err == nil || !strings.Contains(err.Error(), "no DHCP server answered") || !strings.Contains(err.Error(), "--net vif,ip=") {
		t.Fatalf("err = %v", err)
	}
}
