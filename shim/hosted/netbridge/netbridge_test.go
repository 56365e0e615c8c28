package netbridge

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mwasm/mwasm/shim"
)

// fakeDev is an in-memory shim.NetDevice: frames for the app wait in toApp,
// frames from the app collect in fromApp; refuse makes SendFrame say ErrAgain.
type fakeDev struct {
	mu      sync.Mutex
	toApp   [][]byte
	fromApp [][]byte
	refuse  bool
	wake    func()
	recvs   atomic.Int64 // RecvFrame calls
	mtu     int
}

func (d *fakeDev) SetWake(w func()) { d.mu.Lock(); d.wake = w; d.mu.Unlock() }
func (d *fakeDev) MAC() [6]byte     { return [6]byte{2, 0, 0, 0, 0, 1} }
func (d *fakeDev) MTU() int         { return d.mtu }
func (d *fakeDev) Close() error     { return nil }

func (d *fakeDev) RecvFrame(buf []byte) (int, error) {
	d.recvs.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.toApp) == 0 {
		return 0, shim.ErrAgain
	}
	f := d.toApp[0]
	d.toApp = d.toApp[1:]
	return copy(buf, f), nil
}

func (d *fakeDev) SendFrame(f []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(f) > d.mtu+14 {
		return errors.New("frame too long")
	}
	if d.refuse {
		return shim.ErrAgain
	}
	d.fromApp = append(d.fromApp, append([]byte(nil), f...))
	return nil
}

func (d *fakeDev) Readable() bool { d.mu.Lock(); defer d.mu.Unlock(); return len(d.toApp) > 0 }
func (d *fakeDev) Writable() bool { d.mu.Lock(); defer d.mu.Unlock(); return !d.refuse }

// push queues frames for the app and wakes, as a device does.
func (d *fakeDev) push(frames ...[]byte) {
	d.mu.Lock()
	d.toApp = append(d.toApp, frames...)
	w := d.wake
	d.mu.Unlock()
	w()
}

func (d *fakeDev) setRefuse(r bool) {
	d.mu.Lock()
	d.refuse = r
	w := d.wake
	d.mu.Unlock()
	if !r {
		w()
	}
}

func (d *fakeDev) received() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.fromApp...)
}

// frame makes a distinct frame: i in the first bytes, length varying with i.
func frame(i int) []byte {
	f := make([]byte, 60+i%1400)
	copy(f, fmt.Sprintf("frame-%06d", i))
	for j := 14; j < len(f); j++ {
		f[j] = byte(i + j)
	}
	return f
}

// setup returns a bridge over a fake device and the app's end of the socket
// (as a net.Conn: non-blocking underneath, with deadlines).
func setup(t *testing.T) (*fakeDev, *Bridge, net.Conn) {
	t.Helper()
	local, remote, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	app := appConn(t, remote)
	dev := &fakeDev{mtu: 1500}
	b := New(local, dev, nil)
	t.Cleanup(func() { b.Close(); app.Close() })
	return dev, b, app
}

