package wasmc

// decodeExports decodes the export section: a name, a kind byte and an index.
func (m *Module) decodeExports(r *reader) error {
	n, err := r.count(3)
	if err != nil {
		return err
	}
	m.Exports = make([]Export, 0, n)
	for i := 0; i < n; i++ {
		e := Export{Offset: r.off()}
		if e.Name, err = r.name(); err != nil {
			return err
		}
		kindOff := r.off()
		k, err := r.byte()
		if err != nil {
			return err
		}
		if k > byte(KindGlobal) {
			return r.errAt(kindOff, "malformed export kind %#x", k)
		}
		e.Kind = ExternKind(k)
		if e.Index, err = r.u32(); err != nil {
			return err
		}
		m.Exports = append(m.Exports, e)
	}
	return nil
}
