package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/internal/specsuite"
)

// WazeroModule is the module whose source tree carries the suite.
const WazeroModule = specsuite.WazeroModule

// Options control a run. The zero value runs v1 and v2 from the wazero module in the
// module cache and prints to standard output.
type Options struct {
	// Dir holds v1/testdata and v2/testdata. Default: $MWASM_SPEC_DIR, else
	// internal/integration_test/spectest in the directory `go list -m` reports for
	// the wazero module.
	Dir string
	// Suites to run; default v1 and v2.
	Suites []Suite
	// Files, when set, selects scripts by suite and base name ("i32.json").
	Files func(suite Suite, file string) bool
	// Exclude maps "v2/linking.json:264" (suite/file:line) to the reason why that
	// command is not expected to pass on this engine. Excluded commands still run;
	// they are counted apart, and one that passes is reported as a stale exclusion.
	Exclude map[string]string
	// Out receives the table, the failures and the summary. Default os.Stdout.
	Out io.Writer
	// MaxListed caps how many failures are printed (default 300; all are counted).
	MaxListed int
	// Quiet omits the per-file table.
	Quiet bool
}

// Result holds the counts of a run.
type Result struct {
	Passed   int
	Failed   int
	Excluded int // commands named in Options.Exclude
	TextNA   int // assert_malformed/assert_invalid/... whose module is in the text format

	SkippedSIMDFiles    int // v2 simd_*.json scripts not run
	SkippedSIMDCommands int // the commands in them
	SkippedV128         int // commands with a v128 value in other scripts

	BySuite  map[Suite]*Counts // passed/failed per suite
	Files    []FileResult
	Failures []Failure
	Stale    []string // exclusions that passed
}

// Counts are the passed and failed commands of one suite.
type Counts struct{ Passed, Failed int }

// FileResult holds the counts of one script.
type FileResult struct {
	Suite                                         Suite
	File                                          string
	Passed, Failed, Excluded, TextNA, SkippedV128 int
}

// Failure is one command that did not do what the suite expects.
type Failure struct {
	Suite    Suite
	File     string
	Line     int
	Command  string
	Expected string
	Got      string
}

func (f Failure) String() string {
	return fmt.Sprintf("%s/%s:%d: %s\n    expected: %s\n    got:      %s", f.Suite, f.File, f.Line, f.Command, f.Expected, f.Got)
}

// Summary is the line "spec: N passed, M failed".
func (r *Result) Summary() string {
	return fmt.Sprintf("spec: %d passed, %d failed", r.Passed, r.Failed)
}

// SkippedLine tells what was not counted as passed or failed.
func (r *Result) SkippedLine() string {
	return fmt.Sprintf("spec skipped: %d SIMD scripts (%d commands), %d v128 commands elsewhere, %d text-format modules (n/a), %d excluded",
		r.SkippedSIMDFiles, r.SkippedSIMDCommands, r.SkippedV128, r.TextNA, r.Excluded)
}

// Run runs the suite on e, prints the report and fails t if any command failed. It
// closes nothing: the caller owns e.
func Run(t testing.TB, e Engine, opts Options) *Result {
	t.Helper()
	res, err := RunSuite(e, opts)
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	if res.Passed == 0 {
		t.Fatalf("spec: no command passed; is the suite at %q?", opts.Dir)
	}
	if res.Failed > 0 {
		t.Errorf("%s (failures listed above)", res.Summary())
	}
	return res
}

