package wasmc

// decodeMemories decodes the memory section: a vector of memory types.
func (m *Module) decodeMemories(r *reader) error {
	n, err := r.count(2)
	if err != nil {
		return err
	}
	m.Memories = make([]MemoryType, 0, n)
	for i := 0; i < n; i++ {
		m.memOffsets = append(m.memOffsets, r.off())
		t, err := readMemoryType(r)
		if err != nil {
			return err
		}
		m.Memories = append(m.Memories, t)
	}
	return nil
}

// readMemoryType reads limits in 64 KiB pages.
func readMemoryType(r *reader) (MemoryType, error) {
	l, err := readLimits(r)
	return MemoryType{Limits: l}, err
}
