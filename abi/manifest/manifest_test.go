package manifest

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func sample() *Manifest {
	return &Manifest{
		Version: FormatVersion,
		App:     App{Name: "httpd", WasmSHA256: strings.Repeat("ab", 32), WasmSize: 4123456},
		Target:  TargetXen,
		Devices: []Device{
			{Name: "net0", Kind: KindNet, MAC: "52:54:00:12:34:56", MTU: 1500, IPv4: "10.0.2.15/24", Gateway: "10.0.2.2"},
			{Name: "disk0", Kind: KindBlock, SectorSize: 4096, Sectors: 2048},
		},
		Memory:   64,
		Sizes:    []Module{{Module: "app", Code: 2101234, Data: 712345}, {Module: "shim", Code: 1100000, Data: 700000}},
		Files:    []Tree{{Guest: "/www", ReadOnly: true, Files: 3, Dirs: 1, Links: 1, Bytes: 5000}},
		Compiler: "mwasm 0.1.0-dev",
	}
}

func TestRoundTrip(t *testing.T) {
	m := sample()
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	// Stable field names: the JSON is part of the image format.
	for _, f := range []string{`"version":2`, `"files":[{"guest":"/www","read_only":true,"files":3,"dirs":1,"links":1,"bytes":5000}]`, `"app":{"name":"httpd","wasm_sha256":"abab`, `"wasm_size":4123456`,
		`"target":"xen"`, `"mac":"52:54:00:12:34:56"`, `"mtu":1500`, `"ipv4":"10.0.2.15/24"`, `"gateway":"10.0.2.2"`,
		`"sector_size":4096`, `"sectors":2048`, `"memory_mib":64`, `"module":"shim","code":1100000,"data":700000`,
		`"compiler":"mwasm 0.1.0-dev"`} {
		if !bytes.Contains(b, []byte(f)) {
			t.Errorf("JSON %s lacks %s", b, f)
		}
	}
	// Block facts are not written for net devices and the other way round.
	if bytes.Contains(b, []byte(`"sector_size":0`)) || bytes.Contains(b, []byte(`"mac":""`)) {
		t.Errorf("JSON %s holds empty facts", b)
	}
	got, err := Unmarshal(append(b, 0, 0, 0)) // note padding
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
	}
	if d := got.Device("disk0"); d == nil || d.SectorSize != 4096 {
		t.Errorf("Device(disk0) = %+v", d)
	}
	if got.Device("net1") != nil {
		t.Error("Device(net1) found a device")
	}
}

