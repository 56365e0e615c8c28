package main

// mwasm inspect: what a .wasm module (or an app source directory, built first) or an
// image written by mwasm build holds. The command gathers everything into an
// inspectReport, which is printed either as aligned text or, with --json, as JSON
// whose field names are stable (scripts and tests read them).

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/abi/manifest"
	"github.com/mwasm/mwasm/wasmc"
	"github.com/mwasm/mwasm/xenboot"
)

// largestFuncs is how many functions the "largest functions" list shows.
const largestFuncs = 10

var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

func newInspectCmd(io stdio) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect [--json] APP",
		Short: "Show the imports, exports, features and sizes of a module or image",
		Long: `Show what APP holds. APP is a .wasm file, an app source directory (built
first, as mwasm run does) or an image written by mwasm build.

For a module: its size and sections, imports (and whether the mwasm ABI provides
each one), exports, memories, tables, globals, the post-MVP features it uses,
whether it is a command (_start) or a reactor (_initialize), its name section and
its largest functions. For an image: its manifest (app, target, devices, sizes,
compiler), ELF segments and symbol count. --json prints the same as JSON.`,
		Example: `  mwasm inspect app.wasm
  mwasm inspect ./apps/hello
  mwasm inspect --json app.xen | jq .image.manifest.devices`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				if len(args) == 0 {
					return usageErrorf("missing APP (mwasm inspect): give a .wasm file, an app source directory or an image, e.g. mwasm inspect app.wasm")
				}
				return usageErrorf("mwasm inspect takes one APP (got %d arguments): inspect one file at a time", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := inspect(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(io.out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			rep.writeText(io.out)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (stable field names) instead of text")
	return cmd
}

// inspectReport is everything mwasm inspect says about APP.
type inspectReport struct {
	File      string        `json:"file"`                 // the module or image file
	BuiltFrom string        `json:"built_from,omitempty"` // the source directory, if APP was one
	Kind      string        `json:"kind"`                 // "wasm" or "image"
	Module    *moduleReport `json:"module,omitempty"`
	Image     *imageReport  `json:"image,omitempty"`
}

type moduleReport struct {
	Size      int             `json:"size"`
	Type      string          `json:"type"` // "command" (_start), "reactor" (_initialize) or "library" (neither)
	Features  []string        `json:"features"`
	Sections  []sectionReport `json:"sections"`
	Functions struct {
		Imported int `json:"imported"`
		Defined  int `json:"defined"`
	} `json:"functions"`
	Imports []importReport `json:"imports"`
	// ABIRefused counts the imports the mwasm ABI does not provide (0: it can load).
	ABIRefused  int            `json:"abi_refused"`
	Exports     []exportReport `json:"exports"`
	Memories    []limitsReport `json:"memories"`
	Tables      []limitsReport `json:"tables"`
	Globals     []globalReport `json:"globals"`
	Start       *funcRef       `json:"start,omitempty"` // the start section's function
	NameSection nameReport     `json:"name_section"`
	Largest     []funcSize     `json:"largest_functions"`
	// Unsupported is the proposal the module uses that mwasm does not support
	// yet; the report then holds only the size and the sections.
	Unsupported *unsupportedReport `json:"unsupported,omitempty"`
}

type unsupportedReport struct {
	Proposal string `json:"proposal"` // "SIMD", "tail calls", ...
	Where    string `json:"where"`    // "code section, function 2 at offset 0x92"
}

type sectionReport struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`             // "type", ..., "custom"
	Custom string `json:"custom,omitempty"` // a custom section's own name
	Offset int    `json:"offset"`           // file offset of the section id byte
	Size   int    `json:"size"`             // payload bytes (after the id and size fields)
	Count  *int   `json:"count,omitempty"`  // entries; absent for custom sections
}

type importReport struct {
	Module   string `json:"module"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Type     string `json:"type"`
	Provided bool   `json:"provided"`         // the mwasm ABI provides it with this type
	Reason   string `json:"reason,omitempty"` // why not (abi.CheckImport's message)
}

type exportReport struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Index uint32 `json:"index"`
	Type  string `json:"type"`
}

