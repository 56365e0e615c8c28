package frontend

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/frontend/internal/irinterp"
	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/aot/passes"
	"github.com/mwasm/mwasm/internal/specsuite"
	"github.com/mwasm/mwasm/wasmc"
)

// This file runs the spec suite's commands (wast2json output) on
// translated IR with the reference interpreter irinterp: modules are
// instantiated (imports from the "spectest" module and from registered
// modules are linked), and assert_return / assert_trap /
// assert_exhaustion / assert_uninstantiable / action commands are checked.

type jsonValue struct {
	Type  string `json:"type"`
	Value any    `json:"value"` // a string, or a list for v128 (unsupported)
}

type jsonAction struct {
	Type   string      `json:"type"`
	Module string      `json:"module"`
	Field  string      `json:"field"`
	Args   []jsonValue `json:"args"`
}

type jsonCommand struct {
	Type     string      `json:"type"`
	Line     int         `json:"line"`
	Filename string      `json:"filename"`
	Name     string      `json:"name"`
	As       string      `json:"as"`
	Text     string      `json:"text"`
	Action   *jsonAction `json:"action"`
	Expected []jsonValue `json:"expected"`
}

type jsonFile struct {
	SourceFilename string        `json:"source_filename"`
	Commands       []jsonCommand `json:"commands"`
}

type exportInst struct {
	inst    *irinterp.Instance
	exports map[string]wasmc.Export
	mod     *wasmc.Module
}

type fileResult struct {
	name                    string
	passed, failed, skipped int
	failures                []string
}

// runner executes one JSON file.
type runner struct {
	dir       string
	store     *irinterp.Store
	optimize  bool
	constArgs bool // run each invoked function specialized on its constant arguments
	registry  map[string]*exportInst
	named     map[string]*exportInst
	cur       *exportInst
	spectest  *exportInst
	res       *fileResult
	passErr   error // first pass pipeline failure
	transErrs int
	before    int // IR instructions before the passes
	after     int // ... and after
}

func countInsts(f *ir.Func) int {
	n := 0
	for _, b := range f.Layout {
		n += len(f.Blocks[b].Insts)
	}
	return n
}

func newRunner(dir string, optimize bool) *runner {
	r := &runner{dir: dir, store: &irinterp.Store{}, optimize: optimize,
		registry: map[string]*exportInst{}, named: map[string]*exportInst{}}
	r.spectest = r.makeSpectest()
	r.registry["spectest"] = r.spectest
	return r
}

// makeSpectest builds the "spectest" host module of the reference
// interpreter: print functions, globals, a table and a memory.
func (r *runner) makeSpectest() *exportInst {
	in := &irinterp.Instance{Store: r.store}
	ex := map[string]wasmc.Export{}
	addFunc := func(name string, params ...ir.Type) {
		addr := r.store.AddFunc(&irinterp.Func{Sig: ir.Signature{Params: params}, Inst: in, Host: func([]uint64) []uint64 { return nil }})
		ex[name] = wasmc.Export{Name: name, Kind: wasmc.KindFunc, Index: uint32(len(in.Funcs))}
		in.Funcs = append(in.Funcs, addr)
	}
	addFunc("print")
	addFunc("print_i32", ir.I32)
	addFunc("print_i64", ir.I64)
	addFunc("print_f32", ir.F32)
	addFunc("print_f64", ir.F64)
	addFunc("print_i32_f32", ir.I32, ir.F32)
	addFunc("print_f64_f64", ir.F64, ir.F64)
	addGlobal := func(name string, t ir.Type, bits uint64) {
		ex[name] = wasmc.Export{Name: name, Kind: wasmc.KindGlobal, Index: uint32(len(in.Globals))}
		in.Globals = append(in.Globals, &irinterp.Global{Type: t, Bits: bits})
	}
	addGlobal("global_i32", ir.I32, 666)
	addGlobal("global_i64", ir.I64, 666)
	addGlobal("global_f32", ir.F32, uint64(math.Float32bits(666.6)))
	addGlobal("global_f64", ir.F64, math.Float64bits(666.6))
	in.Tables = []*irinterp.Table{{Elems: make([]uint64, 10), Max: 20}}
	ex["table"] = wasmc.Export{Name: "table", Kind: wasmc.KindTable}
	in.Mem = &irinterp.Memory{Data: make([]byte, irinterp.PageSize), Max: 2}
	ex["memory"] = wasmc.Export{Name: "memory", Kind: wasmc.KindMemory}
	return &exportInst{inst: in, exports: ex}
}

