package shim

import "github.com/mwasm/mwasm/abi"

// The WASI calls on descriptors of preopened directory trees (fs.go): directories
// (kindTreeDir) and regular files (kindTreeFile). The calls of fd.go and fsops.go
// hand these kinds over here.

// Rights reported for a tree's directories and files.
const (
	rightsTreeFile = abi.RightFdDatasync | abi.RightFdRead | abi.RightFdSeek | abi.RightFdFdstatSetFlags |
		abi.RightFdSync | abi.RightFdTell | abi.RightFdWrite | abi.RightFdAdvise | abi.RightFdAllocate |
		abi.RightFdFilestatGet | abi.RightFdFilestatSetSize | abi.RightFdFilestatSetTimes | abi.RightPollFdReadwrite
	rightsTreeDir = abi.RightFdDatasync | abi.RightFdFdstatSetFlags | abi.RightFdSync |
		abi.RightPathCreateDirectory | abi.RightPathCreateFile | abi.RightPathLinkSource |
		abi.RightPathLinkTarget | abi.RightPathOpen | abi.RightFdReaddir | abi.RightPathReadlink |
		abi.RightPathRenameSource | abi.RightPathRenameTarget | abi.RightPathFilestatGet |
		abi.RightPathFilestatSetSize | abi.RightPathFilestatSetTimes | abi.RightFdFilestatGet |
		abi.RightFdFilestatSetTimes | abi.RightPathSymlink | abi.RightPathRemoveDirectory |
		abi.RightPathUnlinkFile | abi.RightPollFdReadwrite
	rightsTreeInheriting = rightsTreeFile | rightsTreeDir
)

// lookupflags of the path calls.
const lookupSymlinkFollow = 1

// addPreopens puts the trees of cfg after /dev.
func (w *WASI) addPreopens(dirs []Preopen) {
	for _, p := range dirs {
		f := newFile(kindTreeDir, 0)
		f.preopen = true
		f.name = p.Guest
		f.dir = p.Root
		f.ro = p.ReadOnly
		w.files = append(w.files, f)
	}
}

// closeTree releases what a tree descriptor holds.
func (f *openFile) closeTree() {
	switch {
	case f.fh != nil:
		f.fh.Close()
	case f.dir != nil:
		f.dir.Close()
	}
}

// treeDir returns the tree directory of dirfd: EBADF when not open, ENOTDIR when
// not a directory. ok is false when dirfd is /dev (the caller serves it).
func (w *WASI) treeDir(dirfd uint32) (f *openFile, ok bool) {
	f = w.file(dirfd)
	return f, f != nil && f.kind == kindTreeDir
}

// treeWalk loads a path argument and resolves it below d.
func (w *WASI) treeWalk(d *openFile, pathPtr, pathLen uint32, follow bool) (walkResult, abi.Errno) {
	path, e := w.readPath(pathPtr, pathLen)
	if e != abi.ESUCCESS {
		return walkResult{}, e
	}
	return walk(d.dir, path, follow)
}

// --- data ------------------------------------------------------------------------

func (w *WASI) treeRead(f *openFile, iovs []iovec, total, off uint64) (uint64, abi.Errno) {
	if f.kind == kindTreeDir {
		return 0, abi.EISDIR
	}
	if f.rightsBase&abi.RightFdRead == 0 {
		return 0, abi.EBADF
	}
	cur := iovCursor{iovs: iovs}
	var done uint64
	for done < total {
		b := w.scratch(int(min(maxChunk, total-done)))
		n, e := f.fh.ReadAt(b, off+done)
		if e != abi.ESUCCESS {
			if done > 0 {
				break
			}
			return 0, e
		}
		if !cur.scatter(w.mem, b[:n]) {
			return 0, abi.EFAULT
		}
		done += uint64(n)
		if n < len(b) {
			break
		}
	}
	return done, abi.ESUCCESS
}

