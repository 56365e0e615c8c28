// Package manifest is the image manifest: what `mwasm build` records inside every
// image it writes, so that `mwasm inspect` can show what an image holds and the
// loader of an image can refuse a mismatch (a device the image declares but the
// machine lacks) with a clear message.
//
// A Manifest says which app the image carries (its name, and the SHA-256 and size of
// its .wasm), the target ("linux" or "xen"), the devices declared at build time with
// the facts fixed then (net0: MAC, MTU, IPv4 address/prefix, gateway; disk0: sector
// size and, optionally, the number of sectors), the guest memory (Xen), the code and
// data sizes of each compiled module (the app and the shim), and the mwasm version
// that built the image.
//
// # Encoding
//
// The manifest is JSON (compact, UTF-8), with the field names of the struct tags
// below, carried as the descriptor of one ELF note:
//
//	namesz = 6, descsz = len(json), type = NoteType (1)
//	name   = "mwasm\x00" padded to 4 bytes
//	desc   = the JSON, padded to 4 bytes (with zeros, which Unmarshal ignores)
//
// The note lives in a note section (".note.mwasm") of the image's first, read-only
// PT_LOAD segment and has its own PT_NOTE program header, like the Xen notes. Example:
//
//	{"version":1,"app":{"name":"httpd","wasm_sha256":"9f86…","wasm_size":4123456},
//	 "target":"xen","devices":[{"name":"net0","kind":"net","mac":"52:54:00:12:34:56",
//	 "mtu":1500,"ipv4":"10.0.2.15/24","gateway":"10.0.2.2"}],"memory_mib":64,
//	 "sizes":[{"module":"app","code":2101234,"data":712345},
//	          {"module":"shim","code":1100000,"data":700000}],"compiler":"mwasm 0.1.0-dev"}
//
// # Rules
//
// Version is FormatVersion (2; version 1 had no "files", and is still read). A
// reader refuses a newer version (with "upgrade mwasm") and any field it does not
// know, so that an image is never half-understood; a writer that adds a field
// bumps the version. Marshal and Unmarshal both apply
// Validate, so no invalid manifest is written or accepted.
//
// This package uses encoding/json, hence reflect: the shim (compiled into images,
// where fmt and reflect are avoided) must not import it.
package manifest

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mwasm/mwasm/abi"
)

// FormatVersion is the version of the manifest format this package writes; it
// reads every version from 1 to it.
const FormatVersion = 2

// The ELF note that carries the manifest.
const (
	NoteName    = "mwasm"       // the note's owner name
	NoteType    = 1             // the note's type: the JSON manifest
	NoteSection = ".note.mwasm" // the section the image writer puts it in
)

// Targets.
const (
	TargetLinux = "linux"
	TargetXen   = "xen"
)

// Device kinds.
const (
	KindNet   = "net"
	KindBlock = "block"
)

// Manifest describes an image.
type Manifest struct {
	Version int      `json:"version"`
	App     App      `json:"app"`
	Target  string   `json:"target"`               // TargetLinux or TargetXen
	Devices []Device `json:"devices"`              // in the order the shim opens them; may be empty
	Memory  int      `json:"memory_mib,omitempty"` // guest memory in MiB (Xen; 0 on Linux)
	Sizes   []Module `json:"sizes"`                // one entry per compiled module
	Files   []Tree   `json:"files,omitempty"`      // directory trees packed into the image (version 2)
	// Compiler is the mwasm that built the image, as "mwasm VERSION".
	Compiler string `json:"compiler"`
}

// App identifies the app module an image was built from.
type App struct {
	Name       string `json:"name"`        // the app's name (argv[0]), e.g. "httpd"
	WasmSHA256 string `json:"wasm_sha256"` // lower-case hex SHA-256 of the .wasm
	WasmSize   int64  `json:"wasm_size"`   // size of the .wasm in bytes
}

