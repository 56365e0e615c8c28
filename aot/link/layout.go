package link

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strings"
)

// Image is the result of Link: the ELF file and the addresses chosen.
type Image struct {
	ELF      []byte        // the executable file
	Entry    uint64        // e_entry: the address of the entry symbol
	Base     uint64        // the address of the first byte of the image
	End      uint64        // one past the last byte of the loaded image (end of bss)
	Sections []SectionInfo // every section, in file order
	addrs    map[string]uint64
}

// SectionInfo tells where a section was placed.
type SectionInfo struct {
	Name   string
	Addr   uint64 // 0 for sections not loaded (.symtab, .strtab, .shstrtab)
	Offset uint64 // in the file
	Size   uint64
}

// Addr returns the address of a symbol, including the linker-defined ones.
func (im *Image) Addr(name string) (uint64, bool) {
	a, ok := im.addrs[name]
	return a, ok
}

// Section returns where the named section was placed.
func (im *Image) Section(name string) (SectionInfo, bool) {
	for _, s := range im.Sections {
		if s.Name == name {
			return s, true
		}
	}
	return SectionInfo{}, false
}

// WriteFile writes the executable to path with mode 0755.
func (im *Image) WriteFile(path string) error {
	if err := os.WriteFile(path, im.ELF, 0o755); err != nil {
		return fmt.Errorf("link: writing the executable: %w", err)
	}
	// WriteFile keeps the mode of an existing file; make sure it is executable.
	if err := os.Chmod(path, 0o755); err != nil {
		return fmt.Errorf("link: making %s executable: %w", path, err)
	}
	return nil
}

func alignUp(v, a uint64) uint64 { return (v + a - 1) &^ (a - 1) }

// segment is a program header being built.
type segment struct {
	typ, flags           uint32
	off, addr            uint64
	filesz, memsz, align uint64
}

const (
	ehdrSize = 64
	phdrSize = 56
	shdrSize = 64
	symSize  = 24
)

// where describes a place in a section for error messages:
// ".text+0x1a (in app!main+0x5)".
func (l *Linker) where(id SectionID, off uint64) string {
	s := l.secs[id]
	w := fmt.Sprintf("%s+%#x", s.name, off)
	best := -1
	for i, sym := range l.syms {
		if sym.Section != id || off < sym.Offset {
			continue
		}
		if off < sym.Offset+sym.Size || (sym.Size == 0 && off == sym.Offset) {
			if best < 0 || sym.Offset > l.syms[best].Offset {
				best = i
			}
		}
	}
	if best >= 0 {
		sym := l.syms[best]
		if off == sym.Offset {
			w += fmt.Sprintf(" (in %s)", sym.Name)
		} else {
			w += fmt.Sprintf(" (in %s+%#x)", sym.Name, off-sym.Offset)
		}
	}
	return w
}

