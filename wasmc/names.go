package wasmc

// decodeCustom decodes a custom section: a name, then bytes. Every custom
// section is kept raw in Module.Customs; the "name" section is also parsed
// into Module.Names. Per the spec, a malformed name section does not make
// the module malformed: it is ignored and the reason kept in NamesErr.
func (m *Module) decodeCustom(r *reader, secOff int) error {
	name, err := r.name()
	if err != nil {
		return err
	}
	dataOff := r.off()
	data, _ := r.bytes(r.remaining())
	m.Customs = append(m.Customs, CustomSection{Name: name, Data: data, Offset: secOff})
	if name == "name" && m.Names == nil && m.NamesErr == nil {
		nr := newReader(data, dataOff, "name")
		names, err := decodeNames(nr)
		if err != nil {
			m.NamesErr = err
		} else {
			m.Names = names
		}
	}
	return nil
}

// decodeNames parses the subsections of the name section: 0 module name,
// 1 function names (a name map), 2 local names (an indirect name map).
// Other subsections are skipped. Subsections must appear at most once, in
// increasing id order.
func decodeNames(r *reader) (*Names, error) {
	n := &Names{}
	last := -1
	for !r.eof() {
		off := r.off()
		id, _ := r.byte()
		if int(id) <= last {
			return nil, r.errAt(off, "name subsection %d is duplicated or out of order", id)
		}
		last = int(id)
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		if uint64(size) > uint64(r.remaining()) {
			return nil, r.errAt(off, "name subsection %d: size %d but %d bytes left", id, size, r.remaining())
		}
		body, _ := r.bytes(int(size))
		sr := newReader(body, r.off()-int(size), "name")
		switch id {
		case 0:
			if n.Module, err = sr.name(); err != nil {
				return nil, err
			}
			n.HasModule = true
		case 1:
			if n.Funcs, err = readNameMap(sr); err != nil {
				return nil, err
			}
		case 2:
			cnt, err := sr.count(2)
			if err != nil {
				return nil, err
			}
			n.Locals = make(map[uint32]map[uint32]string, cnt)
			prev := int64(-1)
			for i := 0; i < cnt; i++ {
				ioff := sr.off()
				idx, err := sr.u32()
				if err != nil {
					return nil, err
				}
				if int64(idx) <= prev {
					return nil, sr.errAt(ioff, "local names: function indices not in increasing order")
				}
				prev = int64(idx)
				if n.Locals[idx], err = readNameMap(sr); err != nil {
					return nil, err
				}
			}
		default:
			continue
		}
		if !sr.eof() {
			return nil, sr.errf("name subsection %d: %d bytes left over", id, sr.remaining())
		}
	}
	return n, nil
}

// readNameMap reads a vector of (index, name) pairs with increasing indices.
func readNameMap(r *reader) (map[uint32]string, error) {
	cnt, err := r.count(2)
	if err != nil {
		return nil, err
	}
	nm := make(map[uint32]string, cnt)
	prev := int64(-1)
	for i := 0; i < cnt; i++ {
		off := r.off()
		idx, err := r.u32()
		if err != nil {
			return nil, err
		}
		if int64(idx) <= prev {
			return nil, r.errAt(off, "name map indices not in increasing order")
		}
		prev = int64(idx)
		if nm[idx], err = r.name(); err != nil {
			return nil, err
		}
	}
	return nm, nil
}
