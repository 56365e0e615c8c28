package hosted

// sliceMemory is a linear memory in a Go slice that grows by copying, as wazero's
// own does: the fallback where no reservation can be made.
type sliceMemory struct{ b []byte }

func (s *sliceMemory) Reallocate(size uint64) []byte {
	if size > uint64(cap(s.b)) {
		nb := make([]byte, size, max(size, uint64(cap(s.b))*2))
		copy(nb, s.b)
		s.b = nb
	}
	s.b = s.b[:size]
	return s.b
}

func (s *sliceMemory) Free() { s.b = nil }
