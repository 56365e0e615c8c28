package backend

import (
	"fmt"
	"math"

	"github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/aot/vm"
)

const (
	rax = amd64.RAX
	rcx = amd64.RCX
	rdx = amd64.RDX
	r11 = amd64.R11
	x14 = amd64.X14
	x15 = amd64.X15
)

func (c *compiler) vloc(v ir.Value) loc { return c.loc[v] }

// dst is the location a result is written to; dead results go to a
// scratch register.
func (c *compiler) dst(v ir.Value) loc {
	l := c.loc[v]
	if l.k == lNone {
		if isFloat(c.f.Values[v].Type) {
			return xregLoc(x14)
		}
		return regLoc(rdx)
	}
	return l
}

// intReg returns a register holding integer value v, loading it into tmp
// when it is not in one.
func (c *compiler) intReg(v ir.Value, tmp amd64.Reg) amd64.Reg {
	l := c.loc[v]
	if l.k == lReg {
		return l.reg()
	}
	c.loadInt(intSize(c.f.Values[v].Type), tmp, l)
	return tmp
}

// xReg returns an XMM register holding float value v.
func (c *compiler) xReg(v ir.Value, tmp amd64.XReg) amd64.XReg {
	l := c.loc[v]
	if l.k == lXReg {
		return l.xreg()
	}
	c.loadF(c.f.Values[v].Type, tmp, l)
	return tmp
}

// tmpFor picks the register to compute a result in: the result's own
// register if it has one and it is not in avoid, else the scratch.
func tmpFor(d loc, scratch amd64.Reg, avoid ...loc) amd64.Reg {
	if d.k != lReg {
		return scratch
	}
	for _, x := range avoid {
		if x.same(d) {
			return scratch
		}
	}
	return d.reg()
}

func xtmpFor(d loc, scratch amd64.XReg, avoid ...loc) amd64.XReg {
	if d.k != lXReg {
		return scratch
	}
	for _, x := range avoid {
		if x.same(d) {
			return scratch
		}
	}
	return d.xreg()
}

// setInt writes register r into result location d.
func (c *compiler) setInt(t ir.Type, d loc, r amd64.Reg) {
	if d.k == lReg && d.reg() == r {
		return
	}
	c.emitMove(t, d, regLoc(r))
}

func (c *compiler) setF(t ir.Type, d loc, x amd64.XReg) {
	if d.k == lXReg && d.xreg() == x {
		return
	}
	c.emitMove(t, d, xregLoc(x))
}

func fitsImm(sz amd64.Size, bits uint64) bool {
	if sz == amd64.S32 {
		return true
	}
	v := int64(bits)
	return v >= -1<<31 && v < 1<<31
}

// alu applies `op src, r`.
func (c *compiler) alu(op amd64.AluOp, sz amd64.Size, r amd64.Reg, src loc) {
	a := c.a
	switch src.k {
	case lReg:
		a.AluRR(op, sz, r, src.reg())
	case lMem:
		a.AluRM(op, sz, r, src.mem())
	case lConst:
		if fitsImm(sz, src.imm) {
			a.AluRI(op, sz, r, immOf(sz, src.imm))
		} else {
			a.MovImm(sz, rax, immOf(sz, src.imm))
			a.AluRR(op, sz, r, rax)
		}
	default:
		panic("BUG: alu operand unplaced")
	}
}

var aluOps = map[ir.Opcode]amd64.AluOp{ir.OpIadd: amd64.ADD, ir.OpIsub: amd64.SUB, ir.OpBand: amd64.AND, ir.OpBor: amd64.OR, ir.OpBxor: amd64.XOR}

var intCond = [...]amd64.Cond{
	ir.IntEq: amd64.CondE, ir.IntNe: amd64.CondNE, ir.IntSLt: amd64.CondL, ir.IntSLe: amd64.CondLE,
	ir.IntSGt: amd64.CondG, ir.IntSGe: amd64.CondGE, ir.IntULt: amd64.CondB, ir.IntULe: amd64.CondBE,
	ir.IntUGt: amd64.CondA, ir.IntUGe: amd64.CondAE,
}

func commutative(op ir.Opcode) bool {
	switch op {
	case ir.OpIadd, ir.OpImul, ir.OpBand, ir.OpBor, ir.OpBxor, ir.OpFadd, ir.OpFmul:
		return true
	}
	return false
}

// intFlags emits the flag-setting part of an integer compare (icmp or eqz
// instruction i) and returns the condition meaning "true".
func (c *compiler) intFlags(i ir.Inst) amd64.Cond {
	in := &c.f.Insts[i]
	if in.Op == ir.OpEqz {
		sz := intSize(in.Type)
		c.testZero(sz, c.vloc(in.Args[0]))
		return amd64.CondE
	}
	cc := ir.IntCC(in.Cond)
	x, y := in.Args[0], in.Args[1]
	sz := intSize(c.f.Values[x].Type)
	if c.vloc(x).k == lConst && c.vloc(y).k != lConst {
		x, y = y, x
		cc = cc.Swap()
	}
	yl := c.vloc(y)
	if yl.k == lConst && yl.imm == 0 && (cc == ir.IntEq || cc == ir.IntNe) && c.vloc(x).k == lReg {
		c.a.TestRR(sz, c.vloc(x).reg(), c.vloc(x).reg())
		return intCond[cc]
	}
	xl := c.vloc(x)
	if xl.k == lMem && yl.k == lConst && fitsImm(sz, yl.imm) {
		c.a.AluMI(amd64.CMP, sz, xl.mem(), immOf(sz, yl.imm))
		return intCond[cc]
	}
	r := c.intReg(x, rcx)
	c.alu(amd64.CMP, sz, r, yl)
	return intCond[cc]
}

func (c *compiler) testZero(sz amd64.Size, l loc) {
	switch l.k {
	case lReg:
		c.a.TestRR(sz, l.reg(), l.reg())
	case lMem:
		c.a.AluMI(amd64.CMP, sz, l.mem(), 0)
	default:
		c.loadInt(sz, rcx, l)
		c.a.TestRR(sz, rcx, rcx)
	}
}

// floatFlags emits ucomis for fcmp instruction i; it returns the condition
// for "true" and, for eq/ne, that parity must be checked too.
func (c *compiler) floatFlags(i ir.Inst) (cc amd64.Cond, parity bool) {
	in := &c.f.Insts[i]
	x, y := in.Args[0], in.Args[1]
	sz := intSize(c.f.Values[x].Type)
	switch ir.FloatCC(in.Cond) {
	case ir.FloatEq:
		cc, parity = amd64.CondE, true
	case ir.FloatNe:
		cc, parity = amd64.CondNE, true
	case ir.FloatLt:
		x, y, cc = y, x, amd64.CondA
	case ir.FloatLe:
		x, y, cc = y, x, amd64.CondAE
	case ir.FloatGt:
		cc = amd64.CondA
	case ir.FloatGe:
		cc = amd64.CondAE
	}
	xr := c.xReg(x, x15)
	if yl := c.vloc(y); yl.k == lMem {
		c.a.UcomisM(sz, xr, yl.mem())
	} else {
		c.a.Ucomis(sz, xr, c.xReg(y, x14))
	}
	return cc, parity
}

