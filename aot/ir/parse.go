package ir

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Parse reads exactly one function in text form.
func Parse(text string) (*Func, error) {
	fs, err := ParseFuncs(text)
	if err != nil {
		return nil, err
	}
	if len(fs) != 1 {
		return nil, fmt.Errorf("ir: expected exactly one function, found %d", len(fs))
	}
	return fs[0], nil
}

// ParseFuncs reads any number of functions in text form. Errors name the
// line and the function being parsed.
func ParseFuncs(text string) ([]*Func, error) {
	p := &parser{lines: strings.Split(text, "\n")}
	var out []*Func
	for {
		if !p.nextLine() {
			return out, nil
		}
		f, err := p.parseFunc()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
}

type token struct {
	text string
	col  int // byte offset in the line
}

type parser struct {
	lines []string
	ln    int // index of the current line + 1
	raw   string
	toks  []token
	pos   int
	fn    *Func

	defined map[Value]bool
	used    map[Value]int // value -> first line using it
	blocks  map[Block]int // block -> first line referencing it
}

type parseError struct{ msg string }

// fail aborts parsing with an error at the current line.
func (p *parser) fail(format string, args ...any) {
	where := fmt.Sprintf("line %d", p.ln)
	if p.fn != nil {
		where = fmt.Sprintf("func %%%s, line %d", quoteName(p.fn.Name), p.ln)
	}
	panic(parseError{fmt.Sprintf("ir: %s: %s", where, fmt.Sprintf(format, args...))})
}

// nextLine advances to the next line that has tokens.
func (p *parser) nextLine() bool {
	for p.ln < len(p.lines) {
		p.raw = p.lines[p.ln]
		p.ln++
		if i := strings.IndexByte(p.raw, ';'); i >= 0 {
			p.raw = p.raw[:i]
		}
		p.toks = tokenize(p.raw)
		p.pos = 0
		if len(p.toks) > 0 {
			return true
		}
	}
	return false
}

func tokenize(s string) []token {
	var ts []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '>':
			ts = append(ts, token{"->", i})
			i += 2
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j < len(s) {
				j++
			}
			if j > len(s) {
				j = len(s)
			}
			ts = append(ts, token{s[i:j], i})
			i = j
		case isNameChar(rune(c)) || c == '-' && i+1 < len(s) && isNameChar(rune(s[i+1])):
			j := i + 1
			for j < len(s) && isNameChar(rune(s[j])) {
				j++
			}
			ts = append(ts, token{s[i:j], i})
			i = j
		default:
			ts = append(ts, token{s[i : i+1], i})
			i++
		}
	}
	return ts
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].text
	}
	return ""
}

func (p *parser) next() string {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *parser) expect(want string) {
	if got := p.next(); got != want {
		p.fail("expected %q, found %s", want, describe(got))
	}
}

func (p *parser) accept(t string) bool {
	if p.peek() == t {
		p.pos++
		return true
	}
	return false
}

func (p *parser) atEnd() bool { return p.pos >= len(p.toks) }

func (p *parser) expectEnd() {
	if !p.atEnd() {
		p.fail("unexpected %s at end of line", describe(p.peek()))
	}
}

func describe(t string) string {
	if t == "" {
		return "end of line"
	}
	return strconv.Quote(t)
}

func (p *parser) parseFunc() (f *Func, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(parseError)
			if !ok {
				panic(r)
			}
			f, err = nil, fmt.Errorf("%s", pe.msg)
		}
	}()
	p.fn = nil
	p.expect("func")
	p.expect("%")
	name := p.next()
	if strings.HasPrefix(name, `"`) {
		s, e := strconv.Unquote(name)
		if e != nil {
			p.fail("bad quoted function name %s", name)
		}
		name = s
	} else if name == "" || !isNameChar(rune(name[0])) {
		p.fail("expected function name after %%, found %s", describe(name))
	}
	f = NewFunc(name, p.parseSig())
	p.fn = f
	p.expect("{")
	p.expectEnd()
	p.defined = map[Value]bool{}
	p.used = map[Value]int{}
	p.blocks = map[Block]int{}
	cur := NoBlock
	for {
		if !p.nextLine() {
			p.fail("missing closing }")
		}
		t := p.peek()
		switch {
		case t == "}":
			p.next()
			p.expectEnd()
			p.finish()
			return f, nil
		case strings.HasPrefix(t, "block") && p.pos+1 < len(p.toks) && (p.toks[1].text == ":" || p.toks[1].text == "("):
			cur = p.parseBlockHeader()
		case (strings.HasPrefix(t, "fn") || strings.HasPrefix(t, "type")) && len(p.toks) > 1 && p.toks[1].text == "=":
			if cur != NoBlock {
				p.fail("declaration %s after the first block", t)
			}
			p.parseDecl()
		default:
			if cur == NoBlock {
				p.fail("instruction before the first block header")
			}
			p.parseInst(cur)
		}
	}
}

