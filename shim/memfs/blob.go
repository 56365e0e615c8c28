package memfs

import (
	"errors"
	"strconv"

	"github.com/mwasm/mwasm/shim"
)

// Magic starts a files blob.
const Magic = "MWF1"

// The files blob (little-endian):
//
//	"MWF1" u32:trees
//	per tree: u8:flags (1 = read-only) u16:len guest u32:records records...
//	per record: u8:type (3 directory, 4 file, 7 symlink) u32:parent u16:len name u64:mtime_ns
//	            file: u32:len data    symlink: u16:len target
//
// A record's parent is the index of an earlier directory record of its tree, or
// 0xffffffff for the tree's root; names are single path components.

const rootParent = 0xffffffff

// Limits the packer enforces and Unpack checks.
const (
	MaxName = 255
	MaxLink = 4095
)

// MaxBlob bounds a files blob: at start-up the shim copies it into its own
// 32-bit linear memory, beside its heap.
const MaxBlob = 1 << 30

// Tree is one unpacked tree.
type Tree struct {
	Guest    string
	ReadOnly bool
	FS       *FS
	Files    int    // regular files
	Bytes    uint64 // their contents
}

type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) need(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.err = errors.New("files blob: truncated at byte " + strconv.Itoa(r.off))
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) u8() uint8 {
	if p := r.need(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *reader) u16() int {
	if p := r.need(2); p != nil {
		return int(p[0]) | int(p[1])<<8
	}
	return 0
}

func (r *reader) u32() uint32 {
	if p := r.need(4); p != nil {
		return uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16 | uint32(p[3])<<24
	}
	return 0
}

func (r *reader) u64() uint64 { return uint64(r.u32()) | uint64(r.u32())<<32 }

func (r *reader) fail(msg string) {
	if r.err == nil {
		r.err = errors.New("files blob: " + msg + " at byte " + strconv.Itoa(r.off))
	}
}

// validName reports whether s is one path component.
func validName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > MaxName {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '/' || s[i] == 0 {
			return false
		}
	}
	return true
}

// Unpack decodes a files blob. File contents alias b (it must not change);
// now gives the trees' timestamps for later changes.
func Unpack(b []byte, now func() uint64) ([]Tree, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) < len(Magic) || string(b[:len(Magic)]) != Magic {
		return nil, errors.New("files blob: does not start with \"" + Magic + "\" (the image and the shim disagree on the format)")
	}
	r := &reader{b: b, off: len(Magic)}
	count := r.u32()
	var trees []Tree
	for t := uint32(0); t < count && r.err == nil; t++ {
		flags := r.u8()
		guest := string(r.need(r.u16()))
		nrec := r.u32()
		fs := New(uint64(100+t), now)
		tree := Tree{Guest: guest, ReadOnly: flags&1 != 0, FS: fs}
		var dirs []*node // by record index; nil for non-directories
		for i := uint32(0); i < nrec && r.err == nil; i++ {
			typ := r.u8()
			parent := r.u32()
			name := string(r.need(r.u16()))
			mtim := r.u64()
			var p *node
			switch {
			case parent == rootParent:
				p = fs.root
			case uint64(parent) < uint64(len(dirs)) && dirs[parent] != nil:
				p = dirs[parent]
			default:
				r.fail("record " + strconv.Itoa(int(i)) + " names a parent that is not an earlier directory")
				continue
			}
			if !validName(name) || p.entries[name] != nil {
				r.fail("record " + strconv.Itoa(int(i)) + " has an invalid or repeated name " + strconv.Quote(name))
				continue
			}
			if typ != shim.FiletypeDirectory && typ != shim.FiletypeRegular && typ != shim.FiletypeSymlink {
				r.fail("record " + strconv.Itoa(int(i)) + " has unknown type " + strconv.Itoa(int(typ)))
				continue
			}
			n := fs.newNode(typ)
			n.atim, n.mtim, n.ctim = mtim, mtim, mtim
			switch typ {
			case shim.FiletypeDirectory:
				n.parent = p
				p.nlink++
			case shim.FiletypeRegular:
				n.data = r.need(int(r.u32()))
				n.shared = true
				tree.Files++
				tree.Bytes += uint64(len(n.data))
			case shim.FiletypeSymlink:
				n.target = string(r.need(r.u16()))
			}
			p.entries[name] = n
			if typ == shim.FiletypeDirectory {
				dirs = append(dirs, n)
			} else {
				dirs = append(dirs, nil)
			}
		}
		trees = append(trees, tree)
	}
	if r.err == nil && r.off != len(b) {
		r.fail("trailing bytes")
	}
	if r.err != nil {
		return nil, r.err
	}
	return trees, nil
}

// Preopens returns the trees as the shim's preopens.
func Preopens(trees []Tree) []shim.Preopen {
	var out []shim.Preopen
	for _, t := range trees {
		out = append(out, shim.Preopen{Guest: t.Guest, Root: t.FS.Root(), ReadOnly: t.ReadOnly})
	}
	return out
}
