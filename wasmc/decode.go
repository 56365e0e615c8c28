package wasmc

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
)

var sectionNames = [...]string{"custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "data count"}

// sectionOrder is the position of each non-custom section in the required
// order (the data count section comes between element and code).
var sectionOrder = [...]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5, secGlobal: 6,
	secExport: 7, secStart: 8, secElement: 9, secDataCount: 10, secCode: 11, secData: 12,
}

const (
	wasmMagic   = "\x00asm"
	wasmVersion = "\x01\x00\x00\x00"
)

// Decode parses a binary module with all features of WebAssembly 2.0
// (SIMD excepted) enabled. It reports malformed input; call Validate for
// the validation rules.
func Decode(b []byte) (*Module, error) { return DecodeFeatures(b, FeaturesV2) }

// DecodeFeatures is Decode with a chosen feature set (FeaturesMVP for
// WebAssembly 1.0). Validate checks the module against the same set.
func DecodeFeatures(b []byte, features Feature) (*Module, error) {
	m, err := decodePartial(b, features)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// decodePartial is DecodeFeatures, but it also returns what was decoded
// before an error (tests use it to look at the name section).
func decodePartial(b []byte, features Feature) (*Module, error) {
	m := &Module{featureState: featureState{enabled: features}}
	for i := range m.sectionOffsets {
		m.sectionOffsets[i] = -1
	}
	err := m.decode(b)
	return m, err
}

func (m *Module) decode(b []byte) error {
	r := newReader(b, 0, "")
	if len(b) < 4 || string(b[:4]) != wasmMagic {
		return r.errf("magic header not detected: not a WebAssembly binary (it must start with \\0asm)")
	}
	if len(b) < 8 {
		return r.errAt(4, "unexpected end: truncated version field")
	}
	if string(b[4:8]) != wasmVersion {
		return r.errAt(4, "unknown binary version %x (only version 1 is supported)", b[4:8])
	}
	r.pos = 8
	last := 0 // order position of the last non-custom section
	var funcCount = -1
	codeSeen := false
	for !r.eof() {
		secOff := r.off()
		id, _ := r.byte()
		if id > secDataCount {
			return r.errAt(secOff, "malformed section id %d", id)
		}
		size, err := r.u32()
		if err != nil {
			return err
		}
		if uint64(size) > uint64(r.remaining()) {
			return errf(sectionNames[id], secOff, "length out of bounds: section size %d but only %d bytes left (unexpected end)", size, r.remaining())
		}
		body, _ := r.bytes(int(size))
		sr := newReader(body, r.base+r.pos-int(size), sectionNames[id])
		if id != secCustom {
			if sectionOrder[id] <= last {
				return sr.errAt(secOff, "unexpected content after last section: %s section is duplicated or out of order", sectionNames[id])
			}
			last = sectionOrder[id]
			m.sectionOffsets[id] = secOff
		}
		switch id {
		case secCustom:
			err = m.decodeCustom(sr, secOff)
		case secType:
			err = m.decodeTypes(sr)
		case secImport:
			err = m.decodeImports(sr)
		case secFunction:
			err = m.decodeFunctions(sr)
			funcCount = len(m.Funcs)
		case secTable:
			err = m.decodeTables(sr)
		case secMemory:
			err = m.decodeMemories(sr)
		case secGlobal:
			err = m.decodeGlobals(sr)
		case secExport:
			err = m.decodeExports(sr)
		case secStart:
			err = m.decodeStart(sr)
		case secElement:
			err = m.decodeElems(sr)
		case secDataCount:
			err = m.decodeDataCount(sr)
		case secCode:
			codeSeen = true
			if funcCount < 0 {
				funcCount = 0
			}
			err = m.decodeCode(sr, funcCount)
		case secData:
			err = m.decodeDatas(sr)
		}
		if err != nil {
			return err
		}
		if !sr.eof() {
			return sr.errf("section size mismatch: %d bytes left over at the end of the %s section", sr.remaining(), sectionNames[id])
		}
	}
	if !codeSeen && len(m.Funcs) > 0 {
		return errf("function", m.sectionOffsets[secFunction], "function and code section have inconsistent lengths: %d functions declared but no code section", len(m.Funcs))
	}
	if m.HasDataCount && int(m.DataCount) != len(m.Datas) {
		return errf("data count", m.sectionOffsets[secDataCount], "data count and data section have inconsistent lengths: data count says %d, data section has %d segments", m.DataCount, len(m.Datas))
	}
	return nil
}

// readValType reads a value type.
func (fs *featureState) readValType(r *reader) (ValType, error) {
	off := r.off()
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch t := ValType(c); t {
	case I32, I64, F32, F64:
		return t, nil
	case FuncRef, ExternRef:
		if err := fs.need(FeatureRefTypes, r, off, "reference type "+t.String()+" as a value"); err != nil {
			return 0, err
		}
		return t, nil
	case V128:
		return 0, r.errAt(off, "SIMD (0xFD prefix) is not supported: value type v128").needs(ProposalSIMD)
	case 0x63, 0x64: // (ref null ht), (ref ht)
		return 0, r.errAt(off, "malformed value type %#x (a typed reference)", c).needs(ProposalFuncRefs)
	}
	return 0, r.errAt(off, "malformed value type %#x", c)
}

// readRefType reads a reference type (funcref or externref).
func (fs *featureState) readRefType(r *reader) (ValType, error) {
	off := r.off()
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch t := ValType(c); t {
	case FuncRef:
		return t, nil
	case ExternRef:
		if err := fs.need(FeatureRefTypes, r, off, "externref"); err != nil {
			return 0, err
		}
		return t, nil
	}
	return 0, r.errAt(off, "malformed reference type %#x", c)
}

// readLimits reads limits: a flag byte (0: min only, 1: min and max), then
// the u32 bounds.
func readLimits(r *reader) (Limits, error) {
	off := r.off()
	flag, err := r.byte()
	if err != nil {
		return Limits{}, err
	}
	var l Limits
	switch flag {
	case 0, 1:
	default:
		e := r.errAt(off, "malformed limits flags %#x (integer too large; shared memories and memory64 are not supported)", flag)
		switch {
		case flag <= 3:
			e.needs(ProposalThreads)
		case flag <= 7:
			e.needs(ProposalMemory64)
		}
		return l, e
	}
	if l.Min, err = r.u32(); err != nil {
		return l, err
	}
	if flag == 1 {
		l.HasMax = true
		if l.Max, err = r.u32(); err != nil {
			return l, err
		}
	}
	return l, nil
}