func appConn(t *testing.T, f *os.File) net.Conn {
	t.Helper()
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readFrame reads one packet from the app's end with a deadline.
func readFrame(t *testing.T, f net.Conn, buf []byte) []byte {
	t.Helper()
	f.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := f.Read(buf)
	if err != nil {
		t.Fatalf("reading a frame at the app's end: %v", err)
	}
	return buf[:n]
}

func TestBothWaysKeepFrames(t *testing.T) {
	dev, b, app := setup(t)
	const n = 300
	go func() {
		for i := 0; i < n; i++ {
			dev.push(frame(i))
		}
	}()
	buf := make([]byte, 2000)
	for i := 0; i < n; i++ {
		if got := readFrame(t, app, buf); !bytes.Equal(got, frame(i)) {
			t.Fatalf("frame %d to the app: got %d bytes %.12q, want %d bytes %.12q", i, len(got), got, len(frame(i)), frame(i))
		}
	}
	for i := 0; i < n; i++ {
		if _, err := app.Write(frame(i)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(dev.received()) < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := dev.received()
	if len(got) != n {
		t.Fatalf("device got %d frames, want %d", len(got), n)
	}
	for i, f := range got {
		if !bytes.Equal(f, frame(i)) {
			t.Fatalf("frame %d from the app differs: %.12q", i, f)
		}
	}
	st := b.Stats()
	if st.ToApp != n || st.FromApp != n || st.Rejected != 0 {
		t.Errorf("stats %+v, want %d each way and no rejects", st, n)
	}
}

// A device that refuses frames holds the app back (its non-blocking send gets
// EAGAIN) and loses nothing once it takes frames again.
func TestBackpressureFromApp(t *testing.T) {
	dev, b, app := setup(t)
	dev.setRefuse(true)
	rc, err := app.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	sawAgain := false
	for sent < 100000 && !sawAgain {
		f := frame(sent)
		rc.Write(func(fd uintptr) bool {
			_, err = syscall.Write(int(fd), f)
			return true
		})
		switch {
		case err == nil:
			sent++
		case errors.Is(err, syscall.EAGAIN):
			sawAgain = true
		default:
			t.Fatal(err)
		}
	}
	if !sawAgain {
		t.Fatalf("sent %d frames to a device that takes none and never got EAGAIN", sent)
	}
	if len(dev.received()) != 0 {
		t.Fatal("a refusing device received frames")
	}
	// The bridge must have tried the device and been refused before it takes frames
	// again (on a loaded machine its goroutine may not have run yet).
	for wait := time.Now().Add(5 * time.Second); b.Stats().DeviceFull == 0 && time.Now().Before(wait); {
		time.Sleep(time.Millisecond)
	}
	dev.setRefuse(false)
	deadline := time.Now().Add(5 * time.Second)
	for len(dev.received()) < sent && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := dev.received()
	if len(got) != sent {
		t.Fatalf("device got %d of %d frames after it took frames again", len(got), sent)
	}
	for i, f := range got {
		if !bytes.Equal(f, frame(i)) {
			t.Fatalf("frame %d differs after backpressure", i)
		}
	}
	if b.Stats().DeviceFull == 0 {
		t.Error("DeviceFull is 0 although the device said ErrAgain")
	}
	t.Logf("%d frames held back by a full device, none lost", sent)
}

// An app that does not read makes the bridge wait, not drop.
func TestSlowAppLosesNothing(t *testing.T) {
	dev, b, app := setup(t)
	const n = 5000 // far more than the socket buffer holds
	for i := 0; i < n; i++ {
		dev.push(frame(i))
	}
	time.Sleep(200 * time.Millisecond)
	if st := b.Stats(); st.ToApp >= n {
		t.Fatalf("all %d frames were written although the app read none: the socket buffer is unbounded?", n)
	}
	buf := make([]byte, 2000)
	for i := 0; i < n; i++ {
		if got := readFrame(t, app, buf); !bytes.Equal(got, frame(i)) {
			t.Fatalf("frame %d: got %.12q", i, got)
		}
	}
}

func TestRejectedFrameCounted(t *testing.T) {
	dev, b, app := setup(t)
	if _, err := app.Write(make([]byte, 3000)); err != nil { // > MTU+14
		t.Fatal(err)
	}
	if _, err := app.Write(frame(1)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(dev.received()) < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := dev.received(); len(got) != 1 || !bytes.Equal(got[0], frame(1)) {
		t.Fatalf("device got %d frames, want the one good frame", len(got))
	}
	if st := b.Stats(); st.Rejected != 1 {
		t.Errorf("Rejected = %d, want 1", st.Rejected)
	}
}

func TestIdleDoesNotSpinAndHangupEnds(t *testing.T) {
	dev, b, app := setup(t)
	time.Sleep(50 * time.Millisecond)
	before := dev.recvs.Load()
	time.Sleep(300 * time.Millisecond)
	if calls := dev.recvs.Load() - before; calls > 2 {
		t.Errorf("an idle bridge called RecvFrame %d times in 300ms: it polls", calls)
	}
	select {
	case <-b.Done():
		t.Fatal("Done before the app hung up")
	default:
	}
	app.Close()
	select {
	case <-b.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the app's end was closed")
	}
}

func TestSocketpairIsSeqpacket(t *testing.T) {
	local, remote, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	typ, err := syscall.GetsockoptInt(int(remote.Fd()), syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil || typ != syscall.SOCK_SEQPACKET {
		t.Fatalf("SO_TYPE = %d, %v; want SOCK_SEQPACKET", typ, err)
	}
	app := appConn(t, remote)
	defer app.Close()
	// Packet boundaries: two writes are two reads.
	local.Write([]byte("one"))
	local.Write([]byte("second"))
	buf := make([]byte, 100)
	for _, want := range []string{"one", "second"} {
		if got := readFrame(t, app, buf); string(got) != want {
			t.Fatalf("read %q, want %q", got, want)
		}
	}
	var _ net.Conn = local
}
