package amd64

import "strconv"

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

// ---- privileged and system instructions (the boot code and natives of a
// guest kernel: aot/image targets such as xenboot) ----

// Cli clears the interrupt flag.
func (a *Assembler) Cli() { a.fixed("cli", 0xFA) }

// Sti sets the interrupt flag; interrupts are recognized only after the
// next instruction, so `sti; hlt` waits without losing a wake-up.
func (a *Assembler) Sti() { a.fixed("sti", 0xFB) }

// Hlt halts until an interrupt.
func (a *Assembler) Hlt() { a.fixed("hlt", 0xF4) }

// Cpuid is `cpuid` (EAX, ECX in; EAX, EBX, ECX, EDX out).
func (a *Assembler) Cpuid() { a.fixed("cpuid", 0x0F, 0xA2) }

// Rdmsr reads MSR ECX into EDX:EAX.
func (a *Assembler) Rdmsr() { a.fixed("rdmsr", 0x0F, 0x32) }

// Wrmsr writes EDX:EAX to MSR ECX.
func (a *Assembler) Wrmsr() { a.fixed("wrmsr", 0x0F, 0x30) }

// Rdtsc reads the time-stamp counter into EDX:EAX.
func (a *Assembler) Rdtsc() { a.fixed("rdtsc", 0x0F, 0x31) }

// Lfence orders loads (and makes a following rdtsc wait for them).
func (a *Assembler) Lfence() { a.fixed("lfence", 0x0F, 0xAE, 0xE8) }

// Mfence orders every load and store before it with those after it.
func (a *Assembler) Mfence() { a.fixed("mfence", 0x0F, 0xAE, 0xF0) }

// Pause is the spin-wait hint.
func (a *Assembler) Pause() { a.fixed("pause", 0xF3, 0x90) }

// Iretq returns from an interrupt or exception (64-bit frame).
func (a *Assembler) Iretq() { a.fixed("iretq", 0x48, 0xCF) }

// OutB writes AL to the I/O port in DX; OutW writes AX.
func (a *Assembler) OutB() { a.fixed("outb %al, (%dx)", 0xEE) }
func (a *Assembler) OutW() { a.fixed("outw %ax, (%dx)", 0x66, 0xEF) }

// InB reads the I/O port in DX into AL.
func (a *Assembler) InB() { a.fixed("inb (%dx), %al", 0xEC) }

func (a *Assembler) sysMem(name string, e enc, digit uint8, m Mem) {
	start := len(a.buf)
	a.emitMem(e, digit, m, 0, 0)
	if a.listing {
		a.note(start, name, fmem(m))
	}
}

// Lidt and Lgdt load the interrupt and global descriptor table registers
// from the 10-byte pseudo-descriptor at m (limit u16, base u64).
func (a *Assembler) Lidt(m Mem) { a.sysMem("lidt", op2(0x0F, 0x01), 3, m) }
func (a *Assembler) Lgdt(m Mem) { a.sysMem("lgdt", op2(0x0F, 0x01), 2, m) }

// Invlpg drops the TLB entry of the page holding m.
func (a *Assembler) Invlpg(m Mem) { a.sysMem("invlpg", op2(0x0F, 0x01), 7, m) }

// Ltr loads the task register with the selector in r.
func (a *Assembler) Ltr(r Reg) {
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x00), 3, uint8(r), 0, 0)
	if a.listing {
		a.note(start, "ltr", fr(r, S16))
	}
}

// MovToCR writes r to control register cr (0, 2, 3, 4 or 8).
func (a *Assembler) MovToCR(cr int, r Reg) {
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x22), uint8(cr), uint8(r), 0, 0)
	if a.listing {
		a.note(start, "movq", fr(r, S64), "%cr"+strconv.Itoa(cr))
	}
}

// MovFromCR reads control register cr into r.
func (a *Assembler) MovFromCR(r Reg, cr int) {
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0x20), uint8(cr), uint8(r), 0, 0)
	if a.listing {
		a.note(start, "movq", "%cr"+strconv.Itoa(cr), fr(r, S64))
	}
}

// Rdrand puts a hardware random number in r and sets CF, or clears CF when
// none was available (retry).
func (a *Assembler) Rdrand(r Reg) {
	start := len(a.buf)
	a.emitRR(op2(0x0F, 0xC7).wide(true), 6, uint8(r), 0, 0)
	if a.listing {
		a.note(start, "rdrand", fr(r, S64))
	}
}

// LockBtr atomically clears bit (bit mod 64 of the qword at m, bit a
// 64-bit register index from m) and leaves its old value in CF; LockBts
// sets it.
func (a *Assembler) LockBtr(m Mem, bit Reg) { a.lockBit("lock btrq", 0xB3, m, bit) }
func (a *Assembler) LockBts(m Mem, bit Reg) { a.lockBit("lock btsq", 0xAB, m, bit) }

func (a *Assembler) lockBit(name string, op byte, m Mem, bit Reg) {
	start := len(a.buf)
	a.emitMem(op2(0x0F, op).wide(true).pre(0xF0), uint8(bit), m, 0, 0)
	if a.listing {
		a.note(start, name, fr(bit, S64), fmem(m))
	}
}

// XchgRM exchanges r with the memory at m (always atomic).
func (a *Assembler) XchgRM(sz Size, r Reg, m Mem) {
	if !a.sizeOK("xchg", sz, S8|S32|S64) {
		return
	}
	start := len(a.buf)
	e := op1(0x87).wide(sz == S64)
	if sz == S8 {
		e = op1(0x86).force(byteHi(uint8(r)))
	}
	a.emitMem(e, uint8(r), m, 0, 0)
	if a.listing {
		a.note(start, "xchg"+sz.suffix(), fr(r, sz), fmem(m))
	}
}

// Ldmxcsr loads the SSE control and status register from the u32 at m.
func (a *Assembler) Ldmxcsr(m Mem) { a.sysMem("ldmxcsr", op2(0x0F, 0xAE), 2, m) }

// PushImm pushes a sign-extended 8-bit immediate as a 64-bit value.
func (a *Assembler) PushImm(v int8) {
	start := len(a.buf)
	if a.finished {
		a.fail("instruction emitted after Finish")
		return
	}
	a.buf = append(a.buf, 0x6A, byte(v))
	if a.listing {
		a.note(start, "pushq", "$"+hexs(int64(v)))
	}
}
