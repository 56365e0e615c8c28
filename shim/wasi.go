// Package shim implements the mwasm ABI — WASI preview 1 without proc_raise (the
// socket calls answer EBADF or ENOTSOCK: there are no socket descriptors, see
// sock.go) — once, in Go, for every place an mwasm app runs.
//
// The WASI semantics live here: the fd table, iovec handling, errno mapping,
// poll_oneoff, the preopened /dev directory and its devices. The machine underneath is
// reached only through two small interfaces: Memory (the app's linear memory, accessed
// by copying) and Platform (console, stdin, clocks, entropy, wait-for-event, exit).
// Devices are NetDevice and BlockDevice (device.go). The hosted platform
// (shim/hosted) binds these methods to wazero host functions; the Xen build exports
// them from a Go reactor module.
//
// # File descriptors
//
// fd 0, 1, 2 are stdin, stdout and stderr (character devices). fd 3 is always the
// preopened directory "/dev", even when the image has no device (it is then empty):
// the fd layout does not depend on the image, and an app can list /dev to discover
// its devices. /dev holds "net0" when a NetDevice is configured and "disk0" when a
// BlockDevice is; path_open relative to fd 3 opens them (any number of times), or "."
// (/dev again), and returns the lowest free fd above 2. Every other name is ENOENT.
// Closing an fd never closes the device itself: the platform owns devices.
// fd_renumber moves an entry of the table; fd_fdstat_set_rights drops rights an entry
// reports. The calls that would change /dev (mkdir, unlink, rename, link, symlink,
// resizing, timestamps) answer with POSIX-like errnos and change nothing (fsops.go).
//
// The behaviour in detail (errno for each misuse, readiness rules) is the contract in
// abi/README.md; this package implements it, and the abi conformance app checks it.
//
// # Devices
//
//   - net0 is a character device. fd_write sends exactly one Ethernet frame gathered
//     from all iovecs (14..MTU+14 bytes, else EINVAL/EMSGSIZE); fd_read returns one frame
//     scattered over the iovecs (truncated if they are too small). Both are always
//     non-blocking: EAGAIN when no frame is waiting or there is no room. poll_oneoff
//     FD_READ/FD_WRITE report readiness honestly.
//   - disk0 is a block device of Sectors()*SectorSize() bytes. fd_pread/fd_pwrite (and
//     fd_read/fd_write at the fd's position, set with fd_seek) need an offset and a
//     total length that are multiples of the sector size and lie inside the device,
//     else EINVAL; a read starting exactly at the end returns 0 bytes (end of file).
//     fd_datasync and fd_sync are the durability barrier (the DSYNC/RSYNC/SYNC fdflags
//     are ENOTSUP). disk0 is always ready for poll_oneoff.
//
// When devices exist their facts are appended to the environment (abi.EnvNet0MAC and
// friends), replacing any user entry of the same name.
//
// Package shim avoids fmt and reflect so that it stays small when compiled to Wasm.
package shim

import (
	"errors"
	"strconv"
	"strings"

	"github.com/mwasm/mwasm/abi"
)

// Config is what an app is started with.
type Config struct {
	Args []string // argv, args[0] (the app's name) included
	Env  []string // "K=V" entries; device facts are appended by New

	Net        NetDevice // nil: no /dev/net0
	NetIPv4    string    // CIDR handed to the app in abi.EnvNet0IPv4 ("" = not set)
	NetGateway string    // abi.EnvNet0Gateway ("" = not set)

	Disk BlockDevice // nil: no /dev/disk0

	Dirs []Preopen // directory trees preopened as fds 4, 5, ... (fs.go)
}

// The fd of the preopened /dev directory.
const DevFD = 3

type fdKind uint8

const (
	kindStdin fdKind = iota + 1
	kindStdout
	kindStderr
	kindDir
	kindNet
	kindDisk
	kindTreeDir  // a directory of a preopened tree (fs.go)
	kindTreeFile // a regular file of a preopened tree
	kindNetV     // /dev/net0v: net0 with a virtio-net header on every frame
)

// WASI fdflags.
const (
	fdflagAppend   = 1 << 0
	fdflagDsync    = 1 << 1
	fdflagNonblock = 1 << 2
	fdflagRsync    = 1 << 3
	fdflagSync     = 1 << 4
)

// openFile is one entry of the fd table.
type openFile struct {
	kind    fdKind
	ftype   uint8  // the WASI filetype reported (fdstat, filestat)
	flags   uint16 // fdflags
	pos     uint64 // disk0: byte position for fd_read/fd_write/fd_seek
	preopen bool

	// Rights reported by fd_fdstat_get: those of the kind, minus what
	// fd_fdstat_set_rights dropped. Not enforced.
	rightsBase, rightsInheriting uint64

	// Tree descriptors (fsfd.go).
	dir     Dir    // kindTreeDir
	fh      File   // kindTreeFile
	name    string // a preopen's guest name
	ro      bool   // below a read-only preopen
	hwrite  bool   // kindTreeFile: the handle was opened for writing
	dirents []Dirent
}

