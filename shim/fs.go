package shim

import "github.com/mwasm/mwasm/abi"

// # Preopened directories
//
// Beside /dev (fd 3), an app may be given directory trees: Config.Dirs, preopened
// in order as fds 4, 5, ... under their guest names. The WASI semantics (path
// resolution, rights, flags, errnos) are implemented here once; a tree is reached
// through the small Dir and File interfaces below, which see one path component at
// a time. Two implementations exist: a host directory under mwasm run
// (shim/hosted: openat and friends on directory descriptors, so a symlink swapped
// during a call cannot lead outside) and an in-memory tree packed into an image
// (shim/memfs). Because resolution lives here, both answer every call alike.
//
// Resolution (walk) splits a path into components and opens one directory at a
// time: "." stays, ".." goes back up but never above the preopened directory
// (EPERM, as wasmtime answers), a symbolic link in the middle of a path is
// followed (40 at most: ELOOP) and one pointing to an absolute path is EPERM. An
// absolute path is EPERM, an empty one ENOENT, one holding NUL EILSEQ. The last
// component is followed only where the call says so (lookupflags SYMLINK_FOLLOW,
// or a trailing slash).
//
// Rights are reported as WASI asks but not enforced, as for every other
// descriptor: a file opened without write rights refuses writes with EBADF, as a
// POSIX descriptor opened O_RDONLY does. A preopen given read-only refuses every
// change below it with EROFS.

// Filestat is the WASI filestat record.
type Filestat struct {
	Dev, Ino uint64
	Type     uint8 // FiletypeDirectory, FiletypeRegular, FiletypeSymlink, ...
	Nlink    uint64
	Size     uint64
	Atim     uint64 // nanoseconds since the Unix epoch
	Mtim     uint64
	Ctim     uint64
}

// WASI filetypes of files in a directory tree.
const (
	FiletypeUnknown   = filetypeUnknown
	FiletypeBlock     = filetypeBlock
	FiletypeCharacter = filetypeCharacter
	FiletypeDirectory = filetypeDirectory
	FiletypeRegular   = 4
	FiletypeSocket    = abi.FiletypeSocketStream
	FiletypeSymlink   = 7
)

// FiletypeOfMode returns the WASI filetype of a file whose st_mode (Linux's
// numbering of the S_IFMT bits) is mode. A FIFO, which WASI has no type for, is
// FiletypeUnknown.
func FiletypeOfMode(mode uint32) uint8 {
	switch mode & 0o170000 {
	case 0o040000:
		return FiletypeDirectory
	case 0o100000:
		return FiletypeRegular
	case 0o120000:
		return FiletypeSymlink
	case 0o020000:
		return FiletypeCharacter
	case 0o060000:
		return FiletypeBlock
	case 0o140000:
		return FiletypeSocket
	}
	return FiletypeUnknown
}

// Dirent is one entry of a directory ("." and ".." included).
type Dirent struct {
	Name string
	Ino  uint64
	Type uint8
}

// Flags of Dir.OpenFile.
const (
	OpenCreate = 1 << iota // create the file if it does not exist
	OpenExcl               // with OpenCreate: fail with EEXIST if it exists
	OpenTrunc              // truncate to 0 bytes
	OpenWrite              // the handle may write
)

// Dir is an open directory of a tree. A name is one path component: never
// empty, never "..", never holding '/'; "." means the directory itself where a
// method says so. No method follows a symbolic link named by name.
type Dir interface {
	Stat() (Filestat, abi.Errno)
	// Lstat describes name ("." : the directory itself).
	Lstat(name string) (Filestat, abi.Errno)
	// OpenDir opens the directory name ("." : a new handle on this one); a
	// symbolic link gives ELOOP or ENOTDIR, a file ENOTDIR.
	OpenDir(name string) (Dir, abi.Errno)
	// OpenFile opens (or creates, see the Open flags) the regular file name; a
	// directory gives EISDIR, a symbolic link ELOOP.
	OpenFile(name string, flags int) (File, abi.Errno)
	Mkdir(name string) abi.Errno
	Rmdir(name string) abi.Errno
	Unlink(name string) abi.Errno
	Symlink(target, name string) abi.Errno
	Readlink(name string) (string, abi.Errno)
	// Link makes toName in to a new name of the file name. to is a Dir of the
	// same tree (else EXDEV).
	Link(name string, to Dir, toName string) abi.Errno
	// Rename moves name to toName in to (a Dir of the same tree, else EXDEV),
	// replacing what is there as POSIX rename does.
	Rename(name string, to Dir, toName string) abi.Errno
	// SetTimes sets the times of name ("." : the directory itself); flags are
	// WASI fstflags (already validated).
	SetTimes(name string, atim, mtim uint64, flags uint32) abi.Errno
	// Entries lists the directory, "." and ".." first.
	Entries() ([]Dirent, abi.Errno)
	Close()
}

