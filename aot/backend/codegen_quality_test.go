//go:build linux && amd64

package backend

import (
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/vm"
)

// Tests of code-quality decisions (aot/perf measures their effect): each
// checks the listing for the better form and runs the code, so a wrong
// shortcut fails on results, not only on text.

// TestRedundantBoundsCheck: a second explicit check of the same index in the
// same block with a smaller end is dropped; a larger end is still checked.
func TestRedundantBoundsCheck(t *testing.T) {
	src := `
func %two(i32) -> i64 {
block0(v0: i32):
    v1 = load.i64 checked mem0, v0+8
    v2 = uload32.i64 checked mem0, v0+4
    v3 = iadd.i64 v1, v2
    v4 = load.i64 checked mem0, v0+16
    v5 = iadd.i64 v3, v4
    return v5
}
`
	lst := listing(t, src, HostCPU())
	if n := strings.Count(lst, "cmpq 0x8(%rax)"); n != 2 {
		t.Fatalf("%d bounds checks, want 2 (v0+16 for 8 and v0+24 for 8):\n%s", n, lst)
	}
	m := newTestModule(t, HostCPU(), src)
	size := uint64(testMemPages * 65536)
	if _, k := m.call("two", size-24); k != 0 {
		t.Fatalf("two(size-24): trap %v", k)
	}
	if _, k := m.call("two", size-23); k != vm.TrapMemoryOutOfBounds {
		t.Fatalf("two(size-23): trap %v, want out of bounds", k)
	}
	if _, k := m.call("two", size-15); k != vm.TrapMemoryOutOfBounds {
		t.Fatalf("two(size-15): trap %v, want out of bounds", k)
	}
}

// TestFusedCompareAcrossInstructions: a compare whose only user is a later
// brif in the same block (pure instructions between) becomes cmp+jcc, with
// no setcc.
func TestFusedCompareAcrossInstructions(t *testing.T) {
	src := `
func %count(i32) -> i32 {
block0(v0: i32):
    v1 = iconst.i32 0
    jump block1(v0, v1)
block1(v2: i32, v3: i32):
    v4 = iconst.i32 1
    v5 = icmp.i32 ugt v2, v4
    v6 = isub.i32 v2, v4
    v7 = iadd.i32 v3, v2
    brif v5, block1(v6, v7), block2
block2:
    return v7
}
`
	lst := listing(t, src, HostCPU())
	if strings.Contains(lst, "set") {
		t.Fatalf("compare not fused into the branch:\n%s", lst)
	}
	m := newTestModule(t, HostCPU(), src)
	for _, n := range []uint64{0, 1, 2, 10, 1000} {
		want := uint64(0)
		if n <= 1 {
			want = n
		} else {
			want = n * (n + 1) / 2
		}
		if r, k := m.call("count", n); k != 0 || r[0] != want {
			t.Fatalf("count(%d) = %v trap %v, want %d", n, r, k, want)
		}
	}
}

// TestCallArgumentHints: a value computed only to be passed to a call is
// computed in its argument register, and an i32 call result is
// zero-extended straight into its destination.
func TestCallArgumentHints(t *testing.T) {
	src := `
func %fib(i32) -> i32 {
    fn0 = (i32) -> i32
block0(v0: i32):
    v1 = iconst.i32 2
    v2 = icmp.i32 ult v0, v1
    brif v2, block1, block2
block1:
    return v0
block2:
    v3 = iconst.i32 1
    v4 = isub.i32 v0, v3
    v5 = call fn0(v4)
    v6 = iconst.i32 2
    v7 = isub.i32 v0, v6
    v8 = call fn0(v7)
    v9 = iadd.i32 v5, v8
    return v9
}
`
	lst := listing(t, src, HostCPU())
	for _, bad := range []string{"movq %rsi, %rdi", "movq %r8, %rdi", "movl %eax, %eax"} {
		if strings.Contains(lst, bad) {
			t.Errorf("listing has %q:\n%s", bad, lst)
		}
	}
	m := newTestModule(t, HostCPU(), src)
	want := []uint64{0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55}
	for n, w := range want {
		if r, k := m.call("fib", uint64(n)); k != 0 || r[0] != w {
			t.Fatalf("fib(%d) = %v trap %v, want %d", n, r, k, w)
		}
	}
}
