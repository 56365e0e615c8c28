package backend

import (
	"testing"

	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/aot/vm"
)

// TestTrapKindNumbering: the back end records an ir.TrapKind as the
// vm.TrapKind with the same number (TrapSite.Kind, the EDI of a trap call),
// so the two enumerations must agree kind for kind, including
// ir.TrapUndefinedElement = vm.TrapUndefinedElement.
func TestTrapKindNumbering(t *testing.T) {
	n := 0
	for k := ir.TrapKind(1); k.Message() != "no trap"; k++ {
		if got := vm.TrapKind(k).String(); got != k.Message() {
			t.Errorf("ir trap %d is %q, vm trap %d is %q", k, k.Message(), k, got)
		}
		n++
	}
	if n < 10 || vm.TrapKind(ir.TrapUndefinedElement) != vm.TrapUndefinedElement {
		t.Fatalf("%d trap kinds; ir.TrapUndefinedElement = %d, vm.TrapUndefinedElement = %d", n, ir.TrapUndefinedElement, vm.TrapUndefinedElement)
	}
}
