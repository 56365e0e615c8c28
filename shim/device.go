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

// VnetDevice is a NetDevice that also moves frames with a virtio-net header
// (abi.VnetHdrLen bytes, then the frame): partial checksums and TCP segments
// of up to abi.VnetMaxFrame bytes, cut by the device or its peer. The shim
// offers /dev/net0v when the device is one. Frames of both kinds share one
// queue each way.
type VnetDevice interface {
	NetDevice
	// RecvVnet stores the next frame's header and the frame in buf, and
	// returns their length, or ErrAgain. A frame longer than the rest of buf
	// is truncated.
	RecvVnet(buf []byte) (int, error)
	// SendVnet transmits a header and its frame, or returns ErrAgain. A
	// malformed header (unknown flags or GSO type, a checksum place outside
	// the frame, a large frame that is not an IPv4 TCP segment) is an error
	// wrapping ErrBadVnet; nothing is sent then.
	SendVnet(pkt []byte) error
}

// ErrBadVnet is a /dev/net0v write whose header does not fit its frame; the
// WASI layer turns it into abi.EINVAL.
var ErrBadVnet = errors.New("device: malformed virtio-net header")

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