// Device is one device declared at build time, with the facts fixed then. Net
// facts are set only for KindNet, block facts only for KindBlock.
type Device struct {
	Name string `json:"name"` // abi.NetDev ("net0") or abi.DiskDev ("disk0")
	Kind string `json:"kind"` // KindNet or KindBlock

	MAC     string `json:"mac,omitempty"`     // "52:54:00:12:34:56"; empty: the backend's
	MTU     int    `json:"mtu,omitempty"`     // IP MTU; 0: 1500
	IPv4    string `json:"ipv4,omitempty"`    // "10.0.2.15/24"; empty: none configured
	Gateway string `json:"gateway,omitempty"` // "10.0.2.2"; empty: none

	SectorSize int    `json:"sector_size,omitempty"` // bytes, a power of two 512-65536
	Sectors    uint64 `json:"sectors,omitempty"`     // 0: the size of the disk attached at boot
}

// Tree is one directory tree the image carries (mwasm build --dir), preopened
// for the app at Guest.
type Tree struct {
	Guest    string `json:"guest"`               // the name the app sees, e.g. "/www"
	ReadOnly bool   `json:"read_only,omitempty"` // every change below it is EROFS
	Files    int    `json:"files"`               // regular files
	Dirs     int    `json:"dirs"`                // directories below the root
	Links    int    `json:"links"`               // symbolic links
	Bytes    uint64 `json:"bytes"`               // contents of the files
}

// Module is the size of one compiled module in the image.
type Module struct {
	Module string `json:"module"` // "app" or "shim"
	Code   uint64 `json:"code"`   // bytes of machine code
	Data   uint64 `json:"data"`   // bytes of initialized data (read-only and read-write)
}

// Device returns the declared device called name, or nil.
func (m *Manifest) Device(name string) *Device {
	for i := range m.Devices {
		if m.Devices[i].Name == name {
			return &m.Devices[i]
		}
	}
	return nil
}

// Error is a manifest that cannot be used: Field names the offending field in JSON
// terms ("devices[0].mtu"), or is empty for the whole manifest.
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return "mwasm manifest: " + e.Msg
	}
	return "mwasm manifest: " + e.Field + ": " + e.Msg
}

func errField(field, format string, args ...any) error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks every rule of the format and returns the first violation as an
// *Error.
func (m *Manifest) Validate() error {
	if m.Version < 1 || m.Version > FormatVersion {
		return versionError(m.Version)
	}
	if m.App.Name == "" {
		return errField("app.name", "is empty: give the app's name")
	}
	if len(m.App.WasmSHA256) != 64 || strings.Trim(m.App.WasmSHA256, "0123456789abcdef") != "" {
		return errField("app.wasm_sha256", "%q is not 64 lower-case hex digits", m.App.WasmSHA256)
	}
	if m.App.WasmSize <= 0 {
		return errField("app.wasm_size", "is %d: must be the module's size in bytes", m.App.WasmSize)
	}
	switch m.Target {
	case TargetLinux:
		if m.Memory != 0 {
			return errField("memory_mib", "is set for target linux: only xen images have a fixed memory size")
		}
	case TargetXen:
		if m.Memory <= 0 {
			return errField("memory_mib", "is %d: a xen image needs its guest memory in MiB", m.Memory)
		}
	default:
		return errField("target", "%q is not a target: use %q or %q", m.Target, TargetLinux, TargetXen)
	}
	seen := map[string]bool{}
	for i := range m.Devices {
		d := &m.Devices[i]
		if err := d.validate("devices[" + strconv.Itoa(i) + "]"); err != nil {
			return err
		}
		if seen[d.Name] {
			return errField("devices["+strconv.Itoa(i)+"].name", "%s is declared twice", d.Name)
		}
		seen[d.Name] = true
	}
	mods := map[string]bool{}
	for i, s := range m.Sizes {
		f := "sizes[" + strconv.Itoa(i) + "]"
		if s.Module == "" {
			return errField(f+".module", "is empty: name the module (app or shim)")
		}
		if mods[s.Module] {
			return errField(f+".module", "%s is listed twice", s.Module)
		}
		mods[s.Module] = true
	}
	guests := map[string]bool{}
	for i, t := range m.Files {
		f := "files[" + strconv.Itoa(i) + "]"
		if m.Version < 2 {
			return errField("files", "is set in a version %d manifest: files came with version 2", m.Version)
		}
		if t.Guest == "" {
			return errField(f+".guest", "is empty: name the directory the app sees")
		}
		if guests[t.Guest] {
			return errField(f+".guest", "%s is listed twice", t.Guest)
		}
		guests[t.Guest] = true
		if t.Files < 0 || t.Dirs < 0 || t.Links < 0 {
			return errField(f, "has a negative count")
		}
	}
	if !strings.HasPrefix(m.Compiler, "mwasm ") {
		return errField("compiler", "%q does not name an mwasm version (\"mwasm 0.1.0\")", m.Compiler)
	}
	return nil
}