func (p *parser) finish() {
	for v, ln := range p.used {
		if !p.defined[v] {
			p.ln = ln
			p.fail("%s is used but never defined", v)
		}
	}
	for b, ln := range p.blocks {
		if !p.fn.ValidBlock(b) {
			p.ln = ln
			p.fail("%s is a branch target but has no header", b)
		}
	}
}

func (p *parser) parseSig() Signature {
	var s Signature
	p.expect("(")
	s.Params = p.parseTypeList(")")
	if p.accept("->") {
		if p.accept("(") {
			s.Results = p.parseTypeList(")")
		} else {
			s.Results = []Type{p.parseType()}
		}
	}
	return s
}

// parseTypeList parses "T, T, ...<close>" after the opening parenthesis.
func (p *parser) parseTypeList(close string) []Type {
	ts := []Type{}
	if p.accept(close) {
		return ts
	}
	for {
		ts = append(ts, p.parseType())
		if p.accept(close) {
			return ts
		}
		p.expect(",")
	}
}

func (p *parser) parseType() Type {
	t := p.next()
	ty, ok := ParseType(t)
	if !ok {
		p.fail("expected a type (i32, i64, f32, f64, v128, funcref, externref), found %s", describe(t))
	}
	return ty
}

func (p *parser) parseDecl() {
	t := p.next()
	p.expect("=")
	if n, ok := numSuffix(t, "fn"); ok {
		if _, dup := p.fn.Callees[n]; dup {
			p.fail("%s declared twice", t)
		}
		p.fn.Callees[n] = p.parseSig()
	} else if n, ok := numSuffix(t, "type"); ok {
		if _, dup := p.fn.Types[n]; dup {
			p.fail("%s declared twice", t)
		}
		p.fn.Types[n] = p.parseSig()
	} else {
		p.fail("bad declaration name %q (want fnN or typeN)", t)
	}
	p.expectEnd()
}

// numSuffix parses prefix+decimal.
func numSuffix(t, prefix string) (uint32, bool) {
	if !strings.HasPrefix(t, prefix) || len(t) == len(prefix) {
		return 0, false
	}
	s := t[len(prefix):]
	if len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}

func (p *parser) parseBlockHeader() Block {
	t := p.next()
	n, ok := numSuffix(t, "block")
	if !ok || n > 1<<24 {
		p.fail("bad block name %q", t)
	}
	b := Block(n)
	f := p.fn
	for len(f.Blocks) <= int(b) {
		f.Blocks = append(f.Blocks, BlockData{})
	}
	if f.Blocks[b].Live {
		p.fail("%s defined twice", b)
	}
	f.Blocks[b].Live = true
	f.Layout = append(f.Layout, b)
	if p.accept("(") && !p.accept(")") {
		for {
			v := p.parseValueDef()
			p.expect(":")
			ty := p.parseType()
			p.define(v, ValueData{Type: ty, Kind: ValueParam, Block: b, Num: len(f.Blocks[b].Params)})
			f.Blocks[b].Params = append(f.Blocks[b].Params, v)
			if p.accept(")") {
				break
			}
			p.expect(",")
		}
	}
	p.expect(":")
	p.expectEnd()
	return b
}

func (p *parser) valueNum(t string) Value {
	n, ok := numSuffix(t, "v")
	if !ok || n > 1<<28 {
		p.fail("expected a value (vN), found %s", describe(t))
	}
	return Value(n)
}

func (p *parser) parseValueDef() Value { return p.valueNum(p.next()) }

func (p *parser) define(v Value, d ValueData) {
	f := p.fn
	if p.defined[v] {
		p.fail("%s defined twice", v)
	}
	p.defined[v] = true
	for len(f.Values) <= int(v) {
		f.Values = append(f.Values, ValueData{})
	}
	f.Values[v] = d
}

func (p *parser) parseUse() Value {
	v := p.valueNum(p.next())
	if _, ok := p.used[v]; !ok {
		p.used[v] = p.ln
	}
	return v
}