func TestMarshalEmptyLists(t *testing.T) {
	m := sample()
	m.Target, m.Memory, m.Devices, m.Sizes = TargetLinux, 0, nil, nil
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"devices":[]`)) || !bytes.Contains(b, []byte(`"sizes":[]`)) {
		t.Errorf("JSON %s: want empty lists, not null", b)
	}
	if m.Devices != nil {
		t.Error("Marshal changed its argument")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(m *Manifest)
		want string
	}{
		{"version", func(m *Manifest) { m.Version = 0 }, "version: 0 is not a manifest version"},
		{"newer", func(m *Manifest) { m.Version = 3 }, "version: 3 is newer than this mwasm reads (2): upgrade mwasm"},
		{"files in v1", func(m *Manifest) { m.Version = 1 }, "files: is set in a version 1 manifest"},
		{"files guest", func(m *Manifest) { m.Files[0].Guest = "" }, "files[0].guest: is empty"},
		{"files twice", func(m *Manifest) { m.Files = append(m.Files, m.Files[0]) }, "files[1].guest: /www is listed twice"},
		{"files count", func(m *Manifest) { m.Files[0].Files = -1 }, "files[0]: has a negative count"},
		{"name", func(m *Manifest) { m.App.Name = "" }, "app.name: is empty"},
		{"sha", func(m *Manifest) { m.App.WasmSHA256 = "ABCD" }, `app.wasm_sha256: "ABCD" is not 64 lower-case hex digits`},
		{"size", func(m *Manifest) { m.App.WasmSize = 0 }, "app.wasm_size: is 0"},
		{"target", func(m *Manifest) { m.Target = "kvm" }, `target: "kvm" is not a target: use "linux" or "xen"`},
		{"xen memory", func(m *Manifest) { m.Memory = 0 }, "memory_mib: is 0: a xen image needs its guest memory"},
		{"linux memory", func(m *Manifest) { m.Target = TargetLinux }, "memory_mib: is set for target linux"},
		{"kind", func(m *Manifest) { m.Devices[0].Kind = "wifi" }, `devices[0].kind: "wifi" is not a device kind`},
		{"no kind", func(m *Manifest) { m.Devices[0].Kind = "" }, `devices[0].kind: is missing`},
		{"net name", func(m *Manifest) { m.Devices[0].Name = "eth0" }, `devices[0].name: "eth0" is not a network device name: the ABI has net0`},
		{"disk name", func(m *Manifest) { m.Devices[1].Name = "net0" }, `devices[1].name: "net0" is not a block device name`},
		{"mac", func(m *Manifest) { m.Devices[0].MAC = "52:54:00" }, `devices[0].mac: "52:54:00" is not an Ethernet MAC`},
		{"multicast", func(m *Manifest) { m.Devices[0].MAC = "01:00:5e:00:00:01" }, "multicast"},
		{"mtu", func(m *Manifest) { m.Devices[0].MTU = 20 }, "devices[0].mtu: 20 is outside 68-65535"},
		{"ipv4", func(m *Manifest) { m.Devices[0].IPv4 = "10.0.2.15" }, `devices[0].ipv4: "10.0.2.15" is not an IPv4 address with prefix`},
		{"ipv6", func(m *Manifest) { m.Devices[0].IPv4 = "fe80::1/64" }, `devices[0].ipv4`},
		{"gateway", func(m *Manifest) { m.Devices[0].Gateway = "nope" }, `devices[0].gateway: "nope" is not an IPv4 address`},
		{"gateway net", func(m *Manifest) { m.Devices[0].Gateway = "192.168.1.1" }, "devices[0].gateway: 192.168.1.1 is not in the device's network 10.0.2.0/24"},
		{"net with sectors", func(m *Manifest) { m.Devices[0].Sectors = 1 }, "devices[0]: net0 is a net device but has sector_size or sectors"},
		{"disk with mtu", func(m *Manifest) { m.Devices[1].MTU = 1500 }, "devices[1]: disk0 is a block device but has mac, mtu"},
		{"sector missing", func(m *Manifest) { m.Devices[1].SectorSize = 0 }, "devices[1].sector_size: is missing"},
		{"sector", func(m *Manifest) { m.Devices[1].SectorSize = 1000 }, "devices[1].sector_size: 1000 is not a power of two from 512 to 65536"},
		{"twice", func(m *Manifest) { m.Devices[1] = m.Devices[0] }, "devices[1].name: net0 is declared twice"},
		{"module", func(m *Manifest) { m.Sizes[1].Module = "" }, "sizes[1].module: is empty"},
		{"module twice", func(m *Manifest) { m.Sizes[1].Module = "app" }, "sizes[1].module: app is listed twice"},
		{"compiler", func(m *Manifest) { m.Compiler = "gcc" }, `compiler: "gcc" does not name an mwasm version`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := sample()
			c.edit(m)
			_, err := Marshal(m)
			if err == nil {
				t.Fatalf("Marshal accepted %+v", m)
			}
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("error %T is not *Error", err)
			}
			if !strings.HasPrefix(err.Error(), "mwasm manifest: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	good, err := Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) []byte { return bytes.Replace(good, []byte(old), []byte(new), 1) }
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"not json", []byte("hello"), "mwasm manifest: not valid JSON"},
		{"empty", nil, "not valid JSON"},
		{"no version", replace(`"version":2,`, ""), "version: is missing"},
		// A newer version is named as such even if it has fields this reader lacks.
		{"newer", replace(`"version":2,`, `"version":3,"cpu":"x86-64-v3",`), "version: 3 is newer than this mwasm reads (2): upgrade mwasm"},
		{"unknown field", replace(`"target":"xen"`, `"target":"xen","vcpus":2`), `unknown field "vcpus"`},
		{"unknown device field", replace(`"mtu":1500`, `"mtu":1500,"queues":4`), `unknown field "queues"`},
		{"wrong type", replace(`"mtu":1500`, `"mtu":"big"`), "mtu"},
		{"trailing", append(append([]byte{}, good...), []byte(`{}`)...), "not valid JSON: invalid character '{' after top-level value"},
		{"invalid", replace(`"target":"xen"`, `"target":"vmware"`), `target: "vmware" is not a target`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Unmarshal(c.in)
			if err == nil {
				t.Fatalf("Unmarshal(%s) = %+v, want an error", c.in, m)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q does not contain %q (or is not one line)", err, c.want)
			}
		})
	}
}

func TestFindNote(t *testing.T) {
	var seg []byte
	seg = AppendNote(seg, "Xen", 6, []byte("xen-3.0\x00"))
	seg = AppendNote(seg, "GNU", 1, []byte{1, 2, 3})
	seg = AppendNote(seg, "mwasm", 2, []byte("other"))
	seg = AppendNote(seg, "mwasm", NoteType, []byte(`{"x":1}`))
	if len(seg)%4 != 0 {
		t.Fatalf("note segment of %d bytes is not 4-aligned", len(seg))
	}
	desc, ok, err := FindNote(seg, binary.LittleEndian, NoteName, NoteType)
	if err != nil || !ok || string(desc) != `{"x":1}` {
		t.Errorf("FindNote = %q, %v, %v", desc, ok, err)
	}
	if _, ok, err := FindNote(seg, binary.LittleEndian, "mwasm", 9); ok || err != nil {
		t.Errorf("FindNote of a missing type = %v, %v", ok, err)
	}
	if _, _, err := FindNote(seg[:len(seg)-8], binary.LittleEndian, NoteName, NoteType); err == nil || !strings.Contains(err.Error(), "runs past its end") {
		t.Errorf("truncated note: err = %v", err)
	}
	if _, _, err := FindNote(seg[:6], binary.LittleEndian, NoteName, NoteType); err == nil || !strings.Contains(err.Error(), "truncated ELF note header") {
		t.Errorf("truncated header: err = %v", err)
	}
}

// minimalELF is an x86-64 ET_EXEC file with one PT_NOTE program header over notes.
func minimalELF(notes []byte) []byte {
	const ehsize, phsize = 64, 56
	var b []byte
	le := binary.LittleEndian
	b = append(b, 0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT))
	b = append(b, make([]byte, 9)...)
	b = le.AppendUint16(b, uint16(elf.ET_EXEC))
	b = le.AppendUint16(b, uint16(elf.EM_X86_64))
	b = le.AppendUint32(b, uint32(elf.EV_CURRENT))
	b = le.AppendUint64(b, 0x400000) // entry
	b = le.AppendUint64(b, ehsize)   // phoff
	b = le.AppendUint64(b, 0)        // shoff
	b = le.AppendUint32(b, 0)        // flags
	b = le.AppendUint16(b, ehsize)
	b = le.AppendUint16(b, phsize)
	b = le.AppendUint16(b, 1) // phnum
	b = le.AppendUint16(b, 0) // shentsize
	b = le.AppendUint16(b, 0) // shnum
	b = le.AppendUint16(b, 0) // shstrndx
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

func TestFromELF(t *testing.T) {
	desc, err := Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	notes := AppendNote(AppendNote(nil, "Xen", 6, []byte("xen-3.0\x00")), NoteName, NoteType, desc)
	f, err := elf.NewFile(bytes.NewReader(minimalELF(notes)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromELF(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, sample()) {
		t.Errorf("FromELF = %+v", m)
	}

	f, err = elf.NewFile(bytes.NewReader(minimalELF(AppendNote(nil, "GNU", 1, []byte{0, 0, 0, 0}))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FromELF(f); !errors.Is(err, ErrNoNote) {
		t.Errorf("FromELF without the note: err = %v, want ErrNoNote", err)
	}

	bad := bytes.Replace(desc, []byte(`"target":"xen"`), []byte(`"target":"xen","x":1`), 1)
	f, err = elf.NewFile(bytes.NewReader(minimalELF(AppendNote(nil, NoteName, NoteType, bad))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FromELF(f); err == nil || !strings.Contains(err.Error(), `unknown field "x"`) {
		t.Errorf("FromELF with a bad manifest: err = %v", err)
	}
}

// The JSON decodes into a plain map with exactly the documented top-level keys.
func TestTopLevelKeys(t *testing.T) {
	b, err := Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	want := []string{"app", "compiler", "devices", "files", "memory_mib", "sizes", "target", "version"}
	if len(keys) != len(want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	for _, k := range want {
		if _, ok := raw[k]; !ok {
			t.Errorf("key %q missing from %s", k, b)
		}
	}
}

// TestVersion1 reads a manifest written before files existed.
func TestVersion1(t *testing.T) {
	m := sample()
	m.Version, m.Files = 1, nil
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(`"files"`)) {
		t.Errorf("a manifest without trees writes files: %s", b)
	}
	got, err := Unmarshal(b)
	if err != nil {
		t.Fatalf("version 1: %v", err)
	}
	if got.Version != 1 || len(got.Files) != 0 {
		t.Errorf("version 1 read as %+v", got)
	}
}
