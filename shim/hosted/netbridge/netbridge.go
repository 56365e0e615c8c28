// Package netbridge connects a shim.NetDevice on the host (the user-mode network
// of shim/hosted/usernet, or any other) to an app that runs in another process
// and speaks Ethernet over a unix socket of type SOCK_SEQPACKET: one frame per
// packet, the way QEMU's `-netdev socket` and passt hand frames to a guest. It is
// how `mwasm exec --net user` gives a native executable (built by `mwasm build
// --target linux`) the same network `mwasm run --net user` gives a Wasm app.
//
// # How it works
//
// Socketpair makes the socket pair: the local end for the Bridge, the remote end
// for the child process (passed as an inherited file descriptor; the executable
// finds it as MWASM_NET0=fd:N). New starts two goroutines:
//
//   - to the app: RecvFrame from the device, one blocking Write per frame on the
//     socket. When the device has nothing (ErrAgain) the goroutine sleeps until the
//     device's wake function (SetWake) fires, so an idle network costs nothing.
//   - from the app: one blocking Read per frame from the socket, SendFrame to the
//     device. If the device says ErrAgain, the goroutine sleeps until a wake and
//     retries the same frame.
//
// The socket is non-blocking underneath and served by Go's network poller, so
// "blocking" means a parked goroutine: there is no busy loop anywhere.
//
// # Backpressure and loss
//
// The bridge itself never drops a frame for lack of room:
//
//   - Toward the app, a frame is taken from the device only when the previous one
//     was written. A slow app fills the socket's send buffer (SockBuf bytes), the
//     Write blocks, and frames wait in the device's own queue; for usernet that is
//     a bounded FIFO with tail drop counted by usernet.Device.Dropped (TCP
//     retransmits, as on a real NIC ring).
//   - Toward the device, the next frame is not read until the device has taken
//     the current one, so the socket fills and the app's send gets EAGAIN (the
//     shim then waits for the socket to become writable).
//
// A frame the device refuses for what it is (e.g. longer than MTU+14 bytes) is
// dropped and counted in Stats.Rejected. When the app's end hangs up (the child
// exited), the from-app goroutine ends and Done is closed; Close stops both.
package netbridge

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/mwasm/mwasm/shim"
)

// SockBuf is the send buffer size Socketpair asks for on both ends (the kernel
// caps it at net.core.wmem_max). At 1 MiB it holds several hundred full frames.
const SockBuf = 1 << 20

// maxFrame is the read buffer for frames from the app: larger than any MTU the
// devices accept, so that an oversized frame reaches the device whole and is
// refused there (counted) rather than silently truncated.
const maxFrame = 65536 + 14

// Socketpair returns a connected AF_UNIX SOCK_SEQPACKET pair: local, for New,
// and remote, a file to hand to the child (e.g. exec.Cmd.ExtraFiles; it is
// close-on-exec here, and os/exec clears that for the child's copy). The caller
// closes remote once the child has started.
func Socketpair() (local *net.UnixConn, remote *os.File, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("netbridge: socketpair(AF_UNIX, SOCK_SEQPACKET): %v", err)
	}
	for _, fd := range fds {
		// Best effort: the kernel caps the size, and a smaller buffer still works.
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, SockBuf)
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, SockBuf)
	}
	lf := os.NewFile(uintptr(fds[0]), "netbridge-local")
	remote = os.NewFile(uintptr(fds[1]), "netbridge-remote")
	c, err := net.FileConn(lf) // dups the descriptor
	lf.Close()
	if err != nil {
		remote.Close()
		return nil, nil, fmt.Errorf("netbridge: socket pair: %v", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		remote.Close()
		return nil, nil, fmt.Errorf("netbridge: socket pair: got a %T, want a unix socket", c)
	}
	return uc, remote, nil
}

// Stats count what crossed the bridge.
type Stats struct {
	ToApp, ToAppBytes     uint64 // frames (and bytes) written to the app
	FromApp, FromAppBytes uint64 // frames (and bytes) the device accepted from the app
	Rejected              uint64 // frames from the app the device refused (malformed)
	DeviceFull            uint64 // times SendFrame said ErrAgain (the app was held back)
}

