// Package link is mwasm's linker and ELF64 writer: it takes machine code and
// data produced by the AOT compiler (aot/amd64 byte slices with their
// relocations), lays them out in memory at a fixed base address, resolves
// the relocations, and writes a static x86-64 ELF executable (ET_EXEC). It is
// pure Go, so `mwasm build` needs no system linker. The Linux target writes
// its executables with it; xenboot writes its Xen PVH images with the same
// writer, adding the Xen ELF notes (PT_NOTE) and linking at the physical load
// address.
//
// # Model
//
// A Linker holds four output sections, Text (code, read+execute), ROData
// (read-only), Data (read-write) and BSS (read-write, zero-filled, a size
// only), plus any number of note sections made by NoteSection. Callers append
// pieces with AddFunc and AddObject (or the lower-level Append, Reserve,
// Define and AddReloc); each piece is aligned within its section and its
// offset is returned. Symbols name a place in a section (a function or an
// object with a size, local or global); relocations name a place to patch
// and the symbol whose address goes there (aot/amd64's PC32 and ABS64
// relocations map one to one; AddFunc converts them):
//
//	PC32   32-bit S+A-P, signed        (R_X86_64_PC32: call, jmp, RIP-relative)
//	ABS64  64-bit S+A                  (R_X86_64_64: movabs, pointers in data)
//	ABS32  32-bit S+A, zero-extended   (R_X86_64_32: 32-bit code, PVH entry note)
//	ABS32S 32-bit S+A, sign-extended   (R_X86_64_32S: absolute disp32/imm32)
//
// Every value is checked to fit its field; an overflow or an undefined
// symbol is an error naming the relocation's site (section+offset and the
// enclosing symbol) and the symbol. Errors found while adding are kept (the
// first one) and returned by Link, like aot/amd64's Assembler; no method
// panics.
//
// Linker-defined symbols can be referenced by relocations (they are not
// written to the symbol table, so that debuggers never prefer them to a real
// function name at the same address): __image_start and __image_end (the
// first and one-past-last byte of the loaded image), and __S_start/__S_end for
// S in text, rodata, data, bss. A runtime uses them to zero its bss on boot
// or to find the end of the image for its heap.
//
// # Layout
//
// The image is linked at Config.Base (default 0x400000, the traditional base
// of x86-64 Linux executables, above the 64 KiB mmap_min_addr; xenboot uses a
// physical address such as 1 MiB). There are up to three PT_LOAD segments,
// each starting on a page boundary, in this order:
//
//	R    ELF header, program headers, note sections, .rodata
//	RX   .text
//	RW   .data, then .bss (memory size beyond the file size)
//
// Every segment begins at a page-aligned file offset and is mapped at Base
// plus that offset, so a segment's file offset equals its address modulo the
// page size, as the kernel's loader (and Xen's, and QEMU's) require, and the
// ELF header itself is mapped at Base. Code pages are never writable and
// data pages never executable (W^X), and a PT_GNU_STACK header asks for a
// non-executable stack. Each note section gets a PT_NOTE header (the notes
// live inside the R segment, as with GNU ld). Section headers follow for
// .note.*, .rodata, .text, .data, .bss, .symtab, .strtab and .shstrtab, so
// readelf, nm, objdump, gdb and perf understand the file. Output is a pure
// function of the input: the same calls in the same order give the same
// bytes. Non-loaded sections added later (a line table for crash reports,
// say) would go beside .symtab, after the loaded segments, without moving
// anything that is loaded.
//
// # Symbol names for Wasm functions
//
// The runtime layer puts every compiled module's code in .text with one
// STT_FUNC symbol (with its size) per Wasm function, named MODULE!NAME (see
// FuncSymbol): MODULE is the Wasm file's base name without ".wasm" ("app",
// "shim") and NAME the function's name from the name section, or funcN (N the
// function index) when it has none, e.g. "app!main.main",
// "shim!runtime.mallocgc", "app!func42". Why this spelling: both the app and
// the shim are Go programs, so names such as runtime.main occur in both and
// need a module prefix; '.' cannot be the separator because Go, Rust and C++
// names already contain dots and colons; ':' would make gdb read
// "app:main.main" as a FILE:FUNCTION linespec; '!' is the module!function
// convention of WinDbg, occurs in no Go or C identifier (only in C++'s
// operator!), so the module is everything before the first '!' (module names
// never contain one), and perf report, objdump and gdb's `bt` and
// `info symbol` print it verbatim (the tests check all four). In gdb a name with
// '!' is written quoted: break 'app!main.main'. Names must be unique in an
// image; a runtime that meets a duplicate name in a name section appends
// "#N" with the function index.
package link

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mwasm/mwasm/aot/amd64"
)

