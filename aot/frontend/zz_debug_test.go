package frontend

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/aot/passes"
	"github.com/mwasm/mwasm/wasmc"
)

func TestZZDebug(t *testing.T) {
	dir, _ := specTestDir()
	raw, _ := os.ReadFile(filepath.Join(dir, "v2", "testdata", "if.0.wasm"))
	m, _ := wasmc.Decode(raw)
	wasmc.Validate(m)
	f, _ := Translate(m, 3, Options{})
	fmt.Println(f)
	entry := f.Entry()
	for _, p := range append([]ir.Value(nil), f.Blocks[entry].Params...) {
		i := f.NewInst(ir.InstData{Op: ir.OpIconst, Type: ir.I32, Imm: 0})
		f.InsertInst(entry, 0, i)
		f.ReplaceUses(p, f.Insts[i].Results[0])
	}
	for _, p := range passes.Pipeline {
		p.Run(f)
		fmt.Println("after", p.Name)
		fmt.Println(f)
		if err := ir.Verify(f); err != nil {
			fmt.Println(err)
			break
		}
	}
}