// jumpIf jumps to l when the i32 condition value v is (when) true/false.
func (c *compiler) jumpIf(v ir.Value, l amd64.Label, when bool) {
	a := c.a
	if c.vloc(v).k == lFused {
		ci := c.f.Values[v].Inst
		if c.f.Insts[ci].Op == ir.OpFcmp {
			cc, parity := c.floatFlags(ci)
			switch {
			case !parity:
				if !when {
					cc = cc.Invert()
				}
				a.Jcc(cc, l)
			case (cc == amd64.CondE) == when: // jump if ordered and equal
				skip := a.NewLabel()
				a.Jcc(amd64.CondP, skip)
				a.Jcc(amd64.CondE, l)
				a.Bind(skip)
			default: // jump if unordered or not equal
				a.Jcc(amd64.CondP, l)
				a.Jcc(amd64.CondNE, l)
			}
			return
		}
		cc := c.intFlags(ci)
		if !when {
			cc = cc.Invert()
		}
		a.Jcc(cc, l)
		return
	}
	l0 := c.vloc(v)
	if l0.k == lConst {
		if (uint32(l0.imm) != 0) == when {
			a.Jmp(l)
		}
		return
	}
	c.testZero(amd64.S32, l0)
	if when {
		a.Jcc(amd64.CondNE, l)
	} else {
		a.Jcc(amd64.CondE, l)
	}
}

// edgeMoves returns the moves that pass a branch's arguments.
func (c *compiler) edgeMoves(d ir.BlockCall) []move {
	var ms []move
	for n, a := range d.Args {
		p := c.f.Blocks[d.Block].Params[n]
		dl := c.loc[p]
		if dl.k == lNone || dl.same(c.loc[a]) {
			continue
		}
		ms = append(ms, move{dst: dl, src: c.loc[a], t: c.f.Values[p].Type})
	}
	return ms
}

