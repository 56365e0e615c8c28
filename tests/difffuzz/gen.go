// Package difffuzz is the differential fuzzer of mwasm's AOT compiler: it
// generates random valid WebAssembly 2.0 modules (no SIMD) from fuzz input
// bytes, runs every exported function of each module under wazero (its
// optimizing compiler, CoreFeaturesV2) and under mwasm's aot.Compile plus
// aot/runtime in process, and requires the two to agree on results, traps,
// the final memory and every global.
//
// # The generator
//
// Generate (gen.go) reads its choices from the input bytes and, once they run
// out, from a PRNG seeded with a hash of the input, so a short seed still
// makes a rich module and a mutation of the input changes the module locally.
// Function bodies are built as typed expressions: genExpr(t) emits code that
// leaves exactly one value of type t on the operand stack and genStmt emits
// code with no net effect, so every body validates by construction. The
// module has one memory (0-2 pages, max up to 4, exported "mem", one active
// and one passive data segment), a funcref table filled by an element
// segment (some slots null), mutable globals of every number type (exported
// "g0".."gN") and the hidden "fuel" global, and 1-6 functions, all exported
// ("f0".."fN"); f0 always returns several values.
//
// Reference types and tables: value types include funcref and externref
// (params, results, locals, globals, block types, typed select), built from
// ref.null, ref.func, table.get, locals, globals, calls and blocks and
// consumed by ref.is_null, table.set/fill/grow and call_indirect. Every
// module has three tables (0: funcref, 1: funcref with a maximum, 2:
// externref) and four element segments (active on table 0, passive funcref,
// passive externref, active on table 1) for table.init/copy and elem.drop.
// Function references are engine addresses, so a funcref result or global is
// compared only as null or not; identity shows through call_indirect.
//
// Linking: a third of the modules import from a library module generated
// from the same input ("lib", instantiated first in both engines): some of
// its functions, globals, its memory and its table 0 (into which the main
// module's active segment then writes, so the library's call_indirect can
// reach the main module's functions). The library's fuel is its own global,
// initialized once, so cross-module call cycles terminate too.
//
// Stack exhaustion: an eighth of the modules have one more export, an
// unguarded recursive function rec(n, extras...) called with a small n (both
// engines must return the same value) and with n = 0xffffffff (both must
// trap with a stack overflow; the depths at which they do are not compared).
//
// Termination: every loop back edge and every call is guarded by the fuel
// global (`global.get fuel; if ... fuel -= 1; ... br/call ... end`), random
// branches never target a loop label, and the driver sets fuel before every
// call, so any call graph (recursion included) and any loop nest runs a
// bounded number of steps.
//
// NaN determinism: the spec lets an arithmetic float operation return any
// NaN of the allowed class, so results are compared "both NaN" for floats;
// but NaN bits become observable through reinterpret, store and copysign's
// sign operand. The generator tracks whether each float expression's bits
// are deterministic (constants, loads, reinterpret, abs/neg/copysign of such)
// and canonicalizes the others before those uses, so a difference in memory
// or integers is always a real bug.
//
// # The comparison
//
// diff.go (linux/amd64 only, like aot/runtime) compiles a module with both
// engines, calls every export with a few argument sets and compares: results
// bit for bit (floats: both NaN, or identical bits), trap versus no trap and
// the trap class (wazero's messages and aot's vm.TrapKind mapped to one
// enum), and after every call the whole memory and every exported global.
// When the two differ, wazero's interpreter is run too: if it agrees with
// aot on the whole trace, the difference is wazero's optimizing compiler's
// (*WazeroCompilerBug; see TestWazeroCompilerBranchOnZeroCmpAnd for the one
// found so far) and the module is skipped, otherwise it is a *Divergence.
//
// FuzzDiffWazero is the fuzz target; run as a plain test it checks its seed
// corpus (testdata/fuzz/FuzzDiffWazero holds the input of every bug found so
// far, named after it) and TestSweep checks a deterministic sweep of 300
// modules (DIFFFUZZ_SWEEP=n to change). To study a failing input, run
// `REDUCE=<input hex> go test -run TestReduce -v`: it deletes statements and
// expressions of the generated module while it still diverges, prints the
// rest as text and writes /tmp/reduced.wasm; `IRDUMP=<func index> go test
// -run TestIRDump -v` then prints that function's IR before and after the
// passes.
package difffuzz

import (
	"encoding/binary"
	"hash/fnv"
	"math"
)

// Value types, by their binary encoding.
const (
	tI32 byte = 0x7f
	tI64 byte = 0x7e
	tF32 byte = 0x7d
	tF64 byte = 0x7c
	// Reference types.
	tFuncref   byte = 0x70
	tExternref byte = 0x6f
)

var numTypes = []byte{tI32, tI64, tF32, tF64}

func isRef(t byte) bool { return t == tFuncref || t == tExternref }

// Tables of every module: 0 funcref (no maximum; imported from the library
// module when the main module has one), 1 funcref (with a maximum), 2
// externref.
var tableTypes = []byte{tFuncref, tFuncref, tExternref}

// Element segments: 0 active on table 0 (function indices), 1 passive
// funcref (expressions), 2 passive externref (ref.null), 3 active on table 1
// (function indices).
var elemTypes = []byte{tFuncref, tFuncref, tExternref, tFuncref}

// source yields the generator's choices: the input bytes, then a PRNG seeded
// from them.
type source struct {
	b   []byte
	i   int
	rng uint64
}

func newSource(b []byte) *source {
	h := fnv.New64a()
	h.Write(b)
	return &source{b: b, rng: h.Sum64() | 1}
}

func (s *source) byte() byte {
	if s.i < len(s.b) {
		s.i++
		return s.b[s.i-1]
	}
	// splitmix64
	s.rng += 0x9e3779b97f4a7c15
	z := s.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return byte(z ^ (z >> 31))
}

// intn returns a choice in [0, n).
func (s *source) intn(n int) int {
	if n <= 1 {
		return 0
	}
	if n <= 256 {
		return int(s.byte()) % n
	}
	return int(uint16(s.byte())|uint16(s.byte())<<8) % n
}

func (s *source) u32() uint32 {
	return uint32(s.byte()) | uint32(s.byte())<<8 | uint32(s.byte())<<16 | uint32(s.byte())<<24
}

func (s *source) u64() uint64 { return uint64(s.u32()) | uint64(s.u32())<<32 }

// chance is true with probability about num/den.
func (s *source) chance(num, den int) bool { return s.intn(den) < num }

type funcType struct{ params, results []byte }

func (f funcType) key() string {
	return string(rune(len(f.params))) + string(f.params) + string(f.results)
}

type global struct {
	t    byte
	mut  bool
	init uint64 // funcref: 0 null, else 1 + function index
	imp  string // export name in the library module, if imported
}

// Module is a generated module and what the driver needs to call it.
type Module struct {
	Wasm []byte
	// Funcs are the exported functions "f0".."fN-1" with their types.
	Funcs []funcType
	// Globals are the exported globals "g0".."gN-1" (types by encoding).
	Globals []byte
	// Fuel is the value the driver stores in the "fuel" global before a call.
	Fuel uint32
	// Args holds argument sets per function (raw bits as wazero takes them).
	Args [][][]uint64
	// Lib, if not nil, is the library module the module imports from
	// (instantiated first under the name "lib").
	Lib *Module

	nodes  int // statements and expressions generated
	refOps int // reference and table instructions generated
}

