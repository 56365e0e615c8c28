package spec

import "math"

// SpectestModule returns the binary of the "spectest" host module that the suite's
// scripts import from, written out in Wasm so any engine can simply instantiate it under
// the name "spectest":
//
//	(func (export "print")) (func (export "print_i32") (param i32)) ... no-op bodies
//	(global (export "global_i32") i32 (i32.const 666))     likewise i64 666,
//	(global (export "global_f32") f32 (f32.const 666.6))   f64 666.6
//	(table (export "table") 10 20 funcref)
//	(memory (export "memory") 1 2)
func SpectestModule() []byte {
	const (
		i32 = 0x7f
		i64 = 0x7e
		f32 = 0x7d
		f64 = 0x7c
	)
	funcs := []struct {
		name   string
		params []byte
	}{
		{"print", nil},
		{"print_i32", []byte{i32}},
		{"print_i64", []byte{i64}},
		{"print_f32", []byte{f32}},
		{"print_f64", []byte{f64}},
		{"print_i32_f32", []byte{i32, f32}},
		{"print_f64_f64", []byte{f64, f64}},
	}

	var types, fsec, code []byte
	types = uleb(types, uint64(len(funcs)))
	fsec = uleb(fsec, uint64(len(funcs)))
	code = uleb(code, uint64(len(funcs)))
	for i, f := range funcs {
		types = append(types, 0x60)
		types = uleb(types, uint64(len(f.params)))
		types = append(types, f.params...)
		types = append(types, 0) // no results
		fsec = uleb(fsec, uint64(i))
		code = append(code, 2, 0, 0x0b) // body size 2: no locals, end
	}

	table := []byte{1, 0x70, 1, 10, 20} // one funcref table, limits min 10 max 20
	memory := []byte{1, 1, 1, 2}        // one memory, limits min 1 max 2
	var globals []byte
	globals = append(globals, 4)
	globals = append(globals, i32, 0, 0x41) // i32, immutable, i32.const
	globals = sleb(globals, 666)
	globals = append(globals, 0x0b)
	globals = append(globals, i64, 0, 0x42)
	globals = sleb(globals, 666)
	globals = append(globals, 0x0b)
	globals = append(globals, f32, 0, 0x43)
	b := math.Float32bits(666.6)
	globals = append(globals, byte(b), byte(b>>8), byte(b>>16), byte(b>>24), 0x0b)
	globals = append(globals, f64, 0, 0x44)
	d := math.Float64bits(666.6)
	for i := 0; i < 8; i++ {
		globals = append(globals, byte(d>>(8*i)))
	}
	globals = append(globals, 0x0b)

	type export struct {
		name  string
		kind  byte
		index int
	}
	var exports []export
	for i, f := range funcs {
		exports = append(exports, export{f.name, 0, i})
	}
	exports = append(exports,
		export{"table", 1, 0}, export{"memory", 2, 0},
		export{"global_i32", 3, 0}, export{"global_i64", 3, 1},
		export{"global_f32", 3, 2}, export{"global_f64", 3, 3})
	var exp []byte
	exp = uleb(exp, uint64(len(exports)))
	for _, e := range exports {
		exp = uleb(exp, uint64(len(e.name)))
		exp = append(exp, e.name...)
		exp = append(exp, e.kind)
		exp = uleb(exp, uint64(e.index))
	}

	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	for _, s := range []struct {
		id   byte
		body []byte
	}{{1, types}, {3, fsec}, {4, table}, {5, memory}, {6, globals}, {7, exp}, {10, code}} {
		out = append(out, s.id)
		out = uleb(out, uint64(len(s.body)))
		out = append(out, s.body...)
	}
	return out
}

func uleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func sleb(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
