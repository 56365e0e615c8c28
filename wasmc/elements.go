package wasmc

// decodeElems decodes the element section. Each segment starts with a
// flags field (0-7): bit 0 set means passive or declarative (bit 1 then
// chooses declarative), otherwise active, where bit 1 means an explicit
// table index; bit 2 means the initializers are constant expressions
// rather than function indices.
func (m *Module) decodeElems(r *reader) error {
	n, err := r.count(2)
	if err != nil {
		return err
	}
	m.Elems = make([]Elem, 0, n)
	for i := 0; i < n; i++ {
		e := Elem{Offset: r.off(), Type: FuncRef}
		e.Flags, err = r.u32()
		if err != nil {
			return err
		}
		if e.Flags > 7 {
			return r.errAt(e.Offset, "malformed element segment %d: flags %d (must be 0-7)", i, e.Flags)
		}
		if e.Flags != 0 && m.enabled&(FeatureBulkMemory|FeatureRefTypes) == 0 {
			// Which feature is used is decided by Validate (passive:
			// bulk memory; declarative, expressions: reference types).
			return r.errAt(e.Offset, "an element segment with flags %d requires the bulk-memory or reference-types feature, which is not enabled", e.Flags)
		}
		passiveOrDecl := e.Flags&1 != 0
		explicitTable := e.Flags&2 != 0
		e.UsesExprs = e.Flags&4 != 0
		switch {
		case passiveOrDecl && explicitTable:
			e.Mode = ModeDeclarative
		case passiveOrDecl:
			e.Mode = ModePassive
		default:
			e.Mode = ModeActive
		}
		if e.Mode == ModeActive {
			if explicitTable {
				if e.Table, err = r.u32(); err != nil {
					return err
				}
			}
			if e.OffsetExpr, err = m.readConstExpr(r); err != nil {
				return err
			}
		}
		// The element type is implicit (funcref) for flags 0 and 4.
		if e.Flags&3 != 0 {
			if e.UsesExprs {
				if e.Type, err = m.readRefType(r); err != nil {
					return err
				}
			} else {
				off := r.off()
				kind, err := r.byte()
				if err != nil {
					return err
				}
				if kind != 0 {
					return r.errAt(off, "malformed element kind %#x (only 0x00, funcref, exists)", kind)
				}
			}
		}
		if e.UsesExprs {
			cnt, err := r.count(2)
			if err != nil {
				return err
			}
			e.Exprs = make([]ConstExpr, cnt)
			for j := range e.Exprs {
				if e.Exprs[j], err = m.readConstExpr(r); err != nil {
					return err
				}
			}
		} else {
			cnt, err := r.count(1)
			if err != nil {
				return err
			}
			e.Funcs = make([]uint32, cnt)
			for j := range e.Funcs {
				if e.Funcs[j], err = r.u32(); err != nil {
					return err
				}
			}
		}
		m.Elems = append(m.Elems, e)
	}
	return nil
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}
