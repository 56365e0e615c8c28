package wasmc

// decodeTables decodes the table section: a vector of table types.
func (m *Module) decodeTables(r *reader) error {
	n, err := r.count(3)
	if err != nil {
		return err
	}
	m.Tables = make([]TableType, 0, n)
	for i := 0; i < n; i++ {
		m.tableOffsets = append(m.tableOffsets, r.off())
		t, err := m.readTableType(r)
		if err != nil {
			return err
		}
		m.Tables = append(m.Tables, t)
	}
	return nil
}

// readTableType reads a reference type then limits.
func (m *Module) readTableType(r *reader) (TableType, error) {
	var t TableType
	var err error
	if t.Elem, err = m.readRefType(r); err != nil {
		return t, err
	}
	t.Limits, err = readLimits(r)
	return t, err
}