// newFile returns a fresh fd table entry for kind k.
func newFile(k fdKind, flags uint16) *openFile {
	f := &openFile{kind: k, ftype: filetype(k), flags: flags}
	f.rightsBase, f.rightsInheriting = rights(k)
	return f
}

// WASI is one app's WASI state: arguments, environment and the fd table. Its methods
// are the ABI functions, taking the raw Wasm parameters (i32 as uint32, i64 as
// uint64) and returning the errno. It is not safe for concurrent use: an app has one
// thread of execution.
type WASI struct {
	p    Platform
	mem  Memory
	args []string
	env  []string
	net  NetDevice
	disk BlockDevice

	files []*openFile

	tmp   [64]byte   // small scratch for integers and records
	buf   []byte     // data scratch (grows up to maxChunk)
	frame []byte     // one Ethernet frame
	vnet  VnetDevice // net as a VnetDevice, nil if it is not one
	vbuf  []byte     // a net0v header and frame (allocated on first use)
	iovs  []iovec
	subs  []subscription
}

// New returns the WASI state of an app running on p with memory mem.
func New(p Platform, mem Memory, cfg Config) *WASI {
	w := &WASI{p: p, mem: mem, net: cfg.Net, disk: cfg.Disk}
	w.args = append([]string(nil), cfg.Args...)
	w.env = deviceEnv(cfg)
	w.files = []*openFile{newFile(kindStdin, 0), newFile(kindStdout, 0), newFile(kindStderr, 0), newFile(kindDir, 0)}
	if t, ok := p.(StdioTyper); ok {
		for fd := range 3 {
			w.files[fd].ftype = t.StdioType(fd)
		}
	}
	w.files[DevFD].preopen = true
	w.addPreopens(cfg.Dirs)
	if w.net != nil {
		w.frame = make([]byte, w.net.MTU()+14)
		w.vnet, _ = w.net.(VnetDevice)
	}
	return w
}

// Args returns the app's arguments.
func (w *WASI) Args() []string { return w.args }

// Env returns the app's environment, device facts included.
func (w *WASI) Env() []string { return w.env }

// deviceEnv returns cfg.Env with the device fact variables appended.
func deviceEnv(cfg Config) []string {
	var facts []string
	if cfg.Net != nil {
		facts = append(facts,
			abi.EnvNet0MAC+"="+FormatMAC(cfg.Net.MAC()),
			abi.EnvNet0MTU+"="+strconv.Itoa(cfg.Net.MTU()))
		if cfg.NetIPv4 != "" {
			facts = append(facts, abi.EnvNet0IPv4+"="+cfg.NetIPv4)
		}
		if cfg.NetGateway != "" {
			facts = append(facts, abi.EnvNet0Gateway+"="+cfg.NetGateway)
		}
		if o, ok := cfg.Net.(ChecksumOffloader); ok && o.ChecksumOffload() {
			facts = append(facts, abi.EnvNet0Offload+"=csum")
		}
		if _, ok := cfg.Net.(VnetDevice); ok {
			facts = append(facts, abi.EnvNet0Vnet+"=1")
		}
	}
	if cfg.Disk != nil {
		facts = append(facts,
			abi.EnvDisk0Sector+"="+strconv.Itoa(cfg.Disk.SectorSize()),
			abi.EnvDisk0Sectors+"="+strconv.FormatUint(cfg.Disk.Sectors(), 10))
	}
	env := make([]string, 0, len(cfg.Env)+len(facts))
	for _, kv := range cfg.Env {
		if isFact(kv) {
			continue // the shim's facts win over a user's entry of the same name
		}
		env = append(env, kv)
	}
	return append(env, facts...)
}

// ChecksumOffloader is implemented by a NetDevice whose frames cross no wire (the
// hosted user-mode network). When ChecksumOffload reports true the shim sets
// abi.EnvNet0Offload=csum: the device accepts frames without IPv4/TCP/UDP
// checksums and delivers frames whose checksums are correct, so the app's stack may
// neither compute nor verify them.
type ChecksumOffloader interface {
	ChecksumOffload() bool
}

func isFact(kv string) bool {
	k, _, _ := strings.Cut(kv, "=")
	switch k {
	case abi.EnvNet0MAC, abi.EnvNet0MTU, abi.EnvNet0IPv4, abi.EnvNet0Gateway, abi.EnvNet0Offload, abi.EnvNet0Vnet,
		abi.EnvDisk0Sector, abi.EnvDisk0Sectors:
		return true
	}
	return false
}

// FormatMAC formats a MAC address as "52:54:00:12:34:56".
func FormatMAC(mac [6]byte) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 17)
	for i, x := range mac {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[x>>4], hex[x&15])
	}
	return string(b)
}