var errSkip = fmt.Errorf("skipped")

// instantiate links, translates and initializes module m. It returns
// errSkip for modules the runner cannot link, or a *irinterp.Trap if
// instantiation traps.
func (r *runner) instantiate(m *wasmc.Module) (*exportInst, error) {
	s := r.store
	in := &irinterp.Instance{Store: s}
	sigs := make([]ir.Signature, len(m.Types))
	for i, ft := range m.Types {
		sigs[i] = Signature(ft)
	}
	for _, im := range m.Imports {
		src := r.registry[im.Module]
		if src == nil {
			return nil, errSkip
		}
		e, ok := src.exports[im.Name]
		if !ok || e.Kind != im.Kind {
			return nil, errSkip
		}
		switch im.Kind {
		case wasmc.KindFunc:
			addr := src.inst.Funcs[e.Index]
			if !s.Funcs[addr].Sig.Equal(sigs[im.Type]) {
				return nil, errSkip // unlinkable
			}
			in.Funcs = append(in.Funcs, addr)
		case wasmc.KindTable:
			in.Tables = append(in.Tables, src.inst.Tables[e.Index])
		case wasmc.KindMemory:
			in.Mem = src.inst.Mem
		case wasmc.KindGlobal:
			in.Globals = append(in.Globals, src.inst.Globals[e.Index])
		}
	}
	for fi := range m.Funcs {
		idx := uint32(m.NumImportedFuncs + fi)
		f, err := Translate(m, idx, Options{})
		if err == nil {
			err = ir.Verify(f)
		}
		if err != nil {
			r.transErrs++
			return nil, fmt.Errorf("translate: %v", err)
		}
		if r.optimize {
			r.before += countInsts(f)
			defer func() { r.after += countInsts(f) }()
			if err := passes.Run(f, passes.Pipeline, passes.Options{Verify: true}); err != nil {
				if r.passErr == nil {
					r.passErr = err
				}
				return nil, fmt.Errorf("passes: %v", err)
			}
		}
		addr := s.AddFunc(&irinterp.Func{Sig: sigs[m.Funcs[fi]], IR: f, Inst: in})
		in.Funcs = append(in.Funcs, addr)
	}
	for _, g := range m.Globals {
		v, err := r.constExpr(in, g.Init)
		if err != nil {
			return nil, err
		}
		in.Globals = append(in.Globals, &irinterp.Global{Type: ValType(g.Type.Type), Bits: v})
	}
	for _, tt := range m.Tables {
		max := uint32(math.MaxUint32)
		if tt.Limits.HasMax {
			max = tt.Limits.Max
		}
		in.Tables = append(in.Tables, &irinterp.Table{Elems: make([]uint64, tt.Limits.Min), Max: max})
	}
	for _, mt := range m.Memories {
		max := uint32(65536)
		if mt.Limits.HasMax {
			max = mt.Limits.Max
		}
		in.Mem = &irinterp.Memory{Data: make([]byte, uint64(mt.Limits.Min)*irinterp.PageSize), Max: max}
	}
	if in.Mem == nil {
		in.Mem = &irinterp.Memory{}
	}
	for _, e := range m.Elems {
		refs := make([]uint64, e.Len())
		for i := range refs {
			if e.UsesExprs {
				v, err := r.constExpr(in, e.Exprs[i])
				if err != nil {
					return nil, err
				}
				refs[i] = v
			} else {
				refs[i] = uint64(in.Funcs[e.Funcs[i]]) + 1
			}
		}
		in.Elems = append(in.Elems, refs)
	}
	for _, d := range m.Datas {
		in.Datas = append(in.Datas, d.Init)
	}
	ex := &exportInst{inst: in, exports: map[string]wasmc.Export{}, mod: m}
	for _, e := range m.Exports {
		ex.exports[e.Name] = e
	}
	for i, e := range m.Elems {
		switch e.Mode {
		case wasmc.ModeActive:
			off, err := r.constExpr(in, e.OffsetExpr)
			if err != nil {
				return nil, err
			}
			t := in.Tables[e.Table]
			if uint64(uint32(off))+uint64(len(in.Elems[i])) > uint64(len(t.Elems)) {
				return ex, &irinterp.Trap{Kind: ir.TrapOutOfBoundsTable, Func: "instantiate"}
			}
			copy(t.Elems[uint32(off):], in.Elems[i])
			in.Elems[i] = nil
		case wasmc.ModeDeclarative:
			in.Elems[i] = nil
		}
	}
	for i, d := range m.Datas {
		if d.Mode != wasmc.ModeActive {
			continue
		}
		off, err := r.constExpr(in, d.OffsetExpr)
		if err != nil {
			return nil, err
		}
		if uint64(uint32(off))+uint64(len(d.Init)) > uint64(len(in.Mem.Data)) {
			return ex, &irinterp.Trap{Kind: ir.TrapOutOfBoundsMemory, Func: "instantiate"}
		}
		copy(in.Mem.Data[uint32(off):], d.Init)
		in.Datas[i] = nil
	}
	if m.HasStart {
		if _, err := s.Call(in.Funcs[m.Start], nil); err != nil {
			return ex, err
		}
	}
	return ex, nil
}

