// Package irinterp is a reference interpreter for mwasm's IR, used by tests
// to check translations and passes semantically, independently of the back
// end: the front end's tests run the spec suite's assertions on translated
// (and optimized) IR with it.
//
// A Store holds function instances; a funcref value is a store address + 1
// (0 is null), so references work across instances. Values are uint64 bits
// (i32 and f32 zero-extended). Each opcode is implemented directly from the
// Wasm spec, not from the passes' constant evaluator, so the two check each
// other. Traps are Go panics of type *Trap, recovered by Store.Call.
package irinterp

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/mwasm/mwasm/aot/ir"
)

// Trap is a Wasm trap raised while interpreting.
type Trap struct {
	Kind ir.TrapKind
	Func string
	Pos  uint32
}

func (t *Trap) Error() string {
	return fmt.Sprintf("trap %s (%s) in %s at @%04x", t.Kind, t.Kind.Message(), t.Func, t.Pos)
}

// PageSize is the Wasm page size.
const PageSize = 65536

// Memory is a linear memory.
type Memory struct {
	Data []byte
	Max  uint32 // in pages
}

// Table is a table of references.
type Table struct {
	Elems []uint64
	Max   uint32
}

// Global is a global variable.
type Global struct {
	Type ir.Type
	Bits uint64
}

// Func is a function instance: IR with its instance, or a host function.
type Func struct {
	Sig  ir.Signature
	IR   *ir.Func
	Inst *Instance
	Host func(args []uint64) []uint64
}

// Instance is a module instance: its index spaces map to store objects.
type Instance struct {
	Store   *Store
	Funcs   []uint32 // function index -> store address
	Mem     *Memory
	Globals []*Global
	Tables  []*Table
	Datas   [][]byte
	Elems   [][]uint64
}

// Store holds every function instance.
type Store struct {
	Funcs    []*Func
	MaxDepth int   // call depth limit (stack overflow trap); default 2000
	MaxSteps int64 // blocks executed per Call before it gives up; default 50M
	depth    int
	steps    int64
}

// ErrSteps is returned by Call when the step budget runs out (a
// translation bug that makes a loop run forever, for example).
var ErrSteps = fmt.Errorf("irinterp: step budget exhausted (infinite loop?)")

type stepsExhausted struct{}

// AddFunc adds a function instance and returns its address.
func (s *Store) AddFunc(f *Func) uint32 {
	s.Funcs = append(s.Funcs, f)
	return uint32(len(s.Funcs) - 1)
}

// Call calls the function at addr, returning a *Trap error if it traps.
func (s *Store) Call(addr uint32, args []uint64) (res []uint64, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.depth = 0
			if _, ok := p.(stepsExhausted); ok {
				res, err = nil, ErrSteps
				return
			}
			tr, ok := p.(*Trap)
			if !ok {
				panic(p)
			}
			res, err = nil, tr
		}
	}()
	s.steps = s.MaxSteps
	if s.steps == 0 {
		s.steps = 50_000_000
	}
	return s.invoke(s.Funcs[addr], args), nil
}

func trap(k ir.TrapKind, f *ir.Func, pos uint32) {
	name := ""
	if f != nil {
		name = f.Name
	}
	panic(&Trap{Kind: k, Func: name, Pos: pos})
}

func (s *Store) invoke(fn *Func, args []uint64) []uint64 {
	if fn.Host != nil {
		return fn.Host(args)
	}
	max := s.MaxDepth
	if max == 0 {
		max = 2000
	}
	if s.depth >= max {
		trap(ir.TrapStackOverflow, fn.IR, 0)
	}
	s.depth++
	defer func() { s.depth-- }()
	return s.exec(fn.IR, fn.Inst, args)
}

