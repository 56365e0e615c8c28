package wasmc

// decodeDatas decodes the data section. Each segment starts with a flags
// field: 0 (active, memory 0, offset expression), 1 (passive) or 2 (active
// with an explicit memory index), then the bytes.
func (m *Module) decodeDatas(r *reader) error {
	n, err := r.count(2)
	if err != nil {
		return err
	}
	m.Datas = make([]Data, 0, n)
	for i := 0; i < n; i++ {
		d := Data{Offset: r.off()}
		flags, err := r.u32()
		if err != nil {
			return err
		}
		switch flags {
		case 0:
		case 1:
			d.Mode = ModePassive
		case 2:
			if d.Memory, err = r.u32(); err != nil {
				return err
			}
		default:
			return r.errAt(d.Offset, "malformed data segment %d: flags %d (must be 0, 1 or 2)", i, flags)
		}
		if flags != 0 {
			if err := m.need(FeatureBulkMemory, r, d.Offset, "a data segment with flags "+itoa(int(flags))); err != nil {
				return err
			}
		}
		if d.Mode == ModeActive {
			if d.OffsetExpr, err = m.readConstExpr(r); err != nil {
				return err
			}
		}
		size, err := r.count(1)
		if err != nil {
			return err
		}
		d.Init, _ = r.bytes(size)
		m.Datas = append(m.Datas, d)
	}
	return nil
}
