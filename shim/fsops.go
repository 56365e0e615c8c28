package shim

import "github.com/mwasm/mwasm/abi"

// The WASI calls that would change descriptors' metadata or the /dev directory. The
// fd table is the app's own, so fd_renumber and fd_fdstat_set_rights really act. The
// devices and /dev are fixed when the image is built, so the calls that would resize,
// retime, create, link, rename or remove answer with the errno a program can act on,
// as a POSIX system with a fixed device directory would (abi/README.md, section 2,
// has the table):
//
//   - a name that exists where the call would create one: EEXIST;
//   - a name that does not exist where the call needs one: ENOENT;
//   - a change the fixed directory cannot make: EPERM (EISDIR, ENOTDIR, EINVAL, EBUSY
//     where POSIX names a more precise reason for "." or a device);
//   - timestamps, which devices do not keep: ENOTSUP.

// fstflags of fd_filestat_set_times and path_filestat_set_times.
const (
	fstAtim    = 1 << 0
	fstAtimNow = 1 << 1
	fstMtim    = 1 << 2
	fstMtimNow = 1 << 3
)

// pathClass is what a path relative to a directory descriptor names.
type pathClass uint8

const (
	pathDot     pathClass = iota + 1 // "." : the directory itself
	pathDevice                       // a present device
	pathAbsent                       // a single name that /dev does not hold (it could only be created)
	pathNowhere                      // "", "..", or a name with '/' or NUL: nothing exists there
)

// classify says what path names in /dev.
func (w *WASI) classify(path string) pathClass {
	switch path {
	case ".":
		return pathDot
	case "", "..":
		return pathNowhere
	}
	for i := 0; i < len(path); i++ {
		if path[i] == '/' || path[i] == 0 {
			return pathNowhere
		}
	}
	if _, e := w.lookup(path); e == abi.ESUCCESS {
		return pathDevice
	}
	return pathAbsent
}

// dirPath checks that dirfd is an open directory and loads the path argument.
func (w *WASI) dirPath(dirfd, pathPtr, pathLen uint32) (string, abi.Errno) {
	d := w.file(dirfd)
	if d == nil {
		return "", abi.EBADF
	}
	if d.kind != kindDir {
		return "", abi.ENOTDIR
	}
	return w.readPath(pathPtr, pathLen)
}

// exists reports whether c names something (the directory or a device).
func (c pathClass) exists() bool { return c == pathDot || c == pathDevice }

// FdRenumber is fd_renumber(from, to): fd to becomes the object of fd from (its
// flags, position and rights), fd from is closed, and the object to held before is
// closed. Both must be open (EBADF otherwise), as WASI specifies: to get a new number,
// open a new descriptor. Every descriptor is ordinary here, the console and the
// preopened /dev included; the preopen moves with its object (fd_prestat_get answers
// for its new number).
func (w *WASI) FdRenumber(from, to uint32) abi.Errno {
	f := w.file(from)
	if f == nil || w.file(to) == nil {
		return abi.EBADF
	}
	if from != to {
		w.files[to].closeTree()
		w.files[to] = f
		w.files[from] = nil
	}
	return abi.ESUCCESS
}

// FdFdstatSetRights is fd_fdstat_set_rights(fd, rights_base, rights_inheriting). Rights
// can only be dropped, as in WASI: asking for a right the descriptor does not have
// gives ENOTCAPABLE. The new rights are recorded and reported by fd_fdstat_get; they
// are not enforced (no ABI right is: calls are judged by what the descriptor is).
func (w *WASI) FdFdstatSetRights(fd uint32, base, inheriting uint64) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	if base&^f.rightsBase != 0 || inheriting&^f.rightsInheriting != 0 {
		return abi.ENOTCAPABLE
	}
	f.rightsBase, f.rightsInheriting = base, inheriting
	return abi.ESUCCESS
}

// maxOff is the largest file offset (off_t is signed 64-bit in every libc).
const maxOff = 1<<63 - 1

// FdAllocate is fd_allocate(fd, offset, len): posix_fallocate. disk0's space all
// exists, so a range inside the device succeeds at once and one reaching past its end
// gives ENOSPC (the device cannot grow). len 0, or an offset or length above 2^63-1,
// gives EINVAL. Like fd_advise, any other descriptor gives ESPIPE.
func (w *WASI) FdAllocate(fd uint32, offset, length uint64) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	if e := positional(f); e != abi.ESUCCESS {
		return e
	}
	if length == 0 || offset > maxOff || length > maxOff {
		return abi.EINVAL
	}
	if f.kind == kindTreeFile {
		if f.rightsBase&abi.RightFdAllocate == 0 || !f.hwrite {
			return abi.EBADF
		}
		if length > maxOff-offset {
			return abi.EFBIG
		}
		return f.fh.Allocate(offset, length)
	}
	size := w.diskSize()
	if offset > size || length > size-offset {
		return abi.ENOSPC
	}
	return abi.ESUCCESS
}