type gen struct {
	src     *source
	types   []funcType
	typeIdx map[string]uint32
	funcs   []uint32 // type index per function
	globals []global // globals[fuel] is the fuel global
	fuel    int
	memMin  uint32
	memMax  uint32
	elems   []uint32 // function indices at table slots 0..len-1
	// Reduction: the n-th stmt/expr (counted over the module) is generated
	// (so the random stream stays the same) and then replaced: a statement
	// by nothing, an expression by a constant 0.
	count    int
	skip     map[int]bool
	tableLen uint32
	passive  []byte // passive data segment 1
	// Reference types and tables.
	tab1Min, tab1Max uint32   // table 1 limits
	tab2Min          uint32   // table 2 (externref) minimum; no maximum
	elems1           []uint32 // passive funcref segment: 0 null, else 1 + function index
	nExtern          int      // length of the passive externref segment
	elems3           []uint32 // active segment on table 1
	// Imports from the library module (main module only).
	lib      *gen
	nimp     int      // imported functions (indices 0..nimp-1)
	impNames []string // their export names in lib
	impMem   bool
	impTable bool
	main     bool // the module under test, not a library
	refOps   int
	// rec is the stack-exhaustion function (index len(funcs)), if any.
	rec     bool
	recTyp  uint32
	recBody []byte
}

func (g *gen) typeIndex(ft funcType) uint32 {
	if i, ok := g.typeIdx[ft.key()]; ok {
		return i
	}
	i := uint32(len(g.types))
	g.types = append(g.types, ft)
	g.typeIdx[ft.key()] = i
	return i
}

// valType returns a value type: mostly a number type, sometimes a reference.
func (g *gen) valType() byte {
	if g.src.chance(1, 12) {
		return pick(g.src, []byte{tFuncref, tExternref})
	}
	return g.numType()
}

func (g *gen) numType() byte { return numTypes[g.src.intn(4)] }

func (g *gen) valTypes(max int) []byte {
	n := g.src.intn(max + 1)
	out := make([]byte, n)
	for i := range out {
		out[i] = g.valType()
	}
	return out
}

// Generate builds a valid module from data.
func Generate(data []byte) *Module { return generate(data, nil) }

// generate builds the module with the statements and expressions numbered in
// skip removed (see gen.skip); it also returns how many there were.
func generate(data []byte, skip map[int]bool) *Module {
	src := newSource(data)
	var lib *gen
	var libMod *Module
	if src.chance(1, 3) {
		var seed [8]byte
		binary.LittleEndian.PutUint64(seed[:], src.u64())
		lib = &gen{src: newSource(seed[:]), typeIdx: map[string]uint32{}, skip: skip}
		libMod = lib.build(nil)
	}
	g := &gen{src: src, typeIdx: map[string]uint32{}, skip: skip, lib: lib, main: true}
	if lib != nil {
		// The library's nodes are numbered first (reduction covers both).
		g.count = lib.count
	}
	m := g.build(lib)
	m.Lib = libMod
	return m
}

// build generates the module; lib, if not nil, is the library module it
// imports from (a library has no imports and no stack-exhaustion function).
func (g *gen) build(lib *gen) *Module {
	s := g.src
	if lib != nil {
		// Imported functions: up to 3 of the library's.
		n := s.intn(4)
		for k := 0; k < n; k++ {
			j := s.intn(len(lib.funcs))
			g.funcs = append(g.funcs, g.typeIndex(lib.types[lib.funcs[j]]))
			g.impNames = append(g.impNames, "f"+itoa(j))
		}
		g.nimp = n
		g.impMem = s.chance(1, 2)
		g.impTable = s.chance(1, 2)
		// Imported globals: up to 2 of the library's.
		for k := s.intn(3); k > 0; k-- {
			j := s.intn(lib.fuel)
			lg := lib.globals[j]
			g.globals = append(g.globals, global{t: lg.t, mut: lg.mut, imp: "g" + itoa(j)})
		}
	}
	nf := 1 + s.intn(6)
	// Function types: f0 returns 2-4 values.
	for i := 0; i < nf; i++ {
		ft := funcType{params: g.valTypes(3), results: g.valTypes(3)}
		if i == 0 {
			ft.results = append(g.valTypes(2), g.valType(), g.valType())
		}
		g.funcs = append(g.funcs, g.typeIndex(ft))
	}
	nall := len(g.funcs)
	// Globals: 2-5 mutable ones, one immutable, then fuel.
	ng := 2 + s.intn(4)
	for i := 0; i < ng; i++ {
		t := g.valType()
		g.globals = append(g.globals, global{t: t, mut: true, init: g.globalInit(t)})
	}
	t := g.valType()
	g.globals = append(g.globals, global{t: t, mut: false, init: g.globalInit(t)})
	g.fuel = len(g.globals)
	fuelInit := uint64(0)
	if !g.main {
		// A library's functions run on fuel left from instantiation.
		fuelInit = 300
	}
	g.globals = append(g.globals, global{t: tI32, mut: true, init: fuelInit})
	// Memory.
	g.memMin = 1 + uint32(s.intn(2))
	if s.chance(1, 12) {
		g.memMin = 0
	}
	g.memMax = g.memMin + uint32(s.intn(3))
	if g.impMem {
		g.memMin, g.memMax = lib.memMin, lib.memMax
	}
	// Table: every function at least once in a shuffled order, some nulls
	// after the segment.
	ne := nf + s.intn(nf+1)
	for i := 0; i < ne; i++ {
		g.elems = append(g.elems, uint32(s.intn(nall)))
	}
	g.tableLen = uint32(ne + s.intn(3))
	if g.impTable {
		g.tableLen = lib.tableLen
		if len(g.elems) > int(g.tableLen) {
			g.elems = g.elems[:g.tableLen]
		}
	}
	g.tab1Min = uint32(s.intn(5))
	g.tab1Max = g.tab1Min + uint32(s.intn(4))
	g.tab2Min = uint32(s.intn(5))
	for i := s.intn(5); i > 0; i-- {
		e := uint32(0)
		if s.chance(3, 4) {
			e = 1 + uint32(s.intn(nall))
		}
		g.elems1 = append(g.elems1, e)
	}
	// The passive externref segment stays empty: wazero v1.12.0 gives a
	// passive externref segment no contents (see
	// TestWazeroPassiveExternrefSegment).
	g.nExtern = 0
	for i := s.intn(int(g.tab1Min) + 1); i > 0; i-- {
		g.elems3 = append(g.elems3, uint32(s.intn(nall)))
	}
	g.passive = make([]byte, 1+s.intn(16))
	for i := range g.passive {
		g.passive[i] = s.byte()
	}

	var bodies [][]byte
	for i := g.nimp; i < nall; i++ {
		bodies = append(bodies, g.function(uint32(i)))
	}

	m := &Module{Fuel: 20 + uint32(s.intn(100))}
	for i := 0; i < nall; i++ {
		ft := g.types[g.funcs[i]]
		m.Funcs = append(m.Funcs, ft)
		var sets [][]uint64
		for k := 0; k < 3; k++ {
			var args []uint64
			for _, p := range ft.params {
				args = append(args, g.argBits(p))
			}
			sets = append(sets, args)
		}
		m.Args = append(m.Args, sets)
	}
	if g.isMain() && s.chance(1, 8) {
		ft := g.recFunction()
		m.Funcs = append(m.Funcs, ft)
		shallow := []uint64{uint64(1 + s.intn(100))}
		deep := []uint64{0xffffffff}
		for _, p := range ft.params[1:] {
			b := g.argBits(p)
			shallow, deep = append(shallow, b), append(deep, b)
		}
		m.Args = append(m.Args, [][]uint64{shallow, deep})
	}
	for i := 0; i < g.fuel; i++ {
		m.Globals = append(m.Globals, g.globals[i].t)
	}
	m.Wasm = g.encode(bodies)
	m.nodes, m.refOps = g.count, g.refOps
	return m
}

