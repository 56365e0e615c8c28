//go:build linux && amd64

package difffuzz

import (
	"os"
	"strconv"
	"testing"

	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/aot/passes"
	"github.com/mwasm/mwasm/wasmc"
)

// TestIRDump is a tool: IRDUMP=<func index> prints the IR of that function
// of /tmp/reduced.wasm before and after the pass pipeline.
func TestIRDump(t *testing.T) {
	s := os.Getenv("IRDUMP")
	if s == "" {
		t.Skip("IRDUMP not set")
	}
	idx, _ := strconv.Atoi(s)
	b, err := os.ReadFile("/tmp/reduced.wasm")
	if err != nil {
		t.Fatal(err)
	}
	m, err := wasmc.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	f, err := frontend.Translate(m, uint32(idx), frontend.Options{BoundsChecks: frontend.BoundsExplicit})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + f.String())
	if err := passes.Run(f, passes.Pipeline, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	t.Log("after passes:\n" + f.String())
}
