package specsuite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWasmFiles(t *testing.T) {
	d, err := Dir()
	if err != nil {
		t.Skipf("spec suite not available: %v", err)
	}
	for _, v := range []string{"v1", "v2"} {
		if fi, err := os.Stat(filepath.Join(d, v, "testdata")); err != nil || !fi.IsDir() {
			t.Fatalf("%s/testdata missing under %s: %v", v, d, err)
		}
	}
	files, err := WasmFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 500 {
		t.Fatalf("only %d .wasm files; the suite looks incomplete", len(files))
	}
	for i, f := range files {
		if strings.HasPrefix(filepath.Base(f), "simd_") || filepath.Ext(f) != ".wasm" {
			t.Fatalf("unexpected file %s", f)
		}
		if i > 0 && files[i-1] >= f {
			t.Fatalf("not sorted: %s before %s", files[i-1], f)
		}
	}
}

func TestDirFromEnv(t *testing.T) {
	t.Setenv("MWASM_SPEC_DIR", "/some/where")
	if d, err := locate(); err != nil || d != "/some/where" {
		t.Fatalf("locate() = %q, %v; want /some/where from MWASM_SPEC_DIR", d, err)
	}
}