func (w *WASI) treeWrite(f *openFile, iovs []iovec, total, off uint64) (uint64, abi.Errno) {
	if f.kind == kindTreeDir {
		return 0, abi.EISDIR
	}
	if f.rightsBase&abi.RightFdWrite == 0 || !f.hwrite {
		return 0, abi.EBADF
	}
	if off > maxOff || total > maxOff-off {
		return 0, abi.EFBIG
	}
	cur := iovCursor{iovs: iovs}
	var done uint64
	for done < total {
		b := w.scratch(int(min(maxChunk, total-done)))
		if !cur.gather(w.mem, b) {
			return 0, abi.EFAULT
		}
		n, e := f.fh.WriteAt(b, off+done)
		done += uint64(n)
		if e != abi.ESUCCESS {
			if done > 0 {
				break
			}
			return 0, e
		}
	}
	return done, abi.ESUCCESS
}

// appendOffset is where a write of f starts: its position, or its end in append mode.
func (f *openFile) appendOffset() (uint64, abi.Errno) {
	if f.flags&fdflagAppend == 0 {
		return f.pos, abi.ESUCCESS
	}
	st, e := f.fh.Stat()
	return st.Size, e
}

// --- metadata ------------------------------------------------------------------------

// treeStat is the filestat of a tree descriptor.
func (f *openFile) treeStat() (Filestat, abi.Errno) {
	if f.fh != nil {
		return f.fh.Stat()
	}
	return f.dir.Stat()
}