// RunSuite runs the suite on e and prints the report to opts.Out. The error is for a
// suite that cannot be read, not for failing commands.
func RunSuite(e Engine, opts Options) (*Result, error) {
	dir, err := suiteDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	suites := opts.Suites
	if len(suites) == 0 {
		suites = []Suite{SuiteV1, SuiteV2}
	}
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	maxListed := opts.MaxListed
	if maxListed == 0 {
		maxListed = 300
	}
	res := &Result{BySuite: map[Suite]*Counts{}}
	for _, s := range suites {
		tdir := filepath.Join(dir, string(s), "testdata")
		names, err := filepath.Glob(filepath.Join(tdir, "*.json"))
		if err != nil || len(names) == 0 {
			return nil, fmt.Errorf("no *.json scripts in %s: set Options.Dir or MWASM_SPEC_DIR to the wazero spectest directory", tdir)
		}
		sort.Strings(names)
		for _, path := range names {
			base := filepath.Base(path)
			if opts.Files != nil && !opts.Files(s, base) {
				continue
			}
			sc, err := readScript(path)
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(base, "simd_") {
				res.SkippedSIMDFiles++
				res.SkippedSIMDCommands += len(sc.Commands)
				continue
			}
			if res.BySuite[s] == nil {
				res.BySuite[s] = &Counts{}
			}
			r := &scriptRun{e: e, suite: s, file: base, dir: tdir, sc: sc, opts: &opts, res: res}
			fr := r.run()
			res.Files = append(res.Files, fr)
			res.BySuite[s].Passed += fr.Passed
			res.BySuite[s].Failed += fr.Failed
		}
	}

	if !opts.Quiet {
		fmt.Fprintf(out, "%-4s %-36s %7s %7s %7s %7s %7s\n", "ver", "file", "passed", "failed", "text", "excl", "v128")
		for _, f := range res.Files {
			fmt.Fprintf(out, "%-4s %-36s %7d %7d %7d %7d %7d\n", f.Suite, f.File, f.Passed, f.Failed, f.TextNA, f.Excluded, f.SkippedV128)
		}
	}
	for i, f := range res.Failures {
		if i == maxListed {
			fmt.Fprintf(out, "... and %d more failures\n", len(res.Failures)-maxListed)
			break
		}
		fmt.Fprintf(out, "FAIL %s\n", f)
	}
	for _, s := range res.Stale {
		fmt.Fprintf(out, "STALE exclusion (the command passed): %s\n", s)
	}
	for _, s := range suites {
		if c := res.BySuite[s]; c != nil {
			fmt.Fprintf(out, "spec %s: %d passed, %d failed\n", s, c.Passed, c.Failed)
		}
	}
	fmt.Fprintln(out, res.Summary())
	fmt.Fprintln(out, res.SkippedLine())
	return res, nil
}

func suiteDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	return specsuite.Dir()
}

// The JSON written by wast2json.
type script struct {
	SourceFile string    `json:"source_filename"`
	Commands   []command `json:"commands"`
}

type command struct {
	Type       string    `json:"type"`
	Line       int       `json:"line"`
	Name       string    `json:"name"`
	As         string    `json:"as"`
	Filename   string    `json:"filename"`
	ModuleType string    `json:"module_type"`
	Text       string    `json:"text"`
	Action     *action   `json:"action"`
	Expected   []jsonVal `json:"expected"`
}

type action struct {
	Type   string    `json:"type"` // invoke or get
	Module string    `json:"module"`
	Field  string    `json:"field"`
	Args   []jsonVal `json:"args"`
}

type jsonVal struct {
	Type     string          `json:"type"`
	LaneType string          `json:"lane_type"`
	Value    json.RawMessage `json:"value"`
}

func readScript(path string) (*script, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading spec script: %v", err)
	}
	var sc script
	if err := json.Unmarshal(b, &sc); err != nil {
		return nil, fmt.Errorf("spec script %s is not wast2json output: %v", path, err)
	}
	return &sc, nil
}

// expectation is one expected result.
type expectation struct {
	v       Value
	nan     string // "", "nan:canonical" or "nan:arithmetic"
	anyRef  bool   // (ref.func) / (ref.extern) without a value: any non-null reference
	hasV128 bool
}

func valType(s string) (ValType, bool) {
	switch s {
	case "i32":
		return I32, true
	case "i64":
		return I64, true
	case "f32":
		return F32, true
	case "f64":
		return F64, true
	case "v128":
		return V128, true
	case "funcref":
		return FuncRef, true
	case "externref":
		return ExternRef, true
	}
	return 0, false
}

// parse turns a JSON value into an expectation (args use only .v).
func (j jsonVal) parse() (expectation, error) {
	t, ok := valType(j.Type)
	if !ok {
		return expectation{}, fmt.Errorf("unknown value type %q", j.Type)
	}
	if t == V128 {
		return expectation{v: Value{Type: V128}, hasV128: true}, nil
	}
	raw := strings.TrimSpace(string(j.Value))
	if raw == "" || raw == "null" {
		if t == FuncRef || t == ExternRef {
			return expectation{v: Value{Type: t}, anyRef: true}, nil
		}
		return expectation{}, fmt.Errorf("%s value missing", j.Type)
	}
	var s string
	if err := json.Unmarshal(j.Value, &s); err != nil {
		return expectation{}, fmt.Errorf("%s value %s is not a string", j.Type, raw)
	}
	if s == "null" && (t == FuncRef || t == ExternRef) {
		return expectation{v: ValueNull(t)}, nil
	}
	if strings.HasPrefix(s, "nan:") {
		if t != F32 && t != F64 || (s != "nan:canonical" && s != "nan:arithmetic") {
			return expectation{}, fmt.Errorf("bad NaN pattern %q for %s", s, j.Type)
		}
		return expectation{v: Value{Type: t}, nan: s}, nil
	}
	bits := 32
	if t == I64 || t == F64 || t == ExternRef || t == FuncRef {
		bits = 64
	}
	var u uint64
	var err error
	if strings.HasPrefix(s, "-") {
		var n int64
		n, err = strconv.ParseInt(s, 10, bits)
		u = uint64(n)
		if bits == 32 {
			u = uint64(uint32(n))
		}
	} else {
		u, err = strconv.ParseUint(s, 10, bits)
	}
	if err != nil {
		return expectation{}, fmt.Errorf("bad %s value %q: %v", j.Type, s, err)
	}
	return expectation{v: Value{Type: t, Bits: u}}, nil
}

