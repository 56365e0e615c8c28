// Package memfs is an in-memory directory tree for package shim's preopens: the
// files an image carries (mwasm build --dir SRC::GUEST). The tree is unpacked at
// start-up from a blob packed at build time (pack.go; format in Unpack); file
// contents stay in the blob until the app writes them (copy on write), so an
// unchanged file costs no second copy. Changes live in memory only and are gone
// when the app ends.
//
// Every method answers as Linux does for the same call on a real directory
// (errno for errno), so an app sees the same results under mwasm run, where
// the tree is a host directory: package shim resolves paths once for both, and
// the WASI testsuite runs in both homes.
//
// The package avoids fmt and reflect: it is compiled into every image's shim.
package memfs

import (
	"sort"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/shim"
)

// FS is one tree.
type FS struct {
	root    *node
	dev     uint64
	nextIno uint64
	now     func() uint64 // wall-clock time in ns, for timestamps
}

type node struct {
	ino     uint64
	typ     uint8 // shim.Filetype*
	nlink   uint64
	atim    uint64
	mtim    uint64
	ctim    uint64
	data    []byte // regular file
	shared  bool   // data aliases the packed blob: copy before writing
	target  string // symbolic link
	entries map[string]*node
	parent  *node // directory ("..": the root's is itself)
	gone    bool  // a directory removed while open
}

// New returns an empty tree on device dev; now gives timestamps.
func New(dev uint64, now func() uint64) *FS {
	fs := &FS{dev: dev, now: now}
	fs.root = fs.newNode(shim.FiletypeDirectory)
	fs.root.parent = fs.root
	return fs
}

// Root returns a handle on the tree's root.
func (fs *FS) Root() shim.Dir { return &dir{fs, fs.root} }

func (fs *FS) newNode(typ uint8) *node {
	fs.nextIno++
	t := fs.now()
	n := &node{ino: fs.nextIno, typ: typ, nlink: 1, atim: t, mtim: t, ctim: t}
	if typ == shim.FiletypeDirectory {
		n.entries = map[string]*node{}
		n.nlink = 2
	}
	return n
}

func (fs *FS) stat(n *node) shim.Filestat {
	st := shim.Filestat{Dev: fs.dev, Ino: n.ino, Type: n.typ, Nlink: n.nlink, Atim: n.atim, Mtim: n.mtim, Ctim: n.ctim}
	switch n.typ {
	case shim.FiletypeRegular:
		st.Size = uint64(len(n.data))
	case shim.FiletypeSymlink:
		st.Size = uint64(len(n.target))
	case shim.FiletypeDirectory:
		st.Size = 4096
	}
	return st
}

// touch marks directory d changed.
func (fs *FS) touch(d *node) {
	t := fs.now()
	d.mtim, d.ctim = t, t
}

type dir struct {
	fs *FS
	n  *node
}

func (d *dir) get(name string) (*node, abi.Errno) {
	if d.n.gone {
		return nil, abi.ENOENT
	}
	if name == "." {
		return d.n, abi.ESUCCESS
	}
	if c := d.n.entries[name]; c != nil {
		return c, abi.ESUCCESS
	}
	return nil, abi.ENOENT
}

// free checks that name can be created in d.
func (d *dir) free(name string) abi.Errno {
	if d.n.gone {
		return abi.ENOENT
	}
	if name == "." || d.n.entries[name] != nil {
		return abi.EEXIST
	}
	return abi.ESUCCESS
}

func (d *dir) Stat() (shim.Filestat, abi.Errno) { return d.fs.stat(d.n), abi.ESUCCESS }

func (d *dir) Lstat(name string) (shim.Filestat, abi.Errno) {
	n, e := d.get(name)
	if e != abi.ESUCCESS {
		return shim.Filestat{}, e
	}
	return d.fs.stat(n), abi.ESUCCESS
}

func (d *dir) OpenDir(name string) (shim.Dir, abi.Errno) {
	n, e := d.get(name)
	if e != abi.ESUCCESS {
		return nil, e
	}
	if n.typ != shim.FiletypeDirectory {
		return nil, abi.ENOTDIR
	}
	return &dir{d.fs, n}, abi.ESUCCESS
}

