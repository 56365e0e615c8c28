package main

import (
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/abi/manifest"
	"github.com/mwasm/mwasm/aot/link"
)

// inspectModule is a small hand-made module:
//
//	(type (func (param i32 i32 i32 i32) (result i32)))   ;; 0
//	(type (func (param i32 i32) (result i32)))           ;; 1
//	(type (func))                                        ;; 2
//	(import "wasi_snapshot_preview1" "fd_write" (func (type 0)))
//	(import "wasi_snapshot_preview1" "proc_raise" (func (type 1)))
//	(import "env" "mem" (memory 1))
//	(func (type 2))                                      ;; 2: _start, i32.extend8_s
//	(func (type 1) local.get 0)                          ;; 3: add
//	(global (mut i32) (i32.const 0))
//	(export "_start" (func 2))
//	(export "add" (func 3))
//	(export "g" (global 0))
//	(name section: module "tiny", function 2 "main")
var inspectModule = buildInspectModule()

// buildInspectModule assembles the module described above, computing section sizes.
func buildInspectModule() []byte {
	name := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	sec := func(id byte, body ...[]byte) []byte {
		var b []byte
		for _, p := range body {
			b = append(b, p...)
		}
		return append([]byte{id, byte(len(b))}, b...)
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	wasi := name("wasi_snapshot_preview1")
	return cat(
		[]byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00},
		sec(1, []byte{0x03,
			0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f,
			0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
			0x60, 0x00, 0x00}),
		sec(2, []byte{0x03},
			wasi, name("fd_write"), []byte{0x00, 0x00},
			wasi, name("proc_raise"), []byte{0x00, 0x01},
			name("env"), name("mem"), []byte{0x02, 0x00, 0x01}),
		sec(3, []byte{0x02, 0x02, 0x01}),
		sec(6, []byte{0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b}),
		sec(7, []byte{0x03}, name("_start"), []byte{0x00, 0x02}, name("add"), []byte{0x00, 0x03}, name("g"), []byte{0x03, 0x00}),
		sec(10, []byte{0x02,
			0x06, 0x00, 0x41, 0x01, 0xc0, 0x1a, 0x0b, // i32.const 1, i32.extend8_s, drop, end
			0x04, 0x00, 0x20, 0x00, 0x0b}), // local.get 0, end
		sec(0, name("name"),
			[]byte{0x00, 0x05}, name("tiny"),
			[]byte{0x01, 0x07, 0x01, 0x02}, name("main")),
	)
}

