package wasmc

import (
	"errors"
	"strings"
	"testing"
)

func TestLEB128(t *testing.T) {
	const (
		u32 = iota
		u64
		s32
		s33
		s64
	)
	ff := func(n int) []byte { return []byte(strings.Repeat("\xff", n)) }
	x80 := func(n int) []byte { return []byte(strings.Repeat("\x80", n)) }
	tests := []struct {
		name    string
		kind    int
		in      []byte
		want    uint64 // as the raw 64-bit value (sign-extended for signed)
		wantErr string
		n       int // bytes consumed on success
	}{
		{"u32 zero", u32, bs(0), 0, "", 1},
		{"u32 127", u32, bs(0x7f), 127, "", 1},
		{"u32 128", u32, bs(0x80, 1), 128, "", 2},
		{"u32 max", u32, cat(ff(4), bs(0x0f)), 0xffffffff, "", 5},
		{"u32 padded zero", u32, cat(x80(4), bs(0)), 0, "", 5},
		{"u32 too large", u32, cat(ff(4), bs(0x1f)), 0, "integer too large", 0},
		{"u32 too large 0x10", u32, cat(x80(4), bs(0x10)), 0, "integer too large", 0},
		{"u32 too long", u32, cat(x80(5), bs(0)), 0, "integer representation too long", 0},
		{"u32 truncated", u32, bs(0x80), 0, "unexpected end", 0},
		{"u32 empty", u32, nil, 0, "unexpected end", 0},
		{"u32 stops early", u32, bs(0x05, 0xff), 5, "", 1},
		{"s32 -1", s32, bs(0x7f), ^uint64(0), "", 1},
		{"s32 63", s32, bs(0x3f), 63, "", 1},
		{"s32 64", s32, bs(0xc0, 0), 64, "", 2},
		{"s32 -128", s32, bs(0x80, 0x7f), uint64(^uint64(127)), "", 2},
		{"s32 max", s32, cat(ff(4), bs(0x07)), 0x7fffffff, "", 5},
		{"s32 min", s32, cat(x80(4), bs(0x78)), uint64(0xffffffff80000000), "", 5},
		{"s32 padded -1", s32, cat(ff(4), bs(0x7f)), ^uint64(0), "", 5},
		{"s32 bad sign bits 0x0f", s32, cat(ff(4), bs(0x0f)), 0, "integer too large", 0},
		{"s32 bad sign bits 0x70", s32, cat(x80(4), bs(0x70)), 0, "integer too large", 0},
		{"s32 too long", s32, cat(ff(5), bs(0x7f)), 0, "integer representation too long", 0},
		{"s33 u32 max", s33, cat(ff(4), bs(0x0f)), 0xffffffff, "", 5},
		{"s33 min", s33, cat(x80(4), bs(0x70)), uint64(0xffffffff00000000), "", 5},
		{"s33 too large", s33, cat(ff(4), bs(0x1f)), 0, "integer too large", 0},
		{"s64 max", s64, cat(ff(9), bs(0x00)), 1<<63 - 1, "", 10},
		{"s64 min", s64, cat(x80(9), bs(0x7f)), 1 << 63, "", 10},
		{"s64 -1 short", s64, bs(0x7f), ^uint64(0), "", 1},
		{"s64 too large", s64, cat(ff(9), bs(0x01)), 0, "integer too large", 0},
		{"s64 too large neg", s64, cat(x80(9), bs(0x7e)), 0, "integer too large", 0},
		{"s64 too long", s64, cat(x80(10), bs(0x00)), 0, "integer representation too long", 0},
		{"u64 max", u64, cat(ff(9), bs(0x01)), ^uint64(0), "", 10},
		{"u64 too large", u64, cat(ff(9), bs(0x02)), 0, "integer too large", 0},
		{"u64 too long", u64, cat(ff(10), bs(0x00)), 0, "integer representation too long", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newReader(tc.in, 100, "test")
			var got uint64
			var err error
			switch tc.kind {
			case u32:
				var v uint32
				v, err = r.u32()
				got = uint64(v)
			case u64:
				got, err = r.u64()
			case s32:
				var v int32
				v, err = r.s32()
				got = uint64(int64(v))
			case s33:
				var v int64
				v, err = r.s33()
				got = uint64(v)
			case s64:
				var v int64
				v, err = r.s64()
				got = uint64(v)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %#x, %v; want error containing %q", got, err, tc.wantErr)
				}
				var e *Error
				if !errors.As(err, &e) || e.Section != "test" || e.Offset < 100 {
					t.Fatalf("error %#v does not carry section and file offset", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if got != tc.want {
				t.Fatalf("got %#x, want %#x", got, tc.want)
			}
			if r.pos != tc.n {
				t.Fatalf("consumed %d bytes, want %d", r.pos, tc.n)
			}
		})
	}
}

func TestNameUTF8(t *testing.T) {
	r := newReader(cat(uleb(3), []byte("h\xc3\xa9")), 0, "import")
	if s, err := r.name(); err != nil || s != "hé" {
		t.Fatalf("name = %q, %v", s, err)
	}
	for _, bad := range [][]byte{
		bs(0xc0, 0x80),       // overlong
		bs(0xed, 0xa0, 0x80), // surrogate
		bs(0xff),
	} {
		r := newReader(cat(uleb(uint64(len(bad))), bad), 0, "import")
		if _, err := r.name(); err == nil || !strings.Contains(err.Error(), "malformed UTF-8") {
			t.Errorf("name % x: got %v, want malformed UTF-8", bad, err)
		}
	}
	r = newReader(cat(uleb(10), []byte("abc")), 0, "import")
	if _, err := r.name(); err == nil || !strings.Contains(err.Error(), "length out of bounds") {
		t.Errorf("long name: got %v", err)
	}
}