func (x expectation) String() string {
	switch {
	case x.nan != "":
		return x.v.Type.String() + ":" + x.nan
	case x.anyRef:
		return x.v.Type.String() + ":any-non-null"
	}
	return x.v.String()
}

// match reports whether got satisfies x.
func (x expectation) match(got Value) bool {
	if got.Type != x.v.Type {
		return false
	}
	switch got.Type {
	case I32, F32:
		b := uint32(got.Bits)
		if got.Type == F32 {
			switch x.nan {
			case "nan:canonical":
				return b&0x7fffffff == 0x7fc00000
			case "nan:arithmetic":
				return b&0x7fc00000 == 0x7fc00000
			}
		}
		return b == uint32(x.v.Bits)
	case I64, F64:
		if got.Type == F64 {
			switch x.nan {
			case "nan:canonical":
				return got.Bits&0x7fffffffffffffff == 0x7ff8000000000000
			case "nan:arithmetic":
				return got.Bits&0x7ff8000000000000 == 0x7ff8000000000000
			}
		}
		return got.Bits == x.v.Bits
	case FuncRef:
		if x.anyRef {
			return !got.Null
		}
		// The suite only ever expects a null funcref by value.
		return got.Null == x.v.Null && got.Null
	case ExternRef:
		if x.anyRef {
			return !got.Null
		}
		if got.Null || x.v.Null {
			return got.Null == x.v.Null
		}
		return got.Bits == x.v.Bits
	}
	return false
}

// trapKindsFor lists the kinds that satisfy the suite's trap text.
func trapKindsFor(text string) []TrapKind {
	switch {
	case text == "unreachable":
		return []TrapKind{TrapUnreachable}
	case text == "out of bounds memory access":
		return []TrapKind{TrapMemoryOutOfBounds}
	case text == "out of bounds table access":
		return []TrapKind{TrapTableOutOfBounds, TrapTableAccess}
	case strings.HasPrefix(text, "undefined"):
		return []TrapKind{TrapUndefinedElement, TrapTableAccess}
	case strings.HasPrefix(text, "uninitialized"):
		return []TrapKind{TrapUninitializedElement, TrapTableAccess}
	case strings.HasPrefix(text, "indirect call"):
		return []TrapKind{TrapIndirectCallTypeMismatch}
	case text == "integer divide by zero":
		return []TrapKind{TrapIntegerDivideByZero}
	case text == "integer overflow":
		return []TrapKind{TrapIntegerOverflow}
	case text == "invalid conversion to integer":
		return []TrapKind{TrapInvalidConversion}
	case strings.HasPrefix(text, "null"):
		return []TrapKind{TrapNullReference}
	case text == "call stack exhausted":
		return []TrapKind{TrapStackExhausted}
	}
	return nil
}

// trapMatches reports whether trap tr is the one the suite's text names: the text is
// part of the engine's message, or the engine's kind is one the text denotes.
func trapMatches(text string, tr *Trap) bool {
	if text != "" && strings.Contains(tr.Message, text) {
		return true
	}
	for _, k := range trapKindsFor(text) {
		if tr.Kind == k {
			return true
		}
	}
	return false
}

type scriptRun struct {
	e     Engine
	suite Suite
	file  string
	dir   string
	sc    *script
	opts  *Options
	res   *Result
	fr    FileResult

	cur     Instance
	curLine int // line of the module command that produced cur
	named   map[string]Instance
	namedAt map[string]int
}

// outcome of one command: ok, or expected/got for a failure, or a skip reason.
type outcome struct {
	ok       bool
	expected string
	got      string
	skip     string // "text", "v128"
}

func pass() outcome                     { return outcome{ok: true} }
func fail(expected, got string) outcome { return outcome{expected: expected, got: got} }