// parseUses parses "v, v, ..." up to a closing token (not consumed) or the end of line.
func (p *parser) parseUses(close string) []Value {
	var vs []Value
	if p.atEnd() || p.peek() == close {
		return vs
	}
	for {
		vs = append(vs, p.parseUse())
		if !p.accept(",") {
			return vs
		}
	}
}

func (p *parser) parseSym(k symKind) uint32 {
	t := p.next()
	n, ok := numSuffix(t, symPrefix[k])
	if !ok {
		p.fail("expected %sN, found %s", symPrefix[k], describe(t))
	}
	return n
}

func (p *parser) parseBlockCall() BlockCall {
	t := p.next()
	n, ok := numSuffix(t, "block")
	if !ok {
		p.fail("expected a block, found %s", describe(t))
	}
	b := Block(n)
	if _, ok := p.blocks[b]; !ok {
		p.blocks[b] = p.ln
	}
	bc := BlockCall{Block: b}
	if p.accept("(") {
		bc.Args = p.parseUses(")")
		p.expect(")")
	}
	return bc
}

func (p *parser) parseInst(b Block) {
	f := p.fn
	var d InstData
	if p.accept("@") {
		t := p.next()
		n, err := strconv.ParseUint(t, 16, 32)
		if err != nil || n == 0 {
			p.fail("bad source offset @%s (want nonzero hex)", t)
		}
		d.Pos = uint32(n)
	}
	var results []Value
	if strings.HasPrefix(p.peek(), "v") && p.pos+1 < len(p.toks) && (p.toks[p.pos+1].text == "=" || p.toks[p.pos+1].text == ",") {
		for {
			results = append(results, p.parseValueDef())
			if p.accept("=") {
				break
			}
			p.expect(",")
		}
	}
	opTok := p.next()
	name, suffix, typed := strings.Cut(opTok, ".")
	op, ok := ParseOpcode(name)
	if !ok {
		p.fail("unknown opcode %s", describe(name))
	}
	d.Op = op
	info := op.info()
	if info.types != tsNone {
		if !typed {
			p.fail("%s needs a type suffix, as in %s.i32", name, name)
		}
		ty, ok := ParseType(suffix)
		if !ok {
			p.fail("bad type suffix %q on %s", suffix, name)
		}
		if !info.types.has(ty) {
			p.fail("%s does not take type %s", name, ty)
		}
		d.Type = ty
	} else if typed {
		p.fail("%s takes no type suffix", name)
	}
	switch info.format {
	case fmtConst:
		rest := ""
		if !p.atEnd() {
			rest = strings.TrimSpace(p.raw[p.toks[p.pos].col:])
		}
		bits, err := parseConst(d.Type, rest)
		if err != nil {
			p.fail("%s: %v", name, err)
		}
		d.Imm = bits
		p.pos = len(p.toks)
	case fmtArgs:
		first := true
		for n, s := range info.syms {
			if s == symNone {
				continue
			}
			if !first {
				p.expect(",")
			}
			first = false
			if n == 0 {
				d.Index = p.parseSym(s)
			} else {
				d.Index2 = p.parseSym(s)
			}
		}
		if len(info.args) > 0 && !first {
			p.expect(",")
		}
		d.Args = p.parseUses("")
		if len(d.Args) != len(info.args) {
			p.fail("%s takes %d value operands, found %d", name, len(info.args), len(d.Args))
		}
	case fmtCompare:
		c := p.next()
		found := false
		if op == OpIcmp {
			for cc := IntCC(0); cc < numIntCC; cc++ {
				if cc.String() == c {
					d.Cond, found = uint8(cc), true
				}
			}
		} else {
			for cc := FloatCC(0); cc < numFloatCC; cc++ {
				if cc.String() == c {
					d.Cond, found = uint8(cc), true
				}
			}
		}
		if !found {
			p.fail("bad %s condition %s", name, describe(c))
		}
		d.Args = p.parseUses("")
		if len(d.Args) != 2 {
			p.fail("%s takes 2 operands, found %d", name, len(d.Args))
		}
	case fmtLoad, fmtStore:
		if p.accept("checked") {
			d.Flags |= MemChecked
		}
		d.Index = p.parseSym(symMem)
		p.expect(",")
		d.Args = []Value{p.parseUse()}
		if p.accept("+") {
			t := p.next()
			n, err := strconv.ParseUint(t, 10, 64)
			if err != nil {
				p.fail("bad offset %s", describe(t))
			}
			d.Imm = n
		}
		if info.format == fmtStore {
			p.expect(",")
			d.Args = append(d.Args, p.parseUse())
		}
	case fmtCall:
		d.Index = p.parseSym(symFunc)
		if _, ok := f.Callees[d.Index]; !ok {
			p.fail("call to fn%d, which is not declared (add \"fn%d = (...) -> ...\" before the first block)", d.Index, d.Index)
		}
		p.expect("(")
		d.Args = p.parseUses(")")
		p.expect(")")
	case fmtCallIndirect:
		t := p.next()
		n, ok := numSuffix(t, "type")
		if !ok {
			p.fail("expected typeN, found %s", describe(t))
		}
		if _, ok := f.Types[n]; !ok {
			p.fail("call_indirect through type%d, which is not declared", n)
		}
		d.Index = n
		p.expect(",")
		d.Index2 = p.parseSym(symTable)
		p.expect(",")
		d.Args = []Value{p.parseUse()}
		p.expect("(")
		d.Args = append(d.Args, p.parseUses(")")...)
		p.expect(")")
	case fmtTrap, fmtCondTrap:
		if info.format == fmtCondTrap {
			d.Args = []Value{p.parseUse()}
			p.expect(",")
		}
		t := p.next()
		k, ok := ParseTrapKind(t)
		if !ok {
			p.fail("unknown trap kind %s", describe(t))
		}
		d.Trap = k
	case fmtJump:
		d.Dests = []BlockCall{p.parseBlockCall()}
	case fmtBrif:
		d.Args = []Value{p.parseUse()}
		p.expect(",")
		d.Dests = []BlockCall{p.parseBlockCall()}
		p.expect(",")
		d.Dests = append(d.Dests, p.parseBlockCall())
	case fmtBrTable:
		d.Args = []Value{p.parseUse()}
		p.expect(",")
		p.expect("[")
		if !p.accept("]") {
			for {
				d.Dests = append(d.Dests, p.parseBlockCall())
				if p.accept("]") {
					break
				}
				p.expect(",")
			}
		}
		p.expect(",")
		d.Dests = append(d.Dests, p.parseBlockCall())
	case fmtReturn:
		d.Args = p.parseUses("")
	}
	p.expectEnd()

	rts := f.ResultTypes(&d)
	if len(rts) != len(results) {
		p.fail("%s produces %d results, but %d are named", name, len(rts), len(results))
	}
	i := Inst(len(f.Insts))
	d.Results = results
	for n, v := range results {
		p.define(v, ValueData{Type: rts[n], Kind: ValueResult, Inst: i, Num: n})
	}
	f.Insts = append(f.Insts, d)
	f.AppendInst(b, i)
}