func (c *compiler) emitInst(i ir.Inst, next ir.Block) {
	f, a := c.f, c.a
	in := &f.Insts[i]
	switch in.Op {
	case ir.OpIconst, ir.OpFconst, ir.OpRefNull:
		// Constants have no location: every use materializes them.
	case ir.OpIadd, ir.OpIsub, ir.OpBand, ir.OpBor, ir.OpBxor, ir.OpImul:
		c.intBinary(in)
	case ir.OpSdiv, ir.OpUdiv, ir.OpSrem, ir.OpUrem:
		c.divide(in)
	case ir.OpIshl, ir.OpSshr, ir.OpUshr, ir.OpRotl, ir.OpRotr:
		c.shift(in)
	case ir.OpClz, ir.OpCtz, ir.OpPopcnt:
		c.bitCount(in)
	case ir.OpEqz, ir.OpIcmp:
		d := c.dst(in.Results[0])
		cc := c.intFlags(i)
		a.Setcc(cc, rax)
		t := tmpFor(d, r11)
		a.Movzx(amd64.S32, amd64.S8, t, rax)
		c.setInt(ir.I32, d, t)
	case ir.OpFcmp:
		d := c.dst(in.Results[0])
		cc, parity := c.floatFlags(i)
		a.Setcc(cc, rax)
		if parity {
			if cc == amd64.CondE {
				a.Setcc(amd64.CondNP, rcx)
				a.AluRR(amd64.AND, amd64.S8, rax, rcx)
			} else {
				a.Setcc(amd64.CondP, rcx)
				a.AluRR(amd64.OR, amd64.S8, rax, rcx)
			}
		}
		t := tmpFor(d, r11)
		a.Movzx(amd64.S32, amd64.S8, t, rax)
		c.setInt(ir.I32, d, t)
	case ir.OpWrap, ir.OpUextend:
		d := c.dst(in.Results[0])
		t := tmpFor(d, r11)
		src := c.vloc(in.Args[0])
		if src.k == lReg {
			a.MovRR(amd64.S32, t, src.reg())
		} else {
			c.loadInt(amd64.S32, t, src)
		}
		c.setInt(in.Type, d, t)
	case ir.OpSextend, ir.OpSextend8, ir.OpSextend16, ir.OpSextend32:
		d := c.dst(in.Results[0])
		t := tmpFor(d, r11)
		from := map[ir.Opcode]amd64.Size{ir.OpSextend: amd64.S32, ir.OpSextend8: amd64.S8, ir.OpSextend16: amd64.S16, ir.OpSextend32: amd64.S32}[in.Op]
		r := c.intReg(in.Args[0], r11)
		a.Movsx(intSize(in.Type), from, t, r)
		c.setInt(in.Type, d, t)
	case ir.OpFadd, ir.OpFsub, ir.OpFmul, ir.OpFdiv:
		c.floatBinary(in)
	case ir.OpFmin, ir.OpFmax:
		c.floatMinMax(in)
	case ir.OpFcopysign:
		sz := intSize(in.Type)
		sign, abs := signMasks(sz)
		c.loadF(in.Type, x14, c.vloc(in.Args[1]))
		a.LogicM(amd64.LAnd, sz, x14, a.Const128(sign, sign))
		c.loadF(in.Type, x15, c.vloc(in.Args[0]))
		a.LogicM(amd64.LAnd, sz, x15, a.Const128(abs, abs))
		a.Logic(amd64.LOr, sz, x15, x14)
		c.setF(in.Type, c.dst(in.Results[0]), x15)
	case ir.OpFabs, ir.OpFneg:
		sz := intSize(in.Type)
		sign, abs := signMasks(sz)
		d := c.dst(in.Results[0])
		t := xtmpFor(d, x15)
		c.loadF(in.Type, t, c.vloc(in.Args[0]))
		if in.Op == ir.OpFabs {
			a.LogicM(amd64.LAnd, sz, t, a.Const128(abs, abs))
		} else {
			a.LogicM(amd64.LXor, sz, t, a.Const128(sign, sign))
		}
		c.setF(in.Type, d, t)
	case ir.OpSqrt, ir.OpCeil, ir.OpFloor, ir.OpFtrunc, ir.OpNearest:
		sz := intSize(in.Type)
		d := c.dst(in.Results[0])
		t := xtmpFor(d, x15)
		src := c.xReg(in.Args[0], x15)
		switch in.Op {
		case ir.OpSqrt:
			a.FArith(amd64.FSqrt, sz, t, src)
		case ir.OpCeil:
			a.Round(sz, amd64.RoundCeil, t, src)
		case ir.OpFloor:
			a.Round(sz, amd64.RoundFloor, t, src)
		case ir.OpFtrunc:
			a.Round(sz, amd64.RoundTrunc, t, src)
		default:
			a.Round(sz, amd64.RoundNearest, t, src)
		}
		c.setF(in.Type, d, t)
	case ir.OpFpromote, ir.OpFdemote:
		d := c.dst(in.Results[0])
		t := xtmpFor(d, x15)
		src := c.xReg(in.Args[0], x15)
		if in.Op == ir.OpFpromote {
			a.CvtF32ToF64(t, src)
		} else {
			a.CvtF64ToF32(t, src)
		}
		c.setF(in.Type, d, t)
	case ir.OpFcvtToSint, ir.OpFcvtToUint, ir.OpFcvtToSintSat, ir.OpFcvtToUintSat:
		c.floatToInt(in)
	case ir.OpFcvtFromSint, ir.OpFcvtFromUint:
		c.intToFloat(in)
	case ir.OpBitcast:
		d := c.dst(in.Results[0])
		src := c.vloc(in.Args[0])
		if isFloat(in.Type) {
			t := xtmpFor(d, x15)
			if src.k == lConst {
				c.loadF(in.Type, t, src)
			} else if src.k == lMem {
				a.FLoad(intSize(in.Type), t, src.mem())
			} else {
				a.MovToX(intSize(in.Type), t, src.reg())
			}
			c.setF(in.Type, d, t)
		} else {
			t := tmpFor(d, r11)
			switch src.k {
			case lConst:
				c.loadInt(intSize(in.Type), t, src)
			case lMem:
				a.Load(intSize(in.Type), t, src.mem())
			default:
				a.MovFromX(intSize(in.Type), t, src.xreg())
			}
			c.setInt(in.Type, d, t)
		}
	case ir.OpSelect:
		c.selectOp(i, in)
	case ir.OpLoad, ir.OpUload8, ir.OpSload8, ir.OpUload16, ir.OpSload16, ir.OpUload32, ir.OpSload32:
		c.load(in)
	case ir.OpStore, ir.OpIstore8, ir.OpIstore16, ir.OpIstore32:
		c.store(in)
	case ir.OpMemorySize:
		d := c.dst(in.Results[0])
		t := tmpFor(d, r11)
		a.Load(amd64.S64, rax, amd64.Ptr(amd64.R15, vm.OffMemDesc))
		a.Load(amd64.S64, t, amd64.Ptr(rax, vm.MemDescSize))
		a.ShiftImm(amd64.SHR, amd64.S64, t, 16)
		c.setInt(ir.I32, d, t)
	case ir.OpMemoryGrow:
		c.builtin(vm.BuiltinMemoryGrow, in, in.Args)
	case ir.OpMemoryFill:
		c.builtin(vm.BuiltinMemoryFill, in, in.Args)
	case ir.OpMemoryCopy:
		c.builtin(vm.BuiltinMemoryCopy, in, in.Args)
	case ir.OpMemoryInit:
		c.builtin(vm.BuiltinMemoryInit, in, in.Args, uint64(in.Index2))
	case ir.OpDataDrop:
		c.builtin(vm.BuiltinDataDrop, in, nil, uint64(in.Index))
	case ir.OpTableGrow:
		c.builtin(vm.BuiltinTableGrow, in, []ir.Value{in.Args[1], in.Args[0]}, uint64(in.Index))
	case ir.OpTableFill:
		c.builtin(vm.BuiltinTableFill, in, in.Args, uint64(in.Index))
	case ir.OpTableCopy:
		c.builtin(vm.BuiltinTableCopy, in, in.Args, uint64(in.Index), uint64(in.Index2))
	case ir.OpTableInit:
		c.builtin(vm.BuiltinTableInit, in, in.Args, uint64(in.Index), uint64(in.Index2))
	case ir.OpElemDrop:
		c.builtin(vm.BuiltinElemDrop, in, nil, uint64(in.Index))
	case ir.OpGlobalGet, ir.OpGlobalSet:
		c.global(in)
	case ir.OpTableGet, ir.OpTableSet, ir.OpTableSize:
		c.table(in)
	case ir.OpRefIsNull:
		d := c.dst(in.Results[0])
		c.testZero(amd64.S64, c.vloc(in.Args[0]))
		a.Setcc(amd64.CondE, rax)
		t := tmpFor(d, r11)
		a.Movzx(amd64.S32, amd64.S8, t, rax)
		c.setInt(ir.I32, d, t)
	case ir.OpRefFunc:
		d := c.dst(in.Results[0])
		t := tmpFor(d, r11)
		a.Load(amd64.S64, t, amd64.Ptr(amd64.R15, int32(c.env.Layout.FuncRef(int(in.Index)))))
		c.setInt(ir.FuncRef, d, t)
	case ir.OpCall:
		c.call(in)
	case ir.OpCallIndirect:
		c.call(in)
	case ir.OpTrapz, ir.OpTrapnz:
		c.jumpIf(in.Args[0], c.trapLabel(in.Trap), in.Op == ir.OpTrapnz)
	case ir.OpTrap:
		c.trapCall(in.Trap, in.Pos)
	case ir.OpJump:
		c.parallelMove(c.edgeMoves(in.Dests[0]))
		if in.Dests[0].Block != next {
			a.Jmp(c.labels[in.Dests[0].Block])
		}
	case ir.OpBrif:
		c.brif(in, next)
	case ir.OpBrTable:
		c.brTable(in, next)
	case ir.OpReturn:
		c.ret(in)
	default:
		panic(fmt.Sprintf("BUG: backend cannot lower %v", in.Op))
	}
}

func signMasks(sz amd64.Size) (sign, abs uint64) {
	if sz == amd64.S32 {
		return 0x80000000, 0x7fffffff
	}
	return 1 << 63, 1<<63 - 1
}

func (c *compiler) intBinary(in *ir.InstData) {
	a := c.a
	sz := intSize(in.Type)
	x, y := in.Args[0], in.Args[1]
	if commutative(in.Op) && c.vloc(x).k == lConst && c.vloc(y).k != lConst {
		x, y = y, x
	}
	d := c.dst(in.Results[0])
	xl, yl := c.vloc(x), c.vloc(y)
	// lea for add with a constant into a different register.
	if in.Op == ir.OpIadd && xl.k == lReg && yl.k == lConst && d.k == lReg && !d.same(xl) && fitsImm(amd64.S64, uint64(int64(int32(yl.imm)))) {
		v := immOf(sz, yl.imm)
		if sz == amd64.S32 {
			v = int64(int32(yl.imm))
		}
		if fitsImm(amd64.S64, uint64(v)) {
			a.Lea(sz, d.reg(), amd64.Ptr(xl.reg(), int32(v)))
			return
		}
	}
	// lea for the sum of two registers into a third: one instruction
	// instead of mov+add (the 32-bit form wraps and zero-extends like addl).
	if in.Op == ir.OpIadd && xl.k == lReg && yl.k == lReg && d.k == lReg && !d.same(xl) && !d.same(yl) {
		a.Lea(sz, d.reg(), amd64.PtrIdx(xl.reg(), yl.reg(), 1, 0))
		return
	}
	// d = x - d: negate in place and add, instead of going through a scratch
	// register (mov+sub+mov).
	if in.Op == ir.OpIsub && d.k == lReg && d.same(yl) && !d.same(xl) && xl.k != lConst {
		a.Neg(sz, d.reg())
		c.alu(amd64.ADD, sz, d.reg(), xl)
		return
	}
	if commutative(in.Op) && d.same(yl) && !d.same(xl) {
		x, y = y, x
		xl, yl = yl, xl
	}
	t := tmpFor(d, r11, yl)
	c.loadInt(sz, t, xl)
	if in.Op == ir.OpImul {
		switch yl.k {
		case lReg:
			a.ImulRR(sz, t, yl.reg())
		case lMem:
			a.ImulRM(sz, t, yl.mem())
		default:
			if fitsImm(sz, yl.imm) {
				v := immOf(sz, yl.imm)
				if sz == amd64.S32 {
					v = int64(int32(yl.imm))
				}
				a.ImulRRI(sz, t, t, v)
			} else {
				a.MovImm(sz, rax, immOf(sz, yl.imm))
				a.ImulRR(sz, t, rax)
			}
		}
	} else {
		c.alu(aluOps[in.Op], sz, t, yl)
	}
	c.setInt(in.Type, d, t)
}

