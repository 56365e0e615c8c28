package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/internal/wasmtest"
)

// TestRefusedInEveryHome: a module that is not a command mwasm can start is
// refused by mwasm run and by mwasm build (both targets) with the same one line
// and status 2, before anything is compiled.
func TestRefusedInEveryHome(t *testing.T) {
	startType := wasmtest.NewCommand(1, -1)
	ty := startType.Type([]byte{wasmtest.I32}, []byte{wasmtest.I32})
	startType.Export("_start", wasmtest.KindFunc, startType.Func(ty, wasmtest.Code(0x20, 0)))
	reactor := wasmtest.NewCommand(1, -1)
	reactor.Export("_initialize", wasmtest.KindFunc, reactor.Func(reactor.Void, wasmtest.Code()))
	noStart := wasmtest.NewCommand(1, -1)
	noStart.Export("main", wasmtest.KindFunc, noStart.Func(noStart.Void, wasmtest.Code()))
	huge := wasmtest.NewCommand(65536, -1)
	for _, tc := range []struct {
		name string
		wasm []byte
		want string
	}{
		{"start-type", startType.Bytes(), "module's _start has type (i32) -> i32; a WASI command's _start takes and returns nothing"},
		{"reactor", reactor.Bytes(), "module is a reactor (it exports _initialize, not _start)"},
		{"no-start", noStart.Bytes(), "module exports no _start function"},
		{"memory-4g", huge.Main(), "its memory starts at 65536 pages (4096 MiB); mwasm supports memories of at most 65535 pages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := writeFile(t, tc.name+".wasm", tc.wasm)
			out := filepath.Join(t.TempDir(), "out")
			var first string
			for _, args := range [][]string{
				{"run", m},
				{"build", "--target", "linux", m, "-o", out},
				{"build", m, "-o", out},
			} {
				r := mwasm(t, args...)
				wantUsage(t, r, m+": "+tc.want)
				if first == "" {
					first = r.stderr
				} else if r.stderr != first {
					t.Errorf("mwasm %s says %q; mwasm run said %q", args[0], r.stderr, first)
				}
			}
		})
	}
}

// TestRunTrapReport: a trap under mwasm run is reported as a native executable
// reports it (kind, function named by its export), status 134; a trap in the
// start function too.
func TestRunTrapReport(t *testing.T) {
	c := wasmtest.NewCommand(1, -1)
	r := mwasm(t, "run", writeFile(t, "trap.wasm", c.Main(c.Print(1, "before\n"), []byte{0x00})))
	if r.code != 134 || r.stdout != "before\n" || r.stderr != "mwasm: trap: unreachable in app!_start\n" {
		t.Errorf("status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	c = wasmtest.NewCommand(1, -1)
	c.Start(c.Func(c.Void, wasmtest.Code(0x00)))
	r = mwasm(t, "run", writeFile(t, "starttrap.wasm", c.Main(c.Print(1, "not reached\n"))))
	if r.code != 134 || r.stdout != "" || r.stderr != "mwasm: trap: unreachable in app!func2\n" {
		t.Errorf("start function: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestMalformedNameSection: a custom section never invalidates a module; a
// malformed name section (here a function name that is not UTF-8) is ignored with
// a warning, and the module runs.
func TestMalformedNameSection(t *testing.T) {
	c := wasmtest.NewCommand(1, -1)
	c.Custom("name", wasmtest.Section(1, []byte{1, 2, 2, 0xff, 0xfe}))
	m := writeFile(t, "badnames.wasm", c.Main(c.Print(1, "ran\n"), []byte{0x00}))
	r := mwasm(t, "run", m)
	if r.code != 134 || r.stdout != "ran\n" || !strings.Contains(r.stderr, "name section is malformed and is ignored") ||
		!strings.HasSuffix(r.stderr, "mwasm: trap: unreachable in app!_start\n") {
		t.Errorf("status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestMemoryLimit: memories grow to abi.MaxMemoryPages and no further under
// mwasm run (wazero's full 4 GiB memory reads as size 0); a declared maximum
// above it is lowered to it rather than refused.
func TestMemoryLimit(t *testing.T) {
	for _, max := range []int64{-1, 65536} {
		c := wasmtest.NewCommand(1, max)
		grow := func(pages int32, ok string) []byte {
			return wasmtest.Cat(wasmtest.I32Const(pages), []byte{0x40, 0}, wasmtest.I32Const(-1), []byte{0x47, 0x04, 0x40},
				c.Print(1, ok), []byte{0x0b})
		}
		m := writeFile(t, "grow.wasm", c.Main(grow(65534, "grew to 65535\n"), grow(1, "grew to 65536\n"),
			[]byte{0x3f, 0}, wasmtest.I32Const(65535), []byte{0x46, 0x04, 0x40}, c.Print(1, "size 65535\n"), []byte{0x0b}))
		r := mwasm(t, "run", m)
		if r.code != 0 || r.stdout != "grew to 65535\nsize 65535\n" {
			t.Errorf("max %d: status %d, stdout %q, stderr %q", max, r.code, r.stdout, r.stderr)
		}
	}
}
