package aot

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/internal/specsuite"
	"github.com/mwasm/mwasm/wasmc"
)

// TestCompileSpecModules compiles every valid module of the spec suite (v1
// and v2 without SIMD) in both bounds modes with the verifier on, and checks
// the object's shape: one FuncInfo per defined function in index order,
// 16-byte alignment, code inside the blob, trap sites and PC entries inside
// their function, one trampoline per type.
func TestCompileSpecModules(t *testing.T) {
	files, err := specsuite.WasmFiles()
	if err != nil {
		t.Skipf("spec suite not found: %v", err)
	}
	if len(files) < 500 {
		t.Skipf("only %d spec modules found", len(files))
	}
	compiled := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m, err := wasmc.Decode(b)
		if err != nil || wasmc.Validate(m) != nil {
			continue
		}
		for _, mode := range []frontend.BoundsMode{frontend.BoundsGuard, frontend.BoundsExplicit} {
			obj, err := Compile(m, Options{BoundsChecks: mode, Verify: true})
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(file), err)
				break
			}
			if len(obj.Funcs) != len(m.Funcs) || len(obj.Trampolines) != len(m.Types) {
				t.Fatalf("%s: %d funcs, %d trampolines", file, len(obj.Funcs), len(obj.Trampolines))
			}
			for k, f := range obj.Funcs {
				if f.Index != uint32(m.NumImportedFuncs+k) || f.Offset%16 != 0 || f.Offset+f.Size > len(obj.Code) {
					t.Fatalf("%s: bad FuncInfo %+v", file, f)
				}
				for _, s := range f.TrapSites {
					if int(s.RetOff) > f.Size || s.Kind == 0 {
						t.Fatalf("%s: bad trap site %+v in %s", file, s, f.Name)
					}
				}
				for _, p := range f.PCTable {
					if int(p.Off) >= f.Size {
						t.Fatalf("%s: bad PC entry %+v", file, p)
					}
				}
			}
		}
		compiled++
	}
	t.Logf("compiled %d spec modules", compiled)
}

// TestLoadable checks the runtime's view of an Object: function and
// trampoline offsets, trap sites mapped to the function index and the Wasm
// byte offset of the trapping instruction, and the bounds mode.
func TestLoadable(t *testing.T) {
	// (type (func (param i32 i32) (result i32)))
	// (import "m" "f" (func (type 0)))
	// (func (type 0) local.get 0 local.get 1 i32.div_u)   ;; i32.div_u at byte 39
	wasm := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
		0x02, 0x07, 0x01, 0x01, 'm', 0x01, 'f', 0x00, 0x00,
		0x03, 0x02, 0x01, 0x00,
		0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6e, 0x0b}
	const divOffset = 39
	if wasm[divOffset] != 0x6e {
		t.Fatal("test module: i32.div_u is not at the expected offset")
	}
	m, err := wasmc.Decode(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if err := wasmc.Validate(m); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []frontend.BoundsMode{frontend.BoundsGuard, frontend.BoundsExplicit} {
		obj, err := Compile(m, Options{BoundsChecks: mode})
		if err != nil {
			t.Fatal(err)
		}
		l := obj.Loadable()
		if l.GuardRegions() != (mode == frontend.BoundsGuard) {
			t.Errorf("mode %d: GuardRegions() = %v", mode, l.GuardRegions())
		}
		if len(l.Code()) != len(obj.Code) {
			t.Errorf("Code() has %d bytes, the object %d", len(l.Code()), len(obj.Code))
		}
		if got := l.FuncOffset(1); got != obj.Funcs[0].Offset {
			t.Errorf("FuncOffset(1) = %d, want %d", got, obj.Funcs[0].Offset)
		}
		if got := l.FuncOffset(0); got != -1 {
			t.Errorf("FuncOffset of the imported function = %d, want -1", got)
		}
		if got := l.EntryOffset(0); got != obj.Trampolines[0] {
			t.Errorf("EntryOffset(0) = %d, want %d", got, obj.Trampolines[0])
		}
		if got := l.EntryOffset(1); got != -1 {
			t.Errorf("EntryOffset of a missing type = %d, want -1", got)
		}
		found := false
		for _, s := range obj.Funcs[0].TrapSites {
			fi, off, ok := l.TrapSite(obj.Funcs[0].Offset + int(s.RetOff))
			if !ok || fi != 1 {
				t.Errorf("trap site %+v: TrapSite = %d, %d, %v", s, fi, off, ok)
			}
			if s.Kind == vm.TrapIntegerDivByZero {
				found = true
				if off != divOffset {
					t.Errorf("division trap at Wasm offset %d, want %d", off, divOffset)
				}
			}
		}
		if !found {
			t.Error("no division-by-zero trap site")
		}
		if _, _, ok := l.TrapSite(obj.Funcs[0].Offset); ok {
			t.Error("the function's first byte is reported as a trap site")
		}
	}
}