type limitsReport struct {
	Elem     string  `json:"elem,omitempty"` // tables: funcref or externref
	Min      uint32  `json:"min"`            // pages (memories) or elements (tables)
	Max      *uint32 `json:"max,omitempty"`
	Imported bool    `json:"imported"`
}

type globalReport struct {
	Type     string `json:"type"`
	Mutable  bool   `json:"mutable"`
	Imported bool   `json:"imported"`
}

type funcRef struct {
	Index uint32 `json:"index"`
	Name  string `json:"name,omitempty"`
}

type nameReport struct {
	Present   bool   `json:"present"`
	Module    string `json:"module,omitempty"`
	Functions int    `json:"functions"`       // functions with a name
	Error     string `json:"error,omitempty"` // why a malformed name section was ignored
}

type funcSize struct {
	Index uint32 `json:"index"`
	Name  string `json:"name"` // from the name section, or funcN
	Size  int    `json:"size"` // body bytes (locals and instructions)
}

type imageReport struct {
	Size        int64              `json:"size"`                  // of the ELF image
	FileSize    int64              `json:"file_size,omitempty"`   // on disk, when compressed
	Compression string             `json:"compression,omitempty"` // "gzip" (Xen unpacks it)
	Class       string             `json:"class"`
	Machine     string             `json:"machine"`
	Type        string             `json:"type"`
	Entry       uint64             `json:"entry"`
	Manifest    *manifest.Manifest `json:"manifest"`
	Segments    []segmentReport    `json:"segments"`
	Sections    []sectionInfo      `json:"sections"`
	Notes       []noteReport       `json:"notes"`
	Symbols     int                `json:"symbols"`
	// FuncSymbols counts function symbols per module (the part before '!' in
	// MODULE!NAME, see aot/link).
	FuncSymbols map[string]int `json:"function_symbols"`
}

type sectionInfo struct {
	Name string `json:"name"`
	Addr uint64 `json:"addr"`
	Size uint64 `json:"size"`
}

// noteReport is one ELF note: its owner, type and what it says (Xen's notes
// by name: a string, or the PVH entry point).
type noteReport struct {
	Owner string `json:"owner"`
	Type  uint32 `json:"type"`
	Name  string `json:"name,omitempty"`
	Value string `json:"value"`
}

// xenNotes names the Xen ELF notes (xen/include/public/elfnote.h).
var xenNotes = map[uint32]string{5: "XEN_VERSION", 6: "GUEST_OS", 7: "GUEST_VERSION", 8: "LOADER", 18: "PHYS32_ENTRY"}

// elfNotes lists the notes of the PT_NOTE segments.
func elfNotes(f *elf.File) []noteReport {
	var out []noteReport
	le := binary.LittleEndian
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err != nil {
			continue
		}
		for len(data) >= 12 {
			nsz, dsz, typ := le.Uint32(data), le.Uint32(data[4:]), le.Uint32(data[8:])
			nend := 12 + uint64(nsz+3)&^3
			if nend > uint64(len(data)) || nend+uint64(dsz) > uint64(len(data)) {
				break
			}
			owner := strings.TrimRight(string(data[12:12+nsz]), "\x00")
			desc := data[nend : nend+uint64(dsz)]
			n := noteReport{Owner: owner, Type: typ}
			switch {
			case owner == "Xen" && typ == 18 && len(desc) == 4:
				n.Name, n.Value = xenNotes[typ], fmt.Sprintf("%#x", le.Uint32(desc))
			case owner == "Xen":
				n.Name, n.Value = xenNotes[typ], strings.TrimRight(string(desc), "\x00")
			case owner == manifest.NoteName:
				n.Name, n.Value = "manifest", fmt.Sprintf("%d bytes of JSON", len(desc))
			default:
				n.Value = fmt.Sprintf("%d bytes", len(desc))
			}
			out = append(out, n)
			data = data[nend+uint64(dsz+3)&^3:]
		}
	}
	return out
}

type segmentReport struct {
	Type     string `json:"type"`
	Flags    string `json:"flags"` // "R", "RX", "RW"
	Offset   uint64 `json:"offset"`
	Vaddr    uint64 `json:"vaddr"`
	FileSize uint64 `json:"filesz"`
	MemSize  uint64 `json:"memsz"`
}

