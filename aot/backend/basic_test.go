//go:build linux && amd64

package backend

import "testing"

func TestAddAndBranch(t *testing.T) {
	m := newTestModule(t, HostCPU(), `
func %add(i32, i32) -> i32 {
block0(v0: i32, v1: i32):
    v2 = iadd.i32 v0, v1
    return v2
}
func %max(i64, i64) -> i64 {
block0(v0: i64, v1: i64):
    v2 = icmp.i64 sgt v0, v1
    brif v2, block1, block2
block1:
    return v0
block2:
    return v1
}
func %sum(i32) -> i64 {
block0(v0: i32):
    v1 = iconst.i64 0
    jump block1(v0, v1)
block1(v2: i32, v3: i64):
    v4 = eqz.i32 v2
    brif v4, block3, block2
block2:
    v5 = uextend.i64 v2
    v6 = iadd.i64 v3, v5
    v7 = iconst.i32 1
    v8 = isub.i32 v2, v7
    jump block1(v8, v6)
block3:
    return v3
}
`)
	if r, k := m.call("add", 7, 0xFFFFFFFF); k != 0 || uint32(r[0]) != 6 {
		t.Fatalf("add = %v, trap %v", r, k)
	}
	if r, _ := m.call("max", uint64(1<<63), 5); r[0] != 5 {
		t.Fatalf("max = %v", r)
	}
	if r, _ := m.call("sum", 100); r[0] != 5050 {
		t.Fatalf("sum = %v", r)
	}
}
