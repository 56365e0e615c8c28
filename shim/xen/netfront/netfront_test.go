package netfront_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/abi"
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
	for k, want := range map[string]string{"request-rx-copy": "1", "feature-rx-notify": "1", "feature-no-csum-offload": "0", "feature-sg": "1", "feature-gso-tcpv4": "1", "state": "4"} {
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
func tcpFrame() []byte { return tcpSegment([]byte("data"), 2) }

// tcpSegment is an IPv4/TCP frame carrying payload with TCP flags, sequence
// number 1000, IP id 7, correct checksums.
func tcpSegment(payload []byte, flags byte) []byte {
	f := make([]byte, 14+20+20+len(payload))
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(40+len(payload)))
	binary.BigEndian.PutUint16(ip[4:], 7)
	ip[8], ip[9] = 64, 6
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	binary.BigEndian.PutUint16(ip[10:], ^fold(words(0, ip[:20])))
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], 1000)
	binary.BigEndian.PutUint16(tcp[2:], 80)
	binary.BigEndian.PutUint32(tcp[4:], 1000)
	tcp[12] = 5 << 4
	tcp[13] = flags
	copy(tcp[20:], payload)
	binary.BigEndian.PutUint16(tcp[16:], ^fold(words(pseudo(f), tcp)))
	return f
}

func words(s uint32, b []byte) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// pseudo is the pseudo-header sum of an IPv4 TCP frame.
func pseudo(f []byte) uint32 {
	ip := f[14:]
	return words(0, ip[12:20]) + 6 + uint32(binary.BigEndian.Uint16(ip[2:])) - 20
}

// checkSegment reports what is wrong with an IPv4 TCP frame's lengths and
// checksums ("" if nothing).
func checkSegment(f []byte) string {
	if len(f) < 54 {
		return "too short"
	}
	ip := f[14:]
	if int(binary.BigEndian.Uint16(ip[2:])) != len(ip) {
		return "IP total length " + strconv.Itoa(int(binary.BigEndian.Uint16(ip[2:]))) + " in a " + strconv.Itoa(len(ip)) + "-byte packet"
	}
	if fold(words(0, ip[:20])) != 0xffff {
		return "bad IP header checksum"
	}
	if fold(words(pseudo(f), ip[20:])) != 0xffff {
		return "bad TCP checksum"
	}
	return ""
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

func payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return p
}

// A large segment from the backend (several slots, a GSO extra slot, a
// partial checksum) reaches a /dev/net0v reader whole with its header, and a
// /dev/net0 reader as MTU-sized segments with complete checksums whose
// payloads add up to the original.
func TestLargeReceive(t *testing.T) {
	const n, mss = 20000, 1448
	big := tcpSegment(payload(n), 0x18|0x01) // PSH ACK FIN
	partial := append([]byte(nil), big...)
	binary.BigEndian.PutUint16(partial[14+20+16:], fold(pseudo(big))) // what a partial checksum holds
	for _, slot := range []int{4096, 2000} {
		d, nb, env := start(t)
		nb.RxSlot = slot
		nb.InjectGSO(partial, 2|1, mss) // csum_blank, data_validated
		nb.InjectGSO(partial, 2|1, mss)
		env.Wait(^uint64(0))
		if !d.Readable() {
			t.Fatal("not readable with a packet on the ring")
		}
		buf := make([]byte, abi.VnetHdrLen+abi.VnetMaxFrame)
		k, err := d.RecvVnet(buf)
		if err != nil {
			t.Fatal(err)
		}
		h := buf[:abi.VnetHdrLen]
		if h[0] != abi.VnetFlagNeedsCsum || h[1] != abi.VnetGSOTCPv4 || binary.LittleEndian.Uint16(h[2:]) != 54 ||
			binary.LittleEndian.Uint16(h[4:]) != mss || binary.LittleEndian.Uint16(h[6:]) != 34 || binary.LittleEndian.Uint16(h[8:]) != 16 {
			t.Errorf("slot %d: header %x", slot, h)
		}
		if !bytes.Equal(buf[abi.VnetHdrLen:k], partial) {
			t.Errorf("slot %d: the packet differs (%d bytes, want %d)", slot, k-abi.VnetHdrLen, len(partial))
		}
		// The same packet through /dev/net0.
		var data []byte
		fb := make([]byte, 1514)
		segs := 0
		for {
			k, err := d.RecvFrame(fb)
			if errors.Is(err, shim.ErrAgain) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			f := fb[:k]
			if why := checkSegment(f); why != "" {
				t.Fatalf("slot %d: segment %d: %s", slot, segs, why)
			}
			if seq := binary.BigEndian.Uint32(f[14+20+4:]); seq != uint32(1000+len(data)) {
				t.Errorf("segment %d: seq %d, want %d", segs, seq, 1000+len(data))
			}
			if id := binary.BigEndian.Uint16(f[14+4:]); id != uint16(7+segs) {
				t.Errorf("segment %d: IP id %d", segs, id)
			}
			last := len(data)+k-54 == n
			if fin := f[14+20+13]&0x09 != 0; fin != last {
				t.Errorf("segment %d: FIN/PSH %v, last %v", segs, fin, last)
			}
			data = append(data, f[54:]...)
			segs++
		}
		if segs != (n+mss-1)/mss || !bytes.Equal(data, payload(n)) {
			t.Errorf("slot %d: %d segments carrying %d bytes", slot, segs, len(data))
		}
	}
}

