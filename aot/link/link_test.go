package link_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/link"
)

const (
	sysWrite = 1
	sysExit  = 60
)

// asm assembles one function with the encoder.
func asm(t *testing.T, name string, emit func(a *Assembler)) link.Func {
	t.Helper()
	a := New()
	emit(a)
	code, err := a.Finish()
	if err != nil {
		t.Fatalf("assembling %s: %v", name, err)
	}
	return link.Func{Name: name, Code: code, Relocs: a.Relocs()}
}

func exit(a *Assembler, status int64) {
	a.MovImm(S32, RAX, sysExit)
	a.MovImm(S32, RDI, status)
	a.Syscall()
}

// exit42 links `_start: mov eax, 60; mov edi, 42; syscall`.
func exit42(t *testing.T, cfg link.Config) *link.Image {
	t.Helper()
	l := link.New(cfg)
	l.AddFunc(asm(t, "_start", func(a *Assembler) { exit(a, 42) }))
	im, err := l.Link()
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func canRun(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("running x86-64 Linux executables needs linux/amd64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
}

// run writes the image to a file, runs it and returns stdout and the exit
// status.
func run(t *testing.T, im *link.Image) (string, int) {
	t.Helper()
	canRun(t)
	path := filepath.Join(t.TempDir(), "prog")
	if err := im.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("%s died of signal %v (stderr %q)", path, ws.Signal(), errb.String())
		}
		return out.String(), ee.ExitCode()
	default:
		t.Fatalf("running %s: %v", path, err)
	}
	return "", -1
}

func TestExit42(t *testing.T) {
	im := exit42(t, link.Config{})
	if _, status := run(t, im); status != 42 {
		t.Fatalf("exit status %d, want 42", status)
	}
	if im.Entry != addr(t, im, "_start") || im.Entry < link.DefaultBase {
		t.Errorf("entry %#x, _start %#x", im.Entry, addr(t, im, "_start"))
	}
	// Only code: an R segment for the headers, an RX one for .text, no RW.
	f, err := elf.NewFile(bytes.NewReader(im.ELF))
	if err != nil {
		t.Fatal(err)
	}
	var flags []elf.ProgFlag
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			flags = append(flags, p.Flags)
		}
	}
	if len(flags) != 2 || flags[0] != elf.PF_R || flags[1] != elf.PF_R|elf.PF_X {
		t.Errorf("PT_LOAD flags %v, want [R, R+X]", flags)
	}
}

// The program of TestProgram:
//
//	_start:  call app!bump            (PC32 to another function)
//	         call app!greet
//	         call app!bump
//	         call [rip+table]         (ABS64 pointer to app!bump in rodata)
//	         check that bss is zero at its first and last qwords, and
//	         that a store to it reads back
//	         exit(counter)            (counter in .data, 7 + 3 = 10)
//	app!greet: write(1, msg1) with a RIP-relative lea,
//	         write(1, msg2) with movabs (ABS64 in code)
//	app!bump: counter += 1 (RIP-relative memory operand with an immediate)
const (
	msg1      = "hello from rodata\n"
	msg2      = "and again via movabs\n"
	bssSize   = 3*4096 + 24
	wantCount = 10
)

func buildProgram(t *testing.T, cfg link.Config) *link.Linker {
	t.Helper()
	l := link.New(cfg)
	l.AddFunc(asm(t, "_start", func(a *Assembler) {
		bad := a.NewLabel()
		a.CallSym("app!bump")
		a.CallSym("app!greet")
		a.CallSym("app!bump")
		a.CallM(SymRef("table", 0))
		a.Load(S64, RAX, SymRef("buf", 0))
		a.AluRM(OR, S64, RAX, SymRef("buf", bssSize-8))
		a.TestRR(S64, RAX, RAX)
		a.Jcc(CondNE, bad)
		a.StoreImm(S64, SymRef("buf", 64), 0x1234)
		a.Load(S64, RAX, SymRef("buf", 64))
		a.AluRI(CMP, S64, RAX, 0x1234)
		a.Jcc(CondNE, bad)
		a.Load(S64, RDI, SymRef("counter", 0))
		a.MovImm(S32, RAX, sysExit)
		a.Syscall()
		a.Bind(bad)
		exit(a, 99)
	}))
	l.AddFunc(asm(t, "app!greet", func(a *Assembler) {
		a.MovImm(S32, RAX, sysWrite)
		a.MovImm(S32, RDI, 1)
		a.Lea(S64, RSI, SymRef("msg1", 0))
		a.MovImm(S32, RDX, int64(len(msg1)))
		a.Syscall()
		a.MovImm(S32, RAX, sysWrite)
		a.MovImm(S32, RDI, 1)
		a.MovAbsSym(RSI, "msg2", 0)
		a.MovImm(S32, RDX, int64(len(msg2)))
		a.Syscall()
		a.Ret()
	}))
	l.AddFunc(asm(t, "app!bump", func(a *Assembler) {
		a.AluMI(ADD, S64, SymRef("counter", 0), 1)
		a.Ret()
	}))
	l.AddObject(link.Object{Name: "msg1", Section: link.ROData, Data: []byte(msg1), Align: 1})
	l.AddObject(link.Object{Name: "msg2", Section: link.ROData, Data: []byte(msg2), Align: 1, Local: true})
	l.AddObject(link.Object{Name: "table", Section: link.ROData, Data: make([]byte, 8),
		Relocs: []link.Reloc{{Offset: 0, Kind: link.ABS64, Symbol: "app!bump"}}})
	var c [8]byte
	binary.LittleEndian.PutUint64(c[:], wantCount-3)
	l.AddObject(link.Object{Name: "counter", Section: link.Data, Data: c[:]})
	l.AddObject(link.Object{Name: "buf", Section: link.BSS, Size: bssSize, Align: 64})
	return l
}

