//go:build linux && amd64

package backend

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/mwasm/mwasm/aot/amd64"
	"github.com/mwasm/mwasm/aot/internal/nativecall"
	"github.com/mwasm/mwasm/aot/ir"
	"github.com/mwasm/mwasm/aot/vm"
	"golang.org/x/sys/unix"
)

// testModule is a set of IR functions compiled into one code blob with a
// test trap function, entry trampolines, and an mmap'd vmctx, memory and
// table.
type testModule struct {
	t        *testing.T
	funcs    []*ir.Func
	code     *nativecall.Code
	offs     []int // function offsets
	entries  map[string]int
	compiled []*Func
	vmctx    []byte
	mem      []byte
	layout   vm.Layout
	env      *Env
	slots    []uint64 // in vmctx scratch page
}

const (
	testMemPages = 2
	vmctxSize    = 1 << 16
	slotsOff     = 1 << 15
	tableDescOff = slotsOff + 4096
	tableOff     = tableDescOff + 64
	funcRefOff   = tableOff + 8*64
)

var testLayout = vm.NewLayout(vm.Counts{Globals: 4, Tables: 1, ImportedFuncs: 0, Funcs: 32, Types: 8})

func ptr(b []byte, off int) uint64 { return uint64(uintptr(unsafe.Pointer(&b[off]))) }

// trapFnCode is the test trap function: it records the kind and the return
// address and returns 1 from the trampoline (see vm.EntryFrame*).
func trapFnCode(a *amd64.Assembler) {
	a.Store(amd64.S64, amd64.Ptr(amd64.R15, vm.OffTrapKind), amd64.RDI)
	a.Load(amd64.S64, amd64.R11, amd64.Ptr(amd64.RSP, 0))
	a.Store(amd64.S64, amd64.Ptr(amd64.R15, vm.OffTrapPC), amd64.R11)
	a.Load(amd64.S64, amd64.RSP, amd64.Ptr(amd64.R15, vm.OffEntrySP))
	a.Pop(amd64.RAX)
	a.Store(amd64.S64, amd64.Ptr(amd64.R15, vm.OffEntrySP), amd64.RAX)
	a.AluRI(amd64.ADD, amd64.S64, amd64.RSP, 8)
	for _, r := range []amd64.Reg{amd64.R15, amd64.R14, amd64.R13, amd64.R12, amd64.RBX, amd64.RBP} {
		a.Pop(r)
	}
	a.MovImm(amd64.S32, amd64.RAX, 1)
	a.Ret()
}

