// Package wasmc is the front end of mwasm's ahead-of-time compiler: a strict
// decoder and validator for WebAssembly 2.0 binary modules as toolchains
// emit them (MVP, sign-extension, non-trapping float-to-int, multi-value,
// bulk memory, reference types, mutable globals). SIMD is rejected with a
// clear error.
//
// Decode parses the binary format into a Module, one file per section
// (types.go, imports.go, ... data.go, names.go), and checks everything the
// spec calls "malformed": magic and version, section order and sizes,
// LEB128 encodings, UTF-8 names, opcodes and their immediates, block
// nesting in function bodies, and the function/code and data count
// consistency. Function bodies are kept as raw bytes with their file
// offset, so later stages (the AOT compiler) can read them again: they do
// so with InstrReader (NewBodyReader, NewConstExprReader), the same
// instruction decoder Decode and Validate use, which yields one Instr (the
// opcode, one of the Op* constants, and its immediates) at a time. This
// package is the one place that knows the encoding of instructions.
//
// Validate implements the validation rules of the spec ("invalid"): index
// spaces, limits, constant expressions, and the type checking of every
// function body with the operand stack and control stack algorithm of the
// spec's validation appendix (validate_func.go explains it).
//
// Features beyond the MVP can be switched off with DecodeFeatures (the spec
// suite's v1 files run with FeaturesV1); Features(m) lists the ones a
// module uses. One implementation limit is added to the spec's rules: at
// most MaxFuncLocals (50000) locals per function, as in V8 and wasmtime.
//
// Every problem is reported as an *Error naming the section, the function
// index and the byte offset in the file. No input makes the package panic;
// a fuzz target checks that and compares accept/reject with wazero.
package wasmc

import "slices"

// ValType is a value type, with its binary encoding as the value.
type ValType byte

const (
	I32       ValType = 0x7F
	I64       ValType = 0x7E
	F32       ValType = 0x7D
	F64       ValType = 0x7C
	V128      ValType = 0x7B // only recognized to reject it clearly
	FuncRef   ValType = 0x70
	ExternRef ValType = 0x6F

	unknownType ValType = 0 // the "bottom" type of the polymorphic stack
)

func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	case FuncRef:
		return "funcref"
	case ExternRef:
		return "externref"
	case unknownType:
		return "unknown"
	}
	return "invalid type"
}

// IsRef reports whether t is a reference type.
func (t ValType) IsRef() bool { return t == FuncRef || t == ExternRef }

// IsNum reports whether t is a number type.
func (t ValType) IsNum() bool { return t == I32 || t == I64 || t == F32 || t == F64 }

// FuncType is a function type.
type FuncType struct {
	Params  []ValType
	Results []ValType
}

func (ft FuncType) String() string { return typesString(ft.Params) + " -> " + typesString(ft.Results) }

func typesString(ts []ValType) string {
	s := "["
	for i, t := range ts {
		if i > 0 {
			s += " "
		}
		s += t.String()
	}
	return s + "]"
}

func (ft FuncType) equal(o FuncType) bool {
	return slices.Equal(ft.Params, o.Params) && slices.Equal(ft.Results, o.Results)
}

// ExternKind is the kind of an import or export.
type ExternKind byte

const (
	KindFunc   ExternKind = 0
	KindTable  ExternKind = 1
	KindMemory ExternKind = 2
	KindGlobal ExternKind = 3
)

func (k ExternKind) String() string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	}
	return "unknown kind"
}

// Limits are the size limits of a table (in elements) or memory (in 64 KiB pages).
type Limits struct {
	Min    uint32
	Max    uint32
	HasMax bool
}

// TableType is the type of a table.
type TableType struct {
	Elem   ValType // FuncRef or ExternRef
	Limits Limits
}

// MemoryType is the type of a memory.
type MemoryType struct {
	Limits Limits
}

// GlobalType is the type of a global.
type GlobalType struct {
	Type    ValType
	Mutable bool
}

// Import is one entry of the import section. Which of Type, Table, Memory
// and Global is meaningful depends on Kind.
type Import struct {
	Module, Name string
	Kind         ExternKind
	Type         uint32 // KindFunc: type index
	Table        TableType
	Memory       MemoryType
	Global       GlobalType
	Offset       int // file offset of the entry
}

