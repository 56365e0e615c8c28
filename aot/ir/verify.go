package ir

import (
	"fmt"
	"strings"
)

// Verify checks that f is well-formed SSA:
//
//   - the entry block exists, is not a branch target, and its parameters are
//     the signature's parameters;
//   - every block ends with a terminator, and terminators appear nowhere else;
//   - every operand is a defined value whose definition dominates the use
//     (a block parameter dominates its block; an instruction result the
//     instructions after it and the blocks its block dominates);
//   - operand counts and types, result types, conversion pairs and type
//     suffixes agree with the opcode table; calls agree with the declared
//     callee or type signature; return values match the signature;
//   - every branch passes as many arguments as its target has parameters,
//     with the same types.
//
// It returns nil or a VerifyErrors listing every problem found, each naming
// the function, block and instruction.
func Verify(f *Func) error {
	v := &verifier{f: f}
	v.run()
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

// VerifyErrorKind classifies verifier errors (for tests and tools).
type VerifyErrorKind uint8

const (
	ErrStructure    VerifyErrorKind = iota // broken tables/layout (a bug in a pass)
	ErrEntry                               // missing entry, wrong entry params, branch to entry
	ErrTerminator                          // missing terminator, or one in the middle of a block
	ErrUndefined                           // operand is not a defined value
	ErrDominance                           // definition does not dominate the use
	ErrOperandCount                        // wrong number of operands
	ErrOperandType                         // operand or controlling type is wrong
	ErrResult                              // wrong number or types of results
	ErrBranchTarget                        // branch to a block that does not exist
	ErrBranchArgs                          // branch argument count or types differ from the target's params
	ErrReturn                              // returned values do not match the signature
	ErrCallee                              // call to an undeclared function or type
	ErrAlias                               // operand is an unresolved alias
)

var verifyKindNames = [...]string{"structure", "entry", "terminator", "undefined value", "dominance",
	"operand count", "operand type", "result", "branch target", "branch arguments", "return", "callee", "alias"}

func (k VerifyErrorKind) String() string { return verifyKindNames[k] }

// VerifyError is one verifier finding.
type VerifyError struct {
	Kind  VerifyErrorKind
	Func  string
	Block Block  // NoBlock if not about a block
	Inst  Inst   // NoInst if not about an instruction
	Text  string // the instruction as printed, if any
	Msg   string
}

func (e *VerifyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ir: verify func %%%s", quoteName(e.Func))
	if e.Block != NoBlock {
		fmt.Fprintf(&b, ", %s", e.Block)
	}
	if e.Inst != NoInst {
		fmt.Fprintf(&b, ", %q", e.Text)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// VerifyErrors is every problem the verifier found.
type VerifyErrors []*VerifyError

func (es VerifyErrors) Error() string {
	var ss []string
	for _, e := range es {
		ss = append(ss, e.Error())
	}
	return strings.Join(ss, "\n")
}

type verifier struct {
	f    *Func
	errs VerifyErrors
	cfg  *CFG
	dom  *DomTree
	pos  []int32 // Inst -> index within its block
	blk  Block
	inst Inst
}

func (v *verifier) errorf(k VerifyErrorKind, format string, args ...any) {
	e := &VerifyError{Kind: k, Func: v.f.Name, Block: v.blk, Inst: v.inst, Msg: fmt.Sprintf(format, args...)}
	if v.inst != NoInst {
		e.Text = v.f.InstString(v.inst)
	}
	v.errs = append(v.errs, e)
}

func (v *verifier) run() {
	f := v.f
	v.blk, v.inst = NoBlock, NoInst
	if len(f.Layout) == 0 {
		v.errorf(ErrEntry, "function has no blocks")
		return
	}
	// Layout and placement.
	seen := make([]bool, len(f.Blocks))
	v.pos = make([]int32, len(f.Insts))
	placed := make([]bool, len(f.Insts))
	for _, b := range f.Layout {
		v.blk = b
		if !f.ValidBlock(b) {
			v.errorf(ErrStructure, "block in layout is not live")
			continue
		}
		if seen[b] {
			v.errorf(ErrStructure, "block appears twice in the layout")
			continue
		}
		seen[b] = true
		for n, i := range f.Blocks[b].Insts {
			if i < 0 || int(i) >= len(f.Insts) {
				v.errorf(ErrStructure, "instruction %d out of range", i)
				continue
			}
			if placed[i] || f.Insts[i].Block != b {
				v.inst = i
				v.errorf(ErrStructure, "instruction placed twice or its Block field is wrong")
				v.inst = NoInst
			}
			placed[i] = true
			v.pos[i] = int32(n)
		}
		for n, p := range f.Blocks[b].Params {
			if !f.ValidValue(p) || f.Values[p].Kind != ValueParam || f.Values[p].Block != b || f.Values[p].Num != n {
				v.errorf(ErrStructure, "parameter %d (%s) is not recorded as this block's parameter", n, p)
			}
		}
	}
	if len(v.errs) > 0 {
		return // the tables are inconsistent: later checks would only echo this
	}
	v.cfg = ComputeCFG(f)
	v.dom = ComputeDomTree(f, v.cfg)

	entry := f.Entry()
	v.blk = entry
	ps := f.Blocks[entry].Params
	if len(ps) != len(f.Sig.Params) {
		v.errorf(ErrEntry, "entry block has %d parameters, the signature %d", len(ps), len(f.Sig.Params))
	} else {
		for n, p := range ps {
			if f.Values[p].Type != f.Sig.Params[n] {
				v.errorf(ErrEntry, "entry parameter %s has type %s, the signature says %s", p, f.Values[p].Type, f.Sig.Params[n])
			}
		}
	}
	if len(v.cfg.Preds[entry]) > 0 {
		v.errorf(ErrEntry, "entry block is a branch target (from %s)", v.cfg.Preds[entry][0])
	}

	for _, b := range f.Layout {
		v.blk = b
		v.inst = NoInst
		is := f.Blocks[b].Insts
		if len(is) == 0 || !f.Insts[is[len(is)-1]].Op.IsTerminator() {
			v.errorf(ErrTerminator, "block does not end with a terminator")
		}
		for n, i := range is {
			v.inst = i
			if f.Insts[i].Op.IsTerminator() && n != len(is)-1 {
				v.errorf(ErrTerminator, "terminator in the middle of the block")
			}
			v.checkInst(i)
		}
	}
}

// checkUse checks that operand a is defined and dominates its use by the
// current instruction.
func (v *verifier) checkUse(a Value) bool {
	f := v.f
	if a < 0 || int(a) >= len(f.Values) || f.Values[a].Kind == ValueUnused {
		v.errorf(ErrUndefined, "operand %s is not defined", a)
		return false
	}
	d := &f.Values[a]
	switch d.Kind {
	case ValueAlias:
		v.errorf(ErrAlias, "operand %s is an alias of %s (call ResolveAliases)", a, f.Resolve(a))
		return false
	case ValueParam:
		if !f.ValidBlock(d.Block) {
			v.errorf(ErrUndefined, "operand %s is a parameter of removed %s", a, d.Block)
			return false
		}
		if !v.dom.Dominates(d.Block, v.blk) {
			v.errorf(ErrDominance, "operand %s (parameter of %s) does not dominate this use", a, d.Block)
			return false
		}
	case ValueResult:
		def := d.Inst
		db := f.Insts[def].Block
		if db == NoBlock {
			v.errorf(ErrUndefined, "operand %s is the result of a removed instruction", a)
			return false
		}
		if db == v.blk {
			if v.pos[def] >= v.pos[v.inst] {
				v.errorf(ErrDominance, "operand %s is used before its definition in the same block", a)
				return false
			}
		} else if !v.dom.Dominates(db, v.blk) {
			v.errorf(ErrDominance, "operand %s (defined in %s) does not dominate this use", a, db)
			return false
		}
	}
	return true
}

func (v *verifier) checkInst(i Inst) {
	f := v.f
	d := &f.Insts[i]
	info := d.Op.info()
	if d.Op == OpInvalid || d.Op >= numOpcodes {
		v.errorf(ErrStructure, "invalid opcode")
		return
	}
	okArgs := true
	for _, a := range d.Args {
		if !v.checkUse(a) {
			okArgs = false
		}
	}
	for _, dc := range d.Dests {
		for _, a := range dc.Args {
			if !v.checkUse(a) {
				okArgs = false
			}
		}
	}
	if info.types != tsNone && !info.types.has(d.Type) {
		v.errorf(ErrOperandType, "%s does not take type %s", d.Op, d.Type)
		return
	}
	// Results.
	rts := f.ResultTypes(d)
	if len(rts) != len(d.Results) {
		v.errorf(ErrResult, "has %d results, %s produces %d", len(d.Results), d.Op, len(rts))
	} else {
		for n, r := range d.Results {
			if !f.ValidValue(r) || f.Values[r].Kind != ValueResult || f.Values[r].Inst != i || f.Values[r].Num != n {
				v.errorf(ErrStructure, "result %s is not recorded as this instruction's result %d", r, n)
			} else if f.Values[r].Type != rts[n] {
				v.errorf(ErrResult, "result %s has type %s, %s produces %s", r, f.Values[r].Type, d.Op, rts[n])
			}
		}
	}
	if !okArgs {
		return
	}
	ty := func(a Value) Type { return f.Values[a].Type }
	switch {
	case d.Op == OpCall || d.Op == OpCallIndirect:
		args := d.Args
		var sig Signature
		var ok bool
		if d.Op == OpCall {
			sig, ok = f.Callees[d.Index]
			if !ok {
				v.errorf(ErrCallee, "fn%d is not declared", d.Index)
				return
			}
		} else {
			sig, ok = f.Types[d.Index]
			if !ok {
				v.errorf(ErrCallee, "type%d is not declared", d.Index)
				return
			}
			if len(args) == 0 {
				v.errorf(ErrOperandCount, "call_indirect needs a callee index operand")
				return
			}
			if ty(args[0]) != I32 {
				v.errorf(ErrOperandType, "callee index %s has type %s, want i32", args[0], ty(args[0]))
			}
			args = args[1:]
		}
		v.checkList("argument", args, sig.Params, ErrOperandCount, ErrOperandType)
	case d.Op == OpReturn:
		v.checkList("return value", d.Args, f.Sig.Results, ErrReturn, ErrReturn)
	default:
		if len(d.Args) != len(info.args) {
			v.errorf(ErrOperandCount, "%s takes %d operands, has %d", d.Op, len(info.args), len(d.Args))
			return
		}
		for n, r := range info.args {
			at := ty(d.Args[n])
			switch r {
			case argT:
				if at != d.Type {
					v.errorf(ErrOperandType, "operand %s has type %s, want %s", d.Args[n], at, d.Type)
				}
			case argI32:
				if at != I32 {
					v.errorf(ErrOperandType, "operand %s has type %s, want i32", d.Args[n], at)
				}
			case argRef:
				if !at.IsRef() {
					v.errorf(ErrOperandType, "operand %s has type %s, want a reference", d.Args[n], at)
				}
			case argConv:
				if !convOK(d.Op, d.Type, at) {
					v.errorf(ErrOperandType, "%s cannot convert %s to %s", d.Op, at, d.Type)
				}
			}
		}
	}
	switch d.Op {
	case OpJump:
		v.checkDests(d, 1, 1)
	case OpBrif:
		v.checkDests(d, 2, 2)
	case OpBrTable:
		v.checkDests(d, 1, -1)
	case OpTrap, OpTrapz, OpTrapnz:
		if d.Trap == TrapNone || d.Trap >= numTrapKinds {
			v.errorf(ErrOperandType, "bad trap kind %d", d.Trap)
		}
		fallthrough
	default:
		if len(d.Dests) != 0 {
			v.errorf(ErrStructure, "%s has branch destinations", d.Op)
		}
	}
	if d.Op == OpIcmp && IntCC(d.Cond) >= numIntCC || d.Op == OpFcmp && FloatCC(d.Cond) >= numFloatCC {
		v.errorf(ErrOperandType, "bad condition code %d", d.Cond)
	}
}

func (v *verifier) checkList(what string, vals []Value, want []Type, countKind, typeKind VerifyErrorKind) {
	if len(vals) != len(want) {
		v.errorf(countKind, "%d %ss given, %d expected", len(vals), what, len(want))
		return
	}
	for n, a := range vals {
		if t := v.f.Values[a].Type; t != want[n] {
			v.errorf(typeKind, "%s %d (%s) has type %s, want %s", what, n, a, t, want[n])
		}
	}
}

func (v *verifier) checkDests(d *InstData, min, max int) {
	if len(d.Dests) < min || max >= 0 && len(d.Dests) > max {
		v.errorf(ErrStructure, "%s has %d destinations", d.Op, len(d.Dests))
		return
	}
	for _, dc := range d.Dests {
		if !v.f.ValidBlock(dc.Block) {
			v.errorf(ErrBranchTarget, "branch to %s, which does not exist", dc.Block)
			continue
		}
		ps := v.f.Blocks[dc.Block].Params
		if len(ps) != len(dc.Args) {
			v.errorf(ErrBranchArgs, "branch to %s passes %d arguments, it has %d parameters", dc.Block, len(dc.Args), len(ps))
			continue
		}
		for n, a := range dc.Args {
			if at, pt := v.f.Values[a].Type, v.f.Values[ps[n]].Type; at != pt {
				v.errorf(ErrBranchArgs, "branch to %s: argument %s has type %s, parameter %s has %s", dc.Block, a, at, ps[n], pt)
			}
		}
	}
}