// isMain reports whether g is the module under test rather than a library.
func (g *gen) isMain() bool { return g.main }

// globalInit returns the initial value of a defined global of type t.
func (g *gen) globalInit(t byte) uint64 {
	switch t {
	case tFuncref:
		if g.src.chance(1, 2) {
			return 0
		}
		return 1 + uint64(g.src.intn(len(g.funcs)))
	case tExternref:
		return 0
	}
	return g.constBits(t)
}

// argBits returns an argument of type t for a call from the driver: a
// funcref argument is null (the driver has no function reference), an
// externref one an arbitrary host value.
func (g *gen) argBits(t byte) uint64 {
	switch t {
	case tFuncref:
		return 0
	case tExternref:
		return pick(g.src, []uint64{0, 1, 0x1234, 0xdead0000beef})
	case tI32, tF32:
		return uint64(uint32(g.constBits(t)))
	}
	return g.constBits(t)
}

// recFunction builds the stack-exhaustion function rec(n, extras...): it
// recurses n times without a fuel guard (n = 0xffffffff exhausts any stack)
// and returns n plus the sum of its extra integer parameters, so the extras
// stay live across the call.
func (g *gen) recFunction() funcType {
	s := g.src
	ft := funcType{params: []byte{tI32}, results: []byte{tI32}}
	for k := s.intn(5); k > 0; k-- {
		ft.params = append(ft.params, pick(s, []byte{tI32, tI64, tF64}))
	}
	g.rec = true
	g.recTyp = g.typeIndex(ft)
	self := uint64(len(g.funcs))
	var b []byte
	// a few unused locals enlarge the frame
	nl := s.intn(3)
	b = appendU(b, uint64(nl))
	for k := 0; k < nl; k++ {
		b = appendU(b, uint64(1+s.intn(20)))
		b = append(b, g.numType())
	}
	b = append(b, 0x20, 0, 0x45, 0x04, tI32, 0x41, 0, 0x05)
	indirect := s.chance(1, 4)
	if indirect {
		// table 0 slot 0 = rec, then recurse through call_indirect
		b = append(b, 0x41, 0, 0xd2)
		b = appendU(b, self)
		b = append(b, 0x26, 0)
	}
	b = append(b, 0x20, 0, 0x41, 1, 0x6b)
	for i := 1; i < len(ft.params); i++ {
		b = append(b, 0x20)
		b = appendU(b, uint64(i))
	}
	if indirect {
		b = append(b, 0x41, 0, 0x11)
		b = appendU(b, uint64(g.recTyp))
		b = append(b, 0)
	} else {
		b = append(b, 0x10)
		b = appendU(b, self)
	}
	b = append(b, 0x41, 1, 0x6a)
	for i, p := range ft.params[1:] {
		switch p {
		case tI32:
			b = append(b, 0x20)
			b = appendU(b, uint64(i+1))
			b = append(b, 0x6a)
		case tI64:
			b = append(b, 0x20)
			b = appendU(b, uint64(i+1))
			b = append(b, 0xa7, 0x6a)
		}
	}
	b = append(b, 0x0b, 0x0b)
	g.recBody = b
	return ft
}

// constBits returns an interesting constant of type t as raw bits.
func (g *gen) constBits(t byte) uint64 {
	s := g.src
	switch t {
	case tI32:
		vals := []uint32{0, 1, 0xffffffff, 2, 7, 8, 31, 32, 33, 0x7fffffff, 0x80000000, 0xffff, 0x10000, 0xfffe, 0x8000, 0x80, 0xff}
		if s.chance(1, 3) {
			return uint64(s.u32())
		}
		return uint64(vals[s.intn(len(vals))])
	case tI64:
		vals := []uint64{0, 1, math.MaxUint64, 2, 63, 64, 65, 32, math.MaxInt64, 1 << 63, 0xffffffff, 0x80000000, 0x100000000, 0x7fffffff, 0xffff}
		if s.chance(1, 3) {
			return s.u64()
		}
		return vals[s.intn(len(vals))]
	case tF32:
		vals := []uint32{0, 0x80000000, math.Float32bits(1), math.Float32bits(-1), math.Float32bits(0.5), math.Float32bits(1.5),
			math.Float32bits(2.5), math.Float32bits(-2.5), 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fa00001, 0x7f800001,
			0x7f7fffff, 1, 0x00800000, math.Float32bits(2147483648), math.Float32bits(-2147483648), math.Float32bits(4294967296),
			math.Float32bits(9.223372e18), math.Float32bits(-9.223372e18), math.Float32bits(1.8446744e19), math.Float32bits(-0.75),
			math.Float32bits(2147483520), math.Float32bits(4294967040)}
		if s.chance(1, 4) {
			return uint64(s.u32())
		}
		return uint64(vals[s.intn(len(vals))])
	default:
		vals := []uint64{0, 1 << 63, math.Float64bits(1), math.Float64bits(-1), math.Float64bits(0.5), math.Float64bits(-0.5),
			math.Float64bits(2.5), math.Float64bits(-3.5), 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
			0xfff8000000000000, 0x7ff4000000000001, 0x7ff0000000000001, math.Float64bits(math.MaxFloat64), 1,
			math.Float64bits(2147483647), math.Float64bits(2147483648), math.Float64bits(-2147483648), math.Float64bits(-2147483649),
			math.Float64bits(4294967295), math.Float64bits(4294967296), math.Float64bits(-0.999), math.Float64bits(9223372036854775807),
			math.Float64bits(-9223372036854775808), math.Float64bits(18446744073709551615), math.Float64bits(-9223372036854777856)}
		if s.chance(1, 4) {
			return s.u64()
		}
		return vals[s.intn(len(vals))]
	}
}

// ---- function bodies ----

type label struct {
	types  []byte
	isLoop bool
}

type fn struct {
	g       *gen
	idx     uint32
	b       []byte
	nparams int
	locals  []byte // params then declared locals
	labels  []label
	depth   int
	budget  int
	scratch map[byte]uint32 // a scratch local per type (canonicalization)
}

