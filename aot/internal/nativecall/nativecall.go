//go:build linux && amd64

package nativecall

import (
	"fmt"
	"math"
	"unsafe"

	"golang.org/x/sys/unix"
)

// StackBytes is the stack space the trampoline gives the callee.
const StackBytes = 64 << 10

// Regs holds the argument registers going in and the result registers
// coming out of CallRegs. Floats are raw bits (math.Float64bits, or
// math.Float32bits in the low half).
type Regs struct {
	Int   [6]uint64 // RDI, RSI, RDX, RCX, R8, R9
	Float [8]uint64 // XMM0..XMM7, low 64 bits
	RAX   uint64    // results
	RDX   uint64
	X0    uint64
	X1    uint64
}

// The trampoline hard-codes these offsets.
var _ = [1]struct{}{}[unsafe.Offsetof(Regs{}.Float)-48]
var _ = [1]struct{}{}[unsafe.Offsetof(Regs{}.RAX)-112]
var _ = [1]struct{}{}[unsafe.Offsetof(Regs{}.X1)-136]

func callRegs(fn uintptr, r *Regs)

// CallRegs calls the code at fn with the argument registers from r and
// stores the result registers into r.
func CallRegs(fn uintptr, r *Regs) {
	if fn == 0 {
		panic("nativecall: call to address 0")
	}
	callRegs(fn, r)
}

// Call calls fn with up to six integer arguments and returns RAX.
func Call(fn uintptr, args ...uint64) uint64 {
	if len(args) > 6 {
		panic(fmt.Sprintf("nativecall: %d integer arguments, at most 6 go in registers", len(args)))
	}
	var r Regs
	copy(r.Int[:], args)
	CallRegs(fn, &r)
	return r.RAX
}

// CallFloat calls fn with up to eight float64 arguments in XMM0..XMM7 and
// returns XMM0 as a float64.
func CallFloat(fn uintptr, args ...float64) float64 {
	if len(args) > 8 {
		panic(fmt.Sprintf("nativecall: %d float arguments, at most 8 go in registers", len(args)))
	}
	var r Regs
	for i, f := range args {
		r.Float[i] = math.Float64bits(f)
	}
	CallRegs(fn, &r)
	return math.Float64frombits(r.X0)
}

// Code is machine code mapped read+execute.
type Code struct {
	mem []byte
}

// Map copies code into a fresh anonymous mapping and makes it read+execute
// (never writable and executable at once).
func Map(code []byte) (*Code, error) {
	if len(code) == 0 {
		return nil, fmt.Errorf("nativecall: cannot map empty code")
	}
	size := (len(code) + unix.Getpagesize() - 1) &^ (unix.Getpagesize() - 1)
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, fmt.Errorf("nativecall: mmap %d bytes: %w", size, err)
	}
	copy(mem, code)
	if err := unix.Mprotect(mem, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		unix.Munmap(mem)
		return nil, fmt.Errorf("nativecall: mprotect read+exec: %w", err)
	}
	return &Code{mem: mem}, nil
}

// Addr returns the address of the code's byte at offset off.
func (c *Code) Addr(off int) uintptr {
	if off < 0 || off >= len(c.mem) {
		panic(fmt.Sprintf("nativecall: offset %d outside the %d-byte mapping", off, len(c.mem)))
	}
	return uintptr(unsafe.Pointer(&c.mem[off]))
}

// Close unmaps the code.
func (c *Code) Close() error {
	if c.mem == nil {
		return nil
	}
	err := unix.Munmap(c.mem)
	c.mem = nil
	return err
}
