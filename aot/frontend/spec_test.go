package frontend

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/internal/specsuite"
	"github.com/mwasm/mwasm/wasmc"
)

// specWasmFiles lists the non-SIMD .wasm files of v1 and v2.
func specWasmFiles(t *testing.T) []string {
	files, err := specsuite.WasmFiles()
	if err != nil {
		t.Skipf("spec tests skipped: %v", err)
	}
	if len(files) < 500 {
		t.Fatalf("only %d spec .wasm files found; the suite looks incomplete", len(files))
	}
	return files
}

// TestTranslateSpecSuite translates every defined function of every valid
// module of the spec suite, in both bounds-check modes, and verifies the IR.
func TestTranslateSpecSuite(t *testing.T) {
	var modules, rejected, funcs, insts, failed int
	for _, path := range specWasmFiles(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := wasmc.Decode(raw)
		if err == nil {
			err = wasmc.Validate(m)
		}
		if err != nil {
			rejected++
			continue
		}
		modules++
		for fi := m.NumImportedFuncs; fi < m.NumFuncs(); fi++ {
			for _, mode := range []BoundsMode{BoundsGuard, BoundsExplicit} {
				f, err := Translate(m, uint32(fi), Options{BoundsChecks: mode})
				if err == nil {
					err = ir.Verify(f)
				}
				if err != nil {
					failed++
					if failed < 20 {
						t.Errorf("%s: func %d: %v", filepath.Base(path), fi, err)
					}
					continue
				}
				if mode == BoundsGuard {
					funcs++
					for _, blk := range f.Layout {
						insts += len(f.Blocks[blk].Insts)
					}
				}
				checkMemFlags(t, f, mode)
			}
		}
	}
	fmt.Printf("frontend spec translate: %d modules (%d rejected by wasmc skipped), %d functions, %d IR instructions, %d failed\n",
		modules, rejected, funcs, insts, failed)
	if funcs < 5000 {
		t.Errorf("only %d functions translated; the suite looks incomplete", funcs)
	}
}

func checkMemFlags(t *testing.T, f *ir.Func, mode BoundsMode) {
	for _, blk := range f.Layout {
		for _, i := range f.Blocks[blk].Insts {
			d := &f.Insts[i]
			switch d.Op {
			case ir.OpLoad, ir.OpUload8, ir.OpSload8, ir.OpUload16, ir.OpSload16, ir.OpUload32, ir.OpSload32,
				ir.OpStore, ir.OpIstore8, ir.OpIstore16, ir.OpIstore32:
				if got := d.Flags&ir.MemChecked != 0; got != (mode == BoundsExplicit) {
					t.Fatalf("%s: %s: checked=%v in mode %d", f.Name, f.InstString(i), got, mode)
				}
			}
			if d.Pos == 0 {
				t.Fatalf("%s: %s has no Wasm offset", f.Name, f.InstString(i))
			}
		}
	}
}
