//go:build wasip1

package mnet

import (
	"errors"
	"os"
	"syscall"
)

// OpenDevice opens /dev/net0 in non-blocking mode and registers it with Go's
// netpoller, so a read that finds no frame parks the goroutine on a poll_oneoff
// FD_READ subscription instead of spinning.
func OpenDevice() (FrameIO, error) {
	const path = "/dev/net0"
	fd, err := syscall.Open(path, syscall.O_RDWR, 0)
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
	return &devFile{f: os.NewFile(uintptr(fd), path)}, nil
}

type devFile struct{ f *os.File }

func (d *devFile) ReadFrame(buf []byte) (int, error) { return d.f.Read(buf) }

func (d *devFile) WriteFrame(frame []byte) error {
	_, err := d.f.Write(frame)
	return err
}

func (d *devFile) Close() error { return d.f.Close() }