// inspect looks at app: a directory is built, a file is a module or an image by its magic.
func inspect(ctx context.Context, app string) (*inspectReport, error) {
	st, err := os.Stat(app)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageErrorf("%s does not exist: give a .wasm file, an app source directory or an image written by mwasm build", app)
		}
		return nil, usageErrorf("cannot read %s: %v", app, unwrapPathErr(err))
	}
	if st.IsDir() {
		wasm, path, err := loadApp(ctx, app, hclog.NewNullLogger())
		if err != nil {
			return nil, err
		}
		rep, err := inspectWasm(moduleWhere(app, path), wasm)
		if err != nil {
			return nil, err
		}
		rep.File, rep.BuiltFrom = path, app
		return rep, nil
	}
	data, err := os.ReadFile(app)
	if err != nil {
		return nil, usageErrorf("cannot read %s: %v", app, unwrapPathErr(err))
	}
	onDisk := len(data)
	elfData, comp, err := xenboot.Decompress(data)
	if err != nil {
		return nil, usageErrorf("%s is %s-compressed but cannot be unpacked: %s: check that it was copied whole, or rebuild it", app, comp, oneLine(err.Error()))
	}
	if comp != xenboot.CompressNone && !bytes.HasPrefix(elfData, elfMagic) {
		return nil, usageErrorf("%s is %s-compressed but holds no ELF image: give an image written by mwasm build", app, comp)
	}
	data = elfData
	var rep *inspectReport
	switch {
	case bytes.HasPrefix(data, []byte("\x00asm")):
		rep, err = inspectWasm(app, data)
	case bytes.HasPrefix(data, elfMagic):
		rep, err = inspectImage(app, data)
	default:
		return nil, usageErrorf("%s is neither a WebAssembly module nor an ELF image (no \\0asm or \\x7fELF magic): give a .wasm file, an app source directory or an image written by mwasm build", app)
	}
	if err != nil {
		return nil, err
	}
	if comp != xenboot.CompressNone {
		rep.Image.Compression, rep.Image.FileSize = string(comp), int64(onDisk)
	}
	rep.File = app
	return rep, nil
}

// unwrapPathErr drops an *fs.PathError or *os.LinkError wrapper, whose text
// repeats a path (or names a temporary file).
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &le):
		return le.Err
	case errors.As(err, &pe):
		return pe.Err
	}
	return err
}

