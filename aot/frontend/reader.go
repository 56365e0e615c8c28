package frontend

import "fmt"

// reader reads the immediates of a (validated) function body. Every read is
// still bounds-checked: a malformed body gives an error, never a panic.
type reader struct {
	b    []byte
	pos  int
	base int // file offset of b[0]
	err  error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("at offset %#x: %s", r.base+r.pos, fmt.Sprintf(format, args...))
	}
	r.pos = len(r.b)
}

func (r *reader) eof() bool { return r.pos >= len(r.b) }

func (r *reader) byte() byte {
	if r.pos >= len(r.b) {
		r.fail("unexpected end of function body")
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *reader) leb(bits uint, signed bool) uint64 {
	var v uint64
	var shift uint
	for {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if signed && shift < 64 && c&0x40 != 0 {
				v |= ^uint64(0) << shift
			}
			return v
		}
		if shift >= bits+7 {
			r.fail("LEB128 integer too long")
			return 0
		}
	}
}

func (r *reader) u32() uint32 { return uint32(r.leb(32, false)) }
func (r *reader) s32() int32  { return int32(r.leb(32, true)) }
func (r *reader) s33() int64  { return int64(r.leb(33, true)) }
func (r *reader) s64() int64  { return int64(r.leb(64, true)) }

func (r *reader) fixed(n int) uint64 {
	if r.pos+n > len(r.b) {
		r.fail("unexpected end of function body")
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(r.b[r.pos+i])
	}
	r.pos += n
	return v
}