func TestInspectSmallModule(t *testing.T) {
	p := writeFile(t, "tiny.wasm", inspectModule)
	r := mwasm(t, "inspect", p)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	wantLines := []string{
		"module     " + p,
		"size       " + strconv.Itoa(len(inspectModule)) + " bytes",
		"type       command (exports _start)",
		"features   sign-ext, mutable-globals",
		"functions  2 imported, 2 defined",
		"memories   min 1 page, no max (imported)",
		"tables     none",
		"globals    1 (0 imported, 1 mutable)",
		"start      none",
		`names      present, 1 function named, module "tiny"`,
		"mwasm ABI  2 of 3 imports refused (see below)",
		"imports (3)",
		"  wasi_snapshot_preview1.fd_write    func    (i32, i32, i32, i32) -> i32  provided",
		"  wasi_snapshot_preview1.proc_raise  func    (i32, i32) -> i32            REFUSED",
		"  env.mem                            memory  min 1 page                   REFUSED",
		"  refused wasi_snapshot_preview1.proc_raise: module imports wasi_snapshot_preview1.proc_raise, which the mwasm ABI does not provide: proc_raise is deprecated",
		"  refused env.mem: module imports its memory (env.mem), which the mwasm ABI does not provide: the app must define and export its own memory",
		"exports (3)",
		"  _start  func 2    () -> ()",
		"  add     func 3    (i32, i32) -> i32",
		"  g       global 0  mut i32",
		"largest functions (2 of 2 defined, body bytes)",
		"  6  func 2  main",
		"  4  func 3  func3",
		"  id  section        offset  size  count",
		"  1   type           0x8     18    3",
		"  2   import         0x1c    82    3",
		"  3   function       0x70    3     2",
		"  6   global         0x75    6     1",
		"  7   export         0x7d    20    3",
		"  10  code           0x93    13    2",
		`  0   custom "name"  0xa2    21`,
	}
	lines := strings.Split(r.stdout, "\n")
	for _, w := range wantLines {
		found := false
		for _, l := range lines {
			if l == w || strings.HasPrefix(w, "  refused ") && strings.HasPrefix(l, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("output lacks the line %q", w)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", r.stdout)
	}
}

func TestInspectSmallModuleJSON(t *testing.T) {
	p := writeFile(t, "tiny.wasm", inspectModule)
	r := mwasm(t, "inspect", "--json", p)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, r.stdout)
	}
	m := rep.Module
	if rep.Kind != "wasm" || rep.File != p || m == nil || rep.Image != nil {
		t.Fatalf("report %+v", rep)
	}
	if m.Size != len(inspectModule) || m.Type != "command" || m.Functions.Imported != 2 || m.Functions.Defined != 2 {
		t.Errorf("size %d type %s functions %+v", m.Size, m.Type, m.Functions)
	}
	if strings.Join(m.Features, ",") != "sign-ext,mutable-globals" {
		t.Errorf("features %v", m.Features)
	}
	if len(m.Imports) != 3 || !m.Imports[0].Provided || m.Imports[1].Provided || m.ABIRefused != 2 ||
		!strings.Contains(m.Imports[1].Reason, "does not provide") || m.Imports[0].Reason != "" {
		t.Errorf("imports %+v, refused %d", m.Imports, m.ABIRefused)
	}
	if len(m.Exports) != 3 || m.Exports[1] != (exportReport{Name: "add", Kind: "func", Index: 3, Type: "(i32, i32) -> i32"}) {
		t.Errorf("exports %+v", m.Exports)
	}
	if !m.NameSection.Present || m.NameSection.Module != "tiny" || m.NameSection.Functions != 1 {
		t.Errorf("name section %+v", m.NameSection)
	}
	if len(m.Largest) != 2 || m.Largest[0] != (funcSize{Index: 2, Name: "main", Size: 6}) {
		t.Errorf("largest %+v", m.Largest)
	}
	if len(m.Memories) != 1 || !m.Memories[0].Imported || m.Memories[0].Min != 1 || m.Memories[0].Max != nil {
		t.Errorf("memories %+v", m.Memories)
	}
	// The sections cover the file exactly: header, then id+size+payload each.
	end := 8
	for _, s := range m.Sections {
		if s.Offset != end {
			t.Errorf("section %s at %#x, want %#x", s.Name, s.Offset, end)
		}
		end = s.Offset + 2 + s.Size // all sizes here fit one LEB byte
	}
	if end != len(inspectModule) {
		t.Errorf("sections end at %d, the module at %d", end, len(inspectModule))
	}
	// Stable field names in the raw JSON.
	for _, k := range []string{`"file"`, `"kind": "wasm"`, `"features"`, `"sections"`, `"imports"`, `"provided"`,
		`"exports"`, `"largest_functions"`, `"name_section"`, `"abi_refused": 2`} {
		if !strings.Contains(r.stdout, k) {
			t.Errorf("JSON lacks %s", k)
		}
	}
}

