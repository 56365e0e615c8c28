package frontend

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/frontend/internal/irinterp"
	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/wasmc"
)

// A tiny assembler for hand-written test modules.

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

func sleb(v int64) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func section(id byte, payload ...[]byte) []byte {
	p := cat(payload...)
	return cat([]byte{id}, uleb(uint64(len(p))), p)
}

func vec(entries ...[]byte) []byte { return cat(uleb(uint64(len(entries))), cat(entries...)) }

func str(s string) []byte { return cat(uleb(uint64(len(s))), []byte(s)) }

// Value type bytes.
const (
	tI32 = 0x7f
	tI64 = 0x7e
	tF32 = 0x7d
	tF64 = 0x7c
	tFun = 0x70
)

type fn struct {
	name    string
	typ     uint32
	locals  [][2]uint64 // (count, type)
	code    []byte      // instructions without the final end
	comment string
}

// asmModule is a module with function types, optional memory, table and
// globals, and functions with names.
type asmModule struct {
	types   [][2][]byte // params, results
	memory  bool
	table   bool
	globals [][]byte // entries: type, mut, init expr
	funcs   []fn
}

func (a *asmModule) bytes() []byte {
	var types [][]byte
	for _, t := range a.types {
		types = append(types, cat([]byte{0x60}, vec(bs(t[0])...), vec(bs(t[1])...)))
	}
	var fidx, bodies, names [][]byte
	for i, f := range a.funcs {
		fidx = append(fidx, uleb(uint64(f.typ)))
		var ls [][]byte
		for _, l := range f.locals {
			ls = append(ls, cat(uleb(l[0]), []byte{byte(l[1])}))
		}
		b := cat(vec(ls...), f.code, []byte{0x0b})
		bodies = append(bodies, cat(uleb(uint64(len(b))), b))
		names = append(names, cat(uleb(uint64(i)), str(f.name)))
	}
	out := cat([]byte("\x00asm\x01\x00\x00\x00"), section(1, vec(types...)), section(3, vec(fidx...)))
	if a.table {
		out = cat(out, section(4, vec([]byte{tFun, 0x00, 0x04})))
	}
	if a.memory {
		out = cat(out, section(5, vec([]byte{0x00, 0x01})))
	}
	if len(a.globals) > 0 {
		out = cat(out, section(6, vec(a.globals...)))
	}
	out = cat(out, section(10, vec(bodies...)))
	return cat(out, section(0, str("name"), []byte{1}, func() []byte {
		p := vec(names...)
		return cat(uleb(uint64(len(p))), p)
	}()))
}

func bs(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

func i32c(v int32) []byte { return cat([]byte{0x41}, sleb(int64(v))) }

var goldenModule = asmModule{
	types: [][2][]byte{
		{{tI32, tI32}, {tI32}},       // 0
		{{tI32}, {tI32}},             // 1
		{{tI32}, {tI32, tI64}},       // 2
		{{tI32, tI64}, {tI64}},       // 3
		{{tI32, tI32}, {tI32, tI32}}, // 4
		{{}, {}},                     // 5
	},
	memory:  true,
	table:   true,
	globals: [][]byte{cat([]byte{tI32, 0x01}, i32c(0), []byte{0x0b})},
	funcs: []fn{
		{name: "add", typ: 0, code: []byte{0x20, 0, 0x20, 1, 0x6a}},
		// sum(n): s = 0; loop { if n == 0 break; s += n; n-- }; return s
		{name: "sum", typ: 1, locals: [][2]uint64{{1, tI32}}, code: cat(
			[]byte{0x02, 0x40, 0x03, 0x40},
			[]byte{0x20, 0, 0x45, 0x0d, 1}, // br_if 1 (n == 0)
			[]byte{0x20, 1, 0x20, 0, 0x6a, 0x21, 1},
			[]byte{0x20, 0}, i32c(1), []byte{0x6b, 0x21, 0},
			[]byte{0x0c, 0}, // br 0
			[]byte{0x0b, 0x0b, 0x20, 1})},
		// if/else with a multi-value result (type 2 used as block type: i32 -> i32 i64)
		{name: "ifelse", typ: 2, code: cat(
			[]byte{0x20, 0, 0x20, 0, 0x04, 2},
			[]byte{0x42, 1},
			[]byte{0x05},
			[]byte{0x1a, 0x41, 7, 0x42, 2},
			[]byte{0x0b})},
		// br_table with unreachable code after it, and a typed select
		{name: "switch", typ: 1, code: cat(
			[]byte{0x02, 0x7f, 0x02, 0x40, 0x02, 0x40},
			[]byte{0x20, 0, 0x0e, 1, 0, 1},                      // br_table 0 default 1
			[]byte{0x00, 0x6a, 0x02, 0x40, 0x0b, 0x1a, 0x0c, 2}, // dead code: the stack is polymorphic here
			[]byte{0x0b}, i32c(10), []byte{0x0f},
			[]byte{0x0b}, i32c(20), i32c(30), []byte{0x20, 0, 0x1c, 1, tI32},
			[]byte{0x0b})},
		// memory, globals, call_indirect, memory.grow, memory.fill
		{name: "mem", typ: 3, code: cat(
			[]byte{0x20, 0, 0x20, 1, 0x37, 3, 8}, // i64.store offset=8
			[]byte{0x20, 0, 0x31, 0, 3},          // i64.load8_u offset=3
			[]byte{0x23, 0, 0x41, 1, 0x6a, 0x24, 0},
			[]byte{0x41, 1, 0x20, 0, 0x11, 1, 0}, // call_indirect type 1 table 0
			[]byte{0x40, 0, 0x1a},                // memory.grow; drop
			[]byte{0x20, 0, 0x41, 0, 0x41, 4, 0xfc, 11, 0x00})},
		// block and loop with parameters, a branch out of both
		{name: "params", typ: 4, code: cat(
			[]byte{0x20, 0, 0x20, 1, 0x02, 4}, // block (i32 i32) -> (i32 i32)
			[]byte{0x03, 4},                   // loop (i32 i32) -> (i32 i32)
			[]byte{0x20, 0, 0x0d, 2},          // br_if 2: return both values
			[]byte{0x20, 1, 0x0d, 0},          // br_if 0: back to the loop
			[]byte{0x0b, 0x0b})},
	},
}

// TestGolden translates hand-written functions and compares the printed IR
// with testdata/golden/*.ir. MWASM_BLESS=1 rewrites the files.
func TestGolden(t *testing.T) {
	raw := goldenModule.bytes()
	m, err := wasmc.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := wasmc.Validate(m); err != nil {
		t.Fatal(err)
	}
	bless := os.Getenv("MWASM_BLESS") == "1"
	for i, f := range goldenModule.funcs {
		for _, mode := range []BoundsMode{BoundsGuard, BoundsExplicit} {
			if mode == BoundsExplicit && f.name != "mem" {
				continue
			}
			name := f.name
			if mode == BoundsExplicit {
				name += "_checked"
			}
			t.Run(name, func(t *testing.T) {
				irf, err := Translate(m, uint32(i), Options{BoundsChecks: mode})
				if err != nil {
					t.Fatal(err)
				}
				if err := ir.Verify(irf); err != nil {
					t.Fatalf("%v\n%s", err, irf)
				}
				got := irf.String()
				// The text must parse back to the same function.
				pf, err := ir.Parse(got)
				if err != nil {
					t.Fatalf("printed IR does not parse: %v\n%s", err, got)
				}
				if pf.String() != got {
					t.Errorf("print(parse(text)) differs from text:\n%s\nvs\n%s", pf.String(), got)
				}
				path := filepath.Join("testdata", "golden", name+".ir")
				if bless {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with MWASM_BLESS=1 to create it)", err)
				}
				if got != string(want) {
					t.Errorf("IR of %s differs from %s (MWASM_BLESS=1 to update):\n--- got\n%s--- want\n%s", f.name, path, got, want)
				}
			})
		}
	}
}