// SectionID names an output section: Text, ROData, Data, BSS, or a note
// section made by NoteSection.
type SectionID int

// The built-in sections.
const (
	Text SectionID = iota
	ROData
	Data
	BSS
	numBuiltin
)

// SymKind is the ELF type of a symbol.
type SymKind uint8

// Symbol kinds.
const (
	SymFunc   SymKind = iota + 1 // STT_FUNC: code, with its size
	SymObject                    // STT_OBJECT: data, with its size
	SymNoType                    // STT_NOTYPE: a plain label
)

func (k SymKind) String() string {
	switch k {
	case SymFunc:
		return "func"
	case SymObject:
		return "object"
	case SymNoType:
		return "notype"
	}
	return "SymKind(" + strconv.Itoa(int(k)) + ")"
}

// Symbol is a named place in a section.
type Symbol struct {
	Name    string
	Section SectionID
	Offset  uint64 // from the start of the section
	Size    uint64
	Kind    SymKind
	Local   bool // STB_LOCAL rather than STB_GLOBAL
}

// RelocKind is the kind of a relocation (what value is written and how wide).
type RelocKind uint8

// Relocation kinds; S is the symbol's address, A the addend, P the address of
// the field being patched.
const (
	PC32   RelocKind = iota + 1 // int32(S + A - P)
	ABS64                       // uint64(S + A)
	ABS32                       // uint32(S + A), must fit zero-extended
	ABS32S                      // int32(S + A), must fit sign-extended
)

func (k RelocKind) String() string {
	switch k {
	case PC32:
		return "PC32"
	case ABS64:
		return "ABS64"
	case ABS32:
		return "ABS32"
	case ABS32S:
		return "ABS32S"
	}
	return "RelocKind(" + strconv.Itoa(int(k)) + ")"
}

func (k RelocKind) width() uint64 {
	if k == ABS64 {
		return 8
	}
	return 4
}

// Reloc asks the linker to write a value computed from Symbol's address at
// Offset in Section. The bytes there are overwritten.
type Reloc struct {
	Section SectionID
	Offset  uint64
	Kind    RelocKind
	Symbol  string
	Addend  int64
}

// Config chooses the layout. The zero value is the Linux default.
type Config struct {
	// Base is the address of the first byte of the image (the ELF header);
	// a multiple of PageSize. 0 means 0x400000.
	Base uint64
	// PageSize is the segment alignment; a power of two. 0 means 4096.
	PageSize uint64
	// Entry is the name of the entry point symbol, which must be in Text.
	// "" means "_start".
	Entry string
}

// DefaultBase is the link address used when Config.Base is 0.
const DefaultBase = 0x400000

type secKind uint8

const (
	progbits secKind = iota
	nobits
	note
)

type section struct {
	name  string
	kind  secKind
	data  []byte // nil for nobits
	size  uint64 // == len(data) unless nobits
	align uint64
	fill  byte

	// Filled in by layout.
	addr, off uint64
}

// Linker collects sections, symbols and relocations, then lays them out and
// writes the ELF file (Link). Create it with New.
type Linker struct {
	cfg    Config
	secs   []*section
	syms   []Symbol
	symIdx map[string]int
	relocs []Reloc
	err    error
}

