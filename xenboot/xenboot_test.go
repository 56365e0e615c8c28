package xenboot_test

import (
	"context"
	"debug/elf"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/mwasm/mwasm/shim/xen"
	"github.com/mwasm/mwasm/xenboot"
)

// tinyCommand is (memory 1) (func (export "_start")) (export "memory").
var tinyCommand = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
	0x03, 0x02, 0x01, 0x00,
	0x05, 0x03, 0x01, 0x00, 0x01,
	0x07, 0x13, 0x02,
	0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00,
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
	0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
}

var shimOnce struct {
	sync.Once
	wasm []byte
	err  error
}

func shimWasm(t *testing.T) []byte {
	t.Helper()
	shimOnce.Do(func() {
		dir, _ := os.MkdirTemp("", "xenboot-shim")
		defer os.RemoveAll(dir)
		shimOnce.wasm, shimOnce.err = xen.BuildShim(context.Background(), dir)
	})
	if shimOnce.err != nil {
		t.Fatal(shimOnce.err)
	}
	return shimOnce.wasm
}

// TestImageLayout: an image is an ELF the PVH loader takes (loaded at 1 MiB
// and up, PHYS32_ENTRY), W^X in its segments, with Wasm function symbols (a
// function without a name-section name is named by its export).
func TestImageLayout(t *testing.T) {
	res, err := xenboot.Build(xenboot.Options{Name: "tiny", App: tinyCommand, Shim: shimWasm(t)})
	if err != nil {
		t.Fatal(err)
	}
	p := t.TempDir() + "/tiny.xen"
	os.WriteFile(p, res.ELF, 0o644)
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, s := range f.Progs {
		if s.Type != elf.PT_LOAD {
			continue
		}
		if s.Paddr != s.Vaddr || s.Paddr < xenboot.ImageBase {
			t.Errorf("segment at %#x (paddr %#x): want physical = virtual, at or above 1 MiB", s.Vaddr, s.Paddr)
		}
		if s.Flags&elf.PF_W != 0 && s.Flags&elf.PF_X != 0 {
			t.Errorf("segment at %#x is writable and executable", s.Vaddr)
		}
	}
	syms, _ := f.Symbols()
	names := map[string]bool{}
	for _, s := range syms {
		names[s.Name] = true
	}
	for _, n := range []string{"app!_start", "mwasm!entry32", "mwasm!entry64", "xen!hypercall_page", "mwasm!wait", "mwasm!hypercall"} {
		if !names[n] {
			t.Errorf("no symbol %s", n)
		}
	}
	if res.MinMemoryMiB <= 0 || res.MemoryMiB < res.MinMemoryMiB+8 || res.Manifest.Memory != res.MemoryMiB {
		t.Errorf("memory: min %d, chosen %d, manifest %d", res.MinMemoryMiB, res.MemoryMiB, res.Manifest.Memory)
	}
	// --memory below the minimum is refused with a MemoryError.
	_, err = xenboot.Build(xenboot.Options{Name: "tiny", App: tinyCommand, Shim: shimWasm(t), MemoryMiB: res.MinMemoryMiB - 1})
	var me *xenboot.MemoryError
	if !errors.As(err, &me) || me.Min != res.MinMemoryMiB {
		t.Errorf("MemoryMiB below the minimum: %v", err)
	}
	if _, err := xenboot.Build(xenboot.Options{App: tinyCommand, Shim: shimWasm(t), Env: []string{"NOEQUALS"}}); err == nil || !strings.Contains(err.Error(), "not KEY=VALUE") {
		t.Errorf("bad env entry: %v", err)
	}
}

// TestShimMismatch: a shim importing a native the boot layer lacks, or one
// with another type, is refused by name.
func TestShimMismatch(t *testing.T) {
	// A reactor-shaped module importing mwasm.nonesuch: () -> ().
	bad := []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 4, 1, 0x60, 0, 0,
		2, 18, 1, 5, 'm', 'w', 'a', 's', 'm', 8, 'n', 'o', 'n', 'e', 's', 'u', 'c', 'h', 0, 0,
		3, 2, 1, 0,
		5, 3, 1, 0, 1,
		7, 15, 1, 11, '_', 'i', 'n', 'i', 't', 'i', 'a', 'l', 'i', 'z', 'e', 0, 1,
		10, 4, 1, 2, 0, 0x0b}
	_, err := xenboot.Build(xenboot.Options{App: tinyCommand, Shim: bad})
	if err == nil || !strings.Contains(err.Error(), "mwasm.nonesuch") || !strings.Contains(err.Error(), "does not provide") {
		t.Errorf("a shim importing an unknown native: %v", err)
	}
}
