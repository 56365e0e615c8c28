//go:build linux && amd64

package difffuzz

import (
	"errors"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/vm"
)

// TestCompare checks that the comparison can fail: NaN rule, trap classes
// and each kind of trace difference.
func TestCompare(t *testing.T) {
	if !sameBits(tF32, 0x7fc00000, 0xffc00001) || !sameBits(tF64, 0x7ff8000000000000, 0xfff0000000000001) {
		t.Error("two NaNs of different bits must compare equal")
	}
	if sameBits(tF32, 0x80000000, 0) || sameBits(tF64, 0x7ff8000000000000, 0x7ff0000000000000) || sameBits(tI32, 1, 2) {
		t.Error("-0 vs +0, NaN vs inf and different integers must differ")
	}
	if !sameBits(tI32, 0xffffffff00000001, 1) {
		t.Error("i32 compares the low 32 bits only")
	}
	if c := wazeroClass(errors.New("wasm error: invalid table access\nwasm stack trace: ...")); c != TrapTable {
		t.Errorf("wazero's invalid table access is %v", c)
	}
	if aotClass(vm.TrapNullReference) != TrapTable || aotClass(vm.TrapUndefinedElement) != TrapTable || aotClass(vm.TrapIntegerDivByZero) != wazeroClass(errors.New("wasm error: integer divide by zero")) {
		t.Error("trap classes of the two engines do not line up")
	}
	m := &Module{Funcs: []funcType{{results: []byte{tF64}}}, Globals: []byte{tI64}, Args: [][][]uint64{{nil}}}
	base := func() []observation {
		return []observation{{where: "instantiation", globals: []uint64{5}, mem: []byte{1, 2}},
			{where: "f0()", results: []uint64{0x7ff8000000000000}, globals: []uint64{5}, mem: []byte{1, 2}}}
	}
	if d := compareTraces(m, base(), base()); d != nil {
		t.Fatalf("equal traces differ: %v", d)
	}
	for name, mutate := range map[string]func(o []observation){
		"result":    func(o []observation) { o[1].results[0] = 0 },
		"global g0": func(o []observation) { o[1].globals[0] = 6 },
		"memory":    func(o []observation) { o[0].mem[1] = 9 },
		"aot integer divide by zero": func(o []observation) {
			o[1].trap, o[1].results = TrapDivZero, nil
		},
	} {
		a := base()
		mutate(a)
		d := compareTraces(m, base(), a)
		if d == nil || !strings.Contains(d.What, strings.Fields(name)[0]) {
			t.Errorf("%s difference: got %v", name, d)
		}
	}
}
