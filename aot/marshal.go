package aot

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mwasm/mwasm/aot/backend"
	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/aot/vm"
)

// objectMagic starts every serialized Object; the last byte is the format
// version, bumped whenever the encoding or Object's fields change.
const objectMagic = "mwasmobj\x01"

// MarshalBinary encodes the Object (code, function table with trap sites and
// PC tables, trampolines, vmctx counts and layout, bounds mode) so that
// UnmarshalBinary rebuilds an equal Object. The encoding is compact
// (varints) and carries no checksum: a cache that stores it must detect
// corruption itself.
func (o *Object) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, len(o.Code)+64*len(o.Funcs)+256)
	b = append(b, objectMagic...)
	b = appendBytes(b, o.Code)
	b = binary.AppendUvarint(b, uint64(len(o.Funcs)))
	for _, f := range o.Funcs {
		b = binary.AppendUvarint(b, uint64(f.Index))
		b = appendBytes(b, []byte(f.Name))
		b = binary.AppendVarint(b, int64(f.Offset))
		b = binary.AppendVarint(b, int64(f.Size))
		b = binary.AppendVarint(b, int64(f.FrameSize))
		b = binary.AppendUvarint(b, uint64(len(f.TrapSites)))
		for _, s := range f.TrapSites {
			b = binary.AppendUvarint(b, uint64(s.RetOff))
			b = binary.AppendUvarint(b, uint64(s.Pos))
			b = binary.AppendUvarint(b, uint64(s.Kind))
		}
		b = binary.AppendUvarint(b, uint64(len(f.PCTable)))
		for _, e := range f.PCTable {
			b = binary.AppendUvarint(b, uint64(e.Off))
			b = binary.AppendUvarint(b, uint64(e.Pos))
		}
	}
	b = binary.AppendUvarint(b, uint64(len(o.Trampolines)))
	for _, t := range o.Trampolines {
		b = binary.AppendVarint(b, int64(t))
	}
	c := o.Counts
	for _, v := range []int{c.Globals, c.Tables, c.ImportedFuncs, c.Funcs, c.Types, c.Datas, c.Elems} {
		b = binary.AppendVarint(b, int64(v))
	}
	l := o.Layout
	for _, v := range []int{l.Globals, l.Tables, l.Imports, l.FuncRefs, l.TypeIDs, l.Datas, l.Elems, l.Size} {
		b = binary.AppendVarint(b, int64(v))
	}
	b = append(b, byte(o.BoundsChecks))
	return b, nil
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// errObjectTruncated is UnmarshalBinary's error for input that ends early or
// holds an impossible length.
var errObjectTruncated = errors.New("aot: serialized object is truncated or corrupt")

// objReader decodes MarshalBinary's encoding; the first failure sticks.
type objReader struct {
	b   []byte
	err error
}

func (r *objReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errObjectTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *objReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errObjectTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

// int reads a varint that must be a non-negative int.
func (r *objReader) int() int {
	v := r.varint()
	if v < 0 || v > 1<<40 {
		r.fail()
		return 0
	}
	return int(v)
}

func (r *objReader) u32() uint32 {
	v := r.uvarint()
	if v > 1<<32-1 {
		r.fail()
		return 0
	}
	return uint32(v)
}

// count reads a length of items each taking at least min bytes, refusing
// lengths the remaining input cannot hold (so corrupt input cannot make it
// allocate much).
func (r *objReader) count(min int) int {
	v := r.uvarint()
	if r.err == nil && v > uint64(len(r.b)/min) {
		r.fail()
		return 0
	}
	return int(v)
}

func (r *objReader) bytes() []byte {
	n := r.count(1)
	if r.err != nil {
		return nil
	}
	p := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return p
}

func (r *objReader) fail() {
	if r.err == nil {
		r.err = errObjectTruncated
	}
}

// UnmarshalBinary decodes data produced by MarshalBinary into o, replacing
// its contents. Input from another format version, truncated input or
// impossible values give an error and leave o unchanged; it never panics.
func (o *Object) UnmarshalBinary(data []byte) error {
	if len(data) < len(objectMagic) || string(data[:len(objectMagic)]) != objectMagic {
		if len(data) >= len(objectMagic) && string(data[:len(objectMagic)-1]) == objectMagic[:len(objectMagic)-1] {
			return fmt.Errorf("aot: serialized object has format version %d, this compiler reads %d", data[len(objectMagic)-1], objectMagic[len(objectMagic)-1])
		}
		return errors.New("aot: not a serialized object (bad magic)")
	}
	r := &objReader{b: data[len(objectMagic):]}
	var n Object
	n.Code = r.bytes()
	nf := r.count(6)
	if nf > 0 {
		n.Funcs = make([]FuncInfo, 0, nf)
	}
	for i := 0; i < nf && r.err == nil; i++ {
		f := FuncInfo{Index: r.u32(), Name: string(r.bytes()), Offset: r.int(), Size: r.int(), FrameSize: r.int()}
		if r.err == nil && (f.Offset > len(n.Code) || f.Size > len(n.Code)-f.Offset) {
			r.fail()
		}
		if nt := r.count(3); nt > 0 {
			f.TrapSites = make([]backend.TrapSite, nt)
			for k := range f.TrapSites {
				f.TrapSites[k] = backend.TrapSite{RetOff: r.u32(), Pos: r.u32(), Kind: vm.TrapKind(r.u32())}
			}
		}
		if np := r.count(2); np > 0 {
			f.PCTable = make([]backend.PCEntry, np)
			for k := range f.PCTable {
				f.PCTable[k] = backend.PCEntry{Off: r.u32(), Pos: r.u32()}
			}
		}
		n.Funcs = append(n.Funcs, f)
	}
	if nt := r.count(1); nt > 0 {
		n.Trampolines = make([]int, nt)
		for k := range n.Trampolines {
			n.Trampolines[k] = r.int()
			if r.err == nil && n.Trampolines[k] > len(n.Code) {
				r.fail()
			}
		}
	}
	c := &n.Counts
	for _, p := range []*int{&c.Globals, &c.Tables, &c.ImportedFuncs, &c.Funcs, &c.Types, &c.Datas, &c.Elems} {
		*p = r.int()
	}
	l := &n.Layout
	for _, p := range []*int{&l.Globals, &l.Tables, &l.Imports, &l.FuncRefs, &l.TypeIDs, &l.Datas, &l.Elems, &l.Size} {
		*p = r.int()
	}
	if r.err == nil {
		if len(r.b) != 1 {
			r.fail()
		} else {
			n.BoundsChecks = frontend.BoundsMode(r.b[0])
		}
	}
	if r.err != nil {
		return r.err
	}
	*o = n
	return nil
}