func TestInspectHello(t *testing.T) {
	if testing.Short() {
		t.Skip("builds apps/hello with go (GOOS=wasip1)")
	}
	dir := filepath.Join("..", "..", "apps", "hello")
	r := mwasm(t, "inspect", "--json", dir)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json output does not parse: %v", err)
	}
	m := rep.Module
	if m == nil || rep.BuiltFrom != dir || !strings.HasSuffix(rep.File, ".wasm") {
		t.Fatalf("report: file %q built_from %q", rep.File, rep.BuiltFrom)
	}
	fdWrite := false
	for _, imp := range m.Imports {
		if !imp.Provided {
			t.Errorf("import %s.%s not provided: %s", imp.Module, imp.Name, imp.Reason)
		}
		if imp.Module == "wasi_snapshot_preview1" && imp.Name == "fd_write" {
			fdWrite = true
		}
	}
	if !fdWrite || m.ABIRefused != 0 {
		t.Errorf("fd_write imported: %v; refused %d", fdWrite, m.ABIRefused)
	}
	start := false
	for _, e := range m.Exports {
		if e.Name == "_start" && e.Kind == "func" && e.Type == "() -> ()" {
			start = true
		}
	}
	if !start || m.Type != "command" {
		t.Errorf("exports %+v, type %s: want a command exporting _start", m.Exports, m.Type)
	}
	feats := strings.Join(m.Features, ",")
	if !strings.Contains(feats, "sign-ext") && !strings.Contains(feats, "bulk-memory") {
		t.Errorf("features %q", feats)
	}
	if !m.NameSection.Present || len(m.Largest) != largestFuncs || m.Largest[0].Size < m.Largest[9].Size ||
		!strings.HasPrefix(m.Largest[0].Name, "runtime.") && !strings.HasPrefix(m.Largest[0].Name, "main.") {
		t.Errorf("names %+v, largest %+v", m.NameSection, m.Largest)
	}
	st, err := os.Stat(rep.File)
	if err != nil || st.Size() != int64(m.Size) {
		t.Errorf("size %d, file %v %v", m.Size, st, err)
	}

	// The text form says the same.
	r = mwasm(t, "inspect", dir)
	for _, w := range []string{"type       command (exports _start)", "mwasm ABI  all " + strconv.Itoa(len(m.Imports)) + " imports provided",
		"wasi_snapshot_preview1.fd_write", "(built from " + dir + ")"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("text output lacks %q", w)
		}
	}
}

func sampleManifest() *manifest.Manifest {
	return &manifest.Manifest{
		Version: manifest.FormatVersion,
		App:     manifest.App{Name: "httpd", WasmSHA256: strings.Repeat("0f", 32), WasmSize: 4123456},
		Target:  manifest.TargetXen,
		Devices: []manifest.Device{
			{Name: "net0", Kind: manifest.KindNet, MAC: "52:54:00:12:34:56", MTU: 1500, IPv4: "10.0.2.15/24", Gateway: "10.0.2.2"},
			{Name: "disk0", Kind: manifest.KindBlock, SectorSize: 512, Sectors: 2048},
		},
		Memory:   64,
		Sizes:    []manifest.Module{{Module: "app", Code: 2101234, Data: 712345}, {Module: "shim", Code: 1100000, Data: 700000}},
		Compiler: "mwasm " + Version,
	}
}

// handELF is a minimal x86-64 ELF executable with one PT_NOTE program header over
// notes and no sections, written field by field (ELF-64 object file format).
func handELF(notes []byte) []byte {
	const ehsize, phsize = 64, 56
	le := binary.LittleEndian
	b := []byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)}
	b = append(b, make([]byte, 9)...)
	b = le.AppendUint16(b, uint16(elf.ET_EXEC))
	b = le.AppendUint16(b, uint16(elf.EM_X86_64))
	b = le.AppendUint32(b, uint32(elf.EV_CURRENT))
	b = le.AppendUint64(b, 0x401000) // e_entry
	b = le.AppendUint64(b, ehsize)   // e_phoff
	b = le.AppendUint64(b, 0)        // e_shoff
	b = le.AppendUint32(b, 0)        // e_flags
	b = le.AppendUint16(b, ehsize)
	b = le.AppendUint16(b, phsize)
	b = le.AppendUint16(b, 1) // e_phnum
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 0)
	off := uint64(ehsize + phsize)
	b = le.AppendUint32(b, uint32(elf.PT_NOTE))
	b = le.AppendUint32(b, uint32(elf.PF_R))
	b = le.AppendUint64(b, off)
	b = le.AppendUint64(b, 0x400000+off)
	b = le.AppendUint64(b, 0x400000+off)
	b = le.AppendUint64(b, uint64(len(notes)))
	b = le.AppendUint64(b, uint64(len(notes)))
	b = le.AppendUint64(b, 4)
	return append(b, notes...)
}

