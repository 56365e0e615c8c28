package shim

import "errors"

// ErrAgain is returned by a device operation that would block. The WASI layer turns it
// into abi.EAGAIN; the app then waits with poll_oneoff.
var ErrAgain = errors.New("device: operation would block")

// ErrNotSupported is returned (or wrapped) by a device that cannot do what
// was asked at all (a disk without a cache flush: Sync). The WASI layer turns
// it into abi.ENOTSUP.
var ErrNotSupported = errors.New("device: operation not supported")

// NetDevice is an Ethernet device as the shim sees it: whole frames, never blocking.
// Implementations: the hosted user-mode network and TAP (shim/hosted/usernet,
// shim/hosted/tap), and later Xen netfront.
//
// The platform calls SetWake once, before any other use. From then on the device calls
// wake whenever it may have become ready (a frame arrived, room freed up); the
// platform's Wait then returns so that poll_oneoff can look again. wake never blocks;
// spurious wakes are allowed, missed wakes are not.
type NetDevice interface {
	SetWake(wake func())
	MAC() [6]byte
	MTU() int // IP MTU; the largest frame is MTU()+14 bytes
	// RecvFrame copies the next frame into buf and returns its length, or ErrAgain.
	// A frame longer than buf is truncated to len(buf) (and the rest dropped).
	RecvFrame(buf []byte) (int, error)
	// SendFrame transmits one whole Ethernet frame (header included), or returns ErrAgain.
	SendFrame(frame []byte) error
	Readable() bool // RecvFrame would return a frame now
	Writable() bool // SendFrame would accept a frame now
	Close() error
}

// BlockDevice is a disk of fixed-size sectors. Offsets and lengths passed to ReadAt and
// WriteAt are multiples of SectorSize() and lie within the device (the WASI layer checks).
// A write is durable only after Sync returns nil.
type BlockDevice interface {
	SectorSize() int
	Sectors() uint64
	ReadAt(p []byte, off int64) error
	WriteAt(p []byte, off int64) error
	Sync() error
	Close() error
}