func (s *Store) exec(f *ir.Func, in *Instance, args []uint64) []uint64 {
	vals := make([]uint64, len(f.Values))
	blk := f.Entry()
	for n, p := range f.Blocks[blk].Params {
		vals[p] = norm(f.Values[p].Type, args[n])
	}
	var tmp []uint64
	jump := func(bc ir.BlockCall) {
		tmp = tmp[:0]
		for _, a := range bc.Args {
			tmp = append(tmp, vals[a])
		}
		for n, p := range f.Blocks[bc.Block].Params {
			vals[p] = tmp[n]
		}
		blk = bc.Block
	}
	for {
		if s.steps--; s.steps < 0 {
			panic(stepsExhausted{})
		}
		if !f.ValidBlock(blk) {
			panic(fmt.Sprintf("irinterp: %s: jump to invalid %s", f.Name, blk))
		}
		insts := f.Blocks[blk].Insts
	body:
		for _, i := range insts {
			d := &f.Insts[i]
			arg := func(n int) uint64 { return vals[d.Args[n]] }
			switch d.Op {
			case ir.OpJump:
				jump(d.Dests[0])
				break body
			case ir.OpBrif:
				if uint32(arg(0)) != 0 {
					jump(d.Dests[0])
				} else {
					jump(d.Dests[1])
				}
				break body
			case ir.OpBrTable:
				idx := uint64(uint32(arg(0)))
				if idx >= uint64(len(d.Dests)-1) {
					idx = uint64(len(d.Dests) - 1)
				}
				jump(d.Dests[idx])
				break body
			case ir.OpReturn:
				out := make([]uint64, len(d.Args))
				for n := range d.Args {
					out[n] = arg(n)
				}
				return out
			case ir.OpTrap:
				trap(d.Trap, f, d.Pos)
			case ir.OpTrapz:
				if uint32(arg(0)) == 0 {
					trap(d.Trap, f, d.Pos)
				}
			case ir.OpTrapnz:
				if uint32(arg(0)) != 0 {
					trap(d.Trap, f, d.Pos)
				}
			default:
				s.execInst(f, in, d, vals)
			}
		}
	}
}

