package lab

import (
	"fmt"
	"path"
	"strings"
)

// cpioWriter writes a cpio archive in the "newc" format the kernel's
// initramfs unpacker reads: a 110-byte ASCII header (magic 070701 and
// thirteen 8-digit hex fields), the NUL-terminated name and the data, each
// padded to 4 bytes, and a TRAILER!!! entry at the end. Parent directories
// are added as needed.
type cpioWriter struct {
	buf  []byte
	ino  int
	n    int
	dirs map[string]bool
}

func newCpio() *cpioWriter { return &cpioWriter{dirs: map[string]bool{"": true, ".": true}} }

func (w *cpioWriter) pad() {
	for len(w.buf)%4 != 0 {
		w.buf = append(w.buf, 0)
	}
}

func (w *cpioWriter) entry(name string, mode uint32, data []byte) {
	w.ino++
	w.n++
	nlink := 1
	if mode&0o170000 == 0o040000 {
		nlink = 2
	}
	w.buf = append(w.buf, fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		w.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)...)
	w.buf = append(append(w.buf, name...), 0)
	w.pad()
	w.buf = append(w.buf, data...)
	w.pad()
}

func (w *cpioWriter) parents(name string) {
	d := path.Dir(name)
	if w.dirs[d] {
		return
	}
	w.parents(d)
	w.dirs[d] = true
	w.entry(d, 0o040755, nil)
}

func (w *cpioWriter) dir(name string) {
	name = strings.TrimPrefix(name, "/")
	if w.dirs[name] {
		return
	}
	w.parents(name)
	w.dirs[name] = true
	w.entry(name, 0o040755, nil)
}

func (w *cpioWriter) file(name string, data []byte, perm uint32) {
	name = strings.TrimPrefix(name, "/")
	w.parents(name)
	w.entry(name, 0o100000|perm&0o7777, data)
}

func (w *cpioWriter) symlink(name, target string) {
	name = strings.TrimPrefix(name, "/")
	w.parents(name)
	w.entry(name, 0o120777, []byte(target))
}

func (w *cpioWriter) finish() []byte {
	w.entry("TRAILER!!!", 0, nil)
	for len(w.buf)%512 != 0 {
		w.buf = append(w.buf, 0)
	}
	return w.buf
}
