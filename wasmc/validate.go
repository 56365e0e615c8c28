package wasmc

// maxPages is the largest memory size in 64 KiB pages (4 GiB).
const maxPages = 65536

// moduleCtx is the validation context C of the spec: the index spaces of
// the module, imports first.
type moduleCtx struct {
	funcs      []uint32 // type index of each function
	tables     []TableType
	mems       []MemoryType
	globals    []GlobalType
	numImpGlob int
	refs       map[uint32]bool // C.refs: functions that ref.func may name
}

// Validate checks the validation rules of WebAssembly 2.0 on a decoded
// module, including the type checking of every function body. It also
// computes the features the module uses (see Features).
func Validate(m *Module) error {
	m.validated = true
	c := &moduleCtx{refs: map[uint32]bool{}}
	// Index spaces.
	for i := range m.Imports {
		imp := &m.Imports[i]
		switch imp.Kind {
		case KindFunc:
			if int64(imp.Type) >= int64(len(m.Types)) {
				return errf("import", imp.Offset, "unknown type %d for imported function %q.%q (the module has %d types)", imp.Type, imp.Module, imp.Name, len(m.Types))
			}
			c.funcs = append(c.funcs, imp.Type)
		case KindTable:
			if err := checkTableLimits(imp.Table.Limits, "import", imp.Offset); err != nil {
				return err
			}
			c.tables = append(c.tables, imp.Table)
		case KindMemory:
			if err := checkMemLimits(imp.Memory.Limits, "import", imp.Offset); err != nil {
				return err
			}
			c.mems = append(c.mems, imp.Memory)
		case KindGlobal:
			if imp.Global.Mutable {
				m.used |= FeatureMutableGlobals
			}
			c.globals = append(c.globals, imp.Global)
		}
	}
	c.numImpGlob = len(c.globals)
	for i, ti := range m.Funcs {
		if int64(ti) >= int64(len(m.Types)) {
			return errf("function", m.sectionOffsets[secFunction], "unknown type %d for function %d (the module has %d types)", ti, m.NumImportedFuncs+i, len(m.Types))
		}
		c.funcs = append(c.funcs, ti)
	}
	for i := range m.Tables {
		if err := checkTableLimits(m.Tables[i].Limits, "table", entryOffset(m.tableOffsets, i, m.sectionOffsets[secTable])); err != nil {
			return err
		}
		c.tables = append(c.tables, m.Tables[i])
	}
	if len(c.tables) > 1 {
		r := newReader(nil, 0, "table")
		if err := m.need(FeatureRefTypes, r, m.sectionOffsets[secTable], "more than one table"); err != nil {
			return err
		}
	}
	for i := range m.Memories {
		if err := checkMemLimits(m.Memories[i].Limits, "memory", entryOffset(m.memOffsets, i, m.sectionOffsets[secMemory])); err != nil {
			return err
		}
		c.mems = append(c.mems, m.Memories[i])
	}
	if len(c.mems) > 1 {
		off := entryOffset(m.memOffsets, len(m.memOffsets)-1, m.sectionOffsets[secImport])
		return errf("memory", off, "multiple memories: %d memories but at most one is allowed", len(c.mems)).needs(ProposalMultiMemory)
	}
	for _, t := range c.tables {
		if t.Elem == ExternRef {
			m.used |= FeatureRefTypes
		}
	}

	// Globals: initializers see only the imported globals.
	for i := range m.Globals {
		g := &m.Globals[i]
		if err := m.validateConstExpr(c, g.Init, g.Type.Type, "global"); err != nil {
			return err
		}
		c.globals = append(c.globals, g.Type)
	}

	// Element segments.
	for i := range m.Elems {
		e := &m.Elems[i]
		switch e.Mode {
		case ModePassive:
			m.used |= FeatureBulkMemory
		case ModeDeclarative:
			m.used |= FeatureRefTypes
		}
		if e.Type == ExternRef || e.UsesExprs {
			m.used |= FeatureRefTypes
		}
		if e.Mode == ModeActive {
			if int64(e.Table) >= int64(len(c.tables)) {
				return errf("element", e.Offset, "unknown table %d in element segment %d", e.Table, i)
			}
			if e.Table != 0 {
				m.used |= FeatureRefTypes
			}
			if c.tables[e.Table].Elem != e.Type {
				return errf("element", e.Offset, "type mismatch: element segment %d of type %s for table %d of type %s", i, e.Type, e.Table, c.tables[e.Table].Elem)
			}
			if err := m.validateConstExpr(c, e.OffsetExpr, I32, "element"); err != nil {
				return err
			}
		}
		for _, f := range e.Funcs {
			if int64(f) >= int64(len(c.funcs)) {
				return errf("element", e.Offset, "unknown function %d in element segment %d", f, i)
			}
			c.refs[f] = true
		}
		for _, x := range e.Exprs {
			if err := m.validateConstExpr(c, x, e.Type, "element"); err != nil {
				return err
			}
		}
	}

	// Data segments.
	for i := range m.Datas {
		d := &m.Datas[i]
		if d.Mode == ModePassive {
			m.used |= FeatureBulkMemory
			continue
		}
		if int64(d.Memory) >= int64(len(c.mems)) {
			return errf("data", d.Offset, "unknown memory %d in data segment %d", d.Memory, i)
		}
		if err := m.validateConstExpr(c, d.OffsetExpr, I32, "data"); err != nil {
			return err
		}
	}

	// Start function.
	if m.HasStart {
		off := m.sectionOffsets[secStart]
		if int64(m.Start) >= int64(len(c.funcs)) {
			return errf("start", off, "unknown function %d as start function", m.Start)
		}
		ft := m.Types[c.funcs[m.Start]]
		if len(ft.Params) != 0 || len(ft.Results) != 0 {
			return errf("start", off, "start function %d must have type [] -> [], has %s", m.Start, ft)
		}
	}

	// Exports.
	names := make(map[string]bool, len(m.Exports))
	for i := range m.Exports {
		e := &m.Exports[i]
		if names[e.Name] {
			return errf("export", e.Offset, "duplicate export name %q", e.Name)
		}
		names[e.Name] = true
		var n int
		switch e.Kind {
		case KindFunc:
			n = len(c.funcs)
			if int64(e.Index) < int64(n) {
				c.refs[e.Index] = true
			}
		case KindTable:
			n = len(c.tables)
		case KindMemory:
			n = len(c.mems)
		case KindGlobal:
			n = len(c.globals)
			if int64(e.Index) < int64(n) && c.globals[e.Index].Mutable {
				r := newReader(nil, 0, "export")
				if err := m.need(FeatureMutableGlobals, r, e.Offset, "export of a mutable global"); err != nil {
					return err
				}
			}
		}
		if int64(e.Index) >= int64(n) {
			return errf("export", e.Offset, "unknown %s %d in export %q", e.Kind, e.Index, e.Name)
		}
	}

	// Function bodies.
	if len(m.Code) != len(m.Funcs) {
		return errf("code", m.sectionOffsets[secCode], "function and code section have inconsistent lengths: %d functions, %d bodies", len(m.Funcs), len(m.Code))
	}
	v := &funcValidator{m: m, c: c}
	for i := range m.Code {
		if err := v.validate(m.NumImportedFuncs+i, &m.Code[i]); err != nil {
			return err
		}
	}
	return nil
}

