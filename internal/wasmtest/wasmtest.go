// Package wasmtest writes small WebAssembly modules byte by byte, for tests that
// need a module no toolchain would emit (a trap in the start function, a 4 GiB
// memory, a malformed name section, a _start of the wrong type) without a WAT
// assembler.
//
// A Module collects entries section by section, in the order the binary format
// wants them; Bytes encodes it. Indices are handed out as entries are added
// (imported functions first: add every import before the first Func). Nothing is
// checked: a test that wants an invalid module simply writes one.
package wasmtest

import "encoding/binary"

// Value types and other one-byte codes of the binary format.
const (
	I32       = 0x7f
	I64       = 0x7e
	F32       = 0x7d
	F64       = 0x7c
	V128      = 0x7b
	FuncRef   = 0x70
	ExternRef = 0x6f

	KindFunc   = 0
	KindTable  = 1
	KindMemory = 2
	KindGlobal = 3
)

// WASI is the import module of WASI preview 1.
const WASI = "wasi_snapshot_preview1"

// Module is a module under construction.
type Module struct {
	types, imports, funcs, tables, mems, globals, exports, elems, codes, datas [][]byte
	start                                                                      int // -1: none
	nfuncs                                                                     uint32
	customs                                                                    [][2][]byte // name, payload; written last
	raw                                                                        [][]byte    // whole sections appended after the rest
}

// New returns an empty module.
func New() *Module { return &Module{start: -1} }

// Type adds a function type and returns its index.
func (m *Module) Type(params, results []byte) uint32 {
	m.types = append(m.types, Cat([]byte{0x60}, Vec(params), Vec(results)))
	return uint32(len(m.types) - 1)
}

// ImportFunc imports module.name with type typ and returns its function index.
func (m *Module) ImportFunc(module, name string, typ uint32) uint32 {
	m.imports = append(m.imports, Cat(Name(module), Name(name), []byte{KindFunc}, U(uint64(typ))))
	m.nfuncs++
	return m.nfuncs - 1
}

// ImportMemory imports a memory with min pages.
func (m *Module) ImportMemory(module, name string, min uint32) {
	m.imports = append(m.imports, Cat(Name(module), Name(name), []byte{KindMemory, 0}, U(uint64(min))))
}

// Func defines a function of type typ with body (locals vector and code, "end"
// included) and returns its index. Use Code for the common case of no locals.
func (m *Module) Func(typ uint32, body []byte) uint32 {
	m.funcs = append(m.funcs, U(uint64(typ)))
	m.codes = append(m.codes, Cat(U(uint64(len(body))), body))
	m.nfuncs++
	return m.nfuncs - 1
}

// Code is a function body without locals: the instructions, then "end".
func Code(instrs ...byte) []byte { return Cat([]byte{0}, instrs, []byte{0x0b}) }

// Memory defines a memory of min pages (max < 0: no maximum); flags 0x02 (shared)
// or 0x04 (memory64) may be added.
func (m *Module) Memory(min uint32, max int64, flags byte) {
	if max >= 0 {
		flags |= 1
		m.mems = append(m.mems, Cat([]byte{flags}, U(uint64(min)), U(uint64(max))))
		return
	}
	m.mems = append(m.mems, Cat([]byte{flags}, U(uint64(min))))
}

// Table defines a funcref table of min entries (max < 0: no maximum).
func (m *Module) Table(min uint32, max int64) {
	if max >= 0 {
		m.tables = append(m.tables, Cat([]byte{FuncRef, 1}, U(uint64(min)), U(uint64(max))))
		return
	}
	m.tables = append(m.tables, Cat([]byte{FuncRef, 0}, U(uint64(min))))
}

// Global defines a global of type t (mutable or not) with a constant initialiser
// (the instructions, without "end").
func (m *Module) Global(t byte, mutable bool, init ...byte) {
	mut := byte(0)
	if mutable {
		mut = 1
	}
	m.globals = append(m.globals, Cat([]byte{t, mut}, init, []byte{0x0b}))
}

// Export exports the item of kind and index as name.
func (m *Module) Export(name string, kind byte, idx uint32) {
	m.exports = append(m.exports, Cat(Name(name), []byte{kind}, U(uint64(idx))))
}

// Start makes function idx the start function.
func (m *Module) Start(idx uint32) { m.start = int(idx) }

// Elem adds an active element segment for table 0 at offset holding funcs.
func (m *Module) Elem(offset int32, funcs ...uint32) {
	e := Cat([]byte{0, 0x41}, S(int64(offset)), []byte{0x0b}, U(uint64(len(funcs))))
	for _, f := range funcs {
		e = append(e, U(uint64(f))...)
	}
	m.elems = append(m.elems, e)
}

