package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestSpecWazero runs every command of v1 and of non-SIMD v2 on wazero's compiler and
// interpreter and requires zero failures (WazeroExclusions lists, with reasons, the 29
// commands where wazero knowingly differs from the suite). It proves the runner: a
// runner that misread the suite would fail commands on a conforming engine.
func TestSpecWazero(t *testing.T) {
	for _, mode := range []struct {
		name     string
		compiler bool
	}{{"compiler", true}, {"interpreter", false}} {
		t.Run(mode.name, func(t *testing.T) {
			e := NewWazeroEngine(mode.compiler)
			defer e.Close()
			var out bytes.Buffer
			res := Run(t, e, Options{Exclude: WazeroExclusions, Out: &out})
			t.Log("\n" + out.String())
			if len(res.Stale) > 0 {
				t.Errorf("exclusions that now pass (remove them): %v", res.Stale)
			}
			if res.Excluded != len(WazeroExclusions) {
				t.Errorf("%d commands excluded, want %d: an exclusion key names no command", res.Excluded, len(WazeroExclusions))
			}
			// Both suites ran and count many commands; the numbers come from the suite.
			for _, s := range []Suite{SuiteV1, SuiteV2} {
				if c := res.BySuite[s]; c == nil || c.Passed < 10000 {
					t.Errorf("suite %s: counts %+v, want more than 10000 passed", s, c)
				}
			}
			if res.SkippedSIMDFiles == 0 || res.TextNA == 0 {
				t.Errorf("expected SIMD scripts and text modules to be skipped: %s", res.SkippedLine())
			}
			if !strings.Contains(out.String(), "\n"+res.Summary()+"\n") {
				t.Errorf("report lacks the summary line %q", res.Summary())
			}
		})
	}
}

// faulty wraps an engine and breaks one behaviour, to show that the runner notices.
type faulty struct {
	Engine
	acceptAll   bool // Compile accepts everything
	flipI32     bool // flip bit 0 of every i32 result
	plainErrors bool // report traps as plain errors
	wrongKind   bool // report every trap as unreachable with an unrelated message
	quietNaN    bool // turn every f32 NaN result into a signalling NaN with payload 1
}

type faultyInst struct {
	Instance
	f *faulty
}

func (f *faulty) Compile(wasm []byte) error {
	if f.acceptAll {
		return nil
	}
	return f.Engine.Compile(wasm)
}

func (f *faulty) Instantiate(wasm []byte, as string) (Instance, error) {
	inst, err := f.Engine.Instantiate(wasm, as)
	if err != nil {
		return nil, err
	}
	return &faultyInst{inst, f}, nil
}

func (f *faulty) Register(name string, inst Instance) error {
	return f.Engine.Register(name, inst.(*faultyInst).Instance)
}

func (i *faultyInst) Invoke(name string, args []Value) ([]Value, error) {
	res, err := i.Instance.Invoke(name, args)
	var tr *Trap
	if err != nil && errors.As(err, &tr) {
		if i.f.plainErrors {
			return nil, errors.New(tr.Message)
		}
		if i.f.wrongKind {
			return nil, &Trap{Kind: TrapUnreachable, Message: "boom"}
		}
	}
	for k := range res {
		if i.f.flipI32 && res[k].Type == I32 {
			res[k].Bits ^= 1
		}
		if i.f.quietNaN && res[k].Type == F32 && math.IsNaN(float64(math.Float32frombits(uint32(res[k].Bits)))) {
			res[k].Bits = 0x7f800001
		}
	}
	return res, err
}

