package ir

import (
	"fmt"
	"sort"
)

// Value is an SSA value handle, printed "vN".
type Value int32

// Block is a basic block handle, printed "blockN".
type Block int32

// Inst is an instruction handle.
type Inst int32

const (
	NoValue Value = -1
	NoBlock Block = -1
	NoInst  Inst  = -1
)

func (v Value) String() string { return fmt.Sprintf("v%d", int32(v)) }
func (b Block) String() string { return fmt.Sprintf("block%d", int32(b)) }
func (i Inst) String() string  { return fmt.Sprintf("inst%d", int32(i)) }

// ValueKind says how a value is defined.
type ValueKind uint8

const (
	ValueUnused ValueKind = iota // a hole in the value table
	ValueResult                  // result Num of instruction Inst
	ValueParam                   // parameter Num of block Block
	ValueAlias                   // stands for Alias (only during construction; see ResolveAliases)
)

// ValueData describes a value.
type ValueData struct {
	Type  Type
	Kind  ValueKind
	Inst  Inst  // ValueResult: the defining instruction
	Block Block // ValueParam: the block
	Num   int   // index among the results or the params
	Alias Value // ValueAlias: the value this one stands for
}

// BlockCall is a branch destination with the arguments for its parameters.
type BlockCall struct {
	Block Block
	Args  []Value
}

// InstData is an instruction. Which fields are meaningful depends on Op
// (see the Opcode constants).
type InstData struct {
	Op      Opcode
	Type    Type     // controlling type (result type; operand type for compares and stores)
	Cond    uint8    // IntCC for icmp, FloatCC for fcmp
	Trap    TrapKind // trap, trapz, trapnz
	Flags   MemFlags // memory accesses
	Index   uint32   // memory, table, global, function, type or segment index
	Index2  uint32   // second index (source memory/table, data/elem segment, call_indirect table)
	Imm     uint64   // constant bits, or the memory offset
	Args    []Value
	Dests   []BlockCall // branch destinations (jump: 1, brif: then, else; br_table: targets..., default)
	Results []Value
	Pos     uint32 // Wasm byte offset of the originating instruction; 0 = unknown
	Block   Block  // containing block; NoBlock when not placed
}

// BlockData is a basic block.
type BlockData struct {
	Params []Value
	Insts  []Inst
	Live   bool // created and not removed
}

// Func is a function in SSA form.
type Func struct {
	Name string
	Sig  Signature
	// Callees declares the signatures of the Wasm functions called by index.
	Callees map[uint32]Signature
	// Types declares the Wasm type indices used by call_indirect.
	Types map[uint32]Signature

	Blocks []BlockData // indexed by Block
	Insts  []InstData  // indexed by Inst
	Values []ValueData // indexed by Value
	Layout []Block     // program order; Layout[0] is the entry block
}

// NewFunc returns an empty function.
func NewFunc(name string, sig Signature) *Func {
	return &Func{Name: name, Sig: sig, Callees: map[uint32]Signature{}, Types: map[uint32]Signature{}}
}

// Entry is the entry block, or NoBlock if the function has no blocks.
func (f *Func) Entry() Block {
	if len(f.Layout) == 0 {
		return NoBlock
	}
	return f.Layout[0]
}

// Block returns a block's data. The pointer is valid until the next block is created.
func (f *Func) Block(b Block) *BlockData { return &f.Blocks[b] }

// Inst returns an instruction's data. The pointer is valid until the next instruction is created.
func (f *Func) Inst(i Inst) *InstData { return &f.Insts[i] }

// ValueType is the type of v.
func (f *Func) ValueType(v Value) Type { return f.Values[v].Type }

// ValidValue reports whether v names a defined (or aliased) value.
func (f *Func) ValidValue(v Value) bool {
	return v >= 0 && int(v) < len(f.Values) && f.Values[v].Kind != ValueUnused
}

// ValidBlock reports whether b names a live block.
func (f *Func) ValidBlock(b Block) bool {
	return b >= 0 && int(b) < len(f.Blocks) && f.Blocks[b].Live
}

// NewBlock creates an empty block and appends it to the layout.
func (f *Func) NewBlock() Block {
	b := Block(len(f.Blocks))
	f.Blocks = append(f.Blocks, BlockData{Live: true})
	f.Layout = append(f.Layout, b)
	return b
}

// RemoveBlock removes b from the layout. Its instructions are detached; its
// values become undefined. Branches to b must have been removed already.
func (f *Func) RemoveBlock(b Block) {
	bd := &f.Blocks[b]
	for _, i := range bd.Insts {
		f.Insts[i].Block = NoBlock
	}
	bd.Insts, bd.Live = nil, false
	for i, l := range f.Layout {
		if l == b {
			f.Layout = append(f.Layout[:i], f.Layout[i+1:]...)
			break
		}
	}
}

func (f *Func) newValue(d ValueData) Value {
	v := Value(len(f.Values))
	f.Values = append(f.Values, d)
	return v
}

// AddBlockParam appends a parameter of type t to b.
func (f *Func) AddBlockParam(b Block, t Type) Value {
	bd := &f.Blocks[b]
	v := f.newValue(ValueData{Type: t, Kind: ValueParam, Block: b, Num: len(bd.Params)})
	bd.Params = append(bd.Params, v)
	return v
}