func TestProgram(t *testing.T) {
	im, err := buildProgram(t, link.Config{}).Link()
	if err != nil {
		t.Fatal(err)
	}
	out, status := run(t, im)
	if out != msg1+msg2 {
		t.Errorf("stdout %q, want %q", out, msg1+msg2)
	}
	if status != wantCount {
		t.Errorf("exit status %d, want %d (99 means bss was not zero or not writable)", status, wantCount)
	}
}

// TestProgramOtherBase links at another base and page size: the program
// must still run (every address comes from relocations).
func TestProgramOtherBase(t *testing.T) {
	im, err := buildProgram(t, link.Config{Base: 0x10000000, PageSize: 0x10000}).Link()
	if err != nil {
		t.Fatal(err)
	}
	if im.Base != 0x10000000 || im.Entry < im.Base {
		t.Fatalf("base %#x entry %#x", im.Base, im.Entry)
	}
	out, status := run(t, im)
	if out != msg1+msg2 || status != wantCount {
		t.Fatalf("stdout %q status %d", out, status)
	}
}

func TestDeterministic(t *testing.T) {
	a, err := buildProgram(t, link.Config{}).Link()
	if err != nil {
		t.Fatal(err)
	}
	l := buildProgram(t, link.Config{})
	b, err := l.Link()
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Link() // Link does not change the Linker
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.ELF, b.ELF) || !bytes.Equal(b.ELF, c.ELF) {
		t.Fatal("the same input gave different bytes")
	}
}