// A large segment with a partial checksum goes to a GSO backend as one packet
// (csum_blank, a GSO extra slot), and to a backend without GSO cut into
// MTU-sized segments with complete checksums.
func TestLargeSend(t *testing.T) {
	const n, mss = 30000, 1448
	big := tcpSegment(payload(n), 0x18)
	binary.BigEndian.PutUint16(big[14+20+16:], fold(pseudo(big)))
	hdr := make([]byte, abi.VnetHdrLen)
	hdr[0], hdr[1] = abi.VnetFlagNeedsCsum, abi.VnetGSOTCPv4
	binary.LittleEndian.PutUint16(hdr[2:], 54)
	binary.LittleEndian.PutUint16(hdr[4:], mss)
	binary.LittleEndian.PutUint16(hdr[6:], 34)
	binary.LittleEndian.PutUint16(hdr[8:], 16)
	pkt := append(append([]byte(nil), hdr...), big...)

	d, nb, env := start(t)
	if err := d.SendVnet(append([]byte(nil), pkt...)); err != nil {
		t.Fatal(err)
	}
	env.Notify(0)
	if len(nb.Sent) != 1 || !bytes.Equal(nb.Sent[0], big) || nb.SentGSO[0] != mss || nb.SentFlags[0]&3 != 3 {
		t.Fatalf("GSO backend: %d packets, gso %v, flags %v", len(nb.Sent), nb.SentGSO, nb.SentFlags)
	}

	env = xenfake.NewEnv()
	nb = xenfake.NewNetback(env, "00:16:3e:01:02:03")
	nb.NoGSO()
	d, err := netfront.Start(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SendVnet(append([]byte(nil), pkt...)); err != nil {
		t.Fatal(err)
	}
	env.Notify(0)
	var data []byte
	for i, f := range nb.Sent {
		if why := checkSegment(f); why != "" || len(f) > 1514 || nb.SentGSO[i] != 0 {
			t.Fatalf("segment %d (%d bytes, gso %d): %s", i, len(f), nb.SentGSO[i], why)
		}
		data = append(data, f[54:]...)
	}
	if len(nb.Sent) != (n+mss-1)/mss || !bytes.Equal(data, payload(n)) {
		t.Errorf("no-GSO backend: %d segments carrying %d bytes", len(nb.Sent), len(data))
	}
}

// A partial checksum on a small frame is left to netback (csum_blank); one
// without NEEDS_CSUM goes as it is.
func TestSendChecksumOffload(t *testing.T) {
	d, nb, env := start(t)
	f := tcpFrame()
	want := append([]byte(nil), f...)
	binary.BigEndian.PutUint16(f[14+20+16:], fold(pseudo(f)))
	hdr := []byte{abi.VnetFlagNeedsCsum, 0, 0, 0, 0, 0, 34, 0, 16, 0}
	if err := d.SendVnet(append(hdr, f...)); err != nil {
		t.Fatal(err)
	}
	if err := d.SendVnet(append(make([]byte, abi.VnetHdrLen), want...)); err != nil {
		t.Fatal(err)
	}
	env.Notify(0)
	if len(nb.Sent) != 2 || nb.SentFlags[0]&1 == 0 || nb.SentFlags[1] != 0 || !bytes.Equal(nb.Sent[1], want) {
		t.Errorf("flags %v", nb.SentFlags)
	}
}

// Malformed /dev/net0v writes are refused with ErrBadVnet; nothing is sent.
func TestBadVnetWrites(t *testing.T) {
	d, nb, env := start(t)
	f := tcpFrame()
	h := func(b ...byte) []byte { return append(append(make([]byte, 0, 10), b...), make([]byte, 10-len(b))...) }
	long := make([]byte, 3000)
	copy(long, f)
	for name, pkt := range map[string][]byte{
		"short":              h(0)[:9],
		"unknown flags":      append(h(4), f...),
		"unknown GSO type":   append(h(0, 3), f...),
		"checksum outside":   append(h(1, 0, 0, 0, 0, 0, 0xff, 0xff, 16, 0), f...),
		"GSO on non-TCP":     append(h(0, 1, 0, 0, 0x10, 0), make([]byte, 3000)...),
		"GSO size 0":         append(h(0, 1), tcpSegment(payload(3000), 0x10)...),
		"long frame, no GSO": append(h(0), long...),
	} {
		err := d.SendVnet(pkt)
		if !errors.Is(err, shim.ErrBadVnet) {
			t.Errorf("%s: %v, want ErrBadVnet", name, err)
		}
	}
	env.Notify(0)
	if len(nb.Sent) != 0 {
		t.Errorf("%d frames sent", len(nb.Sent))
	}
}

// A packet spread over more slots than any backend uses kills the device.
func TestTooManySlots(t *testing.T) {
	d, nb, env := start(t)
	nb.RxSlot = 100
	nb.Inject(tcpSegment(payload(3000), 0x10))
	env.Wait(^uint64(0))
	var dead *netfront.ErrDead
	if _, err := d.RecvFrame(make([]byte, 1514)); !errors.As(err, &dead) || !strings.Contains(err.Error(), "slots") {
		t.Errorf("RecvFrame = %v, want the device dead", err)
	}
}