// entryOffset is offs[i], or def if the module was not built by Decode.
func entryOffset(offs []int, i, def int) int {
	if i >= 0 && i < len(offs) {
		return offs[i]
	}
	return def
}

func checkTableLimits(l Limits, section string, off int) error {
	if l.HasMax && l.Min > l.Max {
		return errf(section, off, "size minimum must not be greater than maximum: table limits min %d > max %d", l.Min, l.Max)
	}
	return nil
}

func checkMemLimits(l Limits, section string, off int) error {
	if l.Min > maxPages {
		return errf(section, off, "memory size must be at most %d pages (4 GiB): min is %d", maxPages, l.Min)
	}
	if l.HasMax && l.Max > maxPages {
		return errf(section, off, "memory size must be at most %d pages (4 GiB): max is %d", maxPages, l.Max)
	}
	if l.HasMax && l.Min > l.Max {
		return errf(section, off, "size minimum must not be greater than maximum: memory limits min %d > max %d", l.Min, l.Max)
	}
	return nil
}

// validateConstExpr checks a constant expression: only t.const, ref.null,
// ref.func and global.get of an imported immutable global, leaving exactly
// one value of type want. ref.func adds its function to C.refs.
func (m *Module) validateConstExpr(c *moduleCtx, e ConstExpr, want ValType, section string) error {
	r := newReader(e.Bytes, e.Offset, section)
	var ins Instr
	var stack []ValType
	for {
		if err := m.readInstr(r, &ins); err != nil {
			return err
		}
		var t ValType
		switch ins.Op {
		case OpI32Const:
			t = I32
		case OpI64Const:
			t = I64
		case OpF32Const:
			t = F32
		case OpF64Const:
			t = F64
		case OpRefNull:
			t = ins.Ref
		case OpRefFunc:
			if int64(ins.A) >= int64(len(c.funcs)) {
				return r.errAt(ins.Offset, "unknown function %d in ref.func", ins.A)
			}
			c.refs[ins.A] = true
			t = FuncRef
		case OpGlobalGet:
			if int64(ins.A) >= int64(c.numImpGlob) {
				return r.errAt(ins.Offset, "unknown global %d: constant expressions may only read imported globals (%d imported)", ins.A, c.numImpGlob)
			}
			g := c.globals[ins.A]
			if g.Mutable {
				return r.errAt(ins.Offset, "constant expression required: global %d is mutable", ins.A)
			}
			t = g.Type
		case OpEnd:
			if len(stack) != 1 || stack[0] != want {
				return r.errAt(ins.Offset, "type mismatch: constant expression must produce one %s, produces %s", want, typesString(stack))
			}
			if !r.eof() {
				return r.errf("constant expression continues after its end")
			}
			return nil
		default:
			return r.errAt(ins.Offset, "constant expression required: opcode %s is not constant", hexByte(ins.Op))
		}
		stack = append(stack, t)
	}
}
