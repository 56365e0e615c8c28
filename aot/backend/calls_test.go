//go:build linux && amd64

package backend

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/vm"
)

func TestCallsAndControl(t *testing.T) {
	m := newTestModule(t, HostCPU(), `
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
    v6 = isub.i32 v0, v1
    v7 = call fn0(v6)
    v8 = iadd.i32 v5, v7
    return v8
}
func %forever(i64) -> i64 {
    fn1 = (i64) -> i64
block0(v0: i64):
    v1 = call fn1(v0)
    v2 = iadd.i64 v1, v0
    return v2
}
func %multi(i64, f64, i32, i64, i64, i64, i64, i64, i64, f32) -> (i64, i64, i64, f64, f64, f64, i32, f32) {
block0(v0: i64, v1: f64, v2: i32, v3: i64, v4: i64, v5: i64, v6: i64, v7: i64, v8: i64, v9: f32):
    return v8, v7, v6, v1, v1, v1, v2, v9
}
func %callmulti(i64) -> i64 {
    fn2 = (i64, f64, i32, i64, i64, i64, i64, i64, i64, f32) -> (i64, i64, i64, f64, f64, f64, i32, f32)
block0(v0: i64):
    v1 = fconst.f64 2.5
    v2 = iconst.i32 -1
    v3 = iconst.i64 3
    v4 = fconst.f32 1.5
    v10, v11, v12, v13, v14, v15, v16, v17 = call fn2(v0, v1, v2, v3, v3, v3, v3, v3, v0, v4)
    v18 = fadd.f64 v13, v15
    v19 = fcvt_to_sint.i64 v18
    v20 = uextend.i64 v16
    v21 = iadd.i64 v10, v19
    v22 = iadd.i64 v21, v20
    v23 = iadd.i64 v22, v11
    return v23
}
func %swap(i32, i32, i32) -> i32 {
block0(v0: i32, v1: i32, v2: i32):
    jump block1(v0, v1, v2)
block1(v3: i32, v4: i32, v5: i32):
    v6 = eqz.i32 v5
    v7 = iconst.i32 1
    v11 = isub.i32 v5, v7
    brif v6, block2, block1(v4, v3, v11)
block2:
    v8 = iconst.i32 1000
    v9 = imul.i32 v3, v8
    v10 = iadd.i32 v9, v4
    return v10
}
func %indirect(i32, i64) -> i64 {
    type0 = (i64) -> i64
block0(v0: i32, v1: i64):
    v2 = call_indirect type0, table0, v0(v1)
    return v2
}
func %tget(i32) -> funcref {
block0(v0: i32):
    v1 = table_get.funcref table0, v0
    return v1
}
`)
	for n, want := range []uint64{1002, 2001, 1002, 2001} {
		if r, k := m.call("swap", 1, 2, uint64(n)); k != 0 || r[0] != want {
			t.Fatalf("swap(1, 2, %d) = %v trap %v, want %d", n, r, k, want)
		}
	}
	if r, k := m.call("fib", 20); k != 0 || r[0] != 6765 {
		t.Fatalf("fib(20) = %v trap %v", r, k)
	}
	if _, k := m.call("forever", 1); k != vm.TrapStackOverflow {
		t.Fatalf("forever: trap %v, want stack overflow", k)
	}
	// After a trap the module still works.
	if r, _ := m.call("fib", 10); r[0] != 55 {
		t.Fatalf("fib(10) after trap = %v", r)
	}
	r, k := m.call("multi", 1, 0x4004000000000000, 7, 3, 4, 5, 6, 7, 8, 0x3fc00000)
	if k != 0 || fmt.Sprint(r) != fmt.Sprint([]uint64{8, 7, 6, 0x4004000000000000, 0x4004000000000000, 0x4004000000000000, 7, 0x3fc00000}) {
		t.Fatalf("multi = %x trap %v", r, k)
	}
	// callmulti(x) = x(v8) + int(2.5+2.5) + 0xFFFFFFFF + 3(v7)
	if r, k := m.call("callmulti", 10); k != 0 || r[0] != 10+5+0xFFFFFFFF+3 {
		t.Fatalf("callmulti = %v trap %v", r, k)
	}
	// call_indirect: table[0] = fn1 (type (i64)->i64, id 101), [1] = fib (other type), [2] null.
	m.setTypeID(0, 101)
	m.setTable(0, 1)
	m.setTable(1, 0)
	m.setTable(2, -1)
	if _, k := m.call("indirect", 1, 5); k != vm.TrapIndirectCallType {
		t.Fatalf("indirect type mismatch: trap %v", k)
	}
	if _, k := m.call("indirect", 2, 5); k != vm.TrapNullReference {
		t.Fatalf("indirect null: trap %v", k)
	}
	// An index past the table's end is the spec's "undefined element"
	// (spec call_indirect.wast), not table.get's "out of bounds table access".
	if _, k := m.call("indirect", 8, 5); k != vm.TrapUndefinedElement {
		t.Fatalf("indirect out of bounds: trap %v (%q), want %v (%q)", k, k, vm.TrapUndefinedElement, vm.TrapUndefinedElement)
	}
	if _, k := m.call("tget", 8); k != vm.TrapTableOutOfBounds {
		t.Fatalf("table_get out of bounds: trap %v, want %v", k, vm.TrapTableOutOfBounds)
	}
	if _, k := m.call("indirect", 0, 5); k != vm.TrapStackOverflow {
		t.Fatalf("indirect to forever: trap %v", k)
	}
}

