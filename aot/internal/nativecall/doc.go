// Package nativecall runs machine code produced by mwasm's own compiler from
// Go tests. It is for tests only: it maps a byte slice as executable memory
// (Map) and calls into it through a small assembly trampoline (CallRegs and
// the Call/CallFloat helpers), on linux/amd64.
//
// Calling convention: System V AMD64 for the callee. The trampoline loads
// Regs.Int[0..5] into RDI, RSI, RDX, RCX, R8, R9 and the low 64 bits of
// XMM0..XMM7 from Regs.Float[0..7], aligns RSP to 16 bytes (so at the
// callee's entry RSP+8 is 16-aligned, as System V requires), calls the code,
// and stores RAX, RDX and the low 64 bits of XMM0, XMM1 into Regs.RAX,
// Regs.RDX, Regs.X0, Regs.X1.
//
// The callee may clobber RAX, RCX, RDX, RSI, RDI, R8-R11, XMM0-XMM15 and the
// flags. It must preserve RBX, RBP, RSP and R12-R15 (the trampoline keeps
// its own state in R12 and R13), leave the direction flag clear and MXCSR
// unchanged, and return with RET. It runs on the calling goroutine's stack
// and may use at most 64 KiB of it (StackBytes). It must not call back into
// Go. Memory handed to the callee as an integer must not be on a goroutine
// stack (calling the trampoline may move the stack): use heap objects that
// escape, or mmap'd memory. A fault in the callee (SIGSEGV, SIGILL, SIGFPE) crashes the test
// binary: Go cannot recover from faults in foreign code.
package nativecall
