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
	// The import table of README.md (the table headed "| function | used by Go"):
	// rows starting with | `name` |.
	text := string(readme)
	start := strings.Index(text, "| function | used by Go")
	if start < 0 {
		t.Fatal("README.md has no import table (| function | used by Go ...)")
	}
	table, _, _ := strings.Cut(text[start:], "\n\n")
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|")
	var documented []string
	for _, m := range row.FindAllStringSubmatch(table, -1) {
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
	if len(listed) != 45 {
		t.Errorf("%d functions, want the 45 of WASI preview 1 minus the refused proc_raise", len(listed))
	}
}

// preview1 is every function of WASI preview 1 (wasi_snapshot_preview1), from the
// specification's witx.
var preview1 = []string{
	"args_get", "args_sizes_get", "environ_get", "environ_sizes_get",
	"clock_res_get", "clock_time_get",
	"fd_advise", "fd_allocate", "fd_close", "fd_datasync", "fd_fdstat_get",
	"fd_fdstat_set_flags", "fd_fdstat_set_rights", "fd_filestat_get",
	"fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_prestat_get",
	"fd_prestat_dir_name", "fd_pwrite", "fd_read", "fd_readdir", "fd_renumber",
	"fd_seek", "fd_sync", "fd_tell", "fd_write",
	"path_create_directory", "path_filestat_get", "path_filestat_set_times",
	"path_link", "path_open", "path_readlink", "path_remove_directory", "path_rename",
	"path_symlink", "path_unlink_file",
	"poll_oneoff", "proc_exit", "proc_raise", "sched_yield", "random_get",
	"sock_accept", "sock_recv", "sock_send", "sock_shutdown",
}

// TestFunctionsAndRefusedCoverPreview1: every preview 1 function is either provided
// or refused with a hint, never both, and nothing else is listed; the README names
// every refused function.
func TestFunctionsAndRefusedCoverPreview1(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, n := range preview1 {
		known[n] = true
	}
	where := map[string]string{}
	for _, f := range Functions {
		where[f.Name] = "Functions"
	}
	for _, r := range Refused {
		if where[r.Name] != "" {
			t.Errorf("%s is both in %s and in Refused", r.Name, where[r.Name])
		}
		where[r.Name] = "Refused"
		if r.Hint == "" {
			t.Errorf("Refused %s has no hint", r.Name)
		}
		if !strings.Contains(string(readme), "`"+r.Name+"`") {
			t.Errorf("README.md does not mention the refused %s", r.Name)
		}
	}
	if len(preview1) != 46 || len(Functions)+len(Refused) != 46 {
		t.Errorf("preview 1 has 46 functions; the list has %d, Functions %d + Refused %d", len(preview1), len(Functions), len(Refused))
	}
	for _, n := range preview1 {
		if where[n] == "" {
			t.Errorf("preview 1 function %s is neither provided nor refused", n)
		}
	}
	for n := range where {
		if !known[n] {
			t.Errorf("%s is not a WASI preview 1 function", n)
		}
	}
}

func TestCheckImport(t *testing.T) {
	for _, f := range Functions {
		if err := CheckImport(Module, f.Name, f.Params, f.Results); err != nil {
			t.Errorf("%s refused: %v", f.Name, err)
		}
	}
	const raiseHint = "proc_raise is deprecated in WASI preview 1 and there are no signals: call proc_exit instead; see abi/README.md"
	const otherHint = "see abi/README.md for the functions mwasm provides"
	cases := []struct {
		module, name    string
		params, results []ValType
		want            string
	}{
		{"env", "fd_write", []ValType{I32, I32, I32, I32}, []ValType{I32},
			"module imports env.fd_write, which the mwasm ABI does not provide: " + otherHint},
		{Module, "proc_raise", []ValType{I32}, []ValType{I32},
			"module imports wasi_snapshot_preview1.proc_raise, which the mwasm ABI does not provide: " + raiseHint},
		{Module, "sock_accept", []ValType{I32, I32}, []ValType{I32},
			"module imports wasi_snapshot_preview1.sock_accept with type (i32, i32) -> i32, but the mwasm ABI defines it as (i32, i32, i32) -> i32 (see abi/README.md)"},
		{Module, "sock_recv", []ValType{I32, I32, I32, I32, I32}, []ValType{I32},
			"module imports wasi_snapshot_preview1.sock_recv with type (i32, i32, i32, i32, i32) -> i32, but the mwasm ABI defines it as (i32, i32, i32, i32, i32, i32) -> i32 (see abi/README.md)"},
		{Module, "thread_spawn", []ValType{I32}, []ValType{I32},
			"module imports wasi_snapshot_preview1.thread_spawn, which the mwasm ABI does not provide: " + otherHint},
		{Module, "fd_write", []ValType{I32, I32, I32}, []ValType{I32},
			"module imports wasi_snapshot_preview1.fd_write with type (i32, i32, i32) -> i32, but the mwasm ABI defines it as (i32, i32, i32, i32) -> i32 (see abi/README.md)"},
		{Module, "clock_time_get", []ValType{I32, I32, I32}, []ValType{I32},
			"module imports wasi_snapshot_preview1.clock_time_get with type (i32, i32, i32) -> i32, but the mwasm ABI defines it as (i32, i64, i32) -> i32 (see abi/README.md)"},
		{Module, "proc_exit", []ValType{I32}, []ValType{I32},
			"module imports wasi_snapshot_preview1.proc_exit with type (i32) -> i32, but the mwasm ABI defines it as (i32) -> () (see abi/README.md)"},
		{Module, "path_rename", []ValType{I32, I32, I32, I32, I32, 0x7d}, []ValType{I32},
			"with type (i32, i32, i32, i32, i32, f32) -> i32"},
	}
	for _, c := range cases {
		err := CheckImport(c.module, c.name, c.params, c.results)
		if err == nil {
			t.Errorf("%s.%s %v -> %v accepted", c.module, c.name, c.params, c.results)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s.%s: error\n  %s\nwant\n  %s", c.module, c.name, err, c.want)
		}
		var ie *ImportError
		if !errors.As(err, &ie) || ie.Module != c.module || ie.Name != c.name {
			t.Errorf("%s.%s: error %#v is not an *ImportError naming the import", c.module, c.name, err)
		}
	}
	if s := ValType(0x42).String(); s != "valtype(0x42)" {
		t.Errorf("unknown value type prints as %q", s)
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
