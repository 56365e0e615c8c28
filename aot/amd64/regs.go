package amd64

import "fmt"

// Reg is a general-purpose register, numbered as the hardware numbers it
// (the low three bits go into ModRM/SIB/opcode, bit 3 into a REX bit).
type Reg uint8

// General-purpose registers.
const (
	RAX Reg = iota
	RCX
	RDX
	RBX
	RSP
	RBP
	RSI
	RDI
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
)

// NumRegs is the number of general-purpose (and of XMM) registers.
const NumRegs = 16

// XReg is an SSE register XMM0..XMM15.
type XReg uint8

// SSE registers.
const (
	X0 XReg = iota
	X1
	X2
	X3
	X4
	X5
	X6
	X7
	X8
	X9
	X10
	X11
	X12
	X13
	X14
	X15
)

// Size is an operand size in bytes. Integer instructions take S8..S64; scalar
// float instructions take S32 (single, the "ss" forms) or S64 (double, "sd").
type Size uint8

// Operand sizes.
const (
	S8  Size = 1
	S16 Size = 2
	S32 Size = 4
	S64 Size = 8
)

// suffix is the AT&T mnemonic suffix for an integer operand size.
func (s Size) suffix() string {
	switch s {
	case S8:
		return "b"
	case S16:
		return "w"
	case S32:
		return "l"
	case S64:
		return "q"
	}
	return "?"
}

func (s Size) valid() bool { return s == S8 || s == S16 || s == S32 || s == S64 }

func (s Size) String() string {
	switch s {
	case S8, S16, S32, S64:
		return fmt.Sprintf("S%d", int(s)*8)
	}
	return fmt.Sprintf("Size(%d)", int(s))
}

var (
	regNames64 = [16]string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}
	regNames32 = [16]string{"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"}
	regNames16 = [16]string{"ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"}
	regNames8  = [16]string{"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"}
)

// Name returns the register's AT&T name (without %) at the given size.
func (r Reg) Name(s Size) string {
	if r >= NumRegs {
		return fmt.Sprintf("badreg%d", int(r))
	}
	switch s {
	case S8:
		return regNames8[r]
	case S16:
		return regNames16[r]
	case S32:
		return regNames32[r]
	default:
		return regNames64[r]
	}
}

func (r Reg) String() string { return r.Name(S64) }

func (x XReg) String() string {
	if x >= NumRegs {
		return fmt.Sprintf("badxmm%d", int(x))
	}
	return fmt.Sprintf("xmm%d", int(x))
}

// Cond is an x86 condition code (the low nibble of Jcc/SETcc/CMOVcc opcodes).
type Cond uint8

// Condition codes. Unsigned comparisons use B/AE/BE/A, signed ones L/GE/LE/G.
// After UCOMISS/UCOMISD, "unordered" sets ZF, PF and CF, so float equality
// must also test P.
const (
	CondO  Cond = 0x0 // overflow
	CondNO Cond = 0x1 // not overflow
	CondB  Cond = 0x2 // below (unsigned <), carry
	CondAE Cond = 0x3 // above or equal (unsigned >=), no carry
	CondE  Cond = 0x4 // equal, zero
	CondNE Cond = 0x5 // not equal, not zero
	CondBE Cond = 0x6 // below or equal (unsigned <=)
	CondA  Cond = 0x7 // above (unsigned >)
	CondS  Cond = 0x8 // sign
	CondNS Cond = 0x9 // not sign
	CondP  Cond = 0xA // parity (unordered after ucomis)
	CondNP Cond = 0xB // no parity
	CondL  Cond = 0xC // less (signed <)
	CondGE Cond = 0xD // greater or equal (signed >=)
	CondLE Cond = 0xE // less or equal (signed <=)
	CondG  Cond = 0xF // greater (signed >)
)

var condNames = [16]string{"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"}

func (c Cond) String() string {
	if c > 15 {
		return fmt.Sprintf("Cond(%d)", int(c))
	}
	return condNames[c]
}

// Invert returns the opposite condition (E <-> NE, L <-> GE, ...).
func (c Cond) Invert() Cond { return c ^ 1 }

// AluOp selects one of the eight classic two-operand integer operations. Its
// value is the /digit used in the 0x80-0x83 immediate forms and op*8 is the
// base of its register forms.
type AluOp uint8

// ALU operations.
const (
	ADD AluOp = 0
	OR  AluOp = 1
	ADC AluOp = 2
	SBB AluOp = 3
	AND AluOp = 4
	SUB AluOp = 5
	XOR AluOp = 6
	CMP AluOp = 7
)

var aluNames = [8]string{"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"}

func (o AluOp) String() string {
	if o > 7 {
		return fmt.Sprintf("AluOp(%d)", int(o))
	}
	return aluNames[o]
}

// ShiftOp selects a shift or rotate; its value is the /digit of the
// 0xC0/0xC1/0xD0-0xD3 group.
type ShiftOp uint8

// Shift and rotate operations.
const (
	ROL ShiftOp = 0
	ROR ShiftOp = 1
	SHL ShiftOp = 4
	SHR ShiftOp = 5
	SAR ShiftOp = 7
)

func (o ShiftOp) String() string {
	switch o {
	case ROL:
		return "rol"
	case ROR:
		return "ror"
	case SHL:
		return "shl"
	case SHR:
		return "shr"
	case SAR:
		return "sar"
	}
	return fmt.Sprintf("ShiftOp(%d)", int(o))
}

// FOp is a scalar SSE arithmetic operation; its value is the second opcode
// byte after 0x0F (prefixed by F3 for single, F2 for double precision).
type FOp uint8

// Scalar float operations.
const (
	FSqrt FOp = 0x51
	FAdd  FOp = 0x58
	FMul  FOp = 0x59
	FSub  FOp = 0x5C
	FMin  FOp = 0x5D
	FDiv  FOp = 0x5E
	FMax  FOp = 0x5F
)

func (o FOp) name() string {
	switch o {
	case FSqrt:
		return "sqrt"
	case FAdd:
		return "add"
	case FMul:
		return "mul"
	case FSub:
		return "sub"
	case FMin:
		return "min"
	case FDiv:
		return "div"
	case FMax:
		return "max"
	}
	return ""
}

// LogicOp is a packed bitwise SSE operation, used on scalar floats for abs,
// neg and copysign with masks from the constant pool. Its value is the opcode
// byte after 0x0F; the "pd" forms add a 0x66 prefix.
type LogicOp uint8

// Packed logic operations.
const (
	LAnd  LogicOp = 0x54 // andps/andpd
	LAndN LogicOp = 0x55 // andnps/andnpd: dst = ^dst & src
	LOr   LogicOp = 0x56 // orps/orpd
	LXor  LogicOp = 0x57 // xorps/xorpd
)

func (o LogicOp) name() string {
	switch o {
	case LAnd:
		return "and"
	case LAndN:
		return "andn"
	case LOr:
		return "or"
	case LXor:
		return "xor"
	}
	return ""
}

// RoundMode is the ROUNDSS/ROUNDSD immediate. All modes set bit 3 so that
// the inexact exception is suppressed (what Wasm's floor/ceil/trunc/nearest
// need); none uses MXCSR's rounding mode.
type RoundMode uint8

// Rounding modes.
const (
	RoundNearest RoundMode = 0x8 // to nearest, ties to even (f32.nearest)
	RoundFloor   RoundMode = 0x9 // toward -inf
	RoundCeil    RoundMode = 0xA // toward +inf
	RoundTrunc   RoundMode = 0xB // toward zero
)