func (s *Store) execInst(f *ir.Func, in *Instance, d *ir.InstData, vals []uint64) {
	arg := func(n int) uint64 { return vals[d.Args[n]] }
	set := func(v uint64) { vals[d.Results[0]] = norm(f.Values[d.Results[0]].Type, v) }
	fail := func(k ir.TrapKind) { trap(k, f, d.Pos) }
	switch d.Op {
	case ir.OpIconst, ir.OpFconst:
		set(d.Imm)
	case ir.OpSelect:
		if uint32(arg(0)) != 0 {
			set(arg(1))
		} else {
			set(arg(2))
		}
	case ir.OpLoad, ir.OpUload8, ir.OpSload8, ir.OpUload16, ir.OpSload16, ir.OpUload32, ir.OpSload32:
		size := loadSize(d.Op, d.Type)
		mem := in.Mem.Data
		ea := uint64(uint32(arg(0))) + d.Imm
		if ea+size > uint64(len(mem)) {
			fail(ir.TrapOutOfBoundsMemory)
		}
		var v uint64
		switch size {
		case 1:
			v = uint64(mem[ea])
		case 2:
			v = uint64(binary.LittleEndian.Uint16(mem[ea:]))
		case 4:
			v = uint64(binary.LittleEndian.Uint32(mem[ea:]))
		case 8:
			v = binary.LittleEndian.Uint64(mem[ea:])
		}
		switch d.Op {
		case ir.OpSload8:
			v = uint64(int64(int8(v)))
		case ir.OpSload16:
			v = uint64(int64(int16(v)))
		case ir.OpSload32:
			v = uint64(int64(int32(v)))
		}
		set(v)
	case ir.OpStore, ir.OpIstore8, ir.OpIstore16, ir.OpIstore32:
		size := storeSize(d.Op, d.Type)
		mem := in.Mem.Data
		ea := uint64(uint32(arg(0))) + d.Imm
		if ea+size > uint64(len(mem)) {
			fail(ir.TrapOutOfBoundsMemory)
		}
		v := arg(1)
		switch size {
		case 1:
			mem[ea] = byte(v)
		case 2:
			binary.LittleEndian.PutUint16(mem[ea:], uint16(v))
		case 4:
			binary.LittleEndian.PutUint32(mem[ea:], uint32(v))
		case 8:
			binary.LittleEndian.PutUint64(mem[ea:], v)
		}
	case ir.OpMemorySize:
		set(uint64(len(in.Mem.Data) / PageSize))
	case ir.OpMemoryGrow:
		old := uint64(len(in.Mem.Data) / PageSize)
		delta := uint64(uint32(arg(0)))
		if old+delta > uint64(in.Mem.Max) {
			set(0xFFFFFFFF)
			return
		}
		in.Mem.Data = append(in.Mem.Data, make([]byte, delta*PageSize)...)
		set(old)
	case ir.OpMemoryFill:
		dst, val, n := uint64(uint32(arg(0))), byte(arg(1)), uint64(uint32(arg(2)))
		mem := in.Mem.Data
		if dst+n > uint64(len(mem)) {
			fail(ir.TrapOutOfBoundsMemory)
		}
		for i := dst; i < dst+n; i++ {
			mem[i] = val
		}
	case ir.OpMemoryCopy:
		dst, src, n := uint64(uint32(arg(0))), uint64(uint32(arg(1))), uint64(uint32(arg(2)))
		mem := in.Mem.Data
		if dst+n > uint64(len(mem)) || src+n > uint64(len(mem)) {
			fail(ir.TrapOutOfBoundsMemory)
		}
		copy(mem[dst:dst+n], mem[src:src+n])
	case ir.OpMemoryInit:
		dst, src, n := uint64(uint32(arg(0))), uint64(uint32(arg(1))), uint64(uint32(arg(2)))
		seg := in.Datas[d.Index2]
		mem := in.Mem.Data
		if dst+n > uint64(len(mem)) || src+n > uint64(len(seg)) {
			fail(ir.TrapOutOfBoundsMemory)
		}
		copy(mem[dst:dst+n], seg[src:src+n])
	case ir.OpDataDrop:
		in.Datas[d.Index] = nil
	case ir.OpGlobalGet:
		set(in.Globals[d.Index].Bits)
	case ir.OpGlobalSet:
		in.Globals[d.Index].Bits = arg(0)
	case ir.OpTableGet:
		t := in.Tables[d.Index]
		i := uint64(uint32(arg(0)))
		if i >= uint64(len(t.Elems)) {
			fail(ir.TrapOutOfBoundsTable)
		}
		set(t.Elems[i])
	case ir.OpTableSet:
		t := in.Tables[d.Index]
		i := uint64(uint32(arg(0)))
		if i >= uint64(len(t.Elems)) {
			fail(ir.TrapOutOfBoundsTable)
		}
		t.Elems[i] = arg(1)
	case ir.OpTableSize:
		set(uint64(len(in.Tables[d.Index].Elems)))
	case ir.OpTableGrow:
		t := in.Tables[d.Index]
		old := uint64(len(t.Elems))
		delta := uint64(uint32(arg(1)))
		if old+delta > uint64(t.Max) || old+delta > 1<<24 {
			set(0xFFFFFFFF)
			return
		}
		for i := uint64(0); i < delta; i++ {
			t.Elems = append(t.Elems, arg(0))
		}
		set(old)
	case ir.OpTableFill:
		t := in.Tables[d.Index]
		i, ref, n := uint64(uint32(arg(0))), arg(1), uint64(uint32(arg(2)))
		if i+n > uint64(len(t.Elems)) {
			fail(ir.TrapOutOfBoundsTable)
		}
		for k := i; k < i+n; k++ {
			t.Elems[k] = ref
		}
	case ir.OpTableCopy:
		dt, st := in.Tables[d.Index], in.Tables[d.Index2]
		dst, src, n := uint64(uint32(arg(0))), uint64(uint32(arg(1))), uint64(uint32(arg(2)))
		if dst+n > uint64(len(dt.Elems)) || src+n > uint64(len(st.Elems)) {
			fail(ir.TrapOutOfBoundsTable)
		}
		copy(dt.Elems[dst:dst+n], st.Elems[src:src+n])
	case ir.OpTableInit:
		t, seg := in.Tables[d.Index], in.Elems[d.Index2]
		dst, src, n := uint64(uint32(arg(0))), uint64(uint32(arg(1))), uint64(uint32(arg(2)))
		if dst+n > uint64(len(t.Elems)) || src+n > uint64(len(seg)) {
			fail(ir.TrapOutOfBoundsTable)
		}
		copy(t.Elems[dst:dst+n], seg[src:src+n])
	case ir.OpElemDrop:
		in.Elems[d.Index] = nil
	case ir.OpRefNull:
		set(0)
	case ir.OpRefIsNull:
		set(b2u(arg(0) == 0))
	case ir.OpRefFunc:
		set(uint64(in.Funcs[d.Index]) + 1)
	case ir.OpCall:
		args := make([]uint64, len(d.Args))
		for n := range d.Args {
			args[n] = arg(n)
		}
		res := s.invoke(s.Funcs[in.Funcs[d.Index]], args)
		for n, r := range d.Results {
			vals[r] = res[n]
		}
	case ir.OpCallIndirect:
		t := in.Tables[d.Index2]
		i := uint64(uint32(arg(0)))
		if i >= uint64(len(t.Elems)) {
			fail(ir.TrapUndefinedElement)
		}
		ref := t.Elems[i]
		if ref == 0 {
			fail(ir.TrapNullReference)
		}
		callee := s.Funcs[ref-1]
		if !callee.Sig.Equal(f.Types[d.Index]) {
			fail(ir.TrapIndirectCallTypeMismatch)
		}
		args := make([]uint64, len(d.Args)-1)
		for n := range args {
			args[n] = arg(n + 1)
		}
		res := s.invoke(callee, args)
		for n, r := range d.Results {
			vals[r] = res[n]
		}
	default:
		argTypes := make([]ir.Type, len(d.Args))
		as := make([]uint64, len(d.Args))
		for n, a := range d.Args {
			argTypes[n] = f.Values[a].Type
			as[n] = vals[a]
		}
		v, k := Eval(d.Op, d.Type, d.Cond, argTypes, as)
		if k != ir.TrapNone {
			fail(k)
		}
		set(v)
	}
}