func versionError(v int) error {
	if v > FormatVersion {
		return errField("version", "%d is newer than this mwasm reads (%d): upgrade mwasm to read this image", v, FormatVersion)
	}
	return errField("version", "%d is not a manifest version (this mwasm reads versions 1 to %d)", v, FormatVersion)
}

func (d *Device) validate(f string) error {
	netFacts := d.MAC != "" || d.MTU != 0 || d.IPv4 != "" || d.Gateway != ""
	blockFacts := d.SectorSize != 0 || d.Sectors != 0
	switch d.Kind {
	case KindNet:
		if d.Name != abi.NetDev {
			return errField(f+".name", "%q is not a network device name: the ABI has %s", d.Name, abi.NetDev)
		}
		if blockFacts {
			return errField(f, "%s is a net device but has sector_size or sectors, which only block devices have", d.Name)
		}
		if d.MAC != "" {
			hw, err := net.ParseMAC(d.MAC)
			if err != nil || len(hw) != 6 {
				return errField(f+".mac", "%q is not an Ethernet MAC address like 52:54:00:12:34:56", d.MAC)
			}
			if hw[0]&1 != 0 {
				return errField(f+".mac", "%s is a multicast address: a device needs a unicast MAC", d.MAC)
			}
		}
		if d.MTU != 0 && (d.MTU < 68 || d.MTU > 65535) {
			return errField(f+".mtu", "%d is outside 68-65535", d.MTU)
		}
		var prefix netip.Prefix
		if d.IPv4 != "" {
			p, err := netip.ParsePrefix(d.IPv4)
			if err != nil || !p.Addr().Is4() {
				return errField(f+".ipv4", "%q is not an IPv4 address with prefix length like 10.0.2.15/24", d.IPv4)
			}
			prefix = p
		}
		if d.Gateway != "" {
			g, err := netip.ParseAddr(d.Gateway)
			if err != nil || !g.Is4() {
				return errField(f+".gateway", "%q is not an IPv4 address like 10.0.2.2", d.Gateway)
			}
			if prefix.IsValid() && !prefix.Masked().Contains(g) {
				return errField(f+".gateway", "%s is not in the device's network %s", d.Gateway, prefix.Masked())
			}
		}
	case KindBlock:
		if d.Name != abi.DiskDev {
			return errField(f+".name", "%q is not a block device name: the ABI has %s", d.Name, abi.DiskDev)
		}
		if netFacts {
			return errField(f, "%s is a block device but has mac, mtu, ipv4 or gateway, which only net devices have", d.Name)
		}
		if d.SectorSize == 0 {
			return errField(f+".sector_size", "is missing: a block device needs its sector size")
		}
		if d.SectorSize < 512 || d.SectorSize > 65536 || d.SectorSize&(d.SectorSize-1) != 0 {
			return errField(f+".sector_size", "%d is not a power of two from 512 to 65536", d.SectorSize)
		}
	case "":
		return errField(f+".kind", "is missing: use %q or %q", KindNet, KindBlock)
	default:
		return errField(f+".kind", "%q is not a device kind: use %q or %q", d.Kind, KindNet, KindBlock)
	}
	return nil
}

