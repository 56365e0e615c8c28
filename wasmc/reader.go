package wasmc

import (
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// reader reads the primitive encodings of the binary format (bytes,
// LEB128 integers, IEEE 754 floats, names) from b. Offsets reported in
// errors are file offsets: base + position in b.
//
// LEB128 decoding is strict as the spec requires: an encoding longer than
// ceil(N/7) bytes is "integer representation too long", and unused bits of
// the last byte that are not zero (unsigned) or not a sign extension
// (signed) are "integer too large".
type reader struct {
	b       []byte
	pos     int
	base    int    // file offset of b[0]
	section string // for errors
	fn      int    // function index for errors, -1 if none
}

func newReader(b []byte, base int, section string) *reader {
	return &reader{b: b, base: base, section: section, fn: -1}
}

// off is the file offset of the next byte.
func (r *reader) off() int { return r.base + r.pos }

func (r *reader) remaining() int { return len(r.b) - r.pos }

func (r *reader) eof() bool { return r.pos >= len(r.b) }

// errAt returns an *Error at file offset off.
func (r *reader) errAt(off int, format string, args ...any) *Error {
	e := errf(r.section, off, format, args...)
	e.Func = r.fn
	return e
}

func (r *reader) errf(format string, args ...any) *Error {
	return r.errAt(r.off(), format, args...)
}

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.errf("unexpected end")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) peek() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.errf("unexpected end")
	}
	return r.b[r.pos], nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, r.errf("unexpected end: %d bytes needed, %d left", n, r.remaining())
	}
	s := r.b[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return s, nil
}

// leb reads a LEB128 integer of at most bits bits.
func (r *reader) leb(bits uint, signed bool) (uint64, error) {
	start := r.off()
	maxBytes := int((bits + 6) / 7)
	var result uint64
	var shift uint
	var c byte
	for i := 0; ; i++ {
		if r.pos >= len(r.b) {
			return 0, r.errf("unexpected end (in LEB128 integer starting at %#x)", start)
		}
		c = r.b[r.pos]
		r.pos++
		if i == maxBytes-1 {
			if c&0x80 != 0 {
				return 0, r.errAt(start, "integer representation too long (more than %d bytes for a %d-bit integer)", maxBytes, bits)
			}
			used := bits - shift // payload bits of this last byte that are significant
			if !signed {
				if c>>used != 0 {
					return 0, r.errAt(start, "integer too large (does not fit in %d bits)", bits)
				}
			} else {
				mask := byte(0x7f) >> (used - 1) << (used - 1)
				if v := c & mask; v != 0 && v != mask {
					return 0, r.errAt(start, "integer too large (does not fit in signed %d bits)", bits)
				}
			}
		}
		result |= uint64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			break
		}
	}
	if signed && shift < 64 && c&0x40 != 0 {
		result |= ^uint64(0) << shift
	}
	return result, nil
}

func (r *reader) u32() (uint32, error) {
	v, err := r.leb(32, false)
	return uint32(v), err
}

func (r *reader) u64() (uint64, error) { return r.leb(64, false) }

func (r *reader) s32() (int32, error) {
	v, err := r.leb(32, true)
	return int32(v), err
}

func (r *reader) s33() (int64, error) {
	v, err := r.leb(33, true)
	return int64(v), err
}

func (r *reader) s64() (int64, error) {
	v, err := r.leb(64, true)
	return int64(v), err
}

func (r *reader) f32() (float32, error) {
	b, err := r.bytes(4)
	if err != nil {
		return 0, err
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(b)), nil
}

func (r *reader) f64() (float64, error) {
	b, err := r.bytes(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
}

// count reads a vector length and checks that at least minSize*n bytes
// remain, so that a corrupt length can never make us allocate much.
func (r *reader) count(minSize int) (int, error) {
	start := r.off()
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if minSize > 0 && uint64(n)*uint64(minSize) > uint64(r.remaining()) {
		return 0, r.errAt(start, "length out of bounds: vector of %d entries does not fit in the %d bytes left", n, r.remaining())
	}
	return int(n), nil
}

// name reads a name: a length-prefixed UTF-8 string.
func (r *reader) name() (string, error) {
	start := r.off()
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	if uint64(n) > uint64(r.remaining()) {
		return "", r.errAt(start, "length out of bounds: name of %d bytes, %d left (unexpected end)", n, r.remaining())
	}
	b, _ := r.bytes(int(n))
	if !utf8.Valid(b) {
		return "", r.errAt(start, "malformed UTF-8 encoding in name")
	}
	return string(b), nil
}