func (c *compiler) divide(in *ir.InstData) {
	a := c.a
	sz := intSize(in.Type)
	bits := 8 * int(sz)
	d := c.dst(in.Results[0])
	xl, yl := c.vloc(in.Args[0]), c.vloc(in.Args[1])
	signed := in.Op == ir.OpSdiv || in.Op == ir.OpSrem
	rem := in.Op == ir.OpSrem || in.Op == ir.OpUrem
	// Unsigned division by a power of two: shift or mask.
	if !signed && yl.k == lConst {
		v := uint64(immOf(sz, yl.imm))
		if sz == amd64.S32 {
			v = uint64(uint32(v))
		}
		if v != 0 && v&(v-1) == 0 {
			t := tmpFor(d, r11)
			c.loadInt(sz, t, xl)
			if rem {
				c.alu(amd64.AND, sz, t, loc{k: lConst, imm: v - 1})
			} else {
				n := 0
				for v > 1 {
					v >>= 1
					n++
				}
				if n > 0 {
					a.ShiftImm(amd64.SHR, sz, t, uint8(n))
				}
			}
			c.setInt(in.Type, d, t)
			return
		}
	}
	var dv amd64.Reg
	switch yl.k {
	case lReg:
		dv = yl.reg()
	default:
		c.loadInt(sz, rcx, yl)
		dv = rcx
	}
	c.loadInt(sz, rax, xl)
	isConst := yl.k == lConst
	cv := int64(0)
	if isConst {
		cv = immOf(sz, yl.imm)
		if sz == amd64.S32 {
			cv = int64(int32(yl.imm))
		}
		if cv == 0 {
			a.Jmp(c.trapLabel(ir.TrapDivByZero))
			return
		}
	} else {
		a.TestRR(sz, dv, dv)
		a.Jcc(amd64.CondE, c.trapLabel(ir.TrapDivByZero))
	}
	_ = bits
	done := a.NewLabel()
	if signed && (!isConst || cv == -1) {
		doit := a.NewLabel()
		a.AluRI(amd64.CMP, sz, dv, -1)
		a.Jcc(amd64.CondNE, doit)
		if rem {
			a.AluRR(amd64.XOR, amd64.S32, rdx, rdx)
			a.Jmp(done)
		} else {
			// rax - 1 overflows exactly when rax is INT_MIN.
			a.AluRI(amd64.CMP, sz, rax, 1)
			a.Jcc(amd64.CondO, c.trapLabel(ir.TrapIntOverflow))
		}
		a.Bind(doit)
	}
	if signed {
		if sz == amd64.S64 {
			a.Cqo()
		} else {
			a.Cdq()
		}
		a.Idiv(sz, dv)
	} else {
		a.AluRR(amd64.XOR, amd64.S32, rdx, rdx)
		a.Div(sz, dv)
	}
	a.Bind(done)
	if rem {
		c.setInt(in.Type, d, rdx)
	} else {
		c.setInt(in.Type, d, rax)
	}
}

func (c *compiler) shift(in *ir.InstData) {
	a := c.a
	sz := intSize(in.Type)
	op := map[ir.Opcode]amd64.ShiftOp{ir.OpIshl: amd64.SHL, ir.OpSshr: amd64.SAR, ir.OpUshr: amd64.SHR, ir.OpRotl: amd64.ROL, ir.OpRotr: amd64.ROR}[in.Op]
	d := c.dst(in.Results[0])
	yl := c.vloc(in.Args[1])
	if yl.k == lConst {
		t := tmpFor(d, r11)
		c.loadInt(sz, t, c.vloc(in.Args[0]))
		if n := uint8(yl.imm) & uint8(8*int(sz)-1); n != 0 {
			a.ShiftImm(op, sz, t, n)
		}
		c.setInt(in.Type, d, t)
		return
	}
	c.loadInt(amd64.S32, rcx, yl)
	t := tmpFor(d, r11)
	c.loadInt(sz, t, c.vloc(in.Args[0]))
	a.ShiftCL(op, sz, t)
	c.setInt(in.Type, d, t)
}

func (c *compiler) bitCount(in *ir.InstData) {
	a := c.a
	sz := intSize(in.Type)
	bits := int64(8 * int(sz))
	d := c.dst(in.Results[0])
	src := c.intReg(in.Args[0], r11)
	t := tmpFor(d, r11)
	switch in.Op {
	case ir.OpPopcnt:
		a.Popcnt(sz, t, src)
	case ir.OpClz:
		if c.env.CPU.LZCNT {
			a.Lzcnt(sz, t, src)
		} else {
			// clz = (bits-1) - bsr(x); bsr of 0 sets ZF: use -1 then.
			a.Bsr(sz, t, src)
			a.MovImm(sz, rax, -1)
			a.Cmov(amd64.CondE, sz, t, rax)
			a.Neg(sz, t)
			a.AluRI(amd64.ADD, sz, t, bits-1)
		}
	case ir.OpCtz:
		if c.env.CPU.TZCNT {
			a.Tzcnt(sz, t, src)
		} else {
			a.Bsf(sz, t, src)
			a.MovImm(sz, rax, bits)
			a.Cmov(amd64.CondE, sz, t, rax)
		}
	}
	c.setInt(in.Type, d, t)
}

func (c *compiler) floatBinary(in *ir.InstData) {
	a := c.a
	sz := intSize(in.Type)
	op := map[ir.Opcode]amd64.FOp{ir.OpFadd: amd64.FAdd, ir.OpFsub: amd64.FSub, ir.OpFmul: amd64.FMul, ir.OpFdiv: amd64.FDiv}[in.Op]
	x, y := in.Args[0], in.Args[1]
	d := c.dst(in.Results[0])
	xl, yl := c.vloc(x), c.vloc(y)
	if commutative(in.Op) && d.same(yl) && !d.same(xl) {
		xl, yl = yl, xl
	}
	t := xtmpFor(d, x15, yl)
	c.loadF(in.Type, t, xl)
	switch yl.k {
	case lXReg:
		a.FArith(op, sz, t, yl.xreg())
	case lMem:
		a.FArithM(op, sz, t, yl.mem())
	default:
		if sz == amd64.S32 {
			a.FArithM(op, sz, t, a.Const32(uint32(yl.imm)))
		} else {
			a.FArithM(op, sz, t, a.Const64(yl.imm))
		}
	}
	c.setF(in.Type, d, t)
}

