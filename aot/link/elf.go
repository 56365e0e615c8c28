package link

import "encoding/binary"

// ELF constants (System V gABI and the x86-64 psABI).
const (
	etExec   = 2
	emX86_64 = 62

	ptLoad     = 1
	ptNote     = 4
	ptGNUStack = 0x6474e551

	pfX = 1
	pfW = 2
	pfR = 4

	shtProgbits = 1
	shtSymtab   = 2
	shtStrtab   = 3
	shtNote     = 7
	shtNobits   = 8

	shfWrite     = 1
	shfAlloc     = 2
	shfExecinstr = 4

	stbLocal  = 0
	stbGlobal = 1
	sttNotype = 0
	sttObject = 1
	sttFunc   = 2
)

type elfWriter struct {
	l       *Linker
	segs    []segment
	notes   []*section
	fileEnd uint64 // end of the loaded sections in the file
	entry   uint64
	end     uint64
}

// strtab builds an ELF string table (leading NUL, each string NUL-ended).
type strtab struct{ b []byte }

func (t *strtab) add(s string) uint32 {
	if len(t.b) == 0 {
		t.b = append(t.b, 0)
	}
	off := uint32(len(t.b))
	t.b = append(t.b, s...)
	t.b = append(t.b, 0)
	return off
}

type shdr struct {
	name            string
	typ             uint32
	flags           uint64
	addr, off, size uint64
	link, info      uint32
	align, entsize  uint64
	sectionID       SectionID // for loaded sections; -1 otherwise
	nameOff         uint32
}