// inspectWasm decodes and validates a module with wasmc and describes it.
func inspectWasm(where string, wasm []byte) (*inspectReport, error) {
	m, err := wasmc.Decode(wasm)
	if err == nil {
		err = wasmc.Validate(m)
	}
	if u := wasmc.Unsupported(err); u != nil {
		// Not broken, only beyond mwasm: say what it uses, and what can be read.
		r := &moduleReport{Size: len(wasm), Type: "unknown", Features: []string{}, Sections: sections(nil, wasm),
			Unsupported: &unsupportedReport{Proposal: u.Proposal, Where: u.Where()}}
		return &inspectReport{File: where, Kind: "wasm", Module: r}, nil
	}
	if err != nil {
		return nil, usageErrorf("%s is not a valid WebAssembly module (truncated, malformed or invalid): %s: rebuild it, or check that the file was copied whole", where, oneLine(err.Error()))
	}
	r := &moduleReport{Size: len(wasm), Features: wasmc.Features(m)}
	if r.Features == nil {
		r.Features = []string{}
	}
	r.Sections = sections(m, wasm)
	r.Functions.Imported, r.Functions.Defined = m.NumImportedFuncs, len(m.Funcs)

	name := funcNamer(m)
	r.Imports = []importReport{}
	for _, imp := range m.Imports {
		ir := importReport{Module: imp.Module, Name: imp.Name, Kind: imp.Kind.String()}
		switch imp.Kind {
		case wasmc.KindFunc:
			ir.Type = signature(m.Types[imp.Type])
		case wasmc.KindMemory:
			ir.Type = limitsString(imp.Memory.Limits, "page")
		case wasmc.KindTable:
			ir.Type = imp.Table.Elem.String() + " " + limitsString(imp.Table.Limits, "element")
		case wasmc.KindGlobal:
			ir.Type = globalString(imp.Global)
		}
		check := importRefusal(m, imp)
		ir.Provided = check == nil
		if check != nil {
			ir.Reason = check.Error()
			r.ABIRefused++
		}
		r.Imports = append(r.Imports, ir)
	}

	r.Exports = []exportReport{}
	exported := map[string]bool{}
	for _, e := range m.Exports {
		er := exportReport{Name: e.Name, Kind: e.Kind.String(), Index: e.Index, Type: externType(m, e.Kind, e.Index)}
		r.Exports = append(r.Exports, er)
		if e.Kind == wasmc.KindFunc {
			exported[e.Name] = true
		}
	}
	switch {
	case exported["_start"]:
		r.Type = "command"
	case exported["_initialize"]:
		r.Type = "reactor"
	default:
		r.Type = "library"
	}

	r.Memories, r.Tables, r.Globals = []limitsReport{}, []limitsReport{}, []globalReport{}
	for _, imp := range m.Imports {
		switch imp.Kind {
		case wasmc.KindMemory:
			r.Memories = append(r.Memories, limitsRep("", imp.Memory.Limits, true))
		case wasmc.KindTable:
			r.Tables = append(r.Tables, limitsRep(imp.Table.Elem.String(), imp.Table.Limits, true))
		case wasmc.KindGlobal:
			r.Globals = append(r.Globals, globalReport{Type: imp.Global.Type.String(), Mutable: imp.Global.Mutable, Imported: true})
		}
	}
	for _, mt := range m.Memories {
		r.Memories = append(r.Memories, limitsRep("", mt.Limits, false))
	}
	for _, tt := range m.Tables {
		r.Tables = append(r.Tables, limitsRep(tt.Elem.String(), tt.Limits, false))
	}
	for _, g := range m.Globals {
		r.Globals = append(r.Globals, globalReport{Type: g.Type.Type.String(), Mutable: g.Type.Mutable})
	}
	if m.HasStart {
		r.Start = &funcRef{Index: m.Start, Name: name(m.Start, false)}
	}

	if m.Names != nil {
		r.NameSection = nameReport{Present: true, Module: m.Names.Module, Functions: len(m.Names.Funcs)}
	} else if m.NamesErr != nil {
		r.NameSection = nameReport{Error: oneLine(m.NamesErr.Error())}
	}

	r.Largest = []funcSize{}
	for i := range m.Code {
		idx := uint32(m.NumImportedFuncs + i)
		r.Largest = append(r.Largest, funcSize{Index: idx, Name: name(idx, true), Size: bodySize(wasm, &m.Code[i])})
	}
	sort.SliceStable(r.Largest, func(i, j int) bool { return r.Largest[i].Size > r.Largest[j].Size })
	if len(r.Largest) > largestFuncs {
		r.Largest = r.Largest[:largestFuncs]
	}
	return &inspectReport{Kind: "wasm", Module: r}, nil
}

// funcNamer names functions from the name section; with fallback, an unnamed one is funcN.
func funcNamer(m *wasmc.Module) func(idx uint32, fallback bool) string {
	return func(idx uint32, fallback bool) string {
		if m.Names != nil {
			if n, ok := m.Names.Funcs[idx]; ok {
				return n
			}
		}
		if fallback {
			return fmt.Sprintf("func%d", idx)
		}
		return ""
	}
}

