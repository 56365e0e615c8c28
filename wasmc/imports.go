package wasmc

// decodeImports decodes the import section: module name, field name, and
// an import description (kind byte then a type index, table type, memory
// type or global type).
func (m *Module) decodeImports(r *reader) error {
	n, err := r.count(4)
	if err != nil {
		return err
	}
	m.Imports = make([]Import, 0, n)
	for i := 0; i < n; i++ {
		imp := Import{Offset: r.off()}
		if imp.Module, err = r.name(); err != nil {
			return err
		}
		if imp.Name, err = r.name(); err != nil {
			return err
		}
		kindOff := r.off()
		k, err := r.byte()
		if err != nil {
			return err
		}
		imp.Kind = ExternKind(k)
		switch imp.Kind {
		case KindFunc:
			imp.Type, err = r.u32()
			m.NumImportedFuncs++
		case KindTable:
			imp.Table, err = m.readTableType(r)
			m.NumImportedTables++
		case KindMemory:
			imp.Memory, err = readMemoryType(r)
			m.NumImportedMemories++
		case KindGlobal:
			imp.Global, err = m.readGlobalType(r)
			if err == nil && imp.Global.Mutable {
				err = m.need(FeatureMutableGlobals, r, kindOff, "import of a mutable global")
			}
			m.NumImportedGlobals++
		default:
			return r.errAt(kindOff, "malformed import kind %#x", k)
		}
		if err != nil {
			return err
		}
		m.Imports = append(m.Imports, imp)
	}
	return nil
}