func (g *gen) function(i uint32) []byte {
	ft := g.types[g.funcs[i]]
	f := &fn{g: g, idx: i, nparams: len(ft.params), budget: 150 + g.src.intn(250), scratch: map[byte]uint32{}}
	f.locals = append(f.locals, ft.params...)
	for _, t := range g.valTypes(4) {
		f.locals = append(f.locals, t)
	}
	f.labels = []label{{types: ft.results}}
	n := 1 + g.src.intn(6)
	for k := 0; k < n; k++ {
		f.stmt()
	}
	for _, t := range ft.results {
		f.expr(t)
	}
	f.op(0x0b)
	// Encode locals (run-length by type) and the body.
	var out []byte
	decl := f.locals[f.nparams:]
	var groups [][2]uint32
	for _, t := range decl {
		if len(groups) > 0 && byte(groups[len(groups)-1][1]) == t {
			groups[len(groups)-1][0]++
		} else {
			groups = append(groups, [2]uint32{1, uint32(t)})
		}
	}
	out = appendU(out, uint64(len(groups)))
	for _, gr := range groups {
		out = appendU(out, uint64(gr[0]))
		out = append(out, byte(gr[1]))
	}
	return append(out, f.b...)
}

func (f *fn) op(b ...byte) { f.b = append(f.b, b...) }
func (f *fn) u(v uint64)   { f.b = appendU(f.b, v) }
func (f *fn) s(v int64)    { f.b = appendS(f.b, v) }

func (f *fn) newLocal(t byte) uint32 {
	f.locals = append(f.locals, t)
	return uint32(len(f.locals) - 1)
}

func (f *fn) scratchLocal(t byte) uint32 {
	if l, ok := f.scratch[t]; ok {
		return l
	}
	l := f.newLocal(t)
	f.scratch[t] = l
	return l
}

// localOf returns a random local of type t, or -1.
func (f *fn) localOf(t byte) int {
	var c []int
	for i, lt := range f.locals {
		if lt == t {
			c = append(c, i)
		}
	}
	if len(c) == 0 {
		return -1
	}
	return c[f.g.src.intn(len(c))]
}

// globalOf returns a random global of type t (mutable only if mut), never
// fuel, or -1.
func (f *fn) globalOf(t byte, mut bool) int {
	var c []int
	for i, gl := range f.g.globals {
		if gl.t == t && i != f.g.fuel && (gl.mut || !mut) {
			c = append(c, i)
		}
	}
	if len(c) == 0 {
		return -1
	}
	return c[f.g.src.intn(len(c))]
}

func (f *fn) constant(t byte) {
	bits := f.g.constBits(t)
	switch t {
	case tI32:
		f.op(0x41)
		f.s(int64(int32(uint32(bits))))
	case tI64:
		f.op(0x42)
		f.s(int64(bits))
	case tF32:
		f.op(0x43)
		f.b = binary.LittleEndian.AppendUint32(f.b, uint32(bits))
	case tF64:
		f.op(0x44)
		f.b = binary.LittleEndian.AppendUint64(f.b, bits)
	case tFuncref:
		if f.g.src.chance(1, 3) {
			f.op(0xd0, tFuncref)
		} else {
			f.op(0xd2)
			f.u(uint64(f.g.src.intn(len(f.g.funcs))))
		}
	case tExternref:
		f.op(0xd0, tExternref)
	}
}

func (f *fn) i32const(v int32) {
	f.op(0x41)
	f.s(int64(v))
}

// leaf emits a value of type t without recursion.
func (f *fn) leaf(t byte) bool {
	s := f.g.src
	switch s.intn(4) {
	case 1:
		if l := f.localOf(t); l >= 0 {
			f.op(0x20)
			f.u(uint64(l))
			return false
		}
	case 2:
		if gl := f.globalOf(t, false); gl >= 0 {
			f.op(0x23)
			f.u(uint64(gl))
			return false
		}
	}
	f.constant(t)
	return true
}

// exactExpr emits a value of type t whose NaN bits are deterministic.
func (f *fn) exactExpr(t byte) {
	if !f.expr(t) && (t == tF32 || t == tF64) {
		f.canon(t)
	}
}

// canon replaces a NaN on top of the stack by the canonical NaN.
func (f *fn) canon(t byte) {
	l := f.scratchLocal(t)
	f.op(0x22)
	f.u(uint64(l))
	if t == tF32 {
		f.op(0x43)
		f.b = binary.LittleEndian.AppendUint32(f.b, 0x7fc00000)
	} else {
		f.op(0x44)
		f.b = binary.LittleEndian.AppendUint64(f.b, 0x7ff8000000000000)
	}
	f.op(0x20)
	f.u(uint64(l))
	f.op(0x20)
	f.u(uint64(l))
	if t == tF32 {
		f.op(0x5b)
	} else {
		f.op(0x61)
	}
	f.op(0x1b)
}

// expr emits code that pushes one value of type t and reports whether a
// float value's bits are deterministic.
func (f *fn) expr(t byte) bool {
	id := f.g.count
	f.g.count++
	start := len(f.b)
	e := f.expr1(t)
	if f.g.skip[id] {
		f.b = f.b[:start]
		f.b = appendConst(f.b, t, 0)
		f.b = f.b[:len(f.b)-1] // no end
		return true
	}
	return e
}

func (f *fn) expr1(t byte) bool {
	f.budget--
	if f.depth >= 8 || f.budget <= 0 {
		return f.leaf(t)
	}
	f.depth++
	defer func() { f.depth-- }()
	s := f.g.src
	if isRef(t) {
		f.refExpr(t)
		return true
	}
	switch s.intn(24) {
	case 0, 1, 2:
		return f.leaf(t)
	case 3:
		return f.control(t)
	case 4:
		f.call([]byte{t})
		return false
	case 5:
		f.branchExpr(t)
		return false
	case 6:
		// select
		e1 := f.expr(t)
		e2 := f.expr(t)
		f.expr(tI32)
		if s.chance(1, 2) {
			f.op(0x1c, 1, t)
		} else {
			f.op(0x1b)
		}
		return e1 && e2
	case 7:
		l := f.localOf(t)
		if l < 0 {
			return f.leaf(t)
		}
		f.expr(t)
		f.op(0x22)
		f.u(uint64(l))
		return false
	case 8:
		f.load(t)
		return true
	case 9:
		// A statement first.
		f.stmt()
		return f.expr(t)
	}
	switch t {
	case tI32:
		f.i32()
	case tI64:
		f.i64()
	case tF32, tF64:
		return f.float(t)
	}
	return true
}

func pick[T any](s *source, xs []T) T { return xs[s.intn(len(xs))] }

// refExpr emits a value of reference type t.
func (f *fn) refExpr(t byte) {
	s := f.g.src
	f.g.refOps++
	switch s.intn(10) {
	case 0, 1:
		f.leaf(t)
	case 2:
		f.control(t)
	case 3:
		f.call([]byte{t})
	case 4:
		f.branchExpr(t)
	case 5:
		f.expr(t)
		f.expr(t)
		f.expr(tI32)
		f.op(0x1c, 1, t)
	case 6:
		l := f.localOf(t)
		if l < 0 {
			f.leaf(t)
			return
		}
		f.expr(t)
		f.op(0x22)
		f.u(uint64(l))
	case 7, 8:
		x := f.tableOf(t)
		f.tableIndex(x)
		f.op(0x25)
		f.u(uint64(x))
	case 9:
		f.stmt()
		f.expr(t)
	}
}

// tableOf returns a random table of element type t.
func (f *fn) tableOf(t byte) int {
	if t == tExternref {
		return 2
	}
	return f.g.src.intn(2)
}

