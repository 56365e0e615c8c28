package wasmc

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func decodeAndValidate(b []byte) (*Module, error) {
	m, err := Decode(b)
	if err != nil {
		return nil, err
	}
	return m, Validate(m)
}

// TestErrorPosition checks that a type error names the code section, the
// function index (imports counted) and the file offset of the instruction.
func TestErrorPosition(t *testing.T) {
	f64 := bs(0x44, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88)
	b := module(
		sec(1, vec(functype(nil, bs(0x7f)))),
		sec(2, vec(cat(bs(1), []byte("m"), bs(1), []byte("f"), bs(0, 0)))),
		sec(3, vec(bs(0), bs(0))),
		sec(10, vec(body(0x41, 1, 0x0b), body(cat(f64, bs(0x0b))...))),
	)
	_, err := decodeAndValidate(b)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *Error", err)
	}
	endOff := bytes.Index(b, f64) + len(f64)
	if e.Section != "code" || e.Func != 2 || e.Offset != endOff {
		t.Fatalf("got section %q func %d offset %#x, want code, 2, %#x", e.Section, e.Func, e.Offset, endOff)
	}
	want := fmt.Sprintf("wasm: code section, function 2 at offset %#x: type mismatch: expected i32, got f64", endOff)
	if e.Error() != want {
		t.Fatalf("Error() = %q\nwant      %q", e.Error(), want)
	}
}

// TestDecodeErrors checks malformed inputs: each must fail in Decode with
// the right section, function and offset.
func TestDecodeErrors(t *testing.T) {
	okTypes := sec(1, vec(functype(nil, nil)))
	tests := []struct {
		name    string
		in      []byte
		section string
		fn      int
		offset  int // -1: don't check
		msg     string
	}{
		{"not wasm", []byte("\x7fELF...."), "", -1, 0, "magic header not detected"},
		{"short", []byte("\x00as"), "", -1, 0, "magic header not detected"},
		{"version", []byte("\x00asm\x02\x00\x00\x00"), "", -1, 4, "unknown binary version"},
		{"section id", module(sec(13)), "", -1, 8, "malformed section id 13"},
		{"order", module(sec(3, vec()), okTypes), "type", -1, 11, "out of order"},
		{"duplicate", module(okTypes, okTypes), "type", -1, 14, "duplicated or out of order"},
		{"section too long", cat(module(), bs(1, 10, 0)), "type", -1, 8, "length out of bounds"},
		{"section size mismatch", module(sec(1, vec(functype(nil, nil)), bs(0))), "type", -1, 14, "section size mismatch"},
		{"functype form", module(sec(1, vec(bs(0x61, 0, 0)))), "type", -1, 11, "malformed function type"},
		{"func without code", module(okTypes, sec(3, vec(bs(0)))), "function", -1, 14, "inconsistent lengths"},
		{"code count", module(okTypes, sec(3, vec(bs(0))), sec(10, vec())), "code", -1, 20, "inconsistent lengths"},
		{"illegal opcode", module(okTypes, sec(3, vec(bs(0))), sec(10, vec(body(0x01, 0xff, 0x0b)))), "code", 0, 24, "illegal opcode 0xff"},
		{"simd", module(okTypes, sec(3, vec(bs(0))), sec(10, vec(body(0xfd, 0x0c, 0x0b)))), "code", 0, 23, "SIMD (0xFD prefix) is not supported"},
		{"v128 local", module(okTypes, sec(3, vec(bs(0))), sec(10, vec(bodyLocals([][2]uint64{{1, 0x7b}}, 0x0b)))), "code", 0, 24, "SIMD (0xFD prefix) is not supported"},
		{"missing end", module(okTypes, sec(3, vec(bs(0))), sec(10, vec(body(0x01)))), "code", 0, 24, "END opcode expected"},
		{"bytes after end", module(okTypes, sec(3, vec(bs(0))), sec(10, vec(body(0x0b, 0x01)))), "code", 0, 24, "after the final end"},
		{"else without if", module(okTypes, sec(3, vec(bs(0))), sec(10, vec(body(0x05, 0x0b)))), "code", 0, 23, "else without a matching if"},
		{"too many locals", module(okTypes, sec(3, vec(bs(0))), sec(10, vec(bodyLocals([][2]uint64{{0xffffffff, 0x7f}, {1, 0x7f}}, 0x0b)))), "code", 0, -1, "too many locals"},
		{"locals over the implementation limit", module(okTypes, sec(3, vec(bs(0))), sec(10, vec(bodyLocals([][2]uint64{{40000, 0x7f}, {10001, 0x7e}}, 0x0b)))), "code", 0, 27, "implementation limit is 50000"},
		{"data count required", module(okTypes, sec(3, vec(bs(0))), sec(5, vec(bs(0, 1))), sec(10, vec(body(0xfc, 9, 0, 0x0b)))), "code", 0, -1, "data count section required"},
		{"data count mismatch", module(sec(12, uleb(2)), sec(11, vec(cat(bs(1), uleb(0))))), "data count", -1, 8, "inconsistent lengths"},
		{"memory.grow zero byte", module(okTypes, sec(3, vec(bs(0))), sec(5, vec(bs(0, 1))), sec(10, vec(body(0x41, 0, 0x40, 1, 0x1a, 0x0b)))), "code", 0, -1, "zero byte expected"},
		{"mutability", module(sec(6, vec(bs(0x7f, 2, 0x41, 0, 0x0b)))), "global", -1, 12, "malformed mutability"},
		{"import kind", module(sec(2, vec(cat(bs(1), []byte("m"), bs(1), []byte("f"), bs(4, 0))))), "import", -1, 15, "malformed import kind"},
		{"limits flags", module(sec(5, vec(bs(3, 0, 0)))), "memory", -1, 11, "malformed limits flags"},
		{"elem kind", module(sec(9, vec(bs(1, 1, 0)))), "element", -1, 12, "malformed element kind"},
		{"elem flags", module(sec(9, vec(bs(8, 0)))), "element", -1, 11, "flags 8"},
		{"block type", module(okTypes, sec(3, vec(bs(0))), sec(10, vec(body(0x02, 0x41, 0x0b, 0x0b)))), "code", 0, 24, "malformed block type"},
		{"vector too long", module(sec(1, uleb(1000))), "type", -1, 10, "length out of bounds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.in)
			if err == nil {
				t.Fatalf("Decode accepted it (Validate: %v)", Validate(m))
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.Section != tc.section || e.Func != tc.fn || (tc.offset >= 0 && e.Offset != tc.offset) || !strings.Contains(e.Msg, tc.msg) {
				t.Fatalf("got %q (section %q func %d offset %d), want section %q func %d offset %d msg containing %q",
					err, e.Section, e.Func, e.Offset, tc.section, tc.fn, tc.offset, tc.msg)
			}
		})
	}
}

