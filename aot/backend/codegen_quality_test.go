//go:build linux && amd64

package backend

import (
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/aot/passes"
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

// TestThreeAddressAddAndReverseSub: the sum of two registers that stay live
// goes into a third with one lea (32-bit lea wraps and zero-extends like
// addl), and x - y computed into y's register is neg+add, not a round trip
// through a scratch register.
func TestThreeAddressAddAndReverseSub(t *testing.T) {
	src := `
func %f(i32, i32, i64, i64) -> (i32, i64, i32, i32, i64, i32) {
block0(v0: i32, v1: i32, v2: i64, v3: i64):
    v4 = iadd.i32 v0, v1
    v5 = iadd.i64 v2, v3
    v6 = imul.i32 v4, v0
    v7 = isub.i32 v0, v6
    v8 = imul.i32 v7, v1
    v9 = imul.i64 v5, v2
    v10 = imul.i64 v9, v3
    v11 = imul.i32 v0, v0
    return v4, v5, v7, v8, v10, v11
}
`
	lst := listing(t, src, HostCPU())
	for _, want := range []string{"leal (", "leaq (", "neg"} {
		if !strings.Contains(lst, want) {
			t.Errorf("listing lacks %q:\n%s", want, lst)
		}
	}
	m := newTestModule(t, HostCPU(), src)
	for _, c := range [][4]uint64{{1, 2, 3, 4}, {0xFFFFFFFF, 2, 1 << 63, 1 << 63}, {0x80000000, 0x80000000, 5, ^uint64(0)}, {7, 0xFFFFFFF0, 0, 0}} {
		x, y, p, q := uint32(c[0]), uint32(c[1]), c[2], c[3]
		s := x + y
		d := x - s*x
		want := []uint64{uint64(s), p + q, uint64(d), uint64(d * y), (p + q) * p * q, uint64(x * x)}
		r, k := m.call("f", c[0], c[1], c[2], c[3])
		if k != 0 || len(r) != len(want) {
			t.Fatalf("f%v: %v trap %v", c, r, k)
		}
		for i := range want {
			if r[i] != want[i] {
				t.Errorf("f%v result %d = %#x, want %#x", c, i, r[i], want[i])
			}
		}
	}
}

// TestThreadedDispatchLoop: a Go-style loop whose every jump goes back
// through a br_table on a state parameter computes the same results before
// and after the pass pipeline (which threads the constant jumps straight to
// their targets), and the optimized code has no indirect jump left.
func TestThreadedDispatchLoop(t *testing.T) {
	src := `
func %squares(i32) -> i32 {
block0(v0: i32):
    v1 = iconst.i32 0
    v2 = iconst.i32 0
    jump block1(v2, v0, v1)
block1(v3: i32, v4: i32, v5: i32):
    br_table v3, [block2, block3], block4
block2:
    v6 = iconst.i32 0
    v7 = icmp.i32 eq v4, v6
    brif v7, block5, block6
block5:
    v8 = iconst.i32 2
    jump block1(v8, v4, v5)
block6:
    v9 = iconst.i32 1
    jump block1(v9, v4, v5)
block3:
    v10 = imul.i32 v4, v4
    v11 = iadd.i32 v5, v10
    v12 = iconst.i32 1
    v13 = isub.i32 v4, v12
    v14 = iconst.i32 0
    jump block1(v14, v13, v11)
block4:
    return v5
}
`
	fs, err := ir.ParseFuncs(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := passes.Run(fs[0], passes.Pipeline, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	opt := fs[0].String()
	if strings.Contains(opt, "br_table") {
		t.Errorf("dispatch not threaded away:\n%s", opt)
	}
	if lst := listing(t, opt, HostCPU()); strings.Contains(lst, "jmpq *") {
		t.Errorf("indirect jump left:\n%s", lst)
	}
	raw := newTestModule(t, HostCPU(), src)
	m := newTestModule(t, HostCPU(), opt)
	for _, n := range []uint32{0, 1, 2, 10, 1000, 100000} {
		want := uint32(0)
		for k := uint32(1); k <= n; k++ {
			want += k * k
		}
		for name, mod := range map[string]*testModule{"raw": raw, "optimized": m} {
			if r, k := mod.call("squares", uint64(n)); k != 0 || r[0] != uint64(want) {
				t.Fatalf("%s squares(%d) = %v trap %v, want %d", name, n, r, k, want)
			}
		}
	}
}
