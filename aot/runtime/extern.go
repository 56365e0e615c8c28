package runtime

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/mwasm/mwasm/aot/vm"
	"github.com/mwasm/mwasm/wasmc"
	"golang.org/x/sys/unix"
)

// Extern is an importable and exportable entity: *Func, *Memory, *Table or
// *Global.
type Extern interface {
	Kind() wasmc.ExternKind
}

// Exporter is anything imports can be taken from by name: an *Instance or a
// *HostModule.
type Exporter interface {
	Export(name string) Extern
}

// Resolver finds the import (module, name); nil means there is none.
type Resolver interface {
	Resolve(module, name string) Extern
}

// Namespace is a Resolver over named exporters (the spec suite's "register"
// command adds an instance under a module name).
type Namespace map[string]Exporter

// Resolve implements Resolver.
func (ns Namespace) Resolve(module, name string) Extern {
	if e, ok := ns[module]; ok && e != nil {
		return e.Export(name)
	}
	return nil
}

// Func is a function of an instance or a host module.
type Func struct {
	Type  wasmc.FuncType
	Name  string // for trap reports: name section name or func[N]
	ref   []byte // the vm.FuncRef record, in native memory
	entry uintptr
}

func (*Func) Kind() wasmc.ExternKind { return wasmc.KindFunc }

// RefAddr is the address of the function's vm.FuncRef (its funcref value).
func (f *Func) RefAddr() uint64 { return addr(f.ref) }

// Code and VMCtx are the function's entry address and instance.
func (f *Func) Code() uint64  { return get64(f.ref, vm.FuncRefCode) }
func (f *Func) VMCtx() uint64 { return get64(f.ref, vm.FuncRefVMCtx) }

// Memory is a linear memory: a reservation of address space whose first
// Size bytes are read-write, and a shared vm.MemDesc.
type Memory struct {
	Type   wasmc.MemoryType // as declared
	region []byte
	desc   []byte // vm.MemDesc in native memory
}

func (*Memory) Kind() wasmc.ExternKind { return wasmc.KindMemory }

// Pages returns the current size in 64 KiB pages.
func (m *Memory) Pages() uint32 { return uint32(get64(m.desc, vm.MemDescSize) / vm.PageSize) }

// Bytes returns the current contents (valid until the memory grows).
func (m *Memory) Bytes() []byte { return m.region[:get64(m.desc, vm.MemDescSize)] }

// DescAddr is the address of the memory's vm.MemDesc.
func (m *Memory) DescAddr() uint64 { return addr(m.desc) }

// Base is the address of byte 0.
func (m *Memory) Base() uint64 { return addr(m.region) }

// Grow grows the memory by delta pages as memory.grow does and returns the
// old size, or -1 when it cannot.
func (m *Memory) Grow(delta uint32) int64 {
	old := get64(m.desc, vm.MemDescSize) / vm.PageSize
	if uint64(delta) > get64(m.desc, vm.MemDescMaxPages)-old {
		return -1
	}
	if delta == 0 {
		return int64(old) // mprotect of an empty range fails (EINVAL)
	}
	size := get64(m.desc, vm.MemDescSize)
	if err := unix.Mprotect(m.region[size:size+uint64(delta)*vm.PageSize], unix.PROT_READ|unix.PROT_WRITE); err != nil {
		return -1
	}
	put64(m.desc, vm.MemDescSize, size+uint64(delta)*vm.PageSize)
	return int64(old)
}

// MemoryReserve is the address space a memory reserves without guard regions
// for each page of its maximum, plus one page.
func memReservation(maxPages uint64, guard bool) uint64 {
	if guard {
		return vm.GuardReservation
	}
	return (maxPages + 1) * vm.PageSize
}

// newMemory reserves and commits a memory of type t in arena ar (for the
// descriptor).
func newMemory(t wasmc.MemoryType, guard bool, ar *arena) (*Memory, error) {
	maxPages := uint64(65536)
	if t.Limits.HasMax {
		maxPages = uint64(t.Limits.Max)
	}
	res := memReservation(maxPages, guard)
	region, err := unix.Mmap(-1, 0, int(res), unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("runtime: reserving %d bytes for a memory: %w", res, err)
	}
	mem := &Memory{Type: t, region: region, desc: ar.alloc(32)}
	put64(mem.desc, vm.MemDescBase, addr(region))
	put64(mem.desc, vm.MemDescMaxPages, maxPages)
	put64(mem.desc, 24, res) // Reserved
	if mem.Grow(t.Limits.Min) < 0 {
		unix.Munmap(region)
		return nil, fmt.Errorf("runtime: committing %d pages of memory failed", t.Limits.Min)
	}
	return mem, nil
}