// TestValidateErrors checks invalid (but well-formed) modules.
func TestValidateErrors(t *testing.T) {
	v2v := sec(1, vec(functype(nil, nil)))
	fn := func(instrs ...byte) [][]byte {
		return [][]byte{sec(3, vec(bs(0))), sec(10, vec(body(instrs...)))}
	}
	withMem := func(instrs ...byte) []byte {
		return module(v2v, sec(3, vec(bs(0))), sec(5, vec(bs(0, 1))), sec(10, vec(body(instrs...))))
	}
	tests := []struct {
		name string
		in   []byte
		msg  string
	}{
		{"unknown type", module(v2v, sec(3, vec(bs(1))), sec(10, vec(body(0x0b)))), "unknown type 1"},
		{"stack underflow", module(append([][]byte{v2v}, fn(0x1a, 0x0b)...)...), "stack is empty"},
		{"leftover value", module(append([][]byte{v2v}, fn(0x41, 0, 0x0b)...)...), "values left on the stack"},
		{"unknown label", module(append([][]byte{v2v}, fn(0x0c, 1, 0x0b)...)...), "unknown label 1"},
		{"unknown local", module(append([][]byte{v2v}, fn(0x20, 0, 0x1a, 0x0b)...)...), "unknown local 0"},
		{"no memory", module(append([][]byte{v2v}, fn(0x41, 0, 0x28, 2, 0, 0x1a, 0x0b)...)...), "unknown memory"},
		{"alignment", withMem(0x41, 0, 0x28, 3, 0, 0x1a, 0x0b), "alignment must not be larger than natural"},
		{"if without else", module(sec(1, vec(functype(nil, nil))), sec(3, vec(bs(0))), sec(10, vec(body(0x41, 1, 0x04, 0x7f, 0x41, 1, 0x0b, 0x1a, 0x0b)))), "if without else"},
		{"br_table arity", module(append([][]byte{v2v}, fn(0x02, 0x7f, 0x41, 0, 0x41, 0, 0x0e, 1, 0, 1, 0x0b, 0x1a, 0x0b)...)...), "br_table target"},
		{"select refs", module(append([][]byte{v2v}, fn(0xd0, 0x70, 0xd0, 0x70, 0x41, 0, 0x1b, 0x1a, 0x0b)...)...), "select without a type"},
		{"select arity", module(append([][]byte{v2v}, fn(0x41, 0, 0x41, 0, 0x41, 0, 0x1c, 2, 0x7f, 0x7f, 0x1a, 0x0b)...)...), "invalid result arity"},
		{"undeclared ref.func", module(append([][]byte{v2v}, fn(0xd2, 0, 0x1a, 0x0b)...)...), "undeclared function reference"},
		{"immutable global.set", module(v2v, sec(3, vec(bs(0))), sec(6, vec(bs(0x7f, 0, 0x41, 0, 0x0b))), sec(10, vec(body(0x41, 0, 0x24, 0, 0x0b)))), "global is immutable"},
		{"multiple memories", module(sec(5, vec(bs(0, 1), bs(0, 1)))), "multiple memories"},
		{"memory too big", module(sec(5, vec(bs(0, 0x81, 0x80, 4)))), "at most 65536 pages"},
		{"table min > max", module(sec(4, vec(bs(0x70, 1, 2, 1)))), "minimum must not be greater than maximum"},
		{"duplicate export", module(sec(5, vec(bs(0, 1))), sec(7, vec(cat(bs(1), []byte("m"), bs(2, 0)), cat(bs(1), []byte("m"), bs(2, 0))))), "duplicate export name"},
		{"export index", module(sec(7, vec(cat(bs(1), []byte("f"), bs(0, 0))))), "unknown func 0"},
		{"start type", module(sec(1, vec(functype(bs(0x7f), nil))), sec(3, vec(bs(0))), sec(8, uleb(0)), sec(10, vec(body(0x0b)))), "start function 0 must have type"},
		{"const expr op", module(sec(6, vec(bs(0x7f, 0, 0x41, 0, 0x41, 0, 0x6a, 0x0b)))), "constant expression required"},
		{"const expr type", module(sec(6, vec(bs(0x7f, 0, 0x42, 0, 0x0b)))), "type mismatch"},
		{"const expr local global", module(sec(6, vec(bs(0x7f, 0, 0x41, 0, 0x0b), bs(0x7f, 0, 0x23, 0, 0x0b)))), "unknown global 0"},
		{"elem table type", module(sec(4, vec(bs(0x6f, 0, 1))), sec(9, vec(bs(0, 0x41, 0, 0x0b, 0)))), "type mismatch"},
		{"call_indirect externref table", module(v2v, sec(3, vec(bs(0))), sec(4, vec(bs(0x6f, 0, 1))), sec(10, vec(body(0x41, 0, 0x11, 0, 0, 0x0b)))), "needs funcref"},
		{"data drop unknown", module(v2v, sec(3, vec(bs(0))), sec(12, uleb(0)), sec(10, vec(body(0xfc, 9, 0, 0x0b)))), "unknown data segment 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.in)
			if err != nil {
				t.Fatalf("Decode: %v (this test wants a validation error)", err)
			}
			err = Validate(m)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Validate = %v, want error containing %q", err, tc.msg)
			}
			var e *Error
			if !errors.As(err, &e) || e.Offset <= 8 || e.Offset >= len(tc.in) {
				t.Fatalf("error %v has no plausible file offset", err)
			}
		})
	}
}

