package passes

import (
	"strings"
	"testing"
	"time"

	"github.com/mwasm/mwasm/aot/ir"
)

// TestSimplifyCFGUnreachableSelfArgCycle: found by tests/difffuzz (seed
// testdata/fuzz/FuzzDiffWazero/simplifycfg_hang_unreachable_cycle there).
// Two blocks unreachable from the entry form a cycle in which each has the
// other as its only predecessor, and the jump into block2 passes block2's
// own parameter (legal: dominance does not constrain unreachable code);
// neither block is empty, so forwardJumps does not bypass one first.
// mergeBlocks used to substitute v1 := v1 and then loop forever resolving
// it; now it leaves the cycle to removeUnreachable.
func TestSimplifyCFGUnreachableSelfArgCycle(t *testing.T) {
	const src = `func %cycle(i32) -> i32 {
block0(v0: i32):
    return v0
block1:
    v3 = iconst.i32 7
    jump block2(v1)
block2(v1: i32):
    v2 = iadd.i32 v1, v1
    jump block1
}`
	f, err := ir.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool, 1)
	go func() { done <- SimplifyCFG(f) }()
	select {
	case changed := <-done:
		if !changed {
			t.Fatal("SimplifyCFG reports no change, but the unreachable blocks must go")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SimplifyCFG does not terminate on an unreachable cycle passing a block's own parameter")
	}
	if err := ir.Verify(f); err != nil {
		t.Fatalf("invalid IR after SimplifyCFG: %v\n%s", err, f)
	}
	if s := f.String(); strings.Contains(s, "block1") || strings.Contains(s, "block2") {
		t.Fatalf("the unreachable cycle survived:\n%s", s)
	}
}