// constExpr evaluates a constant expression.
func (r *runner) constExpr(in *irinterp.Instance, e wasmc.ConstExpr) (uint64, error) {
	rd := wasmc.NewConstExprReader(e)
	var ins wasmc.Instr
	var stack []uint64
	for !rd.EOF() {
		if err := rd.Next(&ins); err != nil {
			return 0, err
		}
		switch ins.Op {
		case wasmc.OpI32Const:
			stack = append(stack, uint64(uint32(ins.Imm)))
		case wasmc.OpI64Const, wasmc.OpF32Const, wasmc.OpF64Const:
			stack = append(stack, ins.Imm)
		case wasmc.OpGlobalGet:
			stack = append(stack, in.Globals[ins.A].Bits)
		case wasmc.OpRefNull:
			stack = append(stack, 0)
		case wasmc.OpRefFunc:
			stack = append(stack, uint64(in.Funcs[ins.A])+1)
		case wasmc.OpEnd:
			if len(stack) != 1 {
				return 0, fmt.Errorf("constant expression left %d values", len(stack))
			}
			return stack[0], nil
		default:
			// Extended constant expressions are not in Wasm 2.0.
			return 0, errSkip
		}
	}
	return 0, fmt.Errorf("constant expression without end")
}

func parseValue(v jsonValue) (uint64, bool) {
	s, ok := v.Value.(string)
	if !ok {
		return 0, false
	}
	switch v.Type {
	case "funcref", "externref":
		if s == "null" {
			return 0, true
		}
		n, err := strconv.ParseUint(s, 10, 64)
		return n + 1, err == nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// matchValue compares a result with an expected JSON value.
func matchValue(got uint64, want jsonValue) bool {
	s, _ := want.Value.(string)
	switch want.Type {
	case "f32":
		switch s {
		case "nan:canonical":
			return uint32(got)&0x7fffffff == 0x7fc00000
		case "nan:arithmetic":
			return uint32(got)&0x7fc00000 == 0x7fc00000
		}
	case "f64":
		switch s {
		case "nan:canonical":
			return got&0x7fffffffffffffff == 0x7ff8000000000000
		case "nan:arithmetic":
			return got&0x7ff8000000000000 == 0x7ff8000000000000
		}
	case "funcref":
		if s != "null" {
			return got != 0 // any function reference
		}
	}
	w, ok := parseValue(want)
	return ok && w == got
}

// trapMatches accepts the spec's assertion texts for each trap kind (the
// suite sometimes abbreviates them: "undefined", "indirect call").
func trapMatches(k ir.TrapKind, text string) bool {
	accepted := []string{k.Message()}
	switch k {
	case ir.TrapOutOfBoundsTable:
		accepted = append(accepted, "undefined element", "out of bounds")
	case ir.TrapNullReference:
		accepted = append(accepted, "uninitialized element", "uninitialized")
	case ir.TrapOutOfBoundsMemory:
		accepted = append(accepted, "out of bounds")
	}
	for _, a := range accepted {
		if strings.HasPrefix(text, a) || strings.HasPrefix(a, text) {
			return true
		}
	}
	return false
}

func (r *runner) target(name string) *exportInst {
	if name != "" {
		return r.named[name]
	}
	return r.cur
}

// specialize copies the IR of the function at addr (through the printer
// and the parser), replaces its parameters with constants of the given
// bits, runs the pass pipeline on it, and adds it to the store. Constant
// folding then sees the spec suite's operand values.
func (r *runner) specialize(addr uint32, args []uint64) (uint32, error) {
	fn := r.store.Funcs[addr]
	if fn.IR == nil {
		return addr, nil
	}
	f, err := ir.Parse(fn.IR.String())
	if err != nil {
		return 0, fmt.Errorf("parse of printed IR of %s: %v", fn.IR.Name, err)
	}
	entry := f.Entry()
	for n, p := range append([]ir.Value(nil), f.Blocks[entry].Params...) {
		t := f.ValueType(p)
		var d ir.InstData
		switch {
		case t.IsInt():
			d = ir.InstData{Op: ir.OpIconst, Type: t, Imm: args[n]}
		case t.IsFloat():
			d = ir.InstData{Op: ir.OpFconst, Type: t, Imm: args[n]}
		default:
			continue
		}
		if t == ir.I32 || t == ir.F32 {
			d.Imm = uint64(uint32(d.Imm))
		}
		i := f.NewInst(d)
		f.InsertInst(entry, 0, i)
		f.ReplaceUses(p, f.Insts[i].Results[0])
	}
	if err := passes.Run(f, passes.Pipeline, passes.Options{Verify: true}); err != nil {
		if r.passErr == nil {
			r.passErr = err
		}
		return 0, err
	}
	return r.store.AddFunc(&irinterp.Func{Sig: fn.Sig, IR: f, Inst: fn.Inst}), nil
}

// do runs an action: the results, or the trap.
func (r *runner) do(a *jsonAction) ([]uint64, error) {
	ei := r.target(a.Module)
	if ei == nil {
		return nil, errSkip
	}
	e, ok := ei.exports[a.Field]
	if !ok {
		return nil, fmt.Errorf("no export %q", a.Field)
	}
	switch a.Type {
	case "get":
		return []uint64{ei.inst.Globals[e.Index].Bits}, nil
	case "invoke":
		args := make([]uint64, len(a.Args))
		for i, v := range a.Args {
			x, ok := parseValue(v)
			if !ok {
				return nil, errSkip
			}
			args[i] = x
		}
		addr := ei.inst.Funcs[e.Index]
		if r.constArgs {
			var err error
			if addr, err = r.specialize(addr, args); err != nil {
				return nil, err
			}
		}
		return r.store.Call(addr, args)
	}
	return nil, errSkip
}

func (r *runner) command(c *jsonCommand) {
	res := r.res
	pass := func() { res.passed++ }
	skip := func() { res.skipped++ }
	fail := func(format string, args ...any) {
		res.failed++
		res.failures = append(res.failures, fmt.Sprintf("%s:%d %s: %s", res.name, c.Line, c.Type, fmt.Sprintf(format, args...)))
	}
	switch c.Type {
	case "module":
		r.cur = nil
		raw, err := os.ReadFile(filepath.Join(r.dir, c.Filename))
		if err != nil {
			skip()
			return
		}
		m, err := wasmc.Decode(raw)
		if err == nil {
			err = wasmc.Validate(m)
		}
		if err != nil {
			skip() // wasmc's own spec test covers what it rejects
			return
		}
		ei, err := r.instantiate(m)
		if err == errSkip {
			skip()
			return
		}
		if err != nil {
			fail("instantiate %s: %v", c.Filename, err)
			return
		}
		r.cur = ei
		if c.Name != "" {
			r.named[c.Name] = ei
		}
		pass()
	case "register":
		ei := r.target(c.Name)
		if ei == nil {
			skip()
			return
		}
		r.registry[c.As] = ei
	case "action", "assert_return":
		got, err := r.do(c.Action)
		if err == errSkip {
			skip()
			return
		}
		if err != nil {
			fail("%s%v: %v", c.Action.Field, c.Action.Args, err)
			return
		}
		if c.Type == "action" {
			pass()
			return
		}
		if len(got) != len(c.Expected) {
			fail("%s%v: %d results, want %d", c.Action.Field, c.Action.Args, len(got), len(c.Expected))
			return
		}
		for i, w := range c.Expected {
			if !matchValue(got[i], w) {
				fail("%s%v: result %d = %#x, want %v", c.Action.Field, c.Action.Args, i, got[i], w)
				return
			}
		}
		pass()
	case "assert_trap", "assert_exhaustion":
		_, err := r.do(c.Action)
		if err == errSkip {
			skip()
			return
		}
		tr, ok := err.(*irinterp.Trap)
		if !ok {
			fail("%s%v: want trap %q, got %v", c.Action.Field, c.Action.Args, c.Text, err)
			return
		}
		if !trapMatches(tr.Kind, c.Text) {
			fail("%s%v: want trap %q, got %v", c.Action.Field, c.Action.Args, c.Text, tr)
			return
		}
		pass()
	case "assert_uninstantiable":
		raw, err := os.ReadFile(filepath.Join(r.dir, c.Filename))
		if err != nil {
			skip()
			return
		}
		m, err := wasmc.Decode(raw)
		if err == nil {
			err = wasmc.Validate(m)
		}
		if err != nil {
			skip()
			return
		}
		_, err = r.instantiate(m)
		if err == errSkip {
			skip()
			return
		}
		if _, ok := err.(*irinterp.Trap); !ok {
			fail("%s: want a trap at instantiation (%q), got %v", c.Filename, c.Text, err)
			return
		}
		pass()
	case "assert_unlinkable":
		skip()
	default:
		// assert_invalid / assert_malformed: wasmc's spec test.
	}
}

// runSpecFile runs one JSON file and returns its result.
func runSpecFile(path string, optimize, constArgs bool) (fileResult, int, int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fileResult{}, 0, 0, err
	}
	var jf jsonFile
	if err := json.Unmarshal(raw, &jf); err != nil {
		return fileResult{}, 0, 0, fmt.Errorf("%s: %v", path, err)
	}
	r := newRunner(filepath.Dir(path), optimize)
	r.constArgs = constArgs
	r.res = &fileResult{name: filepath.Base(filepath.Dir(filepath.Dir(path))) + "/" + strings.TrimSuffix(filepath.Base(path), ".json")}
	for i := range jf.Commands {
		r.command(&jf.Commands[i])
	}
	if r.passErr != nil {
		r.res.failures = append(r.res.failures, "pass pipeline: "+r.passErr.Error())
	}
	return *r.res, r.before, r.after, nil
}

func runSpecSuite(t *testing.T, optimize, constArgs bool) {
	dir, err := specsuite.Dir()
	if err != nil {
		t.Skipf("spec tests skipped: %v", err)
	}
	var files []string
	for _, v := range []string{"v1", "v2"} {
		fs, _ := filepath.Glob(filepath.Join(dir, v, "testdata", "*.json"))
		for _, f := range fs {
			if !strings.HasPrefix(filepath.Base(f), "simd_") {
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	var total fileResult
	var lines []string
	var before, after int
	for _, f := range files {
		res, b, a, err := runSpecFile(f, optimize, constArgs)
		if err != nil {
			t.Fatal(err)
		}
		before += b
		after += a
		total.passed += res.passed
		total.failed += res.failed
		total.skipped += res.skipped
		lines = append(lines, fmt.Sprintf("  %-28s %5d passed %4d failed %4d skipped", res.name, res.passed, res.failed, res.skipped))
		for i, fl := range res.failures {
			if i == 5 {
				t.Logf("%s: ... %d more failures", res.name, len(res.failures)-i)
				break
			}
			t.Log(fl)
		}
	}
	mode := "translated IR"
	if optimize {
		mode = fmt.Sprintf("IR after passes.Pipeline, %d -> %d instructions", before, after)
	}
	if constArgs {
		mode += ", invoked functions specialized on constant arguments"
	}
	if testing.Verbose() || os.Getenv("MWASM_SPEC_FILES") == "1" {
		fmt.Println(strings.Join(lines, "\n"))
	}
	summary := fmt.Sprintf("frontend spec (%s, irinterp): %d passed, %d failed, %d skipped", mode, total.passed, total.failed, total.skipped)
	fmt.Println(summary)
	if total.passed < 10000 {
		t.Errorf("only %d spec commands passed; the suite looks incomplete", total.passed)
	}
	if total.failed > 0 {
		t.Error(summary)
	}
}

// TestSpecInterp runs the spec suite's assertions on the translated IR.
func TestSpecInterp(t *testing.T) { runSpecSuite(t, false, false) }

// TestSpecInterpPasses runs them on the IR after the default pass pipeline
// (with the verifier after every pass).
func TestSpecInterpPasses(t *testing.T) { runSpecSuite(t, true, false) }

// TestSpecInterpConstArgs runs every invoked function specialized on the
// assertion's arguments (parameters replaced by constants) after the pass
// pipeline, so constant folding evaluates the spec suite's operands.
func TestSpecInterpConstArgs(t *testing.T) { runSpecSuite(t, true, true) }
