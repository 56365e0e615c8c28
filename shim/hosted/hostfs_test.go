//go:build linux

package hosted

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/internal/treetest"
)

func openHost(t *testing.T, p string) shim.Dir {
	d, err := OpenHostDir(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func TestHostDirEscapes(t *testing.T) {
	root, ro, outside := treetest.HostLayout(t)
	e := treetest.New(t,
		shim.Preopen{Guest: "/", Root: openHost(t, root)},
		shim.Preopen{Guest: "/ro", Root: openHost(t, ro), ReadOnly: true})
	treetest.Escapes(e)
	// Nothing outside was touched.
	if b, err := os.ReadFile(filepath.Join(outside, "secret")); err != nil || string(b) != "secret\n" {
		t.Errorf("outside/secret after the escapes: %q, %v", b, err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(root)); len(ents) != 3 {
		t.Errorf("the directory holding the preopens now has %d entries, want 3", len(ents))
	}
}

// swapDir calls swap once, after the shim looked name up and before it opens
// it: a symbolic link put there by another process in that moment.
type swapDir struct {
	shim.Dir
	name string
	swap func()
}

func (d *swapDir) Lstat(name string) (shim.Filestat, abi.Errno) {
	st, e := d.Dir.Lstat(name)
	if name == d.name && d.swap != nil {
		d.swap()
		d.swap = nil
	}
	return st, e
}

// TestHostDirSwappedLink swaps a directory and a file for links pointing out
// between the check and the open: the open fails, it never leads outside.
func TestHostDirSwappedLink(t *testing.T) {
	root, _, outside := treetest.HostLayout(t)
	replace := func(name, target string) func() {
		return func() {
			p := filepath.Join(root, name)
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct{ name, path, target string }{
		{"sub", "sub/secret", outside},                     // a directory in the middle of the path
		{"file", "file", filepath.Join(outside, "secret")}, // the last component
	} {
		d := &swapDir{Dir: openHost(t, root), name: c.name, swap: replace(c.name, c.target)}
		e := treetest.New(t, shim.Preopen{Guest: "/", Root: d})
		fd, errno := e.Open(4, c.path, true, 0, abi.RightFdRead)
		if errno == abi.ESUCCESS {
			got, _ := e.Read(fd, 64)
			t.Errorf("open %s with %s swapped for a link out: opened, read %q", c.path, c.name, got)
			continue
		}
		if errno != abi.ELOOP && errno != abi.ENOTDIR {
			t.Errorf("open %s with %s swapped: errno %d, want ELOOP or ENOTDIR", c.path, c.name, errno)
		}
		if d.swap != nil {
			t.Errorf("open %s: %s was never looked up, the swap did not happen", c.path, c.name)
		}
	}
}
