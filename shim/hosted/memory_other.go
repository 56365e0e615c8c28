//go:build !linux

package hosted

import "github.com/tetratelabs/wazero/experimental"

// memoryAllocator gives wazero slice memories (see memory_linux.go for why Linux
// has its own).
var memoryAllocator experimental.MemoryAllocator = experimental.MemoryAllocatorFunc(func(cap, max uint64) experimental.LinearMemory {
	return &sliceMemory{}
})
