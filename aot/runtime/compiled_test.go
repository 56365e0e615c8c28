//go:build linux && amd64

// Tests of modules compiled by aot.Compile (with explicit bounds checks:
// in-process code cannot turn a SIGSEGV into a trap).

package runtime

import (
	"testing"

	"github.com/mwasm/mwasm/aot"
	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
)

// wat-free module bytes: (func (export "f") (param i32) (result i32)
// local.get 0 i32.const 1 i32.add) and (func (export "div") (param i32 i32)
// (result i32) local.get 0 local.get 1 i32.div_u) and a recursive "rec".
var compiledModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x0c, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
	0x03, 0x04, 0x03, 0x00, 0x01, 0x00,
	0x07, 0x11, 0x03, 0x01, 'f', 0x00, 0x00, 0x03, 'd', 'i', 'v', 0x00, 0x01, 0x03, 'r', 'e', 'c', 0x00, 0x02,
	0x0a, 0x1b, 0x03,
	0x07, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b,
	0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6e, 0x0b,
	0x09, 0x00, 0x20, 0x00, 0x10, 0x02, 0x41, 0x01, 0x6a, 0x0b,
}

func TestCompiledModule(t *testing.T) {
	m, err := wasmc.Decode(compiledModule)
	if err != nil {
		t.Fatal(err)
	}
	if err := wasmc.Validate(m); err != nil {
		t.Fatal(err)
	}
	obj, err := aot.Compile(m, aot.Options{BoundsChecks: frontend.BoundsExplicit})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := Instantiate(obj.Loadable(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	for _, x := range []uint64{0, 41, 0xFFFFFFFF} {
		if r := call(t, inst, "f", x); r[0] != uint64(uint32(x+1)) {
			t.Fatalf("f(%d) = %d", x, r[0])
		}
	}
	if r := call(t, inst, "div", 84, 2); r[0] != 42 {
		t.Fatalf("div(84, 2) = %d", r[0])
	}
	_, err = inst.Call("div", 1, 0)
	tr := wantTrap(t, err, vm.TrapIntegerDivByZero)
	if tr.Func == "" || tr.WasmOffset < 0 {
		t.Fatalf("trap without a site: %+v", tr)
	}
	_, err = inst.Call("rec", 0)
	wantTrap(t, err, vm.TrapStackOverflow)
	if r := call(t, inst, "f", 1); r[0] != 2 {
		t.Fatalf("f(1) after a stack overflow = %d", r[0])
	}
}
