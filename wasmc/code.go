package wasmc

// maxLocals is the limit on the number of locals of a function (parameters
// included) that the spec's binary format allows: the count must fit in a
// u32 ("too many locals").
const maxLocals = 1<<32 - 1

// MaxFuncLocals is our implementation limit on the locals of one function
// (parameters included), the same as V8's and wasmtime's. The spec allows
// up to 2^32-1, but no toolchain comes near 50000 and a compiler cannot
// give each of billions of locals a slot. Decode rejects more with a
// "too many locals" error.
const MaxFuncLocals = 50000

// decodeCode decodes the code section: for each function, its size, its
// local declarations and its instructions. The instructions are checked
// for syntax (opcodes, immediates, block nesting, final end) here and kept
// raw; Validate type-checks them.
func (m *Module) decodeCode(r *reader, funcCount int) error {
	start := r.off()
	n, err := r.count(2)
	if err != nil {
		return err
	}
	if n != funcCount {
		return r.errAt(start, "function and code section have inconsistent lengths: %d functions declared, %d bodies", funcCount, n)
	}
	m.Code = make([]Code, 0, n)
	var scratch Instr
	for i := 0; i < n; i++ {
		c := Code{Offset: r.off()}
		r.fn = m.NumImportedFuncs + i
		size, err := r.u32()
		if err != nil {
			return err
		}
		if uint64(size) > uint64(r.remaining()) {
			return r.errAt(c.Offset, "length out of bounds: function body of %d bytes but only %d bytes left in the section (unexpected end)", size, r.remaining())
		}
		bodyStart := r.off()
		raw, _ := r.bytes(int(size))
		br := newReader(raw, bodyStart, r.section)
		br.fn = r.fn
		groups, err := br.count(2)
		if err != nil {
			return err
		}
		c.Locals = make([]LocalGroup, 0, groups)
		for g := 0; g < groups; g++ {
			off := br.off()
			cnt, err := br.u32()
			if err != nil {
				return err
			}
			t, err := m.readValType(br)
			if err != nil {
				return err
			}
			c.NumLocals += uint64(cnt)
			if c.NumLocals > maxLocals {
				return br.errAt(off, "too many locals: more than %d", uint64(maxLocals))
			}
			if c.NumLocals > MaxFuncLocals {
				return br.errAt(off, "too many locals: %d or more declared, the implementation limit is %d", c.NumLocals, MaxFuncLocals)
			}
			c.Locals = append(c.Locals, LocalGroup{Count: cnt, Type: t})
		}
		c.BodyOffset = br.off()
		c.Body = raw[br.pos:]
		if err := m.scanExpr(br, &scratch, false); err != nil {
			return err
		}
		if !br.eof() {
			return br.errf("section size mismatch: %d bytes after the final end of the function body", br.remaining())
		}
		m.Code = append(m.Code, c)
	}
	r.fn = -1
	return nil
}

// scanExpr reads instructions up to and including the end that closes the
// expression, checking their syntax and the nesting of blocks. For a body
// it also checks that memory.init and data.drop have a data count section.
func (m *Module) scanExpr(r *reader, ins *Instr, constExpr bool) error {
	// depth counts open blocks; inIf[depth] tells whether else is allowed.
	var stack []byte // kind of each open block: OpBlock, OpLoop, OpIf, OpElse
	for {
		if r.eof() {
			if constExpr {
				return r.errf("unexpected end of constant expression (END opcode expected)")
			}
			return r.errf("unexpected end of function body (END opcode expected)")
		}
		if err := m.readInstr(r, ins); err != nil {
			return err
		}
		switch ins.Op {
		case OpBlock, OpLoop, OpIf:
			stack = append(stack, ins.Op)
		case OpElse:
			if len(stack) == 0 || stack[len(stack)-1] != OpIf {
				return r.errAt(ins.Offset, "else without a matching if")
			}
			stack[len(stack)-1] = OpElse
		case OpEnd:
			if len(stack) == 0 {
				return nil
			}
			stack = stack[:len(stack)-1]
		case OpPrefixFC:
			if !constExpr && (ins.Sub == FCMemoryInit || ins.Sub == FCDataDrop) && !m.HasDataCount {
				return r.errAt(ins.Offset, "data count section required: memory.init and data.drop need it")
			}
		}
	}
}

// readConstExpr reads a constant expression (checking syntax only).
func (m *Module) readConstExpr(r *reader) (ConstExpr, error) {
	start := r.pos
	e := ConstExpr{Offset: r.off()}
	var ins Instr
	if err := m.scanExpr(r, &ins, true); err != nil {
		return e, err
	}
	e.Bytes = r.b[start:r.pos:r.pos]
	return e, nil
}
