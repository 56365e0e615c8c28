//go:build linux && amd64

package perf

import (
	"fmt"
	"os"
	"testing"

	"github.com/mwasm/mwasm/aot"
	"github.com/mwasm/mwasm/aot/backend"
	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/aot/passes"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
)

// TestDump prints the optimized IR and the machine-code listing of the
// kernel function named by MWASM_PERF_DUMP (a Wasm export or name-section
// name, e.g. run_fib), in guard mode, or explicit mode with
// MWASM_PERF_EXPLICIT=1: the tool for reading what the compiler made of a
// hot loop. MWASM_PERF_WASM names another module to read instead of the
// kernels (e.g. a bench/cpu workload built to Wasm).
func TestDump(t *testing.T) {
	name := os.Getenv("MWASM_PERF_DUMP")
	if name == "" {
		t.Skip("set MWASM_PERF_DUMP to a function name")
	}
	var wasm []byte
	if p := os.Getenv("MWASM_PERF_WASM"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		wasm = b
	} else {
		wasm = kernelsWasm(t)
	}
	m, err := wasmc.Decode(wasm)
	if err != nil {
		t.Fatal(err)
	}
	mode := frontend.BoundsGuard
	if os.Getenv("MWASM_PERF_EXPLICIT") == "1" {
		mode = frontend.BoundsExplicit
	}
	found := false
	for k := range m.Funcs {
		idx := uint32(m.NumImportedFuncs + k)
		if frontend.FuncName(m, idx) != name {
			continue
		}
		found = true
		f, err := frontend.Translate(m, idx, frontend.Options{BoundsChecks: mode})
		if err != nil {
			t.Fatal(err)
		}
		if err := passes.Run(f, passes.Pipeline, passes.Options{Verify: true}); err != nil {
			t.Fatal(err)
		}
		fmt.Println(f.String())
		env := &backend.Env{Layout: vm.NewLayout(aot.Counts(m)), NumImportedFuncs: m.NumImportedFuncs,
			NumImportedGlobals: m.NumImportedGlobals, CPU: backend.HostCPU(), Listing: true}
		cf, err := backend.Compile(f, env)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range cf.Listing {
			fmt.Printf("%4x: %s\n", l.Off, l.Text)
		}
	}
	if !found {
		t.Fatalf("no function named %q", name)
	}
}