func newTestModule(t *testing.T, cpu CPU, texts ...string) *testModule {
	t.Helper()
	m := &testModule{t: t, layout: testLayout, entries: map[string]int{}}
	m.env = &Env{Layout: testLayout, CPU: cpu}
	for _, s := range texts {
		fs, err := ir.ParseFuncs(s)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		m.funcs = append(m.funcs, fs...)
	}
	// Blob: trap function, then per function: a stack-limit wrapper that
	// jumps to the trampoline, the trampoline, the function.
	var blob []byte
	pad := func() {
		for len(blob)%16 != 0 {
			blob = append(blob, 0xCC)
		}
	}
	ta := amd64.New()
	trapFnCode(ta)
	tcode, err := ta.Finish()
	if err != nil {
		t.Fatal(err)
	}
	blob = append(blob, tcode...)
	type fix struct {
		at int
		r  amd64.Reloc
	}
	var fixes []fix
	for _, f := range m.funcs {
		if err := ir.Verify(f); err != nil {
			t.Fatalf("verify %s: %v", f.Name, err)
		}
		cf, err := Compile(f, m.env)
		if err != nil {
			t.Fatalf("compile %s: %v", f.Name, err)
		}
		m.compiled = append(m.compiled, cf)
		tr, _, err := Trampoline(f.Sig, false)
		if err != nil {
			t.Fatal(err)
		}
		pad()
		// wrapper: lea rax,[rsp-40K]; mov [rdi+OffStackLimit],rax; then the trampoline follows.
		wa := amd64.New()
		wa.Lea(amd64.S64, amd64.RAX, amd64.Ptr(amd64.RSP, -40<<10))
		wa.Store(amd64.S64, amd64.Ptr(amd64.RDI, vm.OffStackLimit), amd64.RAX)
		wcode, _ := wa.Finish()
		m.entries[f.Name] = len(blob)
		blob = append(blob, wcode...)
		blob = append(blob, tr...)
		pad()
		m.offs = append(m.offs, len(blob))
		for _, r := range cf.Relocs {
			fixes = append(fixes, fix{len(blob), r})
		}
		blob = append(blob, cf.Code...)
	}
	for _, fx := range fixes {
		var idx int
		if _, err := fmt.Sscanf(fx.r.Symbol, "wasm_func_%d", &idx); err != nil || idx >= len(m.offs) {
			t.Fatalf("bad relocation symbol %q", fx.r.Symbol)
		}
		p := fx.at + int(fx.r.Offset)
		v := int64(m.offs[idx]) + fx.r.Addend - int64(p)
		binary.LittleEndian.PutUint32(blob[p:], uint32(int32(v)))
	}
	m.code, err = nativecall.Map(blob)
	if err != nil {
		t.Fatal(err)
	}
	m.vmctx, err = unix.Mmap(-1, 0, vmctxSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	m.mem, err = unix.Mmap(-1, 0, testMemPages*vm.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.code.Close(); unix.Munmap(m.vmctx); unix.Munmap(m.mem) })
	put := func(off int, v uint64) { binary.LittleEndian.PutUint64(m.vmctx[off:], v) }
	put(vm.OffMemBase, ptr(m.mem, 0))
	// MemDesc lives in the vmctx scratch page.
	md := slotsOff + 2048
	put(vm.OffMemDesc, ptr(m.vmctx, md))
	put(md+vm.MemDescBase, ptr(m.mem, 0))
	put(md+vm.MemDescSize, testMemPages*vm.PageSize)
	put(vm.OffTrapFn, uint64(m.code.Addr(0)))
	// Table 0: 8 entries.
	put(testLayout.Table(0), ptr(m.vmctx, tableDescOff))
	put(tableDescOff+vm.TableDescBase, ptr(m.vmctx, tableOff))
	put(tableDescOff+vm.TableDescLen, 8)
	for i := range m.funcs {
		if i >= 16 {
			break
		}
		fr := funcRefOff + vm.FuncRefSize*i
		put(fr+vm.FuncRefCode, uint64(m.code.Addr(m.offs[i])))
		put(fr+vm.FuncRefVMCtx, ptr(m.vmctx, 0))
		put(fr+vm.FuncRefTypeID, uint64(100+i)) // test type ids: 100 + function index
		put(testLayout.FuncRef(i), ptr(m.vmctx, fr))
	}
	return m
}

func (m *testModule) setTable(i int, fn int) {
	v := uint64(0)
	if fn >= 0 {
		v = ptr(m.vmctx, funcRefOff+vm.FuncRefSize*fn)
	}
	binary.LittleEndian.PutUint64(m.vmctx[tableOff+8*i:], v)
}

func (m *testModule) setTypeID(typ int, id uint64) {
	binary.LittleEndian.PutUint64(m.vmctx[testLayout.TypeID(typ):], id)
}

func (m *testModule) global(i int) uint64 {
	return binary.LittleEndian.Uint64(m.vmctx[testLayout.Global(i):])
}

// call runs function name with args; it returns the results or the trap.
func (m *testModule) call(name string, args ...uint64) ([]uint64, vm.TrapKind) {
	m.t.Helper()
	fi := -1
	for i, f := range m.funcs {
		if f.Name == name {
			fi = i
		}
	}
	if fi < 0 {
		m.t.Fatalf("no function %s", name)
	}
	f := m.funcs[fi]
	if len(args) != len(f.Sig.Params) {
		m.t.Fatalf("%s: %d args for %v", name, len(args), f.Sig)
	}
	slots := unsafe.Slice((*uint64)(unsafe.Pointer(&m.vmctx[slotsOff])), 64)
	copy(slots, args)
	binary.LittleEndian.PutUint64(m.vmctx[vm.OffTrapKind:], 0)
	rc := nativecall.Call(m.code.Addr(m.entries[name]), ptr(m.vmctx, 0), uint64(m.code.Addr(m.offs[fi])), ptr(m.vmctx, slotsOff))
	if rc != 0 {
		return nil, vm.TrapKind(binary.LittleEndian.Uint64(m.vmctx[vm.OffTrapKind:]))
	}
	return append([]uint64(nil), slots[:len(f.Sig.Results)]...), 0
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
}