// sections walks the section headers of an already decoded (so well-formed) module.
func sections(m *wasmc.Module, wasm []byte) []sectionReport {
	names := [...]string{"custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "data count"}
	counts := map[int]int{} // none when the module could not be decoded (m nil)
	if m != nil {
		counts = map[int]int{
			1: len(m.Types), 2: len(m.Imports), 3: len(m.Funcs), 4: len(m.Tables), 5: len(m.Memories),
			6: len(m.Globals), 7: len(m.Exports), 8: 1, 9: len(m.Elems), 10: len(m.Code), 11: len(m.Datas),
			12: int(m.DataCount),
		}
	}
	out := []sectionReport{}
	for p := 8; p < len(wasm); {
		off := p
		id := int(wasm[p])
		size, n := uleb(wasm[p+1:])
		if n == 0 || id >= len(names) || uint64(len(wasm)-p-1-n) < size {
			break // cannot happen after Decode; stop rather than misreport
		}
		p += 1 + n
		s := sectionReport{ID: id, Name: names[id], Offset: off, Size: int(size)}
		if id == 0 {
			if l, k := uleb(wasm[p:]); k > 0 && p+k+int(l) <= len(wasm) {
				s.Custom = string(wasm[p+k : p+k+int(l)])
			}
		} else if c, ok := counts[id]; ok {
			s.Count = &c
		}
		out = append(out, s)
		p += int(size)
	}
	return out
}

// uleb reads an unsigned LEB128 of at most 5 bytes; n is 0 if b does not start with one.
func uleb(b []byte) (v uint64, n int) {
	for i := 0; i < len(b) && i < 5; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// bodySize is the size field of a code entry: the bytes of its locals and instructions.
func bodySize(wasm []byte, c *wasmc.Code) int {
	if c.Offset >= 0 && c.Offset < len(wasm) {
		if v, n := uleb(wasm[c.Offset:]); n > 0 {
			return int(v)
		}
	}
	return len(c.Body)
}

func abiTypes(ts []wasmc.ValType) []abi.ValType {
	out := make([]abi.ValType, len(ts))
	for i, t := range ts {
		out[i] = abi.ValType(t) // the same binary encoding
	}
	return out
}

// signature formats a function type the way abi does: "(i32, i32) -> i32".
func signature(ft wasmc.FuncType) string {
	return abi.FormatSignature(abiTypes(ft.Params), abiTypes(ft.Results))
}

func limitsString(l wasmc.Limits, unit string) string {
	s := fmt.Sprintf("min %d %s", l.Min, plural(int(l.Min), unit))
	if l.HasMax {
		s += fmt.Sprintf(", max %d", l.Max)
	}
	return s
}

func limitsRep(elem string, l wasmc.Limits, imported bool) limitsReport {
	r := limitsReport{Elem: elem, Min: l.Min, Imported: imported}
	if l.HasMax {
		mx := l.Max
		r.Max = &mx
	}
	return r
}

func globalString(g wasmc.GlobalType) string {
	if g.Mutable {
		return "mut " + g.Type.String()
	}
	return g.Type.String()
}

// externType describes the type of entity idx of kind k (imports first in each index space).
func externType(m *wasmc.Module, k wasmc.ExternKind, idx uint32) string {
	switch k {
	case wasmc.KindFunc:
		if ti, ok := m.FuncTypeIndex(idx); ok && int(ti) < len(m.Types) {
			return signature(m.Types[ti])
		}
	case wasmc.KindMemory, wasmc.KindTable, wasmc.KindGlobal:
		i := int(idx)
		for _, imp := range m.Imports {
			if imp.Kind != k {
				continue
			}
			if i == 0 {
				switch k {
				case wasmc.KindMemory:
					return limitsString(imp.Memory.Limits, "page")
				case wasmc.KindTable:
					return imp.Table.Elem.String() + " " + limitsString(imp.Table.Limits, "element")
				default:
					return globalString(imp.Global)
				}
			}
			i--
		}
		switch {
		case k == wasmc.KindMemory && i < len(m.Memories):
			return limitsString(m.Memories[i].Limits, "page")
		case k == wasmc.KindTable && i < len(m.Tables):
			return m.Tables[i].Elem.String() + " " + limitsString(m.Tables[i].Limits, "element")
		case k == wasmc.KindGlobal && i < len(m.Globals):
			return globalString(m.Globals[i].Type)
		}
	}
	return "?"
}

func plural(n int, unit string) string {
	if n == 1 {
		return unit
	}
	return unit + "s"
}

// inspectImage reads an ELF image and its mwasm note.
func inspectImage(path string, data []byte) (*inspectReport, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, usageErrorf("%s starts like an ELF file but cannot be read as one: %s: rebuild the image with mwasm build, or check that it was copied whole", path, oneLine(err.Error()))
	}
	man, err := manifest.FromELF(f)
	if errors.Is(err, manifest.ErrNoNote) {
		return nil, usageErrorf("%s is an ELF file but not an mwasm image (no mwasm note): mwasm inspect reads .wasm files, app source directories and images written by mwasm build", path)
	}
	if err != nil {
		return nil, usageErrorf("%s has an unusable mwasm manifest: %s: rebuild the image with this mwasm (mwasm build)", path, oneLine(err.Error()))
	}
	r := &imageReport{
		Size:        int64(len(data)),
		Class:       f.Class.String(),
		Machine:     f.Machine.String(),
		Type:        f.Type.String(),
		Entry:       f.Entry,
		Manifest:    man,
		Segments:    []segmentReport{},
		FuncSymbols: map[string]int{},
	}
	r.Notes = elfNotes(f)
	for _, sec := range f.Sections {
		if sec.Type != elf.SHT_NULL && sec.Flags&elf.SHF_ALLOC != 0 {
			r.Sections = append(r.Sections, sectionInfo{Name: sec.Name, Addr: sec.Addr, Size: sec.Size})
		}
	}
	for _, p := range f.Progs {
		r.Segments = append(r.Segments, segmentReport{
			Type: strings.TrimPrefix(p.Type.String(), "PT_"), Flags: segFlags(p.Flags),
			Offset: p.Off, Vaddr: p.Vaddr, FileSize: p.Filesz, MemSize: p.Memsz,
		})
	}
	syms, err := f.Symbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return nil, usageErrorf("%s has an unreadable symbol table: %s: rebuild the image with mwasm build", path, oneLine(err.Error()))
	}
	r.Symbols = len(syms)
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			mod, _, ok := strings.Cut(s.Name, "!")
			if !ok {
				mod = "other"
			}
			r.FuncSymbols[mod]++
		}
	}
	return &inspectReport{Kind: "image", Image: r}, nil
}