// Marshal validates m and encodes it as the note's descriptor (compact JSON).
func Marshal(m *Manifest) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if m.Devices == nil || m.Sizes == nil {
		c := *m
		if c.Devices == nil {
			c.Devices = []Device{}
		}
		if c.Sizes == nil {
			c.Sizes = []Module{}
		}
		m = &c
	}
	return json.Marshal(m)
}

// Unmarshal decodes and validates a note descriptor. Trailing NUL padding is
// ignored. A newer format version is reported as such (before any unknown field),
// so an old mwasm says "upgrade mwasm" rather than naming a new field.
func Unmarshal(b []byte) (*Manifest, error) {
	b = bytes.TrimRight(b, "\x00")
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, &Error{Msg: "not valid JSON: " + jsonMsg(err)}
	}
	if head.Version == nil {
		return nil, errField("version", "is missing")
	}
	if *head.Version < 1 || *head.Version > FormatVersion {
		return nil, versionError(*head.Version)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, &Error{Msg: jsonMsg(err)}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// jsonMsg words encoding/json's errors for a manifest reader.
func jsonMsg(err error) string {
	s := strings.TrimPrefix(err.Error(), "json: ")
	if f, ok := strings.CutPrefix(s, "unknown field "); ok {
		return "unknown field " + f + " (written by a newer or different mwasm?)"
	}
	return s
}

// ErrNoNote is returned by FromELF for an ELF file without an mwasm note.
var ErrNoNote = errors.New("no mwasm note")

// FromELF finds the mwasm note of an ELF file (in its PT_NOTE segments, or, for a
// file without program headers, its SHT_NOTE sections) and decodes the manifest. It
// returns ErrNoNote if there is none.
func FromELF(f *elf.File) (*Manifest, error) {
	var blobs [][]byte
	for _, p := range f.Progs {
		if p.Type == elf.PT_NOTE {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return nil, fmt.Errorf("reading the PT_NOTE segment at file offset %#x: %v", p.Off, err)
			}
			blobs = append(blobs, b)
		}
	}
	if len(blobs) == 0 {
		for _, s := range f.Sections {
			if s.Type == elf.SHT_NOTE {
				b, err := s.Data()
				if err != nil {
					return nil, fmt.Errorf("reading note section %s: %v", s.Name, err)
				}
				blobs = append(blobs, b)
			}
		}
	}
	for _, b := range blobs {
		desc, found, err := FindNote(b, f.ByteOrder, NoteName, NoteType)
		if err != nil {
			return nil, err
		}
		if found {
			return Unmarshal(desc)
		}
	}
	return nil, ErrNoNote
}

// FindNote scans the notes of one note segment or section (each: namesz, descsz,
// type as 32-bit words, then name and descriptor, each padded to 4 bytes) and returns
// the descriptor of the first with the given name and type.
func FindNote(b []byte, order binary.ByteOrder, name string, typ uint32) ([]byte, bool, error) {
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			return nil, false, fmt.Errorf("truncated ELF note header at offset %d of a note segment", off)
		}
		namesz := uint64(order.Uint32(b[off:]))
		descsz := uint64(order.Uint32(b[off+4:]))
		t := order.Uint32(b[off+8:])
		p := uint64(off) + 12
		nameEnd := p + namesz
		descOff := (nameEnd + 3) &^ 3
		descEnd := descOff + descsz
		if descEnd > uint64(len(b)) || nameEnd > uint64(len(b)) {
			return nil, false, fmt.Errorf("ELF note at offset %d of a note segment runs past its end (namesz %d, descsz %d)", off, namesz, descsz)
		}
		n := string(bytes.TrimRight(b[p:nameEnd], "\x00"))
		if n == name && t == typ {
			return b[descOff:descEnd], true, nil
		}
		off = int((descEnd + 3) &^ 3)
	}
	return nil, false, nil
}

// AppendNote appends one ELF note (little-endian, as on x86-64) with the given
// name, type and descriptor to b; image writers that have no note helper of their
// own, and tests, use it.
func AppendNote(b []byte, name string, typ uint32, desc []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(name)+1))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(desc)))
	b = binary.LittleEndian.AppendUint32(b, typ)
	b = append(b, name...)
	b = append(b, 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, desc...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