// Link lays the image out, resolves every relocation and writes the ELF
// file. It does not change the Linker, so it can be called again.
func (l *Linker) Link() (*Image, error) {
	if l.err != nil {
		return nil, l.err
	}
	for _, s := range l.syms {
		sec := l.secs[s.Section]
		if s.Offset > sec.size || s.Size > sec.size-s.Offset {
			return nil, fmt.Errorf("link: symbol %q (%s+%#x, size %#x) extends past the end of %s (size %#x); define symbols inside the bytes they name",
				s.Name, sec.name, s.Offset, s.Size, sec.name, sec.size)
		}
	}
	entryIdx, ok := l.symIdx[l.cfg.Entry]
	if !ok {
		return nil, fmt.Errorf("link: entry symbol %q is not defined; define a function with that name in Text or set Config.Entry", l.cfg.Entry)
	}
	if es := l.syms[entryIdx]; es.Section != Text {
		return nil, fmt.Errorf("link: entry symbol %q is in %s, not in .text; the entry point must be code", es.Name, l.secs[es.Section].name)
	}

	page, base := l.cfg.PageSize, l.cfg.Base
	text, rodata, data, bss := l.secs[Text], l.secs[ROData], l.secs[Data], l.secs[BSS]
	var notes []*section
	for _, s := range l.secs[numBuiltin:] {
		notes = append(notes, s)
	}

	// Count the program headers first: their size decides where the
	// sections after them start.
	phnum := 2 // the R segment and PT_GNU_STACK
	if text.size > 0 {
		phnum++
	}
	if data.size+bss.size > 0 {
		phnum++
	}
	for _, n := range notes {
		if n.size > 0 {
			phnum++
		}
	}

	// R segment: headers, notes, rodata.
	off := uint64(ehdrSize + phdrSize*phnum)
	for _, n := range notes {
		off = alignUp(off, n.align)
		n.off, n.addr = off, base+off
		off += n.size
	}
	off = alignUp(off, rodata.align)
	rodata.off, rodata.addr = off, base+off
	off += rodata.size
	segs := []segment{{typ: ptLoad, flags: pfR, off: 0, addr: base, filesz: off, memsz: off, align: page}}

	// RX segment: text.
	if text.size > 0 {
		off = alignUp(off, page)
	}
	off = alignUp(off, text.align)
	text.off, text.addr = off, base+off
	off += text.size
	if text.size > 0 {
		segs = append(segs, segment{typ: ptLoad, flags: pfR | pfX, off: text.off, addr: text.addr, filesz: text.size, memsz: text.size, align: page})
	}

	// RW segment: data, then bss (in memory only). The bss file offset is
	// the one its address corresponds to, as GNU ld writes it.
	if data.size+bss.size > 0 {
		off = alignUp(off, page)
	}
	off = alignUp(off, data.align)
	data.off, data.addr = off, base+off
	off += data.size
	bss.addr = alignUp(data.addr+data.size, bss.align)
	bss.off = data.off + (bss.addr - data.addr)
	if data.size+bss.size > 0 {
		segs = append(segs, segment{typ: ptLoad, flags: pfR | pfW, off: data.off, addr: data.addr, filesz: data.size, memsz: bss.addr + bss.size - data.addr, align: page})
	}
	var end uint64
	for _, sg := range segs {
		if sg.addr+sg.memsz < sg.addr || sg.addr < base {
			return nil, fmt.Errorf("link: the image (base %#x, %#x bytes) wraps around the end of the address space; choose a lower base", base, sg.addr+sg.memsz-base)
		}
		end = max(end, sg.addr+sg.memsz)
	}
	for _, n := range notes {
		if n.size > 0 {
			segs = append(segs, segment{typ: ptNote, flags: pfR, off: n.off, addr: n.addr, filesz: n.size, memsz: n.size, align: n.align})
		}
	}
	segs = append(segs, segment{typ: ptGNUStack, flags: pfR | pfW, align: 16})
	if len(segs) != phnum {
		return nil, fmt.Errorf("link: internal error: %d program headers laid out, %d counted", len(segs), phnum)
	}
	// Addresses of symbols.
	addrs := make(map[string]uint64, len(l.syms)+len(reserved))
	for _, s := range l.syms {
		addrs[s.Name] = l.secs[s.Section].addr + s.Offset
	}
	addrs["__image_start"], addrs["__image_end"] = base, end
	for _, id := range []SectionID{Text, ROData, Data, BSS} {
		s := l.secs[id]
		n := strings.TrimPrefix(s.name, ".")
		addrs["__"+n+"_start"], addrs["__"+n+"_end"] = s.addr, s.addr+s.size
	}

	// The file: loaded bytes, then symbol and string tables, then section
	// headers.
	w := &elfWriter{l: l, segs: segs, notes: notes, fileEnd: off, entry: addrs[l.cfg.Entry], end: end}
	file, infos := w.write()

	if err := l.relocate(file, addrs); err != nil {
		return nil, err
	}
	return &Image{ELF: file, Entry: w.entry, Base: base, End: end, Sections: infos, addrs: addrs}, nil
}