func segFlags(f elf.ProgFlag) string {
	s := ""
	if f&elf.PF_R != 0 {
		s += "R"
	}
	if f&elf.PF_W != 0 {
		s += "W"
	}
	if f&elf.PF_X != 0 {
		s += "X"
	}
	if s == "" {
		s = "-"
	}
	return s
}

// writeText prints the report for people: "key  value" lines, then tables.
func (rep *inspectReport) writeText(w io.Writer) {
	if rep.Module != nil {
		rep.Module.writeText(w, rep)
	}
	if rep.Image != nil {
		rep.Image.writeText(w, rep.File)
	}
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func (r *moduleReport) writeText(w io.Writer, rep *inspectReport) {
	t := table(w)
	file := rep.File
	if rep.BuiltFrom != "" {
		file = fmt.Sprintf("%s (built from %s)", rep.File, rep.BuiltFrom)
	}
	fmt.Fprintf(t, "module\t%s\n", file)
	fmt.Fprintf(t, "size\t%d bytes\n", r.Size)
	if u := r.Unsupported; u != nil {
		fmt.Fprintf(t, "unsupported\t%s (%s): mwasm cannot run or build it yet\n", u.Proposal, u.Where)
		t.Flush()
		r.writeSections(w)
		return
	}
	entry := map[string]string{"command": "command (exports _start)", "reactor": "reactor (exports _initialize)", "library": "library (no _start or _initialize)"}
	fmt.Fprintf(t, "type\t%s\n", entry[r.Type])
	feats := "none (MVP)"
	if len(r.Features) > 0 {
		feats = strings.Join(r.Features, ", ")
	}
	fmt.Fprintf(t, "features\t%s\n", feats)
	fmt.Fprintf(t, "functions\t%d imported, %d defined\n", r.Functions.Imported, r.Functions.Defined)
	fmt.Fprintf(t, "memories\t%s\n", limitsList(r.Memories, "page"))
	fmt.Fprintf(t, "tables\t%s\n", limitsList(r.Tables, "element"))
	fmt.Fprintf(t, "globals\t%s\n", globalsLine(r.Globals))
	start := "none"
	if r.Start != nil {
		start = fmt.Sprintf("function %d", r.Start.Index)
		if r.Start.Name != "" {
			start += " (" + r.Start.Name + ")"
		}
	}
	fmt.Fprintf(t, "start\t%s\n", start)
	names := "absent"
	switch {
	case r.NameSection.Present:
		names = fmt.Sprintf("present, %d %s named", r.NameSection.Functions, plural(r.NameSection.Functions, "function"))
		if r.NameSection.Module != "" {
			names += fmt.Sprintf(", module %q", r.NameSection.Module)
		}
	case r.NameSection.Error != "":
		names = "malformed, ignored: " + r.NameSection.Error
	}
	fmt.Fprintf(t, "names\t%s\n", names)
	abiLine := fmt.Sprintf("all %d imports provided", len(r.Imports))
	switch {
	case len(r.Imports) == 0:
		abiLine = "no imports"
	case r.ABIRefused > 0:
		abiLine = fmt.Sprintf("%d of %d imports refused (see below)", r.ABIRefused, len(r.Imports))
	}
	fmt.Fprintf(t, "mwasm ABI\t%s\n", abiLine)
	t.Flush()

	r.writeSections(w)

	fmt.Fprintf(w, "\nimports (%d)\n", len(r.Imports))
	t = table(w)
	for _, imp := range r.Imports {
		verdict := "provided"
		if !imp.Provided {
			verdict = "REFUSED"
		}
		fmt.Fprintf(t, "  %s.%s\t%s\t%s\t%s\n", imp.Module, imp.Name, imp.Kind, imp.Type, verdict)
	}
	t.Flush()
	for _, imp := range r.Imports {
		if !imp.Provided {
			fmt.Fprintf(w, "  refused %s.%s: %s\n", imp.Module, imp.Name, imp.Reason)
		}
	}

	fmt.Fprintf(w, "\nexports (%d)\n", len(r.Exports))
	t = table(w)
	for _, e := range r.Exports {
		fmt.Fprintf(t, "  %s\t%s %d\t%s\n", e.Name, e.Kind, e.Index, e.Type)
	}
	t.Flush()

	fmt.Fprintf(w, "\nlargest functions (%d of %d defined, body bytes)\n", len(r.Largest), r.Functions.Defined)
	t = table(w)
	for _, f := range r.Largest {
		fmt.Fprintf(t, "  %d\tfunc %d\t%s\n", f.Size, f.Index, f.Name)
	}
	t.Flush()
}

func limitsList(ls []limitsReport, unit string) string {
	if len(ls) == 0 {
		return "none"
	}
	var parts []string
	for _, l := range ls {
		s := ""
		if l.Elem != "" {
			s = l.Elem + " "
		}
		s += fmt.Sprintf("min %d %s", l.Min, plural(int(l.Min), unit))
		if l.Max != nil {
			s += fmt.Sprintf(", max %d", *l.Max)
		} else {
			s += ", no max"
		}
		if l.Imported {
			s += " (imported)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func globalsLine(gs []globalReport) string {
	if len(gs) == 0 {
		return "none"
	}
	imported, mutable := 0, 0
	for _, g := range gs {
		if g.Imported {
			imported++
		}
		if g.Mutable {
			mutable++
		}
	}
	return fmt.Sprintf("%d (%d imported, %d mutable)", len(gs), imported, mutable)
}

func (r *imageReport) writeText(w io.Writer, file string) {
	m := r.Manifest
	t := table(w)
	fmt.Fprintf(t, "image\t%s\n", file)
	fmt.Fprintf(t, "size\t%d bytes (%s %s %s, entry %#x)\n", r.Size, r.Class, r.Machine, r.Type, r.Entry)
	if r.Compression != "" {
		fmt.Fprintf(t, "file\t%d bytes, %s-compressed (%.1f%% of the image)\n", r.FileSize, r.Compression, 100*float64(r.FileSize)/float64(r.Size))
	}
	fmt.Fprintf(t, "app\t%s (%d bytes of Wasm, sha256 %s)\n", m.App.Name, m.App.WasmSize, m.App.WasmSHA256)
	target := m.Target
	if m.Memory > 0 {
		target += fmt.Sprintf(", %d MiB", m.Memory)
	}
	fmt.Fprintf(t, "target\t%s\n", target)
	fmt.Fprintf(t, "compiler\t%s\n", m.Compiler)
	fmt.Fprintf(t, "manifest\tversion %d\n", m.Version)
	var mods []string
	for k, n := range r.FuncSymbols {
		mods = append(mods, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(mods)
	syms := fmt.Sprint(r.Symbols)
	if len(mods) > 0 {
		syms += " (functions: " + strings.Join(mods, ", ") + ")"
	}
	fmt.Fprintf(t, "symbols\t%s\n", syms)
	t.Flush()

	fmt.Fprintf(w, "\ndevices (%d)\n", len(m.Devices))
	t = table(w)
	for _, d := range m.Devices {
		fmt.Fprintf(t, "  %s\t%s\t%s\n", d.Name, d.Kind, deviceFacts(d))
	}
	t.Flush()

	if len(m.Files) > 0 {
		var files int
		var bytes uint64
		for _, f := range m.Files {
			files, bytes = files+f.Files, bytes+f.Bytes
		}
		fmt.Fprintf(w, "\nfiles (%d trees, %d files, %d bytes)\n", len(m.Files), files, bytes)
		t = table(w)
		for _, f := range m.Files {
			mode := "writable in memory"
			if f.ReadOnly {
				mode = "read-only"
			}
			fmt.Fprintf(t, "  %s\t%d files, %d directories, %d links\t%d bytes\t%s\n", f.Guest, f.Files, f.Dirs, f.Links, f.Bytes, mode)
		}
		t.Flush()
	}

	fmt.Fprintln(w, "\nsizes")
	t = table(w)
	fmt.Fprintf(t, "  module\tcode\tdata\n")
	var code, data uint64
	for _, s := range m.Sizes {
		fmt.Fprintf(t, "  %s\t%d\t%d\n", s.Module, s.Code, s.Data)
		code, data = code+s.Code, data+s.Data
	}
	fmt.Fprintf(t, "  total\t%d\t%d\n", code, data)
	t.Flush()

	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nnotes")
		t = table(w)
		for _, n := range r.Notes {
			name := n.Name
			if name == "" {
				name = fmt.Sprintf("type %d", n.Type)
			}
			fmt.Fprintf(t, "  %s\t%s\t%s\n", n.Owner, name, n.Value)
		}
		t.Flush()
	}

	fmt.Fprintln(w, "\nsections")
	t = table(w)
	for _, s := range r.Sections {
		fmt.Fprintf(t, "  %s\t%#x\t%d\n", s.Name, s.Addr, s.Size)
	}
	t.Flush()

	fmt.Fprintln(w, "\nsegments")
	t = table(w)
	fmt.Fprintf(t, "  type\tflags\toffset\tvaddr\tfilesz\tmemsz\n")
	for _, s := range r.Segments {
		fmt.Fprintf(t, "  %s\t%s\t%#x\t%#x\t%d\t%d\n", s.Type, s.Flags, s.Offset, s.Vaddr, s.FileSize, s.MemSize)
	}
	t.Flush()
}

// writeSections prints the table of a module's sections.
func (r *moduleReport) writeSections(w io.Writer) {
	fmt.Fprintln(w, "\nsections")
	t := table(w)
	fmt.Fprintf(t, "  id\tsection\toffset\tsize\tcount\n")
	for _, s := range r.Sections {
		name := s.Name
		if s.ID == 0 {
			name = fmt.Sprintf("custom %q", s.Custom)
		}
		fmt.Fprintf(t, "  %d\t%s\t%#x\t%d", s.ID, name, s.Offset, s.Size)
		if s.Count != nil {
			fmt.Fprintf(t, "\t%d", *s.Count)
		}
		fmt.Fprintln(t)
	}
	t.Flush()
}

// deviceFacts is one line of a device's build-time facts.
func deviceFacts(d manifest.Device) string {
	var f []string
	add := func(k, v string) {
		if v != "" {
			f = append(f, k+" "+v)
		}
	}
	switch d.Kind {
	case manifest.KindNet:
		add("mac", d.MAC)
		if d.MTU != 0 {
			add("mtu", fmt.Sprint(d.MTU))
		}
		add("ipv4", d.IPv4)
		add("gateway", d.Gateway)
	case manifest.KindBlock:
		add("sector size", fmt.Sprint(d.SectorSize))
		if d.Sectors != 0 {
			add("sectors", fmt.Sprintf("%d (%d bytes)", d.Sectors, d.Sectors*uint64(d.SectorSize)))
		} else {
			add("sectors", "from the disk attached at boot")
		}
	}
	if len(f) == 0 {
		return "(facts from the backend at boot)"
	}
	return strings.Join(f, ", ")
}