// tableLen is a table's initial length.
func (g *gen) tableMin(x int) uint32 {
	switch x {
	case 0:
		return g.tableLen
	case 1:
		return g.tab1Min
	}
	return g.tab2Min
}

// tableIndex pushes an element index into table x: mostly in bounds of its
// initial length, sometimes just past it or computed.
func (f *fn) tableIndex(x int) {
	s := f.g.src
	n := int32(f.g.tableMin(x))
	switch s.intn(12) {
	case 0:
		f.expr(tI32)
	case 1:
		f.i32const(n + int32(s.intn(3)))
	case 2:
		f.i32const(pick(s, []int32{-1, 0x7fffffff, 0x10000}))
	default:
		f.i32const(int32(s.intn(int(n) + 1)))
	}
}

// tableCount pushes an element count for table.fill/copy/init.
func (f *fn) tableCount() {
	s := f.g.src
	switch s.intn(12) {
	case 0:
		f.expr(tI32)
	case 1:
		f.i32const(pick(s, []int32{-1, 0x7fffffff, 100}))
	default:
		f.i32const(int32(s.intn(5)))
	}
}

// tableStmt emits table.set/fill/copy/init or elem.drop.
func (f *fn) tableStmt() {
	s := f.g.src
	f.g.refOps++
	x := s.intn(3)
	et := tableTypes[x]
	switch s.intn(6) {
	case 0, 1:
		f.tableIndex(x)
		f.expr(et)
		f.op(0x26)
		f.u(uint64(x))
	case 2:
		f.tableIndex(x)
		f.expr(et)
		f.tableCount()
		f.op(0xfc, 17)
		f.u(uint64(x))
	case 3:
		y := x
		if et == tFuncref {
			y = s.intn(2)
		}
		f.tableIndex(x)
		f.tableIndex(y)
		f.tableCount()
		f.op(0xfc, 14)
		f.u(uint64(x))
		f.u(uint64(y))
	case 4:
		var segs []int
		for i, st := range elemTypes {
			if st == et {
				segs = append(segs, i)
			}
		}
		seg := pick(s, segs)
		f.tableIndex(x)
		f.i32const(int32(s.intn(4)))
		f.tableCount()
		f.op(0xfc, 12)
		f.u(uint64(seg))
		f.u(uint64(x))
	case 5:
		f.op(0xfc, 13)
		f.u(uint64(s.intn(len(elemTypes))))
	}
}

// tableI32 emits ref.is_null, table.size or table.grow.
func (f *fn) tableI32() {
	s := f.g.src
	f.g.refOps++
	x := s.intn(3)
	switch s.intn(3) {
	case 0:
		f.expr(pick(s, []byte{tFuncref, tExternref}))
		f.op(0xd1)
	case 1:
		f.op(0xfc, 16)
		f.u(uint64(x))
	case 2:
		f.expr(tableTypes[x])
		// Small deltas only: a table without a maximum may grow up to an
		// implementation limit, which differs between engines.
		if x == 1 && s.chance(1, 3) {
			f.i32const(int32(f.g.tab1Max-f.g.tab1Min) + int32(s.intn(3)))
		} else {
			f.i32const(int32(s.intn(4)))
		}
		f.op(0xfc, 15)
		f.u(uint64(x))
	}
}

func (f *fn) i32() {
	s := f.g.src
	switch s.intn(12) {
	case 0, 1, 2: // binary
		f.expr(tI32)
		f.expr(tI32)
		f.op(byte(0x6a + s.intn(0x78-0x6a+1)))
	case 3: // unary
		f.expr(tI32)
		f.op(pick(s, []byte{0x67, 0x68, 0x69, 0x45, 0xc0, 0xc1}))
	case 4: // i32 compare
		f.expr(tI32)
		f.expr(tI32)
		f.op(byte(0x46 + s.intn(10)))
	case 5: // i64 compare / eqz
		f.expr(tI64)
		if s.chance(1, 5) {
			f.op(0x50)
			return
		}
		f.expr(tI64)
		f.op(byte(0x51 + s.intn(10)))
	case 6: // float compare
		if s.chance(1, 2) {
			f.expr(tF32)
			f.expr(tF32)
			f.op(byte(0x5b + s.intn(6)))
		} else {
			f.expr(tF64)
			f.expr(tF64)
			f.op(byte(0x61 + s.intn(6)))
		}
	case 7:
		f.expr(tI64)
		f.op(0xa7)
	case 8: // trapping or saturating truncation
		ft := pick(s, []byte{tF32, tF64})
		f.expr(ft)
		sat := s.chance(4, 5)
		u := s.intn(2)
		switch {
		case sat && ft == tF32:
			f.op(0xfc, byte(0+u))
		case sat:
			f.op(0xfc, byte(2+u))
		case ft == tF32:
			f.op(byte(0xa8 + u))
		default:
			f.op(byte(0xaa + u))
		}
	case 9:
		f.exactExpr(tF32)
		f.op(0xbc)
	case 10:
		if s.chance(1, 2) {
			f.tableI32()
			return
		}
		f.op(0x3f, 0)
	case 11:
		f.growOperand()
		f.op(0x40, 0)
	}
}

func (f *fn) growOperand() {
	s := f.g.src
	switch s.intn(6) {
	case 0:
		f.expr(tI32)
	case 1:
		f.i32const(pick(s, []int32{0x10000, -1, 0x7fffffff, 0x8000}))
	default:
		f.i32const(int32(s.intn(3)))
	}
}

func (f *fn) i64() {
	s := f.g.src
	switch s.intn(9) {
	case 0, 1, 2:
		f.expr(tI64)
		f.expr(tI64)
		f.op(byte(0x7c + s.intn(0x8a-0x7c+1)))
	case 3:
		f.expr(tI64)
		f.op(pick(s, []byte{0x79, 0x7a, 0x7b, 0xc2, 0xc3, 0xc4}))
	case 4:
		f.expr(tI32)
		f.op(byte(0xac + s.intn(2)))
	case 5, 6:
		ft := pick(s, []byte{tF32, tF64})
		f.expr(ft)
		sat := s.chance(4, 5)
		u := s.intn(2)
		switch {
		case sat && ft == tF32:
			f.op(0xfc, byte(4+u))
		case sat:
			f.op(0xfc, byte(6+u))
		case ft == tF32:
			f.op(byte(0xae + u))
		default:
			f.op(byte(0xb0 + u))
		}
	case 7:
		f.exactExpr(tF64)
		f.op(0xbd)
	case 8:
		// A shift by a large amount.
		f.expr(tI64)
		f.op(0x42)
		f.s(int64(s.intn(200)) - 40)
		f.op(byte(0x86 + s.intn(5)))
	}
}