// TestELFStructure reads the file back with Go's debug/elf, an independent
// parser, and checks headers, segments, sections and symbols.
func TestELFStructure(t *testing.T) {
	l := buildProgram(t, link.Config{})
	xen := l.NoteSection(".note.Xen")
	l.AddNote(xen, "Xen", 18, []byte{1, 2, 3, 4})
	im, err := l.Link()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(im.ELF))
	if err != nil {
		t.Fatal(err)
	}
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB || f.Type != elf.ET_EXEC || f.Machine != elf.EM_X86_64 {
		t.Fatalf("header: %v %v %v %v", f.Class, f.Data, f.Type, f.Machine)
	}
	if f.Entry != addr(t, im, "_start") {
		t.Errorf("e_entry %#x, _start at %#x", f.Entry, addr(t, im, "_start"))
	}
	const page = 4096
	var loads []*elf.Prog
	var sawStack, sawNote bool
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			loads = append(loads, p)
			if p.Off%page != p.Vaddr%page || p.Vaddr%page != 0 || p.Align != page {
				t.Errorf("PT_LOAD off %#x vaddr %#x align %#x: not page-aligned", p.Off, p.Vaddr, p.Align)
			}
			if p.Flags&elf.PF_W != 0 && p.Flags&elf.PF_X != 0 {
				t.Errorf("PT_LOAD at %#x is writable and executable", p.Vaddr)
			}
			if p.Paddr != p.Vaddr {
				t.Errorf("PT_LOAD paddr %#x != vaddr %#x", p.Paddr, p.Vaddr)
			}
		case elf.PT_GNU_STACK:
			sawStack = true
			if p.Flags&elf.PF_X != 0 {
				t.Error("PT_GNU_STACK asks for an executable stack")
			}
		case elf.PT_NOTE:
			sawNote = true
			xs, _ := im.Section(".note.Xen")
			if p.Vaddr != xs.Addr || p.Filesz != xs.Size || p.Filesz != 20 {
				t.Errorf("PT_NOTE at %#x size %d, section at %#x size %d", p.Vaddr, p.Filesz, xs.Addr, xs.Size)
			}
		}
	}
	if !sawStack || !sawNote || len(loads) != 3 {
		t.Fatalf("GNU_STACK %v, NOTE %v, %d PT_LOADs (want 3)", sawStack, sawNote, len(loads))
	}
	wantFlags := []elf.ProgFlag{elf.PF_R, elf.PF_R | elf.PF_X, elf.PF_R | elf.PF_W}
	for i, p := range loads {
		if p.Flags != wantFlags[i] {
			t.Errorf("PT_LOAD %d flags %v, want %v", i, p.Flags, wantFlags[i])
		}
		if i > 0 && p.Vaddr < loads[i-1].Vaddr+loads[i-1].Memsz {
			t.Errorf("PT_LOAD %d overlaps the previous one", i)
		}
	}
	if loads[0].Vaddr != link.DefaultBase || loads[0].Off != 0 {
		t.Errorf("first PT_LOAD at %#x offset %#x; the headers must be mapped at the base", loads[0].Vaddr, loads[0].Off)
	}
	rw := loads[2]
	if rw.Memsz-rw.Filesz < bssSize || rw.Filesz != 8 {
		t.Errorf("RW segment filesz %d memsz %d: want 8 bytes of data and %d of bss", rw.Filesz, rw.Memsz, bssSize)
	}

	// Sections: each loaded one lies inside a segment with matching file
	// offset, and has the right type and flags.
	want := map[string]struct {
		typ   elf.SectionType
		flags elf.SectionFlag
	}{
		".text":     {elf.SHT_PROGBITS, elf.SHF_ALLOC | elf.SHF_EXECINSTR},
		".rodata":   {elf.SHT_PROGBITS, elf.SHF_ALLOC},
		".data":     {elf.SHT_PROGBITS, elf.SHF_ALLOC | elf.SHF_WRITE},
		".bss":      {elf.SHT_NOBITS, elf.SHF_ALLOC | elf.SHF_WRITE},
		".note.Xen": {elf.SHT_NOTE, elf.SHF_ALLOC},
		".symtab":   {elf.SHT_SYMTAB, 0},
		".strtab":   {elf.SHT_STRTAB, 0},
		".shstrtab": {elf.SHT_STRTAB, 0},
	}
	if len(f.Sections) != len(want)+1 {
		t.Errorf("%d sections, want %d", len(f.Sections), len(want)+1)
	}
	for name, w := range want {
		s := f.Section(name)
		if s == nil {
			t.Errorf("no section %s", name)
			continue
		}
		if s.Type != w.typ || s.Flags != w.flags {
			t.Errorf("%s: type %v flags %v, want %v %v", name, s.Type, s.Flags, w.typ, w.flags)
		}
		if s.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		in := false
		for _, p := range loads {
			if s.Addr >= p.Vaddr && s.Addr+s.Size <= p.Vaddr+p.Memsz {
				in = true
				if s.Type != elf.SHT_NOBITS && s.Offset-p.Off != s.Addr-p.Vaddr {
					t.Errorf("%s: file offset %#x does not match address %#x in its segment", name, s.Offset, s.Addr)
				}
			}
		}
		if !in {
			t.Errorf("%s at %#x+%#x is in no PT_LOAD", name, s.Addr, s.Size)
		}
	}
	msg, _ := f.Section(".rodata").Data()
	if !bytes.Contains(msg, []byte(msg1)) {
		t.Errorf(".rodata does not contain %q", msg1)
	}

	// Symbols: every defined one, with kind, binding, address and size.
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]elf.Symbol{}
	for _, s := range syms {
		byName[s.Name] = s
	}
	if len(syms) != len(l.Symbols()) {
		t.Errorf("%d symbols in .symtab, want %d (linker-defined names must not be there)", len(syms), len(l.Symbols()))
	}
	for _, d := range l.Symbols() {
		s, ok := byName[d.Name]
		if !ok {
			t.Errorf("symbol %q missing", d.Name)
			continue
		}
		wantType := map[link.SymKind]elf.SymType{link.SymFunc: elf.STT_FUNC, link.SymObject: elf.STT_OBJECT}[d.Kind]
		wantBind := elf.STB_GLOBAL
		if d.Local {
			wantBind = elf.STB_LOCAL
		}
		if elf.ST_TYPE(s.Info) != wantType || elf.ST_BIND(s.Info) != wantBind {
			t.Errorf("%s: type %v bind %v, want %v %v", d.Name, elf.ST_TYPE(s.Info), elf.ST_BIND(s.Info), wantType, wantBind)
		}
		if s.Value != addr(t, im, d.Name) || s.Size != d.Size || s.Size == 0 {
			t.Errorf("%s: value %#x size %d, want %#x %d", d.Name, s.Value, s.Size, addr(t, im, d.Name), d.Size)
		}
		if f.Sections[s.Section].Name != l.SectionName(d.Section) {
			t.Errorf("%s: in section %s, want %s", d.Name, f.Sections[s.Section].Name, l.SectionName(d.Section))
		}
	}

	// The relocated pointer in rodata holds app!bump's address.
	tbl := addr(t, im, "table") - f.Section(".rodata").Addr
	if got := binary.LittleEndian.Uint64(msg[tbl:]); got != addr(t, im, "app!bump") {
		t.Errorf("table holds %#x, want app!bump at %#x", got, addr(t, im, "app!bump"))
	}
	// Linker-defined symbols.
	bss := f.Section(".bss")
	if addr(t, im, "__bss_start") != bss.Addr || addr(t, im, "__bss_end") != bss.Addr+bss.Size || im.End != bss.Addr+bss.Size ||
		addr(t, im, "__image_start") != link.DefaultBase || addr(t, im, "__image_end") != im.End {
		t.Errorf("linker symbols: bss %#x..%#x image %#x..%#x; .bss is %#x+%#x",
			addr(t, im, "__bss_start"), addr(t, im, "__bss_end"), addr(t, im, "__image_start"), addr(t, im, "__image_end"), bss.Addr, bss.Size)
	}
}