func (d *dir) OpenFile(name string, flags int) (shim.File, abi.Errno) {
	n, e := d.get(name)
	switch {
	case e == abi.ENOENT && flags&shim.OpenCreate != 0 && !d.n.gone:
		n = d.fs.newNode(shim.FiletypeRegular)
		d.n.entries[name] = n
		d.fs.touch(d.n)
	case e != abi.ESUCCESS:
		return nil, e
	case flags&shim.OpenCreate != 0 && flags&shim.OpenExcl != 0:
		return nil, abi.EEXIST
	case n.typ == shim.FiletypeDirectory:
		return nil, abi.EISDIR
	case n.typ == shim.FiletypeSymlink:
		return nil, abi.ELOOP
	case flags&shim.OpenTrunc != 0 && len(n.data) > 0:
		n.data, n.shared = nil, false
		t := d.fs.now()
		n.mtim, n.ctim = t, t
	}
	return &file{d.fs, n}, abi.ESUCCESS
}

func (d *dir) Mkdir(name string) abi.Errno {
	if e := d.free(name); e != abi.ESUCCESS {
		return e
	}
	n := d.fs.newNode(shim.FiletypeDirectory)
	n.parent = d.n
	d.n.entries[name] = n
	d.n.nlink++
	d.fs.touch(d.n)
	return abi.ESUCCESS
}

func (d *dir) Rmdir(name string) abi.Errno {
	n, e := d.get(name)
	switch {
	case e != abi.ESUCCESS:
		return e
	case n.typ != shim.FiletypeDirectory:
		return abi.ENOTDIR
	case len(n.entries) > 0:
		return abi.ENOTEMPTY
	}
	delete(d.n.entries, name)
	d.n.nlink--
	n.gone = true
	d.fs.touch(d.n)
	return abi.ESUCCESS
}

func (d *dir) Unlink(name string) abi.Errno {
	n, e := d.get(name)
	if e != abi.ESUCCESS {
		return e
	}
	if n.typ == shim.FiletypeDirectory {
		return abi.EISDIR
	}
	delete(d.n.entries, name)
	n.nlink--
	n.ctim = d.fs.now()
	d.fs.touch(d.n)
	return abi.ESUCCESS
}

func (d *dir) Symlink(target, name string) abi.Errno {
	if e := d.free(name); e != abi.ESUCCESS {
		return e
	}
	n := d.fs.newNode(shim.FiletypeSymlink)
	n.target = target
	d.n.entries[name] = n
	d.fs.touch(d.n)
	return abi.ESUCCESS
}

func (d *dir) Readlink(name string) (string, abi.Errno) {
	n, e := d.get(name)
	if e != abi.ESUCCESS {
		return "", e
	}
	if n.typ != shim.FiletypeSymlink {
		return "", abi.EINVAL
	}
	return n.target, abi.ESUCCESS
}

func (d *dir) other(to shim.Dir) (*dir, abi.Errno) {
	t, ok := to.(*dir)
	if !ok || t.fs != d.fs {
		return nil, abi.EXDEV
	}
	return t, abi.ESUCCESS
}

func (d *dir) Link(name string, to shim.Dir, toName string) abi.Errno {
	t, e := d.other(to)
	if e != abi.ESUCCESS {
		return e
	}
	n, e := d.get(name)
	if e != abi.ESUCCESS {
		return e
	}
	if n.typ == shim.FiletypeDirectory {
		return abi.EPERM
	}
	if e := t.free(toName); e != abi.ESUCCESS {
		return e
	}
	t.n.entries[toName] = n
	n.nlink++
	n.ctim = d.fs.now()
	d.fs.touch(t.n)
	return abi.ESUCCESS
}

// within reports whether directory n is a or below it.
func within(n, a *node) bool {
	for {
		if n == a {
			return true
		}
		if n.parent == n {
			return false
		}
		n = n.parent
	}
}

func (d *dir) Rename(name string, to shim.Dir, toName string) abi.Errno {
	t, e := d.other(to)
	if e != abi.ESUCCESS {
		return e
	}
	src, e := d.get(name)
	if e != abi.ESUCCESS {
		return e
	}
	if t.n.gone {
		return abi.ENOENT
	}
	dst := t.n.entries[toName]
	if dst == src {
		return abi.ESUCCESS // POSIX: two names of one file, nothing happens
	}
	if src.typ == shim.FiletypeDirectory {
		if within(t.n, src) {
			return abi.EINVAL // into itself
		}
		if dst != nil {
			if dst.typ != shim.FiletypeDirectory {
				return abi.ENOTDIR
			}
			if len(dst.entries) > 0 {
				return abi.ENOTEMPTY
			}
		}
	} else if dst != nil && dst.typ == shim.FiletypeDirectory {
		return abi.EISDIR
	}
	if dst != nil {
		if dst.typ == shim.FiletypeDirectory {
			dst.gone = true
			t.n.nlink--
		} else {
			dst.nlink--
		}
	}
	delete(d.n.entries, name)
	t.n.entries[toName] = src
	if src.typ == shim.FiletypeDirectory {
		src.parent = t.n
		d.n.nlink--
		t.n.nlink++
	}
	src.ctim = d.fs.now()
	d.fs.touch(d.n)
	d.fs.touch(t.n)
	return abi.ESUCCESS
}