func (f *fn) float(t byte) bool {
	s := f.g.src
	base := byte(0x92) // f32.add
	un := byte(0x8b)   // f32.abs
	if t == tF64 {
		base, un = 0xa0, 0x99
	}
	switch s.intn(8) {
	case 0, 1, 2: // binary arithmetic (not copysign)
		f.expr(t)
		f.expr(t)
		f.op(base + byte(s.intn(6)))
		return false
	case 3: // copysign: exact when its operands are
		e := f.expr(t)
		f.exactExpr(t)
		f.op(base + 6)
		return e
	case 4: // abs, neg (exact) or ceil..sqrt
		e := f.expr(t)
		k := byte(s.intn(7))
		f.op(un + k)
		return e && k < 2
	case 5: // convert from an integer
		it := pick(s, []byte{tI32, tI64})
		f.expr(it)
		var o byte
		if t == tF32 {
			o = 0xb2
		} else {
			o = 0xb7
		}
		if it == tI64 {
			o += 2
		}
		f.op(o + byte(s.intn(2)))
		return true
	case 6: // promote / demote
		if t == tF32 {
			f.expr(tF64)
			f.op(0xb6)
		} else {
			f.expr(tF32)
			f.op(0xbb)
		}
		return false
	default: // reinterpret
		if t == tF32 {
			f.expr(tI32)
			f.op(0xbe)
		} else {
			f.expr(tI64)
			f.op(0xbf)
		}
		return true
	}
}

// address pushes an i32 address for an access of size n: mostly in bounds,
// sometimes at the end or beyond; returns the offset immediate to use.
func (f *fn) address(n uint32) uint32 {
	s := f.g.src
	memSize := f.g.memMin * 65536
	switch s.intn(100) {
	case 0:
		f.expr(tI32)
		return uint32(s.intn(3)) * uint32(s.intn(40000))
	case 1: // near the end of the (initial) memory
		f.i32const(int32(memSize) - int32(n) - 2 + int32(s.intn(5)))
		return 0
	case 2: // with an offset that crosses the end
		f.i32const(int32(s.intn(64)))
		return memSize - uint32(s.intn(64))
	case 3: // far away
		f.i32const(pick(s, []int32{-1, -8, 0x7fffffff, 65536, 131072, 196608}))
		return uint32(s.intn(2)) * 0xfffffff0
	case 4, 5, 6: // computed, masked into the first page
		f.expr(tI32)
		f.i32const(0xfff0)
		f.op(0x71)
		return uint32(s.intn(16))
	default:
		f.i32const(int32(s.intn(256)))
		return uint32(s.intn(32))
	}
}

func (f *fn) memarg(align, off uint32) {
	f.u(uint64(align))
	f.u(uint64(off))
}

type memOp struct {
	op    byte
	size  uint32
	align uint32
}

var loads = map[byte][]memOp{
	tI32: {{0x28, 4, 2}, {0x2c, 1, 0}, {0x2d, 1, 0}, {0x2e, 2, 1}, {0x2f, 2, 1}},
	tI64: {{0x29, 8, 3}, {0x30, 1, 0}, {0x31, 1, 0}, {0x32, 2, 1}, {0x33, 2, 1}, {0x34, 4, 2}, {0x35, 4, 2}},
	tF32: {{0x2a, 4, 2}},
	tF64: {{0x2b, 8, 3}},
}

var stores = map[byte][]memOp{
	tI32: {{0x36, 4, 2}, {0x3a, 1, 0}, {0x3b, 2, 1}},
	tI64: {{0x37, 8, 3}, {0x3c, 1, 0}, {0x3d, 2, 1}, {0x3e, 4, 2}},
	tF32: {{0x38, 4, 2}},
	tF64: {{0x39, 8, 3}},
}

func (f *fn) load(t byte) {
	m := pick(f.g.src, loads[t])
	off := f.address(m.size)
	f.op(m.op)
	f.memarg(uint32(f.g.src.intn(int(m.align)+1)), off)
}

func (f *fn) store() {
	t := f.g.numType()
	m := pick(f.g.src, stores[t])
	off := f.address(m.size)
	f.exactExpr(t)
	f.op(m.op)
	f.memarg(uint32(f.g.src.intn(int(m.align)+1)), off)
}

// blockType emits a block type for params -> results.
func (f *fn) blockType(params, results []byte) {
	switch {
	case len(params) == 0 && len(results) == 0:
		f.op(0x40)
	case len(params) == 0 && len(results) == 1:
		f.op(results[0])
	default:
		f.s(int64(f.g.typeIndex(funcType{params: params, results: results})))
	}
}

// blockBody consumes the block's params (saving them in fresh locals or,
// when the types line up, passing them through), runs statements and pushes
// the results.
func (f *fn) blockBody(params, results []byte) {
	s := f.g.src
	if len(params) > 0 && string(params) == string(results) && s.chance(1, 3) {
		f.stmt()
		return
	}
	for i := len(params) - 1; i >= 0; i-- {
		l := f.newLocal(params[i])
		f.op(0x21)
		f.u(uint64(l))
	}
	n := s.intn(4)
	for k := 0; k < n; k++ {
		f.stmt()
	}
	for _, r := range results {
		f.expr(r)
	}
}

// block emits block/loop/if with the given results and random params.
func (f *fn) block(results []byte) {
	s := f.g.src
	params := f.g.valTypes(2)
	if s.chance(1, 2) {
		params = nil
	}
	for _, p := range params {
		f.expr(p)
	}
	kind := s.intn(3)
	switch kind {
	case 0:
		f.op(0x02)
		f.blockType(params, results)
		f.labels = append(f.labels, label{types: results})
		f.blockBody(params, results)
	case 1:
		// loop: its label takes the params; the back edge is fuel-guarded.
		f.op(0x03)
		f.blockType(params, results)
		f.labels = append(f.labels, label{types: params, isLoop: true})
		if s.chance(1, 2) || len(params) > 0 && string(params) == string(results) {
			f.backEdge()
		}
		f.blockBody(params, results)
	case 2:
		f.expr(tI32)
		f.op(0x04)
		f.blockType(params, results)
		f.labels = append(f.labels, label{types: results})
		f.blockBody(params, results)
		if string(params) != string(results) || s.chance(2, 3) {
			f.op(0x05)
			f.blockBody(params, results)
		}
	}
	f.labels = f.labels[:len(f.labels)-1]
	f.op(0x0b)
}

// backEdge emits a fuel-guarded branch to a random enclosing loop.
func (f *fn) backEdge() {
	var loopsAt []int
	for i, l := range f.labels {
		if l.isLoop {
			loopsAt = append(loopsAt, i)
		}
	}
	if len(loopsAt) == 0 {
		return
	}
	li := pick(f.g.src, loopsAt)
	f.fuelIf(nil)
	f.labels = append(f.labels, label{})
	for _, p := range f.labels[li].types {
		f.expr(p)
	}
	f.op(0x0c)
	f.u(uint64(len(f.labels) - 1 - li))
	f.labels = f.labels[:len(f.labels)-1]
	f.op(0x0b)
}

// fuelIf opens `if (fuel) fuel -= 1` with the given results.
func (f *fn) fuelIf(results []byte) {
	fu := uint64(f.g.fuel)
	f.op(0x23)
	f.u(fu)
	f.op(0x04)
	f.blockType(nil, results)
	f.op(0x23)
	f.u(fu)
	f.i32const(1)
	f.op(0x6b, 0x24)
	f.u(fu)
}

// control emits a block/loop/if producing one value of type t.
func (f *fn) control(t byte) bool {
	res := []byte{t}
	if f.g.src.chance(1, 3) {
		res = append(res, f.g.valTypes(2)...)
	}
	f.block(res)
	f.reduce(res, t)
	return false
}