func TestInspectImage(t *testing.T) {
	desc, err := manifest.Marshal(sampleManifest())
	if err != nil {
		t.Fatal(err)
	}
	notes := manifest.AppendNote(manifest.AppendNote(nil, "Xen", 6, []byte("xen-3.0\x00")), manifest.NoteName, manifest.NoteType, desc)
	img := handELF(notes)
	p := writeFile(t, "httpd.xen", img)
	r := mwasm(t, "inspect", p)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, w := range []string{
		"image     " + p,
		"size      " + strconv.Itoa(len(img)) + " bytes (ELFCLASS64 EM_X86_64 ET_EXEC, entry 0x401000)",
		"app       httpd (4123456 bytes of Wasm, sha256 " + strings.Repeat("0f", 32) + ")",
		"target    xen, 64 MiB",
		"compiler  mwasm " + Version,
		"symbols   0",
		"devices (2)",
		"  net0   net    mac 52:54:00:12:34:56, mtu 1500, ipv4 10.0.2.15/24, gateway 10.0.2.2",
		"  disk0  block  sector size 512, sectors 2048 (1048576 bytes)",
		"  app     2101234  712345",
		"  shim    1100000  700000",
		"  total   3201234  1412345",
		"  NOTE  R      0x78    0x400078  " + strconv.Itoa(len(notes)) + "     " + strconv.Itoa(len(notes)),
	} {
		if !strings.Contains("\n"+r.stdout, "\n"+w+"\n") {
			t.Errorf("output lacks the line %q", w)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", r.stdout)
	}

	r = mwasm(t, "inspect", "--json", p)
	var rep inspectReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, r.stdout)
	}
	if rep.Kind != "image" || rep.Module != nil || rep.Image == nil || rep.Image.Manifest == nil {
		t.Fatalf("report %+v", rep)
	}
	man := rep.Image.Manifest
	if len(man.Devices) != 2 || man.Devices[0].MAC != "52:54:00:12:34:56" || man.Devices[1].Sectors != 2048 || man.Target != "xen" {
		t.Errorf("manifest %+v", man)
	}
	if len(rep.Image.Segments) != 1 || rep.Image.Segments[0].Type != "NOTE" || rep.Image.Entry != 0x401000 {
		t.Errorf("image %+v", rep.Image)
	}
	if !strings.Contains(r.stdout, `"manifest": {`) || !strings.Contains(r.stdout, `"sector_size": 512`) {
		t.Errorf("JSON field names: %s", r.stdout)
	}
}