// write produces the file (without relocations applied) and the section list.
func (w *elfWriter) write() ([]byte, []SectionInfo) {
	l := w.l
	// Section headers in address order: notes, .rodata, .text, .data, .bss.
	shdrs := []shdr{{sectionID: -1}} // SHN_UNDEF
	shndx := make([]uint16, len(l.secs))
	addSec := func(id SectionID) {
		s := l.secs[id]
		h := shdr{name: s.name, addr: s.addr, off: s.off, size: s.size, align: s.align, sectionID: id}
		switch {
		case s.kind == note:
			h.typ, h.flags = shtNote, shfAlloc
		case s.kind == nobits:
			h.typ, h.flags = shtNobits, shfAlloc|shfWrite
		case id == Text:
			h.typ, h.flags = shtProgbits, shfAlloc|shfExecinstr
		case id == Data:
			h.typ, h.flags = shtProgbits, shfAlloc|shfWrite
		default:
			h.typ, h.flags = shtProgbits, shfAlloc
		}
		shndx[id] = uint16(len(shdrs))
		shdrs = append(shdrs, h)
	}
	for i := range w.notes {
		addSec(numBuiltin + SectionID(i))
	}
	for _, id := range []SectionID{ROData, Text, Data, BSS} {
		addSec(id)
	}

	// Symbol table: the null symbol, locals, then globals (sh_info is the
	// index of the first global, as the gABI requires).
	var str strtab
	str.add("")
	var symtab []byte
	symtab = append(symtab, make([]byte, symSize)...)
	putSym := func(s Symbol) {
		var e [symSize]byte
		binary.LittleEndian.PutUint32(e[0:], str.add(s.Name))
		bind := byte(stbGlobal)
		if s.Local {
			bind = stbLocal
		}
		typ := byte(sttNotype)
		switch s.Kind {
		case SymFunc:
			typ = sttFunc
		case SymObject:
			typ = sttObject
		}
		e[4] = bind<<4 | typ
		e[5] = 0 // STV_DEFAULT
		binary.LittleEndian.PutUint16(e[6:], shndx[s.Section])
		binary.LittleEndian.PutUint64(e[8:], l.secs[s.Section].addr+s.Offset)
		binary.LittleEndian.PutUint64(e[16:], s.Size)
		symtab = append(symtab, e[:]...)
	}
	nlocal := uint32(1)
	for _, s := range l.syms {
		if s.Local {
			putSym(s)
			nlocal++
		}
	}
	for _, s := range l.syms {
		if !s.Local {
			putSym(s)
		}
	}

	off := alignUp(w.fileEnd, 8)
	symtabIdx := uint32(len(shdrs))
	shdrs = append(shdrs, shdr{name: ".symtab", typ: shtSymtab, off: off, size: uint64(len(symtab)),
		link: symtabIdx + 1, info: nlocal, align: 8, entsize: symSize, sectionID: -1})
	off += uint64(len(symtab))
	strOff := off
	shdrs = append(shdrs, shdr{name: ".strtab", typ: shtStrtab, off: off, size: uint64(len(str.b)), align: 1, sectionID: -1})
	off += uint64(len(str.b))

	var shstr strtab
	shstr.add("")
	shdrs = append(shdrs, shdr{name: ".shstrtab", typ: shtStrtab, align: 1, sectionID: -1})
	for i := 1; i < len(shdrs); i++ {
		shdrs[i].nameOff = shstr.add(shdrs[i].name)
	}
	shstrIdx := len(shdrs) - 1
	shdrs[shstrIdx].off = off
	shdrs[shstrIdx].size = uint64(len(shstr.b))
	shstrOff := off
	off += uint64(len(shstr.b))

	shoff := alignUp(off, 8)
	file := make([]byte, shoff+uint64(len(shdrs))*shdrSize)

	// ELF header.
	copy(file, "\x7fELF")
	file[4] = 2 // ELFCLASS64
	file[5] = 1 // ELFDATA2LSB
	file[6] = 1 // EV_CURRENT
	file[7] = 0 // ELFOSABI_NONE
	le := binary.LittleEndian
	le.PutUint16(file[16:], etExec)
	le.PutUint16(file[18:], emX86_64)
	le.PutUint32(file[20:], 1)
	le.PutUint64(file[24:], w.entry)
	le.PutUint64(file[32:], ehdrSize)
	le.PutUint64(file[40:], shoff)
	le.PutUint32(file[48:], 0)
	le.PutUint16(file[52:], ehdrSize)
	le.PutUint16(file[54:], phdrSize)
	le.PutUint16(file[56:], uint16(len(w.segs)))
	le.PutUint16(file[58:], shdrSize)
	le.PutUint16(file[60:], uint16(len(shdrs)))
	le.PutUint16(file[62:], uint16(shstrIdx))

	// Program headers. Physical addresses equal virtual ones.
	for i, s := range w.segs {
		p := file[ehdrSize+i*phdrSize:]
		le.PutUint32(p[0:], s.typ)
		le.PutUint32(p[4:], s.flags)
		le.PutUint64(p[8:], s.off)
		le.PutUint64(p[16:], s.addr)
		le.PutUint64(p[24:], s.addr)
		le.PutUint64(p[32:], s.filesz)
		le.PutUint64(p[40:], s.memsz)
		le.PutUint64(p[48:], s.align)
	}

	// Section contents.
	for _, s := range l.secs {
		if s.kind != nobits {
			copy(file[s.off:], s.data)
		}
	}
	copy(file[shdrs[symtabIdx].off:], symtab)
	copy(file[strOff:], str.b)
	copy(file[shstrOff:], shstr.b)

	// Section headers.
	infos := make([]SectionInfo, 0, len(shdrs)-1)
	for i, h := range shdrs {
		p := file[shoff+uint64(i)*shdrSize:]
		le.PutUint32(p[0:], h.nameOff)
		le.PutUint32(p[4:], h.typ)
		le.PutUint64(p[8:], h.flags)
		le.PutUint64(p[16:], h.addr)
		le.PutUint64(p[24:], h.off)
		le.PutUint64(p[32:], h.size)
		le.PutUint32(p[40:], h.link)
		le.PutUint32(p[44:], h.info)
		le.PutUint64(p[48:], h.align)
		le.PutUint64(p[56:], h.entsize)
		if i > 0 {
			infos = append(infos, SectionInfo{Name: h.name, Addr: h.addr, Offset: h.off, Size: h.size})
		}
	}
	return file, infos
}