// TestRegisterPressure keeps 40 values live across calls and a loop, so the
// allocator must use callee-saved registers and spill.
func TestRegisterPressure(t *testing.T) {
	var b strings.Builder
	n := 40
	b.WriteString("func %id(i64) -> i64 {\nblock0(v0: i64):\n    return v0\n}\n")
	b.WriteString("func %press(i64) -> i64 {\n    fn0 = (i64) -> i64\nblock0(v0: i64):\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "    v%d = iconst.i64 %d\n", 1000+i, i*7)
		fmt.Fprintf(&b, "    v%d = imul.i64 v0, v%d\n", i, 1000+i)
		if i%5 == 0 {
			fmt.Fprintf(&b, "    v%d = call fn0(v%d)\n", 2000+i, i)
		}
	}
	fmt.Fprintf(&b, "    v3000 = fcvt_from_sint.f64 v0\n    v3001 = call fn0(v0)\n    v3002 = fcvt_to_sint.i64 v3000\n")
	prev := "v3002"
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "    v%d = iadd.i64 %s, v%d\n", 4000+i, prev, i)
		prev = fmt.Sprintf("v%d", 4000+i)
		if i%5 == 0 {
			fmt.Fprintf(&b, "    v%d = iadd.i64 %s, v%d\n", 5000+i, prev, 2000+i)
			prev = fmt.Sprintf("v%d", 5000+i)
		}
	}
	fmt.Fprintf(&b, "    return %s\n}\n", prev)
	m := newTestModule(t, HostCPU(), b.String())
	for _, x := range []uint64{1, 3, 1 << 40} {
		want := x
		for i := 1; i <= n; i++ {
			want += x * uint64(i*7)
			if i%5 == 0 {
				want += x * uint64(i*7)
			}
		}
		r, k := m.call("press", x)
		if k != 0 || r[0] != want {
			t.Fatalf("press(%d) = %v trap %v, want %d", x, r, k, want)
		}
	}
	if m.compiled[1].FrameSize <= 8*3 {
		t.Errorf("frame size %d: expected spill slots", m.compiled[1].FrameSize)
	}
}

func TestMemoryGlobalsSelect(t *testing.T) {
	m := newTestModule(t, HostCPU(), `
func %memops(i32, i64) -> i64 {
block0(v0: i32, v1: i64):
    store.i64 checked mem0, v0+8, v1
    istore8.i64 mem0, v0+3, v1
    v2 = load.i64 mem0, v0+8
    v3 = sload8.i64 checked mem0, v0+3
    v4 = uload16.i32 mem0, v0+8
    v5 = uextend.i64 v4
    v6 = iadd.i64 v2, v3
    v7 = iadd.i64 v6, v5
    return v7
}
func %oob(i32) -> i32 {
block0(v0: i32):
    v1 = load.i32 checked mem0, v0+65535
    return v1
}
func %glob(i64) -> i64 {
block0(v0: i64):
    v1 = global_get.i64 global1
    v2 = iadd.i64 v1, v0
    global_set global1, v2
    return v2
}
func %sel(i32, i64, i64) -> i64 {
block0(v0: i32, v1: i64, v2: i64):
    v3 = iconst.i32 10
    v4 = icmp.i32 slt v0, v3
    v5 = select.i64 v4, v1, v2
    v6 = select.i64 v0, v5, v1
    return v6
}
func %msize() -> i32 {
block0:
    v0 = memory_size mem0
    return v0
}
`)
	x := uint64(0x1122334455667788)
	if r, k := m.call("memops", 100, x); k != 0 || r[0] != x+uint64(int64(int8(x)))+x&0xFFFF {
		t.Fatalf("memops = %x trap %v", r, k)
	}
	if _, k := m.call("memops", 2*65536-15, 1); k != vm.TrapMemoryOutOfBounds {
		t.Fatalf("memops at the end: trap %v", k)
	}
	if r, k := m.call("memops", 2*65536-16, 1); k != 0 || r[0] != 3 {
		t.Fatalf("memops at the last slot = %v trap %v", r, k)
	}
	if _, k := m.call("oob", 65536-3); k != 0 {
		t.Fatalf("oob in range: trap %v", k)
	}
	if _, k := m.call("oob", 65536-2); k != vm.TrapMemoryOutOfBounds {
		t.Fatalf("oob: trap %v", k)
	}
	m.call("glob", 5)
	if r, _ := m.call("glob", 7); r[0] != 12 || m.global(1) != 12 {
		t.Fatalf("glob = %v, global %d", r, m.global(1))
	}
	for _, c := range [][4]uint64{{3, 1, 2, 1}, {12, 1, 2, 2}, {0, 1, 2, 1}, {0xFFFFFFFF, 5, 6, 5}} {
		if r, _ := m.call("sel", c[0], c[1], c[2]); r[0] != c[3] {
			t.Errorf("sel%v = %v", c[:3], r)
		}
	}
	if r, _ := m.call("msize"); r[0] != testMemPages {
		t.Fatalf("memory_size = %v", r)
	}
}