// reduce turns values of types ts on the stack into one value of type t.
func (f *fn) reduce(ts []byte, t byte) {
	k := -1
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i] == t {
			k = i
			break
		}
	}
	for i := len(ts) - 1; i > k; i-- {
		if f.g.src.chance(1, 2) {
			f.op(0x1a)
		} else {
			f.op(0x21)
			f.u(uint64(f.scratchLocal(ts[i])))
		}
	}
	if k < 0 {
		f.leaf(t)
		return
	}
	if k > 0 {
		l := f.newLocal(t)
		f.op(0x21)
		f.u(uint64(l))
		for i := k - 1; i >= 0; i-- {
			f.op(0x1a)
		}
		f.op(0x20)
		f.u(uint64(l))
	}
}

// call emits a fuel-guarded direct or indirect call and reduces its results
// to want (nil: drop them all).
func (f *fn) call(want []byte) {
	s := f.g.src
	g := f.g
	callee := uint32(s.intn(len(g.funcs)))
	indirect := s.chance(1, 3)
	slot := s.intn(len(g.elems))
	if indirect {
		callee = g.elems[slot]
	}
	ft := g.types[g.funcs[callee]]
	typeIdx := g.funcs[callee]
	if indirect && s.chance(1, 8) {
		// Any type: a mismatch traps.
		typeIdx = uint32(s.intn(len(g.types)))
		ft = g.types[typeIdx]
	}
	f.fuelIf(ft.results)
	f.labels = append(f.labels, label{types: ft.results})
	for _, p := range ft.params {
		f.expr(p)
	}
	if indirect {
		switch s.intn(10) {
		case 0:
			f.i32const(int32(s.intn(int(g.tableLen) + 2)))
		case 1:
			f.expr(tI32)
		default:
			f.i32const(int32(slot))
		}
		f.op(0x11)
		f.u(uint64(typeIdx))
		// Table 1 holds other functions (segment 3, table.set ...): mostly a
		// type mismatch or null, sometimes a call.
		f.u(uint64(s.intn(4) / 3))
	} else {
		f.op(0x10)
		f.u(uint64(callee))
	}
	f.op(0x05)
	for _, r := range ft.results {
		f.leaf(r)
	}
	f.labels = f.labels[:len(f.labels)-1]
	f.op(0x0b)
	if len(want) == 0 {
		for range ft.results {
			f.op(0x1a)
		}
		return
	}
	f.reduce(ft.results, want[0])
}

// branchTargets returns the non-loop labels (relative depths) whose types
// are ts, or all non-loop labels when ts is nil.
func (f *fn) targets(match func([]byte) bool) []int {
	var out []int
	for i, l := range f.labels {
		if !l.isLoop && match(l.types) {
			out = append(out, len(f.labels)-1-i)
		}
	}
	return out
}

func (f *fn) labelAt(depth int) label { return f.labels[len(f.labels)-1-depth] }

// branchExpr emits a branch used as a value of type t: br / br_table
// (polymorphic after) or br_if to a label of type [t].
func (f *fn) branchExpr(t byte) {
	s := f.g.src
	switch s.intn(3) {
	case 0:
		ds := f.targets(func(ts []byte) bool { return len(ts) == 1 && ts[0] == t })
		if len(ds) == 0 {
			f.leaf(t)
			return
		}
		d := pick(s, ds)
		f.expr(t)
		f.expr(tI32)
		f.op(0x0d)
		f.u(uint64(d))
	default:
		f.branch()
	}
}

// branch emits an unconditional br or br_table to non-loop labels (the code
// after it is unreachable).
func (f *fn) branch() {
	s := f.g.src
	all := f.targets(func([]byte) bool { return true })
	d := pick(s, all)
	lt := f.labelAt(d).types
	for _, t := range lt {
		f.expr(t)
	}
	if s.chance(1, 2) {
		f.op(0x0c)
		f.u(uint64(d))
		return
	}
	same := f.targets(func(ts []byte) bool { return string(ts) == string(lt) })
	n := s.intn(4)
	f.expr(tI32)
	f.op(0x0e)
	f.u(uint64(n))
	for k := 0; k < n; k++ {
		f.u(uint64(pick(s, same)))
	}
	f.u(uint64(d))
}

// stmt emits code with no net effect on the operand stack.
func (f *fn) stmt() {
	id := f.g.count
	f.g.count++
	start := len(f.b)
	f.stmt1()
	if f.g.skip[id] {
		f.b = f.b[:start]
	}
}

func (f *fn) stmt1() {
	f.budget--
	s := f.g.src
	if f.budget <= 0 || f.depth >= 8 {
		if l := f.localOf(tI32); l >= 0 {
			f.i32const(int32(s.intn(100)))
			f.op(0x21)
			f.u(uint64(l))
		} else {
			f.op(0x01)
		}
		return
	}
	f.depth++
	defer func() { f.depth-- }()
	switch s.intn(20) {
	case 0, 1, 2:
		t := f.g.valType()
		if l := f.localOf(t); l >= 0 {
			f.expr(t)
			f.op(0x21)
			f.u(uint64(l))
			return
		}
		f.expr(t)
		f.op(0x1a)
	case 3, 4:
		t := f.g.valType()
		if gl := f.globalOf(t, true); gl >= 0 {
			f.expr(t)
			f.op(0x24)
			f.u(uint64(gl))
			return
		}
		f.expr(t)
		f.op(0x1a)
	case 5, 6, 7:
		f.store()
	case 8:
		f.expr(f.g.valType())
		f.op(0x1a)
	case 9:
		f.call(nil)
	case 10, 11:
		f.block(nil)
	case 12:
		res := f.g.valTypes(3)
		f.block(res)
		for range res {
			f.op(0x1a)
		}
	case 13:
		f.backEdge()
	case 14:
		// br_if as a statement: push the label's values, then drop them
		// when the branch is not taken.
		ds := f.targets(func([]byte) bool { return true })
		d := pick(s, ds)
		lt := f.labelAt(d).types
		for _, t := range lt {
			f.expr(t)
		}
		f.expr(tI32)
		f.op(0x0d)
		f.u(uint64(d))
		for range lt {
			f.op(0x1a)
		}
	case 15:
		if s.chance(1, 3) {
			f.branch()
		} else {
			f.store()
		}
	case 16:
		// memory.fill / memory.copy
		f.bulkAddr()
		if s.chance(1, 2) {
			f.expr(tI32)
			f.bulkLen()
			f.op(0xfc, 11, 0)
		} else {
			f.bulkAddr()
			f.bulkLen()
			f.op(0xfc, 10, 0, 0)
		}
	case 17:
		// memory.init from the passive segment, sometimes data.drop
		if s.chance(1, 12) {
			f.op(0xfc, 9)
			f.u(1)
			return
		}
		f.bulkAddr()
		pl := len(f.g.passive)
		if s.chance(1, 8) {
			f.i32const(int32(s.intn(pl + 3)))
			f.i32const(int32(s.intn(pl + 3)))
		} else {
			off := s.intn(pl + 1)
			f.i32const(int32(off))
			f.i32const(int32(s.intn(pl - off + 1)))
		}
		f.op(0xfc, 8)
		f.u(1)
		f.op(0)
	case 18:
		f.growOperand()
		f.op(0x40, 0, 0x1a)
	case 19:
		switch {
		case s.chance(1, 8):
			f.op(0x00) // unreachable
		case s.chance(1, 2):
			f.tableStmt()
		default:
			f.store()
		}
	}
}