// New returns an empty Linker with the given configuration.
func New(cfg Config) *Linker {
	if cfg.Base == 0 {
		cfg.Base = DefaultBase
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 4096
	}
	if cfg.Entry == "" {
		cfg.Entry = "_start"
	}
	l := &Linker{cfg: cfg, symIdx: map[string]int{}}
	l.secs = []*section{
		Text:   {name: ".text", kind: progbits, align: 16, fill: 0xCC},
		ROData: {name: ".rodata", kind: progbits, align: 1},
		Data:   {name: ".data", kind: progbits, align: 1},
		BSS:    {name: ".bss", kind: nobits, align: 1},
	}
	if cfg.PageSize&(cfg.PageSize-1) != 0 || cfg.PageSize < 16 {
		l.fail("page size %#x is not a power of two of at least 16; use 4096", cfg.PageSize)
	} else if cfg.Base%cfg.PageSize != 0 {
		l.fail("base address %#x is not a multiple of the page size %#x; use a page-aligned base such as %#x", cfg.Base, cfg.PageSize, DefaultBase)
	}
	return l
}

// Err returns the first error recorded so far, if any.
func (l *Linker) Err() error { return l.err }

func (l *Linker) fail(format string, args ...any) {
	if l.err == nil {
		l.err = fmt.Errorf("link: "+format, args...)
	}
}

func (l *Linker) sec(id SectionID, what string) *section {
	if id < 0 || int(id) >= len(l.secs) {
		l.fail("%s: section %d does not exist (use Text, ROData, Data, BSS or a NoteSection)", what, int(id))
		return nil
	}
	return l.secs[id]
}

// SectionName returns the ELF name of a section (".text", ".note.Xen", ...),
// or "" if id does not exist.
func (l *Linker) SectionName(id SectionID) string {
	if id < 0 || int(id) >= len(l.secs) {
		return ""
	}
	return l.secs[id].name
}

// SectionSize returns the current size of a section.
func (l *Linker) SectionSize(id SectionID) uint64 {
	if id < 0 || int(id) >= len(l.secs) {
		return 0
	}
	return l.secs[id].size
}

func (l *Linker) alignOK(align uint64, what string) bool {
	if align == 0 || align&(align-1) != 0 || align > l.cfg.PageSize {
		l.fail("%s: alignment %d is not a power of two between 1 and the page size %d", what, align, l.cfg.PageSize)
		return false
	}
	return true
}

// pad aligns the end of s to align, filling with s.fill, and raises the
// section's alignment if needed.
func (s *section) pad(align uint64) {
	if align > s.align {
		s.align = align
	}
	for s.size%align != 0 {
		if s.kind != nobits {
			s.data = append(s.data, s.fill)
		}
		s.size++
	}
}

// Append adds data at the end of section id, first padding to align (a power
// of two; code is padded with int3, other sections with zeros), and returns
// its offset in the section. BSS takes no data: use Reserve.
func (l *Linker) Append(id SectionID, data []byte, align uint64) uint64 {
	s := l.sec(id, "append")
	if s == nil || !l.alignOK(align, "append to "+s.name) {
		return 0
	}
	if s.kind == nobits {
		l.fail("append: %s holds no bytes, only a size; use Reserve, or put initialized data in Data", s.name)
		return 0
	}
	if s.kind == note {
		l.fail("append: %s is a note section; use AddNote", s.name)
		return 0
	}
	s.pad(align)
	off := s.size
	s.data = append(s.data, data...)
	s.size += uint64(len(data))
	return off
}

// Reserve adds size zero bytes (aligned) at the end of section id and returns
// their offset: the way to allocate BSS; in other sections it appends zeros.
func (l *Linker) Reserve(id SectionID, size, align uint64) uint64 {
	s := l.sec(id, "reserve")
	if s == nil || !l.alignOK(align, "reserve in "+s.name) {
		return 0
	}
	if s.kind == note {
		l.fail("reserve: %s is a note section; use AddNote", s.name)
		return 0
	}
	if size > 1<<40 {
		l.fail("reserve: %d bytes in %s is more than 1 TiB; this is a bug in the caller", size, s.name)
		return 0
	}
	s.pad(align)
	off := s.size
	if s.kind != nobits {
		s.data = append(s.data, make([]byte, size)...)
	}
	s.size += size
	return off
}