func (r *scriptRun) run() FileResult {
	r.fr = FileResult{Suite: r.suite, File: r.file}
	r.named = map[string]Instance{}
	r.namedAt = map[string]int{}
	if err := r.e.Reset(r.suite); err != nil {
		r.fail(0, "reset engine", "a fresh store", err.Error())
		return r.fr
	}
	for i := range r.sc.Commands {
		c := &r.sc.Commands[i]
		registerAs := ""
		if c.Type == "module" && i+1 < len(r.sc.Commands) {
			n := &r.sc.Commands[i+1]
			if n.Type == "register" && (n.Name == "" || n.Name == c.Name) {
				registerAs = n.As
			}
		}
		desc := r.describe(c)
		o := r.exec(c, registerAs)
		key := fmt.Sprintf("%s/%s:%d", r.suite, r.file, c.Line)
		if reason, ok := r.opts.Exclude[key]; ok && o.skip == "" {
			r.fr.Excluded++
			r.res.Excluded++
			if o.ok {
				r.res.Stale = append(r.res.Stale, key+" ("+reason+")")
			}
			continue
		}
		switch {
		case o.skip == "text":
			r.fr.TextNA++
			r.res.TextNA++
		case o.skip == "v128":
			r.fr.SkippedV128++
			r.res.SkippedV128++
		case o.ok:
			r.fr.Passed++
			r.res.Passed++
		default:
			r.fail(c.Line, desc, o.expected, o.got)
		}
	}
	return r.fr
}

func (r *scriptRun) fail(line int, desc, expected, got string) {
	r.fr.Failed++
	r.res.Failed++
	r.res.Failures = append(r.res.Failures, Failure{Suite: r.suite, File: r.file, Line: line, Command: desc, Expected: expected, Got: got})
}

func (r *scriptRun) describe(c *command) string {
	switch c.Type {
	case "module":
		s := "module " + c.Filename
		if c.Name != "" {
			s += " as " + c.Name
		}
		return s
	case "register":
		who := "current module"
		if c.Name != "" {
			who = c.Name
		}
		return fmt.Sprintf("register %s as %q", who, c.As)
	case "action", "assert_return", "assert_trap", "assert_exhaustion":
		if c.Action == nil {
			return c.Type + " (no action)"
		}
		var args []string
		for _, a := range c.Action.Args {
			x, err := a.parse()
			if err != nil {
				args = append(args, "?"+a.Type)
				continue
			}
			args = append(args, x.String())
		}
		mod := ""
		if c.Action.Module != "" {
			mod = c.Action.Module + "."
		}
		if c.Action.Type == "get" {
			return fmt.Sprintf("%s get %s%q", c.Type, mod, c.Action.Field)
		}
		return fmt.Sprintf("%s invoke %s%q(%s)", c.Type, mod, c.Action.Field, strings.Join(args, ", "))
	default:
		return fmt.Sprintf("%s %s (%s)", c.Type, c.Filename, c.ModuleType)
	}
}

func (r *scriptRun) readWasm(c *command) ([]byte, error) {
	if c.Filename == "" {
		return nil, fmt.Errorf("command has no filename")
	}
	return os.ReadFile(filepath.Join(r.dir, c.Filename))
}

func (r *scriptRun) target(a *action) (Instance, string) {
	if a.Module != "" {
		inst, ok := r.named[a.Module]
		if !ok {
			return nil, fmt.Sprintf("no module named %s", a.Module)
		}
		if inst == nil {
			return nil, fmt.Sprintf("module %s (line %d) failed to instantiate", a.Module, r.namedAt[a.Module])
		}
		return inst, ""
	}
	if r.cur == nil {
		if r.curLine > 0 {
			return nil, fmt.Sprintf("the current module (line %d) failed to instantiate", r.curLine)
		}
		return nil, "no module instantiated yet"
	}
	return r.cur, ""
}