func loadSize(op ir.Opcode, t ir.Type) uint64 {
	switch op {
	case ir.OpUload8, ir.OpSload8:
		return 1
	case ir.OpUload16, ir.OpSload16:
		return 2
	case ir.OpUload32, ir.OpSload32:
		return 4
	}
	return uint64(t.Bits() / 8)
}

func storeSize(op ir.Opcode, t ir.Type) uint64 {
	switch op {
	case ir.OpIstore8:
		return 1
	case ir.OpIstore16:
		return 2
	case ir.OpIstore32:
		return 4
	}
	return uint64(t.Bits() / 8)
}

func norm(t ir.Type, v uint64) uint64 {
	if t == ir.I32 || t == ir.F32 {
		return uint64(uint32(v))
	}
	return v
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Eval computes a numeric instruction (everything but memory, tables,
// globals, calls and control) on operand bits, with Wasm's semantics. It
// returns the trap kind instead of a result when the instruction traps.
func Eval(op ir.Opcode, t ir.Type, cond uint8, argTypes []ir.Type, a []uint64) (uint64, ir.TrapKind) {
	switch op {
	case ir.OpIcmp:
		x, y := a[0], a[1]
		sx, sy := sext(t, x), sext(t, y)
		var r bool
		switch ir.IntCC(cond) {
		case ir.IntEq:
			r = x == y
		case ir.IntNe:
			r = x != y
		case ir.IntSLt:
			r = sx < sy
		case ir.IntSLe:
			r = sx <= sy
		case ir.IntSGt:
			r = sx > sy
		case ir.IntSGe:
			r = sx >= sy
		case ir.IntULt:
			r = x < y
		case ir.IntULe:
			r = x <= y
		case ir.IntUGt:
			r = x > y
		case ir.IntUGe:
			r = x >= y
		}
		return b2u(r), 0
	case ir.OpFcmp:
		x, y := toF(t, a[0]), toF(t, a[1])
		var r bool
		switch ir.FloatCC(cond) {
		case ir.FloatEq:
			r = x == y
		case ir.FloatNe:
			r = x != y
		case ir.FloatLt:
			r = x < y
		case ir.FloatLe:
			r = x <= y
		case ir.FloatGt:
			r = x > y
		case ir.FloatGe:
			r = x >= y
		}
		return b2u(r), 0
	case ir.OpEqz:
		return b2u(a[0] == 0), 0
	}
	if len(a) == 2 && t.IsInt() {
		return intBin(op, t, a[0], a[1])
	}
	if len(a) == 2 && t.IsFloat() {
		return floatBin(op, t, a[0], a[1]), 0
	}
	if len(a) == 1 {
		return unary(op, t, argTypes[0], a[0])
	}
	panic(fmt.Sprintf("irinterp: cannot evaluate %s.%s", op, t))
}

func sext(t ir.Type, x uint64) int64 {
	if t == ir.I32 {
		return int64(int32(x))
	}
	return int64(x)
}

func intBin(op ir.Opcode, t ir.Type, x, y uint64) (uint64, ir.TrapKind) {
	w := uint64(t.Bits())
	sx, sy := sext(t, x), sext(t, y)
	minInt := int64(-1) << (w - 1)
	var r uint64
	switch op {
	case ir.OpIadd:
		r = x + y
	case ir.OpIsub:
		r = x - y
	case ir.OpImul:
		r = x * y
	case ir.OpSdiv:
		if sy == 0 {
			return 0, ir.TrapDivByZero
		}
		if sx == minInt && sy == -1 {
			return 0, ir.TrapIntOverflow
		}
		r = uint64(sx / sy)
	case ir.OpUdiv:
		if y == 0 {
			return 0, ir.TrapDivByZero
		}
		r = x / y
	case ir.OpSrem:
		if sy == 0 {
			return 0, ir.TrapDivByZero
		}
		if sy == -1 {
			r = 0
		} else {
			r = uint64(sx % sy)
		}
	case ir.OpUrem:
		if y == 0 {
			return 0, ir.TrapDivByZero
		}
		r = x % y
	case ir.OpBand:
		r = x & y
	case ir.OpBor:
		r = x | y
	case ir.OpBxor:
		r = x ^ y
	case ir.OpIshl:
		r = x << (y % w)
	case ir.OpSshr:
		r = uint64(sx >> (y % w))
	case ir.OpUshr:
		r = x >> (y % w)
	case ir.OpRotl, ir.OpRotr:
		k := int(y % w)
		if op == ir.OpRotr {
			k = -k
		}
		if w == 32 {
			r = uint64(bits.RotateLeft32(uint32(x), k))
		} else {
			r = bits.RotateLeft64(x, k)
		}
	default:
		panic(fmt.Sprintf("irinterp: not an integer binary op: %s", op))
	}
	return norm(t, r), 0
}

func toF(t ir.Type, x uint64) float64 {
	if t == ir.F32 {
		return float64(math.Float32frombits(uint32(x)))
	}
	return math.Float64frombits(x)
}

func isNaN(t ir.Type, x uint64) bool {
	if t == ir.F32 {
		return x&0x7f800000 == 0x7f800000 && x&0x7fffff != 0
	}
	return x&0x7ff0000000000000 == 0x7ff0000000000000 && x&0xfffffffffffff != 0
}

func quiet(t ir.Type, x uint64) uint64 {
	if t == ir.F32 {
		return x | 0x00400000
	}
	return x | 0x0008000000000000
}

func signBit(t ir.Type) uint64 {
	if t == ir.F32 {
		return 1 << 31
	}
	return 1 << 63
}

func fromF(t ir.Type, v float64) uint64 {
	if t == ir.F32 {
		return uint64(math.Float32bits(float32(v)))
	}
	return math.Float64bits(v)
}

func floatBin(op ir.Opcode, t ir.Type, x, y uint64) uint64 {
	sb := signBit(t)
	switch op {
	case ir.OpFcopysign:
		return x&^sb | y&sb
	case ir.OpFmin, ir.OpFmax:
		if isNaN(t, x) {
			return quiet(t, x)
		}
		if isNaN(t, y) {
			return quiet(t, y)
		}
		fx, fy := toF(t, x), toF(t, y)
		if fx == 0 && fy == 0 { // signed zeros: -0 < +0
			if op == ir.OpFmin {
				return x | y
			}
			return x & y
		}
		if (fx < fy) == (op == ir.OpFmin) {
			return x
		}
		return y
	}
	if t == ir.F32 {
		fx, fy := math.Float32frombits(uint32(x)), math.Float32frombits(uint32(y))
		var r float32
		switch op {
		case ir.OpFadd:
			r = fx + fy
		case ir.OpFsub:
			r = fx - fy
		case ir.OpFmul:
			r = fx * fy
		case ir.OpFdiv:
			r = fx / fy
		default:
			panic(fmt.Sprintf("irinterp: not a float binary op: %s", op))
		}
		return uint64(math.Float32bits(r))
	}
	fx, fy := math.Float64frombits(x), math.Float64frombits(y)
	var r float64
	switch op {
	case ir.OpFadd:
		r = fx + fy
	case ir.OpFsub:
		r = fx - fy
	case ir.OpFmul:
		r = fx * fy
	case ir.OpFdiv:
		r = fx / fy
	default:
		panic(fmt.Sprintf("irinterp: not a float binary op: %s", op))
	}
	return math.Float64bits(r)
}

func unary(op ir.Opcode, t, at ir.Type, x uint64) (uint64, ir.TrapKind) {
	switch op {
	case ir.OpClz:
		if t == ir.I32 {
			return uint64(bits.LeadingZeros32(uint32(x))), 0
		}
		return uint64(bits.LeadingZeros64(x)), 0
	case ir.OpCtz:
		if t == ir.I32 {
			return uint64(bits.TrailingZeros32(uint32(x))), 0
		}
		return uint64(bits.TrailingZeros64(x)), 0
	case ir.OpPopcnt:
		return uint64(bits.OnesCount64(norm(t, x))), 0
	case ir.OpWrap:
		return uint64(uint32(x)), 0
	case ir.OpSextend:
		return uint64(int64(int32(x))), 0
	case ir.OpUextend:
		return uint64(uint32(x)), 0
	case ir.OpSextend8:
		return norm(t, uint64(int64(int8(x)))), 0
	case ir.OpSextend16:
		return norm(t, uint64(int64(int16(x)))), 0
	case ir.OpSextend32:
		return uint64(int64(int32(x))), 0
	case ir.OpFabs:
		return x &^ signBit(t), 0
	case ir.OpFneg:
		return x ^ signBit(t), 0
	case ir.OpSqrt, ir.OpCeil, ir.OpFloor, ir.OpFtrunc, ir.OpNearest:
		if isNaN(t, x) {
			return quiet(t, x), 0
		}
		f := toF(t, x)
		switch op {
		case ir.OpSqrt:
			f = math.Sqrt(f)
		case ir.OpCeil:
			f = math.Ceil(f)
		case ir.OpFloor:
			f = math.Floor(f)
		case ir.OpFtrunc:
			f = math.Trunc(f)
		case ir.OpNearest:
			f = math.RoundToEven(f)
		}
		return fromF(t, f), 0
	case ir.OpFpromote:
		if isNaN(ir.F32, x) {
			// Keep the payload: sign, quiet bit and the top mantissa bits.
			f32 := uint32(x) | 0x00400000
			return uint64(f32>>31)<<63 | 0x7ff<<52 | uint64(f32&0x7fffff)<<29, 0
		}
		return math.Float64bits(float64(math.Float32frombits(uint32(x)))), 0
	case ir.OpFdemote:
		if isNaN(ir.F64, x) {
			return uint64(x>>63)<<31 | 0x7f800000 | (x>>29)&0x7fffff | 0x00400000, 0
		}
		return uint64(math.Float32bits(float32(math.Float64frombits(x)))), 0
	case ir.OpBitcast:
		return norm(t, x), 0
	case ir.OpFcvtFromSint, ir.OpFcvtFromUint:
		signed := op == ir.OpFcvtFromSint
		if t == ir.F32 {
			var r float32
			switch {
			case at == ir.I32 && signed:
				r = float32(int32(x))
			case at == ir.I32:
				r = float32(uint32(x))
			case signed:
				r = float32(int64(x))
			default:
				r = float32(x)
			}
			return uint64(math.Float32bits(r)), 0
		}
		var r float64
		switch {
		case at == ir.I32 && signed:
			r = float64(int32(x))
		case at == ir.I32:
			r = float64(uint32(x))
		case signed:
			r = float64(int64(x))
		default:
			r = float64(x)
		}
		return math.Float64bits(r), 0
	case ir.OpFcvtToSint, ir.OpFcvtToUint, ir.OpFcvtToSintSat, ir.OpFcvtToUintSat:
		return fcvtToInt(op, t, at, x)
	}
	panic(fmt.Sprintf("irinterp: cannot evaluate unary %s.%s", op, t))
}

func fcvtToInt(op ir.Opcode, t, at ir.Type, x uint64) (uint64, ir.TrapKind) {
	signed := op == ir.OpFcvtToSint || op == ir.OpFcvtToSintSat
	sat := op == ir.OpFcvtToSintSat || op == ir.OpFcvtToUintSat
	w := t.Bits()
	if isNaN(at, x) {
		if sat {
			return 0, 0
		}
		return 0, ir.TrapInvalidConversion
	}
	f := math.Trunc(toF(at, x))
	var lo, hi float64 // the representable range is [lo, hi)
	if signed {
		lo, hi = -math.Ldexp(1, w-1), math.Ldexp(1, w-1)
	} else {
		lo, hi = 0, math.Ldexp(1, w)
	}
	if f < lo || f >= hi {
		if !sat {
			return 0, ir.TrapIntOverflow
		}
		switch {
		case signed && f < lo:
			return norm(t, uint64(int64(-1)<<(w-1))), 0
		case signed:
			return norm(t, uint64(1)<<(w-1)-1), 0
		case f < lo:
			return 0, 0
		default:
			return norm(t, ^uint64(0)), 0
		}
	}
	if signed {
		return norm(t, uint64(int64(f))), 0
	}
	return norm(t, uint64(f)), 0
}
