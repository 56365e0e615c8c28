package backend

import (
	"github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/ir"
)

// move copies a value of type t from src to dst.
type move struct {
	dst, src loc
	t        ir.Type
}

func intSize(t ir.Type) amd64.Size {
	if t == ir.I32 || t == ir.F32 {
		return amd64.S32
	}
	return amd64.S64
}

// immOf returns the constant bits as the signed immediate an operation of
// size sz sees.
func immOf(sz amd64.Size, bits uint64) int64 {
	if sz == amd64.S32 {
		return int64(uint32(bits))
	}
	return int64(bits)
}

// emitMove copies one value. Memory-to-memory copies go through RCX; the
// caller makes sure RCX holds nothing it needs.
func (c *compiler) emitMove(t ir.Type, dst, src loc) {
	if dst.same(src) || dst.k == lNone {
		return
	}
	a := c.a
	sz := intSize(t)
	if isFloat(t) {
		switch dst.k {
		case lXReg:
			c.loadF(t, dst.xreg(), src)
		case lMem:
			switch src.k {
			case lXReg:
				a.FStore(sz, dst.mem(), src.xreg())
			case lMem:
				a.Load(sz, amd64.RCX, src.mem())
				a.Store(sz, dst.mem(), amd64.RCX)
			case lConst:
				c.storeConst(sz, dst.mem(), src.imm)
			default:
				panic("BUG: float move from a register of the wrong class")
			}
		default:
			panic("BUG: float move to a register of the wrong class")
		}
		return
	}
	switch dst.k {
	case lReg:
		c.loadInt(sz, dst.reg(), src)
	case lMem:
		switch src.k {
		case lReg:
			a.Store(amd64.S64, dst.mem(), src.reg())
		case lMem:
			a.Load(sz, amd64.RCX, src.mem())
			a.Store(amd64.S64, dst.mem(), amd64.RCX)
		case lConst:
			c.storeConst(sz, dst.mem(), src.imm)
		default:
			panic("BUG: integer move from a register of the wrong class")
		}
	default:
		panic("BUG: integer move to a register of the wrong class")
	}
}

func (c *compiler) storeConst(sz amd64.Size, m amd64.Mem, bits uint64) {
	v := immOf(sz, bits)
	if sz == amd64.S32 {
		c.a.StoreImm(amd64.S32, m, int64(int32(uint32(bits))))
		return
	}
	if v >= -1<<31 && v < 1<<31 {
		c.a.StoreImm(amd64.S64, m, v)
		return
	}
	c.a.MovImm(amd64.S64, amd64.RCX, v)
	c.a.Store(amd64.S64, m, amd64.RCX)
}

// loadInt puts an integer-class value into register r.
func (c *compiler) loadInt(sz amd64.Size, r amd64.Reg, src loc) {
	a := c.a
	switch src.k {
	case lReg:
		if src.reg() != r {
			a.MovRR(amd64.S64, r, src.reg())
		}
	case lMem:
		a.Load(sz, r, src.mem())
	case lConst:
		a.MovImm(sz, r, immOf(sz, src.imm))
	case lXReg:
		a.MovFromX(sz, r, src.xreg())
	default:
		panic("BUG: loadInt from an unplaced value")
	}
}

// loadF puts a float value into XMM register x.
func (c *compiler) loadF(t ir.Type, x amd64.XReg, src loc) {
	a := c.a
	sz := intSize(t)
	switch src.k {
	case lXReg:
		if src.xreg() != x {
			a.Movaps(x, src.xreg())
		}
	case lMem:
		a.FLoad(sz, x, src.mem())
	case lConst:
		if src.imm == 0 {
			a.Logic(amd64.LXor, amd64.S32, x, x)
		} else if sz == amd64.S32 {
			a.FLoad(sz, x, a.Const32(uint32(src.imm)))
		} else {
			a.FLoad(sz, x, a.Const64(src.imm))
		}
	case lReg:
		a.MovToX(sz, x, src.reg())
	default:
		panic("BUG: loadF from an unplaced value")
	}
}

// parallelMove performs all moves as if at once. Moves to memory whose
// destination no other move reads go first; then moves whose destination
// is not read by a pending move, repeatedly; a cycle is broken by saving one
// source in R11 (integers and memory) or XMM15 (float registers).
func (c *compiler) parallelMove(ms []move) {
	pending := ms[:0:0]
	for _, m := range ms {
		if m.dst.k != lNone && !m.dst.same(m.src) {
			pending = append(pending, m)
		}
	}
	for len(pending) > 0 {
		progress := false
		for i := 0; i < len(pending); i++ {
			m := pending[i]
			blocked := false
			for j, o := range pending {
				if j != i && o.src.same(m.dst) {
					blocked = true
					break
				}
			}
			if blocked {
				continue
			}
			c.emitMove(m.t, m.dst, m.src)
			pending = append(pending[:i], pending[i+1:]...)
			i--
			progress = true
		}
		if progress {
			continue
		}
		m := &pending[0]
		var tmp loc
		if isFloat(m.t) {
			tmp = xregLoc(amd64.X15)
		} else {
			tmp = regLoc(amd64.R11)
		}
		c.emitMove(m.t, tmp, m.src)
		m.src = tmp
	}
}
