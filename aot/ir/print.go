package ir

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// String returns the function in canonical text form.
func (f *Func) String() string {
	var b strings.Builder
	f.Print(&b)
	return b.String()
}

// Print writes the function in canonical text form. It prints whatever it
// finds, so it is safe on functions that fail verification.
func (f *Func) Print(w io.Writer) {
	var b strings.Builder
	b.WriteString("func %")
	b.WriteString(quoteName(f.Name))
	b.WriteString(f.Sig.String())
	b.WriteString(" {\n")
	for _, k := range sortedKeys(f.Callees) {
		fmt.Fprintf(&b, "    fn%d = %s\n", k, f.Callees[k])
	}
	for _, k := range sortedKeys(f.Types) {
		fmt.Fprintf(&b, "    type%d = %s\n", k, f.Types[k])
	}
	for _, blk := range f.Layout {
		f.printBlockHeader(&b, blk)
		if int(blk) >= len(f.Blocks) {
			continue
		}
		for _, i := range f.Blocks[blk].Insts {
			b.WriteString("    ")
			b.WriteString(f.InstString(i))
			b.WriteString("\n")
		}
	}
	b.WriteString("}\n")
	io.WriteString(w, b.String())
}

// quoteName returns a function name as printed after '%': bare if it is a
// simple identifier, else Go-quoted.
func quoteName(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if !isNameChar(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func isNameChar(r rune) bool {
	return r == '_' || r == '.' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func (f *Func) printBlockHeader(b *strings.Builder, blk Block) {
	b.WriteString(blk.String())
	if int(blk) < len(f.Blocks) && len(f.Blocks[blk].Params) > 0 {
		b.WriteString("(")
		for n, p := range f.Blocks[blk].Params {
			if n > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%s: %s", p, f.typeOf(p))
		}
		b.WriteString(")")
	}
	b.WriteString(":\n")
}

func (f *Func) typeOf(v Value) Type {
	if v < 0 || int(v) >= len(f.Values) {
		return InvalidType
	}
	return f.Values[v].Type
}

// InstString formats one instruction (without indentation or newline).
func (f *Func) InstString(i Inst) string {
	if i < 0 || int(i) >= len(f.Insts) {
		return "<bad " + i.String() + ">"
	}
	d := &f.Insts[i]
	info := d.Op.info()
	var b strings.Builder
	if d.Pos != 0 {
		fmt.Fprintf(&b, "@%04x ", d.Pos)
	}
	if len(d.Results) > 0 {
		f.writeValues(&b, d.Results)
		b.WriteString(" = ")
	}
	b.WriteString(info.name)
	if info.types != tsNone {
		b.WriteString(".")
		b.WriteString(d.Type.String())
	}
	ops := make([]string, 0, 4)
	args := d.Args
	switch info.format {
	case fmtConst:
		ops = append(ops, formatConst(d.Type, d.Imm))
	case fmtArgs:
		for _, s := range info.syms {
			if s != symNone {
				idx := d.Index
				if len(ops) == 1 {
					idx = d.Index2
				}
				ops = append(ops, fmt.Sprintf("%s%d", symPrefix[s], idx))
			}
		}
	case fmtCompare:
		if d.Op == OpIcmp {
			b.WriteString(" " + IntCC(d.Cond).String())
		} else {
			b.WriteString(" " + FloatCC(d.Cond).String())
		}
	case fmtLoad, fmtStore:
		if d.Flags&MemChecked != 0 {
			b.WriteString(" checked")
		}
		ops = append(ops, fmt.Sprintf("mem%d", d.Index))
		if len(args) > 0 {
			a := f.Resolve(args[0]).String()
			if d.Imm != 0 {
				a += "+" + strconv.FormatUint(d.Imm, 10)
			}
			ops = append(ops, a)
			args = args[1:]
		}
	case fmtCall:
		b.WriteString(fmt.Sprintf(" fn%d(", d.Index))
		f.writeValues(&b, args)
		b.WriteString(")")
		return b.String()
	case fmtCallIndirect:
		b.WriteString(fmt.Sprintf(" type%d, table%d, ", d.Index, d.Index2))
		if len(args) > 0 {
			b.WriteString(f.Resolve(args[0]).String())
			args = args[1:]
		}
		b.WriteString("(")
		f.writeValues(&b, args)
		b.WriteString(")")
		return b.String()
	case fmtTrap:
		return b.String() + " " + d.Trap.String()
	case fmtCondTrap:
		b.WriteString(" ")
		f.writeValues(&b, args)
		return b.String() + ", " + d.Trap.String()
	case fmtJump, fmtBrif, fmtBrTable:
		for _, a := range args {
			ops = append(ops, f.Resolve(a).String())
		}
		dests := d.Dests
		if d.Op == OpBrTable && len(dests) > 0 {
			var t strings.Builder
			t.WriteString("[")
			for n, dc := range dests[:len(dests)-1] {
				if n > 0 {
					t.WriteString(", ")
				}
				f.writeBlockCall(&t, dc)
			}
			t.WriteString("]")
			ops = append(ops, t.String())
			dests = dests[len(dests)-1:]
		}
		for _, dc := range dests {
			var t strings.Builder
			f.writeBlockCall(&t, dc)
			ops = append(ops, t.String())
		}
		args = nil
	}
	for _, a := range args {
		ops = append(ops, f.Resolve(a).String())
	}
	if len(ops) > 0 {
		b.WriteString(" ")
		b.WriteString(strings.Join(ops, ", "))
	}
	return b.String()
}

func (f *Func) writeValues(b *strings.Builder, vs []Value) {
	for n, v := range vs {
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Resolve(v).String())
	}
}

func (f *Func) writeBlockCall(b *strings.Builder, dc BlockCall) {
	b.WriteString(dc.Block.String())
	if len(dc.Args) > 0 {
		b.WriteString("(")
		f.writeValues(b, dc.Args)
		b.WriteString(")")
	}
}

// formatConst prints constant bits: integers as signed decimal, floats as
// the shortest decimal that reads back to the same bits, "inf", "-inf", or
// "nan:0x..." with the exact bit pattern.
func formatConst(t Type, bits uint64) string {
	switch t {
	case I32:
		return strconv.FormatInt(int64(int32(uint32(bits))), 10)
	case I64:
		return strconv.FormatInt(int64(bits), 10)
	case F32:
		x := math.Float32frombits(uint32(bits))
		switch {
		case x != x:
			return fmt.Sprintf("nan:0x%08x", uint32(bits))
		case math.IsInf(float64(x), 1):
			return "inf"
		case math.IsInf(float64(x), -1):
			return "-inf"
		}
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case F64:
		x := math.Float64frombits(bits)
		switch {
		case x != x:
			return fmt.Sprintf("nan:0x%016x", bits)
		case math.IsInf(x, 1):
			return "inf"
		case math.IsInf(x, -1):
			return "-inf"
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprintf("0x%x", bits)
}