// RemoveBlockParam removes parameter n of b. The caller must remove the
// matching argument from every branch to b.
func (f *Func) RemoveBlockParam(b Block, n int) {
	bd := &f.Blocks[b]
	bd.Params = append(bd.Params[:n], bd.Params[n+1:]...)
	for i := n; i < len(bd.Params); i++ {
		f.Values[bd.Params[i]].Num = i
	}
}

// ResultTypes computes the result types an instruction has.
func (f *Func) ResultTypes(d *InstData) []Type {
	switch d.Op.info().result {
	case resT:
		return []Type{d.Type}
	case resI32:
		return []Type{I32}
	case resFuncRef:
		return []Type{FuncRef}
	case resCall:
		if d.Op == OpCall {
			return f.Callees[d.Index].Results
		}
		return f.Types[d.Index].Results
	}
	return nil
}

// NewInst creates an unplaced instruction from d and makes its result values
// (d.Results is ignored). Calls need their callee or type declared first.
func (f *Func) NewInst(d InstData) Inst {
	i := Inst(len(f.Insts))
	d.Block = NoBlock
	rts := f.ResultTypes(&d)
	d.Results = make([]Value, len(rts))
	for n, t := range rts {
		d.Results[n] = f.newValue(ValueData{Type: t, Kind: ValueResult, Inst: i, Num: n})
	}
	f.Insts = append(f.Insts, d)
	return i
}

// AppendInst places i at the end of b.
func (f *Func) AppendInst(b Block, i Inst) {
	f.Insts[i].Block = b
	f.Blocks[b].Insts = append(f.Blocks[b].Insts, i)
}

// InsertInst places i at position pos of b (0 = first).
func (f *Func) InsertInst(b Block, pos int, i Inst) {
	bd := &f.Blocks[b]
	bd.Insts = append(bd.Insts, NoInst)
	copy(bd.Insts[pos+1:], bd.Insts[pos:])
	bd.Insts[pos] = i
	f.Insts[i].Block = b
}

// RemoveInst detaches i from its block. Its results become undefined.
func (f *Func) RemoveInst(i Inst) {
	b := f.Insts[i].Block
	if b == NoBlock {
		return
	}
	bd := &f.Blocks[b]
	for n, x := range bd.Insts {
		if x == i {
			bd.Insts = append(bd.Insts[:n], bd.Insts[n+1:]...)
			break
		}
	}
	f.Insts[i].Block = NoBlock
}

// Terminator returns the last instruction of b if it is a terminator.
func (f *Func) Terminator(b Block) Inst {
	is := f.Blocks[b].Insts
	if len(is) == 0 {
		return NoInst
	}
	last := is[len(is)-1]
	if !f.Insts[last].Op.IsTerminator() {
		return NoInst
	}
	return last
}

// SetAlias makes v stand for to. Uses of v are redirected by ResolveAliases.
func (f *Func) SetAlias(v, to Value) {
	if f.Resolve(to) == v {
		panic("BUG: alias cycle for " + v.String())
	}
	f.Values[v] = ValueData{Type: f.Values[v].Type, Kind: ValueAlias, Alias: to}
}

// Resolve follows aliases to the value v stands for.
func (f *Func) Resolve(v Value) Value {
	for v >= 0 && int(v) < len(f.Values) && f.Values[v].Kind == ValueAlias {
		v = f.Values[v].Alias
	}
	return v
}

// ResolveAliases rewrites every use of an alias into the value it stands for.
func (f *Func) ResolveAliases() {
	for _, b := range f.Layout {
		for _, i := range f.Blocks[b].Insts {
			d := &f.Insts[i]
			for n, a := range d.Args {
				d.Args[n] = f.Resolve(a)
			}
			for _, dest := range d.Dests {
				for n, a := range dest.Args {
					dest.Args[n] = f.Resolve(a)
				}
			}
		}
	}
}

// ReplaceUses rewrites every use of old into new, in every placed instruction.
func (f *Func) ReplaceUses(old, new Value) {
	for _, b := range f.Layout {
		for _, i := range f.Blocks[b].Insts {
			d := &f.Insts[i]
			for n, a := range d.Args {
				if a == old {
					d.Args[n] = new
				}
			}
			for _, dest := range d.Dests {
				for n, a := range dest.Args {
					if a == old {
						dest.Args[n] = new
					}
				}
			}
		}
	}
}

// Successors returns the destinations of b's terminator (with repeats).
func (f *Func) Successors(b Block) []Block {
	t := f.Terminator(b)
	if t == NoInst {
		return nil
	}
	ds := f.Insts[t].Dests
	out := make([]Block, len(ds))
	for n, d := range ds {
		out[n] = d.Block
	}
	return out
}

// UseCounts counts the uses of every value by placed instructions.
func (f *Func) UseCounts() []int {
	n := make([]int, len(f.Values))
	for _, b := range f.Layout {
		for _, i := range f.Blocks[b].Insts {
			d := &f.Insts[i]
			for _, a := range d.Args {
				if a >= 0 && int(a) < len(n) {
					n[a]++
				}
			}
			for _, dest := range d.Dests {
				for _, a := range dest.Args {
					if a >= 0 && int(a) < len(n) {
						n[a]++
					}
				}
			}
		}
	}
	return n
}

func sortedKeys(m map[uint32]Signature) []uint32 {
	ks := make([]uint32, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}
