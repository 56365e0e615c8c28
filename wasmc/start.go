package wasmc

// decodeStart decodes the start section: one function index.
func (m *Module) decodeStart(r *reader) error {
	var err error
	m.Start, err = r.u32()
	m.HasStart = err == nil
	return err
}
