//go:build wasip1

package mnet

import (
	"errors"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/mwasm/mwasm/abi"
)

// OpenDevice opens /dev/net0v, or /dev/net0 where the platform has no
// offloads (see VnetFrameIO), in non-blocking mode and registers it with Go's
// netpoller, so a read that finds no frame parks the goroutine on a poll_oneoff
// FD_READ subscription instead of spinning.
func OpenDevice() (FrameIO, error) {
	path, vnet := "/dev/"+abi.NetVnetDev, true
	fd, err := syscall.Open(path, syscall.O_RDWR, 0)
	if err != nil {
		path, vnet = "/dev/"+abi.NetDev, false
		fd, err = syscall.Open(path, syscall.O_RDWR, 0)
	}
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTCAPABLE) || errors.Is(err, syscall.EBADF) {
			return nil, ErrNoDevice
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	// Non-blocking before os.NewFile: NewFile then adds the fd to the netpoller.
	// Never call f.Fd() afterwards: it would switch the fd back to blocking mode.
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "set non-blocking", Path: path, Err: err}
	}
	return &devFile{fd: fd, f: os.NewFile(uintptr(fd), path), vnet: vnet}, nil
}

// devFile reads and writes frames with direct fd_read/fd_write calls while the
// device is ready, which skips os.File's locking and poller bookkeeping for every
// frame, and goes through the os.File (whose netpoller parks the goroutine) only
// when the device answers EAGAIN.
//
// closed keeps the direct calls off the fd number once Close has released it (it
// could name another file by then). wasip1 runs goroutines on one thread and
// switches only where one blocks, so nothing can close the fd between the check
// and the call.
type devFile struct {
	fd     int
	f      *os.File
	closed atomic.Bool
	vnet   bool // /dev/net0v
}

// VnetHeader implements VnetFrameIO.
func (d *devFile) VnetHeader() bool { return d.vnet }

func (d *devFile) ReadFrame(buf []byte) (int, error) {
	if d.closed.Load() {
		return 0, os.ErrClosed
	}
	if n, err := syscall.Read(d.fd, buf); err != syscall.EAGAIN {
		if err != nil {
			return 0, &os.PathError{Op: "read", Path: d.f.Name(), Err: err}
		}
		return n, nil
	}
	return d.f.Read(buf)
}

func (d *devFile) WriteFrame(frame []byte) error {
	if d.closed.Load() {
		return os.ErrClosed
	}
	if _, err := syscall.Write(d.fd, frame); err != syscall.EAGAIN {
		if err != nil {
			return &os.PathError{Op: "write", Path: d.f.Name(), Err: err}
		}
		return nil
	}
	_, err := d.f.Write(frame)
	return err
}

func (d *devFile) Close() error {
	d.closed.Store(true)
	return d.f.Close()
}

// hostFallback: under the shim there is no other network than /dev/net0.
const hostFallback = false
