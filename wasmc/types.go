package wasmc

// decodeTypes decodes the type section: a vector of function types, each
// 0x60 followed by the parameter and result type vectors.
func (m *Module) decodeTypes(r *reader) error {
	n, err := r.count(3)
	if err != nil {
		return err
	}
	m.Types = make([]FuncType, 0, n)
	for i := 0; i < n; i++ {
		off := r.off()
		form, err := r.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return r.errAt(off, "malformed function type %d: form byte %#x, expected 0x60", i, form)
		}
		var ft FuncType
		if ft.Params, err = m.readValTypes(r); err != nil {
			return err
		}
		resOff := r.off()
		if ft.Results, err = m.readValTypes(r); err != nil {
			return err
		}
		if len(ft.Results) > 1 {
			if err := m.need(FeatureMultiValue, r, resOff, "a function type with several results"); err != nil {
				return err
			}
		}
		m.Types = append(m.Types, ft)
	}
	return nil
}

func (m *Module) readValTypes(r *reader) ([]ValType, error) {
	n, err := r.count(1)
	if err != nil {
		return nil, err
	}
	ts := make([]ValType, n)
	for i := range ts {
		if ts[i], err = m.readValType(r); err != nil {
			return nil, err
		}
	}
	return ts, nil
}