// TestNoteReloc checks what xenboot needs: a note whose descriptor is the
// 32-bit address of the entry point (ABS32), at a 1 MiB base.
func TestNoteReloc(t *testing.T) {
	l := link.New(link.Config{Base: 0x100000, Entry: "pvh_start"})
	l.AddFunc(asm(t, "pvh_start", func(a *Assembler) { a.Ud2() }))
	xen := l.NoteSection(".note.Xen")
	l.AddNote(xen, "Xen", 6, []byte("xen-3.0\x00")) // XEN_ELFNOTE_XEN_VERSION
	off := l.AddNote(xen, "Xen", 18, make([]byte, 4))
	l.AddReloc(link.Reloc{Section: xen, Offset: off, Kind: link.ABS32, Symbol: "pvh_start"})
	im, err := l.Link()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(im.ELF))
	if err != nil {
		t.Fatal(err)
	}
	notes := parseNotes(t, f)
	if len(notes) != 2 || notes[0].name != "Xen" || notes[0].typ != 6 || string(notes[0].desc) != "xen-3.0\x00" {
		t.Fatalf("notes: %+v", notes)
	}
	if n := notes[1]; n.typ != 18 || len(n.desc) != 4 || uint64(binary.LittleEndian.Uint32(n.desc)) != im.Entry || im.Entry < 0x100000 {
		t.Fatalf("PHYS32_ENTRY note %+v, entry %#x", n, im.Entry)
	}
}

type parsedNote struct {
	name string
	typ  uint32
	desc []byte
}

// parseNotes reads the notes through the PT_NOTE headers, as Xen does.
func parseNotes(t *testing.T, f *elf.File) []parsedNote {
	t.Helper()
	var out []parsedNote
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			t.Fatal(err)
		}
		for len(b) > 0 {
			if len(b) < 12 {
				t.Fatalf("truncated note header: %x", b)
			}
			nsz, dsz, typ := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])
			b = b[12:]
			name := strings.TrimSuffix(string(b[:nsz]), "\x00")
			b = b[(nsz+3)&^3:]
			desc := b[:dsz]
			b = b[(dsz+3)&^3:]
			out = append(out, parsedNote{name, typ, desc})
		}
	}
	return out
}

func TestFuncSymbol(t *testing.T) {
	for _, c := range []struct {
		mod, name string
		idx       uint32
		want      string
	}{
		{"app", "main.main", 3, "app!main.main"},
		{"shim", "", 42, "shim!func42"},
		{"app", "a\x00b", 1, "app!a?b"},
	} {
		if got := link.FuncSymbol(c.mod, c.name, c.idx); got != c.want {
			t.Errorf("FuncSymbol(%q, %q, %d) = %q, want %q", c.mod, c.name, c.idx, got, c.want)
		}
	}
}

// addr is im.Addr for a symbol that must exist.
func addr(t *testing.T, im *link.Image, name string) uint64 {
	t.Helper()
	a, ok := im.Addr(name)
	if !ok {
		t.Fatalf("symbol %q has no address", name)
	}
	return a
}
