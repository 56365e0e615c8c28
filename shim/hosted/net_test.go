package hosted

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mwasm/mwasm/shim"
)

// chanNet is a NetDevice fed by the test from another goroutine, like a real one.
type chanNet struct {
	mu   sync.Mutex
	wake func()
	in   [][]byte
	sent [][]byte

	empty chan struct{} // receives when RecvFrame finds no frame
}

func (n *chanNet) SetWake(w func()) {
	n.mu.Lock()
	n.wake = w
	n.mu.Unlock()
}
func (n *chanNet) MAC() [6]byte { return [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56} }
func (n *chanNet) MTU() int     { return 1500 }
func (n *chanNet) RecvFrame(buf []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.in) == 0 {
		select {
		case n.empty <- struct{}{}:
		default:
		}
		return 0, shim.ErrAgain
	}
	f := n.in[0]
	n.in = n.in[1:]
	return copy(buf, f), nil
}
func (n *chanNet) SendFrame(f []byte) error {
	n.mu.Lock()
	n.sent = append(n.sent, append([]byte(nil), f...))
	n.mu.Unlock()
	return nil
}
func (n *chanNet) Readable() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.in) > 0
}
func (n *chanNet) Writable() bool { return true }
func (n *chanNet) Close() error   { return nil }

func (n *chanNet) deliver(f []byte) {
	n.mu.Lock()
	n.in = append(n.in, f)
	wake := n.wake
	n.mu.Unlock()
	if wake != nil {
		wake()
	}
}

// TestNetWake: a Go app blocks in its poller on /dev/net0; frames delivered later
// from another goroutine wake it (through SetWake) and are echoed.
func TestNetWake(t *testing.T) {
	wasm := prog(t)
	dev := &chanNet{empty: make(chan struct{}, 1)}
	frames := [][]byte{[]byte("0123456789abcdefXYZ"), bytes.Repeat([]byte{7, 8, 9}, 200)}
	go func() {
		// Deliver each frame 100ms after the app found the device empty, so the
		// app is parked in poll_oneoff when it arrives.
		for _, f := range frames {
			<-dev.empty
			time.Sleep(100 * time.Millisecond)
			dev.deliver(append([]byte(nil), f...))
		}
	}()
	// A missed wake would leave the app parked: give up after 20s.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code, err := Run(ctx, wasm, Config{Name: "wasiprog", Args: []string{"netecho", "2"}, Stdout: &out, Stderr: &errOut,
		Net: &NetConfig{Device: dev, IPv4: "10.0.2.15/24", Gateway: "10.0.2.2"}, CompilationCache: cache})
	if err != nil || code != 0 || out.String() != "echoed 2\n" {
		t.Fatalf("exit %d, err %v, stdout %q, stderr %q", code, err, out.String(), errOut.String())
	}
	if len(dev.sent) != 2 {
		t.Fatalf("%d frames sent", len(dev.sent))
	}
	for i, f := range frames {
		rev := make([]byte, len(f))
		for j := range f {
			rev[len(f)-1-j] = f[j]
		}
		if !bytes.Equal(dev.sent[i], rev) {
			t.Errorf("frame %d echoed as %q", i, dev.sent[i])
		}
	}
}