// setTimes applies WASI times and fstflags to n.
func (fs *FS) setTimes(n *node, atim, mtim uint64, flags uint32) {
	now := fs.now()
	switch {
	case flags&2 != 0:
		n.atim = now
	case flags&1 != 0:
		n.atim = atim
	}
	switch {
	case flags&8 != 0:
		n.mtim = now
	case flags&4 != 0:
		n.mtim = mtim
	}
	n.ctim = now
}

func (d *dir) SetTimes(name string, atim, mtim uint64, flags uint32) abi.Errno {
	n, e := d.get(name)
	if e != abi.ESUCCESS {
		return e
	}
	d.fs.setTimes(n, atim, mtim, flags)
	return abi.ESUCCESS
}

func (d *dir) Entries() ([]shim.Dirent, abi.Errno) {
	if d.n.gone {
		return nil, abi.ENOENT
	}
	names := make([]string, 0, len(d.n.entries))
	for name := range d.n.entries {
		names = append(names, name)
	}
	sort.Strings(names)
	list := make([]shim.Dirent, 0, len(names)+2)
	list = append(list,
		shim.Dirent{Name: ".", Ino: d.n.ino, Type: shim.FiletypeDirectory},
		shim.Dirent{Name: "..", Ino: d.n.parent.ino, Type: shim.FiletypeDirectory})
	for _, name := range names {
		c := d.n.entries[name]
		list = append(list, shim.Dirent{Name: name, Ino: c.ino, Type: c.typ})
	}
	return list, abi.ESUCCESS
}

func (d *dir) Close() {}

type file struct {
	fs *FS
	n  *node
}

// maxFile bounds a file's size: lengths must fit an int on every build.
const maxFile = 1<<31 - 1

func (f *file) ReadAt(p []byte, off uint64) (int, abi.Errno) {
	if off >= uint64(len(f.n.data)) {
		return 0, abi.ESUCCESS
	}
	return copy(p, f.n.data[off:]), abi.ESUCCESS
}

// own makes the file's data its own (not the blob's) with room for size bytes.
func (f *file) own(size uint64) {
	n := f.n
	if !n.shared && uint64(cap(n.data)) >= size {
		if size > uint64(len(n.data)) {
			old := len(n.data)
			n.data = n.data[:size]
			clear(n.data[old:])
		}
		return
	}
	c := uint64(cap(n.data))
	if n.shared || c < size {
		c = max(size, 2*c, 512)
		if c > maxFile {
			c = size
		}
	}
	b := make([]byte, max(size, uint64(len(n.data))), c)
	copy(b, n.data)
	n.data, n.shared = b, false
}

func (f *file) WriteAt(p []byte, off uint64) (int, abi.Errno) {
	end := off + uint64(len(p))
	if end > maxFile || end < off {
		return 0, abi.EFBIG
	}
	f.own(max(end, uint64(len(f.n.data))))
	copy(f.n.data[off:], p)
	t := f.fs.now()
	f.n.mtim, f.n.ctim = t, t
	return len(p), abi.ESUCCESS
}

func (f *file) Stat() (shim.Filestat, abi.Errno) { return f.fs.stat(f.n), abi.ESUCCESS }

func (f *file) Truncate(size uint64) abi.Errno {
	if size > maxFile {
		return abi.EFBIG
	}
	if size < uint64(len(f.n.data)) {
		if f.n.shared {
			f.n.data = f.n.data[:size:size] // still the blob's; a later write copies
		} else {
			f.n.data = f.n.data[:size]
		}
	} else {
		f.own(size)
	}
	t := f.fs.now()
	f.n.mtim, f.n.ctim = t, t
	return abi.ESUCCESS
}

func (f *file) Allocate(off, n uint64) abi.Errno {
	end := off + n
	if end > maxFile || end < off {
		return abi.EFBIG
	}
	if end > uint64(len(f.n.data)) {
		f.own(end)
		f.n.ctim = f.fs.now()
	}
	return abi.ESUCCESS
}

func (f *file) SetTimes(atim, mtim uint64, flags uint32) abi.Errno {
	f.fs.setTimes(f.n, atim, mtim, flags)
	return abi.ESUCCESS
}

func (f *file) Sync() abi.Errno { return abi.ESUCCESS }

func (f *file) Close() {}
