package shim

import (
	"errors"
	"io"

	"github.com/mwasm/mwasm/abi"
)

// WASI filetype values.
const (
	filetypeUnknown   = 0
	filetypeBlock     = 1
	filetypeCharacter = 2
	filetypeDirectory = 3
)

// rightWrite is the FD_WRITE right (path_open refuses it on a directory).
const rightWrite = abi.RightFdWrite

// Inode numbers reported by fd_filestat_get and fd_readdir.
func inode(k fdKind) uint64 {
	switch k {
	case kindDir:
		return 1
	case kindNet:
		return 2
	case kindDisk:
		return 3
	}
	return 3 + uint64(k) // stdin 4, stdout 5, stderr 6
}

func filetype(k fdKind) uint8 {
	switch k {
	case kindDir, kindTreeDir:
		return filetypeDirectory
	case kindTreeFile:
		return FiletypeRegular
	case kindDisk:
		return filetypeBlock
	case kindStdin, kindStdout, kindStderr, kindNet, kindNetV:
		return filetypeCharacter
	}
	return filetypeUnknown
}

func rights(k fdKind) (base, inheriting uint64) {
	switch k {
	case kindDir:
		return abi.RightsDir, abi.RightsDirInheriting
	case kindTreeDir:
		return rightsTreeDir, rightsTreeInheriting
	case kindTreeFile:
		return rightsTreeFile, 0
	case kindDisk:
		return abi.RightsDisk, 0
	case kindNet, kindNetV:
		return abi.RightsNet, 0
	}
	return abi.RightsConsole, 0
}

// diskSize is the size of disk0 in bytes.
func (w *WASI) diskSize() uint64 { return w.disk.Sectors() * uint64(w.disk.SectorSize()) }

// --- iovecs ---------------------------------------------------------------------------

type iovec struct{ buf, len uint32 }

// maxIovecs is the largest iovec count accepted (like Linux's IOV_MAX).
const maxIovecs = 1024

// readIovecs loads n iovecs from iovsPtr and returns them with their total length.
func (w *WASI) readIovecs(iovsPtr, n uint32) ([]iovec, uint64, abi.Errno) {
	if n > maxIovecs {
		return nil, 0, abi.EINVAL
	}
	raw := w.scratch(int(n) * 8)
	if !w.mem.Read(iovsPtr, raw) {
		return nil, 0, abi.EFAULT
	}
	w.iovs = w.iovs[:0]
	var total uint64
	for i := uint32(0); i < n; i++ {
		v := iovec{le32(raw[i*8:]), le32(raw[i*8+4:])}
		if !w.valid(v.buf, v.len) {
			return nil, 0, abi.EFAULT
		}
		total += uint64(v.len)
		if v.len > 0 {
			w.iovs = append(w.iovs, v)
		}
	}
	return w.iovs, total, abi.ESUCCESS
}

// iovCursor walks a list of iovecs, copying between them and Go buffers.
type iovCursor struct {
	iovs []iovec
	i    int
	off  uint32
}

// gather fills dst from the iovecs (the app's memory), advancing the cursor.
func (c *iovCursor) gather(m Memory, dst []byte) bool {
	for len(dst) > 0 && c.i < len(c.iovs) {
		v := c.iovs[c.i]
		n := min(uint32(len(dst)), v.len-c.off)
		if !m.Read(v.buf+c.off, dst[:n]) {
			return false
		}
		dst = dst[n:]
		c.advance(n)
	}
	return true
}

// scatter stores src into the iovecs, advancing the cursor.
func (c *iovCursor) scatter(m Memory, src []byte) bool {
	for len(src) > 0 && c.i < len(c.iovs) {
		v := c.iovs[c.i]
		n := min(uint32(len(src)), v.len-c.off)
		if !m.Write(v.buf+c.off, src[:n]) {
			return false
		}
		src = src[n:]
		c.advance(n)
	}
	return true
}

func (c *iovCursor) advance(n uint32) {
	c.off += n
	if c.off == c.iovs[c.i].len {
		c.i++
		c.off = 0
	}
}

// --- fd_read / fd_write / fd_pread / fd_pwrite ---------------------------------------------