// File is an open regular file.
type File interface {
	ReadAt(p []byte, off uint64) (int, abi.Errno) // 0 bytes at or past the end
	WriteAt(p []byte, off uint64) (int, abi.Errno)
	Stat() (Filestat, abi.Errno)
	Truncate(size uint64) abi.Errno
	// Allocate makes sure the range [off, off+n) is backed (the file grows to
	// cover it, never shrinks).
	Allocate(off, n uint64) abi.Errno
	SetTimes(atim, mtim uint64, flags uint32) abi.Errno
	Sync() abi.Errno
	Close()
}

// Preopen is one directory tree given to an app.
type Preopen struct {
	Guest    string // the name the app sees (fd_prestat_dir_name), e.g. "/" or "/data"
	Root     Dir
	ReadOnly bool // every change below it is EROFS
}

// maxSymlinks bounds the symbolic links followed in one path (Linux's limit).
const maxSymlinks = 40

// walkResult is a resolved path: the directory holding its last component, and
// that component ("." when the path names the directory itself).
type walkResult struct {
	dir      Dir
	name     string
	trailing bool  // the path ended with '/'
	opened   []Dir // directories opened on the way (closed by release)
}

func (r *walkResult) release() {
	for _, d := range r.opened {
		d.Close()
	}
	r.opened = nil
}

// splitPath returns the non-empty components of p.
func splitPath(p string) []string {
	var out []string
	for len(p) > 0 {
		i := 0
		for i < len(p) && p[i] != '/' {
			i++
		}
		if i > 0 {
			out = append(out, p[:i])
		}
		if i < len(p) {
			i++
		}
		p = p[i:]
	}
	return out
}

// checkPath rejects what no tree holds: an empty path, an absolute one, NUL.
func checkPath(path string) abi.Errno {
	if path == "" {
		return abi.ENOENT
	}
	if path[0] == '/' {
		return abi.EPERM
	}
	for i := 0; i < len(path); i++ {
		if path[i] == 0 {
			return abi.EILSEQ
		}
	}
	return abi.ESUCCESS
}

// walk resolves path relative to base. follow: a symbolic link as the last
// component is followed (so is one before a trailing slash). On success the
// caller uses r.dir and r.name, then calls r.release.
func walk(base Dir, path string, follow bool) (r walkResult, e abi.Errno) {
	if e := checkPath(path); e != abi.ESUCCESS {
		return r, e
	}
	r.trailing = path[len(path)-1] == '/'
	pending := splitPath(path)
	stack := []Dir{base}
	links := 0
	fail := func(e abi.Errno) (walkResult, abi.Errno) {
		for _, d := range stack[1:] {
			d.Close()
		}
		return walkResult{}, e
	}
	for {
		top := stack[len(stack)-1]
		if len(pending) == 0 {
			// Only when the path or a link's target was made of "." and "..".
			r.dir, r.name, r.opened = top, ".", stack[1:]
			return r, abi.ESUCCESS
		}
		c := pending[0]
		pending = pending[1:]
		last := len(pending) == 0
		switch c {
		case ".":
			continue
		case "..":
			if len(stack) == 1 {
				return fail(abi.EPERM)
			}
			top.Close()
			stack = stack[:len(stack)-1]
			continue
		}
		if len(c) > 255 {
			return fail(abi.ENAMETOOLONG)
		}
		if last && !follow && !r.trailing {
			r.dir, r.name, r.opened = top, c, stack[1:]
			return r, abi.ESUCCESS
		}
		st, e := top.Lstat(c)
		if e == abi.ENOENT && last {
			r.dir, r.name, r.opened = top, c, stack[1:]
			return r, abi.ESUCCESS
		}
		if e != abi.ESUCCESS {
			return fail(e)
		}
		if st.Type == FiletypeSymlink && (!last || follow) {
			links++
			if links > maxSymlinks {
				return fail(abi.ELOOP)
			}
			target, e := top.Readlink(c)
			if e != abi.ESUCCESS {
				return fail(e)
			}
			if target == "" {
				return fail(abi.ENOENT)
			}
			if target[0] == '/' {
				return fail(abi.EPERM)
			}
			next := splitPath(target)
			if last && target[len(target)-1] == '/' {
				r.trailing = true
			}
			pending = append(next, pending...)
			continue
		}
		if last {
			r.dir, r.name, r.opened = top, c, stack[1:]
			return r, abi.ESUCCESS
		}
		if st.Type != FiletypeDirectory {
			return fail(abi.ENOTDIR)
		}
		d, e := top.OpenDir(c)
		if e != abi.ESUCCESS {
			return fail(e)
		}
		stack = append(stack, d)
	}
}