func (m *Memory) close() {
	if m.region != nil {
		unix.Munmap(m.region)
		m.region = nil
	}
}

// TableCap is the most elements a table can ever hold here: a table with a
// larger (or no) maximum is allocated with this capacity, and table.grow
// beyond it returns -1.
const TableCap = 1 << 20

// Table is a table: a vm.TableDesc and an element array allocated at its
// capacity, so it never moves.
type Table struct {
	Type  wasmc.TableType // as declared
	elems []byte
	desc  []byte // vm.TableDesc in native memory
}

func (*Table) Kind() wasmc.ExternKind { return wasmc.KindTable }

// Len returns the current number of elements.
func (t *Table) Len() uint32 { return uint32(get64(t.desc, vm.TableDescLen)) }

// Get returns element i (a *FuncRef address or an externref; 0 = null).
func (t *Table) Get(i uint32) (uint64, bool) {
	if i >= t.Len() {
		return 0, false
	}
	return get64(t.elems, 8*int(i)), true
}

// Set sets element i.
func (t *Table) Set(i uint32, v uint64) bool {
	if i >= t.Len() {
		return false
	}
	put64(t.elems, 8*int(i), v)
	return true
}

// DescAddr is the address of the table's vm.TableDesc.
func (t *Table) DescAddr() uint64 { return addr(t.desc) }

func newTable(tt wasmc.TableType, ar *arena) (*Table, error) {
	capacity := uint64(TableCap)
	if tt.Limits.HasMax && uint64(tt.Limits.Max) < capacity {
		capacity = uint64(tt.Limits.Max)
	}
	if uint64(tt.Limits.Min) > capacity {
		return nil, fmt.Errorf("runtime: table of %d elements exceeds the runtime's capacity of %d", tt.Limits.Min, uint64(TableCap))
	}
	size := (8*capacity + 4095) &^ 4095
	if size == 0 {
		size = 4096
	}
	elems, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("runtime: allocating a table of %d elements: %w", capacity, err)
	}
	t := &Table{Type: tt, elems: elems, desc: ar.alloc(24)}
	put64(t.desc, vm.TableDescBase, addr(elems))
	put64(t.desc, vm.TableDescLen, uint64(tt.Limits.Min))
	put64(t.desc, vm.TableDescMax, capacity)
	return t, nil
}

func (t *Table) close() {
	if t.elems != nil {
		unix.Munmap(t.elems)
		t.elems = nil
	}
}

// Global is a global: an 8-byte cell in native memory (a vmctx slot of its
// defining instance, or host memory).
type Global struct {
	Type wasmc.GlobalType
	cell []byte
}

func (*Global) Kind() wasmc.ExternKind { return wasmc.KindGlobal }

// Get returns the raw value (i32/f32 in the low 32 bits).
func (g *Global) Get() uint64 { return mask(g.Type.Type, get64(g.cell, 0)) }

// Set stores a raw value.
func (g *Global) Set(v uint64) { put64(g.cell, 0, v) }

// CellAddr is the address of the value cell.
func (g *Global) CellAddr() uint64 { return addr(g.cell) }

func mask(t wasmc.ValType, v uint64) uint64 {
	if t == wasmc.I32 || t == wasmc.F32 {
		return v & math.MaxUint32
	}
	return v
}

func addr(b []byte) uint64 { return uint64(uintptr(unsafe.Pointer(&b[0]))) }

// arena hands out zeroed, 16-aligned blocks of mmap'd memory.
type arena struct {
	chunks [][]byte
	cur    []byte
}

func (a *arena) alloc(n int) []byte {
	n = (n + 15) &^ 15
	if n == 0 {
		n = 16
	}
	if len(a.cur) < n {
		size := max(64<<10, (n+4095)&^4095)
		c, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			// Out of address space: nothing sensible can continue.
			panic(fmt.Sprintf("runtime: mmap %d bytes: %v", size, err))
		}
		a.chunks = append(a.chunks, c)
		a.cur = c
	}
	b := a.cur[:n:n]
	a.cur = a.cur[n:]
	return b
}

func (a *arena) free() {
	for _, c := range a.chunks {
		unix.Munmap(c)
	}
	a.chunks, a.cur = nil, nil
}
