//go:build !wasip1

package reactor

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/mwasm/mwasm/shim"
)

// TestExportsUpToDate fails when exports_wasip1.go differs from what the generator
// makes from today's shim.Provided (a function added to the ABI, say).
func TestExportsUpToDate(t *testing.T) {
	want, err := GenerateExports()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(ExportsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go generate ./shim/reactor", ExportsFile)
	}
	for _, f := range shim.Provided {
		if !bytes.Contains(got, []byte("//go:wasmexport "+f.Name+"\n")) {
			t.Errorf("%s does not export %s", ExportsFile, f.Name)
		}
	}
}

func TestMethodName(t *testing.T) {
	for in, want := range map[string]string{
		"fd_write": "FdWrite", "fd_prestat_dir_name": "FdPrestatDirName",
		"sched_yield": "SchedYield", "poll_oneoff": "PollOneoff",
	} {
		if got := MethodName(in); got != want {
			t.Errorf("MethodName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigRoundTrip(t *testing.T) {
	cases := []Config{
		{},
		{Args: []string{"app"}},
		{Args: []string{"app", "", "a b"}, Env: []string{"K=V", "E="}, Stdin: true},
		{Args: []string{"x"}, Net: &NetFacts{MAC: [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}, MTU: 1500, IPv4: "10.0.2.15/24", Gateway: "10.0.2.2"}},
		{Net: &NetFacts{MAC: [6]byte{2}, MTU: 9000}, Disk: &DiskFacts{SectorSize: 4096, Sectors: 1 << 40}},
		{Args: []string{"x"}, Declared: []string{"net0", "disk0"}, DeclaredIPv4: "10.0.3.2/24", DeclaredGateway: "10.0.3.1"},
		{Declared: []string{"disk0"}},
	}
	for i, c := range cases {
		b := Encode(c)
		got, err := Decode(b)
		if err != nil {
			t.Errorf("case %d: %v", i, err)
			continue
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("case %d: decoded %+v, want %+v", i, got, c)
		}
	}
}

// TestConfigLayout pins the byte layout documented in the package comment.
func TestConfigLayout(t *testing.T) {
	b := Encode(Config{Args: []string{"ab"}, Disk: &DiskFacts{SectorSize: 512, Sectors: 2}})
	want := []byte("MWC1" +
		"\x01\x00\x00\x00\x02\x00\x00\x00ab" +
		"\x20\x00\x00\x00\x04\x00\x00\x00\x00\x02\x00\x00" +
		"\x21\x00\x00\x00\x08\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00")
	if !bytes.Equal(b, want) {
		t.Errorf("Encode = %q, want %q", b, want)
	}
}

func TestConfigErrors(t *testing.T) {
	rec := func(tag uint32, p ...byte) []byte {
		return append(appendU32(appendU32(nil, tag), uint32(len(p))), p...)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(append([][]byte{[]byte(Magic)}, parts...), nil) }
	u32 := func(v uint32) []byte { return appendU32(nil, v) }
	cases := []struct {
		blob []byte
		want string
	}{
		{[]byte("MWC2"), "does not start with"},
		{nil, "does not start with"},
		{cat([]byte{1, 0, 0}), "truncated record header at byte 4"},
		{cat(rec(TagArg, 'a', 'b')[:9]), "runs past the end"},
		{cat(rec(99)), "unknown tag 99 at byte 4"},
		{cat(rec(TagStdin), rec(TagStdin)), "tag 3 given twice at byte 12"},
		{cat(rec(TagStdin, 1)), "tag 3 has 1 bytes, want 0"},
		{cat(rec(TagNetMAC, 1, 2, 3)), "tag 16 has 3 bytes, want 6"},
		{cat(rec(TagNetMAC, 1, 2, 3, 4, 5, 6)), "needs both a MAC"},
		{cat(rec(TagNetMAC, 1, 2, 3, 4, 5, 6), rec(TagNetMTU, u32(10)...)), "MTU 10 is outside"},
		{cat(rec(TagNetIPv4, '1')), "without a net0 device"},
		{cat(rec(TagDiskSector, u32(512)...)), "needs both a sector size"},
		{cat(rec(TagDiskSector, u32(1000)...), rec(TagDiskSectors, 1, 0, 0, 0, 0, 0, 0, 0)), "sector size 1000 is not a power of two"},
		{cat(rec(TagDiskSector, u32(512)...), rec(TagDiskSectors, 0, 0, 0, 0, 0, 0, 0, 0)), "sector count 0"},
	}
	for _, c := range cases {
		_, err := Decode(c.blob)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Decode(%q) = %v, want an error containing %q", c.blob, err, c.want)
		}
	}
}

// module assembles a Wasm module from sections (id, contents).
func module(sections ...[]byte) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	for _, s := range sections {
		b = append(b, s[0])
		b = appendULEB(b, uint64(len(s)-1))
		b = append(b, s[1:]...)
	}
	return b
}

func wname(s string) []byte { return append(appendULEB(nil, uint64(len(s))), s...) }

func TestRenameImportModule(t *testing.T) {
	// type 0: (i32) -> (); imports: a.f (func 0), b.g (func 0), a.m (memory 1..2),
	// a.t (table funcref 0), a.gl (global i32 const);
	// a custom section after the imports must survive unchanged.
	types := []byte{1, 1, 0x60, 1, 0x7f, 0}
	imp := []byte{2, 5}
	imp = append(append(append(imp, wname("a")...), wname("f")...), 0, 0)
	imp = append(append(append(imp, wname("b")...), wname("g")...), 0, 0)
	imp = append(append(append(imp, wname("a")...), wname("m")...), 2, 1, 1, 2)
	imp = append(append(append(imp, wname("a")...), wname("t")...), 1, 0x70, 0, 0)
	imp = append(append(append(imp, wname("a")...), wname("gl")...), 3, 0x7f, 0)
	custom := append([]byte{0}, wname("x-test")...)
	custom = append(custom, 0xde, 0xad)
	in := module(types, imp, custom)

	out, n, err := RenameImportModule(in, "a", "a_much_longer_module_name")
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("renamed %d imports, want 4", n)
	}
	if !bytes.HasSuffix(out, custom[1:]) {
		t.Error("the custom section after the imports was not copied unchanged")
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, out)
	if err != nil {
		t.Fatalf("the rewritten module does not decode: %v", err)
	}
	var mods []string
	for _, f := range cm.ImportedFunctions() {
		m, name, _ := f.Import()
		mods = append(mods, m+"."+name)
	}
	for _, m := range cm.ImportedMemories() {
		mod, name, _ := m.Import()
		mods = append(mods, mod+"."+name)
	}
	want := []string{"a_much_longer_module_name.f", "b.g", "a_much_longer_module_name.m"}
	if !reflect.DeepEqual(mods, want) {
		t.Errorf("imports after rewrite: %v, want %v", mods, want)
	}

	// Renaming nothing gives the same bytes.
	same, n, err := RenameImportModule(in, "zzz", "y")
	if err != nil || n != 0 || !bytes.Equal(same, in) {
		t.Errorf("renaming an absent module: %d renamed, err %v, equal %v", n, err, bytes.Equal(same, in))
	}
}

