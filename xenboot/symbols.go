package xenboot

import "fmt"

// Symbols of the Xen boot layer (image.Sym* are the planner's). Functions
// are "mwasm!NAME" or "xen!NAME", so a crash report or gdb names them.
const (
	symEntry32   = "mwasm!entry32" // PVH entry: 32-bit protected mode, paging off
	symEntry64   = "mwasm!entry64"
	symHcPage    = "xen!hypercall_page"
	symState     = "mwasm.xstate"
	symShared    = "mwasm.shared_info" // the page Xen's shared_info is mapped at
	symPML4      = "mwasm.pml4"
	symPDPT      = "mwasm.pdpt"
	symPD        = "mwasm.pd" // 4 pages: the identity map of the first 4 GiB
	symGDT       = "mwasm.gdt"
	symGDTR      = "mwasm.gdtr"
	symIDT       = "mwasm.idt"
	symIDTR      = "mwasm.idtr"
	symTSS       = "mwasm.tss"
	symBootStack = "mwasm.bootstack"
	symIST1      = "mwasm.ist1" // exceptions
	symIST2      = "mwasm.ist2" // double fault
	symSlots     = "mwasm.slots"
	symMXCSR     = "mwasm.mxcsr"
	symMinMiB    = "mwasm.min_mib" // u64: the least memory the image starts in, for the message

	symConsWrite = "xen!console_write" // (buf RSI, len RDX): the console ring, from native code
	symFlush     = "xen!console_flush" // wait (bounded) until the backend has read the ring
	symShutdown  = "xen!shutdown"      // (reason EDI): flush, SCHEDOP_shutdown; never returns
	symDie       = "xen!die"           // (msg RSI, len RDX): "mwasm: msg", crash
	symDieTail   = "xen!die_tail"      // (msg RSI, len RDX): "msg\n", crash
	symMonotonic = "xen!monotonic"     // -> RAX: Xen system time in ns (pvclock)
	symWallclock = "xen!wallclock"     // -> RAX: ns since 1970 (shared_info wall clock + system time)
	symSleep     = "xen!sleep_until"   // (deadline RDI): block without consuming events
	symAlloc     = "xen!alloc_frame"   // -> RAX: a zeroed frame's physical address, or 0
	symMapPage   = "xen!map_page"      // (va RDI, pte RSI) -> RAX 0, or 1 when out of frames
	symPTE       = "xen!pte_of"        // (va RDI) -> RAX: the address of va's PTE, or 0
	symCommit    = "xen!commit"        // (va RDI, len RSI) -> RAX 0, or 1: memory.grow's step
	symExcept    = "xen!exceptions"    // 32 stubs of 16 bytes, vector v at 16*v
	symExcCommon = "xen!exception"
	symUpcall    = "xen!upcall"   // the event channel callback vector
	symNoXen     = "mwasm!no_xen" // not on Xen: say so on COM1 and leave
)

// hcSym is the symbol of hypercall nr's entry in the hypercall page.
func hcSym(nr int) string { return fmt.Sprintf("xen!hypercall_%d", nr) }
