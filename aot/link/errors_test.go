package link_test

import (
	"strings"
	"testing"

	. "github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/link"
)

// linkErr links what build adds (with a valid _start unless build defines
// its own) and returns the error, failing if there is none.
func linkErr(t *testing.T, cfg link.Config, build func(l *link.Linker)) string {
	t.Helper()
	l := link.New(cfg)
	build(l)
	if _, ok := find(l, "_start"); !ok && cfg.Entry == "" {
		l.AddFunc(asm(t, "_start", func(a *Assembler) { exit(a, 0) }))
	}
	im, err := l.Link()
	if err == nil {
		t.Fatalf("Link succeeded (entry %#x); want an error", im.Entry)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "link: ") {
		t.Errorf("error is not one line starting with \"link: \": %q", msg)
	}
	return msg
}

func find(l *link.Linker, name string) (link.Symbol, bool) {
	for _, s := range l.Symbols() {
		if s.Name == name {
			return s, true
		}
	}
	return link.Symbol{}, false
}

func wantAll(t *testing.T, msg string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not mention %q", msg, p)
		}
	}
}

func TestUndefinedSymbol(t *testing.T) {
	msg := linkErr(t, link.Config{}, func(l *link.Linker) {
		l.AddFunc(asm(t, "_start", func(a *Assembler) { exit(a, 0) }))
		l.AddFunc(asm(t, "app!caller", func(a *Assembler) {
			a.Nop(3)
			a.CallSym("app!missing") // rel32 field at offset 4
			a.CallSym("app!gone")
			a.CallSym("app!missing")
			a.Ret()
		}))
	})
	wantAll(t, msg, `undefined symbol "app!missing"`, "PC32 relocation at .text+0x14 (in app!caller+0x4)", `also undefined: "app!gone"`)
	if strings.Count(msg, "app!missing") != 1 {
		t.Errorf("a symbol referenced twice is reported twice: %q", msg)
	}
}

func TestUndefinedInData(t *testing.T) {
	msg := linkErr(t, link.Config{}, func(l *link.Linker) {
		l.AddObject(link.Object{Name: "vtable", Section: link.ROData, Data: make([]byte, 16),
			Relocs: []link.Reloc{{Offset: 8, Kind: link.ABS64, Symbol: "nowhere"}}})
	})
	wantAll(t, msg, `undefined symbol "nowhere"`, "ABS64 relocation at .rodata+0x8 (in vtable+0x8)")
}

func TestPC32Overflow(t *testing.T) {
	msg := linkErr(t, link.Config{}, func(l *link.Linker) {
		l.AddFunc(asm(t, "_start", func(a *Assembler) {
			a.Load(S64, RAX, SymRef("far", 0))
			exit(a, 0)
		}))
		l.AddObject(link.Object{Name: "huge", Section: link.BSS, Size: 3 << 30})
		l.AddObject(link.Object{Name: "far", Section: link.BSS, Size: 8})
	})
	wantAll(t, msg, "PC32 relocation at .text+0x3 (in _start+0x3)", `against "far"`, "does not fit in a signed 32-bit displacement")
}

func TestPC32JustFits(t *testing.T) {
	// The same shape as TestPC32Overflow, but 1 GiB away: no error, and the
	// displacement is right.
	l := link.New(link.Config{})
	l.AddFunc(asm(t, "_start", func(a *Assembler) {
		a.Load(S64, RAX, SymRef("far", 0))
		exit(a, 0)
	}))
	l.AddObject(link.Object{Name: "huge", Section: link.BSS, Size: 1 << 30})
	l.AddObject(link.Object{Name: "far", Section: link.BSS, Size: 8})
	im, err := l.Link()
	if err != nil {
		t.Fatal(err)
	}
	text, _ := im.Section(".text")
	field := im.ELF[text.Offset+3:]
	disp := int32(uint32(field[0]) | uint32(field[1])<<8 | uint32(field[2])<<16 | uint32(field[3])<<24)
	if got, want := int64(text.Addr)+7+int64(disp), int64(addr(t, im, "far")); got != want {
		t.Fatalf("RIP-relative load reaches %#x, far is at %#x", got, want)
	}
}

func TestABS32Overflow(t *testing.T) {
	msg := linkErr(t, link.Config{Base: 0x100000000}, func(l *link.Linker) {
		n := l.NoteSection(".note.Xen")
		off := l.AddNote(n, "Xen", 18, make([]byte, 4))
		l.AddReloc(link.Reloc{Section: n, Offset: off, Kind: link.ABS32, Symbol: "_start"})
	})
	wantAll(t, msg, "ABS32 relocation at .note.Xen+0x10", `against "_start" (address 0x100001000`, "unsigned 32-bit", "below 4 GiB")
}