func TestRenameImportModuleErrors(t *testing.T) {
	good := module([]byte{2, 1, 1, 'a', 1, 'f', 0, 0})
	cases := []struct {
		in   []byte
		want string
	}{
		{[]byte("\x00asm\x02\x00\x00\x00"), "not a Wasm 1.0 binary"},
		{[]byte("junk"), "not a Wasm 1.0 binary"},
		{good[:len(good)-1], "runs past the end of the module"},
		{module([]byte{2, 1, 1, 'a', 1, 'f', 9, 0}), "unknown import kind 0x9"},
		{module([]byte{2, 1, 5, 'a'}), "name runs past the end"},
		{module([]byte{2, 1, 1, 'a', 1, 'f', 0, 0, 7}), "1 bytes after its last import"},
		{module([]byte{2, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}), "longer than 5 bytes"},
	}
	for _, c := range cases {
		_, _, err := RenameImportModule(c.in, "a", "b")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("RenameImportModule(% x) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

func TestSplitCommandLine(t *testing.T) {
	for in, want := range map[string][]string{
		"":                           nil,
		"   ":                        nil,
		"a b\tc\n":                   {"a", "b", "c"},
		`-interval 10ms -count 3`:    {"-interval", "10ms", "-count", "3"},
		`'two words' "and \"more\""`: {"two words", `and "more"`},
		`a\ b c''d ""`:               {"a b", "cd", ""},
		`'unterminated quote`:        {"unterminated quote"},
		`x\`:                         {`x\`},
	} {
		if got := SplitCommandLine(in); !reflect.DeepEqual(got, want) {
			t.Errorf("SplitCommandLine(%q) = %q, want %q", in, got, want)
		}
	}
	// In the blob, an arg line's words follow the args before it.
	b := Encode(Config{Args: []string{"app"}})
	b = append(b, 4, 0, 0, 0, 5, 0, 0, 0, 'x', ' ', '"', 'y', '"')
	b = append(b, 1, 0, 0, 0, 1, 0, 0, 0, 'z')
	c, err := Decode(b)
	if err != nil || !reflect.DeepEqual(c.Args, []string{"app", "x", "y", "z"}) {
		t.Errorf("Decode with an arg line: %q, %v", c.Args, err)
	}
}
