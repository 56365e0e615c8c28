package amd64

// System and string instructions used by runtime builtins: the syscall
// instruction (Linux system calls: RAX = number, RDI, RSI, RDX, R10, R8, R9 =
// arguments, result in RAX; RCX and R11 are clobbered) and the repeated
// string moves and stores that implement bulk memory operations
// (RCX = count, RDI = destination, RSI = source, direction from DF).

// Syscall is `syscall`.
func (a *Assembler) Syscall() { a.fixed("syscall", 0x0F, 0x05) }

// RepMovsb copies RCX bytes from [RSI] to [RDI] (`rep movsb`), forward when
// the direction flag is clear, backward (decrementing RSI/RDI) when set.
func (a *Assembler) RepMovsb() { a.fixed("rep movsb %ds:(%rsi), %es:(%rdi)", 0xF3, 0xA4) }

// RepMovsq copies RCX 8-byte words from [RSI] to [RDI] (`rep movsq`).
func (a *Assembler) RepMovsq() { a.fixed("rep movsq %ds:(%rsi), %es:(%rdi)", 0xF3, 0x48, 0xA5) }

// RepStosb stores AL to RCX bytes at [RDI] (`rep stosb`).
func (a *Assembler) RepStosb() { a.fixed("rep stosb %al, %es:(%rdi)", 0xF3, 0xAA) }

// RepStosq stores RAX to RCX 8-byte words at [RDI] (`rep stosq`).
func (a *Assembler) RepStosq() { a.fixed("rep stosq %rax, %es:(%rdi)", 0xF3, 0x48, 0xAB) }

// Std sets the direction flag (string instructions then decrement). System V
// requires it clear at calls and returns: pair every Std with a Cld.
func (a *Assembler) Std() { a.fixed("std", 0xFD) }

// Cld clears the direction flag.
func (a *Assembler) Cld() { a.fixed("cld", 0xFC) }