// TestTranslateErrors checks that bad requests give one-line errors.
func TestTranslateErrors(t *testing.T) {
	m, err := wasmc.Decode(goldenModule.bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, idx := range []uint32{uint32(len(goldenModule.funcs)), 1 << 31} {
		_, err := Translate(m, idx, Options{})
		if err == nil || !strings.Contains(err.Error(), "not a defined function") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Translate(%d) = %v, want a one-line 'not a defined function' error", idx, err)
		}
	}
	if _, err := Translate(nil, 0, Options{}); err == nil {
		t.Error("Translate(nil) succeeded")
	}
	// A truncated body (an unvalidated module) is an error, not a panic.
	m.Code[0].Body = m.Code[0].Body[:len(m.Code[0].Body)-2]
	if _, err := Translate(m, 0, Options{}); err == nil {
		t.Error("truncated body translated without error")
	}
	m.Code[0].Body = []byte{0x20, 9, 0x0b}
	if _, err := Translate(m, 0, Options{}); err == nil || !strings.Contains(err.Error(), "local 9") {
		t.Errorf("out-of-range local: %v", err)
	}
}

// TestGoldenRun executes some of the golden functions with irinterp.
func TestGoldenRun(t *testing.T) {
	m, err := wasmc.Decode(goldenModule.bytes())
	if err != nil {
		t.Fatal(err)
	}
	s := &irinterp.Store{}
	in := &irinterp.Instance{Store: s, Mem: &irinterp.Memory{Data: make([]byte, irinterp.PageSize), Max: 1}}
	for i := range goldenModule.funcs {
		f, err := Translate(m, uint32(i), Options{})
		if err != nil {
			t.Fatal(err)
		}
		in.Funcs = append(in.Funcs, s.AddFunc(&irinterp.Func{Sig: Signature(m.Types[m.Funcs[i]]), IR: f, Inst: in}))
	}
	cases := []struct {
		fn   int
		args []uint64
		want []uint64
	}{
		{0, []uint64{2, 0xffffffff}, []uint64{1}},
		{1, []uint64{10}, []uint64{55}},
		{1, []uint64{0}, []uint64{0}},
		{2, []uint64{0}, []uint64{7, 2}},
		{2, []uint64{5}, []uint64{5, 1}},
		{3, []uint64{0}, []uint64{10}},
		{3, []uint64{1}, []uint64{20}},
		{3, []uint64{9}, []uint64{20}},
		{5, []uint64{1, 0}, []uint64{1, 0}},
	}
	for _, c := range cases {
		got, err := s.Call(in.Funcs[c.fn], c.args)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s%v = %v, %v; want %v", goldenModule.funcs[c.fn].name, c.args, got, err, c.want)
		}
	}
}
