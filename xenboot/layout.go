package xenboot

// Virtual address map of an image (all of it inside the first PML4 entry, so
// one PDPT covers everything):
//
//	0              page 0: never mapped (null pointers fault)
//	4 KiB .. 4 GiB identity map (virtual = physical): the image, RAM the
//	               frame allocator hands out, the console and xenstore pages;
//	               2 MiB pages, RW and NX except the image's own 4 KiB pages
//	AppBase        the app's linear memory 0, vm.GuardReservation (8 GiB) of
//	               address space: committed pages RW-NX, the rest not present
//	ShimBase       the shim's linear memory 0, the same way
//	StackBase      the native stack, StackSize bytes: the bottom page never
//	               mapped (the guard), the rest mapped on first touch
const (
	ImageBase = 0x10_0000 // 1 MiB: the PVH loader puts each PT_LOAD at its physical address
	AppBase   = 0x1_0000_0000
	ShimBase  = 0x4_0000_0000
	StackBase = 0x7_0000_0000
	StackSize = 64 << 20

	stackGuard   = 4096
	stackReserve = 64 << 10
	stackInitial = 64 << 10 // mapped before the first call; the rest on demand

	pageSize   = 4096
	configMax  = 64 << 10 // the configuration blob: build-time prefix + the boot command line
	cmdlineMax = 16 << 10
)

// Page-table entry bits.
const (
	pteP    = 1
	pteRW   = 2
	ptePS   = 1 << 7
	pteNX   = 1 << 63
	pteTab  = pteP | pteRW // an entry pointing at a lower table
	pteData = pteP | pteRW | pteNX
	pteAddr = 0x000F_FFFF_FFFF_F000
)

// Offsets in the state block (mwasm.xstate, .bss).
const (
	xsStartInfo = 0   // u64: physical address of struct hvm_start_info
	xsConsRing  = 8   // u64: address of the console ring page (identity map)
	xsConsPort  = 16  // u32: console event channel
	xsTimerPort = 20  // u32: the VIRQ_TIMER event channel
	xsFreeNext  = 24  // u64: next never-used frame (physical)
	xsFreeEnd   = 32  // u64: end of the free RAM range
	xsFreeCount = 40  // u64: frames left (never used + free list)
	xsFreeList  = 48  // u64: head of the list of freed frames (0: empty)
	xsRAM       = 56  // u64: bytes of RAM in the memory map
	xsCPUIDBase = 64  // u32: Xen's CPUID leaf base
	xsHasRdrand = 68  // u32: 1 when RDRAND is available
	xsTSCEntry  = 72  // u64: TSC at entry64 (the boot trace)
	xsTSCShim   = 80  // u64: TSC before the shim's first entry
	xsTSCApp    = 88  // u64: TSC before the app's first entry
	xsTmp       = 128 // 64 bytes: hypercall argument structures
	xsMemmap    = 256 // copy of the memory map: up to memmapMax entries of 24 bytes
	memmapMax   = 32
	stateSize   = xsMemmap + 24*memmapMax
)

// Xen ABI facts (xen/include/public: xen.h, sched.h, event_channel.h,
// memory.h, hvm/hvm_op.h, hvm/params.h, vcpu.h, arch-x86/hvm/start_info.h,
// io/console.h).
const (
	hcSetTimerOp = 15
	hcMemoryOp   = 12
	hcConsoleIO  = 18
	hcGrantTable = 20
	hcVcpuOp     = 24
	hcSchedOp    = 29
	hcEvtchnOp   = 32
	hcHvmOp      = 34

	schedYield    = 0
	schedShutdown = 2

	shutdownPoweroff = 0
	shutdownReboot   = 1
	shutdownCrash    = 3

	evtchnBindVirq = 1
	evtchnSend     = 4
	virqTimer      = 0

	vcpuStopPeriodicTimer = 7

	xenmemAddToPhysmap = 7
	xenmemMemoryMap    = 9
	mapspaceSharedInfo = 0

	hvmSetParam         = 0
	hvmGetParam         = 1
	hvmParamCallbackIRQ = 0
	hvmParamConsolePFN  = 17
	hvmParamConsoleEvt  = 18
	domidSelf           = 0x7FF0

	startInfoMagic = 0x336ec578
	memmapRAM      = 1

	// struct shared_info (x86-64): vcpu_info[32] of 64 bytes, then the
	// 2-level event channel bitmaps, then the wall clock.
	siUpcallPending = 0
	siPendingSel    = 8
	siTime          = 32 // struct vcpu_time_info of vCPU 0
	siPending       = 2048
	siMask          = 2560
	siWcVersion     = 3072
	siWcSec         = 3076
	siWcNsec        = 3080
	siWcSecHi       = 3084
	evtchnWords     = 64

	// struct xencons_interface
	consOut     = 1024
	consOutSize = 2048
	consOutCons = 3080
	consOutProd = 3084

	callbackVector = 0xF3 // the event channel upcall (HVM_PARAM_CALLBACK_IRQ, type vector)
)
