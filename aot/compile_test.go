package aot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/wasmc"
)

// TestCompileSpecModules compiles every valid module of the spec suite (v1
// and v2 without SIMD) in both bounds modes with the verifier on, and checks
// the object's shape: one FuncInfo per defined function in index order,
// 16-byte alignment, code inside the blob, trap sites and PC entries inside
// their function, one trampoline per type.
func TestCompileSpecModules(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/tetratelabs/wazero").Output()
	if err != nil {
		t.Skipf("wazero module not found: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "internal", "integration_test", "spectest")
	var files []string
	for _, v := range []string{"v1", "v2"} {
		fs, _ := filepath.Glob(filepath.Join(dir, v, "testdata", "*.wasm"))
		for _, f := range fs {
			if !strings.HasPrefix(filepath.Base(f), "simd_") {
				files = append(files, f)
			}
		}
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
