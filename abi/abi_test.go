package abi

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestFunctionsAreTheDocumentedSubset(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The import table of README.md: rows starting with | `name` |.
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|")
	var documented []string
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		documented = append(documented, m[1])
	}
	var listed []string
	seen := map[string]bool{}
	for _, f := range Functions {
		if seen[f.Name] {
			t.Errorf("Functions lists %s twice", f.Name)
		}
		seen[f.Name] = true
		listed = append(listed, f.Name)
	}
	sort.Strings(documented)
	sort.Strings(listed)
	if strings.Join(documented, " ") != strings.Join(listed, " ") {
		t.Errorf("README.md import table lists\n  %v\nbut Functions has\n  %v", documented, listed)
	}
	if len(listed) != 28 {
		t.Errorf("%d functions, want the 28 of the agreed subset", len(listed))
	}
}

func TestCheckImport(t *testing.T) {
	if err := CheckImport(Module, "fd_write", []ValType{I32, I32, I32, I32}, []ValType{I32}); err != nil {
		t.Errorf("fd_write refused: %v", err)
	}
	if err := CheckImport(Module, "proc_exit", []ValType{I32}, nil); err != nil {
		t.Errorf("proc_exit refused: %v", err)
	}
	cases := []struct {
		module, name    string
		params, results []ValType
		mention         string
	}{
		{"env", "fd_write", []ValType{I32, I32, I32, I32}, []ValType{I32}, `"env"."fd_write"`},
		{Module, "path_rename", []ValType{I32, I32, I32, I32, I32, I32}, []ValType{I32}, `"path_rename"`},
		{Module, "sock_accept", []ValType{I32, I32, I32}, []ValType{I32}, "not part of the mwasm ABI"},
		{Module, "fd_write", []ValType{I32, I32, I32}, []ValType{I32}, "signature [i32 i32 i32] -> [i32]"},
		{Module, "clock_time_get", []ValType{I32, I32, I32}, []ValType{I32}, "[i32 i64 i32]"},
		{Module, "proc_exit", []ValType{I32}, []ValType{I32}, `"proc_exit"`},
	}
	for _, c := range cases {
		err := CheckImport(c.module, c.name, c.params, c.results)
		if err == nil {
			t.Errorf("%s.%s %v -> %v accepted", c.module, c.name, c.params, c.results)
			continue
		}
		if !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s.%s: error %q does not mention %q", c.module, c.name, err, c.mention)
		}
	}
}

func TestCheckConformanceOutput(t *testing.T) {
	good := "ok   args\nconformance: noise\nok   net0 ARP reply\nskip disk0: not set\nSUCCESS\n"
	if err := CheckConformanceOutput(good, 0); err != nil {
		t.Errorf("good run refused: %v", err)
	}
	if err := CheckConformanceOutput(good, 0, "net0 ARP reply"); err != nil {
		t.Errorf("good run with a passed required check refused: %v", err)
	}
	bad := []struct {
		name, out string
		status    uint32
		required  []string
		mention   string
	}{
		{"fail line", "ok   args\nFAIL random_get: 64 bytes all zero\nFAILURE: 1 checks failed\n", 1, nil, "FAIL random_get"},
		{"no SUCCESS", "ok   args\n", 0, nil, "did not print SUCCESS"},
		{"trapped", "ok   args\n", ExitTrap, nil, "exit status 134"},
		{"bad status", good, 1, nil, "exit status 1 after SUCCESS"},
		{"missing required", good, 0, []string{"fd_write disk0"}, `"fd_write disk0"`},
		{"nothing ran", "SUCCESS\n", 0, nil, "no check passed"},
	}
	for _, c := range bad {
		err := CheckConformanceOutput(c.out, c.status, c.required...)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.mention)
		}
	}
}

// TestConformanceAppImports builds the conformance app and checks that it imports
// exactly the ABI: every function (it is meant to call each one raw), with the ABI's
// signatures, and nothing else, including whatever Go's own runtime needs.
func TestConformanceAppImports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the conformance app with the go command; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	path, err := BuildConformance(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	imports, err := wasmImports(wasm)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, im := range imports {
		if err := CheckImport(im.module, im.name, im.params, im.results); err != nil {
			t.Error(err)
		}
		got[im.name] = true
	}
	for _, f := range Functions {
		if !got[f.Name] {
			t.Errorf("the conformance app does not import %s: add a raw call", f.Name)
		}
	}
}

type wasmImport struct {
	module, name    string
	params, results []ValType
}

// wasmImports decodes the type and import sections of a Wasm module: just enough to
// list the imported functions and their signatures.
func wasmImports(b []byte) ([]wasmImport, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return nil, errors.New("not a Wasm module")
	}
	r := &reader{b: b, off: 8}
	type sig struct{ params, results []ValType }
	var types []sig
	var out []wasmImport
	for r.off < len(r.b) && r.err == nil {
		id := r.byte()
		size := int(r.u32())
		end := r.off + size
		if r.err != nil || end > len(r.b) {
			return nil, errors.New("truncated section")
		}
		switch id {
		case 1: // type
			for n := r.u32(); n > 0 && r.err == nil; n-- {
				if r.byte() != 0x60 {
					return nil, errors.New("type section: not a function type")
				}
				var s sig
				for k := r.u32(); k > 0 && r.err == nil; k-- {
					s.params = append(s.params, ValType(r.byte()))
				}
				for k := r.u32(); k > 0 && r.err == nil; k-- {
					s.results = append(s.results, ValType(r.byte()))
				}
				types = append(types, s)
			}
		case 2: // import
			for n := r.u32(); n > 0 && r.err == nil; n-- {
				mod, name := r.name(), r.name()
				switch kind := r.byte(); kind {
				case 0:
					ti := int(r.u32())
					if ti >= len(types) {
						return nil, errors.New("import section: bad type index")
					}
					out = append(out, wasmImport{mod, name, types[ti].params, types[ti].results})
				default:
					return nil, errors.New("import section: non-function import " + mod + "." + name)
				}
			}
		}
		r.off = end
	}
	return out, r.err
}

type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) byte() byte {
	if r.off >= len(r.b) {
		r.err = errors.New("unexpected end of module")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) u32() uint32 {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			break
		}
	}
	return v
}

func (r *reader) name() string {
	n := int(r.u32())
	if r.off+n > len(r.b) {
		r.err = errors.New("unexpected end of module")
		return ""
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	return s
}