// FdFilestatSetSize is fd_filestat_set_size(fd, size): ftruncate. disk0's size is
// fixed: setting it to its size succeeds (nothing changes), any other size gives
// EINVAL. A directory gives EISDIR; the console and net0 EINVAL.
func (w *WASI) FdFilestatSetSize(fd uint32, size uint64) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	switch {
	case f.kind == kindTreeFile:
		if f.rightsBase&abi.RightFdFilestatSetSize == 0 || !f.hwrite {
			return abi.EINVAL // as ftruncate on a descriptor not open for writing
		}
		if size > maxOff {
			return abi.EFBIG
		}
		return f.fh.Truncate(size)
	case f.kind == kindDir || f.kind == kindTreeDir:
		return abi.EISDIR
	case f.kind == kindDisk && size == w.diskSize():
		return abi.ESUCCESS
	}
	return abi.EINVAL
}

// checkTimes validates fstflags: unknown bits, or a time both given and "now", give
// EINVAL. It reports whether anything is to be set.
func checkTimes(flags uint32) (bool, abi.Errno) {
	if flags&^uint32(fstAtim|fstAtimNow|fstMtim|fstMtimNow) != 0 ||
		flags&(fstAtim|fstAtimNow) == fstAtim|fstAtimNow ||
		flags&(fstMtim|fstMtimNow) == fstMtim|fstMtimNow {
		return false, abi.EINVAL
	}
	return flags != 0, abi.ESUCCESS
}

// FdFilestatSetTimes is fd_filestat_set_times(fd, atim, mtim, fst_flags). Devices and
// /dev keep no timestamps (fd_filestat_get reports 0), so setting one gives ENOTSUP;
// flags asking for nothing succeed; invalid flags give EINVAL.
func (w *WASI) FdFilestatSetTimes(fd uint32, atim, mtim uint64, flags uint32) abi.Errno {
	f := w.file(fd)
	if f == nil {
		return abi.EBADF
	}
	set, e := checkTimes(flags)
	if e != abi.ESUCCESS || !set {
		return e
	}
	switch f.kind {
	case kindTreeFile:
		return f.fh.SetTimes(atim, mtim, flags)
	case kindTreeDir:
		return f.dir.SetTimes(".", atim, mtim, flags)
	}
	return abi.ENOTSUP
}

// PathFilestatSetTimes is path_filestat_set_times(dirfd, lookup_flags, path, path_len,
// atim, mtim, fst_flags): fd_filestat_set_times by name; a name that does not exist
// gives ENOENT.
func (w *WASI) PathFilestatSetTimes(dirfd, lookupFlags, pathPtr, pathLen uint32, atim, mtim uint64, flags uint32) abi.Errno {
	if d, ok := w.treeDir(dirfd); ok {
		return w.treeSetTimes(d, lookupFlags, pathPtr, pathLen, atim, mtim, flags)
	}
	path, e := w.dirPath(dirfd, pathPtr, pathLen)
	if e != abi.ESUCCESS {
		return e
	}
	set, e := checkTimes(flags)
	if e != abi.ESUCCESS {
		return e
	}
	if !w.classify(path).exists() {
		return abi.ENOENT
	}
	if !set {
		return abi.ESUCCESS
	}
	return abi.ENOTSUP
}

// PathCreateDirectory is path_create_directory(dirfd, path, path_len): mkdir. An
// existing name gives EEXIST, a new name EPERM (/dev is fixed), a path through a
// missing directory ENOENT.
func (w *WASI) PathCreateDirectory(dirfd, pathPtr, pathLen uint32) abi.Errno {
	if d, ok := w.treeDir(dirfd); ok {
		return w.treeMkdir(d, pathPtr, pathLen)
	}
	path, e := w.dirPath(dirfd, pathPtr, pathLen)
	if e != abi.ESUCCESS {
		return e
	}
	switch c := w.classify(path); {
	case c.exists():
		return abi.EEXIST
	case c == pathAbsent:
		return abi.EPERM
	}
	return abi.ENOENT
}

// PathUnlinkFile is path_unlink_file(dirfd, path, path_len): unlink. A device gives
// EPERM (/dev is fixed), "." EISDIR (as WASI specifies for directories), a missing
// name ENOENT.
func (w *WASI) PathUnlinkFile(dirfd, pathPtr, pathLen uint32) abi.Errno {
	if d, ok := w.treeDir(dirfd); ok {
		return w.treeUnlink(d, pathPtr, pathLen)
	}
	path, e := w.dirPath(dirfd, pathPtr, pathLen)
	if e != abi.ESUCCESS {
		return e
	}
	switch w.classify(path) {
	case pathDot:
		return abi.EISDIR
	case pathDevice:
		return abi.EPERM
	}
	return abi.ENOENT
}

// PathRemoveDirectory is path_remove_directory(dirfd, path, path_len): rmdir. "."
// gives EINVAL (as POSIX rmdir does), a device ENOTDIR, a missing name ENOENT.
func (w *WASI) PathRemoveDirectory(dirfd, pathPtr, pathLen uint32) abi.Errno {
	if d, ok := w.treeDir(dirfd); ok {
		return w.treeRmdir(d, pathPtr, pathLen)
	}
	path, e := w.dirPath(dirfd, pathPtr, pathLen)
	if e != abi.ESUCCESS {
		return e
	}
	switch w.classify(path) {
	case pathDot:
		return abi.EINVAL
	case pathDevice:
		return abi.ENOTDIR
	}
	return abi.ENOENT
}

