package memfs_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/shim/internal/treetest"
	"github.com/mwasm/mwasm/shim/memfs"
)

func now() uint64 { return 1_700_000_000_000_000_000 }

// packLayout packs treetest's layout (root writable at "/", ro read-only at "/ro").
func packLayout(t *testing.T) ([]byte, []memfs.Summary) {
	root, ro, _ := treetest.HostLayout(t)
	blob, sums, err := memfs.Pack([]memfs.Source{{Host: root, Guest: "/"}, {Host: ro, Guest: "/ro", ReadOnly: true}})
	if err != nil {
		t.Fatal(err)
	}
	return blob, sums
}

func TestPackSummary(t *testing.T) {
	_, sums := packLayout(t)
	if len(sums) != 2 {
		t.Fatalf("%d summaries, want 2", len(sums))
	}
	want := memfs.Summary{Guest: "/", Files: 1, Dirs: 1, Links: 3, Bytes: uint64(len(treetest.FileText))}
	if sums[0] != want {
		t.Errorf("summary of root: %+v, want %+v", sums[0], want)
	}
	if !sums[1].ReadOnly || sums[1].Files != 1 {
		t.Errorf("summary of ro: %+v", sums[1])
	}
}

// TestEscapes holds the packed tree to the same answers as a host directory.
func TestEscapes(t *testing.T) {
	blob, _ := packLayout(t)
	keep := append([]byte(nil), blob...)
	trees, err := memfs.Unpack(blob, now)
	if err != nil {
		t.Fatal(err)
	}
	e := treetest.New(t, memfs.Preopens(trees)...)
	treetest.Escapes(e)

	// Copy on write: a write through the tree leaves the blob as it was.
	fd, errno := e.Open(4, "file", false, 0, abi.RightFdRead|abi.RightFdWrite)
	if errno != abi.ESUCCESS {
		t.Fatalf("open file for writing: errno %d", errno)
	}
	if errno := e.Write(fd, "CHANGED"); errno != abi.ESUCCESS {
		t.Fatalf("write: errno %d", errno)
	}
	if !bytes.Equal(blob, keep) {
		t.Error("writing a packed file changed the blob it came from")
	}
	fd2, _ := e.Open(4, "file", false, 0, abi.RightFdRead)
	if got, _ := e.Read(fd2, 64); got != "CHANGED" {
		t.Errorf("file after the write: %q", got)
	}
}

// TestUnpackDamaged: every truncation and many corruptions of a valid blob are
// an error or a consistent tree, never a panic or an out-of-range slice.
func TestUnpackDamaged(t *testing.T) {
	blob, _ := packLayout(t)
	for n := 0; n < len(blob); n++ {
		trees, err := memfs.Unpack(blob[:n], now)
		if n == 0 {
			if err != nil || trees != nil {
				t.Errorf("empty blob: %v %v, want no trees and no error", trees, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("blob cut to %d of %d bytes: no error", n, len(blob))
		}
	}
	if _, err := memfs.Unpack([]byte("MWF2\x00\x00\x00\x00"), now); err == nil || !strings.Contains(err.Error(), "MWF1") {
		t.Errorf("wrong magic: %v", err)
	}
	if _, err := memfs.Unpack(append(append([]byte(nil), blob...), 0), now); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("a byte too many: %v", err)
	}
	for i := len(memfs.Magic); i < len(blob); i++ {
		for _, v := range []byte{0, 0xff, blob[i] ^ 0x80, blob[i] + 1} {
			b := append([]byte(nil), blob...)
			b[i] = v
			trees, err := memfs.Unpack(b, now)
			if err != nil {
				continue
			}
			// Whatever it decoded must answer calls.
			e := treetest.New(t, memfs.Preopens(trees)...)
			for fd := uint32(4); fd < 4+uint32(len(trees)); fd++ {
				e.Open(fd, "file", true, 0, abi.RightFdRead)
			}
		}
	}
}

// TestNamesOutOfTree: renames that would make a loop or cross trees are refused
// with Linux's errnos.
func TestNamesOutOfTree(t *testing.T) {
	fs := memfs.New(1, now)
	d := fs.Root()
	for _, name := range []string{"a", "b"} {
		if e := d.Mkdir(name); e != abi.ESUCCESS {
			t.Fatalf("mkdir %s: %d", name, e)
		}
	}
	a, _ := d.OpenDir("a")
	// Renaming a directory into itself is EINVAL, as on Linux.
	if e := d.Rename("a", a, "inner"); e != abi.EINVAL {
		t.Errorf("rename a into a/inner: errno %d, want EINVAL", e)
	}
	// A Dir of another tree is EXDEV.
	other := memfs.New(2, now).Root()
	if e := d.Rename("b", other, "b"); e != abi.EXDEV {
		t.Errorf("rename across trees: errno %d, want EXDEV", e)
	}
}
