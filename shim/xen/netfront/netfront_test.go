package netfront_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/xen/netfront"
	"github.com/mwasm/mwasm/shim/xen/xenfake"
)

func start(t *testing.T) (*netfront.Device, *xenfake.Netback, *xenfake.Env) {
	t.Helper()
	env := xenfake.NewEnv()
	nb := xenfake.NewNetback(env, "00:16:3e:01:02:03")
	d, err := netfront.Start(env)
	if err != nil {
		t.Fatal(err)
	}
	if !nb.Connected {
		t.Fatal("the backend never connected")
	}
	return d, nb, env
}

func frame(n int, seed byte) []byte {
	f := make([]byte, n)
	for i := range f {
		f[i] = seed + byte(i)
	}
	return f
}

func TestHandshake(t *testing.T) {
	d, _, env := start(t)
	if d.MAC() != [6]byte{0, 0x16, 0x3e, 1, 2, 3} || d.MTU() != 1500 {
		t.Errorf("MAC %x MTU %d", d.MAC(), d.MTU())
	}
	tr := env.St.Tree
	for k, want := range map[string]string{"request-rx-copy": "1", "feature-rx-notify": "1", "feature-no-csum-offload": "1", "feature-sg": "0", "state": "4"} {
		if got := tr["/local/domain/1/device/vif/0/"+k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	// The rings and buffers are granted to the backend, transmit buffers read-only.
	ro, rw := 0, 0
	for _, g := range env.Grants {
		if g.Dom != 0 {
			t.Errorf("a grant to domain %d", g.Dom)
		}
		if g.RO {
			ro++
		} else {
			rw++
		}
	}
	if ro != 128 || rw != 128+2 {
		t.Errorf("%d read-only and %d writable grants", ro, rw)
	}
}

func TestSendAndReceive(t *testing.T) {
	d, nb, env := start(t)
	var sent [][]byte
	for i := 0; i < 500; i++ { // more than the 128 buffers: they are reused
		f := frame(60+i%1400, byte(i))
		for {
			if err := d.SendFrame(f); err == nil {
				break
			} else if !errors.Is(err, shim.ErrAgain) {
				t.Fatal(err)
			}
			env.Wait(^uint64(0))
		}
		sent = append(sent, f)
	}
	env.Notify(0)
	if len(nb.Sent) != len(sent) {
		t.Fatalf("backend got %d frames, want %d", len(nb.Sent), len(sent))
	}
	for i := range sent {
		if !bytes.Equal(nb.Sent[i], sent[i]) {
			t.Fatalf("frame %d differs", i)
		}
	}
	var got [][]byte
	for i := 0; i < 300; i++ {
		nb.Inject(frame(100+i, byte(i*3)))
	}
	buf := make([]byte, 1514)
	for len(got) < 300 {
		if !d.Readable() {
			env.Wait(^uint64(0))
			continue
		}
		n, err := d.RecvFrame(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, append([]byte(nil), buf[:n]...))
	}
	for i := range got {
		if !bytes.Equal(got[i], frame(100+i, byte(i*3))) {
			t.Fatalf("received frame %d differs", i)
		}
	}
	if _, err := d.RecvFrame(buf); !errors.Is(err, shim.ErrAgain) {
		t.Errorf("an empty ring: %v, want ErrAgain", err)
	}
}

func TestTransmitBackpressure(t *testing.T) {
	d, nb, env := start(t)
	nb.HoldTx = true
	n := 0
	for d.SendFrame(frame(100, 1)) == nil {
		n++
	}
	if n != 128 || d.Writable() {
		t.Fatalf("%d frames queued before ErrAgain, writable %v", n, d.Writable())
	}
	nb.HoldTx = false
	env.Wait(^uint64(0))
	if !d.Writable() || len(nb.Sent) != 128 {
		t.Errorf("after the backend caught up: writable %v, %d sent", d.Writable(), len(nb.Sent))
	}
}

// A frame whose checksum was left to offload hardware (csum_blank) comes out
// with a correct TCP checksum.
func TestChecksumCompleted(t *testing.T) {
	d, nb, env := start(t)
	nb.RxCsum = true
	f := tcpFrame()
	want := append([]byte(nil), f...)
	f[14+20+16], f[14+20+17] = 0, 0
	nb.Inject(f)
	env.Wait(^uint64(0))
	buf := make([]byte, 1514)
	n, err := d.RecvFrame(buf)
	if err != nil || !bytes.Equal(buf[:n], want) {
		t.Fatalf("got %x (%v), want %x", buf[:n], err, want)
	}
}

// tcpFrame is an IPv4/TCP frame with a correct checksum (10.0.0.1:1000 ->
// 10.0.0.2:80, SYN, 4 bytes of data).
func tcpFrame() []byte {
	f := make([]byte, 14+20+20+4)
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], 44)
	ip[8], ip[9] = 64, 6
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], 1000)
	binary.BigEndian.PutUint16(tcp[2:], 80)
	tcp[12] = 5 << 4
	tcp[13] = 2
	copy(tcp[20:], "data")
	sum := uint32(0)
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
	}
	add(ip[12:20])
	sum += 6 + 24
	add(tcp)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(tcp[16:], ^uint16(sum))
	return f
}

// A hostile backend kills the device (a console line, errors from then on)
// and never makes the frontend touch memory outside its buffers.
func TestHostileBackend(t *testing.T) {
	for name, spoil := range map[string]func(*xenfake.Netback){
		"unknown id":     func(nb *xenfake.Netback) { nb.BadRxID = true },
		"bad rsp_prod":   func(nb *xenfake.Netback) { nb.BadRspProd = true },
		"beyond a page":  func(nb *xenfake.Netback) { nb.BadLen = true },
		"backend closes": func(nb *xenfake.Netback) { nb.Close() },
	} {
		d, nb, env := start(t)
		spoil(nb)
		nb.Inject(frame(80, 1))
		env.Wait(^uint64(0))
		buf := make([]byte, 1514)
		var err error
		for i := 0; i < 3; i++ {
			_, err = d.RecvFrame(buf)
		}
		var dead *netfront.ErrDead
		if !errors.As(err, &dead) {
			t.Errorf("%s: RecvFrame = %v, want the device dead", name, err)
		}
		if err := d.SendFrame(frame(60, 2)); !errors.As(err, &dead) {
			t.Errorf("%s: SendFrame on a dead device = %v", name, err)
		}
		if len(env.Logs) != 1 || !strings.Contains(env.Logs[0], "mwasm: net0: ") || !strings.Contains(env.Logs[0], "the device is dead") {
			t.Errorf("%s: console %q", name, env.Logs)
		}
	}
}

func TestNoDevice(t *testing.T) {
	if _, err := netfront.Start(xenfake.NewEnv()); err == nil {
		t.Fatal("Start without a vif succeeded")
	}
}