// ConstExpr is a constant expression, kept as its raw instruction bytes
// (including the final end opcode).
type ConstExpr struct {
	Bytes  []byte
	Offset int // file offset of the first instruction
}

// Global is a global defined by the module.
type Global struct {
	Type   GlobalType
	Init   ConstExpr
	Offset int
}

// Export is one entry of the export section.
type Export struct {
	Name   string
	Kind   ExternKind
	Index  uint32
	Offset int
}

// SegmentMode is the mode of an element or data segment.
type SegmentMode byte

const (
	ModeActive SegmentMode = iota
	ModePassive
	ModeDeclarative // element segments only
)

// Elem is an element segment. Its initializers are either function indices
// (Funcs, when UsesExprs is false) or constant expressions (Exprs).
type Elem struct {
	Mode       SegmentMode
	Table      uint32    // active only
	OffsetExpr ConstExpr // active only
	Type       ValType   // FuncRef or ExternRef
	UsesExprs  bool
	Funcs      []uint32
	Exprs      []ConstExpr
	Flags      uint32 // the segment's flags field (0-7)
	Offset     int    // file offset of the entry
}

// Len is the number of references in the segment.
func (e *Elem) Len() int {
	if e.UsesExprs {
		return len(e.Exprs)
	}
	return len(e.Funcs)
}

// Data is a data segment.
type Data struct {
	Mode       SegmentMode // ModeActive or ModePassive
	Memory     uint32
	OffsetExpr ConstExpr // active only
	Init       []byte
	Offset     int
}

// LocalGroup is a run of Count locals of one type, as declared in a body.
type LocalGroup struct {
	Count uint32
	Type  ValType
}

// Code is the body of a defined function.
type Code struct {
	Locals     []LocalGroup
	NumLocals  uint64 // declared locals, parameters excluded
	Body       []byte // instructions, ending with the final end opcode
	BodyOffset int    // file offset of Body[0]
	Offset     int    // file offset of the entry (its size field)
}

// Names is the content of the "name" custom section.
type Names struct {
	Module    string
	HasModule bool
	Funcs     map[uint32]string
	Locals    map[uint32]map[uint32]string
}

// CustomSection is a custom section, kept as raw bytes.
type CustomSection struct {
	Name   string
	Data   []byte
	Offset int // file offset of the section id
}

// Module is a decoded module. Index spaces (functions, tables, memories,
// globals) start with the imports, in import order, followed by the
// module's own definitions.
type Module struct {
	Types    []FuncType
	Imports  []Import
	Funcs    []uint32 // type index of each defined function
	Tables   []TableType
	Memories []MemoryType
	Globals  []Global
	Exports  []Export
	HasStart bool
	Start    uint32
	Elems    []Elem
	Datas    []Data
	// DataCount is the value of the data count section, if present.
	HasDataCount bool
	DataCount    uint32
	Code         []Code
	Names        *Names // nil if there is no (well-formed) name section
	// NamesErr is why the name section was ignored, if it was malformed.
	// The spec says a malformed custom section does not make the module
	// malformed, so this is not a decoding error.
	NamesErr error
	Customs  []CustomSection

	// Imported entity counts, in the index spaces.
	NumImportedFuncs, NumImportedTables, NumImportedMemories, NumImportedGlobals int

	// Section file offsets (of the section id byte), -1 if absent; used
	// for error positions.
	sectionOffsets [13]int
	tableOffsets   []int // file offset of each entry of Tables
	memOffsets     []int // file offset of each entry of Memories

	featureState // features enabled and used
	validated    bool
}

// FuncTypeIndex returns the type index of function funcIdx in the function
// index space, and false if there is no such function.
func (m *Module) FuncTypeIndex(funcIdx uint32) (uint32, bool) {
	if int64(funcIdx) < int64(m.NumImportedFuncs) {
		n := 0
		for i := range m.Imports {
			if m.Imports[i].Kind == KindFunc {
				if n == int(funcIdx) {
					return m.Imports[i].Type, true
				}
				n++
			}
		}
	}
	d := int64(funcIdx) - int64(m.NumImportedFuncs)
	if d >= 0 && d < int64(len(m.Funcs)) {
		return m.Funcs[d], true
	}
	return 0, false
}

// NumFuncs is the size of the function index space.
func (m *Module) NumFuncs() int { return m.NumImportedFuncs + len(m.Funcs) }