// floatMinMax implements Wasm's fmin/fmax: NaN if either operand is NaN,
// and -0 < +0 (minss/maxss alone return the second operand in both cases).
func (c *compiler) floatMinMax(in *ir.InstData) {
	a := c.a
	sz := intSize(in.Type)
	c.loadF(in.Type, x15, c.vloc(in.Args[0]))
	y := c.xReg(in.Args[1], x14)
	nan, eq, done := a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Ucomis(sz, x15, y)
	a.Jcc(amd64.CondP, nan)
	a.Jcc(amd64.CondE, eq)
	if in.Op == ir.OpFmin {
		a.FArith(amd64.FMin, sz, x15, y)
	} else {
		a.FArith(amd64.FMax, sz, x15, y)
	}
	a.Jmp(done)
	a.Bind(eq) // equal: only ±0 differ in bits; or gives -0 for min, and +0 for max
	if in.Op == ir.OpFmin {
		a.Logic(amd64.LOr, sz, x15, y)
	} else {
		a.Logic(amd64.LAnd, sz, x15, y)
	}
	a.Jmp(done)
	a.Bind(nan)
	a.FArith(amd64.FAdd, sz, x15, y) // a quiet NaN
	a.Bind(done)
	c.setF(in.Type, c.dst(in.Results[0]), x15)
}

func (c *compiler) fconst(sz amd64.Size, v float64) amd64.Mem {
	if sz == amd64.S32 {
		return c.a.Const32(math.Float32bits(float32(v)))
	}
	return c.a.Const64(math.Float64bits(v))
}

// floatToInt lowers the four float-to-int conversions with Wasm's exact
// range checks.
func (c *compiler) floatToInt(in *ir.InstData) {
	a := c.a
	fsz := intSize(c.f.Values[in.Args[0]].Type)
	isz := intSize(in.Type)
	d := c.dst(in.Results[0])
	x := c.xReg(in.Args[0], x15)
	t := tmpFor(d, r11)
	signed := in.Op == ir.OpFcvtToSint || in.Op == ir.OpFcvtToSintSat
	sat := in.Op == ir.OpFcvtToSintSat || in.Op == ir.OpFcvtToUintSat
	done := a.NewLabel()
	if signed {
		a.CvtFToIntTrunc(isz, fsz, t, x)
		a.AluRI(amd64.CMP, isz, t, 1) // overflows only for INT_MIN, the "indefinite" result
		a.Jcc(amd64.CondNO, done)
		// Slow path: NaN, out of range, or exactly INT_MIN.
		lo := -math.Ldexp(1, 8*int(isz)-1) // -2^(n-1), exact in both float sizes
		if sat {
			zero := a.NewLabel()
			a.Ucomis(fsz, x, x)
			a.Jcc(amd64.CondP, zero)
			a.UcomisM(fsz, x, c.fconst(fsz, 0))
			a.Jcc(amd64.CondB, done) // negative: INT_MIN is right
			a.MovImm(isz, t, int64(uint64(1)<<(8*uint(isz)-1)-1))
			a.Jmp(done)
			a.Bind(zero)
			a.AluRR(amd64.XOR, amd64.S32, t, t)
		} else {
			a.Ucomis(fsz, x, x)
			a.Jcc(amd64.CondP, c.trapLabel(ir.TrapInvalidConversion))
			if fsz == amd64.S64 && isz == amd64.S32 {
				a.UcomisM(fsz, x, c.fconst(fsz, lo-1))
				a.Jcc(amd64.CondBE, c.trapLabel(ir.TrapIntOverflow))
			} else {
				a.UcomisM(fsz, x, c.fconst(fsz, lo))
				a.Jcc(amd64.CondB, c.trapLabel(ir.TrapIntOverflow))
			}
			a.UcomisM(fsz, x, c.fconst(fsz, -lo))
			a.Jcc(amd64.CondAE, c.trapLabel(ir.TrapIntOverflow))
		}
		a.Bind(done)
		c.setInt(in.Type, d, t)
		return
	}
	// Unsigned.
	hi := math.Ldexp(1, 8*int(isz))
	if sat {
		zero, max := a.NewLabel(), a.NewLabel()
		a.UcomisM(fsz, x, c.fconst(fsz, -1))
		a.Jcc(amd64.CondBE, zero) // x <= -1 or NaN
		a.UcomisM(fsz, x, c.fconst(fsz, hi))
		a.Jcc(amd64.CondAE, max)
		c.truncUnsigned(fsz, isz, t, x)
		a.Jmp(done)
		a.Bind(zero)
		a.AluRR(amd64.XOR, amd64.S32, t, t)
		a.Jmp(done)
		a.Bind(max)
		a.MovImm(isz, t, -1)
	} else {
		a.Ucomis(fsz, x, x)
		a.Jcc(amd64.CondP, c.trapLabel(ir.TrapInvalidConversion))
		a.UcomisM(fsz, x, c.fconst(fsz, -1))
		a.Jcc(amd64.CondBE, c.trapLabel(ir.TrapIntOverflow))
		a.UcomisM(fsz, x, c.fconst(fsz, hi))
		a.Jcc(amd64.CondAE, c.trapLabel(ir.TrapIntOverflow))
		c.truncUnsigned(fsz, isz, t, x)
	}
	a.Bind(done)
	c.setInt(in.Type, d, t)
}

// truncUnsigned converts x, known to be in (-1, 2^bits), to an unsigned
// integer in t.
func (c *compiler) truncUnsigned(fsz, isz amd64.Size, t amd64.Reg, x amd64.XReg) {
	a := c.a
	if isz == amd64.S32 {
		a.CvtFToIntTrunc(amd64.S64, fsz, t, x)
		a.MovRR(amd64.S32, t, t)
		return
	}
	big, done := a.NewLabel(), a.NewLabel()
	a.UcomisM(fsz, x, c.fconst(fsz, math.Ldexp(1, 63)))
	a.Jcc(amd64.CondAE, big)
	a.CvtFToIntTrunc(amd64.S64, fsz, t, x)
	a.Jmp(done)
	a.Bind(big)
	if x != x14 {
		a.Movaps(x14, x)
	}
	a.FArithM(amd64.FSub, fsz, x14, c.fconst(fsz, math.Ldexp(1, 63)))
	a.CvtFToIntTrunc(amd64.S64, fsz, t, x14)
	a.MovImm(amd64.S64, rax, math.MinInt64)
	a.AluRR(amd64.XOR, amd64.S64, t, rax)
	a.Bind(done)
}

