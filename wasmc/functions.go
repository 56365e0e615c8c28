package wasmc

// decodeFunctions decodes the function section: the type index of each
// function defined by the module (their bodies are in the code section).
func (m *Module) decodeFunctions(r *reader) error {
	n, err := r.count(1)
	if err != nil {
		return err
	}
	m.Funcs = make([]uint32, n)
	for i := range m.Funcs {
		if m.Funcs[i], err = r.u32(); err != nil {
			return err
		}
	}
	return nil
}