func (f *fn) bulkAddr() {
	s := f.g.src
	switch s.intn(20) {
	case 0:
		f.expr(tI32)
	case 1:
		f.i32const(int32(f.g.memMin*65536) - int32(s.intn(64)))
	default:
		f.i32const(int32(s.intn(512)))
	}
}

func (f *fn) bulkLen() {
	s := f.g.src
	switch s.intn(20) {
	case 0:
		f.expr(tI32)
	case 1:
		f.i32const(int32(s.intn(200)) + 1000)
	default:
		f.i32const(int32(s.intn(80)))
	}
}

// ---- module encoding ----

func appendU(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func appendS(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func section(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = appendU(out, uint64(len(body)))
	return append(out, body...)
}

func appendName(b []byte, s string) []byte {
	b = appendU(b, uint64(len(s)))
	return append(b, s...)
}

func appendConst(b []byte, t byte, bits uint64) []byte {
	switch t {
	case tI32:
		b = append(b, 0x41)
		b = appendS(b, int64(int32(uint32(bits))))
	case tI64:
		b = append(b, 0x42)
		b = appendS(b, int64(bits))
	case tF32:
		b = append(b, 0x43)
		b = binary.LittleEndian.AppendUint32(b, uint32(bits))
	case tF64:
		b = append(b, 0x44)
		b = binary.LittleEndian.AppendUint64(b, bits)
	case tFuncref:
		if bits == 0 {
			b = append(b, 0xd0, tFuncref)
		} else {
			b = append(b, 0xd2)
			b = appendU(b, bits-1)
		}
	case tExternref:
		b = append(b, 0xd0, tExternref)
	}
	return append(b, 0x0b)
}

func (g *gen) encode(bodies [][]byte) []byte {
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	var b []byte
	// types
	b = appendU(nil, uint64(len(g.types)))
	for _, t := range g.types {
		b = append(b, 0x60)
		b = appendU(b, uint64(len(t.params)))
		b = append(b, t.params...)
		b = appendU(b, uint64(len(t.results)))
		b = append(b, t.results...)
	}
	out = section(out, 1, b)
	// imports: functions, globals, then memory and table 0
	var im []byte
	n := 0
	imp := func(name string, kind byte) {
		im = appendName(im, "lib")
		im = appendName(im, name)
		im = append(im, kind)
		n++
	}
	for i := 0; i < g.nimp; i++ {
		imp(g.impNames[i], 0)
		im = appendU(im, uint64(g.funcs[i]))
	}
	for _, gl := range g.globals {
		if gl.imp != "" {
			imp(gl.imp, 3)
			im = append(im, gl.t, boolByte(gl.mut))
		}
	}
	if g.impMem {
		imp("mem", 2)
		im = append(im, 1)
		im = appendU(im, uint64(g.memMin))
		im = appendU(im, uint64(g.memMax))
	}
	if g.impTable {
		imp("t0", 1)
		im = append(im, tFuncref, 0)
		im = appendU(im, uint64(g.tableLen))
	}
	if n > 0 {
		out = section(out, 2, append(appendU(nil, uint64(n)), im...))
	}
	// functions
	nf := len(g.funcs) - g.nimp
	if g.rec {
		nf++
	}
	b = appendU(nil, uint64(nf))
	for _, ti := range g.funcs[g.nimp:] {
		b = appendU(b, uint64(ti))
	}
	if g.rec {
		b = appendU(b, uint64(g.recTyp))
	}
	out = section(out, 3, b)
	// tables
	var tb []byte
	nt := 0
	if !g.impTable {
		tb = append(tb, tFuncref, 0)
		tb = appendU(tb, uint64(g.tableLen))
		nt++
	}
	tb = append(tb, tFuncref, 1)
	tb = appendU(tb, uint64(g.tab1Min))
	tb = appendU(tb, uint64(g.tab1Max))
	tb = append(tb, tExternref, 0)
	tb = appendU(tb, uint64(g.tab2Min))
	nt += 2
	out = section(out, 4, append(appendU(nil, uint64(nt)), tb...))
	// memory
	if !g.impMem {
		b = []byte{1, 1}
		b = appendU(b, uint64(g.memMin))
		b = appendU(b, uint64(g.memMax))
		out = section(out, 5, b)
	}
	// globals
	var gb []byte
	ng := 0
	for _, gl := range g.globals {
		if gl.imp != "" {
			continue
		}
		gb = append(gb, gl.t, boolByte(gl.mut))
		gb = appendConst(gb, gl.t, gl.init)
		ng++
	}
	out = section(out, 6, append(appendU(nil, uint64(ng)), gb...))
	// exports
	var ex []byte
	n = 0
	exp := func(name string, kind byte, idx int) {
		ex = appendName(ex, name)
		ex = append(ex, kind)
		ex = appendU(ex, uint64(idx))
		n++
	}
	for i := range g.funcs {
		exp("f"+itoa(i), 0, i)
	}
	if g.rec {
		exp("f"+itoa(len(g.funcs)), 0, len(g.funcs))
	}
	for i := 0; i < g.fuel; i++ {
		exp("g"+itoa(i), 3, i)
	}
	exp("fuel", 3, g.fuel)
	exp("mem", 2, 0)
	for x := range tableTypes {
		exp("t"+itoa(x), 1, x)
	}
	out = section(out, 7, append(appendU(nil, uint64(n)), ex...))
	// elements (see elemTypes)
	b = []byte{4, 0, 0x41, 0, 0x0b}
	b = appendU(b, uint64(len(g.elems)))
	for _, e := range g.elems {
		b = appendU(b, uint64(e))
	}
	b = append(b, 5, tFuncref)
	b = appendU(b, uint64(len(g.elems1)))
	for _, e := range g.elems1 {
		b = appendConst(b, tFuncref, uint64(e))
	}
	b = append(b, 5, tExternref)
	b = appendU(b, uint64(g.nExtern))
	for i := 0; i < g.nExtern; i++ {
		b = appendConst(b, tExternref, 0)
	}
	b = append(b, 2, 1, 0x41, 0, 0x0b, 0)
	b = appendU(b, uint64(len(g.elems3)))
	for _, e := range g.elems3 {
		b = appendU(b, uint64(e))
	}
	out = section(out, 9, b)
	// data count
	out = section(out, 12, []byte{2})
	// code
	if g.rec {
		bodies = append(bodies, g.recBody)
	}
	b = appendU(nil, uint64(len(bodies)))
	for _, body := range bodies {
		b = appendU(b, uint64(len(body)))
		b = append(b, body...)
	}
	out = section(out, 10, b)
	// data: an active segment (empty when the memory has no page) and the
	// passive one
	b = []byte{2, 0, 0x41, 0, 0x0b}
	var active []byte
	if g.memMin > 0 {
		for i := 0; i < 64; i++ {
			active = append(active, byte(i*37+11))
		}
	}
	b = appendU(b, uint64(len(active)))
	b = append(b, active...)
	b = append(b, 1)
	b = appendU(b, uint64(len(g.passive)))
	b = append(b, g.passive...)
	out = section(out, 11, b)
	return out
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