func (c *compiler) intToFloat(in *ir.InstData) {
	a := c.a
	fsz := intSize(in.Type)
	st := c.f.Values[in.Args[0]].Type
	d := c.dst(in.Results[0])
	t := xtmpFor(d, x15)
	src := c.intReg(in.Args[0], r11)
	a.Logic(amd64.LXor, amd64.S32, t, t)
	switch {
	case in.Op == ir.OpFcvtFromSint:
		a.CvtIntToF(fsz, intSize(st), t, src)
	case st == ir.I32: // zero-extended: a signed 64-bit conversion is exact
		a.CvtIntToF(fsz, amd64.S64, t, src)
	default:
		neg, done := a.NewLabel(), a.NewLabel()
		a.TestRR(amd64.S64, src, src)
		a.Jcc(amd64.CondS, neg)
		a.CvtIntToF(fsz, amd64.S64, t, src)
		a.Jmp(done)
		a.Bind(neg)
		// Halve with the low bit kept (round to odd), convert, double.
		a.MovRR(amd64.S64, rax, src)
		a.MovRR(amd64.S64, rcx, src)
		a.ShiftImm(amd64.SHR, amd64.S64, rax, 1)
		a.AluRI(amd64.AND, amd64.S32, rcx, 1)
		a.AluRR(amd64.OR, amd64.S64, rax, rcx)
		a.CvtIntToF(fsz, amd64.S64, t, rax)
		a.FArith(amd64.FAdd, fsz, t, t)
		a.Bind(done)
	}
	c.setF(in.Type, d, t)
}

func (c *compiler) selectOp(i ir.Inst, in *ir.InstData) {
	a := c.a
	d := c.dst(in.Results[0])
	cond, x, y := in.Args[0], in.Args[1], in.Args[2]
	fi, fused := c.fusedArg[i]
	flags := func() amd64.Cond {
		if fused {
			return c.intFlags(fi)
		}
		c.testZero(amd64.S32, c.vloc(cond))
		return amd64.CondNE
	}
	if isFloat(in.Type) {
		c.loadF(in.Type, x15, c.vloc(x))
		cc := flags()
		done := a.NewLabel()
		a.Jcc(cc, done)
		c.loadF(in.Type, x15, c.vloc(y))
		a.Bind(done)
		c.setF(in.Type, d, x15)
		return
	}
	sz := intSize(in.Type)
	avoid := []loc{c.vloc(x), c.vloc(cond)}
	if fused {
		for _, v := range c.f.Insts[fi].Args {
			avoid = append(avoid, c.vloc(v))
		}
	}
	t := tmpFor(d, r11, avoid...)
	c.loadInt(sz, t, c.vloc(y))
	xl := c.vloc(x)
	if xl.k == lConst {
		c.loadInt(sz, rdx, xl)
		xl = regLoc(rdx)
	}
	cc := flags()
	csz := sz
	if xl.k == lReg {
		a.Cmov(cc, csz, t, xl.reg())
	} else {
		a.CmovLoad(cc, csz, t, xl.mem())
	}
	c.setInt(in.Type, d, t)
}

// address returns the memory operand of a linear-memory access of size
// bytes at index value v + offset, after the explicit bounds check when the
// access is checked.
func (c *compiler) address(v ir.Value, off uint64, size int, checked bool) amd64.Mem {
	a := c.a
	l := c.vloc(v)
	end := off + uint64(size)
	if checked && l.k != lConst && c.checkedEnd[v] >= end {
		// An earlier access in this block checked v with a larger end; it
		// would have trapped, and memories never shrink.
		checked = false
	}
	if checked {
		if l.k == lConst {
			a.MovImm(amd64.S64, r11, int64(uint64(uint32(l.imm))+end))
		} else {
			if c.checkedEnd == nil {
				c.checkedEnd = map[ir.Value]uint64{}
			}
			c.checkedEnd[v] = end
			if l.k == lReg && end < 1<<31 {
				a.Lea(amd64.S64, r11, amd64.Ptr(l.reg(), int32(end)))
			} else if c.loadInt(amd64.S32, r11, l); end < 1<<31 {
				a.AluRI(amd64.ADD, amd64.S64, r11, int64(end))
			} else {
				a.MovImm(amd64.S64, rax, int64(end))
				a.AluRR(amd64.ADD, amd64.S64, r11, rax)
			}
		}
		a.Load(amd64.S64, rax, amd64.Ptr(amd64.R15, vm.OffMemDesc))
		a.AluRM(amd64.CMP, amd64.S64, r11, amd64.Ptr(rax, vm.MemDescSize))
		a.Jcc(amd64.CondA, c.trapLabel(ir.TrapOutOfBoundsMemory))
	}
	if l.k == lConst {
		ea := uint64(uint32(l.imm)) + off
		if ea < 1<<31 {
			return amd64.Ptr(amd64.R14, int32(ea))
		}
		a.MovImm(amd64.S64, rax, int64(ea))
		return amd64.PtrIdx(amd64.R14, rax, 1, 0)
	}
	var idx amd64.Reg
	if l.k == lReg {
		idx = l.reg()
	} else {
		c.loadInt(amd64.S32, rcx, l)
		idx = rcx
	}
	if off < 1<<31 {
		return amd64.PtrIdx(amd64.R14, idx, 1, int32(off))
	}
	a.MovImm(amd64.S64, rax, int64(off))
	a.AluRR(amd64.ADD, amd64.S64, rax, idx)
	return amd64.PtrIdx(amd64.R14, rax, 1, 0)
}

func (c *compiler) pcEntry(pos uint32) {
	c.out.PCTable = append(c.out.PCTable, PCEntry{Off: uint32(c.a.Len()), Pos: pos})
}

func (c *compiler) load(in *ir.InstData) {
	a := c.a
	var size int
	switch in.Op {
	case ir.OpUload8, ir.OpSload8:
		size = 1
	case ir.OpUload16, ir.OpSload16:
		size = 2
	case ir.OpUload32, ir.OpSload32:
		size = 4
	default:
		size = int(intSize(in.Type))
	}
	m := c.address(in.Args[0], in.Imm, size, in.Flags&ir.MemChecked != 0)
	d := c.dst(in.Results[0])
	if isFloat(in.Type) {
		t := xtmpFor(d, x15)
		c.pcEntry(in.Pos)
		a.FLoad(intSize(in.Type), t, m)
		c.setF(in.Type, d, t)
		return
	}
	t := tmpFor(d, r11)
	sz := intSize(in.Type)
	c.pcEntry(in.Pos)
	switch in.Op {
	case ir.OpLoad:
		a.Load(sz, t, m)
	case ir.OpUload8:
		a.MovzxLoad(amd64.S32, amd64.S8, t, m)
	case ir.OpUload16:
		a.MovzxLoad(amd64.S32, amd64.S16, t, m)
	case ir.OpUload32:
		a.Load(amd64.S32, t, m)
	case ir.OpSload8:
		a.MovsxLoad(sz, amd64.S8, t, m)
	case ir.OpSload16:
		a.MovsxLoad(sz, amd64.S16, t, m)
	case ir.OpSload32:
		a.MovsxLoad(amd64.S64, amd64.S32, t, m)
	}
	c.setInt(in.Type, d, t)
}