// FdRead is fd_read(fd, iovs, iovs_len, nread_ptr).
func (w *WASI) FdRead(fd, iovsPtr, iovsLen, nreadPtr uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	if !w.valid(nreadPtr, 4) {
		return abi.EFAULT
	}
	iovs, total, e := w.readIovecs(iovsPtr, iovsLen)
	if e != abi.ESUCCESS {
		return e
	}
	var n uint64
	switch f.kind {
	case kindStdin:
		n, e = w.readStdin(f, iovs, total)
	case kindNet:
		n, e = w.readNet(iovs, total)
	case kindNetV:
		n, e = w.readNetV(iovs, total)
	case kindDisk:
		n, e = w.diskRead(iovs, total, f.pos)
		f.pos += n
	case kindTreeFile, kindTreeDir:
		n, e = w.treeRead(f, iovs, total, f.pos)
		f.pos += n
	case kindDir:
		return abi.EISDIR
	default:
		return abi.EBADF
	}
	if e != abi.ESUCCESS {
		return e
	}
	if !w.writeU32(nreadPtr, uint32(n)) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// FdWrite is fd_write(fd, iovs, iovs_len, nwritten_ptr).
func (w *WASI) FdWrite(fd, iovsPtr, iovsLen, nwrittenPtr uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	if !w.valid(nwrittenPtr, 4) {
		return abi.EFAULT
	}
	iovs, total, e := w.readIovecs(iovsPtr, iovsLen)
	if e != abi.ESUCCESS {
		return e
	}
	var n uint64
	switch f.kind {
	case kindStdout, kindStderr:
		n, e = w.writeConsole(f, iovs, total)
	case kindNet:
		n, e = w.writeNet(iovs, total)
	case kindNetV:
		n, e = w.writeNetV(iovs, total)
	case kindDisk:
		n, e = w.diskWrite(f, iovs, total, f.pos)
		f.pos += n
	case kindTreeFile, kindTreeDir:
		var off uint64
		if off, e = f.appendOffset(); e == abi.ESUCCESS {
			n, e = w.treeWrite(f, iovs, total, off)
			f.pos = off + n
		}
	case kindDir:
		return abi.EISDIR
	default:
		return abi.EBADF
	}
	if e != abi.ESUCCESS {
		return e
	}
	if !w.writeU32(nwrittenPtr, uint32(n)) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// FdPread is fd_pread(fd, iovs, iovs_len, offset, nread_ptr): disk0 only.
func (w *WASI) FdPread(fd, iovsPtr, iovsLen uint32, offset uint64, nreadPtr uint32) abi.Errno {
	return w.positionalIO(fd, iovsPtr, iovsLen, nreadPtr, func(f *openFile, iovs []iovec, total uint64) (uint64, abi.Errno) {
		if f.kind == kindTreeFile {
			return w.treeRead(f, iovs, total, offset)
		}
		return w.diskRead(iovs, total, offset)
	})
}

// FdPwrite is fd_pwrite(fd, iovs, iovs_len, offset, nwritten_ptr): disk0 only.
func (w *WASI) FdPwrite(fd, iovsPtr, iovsLen uint32, offset uint64, nwrittenPtr uint32) abi.Errno {
	return w.positionalIO(fd, iovsPtr, iovsLen, nwrittenPtr, func(f *openFile, iovs []iovec, total uint64) (uint64, abi.Errno) {
		if f.kind == kindTreeFile {
			return w.treeWrite(f, iovs, total, offset)
		}
		return w.diskWrite(f, iovs, total, offset)
	})
}

// positionalIO is fd_pread and fd_pwrite up to the transfer: the checks in the
// ABI's order (EBADF, ESPIPE, EFAULT on the result pointer, then the iovecs),
// then io, then the byte count stored at nPtr.
func (w *WASI) positionalIO(fd, iovsPtr, iovsLen, nPtr uint32, io func(f *openFile, iovs []iovec, total uint64) (uint64, abi.Errno)) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	if e := positional(f); e != abi.ESUCCESS {
		return e
	}
	if !w.valid(nPtr, 4) {
		return abi.EFAULT
	}
	iovs, total, e := w.readIovecs(iovsPtr, iovsLen)
	if e != abi.ESUCCESS {
		return e
	}
	n, e := io(f, iovs, total)
	if e != abi.ESUCCESS {
		return e
	}
	if !w.writeU32(nPtr, uint32(n)) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// positional checks that f supports offsets (pread/pwrite/seek).
func positional(f *openFile) abi.Errno {
	if f.kind == kindDisk || f.kind == kindTreeFile {
		return abi.ESUCCESS
	}
	if f.kind == kindTreeDir {
		return abi.EISDIR
	}
	return abi.ESPIPE
}

// checkDisk validates a disk transfer of n bytes at off.
func (w *WASI) checkDisk(off, n uint64) abi.Errno {
	ss := uint64(w.disk.SectorSize())
	size := w.diskSize()
	if off%ss != 0 || n%ss != 0 || off > size || n > size-off {
		return abi.EINVAL
	}
	return abi.ESUCCESS
}

func (w *WASI) diskChunk() int {
	ss := w.disk.SectorSize()
	if ss >= maxChunk {
		return ss
	}
	return maxChunk / ss * ss
}

func (w *WASI) diskRead(iovs []iovec, total, off uint64) (uint64, abi.Errno) {
	if total == 0 || off == w.diskSize() && off%uint64(w.disk.SectorSize()) == 0 {
		return 0, abi.ESUCCESS // nothing asked, or end of device
	}
	if e := w.checkDisk(off, total); e != abi.ESUCCESS {
		return 0, e
	}
	if total > 1<<31 {
		return 0, abi.EINVAL // nread is 32 bits
	}
	chunk := uint64(w.diskChunk())
	cur := iovCursor{iovs: iovs}
	for done := uint64(0); done < total; {
		b := w.scratch(int(min(chunk, total-done)))
		if err := w.disk.ReadAt(b, int64(off+done)); err != nil {
			return 0, abi.EIO
		}
		if !cur.scatter(w.mem, b) {
			return 0, abi.EFAULT
		}
		done += uint64(len(b))
	}
	return total, abi.ESUCCESS
}

func (w *WASI) diskWrite(f *openFile, iovs []iovec, total, off uint64) (uint64, abi.Errno) {
	if total == 0 {
		return 0, abi.ESUCCESS
	}
	if e := w.checkDisk(off, total); e != abi.ESUCCESS {
		return 0, e
	}
	if total > 1<<31 {
		return 0, abi.EINVAL
	}
	chunk := uint64(w.diskChunk())
	cur := iovCursor{iovs: iovs}
	for done := uint64(0); done < total; {
		b := w.scratch(int(min(chunk, total-done)))
		if !cur.gather(w.mem, b) {
			return 0, abi.EFAULT
		}
		if err := w.disk.WriteAt(b, int64(off+done)); err != nil {
			return 0, abi.EIO
		}
		done += uint64(len(b))
	}
	return total, abi.ESUCCESS
}

func (w *WASI) writeConsole(f *openFile, iovs []iovec, total uint64) (uint64, abi.Errno) {
	fd := 1
	if f.kind == kindStderr {
		fd = 2
	}
	cur := iovCursor{iovs: iovs}
	for done := uint64(0); done < total; {
		b := w.scratch(int(min(maxChunk, total-done)))
		if !cur.gather(w.mem, b) {
			return 0, abi.EFAULT
		}
		if err := w.p.Console(fd, b); err != nil {
			if done > 0 {
				return done, abi.ESUCCESS
			}
			return 0, abi.EIO
		}
		done += uint64(len(b))
	}
	return total, abi.ESUCCESS
}

func (w *WASI) writeNet(iovs []iovec, total uint64) (uint64, abi.Errno) {
	return w.sendNet(iovs, total, 14, w.frame, w.net.SendFrame) // 14: an Ethernet header at least
}

func (w *WASI) readNet(iovs []iovec, total uint64) (uint64, abi.Errno) {
	return w.recvNet(iovs, total, w.frame, w.net.RecvFrame)
}

// writeNetV and readNetV move a virtio-net header and its frame (net0v).
func (w *WASI) writeNetV(iovs []iovec, total uint64) (uint64, abi.Errno) {
	return w.sendNet(iovs, total, abi.VnetHdrLen+14, w.vnetBuf(), w.vnet.SendVnet)
}

func (w *WASI) readNetV(iovs []iovec, total uint64) (uint64, abi.Errno) {
	return w.recvNet(iovs, total, w.vnetBuf(), w.vnet.RecvVnet)
}

// vnetBuf is the scratch of a net0v transfer: a header and the longest frame.
func (w *WASI) vnetBuf() []byte {
	if w.vbuf == nil {
		w.vbuf = make([]byte, abi.VnetHdrLen+abi.VnetMaxFrame)
	}
	return w.vbuf
}

// sendNet gathers one write of least..len(buf) bytes into buf and sends it.
func (w *WASI) sendNet(iovs []iovec, total, least uint64, buf []byte, send func([]byte) error) (uint64, abi.Errno) {
	if total < least {
		return 0, abi.EINVAL
	}
	if total > uint64(len(buf)) {
		return 0, abi.EMSGSIZE
	}
	b := buf[:total]
	cur := iovCursor{iovs: iovs}
	if !cur.gather(w.mem, b) {
		return 0, abi.EFAULT
	}
	if err := send(b); err != nil {
		return 0, devErrno(err)
	}
	return total, abi.ESUCCESS
}

// recvNet receives one frame (at most total bytes of it) through buf and
// scatters it over iovs.
func (w *WASI) recvNet(iovs []iovec, total uint64, buf []byte, recv func([]byte) (int, error)) (uint64, abi.Errno) {
	if total == 0 {
		return 0, abi.ESUCCESS // do not consume a frame into nothing
	}
	b := buf[:min(total, uint64(len(buf)))]
	n, err := recv(b)
	if err != nil {
		return 0, devErrno(err)
	}
	cur := iovCursor{iovs: iovs}
	if !cur.scatter(w.mem, b[:n]) {
		return 0, abi.EFAULT
	}
	return uint64(n), abi.ESUCCESS
}

func (w *WASI) readStdin(f *openFile, iovs []iovec, total uint64) (uint64, abi.Errno) {
	in := w.p.Stdin()
	if in == nil || total == 0 {
		return 0, abi.ESUCCESS
	}
	b := w.scratch(int(min(maxChunk, total)))
	for {
		n, err := in.Read(b)
		if err == ErrAgain {
			if f.flags&fdflagNonblock != 0 {
				return 0, abi.EAGAIN
			}
			w.p.Wait(NoDeadline)
			continue
		}
		if err == io.EOF && n == 0 {
			return 0, abi.ESUCCESS
		}
		if err != nil && err != io.EOF {
			return 0, abi.EIO
		}
		cur := iovCursor{iovs: iovs}
		if !cur.scatter(w.mem, b[:n]) {
			return 0, abi.EFAULT
		}
		return uint64(n), abi.ESUCCESS
	}
}

// --- fd metadata ------------------------------------------------------------------------

// FdClose is fd_close(fd). Closing an fd does not close its device.
func (w *WASI) FdClose(fd uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	f.closeTree()
	w.files[fd] = nil
	return abi.ESUCCESS
}

// FdAdvise is fd_advise(fd, offset, len, advice): accepted (and ignored) on disk0.
func (w *WASI) FdAdvise(fd uint32, offset, length uint64, advice uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	if advice > 5 {
		return abi.EINVAL
	}
	return positional(f)
}

// FdDatasync is fd_datasync(fd): the durability barrier of disk0.
func (w *WASI) FdDatasync(fd uint32) abi.Errno { return w.sync(fd) }

// FdSync is fd_sync(fd): the same as fd_datasync (a disk has no metadata).
func (w *WASI) FdSync(fd uint32) abi.Errno { return w.sync(fd) }

func (w *WASI) sync(fd uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	switch f.kind {
	case kindDisk:
		if err := w.disk.Sync(); err != nil {
			if errors.Is(err, ErrNotSupported) {
				return abi.ENOTSUP
			}
			return abi.EIO
		}
		return abi.ESUCCESS
	case kindStdin, kindStdout, kindStderr:
		return abi.ESUCCESS // console output is delivered as it is written
	case kindTreeFile:
		return f.fh.Sync()
	case kindTreeDir:
		return abi.ESUCCESS // a directory's changes are made as they are asked
	}
	return abi.EINVAL // net0 and directories have nothing to make durable
}

// FdFdstatGet is fd_fdstat_get(fd, fdstat_ptr).
func (w *WASI) FdFdstatGet(fd, statPtr uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	b := w.tmp[:24]
	clear(b)
	b[0] = f.ftype
	flags := f.flags
	if f.kind == kindNet || f.kind == kindNetV {
		flags |= fdflagNonblock // net0 never blocks, whatever was set
	}
	put16(b[2:], flags)
	put64(b[8:], f.rightsBase)
	put64(b[16:], f.rightsInheriting)
	if !w.mem.Write(statPtr, b) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// checkFlags validates fdflags for a file of kind k: NONBLOCK is accepted everywhere,
// APPEND on the console only (writes there always append); DSYNC, RSYNC, SYNC and
// APPEND on a device are ENOTSUP (fd_datasync is the disk's barrier).
func checkFlags(k fdKind, flags uint32) abi.Errno {
	if flags&^uint32(fdflagAppend|fdflagDsync|fdflagNonblock|fdflagRsync|fdflagSync) != 0 {
		return abi.EINVAL
	}
	if flags&(fdflagDsync|fdflagSync|fdflagRsync) != 0 {
		return abi.ENOTSUP
	}
	if flags&fdflagAppend != 0 && k != kindStdin && k != kindStdout && k != kindStderr {
		return abi.ENOTSUP
	}
	return abi.ESUCCESS
}

// FdFdstatSetFlags is fd_fdstat_set_flags(fd, flags). NONBLOCK is accepted on every
// descriptor (net0 never blocks anyway; stdin then answers EAGAIN instead of waiting).
func (w *WASI) FdFdstatSetFlags(fd, flags uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	if f.kind == kindTreeFile || f.kind == kindTreeDir {
		if e := treeFlags(f.kind, flags); e != abi.ESUCCESS {
			return e
		}
	} else if e := checkFlags(f.kind, flags); e != abi.ESUCCESS {
		return e
	}
	f.flags = uint16(flags)
	return abi.ESUCCESS
}

// putFilestat writes the filestat record of kind k and filetype ft at ptr.
func (w *WASI) putFilestat(k fdKind, ft uint8, ptr uint32) abi.Errno {
	b := w.tmp[:64]
	clear(b)
	put64(b[0:], 1) // dev
	put64(b[8:], inode(k))
	b[16] = ft
	put64(b[24:], 1) // nlink
	if k == kindDisk {
		put64(b[32:], w.diskSize())
	}
	if !w.mem.Write(ptr, b) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// FdFilestatGet is fd_filestat_get(fd, filestat_ptr).
func (w *WASI) FdFilestatGet(fd, statPtr uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	if f.kind == kindTreeFile || f.kind == kindTreeDir {
		st, e := f.treeStat()
		if e != abi.ESUCCESS {
			return e
		}
		return w.putStat(st, statPtr)
	}
	return w.putFilestat(f.kind, f.ftype, statPtr)
}

// FdPrestatGet is fd_prestat_get(fd, prestat_ptr): fd 3 is the preopened "/dev";
// every other fd answers EBADF (the end of the preopen list).
func (w *WASI) FdPrestatGet(fd, ptr uint32) abi.Errno {
	f := w.file(fd)
	if f == nil || !f.preopen {
		return abi.EBADF
	}
	b := w.tmp[:8]
	clear(b)
	b[0] = 0 // preopentype dir
	put32(b[4:], uint32(len(f.preopenName())))
	if !w.mem.Write(ptr, b) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// FdPrestatDirName is fd_prestat_dir_name(fd, path, path_len).
func (w *WASI) FdPrestatDirName(fd, pathPtr, pathLen uint32) abi.Errno {
	f := w.file(fd)
	if f == nil || !f.preopen {
		return abi.EBADF
	}
	name := f.preopenName()
	if pathLen < uint32(len(name)) {
		return abi.EINVAL
	}
	if !w.mem.Write(pathPtr, []byte(name)) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// preopenName is the name fd_prestat_dir_name gives for preopen f.
func (f *openFile) preopenName() string {
	if f.kind == kindTreeDir {
		return f.name
	}
	return abi.DevDir
}

// FdSeek is fd_seek(fd, offset, whence, newoffset_ptr). disk0 keeps a position (any
// non-negative value; transfers check it); everything else answers ESPIPE.
func (w *WASI) FdSeek(fd uint32, offset uint64, whence, newPtr uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	delta := int64(offset)
	if f.kind == kindTreeFile || f.kind == kindTreeDir {
		return w.treeSeek(f, delta, whence, newPtr)
	}
	if f.kind != kindDisk {
		return abi.ESPIPE
	}
	var base int64
	switch whence {
	case 0: // SET
	case 1: // CUR
		base = int64(f.pos)
	case 2: // END
		base = int64(w.diskSize())
	default:
		return abi.EINVAL
	}
	return w.seekTo(f, base, delta, newPtr)
}

// seekTo moves f to base+delta (EINVAL when that overflows or is negative) and
// stores the new offset at newPtr: the end of fd_seek for every seekable kind.
func (w *WASI) seekTo(f *openFile, base, delta int64, newPtr uint32) abi.Errno {
	pos := base + delta
	if (delta > 0 && pos < base) || pos < 0 {
		return abi.EINVAL
	}
	if !w.writeU64(newPtr, uint64(pos)) {
		return abi.EFAULT
	}
	f.pos = uint64(pos)
	return abi.ESUCCESS
}

// FdTell is fd_tell(fd, offset_ptr).
func (w *WASI) FdTell(fd, ptr uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	if e := positional(f); e != abi.ESUCCESS {
		return e
	}
	if !w.writeU64(ptr, f.pos) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// dirEntry is one entry of /dev.
type dirEntry struct {
	name string
	kind fdKind
}

func (w *WASI) entries() []dirEntry {
	var list []dirEntry
	if w.net != nil {
		list = append(list, dirEntry{abi.NetDev, kindNet})
		if w.vnet != nil {
			list = append(list, dirEntry{abi.NetVnetDev, kindNetV})
		}
	}
	if w.disk != nil {
		list = append(list, dirEntry{abi.DiskDev, kindDisk})
	}
	return list
}

// FdReaddir is fd_readdir(fd, buf, buf_len, cookie, bufused_ptr). The entries are
// the present devices, net0 before disk0 (no "." or ".."); the cookie is the index of
// the next entry. As the spec
// says, the last entry is cut short when the buffer is full (bufused == buf_len).
func (w *WASI) FdReaddir(fd, buf, bufLen uint32, cookie uint64, usedPtr uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	if f.kind == kindTreeDir || f.kind == kindTreeFile {
		return w.treeReaddir(f, buf, bufLen, cookie, usedPtr)
	}
	if f.kind != kindDir {
		return abi.ENOTDIR
	}
	var list []Dirent
	for _, e := range w.entries() {
		list = append(list, Dirent{Name: e.name, Ino: inode(e.kind), Type: filetype(e.kind)})
	}
	return w.putDirents(list, buf, bufLen, cookie, usedPtr)
}

// putDirents writes the entries of list from cookie on into buf as WASI dirents,
// the last one cut at the end of the buffer.
func (w *WASI) putDirents(list []Dirent, buf, bufLen uint32, cookie uint64, usedPtr uint32) abi.Errno {
	var out []byte
	for i := cookie; i < uint64(len(list)) && uint64(len(out)) < uint64(bufLen); i++ {
		e := list[i]
		var d [24]byte
		put64(d[0:], i+1)
		put64(d[8:], e.Ino)
		put32(d[16:], uint32(len(e.Name)))
		d[20] = e.Type
		out = append(out, d[:]...)
		out = append(out, e.Name...)
	}
	if uint64(len(out)) > uint64(bufLen) {
		out = out[:bufLen]
	}
	if !w.mem.Write(buf, out) {
		return abi.EFAULT
	}
	if !w.writeU32(usedPtr, uint32(len(out))) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// --- paths -------------------------------------------------------------------------------

// maxPath bounds path arguments.
const maxPath = 4096

// readPath loads a path argument.
func (w *WASI) readPath(ptr, n uint32) (string, abi.Errno) {
	if n > maxPath {
		return "", abi.ENAMETOOLONG
	}
	b := make([]byte, n)
	if !w.mem.Read(ptr, b) {
		return "", abi.EFAULT
	}
	return string(b), abi.ESUCCESS
}

// resolve finds what path (relative to /dev) names: "." is the directory itself,
// "net0" and "disk0" the present devices; every other name is ENOENT.
func (w *WASI) resolve(path string) (fdKind, abi.Errno) {
	if path == "." {
		return kindDir, abi.ESUCCESS
	}
	return w.lookup(path)
}

// lookup finds a name in /dev.
func (w *WASI) lookup(name string) (fdKind, abi.Errno) {
	switch {
	case name == abi.NetDev && w.net != nil:
		return kindNet, abi.ESUCCESS
	case name == abi.NetVnetDev && w.vnet != nil:
		return kindNetV, abi.ESUCCESS
	case name == abi.DiskDev && w.disk != nil:
		return kindDisk, abi.ESUCCESS
	}
	return 0, abi.ENOENT
}

// WASI oflags.
const (
	oflagCreat     = 1 << 0
	oflagDirectory = 1 << 1
	oflagExcl      = 1 << 2
	oflagTrunc     = 1 << 3
)

// PathOpen is path_open(dirfd, dirflags, path, path_len, oflags, rights_base,
// rights_inheriting, fdflags, fd_ptr). dirfd must be a directory fd (the preopened
// /dev or a re-opening of it). Requested rights are not enforced except that a
// directory is not opened for writing (EISDIR), which is what Go's syscall.Open
// expects before it retries with directory rights. Nothing can be created in /dev:
// O_CREAT of an existing device opens it (O_EXCL then fails with EEXIST), of a new
// name fails with ENOENT. O_TRUNC on a device is ignored, as on Linux.
func (w *WASI) PathOpen(dirfd, dirflags, pathPtr, pathLen, oflags uint32,
	rightsBase, rightsInheriting uint64, fdflags, fdPtr uint32) abi.Errno {
	d := w.file(dirfd)
	if d == nil {
		return abi.EBADF
	}
	if d.kind == kindTreeDir {
		return w.treeOpen(d, dirflags, pathPtr, pathLen, oflags, rightsBase, rightsInheriting, fdflags, fdPtr)
	}
	if d.kind != kindDir {
		return abi.ENOTDIR
	}
	if oflags&^uint32(oflagCreat|oflagDirectory|oflagExcl|oflagTrunc) != 0 {
		return abi.EINVAL
	}
	path, e := w.readPath(pathPtr, pathLen)
	if e != abi.ESUCCESS {
		return e
	}
	k, e := w.resolve(path)
	if e != abi.ESUCCESS {
		return e
	}
	if oflags&oflagCreat != 0 && oflags&oflagExcl != 0 {
		return abi.EEXIST
	}
	if oflags&oflagTrunc != 0 {
		return abi.EINVAL
	}
	if k == kindDir {
		if oflags&oflagCreat != 0 || rightsBase&rightWrite != 0 {
			return abi.EISDIR
		}
	} else if oflags&oflagDirectory != 0 {
		return abi.ENOTDIR
	}
	if e := checkFlags(k, fdflags); e != abi.ESUCCESS {
		return e
	}
	fd := w.alloc(newFile(k, uint16(fdflags)))
	if !w.writeU32(fdPtr, fd) {
		w.files[fd] = nil
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// PathFilestatGet is path_filestat_get(dirfd, flags, path, path_len, filestat_ptr).
func (w *WASI) PathFilestatGet(dirfd, flags, pathPtr, pathLen, statPtr uint32) abi.Errno {
	d := w.file(dirfd)
	if d == nil {
		return abi.EBADF
	}
	if d.kind == kindTreeDir {
		return w.treeFilestat(d, flags, pathPtr, pathLen, statPtr)
	}
	if d.kind != kindDir {
		return abi.ENOTDIR
	}
	path, e := w.readPath(pathPtr, pathLen)
	if e != abi.ESUCCESS {
		return e
	}
	k, e := w.resolve(path)
	if e != abi.ESUCCESS {
		return e
	}
	return w.putFilestat(k, filetype(k), statPtr)
}