func runFiles(t *testing.T, e Engine, suite Suite, files ...string) (*Result, string) {
	t.Helper()
	want := map[string]bool{}
	for _, f := range files {
		want[f] = true
	}
	var out bytes.Buffer
	res, err := RunSuite(e, Options{
		Suites:  []Suite{suite},
		Files:   func(_ Suite, f string) bool { return want[f] },
		Exclude: WazeroExclusions,
		Out:     &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != len(files) {
		t.Fatalf("ran %d scripts, want %d", len(res.Files), len(files))
	}
	return res, out.String()
}

func TestRunnerDetectsFaults(t *testing.T) {
	base := NewWazeroEngine(false)
	defer base.Close()

	t.Run("baseline", func(t *testing.T) {
		res, out := runFiles(t, base, SuiteV2, "i32.json", "float_exprs.json", "binary.json", "linking.json")
		if res.Failed != 0 || res.Passed < 1000 {
			t.Fatalf("baseline: %s\n%s", res.Summary(), out)
		}
	})
	t.Run("wrong i32 results", func(t *testing.T) {
		res, out := runFiles(t, &faulty{Engine: base, flipI32: true}, SuiteV2, "i32.json")
		if res.Failed < 300 {
			t.Fatalf("only %d failures for flipped i32 results", res.Failed)
		}
		if !strings.Contains(out, `FAIL v2/i32.json:`) || !strings.Contains(out, `assert_return invoke "add"(i32:1, i32:1)`) ||
			!strings.Contains(out, "expected: [i32:2]") || !strings.Contains(out, "got:      [i32:3]") {
			t.Fatalf("failure listing lacks file, line, command, expected or got:\n%s", out)
		}
	})
	t.Run("accepts invalid modules", func(t *testing.T) {
		res, out := runFiles(t, &faulty{Engine: base, acceptAll: true}, SuiteV2, "binary.json")
		if res.Failed < 50 || !strings.Contains(out, "assert_malformed") || !strings.Contains(out, "got:      accepted") {
			t.Fatalf("accept-all Compile not caught: %s\n%s", res.Summary(), out)
		}
	})
	t.Run("traps as plain errors", func(t *testing.T) {
		res, out := runFiles(t, &faulty{Engine: base, plainErrors: true}, SuiteV2, "i32.json")
		if res.Failed == 0 || !strings.Contains(out, "non-trap error: ") {
			t.Fatalf("plain errors not caught: %s", res.Summary())
		}
	})
	t.Run("wrong trap kind", func(t *testing.T) {
		res, out := runFiles(t, &faulty{Engine: base, wrongKind: true}, SuiteV2, "i32.json")
		// i32.json has only divide-by-zero and overflow traps; all must fail.
		if res.Failed == 0 || !strings.Contains(out, `expected: trap "integer divide by zero"`) {
			t.Fatalf("wrong trap kind not caught: %s", res.Summary())
		}
	})
	t.Run("non-canonical NaN", func(t *testing.T) {
		res, _ := runFiles(t, &faulty{Engine: base, quietNaN: true}, SuiteV2, "f32.json")
		if res.Failed < 100 {
			t.Fatalf("signalling NaN results not caught: %s", res.Summary())
		}
	})
	t.Run("stale exclusion", func(t *testing.T) {
		var out bytes.Buffer
		res, err := RunSuite(base, Options{
			Suites:  []Suite{SuiteV2},
			Files:   func(_ Suite, f string) bool { return f == "i32.json" },
			Exclude: map[string]string{"v2/i32.json:3": "test"},
			Out:     &out,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Excluded != 1 || len(res.Stale) != 1 || !strings.Contains(out.String(), "STALE exclusion") {
			t.Fatalf("excluded %d, stale %v", res.Excluded, res.Stale)
		}
	})
}

func TestMissingSuite(t *testing.T) {
	_, err := RunSuite(NewWazeroEngine(false), Options{Dir: t.TempDir(), Out: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "MWASM_SPEC_DIR") {
		t.Fatalf("want a clear error naming MWASM_SPEC_DIR, got %v", err)
	}
}

func TestMatch(t *testing.T) {
	f32 := func(b uint32) Value { return Value{Type: F32, Bits: uint64(b)} }
	f64 := func(b uint64) Value { return Value{Type: F64, Bits: b} }
	cases := []struct {
		x    expectation
		got  Value
		want bool
	}{
		{expectation{v: Value{Type: F32}, nan: "nan:canonical"}, f32(0x7fc00000), true},
		{expectation{v: Value{Type: F32}, nan: "nan:canonical"}, f32(0xffc00000), true},
		{expectation{v: Value{Type: F32}, nan: "nan:canonical"}, f32(0x7fc00001), false},
		{expectation{v: Value{Type: F32}, nan: "nan:canonical"}, f32(0x7f800001), false},
		{expectation{v: Value{Type: F32}, nan: "nan:arithmetic"}, f32(0x7fc00001), true},
		{expectation{v: Value{Type: F32}, nan: "nan:arithmetic"}, f32(0xffe00000), true},
		{expectation{v: Value{Type: F32}, nan: "nan:arithmetic"}, f32(0x7fa00000), false},
		{expectation{v: Value{Type: F32}, nan: "nan:arithmetic"}, f32(0x3f800000), false},
		{expectation{v: Value{Type: F64}, nan: "nan:canonical"}, f64(0xfff8000000000000), true},
		{expectation{v: Value{Type: F64}, nan: "nan:canonical"}, f64(0x7ff8000000000001), false},
		{expectation{v: Value{Type: F64}, nan: "nan:arithmetic"}, f64(0x7ffc000000000000), true},
		{expectation{v: Value{Type: F64}, nan: "nan:arithmetic"}, f64(0x7ff4000000000000), false},
		// Exact bits: -0 is not +0, and a specific NaN payload must match.
		{expectation{v: f32(0x80000000)}, f32(0), false},
		{expectation{v: f64(0x7ff0000000000001)}, f64(0x7ff0000000000001), true},
		{expectation{v: f64(0x7ff0000000000001)}, f64(0x7ff8000000000000), false},
		// i32 compares the low 32 bits only; types must agree.
		{expectation{v: ValueI32(-1)}, Value{Type: I32, Bits: 0xffffffff}, true},
		{expectation{v: ValueI32(1)}, ValueI64(1), false},
		// References.
		{expectation{v: ValueNull(ExternRef)}, ValueExtern(0), false},
		{expectation{v: ValueExtern(0)}, ValueExtern(0), true},
		{expectation{v: ValueExtern(1)}, ValueExtern(2), false},
		{expectation{v: ValueNull(ExternRef)}, ValueNull(ExternRef), true},
		{expectation{v: ValueNull(FuncRef)}, Value{Type: FuncRef, Bits: 7}, false},
		{expectation{v: Value{Type: FuncRef}, anyRef: true}, Value{Type: FuncRef, Bits: 7}, true},
		{expectation{v: Value{Type: FuncRef}, anyRef: true}, ValueNull(FuncRef), false},
	}
	for i, c := range cases {
		if got := c.x.match(c.got); got != c.want {
			t.Errorf("case %d: %v matches %v = %v, want %v", i, c.x, c.got, got, c.want)
		}
	}
}

func TestParseValues(t *testing.T) {
	cases := []struct {
		json string
		want string
	}{
		{`{"type":"i32","value":"4294967295"}`, "i32:-1"},
		{`{"type":"i32","value":"-2"}`, "i32:-2"},
		{`{"type":"i64","value":"-1"}`, "i64:-1"},
		{`{"type":"f32","value":"2143289344"}`, "f32:NaN(0x7fc00000)"},
		{`{"type":"f64","value":"nan:arithmetic"}`, "f64:nan:arithmetic"},
		{`{"type":"externref","value":"null"}`, "externref:null"},
		{`{"type":"externref","value":"0"}`, "externref:0"},
		{`{"type":"funcref"}`, "funcref:any-non-null"},
	}
	for _, c := range cases {
		var j jsonVal
		if err := jsonUnmarshal(c.json, &j); err != nil {
			t.Fatal(err)
		}
		x, err := j.parse()
		if err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		if x.String() != c.want {
			t.Errorf("%s parsed as %s, want %s", c.json, x, c.want)
		}
	}
	for _, bad := range []string{`{"type":"i32","value":"x"}`, `{"type":"i32"}`, `{"type":"f32","value":"nan:weird"}`, `{"type":"q","value":"1"}`, `{"type":"i32","value":"4294967296"}`} {
		var j jsonVal
		if err := jsonUnmarshal(bad, &j); err != nil {
			t.Fatal(err)
		}
		if _, err := j.parse(); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestTrapMatches(t *testing.T) {
	cases := []struct {
		text string
		tr   Trap
		want bool
	}{
		{"uninitialized element 2", Trap{TrapUninitializedElement, "x"}, true},
		{"uninitialized element", Trap{TrapTableAccess, "invalid table access"}, true},
		{"uninitialized element", Trap{TrapUndefinedElement, "x"}, false},
		{"undefined element", Trap{TrapOther, "wasm trap: undefined element at 3"}, true},
		{"undefined element", Trap{TrapMemoryOutOfBounds, "x"}, false},
		{"indirect call", Trap{TrapIndirectCallTypeMismatch, "sig"}, true},
		{"integer overflow", Trap{TrapIntegerDivideByZero, "x"}, false},
		{"call stack exhausted", Trap{TrapStackExhausted, "stack overflow"}, true},
		{"out of bounds memory access", Trap{TrapOther, "foo"}, false},
	}
	for _, c := range cases {
		tr := c.tr
		if got := trapMatches(c.text, &tr); got != c.want {
			t.Errorf("%q vs %v = %v, want %v", c.text, tr.Error(), got, c.want)
		}
	}
}

func TestSpectestModule(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	m, err := rt.InstantiateWithConfig(ctx, SpectestModule(), wazero.NewModuleConfig().WithName("spectest"))
	if err != nil {
		t.Fatalf("the spectest module does not instantiate: %v", err)
	}
	globals := map[string]uint64{
		"global_i32": 666, "global_i64": 666,
		"global_f32": uint64(math.Float32bits(666.6)), "global_f64": math.Float64bits(666.6),
	}
	for name, want := range globals {
		g := m.ExportedGlobal(name)
		if g == nil || g.Get() != want {
			t.Errorf("global %s = %v, want %#x", name, g, want)
		}
		if _, mutable := g.(api.MutableGlobal); mutable {
			t.Errorf("global %s is mutable", name)
		}
	}
	params := map[string][]api.ValueType{
		"print": nil, "print_i32": {api.ValueTypeI32}, "print_i64": {api.ValueTypeI64},
		"print_f32": {api.ValueTypeF32}, "print_f64": {api.ValueTypeF64},
		"print_i32_f32": {api.ValueTypeI32, api.ValueTypeF32}, "print_f64_f64": {api.ValueTypeF64, api.ValueTypeF64},
	}
	for name, want := range params {
		fn := m.ExportedFunction(name)
		if fn == nil {
			t.Errorf("no function %s", name)
			continue
		}
		d := fn.Definition()
		if string(d.ParamTypes()) != string(want) || len(d.ResultTypes()) != 0 {
			t.Errorf("%s: params %v results %v, want %v and none", name, d.ParamTypes(), d.ResultTypes(), want)
		}
	}
	mem := m.ExportedMemory("memory")
	if mem == nil || mem.Size() != 65536 {
		t.Fatalf("memory: %v", mem)
	}
	if max, ok := mem.Definition().Max(); !ok || max != 2 {
		t.Errorf("memory max = %d,%v, want 2", max, ok)
	}
	// A module importing the table with exactly min 10 max 20 links; min 11 does not.
	imp := func(min byte) []byte {
		return []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
			2, 21, 1, 8, 's', 'p', 'e', 'c', 't', 'e', 's', 't', 5, 't', 'a', 'b', 'l', 'e', 1, 0x70, 1, min, 20}
	}
	if _, err := rt.Instantiate(ctx, imp(10)); err != nil {
		t.Errorf("importing table 10..20: %v", err)
	}
	if _, err := rt.Instantiate(ctx, imp(11)); err == nil {
		t.Errorf("importing table 11..20 linked: the table's minimum is not 10")
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