// PathSymlink is path_symlink(old_path, old_path_len, dirfd, new_path, new_path_len):
// symlink. The link's contents (old_path) are not interpreted, but an empty one gives
// ENOENT as in POSIX. An existing new name gives EEXIST, a new one EPERM (/dev is
// fixed), a path through a missing directory ENOENT.
func (w *WASI) PathSymlink(oldPtr, oldLen, dirfd, newPtr, newLen uint32) abi.Errno {
	d := w.file(dirfd)
	if d == nil {
		return abi.EBADF
	}
	if d.kind != kindDir && d.kind != kindTreeDir {
		return abi.ENOTDIR
	}
	target, e := w.readPath(oldPtr, oldLen)
	if e != abi.ESUCCESS {
		return e
	}
	if d.kind == kindTreeDir {
		return w.treeSymlink(target, d, newPtr, newLen)
	}
	path, e := w.readPath(newPtr, newLen)
	if e != abi.ESUCCESS {
		return e
	}
	if target == "" {
		return abi.ENOENT
	}
	return w.createName(path)
}

// createName is the errno of creating a new entry path in /dev.
func (w *WASI) createName(path string) abi.Errno {
	switch c := w.classify(path); {
	case c.exists():
		return abi.EEXIST
	case c == pathAbsent:
		return abi.EPERM
	}
	return abi.ENOENT
}

// PathLink is path_link(old_dirfd, old_flags, old_path, old_path_len, new_dirfd,
// new_path, new_path_len): link. A missing source gives ENOENT; then an existing
// target EEXIST, a target through a missing directory ENOENT; otherwise EPERM (a new
// name in the fixed /dev, or a hard link to a directory).
func (w *WASI) PathLink(oldDirfd, oldFlags, oldPtr, oldLen, newDirfd, newPtr, newLen uint32) abi.Errno {
	if d, ok := w.treeDir(oldDirfd); ok {
		return w.treeLink(d, oldFlags, oldPtr, oldLen, w.file(newDirfd), newPtr, newLen)
	}
	if _, ok := w.treeDir(newDirfd); ok && w.file(oldDirfd) != nil && w.file(oldDirfd).kind == kindDir {
		return abi.EXDEV
	}
	oldPath, e := w.dirPath(oldDirfd, oldPtr, oldLen)
	if e != abi.ESUCCESS {
		return e
	}
	newPath, e := w.dirPath(newDirfd, newPtr, newLen)
	if e != abi.ESUCCESS {
		return e
	}
	if !w.classify(oldPath).exists() {
		return abi.ENOENT
	}
	return w.createName(newPath)
}

// PathRename is path_rename(old_dirfd, old_path, old_path_len, new_dirfd, new_path,
// new_path_len): rename. A missing source, or a target through a missing directory,
// gives ENOENT; "." as either name EBUSY (as Linux); any other rename EPERM (/dev is
// fixed, whether the target exists or not).
func (w *WASI) PathRename(oldDirfd, oldPtr, oldLen, newDirfd, newPtr, newLen uint32) abi.Errno {
	if d, ok := w.treeDir(oldDirfd); ok {
		return w.treeRename(d, oldPtr, oldLen, w.file(newDirfd), newPtr, newLen)
	}
	if _, ok := w.treeDir(newDirfd); ok && w.file(oldDirfd) != nil && w.file(oldDirfd).kind == kindDir {
		return abi.EXDEV
	}
	oldPath, e := w.dirPath(oldDirfd, oldPtr, oldLen)
	if e != abi.ESUCCESS {
		return e
	}
	newPath, e := w.dirPath(newDirfd, newPtr, newLen)
	if e != abi.ESUCCESS {
		return e
	}
	oc, nc := w.classify(oldPath), w.classify(newPath)
	switch {
	case !oc.exists() || nc == pathNowhere:
		return abi.ENOENT
	case oc == pathDot || nc == pathDot:
		return abi.EBUSY
	}
	return abi.EPERM
}

// PathReadlink is path_readlink(dirfd, path, path_len, buf, buf_len, bufused_ptr):
// there are no symbolic links, so an existing name gives EINVAL (as readlink on a
// file that is not a link) and a missing one ENOENT. Nothing is written.
func (w *WASI) PathReadlink(dirfd, pathPtr, pathLen, buf, bufLen, usedPtr uint32) abi.Errno {
	if d, ok := w.treeDir(dirfd); ok {
		return w.treeReadlink(d, pathPtr, pathLen, buf, bufLen, usedPtr)
	}
	path, e := w.dirPath(dirfd, pathPtr, pathLen)
	if e != abi.ESUCCESS {
		return e
	}
	if w.classify(path).exists() {
		return abi.EINVAL
	}
	return abi.ENOENT
}
