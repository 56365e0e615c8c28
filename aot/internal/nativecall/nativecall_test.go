//go:build linux && amd64

package nativecall

import (
	"math"
	"testing"
)

func mapOrFail(t *testing.T, code []byte) *Code {
	t.Helper()
	c, err := Map(code)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestIntArgs(t *testing.T) {
	// Return a + 2b + 3c + 4d + 5e + 6f of the six integer argument
	// registers, so that each must arrive in its System V register.
	code := []byte{
		0x48, 0x8d, 0x04, 0x77, // lea (%rdi,%rsi,2),%rax
		0x4c, 0x8d, 0x14, 0x52, // lea (%rdx,%rdx,2),%r10
		0x4c, 0x01, 0xd0, // add %r10,%rax
		0x48, 0xc1, 0xe1, 0x02, // shl $2,%rcx
		0x48, 0x01, 0xc8, // add %rcx,%rax
		0x4b, 0x8d, 0x0c, 0x80, // lea (%r8,%r8,4),%rcx
		0x48, 0x01, 0xc8, // add %rcx,%rax
		0x4b, 0x8d, 0x0c, 0x49, // lea (%r9,%r9,2),%rcx
		0x48, 0x01, 0xc9, // add %rcx,%rcx
		0x48, 0x01, 0xc8, // add %rcx,%rax
		0xc3,
	}
	c := mapOrFail(t, code)
	for _, args := range [][6]uint64{{1, 2, 3, 4, 5, 6}, {0, 0, 0, 0, 0, 0}, {1 << 40, 7, 11, 13, 17, 19}} {
		want := args[0] + 2*args[1] + 3*args[2] + 4*args[3] + 5*args[4] + 6*args[5]
		if got := Call(c.Addr(0), args[:]...); got != want {
			t.Errorf("f%v = %d, want %d", args, got, want)
		}
	}
}

func TestStackAlignment(t *testing.T) {
	// mov %rsp,%rax ; and $15,%rax ; ret — System V: RSP = 8 mod 16 at entry.
	c := mapOrFail(t, []byte{0x48, 0x89, 0xe0, 0x48, 0x83, 0xe0, 0x0f, 0xc3})
	if got := Call(c.Addr(0)); got != 8 {
		t.Fatalf("rsp mod 16 at entry = %d, want 8", got)
	}
}

func TestFloatArgs(t *testing.T) {
	// addsd %xmm1,%xmm0 ; mulsd %xmm2,%xmm0 ; ret
	c := mapOrFail(t, []byte{0xf2, 0x0f, 0x58, 0xc1, 0xf2, 0x0f, 0x59, 0xc2, 0xc3})
	for _, v := range [][3]float64{{1, 2, 3}, {0.1, 0.2, 10}, {math.Inf(1), -1, 2}} {
		want := (v[0] + v[1]) * v[2]
		if got := CallFloat(c.Addr(0), v[:]...); got != want {
			t.Errorf("(%v+%v)*%v = %v, want %v", v[0], v[1], v[2], got, want)
		}
	}
}

func TestMapErrors(t *testing.T) {
	if _, err := Map(nil); err == nil {
		t.Fatal("Map(nil) succeeded")
	}
}