func TestABS32SOverflow(t *testing.T) {
	msg := linkErr(t, link.Config{Base: 0x80000000}, func(l *link.Linker) {
		l.AddObject(link.Object{Name: "ptr", Section: link.Data, Data: make([]byte, 4),
			Relocs: []link.Reloc{{Kind: link.ABS32S, Symbol: "_start"}}})
	})
	wantAll(t, msg, "ABS32S relocation at .data+0x0 (in ptr)", "sign-extended 32-bit")
}

func TestLinkErrors(t *testing.T) {
	start := func(t *testing.T, l *link.Linker) {
		l.AddFunc(asm(t, "_start", func(a *Assembler) { exit(a, 0) }))
	}
	for _, c := range []struct {
		name  string
		cfg   link.Config
		build func(t *testing.T, l *link.Linker)
		want  []string
	}{
		{"no entry", link.Config{Entry: "main"}, start,
			[]string{`entry symbol "main" is not defined`}},
		{"entry in data", link.Config{Entry: "d"}, func(t *testing.T, l *link.Linker) {
			l.AddObject(link.Object{Name: "d", Section: link.Data, Data: []byte{1}})
		}, []string{`entry symbol "d" is in .data`}},
		{"duplicate", link.Config{}, func(t *testing.T, l *link.Linker) {
			start(t, l)
			l.AddObject(link.Object{Name: "_start", Section: link.Data, Data: []byte{1}})
		}, []string{`symbol "_start" is defined twice`, ".text+0x0", ".data+0x0"}},
		{"reserved name", link.Config{}, func(t *testing.T, l *link.Linker) {
			l.AddObject(link.Object{Name: "__bss_start", Section: link.BSS, Size: 8})
		}, []string{`"__bss_start" is reserved`}},
		{"NUL in name", link.Config{}, func(t *testing.T, l *link.Linker) {
			l.AddObject(link.Object{Name: "a\x00b", Section: link.Data, Data: []byte{1}})
		}, []string{`"a\x00b" contains a NUL byte`}},
		{"bytes in bss", link.Config{}, func(t *testing.T, l *link.Linker) {
			l.Append(link.BSS, []byte{1}, 1)
		}, []string{".bss holds no bytes", "Reserve"}},
		{"bad alignment", link.Config{}, func(t *testing.T, l *link.Linker) {
			l.Append(link.Data, []byte{1}, 3)
		}, []string{"alignment 3 is not a power of two"}},
		{"bad base", link.Config{Base: 0x400010}, start,
			[]string{"base address 0x400010 is not a multiple of the page size"}},
		{"bad section", link.Config{}, func(t *testing.T, l *link.Linker) {
			l.Append(link.SectionID(17), []byte{1}, 1)
		}, []string{"section 17 does not exist"}},
		{"symbol past end", link.Config{}, func(t *testing.T, l *link.Linker) {
			start(t, l)
			l.Define(link.Symbol{Name: "x", Section: link.Data, Offset: 4, Size: 8, Kind: link.SymObject})
		}, []string{`symbol "x" (.data+0x4, size 0x8) extends past the end of .data`}},
		{"reloc past end", link.Config{}, func(t *testing.T, l *link.Linker) {
			start(t, l)
			l.Append(link.Data, make([]byte, 6), 1)
			l.AddReloc(link.Reloc{Section: link.Data, Offset: 2, Kind: link.ABS64, Symbol: "_start"})
		}, []string{"ABS64 relocation at .data+0x2", "does not fit in .data (size 0x6)"}},
		{"reloc in bss", link.Config{}, func(t *testing.T, l *link.Linker) {
			start(t, l)
			l.Reserve(link.BSS, 8, 8)
			l.AddReloc(link.Reloc{Section: link.BSS, Kind: link.ABS64, Symbol: "_start"})
		}, []string{"is in .bss, which holds no bytes"}},
		{"note not a note section", link.Config{}, func(t *testing.T, l *link.Linker) {
			l.AddNote(link.Data, "Xen", 1, nil)
		}, []string{".data is not a note section"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := linkErr(t, c.cfg, func(l *link.Linker) { c.build(t, l) })
			wantAll(t, msg, c.want...)
		})
	}
}
