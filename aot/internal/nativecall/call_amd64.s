//go:build linux && amd64

#include "textflag.h"
#include "funcdata.h"

// func callRegs(fn uintptr, r *Regs)
//
// The 64 KiB frame is the callee's stack: SP is moved to near the top of
// the frame (16-aligned) so that the callee's pushes stay inside it.
TEXT ·callRegs(SB), 0, $65536-16
	NO_LOCAL_POINTERS
	MOVQ fn+0(FP), R11
	MOVQ r+8(FP), R13
	MOVQ SP, R12
	LEAQ 65472(SP), AX
	ANDQ $~15, AX
	MOVQ AX, SP
	MOVQ 0(R13), DI
	MOVQ 8(R13), SI
	MOVQ 16(R13), DX
	MOVQ 24(R13), CX
	MOVQ 32(R13), R8
	MOVQ 40(R13), R9
	MOVQ 48(R13), X0
	MOVQ 56(R13), X1
	MOVQ 64(R13), X2
	MOVQ 72(R13), X3
	MOVQ 80(R13), X4
	MOVQ 88(R13), X5
	MOVQ 96(R13), X6
	MOVQ 104(R13), X7
	XORL AX, AX
	CALL R11
	MOVQ R12, SP
	MOVQ AX, 112(R13)
	MOVQ DX, 120(R13)
	MOVQ X0, 128(R13)
	MOVQ X1, 136(R13)
	RET