// parseConst parses the operand of iconst/fconst into exact bits.
func parseConst(t Type, s string) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("missing constant")
	}
	switch t {
	case I32, I64:
		bits := t.Bits()
		if strings.HasPrefix(s, "0x") {
			n, err := strconv.ParseUint(s[2:], 16, bits)
			if err != nil {
				return 0, fmt.Errorf("bad %s constant %q", t, s)
			}
			return n, nil
		}
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("bad %s constant %q (want a signed decimal or 0x hex that fits)", t, s)
		}
		if t == I32 {
			return uint64(uint32(n)), nil
		}
		return uint64(n), nil
	case F32, F64:
		if rest, ok := strings.CutPrefix(s, "nan:0x"); ok {
			n, err := strconv.ParseUint(rest, 16, t.Bits())
			ok := err == nil
			if t == F32 {
				ok = ok && math.IsNaN(float64(math.Float32frombits(uint32(n))))
			} else {
				ok = ok && math.IsNaN(math.Float64frombits(n))
			}
			if !ok {
				return 0, fmt.Errorf("bad NaN %q (want nan:0x followed by the bits of a NaN)", s)
			}
			return n, nil
		}
		switch s {
		case "inf", "-inf":
			x := math.Inf(1)
			if s[0] == '-' {
				x = math.Inf(-1)
			}
			if t == F32 {
				return uint64(math.Float32bits(float32(x))), nil
			}
			return math.Float64bits(x), nil
		}
		if strings.ContainsAny(s, "nN") || strings.Contains(strings.ToLower(s), "inf") {
			return 0, fmt.Errorf("bad %s constant %q (write inf, -inf or nan:0x<bits>)", t, s)
		}
		x, err := strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return 0, fmt.Errorf("bad %s constant %q", t, s)
		}
		if t == F32 {
			return uint64(math.Float32bits(float32(x))), nil
		}
		return math.Float64bits(x), nil
	}
	return 0, fmt.Errorf("no constants of type %s", t)
}