func (r *scriptRun) exec(c *command, registerAs string) outcome {
	switch c.Type {
	case "module":
		wasm, err := r.readWasm(c)
		if err != nil {
			return fail("module instantiates", err.Error())
		}
		inst, err := r.e.Instantiate(wasm, registerAs)
		if err != nil {
			inst = nil
		}
		r.cur, r.curLine = inst, c.Line
		if c.Name != "" {
			r.named[c.Name], r.namedAt[c.Name] = inst, c.Line
		}
		if err != nil {
			return fail("module instantiates", "error: "+oneLine(err))
		}
		return pass()

	case "register":
		inst, why := r.target(&action{Module: c.Name})
		if inst == nil {
			return fail("register", why)
		}
		if err := r.e.Register(c.As, inst); err != nil {
			return fail("register", "error: "+oneLine(err))
		}
		return pass()

	case "action", "assert_return", "assert_trap", "assert_exhaustion":
		return r.execAction(c)

	case "assert_invalid", "assert_malformed":
		if c.ModuleType == "text" {
			return outcome{skip: "text"}
		}
		wasm, err := r.readWasm(c)
		if err != nil {
			return fail("module is rejected", err.Error())
		}
		if err := r.e.Compile(wasm); err == nil {
			return fail(fmt.Sprintf("Compile rejects the module (%s)", c.Text), "accepted")
		}
		return pass()

	case "assert_unlinkable":
		if c.ModuleType == "text" {
			return outcome{skip: "text"}
		}
		wasm, err := r.readWasm(c)
		if err != nil {
			return fail("module fails to link", err.Error())
		}
		want := fmt.Sprintf("valid module that fails to instantiate (%s)", c.Text)
		if err := r.e.Compile(wasm); err != nil {
			return fail(want, "Compile rejected it: "+oneLine(err))
		}
		if _, err := r.e.Instantiate(wasm, ""); err == nil {
			return fail(want, "instantiated")
		}
		return pass()

	case "assert_uninstantiable":
		if c.ModuleType == "text" {
			return outcome{skip: "text"}
		}
		wasm, err := r.readWasm(c)
		if err != nil {
			return fail("module traps while instantiating", err.Error())
		}
		want := fmt.Sprintf("trap %q while instantiating", c.Text)
		_, err = r.e.Instantiate(wasm, "")
		if err == nil {
			return fail(want, "instantiated")
		}
		var tr *Trap
		if !errors.As(err, &tr) {
			return fail(want, "non-trap error: "+oneLine(err))
		}
		if !trapMatches(c.Text, tr) {
			return fail(want, oneLine(tr))
		}
		return pass()
	}
	return fail("a known command", "unknown command type "+c.Type)
}

func (r *scriptRun) execAction(c *command) outcome {
	if c.Action == nil {
		return fail("an action", "command has no action")
	}
	a := c.Action
	var args []Value
	for _, j := range a.Args {
		x, err := j.parse()
		if err != nil {
			return fail("well-formed arguments", err.Error())
		}
		if x.hasV128 {
			return outcome{skip: "v128"}
		}
		if x.anyRef || x.nan != "" {
			return fail("concrete arguments", "argument "+x.String())
		}
		args = append(args, x.v)
	}
	var exps []expectation
	if c.Type == "assert_return" {
		for _, j := range c.Expected {
			x, err := j.parse()
			if err != nil {
				return fail("well-formed expected values", err.Error())
			}
			if x.hasV128 {
				return outcome{skip: "v128"}
			}
			exps = append(exps, x)
		}
	}
	inst, why := r.target(a)
	if inst == nil {
		return fail(c.Type, why)
	}

	var got []Value
	var err error
	switch a.Type {
	case "invoke":
		got, err = inst.Invoke(a.Field, args)
	case "get":
		var v Value
		v, err = inst.Global(a.Field)
		got = []Value{v}
	default:
		return fail("invoke or get", "action type "+a.Type)
	}

	switch c.Type {
	case "action":
		if err != nil {
			return fail("action completes", "error: "+oneLine(err))
		}
		return pass()
	case "assert_return":
		want := expString(exps)
		if err != nil {
			return fail(want, "error: "+oneLine(err))
		}
		if len(got) != len(exps) {
			return fail(want, valuesString(got))
		}
		for i := range exps {
			if !exps[i].match(got[i]) {
				return fail(want, valuesString(got))
			}
		}
		return pass()
	default: // assert_trap, assert_exhaustion
		want := fmt.Sprintf("trap %q", c.Text)
		if err == nil {
			return fail(want, "returned "+valuesString(got))
		}
		var tr *Trap
		if !errors.As(err, &tr) {
			return fail(want, "non-trap error: "+oneLine(err))
		}
		if c.Type == "assert_exhaustion" && tr.Kind != TrapStackExhausted && !strings.Contains(tr.Message, c.Text) {
			return fail(want+" (stack exhaustion)", oneLine(tr))
		}
		if !trapMatches(c.Text, tr) {
			return fail(want, oneLine(tr))
		}
		return pass()
	}
}

func expString(xs []expectation) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = x.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func valuesString(vs []Value) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// oneLine keeps the first line of an error (engines append stack traces).
func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	return s
}