// relocate patches every relocation into file (sections are at their file
// offsets).
func (l *Linker) relocate(file []byte, addrs map[string]uint64) error {
	var undef []string
	var firstUndef string
	seen := map[string]bool{}
	for _, r := range l.relocs {
		if r.Section < 0 || int(r.Section) >= len(l.secs) {
			return fmt.Errorf("link: %v relocation against %q is in section %d, which does not exist", r.Kind, r.Symbol, int(r.Section))
		}
		s := l.secs[r.Section]
		if r.Kind < PC32 || r.Kind > ABS32S {
			return fmt.Errorf("link: relocation at %s against %q has invalid kind %d (use PC32, ABS64, ABS32 or ABS32S)", l.where(r.Section, r.Offset), r.Symbol, int(r.Kind))
		}
		if s.kind == nobits {
			return fmt.Errorf("link: %v relocation against %q is in %s, which holds no bytes; relocations go in sections with contents", r.Kind, r.Symbol, s.name)
		}
		if r.Offset > s.size || r.Kind.width() > s.size-r.Offset {
			return fmt.Errorf("link: %v relocation at %s+%#x against %q does not fit in %s (size %#x); the offset is wrong", r.Kind, s.name, r.Offset, r.Symbol, s.name, s.size)
		}
		if _, ok := addrs[r.Symbol]; !ok && !seen[r.Symbol] {
			seen[r.Symbol] = true
			if firstUndef == "" {
				firstUndef = fmt.Sprintf("undefined symbol %q, referenced by a %v relocation at %s", r.Symbol, r.Kind, l.where(r.Section, r.Offset))
			} else {
				undef = append(undef, fmt.Sprintf("%q", r.Symbol))
			}
		}
	}
	if firstUndef != "" {
		msg := "link: " + firstUndef
		if len(undef) > 0 {
			const show = 5
			more := undef
			if len(more) > show {
				more = more[:show]
			}
			msg += fmt.Sprintf("; also undefined: %s", strings.Join(more, ", "))
			if len(undef) > show {
				msg += fmt.Sprintf(" and %d more", len(undef)-show)
			}
		}
		return fmt.Errorf("%s; define them (AddFunc, AddObject, Define) or fix the names", msg)
	}

	// Every relocation is valid and its symbol defined: patch.
	for _, r := range l.relocs {
		s := l.secs[r.Section]
		S := addrs[r.Symbol]
		P := s.addr + r.Offset
		v := S + uint64(r.Addend) // wrapping: addresses and addends are two's complement
		field := file[s.off+r.Offset:]
		fits := true
		var rng string
		switch r.Kind {
		case PC32:
			v -= P
			fits = int64(v) == int64(int32(v))
			rng = "a signed 32-bit displacement (±2 GiB); the target is too far from the site: keep code and the data it reaches within 2 GiB, or load the address with an ABS64 relocation (movabs)"
		case ABS32:
			fits = v <= math.MaxUint32
			rng = "an unsigned 32-bit field; the address must be below 4 GiB: link at a lower base"
		case ABS32S:
			fits = int64(v) == int64(int32(v))
			rng = "a sign-extended 32-bit field; the address must be below 2 GiB (or in the top 2 GiB): link at a lower base or use ABS64"
		}
		if !fits {
			val := fmt.Sprintf("%#x", v)
			if r.Kind != ABS32 {
				val = fmt.Sprintf("%d", int64(v))
			}
			return fmt.Errorf("link: %v relocation at %s (address %#x) against %q (address %#x, addend %d): value %s does not fit in %s",
				r.Kind, l.where(r.Section, r.Offset), P, r.Symbol, S, r.Addend, val, rng)
		}
		if r.Kind == ABS64 {
			binary.LittleEndian.PutUint64(field, v)
		} else {
			binary.LittleEndian.PutUint32(field, uint32(v))
		}
	}
	return nil
}