var reserved = func() map[string]bool {
	m := map[string]bool{"__image_start": true, "__image_end": true}
	for _, s := range []string{"text", "rodata", "data", "bss"} {
		m["__"+s+"_start"] = true
		m["__"+s+"_end"] = true
	}
	return m
}()

func checkName(name string) string {
	if name == "" {
		return "empty symbol name"
	}
	if strings.IndexByte(name, 0) >= 0 {
		return fmt.Sprintf("symbol name %q contains a NUL byte", name)
	}
	if reserved[name] {
		return fmt.Sprintf("symbol name %q is reserved for the linker", name)
	}
	return ""
}

// Define adds a symbol. Names must be unique, non-empty, free of NUL bytes
// and not one of the linker-defined names; the symbol must lie within its
// section when Link runs.
func (l *Linker) Define(s Symbol) {
	if msg := checkName(s.Name); msg != "" {
		l.fail("define: %s; give every symbol a distinct non-empty name", msg)
		return
	}
	if l.sec(s.Section, "define "+strconv.Quote(s.Name)) == nil {
		return
	}
	if s.Kind < SymFunc || s.Kind > SymNoType {
		l.fail("define %q: invalid symbol kind %d (use SymFunc, SymObject or SymNoType)", s.Name, int(s.Kind))
		return
	}
	if i, ok := l.symIdx[s.Name]; ok {
		p := l.syms[i]
		l.fail("define: symbol %q is defined twice (at %s+%#x and %s+%#x); symbol names must be unique in an image",
			s.Name, l.secs[p.Section].name, p.Offset, l.secs[s.Section].name, s.Offset)
		return
	}
	l.symIdx[s.Name] = len(l.syms)
	l.syms = append(l.syms, s)
}

// AddReloc records a relocation. It is checked when Link runs.
func (l *Linker) AddReloc(r Reloc) {
	l.relocs = append(l.relocs, r)
}

// Func is a compiled function for AddFunc.
type Func struct {
	Name   string
	Code   []byte        // the code, including its constant pool
	Relocs []amd64.Reloc // offsets relative to Code
	Local  bool          // STB_LOCAL symbol
	Align  uint64        // 0 means 16
}

// AddFunc appends a function's code to Text, defines an STT_FUNC symbol
// covering all of it (constant pool included, so any address in it resolves
// to the function's name), records its relocations and returns its offset in
// Text.
func (l *Linker) AddFunc(f Func) uint64 {
	if f.Align == 0 {
		f.Align = 16
	}
	if msg := checkName(f.Name); msg != "" {
		l.fail("add function: %s; give every function a distinct non-empty name", msg)
		return 0
	}
	off := l.Append(Text, f.Code, f.Align)
	l.Define(Symbol{Name: f.Name, Section: Text, Offset: off, Size: uint64(len(f.Code)), Kind: SymFunc, Local: f.Local})
	for _, r := range f.Relocs {
		var k RelocKind
		switch r.Kind {
		case amd64.PC32:
			k = PC32
		case amd64.ABS64:
			k = ABS64
		default:
			l.fail("add function %q: relocation at %#x has unknown kind %v", f.Name, r.Offset, r.Kind)
			return off
		}
		l.AddReloc(Reloc{Section: Text, Offset: off + uint64(r.Offset), Kind: k, Symbol: r.Symbol, Addend: r.Addend})
	}
	return off
}

// Object is a data object for AddObject.
type Object struct {
	Name    string
	Section SectionID // ROData, Data or BSS (or Text, for data in code)
	Data    []byte    // the contents; must be nil for BSS
	Size    uint64    // for BSS: the size; otherwise ignored (len(Data))
	Align   uint64    // 0 means 8
	Relocs  []Reloc   // Section is ignored; Offset is relative to Data
	Local   bool
}

