package blkfront_test

import (
	"bytes"
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/shim/xen/blkfront"
	"github.com/mwasm/mwasm/shim/xen/xenfake"
)

func start(t *testing.T, setup func(*xenfake.Blkback)) (*blkfront.Disk, *xenfake.Blkback, *xenfake.Env) {
	t.Helper()
	env := xenfake.NewEnv()
	bb := xenfake.NewBlkback(env, 4<<20)
	if setup != nil {
		setup(bb)
	}
	d, err := blkfront.Start(env)
	if err != nil {
		t.Fatal(err)
	}
	return d, bb, env
}

func TestHandshakeAndFacts(t *testing.T) {
	d, _, env := start(t, nil)
	if d.SectorSize() != 512 || d.Sectors() != 8192 {
		t.Errorf("sector size %d, sectors %d", d.SectorSize(), d.Sectors())
	}
	tr := env.St.Tree
	f := "/local/domain/1/device/vbd/51712/"
	if tr[f+"protocol"] != "x86_64-abi" || tr[f+"state"] != "4" || tr[f+"ring-ref"] == "" {
		t.Errorf("frontend nodes: %v", tr)
	}
	d4, _, _ := start(t, func(b *xenfake.Blkback) { b.SectorSize = 4096 })
	if d4.SectorSize() != 4096 || d4.Sectors() != 1024 {
		t.Errorf("4 KiB sectors: %d x %d", d4.SectorSize(), d4.Sectors())
	}
}

// Transfers of every size, split into requests, several in flight, byte for
// byte the disk's.
func TestReadWrite(t *testing.T) {
	d, bb, _ := start(t, nil)
	r := rand.New(rand.NewSource(7))
	for _, n := range []int{512, 4096, 5 * 512, 44 << 10, 45 << 10, 1 << 20, 3<<20 + 512} {
		off := int64(r.Intn(len(bb.Disk)-n)/512) * 512
		data := make([]byte, n)
		r.Read(data)
		if err := d.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bb.Disk[off:off+int64(n)], data) {
			t.Fatalf("write of %d bytes at %d did not reach the disk", n, off)
		}
		got := make([]byte, n)
		if err := d.ReadAt(got, off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read of %d bytes at %d differs", n, off)
		}
	}
	if bb.MaxInFlight < 4 {
		t.Errorf("at most %d requests in flight: a large transfer should keep several", bb.MaxInFlight)
	}
}

func TestSync(t *testing.T) {
	d, bb, env := start(t, nil)
	if err := d.Sync(); err != nil || bb.Flushes != 1 {
		t.Errorf("flush: %v, %d flushes", err, bb.Flushes)
	}
	d, bb, env = start(t, func(b *xenfake.Blkback) { b.Flush, b.Barrier = false, true })
	if err := d.Sync(); err != nil || bb.Barriers != 1 || bb.Flushes != 0 {
		t.Errorf("barrier: %v, %d barriers", err, bb.Barriers)
	}
	d, bb, env = start(t, func(b *xenfake.Blkback) { b.Flush, b.Barrier = false, false })
	if err := d.Sync(); !errors.Is(err, blkfront.ErrNoFlush) {
		t.Errorf("no flush: Sync = %v", err)
	}
	if len(env.Logs) != 1 || !strings.Contains(env.Logs[0], "neither feature-flush-cache nor feature-barrier") {
		t.Errorf("no line at boot about the missing flush: %q", env.Logs)
	}
}

func TestReadOnly(t *testing.T) {
	d, bb, _ := start(t, func(b *xenfake.Blkback) { b.ReadOnly = true })
	copy(bb.Disk, "hello")
	if err := d.WriteAt(make([]byte, 512), 0); !errors.Is(err, blkfront.ErrReadOnly) {
		t.Errorf("write to a read-only disk: %v", err)
	}
	buf := make([]byte, 512)
	if err := d.ReadAt(buf, 0); err != nil || string(buf[:5]) != "hello" {
		t.Errorf("read: %v %q", err, buf[:5])
	}
}

func TestHostileBackend(t *testing.T) {
	for name, spoil := range map[string]func(*xenfake.Blkback){
		"unknown id":     func(b *xenfake.Blkback) { b.BadID = true },
		"backend closes": func(b *xenfake.Blkback) { b.Close() },
	} {
		d, bb, env := start(t, nil)
		spoil(bb)
		env.Wait(^uint64(0))
		err := d.ReadAt(make([]byte, 8192), 0)
		var dead *blkfront.ErrDead
		if !errors.As(err, &dead) {
			t.Errorf("%s: ReadAt = %v, want the device dead", name, err)
		}
		if err := d.Sync(); !errors.As(err, &dead) {
			t.Errorf("%s: Sync on a dead device = %v", name, err)
		}
		if len(env.Logs) != 1 || !strings.Contains(env.Logs[0], "mwasm: disk0: ") {
			t.Errorf("%s: console %q", name, env.Logs)
		}
	}
}
