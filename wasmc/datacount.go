package wasmc

// decodeDataCount decodes the data count section: the number of data
// segments, given before the code section so that memory.init and
// data.drop can be checked in one pass.
func (m *Module) decodeDataCount(r *reader) error {
	off := r.off()
	var err error
	m.DataCount, err = r.u32()
	if err != nil {
		return err
	}
	if err := m.need(FeatureBulkMemory, r, off, "the data count section"); err != nil {
		return err
	}
	m.HasDataCount = true
	return nil
}
