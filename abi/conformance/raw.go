//go:build wasip1

package main

import (
	"encoding/binary"
	"runtime"
	"unsafe"

	"github.com/mwasm/mwasm/abi"
)

// The raw ABI. Every pointer is passed as a plain u32 so that tests can pass
// addresses outside memory; the errno comes back as a plain u32.

//go:wasmimport wasi_snapshot_preview1 args_get
func args_get(argv, argvBuf uint32) uint32

//go:wasmimport wasi_snapshot_preview1 args_sizes_get
func args_sizes_get(argc, bufSize uint32) uint32

//go:wasmimport wasi_snapshot_preview1 environ_get
func environ_get(env, envBuf uint32) uint32

//go:wasmimport wasi_snapshot_preview1 environ_sizes_get
func environ_sizes_get(count, bufSize uint32) uint32

//go:wasmimport wasi_snapshot_preview1 clock_res_get
func clock_res_get(id, res uint32) uint32

//go:wasmimport wasi_snapshot_preview1 clock_time_get
func clock_time_get(id uint32, precision uint64, time uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_advise
func fd_advise(fd uint32, offset, length uint64, advice uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_close
func fd_close(fd uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_datasync
func fd_datasync(fd uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_sync
func fd_sync(fd uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_fdstat_get
func fd_fdstat_get(fd, stat uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_fdstat_set_flags
func fd_fdstat_set_flags(fd, flags uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_filestat_get
func fd_filestat_get(fd, stat uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_prestat_get
func fd_prestat_get(fd, prestat uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_prestat_dir_name
func fd_prestat_dir_name(fd, path, pathLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_read
func fd_read(fd, iovs, iovsLen, nread uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_write
func fd_write(fd, iovs, iovsLen, nwritten uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_pread
func fd_pread(fd, iovs, iovsLen uint32, offset uint64, nread uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_pwrite
func fd_pwrite(fd, iovs, iovsLen uint32, offset uint64, nwritten uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_seek
func fd_seek(fd uint32, offset int64, whence, newOffset uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_tell
func fd_tell(fd, offset uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_readdir
func fd_readdir(fd, buf, bufLen uint32, cookie uint64, bufUsed uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_open
func path_open(dirfd, lookupFlags, path, pathLen, oflags uint32, rightsBase, rightsInheriting uint64, fdflags, fd uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_filestat_get
func path_filestat_get(fd, lookupFlags, path, pathLen, stat uint32) uint32

//go:wasmimport wasi_snapshot_preview1 poll_oneoff
func poll_oneoff(in, out, nsubscriptions, nevents uint32) uint32

//go:wasmimport wasi_snapshot_preview1 proc_exit
func proc_exit(code uint32)

//go:wasmimport wasi_snapshot_preview1 random_get
func random_get(buf, bufLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 sched_yield
func sched_yield() uint32

//go:wasmimport wasi_snapshot_preview1 fd_allocate
func fd_allocate(fd uint32, offset, length uint64) uint32

//go:wasmimport wasi_snapshot_preview1 fd_fdstat_set_rights
func fd_fdstat_set_rights(fd uint32, rightsBase, rightsInheriting uint64) uint32

//go:wasmimport wasi_snapshot_preview1 fd_filestat_set_size
func fd_filestat_set_size(fd uint32, size uint64) uint32

//go:wasmimport wasi_snapshot_preview1 fd_filestat_set_times
func fd_filestat_set_times(fd uint32, atim, mtim uint64, fstFlags uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_renumber
func fd_renumber(from, to uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_create_directory
func path_create_directory(fd, path, pathLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_filestat_set_times
func path_filestat_set_times(fd, lookupFlags, path, pathLen uint32, atim, mtim uint64, fstFlags uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_link
func path_link(oldFD, oldFlags, oldPath, oldPathLen, newFD, newPath, newPathLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_readlink
func path_readlink(fd, path, pathLen, buf, bufLen, bufUsed uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_remove_directory
func path_remove_directory(fd, path, pathLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_rename
func path_rename(oldFD, oldPath, oldPathLen, newFD, newPath, newPathLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_symlink
func path_symlink(oldPath, oldPathLen, fd, newPath, newPathLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_unlink_file
func path_unlink_file(fd, path, pathLen uint32) uint32

// Addresses that are never inside the app's memory: the first makes addr+len wrap
// around 2^32, the second lies far above any memory this app grows to.
const (
	badAddrWrap = 0xFFFFFFF0
	badAddrHigh = 0xF0000000
)

// sink makes every buffer from alloc escape to the heap, where Go never moves it, so
// that its address stays valid across the raw calls.
var sink []byte

func alloc(n int) []byte {
	b := make([]byte, n, n+1) // never zero capacity: addr needs a real array
	sink = b
	return b
}

func addr(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b[:cap(b)])))) }

func bytesOf(s string) []byte {
	b := alloc(len(s))
	copy(b, s)
	return b
}

func u32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func u64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// iovecs lays out one iovec per buffer.
func iovecs(bufs [][]byte) []byte {
	iov := alloc(abi.IovecSize * len(bufs))
	for i, b := range bufs {
		binary.LittleEndian.PutUint32(iov[i*8:], addr(b))
		binary.LittleEndian.PutUint32(iov[i*8+4:], uint32(len(b)))
	}
	return iov
}

// The wrappers below return the errno as abi.Errno and results as Go values.

func writeFD(fd uint32, bufs ...[]byte) (uint32, abi.Errno) {
	iov, n := iovecs(bufs), alloc(4)
	e := fd_write(fd, addr(iov), uint32(len(bufs)), addr(n))
	runtime.KeepAlive(bufs)
	return u32(n), abi.Errno(e)
}

func readFD(fd uint32, bufs ...[]byte) (uint32, abi.Errno) {
	iov, n := iovecs(bufs), alloc(4)
	e := fd_read(fd, addr(iov), uint32(len(bufs)), addr(n))
	runtime.KeepAlive(bufs)
	return u32(n), abi.Errno(e)
}

func pwriteFD(fd uint32, off uint64, bufs ...[]byte) (uint32, abi.Errno) {
	iov, n := iovecs(bufs), alloc(4)
	e := fd_pwrite(fd, addr(iov), uint32(len(bufs)), off, addr(n))
	runtime.KeepAlive(bufs)
	return u32(n), abi.Errno(e)
}

func preadFD(fd uint32, off uint64, bufs ...[]byte) (uint32, abi.Errno) {
	iov, n := iovecs(bufs), alloc(4)
	e := fd_pread(fd, addr(iov), uint32(len(bufs)), off, addr(n))
	runtime.KeepAlive(bufs)
	return u32(n), abi.Errno(e)
}

func seekFD(fd uint32, off int64, whence uint32) (uint64, abi.Errno) {
	r := alloc(8)
	e := fd_seek(fd, off, whence, addr(r))
	return u64(r), abi.Errno(e)
}

func tellFD(fd uint32) (uint64, abi.Errno) {
	r := alloc(8)
	e := fd_tell(fd, addr(r))
	return u64(r), abi.Errno(e)
}

func openAt(dirfd uint32, path string, oflags uint32, rights uint64, fdflags uint32) (uint32, abi.Errno) {
	p, fd := bytesOf(path), alloc(4)
	e := path_open(dirfd, abi.LookupSymlinkFollow, addr(p), uint32(len(p)), oflags, rights, 0, fdflags, addr(fd))
	return u32(fd), abi.Errno(e)
}

type fdstat struct {
	filetype         uint8
	flags            uint16
	rightsBase       uint64
	rightsInheriting uint64
}

func fdstatOf(fd uint32) (fdstat, abi.Errno) {
	b := alloc(abi.FdstatSize)
	e := fd_fdstat_get(fd, addr(b))
	return fdstat{
		filetype:         b[abi.FdstatFiletypeOffset],
		flags:            binary.LittleEndian.Uint16(b[abi.FdstatFlagsOffset:]),
		rightsBase:       u64(b[abi.FdstatRightsBaseOffset:]),
		rightsInheriting: u64(b[abi.FdstatRightsInheritingOffset:]),
	}, abi.Errno(e)
}

type filestat struct {
	filetype uint8
	size     uint64
}

func filestatOf(fd uint32) (filestat, abi.Errno) {
	b := alloc(abi.FilestatSize)
	e := fd_filestat_get(fd, addr(b))
	return filestat{b[abi.FilestatFiletypeOffset], u64(b[abi.FilestatSizeOffset:])}, abi.Errno(e)
}

func pathFilestatOf(fd uint32, path string) (filestat, abi.Errno) {
	p, b := bytesOf(path), alloc(abi.FilestatSize)
	e := path_filestat_get(fd, abi.LookupSymlinkFollow, addr(p), uint32(len(p)), addr(b))
	return filestat{b[abi.FilestatFiletypeOffset], u64(b[abi.FilestatSizeOffset:])}, abi.Errno(e)
}

func clockTime(id uint32) (uint64, abi.Errno) {
	b := alloc(8)
	e := clock_time_get(id, 1, addr(b))
	return u64(b), abi.Errno(e)
}

func clockRes(id uint32) (uint64, abi.Errno) {
	b := alloc(8)
	e := clock_res_get(id, addr(b))
	return u64(b), abi.Errno(e)
}

// monotonic reads CLOCK_MONOTONIC; a failure there is reported by the clock checks.
func monotonic() uint64 {
	t, _ := clockTime(abi.ClockMonotonic)
	return t
}

// sub is one poll_oneoff subscription; ev is one event.
type sub struct {
	userdata uint64
	tag      uint8
	clockID  uint32 // clock
	timeout  uint64 // clock, ns
	flags    uint16 // clock: abi.SubscriptionClockAbstime
	fd       uint32 // fd_read, fd_write
}

type ev struct {
	userdata uint64
	errno    abi.Errno
	typ      uint8
	nbytes   uint64
	flags    uint16
}

func clockSub(userdata uint64, timeout uint64) sub {
	return sub{userdata: userdata, tag: abi.EventtypeClock, clockID: abi.ClockMonotonic, timeout: timeout}
}

func fdSub(userdata uint64, tag uint8, fd uint32) sub {
	return sub{userdata: userdata, tag: tag, fd: fd}
}

func poll(subs ...sub) ([]ev, abi.Errno) {
	in := alloc(abi.SubscriptionSize*len(subs) + 1)
	for i, s := range subs {
		b := in[i*abi.SubscriptionSize:]
		binary.LittleEndian.PutUint64(b[abi.SubscriptionUserdataOffset:], s.userdata)
		b[abi.SubscriptionTagOffset] = s.tag
		if s.tag == abi.EventtypeClock {
			binary.LittleEndian.PutUint32(b[abi.SubscriptionClockIDOffset:], s.clockID)
			binary.LittleEndian.PutUint64(b[abi.SubscriptionTimeoutOffset:], s.timeout)
			binary.LittleEndian.PutUint64(b[abi.SubscriptionPrecisionOffset:], 0)
			binary.LittleEndian.PutUint16(b[abi.SubscriptionFlagsOffset:], s.flags)
		} else {
			binary.LittleEndian.PutUint32(b[abi.SubscriptionFDOffset:], s.fd)
		}
	}
	out := alloc(abi.EventSize*len(subs) + 1)
	n := alloc(4)
	e := abi.Errno(poll_oneoff(addr(in), addr(out), uint32(len(subs)), addr(n)))
	if e != abi.ESUCCESS {
		return nil, e
	}
	count := int(u32(n))
	if count > len(subs) {
		fail("poll_oneoff nevents", "%d events for %d subscriptions", count, len(subs))
		count = len(subs)
	}
	evs := make([]ev, count)
	for i := range evs {
		b := out[i*abi.EventSize:]
		evs[i] = ev{
			userdata: u64(b[abi.EventUserdataOffset:]),
			errno:    abi.Errno(binary.LittleEndian.Uint16(b[abi.EventErrorOffset:])),
			typ:      b[abi.EventTypeOffset],
			nbytes:   u64(b[abi.EventNbytesOffset:]),
			flags:    binary.LittleEndian.Uint16(b[abi.EventFlagsOffset:]),
		}
	}
	return evs, e
}

// dirent is one fd_readdir entry.
type dirent struct {
	next     uint64
	filetype uint8
	name     string
}

// parseDirents decodes the entries of an fd_readdir buffer; a trailing partial entry
// (cut off by the buffer's end) is dropped, as WASI specifies.
func parseDirents(b []byte) []dirent {
	var out []dirent
	for len(b) >= abi.DirentSize {
		namlen := int(u32(b[abi.DirentNamlenOffset:]))
		if len(b) < abi.DirentSize+namlen {
			break
		}
		out = append(out, dirent{
			next:     u64(b[abi.DirentNextOffset:]),
			filetype: b[abi.DirentTypeOffset],
			name:     string(b[abi.DirentSize : abi.DirentSize+namlen]),
		})
		b = b[abi.DirentSize+namlen:]
	}
	return out
}

func readdir(fd uint32, size int, cookie uint64) ([]byte, abi.Errno) {
	buf, used := alloc(size), alloc(4)
	e := fd_readdir(fd, addr(buf), uint32(size), cookie, addr(used))
	n := int(u32(used))
	if n > size {
		n = size
	}
	return buf[:n], abi.Errno(e)
}

// cstrings splits the NUL-terminated strings that args_get/environ_get wrote into buf,
// following the pointer array ptrs. It returns false if a pointer leaves buf.
func cstrings(ptrs, buf []byte, count int) ([]string, bool) {
	base := addr(buf)
	var out []string
	for i := 0; i < count; i++ {
		p := u32(ptrs[i*4:])
		if p < base || p >= base+uint32(len(buf)) {
			return nil, false
		}
		s := buf[p-base:]
		end := 0
		for end < len(s) && s[end] != 0 {
			end++
		}
		if end == len(s) {
			return nil, false
		}
		out = append(out, string(s[:end]))
	}
	return out, true
}

// The path calls with Go strings; each returns the errno.

func pathCall(fd uint32, path string, call func(fd, path, pathLen uint32) uint32) abi.Errno {
	p := bytesOf(path)
	return abi.Errno(call(fd, addr(p), uint32(len(p))))
}

func mkdirAt(fd uint32, path string) abi.Errno  { return pathCall(fd, path, path_create_directory) }
func unlinkAt(fd uint32, path string) abi.Errno { return pathCall(fd, path, path_unlink_file) }
func rmdirAt(fd uint32, path string) abi.Errno  { return pathCall(fd, path, path_remove_directory) }

func readlinkAt(fd uint32, path string) abi.Errno {
	p, buf, used := bytesOf(path), alloc(64), alloc(4)
	return abi.Errno(path_readlink(fd, addr(p), uint32(len(p)), addr(buf), uint32(len(buf)), addr(used)))
}

func symlinkAt(target string, fd uint32, path string) abi.Errno {
	t, p := bytesOf(target), bytesOf(path)
	return abi.Errno(path_symlink(addr(t), uint32(len(t)), fd, addr(p), uint32(len(p))))
}

func linkAt(oldFD uint32, oldPath string, newFD uint32, newPath string) abi.Errno {
	o, n := bytesOf(oldPath), bytesOf(newPath)
	return abi.Errno(path_link(oldFD, 0, addr(o), uint32(len(o)), newFD, addr(n), uint32(len(n))))
}

func renameAt(oldFD uint32, oldPath string, newFD uint32, newPath string) abi.Errno {
	o, n := bytesOf(oldPath), bytesOf(newPath)
	return abi.Errno(path_rename(oldFD, addr(o), uint32(len(o)), newFD, addr(n), uint32(len(n))))
}

func setTimesAt(fd uint32, path string, flags uint32) abi.Errno {
	p := bytesOf(path)
	return abi.Errno(path_filestat_set_times(fd, abi.LookupSymlinkFollow, addr(p), uint32(len(p)), 1, 2, flags))
}