func (c *compiler) store(in *ir.InstData) {
	a := c.a
	var sz amd64.Size
	switch in.Op {
	case ir.OpIstore8:
		sz = amd64.S8
	case ir.OpIstore16:
		sz = amd64.S16
	case ir.OpIstore32:
		sz = amd64.S32
	default:
		sz = intSize(in.Type)
	}
	vl := c.vloc(in.Args[1])
	if isFloat(in.Type) {
		x := c.xReg(in.Args[1], x15)
		m := c.address(in.Args[0], in.Imm, int(sz), in.Flags&ir.MemChecked != 0)
		c.pcEntry(in.Pos)
		a.FStore(sz, m, x)
		return
	}
	var r amd64.Reg
	isImm := vl.k == lConst && fitsImm(amd64.S64, uint64(int64(int32(vl.imm))))
	if vl.k == lConst && sz == amd64.S64 {
		isImm = fitsImm(amd64.S64, vl.imm)
	}
	if !isImm {
		if vl.k == lReg {
			r = vl.reg()
		} else {
			c.loadInt(intSize(in.Type), rdx, vl)
			r = rdx
		}
	}
	m := c.address(in.Args[0], in.Imm, int(sz), in.Flags&ir.MemChecked != 0)
	c.pcEntry(in.Pos)
	if isImm {
		v := int64(vl.imm)
		switch sz {
		case amd64.S8:
			v = int64(int8(vl.imm))
		case amd64.S16:
			v = int64(int16(vl.imm))
		case amd64.S32:
			v = int64(int32(vl.imm))
		}
		a.StoreImm(sz, m, v)
	} else {
		a.Store(sz, m, r)
	}
}

func (c *compiler) global(in *ir.InstData) {
	a := c.a
	off := int32(c.env.Layout.Global(int(in.Index)))
	m := amd64.Ptr(amd64.R15, off)
	if int(in.Index) < c.env.NumImportedGlobals {
		a.Load(amd64.S64, rax, m)
		m = amd64.Ptr(rax, 0)
	}
	if in.Op == ir.OpGlobalGet {
		d := c.dst(in.Results[0])
		if isFloat(in.Type) {
			t := xtmpFor(d, x15)
			a.FLoad(intSize(in.Type), t, m)
			c.setF(in.Type, d, t)
		} else {
			t := tmpFor(d, r11)
			a.Load(intSize(in.Type), t, m)
			c.setInt(in.Type, d, t)
		}
		return
	}
	t := c.f.Values[in.Args[0]].Type
	vl := c.vloc(in.Args[0])
	if isFloat(t) {
		a.FStore(intSize(t), m, c.xReg(in.Args[0], x15))
		return
	}
	if vl.k == lConst && fitsImm(amd64.S64, vl.imm) {
		a.StoreImm(amd64.S64, m, int64(vl.imm))
		return
	}
	a.Store(amd64.S64, m, c.intReg(in.Args[0], r11))
}

// tableEntry bounds-checks index value v against table ti, trapping with
// oob, and returns the operand of the element; RAX holds the element array.
func (c *compiler) tableEntry(ti uint32, v ir.Value, oob ir.TrapKind) amd64.Mem {
	a := c.a
	idx := c.intReg(v, rcx)
	a.Load(amd64.S64, rax, amd64.Ptr(amd64.R15, int32(c.env.Layout.Table(int(ti)))))
	a.AluRM(amd64.CMP, amd64.S64, idx, amd64.Ptr(rax, vm.TableDescLen))
	a.Jcc(amd64.CondAE, c.trapLabel(oob))
	a.Load(amd64.S64, rax, amd64.Ptr(rax, vm.TableDescBase))
	return amd64.PtrIdx(rax, idx, 8, 0)
}

func (c *compiler) table(in *ir.InstData) {
	a := c.a
	switch in.Op {
	case ir.OpTableSize:
		d := c.dst(in.Results[0])
		t := tmpFor(d, r11)
		a.Load(amd64.S64, rax, amd64.Ptr(amd64.R15, int32(c.env.Layout.Table(int(in.Index)))))
		a.Load(amd64.S32, t, amd64.Ptr(rax, vm.TableDescLen))
		c.setInt(ir.I32, d, t)
	case ir.OpTableGet:
		d := c.dst(in.Results[0])
		m := c.tableEntry(in.Index, in.Args[0], ir.TrapOutOfBoundsTable)
		t := tmpFor(d, r11)
		a.Load(amd64.S64, t, m)
		c.setInt(in.Type, d, t)
	case ir.OpTableSet:
		r := c.intReg(in.Args[1], rdx)
		m := c.tableEntry(in.Index, in.Args[0], ir.TrapOutOfBoundsTable)
		a.Store(amd64.S64, m, r)
	}
}

// builtin calls a builtin with RDI = vmctx, the immediates, then the value
// arguments; the result (if any) comes back in RAX.
func (c *compiler) builtin(b int, in *ir.InstData, args []ir.Value, imms ...uint64) {
	a := c.a
	regs := []amd64.Reg{amd64.RSI, amd64.RDX, amd64.RCX, amd64.R8, amd64.R9}
	var ms []move
	n := 0
	for _, im := range imms {
		ms = append(ms, move{dst: regLoc(regs[n]), src: loc{k: lConst, imm: im}, t: ir.I64})
		n++
	}
	for _, v := range args {
		t := c.f.Values[v].Type
		ms = append(ms, move{dst: regLoc(regs[n]), src: c.vloc(v), t: t})
		n++
	}
	c.parallelMove(ms)
	a.MovRR(amd64.S64, amd64.RDI, amd64.R15)
	a.CallM(amd64.Ptr(amd64.R15, int32(vm.Builtin(b))))
	if len(in.Results) > 0 {
		a.MovRR(amd64.S32, rax, rax)
		c.setInt(ir.I32, c.dst(in.Results[0]), rax)
	}
}

