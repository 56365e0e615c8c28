package hosted

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// The app's linear memory under mwasm run. wazero's own grows a Go slice by
// appending (a new allocation, zeroed, and a copy of everything so far, the old
// one left to the garbage collector), so a program that grows its memory a little
// at a time to gigabytes spends its time copying and holds several copies at once
// (a Go program growing to 4 GB: 45.6 s and 14.9 GB of RSS). Here the memory is
// one reservation of address space for its whole maximum, made accessible as it
// grows: growing costs an mprotect, pages are zero and cost memory only once
// touched, and the memory never moves.

// memoryAllocator gives wazero mmapReservation memories.
var memoryAllocator experimental.MemoryAllocator = experimental.MemoryAllocatorFunc(func(cap, max uint64) experimental.LinearMemory {
	const page = 65536
	size := (max + page - 1) &^ (page - 1)
	if size == 0 {
		size = page
	}
	b, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return &sliceMemory{} // no address space (ulimit -v): grow as wazero would
	}
	return &mmapReservation{mem: b}
})

// mmapReservation is a linear memory in a reservation of its maximum size.
type mmapReservation struct {
	mem        []byte // the whole reservation
	accessible uint64 // bytes made readable and writable so far
}

func (r *mmapReservation) Reallocate(size uint64) []byte {
	if size > uint64(len(r.mem)) {
		return nil
	}
	if size > r.accessible {
		if err := syscall.Mprotect(r.mem[r.accessible:size], syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
			return nil // memory.grow returns -1
		}
		r.accessible = size
	}
	return r.mem[:size:size]
}

func (r *mmapReservation) Free() {
	if r.mem != nil {
		syscall.Munmap(r.mem)
		r.mem = nil
	}
}