// Data adds an active data segment for memory 0 at offset.
func (m *Module) Data(offset int32, data []byte) {
	m.datas = append(m.datas, Cat([]byte{0, 0x41}, S(int64(offset)), []byte{0x0b}, U(uint64(len(data))), data))
}

// Custom adds a custom section (written after the others).
func (m *Module) Custom(name string, payload []byte) {
	m.customs = append(m.customs, [2][]byte{[]byte(name), payload})
}

// Raw appends a whole encoded section (id and size included) after the others.
func (m *Module) Raw(section []byte) { m.raw = append(m.raw, section) }

// Bytes encodes the module.
func (m *Module) Bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	add := func(id byte, entries [][]byte) {
		if len(entries) > 0 {
			out = append(out, Section(id, Vec2(entries))...)
		}
	}
	add(1, m.types)
	add(2, m.imports)
	add(3, m.funcs)
	add(4, m.tables)
	add(5, m.mems)
	add(6, m.globals)
	add(7, m.exports)
	if m.start >= 0 {
		out = append(out, Section(8, U(uint64(m.start)))...)
	}
	add(9, m.elems)
	add(10, m.codes)
	add(11, m.datas)
	for _, c := range m.customs {
		out = append(out, Section(0, Cat(Name(string(c[0])), c[1]))...)
	}
	for _, r := range m.raw {
		out = append(out, r...)
	}
	return out
}

// Section encodes a section: id, size, payload.
func Section(id byte, payload []byte) []byte {
	return Cat([]byte{id}, U(uint64(len(payload))), payload)
}

// Vec is a vector of bytes (a count, then the bytes), e.g. value types.
func Vec(b []byte) []byte { return Cat(U(uint64(len(b))), b) }

// Vec2 is a vector of encoded entries.
func Vec2(entries [][]byte) []byte { return Cat(U(uint64(len(entries))), Cat(entries...)) }

// Name is a name: its length, then its bytes.
func Name(s string) []byte { return Cat(U(uint64(len(s))), []byte(s)) }

// U is unsigned LEB128.
func U(v uint64) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}

// S is signed LEB128.
func S(v int64) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}

// Cat concatenates byte slices.
func Cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Instructions used often enough to deserve a name.

// I32Const is i32.const v.
func I32Const(v int32) []byte { return Cat([]byte{0x41}, S(int64(v))) }

// I64Const is i64.const v.
func I64Const(v int64) []byte { return Cat([]byte{0x42}, S(v)) }

// Call is call f.
func Call(f uint32) []byte { return Cat([]byte{0x10}, U(uint64(f))) }

// Command is a WASI command under construction: a module importing fd_write and
// proc_exit, with one exported memory of mem pages and a _start to be given.
// Print writes text into the memory and returns the instructions that write it
// to fd (the result of fd_write is dropped).
type Command struct {
	*Module
	FdWrite, ProcExit uint32 // function indices of the imports
	Void              uint32 // the type () -> ()
	here              int32  // next free byte of memory for Print's data
}

// NewCommand starts a command with a memory of mem pages (max < 0: none).
func NewCommand(mem uint32, max int64) *Command {
	m := New()
	c := &Command{Module: m, here: 1024}
	fdw := m.Type([]byte{I32, I32, I32, I32}, []byte{I32})
	exit := m.Type([]byte{I32}, nil)
	c.Void = m.Type(nil, nil)
	c.FdWrite = m.ImportFunc(WASI, "fd_write", fdw)
	c.ProcExit = m.ImportFunc(WASI, "proc_exit", exit)
	m.Memory(mem, max, 0)
	m.Export("memory", KindMemory, 0)
	return c
}

// Print returns code that writes text to fd.
func (c *Command) Print(fd int32, text string) []byte {
	iov := c.here
	buf := iov + 16
	var v [8]byte
	binary.LittleEndian.PutUint32(v[0:], uint32(buf))
	binary.LittleEndian.PutUint32(v[4:], uint32(len(text)))
	c.Data(iov, v[:])
	c.Data(buf, []byte(text))
	c.here = (buf + int32(len(text)) + 15) &^ 15
	return Cat(I32Const(fd), I32Const(iov), I32Const(1), I32Const(iov+8), Call(c.FdWrite), []byte{0x1a})
}

// Exit returns code that calls proc_exit(code).
func (c *Command) Exit(code int32) []byte { return Cat(I32Const(code), Call(c.ProcExit)) }

// Main defines _start with the given instructions (no locals) and exports it.
func (c *Command) Main(instrs ...[]byte) []byte {
	f := c.Func(c.Void, Code(Cat(instrs...)...))
	c.Export("_start", KindFunc, f)
	return c.Bytes()
}