func (c *compiler) call(in *ir.InstData) {
	a := c.a
	var sig ir.Signature
	args := in.Args
	indirect := in.Op == ir.OpCallIndirect
	if indirect {
		sig = c.f.Types[in.Index]
		// Look the callee up before the arguments take the registers:
		// RAX = the FuncRef.
		m := c.tableEntry(in.Index2, args[0], ir.TrapUndefinedElement)
		a.Load(amd64.S64, rax, m)
		a.TestRR(amd64.S64, rax, rax)
		a.Jcc(amd64.CondE, c.trapLabel(ir.TrapNullReference))
		a.Load(amd64.S64, r11, amd64.Ptr(amd64.R15, int32(c.env.Layout.TypeID(int(in.Index)))))
		a.AluRM(amd64.CMP, amd64.S64, r11, amd64.Ptr(rax, vm.FuncRefTypeID))
		a.Jcc(amd64.CondNE, c.trapLabel(ir.TrapIndirectCallTypeMismatch))
		args = args[1:]
	} else {
		sig = c.f.Callees[in.Index]
	}
	pl, nStack := assign(sig.Params)
	// Stack arguments first (their slots are read by nobody), then the
	// registers as one parallel move.
	var regMoves []move
	for n, v := range args {
		t := c.f.Values[v].Type
		if pl[n].stack >= 0 {
			c.emitMove(t, memLoc(amd64.RSP, int32(8*pl[n].stack)), c.vloc(v))
		} else {
			regMoves = append(regMoves, move{dst: pl[n].regLoc(), src: c.vloc(v), t: t})
		}
	}
	c.parallelMove(regMoves)
	switch {
	case indirect:
		a.Store(amd64.S64, amd64.Ptr(amd64.RBP, c.r15Slot), amd64.R15)
		a.Load(amd64.S64, amd64.R15, amd64.Ptr(rax, vm.FuncRefVMCtx))
		a.Load(amd64.S64, amd64.R14, amd64.Ptr(amd64.R15, vm.OffMemBase))
		a.CallM(amd64.Ptr(rax, vm.FuncRefCode))
		a.Load(amd64.S64, amd64.R15, amd64.Ptr(amd64.RBP, c.r15Slot))
		a.Load(amd64.S64, amd64.R14, amd64.Ptr(amd64.R15, vm.OffMemBase))
	case int(in.Index) < c.env.NumImportedFuncs:
		l := c.env.Layout
		a.Load(amd64.S64, rax, amd64.Ptr(amd64.R15, int32(l.ImportCode(int(in.Index)))))
		a.Store(amd64.S64, amd64.Ptr(amd64.RBP, c.r15Slot), amd64.R15)
		a.Load(amd64.S64, amd64.R15, amd64.Ptr(amd64.R15, int32(l.ImportVMCtx(int(in.Index)))))
		a.Load(amd64.S64, amd64.R14, amd64.Ptr(amd64.R15, vm.OffMemBase))
		a.CallR(rax)
		a.Load(amd64.S64, amd64.R15, amd64.Ptr(amd64.RBP, c.r15Slot))
		a.Load(amd64.S64, amd64.R14, amd64.Ptr(amd64.R15, vm.OffMemBase))
	default:
		sym := FuncSymbol
		if c.env.FuncSymbol != nil {
			sym = c.env.FuncSymbol
		}
		a.CallSym(sym(in.Index))
	}
	rl, _ := assignResults(sig.Results)
	var ms []move
	for n, r := range in.Results {
		t := sig.Results[n]
		var src loc
		if rl[n].stack >= 0 {
			src = memLoc(amd64.RSP, int32(8*(nStack+rl[n].stack)))
		} else {
			src = rl[n].regLoc()
			if t == ir.I32 {
				if d := c.loc[r]; d.k == lReg {
					// Zero-extend straight into the destination (result
					// registers are scratch, so no other move reads it).
					a.MovRR(amd64.S32, d.reg(), rl[n].reg)
					continue
				}
				a.MovRR(amd64.S32, rl[n].reg, rl[n].reg)
			}
		}
		if c.loc[r].k == lNone {
			continue
		}
		ms = append(ms, move{dst: c.loc[r], src: src, t: t})
	}
	c.parallelMove(ms)
}

func (c *compiler) ret(in *ir.InstData) {
	rl, _ := assignResults(c.f.Sig.Results)
	_, nStack := assign(c.f.Sig.Params)
	var ms []move
	for n, v := range in.Args {
		t := c.f.Values[v].Type
		var dst loc
		if rl[n].stack >= 0 {
			dst = memLoc(amd64.RBP, int32(16+8*nStack+8*rl[n].stack))
		} else {
			dst = rl[n].regLoc()
		}
		ms = append(ms, move{dst: dst, src: c.vloc(v), t: t})
	}
	c.parallelMove(ms)
	c.epilogue()
}

func (c *compiler) brif(in *ir.InstData, next ir.Block) {
	a := c.a
	cond := in.Args[0]
	T, F := in.Dests[0], in.Dests[1]
	tm, fm := c.edgeMoves(T), c.edgeMoves(F)
	tl, fl := c.labels[T.Block], c.labels[F.Block]
	switch {
	case len(tm) == 0 && len(fm) == 0:
		if T.Block == next {
			c.jumpIf(cond, fl, false)
		} else {
			c.jumpIf(cond, tl, true)
			if F.Block != next {
				a.Jmp(fl)
			}
		}
	case len(tm) == 0:
		c.jumpIf(cond, tl, true)
		c.parallelMove(fm)
		if F.Block != next {
			a.Jmp(fl)
		}
	case len(fm) == 0:
		c.jumpIf(cond, fl, false)
		c.parallelMove(tm)
		if T.Block != next {
			a.Jmp(tl)
		}
	default:
		other := a.NewLabel()
		c.jumpIf(cond, other, false)
		c.parallelMove(tm)
		a.Jmp(tl)
		a.Bind(other)
		c.parallelMove(fm)
		if F.Block != next {
			a.Jmp(fl)
		}
	}
}

func (c *compiler) brTable(in *ir.InstData, next ir.Block) {
	a := c.a
	n := len(in.Dests) - 1
	targets := make([]amd64.Label, len(in.Dests))
	type stub struct {
		l  amd64.Label
		ms []move
		b  ir.Block
	}
	var stubs []stub
	for k, d := range in.Dests {
		if ms := c.edgeMoves(d); len(ms) > 0 {
			l := a.NewLabel()
			stubs = append(stubs, stub{l, ms, d.Block})
			targets[k] = l
		} else {
			targets[k] = c.labels[d.Block]
		}
	}
	idx := c.intReg(in.Args[0], r11)
	if n > 0 {
		a.AluRI(amd64.CMP, amd64.S32, idx, int64(n))
		a.Jcc(amd64.CondAE, targets[n])
	} else {
		a.Jmp(targets[n])
	}
	if n > 0 && n <= 3 {
		for k := 0; k < n; k++ {
			if k == 0 {
				a.TestRR(amd64.S32, idx, idx)
			} else {
				a.AluRI(amd64.CMP, amd64.S32, idx, int64(k))
			}
			a.Jcc(amd64.CondE, targets[k])
		}
		a.Jmp(targets[n]) // unreachable
	} else if n > 3 {
		tab := a.NewLabel()
		a.Lea(amd64.S64, rax, amd64.LabelRef(tab, 0))
		a.Lea(amd64.S64, rax, amd64.PtrIdx(rax, idx, 8, 0))
		a.JmpR(rax)
		a.Align(8)
		a.Bind(tab)
		for k := 0; k < n; k++ {
			start := a.Len()
			a.Jmp(targets[k])
			if pad := 8 - (a.Len() - start); pad > 0 {
				a.Nop(pad)
			}
		}
	}
	for _, s := range stubs {
		a.Bind(s.l)
		c.parallelMove(s.ms)
		if s.b != next || true {
			a.Jmp(c.labels[s.b])
		}
	}
}
