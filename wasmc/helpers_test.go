package wasmc

// Tiny helpers to write modules by hand in tests.

func uleb(v uint64) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, c|0x80)
			continue
		}
		return append(out, c)
	}
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func bs(b ...byte) []byte { return b }

// sec encodes a section with the given id and payload.
func sec(id byte, payload ...[]byte) []byte {
	p := cat(payload...)
	return cat(bs(id), uleb(uint64(len(p))), p)
}

// vec encodes a vector of already encoded entries.
func vec(entries ...[]byte) []byte {
	return cat(uleb(uint64(len(entries))), cat(entries...))
}

// module prefixes the header to sections.
func module(sections ...[]byte) []byte {
	return cat([]byte("\x00asm\x01\x00\x00\x00"), cat(sections...))
}

// body encodes a code section entry with no locals.
func body(instrs ...byte) []byte {
	b := cat(bs(0), instrs)
	return cat(uleb(uint64(len(b))), b)
}

// bodyLocals encodes a code entry with local groups (count, type pairs).
func bodyLocals(locals [][2]uint64, instrs ...byte) []byte {
	var l [][]byte
	for _, g := range locals {
		l = append(l, cat(uleb(g[0]), bs(byte(g[1]))))
	}
	b := cat(vec(l...), instrs)
	return cat(uleb(uint64(len(b))), b)
}

func functype(params, results []byte) []byte {
	return cat(bs(0x60), uleb(uint64(len(params))), params, uleb(uint64(len(results))), results)
}

// seedModules are small hand-written valid modules covering the features.
var seedModules = map[string][]byte{
	"empty": module(),
	"add": module(
		sec(1, vec(functype(bs(0x7f, 0x7f), bs(0x7f)))),
		sec(3, vec(bs(0))),
		sec(7, vec(cat(bs(3), []byte("add"), bs(0, 0)))),
		sec(10, vec(body(0x20, 0, 0x20, 1, 0x6a, 0x0b))),
	),
	"memory-bulk": module(
		sec(1, vec(functype(nil, nil))),
		sec(3, vec(bs(0))),
		sec(5, vec(bs(0, 1))),
		sec(12, uleb(1)),
		sec(10, vec(body(
			0x41, 0, 0x41, 0, 0x41, 4, 0xfc, 8, 0, 0, // memory.init 0
			0xfc, 9, 0, // data.drop 0
			0x41, 0, 0x41, 1, 0x41, 2, 0xfc, 11, 0, // memory.fill
			0x41, 0, 0x41, 1, 0x41, 2, 0xfc, 10, 0, 0, // memory.copy
			0x41, 0, 0xc0, 0x1a, // i32.extend8_s; drop
			0x43, 0, 0, 0, 0, 0xfc, 0, 0x1a, // i32.trunc_sat_f32_s; drop
			0x0b))),
		sec(11, vec(cat(bs(1), uleb(4), []byte("data")))),
	),
	"table-ref": module(
		sec(1, vec(functype(nil, bs(0x7f)), functype(bs(0x7f), bs(0x7f, 0x7f)))),
		sec(3, vec(bs(0), bs(1))),
		sec(4, vec(bs(0x70, 0, 2), bs(0x6f, 1, 0, 4))),
		sec(9, vec(cat(bs(0), bs(0x41, 0, 0x0b), vec(bs(0), bs(1))), cat(bs(3, 0), vec(bs(1))))),
		sec(10, vec(
			body(0x41, 7, 0x41, 1, 0x11, 1, 0, 0x1a, 0x0b), // call_indirect type 1; drop one
			body(0x20, 0, 0x02, 1, 0xd2, 1, 0xd1, 0x0b, // block (type 1): param, ref.is_null(ref.func 1)
				0x0b))),
	),
	"globals": module(
		sec(2, vec(cat(bs(1), []byte("m"), bs(1), []byte("g"), bs(3, 0x7f, 1)))),
		sec(6, vec(cat(bs(0x7e, 1), bs(0x42, 0x7f, 0x0b)), cat(bs(0x70, 0), bs(0xd0, 0x70, 0x0b)))),
		sec(7, vec(cat(bs(1), []byte("g"), bs(3, 1)))),
	),
}