// An image written by aot/link, as mwasm build will write it: the note in its own
// section and PT_NOTE header, code with MODULE!NAME function symbols.
func TestInspectLinkedImage(t *testing.T) {
	desc, err := manifest.Marshal(sampleManifest())
	if err != nil {
		t.Fatal(err)
	}
	l := link.New(link.Config{})
	l.AddNote(l.NoteSection(manifest.NoteSection), manifest.NoteName, manifest.NoteType, desc)
	ret := []byte{0xc3}
	l.AddFunc(link.Func{Name: "_start", Code: ret})
	l.AddFunc(link.Func{Name: "app!main.main", Code: ret})
	l.AddFunc(link.Func{Name: "app!runtime.main", Code: ret})
	l.AddFunc(link.Func{Name: "shim!fd_write", Code: ret})
	im, err := l.Link()
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, "app", im.ELF)
	r := mwasm(t, "inspect", "--json", p)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	img := rep.Image
	if img == nil || img.Manifest.App.Name != "httpd" || len(img.Manifest.Devices) != 2 {
		t.Fatalf("image %+v", img)
	}
	if img.FuncSymbols["app"] != 2 || img.FuncSymbols["shim"] != 1 || img.FuncSymbols["other"] != 1 || img.Symbols < 4 {
		t.Errorf("symbols %d, function symbols %v", img.Symbols, img.FuncSymbols)
	}
	types := map[string]bool{}
	for _, s := range img.Segments {
		types[s.Type+" "+s.Flags] = true
	}
	if !types["NOTE R"] || !types["LOAD RX"] {
		t.Errorf("segments %+v", img.Segments)
	}
	r = mwasm(t, "inspect", p)
	if !strings.Contains(r.stdout, "(functions: app 2, other 1, shim 1)") || !strings.Contains(r.stdout, "  net0   net    mac 52:54:00:12:34:56") {
		t.Errorf("text output:\n%s", r.stdout)
	}
}

func TestInspectErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.wasm")
	wantUsage(t, mwasm(t, "inspect", missing), missing+" does not exist", "give a .wasm file, an app source directory or an image")
	wantUsage(t, mwasm(t, "inspect"), "missing APP (mwasm inspect)")
	wantUsage(t, mwasm(t, "inspect", "a", "b"), "takes one APP (got 2 arguments)")
	wantUsage(t, mwasm(t, "inspect", "--bogus", "a"), "unknown flag: --bogus", "see mwasm inspect --help")

	txt := writeFile(t, "notes.txt", []byte("hello, I am text\n"))
	wantUsage(t, mwasm(t, "inspect", txt), txt+" is neither a WebAssembly module nor an ELF image")
	empty := writeFile(t, "empty", nil)
	wantUsage(t, mwasm(t, "inspect", empty), empty+" is neither a WebAssembly module nor an ELF image")

	trunc := writeFile(t, "trunc.wasm", minimalModule[:20])
	wantUsage(t, mwasm(t, "inspect", trunc), trunc+" is not a valid WebAssembly module", "memory section, at offset 0x12")

	// An ELF file that is not an mwasm image: one without the note (this test
	// binary itself, or a hand-made one), and one with only foreign notes.
	exe, err := os.Executable()
	if err == nil && runtime.GOOS == "linux" {
		wantUsage(t, mwasm(t, "inspect", exe), exe+" is an ELF file but not an mwasm image (no mwasm note)")
	}
	gnu := writeFile(t, "gnu", handELF(manifest.AppendNote(nil, "GNU", 3, []byte{1, 2, 3, 4})))
	wantUsage(t, mwasm(t, "inspect", gnu), gnu+" is an ELF file but not an mwasm image (no mwasm note)")

	// A truncated ELF header.
	bad := writeFile(t, "bad.elf", []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	wantUsage(t, mwasm(t, "inspect", bad), bad+" starts like an ELF file but cannot be read as one")

	// A manifest from a newer mwasm, and one with an unknown field.
	newer := writeFile(t, "newer", handELF(manifest.AppendNote(nil, manifest.NoteName, manifest.NoteType, []byte(`{"version":7}`))))
	wantUsage(t, mwasm(t, "inspect", newer), newer+" has an unusable mwasm manifest", "version: 7 is newer than this mwasm reads (2): upgrade mwasm")
	desc, _ := manifest.Marshal(sampleManifest())
	desc = []byte(strings.Replace(string(desc), `"target":"xen"`, `"target":"xen","vcpus":4`, 1))
	unknown := writeFile(t, "unknown", handELF(manifest.AppendNote(nil, manifest.NoteName, manifest.NoteType, desc)))
	wantUsage(t, mwasm(t, "inspect", unknown), `unknown field "vcpus"`)
}