// AddObject places an object in its section, defines an STT_OBJECT symbol
// for it (unless Name is empty), records its relocations and returns its
// offset in the section.
func (l *Linker) AddObject(o Object) uint64 {
	if o.Align == 0 {
		o.Align = 8
	}
	s := l.sec(o.Section, "add object "+strconv.Quote(o.Name))
	if s == nil {
		return 0
	}
	var off, size uint64
	if s.kind == nobits {
		if o.Data != nil {
			l.fail("add object %q: %s holds no bytes; give a Size, or put initialized data in Data", o.Name, s.name)
			return 0
		}
		off, size = l.Reserve(o.Section, o.Size, o.Align), o.Size
	} else {
		off, size = l.Append(o.Section, o.Data, o.Align), uint64(len(o.Data))
	}
	if o.Name != "" {
		l.Define(Symbol{Name: o.Name, Section: o.Section, Offset: off, Size: size, Kind: SymObject, Local: o.Local})
	}
	for _, r := range o.Relocs {
		r.Section = o.Section
		r.Offset += off
		l.AddReloc(r)
	}
	return off
}

// NoteSection returns the note section with the given name (".note.Xen",
// ".note.mwasm"), creating it at the first call. It is written as SHT_NOTE
// with its own PT_NOTE program header.
func (l *Linker) NoteSection(name string) SectionID {
	for i, s := range l.secs {
		if s.name == name {
			if s.kind != note {
				l.fail("note section %q: the name is taken by a built-in section; use a name like .note.NAME", name)
			}
			return SectionID(i)
		}
	}
	if name == "" || strings.IndexByte(name, 0) >= 0 || name == ".symtab" || name == ".strtab" || name == ".shstrtab" {
		l.fail("note section name %q is not usable; use a name like .note.NAME", name)
		return Text
	}
	l.secs = append(l.secs, &section{name: name, kind: note, align: 4})
	return SectionID(len(l.secs) - 1)
}

// AddNote appends an ELF note (owner name, type, descriptor) to a note
// section and returns the offset of its descriptor in that section, so that
// a relocation can fill an address into it (xenboot's
// XEN_ELFNOTE_PHYS32_ENTRY is an ABS32 relocation against the 32-bit entry
// point). Name and descriptor are padded to 4 bytes, the layout that Xen,
// QEMU and readelf expect for notes in a segment aligned to 4.
func (l *Linker) AddNote(id SectionID, name string, typ uint32, desc []byte) uint64 {
	s := l.sec(id, "add note")
	if s == nil {
		return 0
	}
	if s.kind != note {
		l.fail("add note %q: %s is not a note section; make one with NoteSection", name, s.name)
		return 0
	}
	if strings.IndexByte(name, 0) >= 0 {
		l.fail("add note: owner name %q contains a NUL byte", name)
		return 0
	}
	var b []byte
	b = le32(b, uint32(len(name)+1))
	b = le32(b, uint32(len(desc)))
	b = le32(b, typ)
	b = append(b, name...)
	b = append(b, 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	descOff := s.size + uint64(len(b))
	b = append(b, desc...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	s.data = append(s.data, b...)
	s.size += uint64(len(b))
	return descOff
}

// FuncSymbol returns the symbol name of a Wasm function, MODULE!NAME, or
// MODULE!funcINDEX when the name section gives it no name (see the package
// comment for why this spelling). NUL bytes, which ELF strings cannot hold,
// become '?'.
func FuncSymbol(module, name string, index uint32) string {
	if name == "" {
		name = "func" + strconv.FormatUint(uint64(index), 10)
	}
	return strings.ReplaceAll(module+"!"+name, "\x00", "?")
}

func le32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// Symbols returns the symbols defined so far, in definition order.
func (l *Linker) Symbols() []Symbol { return append([]Symbol(nil), l.syms...) }
