package wasmc

// decodeGlobals decodes the global section: a global type and an
// initializer (a constant expression) for each global.
func (m *Module) decodeGlobals(r *reader) error {
	n, err := r.count(3)
	if err != nil {
		return err
	}
	m.Globals = make([]Global, 0, n)
	for i := 0; i < n; i++ {
		g := Global{Offset: r.off()}
		if g.Type, err = m.readGlobalType(r); err != nil {
			return err
		}
		if g.Init, err = m.readConstExpr(r); err != nil {
			return err
		}
		m.Globals = append(m.Globals, g)
	}
	return nil
}

// readGlobalType reads a value type and a mutability byte (0 or 1).
func (m *Module) readGlobalType(r *reader) (GlobalType, error) {
	var g GlobalType
	var err error
	if g.Type, err = m.readValType(r); err != nil {
		return g, err
	}
	off := r.off()
	mut, err := r.byte()
	if err != nil {
		return g, err
	}
	switch mut {
	case 0:
	case 1:
		g.Mutable = true
	default:
		return g, r.errAt(off, "malformed mutability %#x (must be 0 or 1)", mut)
	}
	return g, nil
}