// file returns the open file of fd, or nil.
func (w *WASI) file(fd uint32) *openFile {
	if uint64(fd) >= uint64(len(w.files)) {
		return nil
	}
	return w.files[fd]
}

// alloc puts f at the lowest free fd above 2.
func (w *WASI) alloc(f *openFile) uint32 {
	for i, g := range w.files {
		if g == nil && i > 2 {
			w.files[i] = f
			return uint32(i)
		}
	}
	w.files = append(w.files, f)
	return uint32(len(w.files) - 1)
}

// devErrno maps a device error to an errno.
func devErrno(err error) abi.Errno {
	if err == nil {
		return abi.ESUCCESS
	}
	if err == ErrAgain {
		return abi.EAGAIN
	}
	if errors.Is(err, ErrBadVnet) {
		return abi.EINVAL
	}
	return abi.EIO
}

// maxChunk bounds the data scratch buffer; bigger transfers are done in pieces.
const maxChunk = 256 << 10

// scratch returns a scratch buffer of n bytes (n <= maxChunk, or any n for records).
func (w *WASI) scratch(n int) []byte {
	if cap(w.buf) < n {
		w.buf = make([]byte, n)
	}
	return w.buf[:n]
}

// --- args and environment ----------------------------------------------------------

func sizes(list []string) (count, bytes uint32) {
	for _, s := range list {
		bytes += uint32(len(s)) + 1
	}
	return uint32(len(list)), bytes
}

// putList writes the NUL-terminated strings of list at buf and their addresses at ptrs.
func (w *WASI) putList(list []string, ptrs, buf uint32) abi.Errno {
	for i, s := range list {
		if !w.writeU32(ptrs+uint32(i)*4, buf) {
			return abi.EFAULT
		}
		b := w.scratch(len(s) + 1)
		copy(b, s)
		b[len(s)] = 0
		if !w.mem.Write(buf, b) {
			return abi.EFAULT
		}
		buf += uint32(len(b))
	}
	return abi.ESUCCESS
}

func (w *WASI) putSizes(list []string, countPtr, sizePtr uint32) abi.Errno {
	c, n := sizes(list)
	if !w.writeU32(countPtr, c) || !w.writeU32(sizePtr, n) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// ArgsGet is args_get(argv, argv_buf).
func (w *WASI) ArgsGet(argv, argvBuf uint32) abi.Errno { return w.putList(w.args, argv, argvBuf) }

// ArgsSizesGet is args_sizes_get(argc_ptr, argv_buf_size_ptr).
func (w *WASI) ArgsSizesGet(argcPtr, bufSizePtr uint32) abi.Errno {
	return w.putSizes(w.args, argcPtr, bufSizePtr)
}

// EnvironGet is environ_get(environ, environ_buf).
func (w *WASI) EnvironGet(environ, environBuf uint32) abi.Errno {
	return w.putList(w.env, environ, environBuf)
}

// EnvironSizesGet is environ_sizes_get(count_ptr, buf_size_ptr).
func (w *WASI) EnvironSizesGet(countPtr, bufSizePtr uint32) abi.Errno {
	return w.putSizes(w.env, countPtr, bufSizePtr)
}

// --- clocks, entropy, process -------------------------------------------------------

func validClock(id uint32) bool {
	return Clock(id) == ClockRealtime || Clock(id) == ClockMonotonic
}

// ClockResGet is clock_res_get(id, resolution_ptr). Only the realtime and monotonic
// clocks exist; other ids give EINVAL.
func (w *WASI) ClockResGet(id, resPtr uint32) abi.Errno {
	if !validClock(id) {
		return abi.EINVAL
	}
	if !w.writeU64(resPtr, w.p.Resolution(Clock(id))) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// ClockTimeGet is clock_time_get(id, precision, time_ptr).
func (w *WASI) ClockTimeGet(id uint32, precision uint64, timePtr uint32) abi.Errno {
	if !validClock(id) {
		return abi.EINVAL
	}
	if !w.writeU64(timePtr, w.p.Now(Clock(id))) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// RandomGet is random_get(buf, len).
func (w *WASI) RandomGet(buf, n uint32) abi.Errno {
	for n > 0 {
		c := min(n, maxChunk)
		b := w.scratch(int(c))
		if err := w.p.Random(b); err != nil {
			return abi.EIO
		}
		if !w.mem.Write(buf, b) {
			return abi.EFAULT
		}
		buf += c
		n -= c
	}
	return abi.ESUCCESS
}

// ProcExit is proc_exit(code). It does not return.
func (w *WASI) ProcExit(code uint32) {
	w.p.Exit(code)
	panic("BUG: Platform.Exit returned")
}

// SchedYield is sched_yield(): there is nothing else to run.
func (w *WASI) SchedYield() abi.Errno { return abi.ESUCCESS }