// putStat writes a filestat record at ptr.
func (w *WASI) putStat(st Filestat, ptr uint32) abi.Errno {
	b := w.tmp[:64]
	clear(b)
	put64(b[0:], st.Dev)
	put64(b[8:], st.Ino)
	b[16] = st.Type
	put64(b[24:], st.Nlink)
	put64(b[32:], st.Size)
	put64(b[40:], st.Atim)
	put64(b[48:], st.Mtim)
	put64(b[56:], st.Ctim)
	if !w.mem.Write(ptr, b) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

func (w *WASI) treeSeek(f *openFile, delta int64, whence, newPtr uint32) abi.Errno {
	if f.kind == kindTreeDir {
		return abi.EBADF
	}
	var base int64
	switch whence {
	case 0: // SET
	case 1: // CUR
		base = int64(f.pos)
	case 2: // END
		st, e := f.fh.Stat()
		if e != abi.ESUCCESS {
			return e
		}
		base = int64(st.Size)
	default:
		return abi.EINVAL
	}
	return w.seekTo(f, base, delta, newPtr)
}

// treeReaddir is fd_readdir on a tree directory. The listing is taken afresh when
// cookie is 0 and kept for the calls that continue it.
func (w *WASI) treeReaddir(f *openFile, buf, bufLen uint32, cookie uint64, usedPtr uint32) abi.Errno {
	if f.kind != kindTreeDir {
		return abi.ENOTDIR
	}
	if cookie == 0 || f.dirents == nil {
		list, e := f.dir.Entries()
		if e != abi.ESUCCESS {
			return e
		}
		f.dirents = list
	}
	return w.putDirents(f.dirents, buf, bufLen, cookie, usedPtr)
}

// treeFlags validates fdflags for a tree descriptor: APPEND and NONBLOCK are kept;
// the synchronous-write flags are accepted on files (the trees' writes reach their
// store at once: memory, or the host's page cache that fd_sync flushes).
func treeFlags(k fdKind, flags uint32) abi.Errno {
	if flags&^uint32(fdflagAppend|fdflagDsync|fdflagNonblock|fdflagRsync|fdflagSync) != 0 {
		return abi.EINVAL
	}
	if k == kindTreeDir && flags&fdflagAppend != 0 {
		return abi.EISDIR
	}
	return abi.ESUCCESS
}

// --- paths -------------------------------------------------------------------------

// treeOpen is path_open below a tree directory.
func (w *WASI) treeOpen(d *openFile, dirflags, pathPtr, pathLen, oflags uint32, rightsBase, rightsInheriting uint64, fdflags, fdPtr uint32) abi.Errno {
	if oflags&^uint32(oflagCreat|oflagDirectory|oflagExcl|oflagTrunc) != 0 {
		return abi.EINVAL
	}
	if e := treeFlags(kindTreeFile, fdflags); e != abi.ESUCCESS {
		return e
	}
	if !w.valid(fdPtr, 4) {
		return abi.EFAULT
	}
	path, e := w.readPath(pathPtr, pathLen)
	if e != abi.ESUCCESS {
		return e
	}
	r, e := walk(d.dir, path, dirflags&lookupSymlinkFollow != 0 || (path != "" && path[len(path)-1] == '/'))
	if e != abi.ESUCCESS {
		return e
	}
	defer r.release()
	if oflags&oflagTrunc != 0 && d.rightsBase&abi.RightPathFilestatSetSize == 0 {
		return abi.ENOTCAPABLE
	}
	if oflags&oflagCreat != 0 && d.rightsBase&abi.RightPathCreateFile == 0 {
		return abi.ENOTCAPABLE
	}
	// The new descriptor's rights: those asked for that the directory passes on.
	rightsBase &= d.rightsInheriting
	// The handle writes when FD_WRITE is asked for (Go asks for
	// FD_FILESTAT_SET_SIZE even to read, so that right alone does not count);
	// fd_allocate and fd_filestat_set_size then need it too.
	write := rightsBase&abi.RightFdWrite != 0
	st, e := r.dir.Lstat(r.name)
	var nf *openFile
	switch {
	case e == abi.ENOENT:
		if oflags&oflagCreat == 0 {
			return abi.ENOENT
		}
		if r.trailing || oflags&oflagDirectory != 0 {
			return abi.EISDIR
		}
		if d.ro {
			return abi.EROFS
		}
		flags := OpenCreate | OpenWrite
		if oflags&oflagExcl != 0 {
			flags |= OpenExcl
		}
		fh, e := r.dir.OpenFile(r.name, flags)
		if e != abi.ESUCCESS {
			return e
		}
		nf = newFile(kindTreeFile, uint16(fdflags))
		nf.fh, nf.hwrite = fh, true
	case e != abi.ESUCCESS:
		return e
	case oflags&oflagCreat != 0 && oflags&oflagExcl != 0:
		return abi.EEXIST
	case st.Type == FiletypeSymlink: // not followed
		if oflags&oflagDirectory != 0 {
			return abi.ENOTDIR
		}
		return abi.ELOOP
	case st.Type == FiletypeDirectory:
		if oflags&(oflagCreat|oflagTrunc) != 0 || rightsBase&abi.RightFdWrite != 0 || fdflags&fdflagAppend != 0 {
			return abi.EISDIR
		}
		sub, e := r.dir.OpenDir(r.name)
		if e != abi.ESUCCESS {
			return e
		}
		nf = newFile(kindTreeDir, uint16(fdflags))
		nf.dir = sub
	default:
		if oflags&oflagDirectory != 0 || r.trailing {
			return abi.ENOTDIR
		}
		if (write || oflags&oflagTrunc != 0) && d.ro {
			return abi.EROFS
		}
		flags := 0
		if write {
			flags |= OpenWrite
		}
		if oflags&oflagTrunc != 0 {
			flags |= OpenTrunc
		}
		fh, e := r.dir.OpenFile(r.name, flags)
		if e != abi.ESUCCESS {
			return e
		}
		nf = newFile(kindTreeFile, uint16(fdflags))
		nf.fh, nf.hwrite = fh, write
	}
	nf.ro = d.ro
	nf.rightsBase &= rightsBase
	nf.rightsInheriting &= rightsInheriting & d.rightsInheriting
	fd := w.alloc(nf)
	w.writeU32(fdPtr, fd) // checked above
	return abi.ESUCCESS
}

// treeFilestat is path_filestat_get below a tree directory.
func (w *WASI) treeFilestat(d *openFile, flags, pathPtr, pathLen, statPtr uint32) abi.Errno {
	r, e := w.treeWalk(d, pathPtr, pathLen, flags&lookupSymlinkFollow != 0)
	if e != abi.ESUCCESS {
		return e
	}
	defer r.release()
	st, e := r.dir.Lstat(r.name)
	if e != abi.ESUCCESS {
		return e
	}
	if r.trailing && st.Type != FiletypeDirectory {
		return abi.ENOTDIR
	}
	return w.putStat(st, statPtr)
}

// treeSetTimes is path_filestat_set_times below a tree directory.
func (w *WASI) treeSetTimes(d *openFile, lookupFlags, pathPtr, pathLen uint32, atim, mtim uint64, flags uint32) abi.Errno {
	if _, e := checkTimes(flags); e != abi.ESUCCESS {
		return e
	}
	r, e := w.treeWalk(d, pathPtr, pathLen, lookupFlags&lookupSymlinkFollow != 0)
	if e != abi.ESUCCESS {
		return e
	}
	defer r.release()
	if _, e := r.dir.Lstat(r.name); e != abi.ESUCCESS {
		return e
	}
	if d.ro {
		return abi.EROFS
	}
	return r.dir.SetTimes(r.name, atim, mtim, flags)
}

// treeChange resolves a path of a call that changes the tree (not following its
// last component) and runs op on it.
func (w *WASI) treeChange(d *openFile, pathPtr, pathLen uint32, op func(r walkResult) abi.Errno) abi.Errno {
	r, e := w.treeWalk(d, pathPtr, pathLen, false)
	if e != abi.ESUCCESS {
		return e
	}
	defer r.release()
	if d.ro {
		return abi.EROFS
	}
	return op(r)
}

// notDirSlash is the errno of a trailing slash after name when it is not a
// directory (ENOTDIR), or ESUCCESS.
func notDirSlash(r walkResult) abi.Errno {
	if !r.trailing || r.name == "." {
		return abi.ESUCCESS
	}
	st, e := r.dir.Lstat(r.name)
	if e != abi.ESUCCESS {
		return e
	}
	if st.Type != FiletypeDirectory {
		return abi.ENOTDIR
	}
	return abi.ESUCCESS
}

func (w *WASI) treeMkdir(d *openFile, pathPtr, pathLen uint32) abi.Errno {
	return w.treeChange(d, pathPtr, pathLen, func(r walkResult) abi.Errno {
		if r.name == "." {
			return abi.EEXIST
		}
		return r.dir.Mkdir(r.name)
	})
}

func (w *WASI) treeRmdir(d *openFile, pathPtr, pathLen uint32) abi.Errno {
	return w.treeChange(d, pathPtr, pathLen, func(r walkResult) abi.Errno {
		if r.name == "." {
			return abi.EINVAL
		}
		if e := notDirSlash(r); e != abi.ESUCCESS {
			return e
		}
		return r.dir.Rmdir(r.name)
	})
}

func (w *WASI) treeUnlink(d *openFile, pathPtr, pathLen uint32) abi.Errno {
	return w.treeChange(d, pathPtr, pathLen, func(r walkResult) abi.Errno {
		if r.name == "." {
			return abi.EISDIR
		}
		st, e := r.dir.Lstat(r.name)
		if e != abi.ESUCCESS {
			return e
		}
		if st.Type == FiletypeDirectory {
			return abi.EISDIR
		}
		if r.trailing {
			return abi.ENOTDIR
		}
		return r.dir.Unlink(r.name)
	})
}

func (w *WASI) treeSymlink(target string, d *openFile, pathPtr, pathLen uint32) abi.Errno {
	if target == "" {
		return abi.ENOENT
	}
	if e := checkPath(target); e != abi.ESUCCESS {
		return e // an absolute target leads outside the tree: EPERM
	}
	return w.treeChange(d, pathPtr, pathLen, func(r walkResult) abi.Errno {
		if r.name == "." {
			return abi.EEXIST
		}
		if _, e := r.dir.Lstat(r.name); e == abi.ESUCCESS {
			return abi.EEXIST
		}
		if r.trailing {
			return abi.ENOENT
		}
		return r.dir.Symlink(target, r.name)
	})
}

func (w *WASI) treeReadlink(d *openFile, pathPtr, pathLen, buf, bufLen, usedPtr uint32) abi.Errno {
	r, e := w.treeWalk(d, pathPtr, pathLen, false)
	if e != abi.ESUCCESS {
		return e
	}
	defer r.release()
	if r.name == "." {
		return abi.EINVAL
	}
	if e := notDirSlash(r); e != abi.ESUCCESS {
		return e
	}
	target, e := r.dir.Readlink(r.name)
	if e != abi.ESUCCESS {
		return e
	}
	if uint32(len(target)) > bufLen {
		target = target[:bufLen]
	}
	if !w.mem.Write(buf, []byte(target)) || !w.writeU32(usedPtr, uint32(len(target))) {
		return abi.EFAULT
	}
	return abi.ESUCCESS
}

// treePair resolves the two paths of path_link and path_rename. Both directories
// must be of trees.
func (w *WASI) treePair(od *openFile, oldPtr, oldLen uint32, oldFollow bool, nd *openFile, newPtr, newLen uint32,
	op func(o, n walkResult) abi.Errno) abi.Errno {
	if nd == nil {
		return abi.EBADF
	}
	if nd.kind != kindTreeDir {
		if nd.kind == kindDir {
			return abi.EXDEV
		}
		return abi.ENOTDIR
	}
	o, e := w.treeWalk(od, oldPtr, oldLen, oldFollow)
	if e != abi.ESUCCESS {
		return e
	}
	defer o.release()
	n, e := w.treeWalk(nd, newPtr, newLen, false)
	if e != abi.ESUCCESS {
		return e
	}
	defer n.release()
	if _, e := o.dir.Lstat(o.name); e != abi.ESUCCESS {
		return e
	}
	if od.ro || nd.ro {
		return abi.EROFS
	}
	return op(o, n)
}

func (w *WASI) treeLink(od *openFile, oldFlags, oldPtr, oldLen uint32, nd *openFile, newPtr, newLen uint32) abi.Errno {
	return w.treePair(od, oldPtr, oldLen, oldFlags&lookupSymlinkFollow != 0, nd, newPtr, newLen, func(o, n walkResult) abi.Errno {
		st, _ := o.dir.Lstat(o.name)
		if st.Type == FiletypeDirectory {
			return abi.EPERM
		}
		if o.trailing {
			return abi.ENOTDIR
		}
		if n.name == "." {
			return abi.EEXIST
		}
		if _, e := n.dir.Lstat(n.name); e == abi.ESUCCESS {
			return abi.EEXIST
		}
		if n.trailing {
			return abi.ENOENT
		}
		return o.dir.Link(o.name, n.dir, n.name)
	})
}

func (w *WASI) treeRename(od *openFile, oldPtr, oldLen uint32, nd *openFile, newPtr, newLen uint32) abi.Errno {
	return w.treePair(od, oldPtr, oldLen, false, nd, newPtr, newLen, func(o, n walkResult) abi.Errno {
		if o.name == "." || n.name == "." {
			return abi.EBUSY
		}
		st, _ := o.dir.Lstat(o.name)
		if st.Type != FiletypeDirectory && (o.trailing || n.trailing) {
			return abi.ENOTDIR
		}
		return o.dir.Rename(o.name, n.dir, n.name)
	})
}