func TestSeedsValidAndFeatures(t *testing.T) {
	want := map[string]string{
		"empty":       "",
		"add":         "",
		"memory-bulk": "sign-ext,sat-conv,bulk-memory",
		"table-ref":   "multi-value,reference-types",
		"globals":     "reference-types,mutable-globals",
	}
	for name, b := range seedModules {
		m, err := decodeAndValidate(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := strings.Join(Features(m), ","); got != want[name] {
			t.Errorf("%s: Features = %q, want %q", name, got, want[name])
		}
	}
}

func TestMVPRejectsNewFeatures(t *testing.T) {
	_, err := DecodeFeatures(seedModules["memory-bulk"], FeaturesMVP)
	if err == nil || !strings.Contains(err.Error(), "bulk-memory feature") {
		t.Fatalf("DecodeFeatures(MVP) = %v, want a bulk-memory feature error", err)
	}
	m, err := DecodeFeatures(seedModules["add"], FeaturesMVP)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
}

func TestNameSection(t *testing.T) {
	names := cat(
		sec(0, []byte("\x03mod")),
		sec(1, vec(cat(uleb(0), []byte("\x04main")))),
		sec(2, vec(cat(uleb(0), vec(cat(uleb(0), []byte("\x01x")))))),
	)
	b := module(
		sec(1, vec(functype(bs(0x7f), nil))),
		sec(3, vec(bs(0))),
		sec(10, vec(body(0x0b))),
		sec(0, cat([]byte("\x04name"), names)),
		sec(0, []byte("\x05other\x01\x02")),
	)
	m, err := decodeAndValidate(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Names == nil || m.Names.Module != "mod" || m.Names.Funcs[0] != "main" || m.Names.Locals[0][0] != "x" {
		t.Fatalf("names = %+v (err %v)", m.Names, m.NamesErr)
	}
	if len(m.Customs) != 2 || m.Customs[1].Name != "other" || !bytes.Equal(m.Customs[1].Data, bs(1, 2)) {
		t.Fatalf("customs = %+v", m.Customs)
	}
	// A malformed name section is ignored, not an error.
	bad := module(sec(0, cat([]byte("\x04name"), bs(1, 5, 1, 0))))
	m, err = decodeAndValidate(bad)
	if err != nil {
		t.Fatal(err)
	}
	if m.Names != nil || m.NamesErr == nil {
		t.Fatalf("malformed name section: Names %+v, NamesErr %v", m.Names, m.NamesErr)
	}
}
