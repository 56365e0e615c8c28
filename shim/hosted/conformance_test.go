package hosted

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mwasm/mwasm/abi"
)

// TestConformance runs the ABI conformance app (abi/conformance) under Run with a
// scratch disk. (net0 checks need a network that answers; see the usernet tests.)
func TestConformance(t *testing.T) {
	dir := t.TempDir()
	path, err := abi.BuildConformance(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "disk.img")
	if err := CreateDisk(img, 1<<20, 512); err != nil {
		t.Fatal(err)
	}
	disk, err := OpenDisk(img, 512)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	var out, errOut bytes.Buffer
	code, err := Run(context.Background(), wasm, Config{
		Name: "conformance", Args: abi.ConformanceArgs, Env: abi.ConformanceEnv,
		Stdout: &out, Stderr: &errOut, Disk: disk, CompilationCache: cache,
	})
	if err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, errOut.String())
	}
	if err := abi.CheckConformanceOutput(out.String(), code); err != nil {
		t.Errorf("%v\nstdout:\n%s", err, out.String())
	}
}