// Bridge pumps frames between a socket and a device. Make one with New.
type Bridge struct {
	conn *net.UnixConn
	dev  shim.NetDevice
	log  hclog.Logger

	rxKick chan struct{} // the device may have a frame for the app
	txKick chan struct{} // the device may take a frame again
	stop   chan struct{}
	done   chan struct{} // the app's end hung up
	wg     sync.WaitGroup
	once   sync.Once

	toApp, toAppBytes, fromApp, fromAppBytes, rejected, full atomic.Uint64
}

// New starts pumping frames between conn (one frame per packet) and dev. It
// calls dev.SetWake, so dev must not be in use by anything else. The bridge owns
// conn (Close closes it); dev stays the caller's to close, after Close.
func New(conn *net.UnixConn, dev shim.NetDevice, log hclog.Logger) *Bridge {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	b := &Bridge{
		conn:   conn,
		dev:    dev,
		log:    log,
		rxKick: make(chan struct{}, 1),
		txKick: make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	dev.SetWake(func() {
		select {
		case b.rxKick <- struct{}{}:
		default:
		}
		select {
		case b.txKick <- struct{}{}:
		default:
		}
	})
	b.wg.Add(2)
	go b.pumpToApp()
	go b.pumpFromApp()
	return b
}

// Done is closed when the app's end of the socket is closed (or fails).
func (b *Bridge) Done() <-chan struct{} { return b.done }

// Stats returns the counters so far.
func (b *Bridge) Stats() Stats {
	return Stats{
		ToApp: b.toApp.Load(), ToAppBytes: b.toAppBytes.Load(),
		FromApp: b.fromApp.Load(), FromAppBytes: b.fromAppBytes.Load(),
		Rejected: b.rejected.Load(), DeviceFull: b.full.Load(),
	}
}

// Close stops both pumps, closes the socket and waits for the goroutines. A frame
// in flight at that moment is lost (the app is gone or going). Safe to call twice.
func (b *Bridge) Close() error {
	b.once.Do(func() {
		close(b.stop)
		b.conn.Close()
	})
	b.wg.Wait()
	return nil
}

func (b *Bridge) stopped() bool {
	select {
	case <-b.stop:
		return true
	default:
		return false
	}
}

// pumpToApp moves frames from the device to the socket.
func (b *Bridge) pumpToApp() {
	defer b.wg.Done()
	buf := make([]byte, b.dev.MTU()+14)
	for {
		n, err := b.dev.RecvFrame(buf)
		if errors.Is(err, shim.ErrAgain) {
			select {
			case <-b.rxKick:
				continue
			case <-b.stop:
				return
			}
		}
		if err != nil {
			if !b.stopped() {
				b.log.Debug("device receive ended", "error", err)
			}
			return
		}
		if _, err := b.conn.Write(buf[:n]); err != nil {
			if !b.stopped() {
				b.log.Debug("writing a frame to the app", "error", err)
			}
			return
		}
		b.toApp.Add(1)
		b.toAppBytes.Add(uint64(n))
	}
}

// pumpFromApp moves frames from the socket to the device.
func (b *Bridge) pumpFromApp() {
	defer b.wg.Done()
	defer close(b.done)
	buf := make([]byte, maxFrame)
	for {
		n, err := b.conn.Read(buf)
		if err != nil {
			if err != io.EOF && !b.stopped() {
				b.log.Debug("reading a frame from the app", "error", err)
			}
			return
		}
		for {
			err := b.dev.SendFrame(buf[:n])
			if err == nil {
				b.fromApp.Add(1)
				b.fromAppBytes.Add(uint64(n))
				break
			}
			if !errors.Is(err, shim.ErrAgain) {
				b.rejected.Add(1)
				b.log.Debug("device refused a frame from the app", "bytes", n, "error", err)
				break
			}
			// Wait for a wake: the device calls it after it may have become
			// writable, so none is missed; a spurious one costs one retry.
			b.full.Add(1)
			select {
			case <-b.txKick:
			case <-b.stop:
				return
			}
		}
	}
}
